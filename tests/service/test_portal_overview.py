"""The accounts overview and personal views through the portal (O1-O10), and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import attrs
import pytest

import resell_core as rc

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 500, "monthly")
TRIAL = rc.PlanSelection("V1", "EM", "trial")

AddActive = Callable[..., rc.Account]


@pytest.fixture
def bakeries(add_active: AddActive) -> list[rc.Account]:
    """Three of Acme's accounts: two paid, one trial."""
    return [
        add_active("north-bakery", PLUS),
        add_active("south-bakery", STARTER),
        add_active("acme-trial", TRIAL),
    ]


def names(page: rc.Page[rc.OverviewRow]) -> list[object]:
    """The name column of each row."""
    return [row.values[rc.OverviewColumn.NAME] for row in page.rows]


def test_O1_the_overview_lists_only_the_agencys_accounts(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    globex: rc.Agency,
    bakeries: list[rc.Account],
) -> None:
    """Acme sees its three accounts by name; Globex sees none of them."""
    assert names(portal.accounts(acme.id)) == ["acme-trial", "north-bakery", "south-bakery"]
    assert portal.accounts(globex.id).total == 0


def test_O2_O3_status_and_plan_filters(
    portal: rc.PartnerPortal, acme: rc.Agency, bakeries: list[rc.Account]
) -> None:
    """Plan filter "trial" finds the trial; status "cancelled" finds the cancelled one."""
    portal.cancel_account(acme.id, bakeries[1].id)

    trials = portal.accounts(acme.id, rc.AccountQuery(plan="trial"))
    cancelled = portal.accounts(acme.id, rc.AccountQuery(status="cancelled"))

    assert names(trials) == ["acme-trial"]
    assert names(cancelled) == ["south-bakery"]


def test_O4_O5_attribute_filters_and_search(
    portal: rc.PartnerPortal, acme: rc.Agency, bakeries: list[rc.Account]
) -> None:
    """Filter on frequency and search on text in the name."""
    monthly = portal.accounts(acme.id, rc.AccountQuery(filters=[("frequency", "eq", "monthly")]))
    south = portal.accounts(acme.id, rc.AccountQuery(search="SOUTH-B"))

    assert names(monthly) == ["north-bakery", "south-bakery"]
    assert names(south) == ["south-bakery"]


def test_O7_O8_sort_columns_and_pages(
    portal: rc.PartnerPortal, acme: rc.Agency, bakeries: list[rc.Account]
) -> None:
    """Sorted by contacts descending with chosen columns, two rows a page."""
    query = rc.AccountQuery(sort="-contacts", columns=["name", "contacts"], limit=2)

    first = portal.accounts(acme.id, query)
    second = portal.accounts(acme.id, attrs.evolve(query, cursor=first.next_cursor))

    assert [dict(r.values) for r in first.rows] == [
        {rc.OverviewColumn.NAME: "north-bakery", rc.OverviewColumn.CONTACTS: 2500},
        {rc.OverviewColumn.NAME: "south-bakery", rc.OverviewColumn.CONTACTS: 500},
    ]
    assert (names(second), second.next_cursor) == (["acme-trial"], None)


def test_O9_O10_rows_carry_their_primary_and_other_actions(
    portal: rc.PartnerPortal, acme: rc.Agency, bakeries: list[rc.Account]
) -> None:
    """An active paid account offers login and Edit's actions; archived ones offer renew."""
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(acme.id, bakeries[2].id)
        uow.accounts.update(
            attrs.evolve(stored, status=rc.AccountStatus.ARCHIVED, archived_on=date(2024, 4, 1))
        )
        uow.commit()

    rows = {r.account_id: r for r in portal.accounts(acme.id).rows}

    paid = rows[bakeries[0].id]
    assert paid.primary_action == "login"
    assert {"upgrade", "downgrade", "cancel", "disable", "branding", "billing_history"} <= set(
        paid.actions
    )
    assert rows[bakeries[2].id].primary_action == "renew"


def test_O6_a_saved_view_is_private_to_its_user(
    portal: rc.PartnerPortal, acme: rc.Agency, bakeries: list[rc.Account]
) -> None:
    """Ada reopens her view; Bob neither lists nor opens it."""
    ada = portal.add_portal_user(acme.id, "ada@acme.test", "Ada")
    bob = portal.add_portal_user(acme.id, "bob@acme.test", "Bob")
    query = rc.AccountQuery(plan="trial", sort="-created_on")

    portal.save_view(acme.id, ada.id, "Trials", query)

    reopened = portal.open_view(acme.id, ada.id, "Trials")
    assert names(portal.accounts(acme.id, reopened.query)) == ["acme-trial"]
    assert portal.views(acme.id, bob.id) == []
    with pytest.raises(rc.NotFound):
        portal.open_view(acme.id, bob.id, "Trials")


def test_O6_saving_a_view_again_replaces_it(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """The same name keeps one view, with the latest query; deleting removes it."""
    ada = portal.add_portal_user(acme.id, "ada@acme.test", "Ada")
    portal.save_view(acme.id, ada.id, "Mine", rc.AccountQuery(plan="trial"))

    portal.save_view(acme.id, ada.id, "Mine", rc.AccountQuery(plan="plus"))

    assert [v.query.plan for v in portal.views(acme.id, ada.id)] == [rc.PlanFilter.PLUS]
    portal.delete_view(acme.id, ada.id, "Mine")
    assert portal.views(acme.id, ada.id) == []


def test_O6_another_agencys_user_cannot_save_views_here(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency
) -> None:
    """Globex's admin is not a user of Acme's portal."""
    gus = portal.add_portal_user(globex.id, "gus@globex.test", "Gus")

    with pytest.raises(rc.NotFound):
        portal.save_view(acme.id, gus.id, "Spy", rc.AccountQuery())


def test_the_audit_log_tells_who_did_what_to_an_account(
    portal: rc.PartnerPortal, acme: rc.Agency, bakeries: list[rc.Account]
) -> None:
    """Every change of north-bakery is in its log, with the acting user."""
    portal.disable_account(acme.id, bakeries[0].id, "paused", actor="user-ada")

    log = portal.events(acme.id, bakeries[0].id)

    assert [e.action for e in log] == [
        "account_added",
        "account_provisioned",
        "term_started",
        "account_disabled",
    ]
    assert (log[-1].actor, log[-1].before, log[-1].after) == ("user-ada", "active", "disabled")


def test_O3_a_plan_filter_the_catalog_lacks_is_refused_with_its_tiers(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """``gold`` is no tier of the sample catalog: listing or saving a view with it is
    refused, naming the plan filter and the catalog's tiers; nothing is saved."""
    ada = portal.add_portal_user(acme.id, "ada@acme.test", "Ada")
    gold = rc.AccountQuery(plan="gold")

    with pytest.raises(rc.InvalidInput) as listed:
        portal.accounts(acme.id, gold)
    with pytest.raises(rc.InvalidInput) as saved:
        portal.save_view(acme.id, ada.id, "Gold", gold)

    for refused in (listed.value, saved.value):
        assert [p.field for p in refused.problems] == ["plan"]
        assert "trial" in refused.problems[0].allowed
    assert portal.views(acme.id, ada.id) == []
