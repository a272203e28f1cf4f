"""Credit notes and refunds through the portal: crediting a paid invoice by line at its
billed prices, never more than was paid, to prepaid credit or back to the card, refunds
reconciled by key (CN1, CN2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.billing.taxes import TaxableLine, tax_line
from resell_core.testing.portal import (
    SAMPLE_START,
    bakery_form,
    earmark_movement,
    sample_agency,
    sample_card,
)

from .conftest import NewPortal

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")

AddActive = Callable[..., rc.Account]
State = Callable[..., Any]


def gateway_of(portal: rc.PartnerPortal) -> rc.SimulatedGateway:
    """The embedded portal's simulated gateway."""
    gateway = portal.gateway
    assert isinstance(gateway, rc.SimulatedGateway)
    return gateway


def usd(amount: str) -> rc.Money:
    """Dollars."""
    return rc.Money(amount, "USD")


def billed(portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive) -> rc.Invoice:
    """North-bakery's first recurring invoice, paid by card: 120.00 list, 24.00 reseller
    discount, 96.00 due."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    [invoice] = portal.invoices(acme.id, bakery.id)
    assert invoice.status is rc.InvoiceStatus.PAID
    return invoice


def sms_bought(portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile) -> rc.Invoice:
    """500 SMS credits at 0.04, 20.00 paid by card."""
    return portal.buy_credits(acme.id, "sms", 500, card.id).invoice


def test_CN1_a_paid_invoice_credited_in_whole_mirrors_every_line_as_billed(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """The whole credit of a 96.00 invoice carries its recurring line and its discount as
    billed, totals 96.00 and puts it in the account's prepaid credit, in the ledger."""
    invoice = billed(portal, acme, add_active)

    note = portal.credit_invoice(acme.id, invoice.id, reason="the client left in week one")

    assert [line.billed for line in note.lines] == list(invoice.lines)
    assert [line.amount for line in note.lines] == [line.amount for line in invoice.lines]
    assert note.total == invoice.total == usd("96.00")
    assert note.status is rc.CreditNoteStatus.CREDITED
    assert portal.balances(acme.id, account_id=invoice.account_id).prepaid == usd("96.00")
    [movement] = [m for m in portal.credit_history(acme.id) if m.invoice_id == invoice.id]
    assert movement.quantity == Decimal("96.00")
    assert "CN-1" in movement.reason


