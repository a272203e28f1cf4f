"""Password reset (S4): a random token, stored hashed, single use, short-lived.

The token is made from random bytes the caller passes in; only its SHA-256 hash is
stored (a token has enough entropy that a slow hash adds nothing). Asking for a reset
gives the same answer whether or not the email address is known. A ticket remembers which
stored password hash it was issued against (:func:`password_version`): once that hash
changes (a reset used, any password change, a stronger rehash), every other outstanding
ticket of the account is refused (S8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

import attrs

from resell_core.errors import AccessDenied, InvalidInput

__all__ = [
    "RESET_ANSWER",
    "ResetDelivery",
    "ResetPolicy",
    "ResetRequest",
    "ResetTicket",
    "issue_reset",
    "password_version",
    "redeem_reset",
    "request_password_reset",
]

RESET_ANSWER = (
    "If this address belongs to an account, a link to choose a new password is on its way."
)
"""The one answer to a reset request, whether or not the address is known."""

_MIN_RANDOM_BYTES = 16
_REFUSED = "this reset link is not valid (it may have expired or been used): ask for a new one"


@attrs.frozen
class ResetPolicy:
    """How long a reset link stays valid."""

    valid_for: timedelta = timedelta(hours=1)


@attrs.frozen
class ResetTicket:
    """The stored side of a reset: the token's hash, its account, expiry and use.

    Attributes:
        password_version: :func:`password_version` of the hash stored when the ticket
            was issued ("" for tickets of the first releases, which did not keep it).
    """

    account_id: str
    token_hash: str = attrs.field(repr=False)
    expires_at: datetime
    used_at: datetime | None = None
    password_version: str = attrs.field(default="", repr=False)


@attrs.frozen
class ResetDelivery:
    """The email to send (to the account's address) and the ticket to store."""

    to: str
    token: str = attrs.field(repr=lambda _: "'***'")
    ticket: ResetTicket


@attrs.frozen
class ResetRequest:
    """The result of a reset request: ``answer`` is the same for known and unknown emails."""

    answer: str
    delivery: ResetDelivery | None = attrs.field(repr=False)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_version(stored_hash: str) -> str:
    """A fingerprint of the stored password hash: it changes whenever the hash does (S8)."""
    return hashlib.sha256(stored_hash.encode()).hexdigest()


def _aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise InvalidInput.one("password reset", "at", "give a datetime with its time zone")


def issue_reset(
    account_id: str,
    *,
    to: str,
    random_bytes: bytes,
    at: datetime,
    policy: ResetPolicy | None = None,
    version: str = "",
) -> ResetDelivery:
    """Make a reset link for an account; the agency may trigger it for its account (S4).

    Args:
        account_id: The account whose admin password is reset.
        to: The account's address the link is emailed to.
        random_bytes: At least 16 bytes from the caller's Secrets port.
        at: Now (aware).
        policy: Validity (1 hour by default).
        version: :func:`password_version` of the account's stored hash now.
    """
    _aware(at)
    if len(random_bytes) < _MIN_RANDOM_BYTES:
        raise InvalidInput.one(
            "password reset", "random_bytes", f"give at least {_MIN_RANDOM_BYTES} random bytes"
        )
    token = base64.urlsafe_b64encode(random_bytes).decode().rstrip("=")
    expires = at + (policy or ResetPolicy()).valid_for
    return ResetDelivery(to, token, ResetTicket(account_id, _hash(token), expires, None, version))


def request_password_reset(
    email: str,
    known_account_id: str | None,
    *,
    random_bytes: bytes,
    at: datetime,
    policy: ResetPolicy | None = None,
) -> ResetRequest:
    """Answer a "forgot password" request (S4).

    Args:
        email: The address typed in.
        known_account_id: The account that address belongs to, as the caller found it
            (None when unknown).
        random_bytes: At least 16 bytes; drawn whether or not the address is known so
            that both paths do the same work.
        at: Now (aware).
        policy: Validity.

    Returns:
        The same ``answer`` either way; ``delivery`` holds the email to send when known.
    """
    delivery = issue_reset(
        known_account_id or "", to=email, random_bytes=random_bytes, at=at, policy=policy
    )
    return ResetRequest(RESET_ANSWER, delivery if known_account_id is not None else None)


def redeem_reset(ticket: ResetTicket, token: str, at: datetime, version: str = "") -> ResetTicket:
    """Use a reset token once; return the ticket marked used (store it before the new password).

    Args:
        ticket: The stored ticket.
        token: The token of the link.
        at: Now (aware).
        version: :func:`password_version` of the account's stored hash now.

    Raises:
        AccessDenied: When the token is wrong, expired, already used, or the password
            changed since it was issued (one message for all four).
    """
    _aware(at)
    matches = hmac.compare_digest(_hash(token), ticket.token_hash)
    revoked = ticket.password_version not in ("", version)
    if not matches or revoked or ticket.used_at is not None or at >= ticket.expires_at:
        raise AccessDenied(_REFUSED)
    return attrs.evolve(ticket, used_at=at)
