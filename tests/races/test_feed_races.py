"""The feed's commit order under concurrent commits (EV1), on SQLite and PostgreSQL.

A sequence value is taken when a row is inserted, not when its transaction commits: the
classic way an outbox reader skips an event. Here a first writer is held between
inserting its event and committing while a second writer commits, and a reader reads the
feed meanwhile and after: it must never skip the first writer's event.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.audit import AuditEvent
from resell_core.testing.contracts.samples import ACME, GLOBEX, an_agency

NOON = datetime(2024, 2, 1, 12, tzinfo=UTC)
_HELD = "first-writer"


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    """A file SQLite database (two connections) or a scratch PostgreSQL schema."""
    if request.param == "sqlite":
        storage = SqlStorage(f"sqlite:///{tmp_path / 'feed.db'}")
        yield storage
        storage.dispose()
        return
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    try:
        yield scratch.storage()
    finally:
        scratch.drop()


class _HeldCommit:
    """Holds the commit of the thread named :data:`_HELD` just before its COMMIT (its
    rows inserted, their sequence values taken) until released."""

    def __init__(self, storage: SqlStorage) -> None:
        self.waiting = threading.Event()
        self.release = threading.Event()
        event.listen(storage.engine, "commit", self._commit)  # PostgreSQL
        event.listen(storage.engine, "before_cursor_execute", self._statement)  # SQLite

    def _hold(self) -> None:
        if threading.current_thread().name == _HELD:
            self.waiting.set()
            assert self.release.wait(30)

    def _commit(self, _connection: Any) -> None:
        self._hold()

    def _statement(self, *args: Any) -> None:
        if args[2] == "COMMIT":
            self._hold()


def _append(storage: SqlStorage, agency: str, subject: str) -> None:
    with storage.unit_of_work() as uow:
        uow.events.append(AuditEvent(NOON, agency, "api", "account_added", subject))
        uow.commit()


def test_EV1_a_reader_never_skips_an_event_committed_after_a_later_numbered_one(
    sql_storage: SqlStorage,
) -> None:
    """The first writer inserts, then waits before COMMIT while a second writer commits;
    a reader reading meanwhile and after sees both events, the first one first."""
    storage = sql_storage
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.agencies.add(an_agency(GLOBEX))
        uow.commit()
    held = _HeldCommit(storage)
    first = threading.Thread(target=_append, args=(storage, ACME, "a-first"), name=_HELD)
    second = threading.Thread(target=_append, args=(storage, ACME, "a-second"))
    other = threading.Thread(target=_append, args=(storage, GLOBEX, "g-other"))
    first.start()
    assert held.waiting.wait(30)
    second.start()
    other.start()
    # The second writers are now committing, or waiting to: on PostgreSQL the same
    # agency's for the first's commit, on SQLite both for the one write lock.
    second.join(1.0)
    if storage.dialect == "postgresql":
        other.join(30)  # another agency's events are never held up
        assert not other.is_alive()

    seen: list[str] = []
    cursor = 0
    with storage.unit_of_work() as uow:
        for found in uow.events.feed(ACME, after=cursor, limit=100):
            seen.append(found.subject)
            cursor = found.position
    held.release.set()
    for thread in (first, second, other):
        thread.join(30)
        assert not thread.is_alive()
    with storage.unit_of_work() as uow:
        for found in uow.events.feed(ACME, after=cursor, limit=100):
            seen.append(found.subject)
            cursor = found.position
        assert [e.subject for e in uow.events.feed(GLOBEX, after=0, limit=100)] == ["g-other"]
    assert seen == ["a-first", "a-second"]


def test_EV1_many_writers_of_one_agency_are_read_in_commit_order_without_gaps(
    sql_storage: SqlStorage,
) -> None:
    """Eight threads commit 25 events each while a reader follows the feed: the reader
    handles every event exactly once, and each writer's events in its own order."""
    storage = sql_storage
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.commit()
    writers, each = 8, 25

    def write(index: int) -> None:
        for n in range(each):
            _append(storage, ACME, f"w{index}-{n:02d}")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    seen: list[str] = []
    cursor = 0
    while True:
        # Every writer done before this read: an empty page then means the end.
        finished = not any(thread.is_alive() for thread in threads)
        with storage.unit_of_work() as uow:
            page = uow.events.feed(ACME, after=cursor, limit=7)
        seen.extend(e.subject for e in page)
        cursor = page[-1].position if page else cursor
        if finished and not page:
            break
    assert sorted(seen) == sorted(f"w{i}-{n:02d}" for i in range(writers) for n in range(each))
    for i in range(writers):
        mine = [s for s in seen if s.startswith(f"w{i}-")]
        assert mine == sorted(mine)


def test_EV1_commits_writing_events_of_several_agencies_never_deadlock(
    sql_storage: SqlStorage,
) -> None:
    """Six threads commit events of ACME and GLOBEX, appended in opposite orders: every
    commit succeeds (the agencies' locks are taken in one fixed order), and each agency's
    feed holds its events once each."""
    storage = sql_storage
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.agencies.add(an_agency(GLOBEX))
        uow.commit()
    failures: list[BaseException] = []

    def write(index: int) -> None:
        agencies = (ACME, GLOBEX) if index % 2 else (GLOBEX, ACME)
        try:
            for n in range(15):
                with storage.unit_of_work() as uow:
                    for agency in agencies:
                        uow.events.append(
                            AuditEvent(NOON, agency, "api", "account_added", f"t{index}-{n}")
                        )
                    uow.commit()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with storage.unit_of_work() as uow:
        for agency in (ACME, GLOBEX):
            subjects = [e.subject for e in uow.events.feed(agency, after=0, limit=1000)]
            assert sorted(subjects) == sorted(f"t{i}-{n}" for i in range(6) for n in range(15))
