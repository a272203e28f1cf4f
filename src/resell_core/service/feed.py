"""The event feed a host builds on (EV1): read an agency's events after a cursor, and
acknowledge, per consumer, the cursor handled (docs/events.md).

The feed is the audit log itself, which every command appends to in its own unit of
work (a transactional outbox with nothing written twice); the storage numbers the events
in commit order per agency (:meth:`resell_core.ports.EventLog.feed`). A consumer's cursor
is an access record (``TokenStore``) of kind :data:`CURSOR_KIND`; acknowledging only ever
moves it forward, and is not itself an event of the feed (it changes no state of the
agency, and a feed that recorded its own reading would never be read to its end).
"""

from __future__ import annotations

import json
import logging

from resell_core.errors import InvalidInput
from resell_core.feed import MAX_FEED_PAGE, FeedPage
from resell_core.ports import AccessRecord, UnitOfWork
from resell_core.service.context import Command, Context, Work, read, run_command

__all__ = ["CURSOR_KIND", "MAX_CONSUMER", "MAX_POSITION", "acknowledge", "acknowledged", "feed"]

_log = logging.getLogger(__name__)

CURSOR_KIND = "feed_cursor"
"""The kind of the access records that hold consumers' acknowledged cursors."""

MAX_CONSUMER = 100
"""The longest consumer name, in characters."""


MAX_POSITION = 2**63 - 1
"""The greatest position a feed can reach (a signed 64-bit number)."""


def _check_cursor(field: str, value: int) -> None:
    if not 0 <= value <= MAX_POSITION:
        raise InvalidInput.one(
            "event feed", field, "give 0 (the start) or a position the feed returned"
        )


def _check_consumer(consumer: str) -> None:
    if not consumer or len(consumer) > MAX_CONSUMER or consumer.strip() != consumer:
        message = f"give 1 to {MAX_CONSUMER} characters, without spaces around them"
    elif not consumer.isprintable():
        message = "use printable characters only (no control, NUL or bidi characters)"
    else:
        return
    raise InvalidInput.one("event feed", "consumer", message)


def _cursor_key(agency_id: str, consumer: str) -> str:
    return json.dumps([agency_id, consumer])


def _stored(uow: UnitOfWork, agency_id: str, consumer: str) -> int:
    found = uow.tokens.get(CURSOR_KIND, _cursor_key(agency_id, consumer))
    return 0 if found is None else int(found.data)


def feed(ctx: Context, agency_id: str, after: int = 0, limit: int = 100) -> FeedPage:
    """Return the agency's events after the cursor ``after``, in commit order (EV1).

    Read on with the page's ``cursor``; acknowledge it (:func:`acknowledge`) once the
    page is handled. An event committed while the feed is read is never skipped: it comes
    after the cursor of every page read before it committed.

    Args:
        ctx: The wiring.
        agency_id: The agency.
        after: The last position handled (0: from the start).
        limit: The most events to return (1 to 1,000).

    Raises:
        NotFound: No such agency.
        InvalidInput: A negative ``after`` or a ``limit`` outside 1 to 1,000.
    """
    _check_cursor("after", after)
    if not 1 <= limit <= MAX_FEED_PAGE:
        raise InvalidInput.one("event feed", "limit", f"read 1 to {MAX_FEED_PAGE} events a page")

    def answer(uow: UnitOfWork) -> FeedPage:
        uow.agencies.get(agency_id)
        found = uow.events.feed(agency_id, after=after, limit=limit + 1)
        page = tuple(found[:limit])
        return FeedPage(page, page[-1].position if page else after, len(found) > limit)

    return read(ctx, answer)


def acknowledged(ctx: Context, agency_id: str, consumer: str) -> int:
    """Return the cursor the consumer last acknowledged for the agency (0 when never): the
    ``after`` to read the feed on from.

    Raises:
        NotFound: No such agency.
        InvalidInput: A blank, overlong or unprintable consumer name.
    """
    _check_consumer(consumer)

    def answer(uow: UnitOfWork) -> int:
        uow.agencies.get(agency_id)
        return _stored(uow, agency_id, consumer)

    return read(ctx, answer)


def acknowledge(ctx: Context, agency_id: str, consumer: str, cursor: int) -> int:
    """Record that the consumer handled the agency's events up to ``cursor``.

    The stored cursor only moves forward: acknowledging a cursor at or before it (a page
    handled twice after a restart) keeps it. Acknowledge after the events are handled:
    a consumer that stops before then reads them again (at least once).

    Args:
        ctx: The wiring.
        agency_id: The agency.
        consumer: The consumer's name (``"webhooks"``), 1 to 100 printable characters;
            each consumer has its own cursor.
        cursor: A page's ``cursor`` (a position the feed returned), or 0.

    Returns:
        The consumer's cursor now stored.

    Raises:
        NotFound: No such agency.
        InvalidInput: A bad consumer name, a negative cursor, or one after the agency's
            last event (a cursor the feed never returned).
    """
    _check_consumer(consumer)
    _check_cursor("cursor", cursor)

    def body(work: Work) -> int:
        uow = work.uow
        uow.agencies.get(agency_id)
        if cursor > uow.events.last_position(agency_id):
            raise InvalidInput.one(
                "event feed", "cursor", "acknowledge a position the feed returned"
            )
        stored = _stored(uow, agency_id, consumer)
        if cursor <= stored:
            return stored
        uow.tokens.put(
            AccessRecord(
                CURSOR_KIND, _cursor_key(agency_id, consumer), agency_id, consumer, str(cursor)
            )
        )
        return cursor

    command = Command("acknowledge", agency_id, {"consumer": consumer, "cursor": cursor})
    moved = run_command(ctx, command, body, None)
    _log.debug("feed of %s acknowledged by %s up to %d", agency_id, consumer, moved)
    return moved
