"""Faster JSON paths give the reference's text, values and errors, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resell_core import serialization
from resell_core.serialization import _loads


def _reference_loads(text: str | bytes) -> object:
    return json.loads(text, parse_float=Decimal)


def _outcome(call: Callable[..., object], *args: object) -> tuple[str, object]:
    """What a call gives: ("value", value) or ("error", (type, message))."""
    try:
        return "value", call(*args)
    except Exception as exc:
        return "error", (type(exc), str(exc))


_JSON_TEXTS = st.one_of(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=8,
    ).map(lambda value: json.dumps(value, default=str)),
    st.sampled_from(
        ['{"amount": 12.50}', "\ufeff{}", "{north-bakery", "", "[1, 2", "NaN", '"\\ud800"']
    ),
    st.text(max_size=12),
)


@given(text=_JSON_TEXTS, as_bytes=st.booleans())
def test_reading_json_gives_what_json_loads_with_decimal_floats_gives(
    text: str, as_bytes: bool
) -> None:
    """The decoder built once reads every text (or bytes) as json.loads(parse_float=Decimal)."""
    data: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text

    assert _outcome(_loads, data) == _outcome(_reference_loads, data)


def test_a_json_float_is_still_read_as_an_exact_decimal() -> None:
    """A fraction in stored JSON is a Decimal, never a float."""
    assert serialization._loads('{"rate": 0.15}') == {"rate": Decimal("0.15")}


def test_a_byte_order_mark_is_refused_as_json_loads_refuses_it() -> None:
    """Text starting with a byte order mark is refused with json's own message."""
    with pytest.raises(json.JSONDecodeError, match="BOM"):
        _loads('\ufeff{"id": "north-bakery"}')
