"""Billing use cases of the portal: the billing run, invoices, payment, dunning, reconciliation.

:func:`run_billing` claims the due accounts a page at a time and bills a whole page in
one unit of work: every account is computed first (``service.billing_pages``) and written
only when its computation succeeded, so one account's failure is reported and never
blocks the others. A card charge is an effect outside the storage, so every charge
follows the same three steps:

1. one unit of work stores the invoice (its unique ``period_key`` keeps an account period
   from being invoiced twice), spends the prepaid credit (C2, C3) and marks the charge
   *in flight*: the invoice is ``pending`` with ``next_retry_on`` set, and its key is
   ``charge_key(invoice, attempt)`` (for the run: the page's unit of work);
2. the gateway is called with that key, outside any unit of work;
3. a second unit of work records the answer (paid, pending, declined with its dunning
   step and notice, gateway down, unknown and reconciled by the key); for the run, one
   unit of work records every answer of the page.

A page whose commit is refused is run again when another worker took the same invoice
numbers first, and otherwise billed again account by account, each account a page of one
through the same steps (its own units of work, from fresh reads).

A crash between 2 and 3 leaves a pending invoice that the next run's retry pass finds: it
asks the gateway what became of the key (``lookup``) instead of charging again, and
charges under the same key only when the gateway never saw it. A re-run therefore never
charges twice and loses nothing.

Purchases of credits use the same steps (their invoice has a credits-purchase line); the
credits arrive once the invoice is paid, whenever that is.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, TypeVar

import attrs

from resell_core import views
from resell_core.agency import Agency
from resell_core.billing.collection import answer_awaited, as_first_start, charge_in_flight
from resell_core.billing.credits import credits_bought
from resell_core.billing.final_failure import final_failure, is_credits_purchase
from resell_core.billing.gateway import ChargeOutcome, ChargeRequest, ChargeResult
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus
from resell_core.billing.ledger import (
    CreditKind,
    Movement,
    account_wallet,
    profile_wallet,
)
from resell_core.billing.notices import NoticeKind, account_notice, invoice_declined
from resell_core.billing.payment import (
    PaymentDecision,
    PaymentStart,
    Settlement,
    apply_charge_result,
    confirm,
    reconcile_key,
    resume_charge,
    settlement_notices,
    start_payment,
)
from resell_core.billing.run import run_until
from resell_core.display import Listing, Record, Shown, View
from resell_core.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidTransition,
    PaymentError,
    ResellError,
    VersionConflict,
    quoted,
)
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.actions import DunningExhausted, EndTrial
from resell_core.money import Money
from resell_core.ports import AccessRecord, UnitOfWork
from resell_core.serialization import from_json, to_json
from resell_core.service.accounts import process_provisioning
from resell_core.service.billing_pages import AccountBill, PageReads, bill_account
from resell_core.service.context import PLATFORM, Command, Context, Work, read, run_command

__all__ = [
    "CREDITS_ORDER",
    "MAX_PAGE_SIZE",
    "BillingFailure",
    "BillingProgress",
    "BillingReport",
    "CreditsOrder",
    "Started",
    "charge_and_record",
    "confirm_payment",
    "invoice",
    "invoices",
    "pay_invoice",
    "payment_start",
    "run_billing",
    "start_invoice_payment",
]

CREDITS_ORDER = "credits_order"
"""Access-record kind of what a credits-purchase invoice delivers once paid (keyed by
invoice id)."""

_DAY = timedelta(days=1)
_ZERO = Decimal(0)

_log = logging.getLogger(__name__)

_CONFLICT_RETRIES = 50
"""How often a billing step is run again when another worker changed what it read."""

T = TypeVar("T")


def _retrying(step: Callable[[], T]) -> T:
    """Run a unit of work again, from its reads, while another worker's commit beat it.

    Several workers bill one database at once: they share each agency's invoice counter
    and may reconcile the same invoice, so a commit can find a row changed since it was
    read (VersionConflict). Nothing was written then; reading again and redoing the step
    is safe, and the unique keys still stop a second invoice of the same period.
    """
    for _ in range(_CONFLICT_RETRIES - 1):
        try:
            return step()
        except VersionConflict:
            continue
    return step()


# -- the report ----------------------------------------------------------------------------


@attrs.frozen
class BillingFailure:
    """Why one account (or invoice) could not be billed in a run; the others went on.

    Attributes:
        subject: The account id (or the invoice id, in the retry pass).
        code: The error's stable code.
        message: What was wrong and what to do.
    """

    subject: str
    code: str
    message: str


def _by_currency(amounts: dict[str, Money]) -> tuple[Money, ...]:
    return tuple(amounts[c] for c in sorted(amounts))


@attrs.frozen
class BillingProgress:
    """How far a billing run has gone, handed to its progress callback after each page.

    :func:`run_billing` calls its ``progress`` callback with one after each page of each
    pass, never after each account.

    Attributes:
        until: The last day the run bills.
        stage: The pass the page belongs to: ``"accounts"`` (due accounts billed),
            ``"retries"`` (invoices whose next attempt was due) or ``"trials"`` (trials
            ended).
        pages: Pages done in this stage so far.
        accounts_billed: Accounts billed so far in the run.
        invoices_created: Recurring invoices created so far.
        invoices_paid: Invoices paid so far.
        payments_declined: Card charges declined so far.
        errors: Accounts or invoices that could not be billed so far.
    """

    until: date
    stage: Literal["accounts", "retries", "trials"]
    pages: int
    accounts_billed: int
    invoices_created: int
    invoices_paid: int
    payments_declined: int
    errors: int


@attrs.frozen
class BillingReport(Shown):
    """What one billing run did.

    Attributes:
        until: The last day the run billed (inclusive).
        accounts_billed: Accounts that got at least one new recurring invoice.
        invoices_created: New recurring invoices (one per account period).
        invoices_paid: Invoices paid in this run (by prepaid credit, card or both).
        payments_declined: Card charges declined (each a dunning step, with a notice).
        invoices_failed: Invoices whose retry schedule ran out (their account expired).
        invoices_pending: Charges left in flight (pending, or unknown and not yet
            reconciled): the next run asks the gateway about them by their key.
        retries_later: Charges the gateway did not attempt (it was down): retried later,
            no dunning step.
        charged_to_cards: Money charged to cards in this run, one amount per currency.
        prepaid_used: Prepaid credit spent in this run, one amount per currency.
        accounts_expired: Accounts expired because their retries ran out.
        trials_ended: Trials that ended (the accounts are now expired, TR1, TR2).
        accounts_ready: Accounts the provisioner reported ready (or failed) in this run.
        errors: Per account (or invoice), why it could not be billed.
    """

    until: date
    accounts_billed: int = 0
    invoices_created: int = 0
    invoices_paid: int = 0
    payments_declined: int = 0
    invoices_failed: int = 0
    invoices_pending: int = 0
    retries_later: int = 0
    charged_to_cards: tuple[Money, ...] = ()
    prepaid_used: tuple[Money, ...] = ()
    accounts_expired: tuple[str, ...] = ()
    trials_ended: tuple[str, ...] = ()
    accounts_ready: tuple[str, ...] = ()
    errors: tuple[BillingFailure, ...] = ()

    def charged(self, currency: str) -> Money:
        """Return what was charged to cards in ``currency`` (zero when nothing)."""
        return Money.total((m for m in self.charged_to_cards if m.currency == currency), currency)

    def prepaid(self, currency: str) -> Money:
        """Return the prepaid credit spent in ``currency`` (zero when nothing)."""
        return Money.total((m for m in self.prepaid_used if m.currency == currency), currency)

    def __str__(self) -> str:
        def money(amounts: tuple[Money, ...]) -> str:
            return ", ".join(str(m) for m in amounts) or "nothing"

        lines = [
            f"Billing run until {self.until}",
            f"  invoices created  {self.invoices_created} ({self.accounts_billed} accounts)",
            f"  invoices paid     {self.invoices_paid}",
            f"  declined          {self.payments_declined}",
            f"  failed (expired)  {self.invoices_failed}",
            f"  pending           {self.invoices_pending}",
            f"  gateway down      {self.retries_later}",
            f"  charged to cards  {money(self.charged_to_cards)}",
            f"  prepaid used      {money(self.prepaid_used)}",
            f"  accounts expired  {len(self.accounts_expired)}",
            f"  trials ended      {len(self.trials_ended)}",
        ]
        if self.accounts_ready:
            lines.append(f"  accounts ready    {len(self.accounts_ready)}")
        lines.append(f"  errors            {len(self.errors)}")
        lines.extend(f"    {e.subject}: [{e.code}] {e.message}" for e in self.errors)
        return "\n".join(lines)

    # -- in a notebook (N1): the figures, the accounts not billed; one record per run ----
    def _view(self) -> View:
        return views.billing_report(self)

    def _record(self) -> Record:
        return views.billing_record(self)

    _repr_pretty_ = Shown._repr_pretty_


class _Tally:
    """The run's counters; filled only after each unit of work committed."""

    def __init__(self, until: date) -> None:
        self.until = until
        # Counts, not ids: the report stays the same size however many accounts are billed.
        self.billed = 0
        self.created = 0
        self.paid = 0
        self.declined = 0
        self.failed = 0
        self.pending = 0
        self.later = 0
        self.cards: dict[str, Money] = {}
        self.prepaid: dict[str, Money] = {}
        self.expired: list[str] = []
        self.trials: list[str] = []
        self.ready: list[str] = []
        self.errors: list[BillingFailure] = []

    @staticmethod
    def _add(bucket: dict[str, Money], amount: Money) -> None:
        if amount.is_positive():
            bucket[amount.currency] = bucket.get(amount.currency, Money.zero(amount.currency))
            bucket[amount.currency] += amount

    def started(self, started: Started) -> None:
        self._add(self.prepaid, started.prepaid_used)
        if started.charge is None and started.invoice.status is InvoiceStatus.PAID:
            self.paid += 1

    def settled(self, settled: Settled) -> None:
        decision = settled.decision
        self._add(self.cards, settled.card_charged)
        if decision is PaymentDecision.PAID:
            self.paid += 1
        elif decision in (PaymentDecision.PENDING, PaymentDecision.RECONCILE):
            self.pending += 1
        elif decision is PaymentDecision.RETRY:
            self.declined += 1
        elif decision is PaymentDecision.RETRY_LATER:
            self.later += 1
        elif decision is PaymentDecision.DUNNING_EXHAUSTED:
            self.declined += 1
            self.failed += 1
        if settled.expired_account is not None:
            self.expired.append(settled.expired_account)

    def guarded(self, subject: str, step: Callable[[], None]) -> None:
        try:
            step()
        except ResellError as error:
            self.errors.append(BillingFailure(subject, error.code, error.message))

    def page_done(
        self,
        stage: Literal["accounts", "retries", "trials"],
        pages: int,
        progress: Callable[[BillingProgress], None] | None,
    ) -> None:
        """Report the run's progress after a page: to ``progress`` and the DEBUG log,
        building nothing when neither listens."""
        if progress is None and not _log.isEnabledFor(logging.DEBUG):
            return
        done = BillingProgress(
            self.until,
            stage,
            pages,
            self.billed,
            self.created,
            self.paid,
            self.declined,
            len(self.errors),
        )
        _log.debug("billing run: %s", done)
        if progress is not None:
            progress(done)

    def report(self) -> BillingReport:
        return BillingReport(
            until=self.until,
            accounts_billed=self.billed,
            invoices_created=self.created,
            invoices_paid=self.paid,
            payments_declined=self.declined,
            invoices_failed=self.failed,
            invoices_pending=self.pending,
            retries_later=self.later,
            charged_to_cards=_by_currency(self.cards),
            prepaid_used=_by_currency(self.prepaid),
            accounts_expired=tuple(self.expired),
            trials_ended=tuple(self.trials),
            accounts_ready=tuple(self.ready),
            errors=tuple(self.errors),
        )


