"""The audit log: who did what, when, and what changed (docs/rules.md#audit)."""

from __future__ import annotations

from datetime import datetime

import attrs

from resell_core.errors import InvalidInput

__all__ = ["MAX_EVENTS", "AuditEvent"]

MAX_EVENTS = 10_000
"""The most audit entries one read of the log returns (E1)."""


def _aware(_instance: object, _attribute: object, value: datetime) -> None:
    if value.utcoffset() is None:  # naive, or a zone that gives no offset
        raise InvalidInput.one(
            "audit event", "at", "the time has no time zone; give an aware datetime (UTC)"
        )


@attrs.frozen
class AuditEvent:
    """One entry of an agency's event log, appended by every command.

    Attributes:
        at: When it happened (an aware datetime).
        agency_id: The agency it concerns.
        actor: Who did it (a portal user's id, ``"api"``, ``"billing"``…).
        action: What was done, past tense (``"account_cancelled"``).
        subject: What it was done to (an account, invoice or profile id).
        before: The relevant state before (a short text or JSON), None when created.
        after: The relevant state after, None when removed.
    """

    at: datetime = attrs.field(validator=_aware)
    agency_id: str
    actor: str
    action: str
    subject: str
    before: str | None = None
    after: str | None = None
