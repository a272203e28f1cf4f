"""Hypothesis sends the agency API malformed requests: each gets a coded result and a failed
call changes nothing (API1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import resell_core as rc
from resell_core.agency_api import CALLS, INTERNAL_ERROR, schema
from resell_core.testing.strategies import json_values

Form = Callable[..., dict[str, Any]]
State = Callable[[], Any]
AddActive = Callable[..., rc.Account]

_NAMES = sorted({name for d in schema()["$defs"].values() for name in d["properties"]})

params_like = (
    st.dictionaries(st.sampled_from(_NAMES), json_values, max_size=6)
    | json_values
    | st.dictionaries(st.integers() | st.none() | st.text(max_size=5), json_values, max_size=3)
)
actions = st.sampled_from(sorted(CALLS)) | st.text(max_size=20) | json_values


def _check(answer: Any) -> None:
    assert isinstance(answer, dict)
    assert answer["result_code"] in (0, 1)
    assert isinstance(answer["result_message"], str)
    if answer["result_code"] == 0:
        assert isinstance(answer["error_code"], str)
        assert answer["error_code"] != INTERNAL_ERROR, answer


def test_API1_malformed_requests_get_a_coded_result_and_change_nothing(
    api: rc.AgencyApi, acme: rc.Agency, add_active: AddActive, state: State
) -> None:
    """Random actions and parameters: a coded result every time; a failure changes nothing."""
    add_active()

    @settings(max_examples=300)
    @given(action=actions, params=params_like)
    def run(action: Any, params: Any) -> None:
        before = state()
        answer = api.call(action, acme.id, params)
        _check(answer)
        if answer["result_code"] == 0:
            assert state() == before

    run()


def test_API1_every_call_survives_junk_in_each_parameter(
    api: rc.AgencyApi, card: rc.BillingProfile, add_active: AddActive, state: State, form: Form
) -> None:
    """Each call, with one known parameter set to junk, answers with a code, changing nothing."""
    add_active()
    api.portal.buy_credits(card.agency_id, "inbox_preview", 10, card.id)

    @settings(max_examples=300)
    @given(action=st.sampled_from(sorted(CALLS)), field=st.sampled_from(_NAMES), junk=json_values)
    def run(action: str, field: str, junk: Any) -> None:
        params = {**form("north-bakery"), field: junk}
        before = state()
        answer = api.call(action, card.agency_id, params)
        _check(answer)
        if answer["result_code"] == 0:
            assert state() == before

    run()


def test_API1_a_malformed_agency_id_gets_a_coded_result(api: rc.AgencyApi) -> None:
    """Whatever the host passes as the calling agency, the answer is a coded result."""

    @settings(max_examples=100)
    @given(agency_id=json_values, params=params_like)
    def run(agency_id: Any, params: Any) -> None:
        _check(api.call("account_list", agency_id, params))

    run()
