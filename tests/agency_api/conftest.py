"""Fixtures of the agency API's tests: an embedded portal with an agency and a card, the API
over it, and a capture of everything the storage holds (a failed call changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier

START = date(2024, 4, 11)
PLUS = "V3/marketing/plus/2500/monthly"

Call = Callable[..., dict[str, Any]]
State = Callable[[], Any]


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
    """Acme's only card, which always succeeds."""
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


@pytest.fixture
def api(portal: rc.PartnerPortal) -> rc.AgencyApi:
    """The agency API over the portal."""
    return rc.AgencyApi(portal)


@pytest.fixture
def call(api: rc.AgencyApi, acme: rc.Agency, card: rc.BillingProfile) -> Call:
    """Call the API as Acme: ``call("account_status", account="north-bakery")``."""
    return lambda action, **params: api.call(action, acme.id, params)


def bakery(name: str = "north-bakery", plan: str = PLUS, **changes: Any) -> dict[str, Any]:
    """The ``account_add`` parameters of a German bakery, with the given changes."""
    params: dict[str, Any] = {
        "account": name,
        "plan": plan,
        "name": "North Bakery",
        "notification": "bakery@acme.test",
        "email": "owner@north-bakery.test",
        "language": "de",
        "timezone": "Europe/Berlin",
        "country": "DE",
    }
    return {**params, **changes}


Form = Callable[..., dict[str, Any]]
AddActive = Callable[..., rc.Account]


@pytest.fixture
def form() -> Form:
    """Build a German bakery's account_add parameters: ``form(name, plan, **changes)``."""
    return bakery


@pytest.fixture
def add_active(call: Call, portal: rc.PartnerPortal, acme: rc.Agency) -> AddActive:
    """Add an account through the API and let provisioning make it active."""

    def add(name: str = "north-bakery", plan: str = PLUS) -> rc.Account:
        added = call("account_add", **bakery(name, plan))
        assert added["result_code"] == 1, added
        portal.process_provisioning()
        return portal.account(acme.id, added["account_id"])

    return add


def stored_state(portal: rc.PartnerPortal, *agency_ids: str) -> Any:
    """Everything the storage holds for the agencies, and the notices sent, by value."""
    held = []
    with portal.storage.unit_of_work() as uow:
        for agency_id in agency_ids:
            held.append(
                (
                    attrs.asdict(uow.agencies.get(agency_id)),
                    [attrs.asdict(a) for a in uow.accounts.of_agency(agency_id, limit=1000)],
                    [attrs.asdict(p) for p in uow.profiles.list(agency_id)],
                    [attrs.asdict(i) for i in uow.invoices.list(agency_id)],
                    uow.events.list(agency_id),
                    uow.ledger.movements(agency_id),
                )
            )
    notifier = portal.notifier
    assert isinstance(notifier, RecordingNotifier)
    return held, list(notifier.sent)


@pytest.fixture
def state(portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency) -> State:
    """Capture what the storage holds for Acme and Globex, and the notices sent."""
    return lambda: stored_state(portal, acme.id, globex.id)
