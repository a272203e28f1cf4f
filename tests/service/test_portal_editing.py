"""Edit and the lifecycle through the portal: plan changes with proration, pending
downgrades, cancel, disable, renew, change plan, branding (U1, R1, R2, R5, R7, TR3, BR1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.billing import charge_key
from resell_core.billing.due import due_periods
from resell_core.billing.run import bill_period, price_due
from resell_core.lifecycle import EndTrial, apply
from resell_core.pricing.price_book import Product, Tier, Version
from resell_core.testing.portal import sample_agency, sample_card

from .conftest import NewPortal

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
PROFESSIONAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 2500, "monthly")
PLUS_ANNUAL = rc.PlanSelection("V3", "marketing", "plus", 2500, "annual")
TRIAL = rc.PlanSelection("V1", "EM", "trial")

AddActive = Callable[..., rc.Account]
Form = Callable[..., rc.NewAccount]

SMALL_STARTER = rc.PlanSelection("V3", "marketing", "starter", 500, "monthly")
SMALL_PLUS = rc.PlanSelection("V3", "marketing", "plus", 500, "monthly")


@pytest.fixture
def old_visa(portal: rc.PartnerPortal, acme: rc.Agency) -> rc.BillingProfile:
    """Acme's old Visa, which the gateway always declines."""
    return sample_card(portal, acme.id, label="Old Visa", card_token="tok_decline")


def small_prices(starter: str, plus: str) -> rc.Catalog:
    """A price book of two plans only: marketing starter and plus, 500 contacts."""

    def tier(name: str, monthly: str) -> Tier:
        price = rc.Money(monthly, "USD")
        return Tier(name, bands=(rc.Band(500, price, price * 10),))

    plans = Product("marketing", (tier("starter", starter), tier("plus", plus)))
    return rc.Catalog("ACME test prices", "USD", (Version("V3", paid=True, products=(plans,)),))


def small_shop(
    new_portal: NewPortal, form: Form, starter: str, plus: str
) -> tuple[rc.PartnerPortal, rc.Account]:
    """ACME-DIGITAL (20 % reseller discount) on a portal of :func:`small_prices`, with
    north-bakery active on the small starter plan, paid by its Main Visa."""
    portal = new_portal(start=date(2024, 4, 11), catalog=small_prices(starter, plus))
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    created = portal.add_account(acme.id, form("north-bakery", SMALL_STARTER, card.id))
    portal.process_provisioning()
    return portal, portal.account(acme.id, created.account.id)


def bill_first_period(
    portal: rc.PartnerPortal, account: rc.Account, catalog: rc.Catalog | None = None
) -> rc.Invoice:
    """Invoice period 0 of the account as the billing run would (paid by card, not through
    the gateway), at the prices of ``catalog`` (the portal's when None)."""
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(account.agency_id, account.id)
        agency = uow.agencies.get(account.agency_id)
        due = due_periods(stored, portal.clock.today())[0]
        prices = catalog or portal.catalog
        figures = price_due(prices, due, reseller_rate=agency.reseller_rate)
        number, numbered = agency.numbered()
        billed = bill_period(
            stored, due, figures, invoice_id=f"inv-{account.id}", number=number,
            issued_on=portal.clock.today(),
        )  # fmt: skip
        invoice = attrs.evolve(
            billed.invoice, status=rc.InvoiceStatus.PAID, paid_card=billed.invoice.total
        )
        uow.agencies.update(numbered)
        uow.accounts.update(billed.account)
        uow.invoices.add(invoice)
        uow.commit()
    return invoice


def advance(portal: rc.PartnerPortal, days: int) -> None:
    """Move the embedded portal's manual clock forward."""
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=days)


