"""A recurring invoice's lines made once and shared by the invoices alike (B7, A10, A11)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from resell_core.billing.due import DuePeriod
from resell_core.billing.invoice_memo import InvoiceMemo
from resell_core.billing.invoices import build_recurring_invoice, recurring_lines
from resell_core.errors import InvalidInput
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing import CyclePrice
from resell_core.pricing.selection import PlanSelection

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))
DISCOUNTED = CyclePrice(
    Money("120.00", "USD"), Money("12.00", "USD"), Money("21.60", "USD"), Money("86.40", "USD")
)


def _due(account_id: str) -> DuePeriod:
    return DuePeriod(
        account_id, "ACME-DIGITAL", "card-main", 0, APRIL, PLUS, f"{account_id}/2024-04-11"
    )


def test_B7_recurring_lines_are_the_lines_of_the_recurring_invoice() -> None:
    """The lines made on their own are the ones the invoice builder makes itself."""
    invoice = build_recurring_invoice(
        _due("north-bakery"), DISCOUNTED, invoice_id="inv-1", number=1, issued_on=APRIL.start
    )

    assert recurring_lines(_due("north-bakery"), DISCOUNTED) == invoice.lines
    assert invoice.total == Money("86.40", "USD")


def test_B7_an_invoice_built_on_lines_made_for_another_account_alike_is_the_same() -> None:
    """South-florist's invoice built through the memo that made north-bakery's lines
    shares them, and equals the one built from scratch."""
    memo = InvoiceMemo()
    shared = memo.lines(_due("north-bakery"), DISCOUNTED)

    given = build_recurring_invoice(
        _due("south-florist"),
        DISCOUNTED,
        invoice_id="inv-2",
        number=2,
        issued_on=APRIL.start,
        memo=memo,
    )
    built = build_recurring_invoice(
        _due("south-florist"), DISCOUNTED, invoice_id="inv-2", number=2, issued_on=APRIL.start
    )

    assert given.lines is shared
    assert attrs.astuple(given, recurse=False) == attrs.astuple(built, recurse=False)


def test_A11_recurring_lines_refuse_figures_that_do_not_add_up() -> None:
    """A net that is not the list value minus the discounts is refused."""
    wrong = attrs.evolve(DISCOUNTED, net=Money("90.00", "USD"))

    with pytest.raises(InvalidInput, match="give figures that add up"):
        recurring_lines(_due("north-bakery"), wrong)
