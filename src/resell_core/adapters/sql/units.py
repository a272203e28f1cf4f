"""How the SQL storage keeps numbers it cannot store as they are, as integers.

Ledger quantities and balances are integer millionths of a credit or currency unit (the
database adds and checks them exactly; :func:`resell_core.ports.millionths` checks and
scales a movement's quantity); moments are microseconds since the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

__all__ = ["from_micro", "micros"]

_MICRO = 10**6
_EXACT = 10**27
"""Amounts below this scale and normalize exactly in the default decimal context."""


def from_micro(amount: int) -> Decimal:
    """The quantity ``amount`` millionths stand for, without trailing zeros."""
    if not amount % _MICRO and -_EXACT < amount < _EXACT:
        # Whole credits or units (most balances): the same Decimal, without scaling it.
        return Decimal(amount // _MICRO)
    value = Decimal(amount).scaleb(-6).normalize()
    return value if value.as_tuple().exponent <= 0 else value.quantize(Decimal(1))  # type: ignore[operator]


def micros(moment: datetime) -> int:
    """An aware moment as microseconds since the epoch."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _MICRO + delta.microseconds
