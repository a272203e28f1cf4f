"""The ports: what the library asks of the outside world, and the contract of each call.

Everything the portal service needs from storage, payment and payout gateways, the
mailer, the provisioning system, the clock, id generation and randomness is a
:class:`typing.Protocol` in this one module. Each method's docstring is its contract:
what it returns when nothing is found, which library errors it raises. Every adapter
(the in-memory ones in :mod:`resell_core.adapters`, the SQL one, a host's own) honours
these contracts, and proves it by passing the suites in
:mod:`resell_core.testing.contracts`.

Storage is a set of repositories reached through a unit of work::

    with storage.unit_of_work() as uow:
        account = uow.accounts.get(agency_id, account_id)
        uow.accounts.update(changed)
        uow.events.append(event)
        uow.commit()

Rules common to every repository:

- **Atomicity.** Writes become visible to other units of work only at ``commit()``.
  Leaving the ``with`` block without committing (normally or by an exception) discards
  every write of the unit of work. A unit of work can commit more than once; each commit
  publishes the writes made since the previous one.
- **Read your writes.** A unit of work sees its own uncommitted writes.
- **Copies.** Repositories hand out copies: changing a returned object changes nothing
  stored until it is passed to ``update``.
- **Optimistic versions.** Aggregates (agency, account, profile, invoice, records) carry
  ``version``. ``update(x)`` stores ``x`` only if the stored version still equals
  ``x.version`` and returns the stored copy with ``version + 1``; otherwise it raises
  :class:`~resell_core.errors.VersionConflict`. A conflict may also surface at
  ``commit()`` when another unit of work committed the same row in between; the commit
  then raises the same error and writes nothing.
- **Uniqueness.** Adding a duplicate raises at the write (or at commit, when the other
  writer committed first): :class:`~resell_core.errors.DuplicateName` for names,
  :class:`~resell_core.errors.AlreadyExists` for ids and keys.
- **Tenancy.** Lookups scoped to an agency take its id first; a row of another agency is
  reported exactly like a missing one (:class:`~resell_core.errors.NotFound`, or None
  where the method says so). Methods without an agency id are platform-level (billing
  run, provisioning reports) and are never called on behalf of an agency's request.
- **Pages.** Whatever may grow with the platform is read in pages ordered by id
  (``after_id`` = the last id of the previous page, ``limit`` = the page size); nothing
  loads every row.
- **Errors.** Adapters raise only :class:`~resell_core.errors.ResellError` subclasses,
  translating driver errors with ``raise ... from``.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

import attrs

from resell_core.agency import Agency, PortalUser
from resell_core.audit import AuditEvent
from resell_core.billing.gateway import (
    ChargeRequest,
    ChargeResult,
    PayoutRequest,
    PayoutResult,
    RefundRequest,
    RefundResult,
)
from resell_core.billing.invoices import Invoice
from resell_core.billing.ledger import CreditKind, Movement
from resell_core.billing.notices import Notice
from resell_core.billing.profiles import BillingProfile
from resell_core.billing.taxes import TaxableLine, TaxLine
from resell_core.errors import IdempotencyConflict, InsufficientCredit, InvalidInput, quoted
from resell_core.feed import FeedEvent
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.account_query import AccountQuery, Page, SavedView

__all__ = [
    "LEDGER_RANGE",
    "AccessRecord",
    "AccountRepository",
    "AgencyRepository",
    "Clock",
    "EventLog",
    "IdempotencyRecord",
    "IdempotencyStore",
    "Ids",
    "InvoiceRepository",
    "Ledger",
    "Notifier",
    "PaymentGateway",
    "PayoutGateway",
    "ProfileRepository",
    "Provisioner",
    "ProvisioningOutcome",
    "ProvisioningReport",
    "Record",
    "RecordRepository",
    "Secrets",
    "Storage",
    "TaxCalculator",
    "TokenStore",
    "UnitOfWork",
    "UserRepository",
    "ViewRepository",
    "millionths",
    "next_count",
    "overdrawn",
    "recorded_before",
]

# -- values the ports carry ----------------------------------------------------------------


@attrs.frozen
class IdempotencyRecord:
    """The first result of a command carried out under a caller's idempotency key.

    Attributes:
        scope: Whose key it is (an agency id, or ``"platform"``): keys of two agencies
            never collide.
        key: The caller's key.
        fingerprint: A digest of the request's parameters; the same key with another
            fingerprint is a different request (an idempotency conflict).
        result: The first result, serialised (JSON text from ``resell_core.serialization``).
        at: When it was stored (aware); records are kept at least 24 hours.
    """

    scope: str
    key: str
    fingerprint: str
    result: str
    at: datetime


@attrs.frozen
class AccessRecord:
    """A small keyed access record: a reset token, a used SSO nonce, a password hash…

    Attributes:
        kind: What it is (``"reset"``, ``"sso_nonce"``, ``"credentials"``, ``"login"``).
        key: Its key within the kind (a token digest, a nonce, an account id).
        agency_id: The agency it belongs to.
        subject: What it is about (an account id, a user name).
        data: Serialised content (a hash, a counter, JSON).
        expires_at: When it stops being valid (aware), None for never; expired records may
            be purged.
    """

    kind: str
    key: str
    agency_id: str
    subject: str
    data: str
    expires_at: datetime | None = None


def next_count(stored: AccessRecord | None, at: datetime) -> int:
    """The count that :meth:`TokenStore.increment` answers after ``stored`` (its contract,
    in one place for every adapter): 1 for no record, one whose ``data`` is not a count,
    or one expired at ``at``; otherwise the stored count plus one."""
    if stored is None or not (stored.data.isascii() and stored.data.isdigit()):
        return 1
    if stored.expires_at is not None and stored.expires_at <= at:
        return 1
    return int(stored.data) + 1


@attrs.frozen
class Record:
    """A versioned record of the portal whose content is serialised: a transfer request,
    a commission payout, an account's branding.

    Attributes:
        id: Its identifier.
        agency_id: The agency it belongs to.
        subject: What it is about (an account id, an account name, a month).
        status: Where it stands (free text owned by the service, e.g. ``"requested"``).
        data: The content, JSON text from ``resell_core.serialization``.
        key: An optional natural key unique within the repository (for a payout
            ``"<agency_id>/<month>"``, so that one month is never paid twice).
        version: For optimistic concurrency; the storage increments it on update.
    """

    id: str
    agency_id: str
    subject: str
    status: str
    data: str
    key: str | None = None
    version: int = 0


class ProvisioningOutcome(enum.StrEnum):
    """What became of a provisioning request."""

    READY = "ready"
    FAILED = "failed"


@attrs.frozen
class ProvisioningReport:
    """The provisioner's word on one account: ready, or failed and why (A12)."""

    account_id: str
    outcome: ProvisioningOutcome
    reason: str | None = None


