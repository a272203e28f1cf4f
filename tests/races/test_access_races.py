"""The access race suite (S6, S8) on every adapter: threads on memory, spawned processes on
SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.races.access import AccessRaces

StorageFactory = Callable[[], Storage]


def _in_schema(url: str, name: str) -> SqlStorage:
    """Open the scratch schema ``name`` again (in a contender's own process)."""
    return SqlStorage(create_engine(url, connect_args={"options": f"-csearch_path={name}"}))


@pytest.fixture
def memory_storage() -> StorageFactory:
    """One memory storage shared by every thread."""
    storage = MemoryStorage()
    return lambda: storage


@pytest.fixture
def sqlite_storage(tmp_path: Path) -> StorageFactory:
    """A SQLite file every process opens."""
    return functools.partial(SqlStorage, f"sqlite:///{tmp_path / 'races.db'}")


@pytest.fixture
def postgres_storage() -> Iterator[StorageFactory]:
    """A scratch PostgreSQL schema every process opens (skips unless enabled)."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    scratch.storage().dispose()
    yield functools.partial(_in_schema, url, scratch.name)
    scratch.drop()


@pytest.fixture(
    params=[
        ("memory_storage", "threads"),
        ("sqlite_storage", "processes"),
        ("postgres_storage", "processes"),
    ],
    ids=lambda p: f"{p[0].removesuffix('_storage')}-{p[1]}",
)
def _race(request: pytest.FixtureRequest) -> tuple[StorageFactory, str]:
    name, race_in = request.param
    factory: StorageFactory = request.getfixturevalue(name)
    return factory, race_in


@pytest.fixture
def race_storage(_race: tuple[StorageFactory, str]) -> StorageFactory:
    """The storage under test."""
    return _race[0]


@pytest.fixture
def race_in(_race: tuple[StorageFactory, str]) -> str:
    """Threads on memory, processes on SQL."""
    return _race[1]


class TestAccessRaces(AccessRaces):
    """The access race suite on memory, SQLite and PostgreSQL."""
