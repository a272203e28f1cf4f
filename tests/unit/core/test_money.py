"""Money: exact amounts with a currency, rounding only at named points."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest

import resell_core as rc
from resell_core.money import MOST_PARTS, round_half_up


def test_money_from_str_int_and_decimal_is_exact() -> None:
    """Amounts built from str, int and Decimal keep every digit."""
    assert rc.Money("10.10", "USD").amount == Decimal("10.10")
    assert rc.Money(7, "JPY").amount == Decimal(7)
    assert rc.Money(Decimal("0.005"), "BHD").amount == Decimal("0.005")


def test_money_from_float_is_a_type_error_and_a_resell_error() -> None:
    """A float is refused because it cannot hold cents exactly."""
    with pytest.raises(rc.FloatNotAllowed) as caught:
        rc.Money(0.1, "USD")
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, rc.ResellError)
    assert caught.value.code == "float_not_allowed"


@pytest.mark.parametrize("bad", ["twelve", "NaN", "Infinity", True, None])
def test_money_refuses_what_is_not_a_finite_amount(bad: object) -> None:
    """Words, NaN, infinities, booleans and None are not amounts."""
    with pytest.raises(rc.InvalidInput):
        rc.Money(bad, "USD")


def test_money_currency_is_normalised_and_checked() -> None:
    """Currency codes are upper-cased; unknown codes are refused with the field named."""
    assert rc.Money("1", "usd").currency == "USD"
    with pytest.raises(rc.InvalidInput) as caught:
        rc.Money("1", "XXQ")
    assert caught.value.problems[0].field == "currency"


def test_money_of_two_currencies_never_mixes() -> None:
    """Adding, subtracting or comparing USD with EUR raises CurrencyMismatch."""
    usd, eur = rc.Money("1", "USD"), rc.Money("1", "EUR")
    with pytest.raises(rc.CurrencyMismatch):
        _ = usd + eur
    with pytest.raises(rc.CurrencyMismatch):
        _ = usd - eur
    with pytest.raises(rc.CurrencyMismatch):
        _ = usd < eur


def test_money_minor_units_come_from_babel() -> None:
    """USD has 2 digits, JPY 0 and BHD 3."""
    assert rc.Money("1.005", "USD").rounded() == rc.Money("1.01", "USD")
    assert rc.Money("2.5", "JPY").rounded() == rc.Money("3", "JPY")
    assert rc.Money("1.0005", "BHD").rounded() == rc.Money("1.001", "BHD")
    assert rc.Money("12.34", "USD").minor_units == 1234


def test_money_rounding_is_half_up_away_from_zero() -> None:
    """A tie rounds away from zero, for credits as for charges."""
    assert rc.Money("0.125", "USD").rounded().amount == Decimal("0.13")
    assert rc.Money("-0.125", "USD").rounded().amount == Decimal("-0.13")
    assert rc.Money("0.124", "USD").rounded().amount == Decimal("0.12")


def test_money_rounding_ignores_the_ambient_decimal_context() -> None:
    """A caller's decimal context (precision, rounding) never changes a figure."""
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        assert rc.Money("123456.785", "USD").rounded().amount == Decimal("123456.79")
        assert rc.Money("1000", "USD").scaled(Fraction(1, 3)).amount == Decimal("333.33")


def test_money_scaled_rounds_once_from_an_exact_fraction() -> None:
    """Scaling by 15/30 of 20.00 is exactly 10.00; by 1/3 of 10.00 is 3.33."""
    assert rc.Money("20.00", "USD").scaled(Fraction(15, 30)) == rc.Money("10.00", "USD")
    assert rc.Money("10.00", "USD").scaled(Fraction(1, 3)) == rc.Money("3.33", "USD")
    assert rc.Money("10.00", "USD").scaled(Fraction(2, 3)) == rc.Money("6.67", "USD")


def test_money_scaled_by_a_rate_ignores_the_ambient_decimal_context() -> None:
    """A Decimal or int factor gives the same figure under a caller's 3-digit context."""
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        assert rc.Money("123456.78", "USD").scaled(Decimal("0.15")).amount == Decimal("18518.52")
        assert rc.Money("123456.785", "USD").scaled(3).amount == Decimal("370370.36")


