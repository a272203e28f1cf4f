"""Invoice numbers taken under the agency's lock (B7, docs/scaling.md): a page's numbers
are taken once the page holds its agency, and a crash before the page commits gives them
all back (the transaction rolls back): no number is lost, none is used twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

import resell_core as rc
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.repositories import Agencies
from resell_core.adapters.sql.storage import SqlUnitOfWork
from resell_core.adapters.sql.testing import ScratchSchema

from .seeding import BILLING_DAY, seed_due_accounts
from .test_faults import ACME, Crash, portal_on

ACCOUNTS = 5


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest) -> Iterator[SqlStorage]:
    """An empty SQL storage: SQLite in memory, or a PostgreSQL scratch schema."""
    if request.param == "sqlite":
        yield SqlStorage("sqlite://")
        return
    scratch: ScratchSchema = request.getfixturevalue("scratch")
    yield scratch.storage()


@pytest.mark.parametrize("where", ["computed", "written"])
def test_B7_a_crash_between_taking_the_numbers_and_the_commit_loses_no_number(
    storage: SqlStorage, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run dies once the page took its numbers: before its commit ("computed"), or in
    its commit, every write sent to the database but not committed ("written"). Nothing of
    the page is stored, the counter is where it was and the agency is free again; the
    re-run numbers the invoices 1..n, as if the crash had not happened."""
    seed_due_accounts(storage, ACCOUNTS, agencies=(ACME,))
    gateway = SimulatedGateway()
    real_write = SqlUnitOfWork._write
    real_commit = SqlUnitOfWork.commit
    struck: list[str] = []

    def write_then_die(uow: SqlUnitOfWork, connection: Any, *, batched: bool) -> None:
        storing = bool(uow._invoices.changes)
        real_write(uow, connection, batched=batched)
        if storing and not struck:
            struck.append(where)
            raise Crash(where)

    def die_before_commit(uow: SqlUnitOfWork) -> None:
        if uow._invoices.changes and not struck:
            struck.append(where)
            raise Crash(where)
        real_commit(uow)

    if where == "written":
        monkeypatch.setattr(SqlUnitOfWork, "_write", write_then_die)
    else:
        monkeypatch.setattr(SqlUnitOfWork, "commit", die_before_commit)
    portal = portal_on(storage, gateway)

    with pytest.raises(Crash):
        portal.run_billing(BILLING_DAY)

    assert struck == [where]
    assert portal.invoices(ACME) == []
    assert gateway.charges == []
    with storage.unit_of_work() as uow:
        assert uow.agencies.get(ACME).next_invoice_number == 1
        assert len(uow.accounts.due(BILLING_DAY.replace(day=2))) == ACCOUNTS
    if storage.dialect == "postgresql":
        with storage.engine.connect() as connection:
            connection.execute(text("SET lock_timeout = '2s'"))
            connection.execute(text("SELECT id FROM agencies FOR UPDATE"))  # not held
            connection.rollback()
    report = portal.run_billing(BILLING_DAY)
    assert (report.invoices_created, report.errors) == (ACCOUNTS, ())
    assert [i.number for i in portal.invoices(ACME)] == list(range(1, ACCOUNTS + 1))
    assert len(gateway.charges) == ACCOUNTS


def test_B7_a_unit_of_work_locking_an_agency_waits_for_the_one_holding_it(
    scratch: ScratchSchema,
) -> None:
    """On PostgreSQL a second unit of work locking the agency waits until the first one
    (which took a number under its lock) commits, then reads the counter it committed:
    the second one's number follows, with no conflict to retry."""
    storage = scratch.storage()
    seed_due_accounts(storage, 0, agencies=(ACME,))
    second_read: list[int] = []
    locked = threading.Event()

    def second() -> None:
        with storage.unit_of_work() as uow:
            locked.set()
            [agency] = uow.agencies.lock([ACME])
            second_read.append(agency.next_invoice_number)
            uow.agencies.update(agency.numbered()[1])
            uow.commit()

    with storage.unit_of_work() as first:
        [agency] = first.agencies.lock([ACME])
        first.agencies.update(agency.numbered()[1])
        thread = threading.Thread(target=second)
        thread.start()
        assert locked.wait(10)
        thread.join(0.5)
        waited = thread.is_alive() and second_read == []
        first.commit()
    thread.join(10)

    assert waited
    assert second_read == [2]
    with storage.unit_of_work() as uow:
        assert uow.agencies.get(ACME).next_invoice_number == 3


def test_B7_a_page_takes_the_agency_before_its_numbers(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page of the run locks its agencies (once, by id) before it reads them."""
    seed_due_accounts(storage, ACCOUNTS, agencies=(ACME, "agency-globex"))
    locks: list[list[str]] = []
    real = Agencies.lock

    def counted(agencies: Any, agency_ids: list[str]) -> list[rc.Agency]:
        locks.append(list(agency_ids))
        return real(agencies, agency_ids)

    monkeypatch.setattr(Agencies, "lock", counted)
    report = portal_on(storage, SimulatedGateway()).run_billing(BILLING_DAY, page_size=2)

    assert report.invoices_created == ACCOUNTS
    assert locks == [[ACME, "agency-globex"], [ACME, "agency-globex"], [ACME]]
