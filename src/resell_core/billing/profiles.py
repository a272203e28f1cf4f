"""Billing profiles: the agency's cards, held as gateway tokens (rules B3, B5, B6)."""

from __future__ import annotations

import attrs

__all__ = ["BillingProfile"]


@attrs.define(eq=False)
class BillingProfile:
    """A card of the agency's, known only by the payment gateway's token (B3).

    The raw card number never reaches the library: ``card_token`` is what the gateway
    handed out, ``brand`` and ``last4`` are for display. Aggregates compare by ``id``;
    ``version`` is for optimistic concurrency.
    """

    id: str
    agency_id: str
    label: str
    card_token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    version: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BillingProfile) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)
