"""Previewing an edit (P1): the invoice and payment split an edit would issue, nothing
charged, stored or audited, and the edit then issues exactly the figures previewed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

import resell_core as rc
from resell_core.testing.hostile import snapshot

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
PROFESSIONAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly")
STARTER = rc.PlanSelection("V3", "marketing", "starter", 2500, "monthly")
PLUS_ANNUAL = rc.PlanSelection("V3", "marketing", "plus", 2500, "annual")
TRIAL = rc.PlanSelection("V1", "EM", "trial")

AddActive = Callable[..., rc.Account]


def usd(amount: str) -> rc.Money:
    """US dollars."""
    return rc.Money(amount, "USD")


def advance(portal: rc.PartnerPortal, days: int) -> None:
    """Move the embedded portal's manual clock forward."""
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=days)


@pytest.fixture
def billed(portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive) -> rc.Account:
    """north-bakery on plus (USD 96.00 a month for Acme), its April period billed and paid
    by card on 2024-04-11; then 20.00 of prepaid credit earmarked for it and 30.00 in
    the Main Visa's pool; the clock on 2024-04-26, half-way through the period."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    [card] = portal.billing_profiles(acme.id)
    portal.buy_credits(acme.id, "prepaid", "20.00", card.id, bakery.id)
    portal.buy_credits(acme.id, "prepaid", "30.00", card.id)
    advance(portal, 15)
    return portal.account(acme.id, bakery.id)


def test_P1_an_upgrade_preview_shows_the_lines_and_the_split_and_changes_nothing(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """Half of plus credited, half of professional charged, paid 20 earmarked, 30 pool and
    the rest by card; storage, ledger, gateway, notifier and audit log untouched."""
    before = snapshot(portal)

    preview = portal.preview_change(acme.id, billed.id, plan=PROFESSIONAL)

    assert snapshot(portal) == before
    invoice = preview.invoice
    assert invoice is not None
    assert [(line.kind, line.amount) for line in invoice.lines] == [
        (rc.LineKind.PRORATION_CREDIT, usd("-48.00")),
        (rc.LineKind.PRORATION_CHARGE, usd("119.60")),
    ]
    assert invoice.total == usd("71.60")
    assert invoice.payment == rc.PaymentPlan(usd("20.00"), usd("30.00"), usd("21.60"))
    assert preview.due_now == usd("21.60")
    assert (preview.plan, preview.pending) == (PROFESSIONAL, None)
    assert "= charged to the card now" in preview.explain()


def test_P1_the_edit_issues_exactly_the_previewed_invoice_and_split(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """Preview, then the same edit: same number, lines, total and split; the card charged
    what the preview said."""
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    preview = portal.preview_change(acme.id, billed.id, plan=PROFESSIONAL)
    charges = len(gateway.charges)

    edited = portal.edit_account(acme.id, billed.id, plan=PROFESSIONAL)

    assert preview.invoice is not None
    issued = edited.invoice
    assert issued is not None
    assert (issued.number, issued.lines, issued.total) == (
        preview.invoice.number,
        preview.invoice.lines,
        preview.invoice.total,
    )
    assert rc.PaymentPlan(issued.paid_earmarked, issued.paid_pool, issued.paid_card) == (
        preview.invoice.payment
    )
    assert [c.amount for c in gateway.charges[charges:]] == [preview.invoice.payment.card]


def test_P1_a_downgrade_preview_shows_the_pending_change_and_no_invoice(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """plus -> starter waits for the end of the term: the preview says so, bills nothing,
    and the edit schedules exactly that change."""
    before = snapshot(portal)

    preview = portal.preview_change(acme.id, billed.id, plan=STARTER)

    assert snapshot(portal) == before
    assert preview.invoice is None
    assert preview.pending == rc.PendingChange(STARTER, date(2024, 5, 11))
    assert preview.plan == PLUS
    assert "end of term" in preview.explain()
    edited = portal.edit_account(acme.id, billed.id, plan=STARTER)
    assert (edited.invoice, edited.account.pending_change) == (None, preview.pending)


def test_P1_a_frequency_change_preview_carries_the_credit_to_prepaid(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """monthly -> annual starts a new term: the unused half of April is credited and, the
    invoice never going negative, carried to the account's prepaid credit."""
    preview = portal.preview_change(acme.id, billed.id, plan=PLUS_ANNUAL)

    invoice = preview.invoice
    assert invoice is not None
    assert (invoice.total, invoice.carried) == (usd("0.00"), usd("48.00"))
    assert invoice.payment == rc.PaymentPlan(usd("0"), usd("0"), usd("0"))
    edited = portal.edit_account(acme.id, billed.id, plan=PLUS_ANNUAL)
    assert edited.invoice is not None
    assert edited.invoice.lines == invoice.lines
    earmarked = portal.balances(acme.id, account_id=billed.id).prepaid
    assert earmarked == usd("20.00") + invoice.carried


