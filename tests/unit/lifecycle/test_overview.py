"""The accounts overview: query model, reference evaluator, rows and saved views (O1-O10)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from resell_core.errors import InvalidInput, NotFound
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.lifecycle.account_query import (
    AccountQuery,
    CursorPosition,
    Filter,
    FilterOp,
    OverviewColumn,
    Page,
    SavedView,
    SortKey,
    column_value,
    encode_cursor,
    expires_on,
    open_view,
    overview_rows,
    run_query,
)
from resell_core.periods import Frequency
from resell_core.pricing.selection import PlanSelection

TODAY = date(2025, 6, 1)


def _account(
    number: int,
    name: str,
    *,
    tier: str = "plus",
    contacts: int | None = 2500,
    status: AccountStatus = AccountStatus.ACTIVE,
    client_name: str | None = None,
    email: str | None = None,
    custom_domain: str | None = None,
    country: str = "DE",
    created_on: date = date(2025, 1, 1),
    paid_through: date | None = date(2025, 7, 1),
    trial_ends_on: date | None = None,
    frequency: str = "monthly",
    kind: AccountKind = AccountKind.RESOLD,
) -> Account:
    if tier in ("trial", "sandbox"):
        plan = PlanSelection("V1", "EM", tier)
    else:
        plan = PlanSelection("V3", "marketing", tier, contacts, frequency)
    return Account(
        id=f"acc-{number:03d}",
        agency_id="ACME-DIGITAL",
        name=name,
        client_name=client_name or name.replace("-", " ").title(),
        notification_email=email or f"ops@{name}.test",
        country=country,
        region="eu",
        language="de",
        timezone="Europe/Berlin",
        plan=plan,
        created_on=created_on,
        status=status,
        kind=kind,
        custom_domain=custom_domain,
        paid_through=paid_through if plan.is_paid else None,
        trial_ends_on=trial_ends_on,
    )


BAKERY = _account(1, "north-bakery", tier="starter", contacts=500, created_on=date(2025, 2, 1))
FLORIST = _account(
    2, "rose-florist", tier="trial", status=AccountStatus.EXPIRED, trial_ends_on=date(2025, 5, 1)
)
GARAGE = _account(
    3,
    "fast-garage",
    tier="professional",
    contacts=10000,
    status=AccountStatus.CANCELLED,
    paid_through=date(2025, 5, 20),
    custom_domain="news.fastgarage.example",
    country="AT",
)
STUDIO = _account(
    4,
    "yoga-studio",
    tier="plus",
    contacts=2500,
    status=AccountStatus.CANCELLED,
    paid_through=date(2025, 6, 30),
    client_name="Studio Om",
    email="Hello@Yoga-Studio.TEST",
)
ARCHIVE = _account(
    5, "old-print-shop", tier="enterprise", contacts=50000, status=AccountStatus.ARCHIVED
)
SANDBOX = _account(6, "acme-sandbox", tier="sandbox", created_on=date(2024, 12, 1))
DISABLED = _account(7, "spam-house", tier="starter", contacts=None, status=AccountStatus.DISABLED)
ALL = [BAKERY, FLORIST, GARAGE, STUDIO, ARCHIVE, SANDBOX, DISABLED]


def _names(query: AccountQuery, accounts: list[Account] = ALL) -> list[str]:
    return [account.name for account in run_query(accounts, query, TODAY).rows]


def test_O1_overview_lists_every_account_of_the_agency_sorted_by_name() -> None:
    """With no filter the overview lists all accounts, by name, and counts them."""
    page = run_query(ALL, AccountQuery(), TODAY)

    assert [a.name for a in page.rows] == sorted(a.name for a in ALL)
    assert page.total == len(ALL)
    assert page.next_cursor is None


def test_O2_status_filter_lists_only_accounts_of_that_status() -> None:
    """The status filter keeps active, archived or disabled accounts only."""
    assert _names(AccountQuery(status="active")) == ["acme-sandbox", "north-bakery"]
    assert _names(AccountQuery(status="archived")) == ["old-print-shop"]
    assert _names(AccountQuery(status="disabled")) == ["spam-house"]


def test_O2_expired_filter_includes_cancelled_accounts_past_their_paid_through() -> None:
    """A cancelled account whose term ended is also listed as expired; a running one is not."""
    assert _names(AccountQuery(status="expired")) == ["fast-garage", "rose-florist"]
    assert _names(AccountQuery(status="cancelled")) == ["fast-garage", "yoga-studio"]


def test_O2_creating_accounts_show_under_all_only() -> None:
    """An account still being provisioned shows under "all" and in no status filter."""
    creating = _account(8, "new-cafe", status=AccountStatus.CREATING)

    assert _names(AccountQuery(), [creating]) == ["new-cafe"]
    assert _names(AccountQuery(status="active"), [creating]) == []


def test_O3_plan_filter_lists_only_accounts_of_that_tier() -> None:
    """The plan filter keeps one tier: trial, sandbox, starter, plus…"""
    assert _names(AccountQuery(plan="trial")) == ["rose-florist"]
    assert _names(AccountQuery(plan="starter")) == ["north-bakery", "spam-house"]
    assert _names(AccountQuery(plan="sandbox")) == ["acme-sandbox"]


def test_O3_status_and_plan_filters_combine() -> None:
    """Status and plan filters both hold for every listed account."""
    assert _names(AccountQuery(status="expired", plan="professional")) == ["fast-garage"]
    assert _names(AccountQuery(status="active", plan="professional")) == []


def test_O4_filter_on_country_equals() -> None:
    """An attribute filter keeps the accounts whose column equals the value."""
    assert _names(AccountQuery(filters=[("country", "eq", "AT")])) == ["fast-garage"]


def test_O4_filter_in_a_list_of_versions() -> None:
    """An ``in`` filter keeps the accounts whose value is one of the listed ones."""
    query = AccountQuery(filters=[Filter("version", "in", ["V1"])])

    assert _names(query) == ["acme-sandbox", "rose-florist"]


def test_O4_created_before_and_after_are_strict() -> None:
    """Date filters exclude the given day itself."""
    before = AccountQuery(filters=[("created_on", "before", date(2025, 1, 1))])
    after = AccountQuery(filters=[("created_on", "after", "2025-01-01")])

    assert _names(before) == ["acme-sandbox"]
    assert _names(after) == ["north-bakery"]


def test_O4_expiry_date_filter_never_matches_an_account_without_one() -> None:
    """A sandbox has no expiry date, so no date comparison lists it."""
    query = AccountQuery(filters=[("expires_on", "before", date(2030, 1, 1))])

    assert "acme-sandbox" not in _names(query)
    assert _names(AccountQuery(filters=[("expires_on", "is_null", True)])) == ["acme-sandbox"]


def test_O4_not_equal_lists_accounts_without_a_value() -> None:
    """``ne`` keeps accounts whose value is missing (SQL ``IS DISTINCT FROM``)."""
    query = AccountQuery(filters=[("custom_domain", "ne", "news.fastgarage.example")])

    assert "fast-garage" not in _names(query)
    assert "north-bakery" in _names(query)


def test_O4_contains_is_case_insensitive() -> None:
    """``contains`` finds a substring whatever its case."""
    query = AccountQuery(filters=[("notification_email", "contains", "yoga-STUDIO")])

    assert _names(query) == ["yoga-studio"]


def test_O4_filters_are_conjunctive() -> None:
    """Every filter must hold: country AT and tier starter lists nobody."""
    query = AccountQuery(filters=[("country", "eq", "AT"), ("plan", "eq", "starter")])

    assert _names(query) == []


def test_O4_filter_on_frequency_and_kind() -> None:
    """Billing frequency and account kind are filterable columns."""
    annual = _account(8, "annual-club", frequency="annual")
    referred = _account(9, "referred-shop", kind=AccountKind.COMMISSION)
    accounts = [*ALL, annual, referred]

    assert _names(AccountQuery(filters=[("frequency", "eq", "annual")]), accounts) == [
        "annual-club"
    ]
    assert _names(AccountQuery(filters=[("kind", "eq", "commission")]), accounts) == [
        "referred-shop"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BAKERY", ["north-bakery"]),
        ("fastgarage.example", ["fast-garage"]),
        ("studio om", ["yoga-studio"]),
        ("hello@yoga", ["yoga-studio"]),
        ("acme", ["acme-sandbox"]),
    ],
)
def test_O5_search_looks_in_name_domain_client_and_email(text: str, expected: list[str]) -> None:
    """Free text matches the name, custom domain, client name or notification email."""
    assert _names(AccountQuery(search=text)) == expected


def test_O5_search_ignores_other_columns() -> None:
    """The search does not look in the country or the plan."""
    assert _names(AccountQuery(search="professional")) == []


def test_O5_blank_search_is_no_search() -> None:
    """Whitespace only is the same as no search."""
    assert AccountQuery(search="   ").search is None


def test_O7_sort_by_contacts_descending_puts_missing_values_last() -> None:
    """Plan size descending: biggest first, accounts without a contact limit last."""
    names = _names(AccountQuery(sort="-contacts"))

    assert names[:3] == ["old-print-shop", "fast-garage", "yoga-studio"]
    assert set(names[-3:]) == {"acme-sandbox", "rose-florist", "spam-house"}


def test_O7_missing_values_sort_last_ascending_too() -> None:
    """Plan size ascending: smallest first, accounts without a contact limit still last."""
    names = _names(AccountQuery(sort="contacts"))

    assert names[0] == "north-bakery"
    assert names[-3:] == ["rose-florist", "acme-sandbox", "spam-house"]


def test_O7_ties_are_broken_by_account_id() -> None:
    """Accounts equal on every sort key come in account-id order."""
    twins = [_account(n, f"twin-{n}", created_on=date(2025, 3, 3)) for n in (9, 3, 7)]

    page = run_query(twins, AccountQuery(sort="-created_on"), TODAY)

    assert [a.id for a in page.rows] == ["acc-003", "acc-007", "acc-009"]


def test_O7_second_key_orders_within_first() -> None:
    """Sort by tier, then by creation date descending."""
    names = _names(AccountQuery(plan="starter", sort=["plan", "-created_on"]))

    assert names == ["north-bakery", "spam-house"]


def test_O7_sort_by_expiry_date() -> None:
    """Expiry date ascending lists the earliest ending term first."""
    names = _names(AccountQuery(sort=["expires_on"]))

    assert names[:2] == ["rose-florist", "fast-garage"]
    assert names[-1] == "acme-sandbox"


def test_O8_rows_carry_the_chosen_columns_in_order() -> None:
    """A row's values are exactly the chosen columns."""
    query = AccountQuery(search="bakery", columns=["contacts", "name", "expires_on"])

    rows = overview_rows(run_query(ALL, query, TODAY), query, TODAY).rows

    assert list(rows[0].values.items()) == [
        (OverviewColumn.CONTACTS, 500),
        (OverviewColumn.NAME, "north-bakery"),
        (OverviewColumn.EXPIRES_ON, date(2025, 7, 1)),
    ]


