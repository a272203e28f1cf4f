"""An INSERT of many rows as one statement on PostgreSQL writes the rows the same INSERT
run a row a statement writes, in the same order."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Numeric, Table, create_engine, insert, text

from resell_core.adapters.sql import schema
from resell_core.adapters.sql.batches import run_batch_values
from resell_core.adapters.sql.compiled import driver_cursor, rows_at_once
from resell_core.adapters.sql.testing import ScratchSchema

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
