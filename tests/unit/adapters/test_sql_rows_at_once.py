"""An INSERT or UPDATE of many rows as one statement on PostgreSQL writes the rows the
same statement run a row at a time writes (an INSERT's in the same order)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    create_engine,
    insert,
    text,
    update,
)

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.batches import run_batch_values
from resell_core.adapters.sql.compiled import (
    ADD,
    KEY,
    SET,
    Compiled,
    RowsAtOnce,
    compile_once,
    driver_cursor,
    rows_at_once,
    updates_at_once,
)
from resell_core.adapters.sql.testing import ScratchSchema
from resell_core.audit import AuditEvent
from resell_core.billing.ledger import CreditKind
from resell_core.testing.contracts.samples import ACME, a_movement, an_agency, an_invoice

_NOON = datetime(2024, 2, 29, 12, tzinfo=UTC)
_EARMARKS = ("account:north-bakery", "account:south-florist")
_POSTGRES = create_engine("postgresql+psycopg://").dialect
_SQLITE = create_engine("sqlite://").dialect
_EVENT_COLUMNS = ("agency_id", "subject", "data")
_INVOICE_COLUMNS = (
    "id",
    "agency_id",
    "number",
    "account_id",
    "status",
    "next_retry_on",
    "period_key",
    "version",
    "data",
)
_TEXTS = [
    '{"after": "1 USD 86.40", "note": "it\'s \\"paid\\""}',
    "back\\slash and a tab\t and a line\nbreak",
    "ÅCME-DIGITÅL, 東京, emoji 🧾",
    "{}",
]
_EVENTS = [(f"agency-{i % 2}", f"invoice-{i:03}", _TEXTS[i % len(_TEXTS)]) for i in range(40)]
_INVOICES = [
    (
        f"invoice-{i:03}",
        "agency-acme",
        i + 1,
        None if i % 3 == 0 else f"north-bakery-{i}",
        "open" if i % 2 else "paid",
        None if i % 4 else date(2024, 2, 29),
        f"north-bakery-{i}/2024-02-11",
        1,
        _TEXTS[i % len(_TEXTS)],
    )
    for i in range(25)
]


def test_another_dialect_or_a_column_not_bound_as_an_array_runs_a_row_a_statement() -> None:
    """SQLite, or a column of a type it does not bind as an array (a Numeric): None, the
    rows are then written one a statement."""
    amounts = Table("amounts", MetaData(), Column("amount", Numeric(20, 4)))

    assert rows_at_once(schema.events, _SQLITE, _EVENT_COLUMNS) is None
    assert rows_at_once(amounts, _POSTGRES, ("amount",)) is None


def test_one_statement_binds_each_column_as_an_array_in_the_order_given() -> None:
    """The statement inserts the columns given, unnested in the rows' order."""
    at_once = rows_at_once(schema.events, _POSTGRES, _EVENT_COLUMNS)

    assert at_once is not None
    assert at_once.sql.startswith("INSERT INTO events (agency_id, subject, data) SELECT")
    assert at_once.sql.count("%b::text[]") == 3
    assert at_once.sql.endswith("ORDER BY given_order")


def _dump(connection: Connection, table: str, order: str) -> list[tuple[Any, ...]]:
    rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
    return [tuple(row) for row in rows]


def test_rows_at_once_are_the_rows_written_a_row_a_statement(scratch: ScratchSchema) -> None:
    """Events (their sequence numbers taken in the order given) and invoices (NULLs,
    dates, quotes, backslashes and non-ASCII text): the same table rows both ways."""
    dumps = []
    for way in ("a row a statement", "at once"):
        scratch.storage()  # empties the tables, restarts the sequences
        with scratch.engine.begin() as connection:
            for table, columns, rows in (
                (schema.events, _EVENT_COLUMNS, _EVENTS),
                (schema.invoices, _INVOICE_COLUMNS, _INVOICES),
            ):
                if way == "at once":
                    statement = rows_at_once(table, connection.dialect, columns)
                    assert statement is not None
                    statement.send(driver_cursor(connection), rows)
                else:
                    run_batch_values(connection, insert(table).inline(), columns, rows)
        with scratch.engine.connect() as connection:
            dumps.append((_dump(connection, "events", "seq"), _dump(connection, "invoices", "id")))

    plain, at_once = dumps
    assert at_once == plain
    # Sequence numbers 1..40 in the order the events were given, each as given.
    assert [(row[0], *row[1:]) for row in at_once[0]] == [
        (seq, *event) for seq, event in enumerate(_EVENTS, start=1)
    ]
    assert [row[0] for row in at_once[1]] == [invoice[0] for invoice in _INVOICES]


