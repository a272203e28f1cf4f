"""Credit notes as pure functions: lines mirrored at billed prices, rounded once, never
more than billed or paid; refund answers; the unused part of a term (CN1, CN2)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import attrs
import pytest

from resell_core.billing.credit_notes import (
    CreditDestination,
    CreditExceedsPaid,
    CreditLine,
    CreditNote,
    CreditNoteStatus,
    apply_refund_result,
    build_credit_note,
    prepaid_movement,
    unused_part,
)
from resell_core.billing.gateway import RefundOutcome, RefundResult
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.billing.taxes import tax_line, taxable_lines, with_taxes
from resell_core.errors import InvalidInput
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.serialization import from_json, to_json

APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))
ON = date(2024, 4, 26)


def usd(amount: str) -> Money:
    """Dollars."""
    return Money(amount, "USD")


def line(kind: LineKind, quantity: str, unit: str, amount: str) -> InvoiceLine:
    """An invoice line of the April term."""
    return InvoiceLine(kind, f"{kind} line", Decimal(quantity), usd(unit), usd(amount), APRIL)


def paid(*lines: InvoiceLine, card: str | None = None) -> Invoice:
    """North-bakery's invoice 7 of these lines, paid in full by card (or ``card``)."""
    invoice = Invoice(
        "invoice-7", "agency-acme", 7, "account-north", "profile-visa", APRIL.start, "USD", lines
    )
    return attrs.evolve(
        invoice, status=InvoiceStatus.PAID, paid_card=usd(card) if card else invoice.total
    )


def credit(
    invoice: Invoice,
    asked: list[CreditLine] | None = None,
    earlier: list[CreditNote] | None = None,
    to: CreditDestination = CreditDestination.PREPAID,
) -> CreditNote:
    """The next credit note of the invoice."""
    earlier = earlier or []
    return build_credit_note(
        invoice,
        earlier,
        asked,
        credit_note_id=f"credit-note-{len(earlier) + 1}",
        number=len(earlier) + 1,
        issued_on=ON,
        reason="goodwill",
        destination=to,
        card_token="tok_ok",
    )


PLUS = line(LineKind.RECURRING, "1", "120.00", "120.00")
DISCOUNT = line(LineKind.DISCOUNT, "1", "-24.00", "-24.00")
THIRDS = line(LineKind.ADDON, "3", "0.333", "1.00")


@pytest.mark.parametrize("kind", list(LineKind))
def test_CN1_a_line_of_any_kind_is_credited_as_it_stands(kind: LineKind) -> None:
    """Whatever its kind, the note carries the invoice line itself, as billed."""
    billed = line(kind, "2", "15.00", "30.00")

    note = credit(paid(billed))

    assert [(n.billed, n.quantity, n.amount) for n in note.lines] == [
        (billed, Decimal(2), usd("30.00"))
    ]


def test_CN1_a_quantity_is_credited_at_the_billed_unit_price_rounded_once() -> None:
    """1 of 3 units at 0.333 is 0.33; the last unit takes the 0.34 left, so 1.00 in all."""
    invoice = paid(THIRDS)
    one = [CreditLine(0, quantity=Decimal(1))]

    notes: list[CreditNote] = []
    for _ in range(3):
        notes.append(credit(invoice, one, notes))

    assert [n.total for n in notes] == [usd("0.33"), usd("0.33"), usd("0.34")]
    with pytest.raises(CreditExceedsPaid):
        credit(invoice, one, notes)


def test_CN1_a_credited_discount_line_is_reinstated_with_its_sign() -> None:
    """Crediting the whole of 120.00 less a 24.00 discount gives back 96.00, the discount
    line carried negative."""
    note = credit(paid(PLUS, DISCOUNT))

    assert [n.amount for n in note.lines] == [usd("120.00"), usd("-24.00")]
    assert note.total == usd("96.00")


def test_CN1_a_note_of_a_discount_alone_gives_nothing_back_and_is_refused() -> None:
    """Reinstating the discount alone would make the note negative."""
    with pytest.raises(CreditExceedsPaid):
        credit(paid(PLUS, DISCOUNT), [CreditLine(1)])


