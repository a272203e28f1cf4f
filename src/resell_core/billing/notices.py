"""Notices billing decides to send; the notifier port delivers them (S1, S2, K4, B8).

Notices about a resold account go to its notification email only: that address is the
agency's (S2), and its client never hears from the vendor about billing or expiry (S1):
the agency bills its own clients (B8). A commission account's client is the vendor's
own customer and receives its notices itself (K4).
"""

from __future__ import annotations

import enum

import attrs

from resell_core.billing.invoices import Invoice
from resell_core.lifecycle.account import Account, AccountKind

__all__ = [
    "Notice",
    "NoticeKind",
    "account_notice",
    "agency_notice",
    "invoice_declined",
    "notice_recipients",
]


class NoticeKind(enum.StrEnum):
    """What a notice is about."""

    INVOICE_ISSUED = "invoice_issued"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_RECONCILE = "payment_reconcile"
    ACCOUNT_EXPIRING = "account_expiring"
    ACCOUNT_EXPIRED = "account_expired"
    DUNNING_EXHAUSTED = "dunning_exhausted"
    CREDITS_PURCHASED = "credits_purchased"
    PAYOUT_SENT = "payout_sent"
    PAYOUT_HELD = "payout_held"
    ACCOUNT_READY = "account_ready"
    PROVISIONING_FAILED = "provisioning_failed"
    PASSWORD_RESET = "password_reset"
    TRANSFER_COMPLETED = "transfer_completed"


@attrs.frozen
class Notice:
    """One email to send: to whom, about what, for which agency and account."""

    kind: NoticeKind
    to: str
    subject: str
    body: str
    agency_id: str
    account_id: str | None = None


def notice_recipients(account: Account, *, agency_email: str) -> tuple[str, ...]:
    """Return who receives expiry and billing notices about ``account`` (S1, S2, K4).

    Args:
        account: The account the notice is about.
        agency_email: The agency's own email, used for a resold account that has no
            notification email.

    Returns:
        For a resold account, its notification email (agency-controlled) or else the
        agency's email: never the client. For a commission account, its own
        notification email (the client's).
    """
    if account.kind is AccountKind.COMMISSION:
        return (account.notification_email,) if account.notification_email else ()
    return (account.notification_email or agency_email,)


def account_notice(
    kind: NoticeKind, account: Account, *, agency_email: str, subject: str, body: str
) -> list[Notice]:
    """Build the notices about one account, one per recipient (S1, S2, K4)."""
    return [
        Notice(kind, to, subject, body, account.agency_id, account.id)
        for to in notice_recipients(account, agency_email=agency_email)
    ]


def agency_notice(
    kind: NoticeKind, *, agency_id: str, agency_email: str, subject: str, body: str
) -> Notice:
    """Build a notice to the agency itself (a held payout, a credits purchase)."""
    return Notice(kind, agency_email, subject, body, agency_id, None)


def invoice_declined(invoice: Invoice, *, agency_email: str) -> Notice:
    """Build the notice to the agency that the card charge of one of its own invoices (a
    purchase for the agency, no account's) was declined; an account's invoices are told
    about to the account's notification email (``billing.payment.settlement_notices``)."""
    return Notice(
        NoticeKind.PAYMENT_FAILED,
        agency_email,
        f"Invoice {invoice.number}: payment declined",
        f"Invoice {invoice.number} ({invoice.open_amount}) was declined. "
        "Check the card of the billing profile.",
        invoice.agency_id,
    )
