"""Plan changes: which rule applies (first match wins) and the credit and charge of a change.

The default rule list (after Kill Bill's change rules): a change of billing frequency
starts a new term on the change date; an upgrade (higher annualised price) is immediate
and prorated; a downgrade waits for the end of the term; a change at the same annualised
price is immediate.
"""

from __future__ import annotations

import enum
from datetime import date

import attrs

from resell_core.errors import InvalidInput
from resell_core.money import Money
from resell_core.periods import Period, proration_fraction
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "DEFAULT_CHANGE_RULES",
    "ChangeKind",
    "ChangeRule",
    "ChangeTiming",
    "PlanChange",
    "ProratedChange",
    "prorate_change",
    "restart_term",
]


class ChangeKind(enum.StrEnum):
    """What a plan change is; a rule of the catalog matches on it."""

    FREQUENCY = "frequency"
    """The billing frequency changes (monthly to annual or back)."""
    UPGRADE = "upgrade"
    """The new plan has a higher annualised list price."""
    DOWNGRADE = "downgrade"
    """The new plan has a lower annualised list price."""
    LATERAL = "lateral"
    """The annualised list price stays the same (e.g. another product at the same price)."""


class ChangeTiming(enum.StrEnum):
    """When a plan change takes effect and how it is billed."""

    IMMEDIATE = "immediate"
    """Now: credit the unused part of what was billed, charge the rest of the period."""
    END_OF_TERM = "end_of_term"
    """At the end of the paid period, as a pending change; nothing is billed today."""
    NEW_TERM = "new_term"
    """Now, as a new term anchored on the change date: credit the unused part, charge a cycle."""


@attrs.frozen
class ChangeRule:
    """One rule of the catalog's ordered plan-change list: a kind of change and its timing."""

    kind: ChangeKind = attrs.field(converter=ChangeKind)
    timing: ChangeTiming = attrs.field(converter=ChangeTiming)


DEFAULT_CHANGE_RULES: tuple[ChangeRule, ...] = (
    ChangeRule(ChangeKind.FREQUENCY, ChangeTiming.NEW_TERM),
    ChangeRule(ChangeKind.UPGRADE, ChangeTiming.IMMEDIATE),
    ChangeRule(ChangeKind.DOWNGRADE, ChangeTiming.END_OF_TERM),
    ChangeRule(ChangeKind.LATERAL, ChangeTiming.IMMEDIATE),
)
"""The default plan-change policy, first match wins."""


@attrs.frozen
class PlanChange:
    """A change of plan in the middle of a term, as a quote needs it.

    Attributes:
        current: The plan the account has now.
        billed: What was billed for the current period (the credit never exceeds it).
        period: The current billing period (half-open).
        on: The day of the change, inside the period.
    """

    current: PlanSelection
    billed: Money
    period: Period
    on: date


@attrs.frozen
class ProratedChange:
    """The money of a plan change: a credit (zero or negative), a charge and their sum.

    Attributes:
        credit: Minus the unused part of what was billed for the period.
        charge: What the new plan costs from the change date.
        net: ``credit + charge``; negative when the change leaves credit over.
    """

    credit: Money
    charge: Money
    net: Money


def _unused_credit(billed: Money, period: Period, on: date, what: str) -> Money:
    if billed.is_negative():
        raise InvalidInput.one(what, "billed", f"what was billed cannot be negative ({billed})")
    # Rounding once per line: the credit is the exact unused fraction of what was billed,
    # rounded half-up, and never more than was billed.
    return -billed.scaled(proration_fraction(period, on)).min(billed)


def prorate_change(
    billed: Money,
    new_net: Money,
    period: Period,
    on: date,
    *,
    billed_for: Period | None = None,
) -> ProratedChange:
    """Credit the unused part of ``billed`` and charge ``new_net`` for the rest of ``period``.

    Both lines use the exact fraction of days left (from ``on``, inclusive), each rounded
    once, half-up: the charge over the days of ``period``, the credit over the days that
    ``billed`` paid for (``billed_for``; the whole period unless the plan was already
    changed within it, in which case the last change's charge paid for the rest only).

    Args:
        billed: What was billed for the current plan: the period's recurring charge, or
            the charge of a change made earlier in the period.
        new_net: The new plan's net price for a whole cycle.
        period: The current billing period.
        on: The day of the change.
        billed_for: The part of ``period`` that ``billed`` paid for (default: all of it).

    Returns:
        The credit, the charge and the net amount.

    Raises:
        InvalidInput: When ``on`` lies outside the period or an amount is negative.
        CurrencyMismatch: When the two amounts are of different currencies.

    Example:
        >>> p = Period(date(2024, 4, 11), date(2024, 5, 11))
        >>> prorate_change(Money("20", "USD"), Money("30", "USD"), p, date(2024, 4, 26)).net
        Money('5.00', 'USD')
    """
    credit = _unused_credit(billed, billed_for or period, on, "plan change")
    if new_net.is_negative():
        raise InvalidInput.one("plan change", "new_net", f"a price cannot be negative ({new_net})")
    charge = new_net.scaled(proration_fraction(period, on))
    return ProratedChange(credit=credit, charge=charge, net=credit + charge)


def restart_term(billed: Money, new_net: Money, period: Period, on: date) -> ProratedChange:
    """Credit the unused part of ``billed`` and charge a whole first cycle of a new term.

    Used when the billing frequency changes: the new term is anchored on ``on``.

    Raises:
        InvalidInput: When ``on`` lies outside the period or an amount is negative.
    """
    credit = _unused_credit(billed, period, on, "plan change")
    if new_net.is_negative():
        raise InvalidInput.one("plan change", "new_net", f"a price cannot be negative ({new_net})")
    charge = new_net.rounded()
    return ProratedChange(credit=credit, charge=charge, net=credit + charge)
