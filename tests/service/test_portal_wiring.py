"""The embedded wiring over a storage the host gives: memory or SQL, with the simulated
gateways and the manual clock around it."""

from __future__ import annotations

from datetime import date

import pytest

import resell_core as rc

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")


def _bill_one_bakery(portal: rc.PartnerPortal) -> tuple[rc.Agency, rc.Account]:
    """Register ACME-DIGITAL with a card, add north-bakery and run April's billing."""
    acme = portal.register_agency("Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2")
    card = portal.add_billing_profile(
        acme.id, label="Main Visa", card_token="tok_ok", brand="visa", last4="4242",
        exp_month=12, exp_year=2030,
    )  # fmt: skip
    created = portal.add_account(acme.id, rc.NewAccount(
        name="north-bakery", client_name="North Bakery", notification_email="bakery@acme.test",
        country="DE", language="de", timezone="Europe/Berlin", plan=PLUS,
        billing_profile_id=card.id,
    ))  # fmt: skip
    portal.process_provisioning()
    portal.run_billing()
    return acme, portal.account(acme.id, created.account.id)


def test_the_embedded_portal_keeps_its_state_in_the_storage_given() -> None:
    """A MemoryStorage handed to embedded() is the one the use cases write to."""
    storage = rc.MemoryStorage()
    portal = rc.PartnerPortal.embedded(start=date(2024, 4, 11), storage=storage)

    acme, bakery = _bill_one_bakery(portal)

    assert portal.storage is storage
    with storage.unit_of_work() as uow:
        assert uow.accounts.get(acme.id, bakery.id).name == "north-bakery"
        assert len(uow.invoices.list(acme.id)) == 1


def test_the_embedded_portal_runs_over_a_sql_storage() -> None:
    """Over SQLite the embedded wiring bills like in memory, with its simulated gateway
    and manual clock."""
    sql = pytest.importorskip("resell_core.adapters.sql")
    storage = sql.SqlStorage("sqlite://")
    portal = rc.PartnerPortal.embedded(start=date(2024, 4, 11), storage=storage)

    acme, bakery = _bill_one_bakery(portal)

    [april] = portal.invoices(acme.id, bakery.id)
    assert (april.status, april.total) == (rc.InvoiceStatus.PAID, rc.Money("96.00", "USD"))
    assert isinstance(portal.gateway, rc.SimulatedGateway)
    assert isinstance(portal.clock, rc.ManualClock)
    with storage.unit_of_work() as uow:
        assert uow.invoices.get(acme.id, april.id).status is rc.InvoiceStatus.PAID


def test_without_a_storage_each_embedded_portal_has_its_own_memory() -> None:
    """Two embedded portals never share state by default."""
    first = rc.PartnerPortal.embedded(start=date(2024, 4, 11))
    second = rc.PartnerPortal.embedded(start=date(2024, 4, 11))

    _bill_one_bakery(first)

    assert isinstance(first.storage, rc.MemoryStorage)
    assert first.storage is not second.storage
    with second.storage.unit_of_work() as uow:
        assert uow.agencies.page(limit=1) == []
