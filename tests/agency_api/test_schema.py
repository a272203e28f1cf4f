"""The JSON Schema of the agency API: well formed, complete, and true of what the calls accept
and return (API1). The conformance check here is written independently of the API's own."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest

import resell_core as rc
from resell_core.agency_api import CALLS, schema
from resell_core.agency_api import check as check_schema

PLUS = "V3/marketing/plus/2500/monthly"

Call = Callable[..., dict[str, Any]]
Form = Callable[..., dict[str, Any]]
State = Callable[[], Any]
AddActive = Callable[..., rc.Account]


_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "title", "description", "type", "enum", "const",
    "properties", "required", "additionalProperties", "items", "anyOf", "oneOf", "pattern",
    "minLength", "maxLength", "minimum", "maximum", "default",
}  # fmt: skip
_TYPES = {"string", "integer", "number", "boolean", "null", "object", "array"}


def _well_formed(node: Any, path: str = "#") -> list[str]:
    """List what breaks the 2020-12 structure of the keywords this API uses."""
    if not isinstance(node, Mapping):
        return [f"{path} is not a schema object"]
    wrong = [f"{path}: unknown keyword {k}" for k in node if k not in _KEYWORDS]
    kinds = node.get("type", "string")
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        if kind not in _TYPES:
            wrong.append(f"{path}: type {kind}")
    if "required" in node and not set(node["required"]) <= set(node.get("properties", {})):
        wrong.append(f"{path}: requires a property it does not define")
    if "pattern" in node:
        re.compile(node["pattern"])
    for key in ("minLength", "maxLength", "minimum", "maximum"):
        if key in node and not isinstance(node[key], int):
            wrong.append(f"{path}: {key} is not an integer")
    for name, sub in node.get("properties", {}).items():
        wrong += _well_formed(sub, f"{path}/properties/{name}")
    for name, sub in node.get("$defs", {}).items():
        wrong += _well_formed(sub, f"{path}/$defs/{name}")
    if "items" in node:
        wrong += _well_formed(node["items"], f"{path}/items")
    for key in ("anyOf", "oneOf"):
        for index, sub in enumerate(node.get(key, ())):
            wrong += _well_formed(sub, f"{path}/{key}/{index}")
    return wrong


def _conforms(value: Any, node: Mapping[str, Any], defs: Mapping[str, Any]) -> bool:
    """A tiny independent validator for the keywords of this API's schemas."""
    if "$ref" in node:
        return _conforms(value, defs[node["$ref"].removeprefix("#/$defs/")], defs)
    if "oneOf" in node:
        return sum(_conforms(value, sub, defs) for sub in node["oneOf"]) == 1
    if "anyOf" in node:
        return any(_conforms(value, sub, defs) for sub in node["anyOf"])
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    kinds = node.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else kinds
        if not any(checks[k](value) for k in allowed):
            return False
    if "enum" in node and value not in node["enum"]:
        return False
    if "const" in node and value != node["const"]:
        return False
    if isinstance(value, str) and "pattern" in node and not re.search(node["pattern"], value):
        return False
    if isinstance(value, dict):
        props = node.get("properties", {})
        if any(k not in props for k in value) and node.get("additionalProperties") is False:
            return False
        if any(k not in value for k in node.get("required", ())):
            return False
        return all(_conforms(v, props[k], defs) for k, v in value.items() if k in props)
    if isinstance(value, list) and "items" in node:
        return all(_conforms(v, node["items"], defs) for v in value)
    return True


def test_API1_the_schema_is_well_formed_json_schema_2020_12() -> None:
    """Every schema uses known keywords with values of the right shape, and is JSON."""
    published = schema()
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert _well_formed({k: v for k, v in published.items() if k != "calls"}) == []
    assert json.loads(json.dumps(published)) == published


def test_API1_the_schema_describes_every_call_request_and_response() -> None:
    """Each call has a request object and a response that is its answer or a failure."""
    published = schema()
    defs = published["$defs"]
    assert set(published["calls"]) == set(CALLS)
    for name, call in published["calls"].items():
        request = defs[call["request"]["$ref"].removeprefix("#/$defs/")]
        assert request["type"] == "object", name
        assert request["additionalProperties"] is False, name
        assert len(call["response"]["oneOf"]) == 2, name


