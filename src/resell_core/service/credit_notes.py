"""Credit note use cases of the portal: crediting a paid invoice, refunds to the card and
their reconciliation, the credit notes and the billing history (CN1, CN2).

A credit note is issued in one unit of work: it is numbered (the agency's credit notes
counted, the number's key kept unique by the storage), the invoice is written back (its
version moves on, so that two notes of one invoice at once cannot both pass the "never
more than was paid" check: the second one's commit conflicts and it is worked out again
from fresh reads), and the money goes to prepaid credit in the same unit of work. A refund
to the card follows the steps of a charge: the note is stored ``refunding`` with its
refund request, the gateway is called under the note's key outside any unit of work, and
the answer is recorded in a unit of work of its own. A crash in between leaves a
``refunding`` note that :func:`reconcile_refund` (or a replay of the command's key) asks
the gateway about by its key, refunding under the same key only when the gateway never saw
it: a note is never refunded twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

import attrs

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
from resell_core.billing.due import billed_period_on, period_key
from resell_core.billing.gateway import RefundOutcome, RefundResult
from resell_core.billing.invoices import Invoice, InvoiceStatus
from resell_core.errors import AlreadyExists, InvalidInput, NotFound, VersionConflict, quoted
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.actions import Cancel
from resell_core.ports import Record, UnitOfWork
from resell_core.serialization import from_json, to_json
from resell_core.service.context import SYSTEM, Command, Context, Work, read, run_command

__all__ = [
    "billing_history",
    "cancel_with_refund",
    "credit_invoice",
    "credit_note",
    "credit_notes",
    "issue_credit_note",
    "reconcile_refund",
]

T = TypeVar("T")

_RETRIES = 20
"""How often a credit note is worked out again when another one of the agency was
issued meanwhile (its number, or the invoice, was taken first)."""


def _retrying(step: Callable[[], T]) -> T:
    for _ in range(_RETRIES - 1):
        try:
            return step()
        except VersionConflict:
            continue
        except AlreadyExists as error:
            if error.kind != "record key":
                raise
    return step()


def _record(note: CreditNote, version: int = 0) -> Record:
    return Record(
        note.id,
        note.agency_id,
        note.invoice_id,
        note.status.value,
        to_json(note),
        key=f"{note.agency_id}/{note.label}",
        version=version,
    )


def _notes(uow: UnitOfWork, agency_id: str) -> list[CreditNote]:
    return [from_json(r.data, CreditNote) for r in uow.credit_notes.list(agency_id)]


def _destination(to: CreditDestination | str) -> CreditDestination:
    try:
        return CreditDestination(to)
    except ValueError as error:
        raise InvalidInput.one(
            "credit note", "to", f"{quoted(to)} is not a destination", tuple(CreditDestination)
        ) from error


def issue_credit_note(
    work: Work,
    invoice: Invoice,
    asked: Sequence[CreditLine] | None,
    *,
    reason: str,
    destination: CreditDestination,
) -> CreditNote:
    """Issue a credit note of ``invoice`` in ``work`` (CN1): numbered, stored, audited; the
    money in prepaid credit at once, or the note ``refunding`` for the card.

    The refund itself is the caller's to send once ``work`` committed (:func:`send_refund`).

    Raises:
        InvalidInput: As :func:`~resell_core.billing.credit_notes.build_credit_note`.
        CreditExceedsPaid: As :func:`~resell_core.billing.credit_notes.build_credit_note`.
    """
    uow = work.uow
    agency_id = invoice.agency_id
    notes = _notes(uow, agency_id)
    token = None
    if destination is CreditDestination.CARD and invoice.profile_id is not None:
        token = uow.profiles.get(agency_id, invoice.profile_id).card_token
    note = build_credit_note(
        invoice,
        [n for n in notes if n.invoice_id == invoice.id],
        asked,
        credit_note_id=work.new_id("credit-note"),
        number=len(notes) + 1,
        issued_on=work.today,
        reason=reason,
        destination=destination,
        card_token=token,
    )
    # Written back unchanged: its version moves on, and a note of the same invoice
    # committed meanwhile makes this commit conflict (never more than was paid).
    uow.invoices.update(invoice)
    if note.status is CreditNoteStatus.CREDITED:
        uow.ledger.append(prepaid_movement(note, work.today))
    uow.credit_notes.add(_record(note))
    work.audit(
        "credit_note_issued",
        note.id,
        after=f"{note.label} of invoice {invoice.number}: {note.total} to {destination.value}",
        agency_id=agency_id,
    )
    return note


def credit_invoice(
    ctx: Context,
    agency_id: str,
    invoice_id: str,
    lines: tuple[CreditLine, ...] | None = None,
    *,
    reason: str,
    to: CreditDestination | str = CreditDestination.PREPAID,
    actor: str = SYSTEM,
    idempotency_key: str | None = None,
) -> CreditNote:
    """Credit a paid or partly paid invoice, in whole or by line, with a reason (CN1, CN2).

    Args:
        ctx: The wiring.
        agency_id: The agency whose invoice it is.
        invoice_id: The invoice to credit.
        lines: What to credit of which lines (:class:`CreditLine`: the rest of a line, a
            quantity at its billed unit price, or an amount); None credits every line in
            whole.
        reason: Why (shown on the note and in the ledger).
        to: ``prepaid``: the account's prepaid credit (the billing profile's pool for an
            invoice of no account); ``card``: a refund to the card the invoice was paid
            with.
        actor: Who asks.
        idempotency_key: The caller's key; a replay returns the first note and drives its
            refund on (it reconciles it by its key), never issuing or refunding twice.

    Returns:
        The credit note: ``credited``, ``refunded``, or ``refunding`` while the gateway's
        answer is pending or unknown (:func:`reconcile_refund`).

    Raises:
        NotFound: No such invoice in this agency.
        InvalidInput: The invoice is not paid, a bad destination or a blank reason.
        CreditExceedsPaid: More than a line billed, than was paid, or (for the card) than
            the card paid, across the invoice's credit notes.
    """
    destination = _destination(to)

    def body(work: Work) -> CreditNote:
        invoice = work.uow.invoices.get(agency_id, invoice_id)
        return issue_credit_note(work, invoice, lines, reason=reason, destination=destination)

    asked = None if lines is None else [attrs.asdict(line, recurse=False) for line in lines]
    params = {"invoice_id": invoice_id, "lines": asked, "reason": reason, "to": destination}
    command = Command("credit_invoice", agency_id, params, actor, idempotency_key)
    first = _retrying(lambda: run_command(ctx, command, body, CreditNote))
    current = credit_note(ctx, agency_id, first.id)
    if current.status is CreditNoteStatus.REFUNDING:
        current = reconcile_refund(ctx, agency_id, current.id)
    return current


def _record_refund(ctx: Context, note: CreditNote, result: RefundResult) -> CreditNote:
    """Record the gateway's answer to a note's refund, in a unit of work of its own."""

    def body(work: Work) -> CreditNote:
        uow = work.uow
        record = uow.credit_notes.get(note.agency_id, note.id)
        current = from_json(record.data, CreditNote)
        answered, movement = apply_refund_result(current, result, on=work.today)
        if answered == current:
            return current
        if movement is not None:
            uow.ledger.append(movement)
        uow.credit_notes.update(_record(answered, record.version))
        work.audit(
            f"refund_{result.outcome.value}",
            note.id,
            before=current.status.value,
            after=f"{answered.status.value} {note.refund_key}",
            agency_id=note.agency_id,
        )
        return answered

    command = Command("record_refund", note.agency_id, {"credit_note_id": note.id})
    return _retrying(lambda: run_command(ctx, command, body, CreditNote))


def send_refund(ctx: Context, note: CreditNote) -> CreditNote:
    """Send a ``refunding`` note's refund to the gateway (again, under its own key, when
    the gateway never saw it), then record the answer."""
    request = note.refund
    if note.status is not CreditNoteStatus.REFUNDING or request is None:
        return note
    result = ctx.gateway.refund(request)
    if result.outcome is RefundOutcome.UNKNOWN:
        looked = ctx.gateway.lookup_refund(request.idempotency_key)
        if looked is not None and looked.outcome is not RefundOutcome.UNKNOWN:
            result = looked
    return _record_refund(ctx, note, result)


def reconcile_refund(ctx: Context, agency_id: str, credit_note_id: str) -> CreditNote:
    """Move a refund in flight on (CN2): ask the gateway by the note's key and record its
    answer; send the refund under the same key when the gateway never saw it. A note
    that is not ``refunding`` is returned as it is; nothing is ever refunded twice.

    Raises:
        NotFound: No such credit note in this agency.
    """
    note = credit_note(ctx, agency_id, credit_note_id)
    if note.status is not CreditNoteStatus.REFUNDING:
        return note
    looked = ctx.gateway.lookup_refund(note.refund_key)
    if looked is None:
        return send_refund(ctx, note)
    return _record_refund(ctx, note, looked)


def credit_note(ctx: Context, agency_id: str, credit_note_id: str) -> CreditNote:
    """Return one of the agency's credit notes.

    Raises:
        NotFound: No such credit note in this agency (kind ``"credit note"``).
    """

    def query(uow: UnitOfWork) -> CreditNote:
        try:
            record = uow.credit_notes.get(agency_id, credit_note_id)
        except NotFound as error:
            raise NotFound("credit note", credit_note_id) from error
        return from_json(record.data, CreditNote)

    return read(ctx, query)


def credit_notes(
    ctx: Context,
    agency_id: str,
    account_id: str | None = None,
    invoice_id: str | None = None,
) -> list[CreditNote]:
    """Return the agency's credit notes by number, of one account or invoice when given.

    Raises:
        NotFound: No such agency, or the account or invoice is not the agency's.
    """

    def query(uow: UnitOfWork) -> list[CreditNote]:
        uow.agencies.get(agency_id)
        if account_id is not None:
            uow.accounts.get(agency_id, account_id)
        if invoice_id is not None:
            uow.invoices.get(agency_id, invoice_id)
        found = [
            n
            for n in _notes(uow, agency_id)
            if (account_id is None or n.account_id == account_id)
            and (invoice_id is None or n.invoice_id == invoice_id)
        ]
        return sorted(found, key=lambda n: n.number)

    return read(ctx, query)


def _day(document: Invoice | CreditNote) -> tuple[date, int, int, int]:
    if isinstance(document, Invoice):
        return document.issued_on, document.number, 0, 0
    return document.issued_on, document.invoice_number, 1, document.number


def billing_history(
    ctx: Context, agency_id: str, account_id: str | None = None
) -> list[Invoice | CreditNote]:
    """Return the agency's invoices and credit notes together, by day issued (on one day,
    each credit note after the invoice it credits), of one account when given (B7, CN1).

    Raises:
        NotFound: No such agency, or the account is not the agency's.
    """

    def query(uow: UnitOfWork) -> list[Invoice | CreditNote]:
        uow.agencies.get(agency_id)
        if account_id is not None:
            uow.accounts.get(agency_id, account_id)
        documents: list[Invoice | CreditNote] = list(uow.invoices.list(agency_id, account_id))
        documents += [
            n for n in _notes(uow, agency_id) if account_id is None or n.account_id == account_id
        ]
        return sorted(documents, key=_day)

    return read(ctx, query)


# -- cancelling with a refund of the unused part (CN2, a policy) ------------------------------


def _term_invoice(work: Work, account: Account) -> Invoice | None:
    """The paid, never credited recurring invoice of the account's period holding today."""
    period = billed_period_on(account, work.today)
    if period is None:
        return None
    invoice = work.uow.invoices.by_period_key(period_key(account.id, period))
    if invoice is None or invoice.agency_id != account.agency_id:
        return None
    if invoice.status is not InvoiceStatus.PAID:
        return None
    if work.uow.credit_notes.list(account.agency_id, subject=invoice.id):
        return None  # credited already: what is left is the agency's to credit by hand
    return invoice


