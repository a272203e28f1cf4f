"""In-memory storage: the embedded default, and as strict as the SQL one.

:class:`MemoryStorage` keeps every row in dictionaries but behaves like a database:
unique names and keys, optimistic versions, atomic units of work (each keeps a journal of
its writes, invisible to others until ``commit()`` and dropped on rollback), balances
that never go negative, and the same errors as the SQL adapter. It hands out copies, so
that changing a returned aggregate changes nothing stored until ``update()``.

Example:
    >>> storage = MemoryStorage()
    >>> with storage.unit_of_work() as uow:
    ...     uow.accounts.name_taken("north-bakery")
    False
"""

from __future__ import annotations

import bisect
import builtins
import heapq
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import attrs

from resell_core.agency import Agency, PortalUser
from resell_core.audit import AuditEvent
from resell_core.billing.due import next_billing_day
from resell_core.billing.invoices import Invoice, InvoiceStatus
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import (
    AlreadyExists,
    Conflict,
    DuplicateName,
    IdempotencyConflict,
    NotFound,
    ResellError,
    VersionConflict,
    quoted,
)
from resell_core.feed import FeedEvent, feed_event
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.account_query import AccountQuery, Page, SavedView, run_query
from resell_core.ports import (
    AccessRecord,
    IdempotencyRecord,
    Record,
    millionths,
    next_count,
    overdrawn,
    recorded_before,
)

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

__all__ = ["MemoryStorage"]

K = TypeVar("K", bound="SupportsRichComparison")
V = TypeVar("V")


class _Deleted:
    """Marks a row deleted in a journal."""


_DELETED = _Deleted()


@attrs.frozen
class _Unique(Generic[V]):
    """A unique index: the key a row claims (None claims nothing) and the error if taken."""

    claim: Callable[[V], Hashable | None]
    error: Callable[[V], ResellError]


class _DateIndex(Generic[K, V]):
    """Committed keys by a date of their row (rows without one are left out), so that
    "rows whose date is before ``until``, by key" reads only those rows, not the table.

    Keys are kept in one sorted list per date. A key whose date changes is dropped from
    its old list lazily (the list is compacted once half of it is stale): billing moves
    many rows off the same day, and popping each from the front of a long list would
    cost a copy of the list every time.
    """

    def __init__(self, when: Callable[[V], date | None]) -> None:
        self.when = when
        self.day_of: dict[K, date] = {}
        self.buckets: dict[date, list[K]] = {}
        self.days: list[date] = []
        self.stale: dict[date, int] = {}

    def put(self, key: K, value: V | None) -> None:
        new = None if value is None else self.when(value)
        old = self.day_of.get(key)
        if old == new:
            return
        if old is not None:
            del self.day_of[key]
            self.stale[old] += 1
            if self.stale[old] * 2 > len(self.buckets[old]):
                self._compact(old)
        if new is None:
            return
        self.day_of[key] = new
        bucket = self.buckets.get(new)
        if bucket is None:
            bucket = self.buckets[new] = []
            self.stale[new] = 0
            bisect.insort(self.days, new)
        at = bisect.bisect_left(bucket, key)
        if at < len(bucket) and bucket[at] == key:
            self.stale[new] -= 1  # back on a day it had left: its entry is live again
        else:
            bucket.insert(at, key)

    def _compact(self, day: date) -> None:
        live = [k for k in self.buckets[day] if self.day_of.get(k) == day]
        if live:
            self.buckets[day] = live
            self.stale[day] = 0
            return
        del self.buckets[day]
        del self.stale[day]
        self.days.pop(bisect.bisect_left(self.days, day))

    def before(self, until: date, after: K | None) -> Iterator[K]:
        """Yield the keys whose date is before ``until``, after ``after``, in key order."""
        runs: list[Iterator[K]] = []
        for day in self.days[: bisect.bisect_left(self.days, until)]:
            bucket = self.buckets[day]
            start = 0 if after is None else bisect.bisect_right(bucket, after)
            runs.append(self._live(bucket, start, day))
        return heapq.merge(*runs)

    def _live(self, bucket: list[K], start: int, day: date) -> Iterator[K]:
        day_of = self.day_of
        for i in range(start, len(bucket)):
            key = bucket[i]
            if day_of.get(key) == day:
                yield key


