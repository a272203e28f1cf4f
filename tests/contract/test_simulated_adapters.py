"""What the simulated adapters do beyond the contracts: test cards, delays, manual time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from resell_core.adapters.clock import ManualClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.billing.gateway import (
    ChargeOutcome,
    ChargeRequest,
    PayoutOutcome,
    PayoutRequest,
)
from resell_core.billing.notices import Notice, NoticeKind
from resell_core.errors import InvalidInput
from resell_core.money import Money
from resell_core.ports import ProvisioningOutcome


def charge(card: str, key: str = "invoice-7/attempt-1") -> ChargeRequest:
    return ChargeRequest(key, "agency-acme", "profile-visa", card, Money("40.00", "USD"), "May")


@pytest.mark.parametrize(
    ("card", "outcome", "charged"),
    [
        ("tok_ok", ChargeOutcome.SUCCEEDED, 1),
        ("tok_decline", ChargeOutcome.DECLINED, 0),
        ("tok_pending", ChargeOutcome.PENDING, 0),
        ("tok_timeout", ChargeOutcome.UNKNOWN, 1),
        ("tok_down", ChargeOutcome.NOT_ATTEMPTED, 0),
        ("tok_stolen", ChargeOutcome.DECLINED, 0),
    ],
)
def test_card_tokens_choose_the_outcome(card: str, outcome: ChargeOutcome, charged: int) -> None:
    """Each test card gives its outcome, and only money-moving outcomes are charges."""
    gateway = SimulatedGateway()
    assert gateway.charge(charge(card)).outcome is outcome
    assert len(gateway.charges) == charged


def test_timeout_is_reconciled_by_key_without_charging_twice() -> None:
    """An unknown result looks up as succeeded; retrying the key charges nothing more."""
    gateway = SimulatedGateway()
    gateway.charge(charge("tok_timeout"))
    looked_up = gateway.lookup("invoice-7/attempt-1")
    assert looked_up is not None
    assert looked_up.outcome is ChargeOutcome.SUCCEEDED
    assert gateway.charge(charge("tok_timeout")).outcome is ChargeOutcome.SUCCEEDED
    assert len(gateway.charges) == 1


def test_gateway_down_remembers_nothing_so_the_key_can_be_retried() -> None:
    """A not-attempted charge leaves no result under its key."""
    gateway = SimulatedGateway()
    gateway.charge(charge("tok_down"))
    assert gateway.lookup("invoice-7/attempt-1") is None


def test_decline_once_card_recovers_on_the_next_attempt() -> None:
    """tok_decline_once declines the first attempt and pays the second."""
    gateway = SimulatedGateway()
    first = gateway.charge(charge("tok_decline_once", "invoice-7/attempt-1"))
    second = gateway.charge(charge("tok_decline_once", "invoice-7/attempt-2"))
    assert (first.outcome, second.outcome) == (ChargeOutcome.DECLINED, ChargeOutcome.SUCCEEDED)
    assert [c.idempotency_key for c in gateway.charges] == ["invoice-7/attempt-2"]


def test_pending_charge_is_settled_later() -> None:
    """settle() turns a pending charge into a success that counts as charged."""
    gateway = SimulatedGateway()
    gateway.charge(charge("tok_pending"))
    settled = gateway.settle("invoice-7/attempt-1", ChargeOutcome.SUCCEEDED)
    assert settled.outcome is ChargeOutcome.SUCCEEDED
    assert gateway.lookup("invoice-7/attempt-1") == settled
    assert len(gateway.charges) == 1
    with pytest.raises(InvalidInput):
        gateway.settle("invoice-7/attempt-1", ChargeOutcome.SUCCEEDED)


@pytest.mark.parametrize(
    ("email", "outcome", "paid"),
    [
        ("pay@acme.test", PayoutOutcome.SUCCEEDED, 1),
        ("pay+decline@acme.test", PayoutOutcome.DECLINED, 0),
        ("pay+timeout@acme.test", PayoutOutcome.UNKNOWN, 1),
        ("pay+down@acme.test", PayoutOutcome.NOT_ATTEMPTED, 0),
    ],
)
def test_K2_payout_addresses_choose_the_outcome(
    email: str, outcome: PayoutOutcome, paid: int
) -> None:
    """Each test address gives its payout outcome; only sent payouts are listed."""
    gateway = SimulatedPayoutGateway()
    request = PayoutRequest("agency-acme/2024-05", "agency-acme", email, Money("120", "USD"))
    assert gateway.pay(request).outcome is outcome
    assert len(gateway.payouts) == paid


def test_A12_provisioner_reports_after_the_delay_and_fails_chosen_names() -> None:
    """Accounts are ready after N polls; a chosen name fails with the reason."""
    provisioner = SimulatedProvisioner(polls=2, failing_names={"broken-shop"}, reason="no capacity")
    provisioner.start("account-1", "north-bakery", "snapshot-9")
    provisioner.start("account-2", "Broken-Shop", None)
    assert provisioner.poll() == []
    assert provisioner.poll() == []
    reports = {r.account_id: r for r in provisioner.poll()}
    assert reports["account-1"].outcome is ProvisioningOutcome.READY
    assert (reports["account-2"].outcome, reports["account-2"].reason) == (
        ProvisioningOutcome.FAILED,
        "no capacity",
    )
    assert provisioner.in_progress == []
    assert provisioner.started[0] == ("account-1", "north-bakery", "snapshot-9")


def test_manual_clock_moves_only_when_told() -> None:
    """advance() and set() move the clock; going backwards by advance() is refused."""
    clock = ManualClock(datetime(2024, 1, 31, 12, tzinfo=UTC))
    clock.advance(days=29)
    assert clock.today() == date(2024, 2, 29)
    clock.set(date(2025, 1, 1))
    assert clock.now() == datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(InvalidInput):
        ManualClock(datetime(2024, 1, 1))  # noqa: DTZ001 - a naive time is what is refused


def test_sequential_ids_sort_in_creation_order_and_seeded_bytes_repeat() -> None:
    """Sequential ids sort as created; the same seed gives the same bytes."""
    ids = SequentialIds(width=2)
    made = [ids.new("invoice") for _ in range(120)]
    assert made[:2] == ["invoice-01", "invoice-02"]
    assert SeededSecrets(7).token_bytes(16) == SeededSecrets(7).token_bytes(16)
    assert SeededSecrets(7).token_bytes(16) != SeededSecrets(8).token_bytes(16)


def test_S1_recording_notifier_keeps_notices_by_address() -> None:
    """Notices are kept in order and found by address and kind."""
    notifier = RecordingNotifier()
    notifier.send(Notice(NoticeKind.PAYMENT_FAILED, "ops@acme.test", "Declined", "", "agency-acme"))
    notifier.send(Notice(NoticeKind.PAYOUT_SENT, "pay@acme.test", "Paid", "", "agency-acme"))
    assert [n.subject for n in notifier.to("OPS@acme.test")] == ["Declined"]
    assert [n.subject for n in notifier.of_kind(NoticeKind.PAYOUT_SENT)] == ["Paid"]
    notifier.clear()
    assert notifier.sent == []
