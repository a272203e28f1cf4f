"""Statements compiled once per dialect and run on the driver's own cursor.

SQLAlchemy Core costs some 50-70 µs a statement in Python (building the execution
context, processing parameters and rows) while the driver itself runs a keyed lookup in a
few. The billing run's hot statements take no parameter that needs converting (text and
integers only) and read back plain text and integers, so they are compiled to SQL text
once per dialect and handed to the DBAPI cursor of the unit of work's connection: the same
SQL, the same transaction, without the per-call overhead.

Statements whose parameters need a bind processor (dates on SQLite, for example) are not
compiled here: :func:`compile_once` returns None and the caller runs them through
SQLAlchemy as before.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["Compiled", "compile_once"]


@attrs.frozen(eq=False)
class Compiled:
    """One statement as SQL text for one dialect.

    Attributes:
        sql: The statement's text, in the driver's parameter style.
        names: The parameter names in order (positional styles), or None (named styles).
        defaults: The values of parameters bound in the statement itself.
    """

    sql: str
    names: tuple[str, ...] | None
    defaults: Mapping[str, object]

    def parameters(self, given: Mapping[str, object]) -> Any:
        """Return the driver's parameters for ``given`` (a tuple, or a dict)."""
        if self.names is None:
            if not self.defaults:
                return given
            return {**self.defaults, **given}
        defaults = self.defaults
        return tuple(given[n] if n in given else defaults[n] for n in self.names)

    def fetch(self, connection: Connection, params: Mapping[str, object]) -> list[Any]:
        """Run the query; return its rows (tuples whose fields are named as its columns)."""
        cursor = _cursor(connection)
        cursor.execute(self.sql, self.parameters(params))
        found = cursor.fetchall()
        if not found:
            return []
        row = _row_type(tuple(d[0] for d in cursor.description))
        return [row._make(r) for r in found]

    def run(self, connection: Connection, params: Sequence[Mapping[str, object]]) -> int:
        """Run a write once per parameter set (``executemany``); return the rows changed."""
        cursor = _cursor(connection)
        if len(params) == 1:
            cursor.execute(self.sql, self.parameters(params[0]))
        else:
            cursor.executemany(self.sql, [self.parameters(p) for p in params])
        return int(cursor.rowcount)


_cache: dict[tuple[int, str, tuple[str, ...] | None], tuple[ClauseElement, Compiled | None]] = {}
_cache_lock = threading.Lock()


def compile_once(
    statement: ClauseElement, dialect: Dialect, columns: tuple[str, ...] | None = None
) -> Compiled | None:
    """Return ``statement`` compiled for ``dialect`` (cached), or None when it takes a
    parameter that needs converting and must run through SQLAlchemy.

    Args:
        statement: A statement built once (its identity is the cache key).
        dialect: The engine's dialect.
        columns: For an INSERT or UPDATE, the columns given (the others keep their
            defaults).
    """
    key = (id(statement), dialect.name, columns)
    found = _cache.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    kwargs: dict[str, Any] = {} if columns is None else {"column_keys": list(columns)}
    compiled = statement.compile(dialect=dialect, **kwargs)
    result: Compiled | None = None
    if not getattr(compiled, "_bind_processors", None):
        names = getattr(compiled, "positiontup", None)
        result = Compiled(
            compiled.string,
            None if names is None else tuple(names),
            {k: v for k, v in compiled.params.items() if v is not None},
        )
    with _cache_lock:
        # The statement is kept with its entry, so that its id cannot be reused meanwhile.
        _cache[key] = (statement, result)
    return result


def _cursor(connection: Connection) -> Any:
    # Through SQLAlchemy's own bookkeeping first: the connection must be in a transaction
    # (as ``execute`` would begin one), so that its commit and rollback reach the driver.
    if not connection.in_transaction():
        connection.begin()
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]


_row_types: dict[tuple[str, ...], type[Any]] = {}


def _row_type(names: tuple[str, ...]) -> type[Any]:
    if names not in _row_types:
        _row_types[names] = namedtuple("Row", names)
    return _row_types[names]
