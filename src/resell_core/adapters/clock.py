"""Clocks: the system's, and a manual one that tests and notebooks move by hand.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> clock = ManualClock(datetime(2024, 1, 31, 23, 30, tzinfo=UTC))
    >>> clock.advance(hours=1)
    >>> clock.today("UTC"), clock.today("America/New_York")
    (datetime.date(2024, 2, 1), datetime.date(2024, 1, 31))
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from resell_core.errors import InvalidInput, quoted

__all__ = ["ManualClock", "SystemClock"]


def _zone(tz: tzinfo | str) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (KeyError, ValueError) as error:
        raise InvalidInput.one(
            "time zone",
            "tz",
            f"{quoted(tz)} is not a known IANA time zone; use e.g. 'Europe/Paris'",
        ) from error


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput.one(
            "clock", "moment", "the time has no time zone; give an aware datetime (e.g. UTC)"
        )
    return moment


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """Return the current moment (aware, UTC)."""
        return datetime.now(UTC)

    def today(self, tz: tzinfo | str = "UTC") -> date:
        """Return today's date in ``tz`` (a tzinfo or an IANA name)."""
        return self.now().astimezone(_zone(tz)).date()


class ManualClock:
    """A clock that stands still until moved: replay a year of billing in milliseconds.

    Args:
        start: The moment it shows first (an aware datetime).

    Raises:
        InvalidInput: ``start`` has no time zone.
    """

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        """Return the moment the clock shows."""
        return self._now

    def today(self, tz: tzinfo | str = "UTC") -> date:
        """Return the date the clock shows in ``tz`` (a tzinfo or an IANA name)."""
        return self._now.astimezone(_zone(tz)).date()

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> None:
        """Move the clock forward by ``delta`` and/or the given amounts.

        Raises:
            InvalidInput: The move would go backwards (use :meth:`set` to go back).
        """
        step = (delta or timedelta()) + timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds
        )
        if step < timedelta():
            raise InvalidInput.one(
                "clock", "delta", "a clock only advances; use set() to go back in time"
            )
        self._now += step

    def set(self, moment: datetime | date) -> None:
        """Show ``moment`` from now on; a date means its midnight in UTC."""
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
        self._now = _aware(moment)