def test_CN1_the_notes_of_a_partly_paid_invoice_never_exceed_what_was_paid() -> None:
    """Of a 120.00 invoice paid 50.00, 50.00 can be credited, not a cent more."""
    invoice = paid(PLUS, card="50.00")
    first = credit(invoice, [CreditLine(0, amount=usd("50.00"))])

    with pytest.raises(CreditExceedsPaid):
        credit(invoice, [CreditLine(0, amount=usd("0.01"))], [first])
    with pytest.raises(CreditExceedsPaid):
        credit(invoice)


def test_CN1_bad_line_requests_are_each_reported() -> None:
    """A line out of range, a line named twice and a quantity with an amount are refused
    together, each under its own field."""
    asked = [
        CreditLine(5),
        CreditLine(0, quantity=Decimal(1), amount=usd("1.00")),
        CreditLine(1),
        CreditLine(1),
    ]

    with pytest.raises(CreditExceedsPaid) as refused:
        credit(paid(PLUS, DISCOUNT), asked)

    assert [p.field for p in refused.value.problems] == ["lines[5]", "lines[0]", "lines[1]"]


def test_CN1_an_unpaid_invoice_or_a_blank_reason_is_refused() -> None:
    """Nothing paid, nothing to credit; a credit note says why."""
    unpaid = attrs.evolve(paid(PLUS), status=InvoiceStatus.OPEN, paid_card=usd("0"))

    with pytest.raises(InvalidInput):
        credit(unpaid)
    with pytest.raises(InvalidInput):
        build_credit_note(
            paid(PLUS),
            [],
            None,
            credit_note_id="cn-1",
            number=1,
            issued_on=ON,
            reason="  ",
            destination=CreditDestination.PREPAID,
        )


def test_CN2_a_refund_to_the_card_is_never_more_than_the_card_paid() -> None:
    """Of 120.00 paid 70.00 from prepaid credit and 50.00 by card, the card gets 50.00 back
    at most; the rest can go to prepaid credit."""
    invoice = attrs.evolve(paid(PLUS), paid_pool=usd("70.00"), paid_card=usd("50.00"))

    with pytest.raises(CreditExceedsPaid):
        credit(invoice, to=CreditDestination.CARD)
    refund = credit(invoice, [CreditLine(0, amount=usd("50.00"))], to=CreditDestination.CARD)
    rest = credit(invoice, None, [refund])

    assert (refund.status, refund.total) == (CreditNoteStatus.REFUNDING, usd("50.00"))
    assert refund.refund is not None
    assert refund.refund.idempotency_key == refund.refund_key == "refund:credit-note-1"
    assert rest.total == usd("70.00")


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (RefundOutcome.SUCCEEDED, CreditNoteStatus.REFUNDED),
        (RefundOutcome.PENDING, CreditNoteStatus.REFUNDING),
        (RefundOutcome.UNKNOWN, CreditNoteStatus.REFUNDING),
        (RefundOutcome.NOT_ATTEMPTED, CreditNoteStatus.REFUNDING),
        (RefundOutcome.FAILED, CreditNoteStatus.CREDITED),
    ],
)
def test_CN2_each_refund_answer_moves_the_note_on(
    outcome: RefundOutcome, status: CreditNoteStatus
) -> None:
    """Succeeded: refunded; pending, unknown, down: still refunding; failed: the money is
    credited to the account's prepaid credit instead."""
    note = credit(paid(PLUS), to=CreditDestination.CARD)

    answered, movement = apply_refund_result(note, RefundResult(outcome), on=ON)

    assert answered.status is status
    if outcome is RefundOutcome.FAILED:
        assert movement is not None
        assert (movement.destination, movement.quantity) == ("account:account-north", Decimal(120))
    else:
        assert movement is None


def test_CN2_the_unused_part_of_a_term_is_each_line_prorated_and_rounded_once() -> None:
    """15 of the term's 30 days left: 60.00 of 120.00 and 12.00 of the 24.00 discount; a
    purchase of no period is not part of the term."""
    purchase = InvoiceLine(LineKind.CREDITS_PURCHASE, "SMS", Decimal(1), usd("20"), usd("20.00"))

    asked = unused_part(paid(PLUS, DISCOUNT, purchase), ON)

    assert asked == [CreditLine(0, amount=usd("60.00")), CreditLine(1, amount=usd("12.00"))]
    assert unused_part(paid(PLUS), APRIL.end) == []