class _Table(Generic[K, V]):
    """The committed rows of one kind, their revisions and indexes."""

    def __init__(
        self,
        kind: str,
        *,
        copy: Callable[[V], V],
        unique: tuple[_Unique[V], ...] = (),
        group: Callable[[V], str] | None = None,
        dated: dict[str, Callable[[V], date | None]] | None = None,
    ) -> None:
        self.kind = kind
        self.copy = copy
        self.unique = unique
        self.group = group
        self.dated: dict[str, _DateIndex[K, V]] = {
            name: _DateIndex(when) for name, when in (dated or {}).items()
        }
        self.rows: dict[K, V] = {}
        self.revisions: dict[K, int] = {}
        self.claims: list[dict[Hashable, K]] = [{} for _ in unique]
        self.order: list[K] = []
        self.groups: dict[str, list[K]] = {}

    def holder(self, index: int, claim: Hashable) -> K | None:
        return self.claims[index].get(claim)

    def apply(self, key: K, value: V | _Deleted, revision: int) -> None:
        old = self.rows.get(key)
        if old is not None:
            for index, spec in enumerate(self.unique):
                claim = spec.claim(old)
                if claim is not None and self.claims[index].get(claim) == key:
                    del self.claims[index][claim]
        for dated in self.dated.values():
            dated.put(key, None if isinstance(value, _Deleted) else value)
        if isinstance(value, _Deleted):
            if old is not None:
                del self.rows[key]
                del self.revisions[key]
                self.order.pop(bisect.bisect_left(self.order, key))
                if self.group is not None:
                    members = self.groups[self.group(old)]
                    members.pop(bisect.bisect_left(members, key))
            return
        if old is None:
            bisect.insort(self.order, key)
            if self.group is not None:
                bisect.insort(self.groups.setdefault(self.group(value), []), key)
        self.rows[key] = value
        self.revisions[key] = revision
        for index, spec in enumerate(self.unique):
            claim = spec.claim(value)
            if claim is not None:
                self.claims[index][claim] = key


class _View(Generic[K, V]):
    """One unit of work's view of a table: the committed rows under its journal."""

    def __init__(
        self,
        table: _Table[K, V],
        on_changed: Callable[[K, V | _Deleted, V | None], ResellError],
    ) -> None:
        self.table = table
        self.on_changed = on_changed
        self.writes: dict[K, V | _Deleted] = {}
        # The committed revision each checked write was based on (None: the row was absent).
        self.bases: dict[K, int | None] = {}
        # Who claimed what in this journal (possibly stale: confirmed against ``writes``).
        self.pending_claims: list[dict[Hashable, K]] = [{} for _ in table.unique]

    def get(self, key: K) -> V | None:
        if key in self.writes:
            value = self.writes[key]
            return None if isinstance(value, _Deleted) else value
        return self.table.rows.get(key)

    def holding(self, index: int, claim: Hashable) -> V | None:
        """Return the row that visibly holds ``claim`` in the unique index ``index``."""
        spec = self.table.unique[index]
        holder = self.table.holder(index, claim)
        for key in [*self.writes, *([holder] if holder else [])]:
            row = self.get(key)
            if row is not None and spec.claim(row) == claim:
                return row
        return None

    def claimant(self, index: int, claim: Hashable, key: K) -> bool:
        """Tell whether a row other than ``key`` visibly holds ``claim`` in ``index``."""
        spec = self.table.unique[index]
        other = self.pending_claims[index].get(claim)
        if other is not None and other != key:
            value = self.writes[other]
            if not isinstance(value, _Deleted) and spec.claim(value) == claim:
                return True
        holder = self.table.holder(index, claim)
        if holder is None or holder == key:
            return False
        if holder in self.writes:
            written = self.writes[holder]
            return not isinstance(written, _Deleted) and spec.claim(written) == claim
        return True

    def check_unique(self, key: K, value: V) -> None:
        for index, spec in enumerate(self.table.unique):
            claim = spec.claim(value)
            if claim is not None and self.claimant(index, claim, key):
                raise spec.error(value)

    def write(self, key: K, value: V | _Deleted, *, checked: bool = True) -> None:
        if checked and key not in self.bases:
            self.bases[key] = self.table.revisions.get(key)
        self.writes[key] = value
        if not isinstance(value, _Deleted):
            for index, spec in enumerate(self.table.unique):
                claim = spec.claim(value)
                if claim is not None:
                    self.pending_claims[index][claim] = key

    def insert(self, key: K, value: V) -> None:
        if self.get(key) is not None:
            raise AlreadyExists(self.table.kind, key)
        self.check_unique(key, value)
        self.write(key, self.table.copy(value))

    def items(self, *, group: str | None = None, after: K | None = None) -> Iterator[V]:
        """Yield visible rows in key order (of one group when given) after ``after``."""
        return (value for _, value in self.keyed(group=group, after=after))

    def keyed(self, *, group: str | None = None, after: K | None = None) -> Iterator[tuple[K, V]]:
        """Yield visible keys and rows in key order (of one group when given) after ``after``."""
        table = self.table
        committed = table.order if group is None else table.groups.get(group, [])
        start = 0 if after is None else bisect.bisect_right(committed, after)
        fresh = sorted(
            key
            for key, value in self.writes.items()
            if key not in table.rows
            and not isinstance(value, _Deleted)
            and (group is None or table.group is None or table.group(value) == group)
            and (after is None or after < key)  # type: ignore[operator]
        )
        old = (committed[i] for i in range(start, len(committed)))
        for key in heapq.merge(old, fresh):
            value = self.get(key)
            if value is not None and (
                group is None or table.group is None or table.group(value) == group
            ):
                yield key, value

    def dated_before(self, index: str, until: date, after: K | None) -> Iterator[tuple[K, V]]:
        """Yield visible keys and rows whose date in ``index`` is before ``until``, in key
        order after ``after``: the committed index, with this unit of work's writes."""
        table = self.table
        when = table.dated[index].when
        writes = self.writes

        def dated(value: V | _Deleted) -> bool:
            if isinstance(value, _Deleted):
                return False
            day = when(value)
            return day is not None and day < until

        committed = (k for k in table.dated[index].before(until, after) if k not in writes)
        fresh = sorted(
            key
            for key, value in writes.items()
            if dated(value) and (after is None or after < key)  # type: ignore[operator]
        )
        for key in heapq.merge(committed, fresh):
            value = self.get(key)
            if value is not None:
                yield key, value

    def verify(self) -> None:
        """Raise if another unit of work committed a row this one changed, or a claim."""
        table = self.table
        for key, base in self.bases.items():
            if table.revisions.get(key) != base:
                raise self.on_changed(key, self.writes[key], table.rows.get(key))
        for key, value in self.writes.items():
            if not isinstance(value, _Deleted):
                self.check_unique(key, value)

    def publish(self, revision: int) -> None:
        for key, value in self.writes.items():
            self.table.apply(key, value, revision)
        self.reset()

    def reset(self) -> None:
        self.writes.clear()
        self.bases.clear()
        for claims in self.pending_claims:
            claims.clear()


