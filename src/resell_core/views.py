"""What each of the library's objects shows in a notebook: its tables and records (N1).

One function per kind of object, each returning a :class:`~resell_core.display.View`;
the classes delegate to them in one line (``def _view(self): return views.invoice(self)``),
so that their modules hold rules only. The objects' types are imported for annotations
alone: the classes import this module, never the other way round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resell_core.display import Record, Table, View, cell_text, fields_record, record_of

if TYPE_CHECKING:
    from resell_core.billing.invoices import Invoice
    from resell_core.lifecycle.account_query import OverviewRow, Page
    from resell_core.service.billing import BillingReport
    from resell_core.service.credits import CreditBalance

__all__ = [
    "balance",
    "balance_record",
    "billing_record",
    "billing_report",
    "explain_invoice",
    "invoice",
    "invoice_record",
    "invoice_steps",
    "overview_page",
    "overview_record",
    "overview_row",
]


# -- invoices ---------------------------------------------------------------------------
def invoice_record(invoice: Invoice) -> Record:
    """An invoice as a row of a list of invoices: number, dates, status and the split."""
    return {
        "number": invoice.number,
        "id": invoice.id,
        "account_id": invoice.account_id,
        "issued_on": invoice.issued_on,
        "status": invoice.status,
        "total": invoice.total,
        "paid_earmarked": invoice.paid_earmarked,
        "paid_pool": invoice.paid_pool,
        "paid_card": invoice.paid_card,
        "open_amount": invoice.open_amount,
    }


def _invoice_title(invoice: Invoice) -> str:
    of = f" · account {invoice.account_id}" if invoice.account_id else ""
    return f"Invoice {invoice.number} · {invoice.status.value} · issued {invoice.issued_on}{of}"


def invoice_steps(invoice: Invoice) -> list[tuple[str, object]]:
    """Return how the invoice adds up and how it was paid, as (step, figure) rows."""
    steps: list[tuple[str, object]] = [
        (f"  {line.description} ({cell_text(line.quantity)} × {cell_text(line.unit_price)})",
         line.amount)
        for line in invoice.lines
    ]  # fmt: skip
    if invoice.taxes:
        steps.append(("Subtotal", invoice.subtotal))
        for tax in invoice.taxes:
            rate = f"{(tax.rate * 100).normalize():f}"
            what = f"  {tax.name} {rate}% ({tax.jurisdiction}) on {cell_text(tax.taxable)}"
            if tax.reverse_charge:
                what += ", reverse charge"
            steps.append((what, tax.amount))
        steps.append(("Total", invoice.total))
    else:
        steps.append(("Total (taxes excluded)", invoice.total))
    split = (
        ("- paid from the account's prepaid credit", invoice.paid_earmarked),
        ("- paid from the billing profile's prepaid pool", invoice.paid_pool),
        ("- paid by card", invoice.paid_card),
    )
    steps.extend((label, -amount) for label, amount in split if amount)
    steps.append(("= still to pay", invoice.open_amount))
    if invoice.attempts:
        steps.append(("Declined card charges", invoice.attempts))
    if invoice.next_retry_on is not None:
        steps.append(("Next retry", invoice.next_retry_on))
    if invoice.dunning_ends_on is not None:
        steps.append(("Retries end", invoice.dunning_ends_on))
    return steps


def explain_invoice(invoice: Invoice) -> str:
    """Return the invoice as readable text: each line, the total, the split, what is due."""
    return View(_invoice_title(invoice), (Table.of_pairs(invoice_steps(invoice)),), ()).text()


def invoice(invoice: Invoice) -> View:
    """The invoice's lines with their unit prices, then how it was paid; its records are
    its lines."""
    lines: tuple[Record, ...] = tuple(
        {
            "invoice": invoice.number,
            "kind": line.kind,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "amount": line.amount,
            "period": line.period,
        }
        for line in invoice.lines
    )
    shown = Table(
        ("description", "quantity", "unit price", "amount", "period"),
        tuple(
            (r["description"], r["quantity"], r["unit_price"], r["amount"], r["period"])
            for r in lines
        ),
        "Lines",
    )
    paid = Table.of_pairs(invoice_steps(invoice)[len(invoice.lines) :], "Payment")
    return View(_invoice_title(invoice), (shown, paid), lines)


# -- the overview -----------------------------------------------------------------------
def overview_record(row: OverviewRow) -> Record:
    """An overview row as a record: the account, its chosen columns, its actions."""
    record: Record = {"account_id": row.account_id}
    record.update({column.value: value for column, value in row.values.items()})
    record["primary_action"] = row.primary_action
    record["actions"] = row.actions
    return record


def overview_row(row: OverviewRow) -> View:
    """One row of the overview, as a table of one row."""
    record = overview_record(row)
    return View(f"Account {row.account_id}", (Table.of_records([record]),), (record,))


def overview_page(page: Page[Any]) -> View:
    """A page of the overview: one row per account, the query's columns in order."""
    records = tuple(record_of(row) for row in page.rows)
    more = " · more after this page" if page.next_cursor is not None else ""
    total = f"{page.total:,}" if page.total_exact else f"about {page.total:,}"
    title = f"Accounts {len(page.rows)} of {total}{more}"
    return View(title, (Table.of_records(records),), records)


