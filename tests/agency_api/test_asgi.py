"""The agency API's ASGI application over real HTTP: uvicorn on 127.0.0.1, httpx (H1)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import resell_core as rc
from resell_core.agency_api.keys import StaticApiKeys
from resell_core.agency_api.openapi import openapi

_EXTRA = "the asgi extra is not installed (pip install 'resell-core[asgi]' uvicorn httpx)"
pytest.importorskip("starlette", reason=_EXTRA)
uvicorn = pytest.importorskip("uvicorn", reason=_EXTRA)
httpx = pytest.importorskip("httpx", reason=_EXTRA)

from starlette.applications import Starlette  # noqa: E402 - after the skip
from starlette.routing import Mount  # noqa: E402

from resell_core.agency_api.asgi import create_app  # noqa: E402

PLUS = "V3/marketing/plus/2500/monthly"
Form = Callable[..., dict[str, Any]]
ACME_KEY = "acme-live-key-7f3a"
GLOBEX_KEY = "globex-live-key-91c2"

Asgi = Any  # an ASGI application
_served: list[Asgi] = []


async def _current(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The server's one application: the test's, set by the ``client`` fixture."""
    await _served[-1](scope, receive, send)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """One uvicorn server on a free port of 127.0.0.1 for the module, stopped at its end."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        _current, lifespan="off", log_level="warning", http="h11", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@pytest.fixture
def client(
    base_url: str, api: rc.AgencyApi, acme: rc.Agency, globex: rc.Agency, card: rc.BillingProfile
) -> Iterator[Any]:
    """An httpx client of the server, which now serves this test's API with Acme's and
    Globex's keys."""
    _served.append(create_app(api, StaticApiKeys({ACME_KEY: acme.id, GLOBEX_KEY: globex.id})))
    try:
        with httpx.Client(base_url=base_url, timeout=5) as http:
            yield http
    finally:
        _served.pop()


def _post(client: Any, call: str, params: object, key: str | None = ACME_KEY) -> Any:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return client.post(f"/api/{call}", json=params, headers=headers)


def test_H1_calls_run_over_real_http_for_the_agency_of_the_key(
    client: Any, portal: rc.PartnerPortal, acme: rc.Agency, form: Form
) -> None:
    """account_add with Acme's key adds Acme's account; account_status then reports it."""
    added = _post(client, "account_add", form())
    portal.process_provisioning()
    shown = _post(client, "account_status", {"account": "north-bakery"})
    assert (added.status_code, added.json()["result_code"]) == (200, 1)
    assert added.headers["content-type"] == "application/json"
    assert portal.account(acme.id, added.json()["account_id"]).name == "north-bakery"
    assert (shown.status_code, shown.json()["status"]) == (200, "active")


def test_H1_a_missing_or_wrong_key_is_a_coded_401(client: Any, form: Form) -> None:
    """No header, another scheme, no or an unknown key: 401 access_denied, nothing run."""
    refused = [
        _post(client, "account_add", form(), key=None),
        _post(client, "account_add", form(), key="acme-live-key-7f3b"),
        client.post("/api/account_add", json=form(), headers={"Authorization": "Bearer"}),
        client.post("/api/account_add", json=form(), headers={"Authorization": ACME_KEY}),
        client.post(
            "/api/account_add", json=form(), headers={"Authorization": "Basic " + ACME_KEY}
        ),
    ]
    listed = _post(client, "account_list", {})
    assert [(r.status_code, r.json()["error_code"]) for r in refused] == [
        (401, "access_denied")
    ] * 5
    assert all(r.headers["www-authenticate"] == "Bearer" for r in refused)
    assert listed.json()["total"] == 0


def test_H1_each_key_acts_for_its_own_agency_only(
    client: Any, portal: rc.PartnerPortal, form: Form
) -> None:
    """Globex's key does not see Acme's account: 404 not_found, as for any unknown one."""
    _post(client, "account_add", form())
    portal.process_provisioning()
    from_globex = _post(client, "account_status", {"account": "north-bakery"}, key=GLOBEX_KEY)
    globex_list = _post(client, "account_list", {}, key=GLOBEX_KEY)
    assert (from_globex.status_code, from_globex.json()["error_code"]) == (404, "not_found")
    assert globex_list.json()["total"] == 0


def test_H1_coded_failures_have_fitting_http_statuses(
    client: Any, portal: rc.PartnerPortal, form: Form
) -> None:
    """Each failure keeps its coded JSON result and gets the HTTP status of its code."""
    _post(client, "account_add", form())
    portal.process_provisioning()
    cases = {
        "bad json": client.post(
            "/api/account_list",
            content=b"{not json",
            headers={"Authorization": "Bearer " + ACME_KEY},
        ),
        "wrong shape": _post(client, "account_list", {"page": "two"}),
        "refused value": _post(
            client, "account_add", form("south-bakery", timezone="Mars/Olympus")
        ),
        "taken name": _post(client, "account_add", form()),
        "no such account": _post(client, "account_status", {"account": "no-bakery"}),
        "no such call": _post(client, "account_delete", {}),
        "not a call": client.get("/admin"),
        "not a POST": client.get("/api/account_list"),
    }
    got = {case: (r.status_code, r.json()["error_code"]) for case, r in cases.items()}
    assert got == {
        "bad json": (400, "invalid_request"),
        "wrong shape": (400, "invalid_request"),
        "refused value": (422, "invalid_input"),
        "taken name": (409, "duplicate_name"),
        "no such account": (404, "not_found"),
        "no such call": (404, "unknown_action"),
        "not a call": (404, "not_found"),
        "not a POST": (405, "invalid_request"),
    }
    assert all(r.json()["result_code"] == 0 for r in cases.values())


