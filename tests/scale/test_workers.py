"""Several billing worker processes on one PostgreSQL database (docs/rules.md#scale-out).

Real processes (``python -m scale.worker``) bill thousands of accounts due on one day
through the shared :class:`~scale.sql_gateway.SqlGateway`; one is killed in the middle,
right after the gateway charged a card and before the answer was recorded; a re-run
finishes. Then every account period must have been charged exactly once, none skipped,
nothing left half-written, and each agency's invoice numbers gapless.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pytest

import resell_core as rc
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement, profile_wallet

from .seeding import AGENCIES, BILLING_DAY, seed_due_accounts
from .sql_gateway import SqlGateway

ACME = AGENCIES[0]

ACCOUNTS = 3000
WORKERS = 4
STALL_AFTER = 120
TIMEOUT = 120.0
TESTS_DIR = Path(__file__).resolve().parents[1]


@dataclass
class Worker:
    """A running worker process and where its error output goes."""

    name: str
    process: subprocess.Popen[str]
    stderr: IO[str]

    def lines(self) -> Iterator[str]:
        """Yield what the worker prints, line by line."""
        assert self.process.stdout is not None
        yield from self.process.stdout

    def finish(self) -> dict[str, Any]:
        """Wait for the worker and return the figures it printed last."""
        out, _ = self.process.communicate(timeout=TIMEOUT)
        self.stderr.seek(0)
        assert self.process.returncode == 0, f"{self.name} failed:\n{self.stderr.read()}"
        figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return figures


def start_worker(
    scratch: ScratchSchema,
    name: str,
    tmp_path: Path,
    stall_after: int = 0,
    *,
    stall_in_commit: int = 0,
) -> Worker:
    """Start a worker process billing the scratch schema until the billing day (see
    :mod:`scale.worker` for where it may stall)."""
    url = postgres_url()
    assert url is not None
    stderr = (tmp_path / f"{name}.err").open("w+")
    command = [
        sys.executable,
        "-m",
        "scale.worker",
        f"--url={url}",
        f"--schema={scratch.name}",
        f"--until={BILLING_DAY}",
        f"--name={name}",
        f"--stall-after={stall_after}",
        f"--stall-in-commit={stall_in_commit}",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), *sys.path])}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    return Worker(name, process, stderr)


@contextmanager
def reaped() -> Iterator[list[Worker]]:
    """Yield the list of the block's workers; when the block ends, however it ends, kill
    those still running, wait for them and close their error output."""
    workers: list[Worker] = []
    try:
        yield workers
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
            worker.stderr.close()


def invoices_of(storage: SqlStorage) -> list[rc.Invoice]:
    """Every invoice of every seeded agency."""
    with storage.unit_of_work() as uow:
        return [i for agency_id in AGENCIES for i in uow.invoices.list(agency_id)]


def in_flight(storage: SqlStorage) -> int:
    """How many invoices wait for a gateway answer to be recorded."""
    return sum(1 for i in invoices_of(storage) if i.status is rc.InvoiceStatus.PENDING)


def test_workers_killed_mid_run_charge_every_period_exactly_once(
    scratch: ScratchSchema, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Four worker processes, one SIGKILLed between a charge and its record, then a re-run:
    each account period is invoiced and charged once, none is skipped, none left in flight,
    and every agency's invoice numbers run 1..n without a gap."""
    storage = scratch.storage()
    gateway = SqlGateway(scratch.engine, worker="checker")
    seed_due_accounts(storage, ACCOUNTS)
    with reaped() as workers:
        victim = start_worker(scratch, "w1", tmp_path, stall_after=STALL_AFTER)
        workers.append(victim)
        workers += [start_worker(scratch, f"w{n}", tmp_path) for n in range(2, WORKERS + 1)]

        stalled = next(victim.lines())
        assert stalled.startswith("stalled "), stalled
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=TIMEOUT)
        left_in_flight = in_flight(storage)
        survivors = [w.finish() for w in workers[1:]]
        after_survivors = in_flight(storage)
        billed_before_rerun = len(invoices_of(storage))
        rerun = start_worker(scratch, "w5", tmp_path)
        workers.append(rerun)
        final = rerun.finish()

    invoices = invoices_of(storage)
    keys = gateway.charged_keys()
    charged_invoices = Counter(key.split(":")[1] for key in keys)
    by_id = {i.id: i for i in invoices}
    charged_periods = Counter(by_id[invoice_id].period_key for invoice_id in charged_invoices)
    duplicates = sum(n - 1 for n in charged_periods.values() if n > 1) + sum(
        n - 1 for n in charged_invoices.values() if n > 1
    )
    with storage.unit_of_work() as uow:
        due_left = uow.accounts.due(BILLING_DAY.replace(day=2), limit=ACCOUNTS)
        counters = {a: uow.agencies.get(a).next_invoice_number for a in AGENCIES}
    skipped = ACCOUNTS - len({i.account_id for i in invoices})

    with capsys.disabled():
        sys.stdout.write(
            f"\n  workers test: accounts {ACCOUNTS}, workers {WORKERS}, killed w1 after "
            f"{STALL_AFTER} charges ({stalled.split()[1]} charged, not recorded), "
            f"in flight at the kill {left_in_flight}, after the survivors {after_survivors}, "
            f"invoiced before the re-run {billed_before_rerun}, charges {len(keys)}, "
            f"gateway calls {gateway.call_count()}, duplicates {duplicates}, "
            f"skipped {skipped}, survivors {survivors}, re-run {final}\n"
        )
    assert len(invoices) == ACCOUNTS
    assert len({i.period_key for i in invoices}) == ACCOUNTS
    assert len(keys) == ACCOUNTS
    assert duplicates == 0
    assert skipped == 0
    assert due_left == []
    assert all(i.status is rc.InvoiceStatus.PAID for i in invoices)
    assert all(i.paid_card == i.total for i in invoices)
    for agency_id in AGENCIES:
        numbers = sorted(i.number for i in invoices if i.agency_id == agency_id)
        assert numbers == list(range(1, len(numbers) + 1))
        assert counters[agency_id] == len(numbers) + 1


