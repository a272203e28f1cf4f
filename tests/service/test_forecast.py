"""Upcoming invoices and forecasts through the portal, checked against the real billing
runs over the same days (P2, F1)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

import resell_core as rc
from resell_core.ports import Record
from resell_core.serialization import to_json
from resell_core.testing.portal import bakery_form, stored_state
from resell_core.testing.races import race_threads

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 2500, "monthly")
PROFESSIONAL_ANNUAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "annual")


def _on(portal: rc.PartnerPortal, day: date) -> None:
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.set(rc.PartnerPortal.embedded(start=day).clock.now())


def _card(portal: rc.PartnerPortal, agency: rc.Agency, label: str) -> rc.BillingProfile:
    return portal.add_billing_profile(
        agency.id,
        label=label,
        card_token=f"tok_ok_{label.lower().replace(' ', '_')}",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2031,
    )


def _add(
    portal: rc.PartnerPortal,
    agency: rc.Agency,
    name: str,
    plan: rc.PlanSelection,
    profile: rc.BillingProfile,
) -> rc.Account:
    created = portal.add_account(agency.id, bakery_form(name, plan, profile.id))
    portal.process_provisioning()
    return portal.account(agency.id, created.account.id)


def _agency_of_five(portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile) -> None:
    """ACME-DIGITAL on 2024-03-20: five accounts on two cards, USD 200 in the office
    pool, USD 45 earmarked for the florist, a downgrade scheduled and a cancellation."""
    office = _card(portal, acme, "Office Amex")
    _on(portal, date(2024, 3, 20))
    bakery = _add(portal, acme, "north-bakery", PLUS, card)
    florist = _add(portal, acme, "south-florist", PLUS, office)
    _on(portal, date(2024, 3, 31))
    butcher = _add(portal, acme, "east-butcher", PLUS, office)
    _add(portal, acme, "west-winery", PROFESSIONAL_ANNUAL, office)
    cafe = _add(portal, acme, "lake-cafe", PLUS, card)
    portal.run_billing()
    portal.buy_credits(acme.id, "prepaid", rc.Money("245", "USD"), office.id)
    portal.assign_credits(acme.id, florist.id, "prepaid", Decimal(45))
    portal.edit_account(acme.id, bakery.id, plan=STARTER)  # a downgrade: at the term's end
    portal.cancel_account(acme.id, cafe.id, "closed the cafe")
    assert portal.account(acme.id, butcher.id).anchor == date(2024, 3, 31)


def _real(portal: rc.PartnerPortal, acme: rc.Agency, start: date) -> list[rc.Invoice]:
    return [
        i for i in portal.invoices(acme.id) if i.period_key is not None and i.issued_on >= start
    ]


def test_F1_a_forecast_gives_the_real_runs_figures_to_the_cent(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Twelve months of ACME-DIGITAL forecast on 2024-04-11, then billed by the real runs
    with the manual clock: the same invoices, the same payment split, the same totals per
    month and per card, to the cent."""
    _agency_of_five(portal, acme, card)
    start = date(2024, 4, 11)
    _on(portal, start)

    forecast = portal.forecast(acme.id, months=12)

    assert len(forecast.months) == 12
    assert forecast.end == date(2025, 4, 11)
    days = sorted({i.issued_on for i in forecast.invoices} | {forecast.end - timedelta(days=1)})
    for day in days:
        _on(portal, day)
        report = portal.run_billing()
        assert not report.errors
    real = _real(portal, acme, start)
    projected = [
        (i.account_id, i.period.start, i.issued_on, i.total, i.earmarked, i.pool, i.card)
        for i in forecast.invoices
    ]
    assert sorted(projected) == sorted(
        (
            i.account_id or "",
            i.lines[0].period.start if i.lines[0].period else start,
            i.issued_on,
            i.total,
            i.paid_earmarked,
            i.paid_pool,
            i.paid_card,
        )
        for i in real
    )
    by_month: dict[tuple[date, str | None], rc.Money] = defaultdict(lambda: rc.Money.zero("USD"))
    for invoice in real:
        [held] = [m.month for m in forecast.months if invoice.issued_on in m.month]
        by_month[(held.start, invoice.profile_id)] += invoice.paid_card
    for month in forecast.months:
        for row in month.profiles:
            assert row.card == by_month[(month.month.start, row.profile_id)]
    assert forecast.card == rc.Money.total((i.paid_card for i in real), "USD")
    assert forecast.total == rc.Money.total((i.total for i in real), "USD")
    assert forecast.card.is_positive()
    assert forecast.credit_runs_out_on is not None


