"""Helpers to test against a real PostgreSQL without leaving anything behind.

The PostgreSQL tests run when the environment variable ``RESELL_CORE_POSTGRES_URL`` holds a
SQLAlchemy URL (``postgresql+psycopg://postgres@127.0.0.1:5432/resell_core_dev``); they skip
otherwise. Each :class:`ScratchSchema` is a schema of its own with a random name, dropped
with everything in it by :meth:`ScratchSchema.drop`.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import Engine, create_engine, text

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.storage import SqlStorage

__all__ = ["POSTGRES_URL_VARIABLE", "ScratchSchema", "postgres_url", "skip_reason"]

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


class ScratchSchema:
    """A private PostgreSQL schema for tests, with an engine whose search path is it.

    Args:
        url: The database URL.
    """

    def __init__(self, url: str) -> None:
        self.name = f"resell_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.name}"'))
        admin.dispose()
        self.engine: Engine = create_engine(
            url, connect_args={"options": f"-csearch_path={self.name}"}
        )

    def storage(self) -> SqlStorage:
        """Return a storage on the schema, emptied of every row."""
        storage = SqlStorage(self.engine)
        names = ", ".join(
            t.name for t in schema.metadata.sorted_tables if t.name != "schema_version"
        )
        with self.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        return storage

    def drop(self) -> None:
        """Drop the schema and everything in it; close the connections."""
        self.engine.dispose()
        url = self.engine.url
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        admin.dispose()
