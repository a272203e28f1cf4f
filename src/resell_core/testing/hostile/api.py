"""The agency-API half of the hostile-input suite (E1, API1), for any storage adapter.

Every call of :class:`~resell_core.agency_api.AgencyApi` is sent its valid request with one
parameter replaced by each hostile value of the parameter's kind (the table of
:data:`~resell_core.testing.hostile.HOSTILE`, plus what JSON can carry: true, NaN,
Infinity, 1e100, -1, 2**63), then without each required parameter, with an unknown one,
with parameters that are not an object, and from a calling agency whose id is hostile.
Every call must answer a coded result (never ``internal_error``) and leave the snapshot of
storage, gateway, notifier, provisioner and audit log unchanged: a failure with a stable
code, or, for a call that only reads, its answer. A value the parameter legitimately
accepts (``""`` as a reason, ``0`` as ``retaindata``) is not hostile to it and is left
out: :data:`ACCEPTED` lists them.

:func:`api_world` builds the portal the cases run on from a host's storage; :func:`api_cases`
lists the cases; :func:`run_api_suite` runs them and :func:`run_api_generated` sends
Hypothesis-generated JSON values (:data:`~resell_core.testing.strategies.json_values`) to
every parameter, where a value that happens to be valid may succeed but a failure must
still change nothing. Both return a :class:`~resell_core.testing.hostile.HostileReport`.

Example:
    >>> report = run_api_suite(lambda: None)  # None: the portal's own memory storage
    >>> report.failures
    ()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resell_core.agency_api import CALLS, INTERNAL_ERROR, AgencyApi, request_schema
from resell_core.ports import Storage
from resell_core.service.portal import PartnerPortal
from resell_core.testing.hostile import (
    HOSTILE,
    LONGEST_REFUSAL,
    Hostile,
    HostileCase,
    HostileReport,
    Intended,
    hostile,
    run_case,
    run_cases,
    snapshot,
)
from resell_core.testing.portal import SAMPLE_START, other_agency, sample_agency, sample_card
from resell_core.testing.strategies import json_values

__all__ = [
    "ACCEPTED",
    "ANSWERED",
    "KNOWN",
    "READS",
    "VALID",
    "ApiWorld",
    "api_cases",
    "api_world",
    "run_api_generated",
    "run_api_suite",
]

READS = frozenset(
    {
        "account_edit_preview",
        "account_list",
        "account_name_check",
        "account_plans",
        "account_status",
    }
)
"""The calls that only read: their answer, success or failure, is a coded result."""

ANSWERED = "answered"
"""The code a read-only call's successful answer counts as (a coded result, API1)."""

_CLIENT = "owner@north-bakery.test"
VALID: Mapping[str, Mapping[str, Any]] = {
    "account_add": {
        "account": "south-bakery",
        "plan": "V3/marketing/plus/2500/monthly",
        "name": "South Bakery",
        "notification": "bakery@acme.test",
        "email": _CLIENT,
        "cname": "mail.south-bakery.test",
        "language": "de",
        "timezone": "Europe/Berlin",
        "country": "DE",
    },
    "account_edit": {"account": "north-bakery", "notification": "ops@acme.test"},
    "account_edit_preview": {
        "account": "north-bakery",
        "plan": "V3/marketing/professional/2500/monthly",
        "on": SAMPLE_START.isoformat(),
    },
    "account_cancel": {"account": "north-bakery", "reason": "moving to Globex", "retaindata": 1},
    "account_list": {"search": "bakery", "planfilter": "all", "page": 1},
    "account_name_check": {"account": "west-bakery"},
    "account_plans": {"account": "north-bakery"},
    "account_status": {"account": "north-bakery"},
    "account_status_set": {"account": "north-bakery", "status": "inactive", "message": "Call us"},
    "account_credits_apply": {"account": "north-bakery", "credits": "5.00", "kind": "prepaid"},
    "account_emailtest_credits_apply": {"account": "north-bakery", "credits": 5},
    "singlesignon": {"account": "north-bakery", "user": "admin", "duration": 60},
}
"""A request of each call that succeeds on :func:`api_world`'s portal; each case changes
one thing in it."""

