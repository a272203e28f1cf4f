"""The adapters every contract suite runs against.

To run the suites against another storage adapter, add its factory to STORAGE_FACTORIES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from resell_core.adapters.clock import ManualClock, SystemClock
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Clock, Storage

_scratch: list[ScratchSchema] = []


def sqlite_storage() -> Storage:
    """A private in-memory SQLite database."""
    return SqlStorage("sqlite://")


def postgres_storage() -> Storage:
    """An emptied PostgreSQL schema of this test session (skips unless enabled)."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    if not _scratch:
        _scratch.append(ScratchSchema(url))
    return _scratch[0].storage()


@pytest.fixture(scope="session", autouse=True)
def _drop_scratch_schema() -> Iterator[None]:
    """Drop the PostgreSQL schema of the session at its end."""
    yield
    while _scratch:
        _scratch.pop().drop()


STORAGE_FACTORIES: list[Callable[[], Storage]] = [MemoryStorage, sqlite_storage, postgres_storage]
"""One fresh, empty storage per test from each factory."""


@pytest.fixture(params=STORAGE_FACTORIES, ids=lambda factory: factory.__name__)
def storage(request: pytest.FixtureRequest) -> Storage:
    """A fresh storage of each adapter."""
    factory: Callable[[], Storage] = request.param
    return factory()


@pytest.fixture(params=["manual", "system"])
def clock(request: pytest.FixtureRequest) -> Clock:
    """A manual clock late on a leap day, and the system clock."""
    if request.param == "manual":
        return ManualClock(datetime(2024, 2, 29, 23, 30, tzinfo=UTC))
    return SystemClock()
