"""The forecast says when each account's unit credits run out at the rate it has used
them, from the uses recorded in the ledger, on every adapter (C7, F1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import resell_core as rc

AddActive = Callable[..., rc.Account]
State = Callable[..., Any]


def _on(portal: rc.PartnerPortal, day: date) -> None:
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.set(rc.PartnerPortal.embedded(start=day).clock.now())


def test_C7_F1_the_forecast_says_when_reported_uses_empty_the_accounts_credits(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    state: State,
) -> None:
    """North Bakery holds 100 SMS and 10 inbox previews from 2024-04-11; the hosted product
    reports 10 SMS on 2024-04-11, 04-21 and 05-01, and 2 previews. On 2024-05-10 the
    30 days up to today hold all 30 SMS used: 70 left at 1 a day, zero on 2024-07-19;
    8 previews left at 1/15 a day, zero 120 days on. South Florist holds 50 SMS and
    used none: no day. The forecast writes nothing."""
    start = date(2024, 4, 11)
    bakery = add_active("north-bakery")
    florist = add_active("south-florist")
    portal.buy_credits(acme.id, "sms", 100, card.id, bakery.id)
    portal.buy_credits(acme.id, "inbox_preview", 10, card.id, bakery.id)
    portal.buy_credits(acme.id, "sms", 50, card.id, florist.id)
    for days, usage_id in ((0, "sms-1"), (10, "sms-2"), (20, "sms-3")):
        _on(portal, start + timedelta(days=days))
        portal.record_usage(acme.id, bakery.id, "sms", 10, usage_id)
    portal.record_usage(acme.id, bakery.id, "inbox_preview", 2, "ip-1")
    today = date(2024, 5, 10)
    _on(portal, today)
    before = state(acme.id)

    forecast = portal.forecast(acme.id, months=3)

    assert state(acme.id) == before
    units = forecast.unit_credits
    assert (units.start, units.days, units.since) == (today, 30, start)
    sms = units.of(bakery.id, "sms")
    assert sms is not None
    assert (sms.balance, sms.used, sms.daily_rate) == (Decimal(70), Decimal(30), Fraction(1))
    assert sms.runs_out_on == date(2024, 7, 19) == today + timedelta(days=70)
    previews = units.of(bakery.id, rc.CreditKind.INBOX_PREVIEW)
    assert previews is not None
    assert (previews.balance, previews.daily_rate) == (Decimal(8), Fraction(1, 15))
    assert previews.runs_out_on == today + timedelta(days=120)
    quiet = units.of(florist.id, "sms")
    assert quiet is not None
    assert (quiet.balance, quiet.used, quiet.runs_out_on) == (Decimal(50), Decimal(0), None)
    assert units.of(florist.id, "inbox_preview") is None
    assert [(r["account_id"], r["kind"]) for r in units.to_records()] == sorted(
        [(bakery.id, "sms"), (bakery.id, "inbox_preview"), (florist.id, "sms")],
        key=lambda k: (k[0], k[1] != "sms"),
    )

    # Over the last 10 days only the use of 2024-05-01 counts: 1 a day again.
    week = portal.forecast(acme.id, months=1, usage_days=10).unit_credits
    assert week.runs_out_on(bakery.id, "sms") == date(2024, 7, 19)
    # The next day, the first use (2024-04-11) has left the 30 days: 20 over 30.
    _on(portal, today + timedelta(days=1))
    later = portal.forecast(acme.id, months=1).unit_credits.of(bakery.id, "sms")
    assert later is not None
    assert (later.used, later.daily_rate) == (Decimal(20), Fraction(2, 3))
    assert later.runs_out_on == today + timedelta(days=1 + 105)


@pytest.mark.parametrize("usage_days", [0, 367])
def test_C7_F1_a_rate_over_0_or_more_than_366_days_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, usage_days: int
) -> None:
    """The rate's days are 1 to 366."""
    with pytest.raises(rc.InvalidInput):
        portal.forecast(acme.id, usage_days=usage_days)