_SQL = "'; DROP TABLE accounts; --"
_FREE_TEXT = ("", " ", "%", _SQL)
ACCEPTED: Mapping[tuple[str, str], tuple[object, ...]] = {
    ("account_add", "name"): ("%", _SQL),
    ("account_add", "cname"): ("",),
    ("account_add", "country"): ("",),
    ("account_add", "snapshot"): ("",),
    ("account_add", "migration"): (True,),
    ("account_edit", "cname"): ("",),
    ("account_cancel", "reason"): _FREE_TEXT,
    ("account_cancel", "retaindata"): (0,),
    ("account_status_set", "message"): _FREE_TEXT,
}
"""Values of the hostile table that a parameter legitimately accepts, besides None where
it is optional: free text may be blank or hold '%' and quotes; ``cname`` ``""`` means
none (account_edit: drop it); ``country`` ``""`` and ``snapshot`` ``""`` mean the
default; ``migration`` true is the catalog's migration discount (A10)."""

KNOWN: Mapping[tuple[str, str, str], str] = {}
"""Cases known to fail today, by (call, parameter, value label), with the reason: they are
run and reported apart (:attr:`~resell_core.testing.hostile.HostileReport.known`). None
is known today."""

_JSON_EXTRAS = (
    hostile(True),
    hostile(math.nan, "float('nan')"),
    hostile(math.inf, "float('inf')"),
    hostile(1e100),
    hostile(-1),
    hostile(2**63, "2**63"),
)
_NOT_AN_OBJECT = (
    hostile(None),
    hostile([]),
    hostile("north-bakery"),
    hostile(1),
    hostile({1: "north-bakery"}),
)


@attrs.frozen
class ApiWorld:
    """The portal the cases run on, its API and the calling agency.

    Attributes:
        api: The agency API over the portal.
        agency_id: ACME-DIGITAL, which holds north-bakery (active, paid plan) and has
            bought prepaid credit, SMS credits and inbox-preview credits.
    """

    api: AgencyApi
    agency_id: str

    @property
    def portal(self) -> PartnerPortal:
        """The portal the API runs on."""
        return self.api.portal


def api_world(storage: Storage | None) -> ApiWorld:
    """Build the API's world on ``storage`` (given empty; None for memory).

    ACME-DIGITAL with its card, an active ``north-bakery`` on a paid plan, 50.00 of
    prepaid credit, 100 SMS and 10 inbox-preview credits in its pool; Globex, another
    agency, with nothing.
    """
    portal = PartnerPortal.embedded(start=SAMPLE_START, storage=storage)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    other_agency(portal)
    api = AgencyApi(portal)
    added = api.account_add(acme.id, {**VALID["account_add"], "account": "north-bakery"})
    if added["result_code"] != 1:
        raise AssertionError(f"the world's account could not be added: {added}")
    portal.process_provisioning()
    portal.buy_credits(acme.id, "prepaid", "50.00", card.id)
    portal.buy_credits(acme.id, "sms", 100, card.id)
    portal.buy_credits(acme.id, "inbox_preview", 10, card.id)
    return ApiWorld(api, acme.id)


def _intended(node: Mapping[str, Any]) -> Intended:
    types = node.get("type")
    kinds = {types} if isinstance(types, str) else set(types or ())
    if "enum" in node:
        return Intended.CHOICE
    if "string" in kinds and "integer" in kinds:
        return Intended.AMOUNT
    if "integer" in kinds:
        return Intended.QUANTITY
    return Intended.TEXT


def _same(value: object, accepted: object) -> bool:
    return type(value) is type(accepted) and value == accepted


def _values(name: str, parameter: str, node: Mapping[str, Any]) -> Iterator[Hostile]:
    """The hostile values of one parameter: its kind's table and JSON's extras, less
    the values it accepts."""
    types = node.get("type")
    optional = "null" in (types if isinstance(types, list) else [types])
    accepted = ACCEPTED.get((name, parameter), ())
    seen: set[str] = set()
    for value in (*HOSTILE[_intended(node)], *_JSON_EXTRAS):
        if value.label in seen or (optional and value.value is None):
            continue
        if any(_same(value.value, a) for a in accepted):
            continue
        seen.add(value.label)
        yield value


_CALLER = object()  # the world's own agency


@attrs.frozen
class _Answered:
    """A call's answer, and whether the call only reads."""

    reads: bool
    answer: Mapping[str, Any]

    def __repr__(self) -> str:
        return repr(dict(self.answer))


def _code(answered: object) -> str | None:
    """The code of an answer: its error code; ANSWERED for a read's success; None for a
    success that may have changed something."""
    if not isinstance(answered, _Answered):
        return None
    if answered.answer.get("result_code") == 0:
        return str(answered.answer.get("error_code"))
    return ANSWERED if answered.reads else None


