"""SQL storage through SQLAlchemy Core: SQLite and PostgreSQL (psycopg 3).

Needs the ``sql`` extra (``postgres`` for PostgreSQL). Importing :mod:`resell_core` never
imports SQLAlchemy; import the adapter from here::

    from resell_core.adapters.sql import SqlStorage

    storage = SqlStorage("sqlite:///agency.db")

See docs/sql.md.

The public surface is what this package exports (:class:`SqlStorage`, its
:class:`SqlUnitOfWork`, :data:`CURRENT_VERSION`), the tables of
:mod:`~resell_core.adapters.sql.schema` for code that reads the database itself, and
:mod:`~resell_core.adapters.sql.testing` for test suites. The other modules are the
adapter's own parts, each named after what it holds:

- ``storage``: :class:`SqlStorage`, its engine and the schema it creates or upgrades;
- ``unit_of_work``: :class:`SqlUnitOfWork`, its connection, reads and commit;
- ``repositories``: what ``uow.accounts``, ``uow.users``… answer;
- ``ledger`` and ``events``: the credit ledger and the audit log;
- ``versioned_rows`` and ``keyed_rows``: a unit of work's journal of each table;
- ``specs``: how each versioned aggregate is stored (columns, unique keys, errors);
- ``statements``: the statements, each built once; ``compiled``: run on the driver's
  cursor; ``batches``: the commit's batched writes; ``transactions``: one write
  transaction, taken the same way on both databases;
- ``overview``: the accounts overview query in SQL;
- ``units``, ``driver_errors``, ``errors``: integer amounts and moments, the library's
  errors for the driver's, the constraint a write was refused for.

Their names without an underscore are shared between these modules, not promised to a
host: they may change in any release. A name with an underscore belongs to its module
alone, and no module reaches for another's.
"""

from resell_core.adapters.sql.schema import CURRENT_VERSION
from resell_core.adapters.sql.storage import SqlStorage, SqlUnitOfWork

__all__ = ["CURRENT_VERSION", "SqlStorage", "SqlUnitOfWork"]