_Versioned = TypeVar("_Versioned", Agency, Account, BillingProfile, Invoice, Record)


def _same(value: V) -> V:
    return value


def _version_changed(kind: str) -> Callable[[Any, Any, Any], ResellError]:
    def error(key: Any, written: Any, committed: Any) -> ResellError:
        if committed is None or isinstance(written, _Deleted):
            return Conflict(f"the {kind} {quoted(key)} was changed by someone else: read it again")
        if getattr(written, "version", 0) == 0 and getattr(committed, "version", 0) == 0:
            return AlreadyExists(kind, key)
        return VersionConflict(kind, key, written.version - 1, committed.version)

    return error


def _taken_meanwhile(kind: str) -> Callable[[Any, Any, Any], ResellError]:
    def error(key: Any, written: Any, committed: Any) -> ResellError:
        if isinstance(written, _Deleted) or committed is None:
            return Conflict(
                f"the {kind} {quoted(key)} was used or changed by someone else meanwhile"
            )
        return AlreadyExists(kind, key)

    return error


def _last_writer_wins(key: Any, written: Any, committed: Any) -> ResellError:
    raise AssertionError("unchecked writes never conflict")  # pragma: no cover


def _versioned_update(view: _View[str, _Versioned], kind: str, value: _Versioned) -> _Versioned:
    return view.table.copy(_versioned_write(view, kind, value))


def _versioned_write(view: _View[str, _Versioned], kind: str, value: _Versioned) -> _Versioned:
    """Journal ``value`` at version + 1 with the update's checks; return the journal's own
    value (never to be handed out: :func:`_versioned_update` copies it)."""
    current = view.get(value.id)
    if current is None or _agency_of(current) != _agency_of(value):
        raise NotFound(kind, value.id)
    if current.version != value.version:
        raise VersionConflict(kind, value.id, value.version, current.version)
    stored = attrs.evolve(value, version=value.version + 1)
    view.check_unique(value.id, stored)
    view.write(value.id, stored)
    return stored


def _agency_of(value: object) -> str | None:
    if isinstance(value, Agency):
        return value.id
    return getattr(value, "agency_id", None)


