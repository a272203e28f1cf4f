"""The payment and payout gateway contracts: idempotency keys and look-ups."""

from __future__ import annotations

import pytest

from resell_core.billing.gateway import ChargeOutcome, ChargeRequest, PayoutOutcome, PayoutRequest
from resell_core.errors import IdempotencyConflict
from resell_core.money import Money
from resell_core.ports import PaymentGateway, PayoutGateway

__all__ = ["PaymentGatewayContract", "PayoutGatewayContract"]


def _charge(card: str, key: str = "invoice-1/attempt-1", amount: str = "40.00") -> ChargeRequest:
    return ChargeRequest(
        key, "agency-acme", "profile-visa", card, Money(amount, "USD"), "north-bakery"
    )


class PaymentGatewayContract:
    """Needs ``payment_gateway``; ``approved_card`` is a token the gateway accepts."""

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