def test_money_scaled_keeps_every_digit_of_a_long_product() -> None:
    """A product longer than any usual decimal precision is exact, not rounded to 60 digits."""
    widest = rc.Money("9" * 23 + "." + "9" * 24, "USD")
    assert widest.scaled(Decimal("0.5")).amount == Decimal("5" + "0" * 22 + ".00")
    assert widest.scaled(Fraction(1, 3)).amount == Decimal("3" * 23 + ".33")
    long_rate = rc.Money("12.34", "USD").scaled(Decimal("0." + "9" * 80 + "5"))
    # 12.34 x (1 - 5 x 10**-82) is 12.34 less a hair: it rounds back up to 12.34
    assert long_rate.amount == Decimal("12.34")


def test_money_scaled_never_gives_a_negative_zero() -> None:
    """A negative amount scaled to less than half a cent is 0.00, whatever the factor."""
    assert repr(rc.Money("-0.001", "USD").scaled(Decimal(1))) == "Money('0.00', 'USD')"
    assert repr(rc.Money("-0.001", "USD").scaled(1)) == "Money('0.00', 'USD')"
    assert repr(rc.Money("-0.001", "USD").scaled(Fraction(1))) == "Money('0.00', 'USD')"


LARGEST = "1" + "0" * 24
"""10**24, the largest amount money holds, written out."""


@pytest.mark.parametrize(
    "amount",
    [
        "1" + "0" * 24 + ".01",
        "-1" + "0" * 25,
        "1E+25",
        "9E+999999",
        Decimal("9E+999999999999999999"),
        10**24 + 1,
        -(10**70),
        "0." + "0" * 24 + "1",
        "-0." + "0" * 30 + "1",
        Decimal("1E-999999999999999999"),
        Decimal("1" * 70),
    ],
)
def test_M1_money_refuses_an_amount_beyond_its_range(amount: object) -> None:
    """An amount above 10**24 or, but for zero, below 10**-24 in size is refused as an
    amount, with a message that says what money holds."""
    with pytest.raises(rc.InvalidInput) as caught:
        rc.Money(amount, "USD")
    assert [p.field for p in caught.value.problems] == ["amount"]
    assert "amounts from 10**-24 to 10**24 in size, or zero" in str(caught.value)


@pytest.mark.parametrize(
    "amount",
    [
        LARGEST,
        "-" + LARGEST,
        "9" * 24 + "." + "9" * 24,
        "0." + "0" * 23 + "1",
        "-0.000",
        "0E-999999999",
        "1." + "1" * 100,
    ],
)
def test_M1_money_holds_every_amount_up_to_its_range(amount: str) -> None:
    """The edges of the range are amounts like any other: they print, round, count in
    minor units, negate and compare exactly."""
    money = rc.Money(amount, "USD")
    assert money.amount == Decimal(amount)
    assert str(money) == f"USD {money.rounded().amount}"
    assert money.minor_units == int(money.rounded().amount.scaleb(2, decimal.Context(prec=60)))
    assert (-money).amount == money.amount.copy_negate()
    assert abs(money).amount == money.amount.copy_abs()
    assert (money - money).is_zero()


def test_M1_money_arithmetic_beyond_the_range_or_60_digits_is_refused() -> None:
    """A sum, a difference, a product or a scaling past 10**24, or one that 60 significant
    digits cannot hold exactly, is refused as an amount: not rounded, not an infinity."""
    largest = rc.Money(LARGEST, "USD")
    cent = rc.Money("0.01", "USD")
    refusals: list[Callable[[], object]] = [
        lambda: largest + cent,
        lambda: -largest - cent,
        lambda: rc.Money.total([largest, cent], "USD"),
        lambda: largest * 2,
        lambda: cent * Decimal("1E-23"),
        lambda: cent * Decimal("1E+999999999999999999"),
        lambda: largest.scaled(Decimal("1.000000000000000000000001")),
        lambda: cent.scaled(Decimal("9E+999999999999999999")),
        lambda: cent.scaled(Fraction(10**30, 3)),
        lambda: cent.scaled(Fraction(10**10**4, 3)),
        lambda: rc.Money.of_minor(10**27, "USD"),
        lambda: rc.Money("1E+23", "USD") + rc.Money("1." + "1" * 40, "USD"),
        lambda: rc.Money("1E+23", "USD") - rc.Money("1." + "1" * 40, "USD"),
        lambda: rc.Money("1." + "1" * 40, "USD") * 10**30,
    ]
    for refused in refusals:
        with pytest.raises(rc.InvalidInput) as caught:
            refused()
        assert [p.field for p in caught.value.problems] == ["amount"]
    assert largest + (-cent) == rc.Money("9" * 24 + ".99", "USD")


