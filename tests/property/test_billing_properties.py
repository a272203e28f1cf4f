"""Billing over random timelines: each period charged once, money conserved, no overdraft."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from resell_core.billing.due import due_periods
from resell_core.billing.gateway import ChargeOutcome, ChargeRequest, ChargeResult
from resell_core.billing.invoices import (
    Invoice,
    InvoiceStatus,
    build_change_invoice,
    settle_negative,
)
from resell_core.billing.ledger import (
    OUTSIDE,
    SPENT,
    CreditKind,
    Ledger,
    Movement,
    account_wallet,
    balances,
    profile_wallet,
)
from resell_core.billing.payment import (
    apply_charge_result,
    plan_payment,
    reconcile_key,
    start_payment,
)
from resell_core.billing.profiles import BillingProfile
from resell_core.billing.run import bill_period, price_due
from resell_core.errors import ResellError
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.money import Money
from resell_core.periods import Frequency, period_containing
from resell_core.pricing import Catalog, prorate_change
from resell_core.pricing.selection import PlanSelection
from resell_core.testing.strategies import charge_outcomes, final_charge_outcomes

CATALOG = Catalog.sample()
CARD = BillingProfile("card-main", "ACME-DIGITAL", "Main Visa", "tok_1", "visa", "4242", 8, 2040)
START = date(2024, 1, 1)


class FakeGateway:
    """Remembers each key's true outcome; answers a look-up by key with it."""

    def __init__(self) -> None:
        self.truth: dict[str, ChargeOutcome] = {}
        self.captured: dict[str, Money] = {}

    def charge(
        self, request: ChargeRequest, shown: ChargeOutcome, truth: ChargeOutcome
    ) -> ChargeResult:
        if request.idempotency_key in self.truth:  # a deduplicated repeat: same answer
            return ChargeResult(self.truth[request.idempotency_key])
        real = truth if shown in (ChargeOutcome.PENDING, ChargeOutcome.UNKNOWN) else shown
        self.truth[request.idempotency_key] = real
        if real is ChargeOutcome.SUCCEEDED:
            self.captured[request.idempotency_key] = request.amount
        return ChargeResult(shown)

    def lookup(self, key: str) -> ChargeResult:
        return ChargeResult(self.truth[key])


@st.composite
def accounts(draw: st.DrawFn) -> list[Account]:
    found = []
    for n in range(draw(st.integers(1, 3))):
        plan = PlanSelection(
            "V3",
            "marketing",
            draw(st.sampled_from(["starter", "plus", "professional"])),
            2500,
            draw(st.sampled_from(list(Frequency))),
        )
        anchor = START + timedelta(days=draw(st.integers(0, 60)))
        found.append(
            Account(
                id=f"acc-{n}",
                agency_id="ACME-DIGITAL",
                name=f"shop-{n}",
                client_name="North Bakery",
                notification_email="alerts@acme.test",
                country="US",
                region="us",
                language="en",
                timezone="UTC",
                plan=plan,
                created_on=anchor,
                status=AccountStatus.ACTIVE,
                billing_profile_id="card-main",
                anchor=anchor,
            )
        )
    return found


@st.composite
def steps(draw: st.DrawFn) -> list[tuple[int, int, int, int]]:
    """Run days as gaps of 1-40 days (outages included), with a credit purchase each."""
    return draw(
        st.lists(
            st.tuples(
                st.integers(1, 40), st.integers(0, 150), st.integers(0, 60), st.integers(0, 5)
            ),
            min_size=1,
            max_size=12,
        )
    )


