"""SQL storage on SQLAlchemy Core, for SQLite and PostgreSQL (psycopg 3).

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
from its first read to its commit, so that the rows :meth:`_Accounts.due` claims with
``FOR UPDATE SKIP LOCKED`` stay locked until then.

Example:
    >>> storage = SqlStorage("sqlite://")
    >>> with storage.unit_of_work() as uow:
    ...     uow.accounts.name_taken("north-bakery")
    False
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar

import attrs
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    event,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from resell_core.adapters.sql import overview as sql_overview
from resell_core.adapters.sql import schema, versioned_rows
from resell_core.adapters.sql.batches import PIPELINE_CHECKS, BatchRefused, run_batch_values
from resell_core.adapters.sql.compiled import compile_once, driver_cursor
from resell_core.adapters.sql.driver_errors import (
    connected,
    first_line,
    quietly,
    refused,
    refused_by_driver,
    translated,
    unavailable,
)
from resell_core.adapters.sql.keyed_rows import DROP, INSERT, TAKE, UPSERT, KeyedRows
from resell_core.adapters.sql.specs import ACCOUNT, AGENCY, INVOICE, PROFILE, RECORDS
from resell_core.adapters.sql.statements import (
    CHUNK,
    among_params,
    among_size,
    balances_statement,
    known_statement,
    ledger_statements,
)
from resell_core.adapters.sql.units import from_micro, micros, to_micro
from resell_core.adapters.sql.versioned_rows import VersionedRows
from resell_core.agency import Agency, PortalUser
from resell_core.audit import AuditEvent
from resell_core.billing.invoices import Invoice, InvoiceStatus
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import (
    AlreadyExists,
    ConfigurationError,
    DuplicateName,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidInput,
    NotFound,
    ResellError,
)
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.overview import (
    AccountQuery,
    CursorPosition,
    Page,
    SavedView,
    compare_keys,
    encode_cursor,
    matches,
    sort_key,
)
from resell_core.ports import AccessRecord, IdempotencyRecord, Record, next_count
from resell_core.serialization import loader, to_json

__all__ = ["SqlStorage", "SqlUnitOfWork"]

# Still importable from this module under the name it had here.
_from_micro = from_micro
_copy = versioned_rows._copy

V = TypeVar("V")


# -- versioned aggregates ------------------------------------------------------------------


# -- the specs of the aggregates -------------------------------------------------------------


# -- repositories ----------------------------------------------------------------------------


class _Agencies:
    def __init__(self, rows: VersionedRows[Agency]) -> None:
        self._rows = rows

    def add(self, agency: Agency) -> None:
        self._rows.add(agency)

    def get(self, agency_id: str) -> Agency:
        return self._rows.scoped(agency_id, agency_id)

    def update(self, agency: Agency) -> Agency:
        return self._rows.update(agency)

    def by_referral_code(self, code: str) -> Agency | None:
        return self._rows.where_unique("uq_agencies_referral_code", code)

    def page(self, *, after_id: str | None = None, limit: int = 100) -> list[Agency]:
        return self._rows.select(true(), lambda _: True, after_id=after_id, limit=limit)


class _Accounts:
    def __init__(self, rows: VersionedRows[Account]) -> None:
        self._rows = rows

    def add(self, account: Account) -> None:
        self._rows.add(account)

    def get(self, agency_id: str, account_id: str) -> Account:
        return self._rows.scoped(agency_id, account_id)

    def get_by_name(self, agency_id: str, name: str) -> Account:
        account = self._rows.where_unique("uq_accounts_name_key", name.casefold())
        if account is None or account.agency_id != agency_id:
            raise NotFound("account", name)
        return account

    def find(self, account_id: str) -> Account | None:
        return self._rows.visible(account_id)

    def update(self, account: Account) -> Account:
        return self._rows.update(account)

    def name_taken(self, name: str) -> bool:
        return self._rows.where_unique("uq_accounts_name_key", name.casefold()) is not None

    def query(self, agency_id: str, query: AccountQuery, today: date) -> Page[Account]:
        rows = self._rows
        mine = [
            a for a in rows.changes.values() if isinstance(a, Account) and a.agency_id == agency_id
        ]
        condition = sql_overview.where_clause(agency_id, query, today)
        if rows.changes:
            # This unit of work's own changes are judged in Python and merged below.
            condition = and_(condition, schema.accounts.c.id.not_in(list(rows.changes)))
        uow = rows.uow
        total = int(uow.first(sql_overview.count_statement(condition), {})[0])
        statement = sql_overview.page_statement(condition, query, extra=0).add_columns(
            *(schema.accounts.c[c] for c in rows.spec.read_columns if c not in ("data", "version"))
        )
        found = [rows.loaded(row) for row in uow.rows(statement)]
        if mine:
            found = _merge_own(found, mine, query, today)
            total += sum(1 for a in mine if matches(a, query, today))
        page = found[: query.limit]
        cursor = None
        if len(found) > query.limit:
            last = page[-1]
            cursor = encode_cursor(query.sort, CursorPosition(sort_key(last, query.sort), last.id))
        return Page(tuple(page), cursor, total)

    def of_agency(
        self, agency_id: str, *, after_id: str | None = None, limit: int = 100
    ) -> list[Account]:
        return self._rows.select(
            schema.accounts.c.agency_id == agency_id,
            lambda a: a.agency_id == agency_id,
            after_id=after_id,
            limit=limit,
        )

    def due(
        self,
        until: date,
        *,
        after_id: str | None = None,
        limit: int = 100,
        claim: bool = False,
    ) -> list[Account]:
        def is_due(account: Account) -> bool:
            start = schema.next_billing_on(account)
            return start is not None and start < until

        return self._rows.select(
            _DUE,
            is_due,
            after_id=after_id,
            limit=limit,
            for_update=claim,
            params={"until": until},
        )

    def trials_ending(
        self, until: date, *, after_id: str | None = None, limit: int = 100
    ) -> list[Account]:
        def is_ending(account: Account) -> bool:
            ends = account.trial_ends_on
            return account.status is AccountStatus.ACTIVE and ends is not None and ends < until

        accounts = schema.accounts.c
        return self._rows.select(
            and_(accounts.status == AccountStatus.ACTIVE.value, accounts.trial_ends_on < until),
            is_ending,
            after_id=after_id,
            limit=limit,
        )


_DUE = schema.accounts.c.next_billing_on < bindparam("until")
"""Who is due before ``until``: the billing run's page condition, built once."""


