"""Paying an invoice: prepaid credit first, then the card; what each gateway answer means.

Order (docs/rules.md#paying): the account's earmarked prepaid credit, then the
billing profile's prepaid pool, then the card for the rest (C2, C3). Every card charge
carries a key derived from the invoice and the attempt number (:func:`charge_key`), so a
charge repeated after a crash is deduplicated by the gateway. Gateway answers
(:func:`apply_charge_result`): ``succeeded`` pays the invoice; ``pending`` waits for a
confirmation (:func:`confirm`); ``declined`` enters the retry schedule and notifies the
agency, and after the last failure the account must expire; ``not_attempted`` retries
later without a dunning step; ``unknown`` is reconciled with the gateway by the same key
(:func:`reconcile_key`) and never charged anew. An invoice whose charge is in flight
(pending or unknown) cannot be charged again (:class:`PaymentInFlight`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, timedelta

import attrs

from resell_core.billing.gateway import ChargeOutcome, ChargeRequest, ChargeResult
from resell_core.billing.invoice_memo import InvoiceMemo
from resell_core.billing.invoices import Invoice, InvoiceStatus, carried_line, with_payment_state
from resell_core.billing.ledger import (
    OUTSIDE,
    SPENT,
    CreditKind,
    Movement,
    account_wallet,
    agency_wallet,
    profile_wallet,
)
from resell_core.billing.notices import Notice, NoticeKind, account_notice
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import CurrencyMismatch, InvalidInput, PaymentError, PaymentInFlight
from resell_core.lifecycle.account import Account
from resell_core.money import Money

__all__ = [
    "DunningPolicy",
    "PaymentDecision",
    "PaymentPlan",
    "PaymentStart",
    "Settlement",
    "apply_charge_result",
    "charge_key",
    "confirm",
    "plan_payment",
    "reconcile_key",
    "resume_charge",
    "retries_due",
    "settlement_notices",
    "start_payment",
]


@attrs.frozen
class PaymentPlan:
    """How an amount is paid: earmarked prepaid credit, the pool, then the card."""

    earmarked: Money
    pool: Money
    card: Money


def plan_payment(total: Money, earmarked: Money, pool: Money) -> PaymentPlan:
    """Split ``total`` over the account's earmarked credit, the profile's pool and the card.

    Args:
        total: What is to be paid (zero or more).
        earmarked: The account's earmarked prepaid credit available (C3).
        pool: The billing profile's prepaid pool available (C2).

    Returns:
        The parts, in that order of use; they add up to ``total``.

    Raises:
        CurrencyMismatch: When a balance is of another currency than ``total``.

    Example:
        >>> plan_payment(Money("50", "USD"), Money("20", "USD"), Money("10", "USD")).card
        Money('20', 'USD')
    """
    (from_earmark, from_pool), card = total.take_from((earmarked, pool))
    return PaymentPlan(from_earmark, from_pool, card)


def charge_key(invoice_id: str, attempt: int) -> str:
    """Return the idempotency key of a card charge: one per invoice and attempt.

    Example:
        >>> charge_key("inv-7", 2)
        'charge:inv-7:2'
    """
    return f"charge:{invoice_id}:{attempt}"


def _current_key(invoice: Invoice) -> str:
    return charge_key(invoice.id, invoice.attempts + 1)


@attrs.frozen
class DunningPolicy:
    """The retry schedule of declined charges (docs/rules.md#dunning).

    Attributes:
        retry_after_days: Days from one declined attempt to the next retry; after the
            last retry fails the account must expire. Default: after 1, 3 and 7 days,
            so four attempts in all.
        gateway_down_retry_days: Days before retrying a charge the gateway did not
            attempt (``not_attempted``); this is no dunning step.
    """

    retry_after_days: tuple[int, ...] = (1, 3, 7)
    gateway_down_retry_days: int = 1

    @property
    def max_attempts(self) -> int:
        """How many declined attempts exhaust the schedule."""
        return len(self.retry_after_days) + 1


class PaymentDecision(enum.StrEnum):
    """What the host does next about an invoice after a gateway answer."""

    PAID = "paid"
    PENDING = "pending"
    RETRY = "retry"
    RETRY_LATER = "retry_later"
    RECONCILE = "reconcile"
    DUNNING_EXHAUSTED = "dunning_exhausted"


@attrs.frozen
class Settlement:
    """The invoice after a gateway answer, and the decision that follows.

    Attributes:
        invoice: The invoice in its new state.
        decision: What to do next.
        key: The charge's idempotency key (the one to reconcile by, for ``reconcile``).
        retry_on: The day of the next attempt, for ``retry`` and ``retry_later``.
        notify_agency: Whether the agency must be told (every failure, and exhaustion).
        movements: Prepaid credit to record with the settlement: the excess of a card
            charge above what was due, given back (M2).
    """

    invoice: Invoice
    decision: PaymentDecision
    key: str
    retry_on: date | None = None
    notify_agency: bool = False
    movements: tuple[Movement, ...] = ()

    @property
    def expire_account(self) -> bool:
        """Whether the account must now expire (the retry schedule is exhausted)."""
        return self.decision is PaymentDecision.DUNNING_EXHAUSTED


@attrs.frozen
class PaymentStart:
    """The first step of paying an invoice: prepaid movements and the card charge, if any."""

    invoice: Invoice
    movements: tuple[Movement, ...]
    charge: ChargeRequest | None

    def numbered(self, number: int) -> PaymentStart:
        """Return this start for its invoice numbered ``number`` instead: the invoice, the
        reasons of its prepaid movements and the description of its card charge carry the
        new number, all else stays as it is.

        Equal to starting the payment of the invoice so numbered: what a billing page that
        priced and split its invoices before it held its agency's counter takes once it
        holds it (docs/scaling.md, "Invoice numbers").
        """
        invoice = attrs.evolve(self.invoice, number=number)
        reason = _movement_reason(invoice)
        movements = tuple(attrs.evolve(m, reason=reason) for m in self.movements)
        charge = self.charge
        if charge is not None:
            charge = attrs.evolve(charge, description=_charge_description(invoice))
        return PaymentStart(invoice, movements, charge)


def start_payment(
    invoice: Invoice,
    *,
    profile: BillingProfile | None,
    earmarked: Money,
    pool: Money,
    on: date,
    memo: InvoiceMemo | None = None,
) -> PaymentStart:
    """Decide how to pay an open invoice: prepaid credit first, then one card charge.

    Prepaid credit is taken only at the first start of an invoice, as
    :func:`plan_payment` splits what is due: the account's earmarked credit, then the
    profile's pool, then the card for the rest. A balance counts only when the invoice
    names its wallet (the earmark of its account, the pool of its profile). A retry
    charges the card for what is still open. A paid invoice yields nothing to do (a
    repeated run is harmless).

    Args:
        invoice: The invoice to pay.
        profile: The billing profile that pays (needed when the card must be charged).
        earmarked: The account's earmarked prepaid balance (the ledger's, C3).
        pool: The profile's prepaid pool balance (the ledger's, C2).
        on: The day of payment.
        memo: Where a run's invoices sharing their lines get their total, added up
            once from those lines (:class:`~resell_core.billing.invoice_memo.InvoiceMemo`);
            added up here when None.

    Returns:
        The invoice with its prepaid parts recorded (paid when nothing is left), the
        movements that spend the prepaid credit, and the card charge, if any.

    Raises:
        PaymentInFlight: When a charge of the invoice is pending or unknown.
        PaymentError: When the invoice is failed or void, or a card charge is needed and
            there is no billing profile of the invoice's agency.
        CurrencyMismatch: When a balance is of another currency than the invoice.
    """
    status = invoice.status
    if status is InvoiceStatus.PAID:
        return PaymentStart(invoice, (), None)
    _refuse_unless_open(invoice)
    paid_earmarked, paid_pool = invoice.paid_earmarked, invoice.paid_pool
    movements: tuple[Movement, ...] = ()
    paid = _paid(invoice)
    total = invoice.total if memo is None else memo.total(invoice)
    due = total if paid is None else total - paid
    if invoice.attempts == 0 and invoice.next_retry_on is None and (paid is None or paid.is_zero()):
        (from_earmark, from_pool), due = due.take_from(_balances(invoice, earmarked, pool))
        paid_earmarked, paid_pool, movements = _spend_prepaid(invoice, from_earmark, from_pool, on)
    paid_in_full = not due.is_positive()
    if paid_in_full or movements:
        invoice = with_payment_state(
            invoice,
            InvoiceStatus.PAID if paid_in_full else status,
            paid_earmarked,
            paid_pool,
            invoice.next_retry_on,
        )
    charge = None if paid_in_full else _card_charge(invoice, profile, due)
    return PaymentStart(invoice, movements, charge)


def _paid(invoice: Invoice) -> Money | None:
    """Return what the invoice has been paid so far, None when nothing by any means.

    A new invoice holds one zero of its currency for its three paid parts
    (``build_recurring_invoice``): it is known unpaid without adding them up, and its
    total is then all that is due, figure for figure (a total starts from a zero of no
    decimal places, so taking that zero off changes neither its value nor its places).
    """
    zero = Money.zero(invoice.currency)
    if invoice.paid_earmarked is zero and invoice.paid_pool is zero and invoice.paid_card is zero:
        return None
    return invoice.paid


def _balances(invoice: Invoice, earmarked: Money, pool: Money) -> tuple[Money, Money]:
    """The prepaid balances an invoice can draw on, in their order of use: its account's
    earmark (C3), then its profile's pool (C2); none where it names no such wallet."""
    nothing = Money.zero(invoice.currency)
    return (
        earmarked if invoice.account_id is not None else nothing,
        pool if invoice.profile_id is not None else nothing,
    )


