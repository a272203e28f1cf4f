"""Signed webhook payloads (EV2): HMAC-SHA256 over a timestamp and the body.

A host that sends the feed's events on (docs/events.md) signs each body with a secret it
shares with the receiver; the receiver verifies the signature and the timestamp before it
trusts the body. The header's value has Stripe's shape: ``t=<unix seconds>,v1=<hex>``,
where the hex is HMAC-SHA256 of ``"<t>." + body`` under the secret. A header may carry
several ``v1`` entries (signed with an old and a new secret while one replaces the
other); one match is enough.

No clock is read here: the signing moment and the verifier's "now" are arguments.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from resell_core.errors import InvalidInput, ResellError

__all__ = [
    "DEFAULT_TOLERANCE",
    "MIN_SECRET_BYTES",
    "SIGNATURE_HEADER",
    "SignatureMalformed",
    "SignatureMismatch",
    "TimestampOutsideTolerance",
    "WebhookSignatureError",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "Resell-Signature"
"""The HTTP header that carries the signature."""

DEFAULT_TOLERANCE = timedelta(minutes=5)
"""How far a signature's timestamp may be from the verifier's clock, either way."""

MIN_SECRET_BYTES = 16
"""The shortest secret accepted (``secrets.token_hex(32)`` makes a good one)."""

_SCHEME = "v1"
_MAX_HEADER = 4096


class WebhookSignatureError(ResellError, ValueError):
    """A webhook's signature header does not prove the body: refuse the request (answer
    400) and trust nothing in it."""

    code: ClassVar[str] = "webhook_signature_invalid"


class SignatureMalformed(WebhookSignatureError):
    """The signature header is missing its timestamp or any ``v1`` signature."""

    code: ClassVar[str] = "webhook_signature_malformed"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"the signature header {why}: expect 't=<unix seconds>,v1=<hex>' as sign() writes it"
        )


class SignatureMismatch(WebhookSignatureError):
    """No signature of the header matches the body under the secret: the body was changed
    on the way, or it was signed with another secret."""

    code: ClassVar[str] = "webhook_signature_mismatch"

    def __init__(self) -> None:
        super().__init__(
            "no signature matches the body: the body was changed, or the sender uses "
            "another secret; refuse it (check the secret both sides hold)"
        )


class TimestampOutsideTolerance(WebhookSignatureError):
    """The signed timestamp is further from now than the tolerance: a replay of an old
    request, or a clock far off."""

    code: ClassVar[str] = "webhook_timestamp_outside_tolerance"

    def __init__(self, signed_at: datetime, now: datetime, tolerance: timedelta) -> None:
        self.signed_at = signed_at
        self.now = now
        self.tolerance = tolerance
        super().__init__(
            f"the request was signed at {signed_at.isoformat()}, more than {tolerance} from "
            f"now ({now.isoformat()}): refuse it as a replay, or check both clocks"
        )


def _secret_bytes(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(key) < MIN_SECRET_BYTES:
        raise InvalidInput.one(
            "webhook signature",
            "secret",
            f"use a secret of at least {MIN_SECRET_BYTES} bytes (secrets.token_hex(32))",
        )
    return key


def _aware(field: str, moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise InvalidInput.one(
            "webhook signature", field, "give an aware datetime (with its time zone)"
        )
    return moment


def _body(payload: str | bytes) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def _digest(key: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(payload: str | bytes, secret: str | bytes | Sequence[str | bytes], *, at: datetime) -> str:
    """Return the signature header's value for ``payload`` signed at ``at`` (EV2).

    Args:
        payload: The request body exactly as sent (text is sent as UTF-8).
        secret: The shared secret, or several (the new one and the one it replaces):
            each gives a ``v1`` entry.
        at: The signing moment (aware); the timestamp is its whole seconds.

    Returns:
        ``"t=<unix seconds>,v1=<hex>[,v1=<hex>…]"``.

    Raises:
        InvalidInput: A secret shorter than 16 bytes, or a naive ``at``.
    """
    keys = (
        [_secret_bytes(secret)]
        if isinstance(secret, str | bytes)
        else [_secret_bytes(s) for s in secret]
    )
    if not keys:
        raise InvalidInput.one("webhook signature", "secret", "give at least one secret")
    timestamp = int(_aware("at", at).timestamp())
    body = _body(payload)
    return ",".join([f"t={timestamp}", *(f"{_SCHEME}={_digest(k, timestamp, body)}" for k in keys)])


def _parse(header: str) -> tuple[int, list[str]]:
    if not isinstance(header, str) or len(header) > _MAX_HEADER:
        raise SignatureMalformed("is not a text of at most 4096 characters")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif name == _SCHEME and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureMalformed("has no timestamp 't='")
    if not signatures:
        raise SignatureMalformed("has no 'v1=' signature")
    return timestamp, signatures


def verify(
    payload: str | bytes,
    header: str,
    secret: str | bytes,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> datetime:
    """Check that ``header`` signs ``payload`` under ``secret``, recently (EV2).

    The signatures are compared in constant time (:func:`hmac.compare_digest`); the
    timestamp is checked after the signature, so that a forged request learns nothing
    from which check refused it.

    Args:
        payload: The request body exactly as received.
        header: The signature header's value.
        secret: The shared secret.
        now: The verifier's clock (aware).
        tolerance: How far the signed timestamp may be from ``now``, before or after.

    Returns:
        The signing moment (UTC).

    Raises:
        SignatureMalformed: The header has no timestamp or no ``v1`` signature.
        SignatureMismatch: No signature matches (the body changed, or another secret).
        TimestampOutsideTolerance: Signed further from ``now`` than ``tolerance``.
        InvalidInput: A secret shorter than 16 bytes, a naive ``now``, a negative
            tolerance.
    """
    key = _secret_bytes(secret)
    _aware("now", now)
    if tolerance < timedelta(0):
        raise InvalidInput.one("webhook signature", "tolerance", "give a tolerance of 0 or more")
    timestamp, signatures = _parse(header)
    expected = _digest(key, timestamp, _body(payload)).encode()
    # Every signature compared, each in constant time: no early exit tells which matched.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise SignatureMismatch
    try:
        signed_at = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise SignatureMalformed("has a timestamp out of range") from error
    if abs(now - signed_at) > tolerance:
        raise TimestampOutsideTolerance(signed_at, now, tolerance)
    return signed_at