ONE_AGENCY = 2000
PRICE = Decimal("96.00")
"""What each seeded account's period costs."""


def pool_for(count: int) -> Decimal:
    """The prepaid pool that pays nine tenths of ``count`` invoices, the card the rest:
    most pages charge few cards, so the workers' pages of one agency are computed and
    stored at the same time (where they raced for its counter and pool)."""
    return PRICE * (count * 9 // 10)


def seed_one_agency(storage: SqlStorage, count: int) -> None:
    """``count`` accounts of one agency due on the billing day, its card's pool holding
    :func:`pool_for` them."""
    seed_due_accounts(storage, count, agencies=(ACME,))
    with storage.unit_of_work() as uow:
        uow.ledger.append(
            Movement(
                "movement-pool",
                ACME,
                CreditKind.PREPAID,
                pool_for(count),
                OUTSIDE,
                profile_wallet(f"profile-{ACME}"),
                BILLING_DAY,
                "prepaid credit for the pool",
            )
        )
        uow.commit()


def assert_billed_once_with_gapless_numbers(
    storage: SqlStorage, gateway: SqlGateway, count: int
) -> None:
    """Every account invoiced once and paid (pool first, then one card charge), the
    pool spent exactly, the agency's numbers 1..count, nothing left due."""
    with storage.unit_of_work() as uow:
        invoices = uow.invoices.list(ACME)
        counter = uow.agencies.get(ACME).next_invoice_number
        pool_left = uow.ledger.balance(ACME, profile_wallet(f"profile-{ACME}"), CreditKind.PREPAID)
        due_left = uow.accounts.due(BILLING_DAY.replace(day=2), limit=count)
    keys = gateway.charged_keys()
    charged = Counter(key.split(":")[1] for key in keys)
    assert len(invoices) == count
    assert len({i.account_id for i in invoices}) == count
    assert [i.number for i in invoices] == list(range(1, count + 1))
    assert counter == count + 1
    assert due_left == []
    assert all(i.status is rc.InvoiceStatus.PAID for i in invoices)
    assert all(i.paid_pool + i.paid_card == i.total for i in invoices)
    assert sum((i.paid_pool.amount for i in invoices), Decimal(0)) == pool_for(count)
    assert pool_left == 0
    assert set(charged) == {i.id for i in invoices if i.paid_card.is_positive()}
    assert max(charged.values()) == 1


def test_B7_two_workers_on_one_agency_finish_with_no_error_and_gapless_numbers(
    scratch: ScratchSchema, tmp_path: Path
) -> None:
    """Two worker processes bill 2,000 accounts of one agency sharing its invoice counter
    and its card's prepaid pool (which pays nine in ten): neither reports an error nor
    has a page refused, every account is invoiced once in the run itself (no re-run),
    the numbers run 1..2,000 and the pool is spent once."""
    storage = scratch.storage()
    gateway = SqlGateway(scratch.engine, worker="checker")
    seed_one_agency(storage, ONE_AGENCY)
    with reaped() as workers:
        workers += [start_worker(scratch, f"w{n}", tmp_path) for n in (1, 2)]
        reports = [w.finish() for w in workers]

    assert [r["errors"] for r in reports] == [[], []]
    # Pages of one agency wait for each other's lock instead of racing: none is refused.
    assert [r["refused_pages"] for r in reports] == [0, 0]
    assert sum(r["created"] for r in reports) == ONE_AGENCY
    assert all(r["created"] > 0 for r in reports)
    assert_billed_once_with_gapless_numbers(storage, gateway, ONE_AGENCY)


def test_B7_a_worker_killed_holding_the_agency_before_its_commit_loses_no_number(
    scratch: ScratchSchema, tmp_path: Path
) -> None:
    """A worker is killed (SIGKILL) in its second page's commit, every write sent and the
    page's invoice numbers taken under the agency's lock, before COMMIT. PostgreSQL rolls
    its transaction back and lets the lock go: the other worker goes on at once, a re-run
    finishes, and the numbers run 1..n with no gap where the dead page's were."""
    count = 600
    storage = scratch.storage()
    gateway = SqlGateway(scratch.engine, worker="checker")
    seed_one_agency(storage, count)
    with reaped() as workers:
        victim = start_worker(scratch, "w1", tmp_path, stall_in_commit=2)
        workers.append(victim)
        stalled = next(victim.lines())
        assert stalled.strip() == "stalled commit", stalled
        workers.append(start_worker(scratch, "w2", tmp_path))
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=TIMEOUT)
        survivor = workers[1].finish()
        rerun = start_worker(scratch, "w3", tmp_path)
        workers.append(rerun)
        final = rerun.finish()

    assert survivor["errors"] == []
    assert final["errors"] == []
    assert survivor["created"] + final["created"] == count - 100  # the victim's first page
    assert_billed_once_with_gapless_numbers(storage, gateway, count)
