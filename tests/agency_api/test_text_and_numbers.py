"""Text the storage cannot hold, text that disguises itself and numbers with a stray newline,
through the agency API on every adapter: each is refused with a code naming the parameter,
and nothing changes (E1, A3, A5)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import resell_core as rc
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.hostile import snapshot
from resell_core.testing.portal import SAMPLE_START, sample_agency, sample_card

from .conftest import PLUS, bakery

Call = Callable[..., dict[str, Any]]

# Every (call, parameter) whose text reached the storage or the ticket before the text rule.
TEXT_PARAMETERS = [
    ("account_add", "name"),
    ("account_add", "billing_profile"),
    ("account_add", "snapshot"),
    ("account_edit", "account"),
    ("account_edit", "billing_profile"),
    ("account_cancel", "account"),
    ("account_cancel", "reason"),
    ("account_list", "search"),
    ("account_plans", "account"),
    ("account_status", "account"),
    ("account_status_set", "account"),
    ("account_status_set", "message"),
    ("account_credits_apply", "account"),
    ("account_emailtest_credits_apply", "account"),
    ("singlesignon", "account"),
    ("singlesignon", "user"),
]
VALID: dict[str, dict[str, Any]] = {
    "account_add": bakery("south-bakery"),
    "account_edit": {"account": "north-bakery", "notification": "ops@acme.test"},
    "account_cancel": {"account": "north-bakery", "reason": "moving to Globex"},
    "account_list": {"search": "bakery"},
    "account_plans": {"account": "north-bakery"},
    "account_status": {"account": "north-bakery"},
    "account_status_set": {"account": "north-bakery", "status": "inactive", "message": "Call us"},
    "account_credits_apply": {"account": "north-bakery", "credits": "5.00"},
    "account_emailtest_credits_apply": {"account": "north-bakery", "credits": 5},
    "singlesignon": {"account": "north-bakery", "user": "admin"},
}

_scratch: list[ScratchSchema] = []


def _postgres() -> Storage:
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    if not _scratch:
        _scratch.append(ScratchSchema(url))
    return _scratch[0].storage()


@pytest.fixture(scope="module", autouse=True)
def _drop_scratch() -> Iterator[None]:
    """Drop the PostgreSQL schema of this module at its end."""
    yield
    while _scratch:
        _scratch.pop().drop()


@pytest.fixture(
    params=[lambda: None, lambda: SqlStorage("sqlite://"), _postgres],
    ids=["memory", "sqlite", "postgresql"],
)
def sql_api(request: pytest.FixtureRequest) -> tuple[rc.AgencyApi, str]:
    """The API over a portal on each adapter, with ACME-DIGITAL's active north-bakery and
    prepaid credit and inbox-preview credits in its pool."""
    portal = rc.PartnerPortal.embedded(start=SAMPLE_START, storage=request.param())
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    api = rc.AgencyApi(portal)
    assert api.call("account_add", acme.id, bakery())["result_code"] == 1
    portal.process_provisioning()
    portal.buy_credits(acme.id, "prepaid", "50.00", card.id)
    portal.buy_credits(acme.id, "inbox_preview", 10, card.id)
    return api, acme.id


def _refused(api: rc.AgencyApi, agency_id: str, action: str, params: dict[str, Any]) -> Any:
    before = snapshot(api.portal)
    answer = api.call(action, agency_id, params)
    assert answer["result_code"] == 0, answer
    assert snapshot(api.portal) == before
    return answer


@pytest.mark.parametrize("text", ["\ud800", "north\x00bakery"], ids=["surrogate", "nul"])
@pytest.mark.parametrize(("action", "field"), TEXT_PARAMETERS)
def test_E1_unstorable_text_in_any_parameter_is_refused_by_name(
    sql_api: tuple[rc.AgencyApi, str], action: str, field: str, text: str
) -> None:
    """A lone surrogate or NUL answers invalid_input on that parameter, on every adapter."""
    api, agency_id = sql_api

    answer = _refused(api, agency_id, action, {**VALID[action], field: text})

    assert answer["error_code"] == "invalid_input", answer
    assert [p["field"] for p in answer["problems"]] == [field]


def test_E1_an_unstorable_agency_id_is_refused(sql_api: tuple[rc.AgencyApi, str]) -> None:
    """The calling agency's id is text like any other: a surrogate is a bad request."""
    api, _agency_id = sql_api

    answer = _refused(api, "acme\ud800", "account_status", VALID["account_status"])

    assert answer["error_code"] == "invalid_request"
    assert answer["problems"][0]["field"] == "agency_id"


