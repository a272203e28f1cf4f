"""Credits, notices and commissions (C1-C6, B4, B8, S1, S2, K1-K4)."""

from __future__ import annotations

import ast
import inspect
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest

from resell_core import billing
from resell_core.billing.commissions import (
    CommissionProgram,
    StatementStatus,
    carried_after_payout,
    monthly_statement,
    refer,
)
from resell_core.billing.credits import (
    apply_inbox_previews,
    assign_credits,
    credits_bought,
    credits_purchase_invoice,
    use_sms,
)
from resell_core.billing.gateway import PayoutOutcome, PayoutResult
from resell_core.billing.ledger import (
    OUTSIDE,
    CreditKind,
    Ledger,
    Movement,
    account_wallet,
    agency_wallet,
    balances,
    profile_wallet,
)
from resell_core.billing.notices import NoticeKind, invoice_declined, notice_recipients
from resell_core.billing.payment import (
    PaymentDecision,
    Settlement,
    apply_charge_result,
    settlement_notices,
    start_payment,
)
from resell_core.errors import (
    CreditNotAllowed,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidInput,
    PaymentError,
)
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing.selection import PlanSelection

DAY = date(2024, 3, 1)
PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
STARTER = PlanSelection("V3", "marketing", "starter", 2500, "monthly")
MARCH = Period(date(2024, 3, 1), date(2024, 4, 1))


def _account(**changes: Any) -> Account:
    base = Account(
        id="acc-north-bakery",
        agency_id="ACME-DIGITAL",
        name="north-bakery",
        client_name="North Bakery",
        notification_email="alerts@acme-digital.test",
        country="US",
        region="us",
        language="en",
        timezone="UTC",
        plan=PLUS,
        created_on=date(2024, 1, 1),
        status=AccountStatus.ACTIVE,
        billing_profile_id="card-main",
        anchor=date(2024, 1, 1),
    )
    return attrs.evolve(base, **changes)


def _move(mid: str, kind: CreditKind, qty: str, source: str, destination: str) -> Movement:
    return Movement(mid, "ACME-DIGITAL", kind, Decimal(qty), source, destination, DAY, "test")


def _bought(kind: CreditKind, quantity: int, account_id: str | None = None) -> Movement:
    invoice = credits_purchase_invoice(
        kind,
        quantity,
        Money("0.05", "USD"),
        agency_id="ACME-DIGITAL",
        profile_id="card-main",
        account_id=account_id,
        invoice_id=f"inv-{kind}",
        number=1,
        issued_on=DAY,
    )
    paid = start_payment(
        invoice, profile=None, earmarked=Money(0, "USD"), pool=Money(10**6, "USD"), on=DAY
    ).invoice
    return credits_bought(paid, kind, quantity, DAY)


def test_C1_three_kinds_of_credit_are_bought_then_assigned() -> None:
    """Prepaid money, SMS and inbox-preview credits each land in their wallet."""
    ledger = Ledger.of(
        [
            _bought(CreditKind.PREPAID, 200),
            _bought(CreditKind.SMS, 500),
            _bought(CreditKind.INBOX_PREVIEW, 40),
            assign_credits(CreditKind.SMS, 100, account=_account(), movement_id="a1", on=DAY),
        ]
    )
    assert ledger.balance(profile_wallet("card-main"), CreditKind.PREPAID) == 200
    assert ledger.balance(agency_wallet("ACME-DIGITAL"), CreditKind.SMS) == 400
    assert ledger.balance(account_wallet("acc-north-bakery"), CreditKind.SMS) == 100
    assert ledger.balance(agency_wallet("ACME-DIGITAL"), CreditKind.INBOX_PREVIEW) == 40


