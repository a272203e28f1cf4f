"""Faults injected at each step of a charge; a re-run charges nothing twice, loses nothing.

Every charge of the billing run takes three steps (``resell_core.service.billing``): a
unit of work stores the invoice with its charge in flight, the gateway is called under
the key ``charge_key(invoice, attempt)``, a second unit of work records the answer. The
run stores a page of due accounts in one unit of work, charges them, then records every
answer of the page in one more. Here the process "dies" (an exception no code catches) at
one chosen point of the second account's charge, on SQLite and on PostgreSQL, with pages of
one account and with one page holding every account; then billing runs again.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import resell_core as rc
from resell_core.adapters.clock import ManualClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.storage import SqlUnitOfWork
from resell_core.billing.ledger import OUTSIDE, SPENT, CreditKind, Movement, account_wallet
from resell_core.ports import PaymentGateway

from .seeding import BILLING_DAY, seed_due_accounts

ACME = "agency-acme"
ACCOUNTS = 3
VICTIM = 2
"""The charge at which the fault strikes (the second account's)."""
VICTIM_ACCOUNT = f"account-{VICTIM - 1:05d}"
EARMARKED = Decimal("10.00")
"""Prepaid credit earmarked for the victim's account: spent once, whatever happens."""


class Crash(Exception):
    """The process died here (nothing in the library catches it)."""


class Step(enum.StrEnum):
    """Where the fault strikes in the second account's charge."""

    STORING_INVOICE = "storing_invoice"  # the commit of the invoice and its charge in flight
    BEFORE_GATEWAY = "before_gateway"  # the call never reached the gateway
    AFTER_GATEWAY = "after_gateway"  # the card was charged, the answer was lost
    RECORDING_RESULT = "recording_result"  # the commit of the answer failed
    AFTER_RECORDING = "after_recording"  # the answer was committed, then the process died


class Faults:
    """A gateway in front of the simulated one, and a commit hook, that crash at one step."""

    def __init__(self, step: Step, gateway: SimulatedGateway, victim_period: str) -> None:
        self.step = step
        self.gateway = gateway
        self.victim_period = victim_period
        self.charges = 0
        self.fail_next_commit = False
        self.fail_after_commit = False
        self.struck = False

    def _strike(self) -> Crash:
        self.struck = True
        return Crash(self.step.value)

    def charge(self, request: rc.ChargeRequest) -> rc.ChargeResult:
        """Forward to the simulated gateway, crashing or arming a crash at the chosen step."""
        self.charges += 1
        armed = not self.struck
        if armed and self.step is Step.BEFORE_GATEWAY and self.charges == VICTIM:
            raise self._strike()
        result = self.gateway.charge(request)
        if armed and self.charges == VICTIM:
            if self.step is Step.AFTER_GATEWAY:
                raise self._strike()
            if self.step is Step.RECORDING_RESULT:
                self.fail_next_commit = True
            if self.step is Step.AFTER_RECORDING:
                self.fail_after_commit = True
        return result

    def lookup(self, idempotency_key: str) -> rc.ChargeResult | None:
        """Ask the simulated gateway (never faulty)."""
        return self.gateway.lookup(idempotency_key)

    def refund(self, request: rc.RefundRequest) -> rc.RefundResult:
        """Refund through the inner gateway."""
        return self.gateway.refund(request)

    def lookup_refund(self, idempotency_key: str) -> rc.RefundResult | None:
        """Look a refund up through the inner gateway."""
        return self.gateway.lookup_refund(idempotency_key)

    def commit(self, real: Callable[[SqlUnitOfWork], None], uow: SqlUnitOfWork) -> None:
        """Commit, unless this is the commit the fault strikes."""
        storing = (
            self.step is Step.STORING_INVOICE
            and not self.struck
            and uow.invoices.by_period_key(self.victim_period) is not None
        )
        if storing or self.fail_next_commit:
            self.fail_next_commit = False
            raise self._strike()
        real(uow)
        if self.fail_after_commit:
            self.fail_after_commit = False
            raise self._strike()


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest) -> SqlStorage:
    """An empty SQL storage: SQLite in memory, or a PostgreSQL scratch schema."""
    if request.param == "sqlite":
        return SqlStorage("sqlite://")
    scratch = request.getfixturevalue("scratch")
    found: SqlStorage = scratch.storage()
    return found


