"""What every benchmark shares: the seeded data, the wiring, timing and the printed table.

The scenario: one agency (``agency-acme``, 20 % reseller discount) with one card, and N
monthly "marketing plus 2,500 contacts" accounts anchored on 31 January 2024, each holding
USD 1,000 of earmarked prepaid credit (C3). Billing until 1 March 2024 bills each account's
period starting 29 February 2024 (USD 96.00) and pays it from the earmarked credit: an
invoice and its line, a wallet debit, a ledger movement, the account's next billing date,
the agency's invoice number and the audit entries, and no card charge.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import insert, text

from resell_core.adapters.clock import ManualClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.adapters.sql import SqlStorage, schema
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement, account_wallet
from resell_core.lifecycle.account import Account
from resell_core.ports import Storage
from resell_core.serialization import to_json
from resell_core.service.context import Policies
from resell_core.service.portal import PartnerPortal
from resell_core.testing.contracts.samples import ACME, a_profile, an_account, an_agency

__all__ = [
    "ACME",
    "EARMARK",
    "PROFILE",
    "UNTIL",
    "Figure",
    "Timer",
    "account_number",
    "accounts",
    "balance_rows",
    "movement_rows",
    "portal_on",
    "postgres_storage",
    "print_table",
    "seed_sql",
    "seed_storage",
    "sql_storage",
]

UNTIL = date(2024, 3, 1)
"""The day the benchmarks bill until (inclusive)."""

EARMARK = Decimal(1000)
"""Prepaid credit earmarked for each account, more than its invoice."""

PROFILE = "profile-visa"
_SEED_DAY = date(2024, 2, 1)


def account_number(i: int) -> str:
    """Return the id of the i-th seeded account (ids sort as numbers do)."""
    return f"account-{i:07d}"


def accounts(n: int) -> Iterator[Account]:
    """Yield the N seeded accounts."""
    template = attrs.evolve(an_account(), billing_profile_id=PROFILE)
    for i in range(n):
        yield attrs.evolve(template, id=account_number(i), name=f"shop-{i:07d}")


def _earmark(account_id: str) -> Movement:
    return Movement(
        f"seed/{account_id}",
        ACME,
        CreditKind.PREPAID,
        EARMARK,
        OUTSIDE,
        account_wallet(account_id),
        _SEED_DAY,
        "prepaid credit bought for the account",
    )


def seed_storage(storage: Storage, n: int, *, batch: int = 5_000) -> None:
    """Store the agency, its card and N accounts with their credit through the storage port."""
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency())
        uow.profiles.add(a_profile())
        uow.commit()
    stream = accounts(n)
    for start in range(0, n, batch):
        with storage.unit_of_work() as uow:
            for account in (next(stream) for _ in range(min(batch, n - start))):
                uow.accounts.add(account)
                uow.ledger.append(_earmark(account.id))
            uow.commit()


def movement_rows(movement: Movement) -> dict[str, object]:
    """Return a movement's row in the adapter's schema."""
    return {
        "id": movement.id,
        "agency_id": movement.agency_id,
        "kind": movement.kind.value,
        "source": movement.source,
        "destination": movement.destination,
        "data": to_json(movement),
    }


def balance_rows(wallet: str, amount: Decimal) -> dict[str, object]:
    """Return a prepaid balance row of the agency in the adapter's schema (micro-units)."""
    return {
        "agency_id": ACME,
        "wallet": wallet,
        "kind": CreditKind.PREPAID.value,
        "amount": int(amount.scaleb(6)),
    }


def seed_sql(storage: SqlStorage, n: int, *, batch: int = 10_000) -> None:
    """Write the agency, its card and N accounts with their credit as raw rows (executemany
    through the adapter's own schema): the same rows the adapter would write, faster."""
    seed_storage(storage, 0)
    account_json = to_json(attrs.evolve(an_account(), billing_profile_id=PROFILE))
    movement_json = to_json(_earmark("account-north"))
    with storage.engine.begin() as connection:
        for start in range(0, n, batch):
            rows, moves, balances = [], [], []
            for i in range(start, min(n, start + batch)):
                account = attrs.evolve(
                    an_account(account_number(i), name=f"shop-{i:07d}"),
                    billing_profile_id=PROFILE,
                )
                row = schema.account_columns(account)
                # The stored JSON differs from the template's only by id and name.
                row["data"] = account_json.replace('"account-north"', f'"{account.id}"').replace(
                    '"north-bakery"', f'"{account.name}"'
                )
                rows.append(row)
                move = movement_rows(_earmark(account.id))
                move["data"] = movement_json.replace("account-north", account.id)
                moves.append(move)
                balances.append(balance_rows(account_wallet(account.id), EARMARK))
            connection.execute(insert(schema.accounts), rows)
            connection.execute(insert(schema.movements), moves)
            connection.execute(insert(schema.balances), balances)
        if n:
            connection.execute(insert(schema.balances), [balance_rows(OUTSIDE, -EARMARK * n)])
    if storage.dialect == "postgresql":
        with storage.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def portal_on(storage: Storage) -> PartnerPortal:
    """Wire a portal on ``storage`` with the simulated gateways and a clock at UNTIL."""
    secrets = SeededSecrets(0)
    return PartnerPortal(
        storage=storage,
        gateway=SimulatedGateway(),
        payouts=SimulatedPayoutGateway(),
        notifier=RecordingNotifier(),
        provisioner=SimulatedProvisioner(),
        clock=ManualClock(datetime(UNTIL.year, UNTIL.month, UNTIL.day, 9, tzinfo=UTC)),
        ids=SequentialIds(),
        secrets=secrets,
        sso_secret=secrets.token_bytes(32),
        policies=Policies.embedded(),
    )