# -- storage: repositories ------------------------------------------------------------------


class AgencyRepository(Protocol):
    """The agencies of the platform."""

    def add(self, agency: Agency) -> None:
        """Store a new agency.

        Raises:
            AlreadyExists: The id is taken.
            DuplicateName: Its ``referral_code`` is taken (kind ``"referral code"``).
        """
        ...

    def get(self, agency_id: str) -> Agency:
        """Return the agency.

        Raises:
            NotFound: No such agency (kind ``"agency"``).
        """
        ...

    def update(self, agency: Agency) -> Agency:
        """Store a changed agency; return the stored copy (version + 1).

        Raises:
            NotFound: No such agency.
            VersionConflict: The stored version is not ``agency.version``.
            DuplicateName: The new referral code is taken.
        """
        ...

    def by_referral_code(self, code: str) -> Agency | None:
        """Return the agency whose referral link carries ``code``, or None."""
        ...

    def get_many(self, agency_ids: Sequence[str]) -> list[Agency]:
        """Return the agencies among ``agency_ids`` (those that exist), by id, as last
        committed (or as this unit of work changed them), in one read, holding nothing.

        What a page of the billing run bills its accounts from before it locks their
        agencies (docs/scaling.md).
        """
        ...

    def lock(self, agency_ids: Sequence[str]) -> list[Agency]:
        """Return the agencies among ``agency_ids`` (those that exist), by id, as last
        committed (or as this unit of work changed them), and hold them for this unit of
        work until it commits or rolls back.

        What the billing run takes before it numbers and stores a page's invoices
        (docs/scaling.md): on PostgreSQL a row lock
        (``SELECT … FOR UPDATE``, in id order), so that another unit of work locking one
        of them waits until this one ends and then reads what it committed, and the
        agencies' invoice counters never conflict at commit. Storages that serialise
        their commits without row locks (memory, SQLite) return the agencies as
        :meth:`get` does; the version checked at commit stays the guard there.
        """
        ...

    def page(self, *, after_id: str | None = None, limit: int = 100) -> list[Agency]:
        """Return up to ``limit`` agencies with ids greater than ``after_id``, by id."""
        ...