def _refund_unused(
    work: Work, invoice: Invoice, reason: str, destination: CreditDestination
) -> CreditNote | None:
    asked = unused_part(invoice, work.today)
    if not asked:
        return None
    why = f"unused part of the term after cancellation ({reason or 'no reason given'})"
    try:
        return issue_credit_note(work, invoice, asked, reason=why, destination=destination)
    except CreditExceedsPaid:
        if destination is CreditDestination.PREPAID:
            raise
    # The card paid less than the unused part (prepaid credit paid the rest): all of it
    # goes to prepaid credit rather than part of it to a card that never paid it.
    return issue_credit_note(
        work, invoice, asked, reason=why, destination=CreditDestination.PREPAID
    )


def _sender(ctx: Context, note: CreditNote) -> Callable[[], None]:
    def send() -> None:
        send_refund(ctx, note)

    return send


def cancel_with_refund(
    ctx: Context,
    agency_id: str,
    account_id: str,
    reason: str,
    *,
    actor: str,
    idempotency_key: str | None,
) -> Account:
    """Cancel the account and give back the unused part of its paid term (CN2), as the
    policies' ``refund_unused_on_cancel`` says; the account then ends today.

    The unused part is that of the recurring invoice of the period holding today, each of
    its lines prorated by the days left (rounded once per line), in a credit note of that
    invoice. An invoice not paid in full, or credited already, gives nothing back here
    (and the account works until its paid-through date); a refund to the card sent after
    the commit is reconciled by :func:`reconcile_refund` if its answer is not final.

    Raises:
        NotFound: No such account in this agency.
        InvalidTransition: The account cannot be cancelled in its status.
    """
    destination = ctx.policies.refund_unused_on_cancel
    action = Cancel(reason)

    def body(work: Work) -> Account:
        uow = work.uow
        account = uow.accounts.get(agency_id, account_id)
        cancelled = work.apply(account, action)
        invoice = _term_invoice(work, account) if destination is not None else None
        note = None
        if invoice is not None and destination is not None:
            note = _refund_unused(work, invoice, reason, destination)
        if note is not None:
            cancelled = attrs.evolve(cancelled, paid_through=work.today)
            if note.status is CreditNoteStatus.REFUNDING:
                work.after_commit(_sender(ctx, note))
        return uow.accounts.update(cancelled)

    params = {"account_id": account_id, **attrs.asdict(action, recurse=False)}
    command = Command(action.name, agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, Account)