def _scoped(view: _View[str, V], kind: str, agency_id: str, key: str) -> V:
    value = view.get(key)
    if value is None or _agency_of(value) != agency_id:
        raise NotFound(kind, key)
    return view.table.copy(value)


def _next_billing_start(account: Account) -> date | None:
    """The first day of the account's next period to bill, or None when not billable."""
    return next_billing_day(account)


def _trial_end(account: Account) -> date | None:
    """The day the account's trial ends while it is active, else None."""
    return account.trial_ends_on if account.status is AccountStatus.ACTIVE else None


def _retry_day(invoice: Invoice) -> date | None:
    """The day of the invoice's next attempt, None when paid or void."""
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.VOID):
        return None
    return invoice.next_retry_on


_DUE = "due"
_TRIAL_END = "trial_end"  # the index of active accounts by trial end day, not a tier name
_RETRY = "retry"


def _always(_row: object) -> bool:
    return True


def _page(rows: Iterator[V], accept: Callable[[V], bool], limit: int) -> list[V]:
    found: list[V] = []
    if limit <= 0:
        return found
    for row in rows:
        if accept(row):
            found.append(row)
            if len(found) >= limit:
                break
    return found


# -- repositories --------------------------------------------------------------------------


class _Agencies:
    def __init__(self, view: _View[str, Agency]) -> None:
        self._view = view

    def add(self, agency: Agency) -> None:
        self._view.insert(agency.id, agency)

    def get(self, agency_id: str) -> Agency:
        return _scoped(self._view, "agency", agency_id, agency_id)

    def update(self, agency: Agency) -> Agency:
        return _versioned_update(self._view, "agency", agency)

    def by_referral_code(self, code: str) -> Agency | None:
        agency = self._view.holding(0, code)
        return None if agency is None else attrs.evolve(agency)

    def get_many(self, agency_ids: Sequence[str]) -> list[Agency]:
        found = (self._view.get(key) for key in sorted(set(agency_ids)))
        return [self._view.table.copy(agency) for agency in found if agency is not None]

    def lock(self, agency_ids: Sequence[str]) -> list[Agency]:
        # No row locks: commits are serialised and checked for conflicts (the version).
        return self.get_many(agency_ids)

    def page(self, *, after_id: str | None = None, limit: int = 100) -> list[Agency]:
        rows = self._view.items(after=after_id)
        return [attrs.evolve(a) for a in _page(rows, lambda _: True, limit)]


class _Users:
    def __init__(self, view: _View[str, PortalUser]) -> None:
        self._view = view

    def add(self, user: PortalUser) -> None:
        self._view.insert(user.id, user)

    def get(self, agency_id: str, user_id: str) -> PortalUser:
        return _scoped(self._view, "portal user", agency_id, user_id)

    def by_email(self, email: str) -> PortalUser | None:
        return self._view.holding(0, email.casefold())

    def list(self, agency_id: str) -> list[PortalUser]:
        return list(self._view.items(group=agency_id))


class _Accounts:
    def __init__(self, view: _View[str, Account]) -> None:
        self._view = view

    def add(self, account: Account) -> None:
        self._view.insert(account.id, account)

    def get(self, agency_id: str, account_id: str) -> Account:
        return _scoped(self._view, "account", agency_id, account_id)

    def _named(self, name: str) -> Account | None:
        return self._view.holding(0, name.casefold())

    def get_by_name(self, agency_id: str, name: str) -> Account:
        account = self._named(name)
        if account is None or account.agency_id != agency_id:
            raise NotFound("account", name)
        return attrs.evolve(account)

    def find(self, account_id: str) -> Account | None:
        account = self._view.get(account_id)
        return None if account is None else attrs.evolve(account)

    def update(self, account: Account) -> Account:
        return _versioned_update(self._view, "account", account)

    def store(self, account: Account) -> None:
        _versioned_write(self._view, "account", account)

    def name_taken(self, name: str) -> bool:
        return self._named(name) is not None

    def query(self, agency_id: str, query: AccountQuery, today: date) -> Page[Account]:
        # The pure evaluator is the reference; the SQL adapter reproduces it in the database.
        accounts = [attrs.evolve(a) for a in self._view.items(group=agency_id)]
        return run_query(accounts, query, today)

    def of_agency(
        self, agency_id: str, *, after_id: str | None = None, limit: int = 100
    ) -> list[Account]:
        rows = self._view.items(group=agency_id, after=after_id)
        return [attrs.evolve(a) for a in _page(rows, lambda _: True, limit)]

    def due(
        self,
        until: date,
        *,
        after_id: str | None = None,
        limit: int = 100,
        claim: bool = False,
    ) -> list[Account]:
        # ``claim`` changes nothing here: commits are serialised and checked for conflicts.
        # The index holds each account's next billing day: only due accounts are read.
        rows = (a for _, a in self._view.dated_before(_DUE, until, after_id))
        return [attrs.evolve(a) for a in _page(rows, _always, limit)]

    def trials_ending(
        self, until: date, *, after_id: str | None = None, limit: int = 100
    ) -> list[Account]:
        rows = (a for _, a in self._view.dated_before(_TRIAL_END, until, after_id))
        return [attrs.evolve(a) for a in _page(rows, _always, limit)]