def _refuse_unless_open(invoice: Invoice) -> None:
    """Refuse to pay an invoice whose charge is in flight, or that is failed or void."""
    status = invoice.status
    if status is InvoiceStatus.PENDING:
        raise PaymentInFlight(invoice.id, _current_key(invoice))
    if status is not InvoiceStatus.OPEN:
        raise PaymentError(
            f"invoice {invoice.number} is {status}: only an open invoice can be paid"
        )


def _spend_prepaid(
    invoice: Invoice, from_earmark: Money, from_pool: Money, on: date
) -> tuple[Money, Money, tuple[Movement, ...]]:
    """Return the invoice's prepaid parts once ``from_earmark`` and ``from_pool`` are
    spent, and the movements that spend them from the account's earmark (C3) and the
    profile's pool (C2); a part of zero keeps the invoice's own and moves nothing."""
    paid_earmarked, paid_pool = invoice.paid_earmarked, invoice.paid_pool
    movements: list[Movement] = []
    if from_earmark.is_positive() and invoice.account_id is not None:
        wallet = account_wallet(invoice.account_id)
        movements.append(_prepaid_movement(invoice, "earmarked", from_earmark, wallet, on))
        paid_earmarked = from_earmark
    if from_pool.is_positive() and invoice.profile_id is not None:
        wallet = profile_wallet(invoice.profile_id)
        movements.append(_prepaid_movement(invoice, "pool", from_pool, wallet, on))
        paid_pool = from_pool
    return paid_earmarked, paid_pool, tuple(movements)


