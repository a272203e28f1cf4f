"""Formatting of figures for people, kept apart from arithmetic; the locale is a parameter."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date as _babel_format_date
from babel.numbers import format_currency

from resell_core.money import Money

__all__ = ["format_date", "format_money"]


def format_money(money: Money, locale: str = "en_US") -> str:
    """Format money for a reader of ``locale``, rounded to the currency's minor unit.

    Example:
        >>> format_money(Money("1234.5", "EUR"), locale="it_IT")
        '1.234,50\\xa0€'
    """
    return str(format_currency(money.rounded().amount, money.currency, locale=locale))


def format_date(day: date, locale: str = "en_US", style: str = "medium") -> str:
    """Format a calendar date for a reader of ``locale``."""
    return str(_babel_format_date(day, format=style, locale=locale))
