"""The library's errors for driver errors that reach a caller of the SQL storage.

A database that cannot be reached, or a connection lost on the way, is
:class:`~resell_core.errors.StorageUnavailable` (retry); any other refusal of the driver
is a :class:`~resell_core.errors.Conflict`. Each is raised ``from`` the driver's error.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from resell_core.errors import Conflict, ResellError, StorageUnavailable

__all__ = [
    "connected",
    "first_line",
    "quietly",
    "refused",
    "refused_by_driver",
    "translated",
    "unavailable",
]


_log = logging.getLogger(__name__)


def refused(error: DBAPIError) -> ResellError:
    """The library's error for a driver error SQLAlchemy raised."""
    if error.connection_invalidated:
        return unavailable(error.orig or error)
    return refused_by_driver(error.orig or error)


def first_line(error: BaseException) -> str:
    """The first line of an error's message (empty when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def unavailable(error: BaseException) -> StorageUnavailable:
    """StorageUnavailable for a database that cannot be reached or a lost connection."""
    _log.warning("database unreachable or connection lost: %s: %s", type(error).__name__, error)
    return StorageUnavailable(
        f"the database cannot be reached ({type(error).__name__}: {first_line(error)}): "
        "retry the command, with the same idempotency key if it has one; if it keeps "
        "failing, check that the database server is up and the storage's URL"
    )


def quietly(action: Callable[[], object]) -> None:
    """Run a clean-up step whose error must not replace the error being raised (a lost
    connection fails its rollback, and then its close)."""
    with contextlib.suppress(SQLAlchemyError):
        action()


@contextlib.contextmanager
def connected(engine: Engine) -> Iterator[Connection]:
    """A connection of ``engine``; failing to connect is StorageUnavailable."""
    try:
        connection = engine.connect()
    except DBAPIError as error:
        raise unavailable(error) from error
    with connection:
        yield connection


def refused_by_driver(error: BaseException) -> ResellError:
    """Conflict for an operation the driver refused (the connection still works)."""
    _log.debug("database refused an operation: %s: %s", type(error).__name__, error)
    return Conflict(
        f"the database refused the operation ({type(error).__name__}: {first_line(error)}): "
        "retry the command; if it keeps failing, check the database"
    )


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Turn a driver error that reaches a caller into a library error."""
    try:
        yield
    except DBAPIError as error:
        raise refused(error) from error