class UserRepository(Protocol):
    """The portal users (admins) of agencies."""

    def add(self, user: PortalUser) -> None:
        """Store a new portal user.

        Raises:
            AlreadyExists: The id is taken.
            DuplicateName: The email is taken on the platform, compared case-insensitively
                (kind ``"portal user email"``).
        """
        ...

    def get(self, agency_id: str, user_id: str) -> PortalUser:
        """Return the agency's user.

        Raises:
            NotFound: No such user in this agency (kind ``"portal user"``).
        """
        ...

    def by_email(self, email: str) -> PortalUser | None:
        """Return the user with this email (case-insensitive), or None."""
        ...

    def list(self, agency_id: str) -> list[PortalUser]:
        """Return the agency's users ordered by id (empty when none)."""
        ...


class AccountRepository(Protocol):
    """The accounts managed from partner portals (resold and commission accounts).

    Account names are the site addresses clients log in at (A2): unique across the whole
    platform, compared case-insensitively.
    """

    def add(self, account: Account) -> None:
        """Store a new account.

        Raises:
            AlreadyExists: The id is taken.
            DuplicateName: The name is taken on the platform (kind ``"account name"``).
        """
        ...

    def get(self, agency_id: str, account_id: str) -> Account:
        """Return the agency's account.

        Raises:
            NotFound: No such account, or it belongs to another agency (kind
                ``"account"``).
        """
        ...

    def get_by_name(self, agency_id: str, name: str) -> Account:
        """Return the agency's account with this name (case-insensitive).

        Raises:
            NotFound: No such account in this agency (kind ``"account"``).
        """
        ...

    def find(self, account_id: str) -> Account | None:
        """Return the account whatever its agency, or None (platform-level: provisioning
        reports, workers)."""
        ...

    def update(self, account: Account) -> Account:
        """Store a changed account; return the stored copy (version + 1).

        Raises:
            NotFound: No such account in ``account.agency_id``.
            VersionConflict: The stored version is not ``account.version``.
            DuplicateName: The account was renamed to a taken name.
        """
        ...

    def store(self, account: Account) -> None:
        """Store a changed account as :meth:`update` does (version + 1, the same checks
        and errors), without handing back the stored copy: for a caller that does not use
        it (the billing run, an account a time), where the copy is work for nothing.

        Raises:
            NotFound: No such account in ``account.agency_id``.
            VersionConflict: The stored version is not ``account.version``.
            DuplicateName: The account was renamed to a taken name.
        """
        ...

    def name_taken(self, name: str) -> bool:
        """Tell whether an account anywhere on the platform has this name
        (case-insensitive); the answer includes this unit of work's writes."""
        ...

    def query(self, agency_id: str, query: AccountQuery, today: date) -> Page[Account]:
        """Answer the overview query over the agency's accounts (O1-O8).

        The result equals ``resell_core.lifecycle.account_query.run_query`` over the agency's
        accounts (the pure reference evaluator); SQL adapters run it in the database.
        Other agencies' accounts never appear.
        """
        ...

    def of_agency(
        self, agency_id: str, *, after_id: str | None = None, limit: int = 100
    ) -> list[Account]:
        """Return up to ``limit`` of the agency's accounts with ids after ``after_id``, by id."""
        ...

    def due(
        self,
        until: date,
        *,
        after_id: str | None = None,
        limit: int = 100,
        claim: bool = False,
    ) -> list[Account]:
        """Return billable accounts whose next period starts before ``until``, by id.

        Billable (B1, K3): kind ``resold``, status ``active`` or ``disabled`` (or
        ``cancelled`` while its next period started before ``cancelled_on``), a paid plan
        (``plan.is_paid``) with a frequency, and an ``anchor``: exactly
        :func:`resell_core.billing.due.next_billing_day`, which gives the start of the next
        period; the account is due when that day is strictly before ``until``. At most
        ``limit`` accounts with ids greater than ``after_id``; an empty list means there are
        no more.

        With ``claim``, the accounts returned are claimed for this unit of work until it
        commits or rolls back, and accounts another unit of work has claimed are skipped
        (several billing workers on one database; PostgreSQL: ``FOR UPDATE SKIP
        LOCKED``). Adapters whose writers are serialised anyway (memory, SQLite) may
        ignore it.
        """
        ...

    def trials_ending(
        self, until: date, *, after_id: str | None = None, limit: int = 100
    ) -> list[Account]:
        """Return ``active`` accounts whose ``trial_ends_on`` is set and before ``until``,
        by id, in pages like :meth:`due`."""
        ...


