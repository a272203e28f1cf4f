"""What an immediate plan change credits the unused part of (docs/rules.md#plan-changes, U1).

A change credits the unused part of what was billed for the plan in force, never more
than was billed: the current period's recurring charge, over the whole period; or, when
the plan was already changed at once within the period, the last change's charge, over
the rest of the period from that change's day, so that a second change credits what the
first one charged, not the plan before it.

The period is the account's billed period holding the day of the change
(:func:`~resell_core.billing.due.billed_period_on`); its recurring invoice is the one
with the period's key. A change's invoice is issued on the day of the change for the rest
of the period (``build_change_invoice``): the part its charge paid for is read from the
invoice itself, from its issue day to the period's end.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from resell_core.billing.invoices import Invoice, InvoiceStatus, LineKind
from resell_core.money import Money
from resell_core.periods import Period

__all__ = ["CreditBasis", "change_charge", "credit_basis"]


@attrs.frozen
class CreditBasis:
    """What a plan change made now credits the unused part of.

    Attributes:
        period: The account's current billing period (billed).
        billed_for: The part of ``period`` that ``amount`` paid for.
        amount: The period's recurring charge, or the last immediate change's charge.
    """

    period: Period
    billed_for: Period
    amount: Money


def change_charge(invoice: Invoice) -> Money | None:
    """Return what an immediate change's invoice charged for the new plan; None when the
    invoice charged no new plan (a recurring charge, a purchase, a change that only
    credited)."""
    for line in invoice.lines:
        if line.kind is LineKind.PRORATION_CHARGE:
            return line.amount
    return None


def credit_basis(
    period: Period, recurring: Invoice, later: Iterable[Invoice]
) -> CreditBasis | None:
    """Return what a plan change within ``period`` credits the unused part of.

    Args:
        period: The account's billed period holding the day of the change.
        recurring: The period's recurring invoice (its key is the period's).
        later: The account's other invoices (any order; those before ``recurring``, of
            another period or void are passed over).

    Returns:
        The last charge for the plan now in force within ``period`` and the part of the
        period it paid for; None when the recurring invoice was voided (nothing billed).

    Example:
        >>> from decimal import Decimal
        >>> from resell_core.billing.invoices import InvoiceLine
        >>> april = Period(date(2024, 4, 11), date(2024, 5, 11))
        >>> usd = lambda amount: Money(amount, "USD")
        >>> def invoice(number, day, *lines, key=None):
        ...     return Invoice(f"inv-{number}", "ACME-DIGITAL", number, "acc-1", "card-main",
        ...                    day, "USD", lines, period_key=key)
        >>> billed = invoice(1, april.start, InvoiceLine(
        ...     LineKind.RECURRING, "plus", Decimal(1), usd("96"), usd("96"), april),
        ...     key="acc-1/2024-04-11")
        >>> credit_basis(april, billed, []).amount
        Money('96', 'USD')
        >>> upgrade = invoice(2, date(2024, 4, 26), InvoiceLine(
        ...     LineKind.PRORATION_CHARGE, "professional", Decimal(1), usd("75"), usd("75")))
        >>> basis = credit_basis(april, billed, [billed, upgrade])
        >>> (basis.billed_for.start, basis.amount)
        (datetime.date(2024, 4, 26), Money('75', 'USD'))
    """
    if recurring.status is InvoiceStatus.VOID:
        return None
    # Before tax: the change's own invoice taxes its credit and charge again (TX1).
    basis = CreditBasis(period, period, recurring.subtotal)
    number = recurring.number
    for invoice in later:
        if (
            invoice.status is InvoiceStatus.VOID
            or invoice.number <= number
            or invoice.period_key is not None
            or invoice.account_id != recurring.account_id
            or invoice.issued_on not in period
        ):
            continue
        charge = change_charge(invoice)
        if charge is not None:
            basis = CreditBasis(period, Period(invoice.issued_on, period.end), charge)
            number = invoice.number
    return basis
