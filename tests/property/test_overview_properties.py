"""Properties of the overview's reference evaluator: paging, sorting and filtering (O4, O7)."""

from __future__ import annotations

from datetime import date

import attrs
from hypothesis import given
from hypothesis import strategies as st

from resell_core.lifecycle.account import Account
from resell_core.lifecycle.account_query import (
    SEARCHED_COLUMNS,
    AccountQuery,
    CursorPosition,
    SortKey,
    column_value,
    compare_keys,
    encode_cursor,
    fold,
    matches,
    run_query,
    sort_key,
)
from resell_core.testing.strategies import (
    account_queries,
    overview_account_lists,
    overview_filters,
    sort_keys,
)

TODAY = date(2025, 1, 20)


def _expected_order(accounts: list[Account], sort: tuple[SortKey, ...]) -> list[str]:
    """Sort independently of compare_keys: stable passes, last key first, nulls last."""
    ordered = sorted(accounts, key=lambda a: a.id)
    for key in reversed(sort):
        present = [a for a in ordered if column_value(a, key.column) is not None]
        missing = [a for a in ordered if column_value(a, key.column) is None]
        present.sort(key=lambda a: column_value(a, key.column), reverse=key.descending)  # type: ignore[arg-type, return-value]
        ordered = present + missing
    return [a.id for a in ordered]


def _all_pages(accounts: list[Account], query: AccountQuery) -> list[list[str]]:
    pages: list[list[str]] = []
    for _ in range(len(accounts) + 2):
        page = run_query(accounts, query, TODAY)
        pages.append([a.id for a in page.rows])
        if page.next_cursor is None:
            return pages
        query = attrs.evolve(query, cursor=page.next_cursor)
    raise AssertionError("paging did not end: a cursor led back to rows already listed")


@given(overview_account_lists, account_queries())
def test_O7_paging_yields_every_matching_account_once_in_sort_order(
    accounts: list[Account], query: AccountQuery
) -> None:
    """Following next_cursor to the end lists each matching account once, in sort order."""
    wanted = [a for a in accounts if matches(a, query, TODAY)]

    pages = _all_pages(accounts, query)

    listed = [account_id for page in pages for account_id in page]
    assert listed == _expected_order(wanted, query.sort)
    assert all(len(page) <= query.limit for page in pages)
    assert all(pages[:-1]), "only the last page may be empty"


@given(overview_account_lists, account_queries(), st.randoms(use_true_random=False))
def test_O7_result_does_not_depend_on_input_order(
    accounts: list[Account], query: AccountQuery, shuffler: object
) -> None:
    """Sorting is deterministic: shuffling the stored accounts changes no page."""
    shuffled = list(accounts)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]

    assert _all_pages(shuffled, query) == _all_pages(accounts, query)


@given(
    overview_account_lists,
    st.lists(sort_keys, min_size=1, max_size=3, unique_by=lambda k: k.column),
)
def test_O7_sort_order_is_total(accounts: list[Account], sort: list[SortKey]) -> None:
    """Any two different accounts compare strictly, and the comparison is antisymmetric."""
    keys = tuple(sort)
    positions = [(sort_key(a, keys), a.id) for a in accounts]

    for left in positions:
        for right in positions:
            order = compare_keys(left, right, keys)
            assert (order == 0) == (left[1] == right[1])
            assert order == -compare_keys(right, left, keys)


@given(overview_account_lists, st.lists(overview_filters(), min_size=1, max_size=3))
def test_O4_filters_are_conjunctive(accounts: list[Account], filters: list[object]) -> None:
    """An account passes several filters exactly when it passes each one alone."""
    together = AccountQuery(filters=filters)  # type: ignore[arg-type]
    alone = [AccountQuery(filters=[f]) for f in filters]  # type: ignore[list-item]

    for account in accounts:
        expected = all(matches(account, q, TODAY) for q in alone)
        assert matches(account, together, TODAY) == expected


@given(overview_account_lists, account_queries())
def test_O1_total_counts_every_matching_account_on_every_page(
    accounts: list[Account], query: AccountQuery
) -> None:
    """Each page reports the same total: the number of accounts the query matches."""
    expected = sum(matches(a, query, TODAY) for a in accounts)
    page = run_query(accounts, query, TODAY)
    totals = {page.total}
    while page.next_cursor is not None:
        page = run_query(accounts, attrs.evolve(query, cursor=page.next_cursor), TODAY)
        totals.add(page.total)

    assert totals == {expected}


@given(overview_account_lists, st.sampled_from(["a", "BAKERY", "ärzte", ".TEST", "acme.ex"]))
def test_O5_search_matches_exactly_the_searched_columns(accounts: list[Account], text: str) -> None:
    """Search finds an account iff a searched column holds the text, whatever the case."""
    query = AccountQuery(search=text)

    for account in accounts:
        values = [column_value(account, c) for c in SEARCHED_COLUMNS]
        expected = any(isinstance(v, str) and fold(text) in fold(v) for v in values)
        assert matches(account, query, TODAY) == expected


@given(
    overview_account_lists,
    st.lists(sort_keys, min_size=1, max_size=3, unique_by=lambda k: k.column),
)
def test_O7_cursor_round_trips_every_row_position(
    accounts: list[Account], sort: list[SortKey]
) -> None:
    """A cursor made from any row decodes to that row's sort values and id."""
    keys = tuple(sort)
    for account in accounts:
        position = CursorPosition(sort_key(account, keys), account.id)

        query = AccountQuery(sort=keys, cursor=encode_cursor(keys, position))

        assert query.position() == position
