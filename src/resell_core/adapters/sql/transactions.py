"""One write transaction on a connection, taken the same way wherever the storage writes.

On SQLite the driver opens no transaction of its own (reads run outside one): a write
starts with ``BEGIN IMMEDIATE``, which takes the write lock at once instead of at the
first write, where two writers that both read first would deadlock. On PostgreSQL it goes
on with the transaction the unit of work's reads opened, if any (the rows they claimed
stay locked until its commit).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection

from resell_core.adapters.sql.driver_errors import quietly

__all__ = ["write_transaction"]


@contextlib.contextmanager
def write_transaction(connection: Connection) -> Iterator[None]:
    """Run the block in one transaction on ``connection``, committed at its end and rolled
    back if it raises."""
    sqlite_db = connection.dialect.name == "sqlite"
    try:
        if sqlite_db:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif not connection.in_transaction():
            connection.begin()
        yield
    except BaseException:
        # A rollback that fails (the connection was lost) must not hide why.
        if sqlite_db:
            quietly(lambda: connection.exec_driver_sql("ROLLBACK"))
        else:
            quietly(connection.rollback)
        raise
    if sqlite_db:
        connection.exec_driver_sql("COMMIT")
    else:
        connection.commit()
