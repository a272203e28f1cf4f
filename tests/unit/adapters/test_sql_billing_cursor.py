"""An account's billing cursor has columns of its own: billing a period writes them alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine, create_engine, text

from resell_core.adapters.sql import CURRENT_VERSION, SqlStorage, schema
from resell_core.billing.due import due_periods
from resell_core.errors import VersionConflict
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.terms import record_period_billed
from resell_core.serialization import to_json
from resell_core.testing.contracts.samples import ACME, an_account, an_agency

UNTIL = date(2024, 3, 1)


def _stored(engine: Engine, account_id: str = "account-north") -> dict[str, object]:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT data, version, next_period, paid_through, next_billing_on, expires_on "
                "FROM accounts WHERE id = :id"
            ),
            {"id": account_id},
        ).one()
    return dict(row._mapping)


def _billed(account: Account) -> Account:
    due = due_periods(account, UNTIL)[0]
    return record_period_billed(account, due.index, due.period).account


def _with_account(engine: Engine) -> SqlStorage:
    storage = SqlStorage(engine)
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency())
        uow.accounts.add(an_account())
        uow.commit()
    return storage


def test_B1_billing_a_period_writes_the_cursor_columns_and_leaves_the_document(
    engine: Engine,
) -> None:
    """A billed period's update changes next_period, paid_through and the dates derived
    from them, not ``data``; the account reads back with the new cursor."""
    storage = _with_account(engine)
    before = _stored(engine)

    with storage.unit_of_work() as uow:
        uow.accounts.update(_billed(uow.accounts.get(ACME, "account-north")))
        uow.commit()

    after = _stored(engine)
    assert after["data"] == before["data"]
    assert (after["version"], after["next_period"]) == (1, 2)
    assert str(after["paid_through"]) == str(after["next_billing_on"]) == "2024-03-31"
    assert str(after["expires_on"]) == "2024-03-31"
    with storage.unit_of_work() as uow:
        account = uow.accounts.get(ACME, "account-north")
        due = uow.accounts.due(date(2024, 4, 1))
    assert (account.next_period, account.paid_through, account.version) == (
        2,
        date(2024, 3, 31),
        1,
    )
    assert [a.id for a in due] == ["account-north"]
    storage.dispose()


def test_B1_an_update_changing_more_than_the_cursor_writes_the_document(engine: Engine) -> None:
    """Billed and renamed in one unit of work: the document holds the new name."""
    storage = _with_account(engine)

    with storage.unit_of_work() as uow:
        billed = _billed(uow.accounts.get(ACME, "account-north"))
        uow.accounts.update(attrs.evolve(billed, client_name="North Bakery plc"))
        uow.commit()

    after = _stored(engine)
    assert "North Bakery plc" in str(after["data"])
    with storage.unit_of_work() as uow:
        account = uow.accounts.get(ACME, "account-north")
    assert (account.client_name, account.next_period) == ("North Bakery plc", 2)
    storage.dispose()


def test_B1_a_read_account_changed_in_place_is_written_whole(engine: Engine) -> None:
    """An account changed in place after it was read is not mistaken for a cursor-only
    change: the commit writes its document."""
    storage = _with_account(engine)

    with storage.unit_of_work() as uow:
        account = uow.accounts.get(ACME, "account-north")
        account.client_name = "Changed in place"
        uow.accounts.update(_billed(account))
        uow.commit()

    with storage.unit_of_work() as uow:
        assert uow.accounts.get(ACME, "account-north").client_name == "Changed in place"
    storage.dispose()


def test_B1_a_cursor_update_of_a_row_changed_meanwhile_is_a_version_conflict(
    engine: Engine,
) -> None:
    """Two units of work bill the same period: the second commit raises VersionConflict
    and the period is recorded once."""
    storage = _with_account(engine)

    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        first.accounts.update(_billed(first.accounts.get(ACME, "account-north")))
        second.accounts.update(_billed(second.accounts.get(ACME, "account-north")))
        first.commit()
        with pytest.raises(VersionConflict):
            second.commit()

    assert (_stored(engine)["next_period"], _stored(engine)["version"]) == (2, 1)
    storage.dispose()


def test_B1_a_version_3_database_gets_its_cursor_columns_from_the_documents(
    engine: Engine,
) -> None:
    """Upgrading from version 3 fills next_period and paid_through from each document."""
    account = attrs.evolve(an_account(), next_period=3, paid_through=date(2024, 4, 30))
    row = schema.account_columns(account)
    del row["next_period"], row["paid_through"]
    row["data"] = to_json(account)
    with engine.begin() as connection:
        schema.metadata.create_all(connection)
        for column in ("next_period", "paid_through"):
            connection.execute(text(f"ALTER TABLE accounts DROP COLUMN {column}"))
        connection.execute(text("INSERT INTO schema_version (version) VALUES (3)"))
        connection.execute(schema.accounts.insert(), row)

    storage = SqlStorage(engine)

    stored = _stored(engine)
    assert (stored["next_period"], str(stored["paid_through"])) == (3, "2024-04-30")
    with engine.connect() as connection:
        assert schema.stored_version(connection) == CURRENT_VERSION
    with storage.unit_of_work() as uow:
        found = uow.accounts.get(ACME, "account-north")
    assert (found.next_period, found.paid_through) == (3, date(2024, 4, 30))
    storage.dispose()


def test_B1_a_batch_of_cursor_updates_with_one_row_changed_meanwhile_is_a_version_conflict(
    engine: Engine,
) -> None:
    """Three accounts billed in one commit while another commit billed the middle one
    first: the commit raises VersionConflict and writes none of the three; the middle
    one's period is recorded once."""
    storage = _with_account(engine)
    ids = ["account-north", "account-middle", "account-south"]
    with storage.unit_of_work() as uow:
        for account_id in ids[1:]:
            uow.accounts.add(an_account(account_id))
        uow.commit()

    with storage.unit_of_work() as late, storage.unit_of_work() as first:
        for account_id in ids:
            late.accounts.store(_billed(late.accounts.get(ACME, account_id)))
        first.accounts.store(_billed(first.accounts.get(ACME, "account-middle")))
        first.commit()
        with pytest.raises(VersionConflict):
            late.commit()

    assert [(_stored(engine, i)["next_period"], _stored(engine, i)["version"]) for i in ids] == [
        (1, 0),
        (2, 1),
        (1, 0),
    ]
    storage.dispose()