def _merge_own(
    found: list[Account], mine: list[Account], query: AccountQuery, today: date
) -> list[Account]:
    position = query.position()
    extra = [
        attrs.evolve(a)
        for a in mine
        if matches(a, query, today)
        and (
            position is None
            or compare_keys(
                (sort_key(a, query.sort), a.id),
                (position.values, position.account_id),
                query.sort,
            )
            > 0
        )
    ]

    def order(left: Account, right: Account) -> int:
        return compare_keys(
            (sort_key(left, query.sort), left.id),
            (sort_key(right, query.sort), right.id),
            query.sort,
        )

    return sorted(found + extra, key=functools.cmp_to_key(order))


class _Profiles:
    def __init__(self, rows: VersionedRows[BillingProfile]) -> None:
        self._rows = rows

    def add(self, profile: BillingProfile) -> None:
        self._rows.add(profile)

    def get(self, agency_id: str, profile_id: str) -> BillingProfile:
        return self._rows.scoped(agency_id, profile_id)

    def update(self, profile: BillingProfile) -> BillingProfile:
        return self._rows.update(profile)

    def remove(self, agency_id: str, profile_id: str) -> None:
        self._rows.remove(agency_id, profile_id)

    def list(self, agency_id: str) -> list[BillingProfile]:
        return self._rows.select(
            schema.profiles.c.agency_id == agency_id, lambda p: p.agency_id == agency_id
        )