def test_C1_credits_arrive_only_once_their_invoice_is_paid() -> None:
    """An unpaid credits invoice brings nothing in."""
    invoice = credits_purchase_invoice(
        CreditKind.SMS,
        500,
        Money("0.05", "USD"),
        agency_id="ACME-DIGITAL",
        profile_id="card-main",
        account_id=None,
        invoice_id="inv-1",
        number=1,
        issued_on=DAY,
    )
    assert invoice.total == Money("25.00", "USD")
    with pytest.raises(PaymentError):
        credits_bought(invoice, CreditKind.SMS, 500, DAY)


def test_C2_credits_purchase_is_paid_from_prepaid_before_the_card() -> None:
    """Buying SMS credits spends the pool first; the card pays only the rest."""
    invoice = credits_purchase_invoice(
        CreditKind.SMS,
        1000,
        Money("0.05", "USD"),
        agency_id="ACME-DIGITAL",
        profile_id="card-main",
        account_id=None,
        invoice_id="inv-1",
        number=1,
        issued_on=DAY,
    )
    start = start_payment(
        invoice, profile=None, earmarked=Money(0, "USD"), pool=Money(50, "USD"), on=DAY
    )
    assert (start.charge, start.invoice.paid_pool) == (None, Money("50.00", "USD"))


def test_B4_prepaid_credit_bought_on_the_first_covers_the_months_charges() -> None:
    """Credit bought ahead pays later recurring invoices with no card charge."""
    ledger = Ledger.of([_bought(CreditKind.PREPAID, 300)])
    pool = ledger.balance(profile_wallet("card-main"), CreditKind.PREPAID)
    invoice = billing.build_recurring_invoice(
        billing.DuePeriod(
            "acc-north-bakery",
            "ACME-DIGITAL",
            "card-main",
            2,
            MARCH,
            PLUS,
            "acc-north-bakery/2024-03-01",
        ),
        _Figures(Money("96.00", "USD")),
        invoice_id="inv-2",
        number=2,
        issued_on=DAY,
    )
    start = start_payment(
        invoice, profile=None, earmarked=Money(0, "USD"), pool=Money(pool, "USD"), on=DAY
    )
    ledger = Ledger.of([*ledger.movements, *start.movements])
    assert start.charge is None
    assert ledger.balance(profile_wallet("card-main"), CreditKind.PREPAID) == Decimal("204.00")


@attrs.frozen
class _Figures:
    net: Money

    @property
    def list_value(self) -> Money:
        return self.net

    @property
    def migration_discount(self) -> Money:
        return Money.zero(self.net.currency)

    @property
    def reseller_discount(self) -> Money:
        return Money.zero(self.net.currency)


def test_C3_credit_bought_for_one_account_is_used_by_it_first() -> None:
    """Credit bought for an account is earmarked and spent before the pool."""
    earmark = _bought(CreditKind.PREPAID, 30, account_id="acc-north-bakery")
    assert earmark.destination == account_wallet("acc-north-bakery")
    plan = billing.plan_payment(Money("96", "USD"), Money("30", "USD"), Money("500", "USD"))
    assert (plan.earmarked, plan.pool, plan.card) == (
        Money("30", "USD"),
        Money("66", "USD"),
        Money("0", "USD"),
    )


def test_C4_balance_derives_from_movements_and_never_goes_negative() -> None:
    """An overdrawing movement is refused and leaves the ledger as it was."""
    ledger = Ledger.of([_bought(CreditKind.PREPAID, 100)])
    overdraw = _move("m2", CreditKind.PREPAID, "100.01", profile_wallet("card-main"), "spent")
    with pytest.raises(InsufficientCredit):
        ledger.record(overdraw)
    assert balances(ledger.movements) == {(profile_wallet("card-main"), CreditKind.PREPAID): 100}


def test_C4_repeated_movement_id_is_harmless_or_a_conflict() -> None:
    """Same id and content is a no-op; same id with other content is refused."""
    first = _move("m1", CreditKind.SMS, "5", OUTSIDE, agency_wallet("ACME-DIGITAL"))
    ledger = Ledger().record(first)
    assert ledger.record(first) is ledger
    with pytest.raises(IdempotencyConflict):
        ledger.record(attrs.evolve(first, quantity=Decimal(6)))