# -- credits orders (what a paid purchase delivers) ----------------------------------------


@attrs.frozen
class CreditsOrder:
    """What a credits-purchase invoice delivers once it is paid (C1)."""

    kind: CreditKind
    quantity: Decimal


def save_order(uow: UnitOfWork, invoice: Invoice, order: CreditsOrder) -> None:
    """Keep what the purchase invoice delivers, for whenever it is paid."""
    uow.tokens.put(
        AccessRecord(CREDITS_ORDER, invoice.id, invoice.agency_id, invoice.id, to_json(order))
    )


def _order(uow: UnitOfWork, invoice: Invoice) -> CreditsOrder | None:
    if not is_credits_purchase(invoice):
        return None  # only a credits purchase delivers anything: no read for the others
    record = uow.tokens.get(CREDITS_ORDER, invoice.id)
    if record is None or record.agency_id != invoice.agency_id:
        return None
    return from_json(record.data, CreditsOrder)


# -- paying one invoice: start, charge, record ---------------------------------------------


@attrs.frozen
class Started:
    """An invoice after its payment started: paid by prepaid credit, or a charge in flight.

    Attributes:
        invoice: The invoice as stored (``pending`` while its charge is in flight).
        charge: The card charge to send to the gateway, or None.
        prepaid_used: The prepaid credit this start spent.
    """

    invoice: Invoice
    charge: ChargeRequest | None
    prepaid_used: Money


