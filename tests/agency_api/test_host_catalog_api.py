"""The agency API on a host's catalog: plan ids, offers and the plan filter speak the
garden catalog's names (resell_core.testing.catalogs), and the sandbox rule follows the
catalog's mark, not the sample's tier name."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.pricing import Catalog, PlanKind, Tier
from resell_core.testing.catalogs import garden_catalog
from resell_core.testing.portal import SAMPLE_START, sample_agency, sample_card


def _params(name: str, plan: str) -> dict[str, Any]:
    return {
        "account": name,
        "plan": plan,
        "name": "North Bakery",
        "notification": "bakery@acme.test",
        "language": "de",
        "timezone": "Europe/Berlin",
        "country": "DE",
    }


class _Api:
    """The API over an embedded portal on ``catalog``, called as ACME-DIGITAL (one card)."""

    def __init__(self, catalog: Catalog) -> None:
        self.portal = rc.PartnerPortal.embedded(start=SAMPLE_START, catalog=catalog)
        self.acme = sample_agency(self.portal)
        sample_card(self.portal, self.acme.id)
        self.api = rc.AgencyApi(self.portal)

    def __call__(self, action: str, **params: Any) -> dict[str, Any]:
        return self.api.call(action, self.acme.id, params)

    def add(self, name: str, plan: str) -> None:
        assert self("account_add", **_params(name, plan))["result_code"] == 1
        self.portal.process_provisioning()


@pytest.fixture
def garden() -> _Api:
    """The API on the garden catalog."""
    return _Api(garden_catalog())


def test_API1_O3_account_add_and_account_list_speak_the_catalogs_names(garden: _Api) -> None:
    """A garden plan id opens an account, a bad one is the only problem reported (the rest
    of the form is checked against a garden plan), and the plan filter takes garden tiers."""
    garden.add("rose-florist", "free-2025/mail/seedling")
    garden.add("north-bakery", "pro-2025/mail/sprout/1000/monthly")

    failed = garden("account_add", **_params("green-shop", "V1/EM/trial"))
    listed = garden("account_list", planfilter="seedling")
    refused = garden("account_list", planfilter="trial")

    assert [p["field"] for p in failed["problems"]] == ["plan"]
    assert [a["account"] for a in listed["accounts"]] == ["rose-florist"]
    assert refused["error_code"] == "invalid_input"


def _swap(tier: Tier) -> Tier:
    if tier.kind is PlanKind.TRIAL:
        return attrs.evolve(tier, kind=PlanKind.SANDBOX, trial_days=None)
    if tier.kind is PlanKind.SANDBOX:
        return attrs.evolve(tier, kind=PlanKind.TRIAL, trial_days=14)
    return tier


def test_R3_account_plans_offers_nothing_to_a_tier_the_catalog_marks_sandbox() -> None:
    """With the sample's free marks exchanged, the tier named ``trial`` is the sandbox: it
    is offered no plan, while the tier named ``sandbox`` (the trial) is offered paid ones."""
    sample = Catalog.sample()
    free = sample.versions[0]
    swapped_free = attrs.evolve(
        free,
        products=tuple(
            attrs.evolve(p, tiers=tuple(_swap(t) for t in p.tiers)) for p in free.products
        ),
    )
    api = _Api(attrs.evolve(sample, versions=(swapped_free, *sample.versions[1:])))
    api.add("named-trial", "V1/EM/trial")
    api.add("named-sandbox", "V1/EM/sandbox")

    assert api("account_plans", account="named-trial")["plans"] == []
    offered = {p["plan"] for p in api("account_plans", account="named-sandbox")["plans"]}
    assert "V3/marketing/plus/2500/monthly" in offered
