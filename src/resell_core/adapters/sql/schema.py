"""The SQL schema: tables, indexes, constraints, the schema version and its upgrades.

Every aggregate is stored whole as JSON text (``data``, written by the library's one
converter) next to the columns that queries filter, sort and join on, which are real,
indexed columns. One exception: an account's billing cursor (``next_period`` and
``paid_through``) is held by columns of its own, which win over the document's copies
when the account is read, so that recording a billed period writes those columns and
the dates derived from them, not the whole document. Text columns compare by code point
on every database (``COLLATE "C"`` on PostgreSQL, SQLite's ``BINARY``), as the reference
evaluators do. Quantities of credit are whole micro-units (``BIGINT``), so that SQLite
adds them exactly.

The ``schema_version`` table holds one row: the version of the schema the database has.
:func:`upgrade` brings an empty database to :data:`CURRENT_VERSION` and an older one
through each step of :data:`MIGRATIONS`, in one transaction.

On PostgreSQL the overview's search has a trigram index (``pg_trgm``) over its searched
text (:func:`search_text`). The upgrade creates the extension when it may (in the ``public``
schema when there is one) and the index; when the extension cannot be created (no such
extension on the server, or no right to create it) it logs a warning and goes on without the
index: the search still finds the same accounts, by reading the agency's rows. Each later
start looks again, so the index appears once a database administrator has created the
extension (``CREATE EXTENSION pg_trgm``).

On SQLite the overview has an index of its own (:data:`OVERVIEW_INDEX`) over the agency,
the status, the name and the searched columns' folded copies: the count of an agency's
matches is answered from that index alone, and a page reads from the table only the rows
that match.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    Column,
    ColumnElement,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    exc,
    func,
    inspect,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

from resell_core.billing.due import next_billing_day
from resell_core.errors import SchemaVersionError
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.account_query import SEARCHED_COLUMNS, expires_on, fold
from resell_core.periods import Frequency

__all__ = [
    "CURRENT_VERSION",
    "MIGRATIONS",
    "OUTSIDE_WALLET",
    "OVERVIEW_INDEX",
    "SEARCH_INDEX",
    "TRIGRAM_EXTENSION",
    "account_columns",
    "accounts",
    "agencies",
    "balances",
    "events",
    "idempotency",
    "invoices",
    "metadata",
    "movements",
    "next_billing_on",
    "profiles",
    "records",
    "schema_version",
    "search_index_ddl",
    "search_text",
    "stored_version",
    "tokens",
    "upgrade",
    "users",
    "views",
]

CURRENT_VERSION = 6
"""The schema version this library writes (1: first release; 2: ``next_billing_on``; 3:
``next_billing_on`` also for cancelled accounts that still owe a period; 4: the billing
cursor's own columns, ``next_period`` and ``paid_through``; 5: on PostgreSQL, the
overview search's trigram index; 6: on SQLite, the overview's own index)."""

TRIGRAM_EXTENSION = "pg_trgm"
"""The PostgreSQL extension whose trigram index serves the overview's substring search."""

SEARCH_INDEX = "ix_accounts_search_trgm"
"""The name of that index (PostgreSQL only)."""

OVERVIEW_INDEX = "ix_accounts_overview"
"""The name of the overview's index on SQLite (SQLite only)."""

_log = logging.getLogger(__name__)

OUTSIDE_WALLET = "outside"
"""The one wallet whose balance may go below zero (where bought credit comes from)."""


def _text() -> TypeEngine[str]:
    return Text().with_variant(Text(collation="C"), "postgresql")


def _key() -> TypeEngine[str]:
    return String(200).with_variant(String(200, collation="C"), "postgresql")


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
)