class _Profiles:
    def __init__(self, view: _View[str, BillingProfile]) -> None:
        self._view = view

    def add(self, profile: BillingProfile) -> None:
        self._view.insert(profile.id, profile)

    def get(self, agency_id: str, profile_id: str) -> BillingProfile:
        return _scoped(self._view, "billing profile", agency_id, profile_id)

    def update(self, profile: BillingProfile) -> BillingProfile:
        return _versioned_update(self._view, "billing profile", profile)

    def remove(self, agency_id: str, profile_id: str) -> None:
        _scoped(self._view, "billing profile", agency_id, profile_id)
        self._view.write(profile_id, _DELETED)

    def list(self, agency_id: str) -> list[BillingProfile]:
        return [attrs.evolve(p) for p in self._view.items(group=agency_id)]


class _Invoices:
    def __init__(self, view: _View[str, Invoice]) -> None:
        self._view = view

    def add(self, invoice: Invoice) -> None:
        self._view.insert(invoice.id, invoice)

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        for invoice in invoices:
            self._view.insert(invoice.id, invoice)

    def get(self, agency_id: str, invoice_id: str) -> Invoice:
        return _scoped(self._view, "invoice", agency_id, invoice_id)

    def by_period_key(self, period_key: str) -> Invoice | None:
        invoice = self._view.holding(0, period_key)
        return None if invoice is None else attrs.evolve(invoice)

    def update(self, invoice: Invoice) -> Invoice:
        return _versioned_update(self._view, "invoice", invoice)

    def list(self, agency_id: str, account_id: str | None = None) -> list[Invoice]:
        found = [
            attrs.evolve(i)
            for i in self._view.items(group=agency_id)
            if account_id is None or i.account_id == account_id
        ]
        return sorted(found, key=lambda i: i.number)

    def open_for_retry(
        self, until: date, *, after_id: str | None = None, limit: int = 100
    ) -> builtins.list[Invoice]:
        rows = (i for _, i in self._view.dated_before(_RETRY, until, after_id))
        return [attrs.evolve(i) for i in _page(rows, _always, limit)]


class _Idempotency:
    def __init__(self, view: _View[tuple[str, str], IdempotencyRecord]) -> None:
        self._view = view

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._view.get((scope, key))

    def put(self, record: IdempotencyRecord) -> None:
        key = (record.scope, record.key)
        stored = self._view.get(key)
        if stored is not None:
            if stored.fingerprint != record.fingerprint:
                raise IdempotencyConflict(record.key)
            if key not in self._view.writes:
                raise AlreadyExists("idempotency key", record.key)
            return
        self._view.write(key, record)

    def purge(self, before: datetime) -> int:
        old = [(r.scope, r.key) for r in self._view.items() if r.at < before]
        for key in old:
            self._view.write(key, _DELETED, checked=False)
        return len(old)


class _Views:
    def __init__(self, view: _View[tuple[str, str, str], SavedView]) -> None:
        self._view = view

    def save(self, view: SavedView) -> None:
        self._view.write((view.agency_id, view.user_id, view.name), view, checked=False)

    def get(self, agency_id: str, user_id: str, name: str) -> SavedView:
        view = self._view.get((agency_id, user_id, name))
        if view is None:
            raise NotFound("saved view", name)
        return view

    def list(self, agency_id: str, user_id: str) -> list[SavedView]:
        found: list[SavedView] = []
        for key, view in self._view.keyed(after=(agency_id, user_id, "")):
            if key[:2] != (agency_id, user_id):
                break
            found.append(view)
        return found

    def remove(self, agency_id: str, user_id: str, name: str) -> None:
        self.get(agency_id, user_id, name)
        self._view.write((agency_id, user_id, name), _DELETED, checked=False)


