"""Taxes of an invoice (TX1): lines, then discounts, then the tax of each line rounded once,
then earmarked credit, the pool and the card; the EU VAT rule; no tax, no change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import attrs
import pytest

from resell_core.adapters.taxes import EuVat, NoTax
from resell_core.agency import Agency
from resell_core.billing.invoices import Invoice, InvoiceLine, LineKind, TaxLine
from resell_core.billing.payment import start_payment
from resell_core.billing.profiles import BillingProfile
from resell_core.billing.taxes import (
    EU_RATES_AS_OF,
    EU_STANDARD_RATES,
    TaxableLine,
    eu_vat,
    tax_line,
    taxable_lines,
    with_taxes,
)
from resell_core.errors import InvalidInput
from resell_core.money import Money
from resell_core.serialization import from_json, to_json

DAY = date(2024, 4, 11)
CARD = BillingProfile("card-main", "ACME-DIGITAL", "Main Visa", "tok_ok", "visa", "4242", 12, 2030)


def usd(amount: str) -> Money:
    """Dollars."""
    return Money(amount, "USD")


def line(kind: LineKind, amount: str, description: str = "plus") -> InvoiceLine:
    """A line of one unit of ``amount``."""
    return InvoiceLine(kind, description, Decimal(1), usd(amount), usd(amount))


def invoice(*lines: InvoiceLine) -> Invoice:
    """North Bakery's open invoice of ``lines``, paid by Acme's main card."""
    return Invoice("inv-1", "ACME-DIGITAL", 1, "acc-1", "card-main", DAY, "USD", lines)


def acme(country: str | None = None, tax_id: str | None = None) -> Agency:
    """ACME-DIGITAL with tax details."""
    return Agency(
        "ACME-DIGITAL", "Acme", "ops@acme.test", "USD", Decimal("0.2"), "ACME",
        country=country, tax_id=tax_id,
    )  # fmt: skip


def flat(rate: str, bill: Invoice) -> Invoice:
    """``bill`` with every taxable line taxed at ``rate``."""
    taxes = [
        tax_line(t, name="Tax", jurisdiction="US", rate=Decimal(rate))
        for t in taxable_lines(bill.lines)
    ]
    return with_taxes(bill, taxes)


def test_TX1_lago_vector_100_less_10_discount_10_percent_tax_5_prepaid_is_due_94() -> None:
    """$100 invoice, $10 discount, 10 % tax, $5 prepaid: 90 + 9 = 99, of which 5 prepaid,
    so the card is charged 94.00."""
    bill = flat(
        "0.10",
        invoice(line(LineKind.RECURRING, "100.00"), line(LineKind.DISCOUNT, "-10.00", "Coupon")),
    )
    assert (bill.subtotal, bill.tax, bill.total) == (usd("90.00"), usd("9.00"), usd("99.00"))

    start = start_payment(bill, profile=CARD, earmarked=usd("5"), pool=usd("0"), on=DAY)

    assert start.invoice.paid_earmarked == usd("5")
    assert start.charge is not None
    assert start.charge.amount == usd("94.00")


def test_TX1_prepaid_credit_pays_the_tax_too_earmarked_then_pool_then_card() -> None:
    """$99 with tax: $60 earmarked, $30 pool, the card the $9 left."""
    bill = flat(
        "0.10",
        invoice(line(LineKind.RECURRING, "100.00"), line(LineKind.DISCOUNT, "-10.00")),
    )
    start = start_payment(bill, profile=CARD, earmarked=usd("60"), pool=usd("30"), on=DAY)
    assert (start.invoice.paid_earmarked, start.invoice.paid_pool) == (usd("60"), usd("30"))
    assert start.charge is not None
    assert start.charge.amount == usd("9.00")


def test_TX1_tax_is_rounded_once_per_line_half_up() -> None:
    """Two lines of $0.05 at 10 %: 0.005 rounds up to 0.01 on each line, 0.02 in all (the
    tax of their sum, 0.01, would differ: rounding is per line)."""
    bill = flat(
        "0.10",
        invoice(line(LineKind.PRORATION_CHARGE, "0.05"), line(LineKind.ADDON, "0.05", "extra")),
    )
    assert [t.amount for t in bill.taxes] == [usd("0.01"), usd("0.01")]
    assert bill.tax == usd("0.02")


def test_TX1_a_discount_is_taxed_with_the_line_above_it() -> None:
    """The recurring line and its two discounts make one taxable line of the net."""
    lines = [
        line(LineKind.RECURRING, "120.00"),
        line(LineKind.DISCOUNT, "-12.00", "Migration"),
        line(LineKind.DISCOUNT, "-24.00", "Reseller"),
        line(LineKind.PRORATION_CREDIT, "-10.00", "Unused"),
    ]
    assert [(t.index, t.amount) for t in taxable_lines(lines)] == [
        (0, usd("84.00")),
        (3, usd("-10.00")),
    ]
    lone = [line(LineKind.DISCOUNT, "-5.00")]
    assert [(t.index, t.amount) for t in taxable_lines(lone)] == [(0, usd("-5.00"))]


def test_TX1_each_line_names_its_taxes_for_crediting_it_later() -> None:
    """The tax of a recurring line less its discount is found by the line's position."""
    bill = flat(
        "0.10",
        invoice(line(LineKind.RECURRING, "100.00"), line(LineKind.DISCOUNT, "-10.00", "Coupon")),
    )
    [tax] = bill.line_taxes(0)
    assert (tax.taxable, tax.amount) == (usd("90.00"), usd("9.00"))
    assert bill.line_taxes(1) == ()


