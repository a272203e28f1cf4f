"""Fixtures of the portal's service tests: an embedded portal at a fixed day, an agency
with a card, and a helper that captures what the storage holds, to prove that a failed
command changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier

START = date(2024, 4, 11)

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 500, "monthly")
TRIAL = rc.PlanSelection("V1", "EM", "trial")
SANDBOX = rc.PlanSelection("V1", "EM", "sandbox")


@pytest.fixture
def portal() -> rc.PartnerPortal:
    """An embedded portal whose clock shows 2024-04-11 09:00 UTC."""
    return rc.PartnerPortal.embedded(start=START)


@pytest.fixture
def acme(portal: rc.PartnerPortal) -> rc.Agency:
    """ACME-DIGITAL, a reseller with a 20 % discount."""
    return portal.register_agency(
        "Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2", referral_code="ACME-DIGITAL"
    )


@pytest.fixture
def card(portal: rc.PartnerPortal, acme: rc.Agency) -> rc.BillingProfile:
    """Acme's main card, which always succeeds."""
    return portal.add_billing_profile(
        acme.id,
        label="Main Visa",
        card_token="tok_ok",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )


@pytest.fixture
def globex(portal: rc.PartnerPortal) -> rc.Agency:
    """Another agency, which must never see Acme's accounts."""
    return portal.register_agency("Globex", "ops@globex.test", "USD")


def _new_account(
    name: str = "north-bakery",
    plan: rc.PlanSelection = PLUS,
    profile_id: str | None = None,
    **changes: Any,
) -> rc.NewAccount:
    """The add-account form of a German bakery, with the given changes."""
    fields: dict[str, Any] = {
        "name": name,
        "client_name": "North Bakery",
        "notification_email": "bakery@acme.test",
        "country": "DE",
        "language": "de",
        "timezone": "Europe/Berlin",
        "plan": plan,
        "billing_profile_id": profile_id,
    }
    return rc.NewAccount(**{**fields, **changes})


Form = Callable[..., rc.NewAccount]
AddActive = Callable[..., rc.Account]
State = Callable[..., Any]


@pytest.fixture
def form() -> Form:
    """Build a German bakery's add-account form: ``form(name, plan, profile_id, **changes)``."""
    return _new_account


@pytest.fixture
def add_active(portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile) -> AddActive:
    """Add an account to Acme and let provisioning make it active."""

    def add(name: str = "north-bakery", plan: rc.PlanSelection = PLUS) -> rc.Account:
        profile = card.id if plan.is_paid else None
        created = portal.add_account(acme.id, _new_account(name, plan, profile))
        portal.process_provisioning()
        return portal.account(acme.id, created.account.id)

    return add


def _stored_state(portal: rc.PartnerPortal, *agency_ids: str) -> Any:
    """Everything the storage holds for the agencies, comparable by value."""
    state = []
    with portal.storage.unit_of_work() as uow:
        for agency_id in agency_ids:
            state.append(
                (
                    attrs.asdict(uow.agencies.get(agency_id)),
                    [attrs.asdict(a) for a in uow.accounts.of_agency(agency_id, limit=1000)],
                    [attrs.asdict(p) for p in uow.profiles.list(agency_id)],
                    [attrs.asdict(i) for i in uow.invoices.list(agency_id)],
                    uow.events.list(agency_id),
                    uow.transfers.list(agency_id),
                    uow.ledger.movements(agency_id),
                )
            )
    return state


@pytest.fixture
def state(portal: rc.PartnerPortal) -> State:
    """Capture what the storage holds for some agencies: ``state(agency_id, ...)``."""
    return lambda *agency_ids: _stored_state(portal, *agency_ids)


@pytest.fixture
def notifier(portal: rc.PartnerPortal) -> RecordingNotifier:
    """The embedded portal's recording notifier."""
    sent = portal.notifier
    assert isinstance(sent, RecordingNotifier)
    return sent