_CURSORS = Table(
    "cursors",
    MetaData(),
    Column("id", String(200, collation="C"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("next_period", Integer, nullable=False),
    Column("paid_through", Date),
    Column("amount", BigInteger, nullable=False),
)
_MOVES = (("next_period", SET), ("paid_through", SET), ("version", SET), ("amount", ADD))
_FOUND_BY = (("id", KEY), ("version", KEY))


def test_an_update_sets_adds_and_finds_rows_by_their_keys() -> None:
    """Given values are written, added to the stored ones, or find the row."""
    at_once = updates_at_once(_CURSORS, _POSTGRES, (*_MOVES, *_FOUND_BY))

    assert at_once is not None
    assert "SET next_period = given.v0, paid_through = given.v1, version = given.v2, " in (
        at_once.sql
    )
    assert "amount = target.amount + given.v3 FROM unnest(" in at_once.sql
    assert at_once.sql.endswith("WHERE target.id = given.v4 AND target.version = given.v5")
    assert updates_at_once(_CURSORS, _SQLITE, (*_MOVES, *_FOUND_BY)) is None


def test_updates_at_once_change_the_rows_a_row_a_statement_changes(
    scratch: ScratchSchema,
) -> None:
    """Thirty rows moved at once or one a statement: the same table; a row whose version
    moved meanwhile is not found (the count falls short by one)."""
    statement = (
        update(_CURSORS)
        .where(_CURSORS.c.id == bindparam("old_id"), _CURSORS.c.version == bindparam("old_v"))
        .values(
            next_period=bindparam("new_next_period"),
            paid_through=bindparam("new_paid_through"),
            version=bindparam("new_version"),
            amount=_CURSORS.c.amount + bindparam("added"),
        )
    )
    columns = ("new_next_period", "new_paid_through", "new_version", "added", "old_id", "old_v")
    rows = [
        (i + 1, None if i % 5 == 0 else date(2024, 3, i % 28 + 1), 2, -i * 100, f"shop-{i}", 1)
        for i in range(30)
    ]
    stale = (99, date(2024, 4, 1), 3, -1, "shop-30", 1)  # its version is 2: not found
    dumps, counts = [], []
    for way in ("a row a statement", "at once"):
        with scratch.engine.begin() as connection:
            _CURSORS.drop(connection, checkfirst=True)
            _CURSORS.create(connection)
            connection.execute(
                insert(_CURSORS),
                [
                    {"id": f"shop-{i}", "version": 2 if i == 30 else 1, "next_period": i}
                    | {"amount": 5000}
                    for i in range(31)
                ],
            )
            cursor = driver_cursor(connection)
            if way == "at once":
                moved = updates_at_once(_CURSORS, connection.dialect, (*_MOVES, *_FOUND_BY))
                assert moved is not None
                moved.send(cursor, [*rows, stale])
                counts.append(cursor.rowcount)
            else:
                compiled = compile_once(statement, connection.dialect, columns)
                assert compiled is not None
                counts.append(compiled.run_values(cursor, columns, [*rows, stale]))
            dumps.append(_dump(connection, "cursors", "id"))

    plain, at_once = dumps
    assert at_once == plain
    assert counts == [30, 30]
    assert ("shop-29", 2, 30, date(2024, 3, 2), 2100) in at_once


def test_a_postgresql_commit_writes_each_batch_of_rows_as_one_statement(
    scratch: ScratchSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two invoices, three audit entries and two spends of two earmarks in one commit:
    one statement each for the invoices, the entries, the movements and the debits (of
    two amounts: debits alike are one statement of their own, see below)."""
    storage = scratch.storage()
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.ledger.append_many(
            [a_movement(f"m-buy-{w}", quantity="50", destination=w) for w in _EARMARKS]
        )
        uow.commit()
    sent: list[str] = []
    send = RowsAtOnce.send

    def counted(self: RowsAtOnce, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        sent.append(self.sql.split(" (")[0].split(" AS ")[0])
        send(self, cursor, rows)

    monkeypatch.setattr(RowsAtOnce, "send", counted)

    with storage.unit_of_work() as uow:
        uow.invoices.add_many(
            [
                an_invoice("invoice-1", number=1, period_key="north/2024-02-29"),
                an_invoice("invoice-2", number=2, period_key="south/2024-02-29"),
            ]
        )
        for subject in ("invoice-1", "invoice-2", "invoice-2"):
            uow.events.append(AuditEvent(_NOON, ACME, "system", "invoice_issued", subject))
        uow.ledger.append_many(
            [
                a_movement(f"m-spend-{w}", quantity=q, source=w, destination="spent")
                for w, q in zip(_EARMARKS, ("5", "7"), strict=True)
            ]
        )
        uow.commit()

    assert sorted(sent) == [
        "INSERT INTO events",
        "INSERT INTO invoices",
        "INSERT INTO movements",
        "UPDATE balances",
    ]
    with storage.unit_of_work() as uow:
        assert [i.id for i in uow.invoices.list(ACME)] == ["invoice-1", "invoice-2"]
        assert len(uow.events.list(ACME)) == 3
        assert uow.ledger.balance(ACME, _EARMARKS[0], CreditKind.PREPAID) == Decimal(45)
        assert uow.ledger.balance(ACME, _EARMARKS[1], CreditKind.PREPAID) == Decimal(43)


def test_C3_debits_alike_are_one_update_finding_an_array_on_postgresql(
    scratch: ScratchSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three spends of USD 5 and one of USD 7 in one commit's pipeline: the three debits
    alike are one UPDATE finding their wallets in one array, its row count checked to be
    three; the fourth is a statement of its own. Each wallet ends where its spend left it."""
    storage = scratch.storage()
    wallets = [f"account:shop-{i}" for i in range(4)]
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.ledger.append_many(
            [a_movement(f"m-buy-{w}", quantity="50", destination=w) for w in wallets]
        )
        uow.commit()
    sent: list[tuple[str, int]] = []
    send, send_values = Compiled.send, Compiled.send_values

    def counted(self: Compiled, cursor: Any, params: Sequence[Any]) -> None:
        sent.append((self.sql, len(params)))
        send(self, cursor, params)

    def counted_values(
        self: Compiled, cursor: Any, columns: tuple[str, ...], rows: Sequence[Any]
    ) -> None:
        sent.append((self.sql, len(rows)))
        send_values(self, cursor, columns, rows)

    monkeypatch.setattr(Compiled, "send", counted)
    monkeypatch.setattr(Compiled, "send_values", counted_values)
    with storage.unit_of_work() as uow:
        uow.ledger.append_many(
            [
                a_movement(f"m-spend-{w}", quantity=q, source=w, destination="spent")
                for w, q in zip(wallets, ("5", "5", "7", "5"), strict=True)
            ]
        )
        uow.commit()

    debits = [(sql, n) for sql, n in sent if sql.startswith("UPDATE balances")]
    assert len(debits) == 2
    assert "ANY" in debits[0][0]
    assert "ANY" not in debits[1][0]
    with storage.unit_of_work() as uow:
        held = [uow.ledger.balance(ACME, w, CreditKind.PREPAID) for w in wallets]
    assert held == [Decimal(45), Decimal(45), Decimal(43), Decimal(45)]
