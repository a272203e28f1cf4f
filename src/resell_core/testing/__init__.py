"""Test support shipped with the library: Hypothesis strategies and adapter contract suites.

Hosts use it to test their own adapters against the same contracts as ours.
"""