def _prepaid_movement(
    invoice: Invoice, part: str, amount: Money, source: str, on: date
) -> Movement:
    return Movement(
        id=f"{invoice.id}/{part}",
        agency_id=invoice.agency_id,
        kind=CreditKind.PREPAID,
        quantity=amount.amount,
        source=source,
        destination=SPENT,
        on=on,
        reason=_movement_reason(invoice),
        invoice_id=invoice.id,
    )


def _movement_reason(invoice: Invoice) -> str:
    """The reason of a movement spending prepaid credit on ``invoice``."""
    return f"invoice {invoice.number}"


def _charge_description(invoice: Invoice) -> str:
    """The description of a card charge of ``invoice``, as the gateway shows it."""
    return f"Invoice {invoice.number}"


def _card_charge(invoice: Invoice, profile: BillingProfile | None, amount: Money) -> ChargeRequest:
    """Return the card charge of ``amount`` under the key of the invoice's current attempt.

    Raises:
        PaymentError: When there is no billing profile of the invoice's agency.
    """
    if profile is None or profile.agency_id != invoice.agency_id:
        raise PaymentError(
            f"invoice {invoice.number} needs a card charge of {amount} but has no billing "
            "profile: set the account's billing profile, then retry"
        )
    return ChargeRequest(
        idempotency_key=_current_key(invoice),
        agency_id=invoice.agency_id,
        profile_id=profile.id,
        card_token=profile.card_token,
        amount=amount,
        description=_charge_description(invoice),
    )


