"""Credit notes of any invoice, credited any way in any order, never give back more than a
line billed or than was paid (CN1), nor more tax than a line carried (TX1), and a whole
credit of a fully paid invoice gives back its total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

from resell_core.billing.credit_notes import (
    CreditDestination,
    CreditLine,
    CreditNote,
    build_credit_note,
)
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.billing.taxes import tax_line, taxable_lines, with_taxes
from resell_core.errors import ResellError
from resell_core.money import Money

DAY = date(2024, 4, 11)


@st.composite
def invoice_lines(draw: st.DrawFn) -> InvoiceLine:
    """A line of 1 to 5 units at 0.01 to 99.99 (a discount: negative), rounded once."""
    kind = draw(st.sampled_from(list(LineKind)))
    quantity = Decimal(draw(st.integers(1, 5)))
    cents = draw(st.integers(1, 9999)) * (-1 if kind is LineKind.DISCOUNT else 1)
    unit = Money(Decimal(cents).scaleb(-2), "USD")
    return InvoiceLine(kind, f"{kind} line", quantity, unit, (unit * quantity).rounded())


@st.composite
def paid_invoices(draw: st.DrawFn) -> Invoice:
    """An invoice of positive total, paid in part or in whole by card."""
    lines = draw(st.lists(invoice_lines(), min_size=1, max_size=4))
    total = Money.total((line.amount for line in lines), "USD")
    if not total.is_positive():
        lines.append(InvoiceLine(LineKind.ADDON, "add-on", Decimal(1), -total, -total))
        lines.append(
            InvoiceLine(LineKind.ADDON, "add-on", Decimal(1), Money("1", "USD"), Money("1", "USD"))
        )
        total = Money.total((line.amount for line in lines), "USD")
    share = draw(st.integers(1, total.minor_units))
    invoice = Invoice(
        "invoice-7", "agency-acme", 7, "account-north", "profile-visa", DAY, "USD", lines
    )
    return attrs.evolve(invoice, status=InvoiceStatus.PAID, paid_card=Money.of_minor(share, "USD"))


requests = st.lists(
    st.lists(
        st.builds(
            CreditLine,
            st.integers(0, 5),
            st.none() | st.integers(1, 5).map(Decimal),
            st.none() | st.integers(1, 20000).map(lambda c: Money(Decimal(c).scaleb(-2), "USD")),
        ),
        max_size=3,
    ).map(tuple)
    | st.none(),
    min_size=1,
    max_size=8,
)


@given(paid_invoices(), requests)
def test_CN1_no_sequence_of_credit_notes_gives_back_more_than_billed_or_paid(
    invoice: Invoice, asked: list[tuple[CreditLine, ...] | None]
) -> None:
    """Each note is positive; the notes never take more of a line than it billed, nor
    more than was paid in all."""
    notes: list[CreditNote] = []
    for lines in asked:
        try:
            note = build_credit_note(
                invoice,
                notes,
                lines,
                credit_note_id=f"cn-{len(notes) + 1}",
                number=len(notes) + 1,
                issued_on=DAY,
                reason="goodwill",
                destination=CreditDestination.PREPAID,
            )
        except ResellError:
            continue
        assert note.total.is_positive()
        notes.append(note)

    given_back = Money.total((n.total for n in notes), "USD")
    assert given_back <= invoice.paid
    for index, billed in enumerate(invoice.lines):
        taken = Money.total(
            (line.amount for n in notes for line in n.lines if line.line == index), "USD"
        )
        assert abs(taken) <= abs(billed.amount)
        assert taken.is_zero() or taken.is_negative() == billed.amount.is_negative()


@given(paid_invoices())
def test_CN1_a_whole_credit_of_a_fully_paid_invoice_gives_back_its_total(
    invoice: Invoice,
) -> None:
    """Paid in full and credited whole: the note is the invoice's total, line for line."""
    full = attrs.evolve(invoice, paid_card=invoice.total)

    note = build_credit_note(
        full,
        [],
        None,
        credit_note_id="cn-1",
        number=1,
        issued_on=DAY,
        reason="goodwill",
        destination=CreditDestination.PREPAID,
    )

    assert note.total == full.total
    assert [line.billed for line in note.lines] == [b for b in full.lines if not b.amount.is_zero()]


def with_tax(invoice: Invoice, percent: int) -> Invoice:
    """The invoice with ``percent`` of tax on each charged line, the card paying its share."""
    taxes = [
        tax_line(t, name="VAT", jurisdiction="DE", rate=Decimal(percent).scaleb(-2))
        for t in taxable_lines(invoice.lines)
        if t.line.kind is not LineKind.DISCOUNT
    ]
    taxed = with_taxes(invoice, taxes)
    paid = min(taxed.paid_card, taxed.total) if taxed.total.is_positive() else taxed.paid_card
    return attrs.evolve(taxed, paid_card=paid)


@given(paid_invoices(), st.integers(0, 27), requests)
def test_CN1_TX1_no_sequence_of_notes_gives_back_more_tax_than_billed_or_more_than_paid(
    invoice: Invoice, percent: int, asked: list[tuple[CreditLine, ...] | None]
) -> None:
    """With tax: the notes never give back more than was paid, tax included; each tax line
    is never credited beyond its billed amount, and in full once its line is."""
    bill = with_tax(invoice, percent)
    notes: list[CreditNote] = []
    for lines in [*asked, None]:
        try:
            note = build_credit_note(
                bill,
                notes,
                lines,
                credit_note_id=f"cn-{len(notes) + 1}",
                number=len(notes) + 1,
                issued_on=DAY,
                reason="goodwill",
                destination=CreditDestination.PREPAID,
            )
        except ResellError:
            continue
        assert note.total.is_positive()
        notes.append(note)

    assert Money.total((n.total for n in notes), "USD") <= bill.paid
    for index, tax in enumerate(bill.taxes):
        credited = Money.total((t.amount for n in notes for t in n.taxes if t.tax == index), "USD")
        assert abs(credited) <= abs(tax.amount)
        assert credited.is_zero() or credited.is_negative() == tax.amount.is_negative()
        line_taken = Money.total(
            (line.amount for n in notes for line in n.lines if line.line == tax.line), "USD"
        )
        if line_taken == bill.lines[tax.line].amount:
            assert credited == tax.amount


@given(paid_invoices(), st.integers(0, 27))
def test_CN1_TX1_a_whole_credit_of_a_fully_paid_taxed_invoice_gives_back_what_was_paid(
    invoice: Invoice, percent: int
) -> None:
    """Paid in full and credited whole: the note is the invoice's total, tax included."""
    bill = with_tax(invoice, percent)
    assume(bill.total.is_positive())
    full = attrs.evolve(bill, paid_card=bill.total)

    note = build_credit_note(
        full,
        [],
        None,
        credit_note_id="cn-1",
        number=1,
        issued_on=DAY,
        reason="goodwill",
        destination=CreditDestination.PREPAID,
    )

    assert note.total == full.total == full.paid
    assert note.tax == full.tax
