"""SQL storage through SQLAlchemy Core: SQLite and PostgreSQL (psycopg 3).

Needs the ``sql`` extra (``postgres`` for PostgreSQL). Importing :mod:`resell_core` never
imports SQLAlchemy; import the adapter from here::

    from resell_core.adapters.sql import SqlStorage

    storage = SqlStorage("sqlite:///agency.db")

See docs/sql.md.
"""

from resell_core.adapters.sql.schema import CURRENT_VERSION
from resell_core.adapters.sql.storage import SqlStorage, SqlUnitOfWork

__all__ = ["CURRENT_VERSION", "SqlStorage", "SqlUnitOfWork"]