def apply_charge_result(
    invoice: Invoice,
    result: ChargeResult,
    *,
    today: date,
    policy: DunningPolicy | None = None,
) -> Settlement:
    """Decide what a gateway answer to the invoice's current charge means.

    Args:
        invoice: The invoice whose charge (key :func:`charge_key` of its current attempt)
            was answered; open, or pending for a confirmation or a reconciliation.
        result: The gateway's answer.
        today: The day of the answer.
        policy: The retry schedule (default: after 1, 3 and 7 days).

    Returns:
        The settlement: the invoice's new state and what to do next.

    Raises:
        PaymentError: When the invoice is not open or pending (a paid invoice answered
            ``succeeded`` again is returned unchanged: a repeated webhook is harmless).
    """
    rules = policy or DunningPolicy()
    key = _current_key(invoice)
    if invoice.status is InvoiceStatus.PAID and result.outcome is ChargeOutcome.SUCCEEDED:
        return Settlement(
            invoice, PaymentDecision.PAID, charge_key(invoice.id, invoice.attempts + 1)
        )
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.PENDING):
        raise PaymentError(
            f"invoice {invoice.number} is {invoice.status}: no charge of it is awaited"
        )
    outcome = result.outcome
    if outcome is ChargeOutcome.SUCCEEDED:
        return _charged(invoice, result, key, today)
    if outcome is ChargeOutcome.PENDING:
        return Settlement(
            attrs.evolve(invoice, status=InvoiceStatus.PENDING), PaymentDecision.PENDING, key
        )
    if outcome is ChargeOutcome.UNKNOWN:
        return Settlement(
            attrs.evolve(invoice, status=InvoiceStatus.PENDING), PaymentDecision.RECONCILE, key
        )
    if outcome is ChargeOutcome.NOT_ATTEMPTED:
        retry_on = today + timedelta(days=rules.gateway_down_retry_days)
        later = attrs.evolve(invoice, status=InvoiceStatus.OPEN, next_retry_on=retry_on)
        return Settlement(later, PaymentDecision.RETRY_LATER, key, retry_on)
    return _declined(invoice, key, today, rules)


def _declined(invoice: Invoice, key: str, today: date, rules: DunningPolicy) -> Settlement:
    """Take a dunning step (M3): the schedule's last date is fixed at the first decline,
    and the invoice fails only when it has been declined ``max_attempts`` times *and*
    that date has come. Every decline, the agency's own retries included, is counted and
    moves to a new key; a retry of the agency's own never brings the failure closer."""
    failures = invoice.attempts + 1
    ends = invoice.dunning_ends_on
    if ends is None:
        ends = today + timedelta(days=sum(rules.retry_after_days[invoice.attempts :]))
    if failures >= rules.max_attempts and today >= ends:
        failed = attrs.evolve(
            invoice,
            status=InvoiceStatus.FAILED,
            attempts=failures,
            next_retry_on=None,
            dunning_ends_on=ends,
        )
        return Settlement(failed, PaymentDecision.DUNNING_EXHAUSTED, key, None, True)
    if failures < rules.max_attempts:
        retry_on = today + timedelta(days=rules.retry_after_days[failures - 1])
        if today < ends:
            retry_on = min(retry_on, ends)
    else:
        retry_on = ends  # declined often enough already: the last attempt is on the last date
    retry = attrs.evolve(
        invoice,
        status=InvoiceStatus.OPEN,
        attempts=failures,
        next_retry_on=retry_on,
        dunning_ends_on=ends,
    )
    return Settlement(retry, PaymentDecision.RETRY, key, retry_on, True)


def _charged(invoice: Invoice, result: ChargeResult, key: str, today: date) -> Settlement:
    """Record what the gateway charged (M2): the amount it answered, or the open amount.

    A charge above what is due gives the excess back as prepaid credit: first the prepaid
    parts the invoice took (to the pool, then the earmark), then what the card paid above
    the whole invoice, carried on a last line to the account's earmark (or the pool).
    A charge below what is due leaves the rest open for a new attempt the same day.
    """
    due = invoice.open_amount
    charged = due if result.amount is None else result.amount
    if charged.currency != invoice.currency:
        raise CurrencyMismatch(charged.currency, invoice.currency, "add")
    card = invoice.paid_card + charged
    if charged < due:
        rest = attrs.evolve(
            invoice,
            status=InvoiceStatus.OPEN,
            paid_card=card,
            attempts=invoice.attempts + 1,  # the rest needs a charge under a new key
            next_retry_on=today,
        )
        return Settlement(rest, PaymentDecision.RETRY_LATER, key, today)
    excess = charged - due
    movements: list[Movement] = []
    earmarked, pool, lines = invoice.paid_earmarked, invoice.paid_pool, invoice.lines
    parts = (
        ("pool", invoice.profile_id, profile_wallet),
        ("earmarked", invoice.account_id, account_wallet),
    )
    for part, owner, wallet in parts:
        took = pool if part == "pool" else earmarked
        back = min(took, excess)
        if owner is None or not back.is_positive():
            continue
        movements.append(
            Movement(
                f"{invoice.id}/excess-{part}",
                invoice.agency_id,
                CreditKind.PREPAID,
                back.amount,
                SPENT,
                wallet(owner),
                today,
                f"invoice {invoice.number}: paid by card, prepaid credit given back",
                invoice.id,
            )
        )
        excess -= back
        if part == "pool":
            pool -= back
        else:
            earmarked -= back
    if excess.is_positive():
        if invoice.account_id is not None:
            owner_wallet = account_wallet(invoice.account_id)
        elif invoice.profile_id is not None:
            owner_wallet = profile_wallet(invoice.profile_id)
        else:
            owner_wallet = agency_wallet(invoice.agency_id)
        lines = (*lines, carried_line(excess, "Card payment above the invoice"))
        movements.append(
            Movement(
                f"{invoice.id}/excess-card",
                invoice.agency_id,
                CreditKind.PREPAID,
                excess.amount,
                OUTSIDE,
                owner_wallet,
                today,
                f"invoice {invoice.number}: card payment above it carried to prepaid credit",
                invoice.id,
            )
        )
    paid = attrs.evolve(
        invoice,
        lines=lines,
        status=InvoiceStatus.PAID,
        paid_earmarked=earmarked,
        paid_pool=pool,
        paid_card=card,
        next_retry_on=None,
    )
    return Settlement(paid, PaymentDecision.PAID, key, movements=tuple(movements))


