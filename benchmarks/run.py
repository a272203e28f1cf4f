"""Run every benchmark and print the library's figures against their baselines.

Usage: ``python benchmarks/run.py [--quick]`` from the repository root. PostgreSQL figures
are added when ``RESELL_CORE_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_billing, bench_memory, bench_overview
from benchmarks.common import postgres_storage, print_table
from resell_core.adapters.sql.testing import postgres_url


def _postgres_version() -> str:
    if postgres_url() is None:
        return "not configured (set RESELL_CORE_POSTGRES_URL)"
    with postgres_storage() as storage:
        assert storage is not None
        with storage.engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())


def main() -> None:
    """Parse the arguments, run the benchmarks, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (1k and 10k)")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000]
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {_postgres_version()}, {os.cpu_count()} CPUs"
    )
    print_table("Billing run (accounts/s; ratio = baseline / library)", bench_billing.run(sizes))
    print_table(
        "Peak memory of the billing run (ratio = 10N / N)",
        bench_memory.run(500 if args.quick else 2_000),
    )
    print_table(
        "Overview query (ms a query; ratio = library / baseline)",
        bench_overview.run(sizes[-1]),
    )


if __name__ == "__main__":
    main()
