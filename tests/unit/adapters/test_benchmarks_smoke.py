"""The benchmarks still run (at a tiny size): they measure nothing here, they must not rot."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks import bench_billing, bench_domain, bench_memory, bench_overview, bench_workers
from benchmarks.common import (
    ACME,
    Figure,
    account_number,
    postgres_dsn,
    postgres_storage,
    print_table,
    seed_sql,
)
from benchmarks.overview_data import Shape, agency_of, expected_account, generate, other_agency

from resell_core.adapters.sql import SqlStorage, schema
from resell_core.adapters.sql.testing import postgres_url, skip_reason
from resell_core.lifecycle.account import Account
from resell_core.serialization import to_json


def test_billing_benchmarks_bill_every_account_on_each_side() -> None:
    """Service run, storage loop and the hand-written loops each bill all 30 accounts."""
    figures = bench_billing.run([30])

    assert {f.what.split(":")[0] for f in figures} >= {"memory", "sqlite"}
    assert all(f.library > 0 and f.baseline > 0 for f in figures)


def test_overview_and_memory_benchmarks_report_their_figures() -> None:
    """The overview pages are timed on generated agencies; the memory probe reports a peak."""
    tiny = (Shape(20, 2, 10), Shape(20))
    figures = [*bench_overview.run(tiny, runs=3), *bench_memory.run(20)]

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


_PAGES = 2 * bench_billing.BATCH + 50
"""Accounts the byte-for-byte comparisons bill: three pages, the last one short."""

Dump = dict[str, list[tuple[object, ...]]]


def _every_row(tables: list[str], select: Callable[[str], list[tuple[object, ...]]]) -> Dump:
    """Every row of every table, in an order that does not depend on the writer's."""
    return {table: sorted(select(table), key=repr) for table in tables}


def _sqlite_dump(path: Path) -> Dump:
    """Every row of every table of the SQLite file, each column as stored."""
    db = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return _every_row(tables, lambda t: db.execute(f'SELECT * FROM "{t}"').fetchall())
    finally:
        db.close()


def _postgres_dump(storage: SqlStorage) -> Dump:
    """Every row of every table of the storage's PostgreSQL schema."""
    with storage.engine.connect() as connection:
        tables = list(
            connection.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            ).scalars()
        )

        def select(table: str) -> list[tuple[object, ...]]:
            return [tuple(r) for r in connection.exec_driver_sql(f'SELECT * FROM "{table}"')]

        return _every_row(tables, select)


def _assert_same_rows(tight: Dump, service: Dump) -> None:
    assert len(service["invoices"]) == _PAGES  # the run billed: the dumps are not empty
    assert sorted(tight) == sorted(service)
    for table, rows in service.items():
        assert tight[table] == rows, table


def test_the_tight_sqlite_loop_writes_the_service_runs_rows_byte_for_byte(
    tmp_path: Path,
) -> None:
    """After the service run and after the tight sqlite3 loop, over three pages of
    accounts, every table holds the same rows, column for column, text for text."""
    dumps = []
    for side in ("service", "tight"):
        path = tmp_path / f"{side}.db"
        storage = SqlStorage(f"sqlite:///{path}")
        seed_sql(storage, _PAGES)
        if side == "service":
            bench_billing.service_run(storage, _PAGES)
            storage.dispose()
        else:
            storage.dispose()
            bench_billing.tight_sqlite_loop(str(path), _PAGES)
        dumps.append(_sqlite_dump(path))

    service, tight = dumps
    _assert_same_rows(tight, service)


def test_the_tight_psycopg_loop_writes_the_service_runs_rows_byte_for_byte() -> None:
    """After the service run and after the tight psycopg loop, over three pages of
    accounts, every table of the PostgreSQL schema holds the same rows."""
    dsn = postgres_dsn()
    if dsn is None:
        pytest.skip("PostgreSQL not configured: set RESELL_CORE_POSTGRES_URL")
    dumps = []
    for side in ("service", "tight"):
        with postgres_storage() as storage:
            assert storage is not None
            seed_sql(storage, _PAGES)
            if side == "service":
                bench_billing.service_run(storage, _PAGES)
            else:
                options = bench_billing.session_options(storage)
                bench_billing.tight_psycopg_loop(dsn, options, _PAGES)
            dumps.append(_postgres_dump(storage))

    service, tight = dumps
    _assert_same_rows(tight, service)


def test_domain_benchmark_measures_each_operation() -> None:
    """Money against Decimal, the floor, a quote and a transition each give a positive time;
    only the floor has no goal."""
    figures = bench_domain.measure(number=50)

    assert [f.unit for f in figures] == ["µs"] * 5
    assert all(f.library > 0 and f.baseline > 0 for f in figures)
    assert [f.goal is None for f in figures] == [False, False, True, False, False]


def test_domain_benchmark_prints_the_median_of_fresh_processes_and_their_spread() -> None:
    """Two processes: each figure's ratio (of the medians of its sides: their means)
    lies within the spread of the processes' ratios; one process prints no spread."""
    figures = bench_domain.run(number=50, processes=2)
    alone = bench_domain.run(number=50, processes=1)

    assert [f.what for f in figures] == [f.what for f in bench_domain.measure(number=1)]
    for figure in figures:
        assert figure.spread is not None
        low, high = figure.spread
        assert low * (1 - 1e-9) <= figure.ratio <= high * (1 + 1e-9)
    assert all(f.spread is None and f.library > 0 for f in alone)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_generated_overview_accounts_are_the_rows_the_adapter_writes(dialect: str) -> None:
    """Every generated row equals the adapter's encoding of its expected account, column by
    column and its JSON byte for byte, and reads back through the storage as that account."""
    shape = Shape(12, 3, 8)
    with contextlib.ExitStack() as stack:
        if dialect == "sqlite":
            storage = SqlStorage("sqlite://")
        else:
            pg = stack.enter_context(postgres_storage())
            if pg is None:
                pytest.skip(skip_reason())
            storage = pg
        generate(storage, shape)
        with storage.engine.connect() as connection:
            rows = connection.execute(
                select(schema.accounts).order_by(schema.accounts.c.id)
            ).mappings()
            stored = [dict(row) for row in rows]
        with storage.unit_of_work() as uow:
            read = [
                uow.accounts.get(agency_of(shape, i), account_number(i)) for i in range(shape.total)
            ]

    expected = [expected_account(shape, i) for i in range(shape.total)]
    columns = [
        {k: row[k] for k in _written_row(a)} for row, a in zip(stored, expected, strict=True)
    ]
    assert columns == [_written_row(a) for a in expected]
    assert [to_json(a) for a in read] == [to_json(a) for a in expected]
    assert {a.status.value for a in read} == {"active", "expired"}
    assert {a.agency_id for a in read} == {ACME, *(other_agency(k) for k in range(3))}


def _written_row(account: Account) -> dict[str, object]:
    """The row the adapter writes for an account: its columns and its JSON."""
    return {**schema.account_columns(account), "data": to_json(account)}


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
