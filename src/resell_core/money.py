"""Money: an exact Decimal amount with an ISO 4217 currency.

Floats are refused (they cannot hold cents exactly). Arithmetic mixes only amounts of
one currency. Rounding happens only where a caller asks for it (:meth:`Money.rounded`,
:meth:`Money.scaled`), half-up to the currency's minor unit as babel knows it, under a
private decimal context, so that the ambient context never changes a figure.

Money holds amounts from 10**-24 to 10**24 in size, or zero (rule M1), so that nothing an
amount does can take unbounded time or memory. Arithmetic is exact or refused: an
amount, a sum, a product or a scaling beyond that range, or one that the library's
60-digit context cannot hold exactly, is refused with
:class:`~resell_core.errors.InvalidInput` naming ``amount``, never rounded. Two amounts
with at most 24 decimal places always add up exactly.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache, lru_cache
from typing import NamedTuple, Protocol, TypeAlias

import attrs
from babel.numbers import get_currency_precision, list_currencies

from resell_core.errors import CurrencyMismatch, FloatNotAllowed, InvalidInput, quoted

__all__ = [
    "LARGEST",
    "MOST_PARTS",
    "Amount",
    "Money",
    "Taken",
    "minor_unit_digits",
    "round_half_up",
]

Amount: TypeAlias = Decimal | int | str
"""What an amount may be built from: never a float."""

_ZERO = Decimal(0)


class _Printer(Protocol):
    def text(self, text: str) -> None: ...


_CONTEXT = decimal.Context(
    prec=60,
    rounding=ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow],
)
"""The library's own arithmetic context: a caller's ambient context never changes a figure,
and a sum, difference or product that 60 digits cannot hold exactly raises rather than
rounds (two amounts with at most 24 decimal places always add up exactly in it)."""

_ROUNDING = decimal.Context(prec=60, rounding=ROUND_HALF_UP, traps=[decimal.InvalidOperation])
"""Where rounding at a named point is meant: half-up, whatever the ambient context."""

_EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    rounding=ROUND_HALF_UP,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.Overflow, decimal.Underflow],
)
"""A context wide enough that a product or a rounding at a named point is exact whatever
the amount's digits (60 would round a longer product silently); an exponent beyond its
range raises instead of giving an infinity or a zero."""

# Bound once: a sum or a difference is on every line of a bill.
_add = _CONTEXT.add
_subtract = _CONTEXT.subtract
_multiply = _EXACT.multiply

LARGEST = Decimal(10) ** 24
"""The largest amount money holds, in size (M1): 10**24, a septillion."""

_FINEST_PLACES = 24
"""The most decimal places a rounding keeps: money's finest step is 10**-24."""

MOST_PARTS = 10_000
"""The most parts :meth:`Money.split` makes (M1): it builds every part, so a count is
bounded where a list of ratios for :meth:`Money.allocate` is already the caller's."""


def _beyond_range(value: Decimal | str) -> InvalidInput:
    """The refusal of an amount, or of a sum or product described by ``value``, too large
    or too small for money (a Decimal of a million digits is described, not written)."""
    shown = quoted(value) if isinstance(value, Decimal) else value
    return InvalidInput.one(
        "money",
        "amount",
        f"{shown} is beyond what money holds: amounts from 10**-24 to 10**24 in size, "
        "or zero; round it or split it",
    )


