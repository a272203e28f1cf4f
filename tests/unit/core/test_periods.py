"""Billing periods from the anchor: calendar edge cases, one per named test."""

from __future__ import annotations

from datetime import date

import pytest

import resell_core as rc
from resell_core.periods import add_months, periods_between


def test_monthly_anchor_on_the_31st_bills_feb_29_then_mar_31() -> None:
    """31 Jan 2024 -> 29 Feb -> 31 Mar: computed from the anchor, never chained."""
    anchor = date(2024, 1, 31)
    starts = [rc.nth_period(anchor, "monthly", n).start for n in range(4)]
    assert starts == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_monthly_anchor_on_the_31st_in_a_common_year_bills_feb_28() -> None:
    """31 Jan 2025 -> 28 Feb 2025 -> 31 Mar 2025."""
    anchor = date(2025, 1, 31)
    assert rc.nth_period(anchor, "monthly", 1) == rc.Period(date(2025, 2, 28), date(2025, 3, 31))


def test_annual_anchor_on_the_leap_day_bills_feb_28_in_common_years() -> None:
    """29 Feb 2024 -> 28 Feb 2025 -> ... -> 29 Feb 2028."""
    anchor = date(2024, 2, 29)
    assert rc.nth_period(anchor, "annual", 1).start == date(2025, 2, 28)
    assert rc.nth_period(anchor, "annual", 4).start == date(2028, 2, 29)
    assert rc.nth_period(anchor, rc.Frequency.ANNUAL, 0).days == 365


def test_period_is_half_open() -> None:
    """A period holds its start day and not its end day."""
    period = rc.Period(date(2024, 4, 11), date(2024, 5, 11))
    assert date(2024, 4, 11) in period
    assert date(2024, 5, 10) in period
    assert date(2024, 5, 11) not in period
    assert period.days == 30
    assert str(period) == "[2024-04-11, 2024-05-11)"


def test_period_must_end_after_it_starts() -> None:
    """An empty or reversed period is refused."""
    with pytest.raises(rc.InvalidInput):
        rc.Period(date(2024, 1, 2), date(2024, 1, 2))


def test_period_containing_finds_the_index_from_the_anchor() -> None:
    """30 Mar 2024 lies in period 1 of a 31 Jan anchor; 31 Mar starts period 2."""
    anchor = date(2024, 1, 31)
    assert rc.period_containing(anchor, "monthly", date(2024, 3, 30))[0] == 1
    assert rc.period_containing(anchor, "monthly", date(2024, 3, 31))[0] == 2
    assert rc.period_containing(anchor, "annual", date(2030, 6, 1))[0] == 6


def test_period_containing_refuses_a_day_before_the_anchor() -> None:
    """No period of a term holds a day before its anchor."""
    with pytest.raises(rc.InvalidInput):
        rc.period_containing(date(2024, 1, 31), "monthly", date(2024, 1, 30))


def test_nth_period_refuses_negative_indexes_and_unknown_frequencies() -> None:
    """Indexes start at 0; frequencies are monthly or annual, listed in the error."""
    with pytest.raises(rc.InvalidInput):
        rc.nth_period(date(2024, 1, 1), "monthly", -1)
    with pytest.raises(rc.InvalidInput) as caught:
        rc.nth_period(date(2024, 1, 1), "weekly", 0)
    assert caught.value.problems[0].allowed == ("monthly", "annual")


def test_periods_between_lists_every_period_starting_before_the_day() -> None:
    """From index 1 until 1 May 2024 on a 31 Jan anchor: periods 1, 2 and 3."""
    found = periods_between(date(2024, 1, 31), "monthly", 1, date(2024, 5, 1))
    assert [n for n, _ in found] == [1, 2, 3]


def test_prorate_vector_upgrade_20_to_30_on_apr_26() -> None:
    """$30 for [26 Apr, 11 May) of an 11 Apr - 11 May period is 15.00; $20 is 10.00."""
    period = rc.Period(date(2024, 4, 11), date(2024, 5, 11))
    assert rc.prorate(rc.Money("30", "USD"), period, date(2024, 4, 26)) == rc.Money("15.00", "USD")
    assert rc.prorate(rc.Money("20", "USD"), period, date(2024, 4, 26)) == rc.Money("10.00", "USD")


def test_prorate_counts_the_change_day_and_refuses_days_outside() -> None:
    """On the first day the whole amount is left; outside the period is refused."""
    period = rc.Period(date(2024, 2, 1), date(2024, 3, 1))
    assert rc.prorate(rc.Money("29", "USD"), period, date(2024, 2, 1)) == rc.Money("29.00", "USD")
    assert rc.prorate(rc.Money("29", "USD"), period, date(2024, 3, 1)).is_zero()
    with pytest.raises(rc.InvalidInput):
        rc.prorate(rc.Money("29", "USD"), period, date(2024, 3, 2))


def test_add_months_clamps_to_the_month_end_and_refuses_year_10000() -> None:
    """31 Jan + 1 month is 29 Feb 2024; a result past the year 9999 is refused."""
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    with pytest.raises(rc.InvalidInput):
        add_months(date(9999, 12, 1), 1)
