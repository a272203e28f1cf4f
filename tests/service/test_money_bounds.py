"""Bounds of quantities, amounts and balances (M1): checked before any gateway call, the
same on every adapter, and within what every adapter holds exactly."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

import resell_core as rc
from resell_core.billing.bounds import CreditBounds
from resell_core.ports import Storage
from resell_core.service.credits import CREDIT_PRICES
from resell_core.testing.portal import sample_agency, sample_card, stored_state


@pytest.fixture
def storage(fresh_storage: Callable[[], Storage]) -> Storage:
    """An empty storage of each adapter (PostgreSQL skips unless enabled)."""
    return fresh_storage()


@pytest.fixture
def portal(storage: Storage) -> rc.PartnerPortal:
    """An embedded portal on the storage (the embedded portal's own start day)."""
    return rc.PartnerPortal.embedded(storage=storage)


def simulated(portal: rc.PartnerPortal) -> rc.SimulatedGateway:
    """The portal's simulated gateway."""
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    return gateway


@pytest.mark.parametrize("kind", ["prepaid", "sms"])
@pytest.mark.parametrize("quantity", [10**13, 10**30, Decimal("1e100"), "1E+100"])
def test_M1_a_purchase_beyond_the_largest_quantity_is_refused_before_any_charge(
    portal: rc.PartnerPortal, kind: str, quantity: object
) -> None:
    """ACME-DIGITAL asks for 10**13 (or 1e100) of credit: a coded refusal naming the
    quantity, no card charged, nothing stored, and a later billing run is clean."""
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    before = stored_state(portal, acme.id)

    with pytest.raises(rc.InvalidInput) as refused:
        portal.buy_credits(acme.id, kind, quantity, card.id)  # type: ignore[arg-type]

    assert [p.field for p in refused.value.problems] == ["quantity"]
    assert simulated(portal).attempts == []
    assert stored_state(portal, acme.id) == before
    assert portal.run_billing().errors == ()


def test_M1_the_largest_purchase_is_delivered_exactly_on_every_adapter(
    portal: rc.PartnerPortal,
) -> None:
    """The largest prepaid purchase and the largest SMS purchase arrive in full, to the
    cent and to the unit, whatever the storage."""
    bounds = CreditBounds()
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    largest = bounds.largest_quantity

    prepaid = portal.buy_credits(acme.id, "prepaid", largest - Decimal("0.01"), card.id)
    sms = portal.buy_credits(acme.id, "sms", largest, card.id)

    assert prepaid.delivered
    assert sms.delivered
    held = portal.balances(acme.id)
    spent_on_sms = largest * CREDIT_PRICES[rc.CreditKind.SMS]
    assert held.prepaid == rc.Money(largest - Decimal("0.01") - spent_on_sms, "USD")
    assert held.sms == largest


def test_M1_a_purchase_that_would_exceed_the_largest_balance_is_refused_before_any_charge(
    storage: Storage,
) -> None:
    """With a largest balance of 1,000 SMS credits, north-bakery's agency holding 800 may
    buy 200 more but not 201: refused before the gateway sees it, nothing stored."""
    policies = rc.Policies.embedded()
    small = rc.Policies(
        credentials=policies.credentials,
        credit_bounds=CreditBounds(
            largest_quantity=Decimal(1000),
            largest_invoice=Decimal(1000),
            largest_balance=Decimal(1000),
        ),
    )
    portal = rc.PartnerPortal.embedded(storage=storage, policies=small)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    portal.buy_credits(acme.id, "sms", 800, card.id)
    attempts = len(simulated(portal).attempts)
    before = stored_state(portal, acme.id)

    with pytest.raises(rc.InvalidInput) as refused:
        portal.buy_credits(acme.id, "sms", 201, card.id)

    assert [p.field for p in refused.value.problems] == ["quantity"]
    assert len(simulated(portal).attempts) == attempts
    assert stored_state(portal, acme.id) == before
    assert portal.buy_credits(acme.id, "sms", 200, card.id).delivered
    assert portal.balances(acme.id).sms == 1000


def test_M1_a_purchase_whose_invoice_exceeds_the_largest_invoice_is_refused(
    portal: rc.PartnerPortal,
) -> None:
    """SMS credits within the largest quantity whose price comes to more than the largest
    invoice amount are refused before any charge."""
    bounds = CreditBounds(largest_invoice=Decimal(100))
    policies = rc.Policies(credentials=rc.Policies.embedded().credentials, credit_bounds=bounds)
    portal = rc.PartnerPortal.embedded(storage=portal.storage, policies=policies)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)

    with pytest.raises(rc.InvalidInput) as refused:
        portal.buy_credits(acme.id, "sms", 2501, card.id)  # 100.04

    assert [p.field for p in refused.value.problems] == ["quantity"]
    assert simulated(portal).attempts == []
    assert portal.buy_credits(acme.id, "sms", 2500, card.id).delivered  # 100.00