def portal_on(storage: SqlStorage, gateway: PaymentGateway) -> rc.PartnerPortal:
    """A portal on the storage whose clock shows the billing day."""
    secrets = SeededSecrets(7)
    return rc.PartnerPortal(
        storage=storage,
        gateway=gateway,
        payouts=SimulatedPayoutGateway(),
        notifier=RecordingNotifier(),
        provisioner=SimulatedProvisioner(),
        clock=ManualClock(datetime.combine(BILLING_DAY, datetime.min.time(), UTC)),
        ids=SequentialIds(),
        secrets=secrets,
        sso_secret=secrets.token_bytes(32),
        policies=rc.Policies.embedded(),
    )


def earmark(storage: SqlStorage) -> None:
    """Put prepaid credit on the victim's account (C3: it pays before the card)."""
    with storage.unit_of_work() as uow:
        uow.ledger.append(
            Movement(
                "movement-earmark",
                ACME,
                CreditKind.PREPAID,
                EARMARKED,
                OUTSIDE,
                account_wallet(VICTIM_ACCOUNT),
                BILLING_DAY,
                "prepaid bought for north-bakery",
            )
        )
        uow.commit()


def stored_at_the_crash(step: Step, page_size: int) -> int:
    """How many invoices were committed when the fault struck: whole pages, up to the
    victim's page (without it when the fault struck its commit)."""
    pages_before = (VICTIM - 1) // page_size
    stored_before = min(pages_before * page_size, ACCOUNTS)
    if step is Step.STORING_INVOICE:
        return stored_before
    return min(stored_before + page_size, ACCOUNTS)


