"""SQLite: the overview's count and page are read from an index of their own (O5, O11)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from benchmarks.overview_data import Shape, agency_of, expected_account, generate

from resell_core.adapters.sql import CURRENT_VERSION, SqlStorage, schema
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.account_query import AccountQuery, Page, run_query
from resell_core.testing.contracts.samples import ACME

IndexNames = Callable[[SqlStorage], set[str]]
OverviewPlan = Callable[..., str]
OlderSchema = Callable[[SqlStorage, str, int], None]

TODAY = date(2024, 3, 1)
SHAPE = Shape(3_000, 2, 1_500)
"""ACME's 3,000 accounts (3 in 5 active) between two other agencies' 1,500 each."""

QUERIES = [
    AccountQuery(status="active", search="13", sort="-name", limit=50),
    AccountQuery(status="active", search="1357", sort="-name", limit=50),
    AccountQuery(status="active", sort="name", limit=50),
    AccountQuery(search="shop-00021", sort="-name", limit=50),
    AccountQuery(status="expired", search="9", sort="name", limit=50),
]
"""Searched or not, one status or all, by name either way; some past COUNT_LIMIT."""

on_sqlite = pytest.mark.parametrize("storage", ["sqlite"], indirect=True)


def _pages(storage: SqlStorage, query: AccountQuery) -> list[tuple[object, ...]]:
    """The first three pages of the query on ACME: ids, cursor, total, exactness."""
    found = []
    with storage.unit_of_work() as uow:
        for _ in range(3):
            page = uow.accounts.query(ACME, query, TODAY)
            found.append(_seen(page))
            if page.next_cursor is None:
                break
            query = attrs.evolve(query, cursor=page.next_cursor)
    return found


def _seen(page: Page[Account]) -> tuple[object, ...]:
    return tuple(a.id for a in page.rows), page.next_cursor, page.total, page.total_exact


def _reference(query: AccountQuery) -> Iterator[tuple[object, ...]]:
    """run_query's first three pages over ACME's seeded accounts: ids and cursor."""
    accounts = [
        expected_account(SHAPE, i) for i in range(SHAPE.total) if agency_of(SHAPE, i) == ACME
    ]
    for _ in range(3):
        page = run_query(accounts, query, TODAY)
        yield _seen(page)[:2]
        if page.next_cursor is None:
            return
        query = attrs.evolve(query, cursor=page.next_cursor)


def test_O11_a_new_database_has_the_overview_index_on_sqlite_only(
    storage: SqlStorage, index_names: IndexNames
) -> None:
    """A new SQLite database has ix_accounts_overview; a new PostgreSQL schema has not."""
    assert (schema.OVERVIEW_INDEX in index_names(storage)) is (storage.dialect == "sqlite")


@on_sqlite
def test_O11_a_version_5_database_gets_the_overview_index_on_upgrade(
    storage: SqlStorage, index_names: IndexNames, older_schema: OlderSchema
) -> None:
    """Upgrading a SQLite database from version 5 creates the index and the version; its
    accounts are still found by search."""
    older_schema(storage, schema.OVERVIEW_INDEX, 5)

    assert storage.upgrade() == 5

    assert schema.OVERVIEW_INDEX in index_names(storage)
    with storage.engine.connect() as connection:
        assert schema.stored_version(connection) == CURRENT_VERSION
    with storage.unit_of_work() as uow:
        page = uow.accounts.query(ACME, AccountQuery(search="Bakery"), TODAY)
    assert [a.id for a in page.rows] == ["account-north"]


@on_sqlite
def test_O11_the_count_is_read_from_the_overview_index_alone(
    storage: SqlStorage, overview_plan: OverviewPlan
) -> None:
    """On 6,000 accounts over 3 agencies, SQLite counts ACME's matches of a short and of
    a long search from the covering index, never from the table."""
    generate(storage, SHAPE)

    for search in ("13", "1357"):
        plan = overview_plan(storage, search, count=True)
        assert f"USING COVERING INDEX {schema.OVERVIEW_INDEX}" in plan, plan


@on_sqlite
def test_O11_the_page_tests_the_search_on_the_overview_index(
    storage: SqlStorage, overview_plan: OverviewPlan
) -> None:
    """A page of the same search is read along the overview index (its rows' documents
    from the table)."""
    generate(storage, SHAPE)

    plan = overview_plan(storage, "13")

    assert f"USING INDEX {schema.OVERVIEW_INDEX}" in plan, plan


@on_sqlite
def test_O11_the_overview_index_changes_no_page_and_no_count(storage: SqlStorage) -> None:
    """On the seeded agency, every query's first pages, cursors and totals are the same
    with the index as without it, and their rows and cursors are run_query's."""
    generate(storage, SHAPE)
    with_index = [_pages(storage, query) for query in QUERIES]
    with storage.engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {schema.OVERVIEW_INDEX}"))

    without_index = [_pages(storage, query) for query in QUERIES]

    assert with_index == without_index
    for query, pages in zip(QUERIES, with_index, strict=True):
        assert [page[:2] for page in pages] == list(_reference(query)), query
