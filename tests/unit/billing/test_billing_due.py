"""What is due: anchored periods, each once, in order (B1, B2, A11, K3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

from resell_core.billing.due import due_for_all, due_periods
from resell_core.billing.run import bill_period, price_due
from resell_core.errors import InvalidInput
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus, PendingChange
from resell_core.periods import Period
from resell_core.pricing import Catalog, MigrationDiscount
from resell_core.pricing.selection import PlanSelection

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = PlanSelection("V3", "marketing", "starter", 2500, "monthly")
PLUS_ANNUAL = PlanSelection("V3", "marketing", "plus", 2500, "annual")
TRIAL = PlanSelection("V1", "EM", "trial")


def _account(**changes: Any) -> Account:
    base = Account(
        id="acc-north-bakery",
        agency_id="ACME-DIGITAL",
        name="north-bakery",
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
        anchor=date(2024, 1, 31),
    )
    return attrs.evolve(base, **changes)


def _starts(account: Account, until: date) -> list[date]:
    return [d.period.start for d in due_periods(account, until)]


def test_A11_monthly_plan_is_charged_every_month() -> None:
    """A monthly account is due once a month from its anchor."""
    account = _account(anchor=date(2024, 1, 10))
    assert _starts(account, date(2024, 4, 30)) == [
        date(2024, 1, 10),
        date(2024, 2, 10),
        date(2024, 3, 10),
        date(2024, 4, 10),
    ]


def test_A11_annual_plan_is_charged_every_year() -> None:
    """An annual account is due once a year on its anchor day."""
    account = _account(plan=PLUS_ANNUAL, anchor=date(2022, 6, 1))
    assert _starts(account, date(2024, 12, 31)) == [
        date(2022, 6, 1),
        date(2023, 6, 1),
        date(2024, 6, 1),
    ]


def test_month_end_anchor_bills_on_feb_29_then_mar_31() -> None:
    """An anchor on the 31st bills on Feb 29 (leap year) and back on Mar 31."""
    account = _account(anchor=date(2024, 1, 31))
    assert _starts(account, date(2024, 4, 30)) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]
    common_year = _account(anchor=date(2023, 1, 31))
    assert _starts(common_year, date(2023, 3, 31))[1:] == [date(2023, 2, 28), date(2023, 3, 31)]


def test_leap_day_annual_anchor_bills_feb_28_in_common_years() -> None:
    """An annual anchor on Feb 29 bills on Feb 28 in common years and Feb 29 in leap years."""
    account = _account(plan=PLUS_ANNUAL, anchor=date(2024, 2, 29))
    assert _starts(account, date(2028, 3, 1)) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_A11_period_is_due_on_its_start_day_not_before() -> None:
    """``until`` is inclusive: the renewal day itself is due, the day before is not."""
    account = _account(anchor=date(2024, 1, 10), next_period=1)
    assert _starts(account, date(2024, 2, 9)) == []
    assert _starts(account, date(2024, 2, 10)) == [date(2024, 2, 10)]


def test_catch_up_after_missed_runs_bills_each_missed_period_once_in_order() -> None:
    """A run after an outage returns every missed period once; a rerun returns nothing."""
    account = _account(anchor=date(2024, 1, 10), next_period=1, paid_through=date(2024, 2, 10))
    due = due_periods(account, date(2024, 5, 10))
    assert [(d.index, d.period.start) for d in due] == [
        (1, date(2024, 2, 10)),
        (2, date(2024, 3, 10)),
        (3, date(2024, 4, 10)),
        (4, date(2024, 5, 10)),
    ]
    catalog = Catalog.sample()
    for d in due:
        figures = price_due(catalog, d, reseller_rate=Decimal("0.2"))
        account = bill_period(
            account, d, figures, invoice_id=d.key, number=1, issued_on=date(2024, 5, 10)
        ).account
    assert due_periods(account, date(2024, 5, 10)) == []
    assert account.paid_through == date(2024, 6, 10)


def test_B1_disabled_accounts_are_billed_like_active_ones() -> None:
    """Paid and disabled accounts are both billed."""
    for status in (AccountStatus.ACTIVE, AccountStatus.DISABLED):
        assert _starts(_account(status=status), date(2024, 1, 31)) == [date(2024, 1, 31)]


@pytest.mark.parametrize(
    "changes",
    [
        {"plan": TRIAL},
        {"plan": PlanSelection("V1", "EM", "sandbox")},
        {"status": AccountStatus.EXPIRED},
        {"status": AccountStatus.ARCHIVED},
        {"status": AccountStatus.CREATING},
        {"anchor": None},
    ],
    ids=["trial", "sandbox", "expired", "archived", "creating", "no-term"],
)
def test_B1_trials_sandboxes_and_stopped_accounts_are_never_billed(
    changes: dict[str, object],
) -> None:
    """Trials, sandboxes, expired, archived and still-creating accounts owe nothing."""
    assert due_periods(_account(**changes), date(2025, 1, 1)) == []


def test_K3_commission_accounts_are_never_billed_to_the_agency() -> None:
    """A commission account on a paid plan owes the agency nothing."""
    assert due_periods(_account(kind=AccountKind.COMMISSION), date(2025, 1, 1)) == []


def test_B1_cancelled_account_is_not_billed_after_cancelling() -> None:
    """Periods that start on or after the cancellation day are not due."""
    account = _account(
        anchor=date(2024, 1, 10),
        status=AccountStatus.CANCELLED,
        cancelled_on=date(2024, 3, 5),
    )
    assert _starts(account, date(2024, 12, 31)) == [
        date(2024, 1, 10),
        date(2024, 2, 10),
    ]


def test_B2_accounts_sharing_a_profile_are_billed_separately_on_their_own_days() -> None:
    """Two accounts on one profile each get their own periods and keys."""
    first = _account(id="acc-north-bakery", anchor=date(2024, 3, 3))
    second = _account(id="acc-south-cafe", name="south-cafe", anchor=date(2024, 3, 20))
    due = list(due_for_all([first, second], date(2024, 4, 5)))
    assert [(d.account_id, d.period.start) for d in due] == [
        ("acc-north-bakery", date(2024, 3, 3)),
        ("acc-north-bakery", date(2024, 4, 3)),
        ("acc-south-cafe", date(2024, 3, 20)),
    ]
    assert len({d.key for d in due}) == 3
    assert {d.profile_id for d in due} == {"card-main"}


def test_A11_scheduled_downgrade_applies_from_the_term_boundary() -> None:
    """A pending downgrade prices the periods starting on or after its effective day."""
    account = _account(
        anchor=date(2024, 1, 10),
        pending_change=PendingChange(STARTER, date(2024, 3, 10)),
    )
    plans = [d.plan.tier for d in due_periods(account, date(2024, 4, 10))]
    assert plans == ["plus", "plus", "starter", "starter"]


def test_A11_migration_discount_on_first_charge_reseller_discount_every_cycle() -> None:
    """Cycle 0 gets the migration discount; every cycle gets the reseller discount."""
    catalog = Catalog.sample()
    due = due_periods(_account(anchor=date(2024, 1, 10)), date(2024, 3, 10))
    migration = MigrationDiscount(Decimal("0.5"))
    prices = [price_due(catalog, d, reseller_rate=Decimal("0.2"), migration=migration) for d in due]
    assert [p.migration_discount.is_positive() for p in prices] == [True, False, False]
    assert all(p.reseller_discount == prices[0].reseller_discount for p in prices)
    assert prices[0].reseller_discount.is_positive()


def test_A11_billing_a_period_out_of_order_is_refused() -> None:
    """A period already billed cannot be billed again through the run step."""
    account = _account(anchor=date(2024, 1, 10))
    first = due_periods(account, date(2024, 1, 10))[0]
    figures = price_due(Catalog.sample(), first, reseller_rate=Decimal(0))
    billed = bill_period(
        account, first, figures, invoice_id="inv-1", number=1, issued_on=date(2024, 1, 10)
    )
    assert billed.invoice.period_key == "acc-north-bakery/2024-01-10"
    assert billed.account.paid_through == date(2024, 2, 10)
    with pytest.raises(InvalidInput, match="next period to bill"):
        bill_period(
            billed.account,
            first,
            figures,
            invoice_id="inv-2",
            number=2,
            issued_on=date(2024, 1, 10),
        )
    assert Period(date(2024, 1, 10), date(2024, 2, 10)) == first.period


def _first_due_and_price(account: Account) -> tuple[Any, Any]:
    first = due_periods(account, account.anchor or date(2024, 1, 31))[0]
    return first, price_due(Catalog.sample(), first, reseller_rate=Decimal(0))


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("period", {"period": Period(date(2024, 1, 31), date(2025, 1, 31))}),  # a year
        ("period", {"period": Period(date(2024, 2, 29), date(2024, 3, 31))}),  # next month's
        ("plan", {"plan": STARTER}),
        ("agency", {"agency_id": "OTHER-AGENCY"}),
        ("profile", {"profile_id": "card-other"}),
        ("key", {"key": "acc-north-bakery/again"}),
    ],
)
def test_B1_B2_a_period_that_due_periods_would_not_give_is_refused(
    field: str, changes: dict[str, Any]
) -> None:
    """A hand-made due period of the account's next index, but not the one its term and
    plan give (a year billed at a month's price, another start, plan, payer or key), is
    refused, naming what differs."""
    account = _account()
    first, figures = _first_due_and_price(account)
    made = attrs.evolve(first, **changes)

    with pytest.raises(InvalidInput, match="due_periods") as refused:
        bill_period(account, made, figures, invoice_id="i", number=1, issued_on=first.period.start)

    assert [problem.field for problem in refused.value.problems] == [field]


@pytest.mark.parametrize(
    ("what", "changes"),
    [
        ("no term", {"anchor": None}),
        ("commission", {"kind": AccountKind.COMMISSION}),
        ("expired", {"status": AccountStatus.EXPIRED}),
        (
            "cancelled before",
            {"status": AccountStatus.CANCELLED, "cancelled_on": date(2024, 1, 31)},
        ),
    ],
)
def test_B1_K3_a_period_of_an_account_its_agency_is_not_billed_for_is_refused(
    what: str, changes: dict[str, Any]
) -> None:
    """No anchor, a commission account (K3), an expired one, or a period starting on the
    day the account was cancelled: due_periods gives nothing, and a hand-made period of
    it is refused."""
    account = _account(**changes)
    first, figures = _first_due_and_price(_account())
    assert due_periods(account, date(2025, 1, 1)) == [], what

    with pytest.raises(InvalidInput, match="due_periods gives"):
        bill_period(account, first, figures, invoice_id="i", number=1, issued_on=first.period.start)


def test_B1_the_periods_due_periods_gives_are_billed_one_after_another() -> None:
    """Every period due_periods gives (a pending downgrade taking effect in the third) is
    billed in turn, each the one its term and plan give."""
    change = PendingChange(STARTER, date(2024, 3, 31))
    account = _account(pending_change=change)
    for due in due_periods(account, date(2024, 4, 30)):
        figures = price_due(Catalog.sample(), due, reseller_rate=Decimal(0))
        account = bill_period(
            account, due, figures, invoice_id=f"i-{due.index}", number=1, issued_on=due.period.start
        ).account
    assert (account.next_period, account.paid_through) == (4, date(2024, 5, 31))


@pytest.mark.parametrize("index", [0.0, False, "0", None, 1, -1])
def test_B1_an_index_that_is_not_the_next_int_is_refused(index: object) -> None:
    """Period 0 named by a float, a bool or a text, or another index: a coded refusal."""
    account = _account()
    first, figures = _first_due_and_price(account)

    with pytest.raises(InvalidInput, match="next period to bill is 0"):
        bill_period(
            account,
            attrs.evolve(first, index=index),
            figures,
            invoice_id="i",
            number=1,
            issued_on=first.period.start,
        )
