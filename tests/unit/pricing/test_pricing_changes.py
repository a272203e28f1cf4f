"""Plan changes: proration vectors, the credit cap and the first-match change rules."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

import resell_core as rc
from resell_core.pricing import prorate_change, restart_term

USD = "USD"
APRIL = rc.Period(date(2024, 4, 11), date(2024, 5, 11))


def _plus(contacts: int = 2500, frequency: str = "monthly") -> rc.PlanSelection:
    return rc.PlanSelection("V3", "marketing", "plus", contacts, frequency)


def test_upgrade_from_10_to_20_at_half_a_period_nets_plus_5() -> None:
    """A $10 -> $20 upgrade at exactly half a period credits -5, charges +10, nets +5."""
    period = rc.Period(date(2024, 6, 1), date(2024, 7, 1))

    change = prorate_change(rc.Money("10", USD), rc.Money("20", USD), period, date(2024, 6, 16))

    assert change.credit == rc.Money("-5.00", USD)
    assert change.charge == rc.Money("10.00", USD)
    assert change.net == rc.Money("5.00", USD)


def test_upgrade_from_20_to_30_on_26_april_credits_10_and_charges_15() -> None:
    """$20 billed 11 Apr-11 May, upgraded to $30 on 26 Apr: credit -10.00, charge +15.00."""
    change = prorate_change(rc.Money("20", USD), rc.Money("30", USD), APRIL, date(2024, 4, 26))

    assert (change.credit, change.charge, change.net) == (
        rc.Money("-10.00", USD),
        rc.Money("15.00", USD),
        rc.Money("5.00", USD),
    )


def test_credit_on_the_first_day_is_everything_billed_and_no_more() -> None:
    """A change on the period's first day credits exactly what was billed, never more."""
    billed = rc.Money("10.005", USD)

    change = prorate_change(billed, rc.Money("30", USD), APRIL, APRIL.start)

    assert change.credit == -billed
    assert change.charge == rc.Money("30.00", USD)


def test_change_on_the_period_end_credits_and_charges_nothing() -> None:
    """A change on the exclusive end of the period leaves nothing to credit or charge."""
    change = prorate_change(rc.Money("20", USD), rc.Money("30", USD), APRIL, APRIL.end)

    assert change.net == rc.Money("0.00", USD)


def test_change_outside_the_period_is_refused() -> None:
    """A change date after the period is refused with the period named."""
    with pytest.raises(rc.InvalidInput, match="outside the period"):
        prorate_change(rc.Money("20", USD), rc.Money("30", USD), APRIL, date(2024, 6, 1))


def test_negative_billed_amount_is_refused() -> None:
    """What was billed cannot be negative: a credit is never made out of nothing."""
    with pytest.raises(rc.InvalidInput, match="billed"):
        prorate_change(rc.Money("-20", USD), rc.Money("30", USD), APRIL, date(2024, 4, 26))


def test_new_term_charges_a_whole_cycle_and_credits_the_rest() -> None:
    """A new term credits the unused half and charges the new plan's full cycle."""
    change = restart_term(rc.Money("20", USD), rc.Money("1020", USD), APRIL, date(2024, 4, 26))

    assert change.credit == rc.Money("-10.00", USD)
    assert change.charge == rc.Money("1020.00", USD)
    assert change.net == rc.Money("1010.00", USD)


def test_higher_annualised_price_is_an_immediate_upgrade() -> None:
    """Going from 2,500 to 5,000 contacts on plus is an upgrade, effective at once."""
    catalog = rc.Catalog.sample()

    rule = catalog.change_rule(_plus(2500), _plus(5000))

    assert rule == rc.ChangeRule(rc.ChangeKind.UPGRADE, rc.ChangeTiming.IMMEDIATE)


def test_lower_annualised_price_is_a_downgrade_at_end_of_term() -> None:
    """Going from professional to plus waits for the end of the term."""
    catalog = rc.Catalog.sample()
    professional = rc.PlanSelection("V3", "marketing", "professional", 5000, "monthly")

    rule = catalog.change_rule(professional, _plus(5000))

    assert rule == rc.ChangeRule(rc.ChangeKind.DOWNGRADE, rc.ChangeTiming.END_OF_TERM)


def test_frequency_change_starts_a_new_term_first_match_wins() -> None:
    """Monthly to annual matches the frequency rule before the downgrade rule."""
    catalog = rc.Catalog.sample()

    rule = catalog.change_rule(_plus(frequency="monthly"), _plus(frequency="annual"))

    assert rule == rc.ChangeRule(rc.ChangeKind.FREQUENCY, rc.ChangeTiming.NEW_TERM)


def test_reordered_rules_let_the_downgrade_rule_win_first() -> None:
    """A catalog listing downgrade before frequency makes monthly to annual a downgrade."""
    sample = rc.Catalog.sample()
    rules = (
        rc.ChangeRule("downgrade", "end_of_term"),
        rc.ChangeRule("frequency", "new_term"),
        rc.ChangeRule("upgrade", "immediate"),
        rc.ChangeRule("lateral", "immediate"),
    )
    catalog = attrs.evolve(sample, change_rules=rules)

    rule = catalog.change_rule(_plus(frequency="monthly"), _plus(frequency="annual"))

    assert rule.kind is rc.ChangeKind.DOWNGRADE


def test_trial_to_paid_plan_is_an_upgrade() -> None:
    """An expired trial moved to V3 plus is an immediate upgrade (nothing was billed)."""
    catalog = rc.Catalog.sample()
    trial = rc.PlanSelection("V1", "EM", "trial")

    assert catalog.change_rule(trial, _plus()).kind is rc.ChangeKind.UPGRADE


def test_same_price_on_another_product_is_a_lateral_change() -> None:
    """Swapping to a product of the same annualised price is lateral and immediate."""
    catalog = rc.Catalog.sample()
    before = rc.PlanSelection("V1", "EM", "trial")
    after = rc.PlanSelection("V1", "EM", "sandbox")

    rule = catalog.change_rule(before, after)

    assert rule == rc.ChangeRule(rc.ChangeKind.LATERAL, rc.ChangeTiming.IMMEDIATE)


def test_changing_to_the_same_plan_is_refused() -> None:
    """Asking for the plan the account already has is refused with advice."""
    with pytest.raises(rc.InvalidInput, match="current plan"):
        rc.Catalog.sample().change_rule(_plus(), _plus())


def test_U1_a_change_credits_over_the_days_its_billed_amount_paid_for() -> None:
    """After a change on day 16 of 30, a second change on day 21 credits 10/15 of that
    change's charge and charges 10/30 of the new price."""
    period = rc.Period(date(2024, 4, 11), date(2024, 5, 11))
    covered = rc.Period(date(2024, 4, 26), date(2024, 5, 11))

    change = prorate_change(
        rc.Money("60.00", "USD"),
        rc.Money("300.00", "USD"),
        period,
        date(2024, 5, 1),
        billed_for=covered,
    )

    assert change.credit == rc.Money("-40.00", "USD")
    assert change.charge == rc.Money("100.00", "USD")
    assert change.net == rc.Money("60.00", "USD")