def test_CN1_lines_are_credited_by_quantity_at_the_billed_unit_price(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """100 of 500 SMS at the billed 0.04 are 4.00; the last 400 take the 16.00 left; then
    nothing is left to credit."""
    invoice = sms_bought(portal, acme, card)
    line = (rc.CreditLine(0, quantity=Decimal(100)),)

    first = portal.credit_invoice(acme.id, invoice.id, line, reason="unused SMS")
    rest = portal.credit_invoice(
        acme.id, invoice.id, (rc.CreditLine(0, quantity=Decimal(400)),), reason="unused SMS"
    )

    assert (first.total, rest.total) == (usd("4.00"), usd("16.00"))
    assert first.lines[0].billed.unit_price == invoice.lines[0].unit_price
    with pytest.raises(rc.CreditExceedsPaid):
        portal.credit_invoice(acme.id, invoice.id, line, reason="once more")


def test_CN1_an_amount_beyond_what_is_left_of_a_line_is_refused_and_changes_nothing(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, state: State
) -> None:
    """After 15.00 of a 20.00 line, 6.00 more is refused with a code and nothing stored."""
    invoice = sms_bought(portal, acme, card)
    portal.credit_invoice(
        acme.id, invoice.id, (rc.CreditLine(0, amount=usd("15.00")),), reason="goodwill"
    )
    before = state(acme.id)

    with pytest.raises(rc.CreditExceedsPaid) as refused:
        portal.credit_invoice(
            acme.id, invoice.id, (rc.CreditLine(0, amount=usd("6.00")),), reason="goodwill"
        )

    assert refused.value.code == "credit_exceeds_paid"
    assert state(acme.id) == before


def test_CN1_credit_notes_have_their_own_gapless_numbers_apart_from_invoices(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Two notes are CN-1 and CN-2; the next invoice still takes the invoices' next number,
    and the billing history shows invoices and notes together."""
    invoice = sms_bought(portal, acme, card)
    line = (rc.CreditLine(0, amount=usd("1.00")),)

    notes = [portal.credit_invoice(acme.id, invoice.id, line, reason="goodwill") for _ in "ab"]
    after = sms_bought(portal, acme, card)

    assert [n.label for n in notes] == ["CN-1", "CN-2"]
    assert after.number == invoice.number + 1
    history = portal.billing_history(acme.id)
    assert [type(d).__name__ for d in history] == ["Invoice", "CreditNote", "CreditNote", "Invoice"]
    assert portal.credit_notes(acme.id, invoice_id=invoice.id) == notes


def test_CN1_an_invoice_not_paid_cannot_be_credited(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A declined purchase has nothing paid: its credit is refused."""
    declined = portal.add_billing_profile(
        acme.id,
        label="Declined",
        card_token="tok_decline",
        brand="visa",
        last4="0002",
        exp_month=12,
        exp_year=2030,
    )
    invoice = portal.buy_credits(acme.id, "sms", 500, declined.id).invoice

    with pytest.raises(rc.InvalidInput):
        portal.credit_invoice(acme.id, invoice.id, reason="never paid")


def test_CN1_a_key_replayed_issues_one_credit_note(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The same key twice answers the first note; one note, one movement."""
    invoice = sms_bought(portal, acme, card)

    notes = [
        portal.credit_invoice(acme.id, invoice.id, reason="goodwill", idempotency_key="cn-1")
        for _ in "ab"
    ]

    assert notes[0] == notes[1]
    assert len(portal.credit_notes(acme.id)) == 1
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == usd("20.00")


def test_CN2_a_refund_goes_back_to_the_card_once(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """A note to the card is refunded under its own key, once, replayed or reconciled."""
    invoice = sms_bought(portal, acme, card)

    note = portal.credit_invoice(
        acme.id, invoice.id, reason="ordered twice", to="card", idempotency_key="refund-1"
    )
    again = portal.credit_invoice(
        acme.id, invoice.id, reason="ordered twice", to="card", idempotency_key="refund-1"
    )
    portal.reconcile_refund(acme.id, note.id)

    assert note.status is again.status is rc.CreditNoteStatus.REFUNDED
    [refund] = gateway_of(portal).refunds
    assert (refund.idempotency_key, refund.amount) == (f"refund:{note.id}", usd("20.00"))
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid.is_zero()


def test_CN2_a_refund_to_the_card_is_never_more_than_the_card_paid(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """An invoice paid 50.00 from prepaid credit and 46.00 by card refunds at most 46.00 to
    the card; the rest can go to prepaid credit."""
    portal.buy_credits(acme.id, "prepaid", "50.00", card.id)
    invoice = billed(portal, acme, add_active)
    assert invoice.paid_card == usd("46.00")

    with pytest.raises(rc.CreditExceedsPaid):
        portal.credit_invoice(acme.id, invoice.id, reason="outage", to="card")
    refund = portal.credit_invoice(
        acme.id, invoice.id, (rc.CreditLine(0, amount=usd("46.00")),), reason="outage", to="card"
    )
    rest = portal.credit_invoice(acme.id, invoice.id, reason="outage")

    assert (refund.total, rest.total) == (usd("46.00"), usd("50.00"))


def test_CN2_a_pending_refund_is_reconciled_by_its_key(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """A refund the card network has not confirmed stays refunding; once settled, the
    reconciliation by key records it refunded, and nothing is refunded twice."""
    invoice = sms_bought(portal, acme, card)
    portal.update_billing_profile(acme.id, card.id, card_token="tok_pending")

    note = portal.credit_invoice(acme.id, invoice.id, reason="ordered twice", to="card")
    assert note.status is rc.CreditNoteStatus.REFUNDING
    assert portal.reconcile_refund(acme.id, note.id).status is rc.CreditNoteStatus.REFUNDING
    gateway_of(portal).settle_refund(note.refund_key, rc.RefundOutcome.SUCCEEDED)
    done = portal.reconcile_refund(acme.id, note.id)

    assert done.status is rc.CreditNoteStatus.REFUNDED
    assert len(gateway_of(portal).refunds) == 1
    assert [e.action for e in portal.events(acme.id, subject=note.id)] == [
        "credit_note_issued",
        "refund_pending",
        "refund_succeeded",
    ]


def test_CN2_an_unknown_refund_answer_is_looked_up_by_its_key(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """A refund that timed out although the money went back is recorded refunded from the
    look-up, once."""
    invoice = sms_bought(portal, acme, card)
    portal.update_billing_profile(acme.id, card.id, card_token="tok_timeout")

    note = portal.credit_invoice(acme.id, invoice.id, reason="ordered twice", to="card")

    assert note.status is rc.CreditNoteStatus.REFUNDED
    assert len(gateway_of(portal).refunds) == 1


def test_CN2_a_refused_refund_is_credited_to_prepaid_credit(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The card takes no refund: the money becomes the profile's prepaid credit instead,
    never lost."""
    invoice = sms_bought(portal, acme, card)
    portal.update_billing_profile(acme.id, card.id, card_token="tok_decline")

    note = portal.credit_invoice(acme.id, invoice.id, reason="ordered twice", to="card")

    assert note.status is rc.CreditNoteStatus.CREDITED
    assert "refund failed" in note.message
    assert gateway_of(portal).refunds == []
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid == usd("20.00")


def test_CN2_a_refund_lost_before_the_gateway_is_sent_again_under_the_same_key(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A crash before the gateway saw the refund leaves the note refunding; reconciling
    sends it under its key, once."""
    invoice = sms_bought(portal, acme, card)
    gateway = gateway_of(portal)

    def crash(request: rc.RefundRequest) -> rc.RefundResult:
        raise ConnectionError("the worker died")

    with monkeypatch.context() as patched:
        patched.setattr(gateway, "refund", crash)
        with pytest.raises(ConnectionError):
            portal.credit_invoice(acme.id, invoice.id, reason="ordered twice", to="card")
    [note] = portal.credit_notes(acme.id)
    assert note.status is rc.CreditNoteStatus.REFUNDING

    done = portal.reconcile_refund(acme.id, note.id)
    portal.reconcile_refund(acme.id, note.id)

    assert done.status is rc.CreditNoteStatus.REFUNDED
    assert len(gateway.refunds) == 1


def test_CN2_a_gateway_down_leaves_the_refund_to_reconcile_and_moves_no_money(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The gateway unreachable: the note stays refunding, nothing refunded or credited."""
    invoice = sms_bought(portal, acme, card)
    portal.update_billing_profile(acme.id, card.id, card_token="tok_down")

    note = portal.credit_invoice(acme.id, invoice.id, reason="ordered twice", to="card")

    assert note.status is rc.CreditNoteStatus.REFUNDING
    assert gateway_of(portal).refunds == []
    assert portal.balances(acme.id, billing_profile_id=card.id).prepaid.is_zero()


def test_CN1_another_agency_never_sees_or_credits_the_invoice(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, globex: rc.Agency
) -> None:
    """Globex crediting Acme's invoice is "not found"; its lists are empty."""
    invoice = sms_bought(portal, acme, card)
    note = portal.credit_invoice(acme.id, invoice.id, reason="goodwill")

    with pytest.raises(rc.NotFound):
        portal.credit_invoice(globex.id, invoice.id, reason="goodwill")
    with pytest.raises(rc.NotFound):
        portal.credit_note(globex.id, note.id)
    assert portal.credit_notes(globex.id) == []


def refunding_portal(
    new_portal: Callable[..., rc.PartnerPortal], to: rc.CreditDestination | None
) -> tuple[rc.PartnerPortal, rc.Agency, rc.BillingProfile, rc.Account]:
    """A portal whose policies refund the unused part on cancel (or not, for None), with
    north-bakery on Plus billed 96.00 for 2024-04-11 to 2024-05-11 and paid by card."""
    policies = attrs.evolve(rc.Policies.embedded(), refund_unused_on_cancel=to)
    portal = new_portal(start=SAMPLE_START, policies=policies)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    created = portal.add_account(acme.id, bakery_form("north-bakery", PLUS, card.id))
    portal.process_provisioning()
    portal.run_billing()
    return portal, acme, card, portal.account(acme.id, created.account.id)


def test_CN2_cancelling_refunds_the_unused_part_of_the_term_when_the_policy_says_so(
    new_portal: Callable[..., rc.PartnerPortal],
) -> None:
    """Cancelled on 2024-04-26, 15 of 30 days unused: 60.00 of the 120.00 line less 12.00 of
    the 24.00 discount, 48.00 back to the card; the account ends that day."""
    portal, acme, _card, bakery = refunding_portal(new_portal, rc.CreditDestination.CARD)
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.set(date(2024, 4, 26))

    cancelled = portal.cancel_account(acme.id, bakery.id, "closed the shop")

    [note] = portal.credit_notes(acme.id, account_id=bakery.id)
    assert [line.amount for line in note.lines] == [usd("60.00"), usd("-12.00")]
    assert (note.total, note.status) == (usd("48.00"), rc.CreditNoteStatus.REFUNDED)
    assert gateway_of(portal).refunds[-1].amount == usd("48.00")
    assert cancelled.status is rc.AccountStatus.CANCELLED
    assert cancelled.paid_through == date(2024, 4, 26)


def test_CN2_by_default_cancelling_gives_nothing_back_and_works_until_paid_through(
    new_portal: Callable[..., rc.PartnerPortal],
) -> None:
    """Without the policy, the cancelled account keeps its paid term and no note is made."""
    portal, acme, _card, bakery = refunding_portal(new_portal, None)

    cancelled = portal.cancel_account(acme.id, bakery.id, "closed the shop")

    assert portal.credit_notes(acme.id) == []
    assert gateway_of(portal).refunds == []
    assert cancelled.paid_through == date(2024, 5, 11)


# -- the tax a credit note gives back (CN1, TX1) ------------------------------------------


@attrs.frozen
class TenPercent:
    """A host's calculator: 10 % on every line, in Freedonia."""

    def taxes(
        self, agency: rc.Agency, account: rc.Account | None, lines: Sequence[TaxableLine]
    ) -> Sequence[rc.TaxLine]:
        """Tax every line at 10 %."""
        return [
            tax_line(t, name="Sales tax", jurisdiction="FD", rate=Decimal("0.10")) for t in lines
        ]


def taxed_invoice(
    new_portal: NewPortal, *, earmarked: int = 0, declined: bool = False
) -> tuple[rc.PartnerPortal, rc.Agency, rc.Invoice]:
    """North-bakery's first invoice with 10 % tax: 120.00 - 24.00 = 96.00, 9.60 tax, 105.60;
    ``earmarked`` prepaid credit pays first, the card the rest (or declines it)."""
    portal = new_portal(start=SAMPLE_START, taxes=TenPercent())
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    created = portal.add_account(acme.id, bakery_form("north-bakery", PLUS, card.id))
    portal.process_provisioning()
    if earmarked:
        with portal.storage.unit_of_work() as uow:
            uow.ledger.append(earmark_movement(acme.id, created.account.id, Decimal(earmarked)))
            uow.commit()
    if declined:
        portal.update_billing_profile(acme.id, card.id, card_token="tok_decline")
    portal.run_billing()
    [invoice] = portal.invoices(acme.id, created.account.id)
    assert (invoice.tax, invoice.total) == (usd("9.60"), usd("105.60"))
    return portal, acme, invoice


def test_CN1_TX1_a_taxed_invoice_credited_in_whole_gives_back_exactly_what_was_paid(
    new_portal: NewPortal,
) -> None:
    """The whole credit of a taxed invoice refunds its lines and its tax, 105.60, what the
    card paid; the note keeps its tax line, stored and read back on every adapter."""
    portal, acme, invoice = taxed_invoice(new_portal)
    assert invoice.paid_card == usd("105.60")

    note = portal.credit_invoice(acme.id, invoice.id, reason="the client left", to="card")
    portal.reconcile_refund(acme.id, note.id)

    [tax] = note.taxes
    assert (tax.tax, tax.billed, tax.amount) == (0, invoice.taxes[0], usd("9.60"))
    assert (note.tax, note.total) == (usd("9.60"), usd("105.60"))
    [refund] = gateway_of(portal).refunds
    assert refund.amount == usd("105.60")
    stored = portal.credit_note(acme.id, note.id)
    assert stored.taxes == note.taxes
    assert stored.total == usd("105.60")


def test_CN1_TX1_two_partial_credits_of_a_line_give_back_its_amount_and_its_tax(
    new_portal: NewPortal,
) -> None:
    """50.00 of the 120.00 line gives back 4.00 of its 9.60 tax; the rest of the line (with
    its discount) takes the 5.60 left: 120.00 + 9.60 in all, to prepaid credit."""
    portal, acme, invoice = taxed_invoice(new_portal)

    part = portal.credit_invoice(
        acme.id, invoice.id, (rc.CreditLine(0, amount=usd("50.00")),), reason="downgrade"
    )
    rest = portal.credit_invoice(
        acme.id, invoice.id, (rc.CreditLine(0), rc.CreditLine(1)), reason="the client left"
    )

    assert (part.tax, part.total) == (usd("4.00"), usd("54.00"))
    assert (rest.tax, rest.total) == (usd("5.60"), usd("51.60"))
    line_credited = sum(
        (n.amount for note in (part, rest) for n in note.lines if n.line == 0), usd("0")
    )
    assert line_credited + part.tax + rest.tax == usd("129.60")
    prepaid = portal.balances(acme.id, account_id=invoice.account_id).prepaid
    assert prepaid == usd("105.60")


def test_CN1_TX1_the_bound_counts_the_tax_and_refuses_one_cent_more(
    new_portal: NewPortal,
) -> None:
    """Of an invoice 5.00 of which was paid (the card declined the rest), 4.64 of the
    120.00 line and its share of the line's 9.60 tax (0.3712, 0.37), 5.01, is refused and
    nothing changes; 4.63 and its 0.37, exactly the 5.00 paid, is issued."""
    portal, acme, invoice = taxed_invoice(new_portal, earmarked=5, declined=True)
    assert invoice.paid == usd("5.00")

    with pytest.raises(rc.CreditExceedsPaid, match=r"USD 5\.01 is more than the USD 5\.00"):
        portal.credit_invoice(
            acme.id, invoice.id, (rc.CreditLine(0, amount=usd("4.64")),), reason="goodwill"
        )
    assert portal.credit_notes(acme.id) == []

    note = portal.credit_invoice(
        acme.id, invoice.id, (rc.CreditLine(0, amount=usd("4.63")),), reason="goodwill"
    )
    assert (note.tax, note.total) == (usd("0.37"), usd("5.00"))
