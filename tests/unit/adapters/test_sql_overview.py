"""The overview query runs in SQL and answers exactly as the reference evaluator (O1-O8)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.account_query import AccountQuery, Page, run_query
from resell_core.pricing.selection import PlanSelection
from resell_core.testing.contracts.samples import an_agency
from resell_core.testing.strategies import account_queries, overview_account_lists

AGENCY = "ACME-DIGITAL"
TODAY = date(2025, 1, 20)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest) -> Iterator[SqlStorage]:
    """One SQL storage per dialect for the module; each example empties its accounts."""
    if request.param == "sqlite":
        yield SqlStorage("sqlite://")
        return
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    yield scratch.storage()
    scratch.drop()


def _named_uniquely(accounts: list[Account]) -> list[Account]:
    """Give repeated names a suffix: names are unique on the platform (A2)."""
    seen: dict[str, int] = {}
    renamed = []
    for account in accounts:
        count = seen.get(account.name, 0)
        seen[account.name] = count + 1
        renamed.append(
            account if count == 0 else attrs.evolve(account, name=f"{account.name}-{count}")
        )
    return renamed


def _stored(storage: SqlStorage, accounts: list[Account]) -> None:
    with storage.engine.begin() as connection:
        connection.execute(text("DELETE FROM accounts"))
        connection.execute(text("DELETE FROM agencies"))
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(AGENCY))
        uow.agencies.add(an_agency("GLOBEX-DIGITAL"))
        for account in accounts:
            uow.accounts.add(account)
        # Another agency's account that matches everything must never appear.
        uow.accounts.add(
            attrs.evolve(
                accounts[0], id="acc-globex", agency_id="GLOBEX-DIGITAL", name="globex-copy"
            )
        )
        uow.commit()


def _pages(pages: Iterator[Page[Account]]) -> list[tuple[list[str], str | None, int]]:
    return [([a.id for a in page.rows], page.next_cursor, page.total) for page in pages]


def _walk(
    ask: Callable[[AccountQuery], Page[Account]], query: AccountQuery
) -> Iterator[Page[Account]]:
    # Bounded: a cursor that failed to move on must fail the test, not hang it.
    for _ in range(60):
        page = ask(query)
        yield page
        if page.next_cursor is None:
            return
        query = attrs.evolve(query, cursor=page.next_cursor)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(accounts=overview_account_lists.filter(bool), query=account_queries())
def test_O1_sql_pages_equal_the_reference_pages(
    storage: SqlStorage, accounts: list[Account], query: AccountQuery
) -> None:
    """Every page of every generated query, cursor and total included, equals run_query's."""
    accounts = _named_uniquely(accounts)
    _stored(storage, accounts)

    with storage.unit_of_work() as uow:
        got = _pages(_walk(lambda q: uow.accounts.query(AGENCY, q, TODAY), query))
    expected = _pages(_walk(lambda q: run_query(accounts, q, TODAY), query))

    assert got == expected


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    accounts=overview_account_lists.filter(lambda a: len(a) >= 2),
    query=account_queries(),
    renamed=st.sampled_from(["aaa-first", "zzz-last", "North-Bakery-NEW"]),
)
def test_O1_uncommitted_changes_are_merged_into_the_sql_pages(
    storage: SqlStorage, accounts: list[Account], query: AccountQuery, renamed: str
) -> None:
    """A unit of work's own uncommitted changes show in its overview as run_query shows them."""
    accounts = _named_uniquely(accounts)
    _stored(storage, accounts[1:])
    changed = attrs.evolve(accounts[1], name=renamed, status=AccountStatus.ARCHIVED, version=1)

    with storage.unit_of_work() as uow:
        uow.accounts.add(accounts[0])
        uow.accounts.update(attrs.evolve(accounts[1], name=renamed, status=AccountStatus.ARCHIVED))
        got = _pages(_walk(lambda q: uow.accounts.query(AGENCY, q, TODAY), query))
    mine = [accounts[0], changed, *accounts[2:]]
    expected = _pages(_walk(lambda q: run_query(mine, q, TODAY), query))

    assert got == expected


def test_O5_search_folds_non_ascii_text_like_the_reference(storage: SqlStorage) -> None:
    """Searching "ÄRZTE" finds "Ärztehaus Süd" in SQL, as str.lower() folding does."""
    base = Account(
        id="acc-1",
        agency_id=AGENCY,
        name="north-bakery",
        client_name="Ärztehaus Süd",
        notification_email="ops@north-bakery.test",
        country="DE",
        region="eu",
        language="de",
        timezone="Europe/Berlin",
        plan=PlanSelection("V1", "EM", "trial"),
        created_on=date(2025, 1, 2),
    )
    _stored(storage, [base])

    with storage.unit_of_work() as uow:
        page = uow.accounts.query(AGENCY, AccountQuery(search="ÄRZTE"), TODAY)

    assert [a.id for a in page.rows] == ["acc-1"]
