"""How a command writes its audit entries: at the command's one "now", by its actor, in
order, and never at a time without a time zone."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo

import attrs
import pytest

import resell_core as rc
from resell_core.audit import AuditEvent
from resell_core.lifecycle.account import AccountStatus as S
from resell_core.lifecycle.events import AccountCancelled, AccountDisabled
from resell_core.service.context import Command, Work, run_command

BAKERY = "account-north-bakery"
NAIVE_NOON = datetime(2024, 4, 11, 12, 0)  # noqa: DTZ001 - a broken clock's answer


class _NaiveClock:
    """A host's clock that forgets the time zone."""

    def now(self) -> datetime:
        return NAIVE_NOON

    def today(self, tz: tzinfo | str = "UTC") -> date:
        return NAIVE_NOON.date()


def _entries(portal: rc.PartnerPortal, agency_id: str) -> list[AuditEvent]:
    with portal.storage.unit_of_work() as uow:
        return uow.events.list(agency_id, subject=BAKERY)


def test_audit_and_account_events_write_the_entries_the_constructor_builds(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """Entries at the command's now, by its actor, in the order written, same values as
    ``AuditEvent(...)``."""
    command = Command("close_bakery", acme.id, actor="user-ada")
    events = (
        AccountDisabled(BAKERY, date(2024, 4, 11), S.ACTIVE, S.DISABLED, "unpaid"),
        AccountCancelled(BAKERY, date(2024, 4, 11), S.DISABLED, S.CANCELLED, "closed", None),
    )
    moments: list[datetime] = []

    def body(work: Work) -> None:
        moments.append(work.now)
        work.audit("note_added", BAKERY, after="closing")
        work.account_events(acme.id, events)
        work.audit("note_removed", BAKERY, before="closing", agency_id=acme.id)

    run_command(portal.context, command, body, None)

    at = moments[0]
    assert at.tzinfo is not None
    by_ada = functools.partial(
        AuditEvent, at=at, agency_id=acme.id, actor="user-ada", subject=BAKERY
    )
    assert _entries(portal, acme.id) == [
        by_ada(action="note_added", after="closing"),
        by_ada(action="account_disabled", before="active", after="disabled"),
        by_ada(action="account_cancelled", before="disabled", after="cancelled"),
        by_ada(action="note_removed", before="closing"),
    ]


def test_a_clock_without_time_zone_is_refused_at_the_first_audit_entry(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A naive "now" fails the command that audits (nothing written) and not one that
    writes no entry."""
    ctx = attrs.evolve(portal.context, clock=_NaiveClock())
    events = (AccountDisabled(BAKERY, date(2024, 4, 11), S.ACTIVE, S.DISABLED, "unpaid"),)

    def audits(work: Work) -> None:
        work.audit("note_added", BAKERY, after="closing")

    def lifecycle(work: Work) -> None:
        work.account_events(acme.id, events)

    for body in (audits, lifecycle):
        with pytest.raises(rc.InvalidInput, match="no time zone"):
            run_command(ctx, Command("close_bakery", acme.id), body, None)
    assert run_command(ctx, Command("look", acme.id), lambda work: work.today, None) == (
        NAIVE_NOON.date()
    )
    assert _entries(portal, acme.id) == []


def test_a_now_changed_to_a_naive_time_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """The entry's time is checked again when it is no longer the one checked at the start."""

    def body(work: Work) -> None:
        work.now = work.now.replace(tzinfo=None)
        work.audit("note_added", BAKERY, after="closing")

    with pytest.raises(rc.InvalidInput, match="no time zone"):
        run_command(portal.context, Command("close_bakery", acme.id), body, None)
    assert _entries(portal, acme.id) == []


def test_a_now_changed_to_another_aware_time_is_the_entries_time(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """An aware time set on the work is the one the entries carry."""
    later = datetime(2024, 4, 12, 18, 30, tzinfo=UTC)

    def body(work: Work) -> None:
        work.now = later
        work.audit("note_added", BAKERY, after="closing")

    run_command(portal.context, Command("close_bakery", acme.id), body, None)

    assert [e.at for e in _entries(portal, acme.id)] == [later]
