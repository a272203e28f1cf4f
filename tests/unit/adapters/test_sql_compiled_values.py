"""Rows given as tuples of values reach the driver as the same rows given as dicts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import bindparam, create_engine, insert, update

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.compiled import compile_once

_SQLITE = create_engine("sqlite://").dialect
_POSTGRES = create_engine("postgresql+psycopg://").dialect
_CURSOR = (
    update(schema.accounts)
    .where(schema.accounts.c.id == bindparam("old_id"))
    .where(schema.accounts.c.status == "active")
    .values(paid_through=bindparam("paid"), version=bindparam("new_version"))
)
_EVENTS = insert(schema.events).inline()


@pytest.mark.parametrize("dialect", [_SQLITE, _POSTGRES], ids=["sqlite", "postgresql"])
def test_a_tuple_of_values_becomes_the_parameters_of_the_same_dict(dialect: object) -> None:
    """In any order of its columns, with dates to process and a value bound in the
    statement itself: the parameters are those the dict of the same values gives."""
    columns = ("new_version", "old_id", "paid")
    compiled = compile_once(_CURSOR, dialect, columns)  # type: ignore[arg-type]
    assert compiled is not None
    values = (7, "account-north-bakery", date(2024, 2, 29))

    convert = compiled.converter(columns)

    assert convert is not None
    assert convert(values) == compiled.parameters(dict(zip(columns, values, strict=True)))


def test_a_tuple_in_the_drivers_own_order_is_passed_as_it_is() -> None:
    """SQLite, the statement's own order and nothing to process: no conversion at all."""
    columns = ("agency_id", "subject", "data")
    compiled = compile_once(_EVENTS, _SQLITE, columns)
    assert compiled is not None
    assert compiled.names == columns

    assert compiled.converter(columns) is None


def test_a_parameter_without_a_value_is_refused() -> None:
    """A column of the statement missing from the tuple's columns is named at once, not
    sent to the driver as a placeholder."""
    compiled = compile_once(_EVENTS, _SQLITE, ("agency_id", "subject", "data"))
    assert compiled is not None

    with pytest.raises(ValueError, match="'data'"):
        compiled.converter(("agency_id", "subject"))
