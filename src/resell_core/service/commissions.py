"""Commission use cases of the portal: referred accounts' statements and PayPal payouts
(K1-K4).

A commission account is added through the agency's referral code (K1): it is an account
of kind ``commission``, which the billing run never bills to the agency (K3) and whose
client receives its own notices (K4). Each month :func:`pay_commissions` works out every
referring agency's statement and pays it through the payout port to the PayPal email of
the agency's commission settings (K2), or holds it and tells the agency when no email is
set, or carries it over below the program's thresholds. Once per agency and month: the
month's record has a unique key, the payout a key the payout gateway dedupes, and the
payout is recorded in flight before the gateway is called (a re-run looks it up by its key
instead of paying again).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from fractions import Fraction

import attrs
from dateutil.relativedelta import relativedelta

from resell_core.billing.commissions import (
    CommissionStatement,
    Referral,
    carried_after_payout,
    check_commission_month,
    monthly_statement,
)
from resell_core.billing.gateway import PayoutOutcome, PayoutResult
from resell_core.billing.notices import NoticeKind, agency_notice
from resell_core.errors import NotFound, ResellError
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.lifecycle.validation import NewAccount
from resell_core.money import Money
from resell_core.periods import Frequency, Period
from resell_core.ports import Record, UnitOfWork
from resell_core.serialization import from_json, to_json
from resell_core.service import accounts
from resell_core.service.context import SYSTEM, Command, Context, Work, read, run_command
from resell_core.service.results import AccountCreated

__all__ = [
    "PAYING",
    "CommissionRun",
    "commission_statement",
    "month_of",
    "pay_commissions",
    "refer_account",
]

PAYING = "paying"
"""Status of a month's record whose payout was sent and whose answer is not recorded yet."""

_LIVE = (AccountStatus.ACTIVE, AccountStatus.DISABLED)


def month_of(day: date) -> Period:
    """Return the calendar month that holds ``day``, as a half-open period."""
    start = day.replace(day=1)
    return Period(start, start + relativedelta(months=1))


def _record_key(agency_id: str, month: Period) -> str:
    return f"commission/{agency_id}/{month.start:%Y-%m}"


def refer_account(
    ctx: Context,
    referral_code: str,
    new: NewAccount,
    *,
    actor: str = SYSTEM,
    idempotency_key: str | None = None,
) -> AccountCreated:
    """Add a commission account referred by the agency whose referral code is given (K1).

    The vendor bills the account's client directly: it never has a billing profile of the
    agency and is never billed to the agency (K3); its client gets its own billing and
    expiry notices at its notification email (K4).

    Raises:
        NotFound: No agency has this referral code (kind ``"referral code"``).
        InvalidInput: Listing every bad field of the form.
        DuplicateName: The name is taken on the platform (A2).
    """
    code = referral_code.strip().upper()
    agency = read(ctx, lambda uow: uow.agencies.by_referral_code(code))
    if agency is None:
        raise NotFound("referral code", referral_code)
    referred = attrs.evolve(new, kind=AccountKind.COMMISSION, billing_profile_id=None)
    return accounts.add_account(
        ctx, agency.id, referred, actor=actor, idempotency_key=idempotency_key
    )


def _commission_accounts(uow: UnitOfWork, agency_id: str) -> Iterator[Account]:
    after: str | None = None
    while page := uow.accounts.of_agency(agency_id, after_id=after, limit=500):
        yield from (a for a in page if a.kind is AccountKind.COMMISSION)
        after = page[-1].id


def _monthly_revenue(ctx: Context, account: Account, month: Period) -> Money | None:
    """What the referred client pays the vendor for the month: its list price a month."""
    plan = account.plan
    running = account.status in _LIVE or (
        account.status is AccountStatus.CANCELLED
        and account.paid_through is not None
        and account.paid_through > month.start
    )
    if not plan.is_paid or account.anchor is None or account.anchor >= month.end or not running:
        return None
    price = ctx.catalog.recurring_price(plan)
    return price.scaled(Fraction(1, 12)) if plan.frequency is Frequency.ANNUAL else price


