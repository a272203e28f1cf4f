"""SQL storage on SQLAlchemy Core, for SQLite and PostgreSQL (psycopg 3).

:class:`SqlStorage` builds the engine (from a URL or the host's own), creates or upgrades
the schema, and starts units of work (:mod:`~resell_core.adapters.sql.unit_of_work`).

Example:
    >>> storage = SqlStorage("sqlite://")
    >>> with storage.unit_of_work() as uow:
    ...     uow.accounts.name_taken("north-bakery")
    False
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.driver_errors import connected, first_line, translated
from resell_core.adapters.sql.transactions import write_transaction
from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork
from resell_core.errors import ConfigurationError

__all__ = ["SqlStorage", "SqlUnitOfWork"]


def _sqlite_connected(dbapi_connection: Any, _record: object) -> None:
    # The unit of work opens transactions itself (BEGIN IMMEDIATE at commit), so the
    # driver must not open any on its own; reads outside a transaction see the latest
    # commit, which is what "read committed" asks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


_DIALECTS = ("sqlite", "postgresql")


def _build_engine(url_or_engine: str | Engine) -> tuple[Engine, bool]:
    """Return the engine, and whether it is one in-memory SQLite database (one connection).

    Raises:
        ConfigurationError: A URL SQLAlchemy cannot read, an unknown or missing driver,
            or a database other than SQLite and PostgreSQL.
    """
    try:
        engine, url = _engine_of(url_or_engine)
    except (ArgumentError, ImportError) as error:
        raise ConfigurationError(
            f"the storage cannot use the database URL ({type(error).__name__}: "
            f"{first_line(error)}): give a URL such as 'sqlite:///agency.db' or "
            "'postgresql+psycopg://user@host/db', and install its driver"
        ) from error
    if engine.dialect.name not in _DIALECTS:
        raise ConfigurationError(
            f"the storage speaks {' and '.join(_DIALECTS)}, not {engine.dialect.name}: "
            "give a SQLite or PostgreSQL database"
        )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connected)
        engine.pool.dispose()
    memory = engine.dialect.name == "sqlite" and url.database in (None, "", ":memory:")
    return engine, memory


def _engine_of(url_or_engine: str | Engine) -> tuple[Engine, URL]:
    if isinstance(url_or_engine, Engine):
        return url_or_engine, url_or_engine.url
    url = make_url(url_or_engine)
    if url.get_backend_name() == "sqlite":
        options: dict[str, Any] = {}
        if url.database in (None, "", ":memory:"):
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        return create_engine(url, **options), url
    return create_engine(url, pool_pre_ping=True), url


class SqlStorage:
    """Storage in a SQL database through SQLAlchemy Core (SQLite or PostgreSQL).

    Args:
        url_or_engine: A database URL (``"sqlite:///agency.db"``, ``"sqlite://"`` for a
            private in-memory database, ``"postgresql+psycopg://user@host/db"``) or a
            SQLAlchemy :class:`~sqlalchemy.Engine` the host built.
        create: Create the schema, or upgrade an older one, now (:meth:`upgrade`).

    Attributes:
        engine: The SQLAlchemy engine its units of work connect with.
        dialect: ``"sqlite"`` or ``"postgresql"``.
        lock: Held around every statement and commit: a lock for an in-memory SQLite
            database (one connection that every unit of work shares), else a no-op.

    Raises:
        SchemaVersionError: The database was written by a newer release of the library.
    """

    def __init__(self, url_or_engine: str | Engine, *, create: bool = True) -> None:
        self.engine, memory = _build_engine(url_or_engine)
        self.dialect = self.engine.dialect.name
        # An in-memory SQLite database is one connection shared by every unit of work:
        # its statements and commits take turns.
        self.lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if memory else contextlib.nullcontext()
        )
        if create:
            self.upgrade()

    def upgrade(self) -> int:
        """Create the schema in an empty database, or upgrade an older one, in one
        transaction.

        Returns:
            The schema version found (0 for an empty database).

        Raises:
            SchemaVersionError: The database was written by a newer release.
        """
        with (
            self.lock,
            translated(),
            connected(self.engine) as connection,
            write_transaction(connection),
        ):
            return schema.upgrade(connection)

    def unit_of_work(self) -> SqlUnitOfWork:
        """Start a unit of work (use it in a ``with`` block)."""
        return SqlUnitOfWork(self)

    def dispose(self) -> None:
        """Close the pooled connections (the storage can still be used afterwards)."""
        self.engine.dispose()
