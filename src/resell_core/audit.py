"""The audit log: who did what, when, and what changed (docs/rules.md#audit)."""

from __future__ import annotations

from datetime import datetime

import attrs

from resell_core.errors import InvalidInput

__all__ = ["MAX_EVENTS", "AuditEvent", "aware_event"]

MAX_EVENTS = 10_000
"""The most audit entries one read of the log returns (E1)."""


def _aware(_instance: object, _attribute: object, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
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


_new = object.__new__
# In field order: a field added or removed breaks this unpacking at import, not silently.
(_set_at, _set_agency_id, _set_actor, _set_action, _set_subject, _set_before, _set_after) = (
    AuditEvent.__dict__[field.name].__set__ for field in attrs.fields(AuditEvent)
)


def aware_event(
    *,
    at: datetime,
    agency_id: str,
    actor: str,
    action: str,
    subject: str,
    before: str | None,
    after: str | None,
) -> AuditEvent:
    """Return the event ``AuditEvent(...)`` builds from the same values, without checking
    ``at`` again: for a caller that already checked it is aware (a command's one "now",
    shared by every entry it writes).

    A billing run writes several entries an account; the generated ``__init__`` and its
    validator were a noticeable part of its cost. The slots are set directly, as
    ``__init__`` sets them, so the event is the same value.

    Args:
        at: When it happened; the caller guarantees it is an aware datetime.
        agency_id: The agency it concerns.
        actor: Who did it.
        action: What was done, past tense.
        subject: What it was done to.
        before: The relevant state before, or None.
        after: The relevant state after, or None.

    Returns:
        The event, equal to the one ``AuditEvent(...)`` builds from the same values.
    """
    event = _new(AuditEvent)
    _set_at(event, at)
    _set_agency_id(event, agency_id)
    _set_actor(event, actor)
    _set_action(event, action)
    _set_subject(event, subject)
    _set_before(event, before)
    _set_after(event, after)
    return event