def test_CN1_a_line_credited_by_amount_is_credited_on_by_amount() -> None:
    """After 0.50 of the 1.00 line, a quantity is refused (what is left is no whole number
    of units); the 0.50 left goes by amount."""
    invoice = paid(THIRDS)
    first = credit(invoice, [CreditLine(0, amount=usd("0.50"))])

    with pytest.raises(CreditExceedsPaid) as refused:
        credit(invoice, [CreditLine(0, quantity=Decimal(1))], [first])
    rest = credit(invoice, [CreditLine(0)], [first])

    assert "by amount" in refused.value.problems[0].message
    assert (rest.total, rest.lines[0].quantity) == (usd("0.50"), None)


# -- the tax a credit note gives back (CN1, TX1) ------------------------------------------


def taxed(*lines: InvoiceLine, rate: str = "0.19", card: str | None = None) -> Invoice:
    """Invoice 7 of these lines with ``rate`` of tax per line, paid by card (or ``card``)."""
    bill = paid(*lines)
    taxes = [
        tax_line(t, name="VAT", jurisdiction="DE", rate=Decimal(rate))
        for t in taxable_lines(bill.lines)
    ]
    bill = with_taxes(bill, taxes)
    return attrs.evolve(bill, paid_card=usd(card) if card else bill.total)


def test_CN1_TX1_a_whole_credit_of_a_taxed_invoice_gives_back_exactly_what_was_paid() -> None:
    """Crediting a taxed invoice in whole gives back its lines and every tax line: what
    was paid, to the cent, in the note, its prepaid movement and its refund."""
    bill = taxed(PLUS, DISCOUNT, THIRDS)
    assert (bill.tax, bill.total) == (usd("18.43"), usd("115.43"))
    note = credit(bill)
    assert [(t.tax, t.amount) for t in note.taxes] == [(0, usd("18.24")), (1, usd("0.19"))]
    assert note.taxes[0].billed == bill.taxes[0]
    assert (note.tax, note.total) == (bill.tax, bill.paid)
    assert prepaid_movement(note, ON).quantity == Decimal("115.43")
    refund = credit(bill, to=CreditDestination.CARD).refund
    assert refund is not None
    assert refund.amount == usd("115.43")
    with pytest.raises(CreditExceedsPaid):
        credit(bill, earlier=[note])


def test_CN1_TX1_two_partial_credits_of_a_line_give_back_its_amount_and_its_tax() -> None:
    """A partial credit gives back the same share of the line's tax, rounded once; the
    line's last credit takes exactly what is left of it (by quantity and by amount)."""
    bill = taxed(PLUS, DISCOUNT, THIRDS)
    first = credit(bill, [CreditLine(2, quantity=Decimal(1))])
    assert (first.lines[0].amount, first.tax) == (usd("0.33"), usd("0.06"))  # 0.19 x 0.33
    second = credit(bill, [CreditLine(2, quantity=Decimal(2))], [first])
    assert (second.lines[0].amount, second.tax) == (usd("0.67"), usd("0.13"))
    assert first.total + second.total == THIRDS.amount + bill.line_taxes(2)[0].amount
    plus = taxed(PLUS)
    part = credit(plus, [CreditLine(0, amount=usd("50.00"))])
    assert part.tax == usd("9.50")  # 22.80 x 50/120
    rest = credit(plus, [CreditLine(0)], [part])
    assert (rest.lines[0].amount, rest.tax) == (usd("70.00"), usd("13.30"))
    assert part.total + rest.total == plus.paid


def test_CN1_TX1_the_bound_counts_the_tax_and_refuses_one_cent_more() -> None:
    """Never more than was paid, tax included: on an invoice half paid, a credit whose
    amount and tax come to what was paid is issued; one cent more of it is refused."""
    one = line(LineKind.RECURRING, "1", "100.00", "100.00")
    bill = taxed(one, card="59.50")
    assert bill.total == usd("119.00")
    exact = credit(bill, [CreditLine(0, amount=usd("50.00"))])
    assert (exact.tax, exact.total) == (usd("9.50"), usd("59.50"))
    with pytest.raises(CreditExceedsPaid, match=r"USD 59\.51 is more than the USD 59\.50 left"):
        credit(bill, [CreditLine(0, amount=usd("50.01"))])
    with pytest.raises(CreditExceedsPaid, match=r"USD 0\.01 is more than the USD 0\.00 left"):
        credit(bill, [CreditLine(0, amount=usd("0.01"))], [exact])
    card = taxed(one, card="59.50")
    card = attrs.evolve(card, paid_card=usd("59.49"), paid_pool=usd("0.01"))
    with pytest.raises(CreditExceedsPaid, match="the card paid"):
        credit(card, [CreditLine(0, amount=usd("50.00"))], to=CreditDestination.CARD)


