"""Every call of the agency API, each result checked through the portal (rule API1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import resell_core as rc
from resell_core.lifecycle.account_query import AccountQuery

PLUS = "V3/marketing/plus/2500/monthly"

Call = Callable[..., dict[str, Any]]
Form = Callable[..., dict[str, Any]]
State = Callable[[], Any]
AddActive = Callable[..., rc.Account]


def test_API1_account_add_returns_the_login_once_and_the_portal_lists_the_account(
    call: Call, portal: rc.PartnerPortal, acme: rc.Agency, form: Form
) -> None:
    """account_add hands out the password once; the overview then shows the account."""
    added = call("account_add", **form())
    rows = portal.accounts(acme.id, AccountQuery(search="north-bakery")).rows
    assert added["result_code"] == 1
    assert (added["account"], added["username"], added["status"]) == (
        "north-bakery",
        "admin",
        "creating",
    )
    assert added["password"]
    assert [row.account_id for row in rows] == [added["account_id"]]
    assert portal.login("north-bakery", added["password"]).outcome == "accepted"


def test_API1_account_add_takes_the_only_card_and_the_plan_id(
    call: Call, portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, form: Form
) -> None:
    """A paid plan without billing_profile is paid by the agency's only card."""
    added = call("account_add", **form(plan="V3/automation/starter/500/annual"))
    account = portal.account(acme.id, added["account_id"])
    assert account.billing_profile_id == card.id
    assert account.plan == rc.PlanSelection("V3", "automation", "starter", 500, "annual")
    assert (account.country, account.region, account.timezone) == ("DE", "eu", "Europe/Berlin")


def test_API1_account_add_uses_the_agency_email_when_no_notification_is_given(
    call: Call, portal: rc.PartnerPortal, acme: rc.Agency, form: Form
) -> None:
    """Without notification, the agency's email is the notification email, never the
    client's ``email`` (S1)."""
    params = form(plan="V1/EM/trial")
    del params["notification"]
    added = call("account_add", **params)
    account = portal.account(acme.id, added["account_id"])
    assert account.notification_email == "ops@acme.test"


def test_API1_account_add_reports_every_bad_field_at_once(
    call: Call, state: State, form: Form
) -> None:
    """A bad plan, email, time zone and language come back together, in the API's names."""
    before = state()
    failed = call(
        "account_add",
        **form(
            plan="V3/marketing/plux/2500/monthly",
            notification="not-an-email",
            timezone="Mars/Olympus",
            language="xx-nowhere",
        ),
    )
    assert failed["result_code"] == 0
    assert failed["error_code"] == "invalid_input"
    assert sorted(p["field"] for p in failed["problems"]) == [
        "language",
        "notification",
        "plan",
        "timezone",
    ]
    assert state() == before


def test_API1_account_add_of_a_taken_name_is_duplicate_name(
    call: Call, add_active: AddActive, state: State, form: Form
) -> None:
    """A name taken on the platform is refused with duplicate_name."""
    add_active("north-bakery")
    before = state()
    failed = call("account_add", **form("north-bakery"))
    assert failed["error_code"] == "duplicate_name"
    assert state() == before


def test_API1_account_status_is_creating_while_provisioning(
    call: Call, portal: rc.PartnerPortal, form: Form
) -> None:
    """account_status reports creating until the provisioner reports ready."""
    call("account_add", **form())
    while_creating = call("account_status", account="north-bakery")
    portal.process_provisioning()
    ready = call("account_status", account="north-bakery.hosted.example")
    assert while_creating["status"] == "creating"
    assert ready["status"] == "active"