def test_O9_archived_account_row_offers_renew() -> None:
    """The primary action of an archived account is Renew."""
    query = AccountQuery(status="archived")

    row = overview_rows(run_query(ALL, query, TODAY), query, TODAY).rows[0]

    assert row.primary_action == "renew"


def test_O9_other_rows_offer_login() -> None:
    """Every account that is not archived has Login as its primary action."""
    query = AccountQuery()

    rows = overview_rows(run_query(ALL, query, TODAY), query, TODAY).rows

    assert {r.account_id: r.primary_action for r in rows if r.primary_action != "login"} == {
        ARCHIVE.id: "renew"
    }


def test_O10_rows_offer_edit_branding_and_billing_history() -> None:
    """An active account's row offers Edit's actions, Branding and Billing history."""
    query = AccountQuery(search="bakery")

    row = overview_rows(run_query(ALL, query, TODAY), query, TODAY).rows[0]

    assert {"upgrade", "cancel", "disable", "change_notification_email"} <= set(row.actions)
    assert {"change_billing_profile", "branding", "billing_history"} <= set(row.actions)


def test_O10_archived_row_offers_no_cancel_but_still_billing_history() -> None:
    """Actions follow the lifecycle table: an archived account cannot be cancelled."""
    query = AccountQuery(status="archived")

    row = overview_rows(run_query(ALL, query, TODAY), query, TODAY).rows[0]

    assert "cancel" not in row.actions
    assert {"branding", "billing_history"} <= set(row.actions)