class ProfileRepository(Protocol):
    """Billing profiles: the agencies' cards (B3, B5)."""

    def add(self, profile: BillingProfile) -> None:
        """Store a new profile.

        Raises:
            AlreadyExists: The id is taken.
            DuplicateName: The agency already has a profile with this label
                (case-insensitive; kind ``"billing profile label"``).
        """
        ...

    def get(self, agency_id: str, profile_id: str) -> BillingProfile:
        """Return the agency's profile.

        Raises:
            NotFound: No such profile in this agency (kind ``"billing profile"``).
        """
        ...

    def update(self, profile: BillingProfile) -> BillingProfile:
        """Store a changed profile; return the stored copy (version + 1).

        Raises:
            NotFound: No such profile in ``profile.agency_id``.
            VersionConflict: The stored version is not ``profile.version``.
            DuplicateName: The new label is taken in the agency.
        """
        ...

    def remove(self, agency_id: str, profile_id: str) -> None:
        """Delete the agency's profile (B5); whether accounts still use it is the service's
        question.

        Raises:
            NotFound: No such profile in this agency.
        """
        ...

    def list(self, agency_id: str) -> list[BillingProfile]:
        """Return the agency's profiles ordered by id (empty when none)."""
        ...


class InvoiceRepository(Protocol):
    """Invoices. Numbers are gapless per agency (the service takes them from the agency's
    counter); the storage keeps them and recurring period keys unique."""

    def add(self, invoice: Invoice) -> None:
        """Store a new invoice.

        Raises:
            AlreadyExists: The id is taken (kind ``"invoice"``), the agency already has an
                invoice with this number (kind ``"invoice number"``), or a recurring
                invoice with this ``period_key`` exists (kind ``"recurring invoice"``; the
                account period was billed already and must not be billed again).
        """
        ...

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        """Store new invoices, in order (a billing page's, whose ids are new, numbers
        taken from the agency's counter and periods due): each is checked against the
        batch and this unit of work at once, and against the stored invoices by the
        commit at the latest (a database adapter reads nothing for them: the table's
        unique keys refuse a clash as the page commits).

        Raises:
            AlreadyExists: As :meth:`add`, for the first invoice refused: here against
                this unit of work and the batch (those before it are added in this unit of
                work, as with :meth:`add`), or, at :meth:`UnitOfWork.commit`, against the
                stored invoices (the commit then writes nothing).
        """
        ...

    def get(self, agency_id: str, invoice_id: str) -> Invoice:
        """Return the agency's invoice.

        Raises:
            NotFound: No such invoice in this agency (kind ``"invoice"``).
        """
        ...

    def by_period_key(self, period_key: str) -> Invoice | None:
        """Return the recurring invoice of an account period, or None (platform-level)."""
        ...

    def update(self, invoice: Invoice) -> Invoice:
        """Store a changed invoice; return the stored copy (version + 1).

        Raises:
            NotFound: No such invoice in ``invoice.agency_id``.
            VersionConflict: The stored version is not ``invoice.version``.
        """
        ...

    def list(self, agency_id: str, account_id: str | None = None) -> list[Invoice]:
        """Return the agency's invoices (only the account's when given), by number (B7)."""
        ...

    def open_for_retry(
        self, until: date, *, after_id: str | None = None, limit: int = 100
    ) -> builtins.list[Invoice]:
        """Return invoices to try again: ``next_retry_on`` set and before ``until``, status
        neither ``paid`` nor ``void``; by id, in pages like
        :meth:`AccountRepository.due` (platform-level)."""
        ...