def test_TX1_a_credit_line_carries_a_negative_tax() -> None:
    """A proration credit of -$48.00 at 19 % carries -$9.12; the charge +$149.50 +$28.41."""
    bill = flat(
        "0.19",
        invoice(
            line(LineKind.PRORATION_CREDIT, "-48.00"), line(LineKind.PRORATION_CHARGE, "149.50")
        ),
    )
    assert [t.amount for t in bill.taxes] == [usd("-9.12"), usd("28.41")]
    assert bill.total == usd("120.79")


def test_TX1_a_reverse_charged_line_shows_its_rate_and_charges_nothing() -> None:
    """Reverse charge: the rate is kept on the line, the amount is zero."""
    [taxable] = taxable_lines([line(LineKind.RECURRING, "96.00")])
    tax = tax_line(
        taxable, name="VAT", jurisdiction="FR", rate=Decimal("0.20"), reverse_charge=True
    )
    assert (tax.rate, tax.taxable, tax.amount) == (Decimal("0.20"), usd("96.00"), usd("0"))


def test_TX1_no_tax_leaves_the_invoice_as_it_is() -> None:
    """No tax lines: the very invoice, whose total is its lines."""
    bill = invoice(line(LineKind.RECURRING, "96.00"))
    assert with_taxes(bill, ()) is bill
    assert NoTax().taxes(acme(), None, taxable_lines(bill.lines)) == ()
    assert bill.taxes == ()
    assert bill.total == bill.subtotal == usd("96.00")
    assert bill.tax == usd("0")


def test_TX1_tax_lines_an_invoice_cannot_carry_are_refused_all_at_once() -> None:
    """A tax of a discount line, of another currency, or unrounded: each is reported."""
    bill = invoice(line(LineKind.RECURRING, "100.00"), line(LineKind.DISCOUNT, "-10.00"))
    eur = Money("1.00", "EUR")
    bad = [
        TaxLine(1, "Tax", "US", Decimal("0.1"), usd("-10.00"), usd("-1.00")),
        TaxLine(5, "Tax", "US", Decimal("0.1"), usd("1"), usd("0.10")),
        TaxLine(0, "Tax", "DE", Decimal("0.1"), eur, eur),
        TaxLine(0, "Tax", "US", Decimal("0.1"), usd("100"), usd("10.005")),
    ]
    with pytest.raises(InvalidInput) as refused:
        with_taxes(bill, bad)
    assert [p.field for p in refused.value.problems] == [
        "taxes[0].line",
        "taxes[1].line",
        "taxes[2].amount",
        "taxes[3].amount",
    ]


@pytest.mark.parametrize("rate", [Decimal("-0.1"), Decimal("1.5"), Decimal("NaN"), 0.2])
def test_TX1_a_rate_is_a_decimal_between_zero_and_one(rate: object) -> None:
    """Negative, above 100 %, not a number or a float: refused."""
    [taxable] = taxable_lines([line(LineKind.RECURRING, "96.00")])
    with pytest.raises(InvalidInput):
        tax_line(taxable, name="VAT", jurisdiction="DE", rate=rate)  # type: ignore[arg-type]


def test_TX1_explain_shows_the_subtotal_each_tax_and_the_payment() -> None:
    """The explanation reads lines, subtotal, tax lines, total, then what paid it."""
    bill = flat(
        "0.10",
        invoice(line(LineKind.RECURRING, "100.00"), line(LineKind.DISCOUNT, "-10.00", "Coupon")),
    )
    paid = start_payment(bill, profile=CARD, earmarked=usd("5"), pool=usd("0"), on=DAY).invoice
    steps = [step.strip() for step, _ in paid.steps()]
    assert steps == [
        "plus",
        "Coupon",
        "Subtotal",
        "Tax 10% (US) on USD 90.00",
        "Total",
        "- paid by earmarked credit",
        "Open (open)",
    ]
    assert paid.explain().splitlines()[0] == "Invoice 1 of 2024-04-11"
    free = flat("0", invoice(line(LineKind.RECURRING, "96.00")))
    assert "Tax 0% (US) on USD 96.00" in free.explain()
    assert "Tax 25.5% (US)" in flat("0.255", free).explain()
    untaxed = invoice(line(LineKind.RECURRING, "96.00"))
    assert "Subtotal" not in untaxed.explain()


# -- EU VAT -------------------------------------------------------------------------------


