"""Projections of the billing runs, pure: upcoming invoices, forecasts and top-ups (P2, F1,
F2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

from resell_core.billing.forecast import Projection, forecast, months_from, project
from resell_core.billing.top_ups import TopUpPolicy, top_up_amount, top_up_key, top_up_window
from resell_core.errors import InvalidInput
from resell_core.lifecycle.account import Account, AccountStatus, PendingChange
from resell_core.lifecycle.policy import LifecyclePolicy
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing import Catalog
from resell_core.pricing.selection import PlanSelection

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = PlanSelection("V3", "marketing", "starter", 2500, "monthly")
RATE = Decimal("0.2")


def usd(amount: str) -> Money:
    """US dollars."""
    return Money(amount, "USD")


def _account(account_id: str = "acc-north-bakery", **changes: Any) -> Account:
    base = Account(
        id=account_id,
        agency_id="ACME-DIGITAL",
        name=account_id.removeprefix("acc-"),
        client_name="North Bakery",
        notification_email="billing@acme.test",
        country="US",
        region="us",
        language="en",
        timezone="UTC",
        plan=PLUS,
        created_on=date(2024, 1, 31),
        status=AccountStatus.ACTIVE,
        billing_profile_id="card-main",
        purchased_on=date(2024, 1, 31),
        anchor=date(2024, 1, 31),
        next_period=1,
        paid_through=date(2024, 2, 29),
    )
    return attrs.evolve(base, **changes)


def _project(
    accounts: list[Account],
    *,
    start: date = date(2024, 2, 1),
    end: date = date(2024, 5, 1),
    earmarked: dict[str, Money] | None = None,
    pools: dict[str, Money] | None = None,
) -> Projection:
    return project(
        accounts,
        catalog=Catalog.sample(),
        policy=LifecyclePolicy(),
        reseller_rate=RATE,
        currency="USD",
        earmarked=earmarked or {},
        pools=pools or {},
        start=start,
        end=end,
    )


def test_F1_a_31st_anchor_is_projected_on_feb_29_then_mar_31() -> None:
    """Periods come from the anchor, as the run bills them: Feb 29, Mar 31, Apr 30."""
    projection = _project([_account()])

    assert [i.issued_on for i in projection.invoices] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]
    assert all(i.total == usd("96.00") and i.card == i.total for i in projection.invoices)


def test_P2_a_period_already_due_is_issued_on_the_first_day() -> None:
    """A period whose first day has passed unbilled is billed by the first day's run."""
    projection = _project([_account()], start=date(2024, 3, 5), end=date(2024, 3, 6))

    [late] = projection.invoices
    assert (late.issued_on, late.period.start) == (date(2024, 3, 5), date(2024, 2, 29))


def test_F1_earmarked_credit_then_the_pool_then_the_card() -> None:
    """USD 50 earmarked, USD 100 in the pool: 50 + 46, then 54 + 42 card, then card."""
    projection = _project(
        [_account()],
        earmarked={"acc-north-bakery": usd("50")},
        pools={"card-main": usd("100")},
    )

    splits = [(i.earmarked, i.pool, i.card) for i in projection.invoices]
    assert splits == [
        (usd("50"), usd("46.00"), usd("0.00")),
        (usd("0"), usd("54.00"), usd("42.00")),
        (usd("0"), usd("0.00"), usd("96.00")),
    ]
    wallets = {w.wallet: w.runs_out_on for w in projection.wallets}
    assert wallets == {
        "account:acc-north-bakery": date(2024, 2, 29),
        "profile:card-main": date(2024, 3, 31),
    }


def test_F1_accounts_of_one_day_draw_the_pool_in_id_order() -> None:
    """Two accounts billed the same day share the pool in the run's order, by id."""
    accounts = [_account("acc-south-florist"), _account("acc-east-butcher")]
    projection = _project(accounts, end=date(2024, 3, 1), pools={"card-main": usd("100")})

    assert [(i.account_id, i.pool) for i in projection.invoices] == [
        ("acc-east-butcher", usd("96.00")),
        ("acc-south-florist", usd("4.00")),
    ]


