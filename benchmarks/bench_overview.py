"""The overview query over N accounts against the equivalent hand-written SQL, same database.

Query: active accounts of the agency whose name, custom domain, client name or email
contains "shop-01", sorted by name descending, a page of 50 and the total (O1-O8). The
library side is ``uow.accounts.query`` (statement built by the adapter, rows read back as
accounts); the baseline sends the same SQL text through the raw driver and reads the
rows' JSON with ``json.loads``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.common import ACME, Figure, Timer, postgres_storage, seed_sql
from resell_core.adapters.sql import SqlStorage
from resell_core.lifecycle.overview import AccountQuery

__all__ = ["QUERY", "library_query", "raw_query", "run"]

QUERY = AccountQuery(status="active", search="shop-01", sort="-name", limit=50)
_TODAY = date(2024, 3, 1)
_WHERE = (
    "agency_id = {p} AND status = 'active' AND (name_folded LIKE {like} ESCAPE '/' "
    "OR custom_domain_folded LIKE {like} ESCAPE '/' OR client_name_folded LIKE {like} "
    "ESCAPE '/' OR notification_email_folded LIKE {like} ESCAPE '/')"
)


def _vary(storage: SqlStorage) -> None:
    """Make two accounts in five expired, so that the status filter has work to do."""
    with storage.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE accounts SET status = 'expired' "
                "WHERE id LIKE '%2' OR id LIKE '%4' OR id LIKE '%6' OR id LIKE '%8'"
            )
        )


def library_query(storage: SqlStorage, repeat: int) -> tuple[float, int]:
    """Run the overview query ``repeat`` times through the adapter; return (ms, total)."""
    total = 0
    with Timer() as timer:
        for _ in range(repeat):
            with storage.unit_of_work() as uow:
                page = uow.accounts.query(ACME, QUERY, _TODAY)
                total = page.total
    return timer.seconds * 1000 / repeat, total


def raw_query(storage: SqlStorage, repeat: int) -> tuple[float, int]:
    """Run the same SQL ``repeat`` times on the raw driver; return (ms, total)."""
    mark = "?" if storage.dialect == "sqlite" else "%s"
    where = _WHERE.format(
        p=mark, like=f"'%%' || {mark} || '%%'" if mark == "%s" else "'%' || ? || '%'"
    )
    page_sql = (
        f"SELECT id, data, version FROM accounts WHERE {where} ORDER BY name DESC, id ASC LIMIT 51"
    )
    count_sql = f"SELECT count(*) FROM accounts WHERE {where}"
    params = (ACME, *(["shop-01"] * 4))
    total = 0
    with storage.engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        with Timer() as timer:
            for _ in range(repeat):
                cursor = driver.cursor()
                total = cursor.execute(count_sql, params).fetchone()[0]
                rows = cursor.execute(page_sql, params).fetchall()
                [json.loads(r[1]) for r in rows]
                if storage.dialect != "sqlite":
                    driver.rollback()
    return timer.seconds * 1000 / repeat, total


def _measure(name: str, storage: SqlStorage, n: int, repeat: int) -> Figure:
    seed_sql(storage, n)
    _vary(storage)
    library_query(storage, 2)  # warm the caches of both sides alike
    raw_query(storage, 2)
    library, found = library_query(storage, repeat)
    baseline, expected = raw_query(storage, repeat)
    if found != expected:
        raise AssertionError(f"{name}: the library found {found}, the SQL {expected}")
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


_: Callable[..., object] = run
