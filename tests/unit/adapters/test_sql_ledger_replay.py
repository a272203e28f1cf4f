"""The ledger's row-by-row replay after a refused batch writes what the batch would have."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resell_core.adapters.sql import SqlStorage
from resell_core.billing.ledger import OUTSIDE, CreditKind
from resell_core.errors import IdempotencyConflict
from resell_core.testing.contracts.samples import ACME, a_movement

POOL = "profile:profile-visa"


@pytest.mark.usefixtures("stored_acme")
def test_C2_a_movement_committed_meanwhile_is_skipped_and_the_others_written(
    storage: SqlStorage,
) -> None:
    """The same purchase committed by another unit of work first: the batch of the
    movements appended one by one is refused on its id, and the replay skips it (a retry)
    but writes the spend and the refund after it."""
    with storage.unit_of_work() as uow:
        uow.ledger.append(a_movement("m-buy", quantity="100"))
        uow.commit()
    purchase = a_movement("m-top-up", quantity="20")
    spend = a_movement("m-spend", quantity="30.5", source=POOL, destination="spent")
    refund = a_movement("m-refund", quantity="4", source=OUTSIDE, destination="spent")

    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        for movement in (purchase, spend, refund):
            first.ledger.append(movement)
        second.ledger.append(purchase)
        second.commit()
        first.commit()

    with storage.unit_of_work() as uow:
        assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == Decimal("89.5")
        assert uow.ledger.balance(ACME, "spent", CreditKind.PREPAID) == Decimal("34.5")
        assert uow.ledger.balance(ACME, OUTSIDE, CreditKind.PREPAID) == Decimal(-124)
        assert [m.id for m in uow.ledger.movements(ACME)] == [
            "m-buy",
            "m-top-up",
            "m-spend",
            "m-refund",
        ]


@pytest.mark.usefixtures("stored_acme")
def test_C2_a_new_movement_committed_meanwhile_is_a_conflict_that_writes_nothing(
    storage: SqlStorage,
) -> None:
    """append_many takes its movements as new, unread: the same movement committed by
    another unit of work first refuses the whole commit (no retry to skip), and nothing of
    the batch is written."""
    purchase = a_movement("m-top-up", quantity="20")
    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        first.ledger.append_many([a_movement("m-buy", quantity="100"), purchase])
        second.ledger.append(purchase)
        second.commit()
        with pytest.raises(IdempotencyConflict):
            first.commit()

    with storage.unit_of_work() as uow:
        assert [m.id for m in uow.ledger.movements(ACME)] == ["m-top-up"]
        assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == Decimal(20)
