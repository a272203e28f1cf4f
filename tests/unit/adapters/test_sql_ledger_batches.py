"""A commit writes each balance row its movements credit once, with what they add up to."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from resell_core.adapters.sql import SqlStorage
from resell_core.billing.ledger import OUTSIDE, CreditKind
from resell_core.errors import InsufficientCredit
from resell_core.testing.contracts.samples import ACME, a_movement, an_agency

POOL = "profile:profile-visa"
EARMARKS = [f"account:shop-{i}" for i in range(3)]


def _buy_earmarks(storage: SqlStorage) -> None:
    with storage.unit_of_work() as uow:
        uow.ledger.append_many(
            [a_movement(f"m-buy-{w}", quantity="50", destination=w) for w in EARMARKS]
        )
        uow.commit()


@pytest.mark.usefixtures("stored_acme")
def test_C3_spends_of_many_earmarks_into_one_wallet_add_up_in_its_row(
    storage: SqlStorage,
) -> None:
    """Three accounts' spends, a refund into "spent" and a pool top-up in one commit: each
    row ends where the movements one by one would leave it."""
    _buy_earmarks(storage)
    spends = [
        a_movement(f"m-spend-{i}", quantity=q, source=w, destination="spent")
        for i, (w, q) in enumerate(zip(EARMARKS, ["10.5", "20", "0.25"], strict=True))
    ]
    refund = a_movement("m-refund", quantity="4", source=OUTSIDE, destination="spent")
    top_up = a_movement("m-top-up", quantity="7")

    with storage.unit_of_work() as uow:
        uow.ledger.append_many([*spends, refund, top_up])
        uow.commit()

    with storage.unit_of_work() as uow:
        balance = uow.ledger.balance
        assert balance(ACME, "spent", CreditKind.PREPAID) == Decimal("34.75")
        assert balance(ACME, POOL, CreditKind.PREPAID) == Decimal(7)
        assert balance(ACME, OUTSIDE, CreditKind.PREPAID) == Decimal(-161)
        assert [balance(ACME, w, CreditKind.PREPAID) for w in EARMARKS] == [
            Decimal("39.5"),
            Decimal(30),
            Decimal("49.75"),
        ]


def test_C3_a_commit_writes_the_spent_wallet_once_for_all_its_spends(tmp_path: Path) -> None:
    """Three spends of USD 5 into "spent": one upsert of its row (SQLite runs each
    statement of a batch on its own, so each is seen), and one debit finding the three
    earmarks (debits alike are one statement), each left USD 5 lower."""
    storage = SqlStorage(f"sqlite:///{tmp_path / 'agency.db'}")
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.commit()
    _buy_earmarks(storage)
    spends = [
        a_movement(f"m-spend-{i}", quantity="5", source=w, destination="spent")
        for i, w in enumerate(EARMARKS)
    ]
    seen: list[str] = []
    with storage.engine.connect() as connection:
        # The pool keeps this connection: the unit of work below runs on it.
        connection.connection.driver_connection.set_trace_callback(seen.append)  # type: ignore[union-attr]
    with storage.unit_of_work() as uow:
        uow.ledger.append_many(spends)
        uow.commit()
    storage.dispose()

    writes = [s for s in seen if "balances" in s and not s.lstrip().upper().startswith("SELECT")]
    assert len([s for s in writes if "INSERT" in s.upper()]) == 1
    debits = [s for s in writes if s.lstrip().upper().startswith("UPDATE")]
    assert len(debits) == 1
    assert all(f"'{w}'" in debits[0] for w in EARMARKS)
    with storage.unit_of_work() as uow:
        left = [uow.ledger.balance(ACME, w, CreditKind.PREPAID) for w in EARMARKS]
    assert left == [Decimal(45)] * len(EARMARKS)


@pytest.mark.usefixtures("stored_acme")
def test_C3_two_spends_of_one_earmark_in_a_commit_take_both(storage: SqlStorage) -> None:
    """Two invoices of one account spend its $50 earmark in one commit ($20 and $25.50):
    its row keeps $4.50, "spent" holds both."""
    _buy_earmarks(storage)
    earmark = EARMARKS[0]

    with storage.unit_of_work() as uow:
        uow.ledger.append_many(
            [
                a_movement("m-spend-1", quantity="20", source=earmark, destination="spent"),
                a_movement("m-spend-2", quantity="25.50", source=earmark, destination="spent"),
                a_movement("m-spend-3", quantity="1", source=EARMARKS[1], destination="spent"),
            ]
        )
        uow.commit()

    with storage.unit_of_work() as uow:
        assert uow.ledger.balance(ACME, earmark, CreditKind.PREPAID) == Decimal("4.50")
        assert uow.ledger.balance(ACME, EARMARKS[1], CreditKind.PREPAID) == Decimal(49)
        assert uow.ledger.balance(ACME, "spent", CreditKind.PREPAID) == Decimal("46.50")


@pytest.mark.usefixtures("stored_acme")
def test_C3_two_spends_of_one_earmark_that_overdraw_it_since_read_are_refused(
    storage: SqlStorage,
) -> None:
    """A commit spends $20 and $10 of a $50 earmark (enough when it read it) while
    another spends $25 of it first: together they overdraw it, the commit is refused as
    insufficient credit and changes nothing."""
    _buy_earmarks(storage)
    earmark = EARMARKS[0]

    with storage.unit_of_work() as late, storage.unit_of_work() as first:
        late.ledger.append_many(
            [
                a_movement("m-spend-1", quantity="20", source=earmark, destination="spent"),
                a_movement("m-spend-2", quantity="1", source=EARMARKS[1], destination="spent"),
                a_movement("m-spend-3", quantity="10", source=earmark, destination="spent"),
            ]
        )
        first.ledger.append(
            a_movement("m-first", quantity="25", source=earmark, destination="spent")
        )
        first.commit()
        with pytest.raises(InsufficientCredit):
            late.commit()

    with storage.unit_of_work() as uow:
        assert [uow.ledger.balance(ACME, w, CreditKind.PREPAID) for w in EARMARKS] == [
            Decimal(25),
            Decimal(50),
            Decimal(50),
        ]
        assert uow.ledger.balance(ACME, "spent", CreditKind.PREPAID) == Decimal(25)
