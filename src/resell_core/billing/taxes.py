"""Taxes of an invoice: after its lines and discounts, one rounding per line (TX1).

An invoice's figures are worked out in this order: its lines, then their discounts, then
the tax of each line, then the account's earmarked prepaid credit, the profile's pool and
the card (``billing/payment.py``). :func:`taxable_lines` gives what is taxed: each line
that charges or credits, with the discount lines that follow it taken off (a discount
belongs to the line above it). A tax calculator (the ``TaxCalculator`` port) turns those
into :class:`TaxLine` values, each made by :func:`tax_line`: the taxable amount times the
rate, rounded once, half-up, to the currency's minor unit; nothing when reverse-charged.
:func:`with_taxes` puts them on the invoice, apart from its lines, so that the invoice's
total (what the payment split divides) counts them, and a line can be credited with the
tax it carried.

:func:`eu_vat` is the rule of the bundled EU VAT calculator: the standard rate of the
customer's country (:data:`EU_STANDARD_RATES`, as of :data:`EU_RATES_AS_OF`), or a reverse
charge for a business with a VAT id outside the vendor's country.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import attrs

from resell_core.billing.invoices import Invoice, InvoiceLine, LineKind, TaxLine
from resell_core.errors import FieldProblem, InvalidInput, quoted
from resell_core.money import Money

__all__ = [
    "EU_RATES_AS_OF",
    "EU_STANDARD_RATES",
    "TaxLine",
    "TaxRule",
    "TaxableLine",
    "eu_vat",
    "tax_line",
    "taxable_lines",
    "with_taxes",
]


@attrs.frozen
class TaxableLine:
    """A line of an invoice as it is taxed: after the discounts that belong to it.

    Attributes:
        index: The position of the line in the invoice's ``lines``.
        line: The line itself (its kind, description, unit price and period).
        amount: What is taxed: the line's amount less the discount lines that follow it.
    """

    index: int
    line: InvoiceLine
    amount: Money


def taxable_lines(lines: Sequence[InvoiceLine]) -> tuple[TaxableLine, ...]:
    """Return what each line of an invoice is taxed on: the line less its discounts.

    A discount line belongs to the line above it (the recurring charge it discounts,
    A10, A11); a discount with no line above it is taxed on its own.

    Example:
        >>> from decimal import Decimal
        >>> usd = lambda amount: Money(amount, "USD")
        >>> lines = [
        ...     InvoiceLine(LineKind.RECURRING, "plus", Decimal(1), usd("100.00"), usd("100.00")),
        ...     InvoiceLine(LineKind.DISCOUNT, "Off", Decimal(1), usd("-10.00"), usd("-10.00")),
        ... ]
        >>> [(t.index, t.amount) for t in taxable_lines(lines)]
        [(0, Money('90.00', 'USD'))]
    """
    found: list[TaxableLine] = []
    for index, line in enumerate(lines):
        if line.kind is LineKind.DISCOUNT and found:
            last = found[-1]
            found[-1] = attrs.evolve(last, amount=last.amount + line.amount)
        else:
            found.append(TaxableLine(index, line, line.amount))
    return tuple(found)


def tax_line(
    taxable: TaxableLine,
    *,
    name: str,
    jurisdiction: str,
    rate: Decimal,
    reverse_charge: bool = False,
) -> TaxLine:
    """Return the tax of one taxable line: its amount times ``rate``, rounded once.

    Rounded half-up to the currency's minor unit (``Money.scaled``), once for the line;
    a credit (a negative amount) gets a negative tax. A reverse-charged line carries no
    tax: its rate is kept to be shown, its amount is zero.

    Raises:
        InvalidInput: The rate is not a Decimal in [0, 1].

    Example:
        >>> from decimal import Decimal
        >>> usd = Money("90.00", "USD")
        >>> plus = InvoiceLine(LineKind.RECURRING, "plus", Decimal(1), usd, usd)
        >>> tax_line(TaxableLine(0, plus, usd), name="VAT", jurisdiction="DE",
        ...          rate=Decimal("0.19")).amount
        Money('17.10', 'USD')
    """
    if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate <= 1:
        raise InvalidInput.one(
            "tax line", "rate", f"{quoted(rate)} is not a Decimal rate in [0, 1]"
        )
    base = taxable.amount
    amount = Money.zero(base.currency) if reverse_charge else base.scaled(rate)
    return TaxLine(taxable.index, name, jurisdiction, rate, base, amount, reverse_charge)


def with_taxes(invoice: Invoice, taxes: Sequence[TaxLine]) -> Invoice:
    """Return the invoice carrying ``taxes`` (the invoice itself when there are none).

    The taxes are kept apart from the lines: the invoice's ``subtotal`` is its lines,
    ``tax`` their taxes and ``total`` both, which is what prepaid credit and the card pay.

    Raises:
        InvalidInput: A tax line names no line of the invoice, or names a discount line,
            is of another currency, or is not rounded to the currency's minor unit
            (every bad tax line is reported at once).
    """
    if not taxes:
        return invoice
    problems: list[FieldProblem] = []
    lines = invoice.lines
    currency = invoice.currency
    for n, tax in enumerate(taxes):
        where = f"taxes[{n}]"
        if not 0 <= tax.line < len(lines) or lines[tax.line].kind is LineKind.DISCOUNT:
            problems.append(FieldProblem(f"{where}.line", "name a charged line of the invoice"))
        if tax.amount.currency != currency or tax.taxable.currency != currency:
            problems.append(FieldProblem(f"{where}.amount", f"give the tax in {currency}"))
        elif tax.amount != tax.amount.rounded():
            problems.append(FieldProblem(f"{where}.amount", "round the tax to the minor unit"))
    if problems:
        raise InvalidInput("invoice taxes", problems)
    return attrs.evolve(invoice, taxes=tuple(taxes))


# -- EU VAT ---------------------------------------------------------------------------------

EU_RATES_AS_OF = date(2025, 1, 1)
"""The day :data:`EU_STANDARD_RATES` holds the rates of."""

EU_STANDARD_RATES: Mapping[str, Decimal] = MappingProxyType(
    {
        "AT": Decimal("0.20"),
        "BE": Decimal("0.21"),
        "BG": Decimal("0.20"),
        "CY": Decimal("0.19"),
        "CZ": Decimal("0.21"),
        "DE": Decimal("0.19"),
        "DK": Decimal("0.25"),
        "EE": Decimal("0.22"),
        "ES": Decimal("0.21"),
        "FI": Decimal("0.255"),
        "FR": Decimal("0.20"),
        "GR": Decimal("0.24"),
        "HR": Decimal("0.25"),
        "HU": Decimal("0.27"),
        "IE": Decimal("0.23"),
        "IT": Decimal("0.22"),
        "LT": Decimal("0.21"),
        "LU": Decimal("0.17"),
        "LV": Decimal("0.21"),
        "MT": Decimal("0.18"),
        "NL": Decimal("0.21"),
        "PL": Decimal("0.23"),
        "PT": Decimal("0.23"),
        "RO": Decimal("0.19"),
        "SE": Decimal("0.25"),
        "SI": Decimal("0.22"),
        "SK": Decimal("0.23"),
    }
)
"""The standard VAT rate of each EU member state by ISO 3166 code, as of
:data:`EU_RATES_AS_OF` (Greece is ``GR`` here; its VAT ids start with ``EL``). Rates
change: a host passes its own table to the calculator (``EuVat(rates=...)``)."""


@attrs.frozen
class TaxRule:
    """The tax that applies to a customer: where, at what rate, and whether reverse-charged."""

    jurisdiction: str
    rate: Decimal
    reverse_charge: bool = False


def eu_vat(
    *,
    vendor_country: str,
    country: str | None,
    tax_id: str | None,
    rates: Mapping[str, Decimal] = EU_STANDARD_RATES,
) -> TaxRule | None:
    """Return the EU VAT a vendor in ``vendor_country`` charges a customer.

    - a customer in the vendor's country (or of unknown country): that country's rate;
    - a business (a VAT id) in another member state: reverse charge, at that state's rate
      shown and nothing charged (the customer accounts for it);
    - a customer without a VAT id in another member state: that state's rate;
    - a customer outside the EU: no EU VAT (None).

    Args:
        vendor_country: The vendor's member state (ISO 3166, e.g. ``"IE"``).
        country: The customer's country (ISO 3166), or None when unknown.
        tax_id: The customer's VAT id, or None (a consumer, or not given).
        rates: The standard rate of each member state.

    Raises:
        InvalidInput: The vendor's country has no rate in ``rates``.

    Example:
        >>> eu_vat(vendor_country="IE", country="DE", tax_id="DE123456789")
        TaxRule(jurisdiction='DE', rate=Decimal('0.19'), reverse_charge=True)
        >>> eu_vat(vendor_country="IE", country="DE", tax_id=None).reverse_charge
        False
        >>> eu_vat(vendor_country="IE", country="US", tax_id=None) is None
        True
    """
    home = vendor_country.upper()
    if home not in rates:
        raise InvalidInput.one(
            "EU VAT",
            "vendor_country",
            f"{quoted(vendor_country)} is not an EU member state of the table",
        )
    where = home if country is None else country.upper()
    rate = rates.get(where)
    if rate is None:
        return None
    return TaxRule(where, rate, reverse_charge=where != home and bool(tax_id))
