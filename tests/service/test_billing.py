"""The billing run through the portal: cadence, catch-up, payment answers, dunning, crashes
and invoices (B1, B2, B7, A11, S1, S2, TR1, TR2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.billing import charge_key
from resell_core.periods import nth_period
from resell_core.testing.portal import earmark_movement

from .conftest import NewPortal

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
PLUS_ANNUAL = rc.PlanSelection("V3", "marketing", "plus", 2500, "annual")
PROFESSIONAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 2500, "monthly")
TRIAL = rc.PlanSelection("V1", "EM", "trial")

AddActive = Callable[..., rc.Account]


def clock_of(portal: rc.PartnerPortal) -> rc.ManualClock:
    """The embedded portal's manual clock."""
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    return clock


def gateway_of(portal: rc.PartnerPortal) -> rc.SimulatedGateway:
    """The embedded portal's simulated gateway."""
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    return gateway


def on(portal: rc.PartnerPortal, day: date) -> None:
    """Set the clock to 09:00 UTC of ``day``."""
    clock_of(portal).set(rc.PartnerPortal.embedded(start=day).clock.now())


def card_with(portal: rc.PartnerPortal, agency: rc.Agency, token: str) -> rc.BillingProfile:
    """A billing profile of the agency whose card token chooses the gateway's answer."""
    return portal.add_billing_profile(
        agency.id,
        label=f"Card {token}",
        card_token=token,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )


def add_paid(
    portal: rc.PartnerPortal,
    agency: rc.Agency,
    profile: rc.BillingProfile,
    name: str = "north-bakery",
    plan: rc.PlanSelection = PLUS,
) -> rc.Account:
    """Add a paid account paid by ``profile`` and let provisioning make it active."""
    created = portal.add_account(
        agency.id,
        rc.NewAccount(
            name=name,
            client_name="North Bakery",
            notification_email=f"{name}@acme.test",
            country="DE",
            language="de",
            timezone="Europe/Berlin",
            plan=plan,
            billing_profile_id=profile.id,
        ),
    )
    portal.process_provisioning()
    return portal.account(agency.id, created.account.id)


# -- cadence (B1, B2, A11) -------------------------------------------------------------------


