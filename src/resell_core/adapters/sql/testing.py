"""Helpers to test against a real PostgreSQL without leaving anything behind.

The PostgreSQL tests run when the environment variable ``RESELL_CORE_POSTGRES_URL`` holds a
SQLAlchemy URL (``postgresql+psycopg://postgres@127.0.0.1:5432/resell_core_dev``); they skip
otherwise. Each :class:`ScratchSchema` is a schema of its own with a random name, dropped
with everything in it by :meth:`ScratchSchema.drop`. :class:`ScratchPool` keeps a few of
them for a whole test session and hands each test empty storages on them, so that a suite
pays for creating a schema once, not once a test.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import Engine, create_engine, text

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.storage import SqlStorage

__all__ = ["POSTGRES_URL_VARIABLE", "ScratchPool", "ScratchSchema", "postgres_url", "skip_reason"]

POSTGRES_URL_VARIABLE = "RESELL_CORE_POSTGRES_URL"
"""The environment variable that enables the PostgreSQL tests."""


def postgres_url() -> str | None:
    """Return the PostgreSQL URL of the environment, or None when the tests are off."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


def skip_reason() -> str:
    """Say why the PostgreSQL tests skip and how to run them."""
    return (
        f"PostgreSQL tests are off: set {POSTGRES_URL_VARIABLE} to a database URL, e.g. "
        f"{POSTGRES_URL_VARIABLE}=postgresql+psycopg://postgres@127.0.0.1:5432/resell_core_dev"
    )


def _emptying() -> list[str]:
    """The statements that empty every table but the schema version and restart the
    schema's sequences: row deletes, children first (far cheaper than TRUNCATE on the
    few rows a test writes)."""
    tables = [t for t in reversed(schema.metadata.sorted_tables) if t is not schema.schema_version]
    return [
        "SET LOCAL lock_timeout = '10s'",
        *(f'DELETE FROM "{t.name}"' for t in tables),
        "SELECT setval(s.oid, 1, false) FROM pg_class s JOIN pg_namespace n"
        " ON n.oid = s.relnamespace WHERE s.relkind = 'S' AND n.nspname = current_schema()",
    ]


class ScratchSchema:
    """A private PostgreSQL schema for tests, with an engine whose search path is it.

    Its sessions commit without waiting for the disk (``synchronous_commit`` off): a
    commit is as visible to every other session as ever, only a crash of the server
    could lose it, which a test's rows can afford; a test commits many times faster.

    Args:
        url: The database URL.
    """

    def __init__(self, url: str) -> None:
        self.name = f"resell_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.name}"'))
        admin.dispose()
        options = f"-csearch_path={self.name} -csynchronous_commit=off"
        self.engine: Engine = create_engine(url, connect_args={"options": options})

    def storage(self) -> SqlStorage:
        """Return a storage on the schema, emptied of every row, its sequences restarted."""
        storage = SqlStorage(self.engine)
        with self.engine.begin() as connection:
            for statement in _emptying():
                connection.execute(text(statement))
        return storage

    def drop(self) -> None:
        """Drop the schema and everything in it; close the connections."""
        self.engine.dispose()
        url = self.engine.url
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        admin.dispose()


class ScratchPool:
    """Scratch schemas kept for a test session, each test taking empty storages on them.

    A test calls :meth:`take` for each storage it needs (the first schema, then the
    second…, each emptied when taken) and :meth:`release` when it ends, so the next test
    empties and reuses the same schemas; :meth:`drop` drops them all.

    Args:
        url: The database URL.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._schemas: list[ScratchSchema] = []
        self._taken = 0

    def take(self) -> SqlStorage:
        """Return an empty storage on a schema no other storage of this test uses."""
        if self._taken == len(self._schemas):
            self._schemas.append(ScratchSchema(self.url))
        storage = self._schemas[self._taken].storage()
        self._taken += 1
        return storage

    def release(self) -> None:
        """Hand every schema back (the storages taken must not be used afterwards)."""
        self._taken = 0

    def drop(self) -> None:
        """Drop every schema of the pool."""
        while self._schemas:
            self._schemas.pop().drop()
        self._taken = 0