@attrs.frozen
class Settled:
    """An invoice after a gateway answer was recorded."""

    invoice: Invoice
    decision: PaymentDecision
    card_charged: Money
    expired_account: str | None = None


def payment_start(uow: UnitOfWork, invoice: Invoice, *, on: date) -> PaymentStart:
    """Decide, reading only, how an open invoice's payment starts on ``on``: the prepaid
    credit it spends (the account's earmark, then the profile's pool, as the ledger holds
    them now) and the card charge of the rest (:func:`~resell_core.billing.start_payment`).

    What :func:`start_invoice_payment` records, and what a preview of an edit shows (P1).

    Raises:
        PaymentError: A card charge is needed and the invoice has no billing profile.
        NotFound: The invoice's billing profile is gone.
    """
    agency_id = invoice.agency_id
    profile = uow.profiles.get(agency_id, invoice.profile_id) if invoice.profile_id else None
    order = _order(uow, invoice)
    zero = Decimal(0)
    # Prepaid credit does not buy itself: a prepaid purchase is paid by card only.
    use_prepaid = order is None or order.kind is not CreditKind.PREPAID
    earmarked = pool = zero
    if use_prepaid and invoice.account_id is not None:
        earmarked = uow.ledger.balance(
            agency_id, account_wallet(invoice.account_id), CreditKind.PREPAID
        )
    if use_prepaid and invoice.profile_id is not None:
        pool = uow.ledger.balance(agency_id, profile_wallet(invoice.profile_id), CreditKind.PREPAID)
    currency = invoice.currency
    return start_payment(
        as_first_start(invoice),
        profile=profile,
        earmarked=Money(earmarked, currency),
        pool=Money(pool, currency),
        on=on,
    )


def start_invoice_payment(work: Work, invoice: Invoice, *, new: bool = False) -> Started:
    """Spend prepaid credit on an open invoice and mark its card charge in flight.

    Stores the invoice (adds it when ``new``). The charge, if any, must be sent to the
    gateway only after this unit of work committed (:func:`charge_and_record`).

    Raises:
        PaymentError: A card charge is needed and the invoice has no billing profile.
        NotFound: The invoice's billing profile is gone.
    """
    uow = work.uow
    agency_id = invoice.agency_id
    start = payment_start(uow, invoice, on=work.today)
    for movement in start.movements:
        uow.ledger.append(movement)
    started = start.invoice
    prepaid = (started.paid_earmarked + started.paid_pool) - (
        invoice.paid_earmarked + invoice.paid_pool
    )
    if start.charge is not None:
        started = charge_in_flight(started, on=work.today)
        work.audit(
            "charge_started", started.id, after=start.charge.idempotency_key, agency_id=agency_id
        )
    elif started.status is InvoiceStatus.PAID:
        _deliver(work, started)
        work.audit("invoice_paid", started.id, after=str(started.total), agency_id=agency_id)
    if new:
        uow.invoices.add(started)
        stored = started
    else:
        stored = uow.invoices.update(started)
    return Started(stored, start.charge, prepaid)