def _message(answered: object) -> str:
    """A refused answer's text: its message and its problems' (what a caller reads)."""
    if not isinstance(answered, _Answered) or answered.answer.get("result_code") != 0:
        return ""
    problems = answered.answer.get("problems") or ()
    return "".join([str(answered.answer.get("result_message", "")), *map(str, problems)])


def _case(
    world: ApiWorld,
    name: str,
    parameter: str,
    value: Hostile,
    params: object,
    *,
    agency_id: object = _CALLER,
) -> HostileCase:
    caller = world.agency_id if agency_id is _CALLER else agency_id

    def call() -> _Answered:
        return _Answered(name in READS, world.api.call(name, caller, params))

    return HostileCase(
        name, parameter, value, call, known=KNOWN.get((name, parameter, value.label))
    )


def api_cases(world: ApiWorld) -> list[HostileCase]:
    """Every hostile case of every call: each parameter, missing and unknown parameters,
    parameters that are not an object, and a hostile calling agency."""
    cases: list[HostileCase] = []
    for name in CALLS:
        valid = dict(VALID[name])
        node = request_schema(name)
        for parameter, sub in node["properties"].items():
            for value in _values(name, parameter, sub):
                params = {**valid, parameter: value.value}
                cases.append(_case(world, name, parameter, value, params))
        for parameter in node["required"]:
            params = {k: v for k, v in valid.items() if k != parameter}
            cases.append(_case(world, name, parameter, hostile("missing"), params))
        cases.append(_case(world, name, "$", hostile("unknown key"), {**valid, "ssn": "123"}))
        for value in _NOT_AN_OBJECT:
            cases.append(_case(world, name, "$", value, value.value))
        for value in (*HOSTILE[Intended.TEXT], hostile("agency-999")):
            cases.append(_case(world, name, "agency_id", value, valid, agency_id=value.value))
    return cases


_UNCODED = frozenset({INTERNAL_ERROR})


def run_api_suite(storage_factory: Callable[[], Storage | None]) -> HostileReport:
    """Run every case of :func:`api_cases` on a world built on a fresh storage.

    Args:
        storage_factory: Returns an empty storage of the adapter under test (None for the
            portal's own memory storage).

    Returns:
        The counts (tried, coded, state unchanged), the failures and the known cases.
    """
    world = api_world(storage_factory())
    return run_cases(
        world.portal, api_cases(world), refusal=_code, refusal_text=_message, uncoded=_UNCODED
    )


def run_api_generated(
    storage_factory: Callable[[], Storage | None], *, max_examples: int = 100
) -> HostileReport:
    """Send Hypothesis-generated JSON values to every parameter of every call.

    Each example is one call's valid request with one parameter (or the whole request)
    replaced by a generated JSON value. A generated value may happen to be valid, so a
    success is allowed; what must hold is a coded result (never ``internal_error``) and,
    when the call failed or only read, an unchanged snapshot.

    Args:
        storage_factory: As :func:`run_api_suite`.
        max_examples: Hypothesis examples (each one call).

    Returns:
        The counts and the failures: ``coded`` counts every answer that is not
        ``internal_error`` or a raw exception (a success included), ``unchanged`` the calls
        after which nothing changed (a success may change the state and is no failure).
    """
    world = api_world(storage_factory())
    parameters = [
        (name, parameter)
        for name in sorted(CALLS)
        for parameter in (*request_schema(name)["properties"], "$")
    ]
    report = HostileReport()

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(target=st.sampled_from(parameters), value=json_values)
    def send(target: tuple[str, str], value: object) -> None:
        nonlocal report
        name, parameter = target
        params = value if parameter == "$" else {**VALID[name], parameter: value}
        case = _case(world, name, parameter, hostile(value), params)
        before = snapshot(world.portal)
        result, _after = run_case(
            case,
            before,
            lambda: snapshot(world.portal),
            refusal=_code,
            refusal_text=_message,
            uncoded=_UNCODED,
        )
        # A success may change the state; a refusal must change nothing and be short.
        refused_badly = bool(result.changed) or result.refusal_length > LONGEST_REFUSAL
        failed = result.outcome == "raw" or (result.outcome == "coded" and refused_badly)
        report += HostileReport(
            1,
            int(result.outcome != "raw"),
            int(not result.changed),
            (result,) if failed else (),
        )

    send()
    return report
