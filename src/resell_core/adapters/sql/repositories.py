"""The SQL storage's repositories, as a unit of work hands them out (``uow.accounts``…).

Each answers its port of :mod:`resell_core.ports` over a journal of the unit of work:
agencies, accounts, billing profiles, invoices and records over versioned rows
(:mod:`~resell_core.adapters.sql.versioned_rows`); portal users, idempotency keys, saved
views and access records over keyed rows (:mod:`~resell_core.adapters.sql.keyed_rows`).
"""

from __future__ import annotations

import builtins
import contextlib
import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import ColumnElement, Connection, and_, bindparam, select, true
from sqlalchemy.dialects import postgresql

from resell_core.adapters.sql import query_translation, schema
from resell_core.adapters.sql.driver_errors import translated
from resell_core.adapters.sql.keyed_rows import DROP, INSERT, TAKE, UPSERT, KeyedRows
from resell_core.adapters.sql.transactions import write_transaction
from resell_core.adapters.sql.units import micros
from resell_core.adapters.sql.versioned_rows import VersionedRows
from resell_core.agency import Agency, PortalUser
from resell_core.billing.invoices import Invoice, InvoiceStatus
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import (
    AlreadyExists,
    DuplicateName,
    IdempotencyConflict,
    NotFound,
    ResellError,
)
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.account_query import (
    COUNT_LIMIT,
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

if TYPE_CHECKING:
    from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "Accounts",
    "Agencies",
    "Idempotency",
    "Invoices",
    "Profiles",
    "Records",
    "Tokens",
    "Users",
    "Views",
    "idempotency_clash",
    "token_clash",
    "user_clash",
]


class Agencies:
    """A unit of work's agencies (:class:`~resell_core.ports.AgencyRepository`)."""

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

    def get_many(self, agency_ids: Sequence[str]) -> list[Agency]:
        return self._rows.among(agency_ids, lock=False)

    def lock(self, agency_ids: Sequence[str]) -> list[Agency]:
        return self._rows.among(agency_ids, lock=True)

    def page(self, *, after_id: str | None = None, limit: int = 100) -> list[Agency]:
        return self._rows.select(true(), lambda _: True, after_id=after_id, limit=limit)


class Accounts:
    """A unit of work's accounts (:class:`~resell_core.ports.AccountRepository`)."""

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

    def store(self, account: Account) -> None:
        self._rows.store(account)

    def name_taken(self, name: str) -> bool:
        return self._rows.where_unique("uq_accounts_name_key", name.casefold()) is not None

    def query(self, agency_id: str, query: AccountQuery, today: date) -> Page[Account]:
        rows = self._rows
        mine = [
            a for a in rows.changes.values() if isinstance(a, Account) and a.agency_id == agency_id
        ]
        condition = query_translation.where_clause(
            agency_id, query, today, rows.uow.storage.dialect
        )
        if rows.changes:
            # This unit of work's own changes are judged in Python and merged below.
            condition = and_(condition, schema.accounts.c.id.not_in(list(rows.changes)))
        uow = rows.uow
        statement = query_translation.page_statement(condition, query, extra=0).add_columns(
            *(schema.accounts.c[c] for c in rows.spec.read_columns if c not in ("data", "version"))
        )
        found = [rows.loaded(row) for row in uow.rows(statement)]
        if query.cursor is None and len(found) <= query.limit:
            # The first page is the last: its rows are all the stored matches.
            total = len(found)
        else:
            total = self._count(condition)
        if mine:
            found = _merge_own(found, mine, query, today)
            total += sum(1 for a in mine if matches(a, query, today))
        page = found[: query.limit]
        cursor = None
        if len(found) > query.limit:
            last = page[-1]
            cursor = encode_cursor(query.sort, CursorPosition(sort_key(last, query.sort), last.id))
        return Page(tuple(page), cursor, total, total_exact=total <= COUNT_LIMIT)

    def _count(self, condition: ColumnElement[bool]) -> int:
        """Count the stored matches up to COUNT_LIMIT + 1, or estimate past it (O11).

        On PostgreSQL the planner's estimate comes first: when it expects more than
        COUNT_LIMIT matches, it is the answer, and no row is read; otherwise (and on
        SQLite) the count reads matches until one more than COUNT_LIMIT.
        """
        uow = self._rows.uow
        if uow.storage.dialect == "postgresql":
            connection = uow.connect()
            sql, params = query_translation.estimate_statement(condition, connection.dialect)
            with uow.storage.lock, translated():
                plan = connection.exec_driver_sql(sql, params).scalar()
            estimate = query_translation.estimated_rows(plan)
            if estimate > COUNT_LIMIT:
                return estimate
        return int(uow.first(query_translation.count_statement(condition), {})[0])

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


class Profiles:
    """A unit of work's billing profiles (:class:`~resell_core.ports.ProfileRepository`)."""

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


class Invoices:
    """A unit of work's invoices (:class:`~resell_core.ports.InvoiceRepository`)."""

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


class Records:
    """A unit of work's records of one kind: transfers, payouts, brandings or top-ups
    (:class:`~resell_core.ports.RecordRepository`)."""

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


class Users:
    """A unit of work's portal users (:class:`~resell_core.ports.UserRepository`)."""

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


def user_clash(key: tuple[str, ...], user: PortalUser) -> ResellError:
    """The error for a portal user's email another unit of work committed first."""
    return DuplicateName("portal user email", user.email)


class Idempotency:
    """A unit of work's idempotency keys (:class:`~resell_core.ports.IdempotencyStore`)."""

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


def idempotency_clash(key: tuple[str, ...], record: IdempotencyRecord) -> ResellError:
    """The error for an idempotency key another unit of work committed first."""
    return IdempotencyConflict(record.key)


class Views:
    """A unit of work's saved views (:class:`~resell_core.ports.ViewRepository`)."""

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


class Tokens:
    """A unit of work's access records (:class:`~resell_core.ports.TokenStore`)."""

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
        with storage.lock, translated(), contextlib.ExitStack() as stack:
            if uow.claimed:
                connection = stack.enter_context(storage.engine.connect())
            else:
                connection = uow.connect()
                if connection.in_transaction():
                    connection.commit()
            return self._increment(connection, record, at)

    def _increment(self, connection: Connection, record: AccessRecord, at: datetime) -> int:
        rows, table = self._rows, schema.tokens
        key = (record.kind, record.key)
        with write_transaction(connection):
            if connection.dialect.name != "sqlite":
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


def token_clash(key: tuple[str, ...], record: AccessRecord) -> ResellError:
    """The error for an access record another unit of work committed first."""
    return AlreadyExists(record.kind, record.key)