class _Invoices:
    def __init__(self, rows: VersionedRows[Invoice]) -> None:
        self._rows = rows

    def add(self, invoice: Invoice) -> None:
        self._rows.add(invoice)

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        self._rows.add_many(invoices)

    def get(self, agency_id: str, invoice_id: str) -> Invoice:
        return self._rows.scoped(agency_id, invoice_id)

    def by_period_key(self, period_key: str) -> Invoice | None:
        return self._rows.where_unique("uq_invoices_period_key", period_key)

    def update(self, invoice: Invoice) -> Invoice:
        return self._rows.update(invoice)

    def list(self, agency_id: str, account_id: str | None = None) -> list[Invoice]:
        c = schema.invoices.c
        condition = c.agency_id == agency_id
        if account_id is not None:
            condition = and_(condition, c.account_id == account_id)
        found = self._rows.select(
            condition,
            lambda i: i.agency_id == agency_id and account_id in (None, i.account_id),
            order=(c.number,),
        )
        return sorted(found, key=lambda i: i.number)

    def open_for_retry(
        self, until: date, *, after_id: str | None = None, limit: int = 100
    ) -> builtins.list[Invoice]:
        closed = (InvoiceStatus.PAID, InvoiceStatus.VOID)

        def is_open(invoice: Invoice) -> bool:
            retry = invoice.next_retry_on
            return retry is not None and retry < until and invoice.status not in closed

        c = schema.invoices.c
        return self._rows.select(
            and_(c.next_retry_on < until, c.status.not_in([s.value for s in closed])),
            is_open,
            after_id=after_id,
            limit=limit,
        )


class _Records:
    def __init__(self, rows: VersionedRows[Record]) -> None:
        self._rows = rows

    def add(self, record: Record) -> None:
        self._rows.add(record)

    def get(self, agency_id: str, record_id: str) -> Record:
        return self._rows.scoped(agency_id, record_id)

    def by_key(self, key: str) -> Record | None:
        return self._rows.where_unique("uq_records_repository_record_key", key)

    def update(self, record: Record) -> Record:
        return self._rows.update(record)

    def list(
        self, agency_id: str, *, subject: str | None = None, status: str | None = None
    ) -> list[Record]:
        return [
            r
            for r in self._rows.select(
                schema.records.c.agency_id == agency_id, lambda r: r.agency_id == agency_id
            )
            if subject in (None, r.subject) and status in (None, r.status)
        ]


# -- keyed rows without versions: users, idempotency keys, views, access records --------------


class _Users:
    def __init__(self, rows: KeyedRows[PortalUser]) -> None:
        self._rows = rows

    def add(self, user: PortalUser) -> None:
        if self._rows.get((user.id,)) is not None:
            raise AlreadyExists("portal user", user.id)
        if self.by_email(user.email) is not None:
            raise DuplicateName("portal user email", user.email)
        self._rows.write((user.id,), INSERT, user)

    def get(self, agency_id: str, user_id: str) -> PortalUser:
        user = self._rows.get((user_id,))
        if user is None or user.agency_id != agency_id:
            raise NotFound("portal user", user_id)
        return user

    def by_email(self, email: str) -> PortalUser | None:
        wanted = email.casefold()
        for _, user in self._rows.rows(schema.users.c.email_key == wanted, ()):
            if user.email.casefold() == wanted:
                return user
        return None

    def list(self, agency_id: str) -> list[PortalUser]:
        found = self._rows.rows(schema.users.c.agency_id == agency_id, ())
        return sorted((u for _, u in found if u.agency_id == agency_id), key=lambda u: u.id)


def _user_clash(key: tuple[str, ...], user: PortalUser) -> ResellError:
    return DuplicateName("portal user email", user.email)


class _Idempotency:
    def __init__(self, rows: KeyedRows[IdempotencyRecord]) -> None:
        self._rows = rows

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._rows.get((scope, key))

    def put(self, record: IdempotencyRecord) -> None:
        key = (record.scope, record.key)
        stored = self.get(record.scope, record.key)
        if stored is not None:
            if stored.fingerprint != record.fingerprint:
                raise IdempotencyConflict(record.key)
            if key not in self._rows.changes:
                raise AlreadyExists("idempotency key", record.key)
            return
        self._rows.write(key, INSERT, record)

    def purge(self, before: datetime) -> int:
        found = self._rows.rows(schema.idempotency.c.at_us < micros(before), ())
        old = [key for key, record in found if record.at < before]
        for key in old:
            self._rows.write(key, DROP, None)
        return len(old)


def _idempotency_clash(key: tuple[str, ...], record: IdempotencyRecord) -> ResellError:
    return IdempotencyConflict(record.key)


