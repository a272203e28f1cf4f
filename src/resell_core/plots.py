"""Pictures of an agency's figures, drawn from plain records (rule N1).

Each function takes records (``to_records()`` of any listing, or rows a host made) and
returns a matplotlib ``Figure``, which a notebook shows as it is and a script saves with
``figure.savefig(...)``. No global pyplot state is touched. matplotlib is the optional
extra ``plot`` (``pip install 'resell-core[plot]'``); without it the functions raise
:class:`~resell_core.errors.MissingExtra`. Amounts become floats here only, to be drawn:
the records themselves keep exact Decimals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from resell_core.display import require
from resell_core.errors import InvalidInput, quoted
from resell_core.money import Money

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["monthly_spend", "over_time"]


def _amount(record: Mapping[str, object], key: str) -> Decimal:
    value = record.get(key)
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return Decimal(value)
    raise InvalidInput.one("plot", key, f"{quoted(value)} is not an amount (give Decimal or Money)")


def _day(record: Mapping[str, object], key: str) -> date:
    value = record.get(key)
    if not isinstance(value, date):
        raise InvalidInput.one("plot", key, f"{quoted(value)} is not a date")
    return value


def _currency(records: list[Mapping[str, object]]) -> str:
    codes = {str(r["currency"]) for r in records if r.get("currency")}
    return f" ({codes.pop()})" if len(codes) == 1 else ""


def _figure(what: str) -> Figure:
    figure_module = require("matplotlib.figure", "plot", what)
    figure: Figure = figure_module.Figure(figsize=(8, 4), layout="constrained")
    return figure


def monthly_spend(
    records: Iterable[Mapping[str, object]],
    *,
    by: str = "account_id",
    on: str = "issued_on",
    amount: str = "total",
    title: str = "Monthly spend by account",
) -> Figure:
    """Draw what was billed each month, in bars stacked by account.

    Args:
        records: One per invoice, e.g. ``portal.invoices(agency_id).to_records()``
            (leave out void invoices first if they should not count).
        by: The key the bars are stacked by.
        on: The key of each record's date (its calendar month is its bar).
        amount: The key of each record's amount (Decimal or Money).
        title: The figure's title.

    Returns:
        The figure, one bar per month that has a record, in order.

    Raises:
        MissingExtra: Without matplotlib (the ``plot`` extra).
        InvalidInput: When a record has no date or amount under those keys.
    """
    listed = list(records)
    spend: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for record in listed:
        month = _day(record, on).replace(day=1)
        spend[str(record.get(by))][month] += _amount(record, amount)
    months = sorted({month for per in spend.values() for month in per})
    figure = _figure("monthly_spend()")
    axes = figure.add_subplot()
    labels = [m.strftime("%Y-%m") for m in months]
    bottom = [0.0] * len(months)
    for group in sorted(spend):
        heights = [float(spend[group].get(m, Decimal(0))) for m in months]
        axes.bar(labels, heights, bottom=bottom, label=group)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_title(title)
    axes.set_ylabel(f"billed{_currency(listed)}")
    if spend:
        axes.legend(title=by, fontsize="small")
    return figure


def over_time(
    records: Iterable[Mapping[str, object]],
    *,
    on: str,
    amount: str,
    by: str | None = None,
    title: str = "",
) -> Figure:
    """Draw an amount over time as steps, one line per ``by`` value (a balance running
    down to zero, a month's charges).

    Args:
        records: Rows with a date and an amount.
        on: The key of each record's date.
        amount: The key of each record's amount (Decimal or Money).
        by: The key that splits the rows into lines (one line when None).
        title: The figure's title.

    Returns:
        The figure.

    Raises:
        MissingExtra: Without matplotlib (the ``plot`` extra).
        InvalidInput: When a record has no date or amount under those keys.
    """
    listed = list(records)
    lines: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for record in listed:
        name = "" if by is None else str(record.get(by))
        lines[name].append((_day(record, on), _amount(record, amount)))
    figure = _figure("over_time()")
    axes = figure.add_subplot()
    for name in sorted(lines):
        points = sorted(lines[name])
        days = [day for day, _ in points]
        values = [float(value) for _, value in points]
        axes.step(days, values, where="post", label=name or None)  # type: ignore[arg-type]
    axes.set_title(title)
    axes.set_ylabel(f"{amount}{_currency(listed)}")
    if by is not None and lines:
        axes.legend(title=by, fontsize="small")
    return figure
