"""The overview query over N accounts against the equivalent hand-written SQL, same database.

Query: active accounts of the agency whose name, custom domain, client name or email
contains "13" (4 % of the names at 100k, 3 % at 10k, a few even at the smoke test's 200),
sorted by name descending, a page of 50 and the total (O1-O8). The library side is
``uow.accounts.query`` (statement built by the adapter, rows read back as accounts); the
baseline sends the same query, written by hand with the same bound parameters, through the
raw driver and reads the rows' JSON with ``json.loads``. Both sides must find the same
total and the same page, in the same order.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.common import ACME, Figure, Timer, postgres_storage, seed_sql
from resell_core.adapters.sql import SqlStorage
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.account_query import AccountQuery

__all__ = ["QUERY", "Result", "library_query", "raw_query", "run"]

QUERY = AccountQuery(status="active", search="13", sort="-name", limit=50)
_TODAY = date(2024, 3, 1)
_WHERE = (
    "agency_id = {p} AND status = {p} AND (name_folded LIKE {like} ESCAPE '/' "
    "OR custom_domain_folded LIKE {like} ESCAPE '/' OR client_name_folded LIKE {like} "
    "ESCAPE '/' OR notification_email_folded LIKE {like} ESCAPE '/')"
)

Result = tuple[float, int, list[str]]
"""What one side measured: milliseconds a query, the total, the page's account ids."""


def _vary(storage: SqlStorage) -> None:
    """Make two accounts in five expired, so that the status filter has work to do."""
    with storage.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE accounts SET status = 'expired' "
                "WHERE id LIKE '%2' OR id LIKE '%4' OR id LIKE '%6' OR id LIKE '%8'"
            )
        )
    if storage.dialect == "postgresql":
        # The planner's statistics should see the expired accounts, as autovacuum soon would.
        with storage.engine.connect() as connection:
            connection.execute(text("ANALYZE accounts"))
            connection.commit()


def library_query(storage: SqlStorage, repeat: int) -> Result:
    """Run the overview query ``repeat`` times through the adapter."""
    total = 0
    rows: tuple[Account, ...] = ()
    with Timer() as timer:
        for _ in range(repeat):
            with storage.unit_of_work() as uow:
                page = uow.accounts.query(ACME, QUERY, _TODAY)
                total, rows = page.total, page.rows
    return timer.seconds * 1000 / repeat, total, [account.id for account in rows]


def raw_query(storage: SqlStorage, repeat: int) -> Result:
    """Run the same query, written by hand, ``repeat`` times on the raw driver."""
    mark = "?" if storage.dialect == "sqlite" else "%s"
    percent = "%" if mark == "?" else "%%"
    where = _WHERE.format(p=mark, like=f"'{percent}' || {mark} || '{percent}'")
    page_sql = (
        f"SELECT id, data, version FROM accounts WHERE {where} "
        f"ORDER BY name DESC, id ASC LIMIT {mark}"
    )
    count_sql = f"SELECT count(*) FROM accounts WHERE {where}"
    assert QUERY.search is not None
    params = (ACME, QUERY.status.value, *([QUERY.search] * 4))
    total, rows = 0, []
    with storage.engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        with Timer() as timer:
            for _ in range(repeat):
                cursor = driver.cursor()
                total = cursor.execute(count_sql, params).fetchone()[0]
                rows = cursor.execute(page_sql, (*params, QUERY.limit + 1)).fetchall()
                [json.loads(r[1]) for r in rows]
                if storage.dialect != "sqlite":
                    driver.rollback()
    return timer.seconds * 1000 / repeat, total, [r[0] for r in rows[: QUERY.limit]]


def _measure(name: str, storage: SqlStorage, n: int, repeat: int) -> Figure:
    seed_sql(storage, n)
    _vary(storage)
    library_query(storage, 2)  # warm the caches of both sides alike
    raw_query(storage, 2)
    library, found, page = library_query(storage, repeat)
    baseline, expected, rows = raw_query(storage, repeat)
    if (found, page) != (expected, rows):
        raise AssertionError(
            f"{name}: the library found {found} ({page[:3]}...), the SQL {expected} ({rows[:3]}...)"
        )
    return Figure(
        f"{name}: overview page vs hand-written SQL",
        n,
        library,
        baseline,
        "ms/query",
        higher_is_better=False,
    )


def run(n: int, repeat: int = 20) -> list[Figure]:
    """Measure the overview query on SQLite (and PostgreSQL when configured)."""
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        storage = SqlStorage(f"sqlite:///{Path(folder) / 'overview.db'}")
        figures.append(_measure("sqlite", storage, n, repeat))
        storage.dispose()
    with postgres_storage() as pg:
        if pg is not None:
            figures.append(_measure("postgresql", pg, n, repeat))
    return figures
