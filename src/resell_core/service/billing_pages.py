"""What one page of due accounts bills, computed before anything is written.

The billing run claims a page of due accounts in one unit of work and bills them all
there (:func:`resell_core.service.billing.run_billing`). This module holds the part that
writes nothing: :class:`PageReads` reads each agency, billing profile and prepaid pool
once per page and hands out invoice numbers from an in-page counter; :func:`bill_account`
computes every due period of one account (catch-up included) with the pure domain
(``due_periods``, ``price_due``, ``bill_period``, ``start_payment``).

An account whose computation fails takes back the numbers and the prepaid credit it
took, so that it is reported and skipped without spoiling the page: the numbers stay
gapless and the other accounts' payments stay right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

import attrs

from resell_core.agency import Agency
from resell_core.billing.collection import charge_in_flight
from resell_core.billing.due import DuePeriod, due_periods
from resell_core.billing.gateway import ChargeRequest
from resell_core.billing.invoice_memo import InvoiceMemo
from resell_core.billing.invoices import Invoice
from resell_core.billing.ledger import CreditKind, Movement, account_wallet, profile_wallet
from resell_core.billing.payment import PaymentStart, start_payment
from resell_core.billing.profiles import BillingProfile
from resell_core.billing.run import bill_period, price_due
from resell_core.errors import ResellError
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.actions import ApplyPendingChange
from resell_core.lifecycle.events import AccountEvent
from resell_core.lifecycle.moves import apply
from resell_core.lifecycle.policy import LifecyclePolicy
from resell_core.money import Money
from resell_core.ports import TaxCalculator, UnitOfWork
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.price_book import MigrationDiscount
from resell_core.pricing.quote import CyclePrice
from resell_core.service.taxes import taxed

__all__ = ["AccountBill", "BilledStep", "PageReads", "bill_account"]

_ZERO = Decimal(0)


@attrs.frozen
class BilledStep:
    """One due period of an account, invoiced and its payment started.

    Attributes:
        events: The account's lifecycle events of this step (a scheduled change that took
            effect, then the period billed), in order.
        invoice: The invoice to add: paid by prepaid credit, or ``pending`` with its card
            charge in flight (``next_retry_on`` = the run's day).
        movements: The prepaid credit it spends.
        charge: The card charge to send once the page committed, or None.
    """

    events: tuple[AccountEvent, ...]
    invoice: Invoice
    movements: tuple[Movement, ...]
    charge: ChargeRequest | None

    @property
    def prepaid_used(self) -> Money:
        """The prepaid credit it spends: the invoice's earmarked and pooled parts."""
        return self.invoice.paid_earmarked + self.invoice.paid_pool


@attrs.frozen
class AccountBill:
    """What billing one account of a page came to.

    Attributes:
        account: The account to store (its periods billed), or None when unchanged.
        events: Lifecycle events not tied to a billed period (a scheduled change that took
            effect with no period left to bill).
        steps: The periods billed, oldest first.
        error: Why the account's next period could not be billed (the earlier periods,
            if any, are billed all the same), or None.
    """

    account: Account | None
    events: tuple[AccountEvent, ...] = ()
    steps: tuple[BilledStep, ...] = ()
    error: ResellError | None = None

    def numbered_up(self, shift: int) -> AccountBill:
        """Return the bill with its invoices numbered ``shift`` higher, as if billed from
        that much further on in its agency's counter (other pages took the numbers it was
        billed with): the invoices, the reasons of their movements and the descriptions
        of their charges (:meth:`PaymentStart.numbered`)."""
        steps = []
        for step in self.steps:
            start = PaymentStart(step.invoice, step.movements, step.charge)
            numbered = start.numbered(step.invoice.number + shift)
            steps.append(
                BilledStep(step.events, numbered.invoice, numbered.movements, numbered.charge)
            )
        return attrs.evolve(self, steps=tuple(steps))


K = TypeVar("K")
V = TypeVar("V")


def _read_once(kept: dict[K, V | ResellError], key: K, read: Callable[[K], V]) -> V:
    """Return ``read(key)`` as read at the page's first need of it; a read that failed
    fails again, unread (the account needing it is reported, the others go on)."""
    found = kept.get(key)
    if found is None:
        try:
            found = read(key)
        except ResellError as error:
            found = error
        kept[key] = found
    if isinstance(found, ResellError):
        raise found
    return found


class PageReads:
    """The reads of one page, each made once, and what the page's bills took from them.

    Agencies, billing profiles and prepaid pools are shared by many accounts of a page;
    they are read on first use and kept. Invoice numbers come from an in-page copy of
    each agency's counter: :meth:`agency_updates` gives the agencies to store once the
    page is billed. ``memo`` makes the lines of the page's invoices alike once, and adds
    them up once.
    """

    def __init__(
        self, uow: UnitOfWork, page: Sequence[Account] = (), agencies: Sequence[Agency] = ()
    ) -> None:
        self._uow = uow
        # The page's accounts by agency: their earmarked credit is read in one query per
        # agency at the first account's need, instead of one query an account.
        self._page: dict[str, list[str]] = {}
        # And the prepaid pools of their billing profiles, read in the same query.
        self._page_profiles: dict[str, set[str]] = {}
        for account in page:
            self._page.setdefault(account.agency_id, []).append(account.id)
            if account.billing_profile_id:
                self._page_profiles.setdefault(account.agency_id, set()).add(
                    account.billing_profile_id
                )
        self._earmarked: dict[tuple[str, str], Decimal] = {}
        # The page's agencies as read before its bills (get_many; the locked ones once
        # rebase takes them), the others on first use.
        self._agencies: dict[str, Agency | ResellError] = {a.id: a for a in agencies}
        self._profiles: dict[tuple[str, str], BillingProfile | ResellError] = {}
        # The pools left for the page's next invoice, and as first read.
        self._pools: dict[tuple[str, str], Decimal] = {}
        self._pools_read: dict[tuple[str, str], Decimal] = {}
        self._numbers: dict[str, int] = {}
        self._prices: dict[tuple[object, ...], CyclePrice] = {}
        # The page's invoices alike share their lines, made and added up once.
        self.memo = InvoiceMemo()

    def agency(self, agency_id: str) -> Agency:
        """Return the agency as read at its first use in the page.

        Raises:
            NotFound: No such agency.
        """
        return _read_once(self._agencies, agency_id, self._uow.agencies.get)

    def profile(self, agency_id: str, profile_id: str) -> BillingProfile:
        """Return the agency's billing profile as read at its first use in the page.

        Raises:
            NotFound: No such profile in this agency.
        """
        return _read_once(self._profiles, (agency_id, profile_id), self._read_profile)

    def _read_profile(self, key: tuple[str, str]) -> BillingProfile:
        return self._uow.profiles.get(*key)

    def pool(self, agency_id: str, profile_id: str) -> Decimal:
        """Return the profile's prepaid pool left for the page's next invoice."""
        key = (agency_id, profile_id)
        left = self._pools.get(key)
        if left is None:
            left = self._uow.ledger.balance(
                agency_id, profile_wallet(profile_id), CreditKind.PREPAID
            )
            self._pools[key] = self._pools_read[key] = left
        return left

    def earmarked(self, agency_id: str, account_id: str) -> Decimal:
        """Return the account's earmarked prepaid credit as read before the page's writes
        (each account is read once).

        The first account of an agency reads them all, with the pools of the page's
        billing profiles in that agency: one query an agency a page."""
        found = self._earmarked.pop((agency_id, account_id), None)
        if found is not None:
            return found
        ids = self._page.pop(agency_id, None)
        if ids is None or account_id not in ids:
            return self._uow.ledger.balance(
                agency_id, account_wallet(account_id), CreditKind.PREPAID
            )
        wallets = {account_wallet(i): i for i in ids}
        pools = {profile_wallet(p): p for p in sorted(self._page_profiles.pop(agency_id, ()))}
        read = self._uow.ledger.balances(agency_id, [*wallets, *pools], CreditKind.PREPAID)
        self._earmarked.update(((agency_id, i), read[w]) for w, i in wallets.items())
        for w, profile_id in pools.items():
            key = (agency_id, profile_id)
            if key not in self._pools:
                self._pools[key] = self._pools_read[key] = read[w]
        return self._earmarked.pop((agency_id, account_id))

    def price(
        self,
        catalog: Catalog,
        due: DuePeriod,
        agency: Agency,
        migration: MigrationDiscount | None = None,
    ) -> CyclePrice:
        """Price a due period for the agency, once per plan, rate and cycle in the page
        (pricing is a pure function of them), less the account's migration discount on
        the cycles it lasts (A10, T3).

        Raises:
            InvalidInput: The plan or the agency's rate is not valid.
        """
        key: tuple[object, ...] = (due.plan, agency.reseller_rate, due.index)
        if migration is not None and migration.applies_to(due.index):
            key = (*key, migration)
        else:
            migration = None
        found = self._prices.get(key)
        if found is None:
            found = price_due(catalog, due, reseller_rate=agency.reseller_rate, migration=migration)
            self._prices[key] = found
        return found

    def number(self, agency_id: str) -> int:
        """Return the agency's next invoice number in this page (not yet taken)."""
        found = self._numbers.get(agency_id)
        if found is None:
            found = self.agency(agency_id).next_invoice_number
        return found

    def took(self, agency_id: str, number: int, pool: tuple[str, Decimal] | None) -> None:
        """Record that a bill took ``number`` and spent ``pool`` (profile id, amount)."""
        self._numbers[agency_id] = number + 1
        if pool is not None and pool[1]:
            key = (agency_id, pool[0])
            self._pools[key] = self._pools[key] - pool[1]

    def rebase(self, locked: Sequence[Agency]) -> dict[str, int] | None:
        """Take the page's agencies as ``locked`` (read again once held) in place of the
        ones its bills were computed from; return by how much each agency's numbers moved
        meanwhile (other pages committed theirs), for the page's invoices of that agency
        to be numbered that much higher, or None when the bills do not stand.

        The prepaid pools of a moved agency that the page read are read again (and so
        read by the page's storage from then on). The bills stand when each agency is as
        read but for its counter, and each of those pools pays what the page took from it
        the same way: it did not move, or the page left some of it and it still holds
        what the page took (the split takes a pool's all only where it runs short). When
        they do not, the page is to be billed again from ``locked`` and the pools as read
        again (``PageReads(uow, page, locked)``).
        """
        moved = [
            (agency, read)
            for agency in locked
            if isinstance(read := self._agencies.get(agency.id), Agency)
            and read.version != agency.version
        ]
        stand = [self._pools_stand(agency.id) for agency, _ in moved]
        if not all(stand) or not all(_alike_but_counter(a, read) for a, read in moved):
            return None
        shifts: dict[str, int] = {}
        for agency, read in moved:
            before = read.next_invoice_number
            self._agencies[agency.id] = agency
            shift = agency.next_invoice_number - before
            if shift and agency.id in self._numbers:
                self._numbers[agency.id] += shift
                shifts[agency.id] = shift
        return shifts

    def _pools_stand(self, agency_id: str) -> bool:
        """Tell whether the agency's pools, read again, pay the page's bills as they did."""
        profiles = [p for a, p in self._pools_read if a == agency_id]
        if not profiles:
            return True
        wallets = [profile_wallet(p) for p in profiles]
        now = self._uow.ledger.balances(agency_id, wallets, CreditKind.PREPAID, again=True)
        for profile_id, wallet in zip(profiles, wallets, strict=True):
            read = self._pools_read[agency_id, profile_id]
            left = self._pools[agency_id, profile_id]
            fresh = now[wallet]
            if fresh != read and not (left > 0 and fresh >= read - left):
                return False
        return True

    def agency_updates(self) -> list[Agency]:
        """Return the agencies whose counter moved, by id, with their new counter."""
        updates: list[Agency] = []
        for agency_id in sorted(self._numbers):
            agency = self.agency(agency_id)
            updates.append(attrs.evolve(agency, next_invoice_number=self._numbers[agency_id]))
        return updates


_COUNTER_FIELDS = frozenset({"next_invoice_number", "version"})
_BILLED_FROM = tuple(f.name for f in attrs.fields(Agency) if f.name not in _COUNTER_FIELDS)
"""The fields of an agency that its bills may depend on (all but its counter's)."""


def _alike_but_counter(agency: Agency, other: Agency) -> bool:
    """Tell whether two reads of an agency differ at most in their counter and version
    (``Agency`` compares by id only)."""
    return all(getattr(agency, name) == getattr(other, name) for name in _BILLED_FROM)


def bill_account(
    account: Account,
    until: date,
    reads: PageReads,
    *,
    catalog: Catalog,
    policy: LifecyclePolicy,
    today: date,
    new_id: Callable[[str], str],
    taxes: TaxCalculator | None = None,
) -> AccountBill:
    """Bill every period of the account due until ``until``, oldest first, writing nothing.

    A scheduled change (a downgrade) takes effect at the term boundary it waited for.
    Each period takes the agency's next number from ``reads`` and spends the account's
    earmarked credit, then the profile's pool (C2, C3); a card charge is left in flight.

    Args:
        account: The account as claimed in the page.
        until: The last day to bill, inclusive.
        reads: The page's shared reads and counters.
        catalog: The price book.
        policy: The lifecycle policy (for the scheduled change).
        today: The run's day: the invoices' issue day.
        new_id: Where invoice ids come from.
        taxes: The tax calculator, or None: no tax step at all (TX1).

    Returns:
        The periods billed; when one fails, those before it and the error (nothing of
        the failed period is kept, and ``reads`` gets back what it took).
    """
    steps: list[BilledStep] = []
    stored: Account | None = None
    loose: tuple[AccountEvent, ...] = ()
    earmarked: Decimal | None = None
    # The periods still due once one is billed: billing moves only the account's cursor,
    # so they are the rest of the list (computing them again would find the same).
    left: list[DuePeriod] | None = None
    while True:
        current = account
        events: list[AccountEvent] = []
        try:
            due = due_periods(current, until) if left is None else left
            pending = current.pending_change
            if due and pending is not None and due[0].period.start >= pending.effective_on:
                moved = apply(current, ApplyPendingChange(), on=due[0].period.start, policy=policy)
                current = moved.account
                events.extend(moved.events)
                due = due_periods(current, until)
            if not due:
                if events:
                    stored, loose = current, tuple(events)
                return AccountBill(stored, loose, tuple(steps))
            period = due[0]
            agency_id = current.agency_id
            agency = reads.agency(agency_id)
            figures = reads.price(catalog, period, agency, current.migration)
            number = reads.number(agency_id)
            invoice_id = new_id("invoice")
            billed = bill_period(
                current,
                period,
                figures,
                invoice_id=invoice_id,
                number=number,
                issued_on=today,
                memo=reads.memo,
            )
            invoice = billed.invoice
            if taxes is not None:
                invoice = taxed(taxes, agency, current, invoice)
            profile_id = invoice.profile_id
            profile = reads.profile(agency_id, profile_id) if profile_id else None
            if earmarked is None:
                earmarked = reads.earmarked(agency_id, current.id)
            pool = reads.pool(agency_id, profile_id) if profile_id else _ZERO
            currency = invoice.currency
            start = start_payment(
                invoice,
                profile=profile,
                earmarked=Money(earmarked, currency) if earmarked else Money.zero(currency),
                pool=Money(pool, currency) if pool else Money.zero(currency),
                on=today,
                memo=reads.memo,
            )
        except ResellError as error:
            return AccountBill(stored, loose, tuple(steps), error)
        started = start.invoice
        paid_earmarked, paid_pool = started.paid_earmarked, started.paid_pool
        if start.charge is not None:
            started = charge_in_flight(started, on=today)
        earmarked -= paid_earmarked.amount
        reads.took(agency_id, number, (profile_id, paid_pool.amount) if profile_id else None)
        events.extend(billed.events)
        steps.append(BilledStep(tuple(events), started, start.movements, start.charge))
        account = stored = billed.account
        loose = ()
        left = due[1:]
        if not left:
            return AccountBill(stored, loose, tuple(steps))
