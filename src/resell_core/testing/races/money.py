"""Money races (M2, C2): a payment gateway that holds a charge in flight, and the suites.

:class:`HeldGateway` stands in front of any payment gateway and holds one chosen charge
in flight: while it is held, a callback runs the race's other side (an agency paying the
same invoice, buying credit...); the gateway's look-up does not know the key yet, and a
second charge under it is answered as a real gateway answers a key in use.
"""

from __future__ import annotations

from collections.abc import Callable

from resell_core.billing.gateway import ChargeOutcome, ChargeRequest, ChargeResult
from resell_core.errors import IdempotencyConflict
from resell_core.ports import PaymentGateway

__all__ = ["HeldGateway"]


class HeldGateway:
    """A payment gateway that holds one charge in flight while a callback runs.

    Args:
        inner: The gateway that makes the charges (e.g. a ``SimulatedGateway``).
    """

    def __init__(self, inner: PaymentGateway) -> None:
        self._inner = inner
        self._when: Callable[[ChargeRequest], bool] | None = None
        self._meanwhile: Callable[[ChargeRequest], None] | None = None
        self._held: ChargeRequest | None = None
        self.released = False
        """Whether the held charge was sent on (after the callback ran)."""

    def hold(
        self, when: Callable[[ChargeRequest], bool], meanwhile: Callable[[ChargeRequest], None]
    ) -> None:
        """Hold the first charge for which ``when`` is true, and run ``meanwhile`` with it
        before sending it on to the inner gateway."""
        self._when, self._meanwhile = when, meanwhile

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge through the inner gateway, holding the chosen charge in flight.

        Raises:
            IdempotencyConflict: The key of the charge in flight, for another request.
        """
        held = self._held
        if held is not None and request.idempotency_key == held.idempotency_key:
            if request != held:
                raise IdempotencyConflict(request.idempotency_key)
            return ChargeResult(
                ChargeOutcome.UNKNOWN, None, "a charge under this key is in progress: look it up"
            )
        when, meanwhile = self._when, self._meanwhile
        if held is None and not self.released and when is not None and when(request):
            assert meanwhile is not None
            self._held = request
            try:
                meanwhile(request)
            finally:
                self._held = None
                self.released = True
        return self._inner.charge(request)

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """Ask the inner gateway; the key of the charge in flight is not known yet."""
        held = self._held
        if held is not None and held.idempotency_key == idempotency_key:
            return None
        return self._inner.lookup(idempotency_key)
