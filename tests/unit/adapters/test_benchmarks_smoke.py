"""The benchmarks still run (at a tiny size): they measure nothing here, they must not rot."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import pytest
from benchmarks import bench_billing, bench_domain, bench_memory, bench_overview, bench_workers
from benchmarks.common import Figure, print_table, seed_sql

from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import postgres_url, skip_reason


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


def _written(path: Path) -> dict[str, object]:
    """What a billing run left in the database, comparable between writers."""
    db = sqlite3.connect(path)
    try:
        docs = {
            table: [
                json.loads(data) for (data,) in db.execute(f"SELECT data FROM {table} ORDER BY 1")
            ]
            for table in ("invoices", "movements", "events")
        }
        accounts = db.execute(
            "SELECT id, version, next_period, paid_through, next_billing_on, expires_on, data "
            "FROM accounts ORDER BY id"
        ).fetchall()
        balances = db.execute("SELECT * FROM balances ORDER BY wallet").fetchall()
    finally:
        db.close()
    return {**docs, "accounts": accounts, "balances": balances}


def test_the_raw_sqlite_loop_writes_what_the_service_run_writes(tmp_path: Path) -> None:
    """Same invoices, movements, audit entries, account rows and balances from both sides
    (the baseline adds one idempotency record an account, as docs/rules.md#goals lists it)."""
    written = []
    for side in ("service", "raw"):
        path = tmp_path / f"{side}.db"
        storage = SqlStorage(f"sqlite:///{path}")
        seed_sql(storage, 3)
        if side == "service":
            bench_billing.service_run(storage, 3)
            storage.dispose()
        else:
            storage.dispose()
            bench_billing.raw_sqlite_loop(str(path), 3)
        written.append(_written(path))

    service, raw = written
    for part in ("invoices", "movements", "events", "accounts", "balances"):
        assert raw[part] == service[part], part


def test_domain_benchmark_measures_each_operation() -> None:
    """Money against Decimal, a quote and a transition each give a positive time."""
    figures = bench_domain.run(number=50)

    assert [f.unit for f in figures] == ["µs"] * 4
    assert all(f.library > 0 and f.baseline > 0 and f.goal is not None for f in figures)


def test_workers_benchmark_bills_one_agency_with_one_and_two_processes() -> None:
    """One and two worker processes bill the agency's 30 accounts: no error, nothing
    left due, numbers 1..30 (PostgreSQL only: nothing to run without it)."""
    if postgres_url() is None:
        pytest.skip(skip_reason())
    rows = bench_workers.run(30, repeat=1, settings=("cpu",), counts=(1, 2))

    bench_workers.print_rows(rows)
    assert [(r.workers, r.errors, r.unbilled, r.gapless) for r in rows] == [
        (1, 0, 0, True),
        (2, 0, 0, True),
    ]
    assert all(r.rate > 0 for r in rows)
