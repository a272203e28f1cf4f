"""Statements compiled once per dialect and run on the driver's own cursor.

SQLAlchemy Core costs some 50-70 µs a statement in Python (building the execution
context, processing parameters and rows) while the driver itself runs a keyed lookup in a
few. The storage's hot statements are built once, compiled to SQL text once per dialect
and handed to the DBAPI cursor of the unit of work's connection: the same SQL, the same
transaction, without the per-call overhead.

The parameters still go through the dialect's own bind processors where it has any (dates
on SQLite become ISO text exactly as SQLAlchemy would write them), so that a row written
here is the row SQLAlchemy would have written. Results are read back raw: the hot
statements read only text and integers, which need no result processing.
"""

from __future__ import annotations

import operator
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs
from sqlalchemy import Connection, Date, Integer, String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TupleType

from resell_core._construct import compile_function

__all__ = [
    "ADD",
    "KEY",
    "ONE_OF",
    "SET",
    "Compiled",
    "RowsAtOnce",
    "compile_once",
    "driver_cursor",
    "padded",
    "rows_at_once",
    "updates_at_once",
]

_Processor = Callable[[Any], Any]


@attrs.define(eq=False)
class Compiled:
    """One statement as SQL text for one dialect.

    Attributes:
        sql: The statement's text, in the driver's parameter style.
        names: The parameter names in order (positional styles), or None (named styles).
        defaults: The values of parameters bound in the statement itself.
        processors: The dialect's bind processor of each parameter that has one.
    """

    sql: str
    names: tuple[str, ...] | None
    defaults: Mapping[str, object]
    processors: Mapping[str, _Processor] = attrs.field(factory=dict)
    _row: type[Any] | None = None
    # Positional styles: the values in order, picked by one C call (a statement of some
    # forty columns is written for every account), then each processor by position.
    _pick: Callable[[Mapping[str, object]], tuple[object, ...]] = attrs.field(init=False)
    _processed: tuple[tuple[int, _Processor], ...] = attrs.field(init=False)
    _converters: dict[tuple[str, ...], Callable[[tuple[Any, ...]], Any] | None] = attrs.field(
        init=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        names = self.names or ()
        if not names:
            self._pick = lambda given: ()
        elif len(names) == 1:
            only = names[0]
            self._pick = lambda given: (given[only],)
        else:
            self._pick = operator.itemgetter(*names)
        self._processed = tuple(
            (i, self.processors[n]) for i, n in enumerate(names) if n in self.processors
        )

    def parameters(self, given: Mapping[str, object]) -> Any:
        """Return the driver's parameters for ``given`` (a tuple, or a dict)."""
        processors = self.processors
        if self.names is None:
            params = {**self.defaults, **given} if self.defaults else given
            if processors:
                params = dict(params)
                for name, process in processors.items():
                    if name in params:
                        params[name] = process(params[name])
            return params
        values = self._pick({**self.defaults, **given} if self.defaults else given)
        if not self._processed:
            return values
        processed = list(values)
        for i, process in self._processed:
            processed[i] = process(processed[i])
        return tuple(processed)

    def fetch(
        self, cursor: Any, params: Mapping[str, object], *, prepare: bool | None = None
    ) -> list[Any]:
        """Run the query on a driver cursor; return its rows (tuples whose fields are
        named as its columns).

        ``prepare``: False keeps psycopg from preparing the statement (so that PostgreSQL
        plans it for its values each time, not once for any values); None leaves the
        driver's default (and is the only value for other drivers).
        """
        if prepare is None:
            cursor.execute(self.sql, self.parameters(params))
        else:
            cursor.execute(self.sql, self.parameters(params), prepare=prepare)
        found = cursor.fetchall()
        if not found:
            return []
        row = self._row
        if row is None:
            row = self._row = _row_type(tuple(d[0] for d in cursor.description))
        return list(map(row._make, found))

    def converter(self, columns: tuple[str, ...]) -> Callable[[tuple[Any, ...]], Any] | None:
        """Return the function that turns a tuple of values of ``columns`` (in that
        order) into the driver's parameters, or None when the tuple is them as it is.

        A batched write of thousands of rows builds each as a tuple once, instead of a
        dict per row turned into the driver's tuple (or dict) afterwards.
        """
        found = self._converters.get(columns, _MISSING)
        if found is _MISSING:
            found = self._converters[columns] = self._convert(columns)
        return found  # type: ignore[return-value]

    def _convert(self, columns: tuple[str, ...]) -> Callable[[tuple[Any, ...]], Any] | None:
        if self.names is not None and self.names == columns and not self._processed:
            return None
        position = {name: i for i, name in enumerate(columns)}
        names = self.names if self.names is not None else tuple({*self.defaults, *columns})
        namespace: dict[str, Any] = {}
        parts = []
        for k, name in enumerate(names):
            if name in position:
                part = f"row[{position[name]}]"
                if name in self.processors:
                    namespace[f"_p{k}"] = self.processors[name]
                    part = f"_p{k}({part})"
            elif name in self.defaults:
                namespace[f"_d{k}"] = self.defaults[name]
                part = f"_d{k}"
            else:
                raise ValueError(f"no value for the parameter {name!r} in {columns}")
            parts.append(part if self.names is not None else f"{name!r}: {part}")
        body = f"({', '.join(parts)},)" if self.names is not None else f"{{{', '.join(parts)}}}"
        # The code is built from the statement's own parameter names, nothing else.
        convert: Callable[[tuple[Any, ...]], Any] = compile_function(
            "convert",
            "<resell_core statement parameters>",
            f"def convert(row):\n    return {body}\n",
            namespace,
        )
        return convert

    def run_values(
        self, cursor: Any, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
    ) -> int:
        """Run a write once per tuple of values of ``columns`` (as :meth:`run`); return
        the rows changed."""
        convert = self.converter(columns)
        params = rows if convert is None else list(map(convert, rows))
        if len(params) == 1:
            cursor.execute(self.sql, params[0])
        else:
            cursor.executemany(self.sql, params)
        return int(cursor.rowcount)

    def send_values(
        self, cursor: Any, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Run a write once per tuple of values of ``columns`` (as :meth:`send`)."""
        convert = self.converter(columns)
        cursor.executemany(self.sql, rows if convert is None else list(map(convert, rows)))

    def send(self, cursor: Any, params: Sequence[Mapping[str, object]]) -> None:
        """Run a write once per parameter set on a driver cursor, without reading its row
        count (in a pipeline the answer comes at the pipeline's end)."""
        cursor.executemany(self.sql, [self.parameters(p) for p in params])

    def run(self, cursor: Any, params: Sequence[Mapping[str, object]]) -> int:
        """Run a write once per parameter set (``executemany``) on a driver cursor; return
        the rows changed."""
        if len(params) == 1:
            cursor.execute(self.sql, self.parameters(params[0]))
        else:
            cursor.executemany(self.sql, [self.parameters(p) for p in params])
        return int(cursor.rowcount)


_MISSING = object()


def padded(values: Sequence[object], smallest: int = 8) -> list[object]:
    """Return ``values`` padded to a power of two (at least ``smallest``) with copies of
    the first one, for an ``IN`` list of that many parameters.

    A statement with an ``IN`` list expanded at execution cannot be compiled once; one
    with a fixed number of parameters can, and a repeated value changes no ``IN``. Sizes
    in powers of two keep the statements compiled to a few shapes whatever the batch.
    """
    size = smallest
    while size < len(values):
        size *= 2
    return [*values, *([values[0]] * (size - len(values)))]


_Shape = tuple[str, tuple[str, ...] | None]
_cache: weakref.WeakKeyDictionary[ClauseElement, dict[_Shape, Compiled | None]] = (
    weakref.WeakKeyDictionary()
)
"""Each statement's compiled forms, by dialect and columns; an entry goes with its
statement (statements compare and hash by identity)."""
_cache_lock = threading.Lock()


def compile_once(
    statement: ClauseElement, dialect: Dialect, columns: tuple[str, ...] | None = None
) -> Compiled | None:
    """Return ``statement`` compiled for ``dialect`` (cached), or None when it cannot run
    on the driver's cursor (a parameter expanded at execution, such as ``IN``).

    Args:
        statement: A statement built once (the cache holds its compiled forms while it
            lives).
        dialect: The engine's dialect.
        columns: For an INSERT or UPDATE, the columns given (the others keep their
            defaults).
    """
    shape = (dialect.name, columns)
    forms = _cache.get(statement)
    if forms is not None and shape in forms:
        return forms[shape]
    result = _compile(statement, dialect, columns)
    with _cache_lock:
        _cache.setdefault(statement, {})[shape] = result
    return result


def _compile(
    statement: ClauseElement, dialect: Dialect, columns: tuple[str, ...] | None
) -> Compiled | None:
    kwargs: dict[str, Any] = {} if columns is None else {"column_keys": list(columns)}
    compiled = statement.compile(dialect=dialect, **kwargs)
    binds: Mapping[str, Any] = getattr(compiled, "binds", {})
    if any(b.expanding or isinstance(b.type, TupleType) for b in binds.values()):
        return None
    processors: dict[str, _Processor] = {}
    for name, bind in binds.items():
        if bind.literal_execute:
            continue  # rendered into the SQL text, never bound
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = _remembering(process) if isinstance(bind.type, Date) else process
    names = getattr(compiled, "positiontup", None)
    return Compiled(
        compiled.string,
        None if names is None else tuple(names),
        # A parameter the statement requires (an INSERT's or UPDATE's given column) has
        # no value of its own until the call gives it.
        {
            k: v
            for k, v in compiled.params.items()
            if v is not None and not (k in binds and binds[k].required)
        },
        processors,
    )


def _remembering(process: _Processor) -> _Processor:
    """Return ``process`` with its answers for plain dates remembered (SQLite writes each
    date as text: the billing run writes three an account, mostly the same few days)."""
    seen: dict[date, Any] = {}

    def remembered(value: Any) -> Any:
        if type(value) is not date:
            return process(value)
        found = seen.get(value)
        if found is None:
            if len(seen) >= _DATES_KEPT:
                seen.clear()
            found = seen[value] = process(value)
        return found

    return remembered


_DATES_KEPT = 4096


def driver_cursor(connection: Connection) -> Any:
    """Return a new cursor of the driver's connection behind ``connection``.

    A new one each time: one cursor kept for a unit of work's every statement made
    psycopg's point reads several times slower here, and a new cursor costs ~1 µs.

    Through SQLAlchemy's own bookkeeping first: the connection must be in a transaction
    (as ``execute`` would begin one), so that its commit and rollback reach the driver.
    """
    if not connection.in_transaction():
        connection.begin()
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]


@attrs.frozen
class RowsAtOnce:
    """An INSERT or UPDATE of many rows as one statement on PostgreSQL: each column
    bound as one array, the rows unnested in the order given.

    Run row by row, even pipelined, each row is a statement of its own for the server to
    bind and execute (a billing page writes some six hundred); one statement a table a
    page does that work once. The rows and the order their sequence values are taken in
    are those of the rows given, as row by row.

    Attributes:
        sql: The statement's text (psycopg's binary placeholders, one a column).
    """

    sql: str

    def send(self, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write ``rows`` (tuples of the columns it was built for) in one statement."""
        cursor.execute(self.sql, [list(column) for column in zip(*rows, strict=True)])


_ARRAY_TYPES: tuple[tuple[type[Any], str], ...] = (
    (String, "text"),
    (Integer, "bigint"),
    (Date, "date"),
)
"""The array each kind of column is bound as (the statement converts each element to the
column's own type, as it does a row's value): those of the columns written in batches.
A column of any other type, or one the statement cannot convert to, leaves the batch to
a statement a row (a refusal sends the commit to its row-by-row replay)."""


def rows_at_once(table: Table, dialect: Dialect, columns: tuple[str, ...]) -> RowsAtOnce | None:
    """Return the INSERT of ``columns`` of ``table`` as one statement for many rows on
    PostgreSQL, or None on another dialect or when a column is of a type not bound as an
    array here (its rows are then written one a statement).

    Kept by table and columns, the same for every PostgreSQL engine: as many as the
    storage has batched inserts."""
    return _kept(_rows_at_once, table, dialect, columns)


_at_once: dict[tuple[object, Table, tuple[Any, ...]], RowsAtOnce | None] = {}


def _kept(
    build: Callable[[Table, Dialect, Any], RowsAtOnce | None],
    table: Table,
    dialect: Dialect,
    shape: tuple[Any, ...],
) -> RowsAtOnce | None:
    """Return ``build(table, dialect, shape)`` on PostgreSQL, built once for every engine
    (kept by what builds it, the table and the shape), or None on another dialect."""
    if dialect.name != "postgresql":
        return None
    key = (build, table, shape)
    found = _at_once.get(key, _MISSING)
    if found is _MISSING:
        found = _at_once[key] = build(table, dialect, shape)
    return found  # type: ignore[return-value]


def _rows_at_once(table: Table, dialect: Dialect, columns: tuple[str, ...]) -> RowsAtOnce | None:
    arrays = _arrays(table, dialect, columns)
    if arrays is None:
        return None
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    return RowsAtOnce(
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        f"SELECT {names} FROM unnest({arrays}) WITH ORDINALITY "
        f"AS given ({names}, given_order) ORDER BY given_order"
    )


SET, ADD, KEY, ONE_OF = "set", "add", "key", "one_of"
"""What an UPDATE does with a column's given value: writes it, adds it to the stored
one, or finds the row by it; ``ONE_OF`` finds it too, by the one key column whose value
differs from row to row (rows alike in all else may then be updated together, found by
it among a list: ``batches.run_updates``)."""


def updates_at_once(
    table: Table, dialect: Dialect, roles: tuple[tuple[str, str], ...]
) -> RowsAtOnce | None:
    """Return the UPDATE of many rows of ``table`` as one statement on PostgreSQL, or
    None as :func:`rows_at_once`.

    Args:
        roles: Each given value's column and what is done with it (:data:`SET`,
            :data:`ADD`, :data:`KEY` or :data:`ONE_OF`), in the order of the rows'
            tuples. A row is found by its ``KEY`` and ``ONE_OF`` columns all equal;
            rows of one batch must find different rows (the row count then tells that
            each found its own).
    """
    return _kept(_updates_at_once, table, dialect, roles)


def _updates_at_once(
    table: Table, dialect: Dialect, roles: tuple[tuple[str, str], ...]
) -> RowsAtOnce | None:
    arrays = _arrays(table, dialect, tuple(column for column, _ in roles))
    if arrays is None:
        return None
    quote = dialect.identifier_preparer.quote
    sets, keys = [], []
    for i, (column, role) in enumerate(roles):
        name = quote(column)
        if role in (KEY, ONE_OF):
            keys.append(f"target.{name} = given.v{i}")
        elif role == ADD:
            sets.append(f"{name} = target.{name} + given.v{i}")
        else:
            sets.append(f"{name} = given.v{i}")
    values = ", ".join(f"v{i}" for i in range(len(roles)))
    return RowsAtOnce(
        f"UPDATE {dialect.identifier_preparer.format_table(table)} AS target "
        f"SET {', '.join(sets)} FROM unnest({arrays}) AS given ({values}) "
        f"WHERE {' AND '.join(keys)}"
    )


def _arrays(table: Table, dialect: Dialect, columns: tuple[str, ...]) -> str | None:
    """The placeholders of ``columns`` bound as arrays, or None when one is of a type not
    bound so here (or has a bind processor of its own)."""
    arrays = []
    for name in columns:
        kind = table.c[name].type
        array = next((a for t, a in _ARRAY_TYPES if isinstance(kind, t)), None)
        if array is None or kind.dialect_impl(dialect).bind_processor(dialect) is not None:
            return None
        arrays.append(f"%b::{array}[]")
    return ", ".join(arrays)


_row_types: dict[tuple[str, ...], type[Any]] = {}


def _row_type(names: tuple[str, ...]) -> type[Any]:
    if names not in _row_types:
        _row_types[names] = namedtuple("Row", names)
    return _row_types[names]
