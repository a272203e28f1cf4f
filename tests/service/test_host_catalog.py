"""A host's own catalog, end to end: the portal, the overview and a billing month run on
the garden catalog (resell_core.testing.catalogs), whose versions, products and tiers
share no name with the sample's, on every adapter (PostgreSQL when enabled)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

import resell_core as rc
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.catalogs import (
    GARDEN_BLOOM,
    GARDEN_SANDBOX,
    GARDEN_SPROUT,
    GARDEN_TRIAL,
    GARDEN_TRIAL_DAYS,
    garden_catalog,
)
from resell_core.testing.portal import SAMPLE_START, bakery_form, sample_agency, sample_card

MAY = date(2024, 5, 11)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """An empty storage of each adapter (PostgreSQL skips unless enabled)."""
    if request.param == "memory":
        yield MemoryStorage()
        return
    if request.param == "sqlite":
        yield SqlStorage("sqlite://")
        return
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    try:
        yield scratch.storage()
    finally:
        scratch.drop()


@pytest.fixture
def portal(storage: Storage) -> rc.PartnerPortal:
    """An embedded portal on the garden catalog, its clock at 2024-04-11."""
    return rc.PartnerPortal.embedded(start=SAMPLE_START, catalog=garden_catalog(), storage=storage)


def _add(
    portal: rc.PartnerPortal, agency_id: str, name: str, plan: rc.PlanSelection, card: str | None
) -> rc.Account:
    created = portal.add_account(agency_id, bakery_form(name, plan, card))
    portal.process_provisioning()
    return portal.account(agency_id, created.account.id)


def _names(portal: rc.PartnerPortal, agency_id: str, **query: object) -> list[str]:
    page = portal.accounts(agency_id, rc.AccountQuery(columns=["name"], **query))  # type: ignore[arg-type]
    return [str(row.values[rc.OverviewColumn.NAME]) for row in page.rows]


def test_TR1_TR3_R3_O3_B1_a_host_catalog_runs_the_portal_overview_and_billing(
    portal: rc.PartnerPortal,
) -> None:
    """On the garden catalog: a trial of its own length, a sandbox that stays free, a
    paid plan; the trial converts to paid, the paid plan upgrades, the overview filters by
    the garden's tiers (and refuses the sample's), a view of a garden tier is stored and
    read back, and May's billing run charges the garden's prices less Acme's 20 %."""
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)

    trial = _add(portal, acme.id, "rose-florist", GARDEN_TRIAL, None)
    sandbox = _add(portal, acme.id, "acme-sandbox", GARDEN_SANDBOX, None)
    paid = _add(portal, acme.id, "north-bakery", GARDEN_SPROUT, card.id)
    lapsing = _add(portal, acme.id, "green-trial", GARDEN_TRIAL, None)

    # TR1: the catalog's trial mark and length, not the sample's names or 14 days.
    assert trial.trial_ends_on == SAMPLE_START + timedelta(days=GARDEN_TRIAL_DAYS)
    assert sandbox.trial_ends_on is None
    assert sandbox.anchor is None
    assert paid.anchor == SAMPLE_START

    # O3: the plan filter takes the garden's tiers and refuses the sample's.
    assert _names(portal, acme.id, plan="seedling") == ["green-trial", "rose-florist"]
    assert _names(portal, acme.id, plan="greenhouse") == ["acme-sandbox"]
    assert _names(portal, acme.id, plan="sprout") == ["north-bakery"]
    assert _names(portal, acme.id, filters=[("version", "eq", "pro-2025")]) == ["north-bakery"]
    ada = portal.add_portal_user(acme.id, "ada@acme.test", "Ada")
    portal.save_view(acme.id, ada.id, "Seedlings", rc.AccountQuery(plan="seedling"))
    assert portal.open_view(acme.id, ada.id, "Seedlings").query.plan == "seedling"
    with pytest.raises(rc.InvalidInput) as refused:
        _names(portal, acme.id, plan="trial")
    assert refused.value.problems[0].allowed == (
        "all",
        "seedling",
        "greenhouse",
        "sprout",
        "bloom",
        "orchard",
    )

    # TR3: the trial takes a paid plan; R3: the sandbox never does.
    converted = portal.change_plan(acme.id, trial.id, GARDEN_SPROUT, billing_profile_id=card.id)
    assert converted.plan == GARDEN_SPROUT
    assert converted.trial_ends_on is None
    with pytest.raises(rc.SandboxNotConvertible):
        portal.change_plan(acme.id, sandbox.id, GARDEN_SPROUT, billing_profile_id=card.id)

    # U1: an upgrade to the larger garden plan is immediate and prorated.
    edited = portal.edit_account(acme.id, paid.id, plan=GARDEN_BLOOM)
    assert edited.account.plan == GARDEN_BLOOM

    # B1: a billing month bills the paid accounts at the garden's prices, ends the trial
    # that ran out (on its 30th day), and bills neither the trial nor the sandbox.
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.set(MAY)
    report = portal.run_billing()
    assert report.errors == ()
    assert list(report.trials_ended) == [lapsing.id]
    billed = {invoice.period_key: invoice.total for invoice in portal.invoices(acme.id)}
    assert billed == {
        f"{trial.id}/2024-04-11": rc.Money("24.00", "USD"),  # sprout $30 less 20 %
        f"{trial.id}/2024-05-11": rc.Money("24.00", "USD"),
        f"{paid.id}/2024-04-11": rc.Money("112.00", "USD"),  # bloom $140 less 20 %
        f"{paid.id}/2024-05-11": rc.Money("112.00", "USD"),
    }
    assert portal.account(acme.id, lapsing.id).status is rc.AccountStatus.EXPIRED
    assert portal.account(acme.id, sandbox.id).status is rc.AccountStatus.ACTIVE
    assert _names(portal, acme.id, status="expired", plan="seedling") == ["green-trial"]
