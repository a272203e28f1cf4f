"""One step of the billing run: price a due period, invoice it, record it billed.

The host's run streams accounts, calls :func:`~resell_core.billing.due.due_periods`
for each, and for every due period calls :func:`bill_period` in one unit of work with
the invoice's unique ``period_key``: a second run over the same dates finds nothing due,
and two workers racing on one period cannot both store it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs

from resell_core.billing.due import DuePeriod, is_billable, period_key
from resell_core.billing.invoice_memo import InvoiceMemo
from resell_core.billing.invoices import CycleFigures, Invoice, build_recurring_invoice
from resell_core.errors import InvalidInput, quoted
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.events import AccountEvent
from resell_core.lifecycle.terms import record_period_billed
from resell_core.periods import nth_period
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.price_book import MigrationDiscount
from resell_core.pricing.quote import CyclePrice

__all__ = ["BilledPeriod", "BillingRunPolicy", "bill_period", "price_due", "run_until"]


def _horizon(_instance: object, _attribute: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput.one(
            "billing run policy", "horizon_days", "give a whole number of days, 0 or more"
        )


@attrs.frozen
class BillingRunPolicy:
    """How far ahead of today a billing run may bill (M1).

    Attributes:
        horizon_days: Days after today (in the billing time zone) a run's ``until`` may
            reach. Default 0: a run bills what is due until today, never a period that
            has not started, so that a mistyped year cannot charge decades ahead.
    """

    horizon_days: int = attrs.field(default=0, validator=_horizon)


def run_until(until: object, *, today: date, policy: BillingRunPolicy) -> date:
    """Return the last day a billing run bills: ``until``, or ``today`` when None (M1).

    Args:
        until: The day asked for: a date (not a datetime), or None.
        today: Today in the billing time zone.
        policy: How far ahead of today a run may bill.

    Raises:
        InvalidInput: ``until`` is not a date, or is later than the policy allows (the
            problem names ``until``).

    Example:
        >>> run_until(None, today=date(2024, 4, 11), policy=BillingRunPolicy())
        datetime.date(2024, 4, 11)
        >>> run_until(date(2100, 1, 1), today=date(2024, 4, 11), policy=BillingRunPolicy())
        Traceback (most recent call last):
        ...
        resell_core.errors.InvalidInput: [invalid_input] billing run is not valid: until: ...
    """
    if until is None:
        return today
    if isinstance(until, datetime) or not isinstance(until, date):
        raise InvalidInput.one(
            "billing run", "until", f"{quoted(until)} is not a date: give a datetime.date or None"
        )
    ahead = (until - today).days
    if ahead > policy.horizon_days:
        allowed = f"today ({today.isoformat()})"
        if policy.horizon_days:
            allowed = f"{policy.horizon_days} days after {allowed}"
        raise InvalidInput.one(
            "billing run",
            "until",
            f"{until.isoformat()} is {ahead} days ahead: bill until {allowed} at the latest",
        )
    return until


def price_due(
    catalog: Catalog,
    due: DuePeriod,
    *,
    reseller_rate: Decimal,
    migration: MigrationDiscount | None = None,
) -> CyclePrice:
    """Price a due period: its plan, the reseller discount, and the migration discount on
    the catalog's first cycles only (A10, A11)."""
    return catalog.cycle_price(
        due.plan, reseller_rate=reseller_rate, migration=migration, cycle=due.index
    )


@attrs.frozen
class BilledPeriod:
    """The account after one period was billed, its invoice and the account's events."""

    account: Account
    invoice: Invoice
    events: tuple[AccountEvent, ...]


_DUE_PARTS = ("period", "plan", "agency", "profile", "key")


def _refuse_unless_due(account: Account, due: DuePeriod) -> None:
    """Refuse a period of the account that is not the one ``due_periods`` gives for its
    index: other days (a year billed at a month's price), plan, payer or key. The billing
    run hands the very objects ``due_periods`` made, which are checked by identity."""
    index = due.index
    if type(index) is not int or index != account.next_period:
        raise InvalidInput.one(
            "billed period",
            "index",
            f"period {quoted(index)} cannot be billed: the next period to bill is "
            f"{account.next_period}; bill the periods in order, each once",
        )
    anchor, frequency = account.anchor, account.frequency
    if anchor is None or frequency is None or not is_billable(account):
        raise InvalidInput.one(
            "billed period",
            "period",
            f"account {quoted(account.id)} is not billed to its agency (a trial, a "
            "sandbox, a commission account, or no longer active): bill the periods "
            "due_periods gives",
        )
    expected = nth_period(anchor, frequency, index)
    if account.status is AccountStatus.CANCELLED and (
        account.cancelled_on is None or expected.start >= account.cancelled_on
    ):
        raise InvalidInput.one(
            "billed period",
            "period",
            f"account {quoted(account.id)} was cancelled before period {index} started: "
            "bill the periods due_periods gives",
        )
    pending = account.pending_change
    plan = (
        pending.plan
        if pending is not None and expected.start >= pending.effective_on
        else account.plan
    )
    checks = (
        due.period is expected or due.period == expected,
        due.plan is plan or due.plan == plan,
        due.agency_id == account.agency_id,
        due.profile_id == account.billing_profile_id,
        due.key == period_key(account.id, expected),
    )
    if all(checks):
        return
    wrong = [name for name, ok in zip(_DUE_PARTS, checks, strict=True) if not ok]
    raise InvalidInput.one(
        "billed period",
        wrong[0],
        f"period {index} of account {quoted(account.id)} is {expected} on "
        f"{quoted(plan.tier)}; this one differs in its {', '.join(wrong)}: bill the periods "
        "due_periods gives",
    )


def bill_period(
    account: Account,
    due: DuePeriod,
    figures: CycleFigures,
    *,
    invoice_id: str,
    number: int,
    issued_on: date,
    memo: InvoiceMemo | None = None,
) -> BilledPeriod:
    """Invoice one due period and record it billed on the account (B1, B2, A11).

    ``memo``: where a run's invoices alike get their lines, made once for an equal plan
    and period priced by the very same figures
    (:class:`~resell_core.billing.invoice_memo.InvoiceMemo`); made here when None.

    Raises:
        InvalidInput: When the period is not the account's next one to bill (it was
            billed already, or one was skipped), belongs to another account, or is not
            the one :func:`~resell_core.billing.due.due_periods` gives for its index
            (its days, plan, agency, billing profile and key).
    """
    if due.account_id != account.id:
        raise InvalidInput.one(
            "billed period",
            "account",
            f"this period is {quoted(due.account_id)}'s, not {quoted(account.id)}'s",
        )
    _refuse_unless_due(account, due)
    transition = record_period_billed(account, due.index, due.period)
    invoice = build_recurring_invoice(
        due, figures, invoice_id=invoice_id, number=number, issued_on=issued_on, memo=memo
    )
    return BilledPeriod(transition.account, invoice, tuple(transition.events))