def test_M1_money_scaled_by_a_vanishing_factor_is_zero() -> None:
    """A factor so small that no exponent holds the product scales to nothing, at once."""
    assert repr(rc.Money(LARGEST, "USD").scaled(Decimal("1E-999999999999999999"))) == (
        "Money('0.00', 'USD')"
    )


def test_M1_allocation_refuses_a_ratio_beyond_the_range() -> None:
    """A ratio beyond what money holds is refused before any arithmetic on it."""
    for ratio in (Decimal("1E+999999999999"), Decimal("1E-999999999999")):
        with pytest.raises(rc.InvalidInput) as caught:
            rc.Money("1", "USD").allocate([1, ratio])
        assert [p.field for p in caught.value.problems] == ["ratios"]


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1E+25"),
        Decimal("-" + "9" * 70),
        Decimal("NaN"),
        Decimal("-Infinity"),
        10**30,
        Fraction(10**30, 7),
        Fraction(-(10**10**4), 3),
    ],
)
def test_M1_round_half_up_refuses_a_value_beyond_money_range(value: object) -> None:
    """Rounding a value money could not hold, or no number at all, is refused as a value."""
    with pytest.raises(rc.InvalidInput) as caught:
        round_half_up(value, 2)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == ["value"]


@pytest.mark.parametrize(
    "digits", [-1, 25, 10**9, pytest.param(10**10**5, id="10**10**5"), True, "2", 2.0, None]
)
def test_M1_round_half_up_refuses_places_money_has_no_use_for(digits: object) -> None:
    """Places to keep are an int from 0 to 24, the finest step money holds."""
    with pytest.raises(rc.InvalidInput) as caught:
        round_half_up(Fraction(1, 3), digits)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == ["digits"]


def test_M1_round_half_up_refuses_what_is_not_an_exact_value() -> None:
    """A float is refused as money refuses it; a bool or a str is no exact value."""
    with pytest.raises(rc.FloatNotAllowed):
        round_half_up(0.1, 2)  # type: ignore[arg-type]
    for value in (True, "1.5", None):
        with pytest.raises(rc.InvalidInput) as caught:
            round_half_up(value, 2)  # type: ignore[arg-type]
        assert [p.field for p in caught.value.problems] == ["value"]


def test_M1_round_half_up_keeps_the_edges_of_money_range() -> None:
    """The largest amount and the finest step round like any other value."""
    assert round_half_up(Decimal(LARGEST), 2) == Decimal(LARGEST + ".00")
    assert round_half_up(10**24, 1) == Decimal(LARGEST + ".0")
    assert round_half_up(Fraction(-(10**24)), 0) == Decimal(-(10**24))
    assert round_half_up(Decimal("0." + "0" * 23 + "5"), 24) == Decimal("0." + "0" * 23 + "5")
    assert round_half_up(Fraction(5, 10**25), 24) == Decimal("0." + "0" * 23 + "1")


@pytest.mark.parametrize(
    "parts", [MOST_PARTS + 1, 10**12, pytest.param(10**10**5, id="10**10**5"), True, 2.0, "3", None]
)
def test_M1_split_refuses_more_parts_than_it_builds(parts: object) -> None:
    """A split builds every part, so it takes an int of parts up to MOST_PARTS, and
    refuses more at once instead of filling the memory."""
    with pytest.raises(rc.InvalidInput) as caught:
        rc.Money("10.00", "USD").split(parts)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == ["parts"]


