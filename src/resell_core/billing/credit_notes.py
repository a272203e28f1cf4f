"""Credit notes: what a paid invoice gives back, line by line, never more than was paid
(CN1, CN2).

A credit note mirrors the invoice it credits: each of its lines names an invoice line and
carries that line as it was billed (kind, description, unit price, period, whatever the
line holds), with the quantity and amount credited. Amounts come from the invoice's unit
prices, never from today's catalog, and are rounded once per line. A line is credited in
whole, by quantity (``quantity`` x the billed unit price) or by amount; across every
credit note of an invoice a line never gives back more than it billed, and the notes
together never more than the invoice's paid amount (and a refund to the card never more
than the card paid). Discount and credit lines are mirrored too: crediting them
reinstates them (their note lines carry the invoice line's negative sign).

A note of a taxed invoice (TX1) also gives back the tax its lines carried
(:class:`CreditNoteTax`): crediting all of a line credits all of its tax lines, crediting
part of it (a quantity or an amount) the same share of each, rounded once per tax line,
half-up; the last credit of a line takes exactly what is left of its tax. A discount line
carries no tax of its own (the line it discounts carries it). The note's total, the bounds
above, the prepaid movement and the refund all count the tax.

The money goes to the account's prepaid credit (a ledger movement: :func:`prepaid_movement`)
or back to the card the invoice was paid with (a refund through the payment gateway, under
a key derived from the note: :func:`refund_request`, answered by
:func:`apply_refund_result`). A refund the gateway refuses is credited to prepaid credit
instead, so that paid money is never lost. Credit notes are numbered per agency without
gaps, in a series of their own (``CN-1``, ``CN-2``, ...), apart from invoice numbers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

import attrs

from resell_core.billing.gateway import RefundOutcome, RefundRequest, RefundResult
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, TaxLine
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement, account_wallet, profile_wallet
from resell_core.billing.payment import charge_key
from resell_core.errors import FieldProblem, InvalidInput, quoted
from resell_core.lifecycle.actions import MAX_MESSAGE
from resell_core.lifecycle.text import text_problem
from resell_core.money import Money
from resell_core.periods import prorate

__all__ = [
    "CreditDestination",
    "CreditExceedsPaid",
    "CreditLine",
    "CreditNote",
    "CreditNoteLine",
    "CreditNoteStatus",
    "CreditNoteTax",
    "apply_refund_result",
    "build_credit_note",
    "prepaid_movement",
    "refund_request",
    "unused_part",
]

_ZERO = Decimal(0)


class CreditDestination(enum.StrEnum):
    """Where a credit note's money goes."""

    PREPAID = "prepaid"
    CARD = "card"


class CreditNoteStatus(enum.StrEnum):
    """Where a credit note stands.

    ``credited``: the money is the account's prepaid credit (asked for, or after the
    gateway refused the refund). ``refunding``: the refund is sent or awaits the
    gateway's final answer (pending, unknown, or the gateway was down); it is reconciled
    by its key. ``refunded``: the gateway gave the money back to the card.
    """

    CREDITED = "credited"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class CreditExceedsPaid(InvalidInput):
    """A credit note would give back more than was paid or billed (CN1)."""

    code: ClassVar[str] = "credit_exceeds_paid"


@attrs.frozen
class CreditLine:
    """What to credit of one invoice line: all that is left of it, a quantity or an amount.

    Attributes:
        line: The invoice line's position (0 for the first line).
        quantity: Credit this many units at the line's billed unit price.
        amount: Credit this amount of the line (positive; a discount or credit line is
            reinstated by it).

    Give at most one of ``quantity`` and ``amount``; with neither, the rest of the line
    is credited.
    """

    line: int
    quantity: Decimal | None = None
    amount: Money | None = None


@attrs.frozen
class CreditNoteLine:
    """One line of a credit note: the invoice line it credits, as billed, and how much.

    ``amount`` carries the invoice line's sign (a credited charge is positive, a
    reinstated discount negative); ``quantity`` is the quantity credited, None when the
    line was credited by amount.
    """

    line: int
    billed: InvoiceLine
    quantity: Decimal | None
    amount: Money