LEDGER_RANGE = Decimal(9 * 10**12)
"""The ledger's numeric range (M1): every quantity and balance with at most 6 decimal
places whose magnitude is below it is held and read back exactly (a SQL storage keeps
millionths in 64-bit integers). The billing domain's ``CreditBounds`` keep every purchase
and balance well below it."""


def millionths(movement: Movement) -> int:
    """The movement's quantity in millionths, checked as :meth:`Ledger.append` checks it
    (its contract, in one place for every adapter): InvalidInput unless it is positive,
    below :data:`LEDGER_RANGE` and has at most 6 decimal places."""
    quantity = movement.quantity
    if quantity <= 0:
        raise InvalidInput.one(
            "movement",
            "quantity",
            f"{quoted(quantity)} is not positive; move a positive "
            "quantity from the source wallet to the destination wallet",
        )
    if not quantity < LEDGER_RANGE:
        raise InvalidInput.one(
            "movement",
            "quantity",
            f"{quoted(quantity)} is beyond the ledger's "
            f"range (below {LEDGER_RANGE}); move less at once",
        )
    scaled = quantity.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise InvalidInput.one(
            "movement",
            "quantity",
            f"{quantity} has more than 6 decimal places; round it to the currency's minor "
            "unit or to whole credits",
        )
    return int(scaled)


def recorded_before(movement: Movement, known: Movement | None) -> bool:
    """Whether :meth:`Ledger.append` records nothing because ``known``, the movement
    already recorded under ``movement``'s id, is the same movement; IdempotencyConflict
    when it is another one."""
    if known is None:
        return False
    if known != movement:
        raise IdempotencyConflict(movement.id)
    return True


def overdrawn(movement: Movement, balance: Decimal) -> InsufficientCredit:
    """The error of a movement its source wallet, holding ``balance``, cannot pay."""
    return InsufficientCredit(
        f"the wallet {quoted(movement.source)} holds "
        f"{balance} {movement.kind} credit, less than the "
        f"{movement.quantity} to move: buy or assign more credit first, or charge the card"
    )


class Ledger(Protocol):
    """The credit ledger: append-only movements between wallets, balances never negative.

    A wallet's balance is what moved into it minus what moved out of it, per agency,
    wallet name and credit kind. Every wallet but ``"outside"`` (where bought credit comes
    from) stays at or above zero. Quantities and balances are exact within
    :data:`LEDGER_RANGE` (balances of the ``outside`` and ``spent`` wallets included);
    a quantity with more than 6 decimal places, or not below the range, is refused.
    """

    def append(self, movement: Movement) -> bool:
        """Record a movement.

        Returns:
            True when it was recorded; False when a movement with the same id and the same
            content was recorded before (a retry is harmless).

        Raises:
            IdempotencyConflict: A movement with this id but other content exists.
            InsufficientCredit: The source wallet (other than ``"outside"``) would go
                below zero; nothing is recorded.
            InvalidInput: The quantity is not positive, has more than 6 decimal places,
                or is not below :data:`LEDGER_RANGE`; nothing is recorded.
        """
        ...

    def append_many(self, movements: Sequence[Movement]) -> None:
        """Record new movements, in order (a billing page's, whose ids are made from its
        new invoices' ids): each as :meth:`append` records one, except that an id
        recorded before is refused even with the same content, for a batch of new
        movements is never a retry. The ids are checked against the batch and this unit
        of work at once, and against the stored movements by the commit at the latest (a
        database adapter reads nothing for them). When one is refused here, those before
        it stay recorded in this unit of work, as with :meth:`append`; the refused one
        and those after it are not.

        Raises:
            IdempotencyConflict: A movement's id is recorded already: in this unit of work
                or earlier in the batch (here), or stored (here or at
                :meth:`UnitOfWork.commit`, which then writes nothing).
            InsufficientCredit: As :meth:`append`, for the first movement refused.
            InvalidInput: As :meth:`append`, for the first movement refused.
        """
        ...

    def movements(
        self, agency_id: str, wallet: str | None = None, kind: CreditKind | None = None
    ) -> list[Movement]:
        """Return the agency's movements in the order recorded, only those into or out of
        ``wallet`` and of ``kind`` when given (C6's history)."""
        ...

    def balance(self, agency_id: str, wallet: str, kind: CreditKind) -> Decimal:
        """Return the agency's balance of ``kind`` in ``wallet`` (``Decimal(0)`` when none)."""
        ...

    def balances(
        self, agency_id: str, wallets: Sequence[str], kind: CreditKind, *, again: bool = False
    ) -> dict[str, Decimal]:
        """Return the agency's balances of ``kind`` in many wallets at once (a database
        adapter reads them in one query), each as :meth:`balance` returns it.

        With ``again``, the stored balances are read again, not as this unit of work read
        them before: what other units of work committed since counts. The billing run's
        page reads its pools so once it holds their agency (docs/scaling.md).

        Returns:
            A balance for every wallet given, keyed by wallet (``Decimal(0)`` when none),
            including what this unit of work moved so far.
        """
        ...


