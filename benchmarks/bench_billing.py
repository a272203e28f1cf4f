"""The billing run over N accounts: the library against hand-written loops, same run.

Three measures per database:

- **service**: ``PartnerPortal.run_billing`` over the storage adapter, the real code path
  (a page of due accounts billed in one unit of work, its keys and balances read in one
  query each);
- **storage loop**: the same domain steps (``due_periods``, ``price_due``, ``bill_period``,
  ``start_payment``) written through the storage port, 100 accounts a unit of work: what the
  adapter costs when the transactions are batched as in the baseline;
- **raw loop**: sqlite3 / psycopg (pipeline mode) directly, the same rows per account
  (invoice with its lines, the account's billing cursor, next billing date and version,
  ledger movement, wallet debit and "spent" credit, agency invoice number, audit entries)
  with the same JSON documents (a test compares them), plus an idempotency record, 100
  accounts a transaction.

On memory, a plain-dict loop doing the same bookkeeping is the baseline.

Each side runs once on a few accounts before anything is measured (a process's one-time
work is no billing run's cost), and each measured block starts after a full garbage
collection (``common.Timer``).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import attrs

from benchmarks.common import (
    ACME,
    EARMARK,
    PROFILE,
    UNTIL,
    Figure,
    Timer,
    accounts,
    portal_on,
    postgres_dsn,
    postgres_storage,
    seed_sql,
    seed_storage,
)
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.audit import AuditEvent
from resell_core.billing.due import due_periods
from resell_core.billing.ledger import CreditKind, account_wallet
from resell_core.billing.payment import start_payment
from resell_core.billing.run import bill_period, price_due
from resell_core.money import Money
from resell_core.periods import nth_period
from resell_core.ports import IdempotencyRecord, Storage
from resell_core.pricing.catalog import Catalog
from resell_core.testing.contracts.samples import an_agency

__all__ = [
    "BATCH",
    "dict_loop",
    "domain_loop",
    "raw_psycopg_loop",
    "raw_sqlite_loop",
    "run",
    "service_run",
    "storage_loop",
]

BATCH = 100
"""Accounts a transaction in the batched loops."""

_NOW = datetime(UNTIL.year, UNTIL.month, UNTIL.day, 9, tzinfo=UTC)
_LIST = Decimal("120.00")  # the plan's list price
_PRICE = Decimal("96.00")  # what the catalog makes of it at a 20 % discount
_MICRO = 10**6


# -- the library -----------------------------------------------------------------------------


def service_run(storage: Storage, n: int) -> float:
    """Bill the N seeded accounts with the portal's billing run; return the seconds."""
    portal = portal_on(storage)
    with Timer() as timer:
        report = portal.run_billing(UNTIL)
    if report.invoices_created != n or report.errors:
        raise AssertionError(f"the run billed {report.invoices_created} of {n}: {report}")
    return timer.seconds


def storage_loop(storage: Storage, n: int) -> float:
    """Bill the N seeded accounts with the domain functions through the storage port,
    ``BATCH`` accounts a unit of work; return the seconds."""
    catalog = Catalog.sample()
    before = date.fromordinal(UNTIL.toordinal() + 1)
    billed = 0
    with Timer() as timer:
        after: str | None = None
        while True:
            with storage.unit_of_work() as uow:
                page = uow.accounts.due(before, after_id=after, limit=BATCH)
                if not page:
                    break
                agency = uow.agencies.get(ACME)
                for account in page:
                    period = due_periods(account, UNTIL)[0]
                    figures = price_due(catalog, period, reseller_rate=agency.reseller_rate)
                    number, agency = agency.numbered()
                    done = bill_period(
                        account,
                        period,
                        figures,
                        invoice_id=f"invoice-{number:07d}",
                        number=number,
                        issued_on=UNTIL,
                    )
                    earmarked = uow.ledger.balance(ACME, account_wallet(account.id), _PREPAID)
                    start = start_payment(
                        done.invoice,
                        profile=None,
                        earmarked=Money(earmarked, "USD"),
                        pool=_NONE,
                        on=UNTIL,
                    )
                    for movement in start.movements:
                        uow.ledger.append(movement)
                    uow.invoices.add(start.invoice)
                    uow.accounts.update(done.account)
                    for action, subject in (
                        ("period_billed", account.id),
                        ("invoice_issued", done.invoice.id),
                        ("invoice_paid", done.invoice.id),
                    ):
                        uow.events.append(
                            AuditEvent(_NOW, ACME, "system", action, subject, None, None)
                        )
                    uow.idempotency.put(
                        IdempotencyRecord(ACME, f"bill/{period.key}", "-", "null", _NOW)
                    )
                    billed += 1
                uow.agencies.update(agency)
                uow.commit()
                after = page[-1].id
    if billed != n:
        raise AssertionError(f"the storage loop billed {billed} of {n}")
    return timer.seconds


