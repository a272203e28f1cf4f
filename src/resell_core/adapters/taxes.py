"""Tax calculators (the ``TaxCalculator`` port, TX1): none, and an example for EU VAT.

:class:`NoTax` is the default: invoices carry no tax, and a portal wired with it skips the
tax step altogether. :class:`EuVat` is a bundled example: the EU standard rate of the
agency's country (``billing.taxes.EU_STANDARD_RATES``, dated), or a reverse charge for a
business with a VAT id outside the vendor's country; a host with real obligations wires
its own calculator (a tax service, its own rates and exemptions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs

from resell_core.agency import Agency
from resell_core.billing.invoices import LineKind
from resell_core.billing.taxes import (
    EU_STANDARD_RATES,
    TaxableLine,
    TaxLine,
    eu_vat,
    tax_line,
)
from resell_core.errors import InvalidInput, quoted
from resell_core.lifecycle.account import Account

__all__ = ["EuVat", "NoTax"]


@attrs.frozen
class NoTax:
    """No tax on any invoice: the library's behaviour without a tax calculator."""

    def taxes(
        self, agency: Agency, account: Account | None, lines: Sequence[TaxableLine]
    ) -> Sequence[TaxLine]:
        """Return no tax lines."""
        return ()


def _vendor_country(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or value.upper() not in EU_STANDARD_RATES:
        raise InvalidInput.one(
            "EU VAT", "vendor_country", f"{quoted(value)} is not an EU member state (e.g. 'IE')"
        )


@attrs.frozen
class EuVat:
    """EU VAT at standard rates, with the reverse charge for businesses (an example).

    Each line is taxed at the standard rate of the agency's country (the vendor's when
    the agency gave none); an agency with a VAT id in another member state than the
    vendor's is reverse-charged (the rate is shown, nothing is charged); an agency outside
    the EU gets no tax lines. Purchases of credits are not taxed here (prepaid credit pays
    invoices that are taxed themselves).

    Attributes:
        vendor_country: The vendor's member state (ISO 3166, e.g. ``"IE"``).
        rates: The standard rate of each member state (the bundled table by default,
            dated ``EU_RATES_AS_OF``).
        name: What the tax is called on invoices.

    Example:
        >>> from decimal import Decimal
        >>> vat = EuVat(vendor_country="IE")
        >>> vat.rates["DE"]
        Decimal('0.19')
    """

    vendor_country: str = attrs.field(validator=_vendor_country)
    rates: Mapping[str, Decimal] = attrs.field(default=EU_STANDARD_RATES, repr=False)
    name: str = "VAT"

    def taxes(
        self, agency: Agency, account: Account | None, lines: Sequence[TaxableLine]
    ) -> Sequence[TaxLine]:
        """Return one VAT line per taxable line (none outside the EU)."""
        rule = eu_vat(
            vendor_country=self.vendor_country,
            country=agency.country,
            tax_id=agency.tax_id,
            rates=self.rates,
        )
        if rule is None:
            return ()
        return tuple(
            tax_line(
                taxable,
                name=self.name,
                jurisdiction=rule.jurisdiction,
                rate=rule.rate,
                reverse_charge=rule.reverse_charge,
            )
            for taxable in lines
            if taxable.line.kind is not LineKind.CREDITS_PURCHASE
        )
