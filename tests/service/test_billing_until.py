"""How far a billing run may go (M1, E1): ``until`` is a date no later than today in the
billing time zone, or the policy's horizon; anything else is refused the same way on
every adapter, before anything is read or written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

import resell_core as rc
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.testing.portal import SAMPLE_START, sample_agency, sample_card, stored_state

from .conftest import NewPortal

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
Form = Callable[..., rc.NewAccount]


@pytest.fixture
def billed(new_portal: NewPortal, form: Form) -> tuple[rc.PartnerPortal, rc.Agency]:
    """A portal on each adapter at 2024-04-11 with north-bakery, one paid account still
    being provisioned (a run would first make it active and charge it)."""
    portal = new_portal(start=SAMPLE_START)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    portal.add_account(acme.id, form("north-bakery", PLUS, card.id))
    return portal, acme


def _charges(portal: rc.PartnerPortal) -> int:
    gateway = portal.gateway
    assert isinstance(gateway, SimulatedGateway)
    return len(gateway.charges)


@pytest.mark.parametrize(
    "until",
    [date(2100, 1, 1), date(9999, 12, 31), SAMPLE_START + timedelta(days=1)],
    ids=["2100", "date-max", "tomorrow"],
)
def test_M1_a_run_never_bills_beyond_today(
    billed: tuple[rc.PartnerPortal, rc.Agency], until: date
) -> None:
    """until after today is InvalidInput naming until; nothing is charged or written."""
    portal, acme = billed
    before = stored_state(portal, acme.id)

    with pytest.raises(rc.InvalidInput) as raised:
        portal.run_billing(until=until)

    assert [p.field for p in raised.value.problems] == ["until"]
    assert _charges(portal) == 0
    assert stored_state(portal, acme.id) == before


@pytest.mark.parametrize(
    "until",
    [datetime(2024, 4, 11, 9, tzinfo=UTC), "2024-04-11", 20240411],
    ids=["datetime", "text", "int"],
)
def test_E1_a_run_refuses_an_until_that_is_not_a_date(
    billed: tuple[rc.PartnerPortal, rc.Agency], until: object
) -> None:
    """A datetime, text or number for until is InvalidInput on every adapter; nothing moves."""
    portal, acme = billed
    before = stored_state(portal, acme.id)

    with pytest.raises(rc.InvalidInput) as raised:
        portal.run_billing(until=until)  # type: ignore[arg-type]

    assert [p.field for p in raised.value.problems] == ["until"]
    assert stored_state(portal, acme.id) == before


def test_M1_a_run_bills_until_today_or_an_earlier_day(
    billed: tuple[rc.PartnerPortal, rc.Agency],
) -> None:
    """Yesterday and today are accepted: today's run charges north-bakery once."""
    portal, _ = billed

    portal.run_billing(until=SAMPLE_START - timedelta(days=1))
    report = portal.run_billing(until=SAMPLE_START)

    assert report.invoices_created == 1
    assert _charges(portal) == 1


def test_M1_today_is_the_billing_time_zone_s_day(new_portal: NewPortal) -> None:
    """At 23:30 UTC on 11 April it is already 12 April in Tokyo: a Tokyo run bills it."""
    late = datetime(2024, 4, 11, 23, 30, tzinfo=UTC)
    tokyo = new_portal(start=late, billing_timezone="Asia/Tokyo")
    utc = new_portal(start=late)

    tokyo.run_billing(until=date(2024, 4, 12))
    with pytest.raises(rc.InvalidInput):
        utc.run_billing(until=date(2024, 4, 12))


def test_M1_a_policy_horizon_lets_a_run_bill_ahead_that_far_only(new_portal: NewPortal) -> None:
    """With a 30-day horizon a run may bill until 11 May, and not 12 May."""
    policies = rc.Policies(
        credentials=rc.Policies.embedded().credentials,
        billing_run=rc.BillingRunPolicy(horizon_days=30),
    )
    portal = new_portal(start=SAMPLE_START, policies=policies)

    portal.run_billing(until=date(2024, 5, 11))
    with pytest.raises(rc.InvalidInput) as raised:
        portal.run_billing(until=date(2024, 5, 12))

    assert "30 days" in raised.value.message


def test_M1_a_horizon_is_a_whole_number_of_days_from_zero() -> None:
    """A negative or non-integer horizon is refused when the policy is made."""
    with pytest.raises(rc.InvalidInput):
        rc.BillingRunPolicy(horizon_days=-1)
    with pytest.raises(rc.InvalidInput):
        rc.BillingRunPolicy(horizon_days=True)