@given(accounts(), steps(), st.data())
def test_random_timelines_charge_each_period_once_and_conserve_money(
    start_accounts: list[Account], timeline: list[tuple[int, int, int, int]], data: st.DataObject
) -> None:
    """Random runs, purchases and gateway answers keep every billing invariant."""
    accounts_by_id = {a.id: a for a in start_accounts}
    invoices: dict[str, Invoice] = {}
    by_period: dict[str, str] = {}
    ledger = Ledger()
    gateway = FakeGateway()
    day, number = START, 1

    def record(movements: Sequence[Movement]) -> None:
        nonlocal ledger
        for movement in movements:
            ledger = ledger.record(movement)

    def run(today: date) -> int:
        nonlocal number
        made = 0
        for account_id in sorted(accounts_by_id):
            account = accounts_by_id[account_id]
            for due in due_periods(account, today):
                assert due.key not in by_period, "a period was invoiced twice"
                figures = price_due(CATALOG, due, reseller_rate=Decimal("0.15"))
                billed = bill_period(
                    account,
                    due,
                    figures,
                    invoice_id=f"inv-{number}",
                    number=number,
                    issued_on=today,
                )
                number += 1
                account = billed.account
                invoices[billed.invoice.id] = billed.invoice
                by_period[due.key] = billed.invoice.id
                made += 1
            accounts_by_id[account_id] = account
        return made

    def pay(today: date) -> None:
        for invoice_id in sorted(invoices):
            invoice = invoices[invoice_id]
            if invoice.status is InvoiceStatus.PENDING:
                result = gateway.lookup(reconcile_key(invoice))
                invoices[invoice_id] = apply_charge_result(invoice, result, today=today).invoice
                continue
            if invoice.status is not InvoiceStatus.OPEN or (
                invoice.next_retry_on is not None and invoice.next_retry_on > today
            ):
                continue
            wallet = account_wallet(invoice.account_id or "")
            start = start_payment(
                invoice,
                profile=CARD,
                earmarked=Money(ledger.balance(wallet, CreditKind.PREPAID), invoice.currency),
                pool=Money(
                    ledger.balance(profile_wallet("card-main"), CreditKind.PREPAID),
                    invoice.currency,
                ),
                on=today,
            )
            record(start.movements)
            invoice = start.invoice
            if start.charge is not None:
                shown = data.draw(charge_outcomes)
                result = gateway.charge(start.charge, shown, data.draw(final_charge_outcomes))
                settlement = apply_charge_result(invoice, result, today=today)
                invoice = settlement.invoice
                if settlement.expire_account and invoice.account_id:
                    expired = attrs.evolve(
                        accounts_by_id[invoice.account_id],
                        status=AccountStatus.EXPIRED,
                        expired_on=today,
                    )
                    accounts_by_id[invoice.account_id] = expired
            invoices[invoice_id] = invoice

    for gap, pool_topup, earmark, upgrade_on in timeline:
        day += timedelta(days=gap)
        if pool_topup:
            record(
                [
                    Movement(
                        f"buy-{day}",
                        "ACME-DIGITAL",
                        CreditKind.PREPAID,
                        Decimal(pool_topup),
                        OUTSIDE,
                        profile_wallet("card-main"),
                        day,
                        "bought",
                    )
                ]
            )
        if earmark:
            record(
                [
                    Movement(
                        f"earmark-{day}",
                        "ACME-DIGITAL",
                        CreditKind.PREPAID,
                        Decimal(earmark),
                        OUTSIDE,
                        account_wallet("acc-0"),
                        day,
                        "bought for acc-0",
                    )
                ]
            )
        run(day)
        pay(day)
        assert run(day) == 0, "a second run over the same dates billed again"
        if upgrade_on == 0:
            _upgrade_first_account(accounts_by_id, invoices, day, record)

    for invoice_id, invoice in sorted(invoices.items()):
        if invoice.status is InvoiceStatus.PENDING:  # reconcile what is still in flight
            answer = gateway.lookup(reconcile_key(invoice))
            invoices[invoice_id] = apply_charge_result(invoice, answer, today=day).invoice
    for account in accounts_by_id.values():
        billed = [i for i in invoices.values() if i.account_id == account.id and i.period_key]
        assert len(billed) == account.next_period
    assert all(balance >= 0 for balance in ledger.totals.values())
    currency = CATALOG.currency
    total = Money.total((i.total for i in invoices.values()), currency)
    prepaid = Money.total((i.paid_earmarked + i.paid_pool for i in invoices.values()), currency)
    card = Money.total((i.paid_card for i in invoices.values()), currency)
    still_open = Money.total((i.open_amount for i in invoices.values()), currency)
    assert total == prepaid + card + still_open
    assert card == Money.total(gateway.captured.values(), currency)
    spent = sum((m.quantity for m in ledger.movements if m.destination == SPENT), Decimal(0))
    assert spent == prepaid.amount
    paid_keys = [i.period_key for i in invoices.values() if i.period_key]
    assert len(paid_keys) == len(set(paid_keys))


