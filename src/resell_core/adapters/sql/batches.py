"""Batched writes of statements built once, run by a unit of work's commit.

A batch runs on the driver's own cursor (:mod:`resell_core.adapters.sql.compiled`); a
refusal, or a batch that changed fewer rows than it must, raises :class:`BatchRefused`,
and the commit writes its journal again row by row to name the refused row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Table

from resell_core.adapters.sql.compiled import (
    ONE_OF,
    Compiled,
    compile_once,
    driver_cursor,
    padded,
    rows_at_once,
    updates_at_once,
)
from resell_core.adapters.sql.statements import alike_update, among_params

__all__ = [
    "PIPELINE_CHECKS",
    "BatchRefused",
    "count_changed",
    "run_batch",
    "run_batch_values",
    "run_inserts",
    "run_updates",
]


class BatchRefused(Exception):
    """A batched write was refused: write the journal again row by row to say why."""


def run_batch(
    connection: Connection,
    statement: Any,
    params: Sequence[Mapping[str, object]],
    *,
    exact: bool = False,
) -> None:
    """Run a batched write of a statement built once.

    Args:
        exact: Each parameter set must change exactly one row (a versioned update, a
            debit): fewer is a refusal.

    Raises:
        BatchRefused: The database refused it (the row-by-row replay says why). In a pipeline
            (:meth:`SqlUnitOfWork._write_pipelined`) the check waits for its end.
    """
    compiled = compile_once(statement, connection.dialect, tuple(params[0]))
    checks: list[tuple[Any, int]] | None = connection.info.get(PIPELINE_CHECKS)
    if checks is not None:
        if compiled is None:
            raise BatchRefused  # pragma: no cover - every batched write compiles once
        cursor = driver_cursor(connection)
        compiled.send(cursor, params)
        if exact:
            checks.append((cursor, len(params)))
        return
    changed = _run_counted(connection, statement, compiled, params)
    if exact and changed != len(params):
        raise BatchRefused


def _run_counted(
    connection: Connection,
    statement: Any,
    compiled: Compiled | None,
    params: Sequence[Mapping[str, object]],
) -> int:
    """Run a write outside a pipeline (``compiled``: ``statement`` compiled once, or None);
    return the rows it changed.

    Raises:
        BatchRefused: The driver refused it.
    """
    if compiled is None:
        return count_changed(connection, statement, [dict(p) for p in params])
    try:
        return compiled.run(driver_cursor(connection), params)
    except connection.dialect.loaded_dbapi.Error as error:
        raise BatchRefused from error


def run_batch_values(
    connection: Connection,
    statement: Any,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    exact: bool = False,
) -> None:
    """Run a batched write of a statement built once, as :func:`run_batch`, each row given as
    a tuple of values of ``columns`` (the hot writes of a commit: no dict a row)."""
    compiled = compile_once(statement, connection.dialect, columns)
    checks: list[tuple[Any, int]] | None = connection.info.get(PIPELINE_CHECKS)
    if checks is not None:
        if compiled is None:
            raise BatchRefused  # pragma: no cover - every batched write compiles once
        cursor = driver_cursor(connection)
        compiled.send_values(cursor, columns, rows)
        if exact:
            checks.append((cursor, len(rows)))
        return
    if compiled is None:  # pragma: no cover - every batched write compiles once
        changed = count_changed(
            connection, statement, [dict(zip(columns, r, strict=True)) for r in rows]
        )
    else:
        try:
            changed = compiled.run_values(driver_cursor(connection), columns, rows)
        except connection.dialect.loaded_dbapi.Error as error:
            raise BatchRefused from error
    if exact and changed != len(rows):
        raise BatchRefused


def run_inserts(
    connection: Connection,
    statement: Any,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Run a batched INSERT of plain rows (``insert(table)``, no ``ON CONFLICT``), as
    :func:`run_batch_values`; in the commit's PostgreSQL pipeline, all the rows as one
    statement (:class:`~resell_core.adapters.sql.compiled.RowsAtOnce`), refused whole
    where one row would be (the row-by-row replay then names it)."""
    # Only a plain INSERT: a dialect's own (ON CONFLICT) is more than its rows.
    table = statement.table if type(statement) is Insert else None
    if len(rows) > 1 and isinstance(table, Table) and PIPELINE_CHECKS in connection.info:
        at_once = rows_at_once(table, connection.dialect, columns)
        if at_once is not None:
            at_once.send(driver_cursor(connection), rows)
            return
    run_batch_values(connection, statement, columns, rows)


