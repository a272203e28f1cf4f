"""Invoices and paying them: lines, numbering, prepaid first, gateway answers (B7, C2, C3)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from resell_core.billing.due import DuePeriod
from resell_core.billing.gateway import ChargeOutcome, ChargeResult
from resell_core.billing.invoices import (
    Invoice,
    InvoiceStatus,
    LineKind,
    build_change_invoice,
    build_recurring_invoice,
    filter_invoices,
    history,
    next_number,
    settle_negative,
)
from resell_core.billing.ledger import SPENT, CreditKind, account_wallet, profile_wallet
from resell_core.billing.payment import (
    DunningPolicy,
    PaymentDecision,
    apply_charge_result,
    charge_key,
    confirm,
    plan_payment,
    reconcile_key,
    retries_due,
    start_payment,
)
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import InvalidInput, PaymentInFlight
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing import CyclePrice, prorate_change
from resell_core.pricing.selection import PlanSelection

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))
CARD = BillingProfile(
    "card-main", "ACME-DIGITAL", "Main Visa", "tok_1NvXq2", "visa", "4242", 8, 2027
)


def usd(amount: str) -> Money:
    """Dollars."""
    return Money(amount, "USD")


def _due(account_id: str = "acc-north-bakery", period: Period = APRIL) -> DuePeriod:
    return DuePeriod(
        account_id,
        "ACME-DIGITAL",
        "card-main",
        0,
        period,
        PLUS,
        f"{account_id}/{period.start.isoformat()}",
    )


def _invoice(
    total: str = "96.00", number: int = 1, account_id: str = "acc-north-bakery"
) -> Invoice:
    figures = CyclePrice(usd(total), usd("0"), usd("0"), usd(total))
    return build_recurring_invoice(
        _due(account_id),
        figures,
        invoice_id=f"inv-{number}",
        number=number,
        issued_on=APRIL.start,
    )


def test_B7_recurring_invoice_shows_list_price_then_each_discount() -> None:
    """List value, migration and reseller discounts are separate lines adding up to net."""
    figures = CyclePrice(usd("120.00"), usd("12.00"), usd("24.00"), usd("84.00"))
    invoice = build_recurring_invoice(
        _due(), figures, invoice_id="inv-1", number=7, issued_on=APRIL.start
    )
    assert [(line.kind, line.amount) for line in invoice.lines] == [
        (LineKind.RECURRING, usd("120.00")),
        (LineKind.DISCOUNT, usd("-12.00")),
        (LineKind.DISCOUNT, usd("-24.00")),
    ]
    assert invoice.lines[0].unit_price == usd("120.00")
    assert all(line.period == APRIL for line in invoice.lines)
    assert (invoice.total, invoice.number, invoice.period_key) == (
        usd("84.00"),
        7,
        "acc-north-bakery/2024-04-11",
    )


def test_B7_figures_that_do_not_add_up_are_refused() -> None:
    """A net that is not list value minus discounts is refused, not invoiced."""
    figures = CyclePrice(usd("120.00"), usd("0"), usd("24.00"), usd("90.00"))
    with pytest.raises(InvalidInput):
        build_recurring_invoice(_due(), figures, invoice_id="i", number=1, issued_on=APRIL.start)


def test_B7_numbering_per_agency_has_no_gaps() -> None:
    """The counter hands out 1, 2, 3… and the next value to store."""
    counter, numbers = 1, []
    for _ in range(3):
        number, counter = next_number(counter)
        numbers.append(number)
    assert (numbers, counter) == ([1, 2, 3], 4)


def test_B7_upgrade_invoice_has_proration_credit_and_charge_lines() -> None:
    """$20 billed Apr 11-May 11, upgraded to $30 on Apr 26: credit -10.00, charge +15.00."""
    change = prorate_change(usd("20"), usd("30"), APRIL, date(2024, 4, 26))
    invoice = build_change_invoice(
        change,
        agency_id="ACME-DIGITAL",
        account_id="acc-north-bakery",
        profile_id="card-main",
        period=APRIL,
        invoice_id="inv-9",
        number=9,
        issued_on=date(2024, 4, 26),
        old_plan="plus 2500",
        new_plan="professional 2500",
    )
    assert [(line.kind, line.amount) for line in invoice.lines] == [
        (LineKind.PRORATION_CREDIT, usd("-10.00")),
        (LineKind.PRORATION_CHARGE, usd("15.00")),
    ]
    assert invoice.total == usd("5.00")


def test_B7_negative_invoice_becomes_the_accounts_prepaid_credit() -> None:
    """An excess credit is carried to the account's earmark; the invoice totals zero."""
    change = prorate_change(usd("30"), usd("10"), APRIL, date(2024, 4, 26))
    invoice = build_change_invoice(
        change,
        agency_id="ACME-DIGITAL",
        account_id="acc-north-bakery",
        profile_id="card-main",
        period=APRIL,
        invoice_id="inv-9",
        number=9,
        issued_on=date(2024, 4, 26),
        old_plan="professional",
        new_plan="plus",
    )
    assert invoice.total == usd("-10.00")
    settled, movement = settle_negative(invoice, on=date(2024, 4, 26))
    assert settled.total == usd("0.00")
    assert settled.status is InvoiceStatus.PAID
    assert movement is not None
    assert (movement.kind, movement.quantity, movement.destination) == (
        CreditKind.PREPAID,
        Decimal("10.00"),
        account_wallet("acc-north-bakery"),
    )
    assert settle_negative(_invoice(), on=APRIL.start) == (_invoice(), None)


