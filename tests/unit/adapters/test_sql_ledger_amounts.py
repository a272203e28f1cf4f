"""Ledger amounts stored in millionths read back as the Decimals the ledger hands out."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from resell_core.adapters.sql.units import from_micro


def _scaled(amount: int) -> Decimal:
    value = Decimal(amount).scaleb(-6).normalize()
    return value if value.as_tuple().exponent <= 0 else value.quantize(Decimal(1))  # type: ignore[operator]


@given(
    st.one_of(
        st.integers(min_value=-(10**22), max_value=10**22).map(lambda n: n * 10**6),
        st.integers(min_value=-(10**28), max_value=10**28),
    )
)
def test_an_amount_reads_back_as_its_scaled_and_normalized_decimal(amount: int) -> None:
    """Whole credits (taken without scaling) and fractions alike: the same value, with the
    same digits and exponent, as scaling the millionths and normalizing them gives."""
    found = from_micro(amount)

    assert str(found) == str(_scaled(amount))
    assert found.as_tuple() == _scaled(amount).as_tuple()