class _Tokens:
    def __init__(self, view: _View[tuple[str, str], AccessRecord], storage: MemoryStorage) -> None:
        self._view = view
        self._storage = storage

    def increment(self, record: AccessRecord, *, at: datetime) -> int:
        # Straight into the committed table, under the commit lock: counted at once.
        key = (record.kind, record.key)
        storage = self._storage
        with storage._lock:
            count = next_count(self._view.table.rows.get(key), at)
            storage._revision += 1
            self._view.table.apply(key, attrs.evolve(record, data=str(count)), storage._revision)
        return count

    def get(self, kind: str, key: str) -> AccessRecord | None:
        return self._view.get((kind, key))

    def put(self, record: AccessRecord) -> None:
        self._view.write((record.kind, record.key), record, checked=False)

    def add(self, record: AccessRecord) -> None:
        if self._view.get((record.kind, record.key)) is not None:
            raise AlreadyExists(record.kind, record.key)
        self._view.write((record.kind, record.key), record)

    def take(self, kind: str, key: str) -> AccessRecord | None:
        record = self._view.get((kind, key))
        if record is not None:
            self._view.write((kind, key), _DELETED)
        return record

    def purge(self, before: datetime) -> int:
        old = [
            (r.kind, r.key)
            for r in self._view.items()
            if r.expires_at is not None and r.expires_at < before
        ]
        for key in old:
            self._view.write(key, _DELETED, checked=False)
        return len(old)


class _Records:
    def __init__(self, view: _View[str, Record]) -> None:
        self._view = view

    def add(self, record: Record) -> None:
        self._view.insert(record.id, record)

    def get(self, agency_id: str, record_id: str) -> Record:
        return _scoped(self._view, "record", agency_id, record_id)

    def by_key(self, key: str) -> Record | None:
        return self._view.holding(0, key)

    def update(self, record: Record) -> Record:
        return _versioned_update(self._view, "record", record)

    def list(
        self, agency_id: str, *, subject: str | None = None, status: str | None = None
    ) -> list[Record]:
        return [
            r
            for r in self._view.items(group=agency_id)
            if (subject is None or r.subject == subject) and (status is None or r.status == status)
        ]


# -- the ledger and the event log ----------------------------------------------------------


_BalanceKey = tuple[str, str, CreditKind]


class _LedgerState:
    """The committed movements and balances."""

    def __init__(self) -> None:
        self.by_id: dict[str, Movement] = {}
        self.by_agency: dict[str, list[Movement]] = {}
        self.balances: dict[_BalanceKey, Decimal] = {}


class _Ledger:
    def __init__(self, state: _LedgerState) -> None:
        self._state = state
        self.pending: list[Movement] = []
        self._pending_ids: dict[str, Movement] = {}
        self._deltas: dict[_BalanceKey, Decimal] = {}

    def append(self, movement: Movement) -> bool:
        millionths(movement)  # the checks of the port; the quantity is kept as it is
        known = self._pending_ids.get(movement.id) or self._state.by_id.get(movement.id)
        if recorded_before(movement, known):
            return False
        source: _BalanceKey = (movement.agency_id, movement.source, movement.kind)
        if movement.source != OUTSIDE:
            available = self._state.balances.get(source, Decimal(0)) + self._deltas.get(
                source, Decimal(0)
            )
            if available < movement.quantity:
                raise overdrawn(movement, available)
        destination: _BalanceKey = (movement.agency_id, movement.destination, movement.kind)
        self._deltas[source] = self._deltas.get(source, Decimal(0)) - movement.quantity
        self._deltas[destination] = self._deltas.get(destination, Decimal(0)) + movement.quantity
        self.pending.append(movement)
        self._pending_ids[movement.id] = movement
        return True

    def movements(
        self, agency_id: str, wallet: str | None = None, kind: CreditKind | None = None
    ) -> list[Movement]:
        rows = [*self._state.by_agency.get(agency_id, []), *self.pending]
        return [
            m
            for m in rows
            if m.agency_id == agency_id
            and (wallet is None or wallet in (m.source, m.destination))
            and (kind is None or m.kind is kind)
        ]

    def balance(self, agency_id: str, wallet: str, kind: CreditKind) -> Decimal:
        key = (agency_id, wallet, kind)
        return self._state.balances.get(key, Decimal(0)) + self._deltas.get(key, Decimal(0))

    def balances(
        self, agency_id: str, wallets: Sequence[str], kind: CreditKind, *, again: bool = False
    ) -> dict[str, Decimal]:
        # Nothing is kept from a read: every read is of the balances as committed now.
        return {w: self.balance(agency_id, w, kind) for w in wallets}

    def append_many(self, movements: Sequence[Movement]) -> None:
        for movement in movements:
            if movement.id in self._pending_ids or movement.id in self._state.by_id:
                raise IdempotencyConflict(movement.id)
            self.append(movement)

    def verify(self) -> dict[_BalanceKey, Decimal]:
        """Replay the pending movements over the committed state; return new balances."""
        balances: dict[_BalanceKey, Decimal] = {}
        seen: set[str] = set()
        for movement in self.pending:
            known = self._state.by_id.get(movement.id)
            if known is not None and known != movement:
                raise IdempotencyConflict(movement.id)
            if known is not None or movement.id in seen:
                continue
            seen.add(movement.id)
            source = (movement.agency_id, movement.source, movement.kind)
            destination = (movement.agency_id, movement.destination, movement.kind)
            for key in (source, destination):
                balances.setdefault(key, self._state.balances.get(key, Decimal(0)))
            if movement.source != OUTSIDE and balances[source] < movement.quantity:
                raise overdrawn(movement, balances[source])
            balances[source] -= movement.quantity
            balances[destination] += movement.quantity
        return balances

    def publish(self, balances: dict[_BalanceKey, Decimal]) -> None:
        for movement in self.pending:
            if movement.id not in self._state.by_id:
                self._state.by_id[movement.id] = movement
                self._state.by_agency.setdefault(movement.agency_id, []).append(movement)
        self._state.balances.update(balances)
        self.reset()

    def reset(self) -> None:
        self.pending.clear()
        self._pending_ids.clear()
        self._deltas.clear()


