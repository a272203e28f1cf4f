"""Money: an exact Decimal amount with an ISO 4217 currency.

Floats are refused (they cannot hold cents exactly). Arithmetic mixes only amounts of
one currency. Rounding happens only where a caller asks for it (:meth:`Money.rounded`,
:meth:`Money.scaled`), half-up to the currency's minor unit as babel knows it, under a
private decimal context, so that the ambient context never changes a figure.
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

from resell_core.errors import CurrencyMismatch, FloatNotAllowed, InvalidInput

__all__ = ["Amount", "Money", "Taken", "minor_unit_digits", "round_half_up"]

Amount: TypeAlias = Decimal | int | str
"""What an amount may be built from: never a float."""

_ZERO = Decimal(0)


class _Printer(Protocol):
    def text(self, text: str) -> None: ...


_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP, traps=[decimal.InvalidOperation])
"""The library's own arithmetic context: a caller's ambient context never changes a figure."""

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
        value: The exact value; a Fraction is rounded without an intermediate Decimal.
        digits: Decimal places to keep.

    Returns:
        The rounded Decimal with exactly ``digits`` places.
    """
    if type(value) is Decimal:
        return value.quantize(_quantum(digits), rounding=ROUND_HALF_UP, context=_CONTEXT)
    if isinstance(value, Fraction):
        scale = 10**digits
        magnitude = abs(value) * scale
        units = (magnitude.numerator * 2 + magnitude.denominator) // (2 * magnitude.denominator)
        signed = -units if value < 0 else units
        return _EXACT.scaleb(Decimal(signed), -digits)
    return Decimal(value).quantize(_quantum(digits), rounding=ROUND_HALF_UP, context=_CONTEXT)


@lru_cache(maxsize=64)
def _quantum(digits: int) -> Decimal:
    """The smallest step of an amount rounded to ``digits`` places (``0.01`` for 2)."""
    return Decimal(1).scaleb(-digits)


def _to_decimal(value: object) -> Decimal:
    """Return the amount as a Decimal. A finite Decimal, what arithmetic gives, is checked
    first and kept as it is: money is built for every sum, so that case must cost little."""
    if type(value) is Decimal and value.is_finite():
        return value
    if isinstance(value, bool):
        raise InvalidInput.one("money", "amount", "a boolean is not an amount")
    if isinstance(value, float):
        raise FloatNotAllowed(
            f"cannot build money from the float {value!r}: pass a str or Decimal such as "
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
                "money", "amount", f"{value!r} is not a number; write it like '12.50'"
            ) from None
    else:
        raise InvalidInput.one(
            "money", "amount", f"{type(value).__name__} is not an amount; use str, int or Decimal"
        )
    if not result.is_finite():
        raise InvalidInput.one("money", "amount", f"{value!r} is not a finite number")
    return result


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
            "money", "currency", f"{value!r} is not an ISO 4217 currency code (e.g. 'USD')"
        )
    _CHECKED_CURRENCIES[value] = code
    return code


@attrs.frozen(init=False, repr=False, order=False)
class Money:
    """An exact amount of one currency.

    Args:
        amount: A ``str``, ``int`` or ``Decimal``; a float raises :class:`FloatNotAllowed`.
        currency: An ISO 4217 code such as ``"USD"`` (case-insensitive).

    Example:
        >>> Money("10.00", "USD") + Money("2.5", "usd")
        Money('12.50', 'USD')
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: object, currency: object) -> None:
        # Money is built for every sum, so the usual cases are checked here without a
        # call: a finite Decimal (what arithmetic gives) is kept, an int is exact, a str
        # is parsed as _to_decimal parses it, a spelling of a currency checked before is
        # its code. Anything else, and every refusal, goes through _to_decimal and
        # _to_currency, amount first, so errors and their order are theirs.
        value: Decimal | None = None
        if type(amount) is Decimal:
            if amount.is_finite():
                value = amount
        elif type(amount) is int:
            value = Decimal(amount)
        elif type(amount) is str:
            try:
                value = Decimal(amount.strip())
            except decimal.InvalidOperation:
                value = None
            if value is not None and not value.is_finite():
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
        digits = minor_unit_digits(_to_currency(currency))
        return cls(Decimal(units).scaleb(-digits), currency)

    # -- inspection ---------------------------------------------------------------
    @property
    def digits(self) -> int:
        """Decimal places of the currency's minor unit."""
        return minor_unit_digits(self.currency)

    @property
    def minor_units(self) -> int:
        """The amount in whole minor units (cents), after rounding half-up."""
        return int(self.rounded().amount.scaleb(self.digits))

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
        return Money(self.amount.quantize(quantum, ROUND_HALF_UP, _CONTEXT), self.currency)

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
            # would be; an exponent beyond _EXACT's range takes the Fraction way.
            try:
                rounded = _multiply(self.amount, factor).quantize(
                    _quantum(digits), ROUND_HALF_UP, _EXACT
                )
            except (decimal.Overflow, decimal.Underflow):
                pass
            else:
                # The Fraction way never gives a negative zero (-0.001 * 1 is 0.00)
                return Money(rounded if rounded else rounded.copy_abs(), self.currency)
        exact = Fraction(self.amount) * Fraction(factor)
        return Money(round_half_up(exact, digits), self.currency)

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
        weights = [Fraction(r) for r in ratios]
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
        if parts < 1:
            raise InvalidInput.one("allocation", "parts", "split into at least one part")
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
        # Built through __init__ still: a sum of finite amounts can overflow _CONTEXT to
        # an infinity, which Money refuses as it always did.
        return Money(_add(self.amount, other.amount), self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency, "subtract")
        return Money(_subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money(_CONTEXT.minus(self.amount), self.currency)

    def __abs__(self) -> Money:
        return Money(_CONTEXT.abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, float):
            raise FloatNotAllowed("multiply money by an int or Decimal, never a float")
        if isinstance(factor, bool) or not isinstance(factor, (int, Decimal)):
            return NotImplemented
        return Money(_CONTEXT.multiply(self.amount, factor), self.currency)

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
            result = _CONTEXT.add(result, amount.amount)
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


class Taken(NamedTuple):
    """What :meth:`Money.take_from` took from each balance, and the rest none covered."""

    parts: tuple[Money, ...]
    """The part taken from each balance, in the order the balances were given."""
    rest: Money
    """What is left after every balance gave what it could (zero when they covered it)."""


_ZEROS: dict[str, Money] = {}
"""Zero of each currency spelling asked for: money is immutable, so one zero serves all."""