def test_paging_walks_every_account_once() -> None:
    """Following next_cursor lists every account once, in order, with a stable total."""
    query = AccountQuery(sort=["-contacts"], limit=3)
    seen: list[str] = []
    totals = set()

    while True:
        page = run_query(ALL, query, TODAY)
        seen += [a.name for a in page.rows]
        totals.add(page.total)
        if page.next_cursor is None:
            break
        query = attrs.evolve(query, cursor=page.next_cursor)

    assert seen == _names(AccountQuery(sort=["-contacts"], limit=50))
    assert totals == {len(ALL)}


def test_paging_is_stable_when_a_listed_account_is_removed() -> None:
    """A keyset cursor resumes after the last row even if an earlier row disappeared."""
    first = run_query(ALL, AccountQuery(limit=2), TODAY)
    remaining = [a for a in ALL if a is not first.rows[0]]

    second = run_query(remaining, AccountQuery(limit=2, cursor=first.next_cursor), TODAY)

    assert [a.name for a in second.rows] == ["north-bakery", "old-print-shop"]


def test_cursor_of_another_sort_is_refused() -> None:
    """A cursor made for one sort order cannot page another."""
    cursor = run_query(ALL, AccountQuery(limit=2), TODAY).next_cursor

    with pytest.raises(InvalidInput) as caught:
        AccountQuery(sort="-name", limit=2, cursor=cursor)

    assert [p.field for p in caught.value.problems] == ["cursor"]