def _note_lines(value: Iterable[CreditNoteLine]) -> tuple[CreditNoteLine, ...]:
    return tuple(value)


@attrs.frozen
class CreditNoteTax:
    """The tax a credit note gives back of one tax line of the invoice (TX1).

    Attributes:
        tax: The tax line's position in the invoice's ``taxes``.
        billed: That tax line as billed (its line, name, jurisdiction, rate, amount).
        amount: The tax credited, with the tax line's sign: the billed tax times the share
            of its line credited, rounded once, half-up (all of it for a whole line, what
            is left of it for the line's last credit).
    """

    tax: int
    billed: TaxLine
    amount: Money


def _note_taxes(value: Iterable[CreditNoteTax]) -> tuple[CreditNoteTax, ...]:
    return tuple(value)


@attrs.frozen
class CreditNote:
    """A credit note: money a paid invoice gives back, with its reason and destination.

    Attributes:
        id: Its identifier.
        agency_id: The agency it is for.
        number: Its number, gapless per agency in the credit notes' own series.
        invoice_id: The invoice it credits.
        invoice_number: That invoice's number.
        account_id: The invoice's account, or None for the agency's own purchase.
        profile_id: The invoice's billing profile.
        issued_on: The day it was issued.
        currency: The invoice's currency.
        reason: Why the invoice is credited.
        destination: Where the money goes (asked for).
        lines: What is credited, line by line.
        status: Where it stands.
        message: The gateway's last word on the refund ("" when none).
        refund: The refund sent to the gateway, made once when the note is issued and
            sent again unchanged under its key (None for prepaid credit).
        taxes: The tax its lines carried on the invoice, credited with them (TX1; empty
            for an invoice without tax, and for notes stored before taxes existed).
    """

    id: str
    agency_id: str
    number: int
    invoice_id: str
    invoice_number: int
    account_id: str | None
    profile_id: str | None
    issued_on: date
    currency: str
    reason: str
    destination: CreditDestination
    lines: tuple[CreditNoteLine, ...] = attrs.field(converter=_note_lines)
    status: CreditNoteStatus = CreditNoteStatus.CREDITED
    message: str = ""
    refund: RefundRequest | None = None
    taxes: tuple[CreditNoteTax, ...] = attrs.field(default=(), converter=_note_taxes)

    @property
    def label(self) -> str:
        """Its printed number (``CN-7``)."""
        return f"CN-{self.number}"

    @property
    def total(self) -> Money:
        """The money it gives back: the sum of its lines, then of its taxes."""
        lines = Money.total((line.amount for line in self.lines), self.currency)
        if self.taxes:
            return lines + Money.total((tax.amount for tax in self.taxes), self.currency)
        return lines

    @property
    def tax(self) -> Money:
        """The tax it gives back (zero when the invoice carried none)."""
        return Money.total((tax.amount for tax in self.taxes), self.currency)

    @property
    def refund_key(self) -> str:
        """The idempotency key of its refund: one per credit note, never another."""
        return f"refund:{self.id}"


@attrs.frozen
class _Credited:
    """What the earlier credit notes of an invoice took of one line."""

    amount: Money
    quantity: Decimal
    by_amount: bool


def _credited_so_far(invoice: Invoice, notes: Iterable[CreditNote]) -> dict[int, _Credited]:
    """Return, per invoice line, what the invoice's credit notes credited of it."""
    found: dict[int, _Credited] = {}
    zero = Money.zero(invoice.currency)
    for note in notes:
        if note.invoice_id != invoice.id:
            continue
        for line in note.lines:
            before = found.get(line.line, _Credited(zero, _ZERO, False))
            found[line.line] = _Credited(
                before.amount + line.amount,
                before.quantity + (line.quantity or _ZERO),
                before.by_amount or line.quantity is None,
            )
    return found


def _whole(index: int, billed: InvoiceLine, before: _Credited) -> CreditNoteLine | None:
    left = billed.amount - before.amount
    if left.is_zero():
        return None
    quantity = None if before.by_amount else billed.quantity - before.quantity
    return CreditNoteLine(index, billed, quantity, left)


