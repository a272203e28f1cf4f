"""Properties of pricing: proration adds up, cycle prices add up, options validate, round trips."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
from hypothesis import given
from hypothesis import strategies as st

import resell_core as rc
from resell_core.pricing import prorate_change
from resell_core.serialization import from_json, load_catalog, to_json, unstructure
from resell_core.testing import strategies as rs


@st.composite
def _changes(draw: st.DrawFn) -> tuple[rc.Money, rc.Money, rc.Period, object]:
    currency = draw(rs.currencies)
    billed = draw(rs.money(currency=currency, min_value=0)).max(rc.Money.zero(currency))
    new_net = draw(rs.money(currency=currency, min_value=0)).max(rc.Money.zero(currency))
    period = draw(rs.periods())
    on = period.start + timedelta(days=draw(st.integers(0, period.days)))
    return billed, new_net, period, on


@given(_changes())
def test_proration_credit_plus_used_part_is_what_was_billed(
    case: tuple[rc.Money, rc.Money, rc.Period, object],
) -> None:
    """The credit and the used part add up to the bill; the credit is never more than it."""
    billed, new_net, period, on = case
    assert isinstance(on, type(period.start))

    change = prorate_change(billed, new_net, period, on)
    used = billed + change.credit
    exact_used = Fraction(billed.amount) * Fraction((on - period.start).days, period.days)
    half_unit = Fraction(1, 2 * 10**billed.digits)

    assert -change.credit + used == billed
    assert not change.credit.is_positive()
    assert -change.credit <= billed
    assert abs(Fraction(used.amount) - exact_used) <= half_unit
    assert change.net == change.credit + change.charge
    assert -change.credit == rc.prorate(billed, period, on).min(billed)


@given(rs.plan_selections(), rs.reseller_rates, rs.migration_discounts, st.integers(0, 24))
def test_cycle_price_parts_add_up(
    plan: rc.PlanSelection,
    rate: Decimal,
    migration: rc.MigrationDiscount,
    cycle: int,
) -> None:
    """List value minus both discounts is the net; nothing is negative."""
    price = rc.Catalog.sample().cycle_price(
        plan, reseller_rate=rate, migration=migration, cycle=cycle
    )

    assert price.list_value - price.migration_discount - price.reseller_discount == price.net
    assert not price.net.is_negative()
    assert not price.migration_discount.is_negative()
    assert price.list_value == price.list_value.rounded()


@given(rs.plan_selections(), rs.reseller_rates, st.none() | rs.migration_discounts)
def test_a_quote_holds_the_lines_and_cycle_price_of_its_plan(
    plan: rc.PlanSelection, rate: Decimal, migration: rc.MigrationDiscount | None
) -> None:
    """A new account's quote shows price_lines and the first cycle_price, figure for figure."""
    catalog = rc.Catalog.sample()

    details = catalog.quote(plan, reseller_rate=rate, migration=migration)
    price = catalog.cycle_price(plan, reseller_rate=rate, migration=migration)

    assert details.lines == catalog.price_lines(plan)
    assert (details.list_value, details.migration_discount) == (
        price.list_value,
        price.migration_discount,
    )
    assert (details.reseller_discount, details.due_today) == (price.reseller_discount, price.net)
    assert details.recurring == price.list_value - price.reseller_discount
    written = price.list_value - price.migration_discount - price.reseller_discount
    assert str(price.net.amount) == str(written.amount)  # the same digits, not only the value


@given(rs.catalogs().flatmap(lambda c: st.tuples(st.just(c), rs.plan_selections(c))))
def test_options_only_offer_choices_that_validate(
    case: tuple[rc.Catalog, rc.PlanSelection],
) -> None:
    """A plan built only from what options() offered, step by step, is valid."""
    catalog, plan = case

    assert catalog.validate(plan) is plan
    assert catalog.problems(plan) == []


@given(rs.catalogs())
def test_catalog_round_trips_through_the_converter_unchanged(catalog: rc.Catalog) -> None:
    """A catalog unstructured, written as JSON and loaded back is equal to itself."""
    assert load_catalog(unstructure(catalog)) == catalog
    assert from_json(to_json(catalog), rc.Catalog) == catalog


@given(rs.plan_selections())
def test_plan_selection_round_trips_through_json(plan: rc.PlanSelection) -> None:
    """A plan selection written as JSON and read back is equal to itself."""
    assert from_json(to_json(plan), rc.PlanSelection) == plan


@given(rs.plan_selections(paid=True), rs.plan_selections(paid=True))
def test_every_change_between_paid_plans_has_a_rule(
    current: rc.PlanSelection, new: rc.PlanSelection
) -> None:
    """The default rules cover every change; upgrades are exactly the dearer plans."""
    catalog = rc.Catalog.sample()
    if current == new:
        return

    rule = catalog.change_rule(current, new)

    dearer = catalog.annualised_price(new) > catalog.annualised_price(current)
    if current.frequency is new.frequency:
        assert (rule.kind is rc.ChangeKind.UPGRADE) == dearer


@st.composite
def _catalog_and_selection(draw: st.DrawFn) -> tuple[rc.Catalog, rc.PlanSelection]:
    catalog = draw(rs.catalogs())
    return catalog, draw(rs.plan_selections(catalog))


@given(_catalog_and_selection(), rs.reseller_rates, st.none() | rs.migration_discounts)
def test_a_cached_price_equals_a_freshly_computed_one(
    case: tuple[rc.Catalog, rc.PlanSelection],
    rate: Decimal,
    migration: rc.MigrationDiscount | None,
) -> None:
    """A second quote (lines and list value from the catalog's cache) equals a fresh one's."""
    catalog, selection = case
    first = catalog.quote(selection, reseller_rate=rate, migration=migration)
    again = catalog.quote(selection, reseller_rate=rate, migration=migration)
    fresh = attrs.evolve(catalog).quote(selection, reseller_rate=rate, migration=migration)
    assert again == first == fresh
    assert catalog.recurring_price(selection) == fresh.list_value
    assert catalog.price_lines(selection) == fresh.lines
