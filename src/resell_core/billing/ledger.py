"""The credit ledger: append-only movements of prepaid money and units (C1-C6)."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import attrs

__all__ = [
    "OUTSIDE",
    "SPENT",
    "CreditKind",
    "Movement",
    "account_wallet",
    "agency_wallet",
    "profile_wallet",
]

OUTSIDE = "outside"
"""The wallet money or units come from when they are bought."""

SPENT = "spent"
"""The wallet money or units go to when a charge or a use consumes them."""


def profile_wallet(profile_id: str) -> str:
    """Name the prepaid pool of a billing profile."""
    return f"profile:{profile_id}"


def account_wallet(account_id: str) -> str:
    """Name an account's wallet (earmarked prepaid credit, assigned units)."""
    return f"account:{account_id}"


def agency_wallet(agency_id: str) -> str:
    """Name the agency's wallet of bought units not yet assigned to an account."""
    return f"agency:{agency_id}"


class CreditKind(enum.StrEnum):
    """The three kinds of credit an agency buys (C1)."""

    PREPAID = "prepaid"
    SMS = "sms"
    INBOX_PREVIEW = "inbox_preview"


@attrs.frozen
class Movement:
    """One move of credit from one wallet to another.

    ``quantity`` is money in the agency's currency for prepaid credit and a count of
    units otherwise; it is positive. ``id`` is unique: recording a movement again with
    the same id and content is harmless.
    """

    id: str
    agency_id: str
    kind: CreditKind
    quantity: Decimal
    source: str
    destination: str
    on: date
    reason: str
    invoice_id: str | None = None