def _asked(
    asked: CreditLine, billed: InvoiceLine, before: _Credited, problems: list[FieldProblem]
) -> CreditNoteLine | None:
    """The note line of one request, or None with its problem appended."""
    field = f"lines[{asked.line}]"
    left = billed.amount - before.amount
    sign = -1 if billed.amount.is_negative() else 1
    if asked.quantity is not None and asked.amount is not None:
        problems.append(FieldProblem(field, "credit a quantity or an amount, not both"))
        return None
    if asked.quantity is not None:
        quantity = asked.quantity
        left_quantity = billed.quantity - before.quantity
        if not quantity.is_finite() or quantity <= 0:
            problems.append(FieldProblem(f"{field}.quantity", "credit a positive quantity"))
            return None
        if before.by_amount:
            problems.append(
                FieldProblem(
                    f"{field}.quantity",
                    "the line was credited by amount before: credit the rest of it by amount",
                )
            )
            return None
        if quantity > left_quantity:
            problems.append(
                FieldProblem(
                    f"{field}.quantity",
                    f"{quoted(quantity)} is more than the "
                    f"{left_quantity} left to credit of the line",
                )
            )
            return None
        # The last units take what is left exactly: no rounding dust stays on the line.
        amount = left if quantity == left_quantity else (billed.unit_price * quantity).rounded()
        return CreditNoteLine(asked.line, billed, quantity, amount)
    if asked.amount is not None:
        given = asked.amount
        if given.currency != billed.amount.currency or not given.is_positive():
            problems.append(
                FieldProblem(
                    f"{field}.amount", f"credit a positive amount in {billed.amount.currency}"
                )
            )
            return None
        if given > abs(left) or given != given.rounded():
            problems.append(
                FieldProblem(
                    f"{field}.amount",
                    f"{given} is more than the {abs(left)} left to credit of the line"
                    if given > abs(left)
                    else f"{given} is not in whole minor units",
                )
            )
            return None
        return CreditNoteLine(asked.line, billed, None, given * sign)
    return _whole(asked.line, billed, before)


def _lines(
    invoice: Invoice, asked: Sequence[CreditLine] | None, before: dict[int, _Credited]
) -> list[CreditNoteLine]:
    zero = Money.zero(invoice.currency)
    nothing = _Credited(zero, _ZERO, False)
    if asked is None:
        whole = (_whole(i, b, before.get(i, nothing)) for i, b in enumerate(invoice.lines))
        return [line for line in whole if line is not None]
    problems: list[FieldProblem] = []
    made: list[CreditNoteLine] = []
    seen: set[int] = set()
    for request in asked:
        if not 0 <= request.line < len(invoice.lines):
            problems.append(
                FieldProblem(
                    f"lines[{request.line}]",
                    f"the invoice has lines 0 to {len(invoice.lines) - 1}",
                )
            )
            continue
        if request.line in seen:
            problems.append(FieldProblem(f"lines[{request.line}]", "name each line once"))
            continue
        seen.add(request.line)
        billed = invoice.lines[request.line]
        line = _asked(request, billed, before.get(request.line, nothing), problems)
        if line is not None and not line.amount.is_zero():
            made.append(line)
    if problems:
        raise CreditExceedsPaid("credit note", problems)
    return made


def _line_taxes(
    invoice: Invoice, line: CreditNoteLine, before: _Credited, taken: dict[int, Money]
) -> list[CreditNoteTax]:
    """The tax one note line gives back: its share of each tax line of the invoice line,
    rounded once, never more than is left of it; the line's last credit takes the rest."""
    billed = line.billed.amount
    if billed.is_zero():
        return []
    last = before.amount + line.amount == billed
    share = Fraction(line.amount.amount) / Fraction(billed.amount)
    made = []
    for index, tax in enumerate(invoice.taxes):
        if tax.line != line.line:
            continue
        left = tax.amount - taken.get(index, Money.zero(invoice.currency))
        amount = tax.amount.scaled(share)
        if last or abs(amount) > abs(left):
            amount = left
        if not amount.is_zero():
            made.append(CreditNoteTax(index, tax, amount))
    return made


