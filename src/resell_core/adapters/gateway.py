"""A simulated payment gateway whose card tokens choose the outcome, like real test cards.

=====================  =====================================================================
card token             what happens
=====================  =====================================================================
``tok_ok`` (``tok_ok*``) succeeds
``tok_decline``        declined
``tok_decline_once``   the first charge with this token is declined, later ones succeed
``tok_pending``        pending (3-D Secure…) until :meth:`SimulatedGateway.settle`
``tok_timeout``        ``unknown`` to the caller, but the card *was* charged:
                       :meth:`~SimulatedGateway.lookup` (or a retry under the same key)
                       answers ``succeeded``
``tok_down``           ``not_attempted``: the gateway was unreachable, nothing happened
anything else          declined (unknown card token)
=====================  =====================================================================

Refunds (:meth:`SimulatedGateway.refund`) give back a charge it made, under the refund's
own key, and answer by the same tokens: ``tok_ok*`` and ``tok_decline_once`` succeed,
``tok_pending`` is pending until :meth:`SimulatedGateway.settle_refund`, ``tok_timeout``
answers ``unknown`` although the money was given back, ``tok_down`` is ``not_attempted``;
a refund fails for any other token, for a charge that never succeeded, and for more than
the charge's amount less what was refunded of it already.

It honours idempotency keys like a real gateway: the same key with the same request
answers the recorded result without charging again; the same key with another request
raises :class:`~resell_core.errors.IdempotencyConflict`. :attr:`SimulatedGateway.charges`
lists the charges that moved money, so that a test can prove nothing was charged twice.

Example:
    >>> from resell_core.billing.gateway import ChargeRequest
    >>> from resell_core.money import Money
    >>> gateway = SimulatedGateway()
    >>> request = ChargeRequest("inv-1/1", "ag-1", "prof-1", "tok_timeout",
    ...                         Money("49.00", "USD"), "north-bakery, May")
    >>> gateway.charge(request).outcome.value, gateway.lookup("inv-1/1").outcome.value
    ('unknown', 'succeeded')
    >>> gateway.charge(request).outcome.value, len(gateway.charges)
    ('succeeded', 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

from resell_core.billing.gateway import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    RefundOutcome,
    RefundRequest,
    RefundResult,
)
from resell_core.errors import IdempotencyConflict, InvalidInput, quoted
from resell_core.money import Money

__all__ = ["SimulatedGateway"]

_Request = TypeVar("_Request")
_Result = TypeVar("_Result")


class Replies(Generic[_Request, _Result]):
    """What a simulated gateway answered under each idempotency key, with its request."""

    def __init__(self) -> None:
        self.by_key: dict[str, tuple[_Request, _Result]] = {}

    def answer(
        self, key: str, request: _Request, act: Callable[[_Request], tuple[_Result, _Result | None]]
    ) -> _Result:
        """The result recorded under ``key``; for a new key, the answer of ``act``, which
        also says what to record (None: nothing was done, the key stays new).

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        known = self.by_key.get(key)
        if known is not None:
            if known[0] != request:
                raise IdempotencyConflict(key)
            return known[1]
        answer, done = act(request)
        if done is not None:
            self.record(key, request, done)
        return answer

    def record(self, key: str, request: _Request, result: _Result) -> None:
        """Keep ``result`` as the answer to ``request`` under ``key``."""
        self.by_key[key] = (request, result)

    def lookup(self, key: str) -> _Result | None:
        """The result recorded under ``key``, or None if nothing was done under it."""
        known = self.by_key.get(key)
        return None if known is None else known[1]

    def pending(
        self, key: str, waiting: Callable[[_Result], bool], what: str
    ) -> tuple[_Request, _Result]:
        """The request and result recorded under ``key`` while ``waiting`` (pending).

        Raises:
            InvalidInput: Nothing waiting was recorded under the key.
        """
        known = self.by_key.get(key)
        if known is None or not waiting(known[1]):
            raise InvalidInput.one(
                "settlement", "idempotency_key", f"no pending {what} has the key {quoted(key)}"
            )
        return known


