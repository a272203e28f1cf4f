"""Fixtures of the agency API's tests: the API over the sample portal (ACME-DIGITAL and its
card, from tests/conftest.py), and a capture of everything the storage holds and the
notices sent (a failed call changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.testing.portal import stored_state

PLUS = "V3/marketing/plus/2500/monthly"

Call = Callable[..., dict[str, Any]]
State = Callable[[], Any]


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


def stored_state_and_notices(portal: rc.PartnerPortal, *agency_ids: str) -> Any:
    """Everything the storage holds for the agencies, and the notices sent, by value."""
    notifier = portal.notifier
    assert isinstance(notifier, RecordingNotifier)
    return stored_state(portal, *agency_ids), list(notifier.sent)


@pytest.fixture
def state(portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency) -> State:
    """Capture what the storage holds for Acme and Globex, and the notices sent."""
    return lambda: stored_state_and_notices(portal, acme.id, globex.id)
