# ruff: noqa: N802 - test names carry rule ids (docs/rules.md) in upper case
"""The event feed's contracts (EV1): every storage adapter passes them.

:class:`EventFeedContract` is the storage's half (part of
:class:`~resell_core.testing.contracts.StorageContract`): positions, pages, per-agency
feeds, nothing of a unit of work before it commits. :class:`FeedConsumerContract` is the
host's half, through the portal: a consumer that stops between reading and acknowledging
(at any point of any page) reads on from its acknowledged cursor and, deduplicating by
position, handles every event exactly once, in order. Both need a ``storage`` fixture
returning a fresh, empty storage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from resell_core.audit import AuditEvent
from resell_core.errors import InvalidInput
from resell_core.feed import FeedEvent
from resell_core.ports import Storage
from resell_core.service.portal import PartnerPortal
from resell_core.testing.contracts.samples import ACME, GLOBEX, an_agency
from resell_core.testing.portal import bakery_form, sample_agency, sample_card

__all__ = ["EventFeedContract", "FeedConsumerContract"]

NOON = datetime(2024, 2, 1, 12, tzinfo=UTC)


def _append(storage: Storage, agency: str, *subjects: str) -> None:
    with storage.unit_of_work() as uow:
        for subject in subjects:
            uow.events.append(AuditEvent(NOON, agency, "api", "account_added", subject))
        uow.commit()


def _agencies(storage: Storage) -> Storage:
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.agencies.add(an_agency(GLOBEX))
        uow.commit()
    return storage


class EventFeedContract:
    """The storage's feed: committed events by position, per agency (EV1)."""

    def test_EV1_feed_pages_an_agencys_committed_events_by_position(self, storage: Storage) -> None:
        """Positions grow in commit order; a page after a cursor starts past it."""
        _agencies(storage)
        _append(storage, ACME, "a-1", "a-2")
        _append(storage, GLOBEX, "g-1")
        _append(storage, ACME, "a-3")
        with storage.unit_of_work() as uow:
            whole = uow.events.feed(ACME, after=0, limit=100)
            assert [e.subject for e in whole] == ["a-1", "a-2", "a-3"]
            positions = [e.position for e in whole]
            assert positions == sorted(set(positions))
            assert positions[0] >= 1
            assert uow.events.feed(ACME, after=positions[0], limit=1) == [whole[1]]
            assert uow.events.feed(ACME, after=positions[-1], limit=100) == []
            assert uow.events.last_position(ACME) == positions[-1]
            assert [e.subject for e in uow.events.feed(GLOBEX, after=0, limit=100)] == ["g-1"]
            assert uow.events.last_position("agency-nobody") == 0

    def test_EV1_a_feed_event_is_its_audit_entry_under_a_stable_name(
        self, storage: Storage
    ) -> None:
        """The feed's event carries the entry's action as its name and every field."""
        _agencies(storage)
        entry = AuditEvent(NOON, ACME, "user-ada", "account_cancelled", "a-1", "active", "x")
        with storage.unit_of_work() as uow:
            uow.events.append(entry)
            uow.commit()
        with storage.unit_of_work() as uow:
            [found] = uow.events.feed(ACME, after=0, limit=10)
        assert found == FeedEvent(
            found.position, "account_cancelled", NOON, ACME, "user-ada", "a-1", "active", "x"
        )

    def test_EV1_uncommitted_and_rolled_back_events_are_not_in_the_feed(
        self, storage: Storage
    ) -> None:
        """A unit of work's events join the feed at its commit, and never when discarded."""
        _agencies(storage)
        with storage.unit_of_work() as open_one:
            open_one.events.append(AuditEvent(NOON, ACME, "api", "account_added", "later"))
            with storage.unit_of_work() as discarded:
                discarded.events.append(AuditEvent(NOON, ACME, "api", "account_added", "never"))
            _append(storage, ACME, "first")
            with storage.unit_of_work() as reader:
                assert [e.subject for e in reader.events.feed(ACME, after=0, limit=9)] == ["first"]
            assert [e.subject for e in open_one.events.feed(ACME, after=0, limit=9)] == ["first"]
            open_one.commit()
        with storage.unit_of_work() as reader:
            found = reader.events.feed(ACME, after=0, limit=9)
        # Committed after "first", so after it in the feed: a reader past "first" sees it.
        assert [e.subject for e in found] == ["first", "later"]


