"""The billing run over N accounts: the library against hand-written loops, same run.

The measures per database:

- **service**: ``PartnerPortal.run_billing`` over the storage adapter, the real code path
  (a page of due accounts billed in one unit of work, its keys and balances read in one
  query each);
- **storage loop**: the same domain steps (``due_periods``, ``price_due``, ``bill_period``,
  ``start_payment``) written through the storage port, 100 accounts a unit of work: what the
  adapter costs when the transactions are batched as in the baseline;
- **tight loop** (the billing goal's baseline): sqlite3 / psycopg directly, written for
  speed as a careful engineer would (see "the tight loops" below), writing byte for byte
  the rows the service run writes, 100 accounts a transaction;
- **raw loop (reference)**: sqlite3 / psycopg (pipeline mode) directly, the same rows per
  account (invoice with its lines, the account's billing cursor, next billing date and
  version, ledger movement, wallet debit and "spent" credit, agency invoice number, audit
  entries) with the same JSON documents (a test compares them), plus an idempotency
  record, 100 accounts a transaction, each document built as a dict and dumped: the
  earlier baseline, printed for comparison, without a goal.

On memory, a plain-dict loop doing the same bookkeeping is the baseline.

Each side runs once on a few accounts before anything is measured (a process's one-time
work is no billing run's cost), and each measured block starts after a full garbage
collection (``common.Timer``).
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import statistics
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
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
    "session_options",
    "storage_loop",
    "tight_psycopg_loop",
    "tight_sqlite_loop",
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


# -- the reference raw loops (the earlier baseline) -------------------------------------------


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
    """Bill the N accounts seeded in the SQLite file with sqlite3 directly, as the reference
    loop (documents built as dicts and dumped, an idempotency record an account more than
    the service writes); return the seconds."""
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
    mode), as the reference loop (see :func:`raw_sqlite_loop`); return the seconds."""
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


# -- the tight loops ---------------------------------------------------------------------------
#
# What a careful engineer writes by hand for speed, writing byte for byte the rows the
# service run writes (tests/unit/adapters/test_benchmarks_smoke.py compares full table
# dumps; like the service, no idempotency record): a page's accounts read with their
# earmarked balance in one query, only the columns the bill needs (the anchor taken out
# of the JSON by the database); each period, its prices and its line texts worked out
# once and kept; every document made from a template of its JSON text; each table
# written once a page (executemany on sqlite3; on PostgreSQL one set-based statement a
# table, its columns bound as binary arrays, in one pipeline: text arrays of JSON would
# be escaped in Python, many times slower); one commit a page. It keeps the checks a
# hand-written loop keeps (enough credit, the account's and the agency's versions, the
# database's constraints) and knows one catalog entry, so that any other plan, status
# or agency fails loudly instead of billing wrongly.
#
# One place per row shape: a document's fields in its ``_..._shape`` function, a row's
# columns in its tuple in ``_bill_page`` and its statement below. When the service's
# rows change, the byte-for-byte test names the table to follow.

_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
"""The library's JSON text (``json.dumps(..., ensure_ascii=False, sort_keys=True)``)."""

_CENT = Decimal("0.01")

_PLANS: dict[tuple[Any, ...], tuple[str, Decimal]] = {
    ("V3", "marketing", "plus", 2500, "monthly"): ("marketing plus (monthly)", _LIST),
}
"""The catalog the tight loops know: a plan's columns (version, product, tier, contacts,
frequency) to its line's label and list price."""


def _slot(name: str) -> str:
    """A text value filled in per row (its JSON string's quotes kept)."""
    return f"\ue000{name}\ue001"


def _number_slot(name: str) -> str:
    """A number filled in per row (written bare, without quotes)."""
    return f"\ue002{name}\ue001"


_TEXT_SLOT = re.compile("\ue000(\\w+)\ue001")
_NUMBER_SLOT = re.compile('"\ue002(\\w+)\ue001"')


def _template(document: dict[str, object]) -> str:
    """The document's JSON text as a ``%``-format string: every slot becomes ``%(name)s``."""
    text = _ENCODE(document).replace("%", "%%")
    return _TEXT_SLOT.sub(r"%(\1)s", _NUMBER_SLOT.sub(r"%(\1)s", text))


def _json_text(value: str) -> str:
    """A text as it stands between the quotes of a JSON string (escaped only when needed)."""
    if value.isprintable() and '"' not in value and "\\" not in value:
        return value
    return _ENCODE(value)[1:-1]