class _Feed:
    """The committed events' positions, per agency (EV1): a commit numbers its events
    under the storage's lock, so positions follow commit order."""

    def __init__(self) -> None:
        self.last = 0
        self.positions: dict[str, list[int]] = {}


class _Events:
    def __init__(self, committed: dict[str, list[AuditEvent]], feed: _Feed) -> None:
        self._committed = committed
        self._feed = feed
        self.pending: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        self.pending.append(event)

    def list(
        self, agency_id: str, *, subject: str | None = None, limit: int | None = None
    ) -> list[AuditEvent]:
        rows = [*self._committed.get(agency_id, []), *self.pending]
        found = [
            e
            for e in rows
            if e.agency_id == agency_id and (subject is None or e.subject == subject)
        ]
        return found if limit is None else found[:limit]

    def feed(self, agency_id: str, *, after: int, limit: int) -> builtins.list[FeedEvent]:
        # A commit on another thread appends a position before its event: the first n
        # positions are those of the first n events.
        committed = self._committed.get(agency_id, [])
        n = len(committed)
        positions = self._feed.positions.get(agency_id, [])[:n]
        start = bisect.bisect_right(positions, after)
        end = min(n, start + limit)
        return [feed_event(positions[i], committed[i]) for i in range(start, end)]

    def last_position(self, agency_id: str) -> int:
        positions = self._feed.positions.get(agency_id)
        return positions[-1] if positions else 0

    def publish(self) -> None:
        feed = self._feed
        for event in self.pending:
            feed.last += 1
            feed.positions.setdefault(event.agency_id, []).append(feed.last)
            self._committed.setdefault(event.agency_id, []).append(event)
        self.pending.clear()


# -- the storage and its units of work -----------------------------------------------------


def _agency_group(value: Any) -> str:
    return str(value.agency_id)


