"""The catalog: dependent choices (A9), add-ons (C5), annual plans (R4), consistency."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

import resell_core as rc

USD = "USD"


@pytest.fixture
def catalog() -> rc.Catalog:
    """The sample catalog."""
    return rc.Catalog.sample()


def _fields(error: rc.InvalidInput) -> dict[str, rc.FieldProblem]:
    return {problem.field: problem for problem in error.problems}


def test_sample_is_labelled_as_sample_prices_in_usd(catalog: rc.Catalog) -> None:
    """The sample catalog says its prices are samples, in USD."""
    assert catalog.currency == USD
    assert "Sample prices" in catalog.label
    assert "Sample prices" in str(catalog)


def test_A9_versions_offer_their_own_products_and_tiers(catalog: rc.Catalog) -> None:
    """V1 offers EM with trial and sandbox; V3 offers paid tiers of two products."""
    v1 = catalog.options({"version": "V1", "product": "EM"})
    v3 = catalog.options({"version": "V3", "product": "automation"})

    assert v1.versions == ("V1", "V3")
    assert v1.products == ("EM",)
    assert v1.tiers == ("trial", "sandbox")
    assert v3.products == ("marketing", "automation")
    assert v3.tiers == ("starter", "plus", "professional", "enterprise")


def test_A9_options_open_one_step_at_a_time(catalog: rc.Catalog) -> None:
    """Contacts and frequency open after the tier, limits after frequency, add-ons last."""
    tier_chosen = catalog.options({"version": "V3", "product": "marketing", "tier": "plus"})
    contacts_chosen = catalog.options(
        {"version": "V3", "product": "marketing", "tier": "plus", "contacts": 2500}
    )
    complete = catalog.options(rc.PlanSelection("V3", "marketing", "plus", 2500, "annual"))

    assert catalog.options().next == "version"
    assert catalog.options({"version": "V3"}).next == "product"
    assert tier_chosen.next == "contacts"
    assert tier_chosen.contacts == (500, 1500, 2500, 5000, 10000, 25000, 50000)
    assert tier_chosen.frequencies == (rc.Frequency.MONTHLY, rc.Frequency.ANNUAL)
    assert tier_chosen.limits == ()
    assert contacts_chosen.next == "frequency"
    assert complete.next is None
    assert [lim.name for lim in complete.limits] == ["users", "custom_reports", "email_sends"]
    assert complete.addons == ("sms", "inbox_preview", "advanced_reporting")


def test_A9_contacts_and_frequency_are_refused_for_a_v1_trial(catalog: rc.Catalog) -> None:
    """A trial has standard terms: contacts, frequency, limits and add-ons are refused."""
    trial = rc.PlanSelection("V1", "EM", "trial", 2500, "monthly", {"users": 3}, ("sms",))

    with pytest.raises(rc.InvalidInput) as caught:
        catalog.validate(trial)

    assert set(_fields(caught.value)) == {"contacts", "frequency", "limits", "addons"}


def test_A9_paid_plan_needs_contacts_and_frequency_with_allowed_values(
    catalog: rc.Catalog,
) -> None:
    """A V3 plan without contacts or frequency is refused, listing the allowed values."""
    plan = rc.PlanSelection("V3", "marketing", "enterprise")

    with pytest.raises(rc.InvalidInput) as caught:
        catalog.validate(plan)

    problems = _fields(caught.value)
    assert problems["contacts"].allowed == ("10000", "25000", "50000")
    assert problems["frequency"].allowed == ("monthly", "annual")


def test_A9_every_violation_is_reported_at_once(catalog: rc.Catalog) -> None:
    """A band the tier lacks, an unknown limit, a bad value and an add-on: all four listed."""
    plan = rc.PlanSelection(
        "V3",
        "marketing",
        "professional",
        500,
        "monthly",
        {"users": 9999, "mailboxes": 3},
        ("carrier_pigeon",),
    )

    with pytest.raises(rc.InvalidInput) as caught:
        catalog.validate(plan)

    assert set(_fields(caught.value)) == {"contacts", "limits.users", "limits.mailboxes", "addons"}
    assert "contacts" in str(caught.value)


def test_A9_unknown_version_names_the_versions(catalog: rc.Catalog) -> None:
    """An unknown pricing version is refused with the versions there are."""
    with pytest.raises(rc.InvalidInput) as caught:
        catalog.validate(rc.PlanSelection("V2", "EM", "trial"))

    assert _fields(caught.value)["version"].allowed == ("V1", "V3")


def test_A9_limits_are_refused_before_a_frequency_is_chosen(catalog: rc.Catalog) -> None:
    """Account limits come after the billing frequency."""
    plan = rc.PlanSelection("V3", "marketing", "plus", 2500, None, {"users": 5})

    with pytest.raises(rc.InvalidInput) as caught:
        catalog.validate(plan)

    assert "chosen once the frequency" in _fields(caught.value)["limits"].message


def test_A9_custom_limit_within_bounds_is_accepted_and_priced(catalog: rc.Catalog) -> None:
    """Twelve users on plus (options 3, 5, 10) pay two extra users at $5 a month."""
    plan = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly", {"users": 12})

    assert catalog.validate(plan) is plan
    assert catalog.recurring_price(plan) == rc.Money("130.00", USD)


def test_A9_custom_limit_is_priced_per_year_on_an_annual_plan(catalog: rc.Catalog) -> None:
    """Two extra users on an annual plan cost 12 months of their unit price."""
    plan = rc.PlanSelection("V3", "marketing", "plus", 2500, "annual", {"users": 12})

    assert catalog.recurring_price(plan) == rc.Money("1320.00", USD)


def test_A9_custom_limit_out_of_bounds_names_the_field_and_bounds(catalog: rc.Catalog) -> None:
    """Fifty-one users on plus is beyond the custom bounds 11..50."""
    plan = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly", {"users": 51})

    with pytest.raises(rc.InvalidInput) as caught:
        catalog.validate(plan)

    assert _fields(caught.value)["limits.users"].allowed == ("3", "5", "10", "custom 11..50")


def test_A9_addons_are_offered_only_for_plus_and_above(catalog: rc.Catalog) -> None:
    """Starter offers no add-on; plus, professional and enterprise do."""
    offered = {
        tier: catalog.options(
            {"version": "V3", "product": "marketing", "tier": tier, "contacts": 10000 if tier
             == "enterprise" else 2500, "frequency": "monthly"}
        ).addons
        for tier in ("starter", "plus", "professional", "enterprise")
    }  # fmt: skip

    assert offered["starter"] == ()
    assert all(offered[tier] for tier in ("plus", "professional", "enterprise"))


def test_A9_inbox_preview_is_refused_for_starter(catalog: rc.Catalog) -> None:
    """Starter plans have no add-ons at all, not only no SMS."""
    plan = rc.PlanSelection(
        "V3", "automation", "starter", 500, "monthly", addons=("inbox_preview",)
    )

    with pytest.raises(rc.InvalidInput, match="inbox_preview"):
        catalog.validate(plan)


def test_C5_sms_addon_is_refused_for_starter(catalog: rc.Catalog) -> None:
    """The SMS add-on is not available for starter accounts."""
    plan = rc.PlanSelection("V3", "marketing", "starter", 1500, "monthly", addons=("sms",))

    with pytest.raises(rc.InvalidInput) as caught:
        catalog.validate(plan)

    assert "SMS add-on is not available for starter" in _fields(caught.value)["addons"].message


def test_C5_sms_addon_is_accepted_for_plus(catalog: rc.Catalog) -> None:
    """Plus may have SMS; it adds its price to the cycle."""
    plan = rc.PlanSelection("V3", "marketing", "plus", 1500, "monthly", addons=("sms",))

    assert catalog.recurring_price(plan) == rc.Money("104.00", USD)


def test_C5_catalog_offering_sms_to_starter_is_refused(catalog: rc.Catalog) -> None:
    """A catalog whose SMS add-on lists starter is refused when built."""
    sms = attrs.evolve(catalog.addons[0], tiers=("starter", "plus"))

    with pytest.raises(rc.CatalogError, match="rule C5"):
        attrs.evolve(catalog, addons=(sms, *catalog.addons[1:]))


def test_R4_annual_price_is_below_twelve_months_on_every_band(catalog: rc.Catalog) -> None:
    """Every annual band price is cheaper than twelve monthly ones, so annual plans sell."""
    for version in catalog.versions:
        for product in version.products:
            for tier in product.tiers:
                for band in tier.bands:
                    assert band.annual < band.monthly * 12


def test_R4_catalog_with_annual_above_twelve_months_is_refused(catalog: rc.Catalog) -> None:
    """A band whose annual price exceeds twelve months is a catalog problem."""
    v3 = catalog.versions[1]
    product = v3.products[0]
    tier = product.tiers[0]
    band = attrs.evolve(tier.bands[0], annual=rc.Money("500", USD))
    tier = attrs.evolve(tier, bands=(band, *tier.bands[1:]))
    product = attrs.evolve(product, tiers=(tier, *product.tiers[1:]))
    v3 = attrs.evolve(v3, products=(product, *v3.products[1:]))

    with pytest.raises(rc.CatalogError, match="above 12 monthly prices"):
        attrs.evolve(catalog, versions=(catalog.versions[0], v3))


def test_catalog_problems_are_all_listed(catalog: rc.Catalog) -> None:
    """A catalog with a bad migration rate, a duplicate rule and a foreign price lists all."""
    problems = rc.catalog_problems(
        currency="EUR",
        versions=catalog.versions,
        addons=catalog.addons,
        migration_discount=rc.MigrationDiscount(Decimal("1.5"), 0),
        change_rules=(*catalog.change_rules, catalog.change_rules[0]),
    )

    fields = {p.field for p in problems}
    assert {"migration_discount.rate", "migration_discount.cycles", "change_rules"} <= fields
    assert "versions.V3.products.marketing.tiers.plus.bands.2500.monthly" in fields


def test_a_name_listed_twice_is_a_problem_at_its_level(catalog: rc.Catalog) -> None:
    """A version, product, tier, limit or add-on named twice is named where the list is."""
    v3 = catalog.versions[1]
    product = v3.products[0]
    tier = attrs.evolve(product.tiers[0], limits=(*product.tiers[0].limits[:1],) * 2)
    product = attrs.evolve(product, tiers=(tier, tier, *product.tiers[1:]))
    v3 = attrs.evolve(v3, products=(product, product, *v3.products[1:]))
    problems = rc.catalog_problems(
        currency="USD",
        versions=(catalog.versions[0], v3, v3),
        addons=(catalog.addons[0], *catalog.addons),
        migration_discount=catalog.migration_discount,
        change_rules=catalog.change_rules,
    )

    twice = {(p.field, p.message) for p in problems if p.message.endswith("listed twice")}
    limit = tier.limits[0].name
    assert twice == {
        ("versions", "the version 'V3' is listed twice"),
        ("versions.V3.products", "the product 'marketing' is listed twice"),
        ("versions.V3.products.marketing.tiers", f"the tier {tier.name!r} is listed twice"),
        (
            f"versions.V3.products.marketing.tiers.{tier.name}.limits",
            f"the limit {limit!r} is listed twice",
        ),
        ("addons", f"the add-on {catalog.addons[0].name!r} is listed twice"),
    }


def test_change_rules_must_cover_every_change(catalog: rc.Catalog) -> None:
    """A catalog without a downgrade rule is refused: some changes would have no rule."""
    rules = tuple(r for r in catalog.change_rules if r.kind is not rc.ChangeKind.DOWNGRADE)

    with pytest.raises(rc.CatalogError, match="no rule for downgrade"):
        attrs.evolve(catalog, change_rules=rules)


def test_plan_size_comes_from_contacts_or_the_free_tier(catalog: rc.Catalog) -> None:
    """A paid plan's size is its contacts; a trial's comes from the catalog."""
    paid = rc.PlanSelection("V3", "marketing", "plus", 25000, "monthly")

    assert catalog.plan_size(paid) == 25000
    assert catalog.plan_size(rc.PlanSelection("V1", "EM", "trial")) == 500
    assert catalog.plan_size(rc.PlanSelection("V1", "EM", "sandbox")) == 100


def test_trial_lasts_fourteen_days_by_the_catalog(catalog: rc.Catalog) -> None:
    """The sample trial lasts 14 days."""
    assert catalog.trial_days == 14


def test_annualised_price_puts_monthly_and_annual_on_one_scale(catalog: rc.Catalog) -> None:
    """Monthly $120 is $1,440 a year; annual $1,200 stays $1,200; a trial costs nothing."""
    monthly = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
    annual = rc.PlanSelection("V3", "marketing", "plus", 2500, "annual")

    assert catalog.annualised_price(monthly) == rc.Money("1440.00", USD)
    assert catalog.annualised_price(annual) == rc.Money("1200.00", USD)
    assert catalog.annualised_price(rc.PlanSelection("V1", "EM", "trial")).is_zero()
