"""The event feed: an agency's audit log as an ordered feed a host reads after a cursor
(docs/events.md, EV1).

Every command appends its :class:`~resell_core.audit.AuditEvent` entries in its own unit
of work; the storage gives each a *position* when it commits. Within one agency, an event
committed later always has a greater position than every event committed before it, so a
reader that asks for the events after the last position it handled never skips one. A
host acknowledges the position it has handled per consumer name; a consumer that stops
between reading and acknowledging reads the same events again (at least once, in commit
order).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from resell_core.audit import AuditEvent

__all__ = ["FEED_EVENT_SCHEMA", "MAX_FEED_PAGE", "FeedEvent", "FeedPage", "feed_event"]

MAX_FEED_PAGE = 1_000
"""The most events one read of the feed returns (E1)."""


@attrs.frozen
class FeedEvent:
    """One event of an agency's feed: an audit entry and its position.

    Its JSON form (``resell_core.serialization.to_json``) is the payload a host sends on,
    described by :data:`FEED_EVENT_SCHEMA`.

    Attributes:
        position: Where it stands in the feed; the cursor to acknowledge once handled.
            Positions grow with commit order within an agency and are not contiguous.
        name: What happened, a stable past-tense name (``"account_cancelled"``): the audit
            entry's action.
        at: When it happened (aware).
        agency_id: The agency it concerns.
        actor: Who did it (a portal user's id, ``"api"``, ``"billing"``…).
        subject: What it was done to (an account, invoice or profile id).
        before: The relevant state before (a short text or JSON), None when created.
        after: The relevant state after, None when removed.
    """

    position: int
    name: str
    at: datetime
    agency_id: str
    actor: str
    subject: str
    before: str | None = None
    after: str | None = None


def feed_event(position: int, event: AuditEvent) -> FeedEvent:
    """Return the feed's view of the audit entry stored at ``position``."""
    return FeedEvent(
        position,
        event.action,
        event.at,
        event.agency_id,
        event.actor,
        event.subject,
        event.before,
        event.after,
    )


@attrs.frozen
class FeedPage:
    """A page of an agency's feed.

    Attributes:
        events: The events after the cursor asked for, in feed order.
        cursor: The position of the last event of the page (the cursor asked for when the
            page is empty): acknowledge it once the page is handled, read on after it.
        more: True when more events follow the page.
    """

    events: tuple[FeedEvent, ...]
    cursor: int
    more: bool


_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": ["string", "null"]}

FEED_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:resell-core:feed-event",
    "title": "FeedEvent",
    "description": "One event of an agency's feed (docs/events.md).",
    "type": "object",
    "properties": {
        "position": {
            "type": "integer",
            "minimum": 1,
            "description": "Where it stands in the feed; the cursor to acknowledge.",
        },
        "name": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
            "description": "What happened, a stable past-tense name.",
        },
        "at": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened (ISO 8601 with its offset).",
        },
        "agency_id": {**_TEXT, "description": "The agency it concerns."},
        "actor": {**_TEXT, "description": "Who did it."},
        "subject": {**_TEXT, "description": "What it was done to."},
        "before": {**_MAYBE_TEXT, "description": "The relevant state before."},
        "after": {**_MAYBE_TEXT, "description": "The relevant state after."},
    },
    "required": ["position", "name", "at", "agency_id", "actor", "subject", "before", "after"],
    "additionalProperties": False,
}
"""JSON Schema (draft 2020-12) of a :class:`FeedEvent`'s JSON form."""
