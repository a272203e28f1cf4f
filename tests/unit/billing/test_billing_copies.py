"""The billing run's fast copies of accounts and invoices equal what ``__init__`` and
``attrs.evolve`` return."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from resell_core.billing.due import DuePeriod, period_key
from resell_core.billing.invoices import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    TaxLine,
    build_recurring_invoice,
    invoice_values,
    with_payment_state,
)
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.terms import record_period_billed
from resell_core.money import Money
from resell_core.periods import nth_period
from resell_core.pricing.quote import CyclePrice
from resell_core.testing import strategies as rs
from resell_core.testing.contracts.samples import an_invoice

_ONE = Decimal(1)
_PAID_PLANS = rs.lifecycle_plans.filter(lambda plan: plan.is_paid)


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in attrs.fields(type(value))}


@st.composite
def _recurring_invoices(draw: st.DrawFn) -> Invoice:
    currency = draw(rs.currencies)
    period = draw(rs.periods())
    due = DuePeriod(
        "north-bakery",
        "ACME-DIGITAL",
        draw(st.none() | st.just("card-1")),
        draw(st.integers(0, 30)),
        period,
        draw(_PAID_PLANS),
        period_key("north-bakery", period),
    )
    list_value = draw(rs.money(currency, min_value=0)).rounded()
    migration = draw(rs.money(currency, min_value=0)).rounded()
    reseller = draw(rs.money(currency, min_value=0)).rounded()
    figures = CyclePrice(list_value, migration, reseller, list_value - migration - reseller)
    return build_recurring_invoice(
        due,
        figures,
        invoice_id=draw(st.sampled_from(["invoice-1", "invoice-77"])),
        number=draw(st.integers(1, 10_000)),
        issued_on=period.start,
    )


@given(rs.lifecycle_accounts())
def test_recording_a_billed_period_changes_only_the_cursor_and_paid_through(
    account: Account,
) -> None:
    """The billed account is the account evolved to the next period, every other field kept."""
    index = account.next_period
    frequency = account.plan.frequency or "monthly"
    period = nth_period(account.created_on, frequency, index)
    billed = record_period_billed(account, index, period).account
    expected = attrs.evolve(account, next_period=index + 1, paid_through=period.end)
    assert billed is not account
    assert type(billed) is Account
    assert _fields(billed) == _fields(expected)


@given(_recurring_invoices())
def test_a_recurring_invoice_is_the_open_invoice_init_builds(invoice: Invoice) -> None:
    """Its lines and its defaults (open, nothing paid, no attempt) are those of __init__."""
    expected = Invoice(
        id=invoice.id,
        agency_id=invoice.agency_id,
        number=invoice.number,
        account_id=invoice.account_id,
        profile_id=invoice.profile_id,
        issued_on=invoice.issued_on,
        currency=invoice.currency,
        lines=[
            InvoiceLine(line.kind, line.description, _ONE, line.amount, line.amount, line.period)
            for line in invoice.lines
        ],
        period_key=invoice.period_key,
    )
    assert type(invoice) is Invoice
    assert all(type(line) is InvoiceLine for line in invoice.lines)
    assert _fields(invoice) == _fields(expected)
    assert invoice.lines[0].kind is LineKind.RECURRING


@st.composite
def _tried_invoices(draw: st.DrawFn) -> Invoice:
    """A recurring invoice with every field a payment keeps drawn away from its default."""
    invoice = draw(_recurring_invoices())
    currency = invoice.currency
    tax = TaxLine(0, "VAT", "DE", Decimal("0.19"), Money("10", currency), Money("1.9", currency))
    return attrs.evolve(
        invoice,
        attempts=draw(st.integers(0, 5)),
        paid_card=Money(draw(st.sampled_from(["0", "12.50"])), currency),
        dunning_ends_on=draw(st.none() | rs.days),
        version=draw(st.integers(0, 3)),
        taxes=draw(st.sampled_from([(), (tax,)])),
    )


@given(
    _tried_invoices(),
    st.sampled_from(list(InvoiceStatus)),
    st.none() | rs.days,
    st.sampled_from(["0", "12.50"]),
)
def test_a_new_payment_state_is_the_invoice_evolve_returns(
    tried: Invoice, status: InvoiceStatus, retry_on: date | None, paid: str
) -> None:
    """Status, prepaid parts and retry day change; every other field is kept."""
    earmarked, pool = Money("1.25", tried.currency), Money(paid, tried.currency)
    changed = with_payment_state(tried, status, earmarked, pool, retry_on)
    expected = attrs.evolve(
        tried, status=status, paid_earmarked=earmarked, paid_pool=pool, next_retry_on=retry_on
    )
    assert changed is not tried
    assert type(changed) is Invoice
    assert _fields(changed) == _fields(expected)


def test_invoice_values_reads_every_field_of_invoice_in_init_order() -> None:
    """A field added to Invoice and not to invoice_values fails here, by name."""
    fields = [field.name for field in attrs.fields(Invoice) if field.init]
    # Each field holds a marker of its name (lines a tuple of one: its converter makes a
    # tuple of what it is given).
    marks: dict[str, Any] = {name: f"<{name}>" for name in fields}
    marks["lines"] = ("<lines>",)
    assert invoice_values(Invoice(**marks)) == [marks[name] for name in fields]


def test_a_new_payment_state_leaves_the_invoice_as_it_was() -> None:
    """The invoice changed from is not touched (invoices are treated as values)."""
    invoice = an_invoice()
    before = _fields(invoice)

    paid = with_payment_state(
        invoice, InvoiceStatus.PAID, invoice.total, Money("0", "USD"), date(2024, 3, 1)
    )

    assert _fields(invoice) == before
    assert paid.open_amount.is_zero()