# -- billing runs and credit ------------------------------------------------------------
def billing_report(report: BillingReport) -> View:
    """What a run did, figure by figure, then each account it could not bill; its record
    is one row per run, money in a column per currency (``charged_to_cards_USD``)."""
    figures: list[tuple[str, object]] = [
        ("Invoices created", report.invoices_created),
        ("Accounts billed", report.accounts_billed),
        ("Invoices paid", report.invoices_paid),
        ("Card charges declined", report.payments_declined),
        ("Invoices failed (accounts expired)", report.invoices_failed),
        ("Charges pending", report.invoices_pending),
        ("Charges left for later (gateway down)", report.retries_later),
        ("Charged to cards", report.charged_to_cards or "nothing"),
        ("Prepaid credit used", report.prepaid_used or "nothing"),
        ("Accounts expired", len(report.accounts_expired)),
        ("Trials ended", len(report.trials_ended)),
        ("Accounts ready", len(report.accounts_ready)),
        ("Accounts not billed", len(report.errors)),
    ]
    tables = [Table.of_pairs(figures, "Figures")]
    if report.errors:
        failures = (fields_record(failure) for failure in report.errors)
        tables.append(Table.of_records(failures, "Not billed"))
    return View(f"Billing run until {report.until}", tuple(tables), (billing_record(report),))


def billing_record(report: BillingReport) -> Record:
    """A run as one row: its counts, and money in a column per currency."""
    counts = (
        "invoices_created",
        "accounts_billed",
        "invoices_paid",
        "payments_declined",
        "invoices_failed",
        "invoices_pending",
        "retries_later",
    )
    record: Record = {"until": report.until}
    record.update((name, getattr(report, name)) for name in counts)
    for money in report.charged_to_cards:
        record[f"charged_to_cards_{money.currency}"] = money.amount
    for money in report.prepaid_used:
        record[f"prepaid_used_{money.currency}"] = money.amount
    record.update(
        accounts_expired=len(report.accounts_expired),
        trials_ended=len(report.trials_ended),
        accounts_ready=len(report.accounts_ready),
        errors=len(report.errors),
    )
    return record


def balance_record(held: CreditBalance) -> Record:
    """A wallet as one row: what it holds of each kind."""
    return {
        "wallet": held.wallet,
        "prepaid": held.prepaid,
        "sms": held.sms,
        "inbox_preview": held.inbox_preview,
    }


def balance(held: CreditBalance) -> View:
    """What one wallet holds, kind by kind; its record is one row."""
    record = balance_record(held)
    pairs = (
        ("Prepaid credit", held.prepaid),
        ("SMS credits", held.sms),
        ("Inbox-preview credits", held.inbox_preview),
    )
    return View(f"Credit of {held.wallet}", (Table.of_pairs(pairs),), (record,))
