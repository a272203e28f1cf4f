"""Fixtures of the portal's service tests: add-account forms, active accounts, and a capture
of what the storage holds, to prove that a failed command changes nothing. The portal at
2024-04-11, ACME-DIGITAL, its card and Globex come from tests/conftest.py.

Every test here that takes a storage (through ``portal``, ``new_portal``, ``fresh_storage``
or ``module_storage``) runs on memory, SQLite and PostgreSQL (skipped, saying how to enable
it, unless RESELL_CORE_POSTGRES_URL is set); ``@pytest.mark.adapters("memory",
reason=...)`` keeps a test of one adapter's own behaviour on that adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.sql.testing import postgres_url, skip_reason
from resell_core.testing.portal import bakery_form, stored_state

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 500, "monthly")
TRIAL = rc.PlanSelection("V1", "EM", "trial")
SANDBOX = rc.PlanSelection("V1", "EM", "sandbox")


_new_account = bakery_form

ADAPTERS = ("memory", "sqlite", "postgresql")
"""The storage adapters every service test runs on."""


def adapter_params(metafunc: pytest.Metafunc) -> list[Any]:
    """The adapters a test runs on (all, or those its adapters marker names), PostgreSQL
    skipped with the way to enable it unless RESELL_CORE_POSTGRES_URL is set."""
    marker = metafunc.definition.get_closest_marker("adapters")
    names = ADAPTERS
    if marker is not None:
        if not marker.kwargs.get("reason") or not set(marker.args) <= set(ADAPTERS):
            raise pytest.UsageError(
                f"{metafunc.definition.nodeid}: adapters(*{ADAPTERS}, reason=…)"
            )
        names = marker.args
    off = [pytest.mark.skip(reason=skip_reason())] if postgres_url() is None else []
    return [
        pytest.param(name, id=name, marks=off if name == "postgresql" else []) for name in names
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that takes a storage on every adapter (or those its marker names)."""
    if "adapter" in metafunc.fixturenames:
        metafunc.parametrize("adapter", adapter_params(metafunc), indirect=True, scope="module")


Form = Callable[..., rc.NewAccount]
AddActive = Callable[..., rc.Account]
State = Callable[..., Any]
NewPortal = Callable[..., rc.PartnerPortal]


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


@pytest.fixture
def state(portal: rc.PartnerPortal) -> State:
    """Capture what the storage holds for some agencies: ``state(agency_id, ...)``."""
    return lambda *agency_ids: stored_state(portal, *agency_ids)


@pytest.fixture
def notifier(portal: rc.PartnerPortal) -> RecordingNotifier:
    """The embedded portal's recording notifier."""
    sent = portal.notifier
    assert isinstance(sent, RecordingNotifier)
    return sent
