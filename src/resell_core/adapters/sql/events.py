"""The SQL storage's audit log: events appended by a unit of work, written at commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.batches import run_batch_values
from resell_core.audit import AuditEvent
from resell_core.serialization import loader, to_json

if TYPE_CHECKING:
    from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["Events"]

_EVENT_INSERT = insert(schema.events).inline()
_EVENT_COLUMNS = ("agency_id", "subject", "data")


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

    def flush(self, connection: Connection, *, batched: bool) -> None:
        if self.pending:
            run_batch_values(
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