def test_C4_malformed_movements_are_refused() -> None:
    """Zero, fractional units and moves to the same wallet are refused."""
    for bad in (
        _move("z", CreditKind.SMS, "0", OUTSIDE, "agency:x"),
        _move("f", CreditKind.SMS, "1.5", OUTSIDE, "agency:x"),
        _move("s", CreditKind.SMS, "1", "agency:x", "agency:x"),
    ):
        with pytest.raises(InvalidInput):
            Ledger().record(bad)


def test_C5_sms_credits_cannot_go_to_a_starter_account() -> None:
    """Assigning SMS credits to a starter account is refused; inbox previews are fine."""
    starter = _account(plan=STARTER)
    with pytest.raises(CreditNotAllowed):
        assign_credits(CreditKind.SMS, 10, account=starter, movement_id="a", on=DAY)
    fine = assign_credits(CreditKind.INBOX_PREVIEW, 10, account=starter, movement_id="b", on=DAY)
    assert fine.destination == account_wallet("acc-north-bakery")


def test_C6_inbox_preview_credits_apply_n_at_a_time_with_history() -> None:
    """Apply 3 then 2 previews: balance 5 left and the history lists every move."""
    account = _account()
    ledger = Ledger.of(
        [
            _bought(CreditKind.INBOX_PREVIEW, 10, account_id=account.id),
            apply_inbox_previews(account, 3, movement_id="use-1", on=DAY),
            apply_inbox_previews(account, 2, movement_id="use-2", on=DAY),
            _bought(CreditKind.SMS, 10, account_id=account.id),
            use_sms(account, 4, movement_id="sms-1", on=DAY),
        ]
    )
    wallet = account_wallet(account.id)
    assert ledger.balance(wallet, CreditKind.INBOX_PREVIEW) == 5
    assert [m.quantity for m in ledger.history(wallet, CreditKind.INBOX_PREVIEW)] == [10, 3, 2]
    with pytest.raises(InsufficientCredit):
        ledger.record(apply_inbox_previews(account, 6, movement_id="use-3", on=DAY))


def test_S1_S2_resold_account_notices_go_to_its_notification_email_only() -> None:
    """Billing notices of a resold account go to the agency-controlled address."""
    account = _account()
    assert notice_recipients(account, agency_email="ops@acme.test") == ("alerts@acme-digital.test",)
    assert notice_recipients(_account(notification_email=""), agency_email="ops@acme.test") == (
        "ops@acme.test",
    )


def test_S1_payment_failure_notices_the_agency_each_time() -> None:
    """Every declined attempt, each on its retry day, produces a notice to the
    notification email."""
    invoice = billing.build_purchase_invoice(
        kind=billing.LineKind.ADDON,
        description="dedicated IP",
        quantity=1,
        unit_price=Money("30", "USD"),
        agency_id="ACME-DIGITAL",
        account_id="acc-north-bakery",
        profile_id="card-main",
        invoice_id="inv-1",
        number=1,
        issued_on=DAY,
    )
    notices = []
    declined = billing.ChargeResult(billing.ChargeOutcome.DECLINED)
    day = DAY
    for _ in range(4):
        settlement = apply_charge_result(invoice, declined, today=day)
        notices += settlement_notices(settlement, _account(), agency_email="ops@acme.test")
        invoice, day = settlement.invoice, settlement.retry_on or day
    assert [n.kind for n in notices] == [NoticeKind.PAYMENT_FAILED] * 3 + [
        NoticeKind.DUNNING_EXHAUSTED,
    ]
    assert {n.to for n in notices} == {"alerts@acme-digital.test"}
    quiet = Settlement(invoice, PaymentDecision.RETRY_LATER, "k")
    assert settlement_notices(quiet, _account(), agency_email="ops@acme.test") == []


