"""A unit of work's journal of a table of values keyed by a tuple of columns, without
versions (portal users, idempotency keys, saved views, access records).

Each write is journalled with how it must be written: :data:`INSERT` (must be new),
:data:`UPSERT` (replaces what is stored), :data:`TAKE` (deletes a row that must still be
there at commit) or :data:`DROP` (deletes the row if it is there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Table, select
from sqlalchemy.exc import IntegrityError

from resell_core.adapters.sql.batches import run_batch
from resell_core.adapters.sql.statements import keyed_statements
from resell_core.errors import Conflict, ResellError, quoted
from resell_core.serialization import to_json

if TYPE_CHECKING:
    from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["DROP", "INSERT", "TAKE", "UPSERT", "KeyedRows"]

V = TypeVar("V")

INSERT = "insert"  # must be new: a clash at commit is the store's error
UPSERT = "upsert"  # replaces whatever is stored
TAKE = "take"  # deletes a row that must still be there at commit
DROP = "drop"  # deletes the row if it is there


class KeyedRows(Generic[V]):
    """A table of values keyed by a tuple of columns, with a journal of writes."""

    def __init__(
        self,
        uow: SqlUnitOfWork,
        table: Table,
        key_columns: tuple[str, ...],
        *,
        load: Callable[[str], V],
        columns: Callable[[V], dict[str, object]],
        clash: Callable[[tuple[str, ...], V], ResellError],
    ) -> None:
        self._uow = uow
        self.table = table
        self.key_columns = key_columns
        self.load = load
        self.columns = columns
        self.clash = clash
        self.changes: dict[tuple[str, ...], tuple[str, V | None]] = {}
        self.sql = keyed_statements(table, key_columns, uow.storage.dialect)

    def get(self, key: tuple[str, ...]) -> V | None:
        """Return the value stored under ``key`` as this unit of work sees it, or None."""
        if key in self.changes:
            return self.changes[key][1]
        row = self._uow.first(self.sql.get, self.row_params(key, None), once=True)
        return None if row is None else self.load(row.data)

    def write(self, key: tuple[str, ...], op: str, value: V | None) -> None:
        """Journal a write of ``key`` (``op``: :data:`INSERT`, :data:`UPSERT`, :data:`TAKE`
        or :data:`DROP`; ``value`` None for a deletion)."""
        previous = self.changes.get(key)
        if previous is not None and op in (TAKE, DROP):
            # Taking what this unit of work wrote itself: the stored row (if any) goes too.
            op = DROP if previous[0] in (UPSERT, DROP) else TAKE if previous[0] == TAKE else ""
            if not op:
                del self.changes[key]
                return
        self.changes[key] = (op, value)

    def rows(
        self, condition: ColumnElement[bool], order: Sequence[Any]
    ) -> list[tuple[tuple[str, ...], V]]:
        """Return visible (key, value) pairs matching ``condition`` in the database, and
        this unit of work's own values (unfiltered: the caller filters)."""
        cols = [self.table.c[k] for k in self.key_columns]
        statement = select(*cols, self.table.c.data).where(condition).order_by(*order, *cols)
        found = []
        for row in self._uow.rows(statement):
            key = tuple(row[: len(cols)])
            if key not in self.changes:
                found.append((key, self.load(row.data)))
        found += [(k, v) for k, (_, v) in self.changes.items() if v is not None]
        return found

    def row_params(self, key: tuple[str, ...], value: V | None) -> dict[str, object]:
        """Return the parameters of a write of ``key``: the key alone (a deletion, ``value``
        None), or the whole row."""
        if value is None:
            return {f"k_{k}": v for k, v in zip(self.key_columns, key, strict=True)}
        row = self.columns(value)
        row.update(zip(self.key_columns, key, strict=True))
        row["data"] = to_json(value)
        return row

    def flush(self, connection: Connection, *, batched: bool) -> None:
        """Write the journal: batched, or row by row, raising the library error of the first
        refused row."""
        grouped: dict[str, list[tuple[tuple[str, ...], V | None]]] = {}
        for key, (op, value) in self.changes.items():
            grouped.setdefault(op, []).append((key, value))
        sql = self.sql
        statements = {
            INSERT: sql.insert,
            UPSERT: sql.upsert,
            TAKE: sql.delete,
            DROP: sql.delete,
        }
        for op in (TAKE, DROP, UPSERT, INSERT):
            items = grouped.get(op, [])
            if not items:
                continue
            if batched:
                params = [self.row_params(k, None if op in (TAKE, DROP) else v) for k, v in items]
                run_batch(connection, statements[op], params, exact=op == TAKE)
                continue
            for key, value in items:
                params1 = self.row_params(key, None if op in (TAKE, DROP) else value)
                try:
                    changed = connection.execute(statements[op], params1).rowcount
                except IntegrityError as error:
                    raise self.clash(key, value) from error  # type: ignore[arg-type]
                if op == TAKE and changed != 1:
                    raise Conflict(
                        f"the access record {quoted(key[-1])} was used or changed by someone else "
                        "meanwhile"
                    )

    @property
    def dirty(self) -> bool:
        """Tell whether the journal holds anything to write."""
        return bool(self.changes)

    def reset(self) -> None:
        """Forget the journal."""
        self.changes.clear()