class _Views:
    def __init__(self, rows: KeyedRows[SavedView]) -> None:
        self._rows = rows

    def save(self, view: SavedView) -> None:
        self._rows.write((view.agency_id, view.user_id, view.name), UPSERT, view)

    def get(self, agency_id: str, user_id: str, name: str) -> SavedView:
        view = self._rows.get((agency_id, user_id, name))
        if view is None:
            raise NotFound("saved view", name)
        return view

    def list(self, agency_id: str, user_id: str) -> list[SavedView]:
        c = schema.views.c
        found = self._rows.rows(and_(c.agency_id == agency_id, c.user_id == user_id), ())
        mine = [v for (a, u, _), v in found if (a, u) == (agency_id, user_id)]
        return sorted(mine, key=lambda v: v.name)

    def remove(self, agency_id: str, user_id: str, name: str) -> None:
        self.get(agency_id, user_id, name)
        self._rows.write((agency_id, user_id, name), DROP, None)


class _Tokens:
    def __init__(self, rows: KeyedRows[AccessRecord], uow: SqlUnitOfWork) -> None:
        self._rows = rows
        self._uow = uow

    def increment(self, record: AccessRecord, *, at: datetime) -> int:
        # A transaction of its own, committed before this returns: on SQLite under the
        # write lock (BEGIN IMMEDIATE), on PostgreSQL under the row's lock (FOR UPDATE, on
        # a row inserted first if missing, so that two first increments queue too). It
        # runs on the unit of work's own connection (a second one per login could empty
        # the pool under a storm of logins), whose reads' transaction on PostgreSQL only
        # holds rows claimed FOR UPDATE: when there are none it ends first (its reads are
        # read committed anyway), else a connection of its own is taken.
        uow = self._uow
        storage = uow.storage
        with storage._lock, translated(), contextlib.ExitStack() as stack:
            if uow.claimed:
                connection = stack.enter_context(storage.engine.connect())
            else:
                connection = uow._connect()
                if connection.in_transaction():
                    connection.commit()
            return self._increment(connection, record, at)

    def _increment(self, connection: Connection, record: AccessRecord, at: datetime) -> int:
        rows, table = self._rows, schema.tokens
        key = (record.kind, record.key)
        sqlite_db = self._uow.storage.dialect == "sqlite"
        if sqlite_db:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            if not sqlite_db:
                placeholder = rows.row_params(key, attrs.evolve(record, data=""))
                connection.execute(
                    postgresql.insert(table).values(placeholder).on_conflict_do_nothing()
                )
            found = connection.execute(
                select(table.c.data)
                .where(table.c.kind == record.kind, table.c.key == record.key)
                .with_for_update()
            ).first()
            count = next_count(None if found is None else rows.load(found.data), at)
            stored = attrs.evolve(record, data=str(count))
            connection.execute(rows.sql.upsert, rows.row_params(key, stored))
        except BaseException:
            if sqlite_db:
                connection.exec_driver_sql("ROLLBACK")
            else:
                connection.rollback()
            raise
        if sqlite_db:
            connection.exec_driver_sql("COMMIT")
        else:
            connection.commit()
        return count

    def get(self, kind: str, key: str) -> AccessRecord | None:
        return self._rows.get((kind, key))

    def put(self, record: AccessRecord) -> None:
        self._rows.write((record.kind, record.key), UPSERT, record)

    def add(self, record: AccessRecord) -> None:
        if self.get(record.kind, record.key) is not None:
            raise AlreadyExists(record.kind, record.key)
        self._rows.write((record.kind, record.key), INSERT, record)

    def take(self, kind: str, key: str) -> AccessRecord | None:
        record = self.get(kind, key)
        if record is not None:
            self._rows.write((kind, key), TAKE, None)
        return record

    def purge(self, before: datetime) -> int:
        found = self._rows.rows(schema.tokens.c.expires_us < micros(before), ())
        old = [
            key
            for key, record in found
            if record.expires_at is not None and record.expires_at < before
        ]
        for key in old:
            self._rows.write(key, DROP, None)
        return len(old)


def _token_clash(key: tuple[str, ...], record: AccessRecord) -> ResellError:
    return AlreadyExists(record.kind, record.key)


# -- the ledger and the event log ------------------------------------------------------------

_BalanceKey = tuple[str, str, str]