@contextmanager
def postgres_storage() -> Iterator[SqlStorage | None]:
    """Yield a storage on a scratch PostgreSQL schema (None when no URL is set); drop it."""
    url = postgres_url()
    if url is None:
        yield None
        return
    scratch = ScratchSchema(url)
    try:
        yield scratch.storage()
    finally:
        scratch.drop()


@contextmanager
def sql_storage(backend: str, path: Path) -> Iterator[SqlStorage]:
    """Yield a new storage of ``backend``: on ``"sqlite"`` the SQLite file at ``path``, else
    a scratch PostgreSQL schema (see :func:`postgres_storage`); dispose of it after.

    Raises:
        RuntimeError: PostgreSQL was asked for and RESELL_CORE_POSTGRES_URL is not set.
    """
    if backend == "sqlite":
        storage = SqlStorage(f"sqlite:///{path}")
        try:
            yield storage
        finally:
            storage.dispose()
        return
    with postgres_storage() as found:
        if found is None:
            raise RuntimeError("RESELL_CORE_POSTGRES_URL is not set")
        try:
            yield found
        finally:
            found.dispose()


def postgres_dsn() -> str | None:
    """Return the PostgreSQL URL as a libpq connection string for psycopg, or None."""
    url = postgres_url()
    return None if url is None else url.replace("postgresql+psycopg://", "postgresql://")


class Timer:
    """Wall-clock seconds of a block (``with Timer() as t: ...; t.seconds``).

    The garbage collector runs a full collection before the clock starts, so that every
    measured block, the library's and the baseline's, starts from the same collector
    state (collections during the block are measured, as in real runs).
    """

    seconds: float = 0.0

    def __enter__(self) -> Timer:
        gc.collect()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self._start


@attrs.frozen
class Figure:
    """One line of the printed table: a library figure against its baseline's.

    Attributes:
        what: What was measured.
        n: How many accounts.
        library: The library's figure.
        baseline: The baseline's figure.
        unit: The figures' unit (``"accounts/s"``, ``"ms"``, ``"MiB"``).
        higher_is_better: True for throughputs.
        goal: The ratio to stay within (None: no goal, shown for information).
        spread: The lowest and highest ratio of the paired runs when the figures are
            medians of several (None: one run).
    """

    what: str
    n: int
    library: float
    baseline: float
    unit: str
    higher_is_better: bool = True
    goal: float | None = 1.5
    spread: tuple[float, float] | None = None

    @property
    def ratio(self) -> float:
        """How many times slower (or bigger) the library is than the baseline."""
        if self.higher_is_better:
            return self.baseline / self.library if self.library else float("inf")
        return self.library / self.baseline if self.baseline else float("inf")

    @property
    def verdict(self) -> str:
        """``meets`` / ``misses`` the goal, or ``-`` when there is none."""
        if self.goal is None:
            return "-"
        return "meets" if self.ratio <= self.goal else "misses"


def print_table(title: str, figures: list[Figure]) -> None:
    """Print the figures as an aligned table under ``title``."""
    print(f"\n{title}")
    print(
        f"  {'what':<48} {'N':>8} {'library':>12} {'baseline':>12} {'unit':<11} ratio  "
        f"{'spread':<11}  goal"
    )
    for f in figures:
        goal = "-" if f.goal is None else f"<={f.goal:g}x {f.verdict}"
        spread = "" if f.spread is None else f"{f.spread[0]:.2f}-{f.spread[1]:.2f}x"
        # An operation's microseconds need more places, and so do a peak's MiB.
        places = 3 if f.unit == "µs" else 2 if f.unit == "MiB" else 1
        print(
            f"  {f.what:<48} {f.n:>8} {f.library:>12,.{places}f} {f.baseline:>12,.{places}f} "
            f"{f.unit:<11} {f.ratio:5.2f}x {spread:<11}  {goal}"
        )


def env_flag(name: str) -> bool:
    """Tell whether an environment variable is set to something true."""
    return os.environ.get(name, "") not in ("", "0", "false")


Setup = Callable[[], Any]