def resume_charge(invoice: Invoice, profile: BillingProfile | None) -> ChargeRequest:
    """Return the charge of an invoice in flight whose key the gateway does not show.

    The charge may never have reached the gateway (a crash before the call) or may be on
    its way (another worker's call not answered yet): either way it is sent again under
    the same key for the same amount, never re-split nor restarted (M2); the gateway
    dedupes it.

    Raises:
        InvalidInput: When the invoice has no charge in flight.
        PaymentError: When there is no billing profile of the invoice's agency.
    """
    reconcile_key(invoice)  # refuses an invoice with no charge in flight
    return _card_charge(invoice, profile, invoice.open_amount)


def confirm(
    invoice: Invoice, result: ChargeResult, *, today: date, policy: DunningPolicy | None = None
) -> Settlement:
    """Apply a late answer (a webhook, or a look-up by key) to a pending invoice.

    Raises:
        InvalidInput: When the invoice is not pending.
    """
    if invoice.status is not InvoiceStatus.PENDING:
        raise InvalidInput.one(
            "confirmation", "invoice", f"invoice {invoice.number} awaits no confirmation"
        )
    return apply_charge_result(invoice, result, today=today, policy=policy)


def reconcile_key(invoice: Invoice) -> str:
    """Return the key to look the in-flight charge up by, at the gateway.

    Raises:
        InvalidInput: When the invoice has no charge in flight.
    """
    if invoice.status is not InvoiceStatus.PENDING:
        raise InvalidInput.one(
            "reconciliation", "invoice", f"invoice {invoice.number} has no charge in flight"
        )
    return _current_key(invoice)


def retries_due(invoices: Iterable[Invoice], today: date) -> list[Invoice]:
    """Return the open invoices whose next attempt is due by ``today``, oldest first."""
    return sorted(
        (
            i
            for i in invoices
            if i.status is InvoiceStatus.OPEN
            and i.next_retry_on is not None
            and i.next_retry_on <= today
        ),
        key=lambda i: (i.next_retry_on or today, i.number),
    )


def settlement_notices(
    settlement: Settlement, account: Account, *, agency_email: str
) -> list[Notice]:
    """Build the notices a settlement calls for: every failure, and the exhaustion (S1, S2).

    They go to the account's notification email (agency-controlled), never to a resold
    account's client.
    """
    if not settlement.notify_agency:
        return []
    invoice = settlement.invoice
    if settlement.expire_account:
        return account_notice(
            NoticeKind.DUNNING_EXHAUSTED,
            account,
            agency_email=agency_email,
            subject=f"{account.name}: payment failed, the account expires",
            body=f"Invoice {invoice.number} ({invoice.open_amount}) was declined "
            f"{invoice.attempts} times; {account.name} expires. Renew it with another card.",
        )
    return account_notice(
        NoticeKind.PAYMENT_FAILED,
        account,
        agency_email=agency_email,
        subject=f"{account.name}: payment declined",
        body=f"Invoice {invoice.number} ({invoice.open_amount}) was declined; we retry on "
        f"{settlement.retry_on}. Check the card of the billing profile.",
    )