def test_TX1_eu_vat_at_home_the_vendors_rate_whatever_the_vat_id() -> None:
    """An Irish vendor's Irish customer pays 23 %, with or without a VAT id."""
    for tax_id in (None, "IE6388047V"):
        rule = eu_vat(vendor_country="IE", country="IE", tax_id=tax_id)
        assert rule is not None
        assert (rule.jurisdiction, rule.rate, rule.reverse_charge) == ("IE", Decimal("0.23"), False)


def test_TX1_eu_vat_a_business_elsewhere_in_the_eu_is_reverse_charged() -> None:
    """A French business of an Irish vendor: reverse charge, the French rate shown."""
    rule = eu_vat(vendor_country="IE", country="FR", tax_id="FR40303265045")
    assert rule is not None
    assert (rule.jurisdiction, rule.rate, rule.reverse_charge) == ("FR", Decimal("0.20"), True)


def test_TX1_eu_vat_a_customer_without_vat_id_pays_its_countrys_rate() -> None:
    """A Finnish customer without a VAT id pays Finland's 25.5 %."""
    rule = eu_vat(vendor_country="IE", country="FI", tax_id=None)
    assert rule is not None
    assert (rule.rate, rule.reverse_charge) == (Decimal("0.255"), False)


def test_TX1_eu_vat_outside_the_eu_no_vat_and_unknown_country_the_vendors() -> None:
    """A US agency gets no EU VAT; an agency of no stated country the vendor's rate."""
    assert eu_vat(vendor_country="IE", country="US", tax_id="12-3456789") is None
    rule = eu_vat(vendor_country="DE", country=None, tax_id=None)
    assert rule is not None
    assert (rule.jurisdiction, rule.rate) == ("DE", Decimal("0.19"))
    with pytest.raises(InvalidInput):
        eu_vat(vendor_country="US", country="DE", tax_id=None)


def test_TX1_the_eu_table_is_dated_and_holds_the_27_member_states() -> None:
    """The table of standard rates says its day and covers every member state once."""
    assert date(2025, 1, 1) == EU_RATES_AS_OF
    assert len(EU_STANDARD_RATES) == 27
    assert all(Decimal("0.15") <= rate <= Decimal("0.27") for rate in EU_STANDARD_RATES.values())


def test_TX1_the_eu_vat_calculator_taxes_lines_but_not_credits_purchases() -> None:
    """Each charged line gets German VAT; a credits purchase is left untaxed."""
    vat = EuVat(vendor_country="DE")
    lines = taxable_lines(
        [line(LineKind.RECURRING, "96.00"), line(LineKind.CREDITS_PURCHASE, "50.00", "prepaid")]
    )
    taxes = vat.taxes(acme("DE", "DE123456789"), None, lines)
    assert [(t.line, t.amount, t.name) for t in taxes] == [(0, usd("18.24"), "VAT")]
    assert vat.taxes(acme("US"), None, lines) == ()
    with pytest.raises(InvalidInput):
        EuVat(vendor_country="US")


def test_TX1_a_host_rate_table_wins_over_the_bundled_one() -> None:
    """A calculator given its own rates uses them (rates change; the table is dated)."""
    rates = {**EU_STANDARD_RATES, "EE": Decimal("0.24")}
    vat = EuVat(vendor_country="EE", rates=rates)
    [taxable] = taxable_lines([line(LineKind.RECURRING, "100.00")])
    [tax] = vat.taxes(acme("EE"), None, [taxable])
    assert tax.amount == usd("24.00")


def test_TX1_taxable_lines_are_values_and_a_calculator_may_be_any_object() -> None:
    """A calculator is anything with ``taxes``: attrs values make writing one easy."""

    @attrs.frozen
    class Twice:
        def taxes(
            self, agency: Agency, account: object, lines: Sequence[TaxableLine]
        ) -> list[TaxLine]:
            return [
                tax_line(t, name=name, jurisdiction="US-NY", rate=Decimal("0.04"))
                for t in lines
                for name in ("State tax", "City tax")
            ]

    bill = invoice(line(LineKind.RECURRING, "100.00"))
    taxed = with_taxes(bill, Twice().taxes(acme(), None, taxable_lines(bill.lines)))
    assert taxed.tax == usd("8.00")


def test_TX1_invoices_and_agencies_stored_before_taxes_read_back_untaxed() -> None:
    """A stored invoice without ``taxes`` and an agency without ``country`` and ``tax_id``
    (rows written before they existed) read back with no tax and no tax details."""
    bill = invoice(line(LineKind.RECURRING, "96.00"))
    data = json.loads(to_json(bill))
    del data["taxes"]
    old = from_json(json.dumps(data), Invoice)
    assert old.taxes == ()
    assert old.total == usd("96.00")
    agency = json.loads(to_json(acme()))
    del agency["country"], agency["tax_id"]
    read = from_json(json.dumps(agency), Agency)
    assert (read.country, read.tax_id) == (None, None)
    taxed = flat("0.19", bill)
    assert from_json(to_json(taxed), Invoice).taxes == taxed.taxes