def test_S2_a_declined_purchase_of_the_agency_itself_is_told_to_the_agency() -> None:
    """SMS credits bought for the agency (no account) on a card that declines: the agency's
    own email hears of it, with the invoice's number and what is open."""
    invoice = billing.build_purchase_invoice(
        kind=billing.LineKind.CREDITS_PURCHASE,
        description="500 SMS credits",
        quantity=500,
        unit_price=Money("0.05", "USD"),
        agency_id="ACME-DIGITAL",
        account_id=None,
        profile_id="card-main",
        invoice_id="inv-9",
        number=9,
        issued_on=DAY,
    )

    notice = invoice_declined(invoice, agency_email="ops@acme.test")

    assert (notice.kind, notice.to, notice.agency_id, notice.account_id) == (
        NoticeKind.PAYMENT_FAILED,
        "ops@acme.test",
        "ACME-DIGITAL",
        None,
    )
    assert notice.subject == "Invoice 9: payment declined"
    assert notice.body.startswith("Invoice 9 (USD 25.00) was declined.")


def test_K4_commission_accounts_clients_receive_their_own_notices() -> None:
    """A commission account's notices go to its own (client) address."""
    client = _account(kind=AccountKind.COMMISSION, notification_email="owner@north-bakery.test")
    assert notice_recipients(client, agency_email="ops@acme.test") == ("owner@north-bakery.test",)


def test_B8_billing_never_addresses_a_resold_accounts_client() -> None:
    """No billing module reads the client's name or any client address to send or bill."""
    for module in (
        billing.invoices,
        billing.payment,
        billing.notices,
        billing.credits,
        billing.due,
        billing.run,
        billing.commissions,
    ):
        tree = ast.parse(inspect.getsource(module))
        attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not {a for a in attributes if a.startswith("client")}, module.__name__
    invoice = billing.build_purchase_invoice(
        kind=billing.LineKind.ADDON,
        description="x",
        quantity=1,
        unit_price=Money("1", "USD"),
        agency_id="ACME-DIGITAL",
        account_id="acc-north-bakery",
        profile_id="card-main",
        invoice_id="i",
        number=1,
        issued_on=DAY,
    )
    assert invoice.agency_id == "ACME-DIGITAL"


def test_K1_commission_accounts_are_referred_with_the_agencys_code() -> None:
    """A referral needs a commission account and the agency's own referral code."""
    client = _account(kind=AccountKind.COMMISSION)
    referral = refer(client, referral_code="ACME10", agency_referral_code="ACME10", on=DAY)
    assert (referral.account_id, referral.referral_code) == ("acc-north-bakery", "ACME10")
    with pytest.raises(InvalidInput) as caught:
        refer(_account(), referral_code="OTHER", agency_referral_code="ACME10", on=DAY)
    assert len(caught.value.problems) == 2
    with pytest.raises(CreditNotAllowed):
        assign_credits(CreditKind.SMS, 1, account=client, movement_id="a", on=DAY)


def _statement(
    paypal: str | None, revenue: str = "600", active: int = 2, carried: str = "0"
) -> billing.CommissionStatement:
    accounts = [
        _account(id=f"ref-{n}", kind=AccountKind.COMMISSION, status=AccountStatus.ACTIVE)
        for n in range(active)
    ]
    referrals = (
        [refer(accounts[0], referral_code="C", agency_referral_code="C", on=date(2024, 1, 5))]
        if accounts
        else []
    )
    income = {a.id: Money(revenue, "USD") for a in accounts[:1]}
    return monthly_statement(
        agency_id="ACME-DIGITAL",
        agency_email="ops@acme.test",
        month=MARCH,
        accounts=accounts,
        revenue=income,
        referrals=referrals,
        carried_in=Money(carried, "USD"),
        paypal_email=paypal,
    )