def _money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def _invoice_shape(due: _Due, profile_id: str | None) -> str:
    """The invoice document (``invoices.data``) of a due period, paid from earmarked
    credit; slots: account_id, id, number, period_key."""
    span = {"start": due.start, "end": due.end}

    def line(kind: str, description: str, amount: str) -> dict[str, object]:
        price = _money(amount, due.currency)
        return {
            "kind": kind,
            "description": description,
            "quantity": "1",
            "unit_price": price,
            "amount": price,
            "period": span,
        }

    zero = _money("0", due.currency)
    return _template(
        {
            "id": _slot("id"),
            "agency_id": due.agency_id,
            "number": _number_slot("number"),
            "account_id": _slot("account_id"),
            "profile_id": profile_id,
            "issued_on": due.issued_on,
            "currency": due.currency,
            "lines": [
                line("recurring", f"{due.label} [{due.start}, {due.end})", due.list_price),
                line("discount", "Reseller discount", due.discount),
            ],
            "status": "paid",
            "paid_earmarked": _money(due.total, due.currency),
            "paid_pool": zero,
            "paid_card": zero,
            "attempts": 0,
            "next_retry_on": None,
            "dunning_ends_on": None,
            "period_key": _slot("period_key"),
            "version": 0,
            "taxes": [],
        }
    )


def _movement_shape(due: _Due) -> str:
    """The ledger movement (``movements.data``) paying an invoice from the account's
    earmarked credit; slots: movement_id, invoice_id, number, wallet."""
    return _template(
        {
            "id": _slot("movement_id"),
            "agency_id": due.agency_id,
            "kind": "prepaid",
            "quantity": due.total,
            "source": _slot("wallet"),
            "destination": "spent",
            "on": due.issued_on,
            "reason": f"invoice {_slot('number')}",
            "invoice_id": _slot("invoice_id"),
        }
    )


def _event_shapes(due: _Due, status: str) -> tuple[str, str, str]:
    """The three audit entries (``events.data``) of a billed period: the period billed
    (slot: account_id), the invoice issued (slots: id, number) and paid (slot: id)."""

    def event(action: str, subject: str, before: str | None, after: str) -> str:
        return _template(
            {
                "action": action,
                "actor": "system",
                "after": after,
                "agency_id": due.agency_id,
                "at": due.at,
                "before": before,
                "subject": subject,
            }
        )

    total = f"{due.currency} {due.total}"
    return (
        event("period_billed", _slot("account_id"), status, status),
        event("invoice_issued", _slot("id"), None, f"{_slot('number')} {total}"),
        event("invoice_paid", _slot("id"), None, total),
    )


class _Due:
    """One due period of one plan at the agency's rate, worked out once and kept: its
    dates, its prices and the templates of the rows that bill it."""

    __slots__ = (
        "agency_id",
        "at",
        "currency",
        "discount",
        "end",
        "invoice",
        "issued",
        "issued_on",
        "label",
        "list_price",
        "micros",
        "movement",
        "next_period",
        "paid",
        "period_billed",
        "start",
        "total",
    )

    def __init__(
        self,
        agency: dict[str, Any],
        *,
        anchor: str,
        index: int,
        plan: tuple[Any, ...],
        profile_id: str | None,
        status: str,
    ) -> None:
        if plan not in _PLANS or status != "active":
            raise AssertionError(f"the tight loop knows no {plan} account {status}")
        self.label, price = _PLANS[plan]
        period = nth_period(date.fromisoformat(anchor), str(plan[4]), index)
        discount = (price * Decimal(agency["reseller_rate"])).quantize(_CENT, ROUND_HALF_EVEN)
        self.agency_id = str(agency["id"])
        self.currency = str(agency["currency"])
        self.start, self.end = period.start.isoformat(), period.end.isoformat()
        self.issued_on, self.at = UNTIL.isoformat(), _NOW.isoformat()
        self.list_price, self.discount, self.total = (
            str(price),
            str(-discount),
            str(price - discount),
        )
        self.micros = int((price - discount).scaleb(6))
        self.next_period = index + 1
        self.invoice = _invoice_shape(self, profile_id)
        self.movement = _movement_shape(self)
        self.period_billed, self.issued, self.paid = _event_shapes(self, status)


