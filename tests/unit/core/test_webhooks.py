"""Signed webhook payloads (EV2): Stripe-shaped headers, HMAC-SHA256 over the timestamp
and the body, verified in constant time within a tolerance window."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resell_core.errors import InvalidInput
from resell_core.webhooks import (
    DEFAULT_TOLERANCE,
    SignatureMalformed,
    SignatureMismatch,
    TimestampOutsideTolerance,
    WebhookSignatureError,
    sign,
    verify,
)

SECRET = "whsec-acme-digital-0123456789abcdef"
OTHER = "whsec-globex-fedcba9876543210-xyz"
AT = datetime(2024, 4, 11, 9, 30, 5, 250_000, tzinfo=UTC)
BODY = b'{"name":"account_cancelled","position":42,"subject":"account-north-bakery"}'


def test_EV2_header_is_stripe_shaped_hmac_sha256_of_timestamp_dot_body() -> None:
    """t= is the whole unix seconds; v1= is HMAC-SHA256 of "<t>." + body, in hex."""
    header = sign(BODY, SECRET, at=AT)
    timestamp = int(AT.timestamp())
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256)
    assert header == f"t={timestamp},v1={expected.hexdigest()}"


def test_EV2_a_signed_body_verifies_and_answers_when_it_was_signed() -> None:
    """The receiver's clock a minute later: accepted, signed at the whole second."""
    header = sign(BODY, SECRET, at=AT)
    assert verify(BODY, header, SECRET, now=AT + timedelta(minutes=1)) == AT.replace(microsecond=0)


def test_EV2_text_and_bytes_bodies_sign_alike() -> None:
    """A text body is signed as its UTF-8 bytes."""
    text = '{"subject":"café-münchen"}'
    assert sign(text, SECRET, at=AT) == sign(text.encode(), SECRET, at=AT)


def test_EV2_a_changed_body_is_refused_as_tampered() -> None:
    """One character changed in the body: no signature matches."""
    header = sign(BODY, SECRET, at=AT)
    with pytest.raises(SignatureMismatch) as refused:
        verify(BODY.replace(b"42", b"43"), header, SECRET, now=AT)
    assert refused.value.code == "webhook_signature_mismatch"


def test_EV2_a_changed_timestamp_is_refused_as_tampered() -> None:
    """An old request replayed with a fresh t= no longer matches its signature."""
    header = sign(BODY, SECRET, at=AT)
    later = AT + timedelta(hours=2)
    replayed = header.replace(f"t={int(AT.timestamp())}", f"t={int(later.timestamp())}")
    with pytest.raises(SignatureMismatch):
        verify(BODY, replayed, SECRET, now=later)


def test_EV2_a_wrong_secret_is_refused() -> None:
    """Signed under another agency's secret: refused with the mismatch code."""
    with pytest.raises(SignatureMismatch):
        verify(BODY, sign(BODY, OTHER, at=AT), SECRET, now=AT)


@pytest.mark.parametrize("offset", [timedelta(minutes=5, seconds=1), timedelta(days=400)])
def test_EV2_an_old_timestamp_is_refused(offset: timedelta) -> None:
    """Verified more than the tolerance after signing: refused as a replay, with data."""
    header = sign(BODY, SECRET, at=AT)
    with pytest.raises(TimestampOutsideTolerance) as refused:
        verify(BODY, header, SECRET, now=AT + offset)
    assert refused.value.code == "webhook_timestamp_outside_tolerance"
    assert refused.value.tolerance == DEFAULT_TOLERANCE


def test_EV2_a_timestamp_from_the_future_beyond_the_tolerance_is_refused() -> None:
    """A sender's clock ten minutes ahead is refused; two minutes ahead is accepted."""
    header = sign(BODY, SECRET, at=AT)
    with pytest.raises(TimestampOutsideTolerance):
        verify(BODY, header, SECRET, now=AT - timedelta(minutes=10))
    verify(BODY, header, SECRET, now=AT - timedelta(minutes=2))


