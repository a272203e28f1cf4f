"""Lines and totals that invoices alike share, worked out once (B7, C2, C3).

A run that bills many accounts of one plan, price and period makes the same lines for
each, and adds up the same lines for each payment. An :class:`InvoiceMemo` handed to
:func:`~resell_core.billing.run.bill_period` and
:func:`~resell_core.billing.payment.start_payment` makes them once and adds them up once.
It works out every figure itself, from the very values it is given: a caller can hand it
a due period, figures and invoices, never a line or a total, so an invoice billed or paid
through a memo is the one billed or paid without it.

It remembers a value by its identity, and only a value frozen all the way down (exact
types: a :class:`~resell_core.pricing.CyclePrice` of :class:`~resell_core.money.Money`,
a tuple of :class:`~resell_core.billing.invoices.InvoiceLine` of ``Money``), which it
keeps while it remembers it, so that an id is never reused meanwhile. Anything else is
worked out afresh each time. A value changed in place behind its frozen class
(``object.__setattr__``) is outside what it serves. It holds at most
:data:`MEMO_SIZE` lines and as many totals, and forgets them all when one more comes.
"""

from __future__ import annotations

from datetime import date
from typing import Final, TypeGuard

from resell_core.billing.due import DuePeriod
from resell_core.billing.invoices import CycleFigures, Invoice, InvoiceLine, recurring_lines
from resell_core.money import Money
from resell_core.periods import Frequency, Period
from resell_core.pricing.quote import CyclePrice
from resell_core.pricing.selection import PlanSelection

__all__ = ["MEMO_SIZE", "InvoiceMemo"]

MEMO_SIZE: Final = 256
"""How many tuples of lines (and as many totals) one memo holds: a page of a run holds a
few, one for each plan, price and period among its accounts."""

_LinesKey = tuple[int, str, str, Frequency | None, date, date, str | None]


class InvoiceMemo:
    """Makes the lines of recurring invoices alike once, and adds up shared lines once.

    Example:
        >>> from resell_core.billing.invoice_memo import InvoiceMemo
        >>> memo = InvoiceMemo()  # one for a run, or for a page of it

    Hand the same memo to each :func:`~resell_core.billing.run.bill_period` and
    :func:`~resell_core.billing.payment.start_payment` of a run (``memo=``).
    """

    __slots__ = ("_lines", "_totals")

    def __init__(self) -> None:
        self._lines: dict[_LinesKey, tuple[CyclePrice, tuple[InvoiceLine, ...]]] = {}
        self._totals: dict[tuple[int, str], tuple[tuple[InvoiceLine, ...], Money]] = {}

    def lines(
        self, due: DuePeriod, figures: CycleFigures, *, description: str | None = None
    ) -> tuple[InvoiceLine, ...]:
        """Return ``recurring_lines(due, figures, description=description)``, made once
        for equal plan texts and days priced by the very same figures.

        Raises:
            InvalidInput: When the figures do not add up (as ``recurring_lines``).
        """
        key = _lines_key(due, figures, description)
        if key is None:
            return recurring_lines(due, figures, description=description)
        found = self._lines.get(key)
        if found is not None and found[0] is figures:
            return found[1]
        made = recurring_lines(due, figures, description=description)
        if _frozen_figures(figures):
            if len(self._lines) >= MEMO_SIZE:
                self._lines.clear()
            self._lines[key] = (figures, made)
        return made

    def total(self, invoice: Invoice) -> Money:
        """Return ``invoice.total``, added up once for invoices of one currency sharing
        the very same tuple of lines; an invoice with taxes is added up on its own."""
        lines, currency = invoice.lines, invoice.currency
        if invoice.taxes or type(lines) is not tuple or type(currency) is not str:
            return invoice.total
        key = (id(lines), currency)
        found = self._totals.get(key)
        if found is not None and found[0] is lines:
            return found[1]
        total = invoice.total
        if _frozen_lines(lines):
            if len(self._totals) >= MEMO_SIZE:
                self._totals.clear()
            self._totals[key] = (lines, total)
        return total


def _lines_key(due: DuePeriod, figures: CycleFigures, description: str | None) -> _LinesKey | None:
    """What the lines of ``due`` priced by ``figures`` are made of (the figures by their
    identity), or None when a part of ``due`` is not of its exact frozen type (the lines
    are then made afresh)."""
    plan, period = due.plan, due.period
    if not (
        type(plan) is PlanSelection
        and type(period) is Period
        and (description is None or type(description) is str)
    ):
        return None
    product, tier, start, end = plan.product, plan.tier, period.start, period.end
    if not (
        type(product) is str and type(tier) is str and type(start) is date and type(end) is date
    ):
        return None
    # The frequency is a member of Frequency or None: PlanSelection converts it.
    return (id(figures), product, tier, plan.frequency, start, end, description)


def _frozen_figures(figures: CycleFigures) -> TypeGuard[CyclePrice]:
    """Tell whether the figures are a ``CyclePrice`` whose four amounts are each a
    ``Money`` (a ``Decimal`` and a ``str``, both exact): frozen all the way down."""
    return type(figures) is CyclePrice and all(
        type(part) is Money
        for part in (
            figures.list_value,
            figures.migration_discount,
            figures.reseller_discount,
            figures.net,
        )
    )


def _frozen_lines(lines: tuple[InvoiceLine, ...]) -> bool:
    """Tell whether every line is an ``InvoiceLine`` whose amount is a ``Money``: all a
    total reads of them (a ``Money`` holds a ``Decimal`` and a ``str``, both exact)."""
    return all(type(line) is InvoiceLine and type(line.amount) is Money for line in lines)
