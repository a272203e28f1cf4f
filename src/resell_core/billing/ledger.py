"""The credit ledger: append-only movements of prepaid money and units (C1-C6).

Every movement moves a positive quantity of one kind of credit from a source wallet to
a destination wallet. Balances are derived from the movements and never go negative:
a movement that would overdraw its source is refused and changes nothing. Only the
``outside`` wallet (where bought money and units come from) has no balance. A movement
recorded again with the same id and content is a harmless no-op; with other content it
is an :class:`~resell_core.errors.IdempotencyConflict`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import attrs

from resell_core.errors import FieldProblem, IdempotencyConflict, InsufficientCredit, InvalidInput

__all__ = [
    "OUTSIDE",
    "SPENT",
    "CreditKind",
    "Ledger",
    "Movement",
    "account_wallet",
    "agency_wallet",
    "balances",
    "check_movement",
    "profile_wallet",
]

OUTSIDE = "outside"
"""The wallet money or units come from when they are bought."""

SPENT = "spent"
"""The wallet money or units go to when a charge or a use consumes them."""


def profile_wallet(profile_id: str) -> str:
    """Name the prepaid pool of a billing profile."""
    return f"profile:{profile_id}"


def account_wallet(account_id: str) -> str:
    """Name an account's wallet (earmarked prepaid credit, assigned units)."""
    return f"account:{account_id}"


def agency_wallet(agency_id: str) -> str:
    """Name the agency's wallet of bought units not yet assigned to an account."""
    return f"agency:{agency_id}"


class CreditKind(enum.StrEnum):
    """The three kinds of credit an agency buys (C1)."""

    PREPAID = "prepaid"
    SMS = "sms"
    INBOX_PREVIEW = "inbox_preview"


@attrs.frozen
class Movement:
    """One move of credit from one wallet to another.

    ``quantity`` is money in the agency's currency for prepaid credit and a count of
    units otherwise; it is positive. ``id`` is unique: recording a movement again with
    the same id and content is harmless.
    """

    id: str
    agency_id: str
    kind: CreditKind
    quantity: Decimal
    source: str
    destination: str
    on: date
    reason: str
    invoice_id: str | None = None


Balances = Mapping[tuple[str, CreditKind], Decimal]
"""Balance per (wallet, kind of credit); a missing wallet holds nothing."""


def check_movement(movement: Movement, balances: Balances) -> None:
    """Refuse a movement that is malformed or would overdraw its source.

    Args:
        movement: The movement to record.
        balances: The balances before it.

    Raises:
        InvalidInput: When the quantity is not positive (or not whole for units), or the
            source and destination are the same wallet.
        InsufficientCredit: When the source wallet holds less than the quantity.
    """
    problems = []
    if movement.quantity <= 0:
        problems.append(FieldProblem("quantity", "move a positive quantity"))
    elif (
        movement.kind is not CreditKind.PREPAID
        and movement.quantity != movement.quantity.to_integral_value()
    ):
        problems.append(FieldProblem("quantity", "units of credit move in whole numbers"))
    if movement.source == movement.destination:
        problems.append(FieldProblem("destination", "move credit to another wallet"))
    if problems:
        raise InvalidInput("credit movement", problems)
    if movement.source == OUTSIDE:
        return
    held = balances.get((movement.source, movement.kind), Decimal(0))
    if held < movement.quantity:
        raise InsufficientCredit(
            f"{movement.source} holds {held} {movement.kind} credit, less than the "
            f"{movement.quantity} asked for: buy more credit or move less"
        )


@attrs.frozen
class Ledger:
    """The movements recorded so far and the balances they give.

    Example:
        >>> ledger = Ledger().record(Movement("m1", "acme", CreditKind.SMS, Decimal(500),
        ...     OUTSIDE, "agency:acme", date(2024, 3, 1), "bought"))
        >>> ledger.balance("agency:acme", CreditKind.SMS)
        Decimal('500')
    """

    movements: tuple[Movement, ...] = ()
    by_id: Mapping[str, Movement] = attrs.field(factory=dict, repr=False)
    totals: Mapping[tuple[str, CreditKind], Decimal] = attrs.field(factory=dict, repr=False)

    @classmethod
    def of(cls, movements: Iterable[Movement]) -> Ledger:
        """Replay movements into a ledger (each is checked as it is recorded)."""
        ledger = cls()
        for movement in movements:
            ledger = ledger.record(movement)
        return ledger

    def record(self, movement: Movement) -> Ledger:
        """Return the ledger with one more movement.

        Raises:
            IdempotencyConflict: When the id was used for another movement.
            InvalidInput: When the movement is malformed.
            InsufficientCredit: When it would overdraw its source.
        """
        seen = self.by_id.get(movement.id)
        if seen is not None:
            if seen == movement:
                return self
            raise IdempotencyConflict(movement.id)
        check_movement(movement, self.totals)
        totals = dict(self.totals)
        if movement.source != OUTSIDE:
            key = (movement.source, movement.kind)
            totals[key] = totals[key] - movement.quantity
        if movement.destination != OUTSIDE:
            key = (movement.destination, movement.kind)
            totals[key] = totals.get(key, Decimal(0)) + movement.quantity
        return Ledger((*self.movements, movement), {**self.by_id, movement.id: movement}, totals)

    def balance(self, wallet: str, kind: CreditKind) -> Decimal:
        """Return what ``wallet`` holds of ``kind`` (C4)."""
        return self.totals.get((wallet, kind), Decimal(0))

    def history(self, wallet: str, kind: CreditKind | None = None) -> list[Movement]:
        """Return the movements into or out of ``wallet``, oldest first (C6)."""
        return [
            m
            for m in self.movements
            if wallet in (m.source, m.destination) and (kind is None or m.kind is kind)
        ]


def balances(movements: Iterable[Movement]) -> dict[tuple[str, CreditKind], Decimal]:
    """Return the balance of every wallet and kind that the movements touch.

    Raises:
        InsufficientCredit: When the movements, in order, would overdraw a wallet.
        IdempotencyConflict: When an id is used for two different movements.
    """
    return dict(Ledger.of(movements).totals)