def test_F1_the_forecast_draws_earmarked_credit_then_the_pool_and_says_when_they_run_out(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The florist's USD 45 pay its own invoices first; the office pool (USD 200) pays the
    rest of the office card's accounts until it runs out, then the card is charged."""
    _agency_of_five(portal, acme, card)
    _on(portal, date(2024, 4, 11))

    forecast = portal.forecast(acme.id, months=6)

    wallets = {w.wallet: w for w in forecast.wallets}
    florist = next(i for i in forecast.invoices if i.account_name == "south-florist")
    assert florist.earmarked.is_positive()
    assert all(w.ends_with.is_zero() for w in wallets.values())
    assert all(w.runs_out_on is not None for w in wallets.values())
    first_card = min(i.issued_on for i in forecast.invoices if i.card.is_positive())
    assert forecast.credit_runs_out_on == first_card
    assert forecast.months[-1].credit_left.is_zero()
    assert sum(m.invoices for m in forecast.months) == len(forecast.invoices)


def test_F1_the_scheduled_downgrade_and_the_cancellation_shape_the_forecast(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """North Bakery is billed starter from its next term on; the cancelled cafe never again."""
    _agency_of_five(portal, acme, card)
    _on(portal, date(2024, 4, 11))

    forecast = portal.forecast(acme.id, months=3)

    bakery = [i for i in forecast.invoices if i.account_name == "north-bakery"]
    assert [i.plan.tier for i in bakery] == ["starter", "starter", "starter"]
    assert [i.period.start for i in bakery] == [
        date(2024, 4, 20),
        date(2024, 5, 20),
        date(2024, 6, 20),
    ]
    assert not [i for i in forecast.invoices if i.account_name == "lake-cafe"]
    winery = [i for i in forecast.invoices if i.account_name == "west-winery"]
    assert winery == []  # annual: billed on 2024-03-31, next on 2025-03-31


def test_P2_upcoming_lists_the_runs_invoices_and_changes_nothing(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Upcoming invoices until 2024-05-15, per account and day with their split: storage,
    ledger and gateway are untouched, and the runs then issue exactly those invoices."""
    _agency_of_five(portal, acme, card)
    start = date(2024, 4, 11)
    _on(portal, start)
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    before = (stored_state(portal, acme.id), len(gateway.charges))

    upcoming = portal.for_agency(acme.id).upcoming(until=date(2024, 5, 15))

    assert (stored_state(portal, acme.id), len(gateway.charges)) == before
    assert [(i.issued_on, i.account_name, i.card) for i in upcoming.invoices] == [
        (date(2024, 4, 20), "north-bakery", rc.Money("36.00", "USD")),
        (date(2024, 4, 20), "south-florist", rc.Money("0.00", "USD")),
        (date(2024, 4, 30), "east-butcher", rc.Money("0.00", "USD")),
    ]
    assert all(i.total == i.earmarked + i.pool + i.card for i in upcoming.invoices)
    for record in upcoming.to_records():
        assert set(record) >= {"issued_on", "account_id", "total", "earmarked", "pool", "card"}
    for day in sorted({i.issued_on for i in upcoming.invoices}):
        _on(portal, day)
        portal.run_billing()
    real = _real(portal, acme, start)
    assert sorted((i.account_id, i.issued_on, i.total, i.paid_card) for i in real) == sorted(
        (i.account_id, i.issued_on, i.total, i.card) for i in upcoming.invoices
    )


@pytest.mark.parametrize("until", [date(2024, 4, 10), date(2034, 4, 11)])
def test_P2_upcoming_refuses_a_day_before_today_or_past_ten_years(
    portal: rc.PartnerPortal, acme: rc.Agency, until: date
) -> None:
    """A day in the past or beyond ten years is refused with a coded error."""
    with pytest.raises(rc.InvalidInput) as refused:
        portal.upcoming(acme.id, until)
    assert refused.value.code == "invalid_input"


@pytest.mark.parametrize("months", [0, 121])
def test_F1_a_forecast_of_0_or_over_120_months_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, months: int
) -> None:
    """Months are 1 to 120."""
    with pytest.raises(rc.InvalidInput):
        portal.forecast(acme.id, months=months)


# -- auto top-up (F2) ------------------------------------------------------------------------


def test_F2_the_office_card_is_charged_once_a_month_and_never_twice_on_a_rerun(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The office card's auto top-up on the 1st buys exactly what its accounts' month
    needs: over four months its card sees one charge a month (the top-up), every recurring
    invoice is paid from the pool, and passes run again the same month buy nothing."""
    office = _card(portal, acme, "Office Amex")
    _on(portal, date(2024, 4, 20))
    _add(portal, acme, "south-florist", PLUS, office)
    _add(portal, acme, "east-butcher", PLUS, office)
    portal.run_billing()
    portal.set_top_up_policy(acme.id, office.id, rc.TopUpPolicy(day=1))
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    tokens = {office.card_token}
    charges_before = [c for c in gateway.charges if c.card_token in tokens]
    day = date(2024, 5, 1)
    bought: list[rc.Money] = []
    while day < date(2024, 9, 1):
        _on(portal, day)
        first = portal.run_top_ups()
        again = portal.run_top_ups()
        portal.run_billing()
        bought.extend(t.amount for t in first.top_ups)
        assert again.top_ups == ()
        assert not first.errors
        day += timedelta(days=1)

    charges = [c for c in gateway.charges if c.card_token in tokens][len(charges_before) :]
    months = [(c.amount, c.description) for c in charges]
    assert len(charges) == 4, months
    assert bought == [rc.Money("192.00", "USD")] * 4
    assert [c.amount for c in charges] == bought
    recurring = [
        i for i in portal.invoices(acme.id) if i.period_key and i.issued_on >= date(2024, 5, 1)
    ]
    assert len(recurring) == 8
    assert all(i.paid_card.is_zero() and i.paid_pool == i.total for i in recurring)
    assert portal.balances(acme.id, billing_profile_id=office.id).prepaid.is_zero()


def usd(amount: str) -> rc.Money:
    """US dollars."""
    return rc.Money(amount, "USD")


def test_F2_a_threshold_top_up_fills_the_pool_to_its_target_below_the_threshold(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Threshold mode: on its day, a pool under USD 50 is filled to USD 300, once."""
    portal.set_top_up_policy(
        acme.id, card.id, rc.TopUpPolicy(day=11, threshold=usd("50"), target=usd("300"))
    )
    report = portal.run_top_ups()
    assert [t.amount for t in report.top_ups] == [usd("300")]
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == usd("300")
    assert portal.run_top_ups().top_ups == ()
    assert portal.top_up_policy(acme.id, card.id) == rc.TopUpPolicy(
        day=11, threshold=usd("50"), target=usd("300")
    )


def test_F2_auto_top_up_is_off_by_default_and_can_be_turned_off(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """No policy, no top-up; a policy turned off buys nothing more."""
    assert portal.top_up_policy(acme.id, card.id) is None
    assert portal.run_top_ups().top_ups == ()
    portal.set_top_up_policy(acme.id, card.id, rc.TopUpPolicy(day=11))
    portal.set_top_up_policy(acme.id, card.id, None)
    assert portal.top_up_policy(acme.id, card.id) is None
    assert portal.run_top_ups().top_ups == ()


def test_F2_a_top_up_planned_before_a_crash_is_bought_once_by_the_next_pass(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The month's record was stored (planned, USD 120) but the purchase never made: the
    next pass buys those USD 120 once, and a pass after it buys nothing."""
    portal.set_top_up_policy(acme.id, card.id, rc.TopUpPolicy(day=1))
    key = "top-up:" + card.id + ":2024-04"
    with portal.storage.unit_of_work() as uow:
        uow.top_ups.add(Record(key, acme.id, card.id, "planned", to_json(usd("120.00")), key))
        uow.commit()
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    before = len(gateway.charges)

    first = portal.run_top_ups()
    second = portal.run_top_ups()

    assert [t.amount for t in first.top_ups] == [usd("120.00")]
    assert second.top_ups == ()
    assert [c.amount for c in gateway.charges[before:]] == [usd("120.00")]
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == usd("120.00")


@pytest.mark.adapters("memory", "postgresql", reason="threads share one database")
def test_F2_passes_racing_on_one_day_top_up_once(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Four passes at once on the top-up day: one purchase, one card charge."""
    portal.set_top_up_policy(
        acme.id, card.id, rc.TopUpPolicy(day=1, threshold=usd("50"), target=usd("300"))
    )
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    before = len(gateway.charges)

    outcomes = race_threads(4, lambda _: portal.run_top_ups())

    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    assert [c.amount for c in gateway.charges[before:]] == [usd("300")]
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == usd("300")