class _Writes:
    """One page's rows, table by table, as both tight loops write them."""

    __slots__ = ("agency", "cursors", "debits", "events", "invoices", "movements", "spent")

    def __init__(self) -> None:
        self.invoices: list[tuple[Any, ...]] = []
        self.cursors: dict[tuple[int, str, int], list[str]] = {}
        """(next period, its end, the accounts' version): the accounts moved on to it."""
        self.movements: list[tuple[str, ...]] = []
        self.debits: list[tuple[str, int]] = []
        self.spent = 0
        self.events: list[tuple[str, str, str]] = []
        self.agency: tuple[int, str, int] = (0, "", 0)
        """The agency's new version and document, and the version it had."""


_TIGHT_COLUMNS = (
    "a.id, a.agency_id, a.version, a.next_period, {anchor}, a.billing_profile_id, a.status, "
    "a.plan_version, a.product, a.tier, a.contacts, a.frequency, b.amount"
)
_TIGHT_PAGE = (
    "SELECT {columns} FROM accounts AS a LEFT JOIN balances AS b ON b.agency_id = a.agency_id "
    "AND b.kind = 'prepaid' AND b.wallet = 'account:' || a.id "
    "WHERE a.next_billing_on < {q} AND a.id > {q} ORDER BY a.id LIMIT {q}"
)
"""A page of due accounts with what billing them needs, their earmarked credit joined."""


def _tight_page_sql(anchor: str, q: str) -> str:
    return _TIGHT_PAGE.format(columns=_TIGHT_COLUMNS.format(anchor=anchor), q=q)


def _bill_page(
    page: list[tuple[Any, ...]],
    agency_row: tuple[int, str],
    dues: dict[tuple[Any, ...], _Due],
    ids: Iterator[int],
) -> _Writes:
    """Bill a page of due accounts (rows of ``_TIGHT_PAGE``): every row it writes."""
    version, data = agency_row
    agency = json.loads(data)
    agency_id = agency["id"]
    number = agency["next_invoice_number"]
    writes = _Writes()
    invoices, movements, debits, events = (
        writes.invoices,
        writes.movements,
        writes.debits,
        writes.events,
    )
    cursors = writes.cursors
    spent = 0
    for (
        account_id,
        account_agency,
        account_version,
        index,
        anchor,
        profile_id,
        status,
        *plan,
        held,
    ) in page:
        key = (agency["reseller_rate"], anchor, index, *plan, profile_id, status)
        due = dues.get(key)
        if due is None:
            due = dues[key] = _Due(
                agency,
                anchor=anchor,
                index=index,
                plan=tuple(plan),
                profile_id=profile_id,
                status=status,
            )
        if account_agency != agency_id or held is None or held < due.micros:
            raise AssertionError(f"{account_id}: another agency's, or not enough credit")
        text = _json_text(account_id)
        invoice_id = f"invoice-{next(ids):06d}"  # as the service's ids (SequentialIds)
        movement_id = f"{invoice_id}/earmarked"
        wallet = f"account:{account_id}"
        slots = {
            "id": invoice_id,
            "account_id": text,
            "number": number,
            "period_key": f"{text}/{due.start}",
            "invoice_id": invoice_id,
            "movement_id": movement_id,
            "wallet": f"account:{text}",
        }
        invoices.append(
            (
                invoice_id,
                agency_id,
                number,
                account_id,
                "paid",
                None,
                f"{account_id}/{due.start}",
                0,
                due.invoice % slots,
            )
        )
        movements.append((movement_id, agency_id, "prepaid", wallet, "spent", due.movement % slots))
        debits.append((wallet, due.micros))
        spent += due.micros
        events += (
            (agency_id, account_id, due.period_billed % slots),
            (agency_id, invoice_id, due.issued % slots),
            (agency_id, invoice_id, due.paid % slots),
        )
        cursors.setdefault((due.next_period, due.end, account_version), []).append(account_id)
        number += 1
    writes.spent = spent
    agency["next_invoice_number"] = number
    agency["version"] = version + 1
    writes.agency = (version + 1, _ENCODE(agency), version)
    return writes


def _check(what: str, changed: int, expected: int) -> None:
    if changed != expected:
        raise AssertionError(f"{what}: {changed} rows changed, not {expected}: changed meanwhile?")