def test_M1_split_into_the_most_parts_adds_up() -> None:
    """The largest split allowed still adds up exactly to the whole."""
    parts = rc.Money("1000.01", "USD").split(MOST_PARTS)
    assert len(parts) == MOST_PARTS
    assert rc.Money.total(parts, "USD") == rc.Money("1000.01", "USD")


def test_money_minor_units_ignore_the_ambient_decimal_context() -> None:
    """Minor units, both ways, are exact under a caller's 3-digit context."""
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        assert rc.Money("123.45", "USD").minor_units == 12345
        assert rc.Money.of_minor(123456, "USD") == rc.Money("1234.56", "USD")


def test_money_from_a_word_is_refused_when_the_ambient_context_does_not_trap() -> None:
    """Without the caller's InvalidOperation trap, a word still is not an amount."""
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.InvalidOperation] = False
        with pytest.raises(rc.InvalidInput) as caught:
            rc.Money("twelve", "USD")
    assert caught.value.problems[0].field == "amount"


def test_round_half_up_of_a_negative_fraction() -> None:
    """Negative exact values round away from zero on a tie."""
    assert round_half_up(Fraction(-1, 8), 2) == Decimal("-0.13")
    assert round_half_up(Fraction(-1, 3), 2) == Decimal("-0.33")


def test_money_multiplication_by_float_is_refused() -> None:
    """Multiplying or scaling by a float raises FloatNotAllowed."""
    with pytest.raises(rc.FloatNotAllowed):
        _ = rc.Money("1", "USD") * 1.5
    with pytest.raises(rc.FloatNotAllowed):
        rc.Money("1", "USD").scaled(0.5)  # type: ignore[arg-type]


def test_money_allocation_gives_leftover_cents_to_largest_remainders() -> None:
    """10.00 split three ways is 3.34 + 3.33 + 3.33."""
    parts = rc.Money("10.00", "USD").split(3)
    assert parts == [rc.Money("3.34", "USD"), rc.Money("3.33", "USD"), rc.Money("3.33", "USD")]


def test_money_allocation_refuses_empty_or_negative_ratios() -> None:
    """No ratios, a negative ratio, or all zeros cannot split anything."""
    for ratios in ([], [1, -1], [0, 0]):
        with pytest.raises(rc.InvalidInput):
            rc.Money("1", "USD").allocate(ratios)
    with pytest.raises(rc.InvalidInput):
        rc.Money("1", "USD").split(0)


def test_money_total_min_max_and_predicates() -> None:
    """Totals, min/max and sign predicates work within one currency."""
    amounts = [rc.Money("1.50", "EUR"), rc.Money("2.25", "EUR")]
    assert rc.Money.total(amounts, "EUR") == rc.Money("3.75", "EUR")
    assert rc.Money.total([], "EUR").is_zero()
    assert amounts[0].min(amounts[1]) == amounts[0]
    assert amounts[0].max(amounts[1]) == amounts[1]
    assert (-amounts[0]).is_negative()
    assert amounts[0].is_positive()
    assert abs(-amounts[0]) == amounts[0]
    assert 2 * amounts[0] == rc.Money("3.00", "EUR")


def test_money_repr_and_str_are_readable() -> None:
    """repr rebuilds the value; str shows the rounded amount with its currency."""
    assert repr(rc.Money("12.5", "USD")) == "Money('12.5', 'USD')"
    assert str(rc.Money("12.5", "USD")) == "USD 12.50"
    assert str(rc.Money.of_minor(1050, "JPY")) == "JPY 1050"


def test_format_money_uses_the_locale_given() -> None:
    """Formatting is babel's, for the locale passed in."""
    assert rc.format_money(rc.Money("1234.5", "EUR"), locale="it_IT") == "1.234,50\xa0€"
    assert rc.format_money(rc.Money("1234.5", "USD")) == "$1,234.50"


def test_money_arithmetic_ignores_the_ambient_decimal_context() -> None:
    """Sums, differences and products stay exact under a caller's 3-digit context."""
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        assert (rc.Money("1234.56", "USD") + rc.Money("0.01", "USD")).amount == Decimal("1234.57")
        assert (rc.Money("1234.56", "USD") - rc.Money("0.01", "USD")).amount == Decimal("1234.55")
        assert (rc.Money("1234.56", "USD") * 3).amount == Decimal("3703.68")
        total = rc.Money.total([rc.Money("999.99", "USD")] * 3, "USD")
        assert total.amount == Decimal("2999.97")


