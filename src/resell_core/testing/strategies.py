"""Hypothesis strategies for every domain type, in one module, grown with the domain."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from resell_core.money import Money
from resell_core.periods import Frequency, Period

__all__ = [
    "amounts",
    "currencies",
    "days",
    "frequencies",
    "money",
    "periods",
]

# -- foundation -------------------------------------------------------------------------

currencies = st.sampled_from(["USD", "EUR", "JPY", "BHD", "GBP"])
"""Currencies with 0, 2 and 3 minor-unit digits."""

frequencies = st.sampled_from(list(Frequency))

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
"""Calendar days, leap days and month ends included."""


def amounts(max_value: int = 10**9, places: int = 4) -> st.SearchStrategy[Decimal]:
    """Decimals with up to ``places`` decimal places, positive or negative."""
    return st.decimals(
        min_value=-max_value,
        max_value=max_value,
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


@st.composite
def money(draw: st.DrawFn, currency: str | None = None, min_value: int = -(10**9)) -> Money:
    """Money of ``currency`` (or a random one)."""
    code = currency if currency is not None else draw(currencies)
    value = draw(amounts())
    if value < min_value:
        value = Decimal(min_value)
    return Money(value, code)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    """Half-open periods of 1 to 400 days."""
    start = draw(days)
    return Period(start, start + timedelta(days=draw(st.integers(1, 400))))


# -- pricing ----------------------------------------------------------------------------

# -- lifecycle --------------------------------------------------------------------------

# -- billing ----------------------------------------------------------------------------

# -- portal -----------------------------------------------------------------------------
