"""A unit of work's journal of one versioned aggregate's table (agencies, accounts…).

:class:`VersionedRows` reads rows (and remembers the version and unique keys each was
read at), keeps the unit of work's writes in a journal that its own reads see, checks
ids and unique keys as it journals them, and writes the journal at commit: batched, or
row by row to name a refused row. Every aggregate it hands out or journals is a copy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.exc import IntegrityError

from resell_core._construct import copier, replacer
from resell_core.adapters.sql.batches import count_changed, run_batch, run_inserts, run_updates
from resell_core.adapters.sql.errors import violated_constraint
from resell_core.adapters.sql.specs import Spec
from resell_core.adapters.sql.statements import (
    among_ids_statement,
    among_params,
    among_size,
    select_statement,
    versioned_statements,
)
from resell_core.agency import Agency
from resell_core.errors import (
    AlreadyExists,
    Conflict,
    NotFound,
    ResellError,
    VersionConflict,
    quoted,
)
from resell_core.serialization import to_json

if TYPE_CHECKING:
    from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["VersionedRows", "copy_aggregate"]

V = TypeVar("V")


class _Deleted:
    """Marks a row deleted in a journal."""


_DELETED = _Deleted()


class VersionedRows(Generic[V]):
    """One unit of work's access to a versioned aggregate's table."""

    def __init__(self, uow: SqlUnitOfWork, spec: Spec[V]) -> None:
        self.uow = uow
        self.spec = spec
        # The journal: each row's value to store (or deleted), and in ``bases`` the
        # version it was based on (None for a new row); two dicts, not an entry object a
        # row kept alive until the commit.
        self.changes: dict[str, V | _Deleted] = {}
        self.bases: dict[str, int | None] = {}
        # The agency, version and unique claims (``spec.claims`` of it, kept as that
        # returns them) of each row read: an update compares its own with them, without
        # reading the row again (the commit checks the version in the database); a
        # dict of strings is nothing the garbage collector walks. With a cursor, the row's
        # other fields as read (``spec.cursor.rest``, kept as it returns them, None
        # without a cursor), so that the commit writes the cursor alone when nothing else
        # changed: compared whole, never sliced out of a longer tuple.
        self.seen: dict[str, tuple[Any, int, dict[str, object], tuple[object, ...] | None]] = {}
        # Which journalled row claimed which unique key (possibly stale: confirmed
        # against ``changes``), so that checking a claim never scans the journal.
        self.claimed: dict[str, dict[object, str]] = {name: {} for name in spec.errors}
        self.sql = versioned_statements(spec)
        self._fixed = self.sql.fixed

    # reading
    def loaded(self, row: Any) -> V:
        """Read a row's aggregate and remember its version."""
        spec = self.spec
        value = spec.read(row)
        key: str = value.id  # type: ignore[attr-defined]
        held = spec.claims(value)
        rest = None if spec.cursor is None else spec.cursor.rest(value)
        self.seen[key] = (_agency_of(value), row.version, held, rest)
        return value

    def visible(self, key: str) -> V | None:
        """Return the row as this unit of work sees it (a fresh copy), or None."""
        value = self.changes.get(key)
        if value is not None:
            return None if isinstance(value, _Deleted) else copy_aggregate(value)
        row = self.uow.first(self.sql.by_id, {"id": key}, once=True)
        return None if row is None else self.loaded(row)

    def scoped(self, agency_id: str, key: str) -> V:
        """Return the agency's row, or raise NotFound."""
        value = self.visible(key)
        if value is None or _agency_of(value) != agency_id:
            raise NotFound(self.spec.kind, key)
        return value

    def where_unique(self, constraint: str, wanted: object) -> V | None:
        """Return the visible row holding ``wanted`` in a unique constraint, or None."""
        holder = self._holder(constraint, wanted)
        if holder is not None:
            return copy_aggregate(holder)
        statement = self.sql.unique[constraint]
        for row in self.uow.rows(statement, {"wanted": wanted}, once=True):
            value = self.loaded(row)
            if value.id not in self.changes:  # type: ignore[attr-defined]
                return value
        return None

    def among(self, keys: Sequence[str], *, lock: bool) -> list[V]:
        """Return the visible rows among ``keys``, by id, read again in one statement; with
        ``lock``, on PostgreSQL, lock them until the unit of work ends (``FOR UPDATE``,
        waiting for a holder, in id order so that two units of work locking the same rows
        never deadlock on them).

        A row this unit of work changed is returned as changed (and locked too).
        """
        wanted = sorted(set(keys))
        if not wanted:
            return []
        uow = self.uow
        postgres = uow.storage.dialect == "postgresql"
        lock = lock and postgres
        if lock:
            # The reads' transaction now holds rows: nothing may commit it early
            # (:meth:`Tokens.increment` takes a connection of its own then).
            uow.claimed = True
        rows = uow.rows(
            among_ids_statement(self.spec, among_size(wanted, array=postgres), lock=lock),
            among_params("ids", wanted, array=postgres),
            once=True,
        )
        stored = {row.id: row for row in rows}
        found: list[V] = []
        for key in wanted:
            change = self.changes.get(key)
            if change is not None:
                if not isinstance(change, _Deleted):
                    found.append(copy_aggregate(change))
            elif key in stored:
                found.append(self.loaded(stored[key]))
        return found

    def select(
        self,
        condition: ColumnElement[bool],
        accept: Callable[[V], bool],
        *,
        after_id: str | None = None,
        limit: int | None = None,
        order: Sequence[Any] = (),
        for_update: bool = False,
        params: Mapping[str, object] | None = None,
    ) -> list[V]:
        """Return visible rows by id (or ``order``): the database's merged with the journal's.

        ``params``: the values of ``condition``'s bound parameters, for a condition built
        once: the statement is then built and compiled once too.
        """
        if limit is not None and limit <= 0:
            return []
        lock = for_update and self.uow.storage.dialect == "postgresql"
        if lock:
            self.uow.claimed = True
        if params is not None:
            statement = select_statement(
                self.spec,
                condition,
                after=after_id is not None,
                limit=limit is not None,
                order=tuple(order),
                lock=lock,
            )
            given = dict(params)
            if after_id is not None:
                given["after_id"] = after_id
            if limit is not None:
                given["limit"] = limit + len(self.changes)
            # Planned for its values each time on PostgreSQL, as the statement built per
            # call was (a generic plan of the due page was slower).
            rows = self.uow.rows(statement, given, once=True, custom_plan=True)
        else:
            table = self.spec.table
            read = (table.c[c] for c in self.spec.read_columns)
            statement = select(*read).where(self._fixed, condition)
            if after_id is not None:
                statement = statement.where(table.c.id > after_id)
            statement = statement.order_by(*order, table.c.id)
            if limit is not None:
                statement = statement.limit(limit + len(self.changes))
            if lock:
                statement = statement.with_for_update(skip_locked=True)
            rows = self.uow.rows(statement)
        found = [
            value
            for value in map(self.loaded, rows)
            if value.id not in self.changes  # type: ignore[attr-defined]
        ]
        if self.changes:
            found += [
                copy_aggregate(value)
                for key, value in self.changes.items()
                if not isinstance(value, _Deleted)
                and (after_id is None or key > after_id)
                and accept(value)
            ]
            if not order:
                found.sort(key=lambda v: v.id)  # type: ignore[attr-defined]
        return found if limit is None else found[:limit]

    # writing
    def _check_claims(
        self,
        key: str,
        value: V,
        *,
        new: bool,
        old: Mapping[str, object],
        claims: Mapping[str, object],
        read: bool = True,
    ) -> None:
        """Raise if the id (for a new row) or a unique key ``value`` takes is held.

        ``claims``: ``value``'s unique keys (``spec.claims(value)``).
        ``read``: look the stored rows up too (else this unit of work's journal only).
        """
        wanted = {n: v for n, v in claims.items() if v is not None and old.get(n) != v}
        if not wanted and not new:
            return
        for name, claim in wanted.items():
            holder = self._holder(name, claim)
            if holder is not None and holder.id != key:  # type: ignore[attr-defined]
                raise self.spec.errors[name](value)
        if not read:
            return
        params: dict[str, object] = {"id": key}
        for name, claim in claims.items():
            parts = claim if isinstance(claim, tuple) else (claim,)
            params.update(
                (f"c_{c}", part)
                for c, part in zip(self.spec.unique_columns(name), parts, strict=True)
            )
        for row in self.uow.rows(self.sql.clashes, params, once=True):
            if row.id in self.changes:
                continue  # this unit of work's own state of the row decides
            if row.id == key:
                if new:
                    raise AlreadyExists(self.spec.kind, key)
                continue
            held = self.spec.claims(self.loaded(row))
            for name, claim in wanted.items():
                if held[name] == claim:
                    raise self.spec.errors[name](value)

    def _holder(self, constraint: str, claim: object) -> V | None:
        """Return the journalled row holding ``claim`` in ``constraint``, or None."""
        key = self.claimed[constraint].get(claim)
        if key is None:
            return None
        value = self.changes[key]
        if isinstance(value, _Deleted) or self.spec.claims(value)[constraint] != claim:
            return None
        return value

    def _journal(
        self,
        key: str,
        value: V | _Deleted,
        base: int | None,
        claims: Mapping[str, object] | None = None,
    ) -> None:
        """Journal ``value`` (its unique keys: ``claims``, worked out when None)."""
        self.changes[key] = value
        self.bases[key] = base
        if not isinstance(value, _Deleted):
            if claims is None:
                claims = self.spec.claims(value)
            for name, claim in claims.items():
                if claim is not None:
                    self.claimed[name][claim] = key

    def add(self, value: V) -> None:
        """Journal a new row; raise if its id or a unique key is visibly taken."""
        self._add(value, self.spec.claims(value))

    def add_many(self, values: Sequence[V]) -> None:
        """Journal new rows in order, checking each against this unit of work's journal
        only, and reading nothing: one that clashes with a stored row is refused at commit
        by the table's unique keys (the row-by-row replay names it), the commit writing
        nothing. A billing page's invoices: their ids are new, their numbers taken under
        the agency's lock and their period keys due, so a read before them found nothing
        that the commit does not check again."""
        spec = self.spec
        for value in values:
            self._add(value, spec.claims(value), read=False)

    def _add(self, value: V, claims: Mapping[str, object], *, read: bool = True) -> None:
        """Journal a new row holding ``claims`` (``read``: look the stored rows up too)."""
        key: str = value.id  # type: ignore[attr-defined]
        change = self.changes.get(key)
        if change is not None and not isinstance(change, _Deleted):
            raise AlreadyExists(self.spec.kind, key)
        self._check_claims(key, value, new=change is None, old={}, claims=claims, read=read)
        base = self.bases[key] if change is not None else None
        self._journal(key, copy_aggregate(value), base, claims)

    def update(self, value: V) -> V:
        """Journal a changed row (version + 1); return the stored copy."""
        return copy_aggregate(self._journal_update(value))

    def store(self, value: V) -> None:
        """Journal a changed row (version + 1) as :meth:`update`, handing back no copy."""
        self._journal_update(value)

    def _journal_update(self, value: V) -> V:
        """Journal a changed row (version + 1); return the value journalled (not a copy:
        the journal's own, never to be handed out)."""
        key: str = value.id  # type: ignore[attr-defined]
        spec = self.spec
        current = self.changes.get(key)
        held: dict[str, object] | None = None
        if current is not None:
            if isinstance(current, _Deleted) or _agency_of(current) != _agency_of(value):
                raise NotFound(spec.kind, key)
            version: int = current.version  # type: ignore[attr-defined]
            old_claims: Mapping[str, object] = spec.claims(current)
            base = self.bases[key]
        else:
            if key not in self.seen and self.visible(key) is None:
                raise NotFound(spec.kind, key)
            agency, version, held, _ = self.seen[key]
            if agency != _agency_of(value):
                raise NotFound(spec.kind, key)
            base = version
        if version != value.version:  # type: ignore[attr-defined]
            raise VersionConflict(spec.kind, key, value.version, version)  # type: ignore[attr-defined]
        stored = _with_version(value, version + 1)
        claims = spec.claims(stored)
        # A row as read holding the same unique keys takes none: nothing to check (most
        # updates, such as a billed account's, change no name).
        if held is None or claims != held:
            if held is not None:
                old_claims = held
            self._check_claims(key, stored, new=False, old=old_claims, claims=claims)
        self._journal(key, stored, base, claims)
        return stored

    def remove(self, agency_id: str, key: str) -> None:
        """Journal the deletion of the agency's row; raise NotFound if there is none."""
        self.scoped(agency_id, key)
        base = self.bases[key] if key in self.changes else self.seen[key][1]
        self._journal(key, _DELETED, base)

    # committing
    def _row(self, key: str, value: V) -> dict[str, object]:
        row = self.spec.columns(value)
        row.update(self.spec.fixed)
        row["id"] = key
        row["version"] = value.version  # type: ignore[attr-defined]
        row["data"] = to_json(value)
        return row

    def _sorted_changes(
        self,
    ) -> tuple[
        list[tuple[str, int]],
        list[tuple[str, V]],
        list[tuple[str, V, int]],
        list[dict[str, object]],
    ]:
        """Return the journal by the write each row takes: deletions (key, base), new rows
        (key, value), cursor-only updates (key, value, base), whole-row updates' parameters."""
        deletes: list[tuple[str, int]] = []
        inserts: list[tuple[str, V]] = []
        cursors: list[tuple[str, V, int]] = []
        updates: list[dict[str, object]] = []
        bases = self.bases
        for key, value in self.changes.items():
            base = bases[key]
            if isinstance(value, _Deleted):
                if base is not None:
                    deletes.append((key, base))
            elif base is None:
                inserts.append((key, value))
            elif self._cursor_only(key, value, base):
                cursors.append((key, value, base))
            else:
                updates.append(self._update_row(key, value, base))
        return deletes, inserts, cursors, updates

    def flush(self, connection: Connection, *, batched: bool) -> None:
        """Write the journal: batched (raise BatchRefused on a refusal), or row by row, raising
        the library error of the first refused row."""
        deletes, inserts, cursors, updates = self._sorted_changes()
        sql = self.sql
        if not batched:
            self._write_row_by_row(connection, deletes, inserts, cursors, updates)
            return
        if deletes:
            olds = [{"old_id": key, "old_version": base} for key, base in deletes]
            run_batch(connection, sql.delete, olds, exact=True)
        if updates:
            run_batch(connection, sql.update, updates, exact=True)
        if cursors:
            # The hot rows (cursors alone, new ones) as tuples of values: no dict a row.
            values = [self._cursor_values(*one) for one in cursors]
            run_updates(
                connection, sql.cursor_update, sql.cursor_columns, values, roles=sql.cursor_roles
            )
        if inserts:
            columns = self.spec.columns
            fixed = tuple(self.spec.fixed.values())
            rows = []
            for key, value in inserts:
                given = columns(value)
                rows.append((*given.values(), *fixed, key, value.version, to_json(value)))  # type: ignore[attr-defined]
            names = (*columns(inserts[0][1]), *self.spec.fixed, "id", "version", "data")
            run_inserts(connection, sql.insert, names, rows)

    def _write_row_by_row(
        self,
        connection: Connection,
        deletes: list[tuple[str, int]],
        inserts: list[tuple[str, V]],
        cursors: list[tuple[str, V, int]],
        updates: list[dict[str, object]],
    ) -> None:
        sql = self.sql
        writes = (
            (sql.delete, [{"old_id": key, "old_version": base} for key, base in deletes]),
            (sql.update, updates),
            (
                sql.cursor_update,
                [
                    dict(zip(sql.cursor_columns, self._cursor_values(*one), strict=True))
                    for one in cursors
                ],
            ),
        )
        for statement, batch in writes:
            for one in batch:
                if count_changed(connection, statement, [one]) != 1:
                    raise self._changed_meanwhile(connection, one)
        for key, value in inserts:
            try:
                connection.execute(sql.insert, self._row(key, value))
            except IntegrityError as error:
                raise self._translate(error, value) from error

    def _update_row(self, key: str, value: V, base: int) -> dict[str, object]:
        """Return the parameters of the update of a whole row."""
        row = self._row(key, value)
        changed = {new: row[n] for n, new in self.sql.set_names}
        changed.update(old_id=key, old_version=base)
        return changed

    def _cursor_only(self, key: str, value: V, base: int) -> bool:
        """Tell whether only the cursor changed since the row was read at ``base``."""
        cursor = self.spec.cursor
        if cursor is None:
            return False
        read = self.seen.get(key)
        return read is not None and read[1] == base and cursor.rest(value) == read[3]

    def _cursor_values(self, key: str, value: V, base: int) -> tuple[object, ...]:
        """Return the parameters of the cursor's update of one row, as values of
        ``sql.cursor_columns``."""
        cursor = self.spec.cursor
        assert cursor is not None
        return (*cursor.values(value), value.version, key, base)  # type: ignore[attr-defined]

    def _changed_meanwhile(
        self, connection: Connection, params: Mapping[str, object]
    ) -> ResellError:
        key = str(params["old_id"])
        row = connection.execute(self.sql.by_id, {"id": key}).first()
        if row is None:
            return Conflict(
                f"the {self.spec.kind} {quoted(key)} was removed by someone else: read it again"
            )
        return VersionConflict(self.spec.kind, key, int(str(params["old_version"])), row.version)

    def _translate(self, error: IntegrityError, value: V) -> ResellError:
        name = violated_constraint(error, self.spec.table)
        factory = self.spec.errors.get(name or "")
        if factory is not None:
            return factory(value)
        return AlreadyExists(self.spec.kind, value.id)  # type: ignore[attr-defined]

    @property
    def dirty(self) -> bool:
        """Tell whether the journal holds anything to write."""
        return bool(self.changes)

    def reset(self) -> None:
        """Forget the journal and the versions read."""
        self.changes.clear()
        self.bases.clear()
        self.seen.clear()
        for claims in self.claimed.values():
            claims.clear()


def copy_aggregate(value: V) -> V:
    """Return a copy of ``value`` field by field (:func:`resell_core._construct.copier`).

    ``attrs.evolve`` runs ``__init__`` (converters and validators again) on values that
    already passed them, at some 4-10 µs an aggregate; the storage copies every aggregate
    it hands out or journals, so it copies the fields as they are (they are immutable
    values: strings, dates, frozen attrs classes, tuples), as ``evolve`` would share them.
    """
    cls: Any = type(value)
    copied: V = _copier(cls)(value)
    return copied


@functools.cache
def _copier(cls: Any) -> Callable[[Any], Any]:
    """Return the function that copies a ``cls`` as ``attrs.evolve`` would (one lookup
    of the class a copy)."""
    return copier(cls)


def _with_version(value: V, version: int) -> V:
    """Return a copy of ``value`` at ``version`` (``attrs.evolve(value, version=version)``)."""
    stored: V = replacer(type(value), "version")(value, version)
    return stored


def _agency_of(value: object) -> str | None:
    if isinstance(value, Agency):
        return value.id
    return getattr(value, "agency_id", None)
