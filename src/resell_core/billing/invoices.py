"""Invoices: numbered per agency without gaps, lines that keep their unit price (B7)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import attrs

from resell_core.money import Money
from resell_core.periods import Period

__all__ = ["Invoice", "InvoiceLine", "InvoiceStatus", "LineKind"]


class InvoiceStatus(enum.StrEnum):
    """Where an invoice stands."""

    OPEN = "open"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    VOID = "void"


class LineKind(enum.StrEnum):
    """What a line of an invoice charges or credits."""

    RECURRING = "recurring"
    PRORATION_CREDIT = "proration_credit"
    PRORATION_CHARGE = "proration_charge"
    ADDON = "addon"
    CREDITS_PURCHASE = "credits_purchase"
    DISCOUNT = "discount"


def _lines(value: Iterable[InvoiceLine]) -> tuple[InvoiceLine, ...]:
    return tuple(value)


@attrs.frozen
class InvoiceLine:
    """One line: ``quantity`` x ``unit_price`` = ``amount`` (rounded once), for ``period``.

    The unit price billed is stored on the line, so that a later catalog price change
    never alters what was billed or a credit computed from it. Credits and discounts
    have negative amounts.
    """

    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Money
    amount: Money
    period: Period | None = None


def _zero_of_invoice(invoice: Invoice) -> Money:
    return Money.zero(invoice.currency)


@attrs.define(eq=False)
class Invoice:
    """A charge to the agency: its lines, how it was paid and where it stands.

    ``number`` counts per agency without gaps. ``period_key`` is
    ``"<account_id>/<period start>"`` for a recurring charge: the storage keeps it
    unique, so that one account period can never be invoiced (nor charged) twice.
    ``paid_earmarked``, ``paid_pool`` and ``paid_card`` say how it was paid (the
    account's earmarked prepaid credit, the profile's prepaid pool, the card).
    """

    id: str
    agency_id: str
    number: int
    account_id: str | None
    profile_id: str | None
    issued_on: date
    currency: str
    lines: tuple[InvoiceLine, ...] = attrs.field(converter=_lines)
    status: InvoiceStatus = InvoiceStatus.OPEN
    paid_earmarked: Money = attrs.field(default=attrs.Factory(_zero_of_invoice, takes_self=True))
    paid_pool: Money = attrs.field(default=attrs.Factory(_zero_of_invoice, takes_self=True))
    paid_card: Money = attrs.field(default=attrs.Factory(_zero_of_invoice, takes_self=True))
    attempts: int = 0
    next_retry_on: date | None = None
    period_key: str | None = None
    version: int = 0

    @property
    def total(self) -> Money:
        """The sum of the lines (credits and discounts included)."""
        return Money.total((line.amount for line in self.lines), self.currency)

    @property
    def paid(self) -> Money:
        """What has been paid so far, by prepaid credit and by card."""
        return self.paid_earmarked + self.paid_pool + self.paid_card

    @property
    def open_amount(self) -> Money:
        """What is still to be paid."""
        return self.total - self.paid

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Invoice) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)
