"""A simulated payment gateway whose record of charges lives in a SQL database.

:class:`~resell_core.adapters.gateway.SimulatedGateway` keeps its charges in memory, so
every process would have its own. Billing workers in several processes need one gateway
that they all reach, like a real one: :class:`SqlGateway` keeps one row per idempotency
key (the key is the primary key, so a key can move money at most once whatever the
number of processes) and logs every call, so that a test can count both what was asked
and what was charged.

Card tokens: ``tok_ok*`` succeeds; ``tok_timeout`` charges the card but answers
``unknown`` (a lookup answers ``succeeded``); ``tok_down`` answers ``not_attempted`` and
records nothing; anything else is declined.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from resell_core.billing.gateway import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    RefundOutcome,
    RefundRequest,
    RefundResult,
)
from resell_core.errors import IdempotencyConflict
from resell_core.money import Money

__all__ = ["SqlGateway"]

metadata = MetaData()

charges = Table(
    "gateway_charges",
    metadata,
    Column("idempotency_key", String, primary_key=True),
    Column("agency_id", String, nullable=False),
    Column("profile_id", String, nullable=False),
    Column("card_token", String, nullable=False),
    Column("amount", String, nullable=False),
    Column("currency", String, nullable=False),
    Column("description", String, nullable=False),
    Column("outcome", String, nullable=False),
    Column("reference", String),
    Column("moved_money", Boolean, nullable=False),
)

calls = Table(
    "gateway_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String, nullable=False),
    Column("worker", String, nullable=False),
)


def _answer(token: str) -> tuple[ChargeOutcome, ChargeOutcome, bool]:
    """Return (what is recorded, what the caller hears, whether money moved)."""
    if token.startswith("tok_ok"):
        return ChargeOutcome.SUCCEEDED, ChargeOutcome.SUCCEEDED, True
    if token == "tok_timeout":
        return ChargeOutcome.SUCCEEDED, ChargeOutcome.UNKNOWN, True
    return ChargeOutcome.DECLINED, ChargeOutcome.DECLINED, False


class SqlGateway:
    """A payment gateway whose charges are rows of a database shared by every process.

    Args:
        engine: Where the ``gateway_charges`` and ``gateway_calls`` tables are (created
            when missing).
        worker: The name the calls of this process are logged under.
    """

    def __init__(self, engine: Engine, *, worker: str = "main") -> None:
        self.engine = engine
        self.worker = worker
        metadata.create_all(engine)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge the card at most once per idempotency key, across every process.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        key = request.idempotency_key
        if request.card_token == "tok_down":
            return ChargeResult(ChargeOutcome.NOT_ATTEMPTED, None, "the gateway is unreachable")
        recorded, heard, moved = _answer(request.card_token)
        with self.engine.begin() as connection:
            connection.execute(insert(calls).values(idempotency_key=key, worker=self.worker))
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(charges).values(
                        idempotency_key=key,
                        agency_id=request.agency_id,
                        profile_id=request.profile_id,
                        card_token=request.card_token,
                        amount=str(request.amount.amount),
                        currency=request.amount.currency,
                        description=request.description,
                        outcome=recorded.value,
                        reference=f"ch_{key}" if moved else None,
                        moved_money=moved,
                    )
                )
        except IntegrityError:
            # The key was seen before (by any process): answer what it got, charge nothing.
            known, first = self._known(key)
            if first != request:
                raise IdempotencyConflict(key) from None
            assert known is not None
            return known
        reference = f"ch_{key}" if moved else None
        message = "the gateway did not answer in time" if heard is ChargeOutcome.UNKNOWN else ""
        return ChargeResult(heard, None if heard is ChargeOutcome.UNKNOWN else reference, message)

    def _known(self, key: str) -> tuple[ChargeResult | None, ChargeRequest | None]:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(charges).where(charges.c.idempotency_key == key)
            ).first()
        if row is None:
            return None, None
        request = ChargeRequest(
            key,
            row.agency_id,
            row.profile_id,
            row.card_token,
            Money(Decimal(row.amount), row.currency),
            row.description,
        )
        return ChargeResult(ChargeOutcome(row.outcome), row.reference, ""), request

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """Return what became of the charge under the key, or None if it was never made."""
        return self._known(idempotency_key)[0]

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refuse every refund: this gateway only charges."""
        return RefundResult(RefundOutcome.FAILED, None, "this gateway makes no refunds")

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """No refund is ever made."""
        return None

    def charged_keys(self) -> list[str]:
        """Return the keys of every charge that moved money."""
        with self.engine.connect() as connection:
            found = connection.execute(
                select(charges.c.idempotency_key).where(charges.c.moved_money.is_(True))
            )
            return [row[0] for row in found]

    def call_count(self) -> int:
        """Return how many charge calls reached the gateway, repeats included."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(calls)).scalar_one())