@pytest.mark.parametrize("page_size", [1, 100], ids=["pages-of-one", "one-page"])
@pytest.mark.parametrize("step", list(Step))
def test_a_rerun_after_a_fault_at_each_step_charges_once_and_loses_nothing(
    storage: SqlStorage, step: Step, page_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The billing run dies at one step of a charge; after the re-run every account period
    is invoiced and charged exactly once, every invoice is paid by its one charge, and the
    agency's invoice numbers run 1..n without a gap."""
    seed_due_accounts(storage, ACCOUNTS, agencies=(ACME,))
    earmark(storage)
    gateway = SimulatedGateway()
    faults = Faults(step, gateway, f"{VICTIM_ACCOUNT}/{BILLING_DAY}")
    real_commit = SqlUnitOfWork.commit
    monkeypatch.setattr(SqlUnitOfWork, "commit", lambda uow: faults.commit(real_commit, uow))
    portal = portal_on(storage, faults)

    with pytest.raises(Crash):
        portal.run_billing(BILLING_DAY, page_size=page_size)
    crashed = portal.invoices(ACME)
    first = portal.run_billing(BILLING_DAY)
    second = portal.run_billing(BILLING_DAY)

    invoices = portal.invoices(ACME)
    keys = Counter(c.idempotency_key for c in gateway.charges)
    charged = Counter(key.split(":")[1] for key in keys)
    assert faults.struck
    assert len(crashed) == stored_at_the_crash(step, page_size)
    if page_size == 1:
        assert len(crashed) == (VICTIM - 1 if step is Step.STORING_INVOICE else VICTIM)
    assert first.errors == second.errors == ()
    assert second.invoices_created == second.invoices_paid == 0
    assert len(invoices) == ACCOUNTS
    assert len({i.account_id for i in invoices}) == ACCOUNTS
    assert sorted(keys.values()) == [1] * ACCOUNTS
    assert charged == {i.id: 1 for i in invoices}
    assert all(i.status is rc.InvoiceStatus.PAID for i in invoices)
    [victim] = [i for i in invoices if i.account_id == VICTIM_ACCOUNT]
    assert victim.paid_earmarked.amount == EARMARKED
    assert all(i.paid_card + i.paid_earmarked == i.total for i in invoices)
    cards = sum(c.amount.amount for c in gateway.charges)
    assert cards == sum(i.total.amount for i in invoices) - EARMARKED
    assert [i.number for i in invoices] == list(range(1, ACCOUNTS + 1))
    with storage.unit_of_work() as uow:
        assert uow.agencies.get(ACME).next_invoice_number == ACCOUNTS + 1
        assert uow.accounts.due(BILLING_DAY.replace(day=2)) == []
        wallet = account_wallet(VICTIM_ACCOUNT)
        assert uow.ledger.balance(ACME, wallet, CreditKind.PREPAID) == 0
        assert uow.ledger.balance(ACME, SPENT, CreditKind.PREPAID) == EARMARKED


class CommitFailsAfterCharge:
    """A gateway in front of the simulated one that makes the commit after a successful
    charge fail once (the answer is lost after the card was charged)."""

    def __init__(self, gateway: SimulatedGateway) -> None:
        self.gateway = gateway
        self.fail_next_commit = False
        self.struck = 0

    def charge(self, request: rc.ChargeRequest) -> rc.ChargeResult:
        """Charge, and arm the failure of the next commit when the card was charged."""
        result = self.gateway.charge(request)
        if result.outcome is rc.ChargeOutcome.SUCCEEDED and not self.struck:
            self.fail_next_commit = True
        return result

    def lookup(self, idempotency_key: str) -> rc.ChargeResult | None:
        """Ask the simulated gateway."""
        return self.gateway.lookup(idempotency_key)

    def refund(self, request: rc.RefundRequest) -> rc.RefundResult:
        """Refund through the inner gateway."""
        return self.gateway.refund(request)

    def lookup_refund(self, idempotency_key: str) -> rc.RefundResult | None:
        """Look a refund up through the inner gateway."""
        return self.gateway.lookup_refund(idempotency_key)

    def commit(self, real: Callable[[SqlUnitOfWork], None], uow: SqlUnitOfWork) -> None:
        """Commit, unless a charge just succeeded and this is the first commit after it."""
        if self.fail_next_commit:
            self.fail_next_commit = False
            self.struck += 1
            raise Crash("recording_result")
        real(uow)


@pytest.mark.parametrize("kind", ["prepaid", "sms"])
def test_M1_a_purchase_charged_but_not_recorded_is_settled_once_by_the_next_run(
    storage: SqlStorage, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ACME buys credit; the card is charged, then the commit of the answer fails. The
    next billing run reconciles the charge by its key: the invoice is paid by that one
    charge, the credit arrives exactly once, and a further run changes nothing."""
    seed_due_accounts(storage, 0, agencies=(ACME,))
    gateway = SimulatedGateway()
    faults = CommitFailsAfterCharge(gateway)
    real_commit = SqlUnitOfWork.commit
    monkeypatch.setattr(SqlUnitOfWork, "commit", lambda uow: faults.commit(real_commit, uow))
    portal = portal_on(storage, faults)
    quantity = Decimal(500)

    with pytest.raises(Crash):
        portal.buy_credits(ACME, kind, quantity, f"profile-{ACME}")
    [pending] = portal.invoices(ACME)
    first = portal.run_billing(BILLING_DAY)
    second = portal.run_billing(BILLING_DAY)

    [paid] = portal.invoices(ACME)
    credit = rc.CreditKind(kind)
    delivered = [m for m in portal.credit_history(ACME, credit) if m.source == OUTSIDE]
    assert faults.struck == 1
    assert pending.status is rc.InvoiceStatus.PENDING
    assert first.errors == second.errors == ()
    assert (first.invoices_paid, second.invoices_paid) == (1, 0)
    assert paid.status is rc.InvoiceStatus.PAID
    assert [c.amount for c in gateway.charges] == [paid.total]
    assert paid.paid_card == paid.total
    assert [m.quantity for m in delivered] == [quantity]
    held = portal.balances(ACME)
    assert (held.prepaid.amount if credit is rc.CreditKind.PREPAID else held.sms) == quantity
