"""Single sign-on tickets from the portal into a managed account (R5).

A ticket is signed with the host's secret (HMAC-SHA256), lives 60 seconds by default, is
bound to one agency, account and user, and is used once: the caller keeps the nonces
already used (for at least the ticket's life) and records each accepted one. It names a
real user of the account (its ``admin``), and it is only good while the account still
takes single sign-on: the caller checks that again when the ticket is presented (S8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Container
from datetime import UTC, datetime, timedelta

import attrs

from resell_core.errors import AccessDenied, InvalidInput, NotFound
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.affordances import can_single_sign_on
from resell_core.lifecycle.credentials import ACCOUNT_USERS, ADMIN_USERNAME
from resell_core.lifecycle.text import text_problem

__all__ = ["SsoClaims", "SsoPolicy", "issue_sso_ticket", "verify_sso_ticket"]

_MIN_SECRET = 32
_MIN_NONCE = 16
_REFUSED = "this sign-on ticket is not valid (expired, used or not for this account): ask again"


@attrs.frozen
class SsoPolicy:
    """Ticket lifetimes: ``valid_for`` by default, never more than ``max_valid_for``."""

    valid_for: timedelta = timedelta(seconds=60)
    max_valid_for: timedelta = timedelta(minutes=5)


@attrs.frozen
class SsoClaims:
    """What a valid ticket says: who may sign into which account, until when."""

    agency_id: str
    account_id: str
    user: str
    nonce: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()


def issue_sso_ticket(
    account: Account,
    *,
    agency_id: str,
    secret: bytes,
    nonce: bytes,
    at: datetime,
    user: str = ADMIN_USERNAME,
    valid_for: timedelta | None = None,
    policy: SsoPolicy | None = None,
) -> str:
    """Sign a ticket that lets the agency into ``account`` as ``user`` (R5).

    Args:
        account: The managed account.
        agency_id: The agency asking; it must be the account's.
        secret: The host's signing secret (at least 32 bytes).
        nonce: At least 16 random bytes from the caller's Secrets port.
        at: Now (aware).
        user: The account user to sign in as (one of :data:`ACCOUNT_USERS`).
        valid_for: The ticket's life: the policy's default when None, else more than 0 and
            at most the policy's maximum.
        policy: Lifetimes.

    Raises:
        AccessDenied: When the account is cancelled (it logs in at its own page) or not
            running (being created, archived).
        NotFound: When the account belongs to another agency.
        InvalidInput: When the secret or nonce is too short, ``at`` is naive, the user
            is not one of the account's or the lifetime is out of bounds (zero and
            negative ones included).
    """
    if problem := text_problem(user):
        raise InvalidInput.one("sign-on ticket", "user", problem)
    rules = policy or SsoPolicy()
    life = rules.valid_for if valid_for is None else valid_for
    if at.tzinfo is None or len(secret) < _MIN_SECRET or len(nonce) < _MIN_NONCE:
        raise InvalidInput.one(
            "sign-on ticket",
            "at/secret/nonce",
            f"give an aware time, a secret of {_MIN_SECRET}+ bytes and a nonce of "
            f"{_MIN_NONCE}+ bytes",
        )
    if user not in ACCOUNT_USERS:
        raise InvalidInput.one(
            "sign-on ticket", "user", "sign in as a user of the account", ACCOUNT_USERS
        )
    if not timedelta(0) < life <= rules.max_valid_for:
        raise InvalidInput.one(
            "sign-on ticket",
            "valid_for",
            f"give a duration of more than 0 and at most {rules.max_valid_for}",
        )
    if account.agency_id != agency_id:
        raise NotFound("account", account.id)
    if not can_single_sign_on(account):
        where = (
            "a cancelled account logs in at its own login page"
            if account.status is AccountStatus.CANCELLED
            else f"a {account.status.value} account has no site to sign into"
        )
        raise AccessDenied(f"single sign-on is refused: {where}")
    expires = int((at + life).timestamp())
    payload = "|".join((agency_id, account.id, user, nonce.hex(), str(expires))).encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


def verify_sso_ticket(
    ticket: str,
    *,
    secret: bytes,
    agency_id: str,
    account_id: str,
    at: datetime,
    used_nonces: Container[str],
) -> SsoClaims:
    """Check a ticket presented to ``account_id``; record ``claims.nonce`` as used after.

    Raises:
        AccessDenied: When the signature is wrong, the ticket expired, was used already, or
            is for another agency or account (one message for all).
    """
    try:
        payload_text, signature_text = ticket.split(".")
        payload, signature = _unb64(payload_text), _unb64(signature_text)
        fields = payload.decode().split("|")
        agency, account, user, nonce, expires = fields
        expires_at = datetime.fromtimestamp(int(expires), tz=UTC)
    except (ValueError, UnicodeDecodeError):
        raise AccessDenied(_REFUSED) from None
    if (
        not hmac.compare_digest(signature, _sign(secret, payload))
        or (agency, account) != (agency_id, account_id)
        or at >= expires_at
        or nonce in used_nonces
    ):
        raise AccessDenied(_REFUSED)
    return SsoClaims(agency, account, user, nonce, expires_at)
