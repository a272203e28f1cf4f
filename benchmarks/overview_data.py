"""Accounts for the overview benchmark, generated in the database by one set-based INSERT.

One large agency (``agency-acme``) and ``others`` smaller ones of ``each`` accounts, their
rows interleaved in the table (one ACME row, then ``others * each / big`` rows of the
others, and again), as a database that has grown for years would hold them, not one agency
after the other. Every row is the adapter's own encoding of one template account
(:func:`resell_core.adapters.sql.schema.account_columns` and the library's JSON), with
the account's number put in place of the template's in every text that holds it
(``account-0000000``, ``shop-0000000``) and its agency's id in place of the template's: the
row of account *i* is byte for byte what the adapter writes for
:func:`expected_account` (a test reads generated rows back through the storage). Two
accounts in five are expired, so that the status filter has work to do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
)

from resell_core.adapters.sql import SqlStorage, schema
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.serialization import to_json
from resell_core.testing.contracts.samples import ACME, an_account, an_agency

__all__ = ["Shape", "agency_of", "expected_account", "generate", "other_agency"]

_NUMBER = "0000000"
_TEMPLATE_AGENCY = ACME


@attrs.frozen
class Shape:
    """How many accounts, over which agencies.

    Attributes:
        big: Accounts of ``agency-acme``.
        others: How many other agencies.
        each: Accounts of each other agency.
    """

    big: int
    others: int = 0
    each: int = 0

    @property
    def total(self) -> int:
        """Every account of every agency."""
        return self.big + self.others * self.each

    @property
    def cycle(self) -> int:
        """Rows from one ACME row to the next (1 when ACME is alone)."""
        if self.others * self.each % self.big:
            raise ValueError("the other agencies' accounts must be a multiple of ACME's")
        return 1 + self.others * self.each // self.big


def other_agency(k: int) -> str:
    """Return the id of the k-th other agency."""
    return f"agency-{k:03d}"


def agency_of(shape: Shape, i: int) -> str:
    """Return the agency of account ``i`` (as the generating statement assigns it)."""
    if i % shape.cycle == 0:
        return ACME
    return other_agency((i // shape.cycle) % shape.others)


def _status(i: int) -> AccountStatus:
    return AccountStatus.EXPIRED if i % 5 in (2, 4) else AccountStatus.ACTIVE


def _account(i: int, agency_id: str, status: AccountStatus) -> Account:
    number = f"{i:07d}"
    return an_account(f"account-{number}", agency_id, f"shop-{number}", status=status)


def expected_account(shape: Shape, i: int) -> Account:
    """Return account ``i`` as the storage should read it back."""
    return _account(i, agency_of(shape, i), _status(i))


def _template(status: AccountStatus) -> dict[str, object]:
    account = _account(0, _TEMPLATE_AGENCY, status)
    row = schema.account_columns(account)
    row["data"] = to_json(account)
    return row


def _value(
    column: str, value: object, number: ColumnElement[str], agency: ColumnElement[str]
) -> ColumnElement[Any]:
    if value is None:
        return literal(None)
    if isinstance(value, str):
        expression: ColumnElement[str] = literal(value, Text())
        if _NUMBER in value:
            expression = func.replace(expression, _NUMBER, number)
        if _TEMPLATE_AGENCY in value:
            expression = func.replace(expression, _TEMPLATE_AGENCY, agency)
        return expression
    if isinstance(value, date):
        return bindparam(f"day_{column}", value, type_=Date())
    return literal(value, Integer())


_SECONDARY_INDEXES = text(
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
    "AND tablename = 'accounts' AND indexname NOT IN (SELECT conname FROM pg_constraint)"
)


def _statement(shape: Shape, postgres: bool) -> Any:
    """The ``INSERT ... SELECT`` of every account of the shape."""
    series: Any
    number: ColumnElement[str]
    other: ColumnElement[str]
    if postgres:
        series = (
            func.generate_series(0, shape.total - 1)
            .table_valued(literal_column("i", Integer))
            .render_derived()
        )
        i = series.c.i
        number = func.lpad(cast(i, Text()), 7, "0")
    else:
        start = select(literal(0, Integer()).label("i")).cte("series", recursive=True)
        series = start.union_all(select(start.c.i + 1).where(start.c.i < shape.total - 1))
        i = series.c.i
        number = func.printf("%07d", i)
    agency: ColumnElement[str] = literal(ACME, Text())
    if shape.others:
        k = (i // shape.cycle) % shape.others
        if postgres:
            other = literal("agency-", Text()).concat(func.lpad(cast(k, Text()), 3, "0"))
        else:
            other = func.printf("agency-%03d", k)
        agency = case((i % shape.cycle == 0, ACME), else_=other)
    active, expired = _template(AccountStatus.ACTIVE), _template(AccountStatus.EXPIRED)
    columns = list(active)
    values = []
    for column in columns:
        now = _value(column, active[column], number, agency)
        if active[column] == expired[column]:
            values.append(now.label(column))
            continue
        then = _value(column, expired[column], number, agency)
        values.append(case((i % 5 == 2, then), (i % 5 == 4, then), else_=now).label(column))
    return insert(schema.accounts).from_select(columns, select(*values).select_from(series))


def generate(storage: SqlStorage, shape: Shape) -> None:
    """Write the shape's agencies and accounts (into an empty schema) and analyse them."""
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency())
        for k in range(shape.others):
            uow.agencies.add(an_agency(other_agency(k)))
        uow.commit()
    postgres = storage.dialect == "postgresql"
    statement = _statement(shape, postgres)
    with storage.engine.begin() as connection:
        if postgres:
            # Indexes built once over the whole table are faster than a million inserts
            # into each; the constraints' own indexes stay.
            connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            indexes = connection.execute(_SECONDARY_INDEXES).all()
            for name, _ in indexes:
                connection.execute(text(f'DROP INDEX "{name}"'))
            connection.execute(statement)
            for _, definition in indexes:
                connection.execute(text(definition))
        else:
            connection.execute(statement)
    if postgres:
        with storage.engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.execute(text("VACUUM ANALYZE accounts"))
            autocommit.execute(text("ANALYZE agencies"))
    else:
        with storage.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
