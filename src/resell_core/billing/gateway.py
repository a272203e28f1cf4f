"""What billing asks of the payment and payout gateways, and what they answer."""

from __future__ import annotations

import enum

import attrs

from resell_core.money import Money

__all__ = [
    "ChargeOutcome",
    "ChargeRequest",
    "ChargeResult",
    "PayoutOutcome",
    "PayoutRequest",
    "PayoutResult",
    "RefundOutcome",
    "RefundRequest",
    "RefundResult",
]


class ChargeOutcome(enum.StrEnum):
    """A payment gateway's answer (after Kill Bill's plugin contract).

    ``pending`` is asynchronous (3-D Secure…); ``declined`` enters the retry schedule;
    ``not_attempted`` means the gateway was down (retry later, no dunning step);
    ``unknown`` (a timeout) must be reconciled by the idempotency key, never charged anew.
    """

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    DECLINED = "declined"
    NOT_ATTEMPTED = "not_attempted"
    UNKNOWN = "unknown"


@attrs.frozen
class ChargeRequest:
    """A charge of an agency's card; the gateway dedupes by ``idempotency_key``."""

    idempotency_key: str
    agency_id: str
    profile_id: str
    card_token: str
    amount: Money
    description: str


@attrs.frozen
class ChargeResult:
    """What the gateway answered to a charge (or to a look-up by key).

    ``amount`` is what the card was charged, for a ``succeeded`` answer (None: the amount
    requested); what is recorded is what the gateway charged (M2).
    """

    outcome: ChargeOutcome
    reference: str | None = None
    message: str = ""
    amount: Money | None = None


class PayoutOutcome(enum.StrEnum):
    """A payout gateway's answer; same meanings as :class:`ChargeOutcome`."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    DECLINED = "declined"
    NOT_ATTEMPTED = "not_attempted"
    UNKNOWN = "unknown"


@attrs.frozen
class PayoutRequest:
    """A commission payout to the agency's PayPal email (K2)."""

    idempotency_key: str
    agency_id: str
    paypal_email: str
    amount: Money


@attrs.frozen
class PayoutResult:
    """What the payout gateway answered."""

    outcome: PayoutOutcome
    reference: str | None = None
    message: str = ""


class RefundOutcome(enum.StrEnum):
    """A payment gateway's answer to a refund; the meanings of :class:`ChargeOutcome`.

    ``failed`` is the refund's decline (the card or the charge cannot take it back);
    ``not_attempted`` means the gateway was down (the same key may be tried again);
    ``unknown`` (a timeout) must be reconciled by the key, never refunded anew.
    """

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    UNKNOWN = "unknown"


@attrs.frozen
class RefundRequest:
    """A refund to the card an invoice was charged on; the gateway dedupes by
    ``idempotency_key`` (one per credit note, so that a note is never refunded twice).

    ``charge_key`` is the key of the charge that is given back (the card payment of the
    invoice), for a gateway that refunds a charge by its reference.
    """

    idempotency_key: str
    agency_id: str
    profile_id: str
    card_token: str
    amount: Money
    charge_key: str
    description: str


@attrs.frozen
class RefundResult:
    """What the gateway answered to a refund (or to a look-up by key)."""

    outcome: RefundOutcome
    reference: str | None = None
    message: str = ""
