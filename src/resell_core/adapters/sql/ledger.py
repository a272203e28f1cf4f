"""The SQL storage's credit ledger: movements, and balances kept in the database.

A unit of work checks each movement against the balance it sees and keeps the changes
of every balance; the commit inserts the movements and adds to the stored balances
(``UPDATE … SET amount = amount + ?``), so that the database's ``CHECK`` refuses an
overdraft that movements committed meanwhile would make.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, or_, select
from sqlalchemy.exc import IntegrityError

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.batches import run_batch_values, run_inserts, run_updates
from resell_core.adapters.sql.compiled import ADD, KEY, ONE_OF
from resell_core.adapters.sql.statements import (
    CHUNK,
    among_params,
    among_size,
    balances_statement,
    ledger_statements,
)
from resell_core.adapters.sql.units import from_micro
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement
from resell_core.errors import IdempotencyConflict
from resell_core.ports import millionths, overdrawn, recorded_before
from resell_core.serialization import loader, to_json

if TYPE_CHECKING:
    from resell_core.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["Ledger"]

_BalanceKey = tuple[str, str, str]


_MOVEMENT_COLUMNS = ("id", "agency_id", "kind", "source", "destination", "data")
_ADD_COLUMNS = ("agency_id", "wallet", "kind", "amount")
_SPEND_COLUMNS = ("amount", "b_agency_id", "b_wallet", "b_kind")
_SPEND_ROLES = (("amount", ADD), ("agency_id", KEY), ("wallet", ONE_OF), ("kind", KEY))
"""The columns of ``_SPEND_COLUMNS`` and what a debit does with each (compiled.updates_at_once)."""


def _movement_row(movement: Movement, kind: str) -> tuple[object, ...]:
    """Return a movement's row, as values of :data:`_MOVEMENT_COLUMNS` (``kind``: its
    kind's value, which the caller has at hand: an enum's value is a property to run)."""
    return (
        movement.id,
        movement.agency_id,
        kind,
        movement.source,
        movement.destination,
        to_json(movement),
    )


class Ledger:
    """A unit of work's credit ledger (:class:`~resell_core.ports.Ledger`)."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self.pending: list[Movement] = []
        # Each pending movement's quantity in millionths, worked out once when appended.
        self._quantities: list[int] = []
        self._pending_ids: dict[str, Movement] = {}
        # The ids appended by append_many: new, so that one found stored is a conflict
        # even with the same content (it is no retry).
        self._new: set[str] = set()
        self._stored: dict[_BalanceKey, int] = {}
        self._deltas: dict[_BalanceKey, int] = {}
        sql = ledger_statements(uow.storage.dialect)
        self._balance = sql.balance
        self._by_id = sql.by_id
        self._known = sql.known
        self._insert = sql.insert
        self._add = sql.add
        self._spend = sql.spend
        self._load = loader(Movement)

    def _stored_amount(self, key: _BalanceKey) -> int:
        if key not in self._stored:
            row = self._uow.first(
                self._balance, {"agency_id": key[0], "wallet": key[1], "kind": key[2]}, once=True
            )
            self._stored[key] = 0 if row is None else int(row.amount)
        return self._stored[key]

    def _available(self, key: _BalanceKey) -> int:
        return self._stored_amount(key) + self._deltas.get(key, 0)

    def append(self, movement: Movement) -> bool:
        known = self._pending_ids.get(movement.id)
        if known is None:
            row = self._uow.first(self._by_id, {"id": movement.id}, once=True)
            known = None if row is None else self._load(row.data)
        return self._append(movement, known)

    def append_many(self, movements: Sequence[Movement]) -> None:
        # New movements: nothing is read. One whose id is stored already is refused at
        # commit by the movements' key, and the row-by-row replay raises for it (flush).
        pending = self._pending_ids
        for movement in movements:
            if movement.id in pending:
                raise IdempotencyConflict(movement.id)
            self._append(movement, None)
            self._new.add(movement.id)

    def _append(self, movement: Movement, known: Movement | None) -> bool:
        """Record ``movement``; ``known``: the movement already recorded under its id."""
        quantity = millionths(movement)
        if recorded_before(movement, known):
            return False
        # A StrEnum member's str() is its value, without Enum.value's Python-level
        # property (two calls a read, for every movement of a billing page).
        kind = str(movement.kind)
        source = (movement.agency_id, movement.source, kind)
        if movement.source != OUTSIDE:
            available = self._available(source)
            if available < quantity:
                raise overdrawn(movement, from_micro(available))
        destination = (movement.agency_id, movement.destination, kind)
        self._deltas[source] = self._deltas.get(source, 0) - quantity
        self._deltas[destination] = self._deltas.get(destination, 0) + quantity
        self.pending.append(movement)
        self._quantities.append(quantity)
        self._pending_ids[movement.id] = movement
        return True

    def movements(
        self, agency_id: str, wallet: str | None = None, kind: CreditKind | None = None
    ) -> list[Movement]:
        m = schema.movements.c
        statement = select(m.data).where(m.agency_id == agency_id).order_by(m.seq)
        if wallet is not None:
            statement = statement.where(or_(m.source == wallet, m.destination == wallet))
        if kind is not None:
            statement = statement.where(m.kind == kind.value)
        found = [self._load(row.data) for row in self._uow.rows(statement)]
        return found + [
            x
            for x in self.pending
            if x.agency_id == agency_id
            and (wallet is None or wallet in (x.source, x.destination))
            and (kind is None or x.kind is kind)
        ]

    def balance(self, agency_id: str, wallet: str, kind: CreditKind) -> Decimal:
        return from_micro(self._available((agency_id, wallet, kind.value)))

    def balances(
        self, agency_id: str, wallets: Sequence[str], kind: CreditKind, *, again: bool = False
    ) -> dict[str, Decimal]:
        value = kind.value
        stored = self._stored
        missing = [
            w for w in dict.fromkeys(wallets) if again or (agency_id, w, value) not in stored
        ]
        array = self._uow.storage.dialect == "postgresql"
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            params: dict[str, object] = {"agency_id": agency_id, "kind": value}
            params.update(among_params("w", chunk, array=array))
            statement = balances_statement(among_size(chunk, array=array))
            found = {
                row.wallet: int(row.amount) for row in self._uow.rows(statement, params, once=True)
            }
            for wallet in chunk:
                self._stored[(agency_id, wallet, value)] = found.get(wallet, 0)
        return {w: from_micro(self._available((agency_id, w, value))) for w in wallets}

    def flush(self, connection: Connection, *, batched: bool) -> None:
        if not self.pending:
            return
        if batched:
            self._write_batched(connection)
            return
        # An id appended by append() was read and found absent; one committed meanwhile,
        # or one stored before append_many() took it unread, makes the batched insert fail
        # on the unique id, and this replay reads the ids again to tell a harmless retry
        # (the same movement appended again) from a conflict.
        known = {
            row.id: self._load(row.data)
            for row in connection.execute(self._known, {"ids": [m.id for m in self.pending]})
        }
        for movement, quantity in zip(self.pending, self._quantities, strict=True):
            stored = known.get(movement.id)
            if stored is not None:
                if stored != movement or movement.id in self._new:
                    raise IdempotencyConflict(movement.id)
                continue
            kind = movement.kind.value
            row = dict(zip(_MOVEMENT_COLUMNS, _movement_row(movement, kind), strict=True))
            try:
                connection.execute(self._insert, row)
            except IntegrityError as error:
                raise IdempotencyConflict(movement.id) from error
            if movement.source == OUTSIDE:
                connection.execute(
                    self._add,
                    {
                        "agency_id": movement.agency_id,
                        "wallet": OUTSIDE,
                        "kind": kind,
                        "amount": -quantity,
                    },
                )
            else:
                found = connection.execute(
                    self._balance,
                    {"agency_id": movement.agency_id, "wallet": movement.source, "kind": kind},
                ).first()
                held = 0 if found is None else int(found.amount)
                if held < quantity:
                    raise overdrawn(movement, from_micro(held))
                connection.execute(
                    self._spend,
                    {
                        "amount": -quantity,
                        "b_agency_id": movement.agency_id,
                        "b_wallet": movement.source,
                        "b_kind": kind,
                    },
                )
            connection.execute(
                self._add,
                {
                    "agency_id": movement.agency_id,
                    "wallet": movement.destination,
                    "kind": kind,
                    "amount": quantity,
                },
            )

    def _write_batched(self, connection: Connection) -> None:
        """Write the pending movements and their balance changes, a batch per statement."""
        rows = []
        # What is added to each balance row, summed a row: one upsert of a row a batch
        # instead of one a movement (a page's movements all credit the one "spent"
        # wallet). Credits only raise a row that must stay positive, so their sum leaves
        # it where they would one by one; rows appear in the order first written.
        adds: dict[_BalanceKey, int] = {}
        # Debits summed a wallet too: one row changed a debited wallet. Debits only lower
        # a row, so their sum is refused by its CHECK exactly when one of them would be.
        debits: dict[_BalanceKey, int] = {}
        for movement, quantity in zip(self.pending, self._quantities, strict=True):
            agency, kind = movement.agency_id, str(movement.kind)  # its value, as in _append
            rows.append(_movement_row(movement, kind))
            # A debit of a wallet that must stay positive is an UPDATE: the database
            # checks the new amount against the CHECK, and a missing row (nothing to
            # spend) changes no row. Credits, and debits of "outside", add to the row or
            # create it.
            if movement.source == OUTSIDE:
                key = (agency, OUTSIDE, kind)
                adds[key] = adds.get(key, 0) - quantity
            else:
                key = (agency, movement.source, kind)
                debits[key] = debits.get(key, 0) - quantity
            key = (agency, movement.destination, kind)
            adds[key] = adds.get(key, 0) + quantity
        run_inserts(connection, self._insert, _MOVEMENT_COLUMNS, rows)
        run_batch_values(
            connection, self._add, _ADD_COLUMNS, [(*key, amount) for key, amount in adds.items()]
        )
        if debits:
            spent = [(amount, *key) for key, amount in debits.items()]
            run_updates(connection, self._spend, _SPEND_COLUMNS, spent, roles=_SPEND_ROLES)

    @property
    def dirty(self) -> bool:
        return bool(self.pending)

    def reset(self) -> None:
        self.pending.clear()
        self._quantities.clear()
        self._pending_ids.clear()
        self._new.clear()
        self._stored.clear()
        self._deltas.clear()
