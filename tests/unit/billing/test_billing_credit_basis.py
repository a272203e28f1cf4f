"""What an immediate plan change credits: the period's recurring charge, or the last
change's charge from its day on; the period from the account's term (U1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from resell_core.billing.credit_basis import CreditBasis, change_charge, credit_basis
from resell_core.billing.due import billed_period_on
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing.selection import PlanSelection

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))
MARCH = Period(date(2024, 3, 11), date(2024, 4, 11))
ACCOUNT = "acc-north-bakery"


def usd(amount: str) -> Money:
    """Dollars."""
    return Money(amount, "USD")


def _line(kind: LineKind, amount: str, period: Period | None = None) -> InvoiceLine:
    return InvoiceLine(kind, kind.value, Decimal(1), usd(amount), usd(amount), period)


def _invoice(number: int, day: date, *lines: InvoiceLine, key: str | None = None) -> Invoice:
    return Invoice(
        f"inv-{number}", "ACME-DIGITAL", number, ACCOUNT, "card-main", day, "USD", lines,
        period_key=key,
    )  # fmt: skip


RECURRING = _invoice(
    3, APRIL.start, _line(LineKind.RECURRING, "96.00", APRIL), key=f"{ACCOUNT}/2024-04-11"
)


def _change(number: int, day: date, charge: str) -> Invoice:
    rest = Period(day, APRIL.end)
    return _invoice(
        number,
        day,
        _line(LineKind.PRORATION_CREDIT, "-48.00", rest),
        _line(LineKind.PRORATION_CHARGE, charge, rest),
    )


def _bakery(next_period: int) -> Account:
    return Account(
        id=ACCOUNT, agency_id="ACME-DIGITAL", name="north-bakery", client_name="North Bakery",
        notification_email="bakery@acme.test", country="DE", region="eu", language="de",
        timezone="Europe/Berlin", plan=PLUS, created_on=MARCH.start,
        status=AccountStatus.ACTIVE, billing_profile_id="card-main", anchor=MARCH.start,
        next_period=next_period,
    )  # fmt: skip


def test_U1_the_period_billed_is_read_from_the_accounts_term() -> None:
    """Anchored on 11 March, two periods billed: on 26 April the billed period is April's;
    with one billed, April is not billed yet; before the anchor there is none."""
    assert billed_period_on(_bakery(2), date(2024, 4, 26)) == APRIL
    assert billed_period_on(_bakery(1), date(2024, 4, 26)) is None
    assert billed_period_on(_bakery(2), date(2024, 3, 1)) is None


def test_U1_the_basis_is_the_periods_recurring_charge_over_the_whole_period() -> None:
    """No change yet in April: the 96.00 billed on 11 April, for all of April."""
    basis = credit_basis(APRIL, RECURRING, [RECURRING])

    assert basis == CreditBasis(APRIL, APRIL, usd("96.00"))


def test_U1_after_an_upgrade_the_basis_is_its_charge_from_its_day_on() -> None:
    """Upgraded on 26 April (charge 60.00 for the rest): a second change credits what the
    first one charged, over 26 April to 11 May."""
    upgrade = _change(4, date(2024, 4, 26), "60.00")

    basis = credit_basis(APRIL, RECURRING, [RECURRING, upgrade])

    assert basis == CreditBasis(APRIL, Period(date(2024, 4, 26), APRIL.end), usd("60.00"))


def test_U1_the_last_of_several_changes_is_the_basis_whatever_the_order() -> None:
    """Changes on the 20th and the 26th: the one of the 26th (the higher number) counts."""
    first, second = _change(4, date(2024, 4, 20), "70.00"), _change(6, date(2024, 4, 26), "60.00")

    basis = credit_basis(APRIL, RECURRING, [second, RECURRING, first])

    assert basis is not None
    assert (basis.billed_for.start, basis.amount) == (date(2024, 4, 26), usd("60.00"))


def test_U1_void_changes_purchases_and_other_periods_are_no_basis() -> None:
    """A voided change, an SMS purchase, a change of March and one numbered before the
    recurring invoice are passed over: the recurring charge stays the basis."""
    voided = attrs.evolve(_change(4, date(2024, 4, 26), "60.00"), status=InvoiceStatus.VOID)
    sms = _invoice(5, date(2024, 4, 27), _line(LineKind.ADDON, "12.00"))
    march = _invoice(2, date(2024, 3, 20), _line(LineKind.PRORATION_CHARGE, "50.00"))
    later_march = attrs.evolve(march, number=7, id="inv-7")
    earlier = attrs.evolve(_change(1, date(2024, 4, 20), "70.00"), number=1)

    basis = credit_basis(APRIL, RECURRING, [voided, sms, later_march, earlier])

    assert basis == CreditBasis(APRIL, APRIL, usd("96.00"))
    assert change_charge(sms) is None


def test_U1_a_voided_recurring_invoice_leaves_nothing_to_credit() -> None:
    """April's invoice was voided: nothing was billed for April, nothing is credited."""
    voided = attrs.evolve(RECURRING, status=InvoiceStatus.VOID)

    assert credit_basis(APRIL, voided, [voided]) is None
