"""The embedded wiring over a storage the host gives: memory or SQL, with the simulated
gateways and the manual clock around it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

import resell_core as rc
from resell_core.testing.portal import sample_agency, sample_card

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")

Form = Callable[..., rc.NewAccount]


def _bill_one_bakery(portal: rc.PartnerPortal, form: Form) -> tuple[rc.Agency, rc.Account]:
    """Register ACME-DIGITAL with its card, add north-bakery and run April's billing."""
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    created = portal.add_account(acme.id, form("north-bakery", PLUS, card.id))
    portal.process_provisioning()
    portal.run_billing()
    return acme, portal.account(acme.id, created.account.id)


def test_the_embedded_portal_keeps_its_state_in_the_storage_given(form: Form) -> None:
    """A MemoryStorage handed to embedded() is the one the use cases write to."""
    storage = rc.MemoryStorage()
    portal = rc.PartnerPortal.embedded(start=date(2024, 4, 11), storage=storage)

    acme, bakery = _bill_one_bakery(portal, form)

    assert portal.storage is storage
    with storage.unit_of_work() as uow:
        assert uow.accounts.get(acme.id, bakery.id).name == "north-bakery"
        assert len(uow.invoices.list(acme.id)) == 1


def test_the_embedded_portal_runs_over_a_sql_storage(form: Form) -> None:
    """Over SQLite the embedded wiring bills like in memory, with its simulated gateway
    and manual clock."""
    sql = pytest.importorskip("resell_core.adapters.sql")
    storage = sql.SqlStorage("sqlite://")
    portal = rc.PartnerPortal.embedded(start=date(2024, 4, 11), storage=storage)

    acme, bakery = _bill_one_bakery(portal, form)

    [april] = portal.invoices(acme.id, bakery.id)
    assert (april.status, april.total) == (rc.InvoiceStatus.PAID, rc.Money("96.00", "USD"))
    assert isinstance(portal.gateway, rc.SimulatedGateway)
    assert isinstance(portal.clock, rc.ManualClock)
    with storage.unit_of_work() as uow:
        assert uow.invoices.get(acme.id, april.id).status is rc.InvoiceStatus.PAID


def test_without_a_storage_each_embedded_portal_has_its_own_memory(form: Form) -> None:
    """Two embedded portals never share state by default."""
    first = rc.PartnerPortal.embedded(start=date(2024, 4, 11))
    second = rc.PartnerPortal.embedded(start=date(2024, 4, 11))

    _bill_one_bakery(first, form)

    assert isinstance(first.storage, rc.MemoryStorage)
    assert first.storage is not second.storage
    with second.storage.unit_of_work() as uow:
        assert uow.agencies.page(limit=1) == []
