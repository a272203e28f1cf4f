"""What the SQL storage guarantees in the database itself, beyond the shared contract."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.billing.ledger import CreditKind
from resell_core.errors import DuplicateName, InsufficientCredit
from resell_core.ports import AccessRecord
from resell_core.testing.contracts.samples import ACME, a_movement, an_account, an_agency

POOL = "profile:profile-visa"
NOON = datetime(2024, 2, 1, 12, tzinfo=UTC)


def _seeded(storage: SqlStorage, accounts: int = 0) -> None:
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        for n in range(accounts):
            uow.accounts.add(an_account(f"account-{n:03d}", ACME, f"shop-{n:03d}"))
        uow.commit()


def test_C2_the_database_itself_refuses_an_overdraft(storage: SqlStorage) -> None:
    """Even a hand-written UPDATE cannot take a wallet below zero: the CHECK refuses it."""
    _seeded(storage)
    with storage.unit_of_work() as uow:
        uow.ledger.append(a_movement("m-1", quantity="10.00"))
        uow.commit()

    with pytest.raises(IntegrityError), storage.engine.begin() as connection:
        connection.execute(
            text("UPDATE balances SET amount = amount - 20000000 WHERE wallet = :w"), {"w": POOL}
        )


def test_C2_concurrent_spenders_never_overdraw(storage: SqlStorage) -> None:
    """Eight threads each spending 30 of 100 in their own units of work: three succeed."""
    _seeded(storage)
    with storage.unit_of_work() as uow:
        uow.ledger.append(a_movement("m-buy", quantity="100"))
        uow.commit()
    outcomes: list[str] = []

    def spend(n: int) -> None:
        with storage.unit_of_work() as uow:
            try:
                uow.ledger.append(
                    a_movement(f"m-{n}", quantity="30", source=POOL, destination="spent")
                )
                uow.commit()
                outcomes.append("spent")
            except InsufficientCredit:
                outcomes.append("refused")

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with storage.unit_of_work() as uow:
        assert uow.ledger.balance(ACME, POOL, CreditKind.PREPAID) == Decimal(10)
    assert sorted(outcomes) == ["refused"] * 5 + ["spent"] * 3


def test_A2_a_name_taken_at_commit_is_translated_from_the_driver_error(storage: SqlStorage) -> None:
    """The unique index's refusal reaches the caller as DuplicateName, raised from the driver's."""
    _seeded(storage)
    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        first.accounts.add(an_account("account-north", ACME, "north-bakery"))
        second.accounts.add(an_account("account-other", ACME, "NORTH-BAKERY"))
        first.commit()
        with pytest.raises(DuplicateName) as raised:
            second.commit()

    assert isinstance(raised.value.__cause__, IntegrityError)


def test_B1_due_reads_the_indexed_next_billing_column(storage: SqlStorage) -> None:
    """The next billing day is a real column, moved on when the account is updated."""
    _seeded(storage, accounts=1)
    with storage.unit_of_work() as uow:
        account = uow.accounts.get(ACME, "account-000")
        account.next_period = 2
        uow.accounts.update(account)
        uow.commit()

    with storage.engine.connect() as connection:
        day = connection.execute(text("SELECT next_billing_on FROM accounts")).scalar_one()
    with storage.unit_of_work() as uow:
        assert uow.accounts.due(date(2024, 3, 30)) == []
        assert [
            a.id
            for a in uow.accounts.due(
                date(
                    2024,
                    3,
                    31,
                )
            )
        ] == []
        assert [a.id for a in uow.accounts.due(date(2024, 4, 1))] == ["account-000"]
    assert str(day) == "2024-03-31"


def test_B1_a_claimed_account_is_skipped_by_other_workers() -> None:
    """On PostgreSQL, accounts one worker claimed are skipped by the others until it commits."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    try:
        storage = scratch.storage()
        _seeded(storage, accounts=6)
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            mine = first.accounts.due(date(2024, 3, 1), limit=4, claim=True)
            theirs = second.accounts.due(date(2024, 3, 1), limit=4, claim=True)
            first.rollback()
            again = second.accounts.due(
                date(2024, 3, 1), after_id=theirs[-1].id, limit=4, claim=True
            )
        assert [a.id for a in mine] == [f"account-{n:03d}" for n in range(4)]
        assert [a.id for a in theirs] == ["account-004", "account-005"]
        assert again == []
    finally:
        scratch.drop()


def test_S6_an_increment_keeps_the_rows_claimed_and_needs_no_second_connection() -> None:
    """A count taken after a claim leaves the claim held; without one it uses the unit's
    own connection (logins at once cannot empty the pool)."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    counter = AccessRecord("login_failures", "north-bakery", ACME, "account-000", "")
    try:
        storage = scratch.storage()
        _seeded(storage, accounts=2)
        checkouts: list[object] = []
        event.listen(storage.engine.pool, "checkout", lambda *_: checkouts.append(1))
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.tokens.get("credentials", "north-bakery")
            second.tokens.get("credentials", "north-bakery")
            counts = [first.tokens.increment(counter, at=NOON)]
            unclaimed = len(checkouts)
            mine = first.accounts.due(date(2024, 3, 1), limit=1, claim=True)
            counts.append(first.tokens.increment(counter, at=NOON))
            theirs = second.accounts.due(date(2024, 3, 1), limit=2, claim=True)
        assert counts == [1, 2]
        assert unclaimed == 2
        assert [a.id for a in mine] == ["account-000"]
        assert [a.id for a in theirs] == ["account-001"]
    finally:
        scratch.drop()


def test_importing_resell_core_does_not_import_sqlalchemy() -> None:
    """The SQL adapter is reached as resell_core.adapters.sql; the package alone needs no driver."""
    code = "import sys, resell_core; print('sqlalchemy' in sys.modules)"

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