def test_money_total_refuses_another_currency() -> None:
    """A total of USD amounts with one EUR amount raises CurrencyMismatch."""
    with pytest.raises(rc.CurrencyMismatch):
        rc.Money.total([rc.Money("1", "USD"), rc.Money("1", "EUR")], "USD")


def test_money_take_from_draws_on_each_balance_in_order() -> None:
    """50.00 taken from 20 then 45 is 20 from the first, 30.00 from the second, no rest."""
    (first, second), rest = rc.Money("50.00", "USD").take_from(
        [rc.Money("20", "USD"), rc.Money("45", "USD")]
    )
    assert (first, second, rest) == (
        rc.Money("20", "USD"),
        rc.Money("30.00", "USD"),
        rc.Money("0", "USD"),
    )


def test_money_take_from_leaves_what_the_balances_do_not_cover() -> None:
    """100.00 from 30.00 and 50.00 takes both whole and leaves 20.00."""
    taken = rc.Money("100.00", "USD").take_from(
        [rc.Money("30.00", "USD"), rc.Money("50.00", "USD")]
    )
    assert taken.parts == (rc.Money("30.00", "USD"), rc.Money("50.00", "USD"))
    assert taken.rest == rc.Money("20.00", "USD")


def test_money_take_from_keeps_the_amount_as_written_on_a_tie() -> None:
    """A balance of exactly what is left gives that amount as the caller wrote it (96.00)."""
    taken = rc.Money("96.00", "USD").take_from([rc.Money("96", "USD")])
    assert repr(taken.parts[0]) == "Money('96.00', 'USD')"
    assert repr(taken.rest) == "Money('0.00', 'USD')"


def test_money_take_from_a_negative_balance_or_amount_takes_nothing() -> None:
    """A balance below zero gives nothing; a negative amount takes nothing, leaves nothing."""
    taken = rc.Money("10", "EUR").take_from([rc.Money("-5", "EUR"), rc.Money("4", "EUR")])
    assert taken == ((rc.Money("0", "EUR"), rc.Money("4", "EUR")), rc.Money("6", "EUR"))
    credit = rc.Money("-3", "EUR").take_from([rc.Money("4", "EUR")])
    assert credit == ((rc.Money("0", "EUR"),), rc.Money("0", "EUR"))


def test_money_take_from_no_balance_leaves_the_whole_amount() -> None:
    """With nothing to draw on, every part is absent and the rest is the amount."""
    assert rc.Money("12.50", "GBP").take_from([]) == ((), rc.Money("12.50", "GBP"))


def test_money_take_from_refuses_a_balance_of_another_currency() -> None:
    """Taking USD from a EUR balance raises CurrencyMismatch naming both."""
    with pytest.raises(rc.CurrencyMismatch) as caught:
        rc.Money("10", "USD").take_from([rc.Money("5", "USD"), rc.Money("5", "EUR")])
    assert (caught.value.left, caught.value.right) == ("EUR", "USD")


@pytest.mark.parametrize(
    "build",
    [
        lambda: rc.Money("1" * 1_000_000, "USD"),
        lambda: rc.Money("x" * 1_000_000, "USD"),
        lambda: rc.Money("1.00", "X" * 1_000_000),
        lambda: rc.Money("1.00", "USD").scaled(Decimal("9" * 100_000)),
        lambda: rc.Money("1.00", "USD") * Decimal("1." + "1" * 100_000),
        lambda: rc.Money("1.00", "USD") * 10**100_000,
        lambda: rc.Money("1.00", "USD").allocate([Decimal("1" * 100_000)]),
    ],
)
def test_M1_a_refusal_of_huge_input_has_a_short_message(build: Callable[[], object]) -> None:
    """A megabyte of digits or text, or an int of 100,000 digits, is refused with a
    message that quotes a few dozen characters of it."""
    with pytest.raises(rc.InvalidInput) as refused:
        build()

    assert len(str(refused.value)) < 400, str(refused.value)[:500]
