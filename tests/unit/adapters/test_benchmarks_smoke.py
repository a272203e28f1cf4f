"""The benchmarks still run (at a tiny size): they measure nothing here, they must not rot."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import bench_billing, bench_memory, bench_overview
from benchmarks.common import Figure, print_table


def test_billing_benchmarks_bill_every_account_on_each_side() -> None:
    """Service run, storage loop and the hand-written loops each bill all 30 accounts."""
    figures = bench_billing.run([30])

    assert {f.what.split(":")[0] for f in figures} >= {"memory", "sqlite"}
    assert all(f.library > 0 and f.baseline > 0 for f in figures)


def test_overview_and_memory_benchmarks_agree_with_their_baselines() -> None:
    """The overview page's total equals the hand-written SQL's; the memory probe reports a peak."""
    figures = [*bench_overview.run(200, repeat=1), *bench_memory.run(20)]

    print_table("smoke", figures)
    assert all(isinstance(f, Figure) and f.library > 0 for f in figures)
