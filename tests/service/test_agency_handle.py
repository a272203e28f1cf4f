"""The portal's handle on one agency (portal.for_agency): the same calls without the agency,
and no way to reach another agency's data through it (rules.md#tenancy)."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

import resell_core as rc
from resell_core.service import accounts as account_use_cases
from resell_core.service import billing as billing_use_cases
from resell_core.service.portal import AgencyPortal
from resell_core.testing.portal import stored_state

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
Form = Callable[..., rc.NewAccount]
AddActive = Callable[..., rc.Account]


def _agency_calls() -> set[str]:
    """The portal's public methods whose first parameter is the agency."""
    return {
        name
        for name, member in vars(rc.PartnerPortal).items()
        if not name.startswith("_")
        and name != "for_agency"
        and inspect.isfunction(member)
        and list(inspect.signature(member).parameters)[1:2] == ["agency_id"]
    }


def test_a_handle_forwards_each_call_with_its_agency(
    portal: rc.PartnerPortal, acme: rc.Agency, form: Form
) -> None:
    """A call through the handle is the portal's call with the handle's agency."""
    desk = portal.for_agency(acme.id)

    card = desk.add_billing_profile(
        label="Office Amex", card_token="tok_ok", brand="amex", last4="0005", exp_month=11,
        exp_year=2031,
    )  # fmt: skip
    created = desk.add_account(form("north-bakery", PLUS, card.id))
    portal.process_provisioning()

    assert desk.agency() == portal.agency(acme.id)
    assert desk.billing_profiles() == portal.billing_profiles(acme.id)
    assert desk.account(created.account.id) == portal.account(acme.id, created.account.id)
    assert desk.accounts() == portal.accounts(acme.id)
    assert desk.quote(PLUS) == portal.quote(acme.id, PLUS)
    assert desk.events() == portal.events(acme.id)
    assert desk.agency_id == acme.id