agencies = Table(
    "agencies",
    metadata,
    Column("id", _key(), primary_key=True),
    Column("referral_code", _key(), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", _key(), primary_key=True),
    Column("agency_id", _key(), nullable=False, index=True),
    Column("email_key", _text(), nullable=False, unique=True),
    Column("data", Text, nullable=False),
)

_ACCOUNT_TEXT = (
    "name",
    "client_name",
    "notification_email",
    "custom_domain",
    "product",
    "billing_profile_id",
    "country",
    "language",
    "region",
    "timezone",
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", _key(), primary_key=True),
    Column("agency_id", _key(), nullable=False),
    # casefold()-ed name: unique across the platform (A2), as the in-memory store keeps it.
    Column("name_key", _text(), nullable=False, unique=True),
    *(
        Column(n, _text(), nullable=n in ("custom_domain", "billing_profile_id"))
        for n in _ACCOUNT_TEXT
    ),
    # fold()-ed copies of the text columns: the overview's contains/search compare these,
    # so that matching never depends on the database's own case folding.
    *(
        Column(f"{n}_folded", _text(), nullable=n in ("custom_domain", "billing_profile_id"))
        for n in _ACCOUNT_TEXT
    ),
    Column("status", _key(), nullable=False),
    Column("kind", _key(), nullable=False),
    Column("plan_version", _key(), nullable=False),
    Column("tier", _key(), nullable=False),
    Column("contacts", Integer),
    Column("frequency", _key()),
    Column("created_on", Date, nullable=False),
    Column("expires_on", Date),
    Column("cancelled_on", Date),
    Column("archived_on", Date),
    Column("trial_ends_on", Date),
    Column("next_billing_on", Date),
    # The billing cursor: authoritative over the copies in ``data`` (see the module's doc).
    Column("next_period", Integer, nullable=False, server_default=text("0")),
    Column("paid_through", Date),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Index(None, "agency_id", "name"),
    Index(None, "agency_id", "status"),
    Index(None, "agency_id", "tier"),
    Index(None, "agency_id", "created_on"),
    Index(None, "agency_id", "expires_on"),
    Index(None, "agency_id", "contacts"),
    Index(None, "next_billing_on"),
    Index(None, "trial_ends_on"),
)

# SQLite: every column the overview's count reads (its agency, status and search filters)
# and the name it pages by, so that the count is read from this index alone and a page
# looks up in the table only the rows that match. PostgreSQL has its trigram index instead.
_OVERVIEW_COLUMNS = (
    "agency_id",
    "status",
    "name",
    *(f"{column.value}_folded" for column in SEARCHED_COLUMNS),
)
# (sqlalchemy's DDL constructor is untyped)
_OVERVIEW_INDEX_DDL = DDL(  # type: ignore[no-untyped-call]
    f"CREATE INDEX IF NOT EXISTS {OVERVIEW_INDEX} ON accounts ({', '.join(_OVERVIEW_COLUMNS)})"
)
event.listen(accounts, "after_create", _OVERVIEW_INDEX_DDL.execute_if(dialect="sqlite"))

profiles = Table(
    "profiles",
    metadata,
    Column("id", _key(), primary_key=True),
    Column("agency_id", _key(), nullable=False),
    Column("label_key", _text(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("agency_id", "label_key"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", _key(), primary_key=True),
    Column("agency_id", _key(), nullable=False),
    Column("number", Integer, nullable=False),
    Column("account_id", _key(), index=True),
    Column("status", _key(), nullable=False, index=True),
    Column("next_retry_on", Date, index=True),
    Column("period_key", _text(), unique=True),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("agency_id", "number"),
)

movements = Table(
    "movements",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("id", _key(), nullable=False, unique=True),
    Column("agency_id", _key(), nullable=False, index=True),
    Column("kind", _key(), nullable=False),
    Column("source", _text(), nullable=False),
    Column("destination", _text(), nullable=False),
    Column("data", Text, nullable=False),
)

balances = Table(
    "balances",
    metadata,
    Column("agency_id", _key(), nullable=False),
    Column("wallet", _text(), nullable=False),
    Column("kind", _key(), nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("agency_id", "wallet", "kind"),
    # The database itself refuses an overdraft, whoever writes concurrently (C2).
    CheckConstraint(f"wallet = '{OUTSIDE_WALLET}' OR amount >= 0", name="not_overdrawn"),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("scope", _key(), nullable=False),
    Column("key", _text(), nullable=False),
    Column("fingerprint", _text(), nullable=False),
    Column("at_us", BigInteger, nullable=False, index=True),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("scope", "key"),
)

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("agency_id", _key(), nullable=False),
    Column("subject", _text(), nullable=False),
    Column("data", Text, nullable=False),
    Index(None, "agency_id", "seq"),
    Index(None, "agency_id", "subject", "seq"),
)

views = Table(
    "views",
    metadata,
    Column("agency_id", _key(), nullable=False),
    Column("user_id", _key(), nullable=False),
    Column("name", _text(), nullable=False),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("agency_id", "user_id", "name"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("kind", _key(), nullable=False),
    Column("key", _text(), nullable=False),
    Column("expires_us", BigInteger, index=True),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("kind", "key"),
)

records = Table(
    "records",
    metadata,
    Column("repository", _key(), nullable=False),
    Column("id", _key(), nullable=False),
    Column("agency_id", _key(), nullable=False),
    Column("record_key", _text()),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("repository", "id"),
    UniqueConstraint("repository", "record_key"),
    Index(None, "repository", "agency_id", "id"),
)


class _LineBreak(FunctionElement[str]):
    """A line break in SQL text: what separates the searched columns in :func:`search_text`."""

    type = Text()
    inherit_cache = True


@compiles(_LineBreak, "postgresql")
def _line_break_postgresql(_element: _LineBreak, _compiler: SQLCompiler, **_: object) -> str:
    return "chr(10)"


@compiles(_LineBreak)
def _line_break_sqlite(_element: _LineBreak, _compiler: SQLCompiler, **_: object) -> str:
    return "char(10)"


def search_text() -> ColumnElement[str]:
    """Return the text the overview's search looks in: the searched columns' folded copies,
    in :data:`~resell_core.lifecycle.account_query.SEARCHED_COLUMNS` order, one line each.

    A search (validated text) never holds a line break, so it is found in these lines
    exactly when it is found in one of the columns: on PostgreSQL one ``LIKE`` over this
    text is the search, and one trigram index over it (:func:`search_index_ddl`) narrows
    it (SQLite, with no such index, looks in each column).
    """
    parts: list[ColumnElement[str]] = []
    for column in SEARCHED_COLUMNS:
        folded: ColumnElement[str] = accounts.c[f"{column.value}_folded"]
        if folded.nullable:
            folded = func.coalesce(folded, literal_column("''"))
        if parts:
            parts.append(_LineBreak())
        parts.append(folded)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.concat(part)
    return joined


def search_index_ddl(extension_schema: str) -> str:
    """Return the ``CREATE INDEX`` statement of the search's trigram index (PostgreSQL),
    its operator class taken from the schema the extension lives in."""
    # (sqlalchemy's dialect constructors are untyped)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    expression = search_text().compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    # The index expression names the columns bare, as the statements' do once compiled
    # for one table.
    bare = str(expression).replace("accounts.", "")
    return (
        f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON accounts USING gin "
        f'(({bare}) "{extension_schema}".gin_trgm_ops)'
    )


def _extension_schema(connection: Connection) -> str | None:
    found = connection.execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = :name"
        ),
        {"name": TRIGRAM_EXTENSION},
    ).scalar()
    return None if found is None else str(found)


def _create_extension(connection: Connection) -> str | None:
    """Create the trigram extension if this role may; return its schema, None if not."""
    public = connection.execute(
        text("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'")
    ).scalar()
    where = ' SCHEMA "public"' if public else ""
    try:
        with connection.begin_nested():
            connection.execute(text(f'CREATE EXTENSION IF NOT EXISTS "{TRIGRAM_EXTENSION}"{where}'))
    except exc.DBAPIError as error:
        # Another process may have created it meanwhile; else the search goes without.
        found = _extension_schema(connection)
        if found is None:
            _log.warning(
                "the overview's search runs without its trigram index: the PostgreSQL "
                "extension %s could not be created (%s); a database administrator can "
                "run 'CREATE EXTENSION %s', and the next start creates the index",
                TRIGRAM_EXTENSION,
                str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__,
                TRIGRAM_EXTENSION,
            )
        return found
    return _extension_schema(connection)


def _ensure_search_index(connection: Connection) -> None:
    """PostgreSQL: create the search's trigram index when it is missing and may be made."""
    if connection.dialect.name != "postgresql":
        return
    present = connection.execute(
        text(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname = :name"
        ),
        {"name": SEARCH_INDEX},
    ).scalar()
    if present:
        return
    extension = _extension_schema(connection) or _create_extension(connection)
    if extension is not None:
        connection.execute(text(search_index_ddl(extension)))


def next_billing_on(account: Account) -> date | None:
    """Return the first day of the account's next period to bill, None when not billable
    (the domain's rule, :func:`resell_core.billing.due.next_billing_day`)."""
    return next_billing_day(account)


def account_columns(account: Account) -> dict[str, object]:
    """Return the queried columns of an account's row (everything but ``data``)."""
    plan = account.plan
    row: dict[str, object] = {
        "id": account.id,
        "agency_id": account.agency_id,
        "name_key": account.name.casefold(),
        "status": account.status.value,
        "kind": account.kind.value,
        "plan_version": plan.version,
        "tier": plan.tier,
        "contacts": plan.contacts,
        "frequency": None if plan.frequency is None else Frequency(plan.frequency).value,
        "created_on": account.created_on,
        "expires_on": expires_on(account),
        "cancelled_on": account.cancelled_on,
        "archived_on": account.archived_on,
        "trial_ends_on": account.trial_ends_on,
        "next_billing_on": next_billing_on(account),
        "next_period": account.next_period,
        "paid_through": account.paid_through,
        "version": account.version,
        "product": plan.product,
        "name": account.name,
        "client_name": account.client_name,
        "notification_email": account.notification_email,
        "custom_domain": account.custom_domain,
        "billing_profile_id": account.billing_profile_id,
        "country": account.country,
        "language": account.language,
        "region": account.region,
        "timezone": account.timezone,
    }
    for name in _ACCOUNT_TEXT:
        value = row[name]
        row[f"{name}_folded"] = None if value is None else fold(str(value))
    return row


# -- upgrades ------------------------------------------------------------------------------


def _add_next_billing_on(connection: Connection) -> None:
    """Version 1 → 2: the billing run's "who is due" column, filled from the stored data."""
    connection.execute(text("ALTER TABLE accounts ADD COLUMN next_billing_on DATE"))
    connection.execute(
        text("CREATE INDEX ix_accounts_next_billing_on ON accounts (next_billing_on)")
    )
    _fill_next_billing_on(connection)


def _fill_next_billing_on(connection: Connection) -> None:
    """Version 2 → 3 (and the end of 1 → 2): work ``next_billing_on`` out again from each
    account's stored data, by the current rule."""
    from resell_core.serialization import from_json  # noqa: PLC0415 - only when upgrading

    after = ""
    while True:
        rows = connection.execute(
            text("SELECT id, data FROM accounts WHERE id > :after ORDER BY id LIMIT 500"),
            {"after": after},
        ).all()
        if not rows:
            return
        changes = [
            {"id": row.id, "day": next_billing_on(from_json(row.data, Account))} for row in rows
        ]
        # Typed, the day is bound as the dialect's text (sqlite3's own date adapter is
        # deprecated since Python 3.12).
        connection.execute(
            text("UPDATE accounts SET next_billing_on = :day WHERE id = :id").bindparams(
                bindparam("day", type_=Date())
            ),
            changes,
        )
        after = rows[-1].id


def _add_billing_cursor(connection: Connection) -> None:
    """Version 3 → 4: the billing cursor's own columns, filled from the stored data."""
    connection.execute(
        text("ALTER TABLE accounts ADD COLUMN next_period INTEGER NOT NULL DEFAULT 0")
    )
    connection.execute(text("ALTER TABLE accounts ADD COLUMN paid_through DATE"))
    after = ""
    while True:
        rows = connection.execute(
            text("SELECT id, data FROM accounts WHERE id > :after ORDER BY id LIMIT 500"),
            {"after": after},
        ).all()
        if not rows:
            return
        cursors = []
        for row in rows:
            stored = json.loads(row.data)
            paid = stored.get("paid_through")
            cursors.append(
                {
                    "id": row.id,
                    "next": int(stored.get("next_period", 0)),
                    "paid": None if paid is None else date.fromisoformat(paid),
                }
            )
        connection.execute(
            text(
                "UPDATE accounts SET next_period = :next, paid_through = :paid WHERE id = :id"
            ).bindparams(bindparam("paid", type_=Date())),
            cursors,
        )
        after = rows[-1].id


def _add_search_index(connection: Connection) -> None:
    """Version 4 → 5: the search's trigram index on PostgreSQL (nothing on SQLite)."""
    _ensure_search_index(connection)


def _add_overview_index(connection: Connection) -> None:
    """Version 5 → 6: the overview's own index on SQLite (nothing on PostgreSQL)."""
    if connection.dialect.name == "sqlite":
        connection.execute(_OVERVIEW_INDEX_DDL)


MIGRATIONS: Mapping[int, Callable[[Connection], None]] = {
    1: _add_next_billing_on,
    2: _fill_next_billing_on,
    3: _add_billing_cursor,
    4: _add_search_index,
    5: _add_overview_index,
}
"""Each step, keyed by the version it upgrades from, to the next version."""


def stored_version(connection: Connection) -> int | None:
    """Return the database's schema version, None when it has no schema yet."""
    if not inspect(connection).has_table("schema_version"):
        return None
    found = connection.execute(text("SELECT max(version) FROM schema_version")).scalar()
    return None if found is None else int(found)


def upgrade(connection: Connection) -> int:
    """Create the schema, or upgrade an older one to :data:`CURRENT_VERSION`.

    Args:
        connection: A connection inside the transaction the upgrade runs in.

    Returns:
        The version the database had before (0 for an empty database).

    Raises:
        SchemaVersionError: The database was written by a newer release of the library.
    """
    found = stored_version(connection)
    if found is None:
        metadata.create_all(connection)
        _ensure_search_index(connection)
        connection.execute(schema_version.insert(), {"version": CURRENT_VERSION})
        return 0
    if found > CURRENT_VERSION:
        raise SchemaVersionError(found, CURRENT_VERSION)
    for version in range(found, CURRENT_VERSION):
        MIGRATIONS[version](connection)
    if found != CURRENT_VERSION:
        connection.execute(schema_version.update().values(version=CURRENT_VERSION))
    else:
        _ensure_search_index(connection)
    return found
