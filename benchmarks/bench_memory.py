"""Peak memory of the billing run at N and 10N accounts on SQLite: it should stay flat.

Each size runs in a fresh subprocess: the database is seeded, then ``tracemalloc`` traces
only the portal's billing run, whose peak is printed. A run that streams accounts in pages
peaks at the same size whatever N is; one that loads every account grows with N.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

from benchmarks.common import Figure, portal_on, seed_sql
from resell_core.adapters.sql import SqlStorage

__all__ = ["peak_mib", "run"]

_ROOT = Path(__file__).resolve().parent.parent


def peak_mib(n: int) -> float:
    """Seed N accounts in a fresh SQLite file, bill them; return the run's peak in MiB."""
    with tempfile.TemporaryDirectory() as folder:
        storage = SqlStorage(f"sqlite:///{Path(folder) / 'memory.db'}")
        seed_sql(storage, n)
        portal = portal_on(storage)
        tracemalloc.start()
        report = portal.run_billing()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        storage.dispose()
    if report.invoices_created != n:
        raise AssertionError(f"billed {report.invoices_created} of {n}")
    return peak / 2**20


def _in_subprocess(n: int) -> float:
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from benchmarks.bench_memory import peak_mib; print(peak_mib({n}))",
        ],
        cwd=_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(found.stdout.strip().splitlines()[-1])


def run(n: int) -> list[Figure]:
    """Measure the peak at N and 10N (each in its own process); goal: the same (1.5x)."""
    small = _in_subprocess(n)
    large = _in_subprocess(10 * n)
    return [
        Figure(
            "sqlite: run's peak memory, 10N vs N", n, large, small, "MiB", higher_is_better=False
        )
    ]