def test_P1_a_later_day_of_the_billed_period_is_previewed_as_the_edit_made_then(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """Five days later, five days fewer are credited and charged; the edit made that day
    issues those figures."""
    later = date(2024, 5, 1)

    preview = portal.preview_change(acme.id, billed.id, plan=PROFESSIONAL, on=later)

    assert preview.invoice is not None
    assert preview.on == later
    assert preview.invoice.lines[0].amount == usd("-32.00")  # 10 of 30 days of 96.00
    advance(portal, 5)
    edited = portal.edit_account(acme.id, billed.id, plan=PROFESSIONAL)
    assert edited.invoice is not None
    assert edited.invoice.lines == preview.invoice.lines


@pytest.mark.parametrize(
    ("on", "says"),
    [(date(2024, 4, 25), "before today"), (date(2024, 5, 11), "2024-05-10")],
)
def test_P1_a_day_outside_the_billed_period_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account, on: date, says: str
) -> None:
    """Yesterday, or the day the next period starts: refused, saying which days work."""
    with pytest.raises(rc.InvalidInput, match=says):
        portal.preview_change(acme.id, billed.id, plan=PROFESSIONAL, on=on)


def test_P1_a_preview_refuses_what_the_edit_refuses(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account, globex: rc.Agency
) -> None:
    """The current plan, nothing to preview, another agency's account or profile: the
    edit's errors, and nothing changes."""
    before = snapshot(portal)
    with pytest.raises(rc.InvalidInput, match="current plan"):
        portal.preview_change(acme.id, billed.id, plan=PLUS)
    with pytest.raises(rc.InvalidInput, match="give a plan or a billing profile"):
        portal.preview_change(acme.id, billed.id)
    with pytest.raises(rc.NotFound):
        portal.preview_change(globex.id, billed.id, plan=PROFESSIONAL)
    with pytest.raises(rc.NotFound):
        portal.preview_change(acme.id, billed.id, billing_profile_id="profile-of-globex")
    assert snapshot(portal) == before


def test_P1_another_profile_pays_from_its_own_pool(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """With another billing profile in the same edit, the earmark then the new profile's
    pool (empty) pay, not the old profile's pool."""
    office = portal.add_billing_profile(
        acme.id, label="Office Amex", card_token="tok_ok_office", brand="amex", last4="0005",
        exp_month=11, exp_year=2031,
    )  # fmt: skip

    preview = portal.preview_change(
        acme.id, billed.id, plan=PROFESSIONAL, billing_profile_id=office.id
    )

    assert preview.invoice is not None
    assert preview.billing_profile_id == office.id
    assert preview.invoice.payment == rc.PaymentPlan(usd("20.00"), usd("0"), usd("51.60"))
    edited = portal.edit_account(
        acme.id, billed.id, plan=PROFESSIONAL, billing_profile_id=office.id
    )
    assert edited.invoice is not None
    assert (edited.invoice.paid_pool, edited.invoice.paid_card) == (usd("0"), usd("51.60"))


def test_P1_a_trial_preview_starts_a_new_term_billed_by_the_run(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """A trial taking plus: no invoice now, plus in force, its first cycle for the run."""
    trial = add_active("rose-florist", TRIAL)

    preview = portal.for_agency(acme.id).preview_change(
        trial.id, plan=PLUS, billing_profile_id=card.id
    )

    assert (preview.invoice, preview.rule, preview.plan) == (None, None, PLUS)
    assert preview.quote is not None
    assert preview.quote.recurring == usd("96.00")
    assert "new term" in preview.explain()


def test_P1_an_unbilled_period_is_left_to_the_billing_run(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Before its first period is billed, an upgrade takes effect at once and bills
    nothing now: the run bills the new plan."""
    bakery = add_active("north-bakery", PLUS)

    preview = portal.preview_change(acme.id, bakery.id, plan=PROFESSIONAL)

    assert (preview.invoice, preview.plan, preview.prorated) == (None, PROFESSIONAL, None)
    assert "billing run bills it" in preview.explain()
    assert portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL).invoice is None


def test_P1_the_preview_is_scoped_to_today_in_the_billing_time_zone(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """The default day is the clock's today."""
    preview = portal.preview_change(acme.id, billed.id, plan=PROFESSIONAL)
    assert preview.on == portal.clock.today() == date(2024, 4, 11) + timedelta(days=15)


def test_P1_a_second_change_previews_the_credit_of_what_the_first_one_charged(
    portal: rc.PartnerPortal, acme: rc.Agency, billed: rc.Account
) -> None:
    """After plus -> professional on 26 Apr, professional -> enterprise on 1 May credits
    the unused part of the first change's charge, and says from which day."""
    portal.edit_account(acme.id, billed.id, plan=PROFESSIONAL)
    advance(portal, 5)
    enterprise = rc.PlanSelection("V3", "marketing", "enterprise", 10000, "monthly")

    preview = portal.preview_change(acme.id, billed.id, plan=enterprise)

    assert preview.basis is not None
    assert preview.basis.billed_for == rc.Period(date(2024, 4, 26), date(2024, 5, 11))
    assert preview.invoice is not None
    assert preview.invoice.lines[0].amount == usd("-79.73")  # 10 of 15 days of 119.60
    assert "charged on 2024-04-26" in preview.explain()
    edited = portal.edit_account(acme.id, billed.id, plan=enterprise)
    assert edited.invoice is not None
    assert edited.invoice.lines == preview.invoice.lines
