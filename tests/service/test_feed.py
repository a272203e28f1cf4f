"""The event feed through the portal (EV1), on memory, SQLite and PostgreSQL: every
change's events in commit order, nothing of a failed command, one agency's alone."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import resell_core as rc
from resell_core.agency_api.schema import check
from resell_core.serialization import to_json

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")

AddActive = Callable[..., rc.Account]
Form = Callable[..., rc.NewAccount]


def _names(page: rc.FeedPage) -> list[str]:
    return [e.name for e in page.events]


def test_EV1_every_change_is_in_the_feed_as_its_audit_log_in_order(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Registering, a card, an account and its billing: the feed is the audit log, each
    entry under its position, positions increasing."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    portal.cancel_account(acme.id, bakery.id, "closed the shop")

    page = portal.feed(acme.id, limit=1000)

    assert _names(page) == [e.action for e in portal.events(acme.id)]
    assert _names(page)[0] == "agency_registered"
    assert {"invoice_issued", "payment_paid"} <= set(_names(page))
    assert _names(page)[-1] == "account_cancelled"
    positions = [e.position for e in page.events]
    assert positions == sorted(set(positions))
    assert (page.cursor, page.more) == (positions[-1], False)


def test_EV1_a_failed_command_adds_nothing_to_the_feed(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    form: Form,
) -> None:
    """A second north-bakery is refused: the feed after the last cursor stays empty."""
    add_active("north-bakery", PLUS)
    cursor = portal.feed(acme.id, limit=1000).cursor

    with pytest.raises(rc.DuplicateName):
        portal.add_account(acme.id, form("north-bakery", PLUS, card.id))

    assert portal.feed(acme.id, after=cursor).events == ()


def test_EV1_an_agencys_feed_holds_none_of_another_agencys_events(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency
) -> None:
    """Globex registered after Acme: neither feed holds the other's entries; a handle
    reads its own agency's feed; an unknown agency's feed is not found."""
    acme_page = portal.feed(acme.id, limit=1000)
    globex_page = portal.feed(globex.id, limit=1000)

    assert {e.agency_id for e in acme_page.events} == {acme.id}
    assert _names(globex_page) == ["agency_registered"]
    assert portal.for_agency(globex.id).feed() == globex_page
    with pytest.raises(rc.NotFound):
        portal.feed("agency-nobody")
    with pytest.raises(rc.NotFound):
        portal.acknowledge("agency-nobody", "webhooks", 0)


def test_EV1_pages_follow_one_another_without_gaps_or_repeats(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Pages of two, read on from each page's cursor, put the whole feed together."""
    for name in ("north-bakery", "south-florist"):
        add_active(name, PLUS)
    whole = portal.feed(acme.id, limit=1000).events
    read: list[rc.FeedEvent] = []
    cursor = 0
    while True:
        page = portal.feed(acme.id, after=cursor, limit=2)
        read.extend(page.events)
        cursor = page.cursor
        if not page.more:
            break
    assert tuple(read) == whole
    assert portal.feed(acme.id, after=cursor).events == ()


@pytest.mark.adapters("memory", reason="argument checks come before any storage")
@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda p, a: p.feed(a, after=-1), "after"),
        (lambda p, a: p.feed(a, limit=0), "limit"),
        (lambda p, a: p.feed(a, limit=1001), "limit"),
        (lambda p, a: p.acknowledge(a, " webhooks", 0), "consumer"),
        (lambda p, a: p.acknowledge(a, "", 0), "consumer"),
        (lambda p, a: p.acknowledge(a, "web\nhooks", 0), "consumer"),
        (lambda p, a: p.acknowledge(a, "webhooks", -3), "cursor"),
        (lambda p, a: p.acknowledge(a, "webhooks", 2**63), "cursor"),
        (lambda p, a: p.acknowledged(a, "x" * 101), "consumer"),
    ],
)
def test_EV1_bad_cursors_limits_and_consumer_names_are_refused(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    call: Callable[[rc.PartnerPortal, str], object],
    field: str,
) -> None:
    """Each is InvalidInput naming the field; no cursor is stored."""
    with pytest.raises(rc.InvalidInput) as refused:
        call(portal, acme.id)
    assert [p.field for p in refused.value.problems] == [field]
    assert portal.acknowledged(acme.id, "webhooks") == 0


def test_EV1_every_event_of_a_year_is_valid_json_of_the_schema(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Each event's JSON (the library's converter) conforms to FEED_EVENT_SCHEMA and
    reads back as the same event."""
    bakery = add_active("north-bakery", PLUS)
    portal.disable_account(acme.id, bakery.id, "Unpaid invoice: call ACME")
    for event in portal.feed(acme.id, limit=1000).events:
        data = json.loads(to_json(event))
        assert check(data, rc.FEED_EVENT_SCHEMA) == [], data
        assert rc.serialization.structure(data, rc.FeedEvent) == event
