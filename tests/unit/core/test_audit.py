"""Audit entries: the time must be aware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

import resell_core as rc
from resell_core.audit import AuditEvent

NOON_UTC = datetime(2024, 4, 11, 12, 0, tzinfo=UTC)
NOON_BERLIN = datetime(2024, 4, 11, 14, 0, tzinfo=timezone(timedelta(hours=2)))


class _NoOffset(tzinfo):
    """A zone that names itself but gives no offset: the time is still naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "Nowhere"


def _event(at: datetime) -> AuditEvent:
    return AuditEvent(
        at=at,
        agency_id="agency-acme-digital",
        actor="billing",
        action="invoice_paid",
        subject="invoice-7",
    )


@pytest.mark.parametrize("at", [NOON_UTC, NOON_BERLIN])
def test_an_event_keeps_its_aware_time(at: datetime) -> None:
    assert _event(at).at == at


@pytest.mark.parametrize(
    "at",
    [
        datetime(2024, 4, 11, 12, 0),  # noqa: DTZ001 - naive on purpose
        datetime(2024, 4, 11, 12, 0, tzinfo=_NoOffset()),
    ],
    ids=["naive", "zone-without-offset"],
)
def test_an_event_at_a_naive_time_is_refused(at: datetime) -> None:
    """``AuditEvent`` checks the time itself: a naive one is invalid input."""
    with pytest.raises(rc.InvalidInput, match="no time zone"):
        _event(at)
