"""What a billing page reads and makes once for all its accounts alike (B7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from resell_core.billing.due import DuePeriod
from resell_core.billing.invoices import Invoice, InvoiceLine, TaxLine
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.ports import Storage
from resell_core.pricing import Catalog, CyclePrice
from resell_core.pricing.selection import PlanSelection
from resell_core.service.billing_pages import PageReads
from resell_core.testing.contracts.samples import an_invoice

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))
MAY = Period(date(2024, 5, 11), date(2024, 6, 11))


def _due(account_id: str, period: Period) -> DuePeriod:
    return DuePeriod(
        account_id,
        "ACME-DIGITAL",
        "card-main",
        0,
        period,
        PLUS,
        f"{account_id}/{period.start.isoformat()}",
    )


def _figures() -> CyclePrice:
    return Catalog.sample().cycle_price(PLUS, reseller_rate=Decimal("0.2"), cycle=0)


def test_B7_accounts_alike_of_a_page_share_their_invoice_lines(
    fresh_storage: Callable[[], Storage],
) -> None:
    """North-bakery and south-florist, same plan, price and period: one tuple of lines."""
    figures = _figures()
    with fresh_storage().unit_of_work() as uow:
        reads = PageReads(uow)

        north = reads.lines(_due("north-bakery", APRIL), figures)
        south = reads.lines(_due("south-florist", APRIL), figures)

    assert south is north


def test_B7_another_period_or_price_gets_its_own_lines(
    fresh_storage: Callable[[], Storage],
) -> None:
    """East-butcher billed for May, or priced by other figures, gets lines of its own."""
    figures, other = _figures(), _figures()
    with fresh_storage().unit_of_work() as uow:
        reads = PageReads(uow)

        april = reads.lines(_due("north-bakery", APRIL), figures)
        may = reads.lines(_due("east-butcher", MAY), figures)
        repriced = reads.lines(_due("west-garage", APRIL), other)

    assert may[0].period == MAY
    assert may is not april
    assert repriced == april
    assert repriced is not april


def _invoice(invoice_id: str, lines: tuple[InvoiceLine, ...], **changes: Any) -> Invoice:
    return attrs.evolve(
        an_invoice(invoice_id), currency="USD", lines=lines, profile_id="card-main", **changes
    )


def test_B7_a_page_adds_up_the_lines_its_invoices_share_once(
    fresh_storage: Callable[[], Storage],
) -> None:
    """North-bakery and south-florist's invoices share their lines: one total, equal to
    each invoice's own."""
    figures = _figures()
    with fresh_storage().unit_of_work() as uow:
        reads = PageReads(uow)
        lines = reads.lines(_due("north-bakery", APRIL), figures)
        north, south = _invoice("invoice-1", lines), _invoice("invoice-2", lines)

        first, second = reads.total(north), reads.total(south)

    assert first == north.total
    assert (first.amount.as_tuple(), first.currency) == (
        north.total.amount.as_tuple(),
        north.total.currency,
    )
    assert second is first


def test_TX1_an_invoice_with_taxes_is_added_up_on_its_own(
    fresh_storage: Callable[[], Storage],
) -> None:
    """A taxed invoice's total is its lines and its taxes, never the shared lines' total."""
    figures = _figures()
    with fresh_storage().unit_of_work() as uow:
        reads = PageReads(uow)
        lines = reads.lines(_due("north-bakery", APRIL), figures)
        vat = Money("19.00", "USD")
        taxed = _invoice(
            "invoice-1", lines, taxes=(TaxLine(0, "VAT", "DE", Decimal("0.19"), vat, vat),)
        )
        plain = _invoice("invoice-2", lines)

        shared = reads.total(plain)
        own = reads.total(taxed)

    assert own == taxed.total == shared + vat
