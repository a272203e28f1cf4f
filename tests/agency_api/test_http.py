"""The agency API over real HTTP on 127.0.0.1, served with the standard library alone (API1)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

import resell_core as rc
from resell_core.agency_api.http import make_handler

PLUS = "V3/marketing/plus/2500/monthly"

Call = Callable[..., dict[str, Any]]
Form = Callable[..., dict[str, Any]]
State = Callable[[], Any]
AddActive = Callable[..., rc.Account]


TOKEN = "acme-secret-token"


@pytest.fixture
def server(api: rc.AgencyApi, acme: rc.Agency, card: rc.BillingProfile) -> Iterator[str]:
    """A local server of the API on a free port, stopped at the end; yields its base URL."""
    tokens = {TOKEN: acme.id}

    def authenticate(headers: Mapping[str, str]) -> str | None:
        return tokens.get(headers.get("authorization", "").removeprefix("Bearer "))

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(api, authenticate))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _post(url: str, body: bytes, token: str | None = TOKEN) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_API1_account_add_and_status_over_real_http(
    server: str, portal: rc.PartnerPortal, acme: rc.Agency, form: Form
) -> None:
    """POST /api/account_add creates the account; /api/account_status then reports it."""
    status, added = _post(f"{server}/api/account_add", json.dumps(form()).encode())
    portal.process_provisioning()
    _, shown = _post(f"{server}/api/account_status", b'{"account": "north-bakery"}')
    assert (status, added["result_code"]) == (200, 1)
    assert added["password"]
    assert shown["status"] == "active"
    assert portal.account(acme.id, added["account_id"]).name == "north-bakery"


def test_API1_decimal_amounts_over_http_never_become_floats(
    server: str, portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, form: Form
) -> None:
    """A JSON number 12.50 arrives as the exact decimal '12.50', not a float."""
    _post(f"{server}/api/account_add", json.dumps(form()).encode())
    portal.process_provisioning()
    portal.buy_credits(acme.id, "prepaid", "100.00", card.id)
    _, answer = _post(
        f"{server}/api/account_credits_apply", b'{"account": "north-bakery", "credits": 12.50}'
    )
    assert (answer["result_code"], answer["credits"]) == (1, "12.50")


def test_API1_http_failures_are_coded_results(server: str) -> None:
    """Bad JSON, no token, an unknown call or path: each a JSON result with a stable code."""
    bad_json = _post(f"{server}/api/account_list", b"{not json")
    no_token = _post(f"{server}/api/account_list", b"{}", token=None)
    unknown = _post(f"{server}/api/account_delete", b"{}")
    elsewhere = _post(f"{server}/admin", b"{}")
    assert (bad_json[0], bad_json[1]["error_code"]) == (400, "invalid_request")
    assert (no_token[0], no_token[1]["error_code"]) == (401, "access_denied")
    assert (unknown[0], unknown[1]["error_code"]) == (200, "unknown_action")
    assert (elsewhere[0], elsewhere[1]["error_code"]) == (404, "not_found")
