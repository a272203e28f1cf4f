"""Run the benchmarks and print the library's figures against their baselines.

Usage: ``python benchmarks/run.py [--quick] [--only GROUP ...] [--size N ...]`` from the
repository root. Without options every group runs at N = 10k and 100k (``--quick``: 1k and
10k) but memory, which runs at 10k, 100k and 1M (``--quick``: 10k and 100k). The
billing rows of both adapters are judged against the tight hand-written loops
(bench_billing.py), the earlier reference loops printed beside them without a goal.
``--only`` picks groups (``billing``, ``memory``, ``overview``, ``domain``, ``workers``;
repeat it for more than one); ``--size`` replaces the sizes (repeat it for several).
PostgreSQL figures are added when ``RESELL_CORE_POSTGRES_URL`` is set (the ``workers``
group, several worker processes on one agency, needs it: 20k accounts, 2k with
``--quick``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_billing, bench_domain, bench_memory, bench_overview, bench_workers
from benchmarks.common import postgres_storage, print_table
from resell_core.adapters.sql.testing import postgres_url

GROUPS = ("billing", "memory", "overview", "domain", "workers")
"""The benchmark groups, in the order they run."""


def _postgres_version() -> str:
    if postgres_url() is None:
        return "not configured (set RESELL_CORE_POSTGRES_URL)"
    with postgres_storage() as storage:
        assert storage is not None
        with storage.engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"a size is a positive number of accounts, not {value}")
    return number


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the chosen benchmarks, print their tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (1k and 10k)")
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="run only this group (repeatable; default: all)",
    )
    parser.add_argument(
        "--size",
        action="append",
        type=_positive,
        metavar="N",
        help="accounts to run at, replacing the default sizes (repeatable); billing runs "
        "at each, memory at the smallest, 10x and (without --quick) 100x it; the overview "
        "has its own sizes (1.1M accounts on PostgreSQL, 100k on SQLite; --quick: 20k and 10k)",
    )
    parser.add_argument(
        "--service-only",
        action="store_true",
        help="billing: the service run against its baselines, without the storage loops "
        "and the domain steps (which take far longer at 100k on PostgreSQL)",
    )
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=3,
        metavar="R",
        help="billing, workers and domain: runs of each side a figure is the median of "
        "(default 3; domain: fresh processes); the spread column shows the lowest and "
        "highest ratio of a pair",
    )
    args = parser.parse_args(argv)
    groups = set(args.only or GROUPS)
    if args.size:
        sizes = sorted(set(args.size))
        memory_n = sizes[0]
    else:
        sizes = [1_000, 10_000] if args.quick else [10_000, 100_000]
        memory_n = 10_000
    # Memory: at N, 10N and (without --quick) 100N, i.e. 10k, 100k and 1M by default.
    memory_sizes = 2 if args.quick else 3
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {_postgres_version()}, {os.cpu_count()} CPUs"
    )
    if "billing" in groups:
        print_table(
            "Billing run (accounts/s; ratio = baseline / library; the goal is judged "
            "against the tight loops, the reference loops' ratios are shown without one)",
            bench_billing.run(sizes, storage_loops=not args.service_only, repeat=args.repeat),
        )
    if "memory" in groups:
        print_table(
            "Peak memory of the billing run (MiB; ratio = the larger size / the smaller)",
            bench_memory.run(memory_n, sizes=memory_sizes),
        )
    if "domain" in groups:
        print_table(
            "The pure domain (µs an operation; ratio = library / baseline)",
            bench_domain.run(processes=args.repeat),
        )
    if "overview" in groups:
        print_table(
            "The overview at a million accounts (ms a page; ratio = median / reference)",
            bench_overview.run(bench_overview.QUICK if args.quick else bench_overview.FULL),
        )
    if "workers" in groups:
        workers_n = sizes[-1] if args.size else (2_000 if args.quick else 20_000)
        bench_workers.print_rows(bench_workers.run(workers_n, repeat=args.repeat))


if __name__ == "__main__":
    main()