def test_B7_invoices_are_listed_by_account_and_agency() -> None:
    """Each account has its own history; other agencies' invoices are never listed."""
    own = [_invoice(number=1), _invoice(number=3, account_id="acc-south-cafe"), _invoice(number=2)]
    foreign = Invoice("x", "OTHER-AGENCY", 1, "acc-north-bakery", None, APRIL.start, "USD", [])
    listed = history([*own, foreign], agency_id="ACME-DIGITAL", account_id="acc-north-bakery")
    assert [i.number for i in listed] == [1, 2]
    assert len(filter_invoices([*own, foreign], agency_id="ACME-DIGITAL")) == 3


def test_C2_C3_payment_uses_earmark_then_pool_then_card() -> None:
    """$100 due, $30 earmarked, $50 in the pool: the card pays $20."""
    plan = plan_payment(usd("100"), usd("30"), usd("50"))
    assert (plan.earmarked, plan.pool, plan.card) == (usd("30"), usd("50"), usd("20"))
    assert plan_payment(usd("10"), usd("30"), usd("50")).card == usd("0")


def test_C2_prepaid_credit_pays_before_the_card_with_ledger_movements() -> None:
    """Starting payment spends earmark and pool by movements and charges the card the rest."""
    start = start_payment(
        _invoice("96.00"),
        profile=CARD,
        earmarked=usd("6"),
        pool=usd("40"),
        on=APRIL.start,
    )
    assert [(m.source, m.destination, m.quantity) for m in start.movements] == [
        (account_wallet("acc-north-bakery"), SPENT, Decimal("6.00")),
        (profile_wallet("card-main"), SPENT, Decimal("40.00")),
    ]
    assert start.charge is not None
    assert start.charge.amount == usd("50.00")
    assert start.charge.idempotency_key == charge_key("inv-1", 1)


def test_C2_invoice_fully_covered_by_prepaid_needs_no_card() -> None:
    """When prepaid credit covers everything, the invoice is paid and no charge is made."""
    start = start_payment(
        _invoice("96.00"),
        profile=None,
        earmarked=usd("0"),
        pool=usd("500"),
        on=APRIL.start,
    )
    assert (start.charge, start.invoice.status) == (None, InvoiceStatus.PAID)


def test_decline_then_success_on_retry() -> None:
    """A declined charge retries a day later with a new key and is then paid."""
    start = start_payment(
        _invoice(), profile=CARD, earmarked=usd("0"), pool=usd("0"), on=APRIL.start
    )
    declined = apply_charge_result(
        start.invoice,
        ChargeResult(ChargeOutcome.DECLINED, None, "insufficient funds"),
        today=APRIL.start,
    )
    assert (declined.decision, declined.retry_on, declined.notify_agency) == (
        PaymentDecision.RETRY,
        APRIL.start + timedelta(days=1),
        True,
    )
    assert retries_due([declined.invoice], APRIL.start) == []
    assert retries_due([declined.invoice], APRIL.start + timedelta(days=1)) == [declined.invoice]
    retry = start_payment(
        declined.invoice,
        profile=CARD,
        earmarked=usd("0"),
        pool=usd("0"),
        on=APRIL.start + timedelta(days=1),
    )
    assert retry.charge is not None
    assert retry.charge.idempotency_key == charge_key("inv-1", 2)
    paid = apply_charge_result(
        retry.invoice,
        ChargeResult(ChargeOutcome.SUCCEEDED, "ch_2"),
        today=APRIL.start + timedelta(days=1),
    )
    assert paid.invoice.status is InvoiceStatus.PAID
    assert paid.invoice.paid_card == usd("96.00")


def test_dunning_retries_after_1_3_7_days_then_the_account_expires() -> None:
    """Four declines: retries after 1, 3 and 7 days, then the account must expire."""
    invoice, day, retries = _invoice(), APRIL.start, []
    declined = ChargeResult(ChargeOutcome.DECLINED)
    for _ in range(3):
        settlement = apply_charge_result(invoice, declined, today=day)
        assert settlement.decision is PaymentDecision.RETRY
        retries.append((settlement.retry_on - day).days if settlement.retry_on else None)
        invoice, day = settlement.invoice, settlement.retry_on or day
    last = apply_charge_result(invoice, declined, today=day)
    assert retries == [1, 3, 7]
    assert last.expire_account
    assert (last.invoice.status, last.notify_agency) == (InvoiceStatus.FAILED, True)