def _statement(ctx: Context, uow: UnitOfWork, agency_id: str, month: Period) -> CommissionStatement:
    agency = uow.agencies.get(agency_id)
    referred = list(_commission_accounts(uow, agency_id))
    revenue = {
        a.id: amount for a in referred if (amount := _monthly_revenue(ctx, a, month)) is not None
    }
    referrals = [Referral(a.id, agency_id, agency.referral_code, a.created_on) for a in referred]
    previous = uow.payouts.by_key(
        _record_key(agency_id, month_of(month.start - relativedelta(days=1)))
    )
    carried_in = (
        from_json(previous.data, CommissionStatement).carried_out
        if previous is not None and previous.agency_id == agency_id
        else Money.zero(agency.currency)
    )
    return monthly_statement(
        agency_id=agency_id,
        agency_email=agency.email,
        month=month,
        accounts=referred,
        revenue=revenue,
        referrals=referrals,
        carried_in=carried_in,
        paypal_email=agency.paypal_email,
        program=ctx.policies.commissions,
    )


def commission_statement(ctx: Context, agency_id: str, month: date) -> CommissionStatement:
    """Return the agency's commission statement of the month holding ``month`` (K1, K2).

    Once the month was paid (or held, or carried over) the recorded statement is returned;
    before, it is worked out from the referred accounts as they are now.

    Raises:
        NotFound: No such agency.
        InvalidInput: The month is before the program's first month, or after the next.
    """
    check_commission_month(month, ctx.today(), ctx.policies.commissions, ahead=1)
    period = month_of(month)

    def query(uow: UnitOfWork) -> CommissionStatement:
        uow.agencies.get(agency_id)
        recorded = uow.payouts.by_key(_record_key(agency_id, period))
        if recorded is not None and recorded.agency_id == agency_id:
            return from_json(recorded.data, CommissionStatement)
        return _statement(ctx, uow, agency_id, period)

    return read(ctx, query)


def _payout_notice(work: Work, statement: CommissionStatement, result: PayoutResult) -> None:
    agency = work.uow.agencies.get(statement.agency_id)
    if result.outcome in (PayoutOutcome.SUCCEEDED, PayoutOutcome.PENDING):
        subject = f"Commission of {statement.month.start:%B %Y} paid"
        body = f"{statement.due} was sent to {agency.paypal_email} by PayPal."
    else:
        subject = f"Commission of {statement.month.start:%B %Y} not paid"
        body = (
            f"PayPal refused the payout of {statement.due} to {agency.paypal_email} "
            f"({result.message}); it is carried over to next month. Check the PayPal email."
        )
    work.notify(
        agency_notice(
            NoticeKind.PAYOUT_SENT,
            agency_id=agency.id,
            agency_email=agency.email,
            subject=subject,
            body=body,
        )
    )


def _record_payout(work: Work, record: Record, result: PayoutResult) -> CommissionStatement:
    statement = from_json(record.data, CommissionStatement)
    carried = carried_after_payout(statement, result)
    settled = attrs.evolve(statement, carried_out=carried)
    work.uow.payouts.update(
        attrs.evolve(record, status=result.outcome.value, data=to_json(settled))
    )
    work.audit(
        "commission_payout_recorded",
        record.id,
        before=PAYING,
        after=f"{result.outcome.value} {statement.due}",
        agency_id=record.agency_id,
    )
    _payout_notice(work, statement, result)
    return settled


