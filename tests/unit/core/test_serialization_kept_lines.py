"""Invoices sharing one tuple of lines, or equal lines, are each written as the converter
writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from resell_core import serialization
from resell_core.billing.invoices import Invoice, InvoiceLine, LineKind
from resell_core.money import Money
from resell_core.periods import Period

_PERIOD = Period(date(2024, 2, 29), date(2024, 3, 31))


def _reference(value: object) -> str:
    return serialization._encode(serialization.converter.unstructure(value))


def _invoice(number: int, lines: tuple[InvoiceLine, ...]) -> Invoice:
    return Invoice(
        f"invoice-{number}",
        "agency-acme",
        number,
        "account-1",
        None,
        date(2024, 3, 1),
        "USD",
        lines,
    )


def _lines(description: str = "marketing plus") -> tuple[InvoiceLine, ...]:
    price = Money("120.00", "USD")
    discount = Money("-24.00", "USD")
    return (
        InvoiceLine(LineKind.RECURRING, description, Decimal(1), price, price, _PERIOD),
        InvoiceLine(
            LineKind.DISCOUNT, "Reseller discount", Decimal(1), discount, discount, _PERIOD
        ),
    )


def test_invoices_sharing_their_lines_are_written_as_the_converter_writes_them() -> None:
    """Two invoices of one tuple of lines: each text is the reference text."""
    lines = _lines()
    first, second = _invoice(1, lines), _invoice(2, lines)

    assert serialization.to_json(first) == _reference(first)
    assert serialization.to_json(second) == _reference(second)


def test_lines_that_could_change_are_written_as_the_converter_writes_them() -> None:
    """A line whose description is a str subclass is written the reference way."""

    class Label(str):
        __slots__ = ()

    invoice = _invoice(3, _lines(Label("marketing plus")))

    assert serialization.to_json(invoice) == _reference(invoice)


def test_each_invoice_gets_the_text_of_its_own_lines() -> None:
    """Equal lines in another tuple, or other lines: each invoice gets its own text."""
    invoice = _invoice(4, _lines())
    other = attrs.evolve(invoice, lines=_lines("automation plus"))

    assert serialization.to_json(invoice) == _reference(invoice)
    assert serialization.to_json(other) == _reference(other)
    assert "automation plus" in serialization.to_json(other)
