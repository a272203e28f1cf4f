"""The overview query (:class:`~resell_core.lifecycle.account_query.AccountQuery`) in SQL.

The translation follows :func:`~resell_core.lifecycle.account_query.run_query` rule by rule:

- text matching (``contains`` filters, the search) compares the ``*_folded`` columns,
  filled with :func:`~resell_core.lifecycle.account_query.fold` by the library, against the
  folded needle, so that the database's own case folding never matters; on PostgreSQL the
  search looks in the searched columns' folded copies joined one a line
  (:func:`~resell_core.adapters.sql.schema.search_text`, which its trigram index holds), on
  SQLite in each column;
- ``eq``/``in``/``before``/``after``/``contains`` never match NULL, ``ne`` is
  ``IS DISTINCT FROM``, ``is_null`` is ``IS [NOT] NULL``;
- text sorts by code point (the columns are ``COLLATE "C"`` on PostgreSQL, ``BINARY`` on
  SQLite); NULLs come last in both directions (said only for nullable columns, so that a
  NOT NULL column sorts by its index either way); the account id breaks ties;
- the keyset cursor selects the rows strictly after the position it encodes;
- the status filter ``expired`` also takes cancelled accounts whose ``expires_on`` is on or
  before today;
- the count stops at one more than ``COUNT_LIMIT`` (O11).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Select,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import UnaryExpression

from resell_core.adapters.sql.schema import accounts, search_text
from resell_core.lifecycle.account_query import (
    ALL_PLANS,
    COUNT_LIMIT,
    SEARCHED_COLUMNS,
    AccountQuery,
    ColumnValue,
    CursorPosition,
    Filter,
    FilterOp,
    OverviewColumn,
    SortKey,
    StatusFilter,
    fold,
)

__all__ = [
    "column_of",
    "count_statement",
    "estimate_statement",
    "estimated_rows",
    "page_statement",
    "where_clause",
]

_RENAMED = {
    OverviewColumn.PLAN: "tier",
    OverviewColumn.VERSION: "plan_version",
}


def column_of(column: OverviewColumn) -> ColumnElement[object]:
    """Return the table column that holds an overview column."""
    return accounts.c[_RENAMED.get(column, column.value)]


def _nullable(column: OverviewColumn) -> bool:
    return bool(accounts.c[_RENAMED.get(column, column.value)].nullable)


def _folded(column: OverviewColumn) -> ColumnElement[str]:
    return accounts.c[f"{column.value}_folded"]


def _contains(column: OverviewColumn, needle: str) -> ColumnElement[bool]:
    return _folded(column).contains(fold(needle), autoescape=True)


def _filter(item: Filter) -> ColumnElement[bool]:
    column = column_of(item.column)
    value = item.value
    op = item.op
    if op is FilterOp.IS_NULL:
        return column.is_(None) if value else column.is_not(None)
    if op is FilterOp.NE:
        return column.is_distinct_from(value)
    if op is FilterOp.EQ:
        return column == value
    if op is FilterOp.IN:
        return column.in_(value if isinstance(value, tuple) else (value,))
    if op is FilterOp.BEFORE:
        return column < value
    if op is FilterOp.AFTER:
        return column > value
    return _contains(item.column, str(value))


_TRIGRAM = re.compile(r"[^\W_]{3}")
"""Three letters or digits in a row: a search the trigram index can narrow."""


def _searched(needle: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql" and _TRIGRAM.search(fold(needle)):
        # One LIKE over the searched columns' lines (schema.search_text), which the
        # trigram index serves. A shorter search holds no trigram: the index would be
        # read whole for it, so it is said per column (below), which no index matches.
        return search_text().contains(fold(needle), autoescape=True)
    # SQLite has no index for it: one LIKE a column, each stopping at the first match,
    # costs less than building the joined text for every row.
    return or_(*(_contains(column, needle) for column in SEARCHED_COLUMNS))


def where_clause(
    agency_id: str, query: AccountQuery, today: date, dialect: str = "postgresql"
) -> ColumnElement[bool]:
    """Return the condition of the query's result before paging (its cursor aside), for
    the dialect (``"postgresql"`` or ``"sqlite"``: how the search is said)."""
    conditions: list[ColumnElement[bool]] = [accounts.c.agency_id == agency_id]
    status = query.status
    if status is StatusFilter.EXPIRED:
        conditions.append(
            or_(
                accounts.c.status == "expired",
                and_(accounts.c.status == "cancelled", accounts.c.expires_on <= today),
            )
        )
    elif status is not StatusFilter.ALL:
        conditions.append(accounts.c.status == status.value)
    if query.plan != ALL_PLANS:
        conditions.append(accounts.c.tier == query.plan)
    conditions.extend(_filter(item) for item in query.filters)
    if query.search is not None:
        conditions.append(_searched(query.search, dialect))
    return and_(*conditions)


def _after(key: SortKey, value: ColumnValue) -> ColumnElement[bool]:
    """Rows whose value of ``key`` sorts strictly after ``value`` (NULLs come last)."""
    column = column_of(key.column)
    if value is None:
        return false()
    beyond = column < value if key.descending else column > value
    return or_(beyond, column.is_(None))


def _same(key: SortKey, value: ColumnValue) -> ColumnElement[bool]:
    column = column_of(key.column)
    return column.is_(None) if value is None else column == value


def after_position(sort: Sequence[SortKey], position: CursorPosition) -> ColumnElement[bool]:
    """Return the keyset condition: rows sorting strictly after ``position``."""
    alternatives: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for key, value in zip(sort, position.values, strict=True):
        alternatives.append(and_(*equal, _after(key, value)) if equal else _after(key, value))
        equal.append(_same(key, value))
    alternatives.append(and_(*equal, accounts.c.id > position.account_id))
    return or_(*alternatives)


def _order(sort: Sequence[SortKey]) -> list[UnaryExpression[object]]:
    order: list[UnaryExpression[object]] = []
    for key in sort:
        column = column_of(key.column)
        direction = column.desc() if key.descending else column.asc()
        # A NOT NULL column needs no NULLS LAST, and on PostgreSQL an explicit one keeps
        # "DESC" from reading the (agency_id, column) index backwards: the whole matching
        # set would be sorted for one page.
        order.append(direction.nulls_last() if _nullable(key.column) else direction)
    order.append(accounts.c.id.asc())
    return order


def count_statement(condition: ColumnElement[bool]) -> Select[Any]:
    """Return the statement counting the accounts that match, up to one more than
    :data:`~resell_core.lifecycle.account_query.COUNT_LIMIT` (O11): the database stops
    reading at that many instead of counting the whole agency."""
    # A constant, not a column: on SQLite the matches are then counted from the overview's
    # index alone (schema.OVERVIEW_INDEX), which does not hold the account id.
    matching = select(literal_column("1")).where(condition).limit(COUNT_LIMIT + 1).subquery()
    return select(func.count()).select_from(matching)


def estimate_statement(condition: ColumnElement[bool], dialect: Dialect) -> tuple[str, Any]:
    """Return PostgreSQL's ``EXPLAIN`` of the uncounted statement and its parameters: the
    planner's estimate of how many accounts match, from its statistics, without reading
    them (O11)."""
    # Rendered whole ("expanding" lists such as a unit of work's own ids included), as the
    # statement is sent as text.
    compiled = (
        select(accounts.c.id)
        .where(condition)
        .compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    )
    return f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params


def estimated_rows(plan: object) -> int:
    """Return the row estimate of an ``EXPLAIN (FORMAT JSON)`` answer."""
    found = plan[0]["Plan"]["Plan Rows"] if isinstance(plan, list) else 0
    return int(found)


def page_statement(
    condition: ColumnElement[bool], query: AccountQuery, extra: int = 0
) -> Select[Any]:
    """Return the statement of one page: ``limit + 1 + extra`` rows after the cursor.

    One row more than the page tells whether there is a next page; ``extra`` rows more
    make room for rows the caller drops (its own uncommitted changes).
    """
    position = query.position()
    keyset = true() if position is None else after_position(query.sort, position)
    return (
        select(accounts.c.id, accounts.c.data, accounts.c.version)
        .where(condition, keyset)
        .order_by(*_order(query.sort))
        .limit(query.limit + 1 + extra)
    )
