"""Statements compiled once write the parameters SQLAlchemy itself would write."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import bindparam, create_engine, update

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.compiled import compile_once

_ENGINE = create_engine("sqlite://")
_STATEMENT = (
    update(schema.accounts)
    .where(schema.accounts.c.id == bindparam("old_id"))
    .values(paid_through=bindparam("paid"))
)


def _sqlalchemy_processor() -> object:
    column_type = schema.accounts.c.paid_through.type
    return column_type.dialect_impl(_ENGINE.dialect).bind_processor(_ENGINE.dialect)


@given(st.one_of(st.none(), st.dates(), st.datetimes()))
def test_a_date_parameter_is_written_as_the_dialect_writes_it(value: date | None) -> None:
    """Dates, datetimes and None on SQLite: the compiled statement's parameter is what the
    dialect's own processor makes of it, asked once or many times."""
    compiled = compile_once(_STATEMENT, _ENGINE.dialect)
    assert compiled is not None
    process = _sqlalchemy_processor()
    assert callable(process)

    first = compiled.parameters({"paid": value, "old_id": "account-north"})
    again = compiled.parameters({"paid": value, "old_id": "account-north"})

    assert first == again == (process(value), "account-north")
