"""Properties of taxed invoices (TX1): taxable lines cover the lines, each tax is rounded
once from its own line, and the payment split pays lines and taxes exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from resell_core.billing.invoices import Invoice, InvoiceLine, LineKind
from resell_core.billing.payment import start_payment
from resell_core.billing.profiles import BillingProfile
from resell_core.billing.taxes import tax_line, taxable_lines, with_taxes
from resell_core.money import Money, round_half_up

DAY = date(2024, 4, 11)
CARD = BillingProfile("card-main", "ACME-DIGITAL", "Main Visa", "tok_ok", "visa", "4242", 12, 2030)
_cents = st.integers(0, 10**7).map(lambda n: Money.of_minor(n, "USD"))


@st.composite
def _lines(draw: st.DrawFn) -> list[InvoiceLine]:
    """A charge and its discounts (never more than it), then proration lines."""
    lines: list[InvoiceLine] = []
    for _ in range(draw(st.integers(1, 3))):
        charge = draw(_cents)
        lines.append(InvoiceLine(LineKind.RECURRING, "plan", Decimal(1), charge, charge))
        left = charge
        for _ in range(draw(st.integers(0, 2))):
            off = Money.of_minor(draw(st.integers(0, left.minor_units)), "USD")
            left -= off
            lines.append(InvoiceLine(LineKind.DISCOUNT, "off", Decimal(1), -off, -off))
    for amount in draw(st.lists(st.integers(-(10**6), 10**6), max_size=2)):
        money = Money.of_minor(amount, "USD")
        lines.append(InvoiceLine(LineKind.PRORATION_CHARGE, "change", Decimal(1), money, money))
    return lines


@given(
    lines=_lines(),
    rate=st.decimals(min_value=0, max_value=1, places=4),
    earmarked=_cents,
    pool=_cents,
)
def test_TX1_taxes_round_once_per_line_and_the_split_pays_them_exactly(
    lines: list[InvoiceLine], rate: Decimal, earmarked: Money, pool: Money
) -> None:
    """Taxable lines add up to the subtotal; each tax is its line's exact product rounded
    once; earmarked credit, pool and card add up to subtotal plus tax."""
    bill = Invoice("inv-1", "ACME-DIGITAL", 1, "acc-1", "card-main", DAY, "USD", lines)
    taxable = taxable_lines(bill.lines)
    assert Money.total((t.amount for t in taxable), "USD") == bill.subtotal
    taxed = with_taxes(
        bill, [tax_line(t, name="Tax", jurisdiction="US", rate=rate) for t in taxable]
    )
    for tax, base in zip(taxed.taxes, taxable, strict=True):
        assert tax.amount.amount == round_half_up(base.amount.amount * rate, 2)
    assert taxed.total == taxed.subtotal + taxed.tax
    if taxed.total.is_negative():
        return  # a negative invoice becomes prepaid credit (settle_negative), not a payment
    start = start_payment(taxed, profile=CARD, earmarked=earmarked, pool=pool, on=DAY)
    card = start.charge.amount if start.charge is not None else Money.zero("USD")
    paid = start.invoice.paid_earmarked + start.invoice.paid_pool + card
    assert paid == taxed.total
