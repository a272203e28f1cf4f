"""Accounts the lifecycle tests start from: opened on 2024-03-10 and provisioned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from resell_core.lifecycle import (
    Account,
    LifecyclePolicy,
    NewAccount,
    Provisioned,
    apply,
    open_account,
)
from resell_core.pricing.selection import PlanSelection

OPENED = date(2024, 3, 10)
POLICY = LifecyclePolicy()
PLUS_MONTHLY = PlanSelection("V3", "marketing", "plus", 2500, "monthly")


def form(plan: PlanSelection, **changes: object) -> NewAccount:
    """A well-filled add-account form for North Bakery."""
    fields: dict[str, object] = {
        "name": "north-bakery",
        "client_name": "North Bakery",
        "notification_email": "ops@acme-digital.test",
        "country": "DE",
        "language": "de",
        "timezone": "Europe/Berlin",
        "plan": plan,
        "billing_profile_id": "card-1" if plan.is_paid else None,
    }
    fields.update(changes)
    return NewAccount(**fields)  # type: ignore[arg-type]


def ready(plan: PlanSelection, on: date = OPENED) -> Account:
    """An account on ``plan`` opened and provisioned on ``on``."""
    opened = open_account(form(plan), account_id="acc-1", agency_id="ACME-DIGITAL", today=on)
    return apply(opened, Provisioned(), on=on, policy=POLICY).account


@pytest.fixture
def make_form() -> Callable[..., NewAccount]:
    """Build a well-filled add-account form for ``plan``, with fields changed by keyword."""
    return form


@pytest.fixture
def make_ready() -> Callable[..., Account]:
    """Open and provision an account on ``plan`` (on 2024-03-10 unless ``on`` is given)."""
    return ready


@pytest.fixture
def paid() -> Account:
    """North Bakery on plus, monthly, active since 2024-03-10."""
    return ready(PLUS_MONTHLY)


@pytest.fixture
def trial() -> Account:
    """North Bakery on a 14-day trial, active since 2024-03-10."""
    return ready(PlanSelection("V1", "EM", "trial"))


@pytest.fixture
def sandbox() -> Account:
    """North Bakery's sandbox, active since 2024-03-10."""
    return ready(PlanSelection("V1", "EM", "sandbox"))