def test_garbage_cursor_is_refused() -> None:
    """A cursor that was not made by the overview is refused with advice."""
    with pytest.raises(InvalidInput, match="start again from the first page"):
        AccountQuery(cursor="not-a-cursor!")


def test_cursor_round_trips_a_position() -> None:
    """A position encoded as a cursor decodes to the same values."""
    sort = (SortKey.parse("-expires_on"), SortKey(OverviewColumn.NAME))
    position = CursorPosition((None, "north-bakery"), "acc-001")

    query = AccountQuery(sort=sort, cursor=encode_cursor(sort, position))

    assert query.position() == position


def test_query_reports_every_bad_field_at_once() -> None:
    """Bad status, plan, filter, sort, columns and limit are all reported together."""
    with pytest.raises(InvalidInput) as caught:
        AccountQuery(
            status="gone",
            plan=7,  # type: ignore[arg-type]
            filters=[("colour", "eq", "red"), ("created_on", "before", "soon")],
            sort=["-nope"],
            columns=["balance"],
            limit=501,
        )

    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "status",
        "plan",
        "filters[0].column",
        "filters[1].value",
        "sort[0]",
        "columns[0]",
        "limit",
    ]


@pytest.mark.parametrize(
    ("column", "op", "value", "field"),
    [
        ("contacts", "contains", "25", "op"),
        ("name", "before", "2025-01-01", "op"),
        ("contacts", "eq", "2500", "value"),
        ("status", "eq", "paused", "value"),
        ("country", "in", [], "value"),
        ("country", "is_null", "yes", "value"),
        ("client_name", "contains", "  ", "value"),
        ("created_on", "eq", True, "value"),
        ("country", "like", "DE", "op"),
    ],
)
def test_filter_refuses_values_that_do_not_fit_the_column(
    column: str, op: str, value: object, field: str
) -> None:
    """A filter's operator and value must fit the column's type."""
    with pytest.raises(InvalidInput) as caught:
        Filter(column, op, value)

    assert [p.field for p in caught.value.problems] == [field]


