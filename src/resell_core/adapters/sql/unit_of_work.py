"""The SQL storage's unit of work: its connection, its reads, its commit.

A unit of work reads through its own connection and keeps its writes in a journal, as a
database session does: it reads its own writes from the journal, and ``commit()`` writes
the journal in one transaction, batched per table (``executemany``), checking optimistic
versions (``UPDATE … WHERE id = ? AND version = ?``), unique keys and the ledger's
``CHECK (amount >= 0)`` in the database itself. When a batch is refused, the transaction
is rolled back and written again row by row, so that the error names the very row and
constraint (translated into the library's errors with ``raise … from``); nothing of the
unit of work is written.

Reads of other units of work's commits are "read committed": on SQLite every read runs
outside a transaction (WAL lets it run beside a writer) and the commit takes the write
lock with ``BEGIN IMMEDIATE``; on PostgreSQL the unit of work's transaction stays open
from its first read to its commit, so that the rows :meth:`Accounts.due` claims with
``FOR UPDATE SKIP LOCKED`` stay locked until then.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.batches import PIPELINE_CHECKS, BatchRefused
from resell_core.adapters.sql.compiled import compile_once, driver_cursor
from resell_core.adapters.sql.driver_errors import (
    quietly,
    refused,
    refused_by_driver,
    translated,
    unavailable,
)
from resell_core.adapters.sql.events import Events
from resell_core.adapters.sql.keyed_rows import KeyedRows
from resell_core.adapters.sql.ledger import Ledger
from resell_core.adapters.sql.repositories import (
    Accounts,
    Agencies,
    Idempotency,
    Invoices,
    Profiles,
    Records,
    Tokens,
    Users,
    Views,
    idempotency_clash,
    token_clash,
    user_clash,
)
from resell_core.adapters.sql.specs import ACCOUNT, AGENCY, INVOICE, PROFILE, RECORDS
from resell_core.adapters.sql.transactions import write_transaction
from resell_core.adapters.sql.units import micros
from resell_core.adapters.sql.versioned_rows import VersionedRows
from resell_core.agency import PortalUser
from resell_core.errors import AlreadyExists, ResellError
from resell_core.lifecycle.account_query import SavedView
from resell_core.ports import AccessRecord, IdempotencyRecord
from resell_core.serialization import loader

if TYPE_CHECKING:
    from resell_core.adapters.sql.storage import SqlStorage

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """A unit of work over :class:`SqlStorage` (see :class:`resell_core.ports.UnitOfWork`).

    Its repositories (``uow.accounts``…) refer to it weakly: they serve while the unit of
    work itself is referenced (``with storage.unit_of_work() as uow:``), and raise
    ``ReferenceError`` once it is gone.
    """

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage
        self._connection: Connection | None = None
        self._dbapi_error: type[Exception] = Exception
        # Rows claimed FOR UPDATE on PostgreSQL, held by the reads' open transaction.
        self.claimed = False
        # The parts reach their unit of work through a weak proxy: the unit of work owns
        # them, and a strong reference back would make each unit of work a reference
        # cycle, freed only by a full pass of the garbage collector, which waits until
        # the objects that outlived two younger passes make a quarter of the long-lived
        # ones: a billing run left every page's unit of work behind, its peak memory
        # growing with the accounts billed. Without the cycle, a unit of work is freed as
        # soon as its caller lets it go.
        uow = cast("SqlUnitOfWork", weakref.proxy(self))
        self._agencies = VersionedRows(uow, AGENCY)
        self._accounts = VersionedRows(uow, ACCOUNT)
        self._profiles = VersionedRows(uow, PROFILE)
        self._invoices = VersionedRows(uow, INVOICE)
        self._records = {name: VersionedRows(uow, spec) for name, spec in RECORDS.items()}
        users = KeyedRows(
            uow,
            schema.users,
            ("id",),
            load=loader(PortalUser),
            columns=lambda u: {"agency_id": u.agency_id, "email_key": u.email.casefold()},
            clash=user_clash,
        )
        keys = KeyedRows(
            uow,
            schema.idempotency,
            ("scope", "key"),
            load=loader(IdempotencyRecord),
            columns=lambda r: {"fingerprint": r.fingerprint, "at_us": micros(r.at)},
            clash=idempotency_clash,
        )
        views = KeyedRows(
            uow,
            schema.views,
            ("agency_id", "user_id", "name"),
            load=loader(SavedView),
            columns=lambda _: {},
            clash=lambda key, _: AlreadyExists("saved view", key[-1]),
        )
        tokens = KeyedRows(
            uow,
            schema.tokens,
            ("kind", "key"),
            load=loader(AccessRecord),
            columns=lambda r: {
                "expires_us": None if r.expires_at is None else micros(r.expires_at)
            },
            clash=token_clash,
        )
        self.agencies = Agencies(self._agencies)
        self.users = Users(users)
        self.accounts = Accounts(self._accounts)
        self.profiles = Profiles(self._profiles)
        self.invoices = Invoices(self._invoices)
        self.idempotency = Idempotency(keys)
        self.views = Views(views)
        self.tokens = Tokens(tokens, uow)
        self.transfers = Records(self._records["transfers"])
        self.payouts = Records(self._records["payouts"])
        self.brandings = Records(self._records["brandings"])
        self.credit_notes = Records(self._records["credit_notes"])
        self.top_ups = Records(self._records["top_ups"])
        self.ledger = Ledger(uow)
        self.events = Events(uow)
        self._parts: list[Any] = [
            self._agencies,
            self._accounts,
            self._profiles,
            self._invoices,
            *self._records.values(),
            users,
            keys,
            views,
            tokens,
            self.ledger,
            self.events,
        ]

    # reading
    def connect(self) -> Connection:
        """Return the unit of work's connection, taken from the pool at first use.

        Raises:
            StorageUnavailable: The database cannot be reached.
        """
        connection = self._connection
        if connection is None:
            try:
                connection = self.storage.engine.connect()
            except DBAPIError as error:
                raise unavailable(error) from error
            self._connection = connection
            self._dbapi_error = connection.dialect.loaded_dbapi.Error
        return connection

    def _driver_refused(self, error: Exception) -> ResellError:
        """The library's error for a driver error met on the driver's own cursor."""
        connection = self._connection
        if connection is not None and (
            connection.invalidated
            or connection.dialect.is_disconnect(
                error,  # type: ignore[arg-type]
                connection.connection.dbapi_connection,
                None,
            )
        ):
            # The connection is gone: the pool must not hand it out again.
            quietly(connection.invalidate)
            return unavailable(error)
        return refused_by_driver(error)

    def rows(
        self,
        statement: Any,
        params: Mapping[str, object] | None = None,
        *,
        once: bool = False,
        custom_plan: bool = False,
    ) -> list[Any]:
        """Run a read; return its rows (translating driver errors).

        ``once``: the statement is built once and reused, so it may be compiled once and
        run on the driver's cursor (:mod:`resell_core.adapters.sql.compiled`).
        ``custom_plan``: on PostgreSQL, plan it for its values each time (never as a
        prepared statement's generic plan).
        """
        if once:
            connection = self.connect()
            compiled = compile_once(statement, connection.dialect)
            if compiled is not None:
                # The hot path: point reads and pages, straight on the driver's cursor.
                with self.storage.lock:
                    try:
                        prepare = (
                            False if custom_plan and self.storage.dialect != "sqlite" else None
                        )
                        return compiled.fetch(
                            driver_cursor(self.connect()), params or {}, prepare=prepare
                        )
                    except self._dbapi_error as error:
                        raise self._driver_refused(error) from error
        with self.storage.lock, translated():
            return list(self.connect().execute(statement, params or {}))

    def first(self, statement: Any, params: Mapping[str, object], *, once: bool = False) -> Any:
        """Run a read; return its first row or None (``once`` as in :meth:`rows`)."""
        if once:
            found = self.rows(statement, params, once=True)
            return found[0] if found else None
        with self.storage.lock, translated():
            return self.connect().execute(statement, params).first()

    # committing
    def _write(self, connection: Connection, *, batched: bool) -> None:
        if batched and self.storage.dialect == "postgresql":
            self._write_pipelined(connection)
            return
        for part in self._parts:
            part.flush(connection, batched=batched)

    def _write_pipelined(self, connection: Connection) -> None:
        """Send every batched write of the commit in one psycopg pipeline.

        Each statement otherwise waits for its answer, a round trip each; in a pipeline
        they are sent back to back and answered together at its end. The row counts that
        must match (versioned updates, debits) are checked then.

        Raises:
            BatchRefused: The database refused a statement or a count did not match (the
                row-by-row replay says why).
        """
        driver = connection.connection.driver_connection
        checks: list[tuple[Any, int]] = []
        connection.info[PIPELINE_CHECKS] = checks
        try:
            with driver.pipeline():  # type: ignore[union-attr]
                for part in self._parts:
                    part.flush(connection, batched=True)
        except connection.dialect.loaded_dbapi.Error as error:
            raise BatchRefused from error
        finally:
            del connection.info[PIPELINE_CHECKS]
        if any(cursor.rowcount != expected for cursor, expected in checks):
            raise BatchRefused

    def commit(self) -> None:
        """Write every change since the start or the previous commit, all or nothing.

        Raises:
            VersionConflict: A row written here was committed by another unit of work
                meanwhile; nothing is written.
            AlreadyExists: Another unit of work committed the same id or key first.
            DuplicateName: Another unit of work committed the same unique name first.
            IdempotencyConflict: The same movement id or idempotency key was committed
                meanwhile.
            InsufficientCredit: Movements committed meanwhile leave too little credit.
            Conflict: An access record taken here was taken by another unit of work.
        """
        if not any(part.dirty for part in self._parts):
            # Nothing to write: no write transaction (on PostgreSQL the transaction the
            # reads opened ends, releasing the rows claimed, as a commit would).
            if self._connection is not None and self.storage.dialect != "sqlite":
                with self.storage.lock, translated():
                    self._connection.commit()
            for part in self._parts:
                part.reset()
            return
        with self.storage.lock:
            connection = self.connect()
            try:
                try:
                    self._transaction(connection, batched=True)
                except (BatchRefused, IntegrityError):
                    # Write again row by row: the error then names the refused row.
                    self._transaction(connection, batched=False)
            except DBAPIError as error:
                raise refused(error) from error
        for part in self._parts:
            part.reset()

    def _transaction(self, connection: Connection, *, batched: bool) -> None:
        with write_transaction(connection):
            self._write(connection, batched=batched)

    def rollback(self) -> None:
        """Discard every change since the start or the previous commit (and release the
        rows claimed by :meth:`Accounts.due`)."""
        for part in self._parts:
            part.reset()
        if self._connection is not None and self.storage.dialect != "sqlite":
            with self.storage.lock, translated():
                self._connection.rollback()

    def close(self) -> None:
        """Discard the changes and give the connection back to the pool.

        A connection that was lost is dropped from the pool instead; nothing is raised
        for it: whatever this unit of work committed is committed, the rest is gone with
        the connection, and an error on the way out must not hide the caller's own.
        """
        for part in self._parts:
            part.reset()
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with self.storage.lock:
            try:
                if self.storage.dialect != "sqlite":
                    connection.rollback()
                connection.close()
            except SQLAlchemyError:
                quietly(connection.invalidate)
                quietly(connection.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
