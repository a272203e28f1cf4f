"""Test-wide settings and fixtures: Hypothesis profiles chosen by HYPOTHESIS_PROFILE (dev,
ci), and the sample portal the service and agency-API tests start from (an embedded portal
at 2024-04-11, ACME-DIGITAL with its card, and Globex; see resell_core.testing.portal)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import resell_core as rc
from resell_core.testing.portal import other_agency, sample_agency, sample_card, sample_portal

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def portal() -> rc.PartnerPortal:
    """An embedded portal whose clock shows 2024-04-11 09:00 UTC."""
    return sample_portal()


@pytest.fixture
def acme(portal: rc.PartnerPortal) -> rc.Agency:
    """ACME-DIGITAL, a reseller with a 20 % discount."""
    return sample_agency(portal)


@pytest.fixture
def card(portal: rc.PartnerPortal, acme: rc.Agency) -> rc.BillingProfile:
    """Acme's main card, which always succeeds."""
    return sample_card(portal, acme.id)


@pytest.fixture
def globex(portal: rc.PartnerPortal) -> rc.Agency:
    """Another agency, which must never see Acme's accounts."""
    return other_agency(portal)