def test_CN1_TX1_a_discount_line_carries_no_tax_of_its_own() -> None:
    """The tax of a discounted line is on the line: crediting the line and its discount
    credits the line's one tax line, in whole; the discount line adds no tax line."""
    bill = taxed(PLUS, DISCOUNT, THIRDS)
    note = credit(bill, [CreditLine(0), CreditLine(1)])
    assert [(t.billed.line, t.amount) for t in note.taxes] == [(0, usd("18.24"))]
    assert note.total == usd("114.24")


def test_CN1_TX1_each_tax_line_is_rounded_once_and_never_beyond_what_is_left() -> None:
    """Two tax lines of one line are each credited by the line's share, each rounded
    once; shares rounded up never take more than is left of a tax line in total."""
    bill = paid(PLUS)
    lines = taxable_lines(bill.lines)
    taxes = [
        tax_line(t, name=name, jurisdiction="US-NY", rate=Decimal("0.04"))
        for t in lines
        for name in ("State tax", "City tax")
    ]
    bill = attrs.evolve(with_taxes(bill, taxes), paid_card=usd("129.60"))
    note = credit(bill, [CreditLine(0, amount=usd("10.00"))])
    assert [t.amount for t in note.taxes] == [usd("0.40"), usd("0.40")]
    quarters = taxed(line(LineKind.ADDON, "4", "0.25", "1.00"), rate="0.02")
    notes: list[CreditNote] = []
    for _ in range(4):
        notes.append(credit(quarters, [CreditLine(0, quantity=Decimal(1))], notes))
    assert [n.tax for n in notes] == [usd("0.01"), usd("0.01"), usd("0"), usd("0")]
    assert sum((n.total for n in notes), usd("0")) == quarters.total


# A note of an untaxed invoice as the storage wrote it before notes carried tax.
UNTAXED_NOTE_JSON = (
    '{"account_id": "account-north", "agency_id": "agency-acme", "currency": "USD", "'
    'destination": "card", "id": "credit-note-1", "invoice_id": "invoice-7", "invoice'
    '_number": 7, "issued_on": "2024-04-26", "lines": [{"amount": {"amount": "10.00",'
    ' "currency": "USD"}, "billed": {"amount": {"amount": "120.00", "currency": "USD"'
    '}, "description": "recurring line", "kind": "recurring", "period": {"end": "2024'
    '-05-11", "start": "2024-04-11"}, "quantity": "1", "unit_price": {"amount": "120.'
    '00", "currency": "USD"}}, "line": 0, "quantity": null}], "message": "", "number"'
    ': 1, "profile_id": "profile-visa", "reason": "goodwill", "refund": {"agency_id":'
    ' "agency-acme", "amount": {"amount": "10.00", "currency": "USD"}, "card_token": '
    '"tok_ok", "charge_key": "charge:invoice-7:1", "description": "credit note CN-1 o'
    'f invoice 7: goodwill", "idempotency_key": "refund:credit-note-1", "profile_id":'
    ' "profile-visa"}, "status": "refunding"}'
)


def test_CN1_TX1_a_note_of_an_untaxed_invoice_is_as_it_was() -> None:
    """An invoice without tax gives the note it always gave, byte for byte: no tax lines,
    the same total, and the very JSON stored before notes carried tax (no ``taxes`` key),
    which reads back as that note; a taxed note's tax lines are stored and read back."""
    note = credit(
        paid(PLUS, DISCOUNT), [CreditLine(0, amount=usd("10.00"))], to=CreditDestination.CARD
    )
    fields = {f.name: getattr(note, f.name) for f in attrs.fields(CreditNote)}
    del fields["taxes"]
    assert note == CreditNote(**fields)
    assert (note.taxes, note.tax, note.total) == ((), usd("0"), usd("10.00"))
    assert to_json(note) == UNTAXED_NOTE_JSON
    assert from_json(UNTAXED_NOTE_JSON, CreditNote) == note
    again = credit(taxed(PLUS, rate="0.19"), [CreditLine(0)])
    assert json.loads(to_json(again))["taxes"][0]["amount"] == {
        "amount": "22.80",
        "currency": "USD",
    }
    assert from_json(to_json(again), CreditNote) == again