def _deliver(work: Work, invoice: Invoice) -> None:
    order = _order(work.uow, invoice)
    if order is None:
        return
    work.uow.ledger.append(credits_bought(invoice, order.kind, order.quantity, work.today))
    work.audit(
        "credits_delivered",
        invoice.id,
        after=f"{order.quantity} {order.kind.value}",
        agency_id=invoice.agency_id,
    )


def _expire(work: Work, agency_id: str, account_id: str) -> str | None:
    account = work.uow.accounts.get(agency_id, account_id)
    try:
        expired = work.apply(account, DunningExhausted())
    except InvalidTransition:
        return None  # cancelled or expired meanwhile: nothing left to expire
    work.uow.accounts.update(expired)
    return expired.id


def _notify_settlement(work: Work, settlement: Settlement) -> None:
    if not settlement.notify_agency:
        return  # nothing to tell: no reads of the agency and the account either
    invoice = settlement.invoice
    agency = work.uow.agencies.get(invoice.agency_id)
    if invoice.account_id is not None:
        account = work.uow.accounts.get(invoice.agency_id, invoice.account_id)
        for notice in settlement_notices(settlement, account, agency_email=agency.email):
            work.notify(notice)
        return
    work.notify(invoice_declined(invoice, agency_email=agency.email))


def _settle(work: Work, invoice: Invoice, result: ChargeResult) -> Settled:
    """Record a gateway answer to the invoice's charge in flight (in ``work``)."""
    ctx = work.ctx
    policy = ctx.policies.dunning
    settlement = apply_charge_result(invoice, result, today=work.today, policy=policy)
    if settlement.decision is PaymentDecision.RECONCILE:
        # unknown: the charge may have been made; ask the gateway by the same key.
        looked = ctx.gateway.lookup(settlement.key)
        if looked is not None and looked.outcome is not ChargeOutcome.UNKNOWN:
            settlement = apply_charge_result(
                settlement.invoice, looked, today=work.today, policy=policy
            )
    settled = settlement.invoice
    decision = settlement.decision
    for movement in settlement.movements:
        work.uow.ledger.append(movement)
    expired: str | None = None
    if decision in (PaymentDecision.PENDING, PaymentDecision.RECONCILE):
        settled = answer_awaited(settled, on=work.today)
    elif decision is PaymentDecision.PAID:
        _deliver(work, settled)
    elif decision is PaymentDecision.DUNNING_EXHAUSTED:
        failure = final_failure(settled, on=work.today)
        for movement in failure.movements:
            work.uow.ledger.append(movement)
        settled = failure.invoice
        if failure.expires is not None:
            expired = _expire(work, settled.agency_id, failure.expires)
    _notify_settlement(work, settlement)
    stored = work.uow.invoices.update(settled)
    work.audit(
        f"payment_{decision.value}",
        stored.id,
        before=invoice.status.value,
        after=f"{stored.status.value} {settlement.key}",
        agency_id=stored.agency_id,
    )
    return Settled(stored, decision, stored.paid_card - invoice.paid_card, expired)


def charge_and_record(ctx: Context, started: Started) -> Settled | None:
    """Send a started invoice's charge to the gateway, then record the answer.

    The answer is recorded in its own unit of work; when the invoice moved on meanwhile
    (another worker recorded it), nothing more is done.

    Returns:
        The settlement, or None when there was nothing to charge or nothing to record.

    Raises:
        IdempotencyConflict: The gateway knows the key for another request.
    """
    charge = started.charge
    if charge is None:
        return None
    return _record(ctx, started.invoice, ctx.gateway.charge(charge))


def _still_awaited(work: Work, invoice: Invoice) -> Invoice | None:
    """Return the invoice as stored if it still awaits this charge's answer, else None
    (another worker's retry pass recorded it meanwhile)."""
    current = work.uow.invoices.get(invoice.agency_id, invoice.id)
    if current.status is not InvoiceStatus.PENDING or current.attempts != invoice.attempts:
        return None
    return current


def _record(ctx: Context, invoice: Invoice, result: ChargeResult) -> Settled | None:
    """Record the gateway's answer to the charge in flight of ``invoice``, in its own unit
    of work; None when the invoice moved on meanwhile."""

    def body(work: Work) -> Settled | None:
        current = _still_awaited(work, invoice)
        return None if current is None else _settle(work, current, result)

    command = Command("record_charge_result", invoice.agency_id, {"invoice_id": invoice.id})
    return _retrying(lambda: run_command(ctx, command, body, None))