def _overdrawn(movement: Movement, balance: Decimal) -> InsufficientCredit:
    return InsufficientCredit(
        f"the wallet {movement.source!r} holds {balance} {movement.kind} credit, less than the "
        f"{movement.quantity} to move: buy or assign more credit first, or charge the card"
    )


_MOVEMENT_COLUMNS = ("id", "agency_id", "kind", "source", "destination", "data")
_ADD_COLUMNS = ("agency_id", "wallet", "kind", "amount")
_SPEND_COLUMNS = ("amount", "b_agency_id", "b_wallet", "b_kind")


def _movement_row(movement: Movement) -> tuple[object, ...]:
    """Return a movement's row, as values of :data:`_MOVEMENT_COLUMNS`."""
    return (
        movement.id,
        movement.agency_id,
        movement.kind.value,
        movement.source,
        movement.destination,
        to_json(movement),
    )


class _Ledger:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self.pending: list[Movement] = []
        # Each pending movement's quantity in millionths, worked out once when appended.
        self._quantities: list[int] = []
        self._pending_ids: dict[str, Movement] = {}
        self._stored: dict[_BalanceKey, int] = {}
        self._deltas: dict[_BalanceKey, int] = {}
        sql = ledger_statements(uow.storage.dialect)
        self._balance = sql.balance
        self._by_id = sql.by_id
        self._known = sql.known
        self._insert = sql.insert
        self._add = sql.add
        self._spend = sql.spend
        self._load = loader(Movement)

    def _stored_amount(self, key: _BalanceKey) -> int:
        if key not in self._stored:
            row = self._uow.first(
                self._balance, {"agency_id": key[0], "wallet": key[1], "kind": key[2]}, once=True
            )
            self._stored[key] = 0 if row is None else int(row.amount)
        return self._stored[key]

    def _available(self, key: _BalanceKey) -> int:
        return self._stored_amount(key) + self._deltas.get(key, 0)

    def append(self, movement: Movement) -> bool:
        known = self._pending_ids.get(movement.id)
        if known is None:
            row = self._uow.first(self._by_id, {"id": movement.id}, once=True)
            known = None if row is None else self._load(row.data)
        return self._append(movement, known)

    def append_many(self, movements: Sequence[Movement]) -> list[bool]:
        ids = [m.id for m in movements if m.id not in self._pending_ids]
        stored: dict[str, Movement] = {}
        array = self._uow.storage.dialect == "postgresql"
        for start in range(0, len(ids), CHUNK):
            wanted = ids[start : start + CHUNK]
            found = self._uow.rows(
                known_statement(among_size(wanted, array=array)),
                among_params("id", wanted, array=array),
                once=True,
            )
            stored.update((row.id, self._load(row.data)) for row in found)
        return [self._append(m, self._pending_ids.get(m.id) or stored.get(m.id)) for m in movements]

    def _append(self, movement: Movement, known: Movement | None) -> bool:
        """Record ``movement``; ``known``: the movement already recorded under its id."""
        if movement.quantity <= 0:
            raise InvalidInput.one(
                "movement",
                "quantity",
                f"{movement.quantity} is not positive; move a positive "
                "quantity from the source wallet to the destination wallet",
            )
        quantity = to_micro(movement.quantity)
        if known is not None:
            if known != movement:
                raise IdempotencyConflict(movement.id)
            return False
        source = (movement.agency_id, movement.source, movement.kind.value)
        if movement.source != OUTSIDE:
            available = self._available(source)
            if available < quantity:
                raise _overdrawn(movement, from_micro(available))
        destination = (movement.agency_id, movement.destination, movement.kind.value)
        self._deltas[source] = self._deltas.get(source, 0) - quantity
        self._deltas[destination] = self._deltas.get(destination, 0) + quantity
        self.pending.append(movement)
        self._quantities.append(quantity)
        self._pending_ids[movement.id] = movement
        return True

    def movements(
        self, agency_id: str, wallet: str | None = None, kind: CreditKind | None = None
    ) -> list[Movement]:
        m = schema.movements.c
        statement = select(m.data).where(m.agency_id == agency_id).order_by(m.seq)
        if wallet is not None:
            statement = statement.where(or_(m.source == wallet, m.destination == wallet))
        if kind is not None:
            statement = statement.where(m.kind == kind.value)
        found = [self._load(row.data) for row in self._uow.rows(statement)]
        return found + [
            x
            for x in self.pending
            if x.agency_id == agency_id
            and (wallet is None or wallet in (x.source, x.destination))
            and (kind is None or x.kind is kind)
        ]

    def balance(self, agency_id: str, wallet: str, kind: CreditKind) -> Decimal:
        return from_micro(self._available((agency_id, wallet, kind.value)))

    def balances(
        self, agency_id: str, wallets: Sequence[str], kind: CreditKind
    ) -> dict[str, Decimal]:
        value = kind.value
        missing = [w for w in dict.fromkeys(wallets) if (agency_id, w, value) not in self._stored]
        array = self._uow.storage.dialect == "postgresql"
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            params: dict[str, object] = {"agency_id": agency_id, "kind": value}
            params.update(among_params("w", chunk, array=array))
            statement = balances_statement(among_size(chunk, array=array))
            found = {
                row.wallet: int(row.amount) for row in self._uow.rows(statement, params, once=True)
            }
            for wallet in chunk:
                self._stored[(agency_id, wallet, value)] = found.get(wallet, 0)
        return {w: from_micro(self._available((agency_id, w, value))) for w in wallets}

    def flush(self, connection: Connection, *, batched: bool) -> None:
        if not self.pending:
            return
        if batched:
            self._write_batched(connection)
            return
        # Every pending id was read and found absent when it was appended; one committed
        # meanwhile makes the batched insert fail on the unique id, and this replay reads
        # the ids again to tell a harmless retry from a conflict.
        known = {
            row.id: self._load(row.data)
            for row in connection.execute(self._known, {"ids": [m.id for m in self.pending]})
        }
        for movement, quantity in zip(self.pending, self._quantities, strict=True):
            stored = known.get(movement.id)
            if stored is not None:
                if stored != movement:
                    raise IdempotencyConflict(movement.id)
                continue
            row = dict(zip(_MOVEMENT_COLUMNS, _movement_row(movement), strict=True))
            try:
                connection.execute(self._insert, row)
            except IntegrityError as error:
                raise IdempotencyConflict(movement.id) from error
            kind = movement.kind.value
            if movement.source == OUTSIDE:
                connection.execute(
                    self._add,
                    {
                        "agency_id": movement.agency_id,
                        "wallet": OUTSIDE,
                        "kind": kind,
                        "amount": -quantity,
                    },
                )
            else:
                found = connection.execute(
                    self._balance,
                    {"agency_id": movement.agency_id, "wallet": movement.source, "kind": kind},
                ).first()
                held = 0 if found is None else int(found.amount)
                if held < quantity:
                    raise _overdrawn(movement, from_micro(held))
                connection.execute(
                    self._spend,
                    {
                        "amount": -quantity,
                        "b_agency_id": movement.agency_id,
                        "b_wallet": movement.source,
                        "b_kind": kind,
                    },
                )
            connection.execute(
                self._add,
                {
                    "agency_id": movement.agency_id,
                    "wallet": movement.destination,
                    "kind": kind,
                    "amount": quantity,
                },
            )

    def _write_batched(self, connection: Connection) -> None:
        """Write the pending movements and their balance changes, a batch per statement."""
        rows = []
        adds = []
        debits = []
        for movement, quantity in zip(self.pending, self._quantities, strict=True):
            rows.append(_movement_row(movement))
            agency, kind = movement.agency_id, movement.kind.value
            # A debit of a wallet that must stay positive is an UPDATE: the database
            # checks the new amount against the CHECK, and a missing row (nothing to
            # spend) changes no row. Credits, and debits of "outside", add to the row or
            # create it.
            if movement.source == OUTSIDE:
                adds.append((agency, OUTSIDE, kind, -quantity))
            else:
                debits.append((-quantity, agency, movement.source, kind))
            adds.append((agency, movement.destination, kind, quantity))
        run_batch_values(connection, self._insert, _MOVEMENT_COLUMNS, rows)
        run_batch_values(connection, self._add, _ADD_COLUMNS, adds)
        if debits:
            run_batch_values(connection, self._spend, _SPEND_COLUMNS, debits, exact=True)

    @property
    def dirty(self) -> bool:
        return bool(self.pending)

    def reset(self) -> None:
        self.pending.clear()
        self._quantities.clear()
        self._pending_ids.clear()
        self._stored.clear()
        self._deltas.clear()


