"""The SQL storage's statements, each built once and reused (and so compiled once).

The reads and writes of a versioned table (by id, clashes, pages, updates, the cursor's
update), of a keyed table (get, insert, upsert, delete) and of the ledger (balances,
movements); reads of many keys at once give them as a padded ``IN`` list or, on
PostgreSQL, one array parameter (:func:`among`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.compiled import ADD, KEY, ONE_OF, SET, padded
from resell_core.adapters.sql.specs import Spec

__all__ = [
    "CHUNK",
    "KeyedStatements",
    "LedgerStatements",
    "VersionedStatements",
    "alike_update",
    "among",
    "among_ids_statement",
    "among_params",
    "among_size",
    "balances_statement",
    "keyed_statements",
    "ledger_statements",
    "select_statement",
    "versioned_statements",
]


@attrs.frozen(eq=False)
class VersionedStatements:
    """The statements of one versioned table, built once and reused (compiled once)."""

    by_id: Any
    clashes: Any
    insert: Any
    update: Any
    delete: Any
    fixed: Any
    unique: Mapping[str, Any]
    set_names: tuple[tuple[str, str], ...]
    """Each column the update sets, with its parameter's name."""
    cursor_update: Any
    """The update of the cursor's columns alone (None without a cursor)."""
    cursor_columns: tuple[str, ...]
    """The parameters of ``cursor_update``, in the order of :meth:`VersionedRows._cursor_values`."""
    cursor_roles: tuple[tuple[str, str], ...]
    """Each of those parameters' column and role, for the update of many rows as one
    statement (``compiled.updates_at_once``); empty when the table has fixed columns."""


@functools.cache
def versioned_statements(spec: Spec[Any]) -> VersionedStatements:
    table = spec.table
    fixed = [table.c[k] == v for k, v in spec.fixed.items()]
    key = table.c.id == bindparam("id")
    claims = [
        and_(*(table.c[c] == bindparam(f"c_{c}") for c in spec.unique_columns(name)))
        for name in spec.errors
    ]
    row_columns = [c.name for c in table.columns if c.name not in ("id", *spec.fixed)]
    old = (table.c.id == bindparam("old_id"), table.c.version == bindparam("old_version"))
    read = [table.c[c] for c in spec.read_columns]
    unique = {}
    for name in spec.errors:
        columns = spec.unique_columns(name)
        if len(columns) == 1:
            unique[name] = select(*read).where(*fixed, table.c[columns[0]] == bindparam("wanted"))
    cursor_update = None
    cursor_columns: tuple[str, ...] = ()
    cursor_roles: tuple[tuple[str, str], ...] = ()
    if spec.cursor is not None:
        # Its columns: the cursor's, those derived from it, the version.
        names = [*spec.cursor.columns, "version"]
        cursor_update = (
            update(table).where(*fixed, *old).values({n: bindparam(f"new_{n}") for n in names})
        )
        cursor_columns = (*(f"new_{n}" for n in names), "old_id", "old_version")
        if not spec.fixed:
            cursor_roles = (*((n, SET) for n in names), ("id", ONE_OF), ("version", KEY))
    return VersionedStatements(
        by_id=select(*read).where(*fixed, key),
        clashes=select(table.c.id, *read).where(*fixed, or_(key, *claims)),
        insert=insert(table).inline(),
        update=update(table)
        .where(*fixed, *old)
        .values({n: bindparam(f"new_{n}") for n in row_columns}),
        delete=delete(table).where(*fixed, *old),
        fixed=and_(true(), *fixed),
        unique=unique,
        set_names=tuple((n, f"new_{n}") for n in row_columns),
        cursor_update=cursor_update,
        cursor_columns=cursor_columns,
        cursor_roles=cursor_roles,
    )


@functools.cache
def among_ids_statement(spec: Spec[Any], size: int | None, *, lock: bool) -> Any:
    """Return the read of the rows among a list of ids (parameters ``ids``, see
    :func:`among`), by id, with their id; with ``lock``, locked ``FOR UPDATE`` in id
    order (PostgreSQL)."""
    table = spec.table
    fixed = [table.c[k] == v for k, v in spec.fixed.items()]
    statement = (
        select(table.c.id, *(table.c[c] for c in spec.read_columns))
        .where(*fixed, among(table.c.id, "ids", size))
        .order_by(table.c.id)
    )
    return statement.with_for_update() if lock else statement


CHUNK = 500
"""Keys a batched read asks for in one statement."""


@functools.cache
def select_statement(
    spec: Spec[Any],
    condition: ColumnElement[bool],
    *,
    after: bool,
    limit: bool,
    order: tuple[Any, ...],
    lock: bool,
) -> Any:
    """Return the read of :meth:`VersionedRows.select` for a condition built once (parameters
    ``after_id`` and ``limit`` besides the condition's own)."""
    table = spec.table
    statement = select(*(table.c[c] for c in spec.read_columns)).where(
        versioned_statements(spec).fixed, condition
    )
    if after:
        statement = statement.where(table.c.id > bindparam("after_id"))
    statement = statement.order_by(*order, table.c.id)
    if limit:
        statement = statement.limit(bindparam("limit"))
    if lock:
        statement = statement.with_for_update(skip_locked=True)
    return statement


