"""Audit entries: the time must be aware, and the fast constructor builds the same value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.audit import AuditEvent, aware_event

NOON_UTC = datetime(2024, 4, 11, 12, 0, tzinfo=UTC)
NOON_BERLIN = datetime(2024, 4, 11, 14, 0, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize("at", [NOON_UTC, NOON_BERLIN])
@pytest.mark.parametrize(
    ("before", "after"), [(None, "INV-7 USD 40.00"), ("active", "cancelled"), ("active", None)]
)
def test_aware_event_is_the_event_the_constructor_builds(
    at: datetime, before: str | None, after: str | None
) -> None:
    """Same fields, equality, hash and repr as ``AuditEvent(...)`` from the same values."""
    values: dict[str, Any] = {
        "at": at,
        "agency_id": "agency-acme-digital",
        "actor": "billing",
        "action": "invoice_issued",
        "subject": "invoice-north-bakery-7",
        "before": before,
        "after": after,
    }

    built = AuditEvent(**values)
    fast = aware_event(**values)

    assert type(fast) is AuditEvent
    assert attrs.asdict(fast) == attrs.asdict(built) == values
    assert fast == built
    assert hash(fast) == hash(built)
    assert repr(fast) == repr(built)


def test_aware_event_sets_every_field_of_the_event() -> None:
    """Each field gets its own value (none swapped, none left unset)."""
    fast = aware_event(
        at=NOON_UTC,
        agency_id="agency",
        actor="actor",
        action="action",
        subject="subject",
        before="before",
        after="after",
    )

    assert [getattr(fast, f.name) for f in attrs.fields(AuditEvent)] == [
        NOON_UTC,
        "agency",
        "actor",
        "action",
        "subject",
        "before",
        "after",
    ]


def test_aware_event_is_frozen_like_the_constructors() -> None:
    """The fast value can no more be changed than one built by ``AuditEvent(...)``."""
    fast = aware_event(
        at=NOON_UTC,
        agency_id="agency-acme-digital",
        actor="billing",
        action="invoice_paid",
        subject="invoice-7",
        before=None,
        after="USD 40.00",
    )

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.action = "invoice_voided"  # type: ignore[misc]


def test_an_event_at_a_naive_time_is_refused() -> None:
    """``AuditEvent`` still checks the time itself: a naive one is invalid input."""
    with pytest.raises(rc.InvalidInput, match="no time zone"):
        AuditEvent(
            at=datetime(2024, 4, 11, 12, 0),  # noqa: DTZ001 - naive on purpose
            agency_id="agency-acme-digital",
            actor="billing",
            action="invoice_paid",
            subject="invoice-7",
        )
