"""The agency API's OpenAPI document, HTTP statuses and API keys, without a server (H1)."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections import Counter
from http import HTTPStatus
from typing import Any

import pytest

import resell_core as rc
from resell_core import errors
from resell_core.agency_api import keys as keys_module
from resell_core.agency_api.keys import StaticApiKeys, bearer_key
from resell_core.agency_api.openapi import STATUSES, http_status, openapi


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_H1_the_openapi_document_is_well_formed_openapi_3_1() -> None:
    """Structure: 3.1, one POST per call with a unique operationId, every $ref resolving
    inside the document; and openapi-spec-validator accepts it when installed."""
    document = openapi()
    operations = [path["post"]["operationId"] for path in document["paths"].values()]
    refs = _refs(document)

    assert document["openapi"] == "3.1.0"
    assert {"title", "version"} <= set(document["info"])
    assert sorted(operations) == sorted(rc.agency_api.CALLS)
    assert [op for op, n in Counter(operations).items() if n > 1] == []
    assert refs
    assert all(ref.startswith("#/components/schemas/") for ref in refs)
    for ref in refs:
        assert _resolve(document, ref)["type"] == "object"
    for path in document["paths"].values():
        assert {"200", "400", "401", "404", "413", "422", "500"} <= set(path["post"]["responses"])
    validator = pytest.importorskip(
        "openapi_spec_validator", reason="openapi-spec-validator (dev extra) is not installed"
    )
    validator.validate(document)


def test_H1_the_document_carries_the_calls_json_schemas_unchanged() -> None:
    """components.schemas is schema()['$defs'], only its references re-pointed."""
    document = openapi(prefix="/v1/", server_url="https://partners.example")
    repointed = str(document["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/")

    assert repointed == str(rc.agency_api.schema()["$defs"])
    assert "/v1/account_add" in document["paths"]
    assert document["servers"] == [{"url": "https://partners.example"}]
    request = document["paths"]["/v1/account_status_set"]["post"]["requestBody"]
    assert request["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AccountStatusSet"
    }
    assert document["paths"]["/v1/account_list"]["post"]["requestBody"]["required"] is False


def test_H1_every_library_error_code_has_an_http_status() -> None:
    """Each ResellError of errors.py has its status in STATUSES (a new error needs one)."""
    codes = {
        cls.code
        for _name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.ResellError)
    }
    assert codes - set(STATUSES) == set()
    assert http_status({"result_code": 1}) is HTTPStatus.OK
    assert http_status({"result_code": 0, "error_code": "insufficient_credit"}) == 409
    assert http_status({"result_code": 0, "error_code": "invalid_input"}) == 422
    assert http_status({"result_code": 0, "error_code": "no_such_code"}) == 400


def test_H1_static_keys_compare_with_every_key_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lookup compares digests of one length with compare_digest, all of them, hit or miss."""
    compared: list[tuple[int, int]] = []

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return a == b

    keys = StaticApiKeys({"acme-1": "ACME-DIGITAL", "acme-2": "ACME-DIGITAL", "globex": "GLOBEX"})
    monkeypatch.setattr(keys_module, "compare_digest", counting)

    found = [keys("acme-1"), keys("globex"), keys("acme-"), keys("a" * 10_000)]

    assert found == ["ACME-DIGITAL", "GLOBEX", None, None]
    assert compared == [(32, 32)] * 12


def test_H1_bearer_key_reads_only_a_bearer_authorization() -> None:
    """Bearer in any case gives the key; a missing, empty or other scheme gives None."""
    assert bearer_key("Bearer acme-1") == "acme-1"
    assert bearer_key("bearer   acme-1 ") == "acme-1"
    assert [bearer_key(h) for h in (None, "", "Bearer", "Bearer  ", "Basic acme-1", "acme-1")] == [
        None
    ] * 6


def test_H1_without_starlette_the_import_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the ASGI module without Starlette says which extra to install."""
    monkeypatch.delitem(sys.modules, "resell_core.agency_api.asgi", raising=False)
    monkeypatch.setitem(sys.modules, "starlette.applications", None)

    with pytest.raises(ModuleNotFoundError, match=r"resell-core\[asgi\]"):
        importlib.import_module("resell_core.agency_api.asgi")
