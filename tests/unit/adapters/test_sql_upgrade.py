"""The SQL schema is created and upgraded by the library itself, data intact."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from resell_core.adapters.sql import CURRENT_VERSION, SqlStorage, schema
from resell_core.errors import SchemaVersionError
from resell_core.serialization import to_json
from resell_core.testing.contracts.samples import ACME, an_account


def _version_1_database(engine: Engine) -> None:
    """Write a version-1 database by hand: no next_billing_on column, one account."""
    account = an_account("account-north", ACME, "north-bakery")
    row = schema.account_columns(account)
    for column in ("next_billing_on", "next_period", "paid_through"):
        del row[column]
    row["data"] = to_json(account)
    with engine.begin() as connection:
        schema.metadata.create_all(connection)
        connection.execute(text("DROP INDEX ix_accounts_next_billing_on"))
        for column in ("next_billing_on", "next_period", "paid_through"):
            connection.execute(text(f"ALTER TABLE accounts DROP COLUMN {column}"))
        connection.execute(text("INSERT INTO schema_version (version) VALUES (1)"))
        connection.execute(schema.accounts.insert(), row)


def test_a_version_1_database_is_upgraded_with_its_data(engine: Engine) -> None:
    """Opening a version-1 database upgrades it; its account is read back and is due."""
    _version_1_database(engine)

    storage = SqlStorage(engine)

    with engine.connect() as connection:
        assert schema.stored_version(connection) == CURRENT_VERSION
    with storage.unit_of_work() as uow:
        account = uow.accounts.get(ACME, "account-north")
        due = uow.accounts.due(date(2024, 3, 1))
    assert (account.name, account.anchor) == ("north-bakery", date(2024, 1, 31))
    assert [a.id for a in due] == ["account-north"]


def test_upgrading_a_current_database_changes_nothing(engine: Engine) -> None:
    """upgrade() on a database at the current version reports it and keeps the rows."""
    storage = SqlStorage(engine)
    with storage.unit_of_work() as uow:
        uow.accounts.add(an_account())
        uow.commit()

    found = storage.upgrade()

    assert found == CURRENT_VERSION
    with storage.unit_of_work() as uow:
        assert uow.accounts.find("account-north") is not None


def test_a_newer_database_is_refused(engine: Engine) -> None:
    """A database written by a newer release raises SchemaVersionError, changing nothing."""
    SqlStorage(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE schema_version SET version = 99"))

    with pytest.raises(SchemaVersionError) as raised:
        SqlStorage(engine)

    assert (raised.value.found, raised.value.code) == (99, "schema_version")


def test_create_false_leaves_an_empty_database_empty(engine: Engine) -> None:
    """SqlStorage(..., create=False) builds no table until upgrade() is called."""
    storage = SqlStorage(engine, create=False)
    with engine.connect() as connection:
        assert schema.stored_version(connection) is None

    assert storage.upgrade() == 0

    with engine.connect() as connection:
        assert schema.stored_version(connection) == CURRENT_VERSION


def test_upgrading_binds_days_as_text_without_the_drivers_date_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade hands SQLite its days as text, not through sqlite3's default date
    adapter (deprecated since Python 3.12): without that adapter it still upgrades."""
    engine = create_engine(f"sqlite:///{tmp_path / 'agency.db'}")
    _version_1_database(engine)
    adapter: tuple[type[Any], type[Any]] = (date, sqlite3.PrepareProtocol)
    monkeypatch.delitem(sqlite3.adapters, adapter)

    SqlStorage(engine)

    with engine.connect() as connection:
        assert schema.stored_version(connection) == CURRENT_VERSION
        stored = connection.execute(text("SELECT next_billing_on FROM accounts")).scalar_one()
    engine.dispose()
    assert stored == "2024-02-29"