def domain_loop(n: int) -> float:
    """Run the storage loop's domain steps alone, on accounts in a list and without any
    storage; return the seconds. What the storage loop costs beyond this is the storage's."""
    catalog = Catalog.sample()
    agency = an_agency()
    earmarked = Money(EARMARK, "USD")
    page = list(accounts(n))
    with Timer() as timer:
        for account in page:
            period = due_periods(account, UNTIL)[0]
            figures = price_due(catalog, period, reseller_rate=agency.reseller_rate)
            number, agency = agency.numbered()
            done = bill_period(
                account,
                period,
                figures,
                invoice_id=f"invoice-{number:07d}",
                number=number,
                issued_on=UNTIL,
            )
            start_payment(done.invoice, profile=None, earmarked=earmarked, pool=_NONE, on=UNTIL)
    return timer.seconds


# -- the hand-written baselines ----------------------------------------------------------------


@attrs.frozen
class _Billed:
    """One account's rows, as a hand-written loop builds them."""

    invoice: tuple[Any, ...]
    account: tuple[Any, ...]
    movement: tuple[Any, ...]
    debit: tuple[Any, ...]
    spent: tuple[Any, ...]
    events: list[tuple[Any, ...]]
    key: tuple[Any, ...]


def _bill_row(row_id: str, version: int, data: str, index: int, number: int) -> _Billed:
    """Build one account's rows by hand (JSON by hand, the prices from a lookup)."""
    account = json.loads(data)
    anchor = date.fromisoformat(account["anchor"])
    period = nth_period(anchor, "monthly", index)
    following = nth_period(anchor, "monthly", index + 1)
    invoice_id = f"invoice-{number:06d}"  # as the service's ids (SequentialIds)
    period_key = f"{row_id}/{period.start.isoformat()}"
    amount = str(_PRICE)
    money = {"amount": amount, "currency": "USD"}
    zero = {"amount": "0", "currency": "USD"}
    span = {"start": period.start.isoformat(), "end": period.end.isoformat()}

    def line(kind: str, description: str, value: Decimal) -> dict[str, object]:
        price = {"amount": str(value), "currency": "USD"}
        return {
            "kind": kind,
            "description": description,
            "quantity": "1",
            "unit_price": price,
            "amount": price,
            "period": span,
        }

    invoice = json.dumps(
        {
            "id": invoice_id,
            "agency_id": ACME,
            "number": number,
            "account_id": row_id,
            "profile_id": PROFILE,
            "issued_on": UNTIL.isoformat(),
            "currency": "USD",
            "lines": [
                line(
                    "recurring", f"marketing plus (monthly) [{period.start}, {period.end})", _LIST
                ),
                line("discount", "Reseller discount", _PRICE - _LIST),
            ],
            "status": "paid",
            "paid_earmarked": money,
            "paid_pool": zero,
            "paid_card": zero,
            "attempts": 0,
            "next_retry_on": None,
            "dunning_ends_on": None,
            "period_key": period_key,
            "version": 0,
            "taxes": [],
        }
    )
    movement_id = f"{invoice_id}/earmarked"
    wallet = f"account:{row_id}"
    movement = json.dumps(
        {
            "id": movement_id,
            "agency_id": ACME,
            "kind": "prepaid",
            "quantity": amount,
            "source": wallet,
            "destination": "spent",
            "on": UNTIL.isoformat(),
            "reason": f"invoice {number}",
            "invoice_id": invoice_id,
        }
    )
    micros = int(_PRICE * _MICRO)
    at = _NOW.isoformat()
    events = [
        (
            ACME,
            subject,
            json.dumps(
                {
                    "action": action,
                    "actor": "system",
                    "after": after,
                    "agency_id": ACME,
                    "at": at,
                    "before": before,
                    "subject": subject,
                }
            ),
        )
        for action, subject, before, after in (
            ("period_billed", row_id, "active", "active"),
            ("invoice_issued", invoice_id, None, f"{number} USD {amount}"),
            ("invoice_paid", invoice_id, None, f"USD {amount}"),
        )
    ]
    return _Billed(
        invoice=(invoice_id, ACME, number, row_id, "paid", None, period_key, 0, invoice),
        account=(
            index + 1,
            period.end.isoformat(),
            period.end.isoformat(),
            following.start.isoformat(),
            version + 1,
            row_id,
            version,
        ),
        movement=(movement_id, ACME, "prepaid", wallet, "spent", movement),
        debit=(micros, ACME, wallet, "prepaid"),
        spent=(ACME, "spent", "prepaid", micros),
        events=events,
        key=(ACME, f"bill/{period_key}", "-", int(_NOW.timestamp() * _MICRO), "null"),
    )


