"""The catalog's marks decide, never the sample's names: each tier's kind (trial, sandbox,
paid), the versions and tiers an account may name, and what the overview filters on.

Most tests use a *swapped* catalog: the sample with its free tiers' marks exchanged, so
that the tier named ``trial`` is a sandbox and the one named ``sandbox`` a 14-day trial.
Code that read the names instead of the marks would get every one of them wrong."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

import resell_core as rc
from resell_core.billing.credits import assign_credits
from resell_core.billing.ledger import CreditKind, account_wallet
from resell_core.errors import CatalogError, CreditNotAllowed, InvalidInput, SandboxNotConvertible
from resell_core.lifecycle import ChangePlan, LifecyclePolicy, Provisioned, apply, open_account
from resell_core.lifecycle.account_query import check_query, expires_on
from resell_core.lifecycle.validation import validate_new_account
from resell_core.pricing import Catalog, PlanKind, Tier
from resell_core.testing.catalogs import GARDEN_BLOOM, GARDEN_SPROUT, GARDEN_TRIAL, garden_catalog
from resell_core.testing.portal import SAMPLE_PLUS, bakery_form

TODAY = date(2024, 3, 10)
NAMED_TRIAL = rc.PlanSelection("V1", "EM", "trial")
NAMED_SANDBOX = rc.PlanSelection("V1", "EM", "sandbox")


def _swap(tier: Tier) -> Tier:
    if tier.kind is PlanKind.TRIAL:
        return attrs.evolve(tier, kind=PlanKind.SANDBOX, trial_days=None)
    if tier.kind is PlanKind.SANDBOX:
        return attrs.evolve(tier, kind=PlanKind.TRIAL, trial_days=14)
    return tier


def swapped() -> Catalog:
    """The sample catalog with the marks of its trial and sandbox tiers exchanged."""
    sample = Catalog.sample()
    versions = tuple(
        attrs.evolve(
            version,
            products=tuple(
                attrs.evolve(product, tiers=tuple(_swap(t) for t in product.tiers))
                for product in version.products
            ),
        )
        for version in sample.versions
    )
    return attrs.evolve(sample, versions=versions)


def _opened(plan: rc.PlanSelection, catalog: Catalog) -> rc.Account:
    form = bakery_form(plan=plan, profile_id="card-1" if plan.is_paid else None)
    opened = open_account(form, account_id="acc-1", agency_id="ACME", today=TODAY, catalog=catalog)
    return apply(opened, Provisioned(), on=TODAY, policy=LifecyclePolicy()).account


# -- the marks and their consistency -------------------------------------------------------


def test_A9_the_kind_of_a_plan_is_the_catalogs_mark_not_its_name() -> None:
    """The swapped catalog calls its ``trial`` tier a sandbox and its ``sandbox`` a trial."""
    catalog = swapped()

    assert catalog.kind(NAMED_TRIAL) is PlanKind.SANDBOX
    assert catalog.kind(NAMED_SANDBOX) is PlanKind.TRIAL
    assert catalog.kind(SAMPLE_PLUS) is PlanKind.PAID
    assert catalog.kind(rc.PlanSelection("V1", "EM", "gold")) is None
    assert catalog.plans_of(PlanKind.TRIAL) == (NAMED_SANDBOX,)


def test_A9_a_catalog_with_tiers_marked_against_their_version_is_refused() -> None:
    """A free tier marked paid, a paid tier marked trial and a sandbox with a trial length
    are each refused, with where they are and the kinds allowed."""
    sample = Catalog.sample()
    free, paid = sample.versions
    trial, sandbox = free.products[0].tiers
    bad_free = attrs.evolve(
        free,
        products=(
            attrs.evolve(
                free.products[0],
                tiers=(
                    attrs.evolve(trial, kind=PlanKind.PAID),
                    attrs.evolve(sandbox, trial_days=7),
                ),
            ),
        ),
    )
    marketing = paid.products[0]
    bad_paid = attrs.evolve(
        paid,
        products=(
            attrs.evolve(
                marketing,
                tiers=(attrs.evolve(marketing.tiers[0], kind=PlanKind.TRIAL), *marketing.tiers[1:]),
            ),
            *paid.products[1:],
        ),
    )

    with pytest.raises(CatalogError) as caught:
        attrs.evolve(sample, versions=(bad_free, bad_paid))

    problems = {p.field: p.allowed for p in caught.value.problems}
    assert problems == {
        "versions.V1.products.EM.tiers.trial.kind": ("trial", "sandbox"),
        "versions.V1.products.EM.tiers.sandbox.trial_days": (),
        "versions.V3.products.marketing.tiers.starter.kind": ("paid",),
    }


def test_A9_the_catalog_lists_its_own_tiers_products_and_versions() -> None:
    """The overview's vocabulary comes from the catalog, each name once, in its order."""
    garden = garden_catalog()

    assert garden.plan_tiers == ("seedling", "greenhouse", "sprout", "bloom", "orchard")
    assert garden.products == ("mail", "social")
    assert garden.version_names == ("free-2025", "pro-2025")


# -- validation and opening (A9, TR1) -----------------------------------------------------


