"""What a payment's final failure does: the prepaid credit given back, the account expired.

When the retry schedule runs out (``PaymentDecision.DUNNING_EXHAUSTED``, docs/rules.md#dunning)
the invoice is failed. It was not paid, so the prepaid credit it took goes back where it
came from (the account's earmark, the billing profile's pool, C2, C3): prepaid credit
spent always equals what paid invoices took. The account it billed expires; a purchase of
credits delivers nothing and expires nothing.
"""

from __future__ import annotations

from datetime import date

import attrs

from resell_core.billing.invoices import Invoice, LineKind
from resell_core.billing.ledger import (
    SPENT,
    CreditKind,
    Movement,
    account_wallet,
    profile_wallet,
)
from resell_core.money import Money

__all__ = ["FinalFailure", "final_failure", "is_credits_purchase"]


@attrs.frozen
class FinalFailure:
    """A failed invoice settled: what goes back, and which account expires.

    Attributes:
        invoice: The invoice with no prepaid part left (its status as given).
        movements: The prepaid credit given back, to each wallet it came from.
        expires: The id of the account to expire, or None (a credits purchase, or an
            invoice of the agency itself).
    """

    invoice: Invoice
    movements: tuple[Movement, ...]
    expires: str | None


def is_credits_purchase(invoice: Invoice) -> bool:
    """Tell whether the invoice is a purchase of credits (it delivers them once paid)."""
    return any(line.kind is LineKind.CREDITS_PURCHASE for line in invoice.lines)


def final_failure(invoice: Invoice, *, on: date) -> FinalFailure:
    """Settle an invoice whose payment failed for good (its retries ran out on ``on``).

    Args:
        invoice: The failed invoice, with the prepaid parts it took.
        on: The day of the failure.

    Returns:
        The invoice with its prepaid parts at zero, one movement back per part it took
        (ids ``"<invoice id>/refund-earmarked"`` and ``"<invoice id>/refund-pool"``: the
        ledger records a movement once), and the account to expire.
    """
    parts = (
        ("earmarked", invoice.paid_earmarked, invoice.account_id, account_wallet),
        ("pool", invoice.paid_pool, invoice.profile_id, profile_wallet),
    )
    movements = tuple(
        Movement(
            id=f"{invoice.id}/refund-{part}",
            agency_id=invoice.agency_id,
            kind=CreditKind.PREPAID,
            quantity=amount.amount,
            source=SPENT,
            destination=wallet(owner),
            on=on,
            reason=f"invoice {invoice.number} failed: prepaid credit given back",
            invoice_id=invoice.id,
        )
        for part, amount, owner, wallet in parts
        if amount.is_positive() and owner is not None
    )
    zero = Money.zero(invoice.currency)
    refunded = attrs.evolve(invoice, paid_earmarked=zero, paid_pool=zero)
    expires = None if is_credits_purchase(invoice) else invoice.account_id
    return FinalFailure(refunded, movements, expires)