_EVENT_INSERT = insert(schema.events).inline()
_EVENT_COLUMNS = ("agency_id", "subject", "data")


class _Events:
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


# -- the storage and its units of work -------------------------------------------------------


def _sqlite_connected(dbapi_connection: Any, _record: object) -> None:
    # The unit of work opens transactions itself (BEGIN IMMEDIATE at commit), so the
    # driver must not open any on its own; reads outside a transaction see the latest
    # commit, which is what "read committed" asks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


_DIALECTS = ("sqlite", "postgresql")


def _build_engine(url_or_engine: str | Engine) -> tuple[Engine, bool]:
    """Return the engine, and whether it is one in-memory SQLite database (one connection).

    Raises:
        ConfigurationError: A URL SQLAlchemy cannot read, an unknown or missing driver,
            or a database other than SQLite and PostgreSQL.
    """
    try:
        engine, url = _engine_of(url_or_engine)
    except (ArgumentError, ImportError) as error:
        raise ConfigurationError(
            f"the storage cannot use the database URL ({type(error).__name__}: "
            f"{first_line(error)}): give a URL such as 'sqlite:///agency.db' or "
            "'postgresql+psycopg://user@host/db', and install its driver"
        ) from error
    if engine.dialect.name not in _DIALECTS:
        raise ConfigurationError(
            f"the storage speaks {' and '.join(_DIALECTS)}, not {engine.dialect.name}: "
            "give a SQLite or PostgreSQL database"
        )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connected)
        engine.pool.dispose()
    memory = engine.dialect.name == "sqlite" and url.database in (None, "", ":memory:")
    return engine, memory


