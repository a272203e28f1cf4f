"""The payment and payout gateway contracts: idempotency keys and look-ups, of charges,
refunds and payouts."""

from __future__ import annotations

import pytest

from resell_core.billing.gateway import (
    ChargeOutcome,
    ChargeRequest,
    PayoutOutcome,
    PayoutRequest,
    RefundOutcome,
    RefundRequest,
)
from resell_core.errors import IdempotencyConflict
from resell_core.money import Money
from resell_core.ports import PaymentGateway, PayoutGateway

__all__ = ["PaymentGatewayContract", "PayoutGatewayContract"]


def _charge(card: str, key: str = "invoice-1/attempt-1", amount: str = "40.00") -> ChargeRequest:
    return ChargeRequest(
        key, "agency-acme", "profile-visa", card, Money(amount, "USD"), "north-bakery"
    )


def _refund(card: str, key: str = "refund:credit-note-1", amount: str = "15.00") -> RefundRequest:
    return RefundRequest(
        key,
        "agency-acme",
        "profile-visa",
        card,
        Money(amount, "USD"),
        "invoice-1/attempt-1",
        "credit note CN-1 of invoice 1",
    )


class _RefundContract:
    """Refunds (CN2), part of the payment gateway contract."""

    def test_a_refund_of_a_charge_made_succeeds_and_is_looked_up_by_its_key(
        self, payment_gateway: PaymentGateway, approved_card: str
    ) -> None:
        """Part of a charge made goes back; the refund is found by its own key."""
        payment_gateway.charge(_charge(approved_card))
        result = payment_gateway.refund(_refund(approved_card))
        assert result.outcome is RefundOutcome.SUCCEEDED
        assert payment_gateway.lookup_refund("refund:credit-note-1") == result

    def test_the_same_refund_key_answers_the_first_result(
        self, payment_gateway: PaymentGateway, approved_card: str
    ) -> None:
        """A refund sent again under its key refunds nothing more: the first answer."""
        payment_gateway.charge(_charge(approved_card))
        first = payment_gateway.refund(_refund(approved_card))
        assert payment_gateway.refund(_refund(approved_card)) == first

    def test_the_same_refund_key_for_another_refund_is_a_conflict(
        self, payment_gateway: PaymentGateway, approved_card: str
    ) -> None:
        """Reusing a refund key for another amount raises IdempotencyConflict."""
        payment_gateway.charge(_charge(approved_card))
        payment_gateway.refund(_refund(approved_card))
        with pytest.raises(IdempotencyConflict):
            payment_gateway.refund(_refund(approved_card, amount="16.00"))

    def test_an_unknown_refund_key_is_looked_up_as_none(
        self, payment_gateway: PaymentGateway
    ) -> None:
        """lookup_refund() of a key never refunded is None."""
        assert payment_gateway.lookup_refund("refund:credit-note-404") is None


class PaymentGatewayContract(_RefundContract):
    """Needs ``payment_gateway``; ``approved_card`` is a token the gateway accepts (charges
    and refunds)."""

    @pytest.fixture
    def approved_card(self) -> str:
        """A card token that the gateway charges successfully."""
        return "tok_ok"

    def test_a_charge_with_an_approved_card_succeeds(
        self, payment_gateway: PaymentGateway, approved_card: str
    ) -> None:
        """An approved card is charged, and the charge can be looked up by its key."""
        result = payment_gateway.charge(_charge(approved_card))
        assert result.outcome is ChargeOutcome.SUCCEEDED
        assert payment_gateway.lookup("invoice-1/attempt-1") == result

    def test_same_key_and_request_answer_the_first_result(
        self, payment_gateway: PaymentGateway, approved_card: str
    ) -> None:
        """Charging again under the same key returns the first result."""
        first = payment_gateway.charge(_charge(approved_card))
        assert payment_gateway.charge(_charge(approved_card)) == first

    def test_same_key_other_request_is_a_conflict(
        self, payment_gateway: PaymentGateway, approved_card: str
    ) -> None:
        """Reusing a key for another amount raises IdempotencyConflict."""
        payment_gateway.charge(_charge(approved_card))
        with pytest.raises(IdempotencyConflict):
            payment_gateway.charge(_charge(approved_card, amount="41.00"))

    def test_an_unknown_key_is_looked_up_as_none(self, payment_gateway: PaymentGateway) -> None:
        """lookup() of a key never charged is None."""
        assert payment_gateway.lookup("invoice-404/attempt-1") is None


class PayoutGatewayContract:
    """Needs ``payout_gateway``; ``payable_email`` is an address the gateway pays."""

    @pytest.fixture
    def payable_email(self) -> str:
        """A PayPal address the gateway pays."""
        return "payouts@acme.test"

    def test_same_key_pays_once(self, payout_gateway: PayoutGateway, payable_email: str) -> None:
        """Paying twice under one key answers the first result; lookup() finds it."""
        request = PayoutRequest(
            "agency-acme/2024-05", "agency-acme", payable_email, Money("120", "USD")
        )
        first = payout_gateway.pay(request)
        assert first.outcome is PayoutOutcome.SUCCEEDED
        assert payout_gateway.pay(request) == first
        assert payout_gateway.lookup("agency-acme/2024-05") == first
        assert payout_gateway.lookup("agency-acme/2024-06") is None

    def test_same_key_other_payout_is_a_conflict(
        self, payout_gateway: PayoutGateway, payable_email: str
    ) -> None:
        """Reusing a key for another amount raises IdempotencyConflict."""
        payout_gateway.pay(PayoutRequest("k", "agency-acme", payable_email, Money("120", "USD")))
        with pytest.raises(IdempotencyConflict):
            payout_gateway.pay(PayoutRequest("k", "agency-acme", payable_email, Money("99", "USD")))