class MemoryStorage:
    """Storage in dictionaries, with the guarantees of a database (see the module doc).

    Safe to share between threads: commits are serialised and check for concurrent
    changes; each unit of work belongs to one thread.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._revision = 0
        self._ledger = _LedgerState()
        self._events: dict[str, list[AuditEvent]] = {}
        self._feed = _Feed()
        evolve: Callable[[Any], Any] = attrs.evolve
        self._agencies: _Table[str, Agency] = _Table(
            "agency",
            copy=evolve,
            unique=(_Unique(lambda a: a.referral_code, _referral_taken),),
        )
        self._users: _Table[str, PortalUser] = _Table(
            "portal user",
            copy=_same,
            unique=(_Unique(lambda u: u.email.casefold(), _email_taken),),
            group=_agency_group,
        )
        self._accounts: _Table[str, Account] = _Table(
            "account",
            copy=evolve,
            unique=(_Unique(lambda a: a.name.casefold(), _name_taken),),
            group=_agency_group,
            dated={_DUE: _next_billing_start, _TRIAL_END: _trial_end},
        )
        self._profiles: _Table[str, BillingProfile] = _Table(
            "billing profile",
            copy=evolve,
            unique=(_Unique(lambda p: (p.agency_id, p.label.casefold()), _label_taken),),
            group=_agency_group,
        )
        self._invoices: _Table[str, Invoice] = _Table(
            "invoice",
            copy=evolve,
            unique=(
                _Unique(lambda i: i.period_key, _period_billed),
                _Unique(lambda i: (i.agency_id, i.number), _number_taken),
            ),
            group=_agency_group,
            dated={_RETRY: _retry_day},
        )
        self._idempotency: _Table[tuple[str, str], IdempotencyRecord] = _Table(
            "idempotency key", copy=_same
        )
        self._views: _Table[tuple[str, str, str], SavedView] = _Table("saved view", copy=_same)
        self._tokens: _Table[tuple[str, str], AccessRecord] = _Table("access record", copy=_same)
        self._records = {
            name: _Table[str, Record](
                "record",
                copy=_same,
                unique=(_Unique(lambda r: r.key, _record_key_taken),),
                group=_agency_group,
            )
            for name in ("transfers", "payouts", "brandings", "credit_notes", "top_ups")
        }

    def unit_of_work(self) -> MemoryUnitOfWork:
        """Start a unit of work (use it in a ``with`` block)."""
        return MemoryUnitOfWork(self)


def _referral_taken(agency: Agency) -> ResellError:
    return DuplicateName("referral code", agency.referral_code)


def _email_taken(user: PortalUser) -> ResellError:
    return DuplicateName("portal user email", user.email)


def _name_taken(account: Account) -> ResellError:
    return DuplicateName("account name", account.name)


def _label_taken(profile: BillingProfile) -> ResellError:
    return DuplicateName("billing profile label", profile.label)


def _period_billed(invoice: Invoice) -> ResellError:
    return AlreadyExists("recurring invoice", invoice.period_key)


def _number_taken(invoice: Invoice) -> ResellError:
    return AlreadyExists("invoice number", f"{invoice.agency_id}/{invoice.number}")


def _record_key_taken(record: Record) -> ResellError:
    return AlreadyExists("record key", record.key)


def _idempotency_taken(key: Any, written: Any, committed: Any) -> ResellError:
    return IdempotencyConflict(key[1])


class MemoryUnitOfWork:
    """A unit of work over :class:`MemoryStorage` (see :class:`resell_core.ports.UnitOfWork`)."""

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        s = storage
        agencies = _View(s._agencies, _version_changed("agency"))
        users = _View(s._users, _taken_meanwhile("portal user"))
        accounts = _View(s._accounts, _version_changed("account"))
        profiles = _View(s._profiles, _version_changed("billing profile"))
        invoices = _View(s._invoices, _version_changed("invoice"))
        idempotency = _View(s._idempotency, _idempotency_taken)
        views = _View(s._views, _last_writer_wins)
        tokens = _View(s._tokens, _taken_meanwhile("access record"))
        records = {
            name: _View(table, _version_changed("record")) for name, table in s._records.items()
        }
        self._views: list[_View[Any, Any]] = [
            agencies,
            users,
            accounts,
            profiles,
            invoices,
            idempotency,
            views,
            tokens,
            *records.values(),
        ]
        self.agencies = _Agencies(agencies)
        self.users = _Users(users)
        self.accounts = _Accounts(accounts)
        self.profiles = _Profiles(profiles)
        self.invoices = _Invoices(invoices)
        self.idempotency = _Idempotency(idempotency)
        self.views = _Views(views)
        self.tokens = _Tokens(tokens, storage)
        self.transfers = _Records(records["transfers"])
        self.payouts = _Records(records["payouts"])
        self.brandings = _Records(records["brandings"])
        self.credit_notes = _Records(records["credit_notes"])
        self.top_ups = _Records(records["top_ups"])
        self.ledger = _Ledger(s._ledger)
        self.events = _Events(s._events, s._feed)

    def commit(self) -> None:
        """Publish every write since the start or the previous commit, all or nothing."""
        with self._storage._lock:
            for view in self._views:
                view.verify()
            balances = self.ledger.verify()
            self._storage._revision += 1
            for view in self._views:
                view.publish(self._storage._revision)
            self.ledger.publish(balances)
            self.events.publish()

    def rollback(self) -> None:
        """Discard every write since the start or the previous commit."""
        for view in self._views:
            view.reset()
        self.ledger.reset()
        self.events.pending.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
