"""What is due: each billable account period, once, in order (rules B1, B2, A11, K3).

A period is due **on its start day**: a run for ``until`` returns every period whose
start is on or before ``until``. Period *n* is ``nth_period(anchor, frequency, n)``,
always from the anchor (a 31st anchor bills on Feb 28/29 and on Mar 31 again).
Periods before ``account.next_period`` were billed already, so a run repeated over the
same dates finds nothing, and a run after an outage finds every missed period once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

import attrs

from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.periods import Frequency, Period, nth_period, period_containing, periods_between
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "BILLABLE_STATUSES",
    "DuePeriod",
    "billed_period_on",
    "due_for_all",
    "due_periods",
    "is_billable",
    "next_billing_day",
    "period_key",
]

BILLABLE_STATUSES = frozenset(
    {AccountStatus.ACTIVE, AccountStatus.DISABLED, AccountStatus.CANCELLED}
)
"""Statuses that may still owe periods; a cancelled account only those before cancelling."""

_ONE_DAY = timedelta(days=1)


def period_key(account_id: str, period: Period) -> str:
    """Return the unique key of one account period: ``"<account id>/<period start>"``."""
    return f"{account_id}/{period.start.isoformat()}"


@attrs.frozen
class DuePeriod:
    """One account period to bill.

    Attributes:
        account_id: The account billed.
        agency_id: The agency that pays.
        profile_id: The billing profile that pays (None when the account has none yet).
        index: The period's index in the account's term (0 is the first charge).
        period: The half-open period billed.
        plan: The plan in force for this period (a scheduled downgrade applies from the
            first period starting on or after its effective day).
        key: The unique ``period_key`` of the charge.
    """

    account_id: str
    agency_id: str
    profile_id: str | None
    index: int
    period: Period
    plan: PlanSelection
    key: str


def is_billable(account: Account) -> bool:
    """Tell whether the agency is billed for the account at all (B1, K3).

    Resold accounts on a paid (V3) plan are billed; trials and sandboxes (V1), accounts
    still being created, expired or archived accounts, and commission accounts (the
    vendor bills their client directly) never are.
    """
    return (
        account.kind is AccountKind.RESOLD
        and account.plan.is_paid
        and account.plan.frequency is not None
        and account.anchor is not None
        and account.status in BILLABLE_STATUSES
    )


def next_billing_day(account: Account) -> date | None:
    """Return the first day of the account's next period to bill; None when none will be.

    This is the one rule of "who is due" that storage adapters index (the billing run asks
    them for accounts whose day is before the end of the run): the start of period
    ``account.next_period`` of a billable account (:func:`is_billable`); for a cancelled
    account only while that period started before the cancellation, as in
    :func:`due_periods`.
    """
    anchor, frequency = account.anchor, account.plan.frequency
    if anchor is None or frequency is None or not is_billable(account):
        return None
    # A plan's frequency is a Frequency already (its converter parses it): calling the
    # enum again would cost more than the cached lookup below.
    start = _period_start(anchor, frequency, account.next_period)
    if account.status is AccountStatus.CANCELLED and (
        account.cancelled_on is None or start >= account.cancelled_on
    ):
        return None
    return start


@functools.lru_cache(maxsize=8192)
def _period_start(anchor: date, frequency: Frequency, n: int) -> date:
    # Storage computes this for every account row it writes; accounts share anchors (one a
    # day at most per frequency), so the answers are kept.
    return nth_period(anchor, frequency, n).start


def due_periods(account: Account, until: date) -> list[DuePeriod]:
    """Return every period of the account due on or before ``until``, in order, each once.

    Args:
        account: The account; periods from ``account.next_period`` on are unbilled.
        until: The last day of the run (inclusive: a period is due on its start day).

    Returns:
        The due periods, oldest first; empty when the account is not billable (see
        :func:`is_billable`). A cancelled account owes only periods that started before
        it was cancelled.
    """
    anchor = account.anchor
    plan = account.plan
    frequency = plan.frequency
    if anchor is None or frequency is None or not is_billable(account):
        return []
    last_start = until
    if account.status is AccountStatus.CANCELLED:
        if account.cancelled_on is None:
            return []
        last_start = min(until, account.cancelled_on - _ONE_DAY)
    found = periods_between(anchor, frequency, account.next_period, last_start + _ONE_DAY)
    if not found:
        return []
    account_id = account.id
    agency_id = account.agency_id
    profile_id = account.billing_profile_id
    pending = account.pending_change
    return [
        DuePeriod(
            account_id,
            agency_id,
            profile_id,
            index,
            period,
            pending.plan if pending is not None and period.start >= pending.effective_on else plan,
            period_key(account_id, period),
        )
        for index, period in found
    ]


def billed_period_on(account: Account, day: date) -> Period | None:
    """Return the account's period that holds ``day`` when it was billed already, else None.

    Read from the account's term alone: its anchor and frequency give the period holding
    ``day``, billed when its index is below ``account.next_period``. None before the
    anchor, for an account with no term, and for a period the run has not billed yet.
    """
    anchor, frequency = account.anchor, account.frequency
    if anchor is None or frequency is None or day < anchor:
        return None
    index, period = period_containing(anchor, frequency, day)
    return period if index < account.next_period else None


def due_for_all(accounts: Iterable[Account], until: date) -> Iterator[DuePeriod]:
    """Yield the due periods of many accounts, account by account (each on its own dates, B2)."""
    for account in accounts:
        yield from due_periods(account, until)