SAMPLES: list[tuple[str, dict[str, Any]]] = [
    (
        "account_add",
        {
            "account": "south-bakery",
            "plan": "V1/EM/trial",
            "name": "South Bakery",
            "notification": "south@acme.test",
            "timezone": "Europe/Vienna",
            "country": "AT",
        },
    ),
    ("account_edit", {"account": "north-bakery", "plan": "V3/marketing/professional/2500/monthly"}),
    (
        "account_edit_preview",
        {"account": "north-bakery", "plan": "V3/marketing/starter/500/monthly"},
    ),
    ("account_list", {"search": "bakery", "planfilter": "plus", "page": 1}),
    ("account_name_check", {"account": "west-bakery"}),
    ("account_plans", {"account": "north-bakery"}),
    ("account_status", {"account": "north-bakery"}),
    ("account_status_set", {"account": "north-bakery", "status": "inactive", "message": "Call"}),
    ("singlesignon", {"account": "north-bakery", "user": "admin", "duration": 60}),
    ("account_cancel", {"account": "north-bakery", "reason": "moving", "retaindata": 1}),
    ("account_status", {"account": "nobody-here"}),
    ("account_add", {"account": 5}),
]


@pytest.mark.parametrize(("action", "params"), SAMPLES)
def test_API1_requests_the_calls_accept_and_their_answers_conform(
    call: Call, add_active: AddActive, action: str, params: dict[str, Any]
) -> None:
    """A sample request conforms to its schema when accepted; every answer conforms too."""
    add_active("north-bakery", PLUS)
    published = schema()
    defs = published["$defs"]
    entry = published["calls"][action]
    answer = call(action, **params)
    if answer["result_code"] == 1:
        assert _conforms(params, entry["request"], defs)
    assert _conforms(answer, entry["response"], defs), answer


def test_API1_the_independent_validator_catches_a_wrong_type() -> None:
    """The check used above is not vacuous: a number where text belongs fails it."""
    published = schema()
    request = published["calls"]["account_status"]["request"]
    assert not _conforms({"account": 5}, request, published["$defs"])
    assert not _conforms({"account": "a", "extra": 1}, request, published["$defs"])


def test_API1_the_api_refuses_what_the_schema_refuses(call: Call) -> None:
    """A request outside its schema is refused by the API with invalid_request."""
    assert call("account_list", page=0)["error_code"] == "invalid_request"
    assert call("account_status_set", account="a", status="paused")["error_code"] == (
        "invalid_request"
    )


def test_API1_schema_returns_a_fresh_copy_each_time() -> None:
    """The published schema is a fresh copy: a host may change it without harm."""
    first = schema()
    first["$defs"].clear()
    assert schema()["$defs"]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "null"),
        (True, "true/false"),
        (3, "a whole number"),
        (1.5, "a fractional number"),
        ("x", "text"),
        ({"a": 1}, "an object"),
        ([1], "a list"),
        (b"x", "a bytes"),
    ],
)
def test_a_wrong_type_is_named_by_its_json_kind(value: object, kind: str) -> None:
    """A value of the wrong type is named by its JSON kind (a bool is not a number)."""
    problems = check_schema(value, {"type": "integer" if kind == "text" else "string"})
    expected = "a whole number" if kind == "text" else "text"
    assert [(p.field, p.message) for p in problems] == [("$", f"is {kind}; give {expected}")]


def test_P1_API1_an_edit_preview_with_an_invoice_conforms_to_its_schema(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal
) -> None:
    """A preview that issues an invoice (lines, split) answers as its schema says."""
    add_active("north-bakery", PLUS)
    portal.run_billing()
    published = schema()

    answer = call(
        "account_edit_preview",
        account="north-bakery",
        plan="V3/marketing/professional/2500/monthly",
    )

    assert answer["invoice"] is not None
    entry = published["calls"]["account_edit_preview"]
    assert _conforms(answer, entry["response"], published["$defs"]), answer
