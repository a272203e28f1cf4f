"""Billing frequencies, half-open periods and proration.

Period *n* of a term always starts at ``anchor + n months`` (or years), computed from the
anchor and never from the previous period: an anchor on the 31st bills on Feb 28/29 and
on Mar 31 again; an annual anchor on Feb 29 bills on Feb 28 in common years.
"""

from __future__ import annotations

import calendar
import enum
import functools
from datetime import date
from fractions import Fraction

import attrs

from resell_core.errors import InvalidInput, quoted
from resell_core.money import Money

__all__ = [
    "Frequency",
    "Period",
    "add_months",
    "nth_period",
    "period_containing",
    "periods_between",
    "prorate",
    "proration_fraction",
]


class Frequency(enum.StrEnum):
    """How often an account is billed (rule A11)."""

    MONTHLY = "monthly"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        """Months in one billing cycle."""
        return 1 if self is Frequency.MONTHLY else 12

    @classmethod
    def parse(cls, value: Frequency | str) -> Frequency:
        """Accept a Frequency or its plain string; anything else is refused with the choices."""
        try:
            return cls(value)
        except ValueError:
            raise InvalidInput.one(
                "frequency",
                "frequency",
                f"{quoted(value)} is not a billing frequency",
                [f.value for f in cls],
            ) from None


def _period_valid(instance: Period, _attribute: object, end: date) -> None:
    if end <= instance.start:
        raise InvalidInput.one(
            "period", "end", f"a period ends after it starts ({instance.start} to {end})"
        )


@attrs.frozen(order=True)
class Period:
    """The half-open interval of days ``[start, end)``.

    Example:
        >>> Period(date(2024, 4, 11), date(2024, 5, 11)).days
        30
    """

    start: date
    end: date = attrs.field(validator=_period_valid)

    @property
    def days(self) -> int:
        """How many days the period holds."""
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""Days in each month of a common year, January first."""


def add_months(day: date, months: int) -> date:
    """Return ``day`` plus whole months, the day of month clamped to the month's last day.

    The same calendar arithmetic as ``day + relativedelta(months=months)`` (31 Jan + 1
    month is 29 Feb in a leap year), done directly because billing computes it for every
    period of every account.

    Raises:
        InvalidInput: When the result falls outside the years 1 to 9999.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise InvalidInput.one("period", "months", f"{day} + {months} months is out of range")
    day_of_month = day.day
    if day_of_month > 28:
        # Only the 29th to the 31st can fall past a month's end (``calendar.monthrange``,
        # without its weekday computation).
        last = 29 if month == 1 and calendar.isleap(year) else _MONTH_DAYS[month]
        day_of_month = min(day_of_month, last)
    return date(year, month + 1, day_of_month)


_from_anchor = functools.lru_cache(maxsize=8192, typed=True)(add_months)
"""``add_months`` for period bounds: accounts share anchor days (a billing run computes the
same bounds for every account anchored on one day), so one answer serves many. Errors are
not kept: an out-of-range bound raises each time."""


def _shift(anchor: date, frequency: Frequency, n: int) -> date:
    return _from_anchor(anchor, frequency.months * n)


def _frequency(value: Frequency | str) -> Frequency:
    return value if type(value) is Frequency else Frequency.parse(value)


def _term_period(anchor: date, months: int, n: int) -> Period:
    return Period(_from_anchor(anchor, months * n), _from_anchor(anchor, months * (n + 1)))


_nth = functools.lru_cache(maxsize=8192, typed=True)(_term_period)
"""Period ``n`` of a term anchored on ``anchor`` with cycles of ``months``: a period is an
immutable value, so accounts anchored on one day (a billing run bills many) share one
instead of each building its own. Errors are not kept."""


@functools.lru_cache(maxsize=8192, typed=True)
def _nth_of(anchor: date, frequency: Frequency | str, n: int) -> Period:
    # nth_period's answers by the frequency as given: a hit costs one look-up, where
    # parsing the frequency and reading its months first cost two calls more (the billing
    # run checks each period it bills against its account's term).
    return _nth(anchor, _frequency(frequency).months, n)


def nth_period(anchor: date, frequency: Frequency | str, n: int) -> Period:
    """Return period ``n`` (0 is the first, starting at ``anchor``) of a term.

    Args:
        anchor: The day the term started.
        frequency: Monthly or annual.
        n: The period's index, counted from the anchor.

    Returns:
        ``[anchor + n cycles, anchor + (n + 1) cycles)``, each bound computed from the anchor.

    Example:
        >>> nth_period(date(2024, 1, 31), "monthly", 1)
        Period(start=datetime.date(2024, 2, 29), end=datetime.date(2024, 3, 31))
    """
    if n < 0:
        raise InvalidInput.one("period", "n", "period indexes start at 0")
    return _nth_of(anchor, frequency, n)


def period_containing(anchor: date, frequency: Frequency | str, day: date) -> tuple[int, Period]:
    """Return the index and the period of the term that contains ``day``.

    Raises:
        InvalidInput: When ``day`` is before the anchor.
    """
    if day < anchor:
        raise InvalidInput.one(
            "period", "day", f"{day} is before the term's anchor {anchor}; no period holds it"
        )
    freq = _frequency(frequency)
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    n = max(months // freq.months - 1, 0)
    while _shift(anchor, freq, n + 1) <= day:
        n += 1
    return n, nth_period(anchor, freq, n)


def periods_between(
    anchor: date, frequency: Frequency | str, first: int, until: date
) -> list[tuple[int, Period]]:
    """Return the periods from index ``first`` whose start is before ``until``, in order."""
    months = _frequency(frequency).months
    found: list[tuple[int, Period]] = []
    n = first
    while _from_anchor(anchor, months * n) < until:
        if n < 0:
            raise InvalidInput.one("period", "n", "period indexes start at 0")
        found.append((n, _nth(anchor, months, n)))
        n += 1
    return found


def proration_fraction(period: Period, on: date) -> Fraction:
    """Return the exact part of ``period`` left from ``on`` (inclusive) to its end.

    Raises:
        InvalidInput: When ``on`` is outside ``[period.start, period.end]``.
    """
    if not period.start <= on <= period.end:
        raise InvalidInput.one(
            "proration", "on", f"{on} is outside the period {period}; prorate within it"
        )
    return Fraction((period.end - on).days, period.days)


def prorate(amount: Money, period: Period, on: date) -> Money:
    """Return the part of ``amount`` for ``[on, period.end)``, exact, rounded once half-up.

    Example:
        >>> prorate(Money("30", "USD"), Period(date(2024, 4, 11), date(2024, 5, 11)),
        ...         date(2024, 4, 26))
        Money('15.00', 'USD')
    """
    return amount.scaled(proration_fraction(period, on))
