"""One idempotency key sent by 8 callers at once (I1): threads on memory, spawned processes
on a SQLite file database and on PostgreSQL; exactly one effect, and one result for all."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.races.idempotency import race_key_in_processes, race_key_in_threads


def open_sqlite(url: str) -> Storage:
    """Open the race's SQLite file database (its schema exists)."""
    return SqlStorage(url, create=False)


def open_postgres(where: tuple[str, str]) -> Storage:
    """Open the race's PostgreSQL schema: ``(url, schema name)``."""
    url, name = where
    return SqlStorage(
        create_engine(url, connect_args={"options": f"-csearch_path={name}"}), create=False
    )


@pytest.fixture
def scratch() -> ScratchSchema:
    """An empty PostgreSQL schema of its own (skips unless enabled)."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    return ScratchSchema(url)


def test_I1_eight_threads_sending_one_key_on_memory_get_one_result() -> None:
    """8 threads adding one profile, then buying SMS credits, under one key: one each."""
    races = race_key_in_threads(MemoryStorage())

    for race in races:
        race.check()
    assert [r.summary() for r in races] == [
        "add_billing_profile: 8 contenders, ok=8, 1 result, 1 effect",
        "buy_credits: 8 contenders, ok=8, 1 result, 1 effect",
    ]


def test_I1_eight_processes_sending_one_key_on_a_sqlite_file_get_one_result(
    tmp_path: Path,
) -> None:
    """8 spawned processes add one billing profile under one key on one SQLite file."""
    url = f"sqlite:///{tmp_path / 'north.db'}"
    storage = SqlStorage(url)
    try:
        race = race_key_in_processes(storage, open_sqlite, url)
    finally:
        storage.dispose()

    race.check()
    assert race.summary() == "add_billing_profile: 8 contenders, ok=8, 1 result, 1 effect"


def test_I1_eight_processes_sending_one_key_on_postgresql_get_one_result(
    scratch: ScratchSchema,
) -> None:
    """8 spawned processes add one billing profile under one key on one PostgreSQL schema."""
    where = (scratch.engine.url.render_as_string(hide_password=False), scratch.name)
    try:
        race = race_key_in_processes(scratch.storage(), open_postgres, where)
    finally:
        scratch.drop()

    race.check()
    assert race.summary() == "add_billing_profile: 8 contenders, ok=8, 1 result, 1 effect"
