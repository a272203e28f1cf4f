"""Benchmarks of resell_core against hand-written baselines (``python benchmarks/run.py``)."""