@functools.cache
def balances_statement(size: int | None) -> Any:
    """Return the read of one agency's balances of one kind in a list of wallets (``size``
    as in :func:`among`)."""
    b = schema.balances.c
    return select(b.wallet, b.amount).where(
        b.agency_id == bindparam("agency_id"),
        b.kind == bindparam("kind"),
        among(b.wallet, "w", size),
    )


def among(column: Any, name: str, size: int | None) -> ColumnElement[bool]:
    """``column`` among a list of values: ``size`` parameters ``<name>_<n>`` (an ``IN``
    list, padded by :func:`padded`), or with ``size`` None one array parameter ``<name>``
    (``= ANY``: PostgreSQL plans it once for any number of values, where a list of a
    hundred parameters was planned again at every page)."""
    if size is None:
        return column == any_(bindparam(name, type_=postgresql.ARRAY(_element(column))))  # type: ignore[no-any-return]
    return column.in_([bindparam(f"{name}_{j}") for j in range(size)])  # type: ignore[no-any-return]


def _element(column: Any) -> type[Integer] | type[Text]:
    """The element type of an array of ``column``'s values."""
    return Integer if isinstance(column.type, Integer) else Text


def among_params(name: str, values: Sequence[object], *, array: bool) -> dict[str, object]:
    """Return the parameters of :func:`among` for ``values`` (an array, or padded)."""
    if array:
        return {name: list(values)}
    return _numbered(f"{name}_", padded(values))


def among_size(values: Sequence[object], *, array: bool) -> int | None:
    """Return the size of :func:`among`'s list for ``values`` (None for an array)."""
    return None if array else len(padded(values))


def _numbered(prefix: str, values: Sequence[object]) -> dict[str, object]:
    return dict(zip(_numbered_names(prefix, len(values)), values, strict=True))


@functools.cache
def _numbered_names(prefix: str, size: int) -> tuple[str, ...]:
    # A few prefixes and sizes (powers of two, see padded): named once, not at every page.
    return tuple(f"{prefix}{j}" for j in range(size))


@attrs.frozen(eq=False)
class KeyedStatements:
    """The statements of one keyed table, built once and reused (compiled once)."""

    get: Any
    insert: Any
    upsert: Any
    delete: Any


@functools.cache
def keyed_statements(table: Table, key_columns: tuple[str, ...], dialect: str) -> KeyedStatements:
    keys = [table.c[k] == bindparam(f"k_{k}") for k in key_columns]
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    data = {c.name: upsert.excluded[c.name] for c in table.columns if c.name not in key_columns}
    return KeyedStatements(
        get=select(table.c.data).where(*keys),
        insert=insert(table).inline(),
        upsert=upsert.on_conflict_do_update(index_elements=list(key_columns), set_=data),
        delete=delete(table).where(*keys),
    )


@attrs.frozen(eq=False)
class LedgerStatements:
    """The ledger's statements, built once per dialect."""

    balance: Any
    by_id: Any
    known: Any
    insert: Any
    add: Any
    spend: Any


@functools.cache
def ledger_statements(dialect: str) -> LedgerStatements:
    b = schema.balances.c
    m = schema.movements.c
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(schema.balances)
    return LedgerStatements(
        balance=select(b.amount).where(
            b.agency_id == bindparam("agency_id"),
            b.wallet == bindparam("wallet"),
            b.kind == bindparam("kind"),
        ),
        by_id=select(m.data).where(m.id == bindparam("id")),
        known=select(m.id, m.data).where(m.id.in_(bindparam("ids", expanding=True))),
        insert=insert(schema.movements).inline(),
        # Credit and debit alike add to the stored amount in the database, so that two
        # writers never overwrite each other; the CHECK refuses an overdraft.
        add=upsert.on_conflict_do_update(
            index_elements=["agency_id", "wallet", "kind"],
            set_={"amount": b.amount + upsert.excluded.amount},
        ),
        spend=update(schema.balances)
        .where(
            b.agency_id == bindparam("b_agency_id"),
            b.wallet == bindparam("b_wallet"),
            b.kind == bindparam("b_kind"),
        )
        .values(amount=b.amount + bindparam("amount")),
    )


@functools.cache
def alike_update(table: Table, roles: tuple[tuple[str, str], ...], size: int | None) -> Any:
    """Return the UPDATE of the rows alike in every value of ``roles`` but the ``ONE_OF``
    column's, found among ``size`` values of it (parameters ``one_of_<n>``, a padded
    ``IN`` list, or with ``size`` None one array ``one_of``, see :func:`among`); each other
    value is parameter ``v<its position>``
    (a column may be both set and a key: the cursor's new and old version).

    ``roles`` as for ``compiled.updates_at_once``: the columns set, added to, and the
    keys that find a row. Kept by table, roles and size: a few sizes (powers of two) of
    the few batched updates."""
    sets: dict[str, Any] = {}
    keys = []
    for i, (column, role) in enumerate(roles):
        given: Any = bindparam(f"v{i}")
        if role == SET:
            sets[column] = given
        elif role == ADD:
            sets[column] = table.c[column] + given
        elif role == KEY:
            keys.append(table.c[column] == given)
        else:
            keys.append(among(table.c[column], "one_of", size))
    return update(table).where(*keys).values(sets)