def _inexact(what: str) -> InvalidInput:
    return InvalidInput.one(
        "money",
        "amount",
        f"{what} needs more than 60 significant digits, or is beyond what money holds; "
        "round the amounts first",
    )


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@cache
def minor_unit_digits(currency: str) -> int:
    """Return how many decimal places the currency's minor unit has (USD 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(currency))


def round_half_up(value: Fraction | Decimal | int, digits: int) -> Decimal:
    """Round an exact value half-up (away from zero on a tie) to ``digits`` places.

    Args:
        value: The exact value, at most :data:`LARGEST` (10**24) in size; a Fraction is
            rounded without an intermediate Decimal.
        digits: Decimal places to keep, from 0 to 24 (the finest step money holds).

    Returns:
        The rounded Decimal with exactly ``digits`` places.

    Raises:
        FloatNotAllowed: When ``value`` is a float.
        InvalidInput: Naming ``value`` when it is not a Fraction, Decimal or int, not
            finite, or beyond :data:`LARGEST` in size; naming ``digits`` when it is not
            an int from 0 to 24.
    """
    if type(digits) is not int or not 0 <= digits <= _FINEST_PLACES:
        raise InvalidInput.one(
            "rounding", "digits", "give the places to keep as an int from 0 to 24"
        )
    if isinstance(value, float):
        raise FloatNotAllowed(f"round a Fraction, Decimal or int, never the float {quoted(value)}")
    if isinstance(value, Decimal):
        if value.is_finite() and (value.adjusted() < 24 or value.copy_abs() <= LARGEST):
            return value.quantize(_quantum(digits), rounding=ROUND_HALF_UP, context=_ROUNDING)
    elif isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        if -LARGEST <= value <= LARGEST:
            return _half_up(Fraction(value), digits)
    else:
        raise InvalidInput.one(
            "rounding",
            "value",
            f"{type(value).__name__} is not an exact value; use a Fraction, Decimal or int",
        )
    # The value is not in the message: a Fraction this large may have more digits than
    # str() writes of an int.
    raise InvalidInput.one(
        "rounding",
        "value",
        "the value is not finite or is beyond what money holds; round values of at most "
        "10**24 in size",
    )


def _half_up(value: Fraction, digits: int) -> Decimal:
    """Round ``value`` half-up to ``digits`` places with integers alone, whatever its size."""
    magnitude = abs(value) * 10**digits
    units = (magnitude.numerator * 2 + magnitude.denominator) // (2 * magnitude.denominator)
    return _EXACT.scaleb(Decimal(-units if value < 0 else units), -digits)


@lru_cache(maxsize=64)
def _quantum(digits: int) -> Decimal:
    """The smallest step of an amount rounded to ``digits`` places (``0.01`` for 2)."""
    return Decimal(1).scaleb(-digits)


def _to_decimal(value: object) -> Decimal:
    """Return the amount as a Decimal within money's range, or raise what is wrong with it."""
    if isinstance(value, bool):
        raise InvalidInput.one("money", "amount", "a boolean is not an amount")
    if isinstance(value, float):
        raise FloatNotAllowed(
            f"cannot build money from the float {quoted(value)}: pass a str or Decimal such as "
            f"'{value}' so that no cent is lost"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise InvalidInput.one(
                "money", "amount", f"{quoted(value)} is not a number; write it like '12.50'"
            ) from None
    else:
        raise InvalidInput.one(
            "money", "amount", f"{type(value).__name__} is not an amount; use str, int or Decimal"
        )
    if not result.is_finite():
        raise InvalidInput.one("money", "amount", f"{quoted(value)} is not a finite number")
    if not _held(result):
        raise _beyond_range(result)
    return result


def _held(value: Decimal) -> bool:
    """Tell whether a finite Decimal is an amount money holds (see :data:`LARGEST`)."""
    # An amount's size is its adjusted() exponent: money holds those from -24 (10**-24)
    # to 23 (below 10**24), 10**24 itself and zero. Two comparisons check it, where a
    # count of decimal places would need the digits: money is built for every sum.
    return -25 < value.adjusted() < 24 or not value or value.copy_abs() == LARGEST


_CHECKED_CURRENCIES: dict[str, str] = {}
"""Currency spellings already checked, mapped to their code: money is built very often."""


def _to_currency(value: object) -> str:
    """Return the ISO 4217 code of ``value``; a spelling checked before costs one look-up."""
    if type(value) is str:
        known = _CHECKED_CURRENCIES.get(value)
        if known is not None:
            return known
    if not isinstance(value, str):
        raise InvalidInput.one("money", "currency", "a currency is a 3-letter ISO 4217 code")
    code = value.strip().upper()
    if code not in _known_currencies():
        raise InvalidInput.one(
            "money", "currency", f"{quoted(value)} is not an ISO 4217 currency code (e.g. 'USD')"
        )
    _CHECKED_CURRENCIES[value] = code
    return code


@attrs.frozen(init=False, repr=False, order=False)
class Money:
    """An exact amount of one currency.

    Args:
        amount: A ``str``, ``int`` or ``Decimal`` from 10**-24 to :data:`LARGEST`
            (10**24) in size, or zero; a float raises :class:`FloatNotAllowed`, an amount
            beyond that range :class:`InvalidInput`.
        currency: An ISO 4217 code such as ``"USD"`` (case-insensitive).

    Example:
        >>> Money("10.00", "USD") + Money("2.5", "usd")
        Money('12.50', 'USD')
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: object, currency: object) -> None:
        # The usual cases are checked here without a call: a finite Decimal of a size
        # money holds is kept as it is, an int or a str of one is converted, a spelling
        # of a currency checked before is its code. Anything else, and every refusal,
        # goes through _to_decimal and _to_currency, amount first, so errors and their
        # order are theirs.
        value: Decimal | None = None
        if type(amount) is Decimal:
            value = amount
        elif type(amount) is int:
            value = Decimal(amount)
        elif type(amount) is str:
            try:
                value = Decimal(amount.strip())
            except decimal.InvalidOperation:
                value = None
        if value is not None and not (
            value.is_finite() and (-25 < value.adjusted() < 24 or _held(value))
        ):
            value = None
        code = _CHECKED_CURRENCIES.get(currency) if type(currency) is str else None
        self.__attrs_init__(
            value if value is not None else _to_decimal(amount),
            code if code is not None else _to_currency(currency),
        )

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return nothing of ``currency``."""
        zero = _ZEROS.get(currency) if type(currency) is str else None
        if zero is None:
            zero = _ZEROS[currency] = cls(_ZERO, currency)
        return zero

    @classmethod
    def of_minor(cls, units: int, currency: str) -> Money:
        """Build money from a count of minor units (cents): ``of_minor(1050, "USD")`` is 10.50."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidInput.one("money", "units", "count minor units with an int")
        digits = minor_unit_digits(_to_currency(currency))
        return cls(_ROUNDING.scaleb(Decimal(units), -digits), currency)

    # -- inspection ---------------------------------------------------------------
    @property
    def digits(self) -> int:
        """Decimal places of the currency's minor unit."""
        return minor_unit_digits(self.currency)

    @property
    def minor_units(self) -> int:
        """The amount in whole minor units (cents), after rounding half-up."""
        return int(_ROUNDING.scaleb(self.rounded().amount, self.digits))

    def is_zero(self) -> bool:
        """Tell whether the amount is zero."""
        return self.amount == 0

    def is_negative(self) -> bool:
        """Tell whether the amount is below zero."""
        return self.amount < 0

    def is_positive(self) -> bool:
        """Tell whether the amount is above zero."""
        return self.amount > 0

    # -- rounding -----------------------------------------------------------------
    def rounded(self) -> Money:
        """Round half-up to the currency's minor unit (a named rounding point)."""
        quantum = _quantum(minor_unit_digits(self.currency))
        return Money(self.amount.quantize(quantum, ROUND_HALF_UP, _ROUNDING), self.currency)

    def scaled(self, factor: Fraction | Decimal | int) -> Money:
        """Multiply by an exact factor and round once, half-up, to the minor unit.

        Args:
            factor: A Fraction (e.g. days left / days in the period), Decimal or int.

        Returns:
            The product, rounded to the currency's minor unit.
        """
        if isinstance(factor, float):
            raise FloatNotAllowed("scale money by a Fraction or Decimal, never a float")
        digits = minor_unit_digits(self.currency)
        if (type(factor) is Decimal and factor.is_finite()) or type(factor) is int:
            # The product of two finite Decimals has at most the digits of both, which
            # _EXACT holds, so it is the exact value, rounded once here as a Fraction
            # would be. Its size is checked before it is rounded: rounding 9E+999999 to
            # cents would write out a million digits.
            try:
                product = _multiply(self.amount, factor)
            except decimal.Overflow:
                raise _beyond_range(f"{self.amount} x {quoted(factor)}") from None
            except decimal.Underflow:
                product = _ZERO
            if product.adjusted() > 24:
                raise _beyond_range(product)
            rounded = product.quantize(_quantum(digits), ROUND_HALF_UP, _EXACT)
            # The Fraction way never gives a negative zero (-0.001 * 1 is 0.00)
            return Money(rounded if rounded else rounded.copy_abs(), self.currency)
        if not isinstance(factor, Fraction):
            raise InvalidInput.one(
                "money",
                "factor",
                f"{quoted(factor)} is not a factor; use a Fraction, Decimal or int",
            )
        exact = Fraction(self.amount) * factor
        if abs(exact) > LARGEST:
            raise _beyond_range(f"{self.amount} scaled by that Fraction")
        return Money(_half_up(exact, digits), self.currency)

    def allocate(self, ratios: Sequence[int | Decimal | Fraction]) -> list[Money]:
        """Split the rounded amount into parts proportional to ``ratios`` that add up exactly.

        Minor units left over by rounding down go one each to the parts with the largest
        remainders (ties to the earliest part), so the parts always sum to the whole.

        Args:
            ratios: Non-negative weights, not all zero.

        Returns:
            One part per ratio, in the same order.

        Raises:
            InvalidInput: When there are no ratios, one is negative, or all are zero.
        """
        if not ratios:
            raise InvalidInput.one("allocation", "ratios", "give at least one ratio")
        weights = [_ratio(r) for r in ratios]
        if any(w < 0 for w in weights) or sum(weights) == 0:
            raise InvalidInput.one(
                "allocation", "ratios", "ratios must be non-negative and not all zero"
            )
        total = self.minor_units
        sign = -1 if total < 0 else 1
        whole = abs(total)
        weight_sum = sum(weights)
        exact = [whole * w / weight_sum for w in weights]
        floors = [int(e) for e in exact]
        left = whole - sum(floors)
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:left]:
            floors[i] += 1
        return [Money.of_minor(sign * units, self.currency) for units in floors]

    def split(self, parts: int) -> list[Money]:
        """Split into ``parts`` near-equal amounts that add up exactly to the rounded whole."""
        if type(parts) is not int or not 1 <= parts <= MOST_PARTS:
            raise InvalidInput.one(
                "allocation",
                "parts",
                f"give the parts as an int from 1 to {MOST_PARTS:,}, or allocate a list of ratios",
            )
        return self.allocate([1] * parts)

    def take_from(self, balances: Iterable[Money]) -> Taken:
        """Take this amount from ``balances`` in their order: each gives what it holds
        until the amount is covered; what they do not cover is the rest.

        The split is exact: nothing is rounded, and the parts and the rest add up to the
        amount (amounts in minor units give parts in minor units). A balance below zero
        gives nothing; a negative amount takes nothing and leaves nothing. A part equal
        to what was still to take is that amount as written (``Money.min`` keeps its
        first argument on a tie).

        Args:
            balances: What each source holds, in the order they are drawn on; all of
                this amount's currency.

        Returns:
            The part taken from each balance, in the same order, and the rest.

        Raises:
            CurrencyMismatch: When a balance is of another currency.

        Example:
            >>> due = Money("50.00", "USD")
            >>> (earmarked, pool), card = due.take_from([Money("20", "USD"), Money("45", "USD")])
            >>> earmarked, pool, card
            (Money('20', 'USD'), Money('30.00', 'USD'), Money('0.00', 'USD'))
        """
        nothing = Money.zero(self.currency)
        rest = self.max(nothing)
        parts = []
        for balance in balances:
            part = rest.min(balance.max(nothing))
            parts.append(part)
            rest -= part
        return Taken(tuple(parts), rest)

    # -- arithmetic -----------------------------------------------------------------
    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency, "add")
        # Exact or refused: _CONTEXT raises where 60 digits cannot hold the sum, and
        # __init__ refuses a sum beyond the largest amount.
        try:
            amount = _add(self.amount, other.amount)
        except decimal.DecimalException:
            raise _inexact(f"{self.amount} + {other.amount}") from None
        return Money(amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency, "subtract")
        try:
            amount = _subtract(self.amount, other.amount)
        except decimal.DecimalException:
            raise _inexact(f"{self.amount} - {other.amount}") from None
        return Money(amount, self.currency)

    def __neg__(self) -> Money:
        return Money(_EXACT.minus(self.amount), self.currency)

    def __abs__(self) -> Money:
        return Money(_EXACT.abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, float):
            raise FloatNotAllowed("multiply money by an int or Decimal, never a float")
        if isinstance(factor, bool) or not isinstance(factor, (int, Decimal)):
            return NotImplemented
        try:
            amount = _CONTEXT.multiply(self.amount, factor)
        except decimal.DecimalException:
            raise _inexact(f"{self.amount} x {quoted(factor)}") from None
        return Money(amount, self.currency)

    __rmul__ = __mul__

    def _compared(self, other: object) -> Decimal:
        """Return the amount of ``other`` after checking it is money of the same currency.

        Decimal comparison is exact, so amounts are compared directly (no subtraction).
        """
        if not isinstance(other, Money):
            raise TypeError(f"cannot compare Money with {type(other).__name__}")
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency, "compare")
        return other.amount

    def __lt__(self, other: object) -> bool:
        return self.amount < self._compared(other)

    def __le__(self, other: object) -> bool:
        return self.amount <= self._compared(other)

    def __gt__(self, other: object) -> bool:
        return self.amount > self._compared(other)

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._compared(other)

    def min(self, other: Money) -> Money:
        """Return the smaller of two amounts of the same currency."""
        return self if self.amount <= self._compared(other) else other

    def max(self, other: Money) -> Money:
        """Return the larger of two amounts of the same currency."""
        return self if self.amount >= self._compared(other) else other

    @staticmethod
    def total(amounts: Iterable[Money], currency: str) -> Money:
        """Add up amounts of ``currency`` (an empty iterable is zero)."""
        code = _to_currency(currency)
        result = _ZERO
        for amount in amounts:
            if amount.currency != code:
                raise CurrencyMismatch(code, amount.currency, "add")
            try:
                result = _add(result, amount.amount)
            except decimal.DecimalException:
                raise _inexact(f"{result} + {amount.amount}") from None
        return Money(result, code)

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.currency} {self.rounded().amount}"

    # -- sums and truth, as numbers have them (N1) --------------------------------------
    def __bool__(self) -> bool:
        """Money is true when it is not zero, as a number is."""
        return bool(self.amount)

    def __radd__(self, other: object) -> Money:
        """Let ``sum()`` start from its ``0``: zero plus money is that money. Any other
        left operand is refused; ``sum(amounts, Money.zero(currency))`` also adds up an
        empty list, and mixed currencies raise :class:`CurrencyMismatch`."""
        if type(other) is int and other == 0:
            return self
        return NotImplemented

    # -- in a notebook (N1): display imports money, so it is imported when first shown --
    def _repr_html_(self) -> str:
        from resell_core.display import money_html  # noqa: PLC0415 - display imports money

        return money_html(self)

    def _repr_pretty_(self, printer: _Printer, cycle: bool) -> None:
        from resell_core.display import cell_text  # noqa: PLC0415 - display imports money

        printer.text(cell_text(self))


def _ratio(value: int | Decimal | Fraction) -> Fraction:
    """Return an allocation's ratio exactly, refusing what is not one: a Decimal ratio is of
    a size money holds (Fraction(Decimal("1E+999999999")) would build a billion digits)."""
    if isinstance(value, Fraction) or type(value) is int:
        return Fraction(value)
    if type(value) is Decimal and value.is_finite() and _held(value):
        return Fraction(value)
    raise InvalidInput.one(
        "allocation",
        "ratios",
        f"{quoted(value)} is not a ratio; use an int, a Fraction or a Decimal from 10**-24 to "
        "10**24 in size",
    )


class Taken(NamedTuple):
    """What :meth:`Money.take_from` took from each balance, and the rest none covered."""

    parts: tuple[Money, ...]
    """The part taken from each balance, in the order the balances were given."""
    rest: Money
    """What is left after every balance gave what it could (zero when they covered it)."""


_ZEROS: dict[str, Money] = {}
"""Zero of each currency spelling asked for: money is immutable, so one zero serves all."""