def run_updates(
    connection: Connection,
    statement: Any,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    roles: tuple[tuple[str, str], ...],
) -> None:
    """Run a batched UPDATE each row of which must change exactly one row, as
    :func:`run_batch_values` with ``exact``. Rows alike in all but their ``ONE_OF`` key
    are one statement a group (:func:`_update_alike`), on every database. The others, in
    the commit's PostgreSQL pipeline, are one statement
    (:func:`~resell_core.adapters.sql.compiled.updates_at_once` with ``roles``: the same
    columns, each row's column and what is done with it), whose row count must be theirs;
    elsewhere (or with no ``roles``) a statement a row. Rows of one batch find different
    rows."""
    checks: list[tuple[Any, int]] | None = connection.info.get(PIPELINE_CHECKS)
    if len(rows) > 1 and any(role == ONE_OF for _, role in roles):
        rows = _update_alike(connection, statement.table, roles, rows, checks)
        if not rows:
            return
    if roles and len(rows) > 1 and checks is not None:
        at_once = updates_at_once(statement.table, connection.dialect, roles)
        if at_once is not None:
            cursor = driver_cursor(connection)
            at_once.send(cursor, rows)
            checks.append((cursor, len(rows)))
            return
    run_batch_values(connection, statement, columns, rows, exact=True)


def _update_alike(
    connection: Connection,
    table: Table,
    roles: tuple[tuple[str, str], ...],
    rows: Sequence[tuple[Any, ...]],
    checks: list[tuple[Any, int]] | None,
) -> Sequence[tuple[Any, ...]]:
    """Update together the rows alike in every value but their ``ONE_OF`` key (a page's
    accounts moved on to the same period, debits of the same amount): one statement a
    group, found among a list (an array in the commit's PostgreSQL pipeline, ``checks``:
    its row counts to verify there), whose row count must be the group's. Return the
    rows alike with no other, left to the caller.

    Raises:
        BatchRefused: A statement was refused or changed fewer rows than its group.
    """
    one = next(i for i, (_, role) in enumerate(roles) if role == ONE_OF)
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        groups.setdefault((*row[:one], *row[one + 1 :]), []).append(row[one])
    if len(groups) == len(rows):
        return rows
    alone: list[tuple[Any, ...]] = []
    names = [f"v{i}" for i in range(len(roles)) if i != one]
    array = checks is not None
    for rest, found_by in groups.items():
        if len(found_by) == 1:
            alone.append((*rest[:one], found_by[0], *rest[one:]))
            continue
        params = dict(zip(names, rest, strict=True))
        params.update(among_params("one_of", found_by, array=array))
        statement = alike_update(table, roles, None if array else len(padded(found_by)))
        compiled = compile_once(statement, connection.dialect, tuple(params))
        if checks is not None:
            if compiled is None:
                raise BatchRefused  # pragma: no cover - every batched write compiles once
            cursor = driver_cursor(connection)
            compiled.send(cursor, [params])
            checks.append((cursor, len(found_by)))
            continue
        # A padded list repeats a value, which finds its row once.
        if _run_counted(connection, statement, compiled, [params]) != len(found_by):
            raise BatchRefused
    return alone


PIPELINE_CHECKS = "resell_core.pipeline_checks"
"""Key of ``Connection.info`` holding the row counts a pipelined write must verify."""


def count_changed(connection: Connection, statement: Any, params: list[dict[str, object]]) -> int:
    """Run a write through SQLAlchemy; return the rows it changed, one count per
    parameter set when the driver cannot count a batch."""
    if len(params) == 1 or connection.dialect.supports_sane_multi_rowcount:
        return int(connection.execute(statement, params).rowcount)
    return sum(int(connection.execute(statement, p).rowcount) for p in params)
