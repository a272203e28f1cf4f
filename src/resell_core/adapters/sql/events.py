"""The SQL storage's audit log: events appended by a unit of work, written at commit, and
read back as the agency's feed (EV1).

An event's position is its ``seq``. On SQLite a commit holds the database's one write lock
from ``BEGIN IMMEDIATE`` to its end, so ``seq`` follows commit order. On PostgreSQL a
sequence value is taken when the row is inserted, not when it commits: a transaction that
took 7 could commit after one that took 8, and a reader that had handled 8 would skip 7.
So, just before inserting its events, a commit takes a transaction-scoped advisory lock
per agency it writes events for (``pg_advisory_xact_lock``, in one statement, in a fixed
order), held until it commits or rolls back: the events of one agency are numbered by one
transaction at a time, each after the previous one's commit. Inserting the events is the
commit's last write, so no transaction holding such a lock waits for a row another holds.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.batches import PIPELINE_CHECKS, run_inserts
from resell_core.adapters.sql.compiled import driver_cursor
from resell_core.audit import AuditEvent
from resell_core.feed import FeedEvent, feed_event
from resell_core.serialization import loader, to_json

if TYPE_CHECKING:
    from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["FEED_LOCK_CLASS", "Events", "feed_lock_key"]

_EVENT_INSERT = insert(schema.events).inline()
_EVENT_COLUMNS = ("agency_id", "subject", "data")

FEED_LOCK_CLASS = 0x7265_7366
"""The first key of the feed's advisory locks on PostgreSQL (``pg_advisory_xact_lock(
FEED_LOCK_CLASS, feed_lock_key(agency))``), apart from a host's own advisory locks."""

# One statement for every agency of the commit; unnest yields the keys in array order.
_LOCK_AGENCIES = "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(CAST(%s AS integer[])) AS t(k)"


@functools.lru_cache(maxsize=4096)
def feed_lock_key(agency_id: str) -> int:
    """Return the agency's key of the feed's advisory lock (a signed 32-bit number; two
    agencies that share one only wait for each other)."""
    digest = hashlib.blake2b(agency_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class Events:
    """A unit of work's audit log (:class:`~resell_core.ports.EventLog`)."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self.pending: list[AuditEvent] = []
        self._insert = _EVENT_INSERT
        self._load = loader(AuditEvent)

    def append(self, event: AuditEvent) -> None:
        self.pending.append(event)

    def list(
        self, agency_id: str, *, subject: str | None = None, limit: int | None = None
    ) -> list[AuditEvent]:
        e = schema.events.c
        statement = select(e.data).where(e.agency_id == agency_id).order_by(e.seq)
        if subject is not None:
            statement = statement.where(e.subject == subject)
        if limit is not None:
            statement = statement.limit(limit)
        found = [self._load(row.data) for row in self._uow.rows(statement)]
        found += [
            x
            for x in self.pending
            if x.agency_id == agency_id and (subject is None or x.subject == subject)
        ]
        return found if limit is None else found[:limit]

    def feed(self, agency_id: str, *, after: int, limit: int) -> builtins.list[FeedEvent]:
        e = schema.events.c
        statement = (
            select(e.seq, e.data)
            .where(e.agency_id == agency_id, e.seq > after)
            .order_by(e.seq)
            .limit(limit)
        )
        return [feed_event(row.seq, self._load(row.data)) for row in self._uow.rows(statement)]

    def last_position(self, agency_id: str) -> int:
        e = schema.events.c
        found = self._uow.first(select(func.max(e.seq)).where(e.agency_id == agency_id), {})
        return 0 if found is None or found[0] is None else int(found[0])

    def flush(self, connection: Connection, *, batched: bool) -> None:
        if not self.pending:
            return
        if connection.dialect.name == "postgresql":
            keys = sorted({feed_lock_key(a) for a in {x.agency_id for x in self.pending}})
            if PIPELINE_CHECKS in connection.info:
                # In the commit's pipeline: a refusal is seen at its end (BatchRefused).
                driver_cursor(connection).execute(_LOCK_AGENCIES, (FEED_LOCK_CLASS, keys))
            else:
                connection.exec_driver_sql(_LOCK_AGENCIES, (FEED_LOCK_CLASS, keys))
        run_inserts(
            connection,
            self._insert,
            _EVENT_COLUMNS,
            [(x.agency_id, x.subject, to_json(x)) for x in self.pending],
        )

    @property
    def dirty(self) -> bool:
        return bool(self.pending)

    def reset(self) -> None:
        self.pending.clear()
