"""Forecasts over random agencies: the real daily runs issue what the forecast said (F1)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import resell_core as rc
from resell_core.testing.portal import bakery_form, sample_agency, sample_card, sample_portal
from resell_core.testing.strategies import ForecastAccount, forecast_accounts

_START = date(2024, 3, 1)


def _set(portal: rc.PartnerPortal, day: date) -> None:
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.set(day)


def _agency(accounts: list[ForecastAccount], pool: int) -> tuple[rc.PartnerPortal, str, date]:
    """An agency whose accounts come in on their days, billed daily, then credit bought,
    earmarked, downgrades scheduled and cancellations made; returns the forecast's day."""
    portal = sample_portal(_START)
    agency_id = sample_agency(portal).id
    main = sample_card(portal, agency_id).id
    office = portal.add_billing_profile(
        agency_id, label="Office", card_token="tok_ok_office", brand="amex", last4="0005",
        exp_month=11, exp_year=2031,
    ).id  # fmt: skip
    ids: list[str] = []
    for n, spec in enumerate(sorted(accounts, key=lambda a: a.start_day)):
        _set(portal, _START + timedelta(days=spec.start_day))
        form = bakery_form(f"shop-{n}", spec.plan, office if spec.office else main)
        ids.append(portal.add_account(agency_id, form).account.id)
        portal.process_provisioning()
        portal.run_billing()
    today = _START + timedelta(days=41)
    _set(portal, today)
    portal.run_billing()
    portal.buy_credits(agency_id, "prepaid", Decimal(pool + 200), office)
    for profile, paid_by_office in ((main, False), (office, True)):
        earmarks = sum(a.earmarked for a in accounts if a.office is paid_by_office)
        if earmarks:  # what is earmarked comes out of the account's own card's pool
            portal.buy_credits(agency_id, "prepaid", Decimal(earmarks), profile)
    for account_id, spec in zip(ids, sorted(accounts, key=lambda a: a.start_day), strict=True):
        if spec.earmarked:
            portal.assign_credits(agency_id, account_id, "prepaid", spec.earmarked)
        if spec.downgrade:
            portal.edit_account(agency_id, account_id, plan=attrs.evolve(spec.plan, tier="starter"))
        if spec.cancel:
            portal.cancel_account(agency_id, account_id)
    return portal, agency_id, today


@settings(max_examples=30)
@given(accounts=forecast_accounts, pool=st.sampled_from([0, 150, 600]))
def test_F1_daily_runs_issue_the_forecast_to_the_cent(
    accounts: list[ForecastAccount], pool: int
) -> None:
    """Every invoice, split, month and card of a four-month forecast is what the real
    runs, every day of those months, then issue and charge."""
    portal, agency_id, today = _agency(accounts, pool)

    before = {i.id for i in portal.invoices(agency_id)}
    forecast = portal.forecast(agency_id, months=4)

    day = today
    while day < forecast.end:
        _set(portal, day)
        assert not portal.run_billing().errors
        day += timedelta(days=1)
    real = [i for i in portal.invoices(agency_id) if i.period_key and i.id not in before]
    assert sorted(
        (i.account_id, i.issued_on, i.total, i.earmarked, i.pool, i.card) for i in forecast.invoices
    ) == sorted(
        (i.account_id or "", i.issued_on, i.total, i.paid_earmarked, i.paid_pool, i.paid_card)
        for i in real
    )
    for month in forecast.months:
        inside = [i for i in real if i.issued_on in month.month]
        assert month.card == rc.Money.total((i.paid_card for i in inside), "USD")
        for row in month.profiles:
            mine = [i for i in inside if i.profile_id == row.profile_id]
            assert row.card == rc.Money.total((i.paid_card for i in mine), "USD")
            assert row.pool == rc.Money.total((i.paid_pool for i in mine), "USD")


@settings(max_examples=20)
@given(
    accounts=forecast_accounts,
    pool=st.sampled_from([0, 150, 600]),
    top_up_day=st.integers(1, 31),
)
def test_F2_after_its_first_top_up_the_office_card_is_charged_once_a_month_at_most(
    accounts: list[ForecastAccount], pool: int, top_up_day: int
) -> None:
    """With a forecast-mode top-up on a random day, daily passes and runs for four months:
    from the first top-up on, the office's recurring invoices never reach its card, and
    the card is charged at most once a month (the top-up)."""
    portal, agency_id, today = _agency(accounts, pool)
    office = next(p for p in portal.billing_profiles(agency_id) if p.label == "Office")
    portal.set_top_up_policy(agency_id, office.id, rc.TopUpPolicy(day=top_up_day))
    before = {i.id for i in portal.invoices(agency_id)}

    first: date | None = None
    day = today
    while day < today + timedelta(days=120):
        _set(portal, day)
        report = portal.run_top_ups()
        assert not report.errors
        if report.top_ups and first is None:
            first = day
        assert not portal.run_billing().errors
        day += timedelta(days=1)

    assert first is not None
    on_card = [
        i
        for i in portal.invoices(agency_id)
        if i.id not in before
        and i.profile_id == office.id
        and i.issued_on >= first
        and i.paid_card.is_positive()
    ]
    assert all(i.period_key is None for i in on_card)  # top-ups only, no recurring invoice
    months = [(i.issued_on.year, i.issued_on.month) for i in on_card]
    assert len(months) == len(set(months))
