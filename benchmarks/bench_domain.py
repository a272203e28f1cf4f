"""The pure domain, one operation at a time: Money against Decimal, a quote, a transition.

Each figure is the best of several ``timeit`` repeats (the least disturbed by the rest of
the machine), in microseconds an operation. Money arithmetic is judged against the same
operation on Decimals, measured in the same run; beside it, without a goal, the floor: the
``+`` of a plain slotted class against Decimal's, what any pure-Python value type costs
over Decimal. A quote and a transition are judged against fixed budgets (the baseline
column then holds the budget itself, so the ratio is the share of it used).
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from benchmarks.common import Figure, accounts
from resell_core.lifecycle import Cancel, LifecyclePolicy, apply
from resell_core.money import Money
from resell_core.pricing import Catalog, PlanSelection

__all__ = ["micro_seconds", "run"]

_NUMBER = 20_000
_REPEAT = 5

QUOTE_BUDGET_US = 15.0
"""What a quote may cost, in microseconds."""

TRANSITION_BUDGET_US = 3.0
"""What a lifecycle transition may cost, in microseconds."""


def micro_seconds(operation: Callable[[], object], number: int = _NUMBER) -> float:
    """Return the best time of one call of ``operation`` over the repeats of ``number``
    calls, in µs."""
    best = min(timeit.repeat(operation, number=number, repeat=_REPEAT))
    return best / number * 1e6


class _Plain:
    """The least a pure-Python value type can be: a slotted amount and currency whose
    ``+`` checks the currency and builds a new one, with no conversion or check else."""

    __slots__ = ("amount", "currency")

    def __init__(self, amount: Decimal, currency: str) -> None:
        self.amount = amount
        self.currency = currency

    def __add__(self, other: _Plain) -> _Plain:
        if self.currency != other.currency:
            raise TypeError("currencies differ")
        return _Plain(self.amount + other.amount, self.currency)


def _per_op(what: str, library: float, baseline: float, goal: float | None) -> Figure:
    return Figure(what, 1, library, baseline, "µs", higher_is_better=False, goal=goal)


def run(number: int = _NUMBER) -> list[Figure]:
    """Measure Money's addition and subtraction against Decimal's, the floor of any
    pure-Python value type's addition against Decimal's, a quote and a transition against
    their budgets, ``number`` calls a repeat; return the figures (µs an operation)."""

    def us(operation: Callable[[], object]) -> float:
        return micro_seconds(operation, number)

    a, b = Money("96.00", "USD"), Money("24.50", "USD")
    x, y = Decimal("96.00"), Decimal("24.50")
    p, q = _Plain(x, "USD"), _Plain(y, "USD")
    catalog = Catalog.sample()
    plus = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
    rate = Decimal("0.15")
    migration = catalog.migration_discount
    account = next(iter(accounts(1)))
    policy = LifecyclePolicy()
    cancel = Cancel("shop closed")
    on = date(2024, 3, 20)
    return [
        _per_op(
            "Money + Money vs Decimal + Decimal",
            us(lambda: a + b),
            us(lambda: x + y),
            3.0,
        ),
        _per_op(
            "Money - Money vs Decimal - Decimal",
            us(lambda: a - b),
            us(lambda: x - y),
            3.0,
        ),
        _per_op(
            "floor: a plain slotted class's + vs Decimal +",
            us(lambda: p + q),
            us(lambda: x + y),
            None,
        ),
        _per_op(
            "a quote (plus, migration) vs its budget",
            us(lambda: catalog.quote(plus, reseller_rate=rate, migration=migration)),
            QUOTE_BUDGET_US,
            1.0,
        ),
        _per_op(
            "a transition (cancel) vs its budget",
            us(lambda: apply(account, cancel, on=on, policy=policy)),
            TRANSITION_BUDGET_US,
            1.0,
        ),
    ]
