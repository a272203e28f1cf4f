"""Commissions through the portal: referred accounts, statements and PayPal payouts
(K1-K4)."""

from __future__ import annotations

from datetime import date

import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.billing import StatementStatus

PROFESSIONAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly")
PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
TRIAL = rc.PlanSelection("V1", "EM", "trial")


def referred(name: str, plan: rc.PlanSelection = PROFESSIONAL) -> rc.NewAccount:
    """The form of a client who came through a referral link; it has its own email."""
    return rc.NewAccount(
        name=name,
        client_name=name.replace("-", " ").title(),
        notification_email=f"owner@{name}.test",
        country="US",
        language="en",
        timezone="America/New_York",
        plan=plan,
    )


def payouts_of(portal: rc.PartnerPortal) -> rc.SimulatedPayoutGateway:
    """The embedded portal's simulated payout gateway."""
    payouts = portal.payouts
    assert isinstance(payouts, rc.SimulatedPayoutGateway)
    return payouts


def refer_two(portal: rc.PartnerPortal) -> list[rc.Account]:
    """Two professional clients (299 a month each) referred by ACME-DIGITAL, ready."""
    created = [
        portal.refer_account("ACME-DIGITAL", referred("lake-cafe")),
        portal.refer_account("acme-digital", referred("hill-gym")),
    ]
    portal.process_provisioning()
    return [c.account for c in created]


def test_K1_a_referred_account_belongs_to_the_agency_of_the_referral_code(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """The referral code finds Acme; the account is a commission account of Acme's."""
    created = portal.refer_account("ACME-DIGITAL", referred("lake-cafe"))

    account = portal.account(acme.id, created.account.id)
    assert account.kind is rc.AccountKind.COMMISSION
    assert account.billing_profile_id is None


def test_K1_an_unknown_referral_code_is_not_found(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """No agency has the code: nothing is created."""
    with pytest.raises(rc.NotFound):
        portal.refer_account("NOBODY", referred("lake-cafe"))

    assert portal.check_account_name("lake-cafe").ok


def test_K3_commission_accounts_are_never_billed_to_the_agency(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A year of runs bills nothing for two referred paid accounts."""
    refer_two(portal)
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)

    for _ in range(12):
        portal.run_billing()
        clock.advance(days=31)

    assert portal.invoices(acme.id) == []


def test_K4_a_referred_clients_trial_notices_go_to_the_client(
    portal: rc.PartnerPortal, acme: rc.Agency, notifier: RecordingNotifier
) -> None:
    """The vendor's own customer hears about its expiry itself, not through the agency."""
    created = portal.refer_account("ACME-DIGITAL", referred("lake-cafe", TRIAL))
    portal.process_provisioning()
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=14)

    portal.run_billing()

    expired = notifier.of_kind(rc.NoticeKind.ACCOUNT_EXPIRED)
    assert [n.to for n in expired] == ["owner@lake-cafe.test"]
    assert portal.account(acme.id, created.account.id).status is rc.AccountStatus.EXPIRED


def test_K2_commissions_are_paid_monthly_by_paypal(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """Two clients at 299 a month: 20 % of 598 is 119.60, sent to Acme's PayPal email."""
    portal.update_commission_settings(acme.id, "payouts@acme.test")
    refer_two(portal)

    run = portal.pay_commissions(date(2024, 4, 1))

    statement = run.of(acme.id)
    assert statement is not None
    assert statement.referred_revenue == rc.Money("598.00", "USD")
    assert statement.due == rc.Money("119.60", "USD")
    [payout] = payouts_of(portal).payouts
    assert (payout.paypal_email, payout.amount) == ("payouts@acme.test", statement.due)
    assert portal.commission_statement(acme.id, date(2024, 4, 15)).carried_out.is_zero()


def test_K2_a_month_is_paid_once_per_agency(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """Paying April twice sends one payout."""
    portal.update_commission_settings(acme.id, "payouts@acme.test")
    refer_two(portal)

    portal.pay_commissions(date(2024, 4, 1))
    again = portal.pay_commissions(date(2024, 4, 30))

    assert len(payouts_of(portal).payouts) == 1
    assert len(again.statements) == 1


def test_K2_without_a_paypal_email_the_payout_is_held_and_the_agency_told(
    portal: rc.PartnerPortal, acme: rc.Agency, notifier: RecordingNotifier
) -> None:
    """No PayPal email: nothing is sent, the agency is notified, May carries April's due."""
    refer_two(portal)

    april = portal.pay_commissions(date(2024, 4, 1)).of(acme.id)

    assert april is not None
    assert april.status is StatementStatus.HELD
    assert payouts_of(portal).payouts == []
    assert [n.to for n in notifier.of_kind(rc.NoticeKind.PAYOUT_HELD)] == [acme.email]
    may = portal.commission_statement(acme.id, date(2024, 5, 1))
    assert may.carried_in == april.due


def test_K2_below_the_minimum_the_commission_is_carried_over(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """Two plus clients earn less than 100: nothing is paid, May starts from it."""
    portal.update_commission_settings(acme.id, "payouts@acme.test")
    portal.refer_account("ACME-DIGITAL", referred("lake-cafe", PLUS))
    portal.refer_account("ACME-DIGITAL", referred("hill-gym", PLUS))
    portal.process_provisioning()

    april = portal.pay_commissions(date(2024, 4, 1)).of(acme.id)

    assert april is not None
    assert april.status is StatementStatus.BELOW_THRESHOLD
    assert payouts_of(portal).payouts == []
    assert portal.commission_statement(acme.id, date(2024, 5, 1)).carried_in == april.due


def test_agencies_that_referred_nobody_get_no_statement(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency
) -> None:
    """Only agencies with commission to account for appear in the run."""
    refer_two(portal)

    run = portal.pay_commissions(date(2024, 4, 1))

    assert [s.agency_id for s in run.statements] == [acme.id]
    assert run.of(globex.id) is None