def test_F1_a_scheduled_downgrade_takes_effect_at_its_term_boundary() -> None:
    """Starter from Mar 31 on: the plan in force and its lower price."""
    pending = PendingChange(STARTER, date(2024, 3, 31))

    projection = _project([_account(pending_change=pending)])

    assert [i.plan.tier for i in projection.invoices] == ["plus", "starter", "starter"]
    assert [i.total for i in projection.invoices][1:] == [usd("36.00")] * 2


def test_F1_a_cancelled_account_is_projected_only_before_its_cancellation() -> None:
    """Cancelled on Mar 10: February's period only."""
    cancelled = _account(status=AccountStatus.CANCELLED, cancelled_on=date(2024, 3, 10))

    projection = _project([cancelled])

    assert [i.period.start for i in projection.invoices] == [date(2024, 2, 29)]


def test_F1_an_account_the_catalog_cannot_price_is_a_problem_not_a_crash() -> None:
    """An unknown tier stops that account's projection with its code; others go on."""
    odd = _account("acc-odd", plan=attrs.evolve(PLUS, tier="platinum"))

    projection = _project([odd, _account()])

    assert [p.account_id for p in projection.problems] == ["acc-odd"]
    assert {i.account_id for i in projection.invoices} == {"acc-north-bakery"}


def test_F1_months_count_from_the_start_day_and_add_up() -> None:
    """Months from Feb 1: each month's card adds up to the projection's, per profile."""
    months = months_from(date(2024, 2, 1), 3)
    projection = _project([_account()], pools={"card-main": usd("100")})

    result = forecast(projection, agency_id="ACME-DIGITAL", currency="USD", months=months)

    assert [m.card for m in result.months] == [usd("0.00"), usd("92.00"), usd("96.00")]
    assert result.card_of("card-main") == (usd("0.00"), usd("92.00"), usd("96.00"))
    assert [m.credit_left for m in result.months] == [usd("4.00"), usd("0.00"), usd("0.00")]
    assert result.credit_runs_out_on == date(2024, 3, 31)
    assert [r["card"] for r in result.to_records()] == [
        Decimal("0.00"),
        Decimal("92.00"),
        Decimal("96.00"),
    ]


def test_F2_the_window_runs_to_next_months_top_up_day_clamped_to_the_month() -> None:
    """Day 31 tops up on Feb 29 for the days until Mar 31; none before the day."""
    assert top_up_window(TopUpPolicy(day=31), date(2024, 2, 29)) == Period(
        date(2024, 2, 29), date(2024, 3, 31)
    )
    assert top_up_window(TopUpPolicy(day=15), date(2024, 2, 14)) is None
    assert top_up_window(TopUpPolicy(day=15), date(2024, 2, 20)) == Period(
        date(2024, 2, 20), date(2024, 3, 15)
    )
    assert top_up_key("card-main", date(2024, 2, 20)) == "top-up:card-main:2024-02"


def test_F2_forecast_mode_buys_the_card_need_threshold_mode_fills_to_target() -> None:
    """Forecast: what the card would pay; threshold: up to the target, only below it."""
    assert top_up_amount(TopUpPolicy(), pool=usd("0"), card_needed=usd("96.00")) == usd("96.00")
    refill = TopUpPolicy(threshold=usd("50"), target=usd("300"))
    assert top_up_amount(refill, pool=usd("20"), card_needed=usd("0")) == usd("280")
    assert top_up_amount(refill, pool=usd("50"), card_needed=usd("0")).is_zero()


@pytest.mark.parametrize(
    "changes",
    [
        {"day": 0},
        {"day": 32},
        {"threshold": usd("50")},
        {"threshold": usd("50"), "target": usd("20")},
        {"threshold": usd("50"), "target": Money("300", "EUR")},
        {"threshold": usd("0.001"), "target": usd("300")},
    ],
)
def test_F2_a_policy_with_bad_figures_is_refused(changes: dict[str, Any]) -> None:
    """Days 1-31; both threshold and target or neither, in one currency, target above."""
    with pytest.raises(InvalidInput):
        TopUpPolicy(**changes)
