"""The SQL storage's own errors for a database it cannot use (E1): a bad URL or a missing
driver is a ConfigurationError, an unreachable server or a lost connection a retryable
StorageUnavailable; each chained to the driver's error, and never hidden by a rollback's."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.errors import ConfigurationError, NotFound, StorageUnavailable
from resell_core.ports import UnitOfWork
from resell_core.testing.contracts.samples import ACME, an_agency

Kill = Callable[[UnitOfWork], None]


def _kill_sqlite(uow: UnitOfWork) -> None:
    """Close the unit of work's SQLite connection under it, as a crashed driver would."""
    uow.agencies.get(ACME)
    uow._connection.connection.dbapi_connection.close()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def lost(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SqlStorage, Kill]]:
    """A storage holding ACME, and how to cut a unit of work's connection: on SQLite its
    file's connection closed under it, on PostgreSQL its backend terminated."""
    if request.param == "sqlite":
        storage = SqlStorage(f"sqlite:///{tmp_path / 'agency.db'}")
        kill: Kill = _kill_sqlite
        scratch = None
    else:
        url = postgres_url()
        if url is None:
            pytest.skip(skip_reason())
        scratch = ScratchSchema(url)
        storage = scratch.storage()
        admin = create_engine(url)

        def kill(uow: UnitOfWork) -> None:
            uow.agencies.get(ACME)
            pid = uow._connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()  # type: ignore[attr-defined]
            with admin.begin() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.commit()
    yield storage, kill
    storage.dispose()
    if scratch is not None:
        admin.dispose()
        scratch.drop()


@pytest.mark.parametrize(
    "url",
    ["nonsense://", "", "postgresql+nodriver://north@127.0.0.1/agency", "mysql+mysqldb://x@h/db"],
    ids=["no-dialect", "empty", "unknown-driver", "driver-not-installed"],
)
def test_E1_a_bad_url_or_a_missing_driver_is_a_configuration_error(url: str) -> None:
    """The URL is refused with ConfigurationError, chained to SQLAlchemy's or Python's."""
    with pytest.raises(ConfigurationError) as raised:
        SqlStorage(url)

    assert raised.value.code == "configuration_error"
    assert isinstance(raised.value.__cause__, SQLAlchemyError | ImportError)


def test_E1_a_database_the_storage_does_not_speak_is_a_configuration_error() -> None:
    """Only SQLite and PostgreSQL are supported: an engine of another dialect is refused."""
    mysql = create_engine("mysql+pymysql://north@127.0.0.1/agency", module=sqlite3)

    with pytest.raises(ConfigurationError) as raised:
        SqlStorage(mysql)

    assert "not mysql" in raised.value.message


def test_E1_an_unreachable_server_is_storage_unavailable() -> None:
    """Nothing listens on 127.0.0.1:1: StorageUnavailable says to retry, chained."""
    with pytest.raises(StorageUnavailable) as raised:
        SqlStorage("postgresql+psycopg://nobody@127.0.0.1:1/agency")

    assert raised.value.code == "storage_unavailable"
    assert "retry" in raised.value.message
    assert isinstance(raised.value.__cause__, SQLAlchemyError)


def test_E1_a_connection_lost_mid_unit_of_work_is_storage_unavailable(
    lost: tuple[SqlStorage, Kill],
) -> None:
    """A read on a lost connection is StorageUnavailable, and leaving the unit of work
    does not replace it with the rollback's driver error."""
    storage, kill = lost

    def read_after_the_loss() -> None:
        with storage.unit_of_work() as uow:
            kill(uow)
            uow.agencies.get(ACME)

    with pytest.raises(StorageUnavailable) as raised:
        read_after_the_loss()

    assert raised.value.__cause__ is not None


def test_E1_the_library_s_own_error_is_never_hidden_by_a_failed_rollback(
    lost: tuple[SqlStorage, Kill],
) -> None:
    """A command that fails after its connection was lost raises its own error."""
    storage, kill = lost

    def fail_after_the_loss() -> None:
        with storage.unit_of_work() as uow:
            kill(uow)
            raise NotFound("account", "north-bakery")

    with pytest.raises(NotFound):
        fail_after_the_loss()


def test_E1_a_commit_on_a_lost_connection_is_storage_unavailable(
    lost: tuple[SqlStorage, Kill],
) -> None:
    """Writing on a lost connection is StorageUnavailable; the storage works again after."""
    storage, kill = lost

    def write_after_the_loss() -> None:
        with storage.unit_of_work() as uow:
            kill(uow)
            uow.agencies.add(an_agency("GLOBEX"))
            uow.commit()

    with pytest.raises(StorageUnavailable):
        write_after_the_loss()

    with storage.unit_of_work() as uow:
        assert [a.id for a in uow.agencies.page()] == [ACME]