def test_A9_the_add_account_form_names_the_catalogs_versions_and_tiers() -> None:
    """The garden's trial is a valid plan on the garden catalog; the sample's V1 is not a
    version of it, and a garden paid plan needs a billing profile (its version is paid)."""
    garden = garden_catalog()

    assert validate_new_account(bakery_form(plan=GARDEN_TRIAL), catalog=garden).plan == GARDEN_TRIAL
    with pytest.raises(InvalidInput) as unknown:
        validate_new_account(bakery_form(plan=NAMED_TRIAL), catalog=garden)
    assert [(p.field, p.allowed) for p in unknown.value.problems] == [
        ("plan.version", ("free-2025", "pro-2025"))
    ]
    with pytest.raises(InvalidInput) as unpaid:
        validate_new_account(bakery_form(plan=GARDEN_SPROUT), catalog=garden)
    assert [p.field for p in unpaid.value.problems] == ["billing_profile_id"]


def test_TR1_a_tier_marked_trial_gets_a_trial_end_whatever_its_name() -> None:
    """On the swapped catalog the tier named ``sandbox`` runs 14 days, and ``trial`` never
    ends; the overview's expiry column follows."""
    catalog = swapped()

    marked_trial = _opened(NAMED_SANDBOX, catalog)
    marked_sandbox = _opened(NAMED_TRIAL, catalog)

    assert marked_trial.trial_ends_on == TODAY + timedelta(days=14)
    assert marked_sandbox.trial_ends_on is None
    assert expires_on(marked_trial) == TODAY + timedelta(days=14)
    assert expires_on(marked_sandbox) is None


# -- transitions (R3, TR3) ----------------------------------------------------------------


def test_R3_a_tier_marked_sandbox_never_becomes_paid_whatever_its_name() -> None:
    """On the swapped catalog the tier named ``trial`` is a sandbox: it cannot take a paid
    plan, while the tier named ``sandbox`` (a trial) can (TR3)."""
    catalog = swapped()
    change = ChangePlan(SAMPLE_PLUS, billing_profile_id="card-1")

    with pytest.raises(SandboxNotConvertible):
        apply(_opened(NAMED_TRIAL, catalog), change, on=TODAY, policy=LifecyclePolicy())
    converted = apply(_opened(NAMED_SANDBOX, catalog), change, on=TODAY, policy=LifecyclePolicy())

    assert converted.account.plan == SAMPLE_PLUS
    assert converted.account.anchor == TODAY


# -- the overview's plan filter (O3) ------------------------------------------------------


def test_O3_the_plan_filter_takes_the_catalogs_tiers_and_refuses_others() -> None:
    """``seedling`` is a garden tier; the sample's ``trial`` is not, nor ``V3`` a garden
    version, nor ``EM`` a garden product: each refusal lists the garden's names."""
    garden = garden_catalog()
    fine = rc.AccountQuery(plan="seedling", filters=[("product", "in", ["mail", "social"])])

    assert check_query(fine, garden) is fine
    with pytest.raises(InvalidInput) as caught:
        check_query(
            rc.AccountQuery(
                plan="trial",
                filters=[("version", "eq", "V3"), ("product", "in", ["mail", "EM"])],
            ),
            garden,
        )

    assert [(p.field, p.allowed) for p in caught.value.problems] == [
        ("plan", ("all", "seedling", "greenhouse", "sprout", "bloom", "orchard")),
        ("filters[0].value", ("free-2025", "pro-2025")),
        ("filters[1].value", ("mail", "social")),
    ]


def test_TR1_each_trial_tier_lasts_its_own_length() -> None:
    """Two trial tiers of 7 and 30 days: each account's trial ends after its tier's."""
    garden = garden_catalog()
    free = garden.versions[0]
    short = Tier("taster", limits=free.products[0].tiers[0].limits, contact_limit=100)
    short = attrs.evolve(short, trial_days=7, kind=PlanKind.TRIAL)
    product = attrs.evolve(free.products[0], tiers=(*free.products[0].tiers, short))
    catalog = attrs.evolve(
        garden, versions=(attrs.evolve(free, products=(product,)), *garden.versions[1:])
    )
    taster = rc.PlanSelection("free-2025", "mail", "taster")

    assert catalog.trial_length(taster) == 7
    assert catalog.trial_length(GARDEN_SPROUT) is None
    assert _opened(taster, catalog).trial_ends_on == TODAY + timedelta(days=7)
    assert _opened(GARDEN_TRIAL, catalog).trial_ends_on == TODAY + timedelta(days=30)


# -- add-ons (C5) -------------------------------------------------------------------------


def test_C5_sms_credits_follow_the_catalogs_sms_addon_not_a_tier_name() -> None:
    """A garden catalog whose ``sms`` add-on is for bloom and orchard: SMS credits go to a
    bloom account and its trial, not to a sprout one; the garden's own add-on (``texts``,
    no ``sms``) limits nothing."""
    garden = garden_catalog()
    texts = garden.addons[0]
    with_sms = attrs.evolve(garden, addons=(attrs.evolve(texts, name="sms"),))

    def assign(plan: rc.PlanSelection, catalog: Catalog) -> str:
        account = _opened(plan, catalog)
        moved = assign_credits(
            CreditKind.SMS, 10, account=account, movement_id="m", on=TODAY, catalog=catalog
        )
        return moved.destination

    with pytest.raises(CreditNotAllowed, match="sprout"):
        assign(GARDEN_SPROUT, with_sms)
    assert assign(GARDEN_BLOOM, with_sms) == account_wallet("acc-1")
    assert assign(GARDEN_TRIAL, with_sms) == account_wallet("acc-1")
    assert assign(GARDEN_SPROUT, garden) == account_wallet("acc-1")
