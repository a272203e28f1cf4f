"""Money races (C2, M2): threads on memory, processes on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.races.money import (
    FileGateway,
    MoneyRaceWiring,
    RaceFigures,
    SerialGateway,
    race_assignments_from_one_pool,
    race_credit_notes_of_one_invoice,
    race_one_usage_id,
    race_payment_against_billing,
    race_usages_of_one_balance,
)

_OPENED: dict[tuple[str, str], SqlStorage] = {}
"""This process's storage on each PostgreSQL schema (one engine a process)."""


def postgres_storage(url: str, schema: str) -> Storage:
    """This process's storage on the PostgreSQL schema."""
    if (url, schema) not in _OPENED:
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        _OPENED[url, schema] = SqlStorage(engine)
    return _OPENED[url, schema]


@pytest.fixture(params=["memory-threads", "sqlite-processes", "postgres-processes"])
def wiring(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[MoneyRaceWiring, bool]]:
    """The shared storage and gateway of a race, and whether contenders are processes."""
    if request.param == "memory-threads":
        storage = MemoryStorage()
        gateway = SerialGateway(SimulatedGateway())
        yield MoneyRaceWiring(lambda: storage, lambda: gateway), False
        return
    # Each charge stays in flight a while, so that contenders meet it there (M2).
    gateway_file = functools.partial(FileGateway, str(tmp_path / "gateway.db"), 0.2)
    if request.param == "sqlite-processes":
        database = functools.partial(SqlStorage, f"sqlite:///{tmp_path / 'race.db'}")
        yield MoneyRaceWiring(database, gateway_file), True
        return
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    try:
        scratch.storage()  # the tables, created once before the contenders start
        yield (
            MoneyRaceWiring(functools.partial(postgres_storage, url, scratch.name), gateway_file),
            True,
        )
    finally:
        opened = _OPENED.pop((url, scratch.name), None)
        if opened is not None:
            opened.dispose()
        scratch.drop()


def test_C2_assignments_from_one_pool_holding_enough_for_one_let_exactly_one_through(
    wiring: tuple[MoneyRaceWiring, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    """Eight assign_credits of 50.00 from a pool of 50.00 at once: exactly one succeeds,
    the pool ends at zero, never below, and the ledger adds up."""
    shared, processes = wiring

    figures = race_assignments_from_one_pool(shared, contenders=8, processes=processes)

    report(capsys, figures)
    assert figures.outcomes["ok"] == 1, figures


def test_M2_pay_invoice_racing_a_billing_run_charges_the_card_once_and_loses_nothing(
    wiring: tuple[MoneyRaceWiring, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    """A billing run and five pay_invoice of one open invoice (some buying prepaid credit
    first) at once: one card charge, card plus prepaid equal the total, no credit lost."""
    shared, processes = wiring

    figures = race_payment_against_billing(shared, contenders=6, processes=processes)

    report(capsys, figures)
    assert figures.effects["card charges"] == "1", figures


def test_CN1_credit_notes_of_one_invoice_at_once_never_credit_more_than_was_paid(
    wiring: tuple[MoneyRaceWiring, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    """Six credit notes of 15.00 of one invoice paid 40.00 at once: at most two pass, the
    prepaid credit given is their total, and their numbers have no gap."""
    shared, processes = wiring

    figures = race_credit_notes_of_one_invoice(shared, contenders=6, processes=processes)

    report(capsys, figures)
    assert 1 <= int(figures.effects["credit notes"]) <= 2, figures


def report(capsys: pytest.CaptureFixture[str], figures: RaceFigures) -> None:
    """Print the race's tallies past pytest's capture, for the run's log."""
    with capsys.disabled():
        sys.stdout.write(f"\n  race {figures}\n")


def test_C7_usage_reports_racing_for_one_balance_never_overdraw_it(
    wiring: tuple[MoneyRaceWiring, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    """Eight reports of 10 SMS used, under ids of their own, on an account holding 10:
    exactly one is used, the others answer insufficient_credit, the balance ends at 0."""
    shared, processes = wiring

    figures = race_usages_of_one_balance(shared, contenders=8, processes=processes)

    report(capsys, figures)
    assert figures.outcomes["ok"] == 1, figures


def test_C7_one_usage_report_sent_at_once_by_many_callers_is_used_once(
    wiring: tuple[MoneyRaceWiring, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    """Eight callers send the same report of 3 SMS used: all answer the same use, and
    the account holds 7."""
    shared, processes = wiring

    figures = race_one_usage_id(shared, contenders=8, processes=processes)

    report(capsys, figures)
    assert figures.effects["left"] == "7", figures