class IdempotencyStore(Protocol):
    """First results of commands carried out under callers' idempotency keys."""

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """Return the record of ``key`` in ``scope``, or None if never stored (or purged)."""
        ...

    def put(self, record: IdempotencyRecord) -> None:
        """Store the first result of a key.

        Storing the same scope, key and fingerprint again in the same unit of work is
        harmless (the first record stays).

        Raises:
            IdempotencyConflict: The key is stored with another fingerprint; or, at
                commit, another unit of work committed the key meanwhile.
            AlreadyExists: Another unit of work committed the key with this fingerprint
                (kind ``"idempotency key"``): this request was carried out already, and
                this unit of work must not commit it again (I1).
        """
        ...

    def purge(self, before: datetime) -> int:
        """Delete records stored before ``before``; return how many. The service never
        purges keys younger than 24 hours."""
        ...


class EventLog(Protocol):
    """The audit log, append-only, read by the host."""

    def append(self, event: AuditEvent) -> None:
        """Record an event."""
        ...

    def list(
        self, agency_id: str, *, subject: str | None = None, limit: int | None = None
    ) -> list[AuditEvent]:
        """Return the agency's events in the order recorded (only ``subject``'s when given),
        the first ``limit`` ones when given."""
        ...

    # -- the feed (EV1) --
    def feed(self, agency_id: str, *, after: int, limit: int) -> builtins.list[FeedEvent]:
        """Return the agency's committed events whose position is greater than ``after``,
        by position, the first ``limit`` ones (none of this unit of work's own).

        The storage gives each event a position when its unit of work commits: positions
        grow across the storage (they need not be contiguous), and within one agency an
        event committed later has a greater position than every event committed before
        it. So a reader that reads on after the last position it saw never misses an
        event committed meanwhile, whatever the concurrency (EV1).
        """
        ...

    def last_position(self, agency_id: str) -> int:
        """Return the position of the agency's last committed event, 0 when it has none."""
        ...


class ViewRepository(Protocol):
    """Saved personal views of the overview (O6): per user, private to that user."""

    def save(self, view: SavedView) -> None:
        """Store the view for its user, replacing the user's view of the same name."""
        ...

    def get(self, agency_id: str, user_id: str, name: str) -> SavedView:
        """Return the user's view.

        Raises:
            NotFound: The user has no view of that name (kind ``"saved view"``); another
                user's views are never found.
        """
        ...

    def list(self, agency_id: str, user_id: str) -> list[SavedView]:
        """Return the user's views sorted by name (empty when none)."""
        ...

    def remove(self, agency_id: str, user_id: str, name: str) -> None:
        """Delete the user's view.

        Raises:
            NotFound: The user has no view of that name.
        """
        ...


