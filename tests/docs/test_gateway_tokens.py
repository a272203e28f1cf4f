"""The table of test card tokens in docs/adapters.md says what SimulatedGateway does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import resell_core as rc
from resell_core.adapters import gateway as gateway_module

ADAPTERS = Path(__file__).resolve().parents[2] / "docs" / "adapters.md"
HEADER = "| card token | `charge()` answers | money moved | `lookup(key)` then answers |"
REFUNDS = (
    "| card token | `refund()` answers | money given back | `lookup_refund(key)` then answers |"
)
CODE = re.compile(r"`([^`]+)`")


def _rows(header: str = HEADER) -> list[list[str]]:
    """The cells of each row of the token table (of charges, or of refunds)."""
    lines = ADAPTERS.read_text(encoding="utf-8").splitlines()
    start = lines.index(header) + 2  # past the header and its |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _tokens(cell: str) -> list[str]:
    """The card tokens a row is about (an example for "starting with" and "any other")."""
    if cell == "any other token":
        return ["tok_never_heard_of"]
    token = CODE.findall(cell)[0]
    return [token, token + "_gold_visa"] if "starting with" in cell else [token]


def _request(token: str, key: str) -> rc.ChargeRequest:
    return rc.ChargeRequest(
        key, "agency-acme", "profile-visa", token, rc.Money("40.00", "USD"), "north-bakery"
    )


def _cases() -> list[object]:
    return [pytest.param(token, row, id=token) for row in _rows() for token in _tokens(row[0])]


def test_the_table_lists_the_tokens_the_gateway_documents() -> None:
    """The table has a row for each token of the gateway module's own list, and one for
    any other token."""
    documented = set(re.findall(r"``(tok_[a-z_]+)``", gateway_module.__doc__ or ""))
    rows = [row[0] for row in _rows()]

    assert {CODE.findall(cell)[0] for cell in rows[:-1]} == documented
    assert rows[-1] == "any other token"


@pytest.mark.parametrize(("token", "row"), _cases())
def test_a_charge_with_each_token_does_what_the_table_says(token: str, row: list[str]) -> None:
    """First answer, money moved, the look-up afterwards (and the next charge or the
    settlement the row mentions) are the gateway's."""
    _token, answers, moved, looked_up = row
    gateway = rc.SimulatedGateway()

    first = gateway.charge(_request(token, "invoice-7/1"))
    charged_at_first = len(gateway.charges)
    lookup = gateway.lookup("invoice-7/1")

    assert first.outcome.value == CODE.findall(answers)[0]
    expected_lookup = CODE.findall(looked_up)[0]
    assert (None if lookup is None else lookup.outcome.value) == (
        None if expected_lookup == "None" else expected_lookup
    )
    if moved.startswith("yes"):
        assert charged_at_first == 1
    elif moved.startswith("no"):
        assert charged_at_first == 0
    elif moved == "only when settled `succeeded`":
        assert charged_at_first == 0
        gateway.settle("invoice-7/1", rc.ChargeOutcome.SUCCEEDED)
        assert len(gateway.charges) == 1
    else:
        pytest.fail(f"the table's 'money moved' cell is not understood: {moved!r}")
    if "then" in answers:
        then = CODE.findall(answers.split("then", 1)[1])[0]
        again = gateway.charge(_request(token, "invoice-7/2"))
        assert again.outcome.value == then
        assert len(gateway.charges) == charged_at_first + (moved.endswith("then yes"))


def _refund_cases() -> list[object]:
    return [
        pytest.param(token, row, id=token) for row in _rows(REFUNDS) for token in _tokens(row[0])
    ]


def _charged(gateway: rc.SimulatedGateway, token: str) -> str:
    """Charge the token as the refund table's rows say; return the key of its last charge."""
    first = gateway.charge(_request(token, "invoice-7/1"))
    if first.outcome is rc.ChargeOutcome.PENDING:
        gateway.settle("invoice-7/1", rc.ChargeOutcome.SUCCEEDED)
    if token == "tok_decline_once":
        gateway.charge(_request(token, "invoice-7/2"))
        return "invoice-7/2"
    return "invoice-7/1"


def test_CN2_the_refund_table_lists_the_charge_tables_tokens() -> None:
    """The refund table has a row for each token of the charge table, in the same order."""
    assert [row[0] for row in _rows(REFUNDS)] == [row[0] for row in _rows()]


@pytest.mark.parametrize(("token", "row"), _refund_cases())
def test_CN2_a_refund_with_each_token_does_what_the_table_says(token: str, row: list[str]) -> None:
    """First answer, money given back and the look-up afterwards (and the settlement the
    row mentions) are the gateway's."""
    _token, answers, moved, looked_up = row
    gateway = rc.SimulatedGateway()
    charge_key = _charged(gateway, token)
    request = rc.RefundRequest(
        "refund:cn-1",
        "agency-acme",
        "profile-visa",
        token,
        rc.Money("40.00", "USD"),
        charge_key,
        "credit note CN-1",
    )

    first = gateway.refund(request)
    lookup = gateway.lookup_refund("refund:cn-1")

    assert first.outcome.value == CODE.findall(answers)[0]
    expected_lookup = CODE.findall(looked_up)[0]
    assert (None if lookup is None else lookup.outcome.value) == (
        None if expected_lookup == "None" else expected_lookup
    )
    if moved == "yes":
        assert gateway.refunds == [request]
    elif moved == "no":
        assert gateway.refunds == []
    elif moved == "only when settled `succeeded`":
        assert gateway.refunds == []
        gateway.settle_refund("refund:cn-1", rc.RefundOutcome.SUCCEEDED)
        assert gateway.refunds == [request]
    else:
        pytest.fail(f"the table's 'money given back' cell is not understood: {moved!r}")
    assert gateway.refund(request).outcome.value in {first.outcome.value, "succeeded"}
    assert len(gateway.refunds) <= 1


def test_CN2_a_refund_never_gives_back_more_than_the_charge_left() -> None:
    """After 30.00 of a 40.00 charge, 15.00 more fails; 10.00 goes back."""
    gateway = rc.SimulatedGateway()
    gateway.charge(_request("tok_ok", "invoice-7/1"))

    def refund(key: str, amount: str) -> rc.RefundOutcome:
        request = rc.RefundRequest(
            key, "agency-acme", "profile-visa", "tok_ok", rc.Money(amount, "USD"),
            "invoice-7/1", "credit note",
        )  # fmt: skip
        return gateway.refund(request).outcome

    assert refund("refund:cn-1", "30.00") is rc.RefundOutcome.SUCCEEDED
    assert refund("refund:cn-2", "15.00") is rc.RefundOutcome.FAILED
    assert refund("refund:cn-3", "10.00") is rc.RefundOutcome.SUCCEEDED
    assert len(gateway.refunds) == 2