def test_a_handle_is_the_actor_of_its_commands_unless_a_call_names_another(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Commands through a handle made for Ada are audited as Ada's; a call may name another
    actor, and a handle made without one acts as "system", as the portal does."""
    bakery = add_active()
    ada = portal.for_agency(acme.id, actor="user-ada")

    ada.disable_account(bakery.id, "Invoice overdue: call Acme")
    ada.enable_account(bakery.id, actor="user-grace")
    portal.for_agency(acme.id).cancel_account(bakery.id, "closed the shop")

    actors = [(e.action, e.actor) for e in portal.events(acme.id, bakery.id)][-3:]
    assert actors == [
        ("account_disabled", "user-ada"),
        ("account_enabled", "user-grace"),
        ("account_cancelled", "system"),
    ]


def test_tenancy_a_handle_cannot_reach_another_agencys_data(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency, add_active: AddActive
) -> None:
    """Globex's handle finds none of Acme's account, card, invoice or views: each is
    "not found", a command on them changes nothing, and Globex's lists hold none of them."""
    bakery = add_active()
    portal.run_billing()
    [invoice] = portal.invoices(acme.id)
    [card] = portal.billing_profiles(acme.id)
    ada = portal.add_portal_user(acme.id, "ada@acme.test", "Ada")
    portal.save_view(acme.id, ada.id, "Bakeries", rc.AccountQuery(search="bakery"))
    before = stored_state(portal, acme.id, globex.id)
    desk = portal.for_agency(globex.id, actor="user-globex")

    reads_and_commands: list[Callable[[], object]] = [
        lambda: desk.account(bakery.id),
        lambda: desk.invoice(invoice.id),
        lambda: desk.invoices(bakery.id),
        lambda: desk.balances(account_id=bakery.id),
        lambda: desk.open_view(ada.id, "Bakeries"),
        lambda: desk.cancel_account(bakery.id, "taken over"),
        lambda: desk.edit_account(bakery.id, notification_email="globex@globex.test"),
        lambda: desk.delete_billing_profile(card.id),
        lambda: desk.pay_invoice(invoice.id),
        lambda: desk.login_as(bakery.id),
        lambda: desk.buy_credits("sms", 100, card.id),
    ]
    for call in reads_and_commands:
        with pytest.raises(rc.NotFound):
            call()

    assert list(desk.accounts().rows) == []
    assert desk.billing_profiles() == []
    assert desk.invoices() == []
    assert stored_state(portal, acme.id, globex.id) == before


def test_a_handle_offers_no_way_to_name_another_agency(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency
) -> None:
    """No method of the handle takes an agency, and its agency cannot be changed."""
    desk = portal.for_agency(acme.id)

    takes_agency = [
        name
        for name in _agency_calls()
        if "agency_id" in inspect.signature(getattr(AgencyPortal, name)).parameters
    ]
    assert takes_agency == []
    with pytest.raises(TypeError):
        desk.portal_users(agency_id=globex.id)  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        desk.agency_id = globex.id  # type: ignore[misc]
    assert desk.agency().id == acme.id


def test_every_agency_call_of_the_portal_is_on_the_handle() -> None:
    """The handle has each portal method that takes the agency, and none that does not
    (registering, logging in at an account's page, billing runs stay on the portal)."""
    handle_calls = {
        name
        for name, member in vars(AgencyPortal).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }

    assert handle_calls == _agency_calls()


def test_a_handle_method_reads_as_the_portals_without_the_agency() -> None:
    """help() on a handle's method shows the portal's docstring and its parameters less
    the agency."""
    for name in _agency_calls():
        portal_method = getattr(rc.PartnerPortal, name)
        handle_method = getattr(AgencyPortal, name)
        parameters = dict(inspect.signature(portal_method).parameters)
        del parameters["agency_id"]

        assert list(inspect.signature(handle_method).parameters.values()) == list(
            parameters.values()
        )
        assert handle_method.__doc__ == portal_method.__doc__


def test_a_forwarded_method_reads_as_its_use_case() -> None:
    """A method the portal forwards has its use case's docstring, and its parameters less
    the context, so that help() shows the call as it is made."""
    pairs: list[tuple[Callable[..., object], Callable[..., object]]] = [
        (rc.PartnerPortal.invoices, billing_use_cases.invoices),
        (rc.PartnerPortal.run_billing, billing_use_cases.run_billing),
        (rc.PartnerPortal.account, account_use_cases.account),
    ]
    for method, use_case in pairs:
        ours = list(inspect.signature(method).parameters.values())
        theirs = list(inspect.signature(use_case).parameters.values())

        assert [p.name for p in ours] == ["self", *[p.name for p in theirs[1:]]]
        assert ours[1:] == theirs[1:]
        assert method.__doc__ == use_case.__doc__


def test_E1_a_handle_checks_its_arguments_as_the_portal_does(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A wrong type given to for_agency or to a handle's call is refused by name."""
    desk = portal.for_agency(acme.id)

    with pytest.raises(rc.InvalidInput) as handle_call:
        desk.account(None)  # type: ignore[arg-type]
    with pytest.raises(rc.InvalidInput) as made:
        portal.for_agency(None, actor=7)  # type: ignore[arg-type]
    with pytest.raises(rc.InvalidInput) as nul:
        portal.for_agency("acme\x00")

    assert [p.field for p in handle_call.value.problems] == ["account_id"]
    assert [p.field for p in made.value.problems] == ["agency_id", "actor"]
    assert [p.field for p in nul.value.problems] == ["agency_id"]


def test_an_unknown_agency_is_not_found_at_the_first_call(portal: rc.PartnerPortal) -> None:
    """Making a handle reads nothing; its first call on an unknown agency is "not found"."""
    desk = portal.for_agency("agency-nowhere")

    with pytest.raises(rc.NotFound):
        desk.billing_profiles()