_TIGHT_INSERT_INVOICES = (
    "INSERT INTO invoices (id, agency_id, number, account_id, status, next_retry_on, "
    "period_key, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_TIGHT_MOVE_ACCOUNTS = (
    "UPDATE accounts SET next_period = {q}, paid_through = {d}, expires_on = {d}, "
    "next_billing_on = {d}, version = {q} WHERE version = {q} AND id {ids}"
)
_TIGHT_INSERT_MOVEMENTS = (
    "INSERT INTO movements (id, agency_id, kind, source, destination, data) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_TIGHT_DEBIT = (
    "UPDATE balances SET amount = amount - ? WHERE agency_id = ? AND kind = 'prepaid' "
    "AND wallet = ?"
)
_TIGHT_SPEND = (
    "INSERT INTO balances (agency_id, wallet, kind, amount) VALUES ({q}, 'spent', 'prepaid', {q}) "
    "ON CONFLICT (agency_id, wallet, kind) DO UPDATE SET amount = balances.amount + "
    "excluded.amount"
)
_TIGHT_INSERT_EVENTS = "INSERT INTO events (agency_id, subject, data) VALUES (?, ?, ?)"
_TIGHT_AGENCY = "UPDATE agencies SET version = {q}, data = {q} WHERE id = {q} AND version = {q}"


def tight_sqlite_loop(path: str, n: int) -> float:
    """Bill the N accounts seeded in the SQLite file as a tight hand-written sqlite3 loop
    would (see the section's comment); return the seconds."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    select_page = _tight_page_sql("json_extract(a.data, '$.anchor')", "?")
    spend = _TIGHT_SPEND.format(q="?")
    update_agency = _TIGHT_AGENCY.format(q="?")
    before = date.fromordinal(UNTIL.toordinal() + 1).isoformat()
    dues: dict[tuple[Any, ...], _Due] = {}
    ids = itertools.count(1)
    billed = 0
    with Timer() as timer:
        after = ""
        while True:
            db.execute("BEGIN IMMEDIATE")
            page = db.execute(select_page, (before, after, BATCH)).fetchall()
            if not page:
                db.execute("ROLLBACK")
                break
            agency_row = db.execute(
                "SELECT version, data FROM agencies WHERE id = ?", (ACME,)
            ).fetchone()
            writes = _bill_page(page, agency_row, dues, ids)
            db.executemany(_TIGHT_INSERT_INVOICES, writes.invoices)
            for (next_period, end, version), moved in writes.cursors.items():
                statement = _TIGHT_MOVE_ACCOUNTS.format(
                    q="?", d="?", ids=f"IN ({_marks('?', len(moved))})"
                )
                changed = db.execute(
                    statement, (next_period, end, end, end, version + 1, version, *moved)
                ).rowcount
                _check("accounts", changed, len(moved))
            db.executemany(_TIGHT_INSERT_MOVEMENTS, writes.movements)
            changed = db.executemany(
                _TIGHT_DEBIT, [(micros, ACME, wallet) for wallet, micros in writes.debits]
            ).rowcount
            _check("balances", changed, len(writes.debits))
            db.execute(spend, (ACME, writes.spent))
            db.executemany(_TIGHT_INSERT_EVENTS, writes.events)
            changed = db.execute(
                update_agency, (*writes.agency[:2], ACME, writes.agency[2])
            ).rowcount
            _check("agency", changed, 1)
            db.execute("COMMIT")
            billed += len(page)
            after = page[-1][0]
    db.close()
    if billed != n:
        raise AssertionError(f"the tight loop billed {billed} of {n}")
    return timer.seconds


_PG_INSERT_INVOICES = (
    "INSERT INTO invoices (id, agency_id, number, account_id, status, next_retry_on, "
    "period_key, version, data) SELECT id, agency_id, number, account_id, status, "
    "next_retry_on, period_key, version, data FROM unnest(%b::text[], %b::text[], "
    "%b::int[], %b::text[], %b::text[], %b::date[], %b::text[], %b::int[], %b::text[]) "
    "WITH ORDINALITY AS t (id, agency_id, number, account_id, status, next_retry_on, "
    "period_key, version, data, i) ORDER BY i"
)
_PG_INSERT_MOVEMENTS = (
    "INSERT INTO movements (id, agency_id, kind, source, destination, data) "
    "SELECT id, agency_id, kind, source, destination, data FROM unnest(%b::text[], "
    "%b::text[], %b::text[], %b::text[], %b::text[], %b::text[]) WITH ORDINALITY "
    "AS t (id, agency_id, kind, source, destination, data, i) ORDER BY i"
)
_PG_DEBIT = (
    "UPDATE balances AS b SET amount = b.amount - t.amount FROM unnest(%b::text[], "
    "%b::bigint[]) AS t (wallet, amount) WHERE b.agency_id = %s AND b.kind = 'prepaid' "
    "AND b.wallet = t.wallet"
)
_PG_INSERT_EVENTS = (
    "INSERT INTO events (agency_id, subject, data) SELECT agency_id, subject, data "
    "FROM unnest(%b::text[], %b::text[], %b::text[]) WITH ORDINALITY "
    "AS t (agency_id, subject, data, i) ORDER BY i"
)


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list a column (each bound as an array)."""
    return [list(column) for column in zip(*rows, strict=True)]


