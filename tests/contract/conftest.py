"""The adapters every contract suite runs against.

To run the suites against another storage adapter, add its factory to STORAGE_FACTORIES.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from resell_core.adapters.clock import ManualClock, SystemClock
from resell_core.adapters.memory import MemoryStorage
from resell_core.ports import Clock, Storage

STORAGE_FACTORIES: list[Callable[[], Storage]] = [MemoryStorage]
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
