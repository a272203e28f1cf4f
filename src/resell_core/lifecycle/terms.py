"""Paid terms: where a term starts, which periods were billed, when it ends.

Period *n* of a term is ``nth_period(anchor, frequency, n)``; the billing run records each
billed period here so that a period is never billed twice.
"""

from __future__ import annotations

from datetime import date

import attrs

from resell_core.errors import InvalidInput
from resell_core.lifecycle.account import Account, AccountStatus, account_with
from resell_core.lifecycle.events import PeriodBilled, TermStarted
from resell_core.lifecycle.transition import Transition
from resell_core.periods import Period, period_containing

__all__ = ["is_cancelled_and_expired", "record_period_billed", "start_term", "term_boundary"]


def is_cancelled_and_expired(account: Account, on: date) -> bool:
    """Tell whether a cancelled account has run past its paid-through date (R2, R7).

    "Cancelled and expired" is derived, not a status: a cancelled account works until
    ``paid_through`` (exclusive) and is cancelled and expired from that day on.
    """
    return account.status is AccountStatus.CANCELLED and (
        account.paid_through is None or on >= account.paid_through
    )


def term_boundary(account: Account, on: date) -> date:
    """Return the first day after the billing period that holds ``on`` (or ``on`` if none)."""
    if account.anchor is None or account.frequency is None or on < account.anchor:
        return on
    return period_containing(account.anchor, account.frequency, on)[1].end


def start_term(account: Account, anchor: date) -> Transition:
    """Start a new paid term on ``anchor``: period 0 is the next to bill.

    Returns:
        The account with the new anchor, and a :class:`TermStarted` event.
    """
    status = account.status
    changed = attrs.evolve(account, anchor=anchor, next_period=0)
    return Transition(changed, (TermStarted(account.id, anchor, status, status, anchor),))


def record_period_billed(account: Account, index: int, period: Period) -> Transition:
    """Record that period ``index`` of the term was billed (it is now paid through its end).

    Args:
        account: The billed account.
        index: The period's index; must be the account's ``next_period``.
        period: The billed period.

    Raises:
        InvalidInput: When ``index`` is not the next period to bill (billing it again, or
            skipping one, would charge wrongly).
    """
    if index != account.next_period:
        raise InvalidInput.one(
            "billed period",
            "index",
            f"period {index} cannot be recorded: the next period to bill is "
            f"{account.next_period}; bill the periods in order, each once",
        )
    status = account.status
    # Run once an account every billing run: built by __init__, not attrs.evolve.
    changed = account_with(account, {"next_period": index + 1, "paid_through": period.end})
    return Transition(
        changed, (PeriodBilled(account.id, period.start, status, status, index, period),)
    )
