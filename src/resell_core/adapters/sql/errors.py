"""Which constraint a database refused a write for, whatever the driver.

The storage names every constraint (``pk_accounts``, ``uq_accounts_name_key``,
``ck_balances_not_overdrawn``…) and maps each to the library error it means. PostgreSQL
reports the name of the constraint it enforced; SQLite reports the columns of a unique
key (``UNIQUE constraint failed: accounts.name_key``) or the name of a CHECK, which
:func:`violated_constraint` turns into the same names.
"""

from __future__ import annotations

import re

from sqlalchemy import PrimaryKeyConstraint, Table, UniqueConstraint
from sqlalchemy.exc import DBAPIError

__all__ = ["violated_constraint"]

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\S+)")


def violated_constraint(error: DBAPIError, table: Table) -> str | None:
    """Return the name of the constraint of ``table`` that ``error`` reports, if any.

    Args:
        error: An integrity error raised while writing to ``table``.
        table: The table written to; its constraints and unique indexes are named.

    Returns:
        The constraint's name (``"pk_<table>"`` for the primary key), or None when the
        error names no constraint of the table.
    """
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    message = str(error.orig)
    check = _SQLITE_CHECK.search(message)
    if check is not None:
        found = check.group("name")
        return found if found.startswith("ck_") else f"ck_{table.name}_{found}"
    unique = _SQLITE_UNIQUE.search(message)
    if unique is None:
        return None
    columns = {part.strip().split(".")[-1] for part in unique.group("columns").split(",")}
    for constraint in table.constraints:
        if (
            isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
            and {c.name for c in constraint.columns} == columns
        ):
            return str(constraint.name)
    for index in table.indexes:
        if index.unique and {c.name for c in index.columns} == columns:
            return str(index.name)
    return None