def _collect(
    ctx: Context, agency_id: str, invoice_id: str
) -> tuple[Started | None, Settled | None]:
    """Move an invoice on: reconcile a charge in flight by its key, or start a new attempt."""

    def body(work: Work) -> tuple[Started | None, Settled | None]:
        uow = work.uow
        current = uow.invoices.get(agency_id, invoice_id)
        if current.status is InvoiceStatus.PENDING:
            looked = ctx.gateway.lookup(reconcile_key(current))
            if looked is not None:
                return None, _settle(work, current, looked)
            # The gateway does not show the key: the call never reached it (a crash), or
            # another worker's call is not answered yet. The same charge goes again under
            # the same key, which the gateway dedupes; nothing is re-split (M2).
            profile = (
                uow.profiles.get(agency_id, current.profile_id) if current.profile_id else None
            )
            return Started(
                current, resume_charge(current, profile), Money.zero(current.currency)
            ), None
        if current.status is not InvoiceStatus.OPEN:
            return None, None
        return start_invoice_payment(work, current), None

    command = Command("collect_invoice", agency_id, {"invoice_id": invoice_id})
    return _retrying(lambda: run_command(ctx, command, body, None))


def _drive(ctx: Context, agency_id: str, invoice_id: str, tally: _Tally) -> None:
    started, settled = _collect(ctx, agency_id, invoice_id)
    if started is not None:
        tally.started(started)
        settled = charge_and_record(ctx, started)
    if settled is not None:
        tally.settled(settled)


# -- the run: due accounts a page at a time -------------------------------------------------


def _contended(error: ResellError) -> bool:
    """Tell whether a page's commit lost a race worth running the page again for: another
    worker took the same invoice numbers (the agency's counter) first."""
    if isinstance(error, VersionConflict):
        return True
    return isinstance(error, AlreadyExists) and error.kind == "invoice number"


@attrs.frozen
class _Page:
    """Which due accounts a page claims: up to ``limit`` after ``after`` (by id), none
    past ``upto`` when given (a page of one of a page refused as a whole)."""

    after: str | None
    limit: int
    upto: str | None = None


class _PageBilled:
    """What a page's bills add to the run's report, kept from the bills as they are written.

    The bills themselves are let go once written: a page keeps alive only these figures
    and the charges to send, not every account's bill until its commit (fewer objects
    outlive the page's collections). The figures reach the report only once the page
    committed.
    """

    __slots__ = ("_totals", "accounts", "charges", "errors", "invoices", "paid", "prepaid")

    def __init__(self) -> None:
        self.accounts = 0
        self.invoices = 0
        self.paid = 0
        # Added up as Decimals by currency, made money once for the report.
        self.prepaid: dict[str, Decimal] = {}
        self.charges: list[tuple[str, Started]] = []
        self.errors: list[BillingFailure] = []
        self._totals: dict[tuple[int, str], tuple[tuple[InvoiceLine, ...], str]] = {}

    def spent(self, invoice: Invoice) -> None:
        """Count the prepaid credit (earmarked and pooled) a bill of the page spent."""
        amount = invoice.paid_earmarked.amount + invoice.paid_pool.amount
        if amount > 0:
            prepaid = self.prepaid
            prepaid[invoice.currency] = prepaid.get(invoice.currency, _ZERO) + amount

    def total_text(self, invoice: Invoice) -> str:
        """Return the invoice's total as the audit entries write it.

        The page's invoices alike share one tuple of lines (``PageReads.lines``), so the
        text is made once per tuple and currency: formatting money adds up the lines and
        rounds each time. By the tuple's identity, kept with the text so that its id is
        never reused while the page lives.
        """
        lines = invoice.lines
        key = (id(lines), invoice.currency)
        found = self._totals.get(key)
        if found is None or found[0] is not lines:
            found = (lines, str(invoice.total))
            self._totals[key] = found
        return found[1]

    def counted(self, tally: _Tally) -> None:
        """Add the page's figures to the run's (once the page committed)."""
        tally.billed += self.accounts
        tally.created += self.invoices
        tally.paid += self.paid
        for currency, amount in self.prepaid.items():
            _Tally._add(tally.prepaid, Money(amount, currency))
        tally.errors.extend(self.errors)


def _write_bill(
    work: Work,
    account_id: str,
    bill: AccountBill,
    *,
    movements: list[Movement],
    invoices: list[Invoice],
    billed: _PageBilled,
) -> None:
    """Store what one account of the page came to: its audit entries and the account now;
    its prepaid spent and invoices go to ``movements`` and ``invoices``, stored for the
    whole page at once (one read of their keys a page instead of one an account); what
    the report counts of it goes to ``billed``."""
    account = bill.account
    if account is not None:
        agency_id = account.agency_id
        audit = work.audit
        steps = bill.steps
        if steps:
            billed.accounts += 1
        for step in steps:
            invoice = step.invoice
            total = billed.total_text(invoice)
            work.account_events(agency_id, step.events)
            audit(
                "invoice_issued", invoice.id, after=f"{invoice.number} {total}", agency_id=agency_id
            )
            movements.extend(step.movements)
            charge = step.charge
            if charge is not None:
                audit(
                    "charge_started", invoice.id, after=charge.idempotency_key, agency_id=agency_id
                )
                billed.charges.append((account_id, Started(invoice, charge, step.prepaid_used)))
            elif invoice.status is InvoiceStatus.PAID:
                audit("invoice_paid", invoice.id, after=total, agency_id=agency_id)
                billed.paid += 1
            billed.spent(invoice)
            billed.invoices += 1
            invoices.append(invoice)
        if bill.events:
            work.account_events(agency_id, bill.events)
        work.uow.accounts.store(account)
    error = bill.error
    if error is not None:
        billed.errors.append(BillingFailure(account_id, error.code, error.message))


