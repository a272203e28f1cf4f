"""Every public command of the portal, every field, every hostile value: a coded refusal
and nothing changed (E1), on memory and SQLite always, PostgreSQL when enabled."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.hostile.portal import run_portal_suite, untested_commands


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def storages(request: pytest.FixtureRequest) -> Iterator[tuple[str, Callable[[], Storage]]]:
    """An adapter's name and a factory of empty storages of it."""
    if request.param == "memory":
        yield "memory", MemoryStorage
    elif request.param == "sqlite":
        yield "sqlite", lambda: SqlStorage("sqlite://")
    else:
        url = postgres_url()
        if url is None:
            pytest.skip(skip_reason())
        scratch = ScratchSchema(url)
        try:
            yield "postgresql", scratch.storage
        finally:
            scratch.drop()


def test_E1_every_public_command_is_in_the_hostile_suite() -> None:
    """No public command of PartnerPortal lacks good arguments in the suite."""
    assert untested_commands() == []


def test_E1_every_command_refuses_hostile_input_with_a_code_and_changes_nothing(
    storages: tuple[str, Callable[[], Storage]],
) -> None:
    """Each hostile value of each field of each command is refused with a coded error and
    leaves storage, gateway, notifier and provisioner as they were."""
    name, storage = storages

    report = run_portal_suite(storage, examples=1)

    print(report.summary(name))  # noqa: T201 - the counts are the suite's report
    assert report.tried > 3000
    assert not report.failures, f"{report.summary(name)}\n{report.details()}"
