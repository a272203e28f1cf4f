"""A simulated PayPal payout gateway whose email addresses choose the outcome.

An address whose local part ends in ``+decline`` is declined, ``+timeout`` answers
``unknown`` although the money was sent (:meth:`SimulatedPayoutGateway.lookup` says
``succeeded``), ``+down`` answers ``not_attempted``; any other address is paid.
Idempotency keys work as in :class:`~resell_core.adapters.gateway.SimulatedGateway`.

Example:
    >>> from resell_core.billing.gateway import PayoutRequest
    >>> from resell_core.money import Money
    >>> payouts = SimulatedPayoutGateway()
    >>> payouts.pay(PayoutRequest("ag-1/2024-05", "ag-1", "pay@acme.test",
    ...                           Money("120.00", "USD"))).outcome.value
    'succeeded'
"""

from __future__ import annotations

from resell_core.adapters.gateway import Replies
from resell_core.billing.gateway import PayoutOutcome, PayoutRequest, PayoutResult

__all__ = ["SimulatedPayoutGateway"]


class SimulatedPayoutGateway:
    """A payout gateway in memory; :attr:`payouts` lists the payouts that sent money."""

    def __init__(self) -> None:
        self.payouts: list[PayoutRequest] = []
        self._results = Replies[PayoutRequest, PayoutResult]()

    def _sent(self, request: PayoutRequest) -> PayoutResult:
        self.payouts.append(request)
        return PayoutResult(PayoutOutcome.SUCCEEDED, f"po_{len(self.payouts):06d}")

    def pay(self, request: PayoutRequest) -> PayoutResult:
        """Pay at most once per idempotency key.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        return self._results.answer(request.idempotency_key, request, self._pay)

    def _pay(self, request: PayoutRequest) -> tuple[PayoutResult, PayoutResult | None]:
        """The answer to a new payout, and the result to record (None: nothing happened)."""
        local = request.paypal_email.partition("@")[0]
        if local.endswith("+down"):
            return PayoutResult(PayoutOutcome.NOT_ATTEMPTED, None, "PayPal is unreachable"), None
        answer: PayoutResult
        if local.endswith("+decline"):
            answer = recorded = PayoutResult(PayoutOutcome.DECLINED, None, "payout refused")
        elif local.endswith("+timeout"):
            recorded = self._sent(request)
            answer = PayoutResult(PayoutOutcome.UNKNOWN, None, "no answer in time: look it up")
        else:
            answer = recorded = self._sent(request)
        return answer, recorded

    def lookup(self, idempotency_key: str) -> PayoutResult | None:
        """Return what became of the payout under the key, or None if none was made."""
        return self._results.lookup(idempotency_key)