def _engine_of(url_or_engine: str | Engine) -> tuple[Engine, URL]:
    if isinstance(url_or_engine, Engine):
        return url_or_engine, url_or_engine.url
    url = make_url(url_or_engine)
    if url.get_backend_name() == "sqlite":
        options: dict[str, Any] = {}
        if url.database in (None, "", ":memory:"):
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        return create_engine(url, **options), url
    return create_engine(url, pool_pre_ping=True), url


class SqlStorage:
    """Storage in a SQL database through SQLAlchemy Core (SQLite or PostgreSQL).

    Args:
        url_or_engine: A database URL (``"sqlite:///agency.db"``, ``"sqlite://"`` for a
            private in-memory database, ``"postgresql+psycopg://user@host/db"``) or a
            SQLAlchemy :class:`~sqlalchemy.Engine` the host built.
        create: Create the schema, or upgrade an older one, now (:meth:`upgrade`).

    Raises:
        SchemaVersionError: The database was written by a newer release of the library.
    """

    def __init__(self, url_or_engine: str | Engine, *, create: bool = True) -> None:
        self.engine, memory = _build_engine(url_or_engine)
        self.dialect = self.engine.dialect.name
        # An in-memory SQLite database is one connection shared by every unit of work:
        # its statements and commits take turns.
        self._lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if memory else contextlib.nullcontext()
        )
        if create:
            self.upgrade()

    def upgrade(self) -> int:
        """Create the schema in an empty database, or upgrade an older one, in one
        transaction.

        Returns:
            The schema version found (0 for an empty database).

        Raises:
            SchemaVersionError: The database was written by a newer release.
        """
        with self._lock, translated(), connected(self.engine) as connection:
            if self.dialect == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    found = schema.upgrade(connection)
                except BaseException:
                    quietly(lambda: connection.exec_driver_sql("ROLLBACK"))
                    raise
                connection.exec_driver_sql("COMMIT")
                return found
            with connection.begin():
                return schema.upgrade(connection)

    def unit_of_work(self) -> SqlUnitOfWork:
        """Start a unit of work (use it in a ``with`` block)."""
        return SqlUnitOfWork(self)

    def dispose(self) -> None:
        """Close the pooled connections (the storage can still be used afterwards)."""
        self.engine.dispose()


