"""``account_add`` with ``migration: true`` (A10): the account carries the catalog's
migration discount, and its first invoice is the quote's first charge; a catalog that
sets none refuses it, naming the parameter, and nothing is added."""

from __future__ import annotations

from datetime import timedelta

import resell_core as rc
from resell_core.agency_api import plan_id
from resell_core.testing.catalogs import GARDEN_SPROUT, garden_catalog
from resell_core.testing.portal import SAMPLE_START, sample_agency, sample_card

from .conftest import PLUS, Call, Form


def test_A10_account_add_with_migration_charges_the_quotes_first_charge(
    call: Call, form: Form, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """The sample catalog's 20 % off the first cycle: the first invoice is the quote's
    first charge, the second the recurring price."""
    plan = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
    details = portal.quote(acme.id, plan, portal.catalog.migration_discount)

    added = call("account_add", **form("north-bakery", PLUS, migration=True))
    portal.process_provisioning()
    portal.run_billing()
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(timedelta(days=30))
    portal.run_billing()

    account = portal.account(acme.id, added["account_id"])
    assert account.migration == portal.catalog.migration_discount
    totals = [i.total for i in portal.invoices(acme.id, account_id=account.id)]
    assert totals == [details.due_today, details.recurring]
    assert details.due_today == rc.Money("72.00", "USD")


def test_A10_account_add_without_migration_carries_none(
    call: Call, form: Form, portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """Left out (or false), the account carries no migration discount."""
    added = call("account_add", **form("north-bakery", PLUS, migration=False))

    assert portal.account(acme.id, added["account_id"]).migration is None


def test_A10_account_add_with_migration_on_a_catalog_without_one_is_refused() -> None:
    """The garden catalog sets no migration discount: ``migration`` is the bad parameter
    and no account is added."""
    portal = rc.PartnerPortal.embedded(start=SAMPLE_START, catalog=garden_catalog())
    acme = sample_agency(portal)
    sample_card(portal, acme.id)
    plan = plan_id(GARDEN_SPROUT)

    answer = rc.AgencyApi(portal).account_add(
        acme.id,
        {"account": "north-bakery", "plan": plan, "name": "North Bakery", "migration": True},
    )

    assert (answer["result_code"], answer["error_code"]) == (0, "invalid_input")
    assert [p["field"] for p in answer["problems"]] == ["migration"]
    assert portal.accounts(acme.id).total == 0