@pytest.mark.parametrize(
    ("action", "field", "text"),
    [
        ("account_add", "name", "North Bakery\u202e"),
        ("account_add", "name", "North\nBakery"),
        ("account_add", "account", "south-bakery\n"),
        ("account_cancel", "reason", "moving \u2066away"),
        ("account_status_set", "message", "Call us\x1b[2J"),
        ("account_list", "search", "bakery\u202e"),
        ("singlesignon", "user", "admin\u202e"),
    ],
)
def test_E1_control_characters_and_bidi_overrides_are_refused(
    sql_api: tuple[rc.AgencyApi, str], action: str, field: str, text: str
) -> None:
    """Names, labels, messages and searches holding controls or bidi overrides are refused."""
    api, agency_id = sql_api

    answer = _refused(api, agency_id, action, {**VALID[action], field: text})

    assert answer["error_code"] == "invalid_input", answer
    assert [p["field"] for p in answer["problems"]] == [field]


@pytest.mark.parametrize(
    ("action", "field"),
    [("account_add", "email"), ("account_add", "notification"), ("account_edit", "notification")],
)
def test_A5_an_email_with_a_trailing_newline_is_refused(
    sql_api: tuple[rc.AgencyApi, str], action: str, field: str
) -> None:
    """'owner@north-bakery.test\\n' is not an address: the whole text must match."""
    api, agency_id = sql_api

    answer = _refused(api, agency_id, action, {**VALID[action], field: "owner@north-bakery.test\n"})

    assert [p["field"] for p in answer["problems"]] == [field]


@pytest.mark.parametrize("action", ["account_add", "account_edit"])
def test_A3_a_custom_domain_on_the_hosting_domain_is_refused(
    sql_api: tuple[rc.AgencyApi, str], action: str
) -> None:
    """south-bakery's cname cannot be north-bakery's site address on the hosting domain."""
    api, agency_id = sql_api
    params = {**VALID[action], "cname": "North-Bakery.hosted.example"}

    answer = _refused(api, agency_id, action, params)

    assert answer["error_code"] == "invalid_input"
    assert [p["field"] for p in answer["problems"]] == ["cname"]


@pytest.mark.parametrize("credits", ["10\n", "10\r\n", " 10", "1e2", "10.0\n"])
@pytest.mark.parametrize("kind", ["prepaid", "sms"])
def test_E1_api_credits_must_be_plain_decimal_digits(
    sql_api: tuple[rc.AgencyApi, str], credits: str, kind: str
) -> None:
    """'10\\n' is not a number of credits: the pattern matches the whole text."""
    api, agency_id = sql_api
    params = {"account": "north-bakery", "credits": credits, "kind": kind}

    answer = _refused(api, agency_id, "account_credits_apply", params)

    assert answer["error_code"] == "invalid_request"
    assert [p["field"] for p in answer["problems"]] == ["credits"]


@pytest.mark.parametrize("duration", [2**63, 10**30, 366 * 86_400])
def test_E1_a_sign_on_duration_beyond_the_policy_is_refused(
    sql_api: tuple[rc.AgencyApi, str], duration: int
) -> None:
    """A ticket lifetime longer than the SSO policy allows answers with a code, not a crash."""
    api, agency_id = sql_api
    params = {**VALID["singlesignon"], "duration": duration}

    answer = _refused(api, agency_id, "singlesignon", params)

    assert answer["error_code"] == "invalid_input", answer
    assert [p["field"] for p in answer["problems"]] == ["duration"]


def test_E1_the_valid_requests_of_these_tests_are_accepted(
    sql_api: tuple[rc.AgencyApi, str],
) -> None:
    """Each call's valid request succeeds, so a refusal above is the bad value's doing."""
    api, agency_id = sql_api

    for action, params in sorted(VALID.items(), key=lambda item: item[0] == "account_cancel"):
        answer = api.call(action, agency_id, params)
        assert answer["result_code"] == 1, (action, answer)
    assert api.call("account_add", agency_id, bakery("west-bakery", PLUS))["result_code"] == 1