def _store_page(
    ctx: Context, before: date, until: date, page: _Page, claimed: list[str]
) -> _PageBilled | None:
    """In one unit of work: claim the next page of due accounts, bill every due period of
    each, then hold the page's agencies, number the invoices on from their counters as
    held, and store it all with the charges in flight. ``claimed`` receives the page's
    last account id (nothing when none was due).

    The bills are computed before the agencies are held, from the agencies as read then,
    so that the workers of one agency overlap their pricing and splitting and take turns
    only on the numbering and the storing (docs/scaling.md, "Invoice numbers"). When an
    agency changed meanwhile otherwise than by its counter, or a prepaid pool the bills
    spend moved so that they would spend it otherwise, the page is billed again once it
    holds its agencies, from them and the pools as read then.

    Returns:
        What the page's bills come to, for the report; None when no account of the page
        is due.
    """

    def body(work: Work) -> _PageBilled | None:
        uow = work.uow
        due = uow.accounts.due(before, after_id=page.after, limit=page.limit, claim=True)
        if page.upto is not None:
            due = [a for a in due if a.id <= page.upto]
        claimed[:] = [due[-1].id] if due else []
        if not due:
            return None
        agency_ids = sorted({account.agency_id for account in due})
        reads = PageReads(uow, due, uow.agencies.get_many(agency_ids))
        policy = ctx.policies.lifecycle
        catalog = ctx.catalog
        today = work.today
        new_id = work.new_id
        taxes = ctx.taxes

        def bills_of(reads: PageReads) -> list[AccountBill]:
            return [
                bill_account(
                    account,
                    until,
                    reads,
                    catalog=catalog,
                    policy=policy,
                    today=today,
                    new_id=new_id,
                    taxes=taxes,
                )
                for account in due
            ]

        bills = bills_of(reads)
        locked = _hold_agencies(uow, agency_ids)
        shifts = reads.rebase(locked)
        if shifts is None:
            # An agency or a pool the bills were computed from changed meanwhile otherwise
            # than they can follow: the page is billed again, under the lock.
            reads = PageReads(uow, due, locked)
            bills = bills_of(reads)
        billed = _PageBilled()
        movements: list[Movement] = []
        invoices: list[Invoice] = []
        for account, bill in zip(due, bills, strict=True):
            shift = shifts.get(account.agency_id) if shifts else None
            _write_bill(
                work,
                account.id,
                bill if shift is None else bill.numbered_up(shift),
                movements=movements,
                invoices=invoices,
                billed=billed,
            )
        # By id, so that workers sharing agencies take their rows in the same order.
        for agency in reads.agency_updates():
            uow.agencies.update(agency)
        uow.ledger.append_many(movements)
        uow.invoices.add_many(invoices)
        return billed

    command = Command("bill_page", PLATFORM, {"until": before, "after": page.after})
    return run_command(ctx, command, body, None)


def _hold_agencies(uow: UnitOfWork, agency_ids: list[str]) -> list[Agency]:
    """Lock the page's agencies once its bills are computed, before its invoices are
    numbered and stored (docs/scaling.md, "Invoice numbers").

    Held until the page commits or rolls back: the pages of one agency take their numbers
    and store their invoices one after another, each numbering on from what the one
    before it committed, instead of all taking the same numbers and all but one being
    refused at commit. Their claims, their bills, card charges and answers still run side
    by side. On PostgreSQL a row lock in id order; elsewhere a fresh read, the version
    checked at commit being the guard (a page that loses is run again).

    Returns:
        The agencies as read with their lock.
    """
    return uow.agencies.lock(agency_ids)


def _bill_page(ctx: Context, before: date, until: date, page: _Page, tally: _Tally) -> str | None:
    """Bill the next page of due accounts, charge their cards, record the answers.

    The page is stored in one unit of work; when its commit loses a race for an agency's
    invoice numbers it is run again from its reads. When it is refused otherwise (another
    worker without claims stored a period first, credit spent meanwhile) its accounts are
    billed again one by one, each a page of one from fresh reads; a page of one refused
    is reported for its account.

    Returns:
        The page's last account id, or None when nothing more is due.
    """
    claimed: list[str] = []
    billed: _PageBilled | None = None
    for attempt in range(_PAGE_RETRIES):
        try:
            billed = _store_page(ctx, before, until, page, claimed)
        except ResellError as error:
            if not claimed:
                raise
            if _contended(error) and attempt < _PAGE_RETRIES - 1:
                continue
            last = claimed[0]
            if page.upto is None:
                _bill_one_by_one(ctx, before, until, after=page.after, upto=last, tally=tally)
            elif not _billed_elsewhere(error):
                tally.errors.append(BillingFailure(last, error.code, error.message))
            return last
        break
    if billed is None:
        return None
    billed.counted(tally)
    _charge_page(ctx, billed.charges, tally)
    return claimed[0]


def _billed_elsewhere(error: ResellError) -> bool:
    """Tell whether a page of one was refused because another worker stored the account's
    period first (it is billed already)."""
    return isinstance(error, AlreadyExists) and error.kind == "recurring invoice"