def _taxes(
    invoice: Invoice,
    lines: Sequence[CreditNoteLine],
    earlier: Sequence[CreditNote],
    before: dict[int, _Credited],
) -> list[CreditNoteTax]:
    """The tax the note's lines carried on the invoice (TX1); none for an untaxed one."""
    if not invoice.taxes:
        return []
    taken: dict[int, Money] = {}
    for note in earlier:
        for tax in note.taxes:
            taken[tax.tax] = taken.get(tax.tax, Money.zero(invoice.currency)) + tax.amount
    nothing = _Credited(Money.zero(invoice.currency), _ZERO, False)
    return [
        tax
        for line in lines
        for tax in _line_taxes(invoice, line, before.get(line.line, nothing), taken)
    ]


def build_credit_note(
    invoice: Invoice,
    earlier: Sequence[CreditNote],
    asked: Sequence[CreditLine] | None,
    *,
    credit_note_id: str,
    number: int,
    issued_on: date,
    reason: str,
    destination: CreditDestination,
    card_token: str | None = None,
) -> CreditNote:
    """Build the credit note of a paid (or partly paid) invoice (CN1), with the tax its
    lines carried (TX1).

    Args:
        invoice: The invoice credited, as it stands.
        earlier: The invoice's credit notes so far (others are ignored).
        asked: What to credit, line by line; None credits every line in whole (what is
            left of each).
        credit_note_id: The new note's id.
        number: The agency's next credit note number.
        issued_on: The day it is issued.
        reason: Why (1 to 500 characters; line breaks allowed, no control character).
        destination: Prepaid credit or the card.
        card_token: The card of the invoice's billing profile (for a refund).

    Returns:
        The note, ``credited`` for prepaid credit, ``refunding`` for the card (its refund
        is yet to be sent).

    Raises:
        InvalidInput: Nothing was paid, the reason is blank, the destination is the card
            and the invoice was not paid by card.
        CreditExceedsPaid: A line would give back more than it billed, or the notes of
            the invoice together more than was paid (by card, for a refund); or the note
            gives nothing back.
    """
    if invoice.status is InvoiceStatus.VOID or not invoice.paid.is_positive():
        raise InvalidInput.one(
            "credit note", "invoice", f"invoice {invoice.number} is not paid: nothing to credit"
        )
    why = text_problem(reason, lines=True)
    if why is None and not reason.strip():
        why = "say why the invoice is credited"
    elif why is None and len(reason) > MAX_MESSAGE:
        why = f"give at most {MAX_MESSAGE} characters"
    if why is not None:
        raise InvalidInput.one("credit note", "reason", why)
    if destination is CreditDestination.CARD and (invoice.profile_id is None or not card_token):
        raise InvalidInput.one(
            "credit note", "to", "the invoice was not paid by card: credit it to prepaid credit"
        )
    mine = [note for note in earlier if note.invoice_id == invoice.id]
    before = _credited_so_far(invoice, mine)
    lines = _lines(invoice, asked, before)
    taxes = _taxes(invoice, lines, mine, before)
    zero = Money.zero(invoice.currency)
    total = Money.total((line.amount for line in lines), invoice.currency)
    if taxes:
        total += Money.total((tax.amount for tax in taxes), invoice.currency)
    given = Money.total((note.total for note in mine), invoice.currency)
    refunded = Money.total(
        (n.total for n in mine if n.status is not CreditNoteStatus.CREDITED), invoice.currency
    )
    problems = []
    if not lines:
        problems.append(FieldProblem("lines", "nothing is left to credit of these lines"))
    elif not total.is_positive():
        problems.append(FieldProblem("lines", f"the note would give back {total}: credit more"))
    elif total > invoice.paid - given:
        problems.append(
            FieldProblem(
                "lines",
                f"{total} is more than the {max(invoice.paid - given, zero)} left of what was "
                f"paid: credit less",
            )
        )
    elif destination is CreditDestination.CARD and total > invoice.paid_card - refunded:
        problems.append(
            FieldProblem(
                "to",
                f"{total} is more than the {max(invoice.paid_card - refunded, zero)} the card "
                "paid and was not refunded: credit the rest to prepaid credit",
            )
        )
    if problems:
        raise CreditExceedsPaid("credit note", problems)
    note = CreditNote(
        id=credit_note_id,
        agency_id=invoice.agency_id,
        number=number,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        account_id=invoice.account_id,
        profile_id=invoice.profile_id,
        issued_on=issued_on,
        currency=invoice.currency,
        reason=reason,
        destination=destination,
        lines=lines,
        taxes=taxes,
    )
    if destination is CreditDestination.PREPAID or card_token is None:
        return note
    return attrs.evolve(
        note, status=CreditNoteStatus.REFUNDING, refund=refund_request(note, invoice, card_token)
    )