def test_U1_an_upgrade_is_immediate_and_its_proration_invoice_is_paid_at_once(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Halfway through a billed month, plus -> professional credits half of plus and charges
    half of professional, in one invoice paid by card within the edit."""
    bakery = add_active("north-bakery", PLUS)
    paid = bill_first_period(portal, bakery)
    advance(portal, 15)  # 2024-04-26 in the period 2024-04-11 .. 2024-05-11

    edited = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL)

    invoice = edited.invoice
    assert invoice is not None
    assert edited.account.plan == PROFESSIONAL
    kinds = [line.kind for line in invoice.lines]
    assert kinds == [rc.LineKind.PRORATION_CREDIT, rc.LineKind.PRORATION_CHARGE]
    assert invoice.lines[0].amount == -paid.total.scaled(rc.proration_fraction(
        rc.Period(date(2024, 4, 11), date(2024, 5, 11)), date(2024, 4, 26)))  # fmt: skip
    assert (invoice.status, invoice.paid_card) == (rc.InvoiceStatus.PAID, invoice.total)
    assert attrs.asdict(portal.invoice(acme.id, invoice.id)) == attrs.asdict(invoice)
    assert invoice.number == paid.number + 1


def test_U1_the_anchor_vector_20_to_30_on_day_16_is_charged_once_for_the_net(
    new_portal: NewPortal, form: Form
) -> None:
    """$20 billed 11 Apr-11 May, upgraded to $30 on 26 Apr: credit -10.00, charge +15.00,
    and the card is charged once, 5.00, before edit_account returns."""
    portal, bakery = small_shop(
        new_portal, form, starter="25", plus="37.50"
    )  # net 20 and 30 after 20 %
    april = bill_first_period(portal, bakery)
    assert april.total == rc.Money("20.00", "USD")
    advance(portal, 15)

    edited = portal.edit_account(bakery.agency_id, bakery.id, plan=SMALL_PLUS)

    invoice = edited.invoice
    assert invoice is not None
    assert [line.amount for line in invoice.lines] == [
        rc.Money("-10.00", "USD"),
        rc.Money("15.00", "USD"),
    ]
    assert (invoice.status, invoice.paid_card) == (rc.InvoiceStatus.PAID, rc.Money("5", "USD"))
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    [charge] = gateway.charges
    assert (charge.amount, charge.idempotency_key) == (
        rc.Money("5.00", "USD"),
        charge_key(invoice.id, 1),
    )


def test_U1_a_second_upgrade_in_a_period_credits_what_the_first_one_charged(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """starter -> plus -> professional within one billed month: the second change credits
    the unused part of the plus charge, not the starter price again."""
    bakery = add_active("north-bakery", STARTER)
    bill_first_period(portal, bakery)
    advance(portal, 15)  # 2024-04-26: 15 of the 30 days of [2024-04-11, 2024-05-11) left
    first = portal.edit_account(acme.id, bakery.id, plan=PLUS).invoice
    advance(portal, 5)  # 2024-05-01: 10 days left

    second = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL).invoice

    assert first is not None
    assert second is not None
    plus_charge = first.lines[1]
    assert plus_charge.period == rc.Period(date(2024, 4, 26), date(2024, 5, 11))
    assert second.lines[0].amount == -plus_charge.amount.scaled(Fraction(10, 15))
    professional = portal.quote(acme.id, PROFESSIONAL).recurring
    assert second.lines[1].amount == professional.scaled(Fraction(10, 30))


def test_U1_a_declined_upgrade_charge_keeps_the_upgrade_and_enters_dunning(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    old_visa: rc.BillingProfile,
    notifier: RecordingNotifier,
) -> None:
    """Upgrading onto a card that declines: the plan changes, the invoice waits for its
    first retry the next day, and the account's notification email is told."""
    bakery = add_active("north-bakery", PLUS)
    bill_first_period(portal, bakery)
    advance(portal, 15)

    edited = portal.edit_account(
        acme.id, bakery.id, plan=PROFESSIONAL, billing_profile_id=old_visa.id
    )

    invoice = edited.invoice
    assert invoice is not None
    assert (edited.account.plan, edited.account.status) == (PROFESSIONAL, rc.AccountStatus.ACTIVE)
    assert (invoice.status, invoice.attempts) == (rc.InvoiceStatus.OPEN, 1)
    assert invoice.next_retry_on == date(2024, 4, 27)
    assert invoice.paid_card.is_zero()
    failed = [n for n in notifier.sent if n.kind is rc.NoticeKind.PAYMENT_FAILED]
    assert [n.to for n in failed] == ["bakery@acme.test"]


def test_U1_a_credit_larger_than_the_charge_becomes_the_accounts_prepaid_credit(
    new_portal: NewPortal, form: Form
) -> None:
    """Billed $40 before a price cut, upgraded to plus at $30 halfway: credit -20.00 beats
    the charge +15.00; the 5.00 left is the account's prepaid credit and no card is charged."""
    portal, bakery = small_shop(new_portal, form, starter="25", plus="37.50")
    acme_id = bakery.agency_id
    bill_first_period(portal, bakery, catalog=small_prices("50", "75"))
    advance(portal, 15)

    edited = portal.edit_account(acme_id, bakery.id, plan=SMALL_PLUS)

    invoice = edited.invoice
    assert invoice is not None
    assert (invoice.status, invoice.total.is_zero()) == (rc.InvoiceStatus.PAID, True)
    assert portal.balances(acme_id, account_id=bakery.id).prepaid == rc.Money("5.00", "USD")
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    assert gateway.charges == []


def test_an_idempotent_replay_of_an_upgrade_charges_nothing_again(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The same edit with the same key returns the paid invoice; the card was charged once."""
    bakery = add_active("north-bakery", PLUS)
    bill_first_period(portal, bakery)
    advance(portal, 15)
    first = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL, idempotency_key="up-1")

    again = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL, idempotency_key="up-1")

    assert again.invoice is not None
    assert again.invoice.status is rc.InvoiceStatus.PAID
    assert attrs.asdict(again) == attrs.asdict(first)
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    assert [c.idempotency_key for c in gateway.charges] == [charge_key(again.invoice.id, 1)]


def test_a_replayed_declined_upgrade_makes_no_second_attempt_before_its_retry_day(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    old_visa: rc.BillingProfile,
) -> None:
    """Replaying a declined upgrade returns the invoice after one attempt, still one."""
    bakery = add_active("north-bakery", PLUS)
    bill_first_period(portal, bakery)
    advance(portal, 15)

    def edit() -> rc.AccountEdited:
        return portal.edit_account(
            acme.id, bakery.id, plan=PROFESSIONAL, billing_profile_id=old_visa.id,
            idempotency_key="up-2",
        )  # fmt: skip

    edit()

    again = edit()

    assert again.invoice is not None
    assert (again.invoice.status, again.invoice.attempts) == (rc.InvoiceStatus.OPEN, 1)


def test_U1_a_downgrade_waits_for_the_end_of_the_term_and_can_be_withdrawn(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """plus -> starter is a pending change at the period's end; withdrawing drops it."""
    bakery = add_active("north-bakery", PLUS)
    bill_first_period(portal, bakery)

    edited = portal.edit_account(acme.id, bakery.id, plan=STARTER)

    assert edited.invoice is None
    assert edited.account.plan == PLUS
    assert edited.account.pending_change == rc.PendingChange(STARTER, date(2024, 5, 11))
    withdrawn = portal.withdraw_pending_change(acme.id, bakery.id)
    assert withdrawn.pending_change is None


def test_a_frequency_change_starts_a_new_term_and_credits_the_remainder(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Monthly -> annual on day 16 anchors a new term that day; the unused part of April
    becomes the account's prepaid credit and the annual period waits for the billing run."""
    bakery = add_active("north-bakery", PLUS)
    bill_first_period(portal, bakery)
    advance(portal, 15)

    edited = portal.edit_account(acme.id, bakery.id, plan=PLUS_ANNUAL)

    assert (edited.account.anchor, edited.account.next_period) == (date(2024, 4, 26), 0)
    invoice = edited.invoice
    assert invoice is not None
    assert invoice.status is rc.InvoiceStatus.PAID
    assert invoice.total.is_zero()
    with portal.storage.unit_of_work() as uow:
        credit = uow.ledger.balance(acme.id, f"account:{bakery.id}", rc.CreditKind.PREPAID)
    assert credit == -invoice.lines[0].amount.amount


def test_edit_changes_everything_or_nothing(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    state: Callable[..., Any],
) -> None:
    """A good notification email with the current plan (not a change) changes nothing."""
    bakery = add_active("north-bakery", PLUS)
    before = state(acme.id)

    with pytest.raises(rc.InvalidInput):
        portal.edit_account(acme.id, bakery.id, notification_email="new@acme.test", plan=PLUS)

    assert state(acme.id) == before


def test_edit_changes_the_notification_email_and_the_custom_domain(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """A5 and A3 through Edit, audited before -> after."""
    bakery = add_active("north-bakery", PLUS)

    edited = portal.edit_account(
        acme.id,
        bakery.id,
        notification_email="billing@acme.test",
        custom_domain="mail.north-bakery.test",
    )

    assert edited.account.notification_email == "billing@acme.test"
    assert edited.account.custom_domain == "mail.north-bakery.test"
    actions = [e.action for e in portal.events(acme.id, bakery.id)]
    assert actions[-2:] == ["notification_email_changed", "custom_domain_changed"]


def test_R7_cancel_keeps_the_account_until_paid_through_and_R5_refuses_sso(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """A cancelled account is cancelled and signing into it from the portal is refused."""
    bakery = add_active("north-bakery", PLUS)
    bill_first_period(portal, bakery)

    cancelled = portal.cancel_account(acme.id, bakery.id, "client closed the shop")

    assert cancelled.status is rc.AccountStatus.CANCELLED
    assert cancelled.paid_through == date(2024, 5, 11)
    with pytest.raises(rc.AccessDenied):
        portal.login_as(acme.id, bakery.id)


def test_disable_and_enable_are_audited(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Disable shows the message to the client; enable gives the account back."""
    bakery = add_active("north-bakery", PLUS)

    disabled = portal.disable_account(acme.id, bakery.id, "Invoice overdue: call Acme")
    enabled = portal.enable_account(acme.id, bakery.id)

    assert disabled.disabled_message == "Invoice overdue: call Acme"
    assert enabled.status is rc.AccountStatus.ACTIVE
    tail = [(e.before, e.after) for e in portal.events(acme.id, bakery.id)][-2:]
    assert tail == [("active", "disabled"), ("disabled", "active")]


def test_an_illegal_move_is_refused_and_changes_nothing(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    state: Callable[..., Any],
) -> None:
    """Enabling an active account raises InvalidTransition; storage is unchanged."""
    bakery = add_active("north-bakery", PLUS)
    before = state(acme.id)

    with pytest.raises(rc.InvalidTransition):
        portal.enable_account(acme.id, bakery.id)

    assert state(acme.id) == before


def test_R1_a_cancelled_and_expired_account_is_renewed_with_a_profile(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
) -> None:
    """After its paid-through date, renewing starts a new term that day."""
    bakery = add_active("north-bakery", PLUS)
    bill_first_period(portal, bakery)
    portal.cancel_account(acme.id, bakery.id)
    advance(portal, 40)

    renewed = portal.renew_account(acme.id, bakery.id, card.id)

    assert renewed.status is rc.AccountStatus.ACTIVE
    assert (renewed.anchor, renewed.next_period) == (date(2024, 5, 21), 0)


def test_R2_an_old_account_that_ran_out_must_change_its_plan(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
) -> None:
    """Bought before 2023-01-03, cancelled and expired: renew is refused, change_plan works."""
    bakery = add_active("north-bakery", PLUS)
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(acme.id, bakery.id)
        uow.accounts.update(
            attrs.evolve(
                stored,
                purchased_on=date(2022, 6, 1),
                status=rc.AccountStatus.CANCELLED,
                cancelled_on=date(2024, 4, 1),
                paid_through=date(2024, 4, 11),
            )
        )
        uow.commit()

    with pytest.raises(rc.InvalidTransition):
        portal.renew_account(acme.id, bakery.id, card.id)
    changed = portal.change_plan(acme.id, bakery.id, STARTER, billing_profile_id=card.id)

    assert (changed.status, changed.plan) == (rc.AccountStatus.ACTIVE, STARTER)


def test_TR3_an_expired_trial_is_upgraded_to_a_paid_plan(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
) -> None:
    """A trial expires; change_plan to V3 plus makes it an active paid account."""
    trial = add_active("bakery-trial", TRIAL)
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(acme.id, trial.id)
        uow.accounts.update(
            apply(stored, EndTrial(), on=date(2024, 4, 25), policy=rc.LifecyclePolicy()).account
        )
        uow.commit()
    advance(portal, 20)

    upgraded = portal.change_plan(acme.id, trial.id, PLUS, billing_profile_id=card.id)

    assert upgraded.status is rc.AccountStatus.ACTIVE
    assert upgraded.plan == PLUS
    assert upgraded.anchor == date(2024, 5, 1)


def test_BR1_branding_is_set_and_removed(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """An account takes Acme's brand and loses it again."""
    bakery = add_active("north-bakery", PLUS)
    brand = rc.Branding("https://cdn.acme.test/logo.png", "#0A3D62", "#F8C291", "Acme Mail")

    branded = portal.set_branding(acme.id, bakery.id, brand)
    plain = portal.remove_branding(acme.id, bakery.id)

    assert branded.branding == brand
    assert plain.branding is None


def test_idempotent_cancel_replays_and_conflicts(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Cancel with a key twice returns the first result; other reason -> conflict."""
    bakery = add_active("north-bakery", PLUS)
    first = portal.cancel_account(acme.id, bakery.id, "closing", idempotency_key="c-1")

    again = portal.cancel_account(acme.id, bakery.id, "closing", idempotency_key="c-1")

    assert attrs.asdict(again) == attrs.asdict(first)
    with pytest.raises(rc.IdempotencyConflict):
        portal.cancel_account(acme.id, bakery.id, "other reason", idempotency_key="c-1")


def test_a_key_is_scoped_to_its_agency(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    globex: rc.Agency,
    add_active: AddActive,
) -> None:
    """Globex using the same key string as Acme is not a replay of Acme's command."""
    bakery = add_active("north-bakery", PLUS)
    portal.cancel_account(acme.id, bakery.id, "closing", idempotency_key="c-1")

    with pytest.raises(rc.NotFound):
        portal.cancel_account(globex.id, bakery.id, "closing", idempotency_key="c-1")


def test_keys_are_kept_at_least_a_day(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """After 23 hours a key still replays; purging only drops keys older than the policy."""
    bakery = add_active("north-bakery", PLUS)
    portal.disable_account(acme.id, bakery.id, "paused", idempotency_key="d-1")
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(timedelta(hours=23))

    portal.purge_expired()

    again = portal.disable_account(acme.id, bakery.id, "paused", idempotency_key="d-1")
    assert again.status is rc.AccountStatus.DISABLED
