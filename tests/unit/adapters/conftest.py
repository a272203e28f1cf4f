"""The databases the SQL adapter's own tests run on, and how they look into them.

``engine`` and ``storage`` are new, empty databases, once a SQLite file and once a scratch
PostgreSQL schema (skipped without ``RESELL_CORE_POSTGRES_URL``); ``stored_acme`` adds
ACME-DIGITAL to the test's ``storage``, ``older_schema`` turns it back to an older schema
version. ``index_names`` and ``overview_plan`` read a database's indexes and the plan of
the overview's statements, in either dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

import pytest
from sqlalchemy import Engine, create_engine, text

from resell_core.adapters.sql import SqlStorage, query_translation
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.lifecycle.account_query import AccountQuery
from resell_core.testing.contracts.samples import ACME, an_account, an_agency

_DIALECTS = ["sqlite", "postgresql"]


def _scratch() -> ScratchSchema:
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    return ScratchSchema(url)


@pytest.fixture
def scratch() -> Iterator[ScratchSchema]:
    """An empty scratch PostgreSQL schema."""
    made = _scratch()
    yield made
    made.drop()


class _Disposable(Protocol):
    def dispose(self) -> None: ...


_T = TypeVar("_T", bound=_Disposable)


def _database(
    dialect: str,
    folder: Path,
    on_file: Callable[[str], _T],
    on_scratch: Callable[[ScratchSchema], _T],
) -> Iterator[_T]:
    """Yield ``on_file(url)`` of a SQLite file in ``folder``, or ``on_scratch`` of a
    scratch PostgreSQL schema; dispose of the one, drop the other."""
    if dialect == "sqlite":
        built = on_file(f"sqlite:///{folder / 'agency.db'}")
        yield built
        built.dispose()
        return
    made = _scratch()
    yield on_scratch(made)
    made.drop()


@pytest.fixture(params=_DIALECTS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database: a SQLite file, or a scratch PostgreSQL schema."""
    yield from _database(request.param, tmp_path, create_engine, lambda made: made.engine)


@pytest.fixture(params=_DIALECTS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    """A fresh SQL storage: a SQLite file (WAL, one connection per unit of work), or a
    scratch PostgreSQL schema."""
    yield from _database(request.param, tmp_path, SqlStorage, ScratchSchema.storage)


@pytest.fixture
def older_schema() -> Callable[[SqlStorage, str, int], None]:
    """``older_schema(storage, index, version)``: store ACME's north-bakery account, then
    make the schema look as it was at ``version``, before ``index`` (dropped)."""

    def make(storage: SqlStorage, index: str, version: int) -> None:
        with storage.unit_of_work() as uow:
            uow.agencies.add(an_agency())
            uow.accounts.add(an_account())
            uow.commit()
        with storage.engine.begin() as connection:
            connection.execute(text(f"DROP INDEX {index}"))
            connection.execute(text(f"UPDATE schema_version SET version = {version}"))

    return make


@pytest.fixture
def stored_acme(storage: SqlStorage) -> None:
    """ACME-DIGITAL, stored in the test's storage."""
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.commit()


def _index_names(storage: SqlStorage) -> set[str]:
    if storage.dialect == "postgresql":
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
    with storage.engine.connect() as connection:
        return set(connection.execute(text(sql)).scalars())


@pytest.fixture
def index_names() -> Callable[[SqlStorage], set[str]]:
    """``index_names(storage)``: the names of the indexes of the storage's schema."""
    return _index_names


def _overview_plan(storage: SqlStorage, search: str, *, count: bool = False) -> str:
    query = AccountQuery(status="active", search=search, sort="-name")
    condition = query_translation.where_clause(ACME, query, date(2024, 3, 1), storage.dialect)
    statement = (
        query_translation.count_statement(condition)
        if count
        else query_translation.page_statement(condition, query)
    )
    compiled = statement.compile(dialect=storage.engine.dialect)
    with storage.engine.connect() as connection:
        if storage.dialect == "postgresql":
            lines = connection.exec_driver_sql(f"EXPLAIN {compiled.string}", compiled.params)
            return "\n".join(lines.scalars())
        # SQLite's parameters are positional; its plan's rows hold the step's text last.
        values = tuple(compiled.params[name] for name in compiled.positiontup or ())
        steps = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}", values)
        return "\n".join(row[-1] for row in steps)


@pytest.fixture
def overview_plan() -> Callable[..., str]:
    """``overview_plan(storage, search, *, count=False)``: the database's plan of the
    overview's page (or count) of ACME's active accounts searching ``search``, by name
    descending, one line a step."""
    return _overview_plan