class TokenStore(Protocol):
    """Small keyed access records: reset tokens, used SSO nonces, credentials, lockouts."""

    def get(self, kind: str, key: str) -> AccessRecord | None:
        """Return the record, or None. Expiry is the caller's to judge."""
        ...

    def put(self, record: AccessRecord) -> None:
        """Store the record, replacing one with the same kind and key."""
        ...

    def add(self, record: AccessRecord) -> None:
        """Store a record that must be new (a used single-use nonce).

        Raises:
            AlreadyExists: A record with this kind and key exists (kind = the record's
                kind).
        """
        ...

    def increment(self, record: AccessRecord, *, at: datetime) -> int:
        """Add one to the count kept in the record of ``record``'s kind and key; return it.

        The count is the stored record's ``data`` as decimal digits. A missing record, one
        whose ``data`` is not a count, or one expired at ``at`` (``expires_at <= at``)
        counts from 0, so the answer is 1. The stored record becomes ``record`` with the
        new count as ``data`` (its agency, subject and expiry replace the stored ones).

        Atomic and at once, outside the unit of work: of n concurrent increments (threads,
        processes, hosts on one database) each answers a different count, and each is
        stored and seen by every other unit of work as soon as it returns; a rollback of
        this unit of work does not take it back. A :meth:`put` of the record committed
        later (e.g. ``data="0"`` to start again) replaces the count.
        """
        ...

    def take(self, kind: str, key: str) -> AccessRecord | None:
        """Remove the record and return it, or return None when there is none.

        Single use: of two units of work taking the same record, one gets it; the other
        gets None, or a :class:`~resell_core.errors.Conflict` at commit when both read it
        before either committed.
        """
        ...

    def purge(self, before: datetime) -> int:
        """Delete records that expire before ``before``; return how many."""
        ...


class RecordRepository(Protocol):
    """Versioned records with serialised content (transfers, payouts, brandings, credit
    notes, top-ups)."""

    def add(self, record: Record) -> None:
        """Store a new record.

        Raises:
            AlreadyExists: The id is taken, or its ``key`` is (kind ``"record key"``).
        """
        ...

    def get(self, agency_id: str, record_id: str) -> Record:
        """Return the agency's record.

        Raises:
            NotFound: No such record in this agency (kind ``"record"``).
        """
        ...

    def by_key(self, key: str) -> Record | None:
        """Return the record with this natural key, or None."""
        ...

    def update(self, record: Record) -> Record:
        """Store a changed record; return the stored copy (version + 1).

        Raises:
            NotFound: No such record in ``record.agency_id``.
            VersionConflict: The stored version is not ``record.version``.
            AlreadyExists: The new key is taken.
        """
        ...

    def list(
        self, agency_id: str, *, subject: str | None = None, status: str | None = None
    ) -> list[Record]:
        """Return the agency's records by id (only those of ``subject`` / ``status`` when
        given)."""
        ...


# -- storage: unit of work -----------------------------------------------------------------


class UnitOfWork(Protocol):
    """One atomic piece of work over every repository (see the module's rules).

    Use it as a context manager; ``commit()`` publishes the writes; leaving without
    committing discards them.
    """

    @property
    def agencies(self) -> AgencyRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def profiles(self) -> ProfileRepository: ...

    @property
    def invoices(self) -> InvoiceRepository: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def views(self) -> ViewRepository: ...

    @property
    def tokens(self) -> TokenStore: ...

    @property
    def transfers(self) -> RecordRepository: ...

    @property
    def payouts(self) -> RecordRepository: ...

    @property
    def brandings(self) -> RecordRepository: ...

    @property
    def credit_notes(self) -> RecordRepository: ...

    @property
    def top_ups(self) -> RecordRepository:
        """Auto top-up policies of billing profiles and the top-ups made, per month (F2)."""
        ...

    def commit(self) -> None:
        """Publish every write made since the start (or the previous commit) at once.

        Raises:
            VersionConflict: A row written here was changed and committed by another unit
                of work meanwhile; nothing is published.
            AlreadyExists: Another unit of work committed the same id or key first.
            DuplicateName: Another unit of work committed the same unique name first.
            InsufficientCredit: Movements committed meanwhile leave too little credit.
            Conflict: An access record taken here was taken by another unit of work.
        """
        ...

    def rollback(self) -> None:
        """Discard every write made since the start (or the previous commit)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Discard uncommitted writes, whether or not an exception is passing."""
        ...


class Storage(Protocol):
    """Where the portal keeps its state."""

    def unit_of_work(self) -> UnitOfWork:
        """Start a unit of work (use it in a ``with`` block)."""
        ...


# -- taxes (TX1) ---------------------------------------------------------------------------


