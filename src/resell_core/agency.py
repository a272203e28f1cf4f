"""The agency (a reseller) and its portal users.

An :class:`Agency` is a small aggregate: it holds the reseller discount and the counter
that numbers its invoices without gaps. A :class:`PortalUser` is one of its admins;
personal views belong to one user (O6).
"""

from __future__ import annotations

from decimal import Decimal

import attrs

__all__ = ["Agency", "PortalUser"]


@attrs.define(eq=False)
class Agency:
    """A reseller of the partner program.

    Attributes:
        id: The agency's identifier.
        name: Its display name.
        email: Where the vendor writes to the agency (billing, expiry, payouts; S1).
        currency: ISO 4217 code its invoices and prepaid credit are in.
        reseller_rate: The reseller discount by partner level, a Decimal in [0, 1).
        referral_code: The code of its referral link (commission accounts, K1); unique.
        paypal_email: Where commissions are paid (K2); None holds payouts.
        next_invoice_number: The number its next invoice takes (gapless per agency).
        version: For optimistic concurrency; the storage increments it on update.
        country: Where it is established for tax (ISO 3166, e.g. ``"DE"``), or None when
            not given (TX1).
        tax_id: Its tax (VAT) id, or None: a business id lets an EU VAT calculator
            reverse-charge its invoices (TX1).

    Example:
        >>> acme = Agency("ag-1", "Acme", "ops@acme.test", "USD", Decimal("0.2"), "ACME")
        >>> number, acme = acme.numbered()
        >>> (number, acme.next_invoice_number)
        (1, 2)
    """

    id: str
    name: str
    email: str
    currency: str
    reseller_rate: Decimal
    referral_code: str
    paypal_email: str | None = None
    next_invoice_number: int = 1
    version: int = 0
    country: str | None = None
    tax_id: str | None = None

    def numbered(self) -> tuple[int, Agency]:
        """Take the next invoice number.

        Returns:
            The number for a new invoice and the agency with its counter moved on. Storing
            the agency in the same unit of work as the invoice keeps the numbering gapless:
            a concurrent run conflicts on the agency's version instead of reusing a number.
        """
        return self.next_invoice_number, attrs.evolve(
            self, next_invoice_number=self.next_invoice_number + 1
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Agency) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


@attrs.frozen
class PortalUser:
    """An admin of an agency's partner portal; its email is unique across the platform."""

    id: str
    agency_id: str
    email: str
    name: str
