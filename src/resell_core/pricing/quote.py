"""Package details (rule A10): every figure of a quote, and how each one was reached.

list value → minus migration discount → minus reseller discount → per cycle; for a
change mid-term, the prorated credit and charge; what is paid today. Taxes excluded.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from typing import Protocol

import attrs

from resell_core.money import Money
from resell_core.periods import Frequency
from resell_core.pricing.changes import ChangeRule, ChangeTiming, PlanChange, ProratedChange
from resell_core.pricing.selection import PlanSelection

__all__ = ["CyclePrice", "PackageDetails", "PriceLine"]


@attrs.frozen
class PriceLine:
    """One part of a plan's list value: the tier's band, an add-on or a custom limit."""

    label: str
    amount: Money


@attrs.frozen
class CyclePrice:
    """The price of one billing cycle: list value, discounts and what is charged.

    ``net == list_value - migration_discount - reseller_discount``; each discount is
    rounded once, half-up.
    """

    list_value: Money
    migration_discount: Money
    reseller_discount: Money
    net: Money


class _Printer(Protocol):
    def text(self, text: str) -> None: ...


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


@attrs.frozen(slots=False)
class PackageDetails:
    """What an agency sees before adding or changing an account (rule A10).

    Attributes:
        selection: The plan quoted.
        label: The catalog's label (e.g. that its prices are samples).
        lines: The parts of the list value.
        list_value: The list price of one cycle, before any discount.
        migration_discount: Taken off the first charge(s) of a migrated account.
        reseller_discount: The agency's reseller rate times the list value.
        reseller_rate: The agency's rate.
        migration_rate: The migration discount's rate (zero when there is none).
        recurring: What each cycle costs: list value minus reseller discount.
        prorated: For a change mid-term billed now, its credit and charge; else None.
        change: The change quoted, if any.
        rule: The plan-change rule that applied, if any.
        effective_on: The day the plan takes effect (the change date, or the end of the
            current period for a change at the end of the term); None for a new account.
        due_today: What is paid today (never below zero; a larger credit stays credit).
        taxes_excluded: Always True: taxes are left to the host.
    """

    selection: PlanSelection
    label: str
    lines: tuple[PriceLine, ...]
    list_value: Money
    migration_discount: Money
    reseller_discount: Money
    reseller_rate: Decimal
    migration_rate: Decimal
    recurring: Money
    prorated: ProratedChange | None
    change: PlanChange | None
    rule: ChangeRule | None
    effective_on: date | None
    due_today: Money
    taxes_excluded: bool = True

    def _plan_text(self) -> str:
        s = self.selection
        parts = [f"{s.version} {s.product} {s.tier}"]
        if s.contacts is not None:
            parts.append(f"{s.contacts:,} contacts")
        if s.frequency is not None:
            parts.append(str(s.frequency))
        return ", ".join(parts)

    def steps(self) -> list[tuple[str, str]]:
        """Return the explanation as (step, figure) rows, in the order they are computed."""
        rows: list[tuple[str, str]] = [("Plan", self._plan_text())]
        rows.extend((f"  {line.label}", str(line.amount)) for line in self.lines)
        per = "year" if self.selection.frequency is Frequency.ANNUAL else "cycle"
        rows.append((f"List value per {per}", str(self.list_value)))
        if not self.migration_discount.is_zero():
            rows.append(
                (
                    f"- migration discount ({_pct(self.migration_rate)} of list value)",
                    str(-self.migration_discount),
                )
            )
        rows.append(
            (
                f"- reseller discount ({_pct(self.reseller_rate)} of list value)",
                str(-self.reseller_discount),
            )
        )
        first = self.list_value - self.migration_discount - self.reseller_discount
        if not self.migration_discount.is_zero():
            rows.append(("= first charge", str(first)))
        rows.append((f"Recurring per {per} (list value - reseller discount)", str(self.recurring)))
        if self.change is not None and self.rule is not None:
            change = self.change
            rows.append(
                (
                    "Change",
                    f"{self.rule.kind} from {change.current.version} {change.current.tier}, "
                    f"{self.rule.timing.replace('_', ' ')}, on {self.effective_on}",
                )
            )
            if self.prorated is not None:
                left = (change.period.end - change.on).days
                of = f"{left} of {change.period.days} days left in {change.period}"
                rows.append(
                    (f"  credit: unused {of} of {change.billed}", str(self.prorated.credit))
                )
                if self.rule.timing is ChangeTiming.NEW_TERM:
                    rows.append(("  charge: first cycle of a new term", str(self.prorated.charge)))
                else:
                    rows.append((f"  charge: {of} of {self.recurring}", str(self.prorated.charge)))
                rows.append(("  prorated net", str(self.prorated.net)))
        rows.append(("Due today (taxes excluded)", str(self.due_today)))
        return rows

    def explain(self) -> str:
        """Return a readable text that shows each step of the arithmetic."""
        rows = self.steps()
        width = max(len(step) for step, _ in rows)
        lines = [f"Package details — {self.label}"]
        lines.extend(f"{step.ljust(width)}  {figure}" for step, figure in rows)
        return "\n".join(lines)

    def _repr_pretty_(self, printer: _Printer, cycle: bool) -> None:
        printer.text("PackageDetails(...)" if cycle else self.explain())

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{html.escape(step)}</td><td style='text-align:right'>"
            f"{html.escape(figure)}</td></tr>"
            for step, figure in self.steps()
        )
        return (
            f"<table><caption>Package details — {html.escape(self.label)}</caption>{body}</table>"
        )
