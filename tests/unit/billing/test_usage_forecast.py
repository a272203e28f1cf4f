"""When unit credits run out at the rate an account has used them, pure (C7, F1)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from resell_core.billing.ledger import OUTSIDE, SPENT, CreditKind, Movement, account_wallet
from resell_core.billing.usage_forecast import (
    USAGE_DAYS,
    UnitCreditForecast,
    unit_credit_forecast,
)
from resell_core.errors import InvalidInput
from resell_core.serialization import from_json, to_json

SMS = CreditKind.SMS
PREVIEW = CreditKind.INBOX_PREVIEW
TODAY = date(2024, 3, 31)


def _use(account_id: str, kind: CreditKind, count: int, on: date, n: int = 0) -> Movement:
    return Movement(
        f"usage/{account_id}/{on.isoformat()}-{n}",
        "ACME-DIGITAL",
        kind,
        Decimal(count),
        account_wallet(account_id),
        SPENT,
        on,
        f"{count} used",
    )


def _daily(account_id: str, kind: CreditKind, days: int, count: int = 1) -> list[Movement]:
    """``count`` used each day of the ``days`` days up to today."""
    return [_use(account_id, kind, count, TODAY - timedelta(days=k)) for k in range(days)]


def test_C7_F1_100_sms_30_used_over_30_days_run_out_70_days_on() -> None:
    """100 SMS, one used a day for 30 days: 70 left at 1 a day, zero on 2024-06-09."""
    forecast = unit_credit_forecast(
        {("acc-bakery", SMS): Decimal(70)}, _daily("acc-bakery", SMS, 30), today=TODAY
    )

    (runway,) = forecast.runways
    assert (runway.balance, runway.used, runway.days) == (Decimal(70), Decimal(30), 30)
    assert runway.daily_rate == Fraction(1)
    assert runway.days_left == 70
    assert runway.runs_out_on == date(2024, 6, 9) == TODAY + timedelta(days=70)
    assert forecast.runs_out_on("acc-bakery", "sms") == date(2024, 6, 9)
    assert forecast.since == date(2024, 3, 2)
    assert forecast.to_records() == [
        {
            "account_id": "acc-bakery",
            "kind": "sms",
            "balance": Decimal(70),
            "used": Decimal(30),
            "days": 30,
            "daily_rate": Fraction(1),
            "days_left": 70,
            "runs_out_on": date(2024, 6, 9),
        }
    ]


def test_C7_F1_a_rate_that_does_not_divide_the_balance_runs_out_on_the_day_it_crosses_zero() -> (
    None
):
    """7 used over 30 days (7/30 a day), 10 left: 10 / (7/30) = 42.86 days, so the
    balance reaches zero during the 43rd day."""
    forecast = unit_credit_forecast(
        {("acc-bakery", SMS): Decimal(10)},
        [_use("acc-bakery", SMS, 7, TODAY - timedelta(days=3))],
        today=TODAY,
    )

    (runway,) = forecast.runways
    assert runway.daily_rate == Fraction(7, 30)
    assert runway.runs_out_on == TODAY + timedelta(days=43)


def test_C7_F1_an_account_that_used_nothing_has_no_day() -> None:
    """Credits held and none used over the days (an older use is outside them): None."""
    old = _use("acc-bakery", SMS, 50, TODAY - timedelta(days=USAGE_DAYS))
    forecast = unit_credit_forecast({("acc-bakery", SMS): Decimal(70)}, [old], today=TODAY)

    (runway,) = forecast.runways
    assert (runway.used, runway.daily_rate, runway.runs_out_on) == (Decimal(0), Fraction(0), None)
    assert runway.days_left is None


def test_C7_F1_only_uses_of_the_window_and_to_spent_count() -> None:
    """Credit assigned to the account, a use tomorrow (not yet), a use 30 days ago (the
    window's first day is 29 days ago), a use of another kind: none counts as SMS use."""
    wallet = account_wallet("acc-bakery")
    assigned = Movement("m1", "ACME-DIGITAL", SMS, Decimal(100), OUTSIDE, wallet, TODAY, "in")
    uses = [
        assigned,
        _use("acc-bakery", SMS, 5, TODAY + timedelta(days=1)),
        _use("acc-bakery", SMS, 5, TODAY - timedelta(days=30)),
        _use("acc-bakery", PREVIEW, 3, TODAY),
        _use("acc-bakery", SMS, 3, TODAY - timedelta(days=29)),
    ]
    forecast = unit_credit_forecast(
        {("acc-bakery", SMS): Decimal(100), ("acc-bakery", PREVIEW): Decimal(0)},
        uses,
        today=TODAY,
    )

    assert [(r.kind, r.used) for r in forecast.runways] == [
        (SMS, Decimal(3)),
        (PREVIEW, Decimal(3)),
    ]
    assert forecast.of("acc-bakery", PREVIEW) is not None
    assert forecast.runs_out_on("acc-bakery", PREVIEW) == TODAY  # holds none, still uses


def test_C7_F1_several_accounts_and_kinds_each_at_their_own_rate() -> None:
    """The bakery's SMS and previews and the florist's SMS, by account then kind; an
    account holding nothing and using nothing is left out."""
    uses = (
        _daily("acc-bakery", SMS, 10, count=3)  # 30 over 30 days: 1 a day
        + _daily("acc-bakery", PREVIEW, 15)  # 15 over 30 days: 1/2 a day
        + _daily("acc-florist", SMS, 30, count=2)  # 60 over 30 days: 2 a day
    )
    forecast = unit_credit_forecast(
        {
            ("acc-florist", SMS): Decimal(90),
            ("acc-bakery", SMS): Decimal(70),
            ("acc-bakery", PREVIEW): Decimal(8),
            ("acc-cafe", SMS): Decimal(0),
            ("acc-cafe", PREVIEW): Decimal(0),
        },
        uses,
        today=TODAY,
    )

    assert [(r.account_id, r.kind, r.daily_rate, r.runs_out_on) for r in forecast.runways] == [
        ("acc-bakery", SMS, Fraction(1), date(2024, 6, 9)),
        ("acc-bakery", PREVIEW, Fraction(1, 2), date(2024, 4, 16)),
        ("acc-florist", SMS, Fraction(2), date(2024, 5, 15)),
    ]
    assert forecast.of("acc-cafe", SMS) is None
    assert forecast.runs_out_on("acc-cafe", SMS) is None


def test_C7_F1_the_rate_is_taken_over_the_days_given() -> None:
    """Over the last 7 days only: 7 of the 30 uses, 1 a day still; over 1 day: today's."""
    uses = _daily("acc-bakery", SMS, 30)
    balances = {("acc-bakery", SMS): Decimal(70)}

    week = unit_credit_forecast(balances, uses, today=TODAY, days=7)
    today_only = unit_credit_forecast(balances, uses, today=TODAY, days=1)

    assert (week.runways[0].used, week.runways[0].daily_rate) == (Decimal(7), Fraction(1))
    assert today_only.runways[0].used == Decimal(1)
    assert week == UnitCreditForecast(TODAY, 7, week.runways)


@pytest.mark.parametrize("days", [0, 367, True])
def test_C7_F1_a_rate_over_0_or_more_than_366_days_is_refused(days: int) -> None:
    """1 to 366 days."""
    with pytest.raises(InvalidInput):
        unit_credit_forecast({}, [], today=TODAY, days=days)


def test_C7_F1_the_figures_go_to_json_and_back_exactly() -> None:
    """The rate is written as an exact fraction ("7/30") and read back the same."""
    forecast = unit_credit_forecast(
        {("acc-bakery", SMS): Decimal(10)},
        [_use("acc-bakery", SMS, 7, TODAY)],
        today=TODAY,
    )

    text = to_json(forecast)

    assert '"daily_rate": "7/30"' in text
    assert from_json(text, UnitCreditForecast) == forecast
    exact = from_json(text.replace('"7/30"', "0.25"), UnitCreditForecast)  # read as Decimal
    assert exact.runways[0].daily_rate == Fraction(1, 4)
    for bad in ('"7/0"', '"a week"', "true"):
        with pytest.raises(InvalidInput):
            from_json(text.replace('"7/30"', bad), UnitCreditForecast)