def test_A11_a_year_of_monthly_billing_is_twelve_invoices(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """North Bakery, billed on the 11th of every month for a year, gets 12 invoices of 96."""
    bakery = add_active("north-bakery", PLUS)

    for month in range(12):
        on(portal, nth_period(bakery.anchor or date.min, "monthly", month).start)
        portal.run_billing()

    invoices = portal.invoices(acme.id, bakery.id)
    assert len(invoices) == 12
    assert {i.total for i in invoices} == {rc.Money("96.00", "USD")}
    assert [i.lines[0].period for i in invoices] == [
        nth_period(date(2024, 4, 11), "monthly", n) for n in range(12)
    ]
    assert len(gateway_of(portal).charges) == 12


def test_A11_an_annual_account_bills_once_a_year(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Monthly runs over a year bill the annual plan once, then again on its anniversary."""
    bakery = add_active("north-bakery", PLUS_ANNUAL)

    for month in range(12):
        on(portal, nth_period(date(2024, 4, 11), "monthly", month).start)
        portal.run_billing()
    assert len(portal.invoices(acme.id, bakery.id)) == 1

    on(portal, date(2025, 4, 11))
    portal.run_billing()
    invoices = portal.invoices(acme.id, bakery.id)
    assert [i.lines[0].period.start for i in invoices if i.lines[0].period] == [
        date(2024, 4, 11),
        date(2025, 4, 11),
    ]


def test_B1_a_disabled_account_is_still_billed(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Disabling the client's access does not stop the agency's bill."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    portal.disable_account(acme.id, bakery.id, "Unpaid: call Acme")

    on(portal, date(2024, 5, 11))
    report = portal.run_billing()

    assert report.invoices_created == 1
    assert len(portal.invoices(acme.id, bakery.id)) == 2


def test_B2_accounts_sharing_a_profile_are_billed_each_on_its_own_day(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Two accounts on one card, started on the 11th and the 20th, are billed on those days."""
    bakery = add_paid(portal, acme, card, "north-bakery")
    portal.run_billing()
    on(portal, date(2024, 4, 20))
    florist = add_paid(portal, acme, card, "south-florist")

    issued: dict[str, list[date]] = {bakery.id: [], florist.id: []}
    day = date(2024, 4, 20)
    while day < date(2024, 6, 1):
        on(portal, day)
        portal.run_billing()
        day += timedelta(days=1)
    for invoice in portal.invoices(acme.id):
        issued[invoice.account_id or ""].append(invoice.issued_on)

    assert issued[bakery.id] == [date(2024, 4, 11), date(2024, 5, 11)]
    assert issued[florist.id] == [date(2024, 4, 20), date(2024, 5, 20)]


def test_month_end_anchor_bills_on_the_last_day_of_short_months_then_the_31st_again(
    acme_on_the_31st: tuple[rc.PartnerPortal, rc.Agency, rc.Account],
) -> None:
    """An anchor on Jan 31 bills Feb 29, Mar 31 and Apr 30: always from the anchor."""
    portal, acme, bakery = acme_on_the_31st
    day = date(2024, 1, 31)
    while day <= date(2024, 5, 1):
        on(portal, day)
        portal.run_billing()
        day += timedelta(days=1)

    starts = [i.issued_on for i in portal.invoices(acme.id, bakery.id)]
    assert starts == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


@pytest.fixture
def acme_on_the_31st(
    new_portal: NewPortal,
) -> tuple[rc.PartnerPortal, rc.Agency, rc.Account]:
    """A portal whose clock starts on 2024-01-31, with Acme and a plus account bought that day."""
    portal = new_portal(start=date(2024, 1, 31))
    acme = portal.register_agency("Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2")
    card = card_with(portal, acme, "tok_ok")
    return portal, acme, add_paid(portal, acme, card)


def test_a_run_after_missed_months_catches_up_each_period_once(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """No run for three months: the next run bills the three periods, in order, once each."""
    bakery = add_active("north-bakery", PLUS)

    on(portal, date(2024, 6, 11))
    report = portal.run_billing()

    invoices = portal.invoices(acme.id, bakery.id)
    assert report.invoices_created == 3
    assert [i.lines[0].period.start for i in invoices if i.lines[0].period] == [
        date(2024, 4, 11),
        date(2024, 5, 11),
        date(2024, 6, 11),
    ]
    assert [i.number for i in invoices] == [1, 2, 3]  # gapless
    assert report.charged("USD") == rc.Money("288.00", "USD")


def test_running_billing_twice_charges_nothing_more(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The second run over the same day finds nothing due and charges nothing."""
    add_active("north-bakery", PLUS)
    add_active("south-florist", PLUS)
    first = portal.run_billing()

    second = portal.run_billing()

    assert (first.invoices_created, second.invoices_created) == (2, 0)
    assert len(gateway_of(portal).charges) == 2
    assert second.charged("USD").is_zero()


def test_a_run_bills_until_a_given_day_in_pages(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """``until`` is inclusive and accounts are read a page at a time."""
    for name in ("north-bakery", "south-florist", "east-butcher"):
        add_active(name, PLUS)
    clock_of(portal).advance(days=30)

    report = portal.run_billing(until=date(2024, 5, 11), page_size=1)

    assert report.invoices_created == 6
    assert report.accounts_billed == 3


# -- gateway answers and dunning -------------------------------------------------------------


def test_a_declined_charge_is_retried_the_next_day_and_paid(
    portal: rc.PartnerPortal, acme: rc.Agency, notifier: RecordingNotifier
) -> None:
    """tok_decline_once: declined (a dunning step with a notice), paid by the retry."""
    bakery = add_paid(portal, acme, card_with(portal, acme, "tok_decline_once"))

    first = portal.run_billing()
    [invoice] = portal.invoices(acme.id, bakery.id)
    assert first.payments_declined == 1
    assert (invoice.status, invoice.attempts) == (rc.InvoiceStatus.OPEN, 1)
    assert invoice.next_retry_on == date(2024, 4, 12)
    assert [n.kind for n in notifier.of_kind(rc.NoticeKind.PAYMENT_FAILED)] == [
        rc.NoticeKind.PAYMENT_FAILED
    ]

    on(portal, date(2024, 4, 12))
    second = portal.run_billing()

    assert portal.invoice(acme.id, invoice.id).status is rc.InvoiceStatus.PAID
    assert second.invoices_paid == 1
    assert len(gateway_of(portal).charges) == 1


def test_S1_S2_billing_notices_go_to_the_notification_email_only(
    portal: rc.PartnerPortal, acme: rc.Agency, notifier: RecordingNotifier
) -> None:
    """A declined charge is told to the account's agency-controlled notification email."""
    bakery = add_paid(portal, acme, card_with(portal, acme, "tok_decline"))
    notifier.clear()

    portal.run_billing()

    assert notifier.sent
    assert {n.to for n in notifier.sent} == {bakery.notification_email}


def test_an_unknown_answer_is_reconciled_by_its_key_without_a_second_charge(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """tok_timeout: the gateway did not answer but charged; the look-up by key finds it."""
    bakery = add_paid(portal, acme, card_with(portal, acme, "tok_timeout"))

    portal.run_billing()
    portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery.id)
    assert invoice.status is rc.InvoiceStatus.PAID
    assert len(gateway_of(portal).charges) == 1
    assert len(gateway_of(portal).attempts) == 1


def test_a_gateway_down_is_retried_later_without_a_dunning_step(
    portal: rc.PartnerPortal, acme: rc.Agency, notifier: RecordingNotifier
) -> None:
    """tok_down: nothing attempted, no attempt counted, no notice; tomorrow it goes through."""
    down = card_with(portal, acme, "tok_down")
    bakery = add_paid(portal, acme, down)
    notifier.clear()

    report = portal.run_billing()
    [invoice] = portal.invoices(acme.id, bakery.id)
    assert report.retries_later == 1
    assert (invoice.status, invoice.attempts) == (rc.InvoiceStatus.OPEN, 0)
    assert notifier.sent == []

    portal.update_billing_profile(acme.id, down.id, card_token="tok_ok")
    on(portal, date(2024, 4, 12))
    portal.run_billing()

    assert portal.invoice(acme.id, invoice.id).status is rc.InvoiceStatus.PAID


def test_dunning_exhausted_expires_the_account_and_tells_the_agency(
    portal: rc.PartnerPortal, acme: rc.Agency, notifier: RecordingNotifier
) -> None:
    """Declined on day 0, then after 1, 3 and 7 days: the invoice fails, the account expires."""
    bakery = add_paid(portal, acme, card_with(portal, acme, "tok_decline"))
    expired: list[str] = []
    day = date(2024, 4, 11)
    while day <= date(2024, 4, 25):
        on(portal, day)
        expired.extend(portal.run_billing().accounts_expired)
        day += timedelta(days=1)

    [invoice] = portal.invoices(acme.id, bakery.id)
    assert (invoice.status, invoice.attempts) == (rc.InvoiceStatus.FAILED, 4)
    assert expired == [bakery.id]
    assert portal.account(acme.id, bakery.id).status is rc.AccountStatus.EXPIRED
    exhausted = notifier.of_kind(rc.NoticeKind.DUNNING_EXHAUSTED)
    assert [n.to for n in exhausted] == [bakery.notification_email]
    assert len(notifier.of_kind(rc.NoticeKind.PAYMENT_FAILED)) == 3
    assert gateway_of(portal).charges == []


def test_C3_dunning_exhausted_gives_back_the_earmarked_credit_the_invoice_took(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """North Bakery's USD 30 of earmarked credit paid part of April, the declining card the
    rest: when the invoice fails, the 30 are the account's again and the invoice shows no
    prepaid part (prepaid spent is what paid invoices took)."""
    bakery = add_paid(portal, acme, card_with(portal, acme, "tok_decline"))
    with portal.storage.unit_of_work() as uow:
        uow.ledger.append(earmark_movement(acme.id, bakery.id, Decimal(30)))
        uow.commit()
    portal.run_billing()
    [started] = portal.invoices(acme.id, bakery.id)
    assert started.paid_earmarked == rc.Money("30", "USD")
    assert portal.balances(acme.id, account_id=bakery.id).prepaid.is_zero()
    day = date(2024, 4, 12)
    while day <= date(2024, 4, 25):
        on(portal, day)
        portal.run_billing()
        day += timedelta(days=1)

    [failed] = portal.invoices(acme.id, bakery.id)
    assert failed.status is rc.InvoiceStatus.FAILED
    assert (failed.paid_earmarked, failed.paid_card) == (rc.Money("0", "USD"),) * 2
    assert portal.balances(acme.id, account_id=bakery.id).prepaid == rc.Money("30", "USD")


def test_a_pending_charge_is_confirmed_when_the_gateway_settles_it(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """tok_pending (3-D Secure): pending until confirmed; then paid, charged once."""
    bakery = add_paid(portal, acme, card_with(portal, acme, "tok_pending"))
    report = portal.run_billing()
    [invoice] = portal.invoices(acme.id, bakery.id)
    assert report.invoices_pending == 1
    assert invoice.status is rc.InvoiceStatus.PENDING

    gateway_of(portal).settle(charge_key(invoice.id, 1), rc.ChargeOutcome.SUCCEEDED)
    confirmed = portal.confirm_payment(acme.id, invoice.id)

    assert confirmed.status is rc.InvoiceStatus.PAID
    assert confirmed.paid_card == invoice.total
    assert len(gateway_of(portal).charges) == 1


def test_confirming_an_invoice_that_awaits_nothing_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """A paid invoice awaits no confirmation."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    [invoice] = portal.invoices(acme.id, bakery.id)

    with pytest.raises(rc.InvalidInput):
        portal.confirm_payment(acme.id, invoice.id)


# -- crashes ----------------------------------------------------------------------------------


class Crash(Exception):
    """The process died."""


def test_a_crash_after_the_charge_before_its_record_charges_nothing_twice(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The card was charged, then the process died: the re-run looks the key up and records
    the payment; nothing is charged again and nothing is lost."""
    bakery = add_active("north-bakery", PLUS)
    gateway = gateway_of(portal)
    real_charge = gateway.charge

    def charge_then_die(request: rc.ChargeRequest) -> rc.ChargeResult:
        real_charge(request)
        raise Crash

    monkeypatch.setattr(gateway, "charge", charge_then_die)
    with pytest.raises(Crash):
        portal.run_billing()
    [in_flight] = portal.invoices(acme.id, bakery.id)
    assert in_flight.status is rc.InvoiceStatus.PENDING
    monkeypatch.undo()

    report = portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery.id)
    assert invoice.status is rc.InvoiceStatus.PAID
    assert report.invoices_created == 0
    assert len(gateway.charges) == 1


def test_a_crash_before_the_gateway_saw_the_charge_charges_once_under_the_same_key(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process died before the call reached the gateway: the re-run charges, once."""
    bakery = add_active("north-bakery", PLUS)
    gateway = gateway_of(portal)

    def die(request: rc.ChargeRequest) -> rc.ChargeResult:
        raise Crash

    monkeypatch.setattr(gateway, "charge", die)
    with pytest.raises(Crash):
        portal.run_billing()
    monkeypatch.undo()

    portal.run_billing()
    portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery.id)
    assert invoice.status is rc.InvoiceStatus.PAID
    assert [c.idempotency_key for c in gateway.charges] == [charge_key(invoice.id, 1)]


def test_one_accounts_failure_never_blocks_the_others(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """An account with no card to charge is reported; the next account is billed anyway."""
    broken = add_active("north-bakery", PLUS)
    fine = add_active("south-florist", PLUS)
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(acme.id, broken.id)
        uow.accounts.update(attrs.evolve(stored, billing_profile_id=None))
        uow.commit()

    report = portal.run_billing()

    assert [(e.subject, e.code) for e in report.errors] == [(broken.id, "payment_error")]
    assert portal.invoices(acme.id, broken.id) == []
    assert len(portal.invoices(acme.id, fine.id)) == 1
    assert "payment_error" in str(report)


# -- plan changes and the run ---------------------------------------------------------------


def test_an_upgrades_proration_invoice_is_paid_by_the_next_run(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """An upgrade's proration invoice the edit could not charge (the gateway was down) is
    charged by the next run's retry pass."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    on(portal, date(2024, 4, 26))
    portal.update_billing_profile(acme.id, card.id, card_token="tok_down")
    edited = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL)
    assert edited.invoice is not None
    assert edited.invoice.status is rc.InvoiceStatus.OPEN
    portal.update_billing_profile(acme.id, card.id, card_token="tok_ok")
    on(portal, date(2024, 4, 27))

    report = portal.run_billing()

    paid = portal.invoice(acme.id, edited.invoice.id)
    assert paid.status is rc.InvoiceStatus.PAID
    assert paid.paid_card == edited.invoice.total
    assert (report.invoices_created, report.invoices_paid) == (0, 1)


def test_pay_invoice_pays_an_upgrades_proration_at_once(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The host may collect the proration invoice right after the edit."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    on(portal, date(2024, 4, 26))
    edited = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL)
    assert edited.invoice is not None

    paid = portal.pay_invoice(acme.id, edited.invoice.id)

    assert paid.status is rc.InvoiceStatus.PAID
    assert portal.run_billing().invoices_paid == 0


def test_a_scheduled_downgrade_is_billed_from_the_term_boundary(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """plus -> starter waits for May 11; May's invoice is for starter and the plan changes."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    portal.edit_account(acme.id, bakery.id, plan=STARTER)

    on(portal, date(2024, 5, 11))
    portal.run_billing()

    may = portal.invoices(acme.id, bakery.id)[-1]
    starter_net = portal.quote(acme.id, STARTER).recurring
    assert may.total == starter_net
    account = portal.account(acme.id, bakery.id)
    assert (account.plan, account.pending_change) == (STARTER, None)


def test_a_cancelled_account_is_not_billed_after_cancelling(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Cancelled on April 20: May is never billed."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    on(portal, date(2024, 4, 20))
    portal.cancel_account(acme.id, bakery.id)

    on(portal, date(2024, 6, 11))
    report = portal.run_billing()

    assert report.invoices_created == 0
    assert len(portal.invoices(acme.id, bakery.id)) == 1


# -- trials (TR1, TR2) ------------------------------------------------------------------------


def test_TR1_TR2_a_trial_expires_when_it_ends_and_is_found_as_expired(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    notifier: RecordingNotifier,
) -> None:
    """A 14-day trial from April 11 is expired by the run of April 25, never billed."""
    trial = add_active("north-bakery", TRIAL)
    on(portal, date(2024, 4, 24))
    assert portal.run_billing().trials_ended == ()

    on(portal, date(2024, 4, 25))
    report = portal.run_billing()

    assert report.trials_ended == (trial.id,)
    assert portal.account(acme.id, trial.id).status is rc.AccountStatus.EXPIRED
    page = portal.accounts(acme.id, rc.AccountQuery(status="expired"))
    assert [r.account_id for r in page.rows] == [trial.id]
    assert [n.to for n in notifier.of_kind(rc.NoticeKind.ACCOUNT_EXPIRED)] == [
        trial.notification_email
    ]
    assert portal.invoices(acme.id) == []


# -- invoices (B7) ----------------------------------------------------------------------------


def test_B7_invoices_are_listed_for_the_agency_by_account_and_by_status(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """All invoices, one account's billing history, and only the paid ones."""
    bakery = add_active("north-bakery", PLUS)
    florist = add_active("south-florist", PLUS)
    on(portal, date(2024, 5, 11))
    portal.run_billing()

    everything = portal.invoices(acme.id)
    history = portal.invoices(acme.id, bakery.id)

    assert [i.number for i in everything] == [1, 2, 3, 4]
    assert {i.account_id for i in history} == {bakery.id}
    assert len(history) == 2
    assert len(portal.invoices(acme.id, florist.id, status="paid")) == 2
    assert portal.invoices(acme.id, status=rc.InvoiceStatus.FAILED) == []


def test_B7_another_agency_never_sees_the_invoices(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency, add_active: AddActive
) -> None:
    """Globex finds neither Acme's invoice nor Acme's account's history."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    [invoice] = portal.invoices(acme.id)

    assert portal.invoices(globex.id) == []
    with pytest.raises(rc.NotFound):
        portal.invoice(globex.id, invoice.id)
    with pytest.raises(rc.NotFound):
        portal.invoices(globex.id, bakery.id)


def test_an_unknown_status_filter_is_refused(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """Listing by a status that does not exist says which exist."""
    with pytest.raises(rc.InvalidInput) as caught:
        portal.invoices(acme.id, status="overdue")

    assert "overdue" in str(caught.value)


def test_the_report_reads_well(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The report's text names the day, the counts and the money."""
    add_active("north-bakery", PLUS)

    text = str(portal.run_billing())

    assert "Billing run until 2024-04-11" in text
    assert "96.00" in text


def test_B1_a_period_missed_before_a_cancellation_is_billed_once_after_it(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The run of 11 May is missed, the account is cancelled on 15 May: the next run bills
    the period that started on 11 May, once, and nothing after it."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()  # 11 April
    on(portal, date(2024, 5, 15))
    portal.cancel_account(acme.id, bakery.id, "moving to another agency")

    on(portal, date(2024, 5, 20))
    caught_up = portal.run_billing()
    on(portal, date(2024, 8, 1))
    later = portal.run_billing()

    periods = [i.lines[0].period for i in portal.invoices(acme.id, bakery.id)]
    assert periods == [nth_period(date(2024, 4, 11), "monthly", n) for n in (0, 1)]
    assert (caught_up.invoices_created, later.invoices_created) == (1, 0)
