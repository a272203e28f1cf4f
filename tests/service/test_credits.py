"""Credits through the portal: buying, paying prepaid first, earmarks, assigning, balances
and histories (C1-C6, B4)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import resell_core as rc

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
PROFESSIONAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 500, "monthly")

AddActive = Callable[..., rc.Account]
State = Callable[..., Any]


def gateway_of(portal: rc.PartnerPortal) -> rc.SimulatedGateway:
    """The embedded portal's simulated gateway."""
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    return gateway


def card_with(portal: rc.PartnerPortal, agency: rc.Agency, token: str) -> rc.BillingProfile:
    """A billing profile of the agency whose card token chooses the gateway's answer."""
    return portal.add_billing_profile(
        agency.id,
        label=f"Card {token}",
        card_token=token,
        brand="visa",
        last4="1111",
        exp_month=12,
        exp_year=2030,
    )


def test_C1_prepaid_sms_and_inbox_preview_credits_are_bought_with_a_profile(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Three purchases, three invoices with a credits-purchase line, three kinds of credit
    (the units, 20.00 and 10.00, were paid from the 50.00 of prepaid bought first)."""
    bought = [
        portal.buy_credits(acme.id, "prepaid", rc.Money("50.00", "USD"), card.id),
        portal.buy_credits(acme.id, rc.CreditKind.SMS, 500, card.id),
        portal.buy_credits(acme.id, "inbox_preview", 10, card.id),
    ]

    assert all(p.delivered for p in bought)
    assert [p.invoice.lines[0].kind for p in bought] == [rc.LineKind.CREDITS_PURCHASE] * 3
    agency = portal.balances(acme.id)
    assert (agency.prepaid, agency.sms, agency.inbox_preview) == (
        rc.Money("20.00", "USD"),
        Decimal(500),
        Decimal(10),
    )


def test_C2_B4_prepaid_credit_pays_the_recurring_charge_before_the_card(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """50 prepaid on the profile: the 96 invoice takes 50 from the pool and 46 from the card."""
    portal.buy_credits(acme.id, "prepaid", "50", card.id)
    bakery = add_active("north-bakery", PLUS)

    report = portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery.id)
    assert (invoice.paid_pool, invoice.paid_card) == (
        rc.Money("50", "USD"),
        rc.Money("46.00", "USD"),
    )
    assert gateway_of(portal).charges[-1].amount == rc.Money("46.00", "USD")
    assert report.prepaid("USD") == rc.Money("50", "USD")
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid.is_zero()


def test_C2_a_prepaid_pool_large_enough_pays_without_touching_the_card(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """200 prepaid: the 96 invoice is paid at once and the card is not charged for it."""
    portal.buy_credits(acme.id, "prepaid", "200", card.id)
    charges_before = len(gateway_of(portal).charges)
    add_active("north-bakery", PLUS)

    portal.run_billing()

    assert len(gateway_of(portal).charges) == charges_before
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == rc.Money("104", "USD")


def test_C2_credits_purchases_are_paid_with_prepaid_first(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """500 SMS credits (20.00) come out of the 50 pool; the card is not charged for them."""
    portal.buy_credits(acme.id, "prepaid", "50", card.id)

    sms = portal.buy_credits(acme.id, "sms", 500, card.id)

    assert sms.invoice.paid_pool == rc.Money("20.00", "USD")
    assert sms.invoice.paid_card.is_zero()
    assert len(gateway_of(portal).charges) == 1  # only the prepaid purchase itself


def test_C2_prepaid_credit_is_bought_by_card_only(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Prepaid credit does not buy itself: a second top-up is charged to the card in full."""
    portal.buy_credits(acme.id, "prepaid", "50", card.id)

    again = portal.buy_credits(acme.id, "prepaid", "30", card.id)

    assert again.invoice.paid_card == rc.Money("30", "USD")
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == rc.Money("80", "USD")


def test_C2_an_upgrades_proration_is_paid_with_prepaid_first(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """The proration invoice the run collects takes the pool before the card."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    portal.buy_credits(acme.id, "prepaid", "1000", card.id)
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=15)
    edited = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL)
    assert edited.invoice is not None

    portal.run_billing()

    paid = portal.invoice(acme.id, edited.invoice.id)
    assert paid.status is rc.InvoiceStatus.PAID
    assert (paid.paid_pool, paid.paid_card.is_zero()) == (edited.invoice.total, True)


def test_C3_prepaid_earmarked_for_an_account_is_used_before_the_pool(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """30 earmarked for the bakery and 100 in the pool: 30 + 66 pay its 96 invoice."""
    bakery = add_active("north-bakery", PLUS)
    florist = add_active("south-florist", PLUS)
    portal.buy_credits(acme.id, "prepaid", "30", card.id, bakery.id)
    portal.buy_credits(acme.id, "prepaid", "100", card.id)

    portal.run_billing()

    [for_bakery] = [i for i in portal.invoices(acme.id, bakery.id) if i.period_key]
    [for_florist] = portal.invoices(acme.id, florist.id)
    assert (for_bakery.paid_earmarked, for_bakery.paid_pool) == (
        rc.Money("30", "USD"),
        rc.Money("66.00", "USD"),
    )
    assert for_florist.paid_earmarked.is_zero()
    assert portal.balances(acme.id, account_id=bakery.id).prepaid.is_zero()


def test_C3_pool_credit_assigned_to_an_account_becomes_its_earmark(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """Assigning 40 of prepaid moves it from the profile's pool to the account."""
    bakery = add_active("north-bakery", PLUS)
    portal.buy_credits(acme.id, "prepaid", "100", card.id)

    portal.assign_credits(acme.id, bakery.id, "prepaid", "40")

    assert portal.balances(acme.id, account_id=bakery.id).prepaid == rc.Money("40", "USD")
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == rc.Money("60", "USD")


def test_C4_the_balance_is_shown_after_buying(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Buying 75 with the main card shows 75 on that profile and on the agency."""
    portal.buy_credits(acme.id, "prepaid", "75", card.id)

    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == rc.Money("75", "USD")
    assert portal.balances(acme.id).prepaid == rc.Money("75", "USD")


def test_C5_sms_credits_never_go_to_a_starter_account(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    state: State,
) -> None:
    """Neither assigning nor buying SMS credits for a starter account is allowed."""
    starter = add_active("north-bakery", STARTER)
    portal.buy_credits(acme.id, "sms", 100, card.id)
    before = state(acme.id)

    with pytest.raises(rc.CreditNotAllowed):
        portal.assign_credits(acme.id, starter.id, "sms", 10)
    with pytest.raises(rc.CreditNotAllowed):
        portal.buy_credits(acme.id, "sms", 10, card.id, starter.id)

    assert state(acme.id) == before


def test_C5_sms_credits_go_to_a_plus_account(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """A plus account takes SMS credits from the agency's wallet."""
    bakery = add_active("north-bakery", PLUS)
    portal.buy_credits(acme.id, "sms", 100, card.id)

    portal.assign_credits(acme.id, bakery.id, "sms", 60)

    assert portal.balances(acme.id, account_id=bakery.id).sms == 60
    assert portal.balances(acme.id).sms == 40


def test_C6_inbox_preview_credits_are_applied_n_at_a_time_with_a_history(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """Buy 10, apply 3 then 4 to the bakery: the account's history lists both moves."""
    bakery = add_active("north-bakery", PLUS)
    portal.buy_credits(acme.id, "inbox_preview", 10, card.id)

    portal.assign_credits(acme.id, bakery.id, "inbox_preview", 3)
    portal.assign_credits(acme.id, bakery.id, "inbox_preview", 4)

    history = portal.credit_history(acme.id, "inbox_preview", bakery.id)
    assert [m.quantity for m in history] == [3, 4]
    assert portal.balances(acme.id).inbox_preview == 3
    assert len(portal.credit_history(acme.id, rc.CreditKind.INBOX_PREVIEW)) == 3


def test_C6_applying_more_credits_than_bought_is_refused_and_changes_nothing(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    state: State,
) -> None:
    """5 inbox previews cannot cover 8: InsufficientCredit, nothing moves."""
    bakery = add_active("north-bakery", PLUS)
    portal.buy_credits(acme.id, "inbox_preview", 5, card.id)
    before = state(acme.id)

    with pytest.raises(rc.InsufficientCredit):
        portal.assign_credits(acme.id, bakery.id, "inbox_preview", 8)

    assert state(acme.id) == before


def test_credits_of_a_declined_purchase_arrive_when_the_retry_pays(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """tok_decline_once: the purchase is declined, then paid by the next day's run."""
    card = card_with(portal, acme, "tok_decline_once")

    declined = portal.buy_credits(acme.id, "sms", 500, card.id)
    assert not declined.delivered
    assert portal.balances(acme.id).sms == 0

    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=1)
    portal.run_billing()

    assert portal.invoice(acme.id, declined.invoice.id).status is rc.InvoiceStatus.PAID
    assert portal.balances(acme.id).sms == 500


def test_a_purchase_repeated_with_its_key_buys_once(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The same key and request: one invoice, one charge, one delivery."""
    first = portal.buy_credits(acme.id, "sms", 500, card.id, idempotency_key="sms-april")
    again = portal.buy_credits(acme.id, "sms", 500, card.id, idempotency_key="sms-april")

    assert first.invoice.id == again.invoice.id
    assert len(gateway_of(portal).charges) == 1
    assert portal.balances(acme.id).sms == 500
    with pytest.raises(rc.IdempotencyConflict):
        portal.buy_credits(acme.id, "sms", 900, card.id, idempotency_key="sms-april")


def test_bad_quantities_are_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Half a unit, a negative amount, a float, an unknown kind: each refused."""
    with pytest.raises(rc.InvalidInput):
        portal.buy_credits(acme.id, "sms", "2.5", card.id)
    with pytest.raises(rc.InvalidInput):
        portal.buy_credits(acme.id, "prepaid", "-10", card.id)
    with pytest.raises(rc.FloatNotAllowed):
        portal.buy_credits(acme.id, "prepaid", 10.5, card.id)  # type: ignore[arg-type]
    with pytest.raises(rc.InvalidInput):
        portal.buy_credits(acme.id, "gold", 1, card.id)
    assert portal.invoices(acme.id) == []


def test_another_agency_cannot_touch_the_accounts_credits(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    globex: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
) -> None:
    """Globex can neither assign to, nor read the balance or history of, Acme's account."""
    bakery = add_active("north-bakery", PLUS)
    globex_card = card_with(portal, globex, "tok_ok")
    portal.buy_credits(globex.id, "sms", 100, globex_card.id)

    with pytest.raises(rc.NotFound):
        portal.assign_credits(globex.id, bakery.id, "sms", 10)
    with pytest.raises(rc.NotFound):
        portal.balances(globex.id, account_id=bakery.id)
    with pytest.raises(rc.NotFound):
        portal.credit_history(globex.id, account_id=bakery.id)
    with pytest.raises(rc.NotFound):
        portal.buy_credits(globex.id, "sms", 10, card.id)


def test_C2_prepaid_taken_by_an_invoice_that_finally_fails_is_given_back(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """50 prepaid paid part of an invoice whose card declined four times: the 50 return."""
    declining = card_with(portal, acme, "tok_decline")
    bistro = add_paid_on(portal, acme, declining)
    portal.buy_credits(acme.id, "prepaid", "50", card.id, bistro)
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)

    for _ in range(12):
        portal.run_billing()
        clock.advance(days=1)

    [failed] = portal.invoices(acme.id, bistro, status="failed")
    assert failed.paid_earmarked.is_zero()
    assert portal.balances(acme.id, account_id=bistro).prepaid == rc.Money("50", "USD")
    assert portal.account(acme.id, bistro).status is rc.AccountStatus.EXPIRED


def add_paid_on(portal: rc.PartnerPortal, agency: rc.Agency, profile: rc.BillingProfile) -> str:
    """Add a plus account paid by ``profile``, ready; return its id."""
    created = portal.add_account(
        agency.id,
        rc.NewAccount(
            name="west-bistro",
            client_name="West Bistro",
            notification_email="bistro@acme.test",
            country="FR",
            language="fr",
            timezone="Europe/Paris",
            plan=PLUS,
            billing_profile_id=profile.id,
        ),
    )
    portal.process_provisioning()
    return created.account.id