def test_EV2_the_tolerance_window_is_inclusive_and_chosen_by_the_receiver() -> None:
    """Exactly the tolerance away is accepted; a tolerance of zero takes the same second."""
    header = sign(BODY, SECRET, at=AT.replace(microsecond=0))
    verify(BODY, header, SECRET, now=AT.replace(microsecond=0) + DEFAULT_TOLERANCE)
    verify(BODY, header, SECRET, now=AT.replace(microsecond=0), tolerance=timedelta(0))
    with pytest.raises(TimestampOutsideTolerance):
        verify(BODY, header, SECRET, now=AT + timedelta(seconds=2), tolerance=timedelta(0))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "v1=abc",
        "t=1712827805",
        "t=soon,v1=abc",
        "t=-5,v1=abc",
        "t=1712827805,v0=abc",
        "x" * 5000,
    ],
)
def test_EV2_a_malformed_header_is_refused_with_its_code(header: str) -> None:
    """No timestamp, no v1 entry, or an overlong header: malformed, before any HMAC."""
    with pytest.raises(SignatureMalformed) as refused:
        verify(BODY, header, SECRET, now=AT)
    assert refused.value.code == "webhook_signature_malformed"
    assert isinstance(refused.value, WebhookSignatureError)


def test_EV2_a_signature_of_odd_characters_is_a_mismatch_not_a_crash() -> None:
    """Non-ASCII or NUL in a v1 entry is compared like any other text and refused."""
    timestamp = int(AT.timestamp())
    for odd in ("é" * 64, "\x00" * 64, "\ud800"):
        with pytest.raises(SignatureMismatch):
            verify(BODY, f"t={timestamp},v1={odd}", SECRET, now=AT)


def test_EV2_during_a_secret_rotation_either_secret_verifies() -> None:
    """Signed with the new and the old secret: a receiver holding either accepts it."""
    header = sign(BODY, [SECRET, OTHER], at=AT)
    assert header.count("v1=") == 2
    verify(BODY, header, SECRET, now=AT)
    verify(BODY, header, OTHER, now=AT)
    with pytest.raises(SignatureMismatch):
        verify(BODY, header, "whsec-a-third-secret-nobody-has", now=AT)


def test_EV2_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each v1 entry goes through hmac.compare_digest, the wrong one included."""
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # looked up at each call
    header = sign(BODY, [OTHER, SECRET], at=AT)
    verify(BODY, header, SECRET, now=AT)
    assert len(compared) == 2


def test_EV2_weak_secrets_and_naive_clocks_are_refused() -> None:
    """A short secret, a naive signing moment or clock, a negative tolerance: InvalidInput."""
    header = sign(BODY, SECRET, at=AT)
    with pytest.raises(InvalidInput):
        sign(BODY, "short", at=AT)
    with pytest.raises(InvalidInput):
        sign(BODY, [], at=AT)
    with pytest.raises(InvalidInput):
        sign(BODY, SECRET, at=datetime(2024, 4, 11, 9, 30))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(InvalidInput):
        verify(BODY, header, SECRET, now=datetime(2024, 4, 11, 9, 30))  # noqa: DTZ001
    with pytest.raises(InvalidInput):
        verify(BODY, header, SECRET, now=AT, tolerance=timedelta(seconds=-1))


def test_EV2_the_signing_moment_in_any_zone_is_the_same_timestamp() -> None:
    """09:30 UTC and 11:30 in UTC+2 sign alike: the timestamp is an instant."""
    berlin = AT.astimezone(timezone(timedelta(hours=2)))
    assert sign(BODY, SECRET, at=berlin) == sign(BODY, SECRET, at=AT)


@given(
    body=st.binary(max_size=300),
    secret=st.binary(min_size=16, max_size=64),
    flip=st.integers(min_value=0, max_value=299),
)
def test_EV2_any_body_verifies_and_any_flipped_byte_is_refused(
    body: bytes, secret: bytes, flip: int
) -> None:
    """Signing then verifying any body round-trips; flipping one byte of it is refused."""
    header = sign(body, secret, at=AT)
    verify(body, header, secret, now=AT)
    if body:
        index = flip % len(body)
        changed = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
        with pytest.raises(SignatureMismatch):
            verify(changed, header, secret, now=AT)