def test_B1_accounts_moved_on_alike_are_one_update_on_sqlite(tmp_path: Path) -> None:
    """Four accounts billed in one commit: three moved on to the same period from the same
    version are one UPDATE finding them among a list; the fourth, billed twice, is a
    statement of its own. Each ends as billed, its version one up."""
    storage = _with_account(create_engine(f"sqlite:///{tmp_path / 'agency.db'}"))
    ids = ["account-north", "account-east", "account-south", "account-west"]
    with storage.unit_of_work() as uow:
        for account_id in ids[1:]:
            uow.accounts.add(an_account(account_id))
        uow.commit()
    seen: list[str] = []
    with storage.engine.connect() as connection:
        # The pool keeps this connection: the unit of work below runs on it.
        connection.connection.driver_connection.set_trace_callback(seen.append)  # type: ignore[union-attr]

    with storage.unit_of_work() as uow:
        for account_id in ids[:3]:
            uow.accounts.store(_billed(uow.accounts.get(ACME, account_id)))
        west = _billed(uow.accounts.get(ACME, "account-west"))
        due = due_periods(west, date(2024, 4, 1))[0]
        uow.accounts.store(record_period_billed(west, due.index, due.period).account)
        uow.commit()

    updates = [s for s in seen if s.lstrip().upper().startswith("UPDATE ACCOUNTS")]
    assert len(updates) == 2
    assert all(f"'{i}'" in updates[0] for i in ids[:3])
    assert "'account-west'" not in updates[0]
    stored = [_stored(storage.engine, i) for i in ids]
    assert [(row["next_period"], row["version"]) for row in stored] == [
        (2, 1),
        (2, 1),
        (2, 1),
        (3, 1),
    ]
    storage.dispose()