def test_dunning_schedule_is_a_policy() -> None:
    """A one-step schedule exhausts after the second decline, on its retry day."""
    policy = DunningPolicy(retry_after_days=(2,))
    first = apply_charge_result(
        _invoice(), ChargeResult(ChargeOutcome.DECLINED), today=APRIL.start, policy=policy
    )
    retry_day = first.retry_on or APRIL.start
    second = apply_charge_result(
        first.invoice, ChargeResult(ChargeOutcome.DECLINED), today=retry_day, policy=policy
    )
    assert (first.retry_on, second.decision) == (
        APRIL.start + timedelta(days=2),
        PaymentDecision.DUNNING_EXHAUSTED,
    )


def test_gateway_down_retries_later_without_a_dunning_step() -> None:
    """not_attempted keeps the attempt count and the key, and notifies nobody."""
    settlement = apply_charge_result(
        _invoice(), ChargeResult(ChargeOutcome.NOT_ATTEMPTED), today=APRIL.start
    )
    assert settlement.decision is PaymentDecision.RETRY_LATER
    assert (settlement.invoice.attempts, settlement.notify_agency) == (0, False)
    again = start_payment(
        settlement.invoice,
        profile=CARD,
        earmarked=usd("0"),
        pool=usd("0"),
        on=APRIL.start + timedelta(days=1),
    )
    assert again.charge is not None
    assert again.charge.idempotency_key == charge_key("inv-1", 1)


def test_unknown_result_reconciled_without_a_second_charge() -> None:
    """A timeout is looked up by the same key; a new charge is refused meanwhile."""
    start = start_payment(
        _invoice(), profile=CARD, earmarked=usd("0"), pool=usd("0"), on=APRIL.start
    )
    assert start.charge is not None
    unknown = apply_charge_result(
        start.invoice, ChargeResult(ChargeOutcome.UNKNOWN), today=APRIL.start
    )
    assert unknown.decision is PaymentDecision.RECONCILE
    assert reconcile_key(unknown.invoice) == start.charge.idempotency_key
    with pytest.raises(PaymentInFlight):
        start_payment(
            unknown.invoice, profile=CARD, earmarked=usd("0"), pool=usd("0"), on=APRIL.start
        )
    found = confirm(
        unknown.invoice, ChargeResult(ChargeOutcome.SUCCEEDED, "ch_1"), today=APRIL.start
    )
    assert found.invoice.status is InvoiceStatus.PAID
    assert found.invoice.paid_card == usd("96.00")


def test_pending_charge_is_settled_by_its_confirmation() -> None:
    """A pending (3-D Secure) charge waits; a repeated success webhook changes nothing."""
    pending = apply_charge_result(
        _invoice(), ChargeResult(ChargeOutcome.PENDING), today=APRIL.start
    )
    assert pending.invoice.status is InvoiceStatus.PENDING
    paid = confirm(pending.invoice, ChargeResult(ChargeOutcome.SUCCEEDED), today=APRIL.start)
    again = apply_charge_result(
        paid.invoice, ChargeResult(ChargeOutcome.SUCCEEDED), today=APRIL.start
    )
    assert again.invoice.paid_card == paid.invoice.paid_card == usd("96.00")


def test_paid_invoice_is_never_charged_again() -> None:
    """Starting payment of a paid invoice makes no charge and no movement."""
    paid = start_payment(
        _invoice(), profile=None, earmarked=usd("0"), pool=usd("100"), on=APRIL.start
    ).invoice
    again = start_payment(paid, profile=CARD, earmarked=usd("0"), pool=usd("100"), on=APRIL.start)
    assert (again.charge, again.movements) == (None, ())


def test_M3_declines_before_the_schedules_last_date_never_fail_the_invoice() -> None:
    """Six declines on the first day (the agency retrying) leave the invoice open with its
    next attempt on the schedule's last date; the decline on that date fails it."""
    invoice, declined = _invoice(), ChargeResult(ChargeOutcome.DECLINED)
    settlements = []
    for _ in range(6):
        settlement = apply_charge_result(invoice, declined, today=APRIL.start)
        settlements.append(settlement)
        invoice = settlement.invoice
    last_date = APRIL.start + timedelta(days=11)

    final = apply_charge_result(invoice, declined, today=last_date)

    assert {s.decision for s in settlements} == {PaymentDecision.RETRY}
    assert [s.retry_on for s in settlements[3:]] == [last_date] * 3
    assert {s.invoice.dunning_ends_on for s in settlements} == {last_date}
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.OPEN, 6)
    assert final.decision is PaymentDecision.DUNNING_EXHAUSTED
