"""Auto top-up of a billing profile's prepaid pool: one card charge a month (F2, B4).

A profile may carry a :class:`TopUpPolicy` (none by default). On the policy's day of each
month (or the first run after it) the profile's pool is topped up once through the
ordinary credit purchase, so that the month's recurring invoices are paid from the pool
and the card sees that one charge. What is bought is either exactly what the forecast
(``billing.forecast``) says the profile's card would be charged until the next top-up day
(``forecast`` mode), or, as wallet auto-recharge does, the difference up to a target when
the pool is below a threshold that day (``threshold`` mode). Each profile is topped up at
most once a month: the month's key (:func:`top_up_key`) is unique.
"""

from __future__ import annotations

from datetime import date

import attrs

from resell_core.errors import FieldProblem, InvalidInput
from resell_core.money import Money
from resell_core.periods import Period, add_months

__all__ = ["TopUpPolicy", "top_up_amount", "top_up_key", "top_up_window"]

_LAST_DAY = 31


def _day(_instance: object, _attribute: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _LAST_DAY:
        raise InvalidInput.one(
            "top-up policy", "day", "give a day of the month from 1 to 31 (31: the last day)"
        )


def _amounts(instance: TopUpPolicy, _attribute: object, target: Money | None) -> None:
    threshold = instance.threshold
    problems = []
    if (threshold is None) != (target is None):
        problems.append(FieldProblem("target", "give both a threshold and a target, or neither"))
    elif threshold is not None and target is not None:
        if threshold.currency != target.currency:
            problems.append(FieldProblem("target", "give the threshold and target in one currency"))
        elif threshold.is_negative() or not target.is_positive() or target < threshold:
            problems.append(
                FieldProblem("target", "a target above zero and at least the threshold")
            )
        elif target != target.rounded() or threshold != threshold.rounded():
            problems.append(FieldProblem("target", "amounts in whole minor units"))
    if problems:
        raise InvalidInput("top-up policy", problems)


@attrs.frozen
class TopUpPolicy:
    """When and how much prepaid credit a billing profile buys by itself (F2).

    Attributes:
        day: The day of the month of the top-up, 1 to 31 (a day past the month's end is
            its last day).
        threshold: In ``threshold`` mode, the pool balance below which the top-up buys;
            None for ``forecast`` mode.
        target: In ``threshold`` mode, what the pool holds after the top-up.
    """

    day: int = attrs.field(default=1, validator=_day)
    threshold: Money | None = None
    target: Money | None = attrs.field(default=None, validator=_amounts)

    @property
    def mode(self) -> str:
        """``"forecast"`` (buy what the coming month needs) or ``"threshold"``."""
        return "forecast" if self.threshold is None else "threshold"


def _day_in(policy: TopUpPolicy, month: date) -> date:
    first = month.replace(day=1)
    return first.replace(day=min(policy.day, (add_months(first, 1) - first).days))


def top_up_window(policy: TopUpPolicy, on: date) -> Period | None:
    """Return the days a top-up made on ``on`` is for: from ``on`` to the next month's
    top-up day; None before this month's top-up day.

    Example:
        >>> str(top_up_window(TopUpPolicy(day=31), date(2024, 2, 29)))
        '[2024-02-29, 2024-03-31)'
        >>> top_up_window(TopUpPolicy(day=15), date(2024, 2, 14)) is None
        True
    """
    if on < _day_in(policy, on):
        return None
    return Period(on, _day_in(policy, add_months(on.replace(day=1), 1)))


def top_up_key(profile_id: str, on: date) -> str:
    """Return the unique key of a profile's top-up of the month holding ``on``.

    Example:
        >>> top_up_key("profile-7", date(2024, 5, 20))
        'top-up:profile-7:2024-05'
    """
    return f"top-up:{profile_id}:{on.year:04d}-{on.month:02d}"


def top_up_amount(policy: TopUpPolicy, *, pool: Money, card_needed: Money) -> Money:
    """Return what a top-up buys (zero: nothing to buy).

    Args:
        policy: The profile's policy.
        pool: What the profile's pool holds now.
        card_needed: What the forecast says the profile's card would be charged over the
            top-up's window (:func:`top_up_window`) without a top-up.

    Example:
        >>> usd = lambda a: Money(a, "USD")
        >>> top_up_amount(TopUpPolicy(), pool=usd("20"), card_needed=usd("172.00"))
        Money('172.00', 'USD')
        >>> policy = TopUpPolicy(threshold=usd("50"), target=usd("300"))
        >>> top_up_amount(policy, pool=usd("20"), card_needed=usd("172.00"))
        Money('280', 'USD')
    """
    if policy.threshold is None or policy.target is None:
        return card_needed.max(Money.zero(card_needed.currency))
    if pool < policy.threshold:
        return policy.target - pool
    return Money.zero(pool.currency)