def test_H1_a_body_over_the_limit_is_413_and_runs_nothing(
    base_url: str, api: rc.AgencyApi, acme: rc.Agency, card: rc.BillingProfile, form: Form
) -> None:
    """A declared length or a streamed (chunked) body over max_body: 413 invalid_request."""
    _served.append(create_app(api, StaticApiKeys({ACME_KEY: acme.id}), max_body=400))
    headers = {"Authorization": "Bearer " + ACME_KEY, "Content-Type": "application/json"}
    big = json.dumps({**form(), "name": "North Bakery" + " " * 400}).encode()
    try:
        with httpx.Client(base_url=base_url, timeout=5) as http:
            declared = http.post("/api/account_add", content=big, headers=headers)
            streamed = http.post(
                "/api/account_add", content=iter([big[:200], big[200:]]), headers=headers
            )
            fits = http.post(
                "/api/account_add", content=json.dumps(form()).encode(), headers=headers
            )
    finally:
        _served.pop()
    assert "content-length" not in streamed.request.headers
    assert [(r.status_code, r.json()["error_code"]) for r in (declared, streamed)] == [
        (413, "invalid_request")
    ] * 2
    assert (fits.status_code, fits.json()["account"]) == (200, "north-bakery")


def test_H1_a_body_not_sent_as_json_is_415(client: Any) -> None:
    """A form-encoded body is 415 invalid_request; a +json media type is JSON."""
    headers = {"Authorization": "Bearer " + ACME_KEY}
    form_encoded = client.post("/api/account_list", data={"page": "1"}, headers=headers)
    problem_json = client.post(
        "/api/account_list",
        content=b"{}",
        headers={**headers, "Content-Type": "application/vnd.api+json; charset=utf-8"},
    )
    assert (form_encoded.status_code, form_encoded.json()["error_code"]) == (415, "invalid_request")
    assert (problem_json.status_code, problem_json.json()["result_code"]) == (200, 1)


def test_H1_decimal_amounts_over_http_never_become_floats(
    client: Any, portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, form: Form
) -> None:
    """A JSON number 12.50 arrives as the exact decimal '12.50', not a float."""
    _post(client, "account_add", form())
    portal.process_provisioning()
    portal.buy_credits(acme.id, "prepaid", "100.00", card.id)
    applied = client.post(
        "/api/account_credits_apply",
        content=b'{"account": "north-bakery", "credits": 12.50}',
        headers={"Authorization": "Bearer " + ACME_KEY, "Content-Type": "application/json"},
    )
    assert (applied.status_code, applied.json()["credits"]) == (200, "12.50")


def test_H1_the_openapi_document_is_served_and_names_every_call(client: Any) -> None:
    """GET /openapi.json needs no key and is the document openapi() builds."""
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == openapi()
    assert sorted(served.json()["paths"]) == sorted(f"/api/{name}" for name in rc.agency_api.CALLS)


def test_H1_the_app_mounts_under_a_host_prefix(
    base_url: str, api: rc.AgencyApi, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Mounted at /partner in the host's own Starlette app, the calls and the document's
    server URL follow the mount."""
    host = Starlette(
        routes=[Mount("/partner", create_app(api, StaticApiKeys({ACME_KEY: acme.id})))]
    )
    _served.append(host)
    try:
        with httpx.Client(base_url=base_url, timeout=5) as http:
            listed = http.post(
                "/partner/api/account_list",
                json={},
                headers={"Authorization": "Bearer " + ACME_KEY},
            )
            document = http.get("/partner/openapi.json").json()
    finally:
        _served.pop()
    assert (listed.status_code, listed.json()["result_code"]) == (200, 1)
    assert document["servers"] == [{"url": "/partner"}]


def test_H1_a_failing_key_lookup_is_a_coded_500(
    base_url: str, api: rc.AgencyApi, form: Form
) -> None:
    """A host lookup that raises answers 500 internal_error, with no traceback."""

    def broken(key: str) -> str | None:
        raise ConnectionError("the host's key table is down")

    _served.append(create_app(api, broken))
    try:
        with httpx.Client(base_url=base_url, timeout=5) as http:
            answer = http.post(
                "/api/account_add", json=form(), headers={"Authorization": "Bearer x"}
            )
    finally:
        _served.pop()
    assert (answer.status_code, answer.json()["error_code"]) == (500, "internal_error")
    assert "Traceback" not in answer.text


def test_H1_plan_ids_travel_as_in_the_json_api(client: Any, form: Form) -> None:
    """The answers over HTTP are the AgencyApi's own: the plan id as the JSON API gives it."""
    _post(client, "account_add", form())
    listed = _post(client, "account_list", {"planfilter": "plus"})
    assert [a["plan"] for a in listed.json()["accounts"]] == [PLUS]