_INSERT_INVOICE = (
    "INSERT INTO invoices (id, agency_id, number, account_id, status, next_retry_on, "
    "period_key, version, data) VALUES ({})"
)
_UPDATE_ACCOUNT = (
    "UPDATE accounts SET next_period = {0}, paid_through = {0}, expires_on = {0}, "
    "next_billing_on = {0}, version = {0} WHERE id = {0} AND version = {0}"
)
_INSERT_MOVEMENT = (
    "INSERT INTO movements (id, agency_id, kind, source, destination, data) VALUES ({})"
)
_DEBIT = (
    "UPDATE balances SET amount = amount - {0} WHERE agency_id = {0} AND wallet = {0} "
    "AND kind = {0}"
)
_CREDIT = (
    "INSERT INTO balances (agency_id, wallet, kind, amount) VALUES ({}) "
    "ON CONFLICT (agency_id, wallet, kind) DO UPDATE SET amount = balances.amount + "
    "excluded.amount"
)
_INSERT_EVENT = "INSERT INTO events (agency_id, subject, data) VALUES ({})"
_INSERT_KEY = "INSERT INTO idempotency (scope, key, fingerprint, at_us, data) VALUES ({})"


def _marks(mark: str, count: int) -> str:
    return ", ".join([mark] * count)