def test_sort_on_the_same_column_twice_is_refused() -> None:
    """Sorting twice on one column is a mistake, reported as such."""
    with pytest.raises(InvalidInput, match="second time"):
        AccountQuery(sort=["name", "-name"])


def test_choosing_no_columns_is_refused() -> None:
    """A row needs at least one column."""
    with pytest.raises(InvalidInput, match="at least one column"):
        AccountQuery(columns=[])


def test_filter_normalises_iso_dates_and_lists() -> None:
    """ISO days become dates and lists become tuples, so that filters compare equal."""
    assert Filter("created_on", "in", ["2025-01-01"]) == Filter(
        OverviewColumn.CREATED_ON, FilterOp.IN, (date(2025, 1, 1),)
    )


def test_expires_on_is_paid_through_for_paid_and_trial_end_for_trials() -> None:
    """The expiry column reads the field that ends the account's term."""
    assert expires_on(BAKERY) == date(2025, 7, 1)
    assert expires_on(FLORIST) == date(2025, 5, 1)
    assert expires_on(SANDBOX) is None


def test_every_column_reads_a_value_of_its_type() -> None:
    """The column table reads each column of an account."""
    assert column_value(GARAGE, OverviewColumn.CUSTOM_DOMAIN) == "news.fastgarage.example"
    assert column_value(GARAGE, OverviewColumn.FREQUENCY) is Frequency.MONTHLY
    assert column_value(GARAGE, OverviewColumn.VERSION) == "V3"
    assert column_value(GARAGE, OverviewColumn.PRODUCT) == "marketing"


def test_page_is_generic_over_rows() -> None:
    """A page of accounts keeps its cursor and total when turned into rows."""
    query = AccountQuery(limit=1)
    page: Page[Account] = run_query(ALL, query, TODAY)

    rows = overview_rows(page, query, TODAY)

    assert (rows.next_cursor, rows.total) == (page.next_cursor, page.total)


def _view(user_id: str = "user-ana") -> SavedView:
    query = AccountQuery(status="expired", plan="trial", sort="-expires_on", columns=["name"])
    return SavedView(
        id="view-1", agency_id="ACME-DIGITAL", user_id=user_id, name="Trials to chase", query=query
    )


def test_O6_owner_reopens_a_saved_view_with_its_filters_sort_and_columns() -> None:
    """The user who saved a view gets it back unchanged."""
    view = _view()

    opened = open_view(view, agency_id="ACME-DIGITAL", user_id="user-ana")

    assert opened.query == AccountQuery(
        status="expired", plan="trial", sort="-expires_on", columns=["name"]
    )


def test_O6_another_users_view_is_not_found() -> None:
    """A colleague in the same agency cannot open the view: it does not exist for them."""
    with pytest.raises(NotFound):
        open_view(_view(), agency_id="ACME-DIGITAL", user_id="user-ben")


def test_O6_another_agencys_user_cannot_open_the_view() -> None:
    """A user id of another agency does not reach the view either."""
    with pytest.raises(NotFound):
        open_view(_view(), agency_id="NORTH-MEDIA", user_id="user-ana")


def test_O6_saved_view_drops_the_cursor() -> None:
    """A view reopens at the first page, whatever page it was saved from."""
    cursor = run_query(ALL, AccountQuery(limit=1), TODAY).next_cursor
    query = AccountQuery(limit=1, cursor=cursor)

    view = SavedView(id="v", agency_id="a", user_id="u", name="Paged", query=query)

    assert view.query.cursor is None


def test_O6_saved_view_needs_a_name() -> None:
    """A blank view name is refused."""
    with pytest.raises(InvalidInput, match="name"):
        SavedView(id="v", agency_id="a", user_id="u", name="  ", query=AccountQuery())