def tight_psycopg_loop(dsn: str, options: str, n: int) -> float:
    """Bill the N accounts seeded in the PostgreSQL schema as a tight hand-written psycopg
    loop would (see the section's comment): a page's reads in one round trip, its writes
    one set-based statement a table in one pipeline; return the seconds.

    ``options``: the connection's ``options`` (the search path and the session settings
    the service's connections have)."""
    import psycopg  # noqa: PLC0415 (only when PostgreSQL is configured)

    select_page = _tight_page_sql("a.data::json ->> 'anchor'", "%s")
    move_accounts = _TIGHT_MOVE_ACCOUNTS.format(q="%s", d="%s::date", ids="= ANY(%b)")
    spend = _TIGHT_SPEND.format(q="%s")
    update_agency = _TIGHT_AGENCY.format(q="%s")
    before = date.fromordinal(UNTIL.toordinal() + 1)
    dues: dict[tuple[Any, ...], _Due] = {}
    ids = itertools.count(1)
    billed = 0
    with psycopg.connect(dsn, options=options) as db, Timer() as timer:
        after = ""
        while True:
            with db.pipeline():
                page_cursor = db.execute(select_page, (before, after, BATCH))
                agency_cursor = db.execute(
                    "SELECT version, data FROM agencies WHERE id = %s FOR UPDATE", (ACME,)
                )
            page = page_cursor.fetchall()
            agency_row = agency_cursor.fetchone()
            if not page or agency_row is None:
                db.rollback()
                break
            writes = _bill_page(page, agency_row, dues, ids)
            with db.pipeline():
                db.execute(_PG_INSERT_INVOICES, _columns(writes.invoices))
                moves = [
                    (
                        len(moved),
                        db.execute(
                            move_accounts,
                            (next_period, end, end, end, version + 1, version, moved),
                        ),
                    )
                    for (next_period, end, version), moved in writes.cursors.items()
                ]
                db.execute(_PG_INSERT_MOVEMENTS, _columns(writes.movements))
                debit = db.execute(_PG_DEBIT, (*_columns(writes.debits), ACME))
                db.execute(spend, (ACME, writes.spent))
                db.execute(_PG_INSERT_EVENTS, _columns(writes.events))
                agency = db.execute(update_agency, (*writes.agency[:2], ACME, writes.agency[2]))
            for expected, cursor in moves:
                _check("accounts", cursor.rowcount, expected)
            _check("balances", debit.rowcount, len(writes.debits))
            _check("agency", agency.rowcount, 1)
            db.commit()
            billed += len(page)
            after = page[-1][0]
    if billed != n:
        raise AssertionError(f"the tight loop billed {billed} of {n}")
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


