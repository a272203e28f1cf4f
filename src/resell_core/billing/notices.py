"""Notices billing decides to send; the notifier port delivers them (S1, S2, K4)."""

from __future__ import annotations

import enum

import attrs

__all__ = ["Notice", "NoticeKind"]


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


@attrs.frozen
class Notice:
    """One email to send: to whom, about what, for which agency and account."""

    kind: NoticeKind
    to: str
    subject: str
    body: str
    agency_id: str
    account_id: str | None = None
