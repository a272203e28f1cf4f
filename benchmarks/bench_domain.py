"""The pure domain, one operation at a time: Money against Decimal, a quote, a transition.

In each process, a figure is the best of several ``timeit`` repeats (the least disturbed
by the rest of the machine), in microseconds an operation. A process can be slow from
start to end (a figure seen at 1.2 µs in one and 0.7 µs in the next), which no repeat
within it shows, so :func:`run` measures in several fresh processes and prints the median
of each side, the lowest and highest ratio of a process as the spread. Money arithmetic
is judged against the same operation on Decimals, measured in the same process; beside
it, without a goal, the floor: the ``+`` of a plain slotted class against Decimal's, what
any pure-Python value type costs over Decimal. A quote and a transition are judged
against fixed budgets (the baseline column then holds the budget itself, so the ratio is
the share of it used).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs

from benchmarks.common import Figure, accounts
from resell_core.lifecycle import Cancel, LifecyclePolicy, apply
from resell_core.money import Money
from resell_core.pricing import Catalog, PlanSelection

__all__ = ["measure", "micro_seconds", "run"]

_NUMBER = 20_000
_REPEAT = 5
_PROCESSES = 3
_ROOT = Path(__file__).resolve().parent.parent

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


def run(number: int = _NUMBER, processes: int = _PROCESSES) -> list[Figure]:
    """Measure each figure of :func:`measure` in ``processes`` fresh processes, one after
    another; return each with the medians of its sides and, from two processes on, the
    lowest and highest ratio of a process as its spread."""
    runs = [_measured_in_a_process(number) for _ in range(processes)]
    figures = []
    for each in zip(*runs, strict=True):
        ratios = sorted(figure.ratio for figure in each)
        median = _per_op(
            each[0].what,
            statistics.median(figure.library for figure in each),
            statistics.median(figure.baseline for figure in each),
            each[0].goal,
        )
        spread = (ratios[0], ratios[-1]) if processes > 1 else None
        figures.append(attrs.evolve(median, spread=spread))
    return figures


def _measured_in_a_process(number: int) -> list[Figure]:
    """The figures of :func:`measure` taken by a fresh interpreter (this module run with
    ``--measure``), read back from the JSON it prints."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(_ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    printed = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_domain", "--measure", "--number", str(number)],
        cwd=_ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [
        _per_op(what, library, baseline, goal)
        for what, library, baseline, goal in json.loads(printed)
    ]


def measure(number: int = _NUMBER) -> list[Figure]:
    """Measure Money's addition and subtraction against Decimal's, the floor of any
    pure-Python value type's addition against Decimal's, a quote and a transition against
    their budgets, ``number`` calls a repeat, in this process; return the figures (µs an
    operation)."""

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


def main(argv: list[str] | None = None) -> None:
    """With ``--measure``, print this process's figures as JSON (what :func:`run` reads)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--measure", action="store_true", required=True)
    parser.add_argument("--number", type=int, default=_NUMBER)
    args = parser.parse_args(argv)
    figures = measure(args.number)
    print(json.dumps([[f.what, f.library, f.baseline, f.goal] for f in figures]))


if __name__ == "__main__":
    main()