def prepaid_movement(note: CreditNote, on: date) -> Movement:
    """The movement that puts a credit note's money in prepaid credit: the account's
    earmark, or the billing profile's pool for an invoice of no account."""
    if note.account_id is not None:
        wallet = account_wallet(note.account_id)
    else:
        assert note.profile_id is not None  # an invoice is the account's or the profile's
        wallet = profile_wallet(note.profile_id)
    return Movement(
        id=f"{note.id}/prepaid",
        agency_id=note.agency_id,
        kind=CreditKind.PREPAID,
        quantity=note.total.amount,
        source=OUTSIDE,
        destination=wallet,
        on=on,
        reason=f"credit note {note.label} of invoice {note.invoice_number}: {note.reason}",
        invoice_id=note.invoice_id,
    )


def refund_request(note: CreditNote, invoice: Invoice, card_token: str) -> RefundRequest:
    """The refund of a credit note to the card: its key is the note's, and the charge
    given back is the invoice's card payment (the attempt that succeeded)."""
    assert note.profile_id is not None  # build_credit_note refunds paid-by-card invoices only
    return RefundRequest(
        idempotency_key=note.refund_key,
        agency_id=note.agency_id,
        profile_id=note.profile_id,
        card_token=card_token,
        amount=note.total,
        charge_key=charge_key(invoice.id, invoice.attempts + 1),
        description=f"credit note {note.label} of invoice {invoice.number}: {note.reason}",
    )


def apply_refund_result(
    note: CreditNote, result: RefundResult, *, on: date
) -> tuple[CreditNote, Movement | None]:
    """Record the gateway's answer to a credit note's refund (CN2).

    ``succeeded``: refunded. ``pending``, ``unknown``, ``not_attempted``: still refunding
    (reconciled by the key later). ``failed``: the money goes to prepaid credit instead
    (the returned movement), so that nothing paid is lost.
    """
    if note.status is not CreditNoteStatus.REFUNDING:
        return note, None
    outcome = result.outcome
    if outcome is RefundOutcome.SUCCEEDED:
        return attrs.evolve(note, status=CreditNoteStatus.REFUNDED, message=result.message), None
    if outcome is RefundOutcome.FAILED:
        credited = attrs.evolve(
            note,
            status=CreditNoteStatus.CREDITED,
            message=f"refund failed ({result.message}): credited to prepaid credit",
        )
        return credited, prepaid_movement(credited, on)
    return attrs.evolve(note, message=result.message or outcome.value), None


def unused_part(invoice: Invoice, on: date) -> list[CreditLine]:
    """What of an invoice pays for days from ``on`` on: each line whose period holds
    ``on`` (and starts before it), credited by the share of its period's days left,
    rounded once per line (cancelling with a refund of the unused part, CN2).

    A line whose period has not started is left whole; lines of no period (purchases)
    are not part of a term and are left out.
    """
    asked = []
    for index, line in enumerate(invoice.lines):
        period = line.period
        if period is None or line.amount.is_zero() or on >= period.end:
            continue
        left = abs(line.amount) if on <= period.start else prorate(abs(line.amount), period, on)
        if not left.is_zero():
            asked.append(CreditLine(index, amount=left))
    return asked