def test_K2_commission_is_paid_by_paypal_at_the_tier_rate() -> None:
    """$600 referred at 20 % is $120 due, paid out to the PayPal email."""
    statement = _statement("payouts@acme.test")
    assert (statement.rate, statement.earned, statement.status) == (
        Decimal("0.20"),
        Money("120.00", "USD"),
        StatementStatus.PAYABLE,
    )
    assert statement.payout is not None
    assert (statement.payout.paypal_email, statement.payout.amount) == (
        "payouts@acme.test",
        Money("120.00", "USD"),
    )
    assert carried_after_payout(statement, PayoutResult(PayoutOutcome.SUCCEEDED)).is_zero()
    assert carried_after_payout(statement, PayoutResult(PayoutOutcome.DECLINED)) == statement.due


def test_K2_tiers_rise_with_referred_revenue() -> None:
    """20 % below $1,000, 25 % from $1,000, 30 % from $5,000."""
    program = CommissionProgram.sample()
    rates = [program.rate_for(Money(v, "USD")) for v in ("999.99", "1000", "5000")]
    assert rates == [Decimal("0.20"), Decimal("0.25"), Decimal("0.30")]


def test_K2_below_threshold_is_carried_over() -> None:
    """One active referral or under $100 due: nothing is paid, all is carried over."""
    few = _statement("payouts@acme.test", active=1)
    small = _statement("payouts@acme.test", revenue="100")
    assert (few.status, few.payout, few.carried_out) == (
        StatementStatus.BELOW_THRESHOLD,
        None,
        Money("120.00", "USD"),
    )
    assert small.status is StatementStatus.BELOW_THRESHOLD
    carried = _statement("payouts@acme.test", revenue="100", carried="90")
    assert (carried.due, carried.status) == (Money("110.00", "USD"), StatementStatus.PAYABLE)


def test_K2_payout_without_paypal_email_is_held_and_the_agency_told() -> None:
    """No PayPal email: the payout is held, carried over, and the agency notified."""
    statement = _statement(None)
    assert (statement.status, statement.payout) == (StatementStatus.HELD, None)
    assert statement.carried_out == Money("120.00", "USD")
    assert [(n.kind, n.to) for n in statement.notices] == [
        (NoticeKind.PAYOUT_HELD, "ops@acme.test"),
    ]


def test_K3_commission_revenue_is_not_invoiced_to_the_agency() -> None:
    """A commission account's statuses never make it billable."""
    client = _account(kind=AccountKind.COMMISSION)
    assert not billing.is_billable(client)
    assert billing.due_periods(client, date(2030, 1, 1)) == []


def test_C7_a_reported_use_is_one_movement_per_usage_id_and_never_overdraws() -> None:
    """The movement's id comes from the account and the usage id: the same report again
    is harmless, other figures under it conflict, and a use beyond the balance is
    refused."""
    account = _account()
    use = billing.usage_movement(CreditKind.SMS, account, 4, usage_id="sms-1", on=DAY)
    ledger = Ledger.of([_bought(CreditKind.SMS, 10, account_id=account.id), use])

    assert use.id == f"usage/{account.id}/sms-1"
    assert ledger.record(use) is ledger
    with pytest.raises(IdempotencyConflict):
        ledger.record(billing.usage_movement(CreditKind.SMS, account, 5, usage_id="sms-1", on=DAY))
    with pytest.raises(InsufficientCredit):
        ledger.record(billing.usage_movement(CreditKind.SMS, account, 7, usage_id="sms-2", on=DAY))
    assert ledger.balance(account_wallet(account.id), CreditKind.SMS) == 6


def test_C7_only_unit_credits_are_used_in_whole_positive_counts() -> None:
    """Prepaid money is spent by invoices; a count is a whole number, 1 or more."""
    account = _account()

    assert billing.unit_kinds() == (CreditKind.SMS, CreditKind.INBOX_PREVIEW)
    for kind, count in ((CreditKind.PREPAID, 1), (CreditKind.SMS, 0), (CreditKind.SMS, True)):
        with pytest.raises(InvalidInput):
            billing.usage_movement(kind, account, count, usage_id="u-1", on=DAY)
