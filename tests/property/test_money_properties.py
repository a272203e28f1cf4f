"""Properties of Money and periods, checked over generated values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

import resell_core as rc
from resell_core.money import LARGEST, minor_unit_digits
from resell_core.periods import add_months
from resell_core.testing import strategies as rs


@given(rs.money(currency="USD"), rs.money(currency="USD"), rs.money(currency="USD"))
def test_addition_is_associative_and_commutative(a: rc.Money, b: rc.Money, c: rc.Money) -> None:
    """Exact Decimal addition does not depend on order or grouping."""
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a - a == rc.Money.zero("USD")


def _half_up(exact: Fraction, digits: int) -> Decimal:
    """The oracle: ``exact`` to ``digits`` places, a tie away from zero, written out."""
    units = (abs(exact) * 10**digits + Fraction(1, 2)).__floor__()
    sign = "-" if exact < 0 and units else ""
    return Decimal(f"{sign}{units}E-{digits}")


@given(
    st.one_of(rs.money(), st.builds(rc.Money, rs.wide_decimals(), rs.currencies)),
    rs.scale_factors,
)
def test_scaled_is_the_exact_product_rounded_once_half_up(
    amount: rc.Money, factor: Fraction | Decimal | int
) -> None:
    """Scaling equals the Fraction product rounded half-up, digit for digit, however long;
    a product beyond what money holds is refused as an amount (M1)."""
    expected = _half_up(
        Fraction(amount.amount) * Fraction(factor), minor_unit_digits(amount.currency)
    )
    if abs(expected) > LARGEST:
        with pytest.raises(rc.InvalidInput) as refused:
            amount.scaled(factor)
        assert [p.field for p in refused.value.problems] == ["amount"]
        return
    scaled = amount.scaled(factor)
    assert scaled.currency == amount.currency
    assert scaled.amount.as_tuple() == expected.as_tuple()


@given(rs.money(), st.lists(st.integers(0, 1000), min_size=1, max_size=12))
def test_allocation_parts_add_up_exactly(total: rc.Money, ratios: list[int]) -> None:
    """However it is split, the parts add up to the rounded whole."""
    if sum(ratios) == 0:
        ratios[0] = 1
    parts = total.allocate(ratios)
    assert len(parts) == len(ratios)
    assert rc.Money.total(parts, total.currency) == total.rounded()
    units = [p.minor_units for p in parts]
    assert max(units) - min(units) <= abs(total.minor_units) or len(parts) == 1


@given(rs.money(currency="USD"), rs.periods(), st.data())
def test_proration_left_plus_used_is_the_whole(
    amount: rc.Money, period: rc.Period, data: st.DataObject
) -> None:
    """The exact parts left and used add up to the whole; each rounded part is off by < 1 cent."""
    on = period.start + timedelta(days=data.draw(st.integers(0, period.days)))
    left = rc.proration_fraction(period, on)
    used = Fraction((on - period.start).days, period.days)
    assert left + used == 1
    rounded_left = rc.prorate(amount, period, on)
    exact_left = Fraction(amount.amount) * left
    assert abs(Fraction(rounded_left.amount) - exact_left) <= Fraction(1, 200)


@given(rs.days, rs.frequencies, st.integers(0, 120))
def test_consecutive_periods_meet_without_gap_or_overlap(
    anchor: date, frequency: rc.Frequency, n: int
) -> None:
    """Period n ends where period n + 1 starts; both follow the anchor formula."""
    this, following = rc.nth_period(anchor, frequency, n), rc.nth_period(anchor, frequency, n + 1)
    assert this.end == following.start
    assert rc.period_containing(anchor, frequency, this.start) == (n, this)
    assert rc.period_containing(anchor, frequency, this.end - timedelta(days=1)) == (n, this)


@given(rs.days, st.integers(-1200, 1200))
def test_add_months_matches_relativedelta(day: date, months: int) -> None:
    """The billing calendar's month arithmetic is dateutil's, clamped to the month end."""
    assert add_months(day, months) == day + relativedelta(months=months)


@given(st.data(), rs.currencies)
def test_take_from_covers_in_order_and_adds_up_exactly(data: st.DataObject, code: str) -> None:
    """Parts and rest add up to the amount (none below zero), no part exceeds its balance,
    and a balance gives anything only once every earlier one gave all it holds."""
    amount = data.draw(rs.money(currency=code))
    balances = data.draw(st.lists(rs.money(currency=code), max_size=4))
    taken = amount.take_from(balances)
    nothing = rc.Money.zero(code)
    assert len(taken.parts) == len(balances)
    assert rc.Money.total([*taken.parts, taken.rest], code) == amount.max(nothing)
    held = [balance.max(nothing) for balance in balances]
    for index, (part, holds) in enumerate(zip(taken.parts, held, strict=True)):
        assert nothing <= part <= holds
        if part.is_positive():
            assert taken.parts[:index] == tuple(held[:index])
    if taken.rest.is_positive():
        assert taken.parts == tuple(held)


@given(rs.money())
def test_N1_money_is_true_exactly_when_it_is_not_zero(amount: rc.Money) -> None:
    """``bool()`` of money is "not zero", as for numbers, whatever its digits."""
    assert bool(amount) is (not amount.is_zero())
    assert bool(amount) is bool(amount.amount)
    assert not rc.Money("0.000", amount.currency)


@given(rs.currencies, st.data())
def test_N1_sum_of_money_is_its_total_from_zero_or_from_a_zero_of_the_currency(
    code: str, data: st.DataObject
) -> None:
    """``sum()`` from its 0, or from ``Money.zero``, adds up to ``Money.total``; an empty
    list needs the zero of its currency."""
    amounts = data.draw(st.lists(rs.money(currency=code), max_size=8))
    total = rc.Money.total(amounts, code)
    assert sum(amounts, rc.Money.zero(code)) == total
    if amounts:
        assert sum(amounts) == total
    else:
        assert sum(amounts) == 0


@given(st.data())
def test_N1_sum_of_money_refuses_mixed_currencies(data: st.DataObject) -> None:
    """Adding money of two currencies raises the currency error, from 0 or from a zero."""
    left, right = data.draw(st.lists(rs.currencies, min_size=2, max_size=2, unique=True))
    amounts = [data.draw(rs.money(currency=left)), data.draw(rs.money(currency=right))]
    with pytest.raises(rc.CurrencyMismatch):
        sum(amounts)
    with pytest.raises(rc.CurrencyMismatch):
        sum(amounts[1:], rc.Money.zero(left))


@given(rs.money(), st.one_of(st.integers(1, 10**6), st.decimals(allow_nan=False), st.text()))
def test_N1_only_the_integer_zero_can_stand_left_of_money(amount: rc.Money, other: object) -> None:
    """``0 + money`` is the money (what ``sum`` starts with); any other left operand is a
    TypeError, as before."""
    assert 0 + amount is amount
    with pytest.raises(TypeError):
        other + amount