def _bill_one_by_one(
    ctx: Context, before: date, until: date, *, after: str | None, upto: str, tally: _Tally
) -> None:
    """Bill the due accounts after ``after`` up to ``upto`` as pages of one account, each
    claimed while it is stored: the way through a page whose commit was refused as a
    whole, with the page's own steps."""
    while (last := _bill_page(ctx, before, until, _Page(after, 1, upto), tally)) is not None:
        after = last


_PAGE_RETRIES = 10
"""How often a page is run again when another worker took the same invoice numbers first
(then its accounts are billed one by one)."""

_Answer = tuple[str, Invoice, ChargeResult]


def _charge_page(ctx: Context, charges: list[tuple[str, Started]], tally: _Tally) -> None:
    """Send the page's card charges (outside any unit of work), then record every answer
    in one unit of work; an answer that cannot be recorded with the others is recorded on
    its own."""
    answered: list[_Answer] = []
    for account_id, started in charges:
        charge = started.charge
        assert charge is not None
        try:
            answered.append((account_id, started.invoice, ctx.gateway.charge(charge)))
        except ResellError as error:
            # Left in flight: the retry pass reconciles it by its key.
            tally.errors.append(BillingFailure(account_id, error.code, error.message))
    if answered:
        _record_page(ctx, answered, tally)


def _record_page(ctx: Context, answered: list[_Answer], tally: _Tally) -> None:
    """Record the gateway's answers of a page in one unit of work, or each on its own when
    they cannot be recorded together."""
    tries = itertools.count()

    def body(work: Work) -> list[Settled]:
        # The first try settles the invoices as the page stored them (their version
        # guards against another worker's record); a try after a conflict reads them again.
        first = next(tries) == 0
        settled: list[Settled] = []
        for _, invoice, result in answered:
            current = invoice if first else _still_awaited(work, invoice)
            if current is not None:
                settled.append(_settle(work, current, result))
        return settled

    command = Command("record_charge_results", PLATFORM, {"count": len(answered)})
    try:
        recorded = _retrying(lambda: run_command(ctx, command, body, None))
    except ResellError:
        for account_id, invoice, result in answered:

            def one(invoice: Invoice = invoice, result: ChargeResult = result) -> None:
                settled = _record(ctx, invoice, result)
                if settled is not None:
                    tally.settled(settled)

            tally.guarded(account_id, one)
        return
    for settled in recorded:
        tally.settled(settled)


def _bill_due(
    ctx: Context,
    before: date,
    until: date,
    tally: _Tally,
    page_size: int,
    *,
    progress: Callable[[BillingProgress], None] | None,
) -> None:
    """Bill every due account, a page at a time, each page claimed by this worker alone
    while it is stored (docs/scaling.md).

    Workers walk the due accounts by id; accounts another worker holds are skipped (that
    worker bills them), and one that stays due because its billing failed is passed over.
    """
    after: str | None = None
    pages = itertools.count(1)
    while (last := _bill_page(ctx, before, until, _Page(after, page_size), tally)) is not None:
        after = last
        tally.page_done("accounts", next(pages), progress)


def _retry_page(ctx: Context, before: date, after: str | None, limit: int) -> list[Invoice]:
    return read(ctx, lambda uow: uow.invoices.open_for_retry(before, after_id=after, limit=limit))


def _trial_page(ctx: Context, before: date, after: str | None, limit: int) -> list[Account]:
    return read(ctx, lambda uow: uow.accounts.trials_ending(before, after_id=after, limit=limit))


def _end_trial(ctx: Context, agency_id: str, account_id: str, until: date) -> bool:
    def body(work: Work) -> bool:
        account = work.uow.accounts.get(agency_id, account_id)
        ends = account.trial_ends_on
        if account.status is not AccountStatus.ACTIVE or ends is None or ends > until:
            return False
        ended = work.uow.accounts.update(work.apply(account, EndTrial()))
        agency = work.uow.agencies.get(agency_id)
        for notice in account_notice(
            NoticeKind.ACCOUNT_EXPIRED,
            ended,
            agency_email=agency.email,
            subject=f"{ended.name}: the trial has ended",
            body=f"The trial of {ended.name} ended on {ends}; the account is expired. "
            "Upgrade it to a paid plan to keep it.",
        ):
            work.notify(notice)
        return True

    return run_command(ctx, Command("end_trial", agency_id, {"account_id": account_id}), body, None)


MAX_PAGE_SIZE = 10_000
"""The most due accounts a billing run claims in one unit of work (E1)."""