def _world(storage: Storage) -> tuple[PartnerPortal, str]:
    """A portal on ``storage`` with ACME, its card and a day of changes."""
    portal = PartnerPortal.embedded(start=date(2024, 4, 11), storage=storage)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    for name in ("north-bakery", "rose-florist", "hill-gym"):
        portal.add_account(acme.id, bakery_form(name, profile_id=card.id))
    portal.process_provisioning()
    return portal, acme.id


def _more_changes(portal: PartnerPortal, agency_id: str, round_: int) -> None:
    """Changes made while the consumer is down (new accounts, a cancellation)."""
    card = portal.billing_profiles(agency_id)[0]
    created = portal.add_account(agency_id, bakery_form(f"lake-cafe-{round_}", profile_id=card.id))
    portal.process_provisioning()
    portal.cancel_account(agency_id, created.account.id, "closed")


class _Consumer:
    """A consumer that keeps what it handled and can stop anywhere (a crash)."""

    def __init__(self, portal: PartnerPortal, agency_id: str, name: str) -> None:
        self.portal = portal
        self.agency_id = agency_id
        self.name = name
        self.handled: list[FeedEvent] = []  # what it did, duplicates included

    def run(self, *, page_size: int, crash_after: int | None = None) -> None:
        """Handle pages until the feed is read to its end, acknowledging each page; with
        ``crash_after``, stop (without acknowledging) after handling that many events."""
        count = 0
        cursor = self.portal.acknowledged(self.agency_id, self.name)
        while True:
            page = self.portal.feed(self.agency_id, after=cursor, limit=page_size)
            for found in page.events:
                if crash_after is not None and count == crash_after:
                    return
                self.handled.append(found)
                count += 1
            if not page.events:
                return
            cursor = self.portal.acknowledge(self.agency_id, self.name, page.cursor)


class FeedConsumerContract:
    """A consumer that crashes between reading and acknowledging loses nothing (EV1)."""

    @pytest.mark.parametrize("page_size", [1, 3, 50])
    def test_EV1_a_consumer_crashing_anywhere_loses_nothing_and_keeps_the_order(
        self, storage: Storage, page_size: int
    ) -> None:
        """Crash after 0, 1, 2… handled events, changes made meanwhile, restart: every
        event is handled at least once, and deduplicated by position they are the feed
        in order, with no event handled before one that precedes it."""
        portal, agency_id = _world(storage)
        consumer = _Consumer(portal, agency_id, "webhooks")
        for round_, crash_after in enumerate((0, 1, 2, 5, 4)):
            consumer.run(page_size=page_size, crash_after=crash_after)
            _more_changes(portal, agency_id, round_)
        consumer.run(page_size=page_size)
        whole = portal.feed(agency_id, limit=1000).events
        first_seen: dict[int, FeedEvent] = {}
        for found in consumer.handled:
            first_seen.setdefault(found.position, found)
        # Each event first handled after every event before it, none left out.
        assert list(first_seen.values()) == list(whole)
        assert [e.name for e in whole] == [e.action for e in portal.events(agency_id)]

    def test_EV1_consumers_keep_cursors_of_their_own_that_only_move_forward(
        self, storage: Storage
    ) -> None:
        """Two consumers' cursors are apart; acknowledging an older cursor keeps the newer;
        a cursor past the agency's last event is refused and changes nothing."""
        portal, agency_id = _world(storage)
        page = portal.feed(agency_id, limit=2)
        assert portal.acknowledge(agency_id, "webhooks", page.cursor) == page.cursor
        assert portal.acknowledged(agency_id, "search-index") == 0
        assert portal.acknowledge(agency_id, "webhooks", page.events[0].position) == page.cursor
        last = portal.feed(agency_id, after=page.cursor, limit=1000).cursor
        with pytest.raises(InvalidInput):
            portal.acknowledge(agency_id, "webhooks", last + 1)
        assert portal.acknowledged(agency_id, "webhooks") == page.cursor
        assert portal.acknowledge(agency_id, "webhooks", last) == last
