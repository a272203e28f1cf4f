"""The stamps that bring an invoice back to the run's retry pass: a charge in flight, an
answer awaited, an invoice left to collect (M2, C2, C3)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs

from resell_core.billing.collection import (
    answer_awaited,
    as_first_start,
    charge_in_flight,
    left_to_collect,
)
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.billing.payment import start_payment
from resell_core.billing.profiles import BillingProfile
from resell_core.money import Money
from resell_core.periods import Period

UPGRADE_DAY = date(2024, 4, 26)
CARD = BillingProfile(
    "card-main", "ACME-DIGITAL", "Main Visa", "tok_1NvXq2", "visa", "4242", 8, 2027
)


def usd(amount: str) -> Money:
    """Dollars."""
    return Money(amount, "USD")


def _proration(**changes: Any) -> Invoice:
    rest = Period(UPGRADE_DAY, date(2024, 5, 11))
    line = InvoiceLine(
        LineKind.PRORATION_CHARGE, "professional", Decimal(1), usd("40"), usd("40"), rest
    )
    invoice = Invoice(
        "inv-8", "ACME-DIGITAL", 8, "acc-north-bakery", "card-main", UPGRADE_DAY, "USD", (line,)
    )
    return attrs.evolve(invoice, **changes)


def test_M2_a_charge_sent_is_pending_and_due_for_the_retry_pass_the_same_day() -> None:
    """The charge in flight is looked at from the day it is sent (a crash before its answer
    is reconciled by the next run); nothing else of the invoice changes."""
    sent = charge_in_flight(_proration(paid_earmarked=usd("10")), on=UPGRADE_DAY)

    expected = _proration(
        paid_earmarked=usd("10"), status=InvoiceStatus.PENDING, next_retry_on=UPGRADE_DAY
    )
    assert attrs.asdict(sent) == attrs.asdict(expected)


def test_M2_a_pending_or_unknown_answer_is_looked_up_again_the_next_day() -> None:
    """Answered ``pending`` on the 26th: the invoice is back in the retry pass on the 27th."""
    sent = charge_in_flight(_proration(), on=UPGRADE_DAY)

    awaited = answer_awaited(sent, on=UPGRADE_DAY)

    assert awaited.next_retry_on == UPGRADE_DAY + timedelta(days=1)
    assert awaited.status is InvoiceStatus.PENDING


def test_C3_an_invoice_left_to_collect_still_spends_prepaid_credit_first() -> None:
    """An upgrade's proration left for the retry pass is due from its day; when collected,
    North Bakery's USD 10 of earmarked credit pays first and the card the other 30."""
    left = left_to_collect(_proration(), on=UPGRADE_DAY)
    assert left.next_retry_on == UPGRADE_DAY

    start = start_payment(
        as_first_start(left), profile=CARD, earmarked=usd("10"), pool=usd("0"), on=UPGRADE_DAY
    )

    assert start.invoice.paid_earmarked == usd("10")
    assert start.charge is not None
    assert start.charge.amount == usd("30")


def test_C2_a_declined_invoice_is_no_first_start_and_spends_no_prepaid_credit_again() -> None:
    """Declined once, due for its retry: it is collected as it is (the card pays the rest)."""
    declined = _proration(attempts=1, next_retry_on=UPGRADE_DAY + timedelta(days=1))

    assert as_first_start(declined) is declined
