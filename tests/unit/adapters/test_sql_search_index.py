"""PostgreSQL: the overview's search has a trigram index, made by the schema upgrade (O5)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks.overview_data import Shape, generate

from resell_core.adapters.sql import SqlStorage, schema
from resell_core.adapters.sql.testing import ScratchSchema
from resell_core.lifecycle.account_query import AccountQuery
from resell_core.testing.contracts.samples import ACME, an_account, an_agency

IndexNames = Callable[[SqlStorage], set[str]]
OverviewPlan = Callable[..., str]
OlderSchema = Callable[[SqlStorage, str, int], None]


def test_O5_the_upgrade_creates_the_trigram_index(
    scratch: ScratchSchema, index_names: IndexNames
) -> None:
    """A new database has the search's trigram index, and pg_trgm is installed."""
    storage = scratch.storage()

    assert schema.SEARCH_INDEX in index_names(storage)
    with storage.engine.connect() as connection:
        installed = connection.execute(
            text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        ).scalar()
    assert installed == 1


def test_O5_a_version_4_database_gets_the_index_on_upgrade(
    scratch: ScratchSchema, index_names: IndexNames, older_schema: OlderSchema
) -> None:
    """Upgrading from version 4 adds the index; its accounts are still found by search."""
    storage = scratch.storage()
    older_schema(storage, schema.SEARCH_INDEX, 4)

    assert storage.upgrade() == 4

    assert schema.SEARCH_INDEX in index_names(storage)
    with storage.unit_of_work() as uow:
        page = uow.accounts.query(ACME, AccountQuery(search="Bakery"), date(2024, 3, 1))
    assert [a.id for a in page.rows] == ["account-north"]


def test_O5_a_search_of_three_characters_or_more_uses_the_trigram_index(
    scratch: ScratchSchema, overview_plan: OverviewPlan
) -> None:
    """On 20,000 accounts over 11 agencies, '1357' is looked up in the trigram index; '13'
    and '1-3', which hold no trigram, are never (the index would be read whole)."""
    storage = scratch.storage()
    generate(storage, Shape(2_000, 10, 1_800))

    assert schema.SEARCH_INDEX in overview_plan(storage, "1357")
    assert schema.SEARCH_INDEX in overview_plan(storage, "1357", count=True)
    for short in ("13", "1-3"):
        assert schema.SEARCH_INDEX not in overview_plan(storage, short)
        assert schema.SEARCH_INDEX not in overview_plan(storage, short, count=True)


def test_O5_without_the_extension_the_search_works_and_a_warning_says_why(
    scratch: ScratchSchema,
    index_names: IndexNames,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the extension cannot be created, the schema is made without the index, a
    warning names the extension, and the search finds the same accounts."""
    monkeypatch.setattr(schema, "TRIGRAM_EXTENSION", "resell_core_no_such_extension")
    with caplog.at_level(logging.WARNING, logger=schema.__name__):
        storage = scratch.storage()
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency())
        uow.accounts.add(an_account())
        uow.commit()

    with storage.unit_of_work() as uow:
        page = uow.accounts.query(ACME, AccountQuery(search="NORTH-bak"), date(2024, 3, 1))

    assert schema.SEARCH_INDEX not in index_names(storage)
    assert "resell_core_no_such_extension" in caplog.text
    assert "without its trigram index" in caplog.text
    assert [a.id for a in page.rows] == ["account-north"]