def raw_sqlite_loop(path: str, n: int) -> float:
    """Bill the N accounts seeded in the SQLite file with sqlite3 directly; return the seconds."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    q = "?"
    insert_invoice = _INSERT_INVOICE.format(_marks(q, 9))
    update_account = _UPDATE_ACCOUNT.format(q)
    insert_movement = _INSERT_MOVEMENT.format(_marks(q, 6))
    debit = _DEBIT.format(q)
    credit = _CREDIT.format(_marks(q, 4))
    insert_event = _INSERT_EVENT.format(_marks(q, 3))
    insert_key = _INSERT_KEY.format(_marks(q, 5))
    billed = 0
    with Timer() as timer:
        after = ""
        while True:
            page = db.execute(
                "SELECT id, version, data, next_period FROM accounts WHERE next_billing_on < ? "
                "AND id > ? ORDER BY id LIMIT ?",
                (date.fromordinal(UNTIL.toordinal() + 1).isoformat(), after, BATCH),
            ).fetchall()
            if not page:
                break
            db.execute("BEGIN IMMEDIATE")
            version, data = db.execute(
                "SELECT version, data FROM agencies WHERE id = ?", (ACME,)
            ).fetchone()
            agency = json.loads(data)
            wallets = [f"account:{row[0]}" for row in page]
            held: dict[str, int] = dict(
                db.execute(
                    "SELECT wallet, amount FROM balances WHERE agency_id = ? AND kind = ? "
                    f"AND wallet IN ({_marks(q, len(wallets))})",
                    (ACME, "prepaid", *wallets),
                ).fetchall()
            )
            rows = []
            for row_id, row_version, row_data, index in page:
                number = agency["next_invoice_number"]
                agency["next_invoice_number"] = number + 1
                if held[f"account:{row_id}"] < _PRICE * _MICRO:
                    raise AssertionError("not enough prepaid credit")
                rows.append(_bill_row(row_id, row_version, row_data, index, number))
            db.executemany(insert_invoice, [r.invoice for r in rows])
            db.executemany(update_account, [r.account for r in rows])
            db.executemany(insert_movement, [r.movement for r in rows])
            db.executemany(debit, [r.debit for r in rows])
            db.executemany(credit, [r.spent for r in rows])
            db.executemany(insert_event, [e for r in rows for e in r.events])
            db.executemany(insert_key, [r.key for r in rows])
            agency["version"] = version + 1
            db.execute(
                "UPDATE agencies SET version = ?, data = ? WHERE id = ? AND version = ?",
                (version + 1, json.dumps(agency), ACME, version),
            )
            db.execute("COMMIT")
            billed += len(rows)
            after = page[-1][0]
    db.close()
    if billed != n:
        raise AssertionError(f"the raw loop billed {billed} of {n}")
    return timer.seconds


def raw_psycopg_loop(dsn: str, search_path: str, n: int) -> float:
    """Bill the N accounts seeded in the PostgreSQL schema with psycopg directly (pipeline
    mode); return the seconds."""
    import psycopg  # noqa: PLC0415 (only when PostgreSQL is configured)

    q = "%s"
    insert_invoice = _INSERT_INVOICE.format(_marks(q, 9))
    update_account = _UPDATE_ACCOUNT.format(q)
    insert_movement = _INSERT_MOVEMENT.format(_marks(q, 6))
    debit = _DEBIT.format(q)
    credit = _CREDIT.format(_marks(q, 4))
    insert_event = _INSERT_EVENT.format(_marks(q, 3))
    insert_key = _INSERT_KEY.format(_marks(q, 5))
    billed = 0
    with psycopg.connect(dsn, options=f"-csearch_path={search_path}") as db, Timer() as timer:
        after = ""
        before = date.fromordinal(UNTIL.toordinal() + 1)
        while True:
            cursor = db.cursor()
            page = cursor.execute(
                "SELECT id, version, data, next_period FROM accounts WHERE next_billing_on < %s "
                "AND id > %s ORDER BY id LIMIT %s",
                (before, after, BATCH),
            ).fetchall()
            if not page:
                db.rollback()
                break
            version, data = cursor.execute(
                "SELECT version, data FROM agencies WHERE id = %s FOR UPDATE", (ACME,)
            ).fetchone() or (0, "")
            agency = json.loads(data)
            held: dict[str, int] = dict(
                cursor.execute(
                    "SELECT wallet, amount FROM balances WHERE agency_id = %s AND kind = %s "
                    "AND wallet = ANY(%s)",
                    (ACME, "prepaid", [f"account:{row[0]}" for row in page]),
                ).fetchall()
            )
            rows = []
            for row_id, row_version, row_data, index in page:
                number = agency["next_invoice_number"]
                agency["next_invoice_number"] = number + 1
                if held[f"account:{row_id}"] < _PRICE * _MICRO:
                    raise AssertionError("not enough prepaid credit")
                rows.append(_bill_row(row_id, row_version, row_data, index, number))
            agency["version"] = version + 1
            with db.pipeline():
                cursor.executemany(insert_invoice, [r.invoice for r in rows])
                cursor.executemany(
                    update_account,
                    [
                        (
                            r.account[0],
                            *(date.fromisoformat(d) for d in r.account[1:4]),
                            *r.account[4:],
                        )
                        for r in rows
                    ],
                )
                cursor.executemany(insert_movement, [r.movement for r in rows])
                cursor.executemany(debit, [r.debit for r in rows])
                cursor.executemany(credit, [r.spent for r in rows])
                cursor.executemany(insert_event, [e for r in rows for e in r.events])
                cursor.executemany(insert_key, [r.key for r in rows])
                cursor.execute(
                    "UPDATE agencies SET version = %s, data = %s WHERE id = %s AND version = %s",
                    (version + 1, json.dumps(agency), ACME, version),
                )
            db.commit()
            billed += len(rows)
            after = page[-1][0]
    if billed != n:
        raise AssertionError(f"the raw loop billed {billed} of {n}")
    return timer.seconds


def dict_loop(n: int) -> float:
    """Bill N accounts kept in plain dicts, with the same bookkeeping; return the seconds."""
    accounts_by_id = {
        a.id: {"anchor": a.anchor, "next_period": 1, "version": 0} for a in accounts(n)
    }
    balances = {f"account:{key}": EARMARK for key in accounts_by_id}
    invoices: dict[str, dict[str, object]] = {}
    period_keys: dict[str, str] = {}
    movements: list[tuple[str, str, str, Decimal]] = []
    events: list[tuple[str, str, str]] = []
    keys: dict[tuple[str, str], str] = {}
    agency = {"next_invoice_number": 1, "version": 0}
    with Timer() as timer:
        for key, account in sorted(accounts_by_id.items()):
            index = int(str(account["next_period"]))
            anchor = account["anchor"]
            assert isinstance(anchor, date)
            period = nth_period(anchor, "monthly", index)
            period_key = f"{key}/{period.start}"
            if period_key in period_keys:
                continue
            number = int(str(agency["next_invoice_number"]))
            agency["next_invoice_number"] = number + 1
            invoice_id = f"invoice-{number:07d}"
            wallet = f"account:{key}"
            if balances[wallet] < _PRICE:
                raise AssertionError("not enough prepaid credit")
            balances[wallet] -= _PRICE
            balances["spent"] = balances.get("spent", Decimal(0)) + _PRICE
            movements.append((f"{invoice_id}/earmarked", wallet, "spent", _PRICE))
            invoices[invoice_id] = {
                "number": number,
                "account_id": key,
                "period": period,
                "amount": _PRICE,
                "status": "paid",
            }
            period_keys[period_key] = invoice_id
            account["next_period"] = index + 1
            account["paid_through"] = period.end
            account["version"] = int(str(account["version"])) + 1
            events.extend(
                (ACME, action, subject)
                for action, subject in (
                    ("period_billed", key),
                    ("invoice_issued", invoice_id),
                    ("invoice_paid", invoice_id),
                )
            )
            keys[(ACME, f"bill/{period_key}")] = "null"
    if len(invoices) != n:
        raise AssertionError(f"the dict loop billed {len(invoices)} of {n}")
    return timer.seconds


# -- the run -----------------------------------------------------------------------------------

_PREPAID = CreditKind.PREPAID
_NONE = Money(0, "USD")


def _memory(n: int, library: Callable[[Storage, int], float]) -> float:
    storage = MemoryStorage()
    seed_storage(storage, n)
    return library(storage, n)


def _sqlite(n: int, library: Callable[[Storage, int], float]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        storage = SqlStorage(f"sqlite:///{Path(folder) / 'bench.db'}")
        seed_sql(storage, n)
        try:
            return library(storage, n)
        finally:
            storage.dispose()


def _sqlite_raw(n: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        storage = SqlStorage(f"sqlite:///{path}")
        seed_sql(storage, n)
        storage.dispose()
        return raw_sqlite_loop(str(path), n)


def _postgres(n: int, library: Callable[[Storage, int], float]) -> float | None:
    with postgres_storage() as storage:
        if storage is None:
            return None
        seed_sql(storage, n)
        return library(storage, n)


def _postgres_raw(n: int) -> float | None:
    dsn = postgres_dsn()
    with postgres_storage() as storage:
        if storage is None or dsn is None:
            return None
        seed_sql(storage, n)
        search_path = str(storage.engine.url.query.get("options", ""))
        schema_name = _search_path(storage)
        del search_path
        return raw_psycopg_loop(dsn, schema_name, n)


def _search_path(storage: SqlStorage) -> str:
    with storage.engine.connect() as connection:
        found = connection.exec_driver_sql("SHOW search_path").scalar()
    return str(found)


def _rate(what: str, n: int, seconds: float, baseline_seconds: float) -> Figure:
    """A throughput line: N accounts in the library's seconds against the baseline's."""
    return Figure(what, n, n / seconds, n / baseline_seconds, "accounts/s")


def _paired(
    what: str,
    n: int,
    library: Callable[[int], float | None],
    baseline: Callable[[int], float | None],
    repeat: int,
) -> Figure | None:
    """A throughput line from ``repeat`` runs of each side at N, baseline then library in
    turn (so that both see the machine alike): the medians of their seconds, and the
    lowest and highest ratio of a pair as the spread. None when a side cannot run here."""
    pairs: list[tuple[float, float]] = []
    for _ in range(repeat):
        base = baseline(n)
        mine = library(n)
        if base is None or mine is None:
            return None
        pairs.append((mine, base))
    ratios = sorted(mine / base for mine, base in pairs)
    median = _rate(
        what, n, statistics.median(m for m, _ in pairs), statistics.median(b for _, b in pairs)
    )
    return attrs.evolve(median, spread=(ratios[0], ratios[-1]))


def _warm_up() -> None:
    """Run each side once on a few accounts, unmeasured: what a process does once (SQL
    compiled, JSON writers and readers generated, drivers' statement caches filled) is not
    a billing run's cost."""
    dict_loop(_WARM_UP)
    _memory(_WARM_UP, service_run)
    _sqlite_raw(_WARM_UP)
    _sqlite(_WARM_UP, service_run)
    _postgres_raw(_WARM_UP)
    _postgres(_WARM_UP, service_run)


_WARM_UP = 50


_Side = Callable[[int], float | None]

_MEASURES: tuple[tuple[str, _Side, _Side, bool], ...] = (
    ("memory: service run vs dict loop", partial(_memory, library=service_run), dict_loop, False),
    ("domain steps alone (no storage) vs dict loop", domain_loop, dict_loop, True),
    ("memory: storage loop vs dict loop", partial(_memory, library=storage_loop), dict_loop, True),
    (
        "sqlite: service run vs raw sqlite3",
        partial(_sqlite, library=service_run),
        _sqlite_raw,
        False,
    ),
    (
        "sqlite: storage loop vs raw sqlite3",
        partial(_sqlite, library=storage_loop),
        _sqlite_raw,
        True,
    ),
    (
        "postgresql: service run vs raw psycopg",
        partial(_postgres, library=service_run),
        _postgres_raw,
        False,
    ),
    (
        "postgresql: storage loop vs raw psycopg",
        partial(_postgres, library=storage_loop),
        _postgres_raw,
        True,
    ),
)
"""Each figure: what it is, the library's side, the baseline's, whether it is a storage
loop (or the domain steps) that ``storage_loops=False`` leaves out."""


def run(sizes: list[int], *, storage_loops: bool = True, repeat: int = 3) -> list[Figure]:
    """Measure every billing figure at each size, each the median of ``repeat`` paired
    runs; return them (accounts/s). The domain steps alone have no goal (information)."""
    _warm_up()
    figures: list[Figure] = []
    for n in sizes:
        for what, library, baseline, loop in _MEASURES:
            if loop and not storage_loops:
                continue
            figure = _paired(what, n, library, baseline, repeat)
            if figure is not None:
                figures.append(
                    attrs.evolve(figure, goal=None) if what.startswith("domain") else figure
                )
    return figures