def _sqlite_file(n: int, loop: Callable[[str, int], float]) -> float:
    """Seed N accounts in a fresh SQLite file and bill them with a hand-written loop."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        storage = SqlStorage(f"sqlite:///{path}")
        seed_sql(storage, n)
        storage.dispose()
        return loop(str(path), n)


def _sqlite_raw(n: int) -> float:
    return _sqlite_file(n, raw_sqlite_loop)


def _sqlite_tight(n: int) -> float:
    return _sqlite_file(n, tight_sqlite_loop)


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
        return raw_psycopg_loop(dsn, _setting(storage, "search_path"), n)


def _postgres_tight(n: int) -> float | None:
    dsn = postgres_dsn()
    with postgres_storage() as storage:
        if storage is None or dsn is None:
            return None
        seed_sql(storage, n)
        return tight_psycopg_loop(dsn, session_options(storage), n)


def _setting(storage: SqlStorage, name: str) -> str:
    with storage.engine.connect() as connection:
        found = connection.exec_driver_sql(f"SHOW {name}").scalar()
    return str(found)


def session_options(storage: SqlStorage) -> str:
    """The libpq ``options`` that give a connection the storage's own session: its search
    path and its ``synchronous_commit`` (the scratch schemas commit without waiting for
    the disk, so the tight loop must too)."""
    return (
        f"-csearch_path={_setting(storage, 'search_path')} "
        f"-csynchronous_commit={_setting(storage, 'synchronous_commit')}"
    )


def _rate(what: str, n: int, seconds: float, baseline_seconds: float) -> Figure:
    """A throughput line: N accounts in the library's seconds against the baseline's."""
    return Figure(what, n, n / seconds, n / baseline_seconds, "accounts/s")


_Side = Callable[[int], float | None]


@attrs.frozen
class _Baseline:
    """What a library side is measured against: the figure's name, the baseline, the goal
    (None: shown for information)."""

    what: str
    run: _Side
    goal: float | None = 1.5


def _paired(n: int, library: _Side, baselines: tuple[_Baseline, ...], repeat: int) -> list[Figure]:
    """A throughput line per baseline from ``repeat`` rounds at N, each round running every
    baseline then the library (so that all see the machine alike): the medians of their
    seconds, and the lowest and highest ratio of a round as the spread. Empty when a side
    cannot run here."""
    mine: list[float] = []
    theirs: list[list[float]] = [[] for _ in baselines]
    for _ in range(repeat):
        for seconds, baseline in zip(theirs, baselines, strict=True):
            base = baseline.run(n)
            if base is None:
                return []
            seconds.append(base)
        library_seconds = library(n)
        if library_seconds is None:
            return []
        mine.append(library_seconds)
    figures = []
    for seconds, baseline in zip(theirs, baselines, strict=True):
        ratios = sorted(m / b for m, b in zip(mine, seconds, strict=True))
        median = _rate(baseline.what, n, statistics.median(mine), statistics.median(seconds))
        figures.append(attrs.evolve(median, goal=baseline.goal, spread=(ratios[0], ratios[-1])))
    return figures


def _warm_up() -> None:
    """Run each side once on a few accounts, unmeasured: what a process does once (SQL
    compiled, JSON writers and readers generated, drivers' statement caches filled) is not
    a billing run's cost."""
    dict_loop(_WARM_UP)
    _memory(_WARM_UP, service_run)
    _sqlite_raw(_WARM_UP)
    _sqlite_tight(_WARM_UP)
    _sqlite(_WARM_UP, service_run)
    _postgres_raw(_WARM_UP)
    _postgres_tight(_WARM_UP)
    _postgres(_WARM_UP, service_run)


_WARM_UP = 50


_MEASURES: tuple[tuple[_Side, tuple[_Baseline, ...], bool], ...] = (
    (
        partial(_memory, library=service_run),
        (_Baseline("memory: service run vs dict loop", dict_loop),),
        False,
    ),
    (
        domain_loop,
        (_Baseline("domain steps alone (no storage) vs dict loop", dict_loop, None),),
        True,
    ),
    (
        partial(_memory, library=storage_loop),
        (_Baseline("memory: storage loop vs dict loop", dict_loop),),
        True,
    ),
    (
        partial(_sqlite, library=service_run),
        (
            _Baseline("sqlite: service run vs tight sqlite3", _sqlite_tight),
            _Baseline("sqlite: service run vs raw loop (reference)", _sqlite_raw, None),
        ),
        False,
    ),
    (
        partial(_sqlite, library=storage_loop),
        (_Baseline("sqlite: storage loop vs raw loop (reference)", _sqlite_raw),),
        True,
    ),
    (
        partial(_postgres, library=service_run),
        (
            _Baseline("postgresql: service run vs tight psycopg", _postgres_tight),
            _Baseline("postgresql: service run vs raw loop (reference)", _postgres_raw, None),
        ),
        False,
    ),
    (
        partial(_postgres, library=storage_loop),
        (_Baseline("postgresql: storage loop vs raw loop (reference)", _postgres_raw),),
        True,
    ),
)
"""Each library side, what it is measured against (all in the same rounds), and whether
it is a storage loop (or the domain steps) that ``storage_loops=False`` leaves out. The
billing goal is judged against the tight loops; the reference loops' ratios are shown
without a goal (they write an idempotency record an account more, and are not tight)."""


def run(sizes: list[int], *, storage_loops: bool = True, repeat: int = 3) -> list[Figure]:
    """Measure every billing figure at each size, each the median of ``repeat`` paired
    runs; return them (accounts/s)."""
    _warm_up()
    figures: list[Figure] = []
    for n in sizes:
        for library, baselines, loop in _MEASURES:
            if loop and not storage_loops:
                continue
            figures += _paired(n, library, baselines, repeat)
    return figures
