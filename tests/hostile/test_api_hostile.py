"""The agency-API half of the hostile-input suite on every adapter (E1, API1): every call,
every parameter, every hostile value answers a coded result and changes nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest

from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.hostile import HostileReport
from resell_core.testing.hostile.api import KNOWN, run_api_generated, run_api_suite

Factory = Callable[[], Storage | None]


@pytest.fixture(scope="module")
def postgres() -> Iterator[ScratchSchema]:
    """A scratch PostgreSQL schema for this module (skips unless enabled)."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratch = ScratchSchema(url)
    yield scratch
    scratch.drop()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def adapter(request: pytest.FixtureRequest) -> tuple[str, Factory]:
    """Each adapter's name and a factory of empty storages (None: the portal's memory)."""
    name: str = request.param
    if name == "memory":
        return name, lambda: None
    if name == "sqlite":
        return name, lambda: SqlStorage("sqlite://")
    scratch: ScratchSchema = request.getfixturevalue("postgres")
    return name, scratch.storage


def _explain(label: str, report: HostileReport) -> str:
    return f"{report.summary(label)}\n{report.details()}"


def test_E1_every_api_call_refuses_every_hostile_value_and_changes_nothing(
    adapter: tuple[str, Factory], capsys: pytest.CaptureFixture[str]
) -> None:
    """The table's values in each parameter of each call: a coded result, state unchanged."""
    name, factory = adapter

    report = run_api_suite(factory)

    with capsys.disabled():
        sys.stdout.write(f"\n  agency API hostile suite, {report.summary(name)}\n")
    assert not report.failures, _explain(name, report)
    assert report.tried >= 800
    assert report.unchanged == report.tried - sum(bool(r.changed) for r in report.known)
    assert {(r.case.command, r.case.field, r.case.value.label) for r in report.known} <= set(KNOWN)


def test_API1_generated_json_in_any_parameter_gets_a_coded_result(
    adapter: tuple[str, Factory], capsys: pytest.CaptureFixture[str]
) -> None:
    """Hypothesis's JSON values in each parameter: never internal_error; a failure changes
    nothing."""
    name, factory = adapter

    report = run_api_generated(factory, max_examples=100)

    with capsys.disabled():
        sys.stdout.write(f"\n  agency API generated JSON, {report.summary(name)}\n")
    assert not report.failures, _explain(name, report)
    assert report.coded == report.tried == 100