def _upgrade_first_account(
    accounts_by_id: dict[str, Account],
    invoices: dict[str, Invoice],
    day: date,
    record: Callable[[Sequence[Movement]], None],
) -> None:
    """Upgrade acc-0 now when it is paid up: credit the unused part, charge the rest."""
    account = accounts_by_id["acc-0"]
    if account.status is not AccountStatus.ACTIVE or account.anchor is None or day < account.anchor:
        return
    index, period = period_containing(account.anchor, account.plan.frequency or "monthly", day)
    if index >= account.next_period:
        return
    billed = [i for i in invoices.values() if i.period_key == f"{account.id}/{period.start}"]
    if not billed:
        return
    new_plan = attrs.evolve(account.plan, tier="professional")
    new_net = CATALOG.cycle_price(new_plan, reseller_rate=Decimal("0.15")).net
    change = prorate_change(billed[0].total, new_net, period, day)
    assert change.credit + change.charge == change.net
    invoice = build_change_invoice(
        change,
        agency_id="ACME-DIGITAL",
        account_id=account.id,
        profile_id="card-main",
        period=period,
        invoice_id=f"chg-{day}",
        number=10_000 + len(invoices),
        issued_on=day,
        old_plan=account.plan.tier,
        new_plan="professional",
    )
    assert invoice.total == change.net
    settled, movement = settle_negative(invoice, on=day)
    if movement is not None:
        record([movement])
    assert not settled.total.is_negative()
    invoices[settled.id] = settled
    accounts_by_id["acc-0"] = attrs.evolve(account, plan=new_plan)


@given(
    st.decimals(0, 10_000, places=2),
    st.decimals(0, 10_000, places=2),
    st.decimals(0, 10_000, places=2),
)
def test_payment_plan_parts_add_up_in_order(
    total: Decimal, earmark: Decimal, pool: Decimal
) -> None:
    """Earmark, pool and card add up to the total; the card pays only what credit cannot."""
    plan = plan_payment(Money(total, "USD"), Money(earmark, "USD"), Money(pool, "USD"))
    assert plan.earmarked + plan.pool + plan.card == Money(total, "USD")
    assert plan.earmarked == Money(min(total, earmark), "USD")
    assert plan.card == Money(max(total - earmark - pool, Decimal(0)), "USD")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["outside", "a", "b", "spent"]),
            st.sampled_from(["a", "b", "spent"]),
            st.integers(1, 50),
        ),
        max_size=30,
    )
)
def test_ledger_balances_never_negative_and_refusals_change_nothing(
    moves: list[tuple[str, str, int]],
) -> None:
    """Random moves: accepted ones keep balances >= 0, refused ones leave the ledger as is."""
    ledger = Ledger()
    for n, (source, destination, quantity) in enumerate(moves):
        movement = Movement(
            f"m{n}",
            "ACME-DIGITAL",
            CreditKind.SMS,
            Decimal(quantity),
            source,
            destination,
            START,
            "random",
        )
        try:
            ledger = ledger.record(movement)
        except ResellError:
            assert movement.id not in ledger.by_id
        assert all(balance >= 0 for balance in ledger.totals.values())
    assert balances(ledger.movements) == dict(ledger.totals)