class SimulatedGateway:
    """A payment gateway in memory (see the module doc for the card tokens)."""

    def __init__(self) -> None:
        self.charges: list[ChargeRequest] = []
        """Every charge that moved money, in order."""
        self.attempts: list[ChargeRequest] = []
        """Every request the gateway received (not those made while it was down)."""
        self._results = Replies[ChargeRequest, ChargeResult]()
        self.refunds: list[RefundRequest] = []
        """Every refund that gave money back, in order."""
        self._refunds = Replies[RefundRequest, RefundResult]()
        self._declined_once: set[str] = set()
        self._references = 0

    def _reference(self) -> str:
        self._references += 1
        return f"ch_{self._references:06d}"

    def _made(self, request: ChargeRequest, message: str = "") -> ChargeResult:
        self.charges.append(request)
        return ChargeResult(ChargeOutcome.SUCCEEDED, self._reference(), message, request.amount)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge the card at most once per idempotency key.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        return self._results.answer(request.idempotency_key, request, self._charge)

    def _charge(self, request: ChargeRequest) -> tuple[ChargeResult, ChargeResult | None]:
        """The answer to a new charge, and the result to record (None: nothing happened)."""
        token = request.card_token
        if token == "tok_down":
            unreachable = "the gateway is unreachable: try again later"
            return ChargeResult(ChargeOutcome.NOT_ATTEMPTED, None, unreachable), None
        self.attempts.append(request)
        answer: ChargeResult
        if token.startswith("tok_ok"):
            answer = recorded = self._made(request)
        elif token == "tok_timeout":
            recorded = self._made(request)
            answer = ChargeResult(
                ChargeOutcome.UNKNOWN, None, "the gateway did not answer in time: look it up"
            )
        elif token == "tok_pending":
            answer = recorded = ChargeResult(
                ChargeOutcome.PENDING, self._reference(), "waiting for the cardholder (3-D Secure)"
            )
        elif token == "tok_decline_once" and token not in self._declined_once:
            self._declined_once.add(token)
            answer = recorded = ChargeResult(ChargeOutcome.DECLINED, None, "card declined")
        elif token == "tok_decline_once":
            answer = recorded = self._made(request)
        elif token == "tok_decline":
            answer = recorded = ChargeResult(ChargeOutcome.DECLINED, None, "card declined")
        else:
            answer = recorded = ChargeResult(
                ChargeOutcome.DECLINED, None, f"unknown card token {quoted(token)}"
            )
        return answer, recorded

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """Return what became of the charge under the key, or None if it was never made."""
        return self._results.lookup(idempotency_key)

    def settle(self, idempotency_key: str, outcome: ChargeOutcome) -> ChargeResult:
        """Finish a pending charge (the cardholder passed or failed 3-D Secure).

        Raises:
            InvalidInput: No pending charge has this key, or ``outcome`` is not
                ``succeeded`` or ``declined``.
        """
        request, pending = self._results.pending(
            idempotency_key, lambda r: r.outcome is ChargeOutcome.PENDING, "charge"
        )
        if outcome not in (ChargeOutcome.SUCCEEDED, ChargeOutcome.DECLINED):
            raise InvalidInput.one(
                "settlement", "outcome", "a pending charge ends", ("succeeded", "declined")
            )
        if outcome is ChargeOutcome.SUCCEEDED:
            self.charges.append(request)
        charged = request.amount if outcome is ChargeOutcome.SUCCEEDED else None
        result = attrs.evolve(
            pending, outcome=outcome, message=f"3-D Secure {outcome}", amount=charged
        )
        self._results.record(idempotency_key, request, result)
        return result

    # -- refunds ----------------------------------------------------------------------------

    def refund(self, request: RefundRequest) -> RefundResult:
        """Give back (part of) a charge at most once per idempotency key.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        return self._refunds.answer(request.idempotency_key, request, self._refund)

    def _refunded(self, charge_key: str) -> Money | None:
        """What was given back of the charge under ``charge_key`` (refunds made or pending)."""
        given = [
            request.amount
            for request, result in self._refunds.by_key.values()
            if request.charge_key == charge_key
            and result.outcome in (RefundOutcome.SUCCEEDED, RefundOutcome.PENDING)
        ]
        return Money.total(given, given[0].currency) if given else None

    def _refusal(self, request: RefundRequest) -> str | None:
        """Why the refund cannot be made, or None."""
        charged = self._results.by_key.get(request.charge_key)
        if charged is None or charged[1].outcome is not ChargeOutcome.SUCCEEDED:
            return f"no charge succeeded under {quoted(request.charge_key)}"
        amount = charged[1].amount or charged[0].amount
        refunded = self._refunded(request.charge_key)
        left = amount if refunded is None else amount - refunded
        if request.amount.currency != amount.currency or request.amount > left:
            return f"{request.amount} is more than the {left} left to refund of the charge"
        token = request.card_token
        if not (token.startswith("tok_ok") or token in _REFUNDABLE):
            return f"the card {quoted(token)} takes no refund"
        return None

    def _refund(self, request: RefundRequest) -> tuple[RefundResult, RefundResult | None]:
        """The answer to a new refund, and the result to record (None: nothing happened)."""
        token = request.card_token
        if token == "tok_down":
            unreachable = "the gateway is unreachable: try again later"
            return RefundResult(RefundOutcome.NOT_ATTEMPTED, None, unreachable), None
        refusal = self._refusal(request)
        if refusal is not None:
            failed = RefundResult(RefundOutcome.FAILED, None, refusal)
            return failed, failed
        if token == "tok_pending":
            pending = RefundResult(RefundOutcome.PENDING, self._refund_reference(), "in progress")
            return pending, pending
        self.refunds.append(request)
        made = RefundResult(RefundOutcome.SUCCEEDED, self._refund_reference())
        if token == "tok_timeout":
            late = "the gateway did not answer in time: look it up"
            return RefundResult(RefundOutcome.UNKNOWN, None, late), made
        return made, made

    def _refund_reference(self) -> str:
        self._references += 1
        return f"re_{self._references:06d}"

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """Return what became of the refund under the key, or None if it was never made."""
        return self._refunds.lookup(idempotency_key)

    def settle_refund(self, idempotency_key: str, outcome: RefundOutcome) -> RefundResult:
        """Finish a pending refund (the card network confirmed or refused it).

        Raises:
            InvalidInput: No pending refund has this key, or ``outcome`` is not
                ``succeeded`` or ``failed``.
        """
        request, pending = self._refunds.pending(
            idempotency_key, lambda r: r.outcome is RefundOutcome.PENDING, "refund"
        )
        if outcome not in (RefundOutcome.SUCCEEDED, RefundOutcome.FAILED):
            raise InvalidInput.one(
                "settlement", "outcome", "a pending refund ends", ("succeeded", "failed")
            )
        if outcome is RefundOutcome.SUCCEEDED:
            self.refunds.append(request)
        result = attrs.evolve(pending, outcome=outcome, message=f"refund {outcome}")
        self._refunds.record(idempotency_key, request, result)
        return result


_REFUNDABLE = frozenset({"tok_decline_once", "tok_pending", "tok_timeout"})
"""Card tokens other than ``tok_ok*`` that take refunds."""