def _pay_agency(ctx: Context, agency_id: str, month: Period) -> CommissionStatement | None:
    key = _record_key(agency_id, month)

    def decide(work: Work) -> tuple[CommissionStatement | None, Record | None]:
        uow = work.uow
        recorded = uow.payouts.by_key(key)
        if recorded is not None:
            statement = from_json(recorded.data, CommissionStatement)
            if recorded.status != PAYING or statement.payout is None:
                return statement, None  # this month is done already
            looked = ctx.payouts.lookup(statement.payout.idempotency_key)
            if looked is None or looked.outcome is PayoutOutcome.UNKNOWN:
                return statement, recorded  # (re)send under the same key: the gateway dedupes
            return _record_payout(work, recorded, looked), None
        statement = _statement(ctx, uow, agency_id, month)
        if statement.earned.is_zero() and statement.carried_in.is_zero():
            return None, None  # nothing referred, nothing owed: no record
        status = PAYING if statement.payout is not None else statement.status.value
        record = Record(
            id=work.new_id("payout"),
            agency_id=agency_id,
            subject=f"{month.start:%Y-%m}",
            status=status,
            data=to_json(statement),
            key=key,
        )
        uow.payouts.add(record)
        for notice in statement.notices:
            work.notify(notice)  # a held payout tells the agency (K2)
        work.audit("commission_statement", record.id, after=f"{status} {statement.due}")
        return statement, (record if statement.payout is not None else None)

    command = Command("pay_commission", agency_id, {"month": month.start})
    statement, sending = run_command(ctx, command, decide, None)
    if sending is None or statement is None or statement.payout is None:
        return statement
    result = ctx.payouts.pay(statement.payout)
    if result.outcome is PayoutOutcome.UNKNOWN:
        looked = ctx.payouts.lookup(statement.payout.idempotency_key)
        if looked is None or looked.outcome is PayoutOutcome.UNKNOWN:
            return statement  # still in flight: the next call looks it up again
        result = looked

    def record(work: Work) -> CommissionStatement:
        current = work.uow.payouts.get(agency_id, sending.id)
        if current.status != PAYING:
            return from_json(current.data, CommissionStatement)
        return _record_payout(work, current, result)

    recorded = Command("record_commission_payout", agency_id, {"month": month.start})
    return run_command(ctx, recorded, record, None)


@attrs.frozen
class CommissionRun:
    """What a monthly payout run did (K2).

    Attributes:
        month: The month paid.
        statements: The statements of the agencies that referred accounts or were owed
            commission, by agency id (paid, held, or carried over).
        errors: Per agency, why its statement could not be worked out or paid:
            ``(agency id, code, message)``.
    """

    month: Period
    statements: tuple[CommissionStatement, ...]
    errors: tuple[tuple[str, str, str], ...] = ()

    def of(self, agency_id: str) -> CommissionStatement | None:
        """Return the agency's statement, or None when it had none this month."""
        return next((s for s in self.statements if s.agency_id == agency_id), None)


def _agencies_page(ctx: Context, after: str | None) -> list[str]:
    return read(ctx, lambda uow: [a.id for a in uow.agencies.page(after_id=after, limit=100)])


def pay_commissions(ctx: Context, month: date) -> CommissionRun:
    """Pay every referring agency its commission of the month holding ``month`` (K2).

    Per agency and month once: a second call pays nothing more (it returns the recorded
    statements, and finishes a payout whose answer was never recorded, by its key). One
    agency's trouble never blocks the others' payouts.

    Returns:
        The month's statements and the agencies that could not be paid.

    Raises:
        InvalidInput: The month is before the program's first month or after this one.
    """
    check_commission_month(month, ctx.today(), ctx.policies.commissions)
    period = month_of(month)
    statements: list[CommissionStatement] = []
    errors: list[tuple[str, str, str]] = []
    after: str | None = None
    while page := _agencies_page(ctx, after):
        for agency_id in page:
            try:
                statement = _pay_agency(ctx, agency_id, period)
            except ResellError as error:
                errors.append((agency_id, error.code, error.message))
                continue
            if statement is not None:
                statements.append(statement)
        after = page[-1]
    return CommissionRun(period, tuple(statements), tuple(errors))