class TaxCalculator(Protocol):
    """The taxes of an invoice (after Stripe Tax, Kill Bill's tax plugins, Lago's taxes).

    The portal asks it for the taxes of every invoice it issues for an account (a
    period's recurring charge, a plan change's proration), after the lines and their
    discounts and before any prepaid credit or card pays (TX1). Without one (or with
    :class:`~resell_core.adapters.taxes.NoTax`) invoices carry no tax and the step is
    skipped entirely.
    """

    def taxes(
        self, agency: Agency, account: Account | None, lines: Sequence[TaxableLine]
    ) -> Sequence[TaxLine]:
        """Return the tax lines of an invoice's taxable lines (none to tax nothing).

        Args:
            agency: The customer billed: its ``country`` and ``tax_id`` (None when not
                given).
            account: The account the invoice is for, or None.
            lines: Each line that charges or credits, after its discounts
                (:func:`~resell_core.billing.taxes.taxable_lines`).

        Returns:
            Tax lines naming the taxed line by its ``index``, each rounded once to the
            minor unit (:func:`~resell_core.billing.taxes.tax_line` does it), in the
            invoice's currency; several may tax one line (a state and a county).
            Nothing is read or written.

        Raises:
            ResellError: A subclass (say ``InvalidInput``) when the invoice cannot be
                taxed; the invoice is then not issued (a billing run reports its account
                and goes on).
        """
        ...


# -- the other ports -----------------------------------------------------------------------


class PaymentGateway(Protocol):
    """Charges of agencies' cards (after Kill Bill's payment plugin contract)."""

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge the card, at most once per ``request.idempotency_key``.

        Outcomes are results, not errors: ``succeeded``, ``pending`` (asynchronous),
        ``declined``, ``not_attempted`` (the gateway was unreachable: nothing was charged,
        the same key may be tried again) and ``unknown`` (a timeout: the charge may have
        been made; reconcile with :meth:`lookup`, never charge under a new key).
        The same key with the same request returns the first result without charging
        again.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        ...

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """Return what became of the charge made under the key, or None when the gateway
        never made one (reconciliation of ``unknown`` and ``pending`` results)."""
        ...

    def refund(self, request: RefundRequest) -> RefundResult:
        """Give money back to the card, at most once per ``request.idempotency_key``.

        Outcomes are results, not errors, as for :meth:`charge`: ``succeeded``,
        ``pending`` (the card network has not confirmed it yet), ``failed`` (refused: the
        money was not given back), ``not_attempted`` (the gateway was unreachable; the
        same key may be tried again) and ``unknown`` (a timeout: the refund may have been
        made; reconcile with :meth:`lookup_refund`, never refund under a new key). The
        same key with the same request returns the first result without refunding again.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        ...

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """Return what became of the refund made under the key, or None when the gateway
        never made one (reconciliation of ``unknown`` and ``pending`` results)."""
        ...


class PayoutGateway(Protocol):
    """Commission payouts by PayPal (K2); the same contract as :class:`PaymentGateway`."""

    def pay(self, request: PayoutRequest) -> PayoutResult:
        """Pay, at most once per ``request.idempotency_key``.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        ...

    def lookup(self, idempotency_key: str) -> PayoutResult | None:
        """Return what became of the payout made under the key, or None."""
        ...


class Notifier(Protocol):
    """Delivers notices (emails) to agencies and notification addresses (S1, S2)."""

    def send(self, notice: Notice) -> None:
        """Send the notice. Delivery problems are the adapter's to retry; it does not
        raise for them."""
        ...


class Provisioner(Protocol):
    """Prepares hosted accounts, asynchronously (A1, A12)."""

    def start(self, account_id: str, name: str, snapshot_id: str | None) -> None:
        """Ask for the account to be prepared (from the snapshot when given). Starting an
        account already started is harmless."""
        ...

    def poll(self) -> Sequence[ProvisioningReport]:
        """Return the reports that arrived since the previous poll (each report once)."""
        ...


class Clock(Protocol):
    """Where "now" comes from."""

    def now(self) -> datetime:
        """Return the current moment as an aware datetime."""
        ...

    def today(self, tz: tzinfo | str = "UTC") -> date:
        """Return the calendar date now in ``tz`` (a tzinfo or an IANA name)."""
        ...


class Ids(Protocol):
    """Where new identifiers come from."""

    def new(self, kind: str) -> str:
        """Return a new id, never returned before, prefixed by ``kind``
        (``"account"`` → ``"account-…"``)."""
        ...


class Secrets(Protocol):
    """Where random bytes (passwords, tokens, salts) come from."""

    def token_bytes(self, n: int) -> bytes:
        """Return ``n`` random bytes."""
        ...