class SqlUnitOfWork:
    """A unit of work over :class:`SqlStorage` (see :class:`resell_core.ports.UnitOfWork`)."""

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage
        self._connection: Connection | None = None
        self._dbapi_error: type[Exception] = Exception
        # Rows claimed FOR UPDATE on PostgreSQL, held by the reads' open transaction.
        self.claimed = False
        self._agencies = VersionedRows(self, AGENCY)
        self._accounts = VersionedRows(self, ACCOUNT)
        self._profiles = VersionedRows(self, PROFILE)
        self._invoices = VersionedRows(self, INVOICE)
        self._records = {name: VersionedRows(self, spec) for name, spec in RECORDS.items()}
        users = KeyedRows(
            self,
            schema.users,
            ("id",),
            load=loader(PortalUser),
            columns=lambda u: {"agency_id": u.agency_id, "email_key": u.email.casefold()},
            clash=_user_clash,
        )
        keys = KeyedRows(
            self,
            schema.idempotency,
            ("scope", "key"),
            load=loader(IdempotencyRecord),
            columns=lambda r: {"fingerprint": r.fingerprint, "at_us": micros(r.at)},
            clash=_idempotency_clash,
        )
        views = KeyedRows(
            self,
            schema.views,
            ("agency_id", "user_id", "name"),
            load=loader(SavedView),
            columns=lambda _: {},
            clash=lambda key, _: AlreadyExists("saved view", key[-1]),
        )
        tokens = KeyedRows(
            self,
            schema.tokens,
            ("kind", "key"),
            load=loader(AccessRecord),
            columns=lambda r: {
                "expires_us": None if r.expires_at is None else micros(r.expires_at)
            },
            clash=_token_clash,
        )
        self.agencies = _Agencies(self._agencies)
        self.users = _Users(users)
        self.accounts = _Accounts(self._accounts)
        self.profiles = _Profiles(self._profiles)
        self.invoices = _Invoices(self._invoices)
        self.idempotency = _Idempotency(keys)
        self.views = _Views(views)
        self.tokens = _Tokens(tokens, self)
        self.transfers = _Records(self._records["transfers"])
        self.payouts = _Records(self._records["payouts"])
        self.brandings = _Records(self._records["brandings"])
        self.ledger = _Ledger(self)
        self.events = _Events(self)
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
    def _connect(self) -> Connection:
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
            connection = self._connect()
            compiled = compile_once(statement, connection.dialect)
            if compiled is not None:
                # The hot path: point reads and pages, straight on the driver's cursor.
                with self.storage._lock:
                    try:
                        prepare = (
                            False if custom_plan and self.storage.dialect != "sqlite" else None
                        )
                        return compiled.fetch(
                            driver_cursor(self._connect()), params or {}, prepare=prepare
                        )
                    except self._dbapi_error as error:
                        raise self._driver_refused(error) from error
        with self.storage._lock, translated():
            return list(self._connect().execute(statement, params or {}))

    def first(self, statement: Any, params: Mapping[str, object], *, once: bool = False) -> Any:
        """Run a read; return its first row or None (``once`` as in :meth:`rows`)."""
        if once:
            found = self.rows(statement, params, once=True)
            return found[0] if found else None
        with self.storage._lock, translated():
            return self._connect().execute(statement, params).first()

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
                with self.storage._lock, translated():
                    self._connection.commit()
            for part in self._parts:
                part.reset()
            return
        with self.storage._lock:
            connection = self._connect()
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
        sqlite_db = self.storage.dialect == "sqlite"
        try:
            if sqlite_db:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif not connection.in_transaction():
                connection.begin()
            self._write(connection, batched=batched)
        except BaseException:
            # A rollback that fails (the connection was lost) must not hide why.
            if sqlite_db:
                quietly(lambda: connection.exec_driver_sql("ROLLBACK"))
            else:
                quietly(connection.rollback)
            raise
        if sqlite_db:
            connection.exec_driver_sql("COMMIT")
        else:
            connection.commit()

    def rollback(self) -> None:
        """Discard every change since the start or the previous commit (and release the
        rows claimed by :meth:`_Accounts.due`)."""
        for part in self._parts:
            part.reset()
        if self._connection is not None and self.storage.dialect != "sqlite":
            with self.storage._lock, translated():
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
        with self.storage._lock:
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