def run_billing(
    ctx: Context,
    until: date | None = None,
    *,
    page_size: int = 100,
    progress: Callable[[BillingProgress], None] | None = None,
) -> BillingReport:
    """Bill every account due until ``until``, retry what is due, and end finished trials.

    In order: the provisioner's reports (a ready paid account starts its term and is due
    at once); every due account period, oldest first (catch-up after missed runs), a page
    of due accounts at a time, claimed while the page is stored in one unit of work, so
    that several workers can run this at once on one database (docs/scaling.md); the retry
    pass over invoices whose next attempt is due (declined charges, gateway-down charges,
    charges in flight to reconcile, invoices opened elsewhere such as an upgrade's
    proration); then trials that ended (TR1, TR2).

    Args:
        ctx: The wiring.
        until: The last day to bill, inclusive (today in the billing time zone when None);
            no later than today, or the policies' ``billing_run`` horizon (M1).
        page_size: How many due accounts are claimed and billed in one unit of work (and
            how many invoices or trials are read at a time).
        progress: Called with the run's :class:`BillingProgress` after each page of
            each pass (never per account), e.g. to show a progress bar; an error it raises
            stops the run (what committed stays committed).

    Returns:
        What the run did, with an entry per account that could not be billed.

    Raises:
        InvalidInput: A page size below 1 or above 10,000, an ``until`` that is not a
            date or is later than the policy allows, or a ``progress`` that cannot be
            called; nothing is read or written.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput.one(
            "billing run", "page_size", f"read 1 to {MAX_PAGE_SIZE} accounts a page"
        )
    if progress is not None and not callable(progress):
        raise InvalidInput.one(
            "billing run", "progress", "give a function taking a BillingProgress, or None"
        )
    last = run_until(until, today=ctx.today(), policy=ctx.policies.billing_run)
    _log.info("billing run until %s started (pages of %d)", last, page_size)
    before = last + _DAY
    tally = _Tally(last)
    tally.ready.extend(a.id for a in process_provisioning(ctx))

    _bill_due(ctx, before, last, tally, page_size, progress=progress)

    after: str | None = None
    pages = itertools.count(1)
    while invoices := _retry_page(ctx, before, after, page_size):
        for found in invoices:

            def retry(found: Invoice = found) -> None:
                _drive(ctx, found.agency_id, found.id, tally)

            tally.guarded(found.id, retry)
        after = invoices[-1].id
        tally.page_done("retries", next(pages), progress)

    after = None
    pages = itertools.count(1)
    while trials := _trial_page(ctx, before, after, page_size):
        for trial in trials:

            def end(trial: Account = trial) -> None:
                if _end_trial(ctx, trial.agency_id, trial.id, last):
                    tally.trials.append(trial.id)

            tally.guarded(trial.id, end)
        after = trials[-1].id
        tally.page_done("trials", next(pages), progress)
    report = tally.report()
    for failure in report.errors:
        _log.warning("billing %s failed: [%s] %s", failure.subject, failure.code, failure.message)
    _log.info(
        "billing run until %s done: %d accounts billed, %d invoices created, %d paid, "
        "%d declined, %d errors",
        last,
        report.accounts_billed,
        report.invoices_created,
        report.invoices_paid,
        report.payments_declined,
        len(report.errors),
    )
    return report


# -- invoices (B7) and payments on demand --------------------------------------------------


def invoices(
    ctx: Context,
    agency_id: str,
    account_id: str | None = None,
    status: InvoiceStatus | str | None = None,
) -> Listing[Invoice]:
    """Return the agency's invoices by number, of one account and in one status when given
    (B7: the agency's invoices, and each account's billing history).

    Raises:
        NotFound: No such agency, or the account is not the agency's.
        InvalidInput: An unknown status.
    """
    wanted = _status(status)

    def query(uow: UnitOfWork) -> list[Invoice]:
        uow.agencies.get(agency_id)
        if account_id is not None:
            uow.accounts.get(agency_id, account_id)
        found = uow.invoices.list(agency_id, account_id)
        return [i for i in found if wanted is None or i.status is wanted]

    return Listing(read(ctx, query), "Invoices")


def _status(status: InvoiceStatus | str | None) -> InvoiceStatus | None:
    if status is None or isinstance(status, InvoiceStatus):
        return status
    try:
        return InvoiceStatus(status)
    except ValueError as error:
        raise InvalidInput.one(
            "invoice filter", "status", f"{quoted(status)} is unknown", tuple(InvoiceStatus)
        ) from error


def invoice(ctx: Context, agency_id: str, invoice_id: str) -> Invoice:
    """Return one of the agency's invoices.

    Raises:
        NotFound: No such invoice in this agency.
    """
    return read(ctx, lambda uow: uow.invoices.get(agency_id, invoice_id))


def pay_invoice(ctx: Context, agency_id: str, invoice_id: str) -> Invoice:
    """Pay an open invoice now (an upgrade's proration invoice), prepaid first then card;
    or reconcile its charge in flight. A paid invoice is returned as it is.

    Returns:
        The invoice after the attempt (declined ones follow the retry schedule).

    Raises:
        NotFound: No such invoice in this agency.
        PaymentError: It needs a card and has no billing profile.
    """
    tally = _Tally(ctx.today())
    _drive(ctx, agency_id, invoice_id, tally)
    return invoice(ctx, agency_id, invoice_id)


def confirm_payment(ctx: Context, agency_id: str, invoice_id: str) -> Invoice:
    """Apply the gateway's late answer to a pending charge (3-D Secure passed or failed).

    The gateway is asked by the charge's key; nothing is charged.

    Raises:
        NotFound: No such invoice in this agency.
        InvalidInput: The invoice awaits no confirmation.
        PaymentError: The gateway does not know the charge (yet).
    """

    def body(work: Work) -> Invoice:
        current = work.uow.invoices.get(agency_id, invoice_id)
        key = reconcile_key(current)
        looked = ctx.gateway.lookup(key)
        if looked is None:
            raise PaymentError(
                f"the gateway knows no charge under {quoted(key)} yet: run billing to reconcile it"
            )
        confirm(current, looked, today=work.today, policy=ctx.policies.dunning)
        return _settle(work, current, looked).invoice

    command = Command("confirm_payment", agency_id, {"invoice_id": invoice_id})
    return run_command(ctx, command, body, Invoice)