def test_API1_account_status_set_inactive_disables_with_the_message(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """inactive disables the account; the portal shows the message its client sees."""
    account = add_active()
    answer = call(
        "account_status_set", account="north-bakery", status="inactive", message="Call Acme"
    )
    stored = portal.account(acme.id, account.id)
    assert (answer["status"], answer["message"]) == ("disabled", "Call Acme")
    assert stored.status is rc.AccountStatus.DISABLED
    assert stored.disabled_message == "Call Acme"


def test_S9_account_status_set_inactive_stops_the_clients_login(
    call: Call, portal: rc.PartnerPortal, form: Form
) -> None:
    """After inactive, the client's right password answers disabled with the agency's message."""
    added = call("account_add", **form())
    portal.process_provisioning()

    call("account_status_set", account="north-bakery", status="inactive", message="Call Acme")

    login = portal.login("north-bakery", added["password"])
    assert login == rc.LoginResult(rc.LoginOutcome.DISABLED, "Call Acme")


def test_API1_account_status_set_active_gives_the_account_back(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """active enables a disabled account again."""
    account = add_active()
    call("account_status_set", account="north-bakery", status="inactive")
    answer = call("account_status_set", account="north-bakery", status="active")
    assert answer["status"] == "active"
    assert portal.account(acme.id, account.id).status is rc.AccountStatus.ACTIVE


def test_API1_enabling_an_active_account_is_an_invalid_transition(
    call: Call, add_active: AddActive, state: State
) -> None:
    """The lifecycle table refuses enabling an active account; nothing changes."""
    add_active()
    before = state()
    failed = call("account_status_set", account="north-bakery", status="active")
    assert failed["error_code"] == "invalid_transition"
    assert state() == before


def test_API1_account_edit_upgrades_the_plan(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """account_edit with a higher tier upgrades the account at once (U1)."""
    account = add_active()
    answer = call(
        "account_edit", account="north-bakery", plan="V3/marketing/professional/2500/monthly"
    )
    stored = portal.account(acme.id, account.id)
    assert answer["result_code"] == 1
    assert answer["plan"] == "V3/marketing/professional/2500/monthly"
    assert stored.plan.tier == "professional"


def test_API1_account_edit_changes_notification_and_domain(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """account_edit changes the notification email and the custom domain together."""
    account = add_active()
    call(
        "account_edit",
        account="north-bakery",
        notification="desk@acme.test",
        cname="mail.bakery.test",
    )
    stored = portal.account(acme.id, account.id)
    assert (stored.notification_email, stored.custom_domain) == (
        "desk@acme.test",
        "mail.bakery.test",
    )


def test_API1_account_edit_with_nothing_to_change_is_invalid_input(
    call: Call, add_active: AddActive
) -> None:
    """An edit that names no change is refused, naming what may be changed."""
    add_active()
    failed = call("account_edit", account="north-bakery")
    assert failed["error_code"] == "invalid_input"
    assert failed["problems"][0]["field"] == "$"


def test_API1_a_sandbox_never_becomes_paid_through_account_edit(
    call: Call, add_active: AddActive, state: State
) -> None:
    """R3 holds through the API: the failure is sandbox_not_convertible, nothing changes."""
    add_active("sandbox-shop", "V1/EM/sandbox")
    before = state()
    failed = call("account_edit", account="sandbox-shop", plan=PLUS)
    assert failed["error_code"] == "sandbox_not_convertible"
    assert state() == before


def test_API1_account_cancel_cancels_the_account(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """account_cancel cancels; the portal shows the account cancelled."""
    account = add_active()
    answer = call("account_cancel", account="north-bakery", reason="closing", retaindata=1)
    assert answer["status"] == "cancelled"
    assert portal.account(acme.id, account.id).status is rc.AccountStatus.CANCELLED


def test_API1_singlesignon_returns_a_ticket_the_portal_accepts_once(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """singlesignon's token is a ticket the portal verifies for that account."""
    account = add_active()
    answer = call("singlesignon", account="north-bakery", user="admin", duration=30)
    claims = portal.verify_sso_ticket(acme.id, account.id, answer["token"])
    assert (claims.account_id, claims.user) == (account.id, "admin")


def test_API1_singlesignon_into_a_cancelled_account_is_access_denied(
    call: Call, add_active: AddActive
) -> None:
    """R5 holds through the API: no single sign-on into a cancelled account."""
    add_active()
    call("account_cancel", account="north-bakery")
    failed = call("singlesignon", account="north-bakery")
    assert failed["error_code"] == "access_denied"


@pytest.mark.parametrize("user", ["root", ""])
def test_S8_singlesignon_for_a_user_the_account_lacks_is_invalid_input(
    call: Call, add_active: AddActive, user: str
) -> None:
    """A ticket for a user the account does not have is refused with a code."""
    add_active()

    failed = call("singlesignon", account="north-bakery", user=user, duration=30)

    assert (failed["result_code"], failed["error_code"]) == (0, "invalid_input")


def test_API1_account_list_pages_by_twenty_filtered_by_plan_and_search(
    call: Call, add_active: AddActive
) -> None:
    """account_list holds 20 accounts a page; planfilter and search narrow it."""
    for number in range(23):
        add_active(f"shop-{number:02d}")
    add_active("north-bakery", "V1/EM/trial")
    first = call("account_list")
    second = call("account_list", page=2)
    beyond = call("account_list", page=3)
    trials = call("account_list", planfilter="trial")
    searched = call("account_list", search="shop-1")
    assert (first["total"], first["pages"], len(first["accounts"])) == (24, 2, 20)
    assert [a["account"] for a in second["accounts"]] == [
        "shop-19",
        "shop-20",
        "shop-21",
        "shop-22",
    ]
    assert beyond["accounts"] == []
    assert [a["account"] for a in trials["accounts"]] == ["north-bakery"]
    assert trials["accounts"][0]["plan"] == "V1/EM/trial"
    assert searched["total"] == 10


def test_API1_account_name_check_says_taken_or_free(call: Call, add_active: AddActive) -> None:
    """A taken name is not available; a free one is, normalised."""
    add_active()
    taken = call("account_name_check", account="north-bakery")
    free = call("account_name_check", account="South-Bakery")
    assert (taken["available"], free["available"], free["account"]) == (
        False,
        True,
        "south-bakery",
    )


def test_API1_account_plans_prices_every_plan_for_the_agency(
    call: Call, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """Each paid plan is priced with the agency's reseller discount, from the catalog."""
    answer = call("account_plans")
    plus = next(p for p in answer["plans"] if p["plan"] == PLUS)
    selection = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
    net = portal.catalog.cycle_price(selection, reseller_rate=acme.reseller_rate).net
    assert plus["price"] == str(net.amount)
    assert {"V1/EM/trial", "V1/EM/sandbox"} <= {p["plan"] for p in answer["plans"]}


def test_API1_account_plans_of_an_account_leaves_out_its_own_and_free_plans(
    call: Call, add_active: AddActive
) -> None:
    """Named account: its current plan is shown and not offered; a sandbox gets none."""
    add_active()
    add_active("sandbox-shop", "V1/EM/sandbox")
    paid = call("account_plans", account="north-bakery")
    sandbox = call("account_plans", account="sandbox-shop")
    offered = {p["plan"] for p in paid["plans"]}
    assert paid["current"] == PLUS
    assert PLUS not in offered
    assert "V1/EM/trial" not in offered
    assert sandbox["plans"] == []


def test_API1_another_agencys_account_is_not_found(
    api: rc.AgencyApi, add_active: AddActive, globex: rc.Agency, state: State
) -> None:
    """Globex cannot see or change Acme's account: not_found, nothing changes."""
    add_active()
    before = state()
    failed = api.call("account_cancel", globex.id, {"account": "north-bakery"})
    assert failed["error_code"] == "not_found"
    assert state() == before


def test_API1_an_unknown_agency_is_not_found(api: rc.AgencyApi) -> None:
    """A call for an agency that does not exist is not_found."""
    assert api.call("account_list", "agency-404", {})["error_code"] == "not_found"


def test_API1_an_unknown_call_is_unknown_action(api: rc.AgencyApi, acme: rc.Agency) -> None:
    """An action that is not a call gets unknown_action, listing the calls."""
    failed = api.call("account_delete", acme.id, {})
    assert (failed["result_code"], failed["error_code"]) == (0, "unknown_action")
    assert "account_add" in failed["result_message"]


def test_API1_wrong_types_are_invalid_request_with_every_field(call: Call, state: State) -> None:
    """Wrong types, missing and unknown parameters are listed together; nothing is coerced."""
    before = state()
    failed = call("account_add", account=5, name=None, plan="plus", junk=[1])
    assert failed["error_code"] == "invalid_request"
    assert sorted(p["field"] for p in failed["problems"]) == ["account", "junk", "name", "plan"]
    assert state() == before


def test_API1_params_that_are_not_an_object_are_invalid_request(
    api: rc.AgencyApi, acme: rc.Agency
) -> None:
    """A list instead of the parameters' object is invalid_request on the whole request."""
    failed = api.account_status(acme.id, ["north-bakery"])
    assert failed["error_code"] == "invalid_request"
    assert failed["problems"][0]["field"] == "$"


def test_API1_a_defect_behind_the_api_is_internal_error_not_a_traceback(
    api: rc.AgencyApi, acme: rc.Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception of an adapter becomes internal_error."""

    def broken(name: str) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api.portal, "check_account_name", broken)
    failed = api.call("account_name_check", acme.id, {"account": "north-bakery"})
    assert failed["error_code"] == "internal_error"
    assert "disk" not in failed["result_message"]
