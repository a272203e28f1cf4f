"""Faster JSON paths give the reference's text, values and errors, byte for byte.

The reference is what the converter and the standard encoder and decoder give on their
own: ``encoder.encode(converter.unstructure(value))`` for text, the converter's structure
hook for values, its errors (translated by ``structure``) for bad data.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, cast

import attrs
import cattrs
import pytest
from cattrs.errors import ClassValidationError, IterableValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from resell_core import serialization
from resell_core._codec import Codec, encode
from resell_core.agency import PortalUser
from resell_core.audit import AuditEvent
from resell_core.billing.commissions import CommissionStatement, StatementStatus
from resell_core.billing.gateway import PayoutRequest
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.billing.ledger import CreditKind, Movement
from resell_core.billing.notices import Notice, NoticeKind
from resell_core.errors import CatalogError, FieldProblem, InvalidInput
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.account_query import SavedView
from resell_core.lifecycle.lockout import LoginState
from resell_core.lifecycle.transfer import TransferRequest, TransferStatus
from resell_core.money import Money
from resell_core.periods import Frequency, Period
from resell_core.ports import AccessRecord, IdempotencyRecord, Record
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.selection import PlanSelection
from resell_core.serialization import (
    converter,
    loader,
    parse_json,
    structure,
    structurer,
    to_json,
)
from resell_core.testing import strategies as rs

# -- references -------------------------------------------------------------------------


def _reference_loads(text: str | bytes) -> object:
    return json.loads(text, parse_float=Decimal)


def _reference_to_json(value: object) -> str:
    return serialization._encode(converter.unstructure(value))


def _reference_load(text: str, cls: type[Any]) -> object:
    return converter.get_structure_hook(cls)(json.loads(text, parse_float=Decimal), cls)


def _reference_structure(data: object, cls: type[Any]) -> object:
    """``structure`` as it reads with the converter alone."""
    error = CatalogError if cls is Catalog else InvalidInput
    name = cls.__name__
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        raise error(name, serialization._problems(exc)) from None
    except InvalidInput as exc:
        raise error(name, exc.problems) from None
    except (TypeError, ValueError, KeyError) as exc:
        raise error(name, [FieldProblem("$", str(exc))]) from None


def _fields(value: object) -> tuple[attrs.Attribute[Any], ...]:
    found: tuple[attrs.Attribute[Any], ...] = attrs.fields(cast(Any, type(value)))
    return found


def _same(a: object, b: object) -> bool:
    """Tell whether two values are equal field by field with the very same types."""
    if type(a) is not type(b):
        return False
    if attrs.has(type(a)):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in _fields(a))
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple)
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return a == b


def _outcome(call: Callable[..., object], *args: object) -> tuple[str, object]:
    """What a call gives: its value, or its error's type, message and listed problems."""
    try:
        return "value", call(*args)
    except Exception as exc:
        problems: object = getattr(exc, "problems", None)
        if isinstance(exc, ClassValidationError | IterableValidationError):
            problems = serialization._problems(exc)
        return "error", (type(exc), str(exc), getattr(exc, "code", None), problems)


def _same_outcome(mine: tuple[str, object], reference: tuple[str, object]) -> bool:
    if mine[0] != reference[0]:
        return False
    return _same(mine[1], reference[1]) if mine[0] == "value" else mine == reference


# -- values ---------------------------------------------------------------------------------

_texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["north-bakery", 'say "hi"\\ \n\t', "Ärztehaus Süd ✓", "\x00\x1f", "\ud800"]),
)
_maybe_text = st.none() | _texts
_moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - bounds are naive for hypothesis
    max_value=datetime(2099, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@st.composite
def _invoice_lines(draw: st.DrawFn, currency: str) -> InvoiceLine:
    price = draw(rs.money(currency))
    return InvoiceLine(
        kind=draw(st.sampled_from(list(LineKind))),
        description=draw(_texts),
        quantity=draw(rs.amounts(max_value=1000)),
        unit_price=price,
        amount=draw(rs.money(currency)),
        period=draw(st.none() | rs.periods()),
    )


@st.composite
def _invoices(draw: st.DrawFn) -> Invoice:
    currency = draw(rs.currencies)
    lines = draw(st.lists(_invoice_lines(currency), max_size=4))
    return Invoice(
        id=draw(_texts),
        agency_id="ACME-DIGITAL",
        number=draw(st.integers(0, 10**12)),
        account_id=draw(_maybe_text),
        profile_id=draw(_maybe_text),
        issued_on=draw(rs.days),
        currency=currency,
        lines=lines,
        status=draw(st.sampled_from(list(InvoiceStatus))),
        paid_earmarked=draw(rs.money(currency)),
        paid_pool=draw(rs.money(currency)),
        paid_card=draw(rs.money(currency)),
        attempts=draw(st.integers(0, 6)),
        next_retry_on=draw(st.none() | rs.days),
        period_key=draw(_maybe_text),
        version=draw(st.integers(0, 40)),
        taxes=tuple(draw(st.lists(rs.tax_lines(currency, len(lines)), max_size=2))),
    )


@st.composite
def _statements(draw: st.DrawFn) -> CommissionStatement:
    currency = draw(rs.currencies)
    payout = PayoutRequest("payout-1", "ACME-DIGITAL", "pay@acme.test", draw(rs.money(currency)))
    notice = Notice(draw(st.sampled_from(list(NoticeKind))), "ops@acme.test", "Held", "Body", "A")
    return CommissionStatement(
        agency_id="ACME-DIGITAL",
        month=draw(rs.periods()),
        referred_revenue=draw(rs.money(currency)),
        rate=draw(rs.reseller_rates),
        earned=draw(rs.money(currency)),
        carried_in=draw(rs.money(currency)),
        due=draw(rs.money(currency)),
        active_referrals=draw(st.integers(0, 50)),
        status=draw(st.sampled_from(list(StatementStatus))),
        shortfalls=tuple(draw(st.lists(_texts, max_size=3))),
        carried_out=draw(rs.money(currency)),
        payout=draw(st.none() | st.just(payout)),
        notices=tuple(draw(st.lists(st.just(notice), max_size=2))),
    )


_aggregates: st.SearchStrategy[Any] = st.one_of(
    rs.lifecycle_accounts(),
    rs.overview_accounts(),
    _invoices(),
    rs.agencies(),
    rs.billing_profiles(),
    rs.audit_events(),
    _statements(),
    st.builds(
        Movement,
        id=_texts,
        agency_id=_texts,
        kind=rs.credit_kinds,
        quantity=rs.amounts(),
        source=_texts,
        destination=_texts,
        on=rs.days,
        reason=_texts,
        invoice_id=_maybe_text,
    ),
    st.builds(PortalUser, _texts, _texts, _texts, _texts),
    st.builds(IdempotencyRecord, _texts, _texts, _texts, _texts, _moments),
    st.builds(AccessRecord, _texts, _texts, _texts, _texts, _texts, st.none() | _moments),
    st.builds(Record, _texts, _texts, _texts, _texts, _texts, _maybe_text, st.integers(0, 9)),
    st.builds(SavedView, _texts, _texts, _texts, st.just("Expiring soon"), rs.account_queries()),
    st.builds(LoginState, st.integers(0, 9), st.none() | _moments),
    st.builds(
        TransferRequest,
        _texts,
        _texts,
        _texts,
        _texts,
        _texts,
        rs.days,
        rs.days,
        st.sampled_from(list(TransferStatus)),
        st.none() | rs.days,
    ),
)
"""Every kind of value the storage and the service keep as JSON."""


class _Tag(str):
    """A str subclass, as a host's own string type would be."""

    __slots__ = ()


_ODD_VALUES: list[object] = [
    None,
    True,
    False,
    0,
    -7,
    2**80,
    1.5,
    float("nan"),
    Decimal("2.50"),
    Decimal("NaN"),
    "",
    'say "hi"',
    _Tag("north-bakery"),
    date(2024, 2, 29),
    datetime(2024, 2, 29, 9, 30, tzinfo=UTC),
    datetime(2024, 2, 29, 9, 30),  # noqa: DTZ001 - a naive datetime is one odd value
    AccountStatus.ACTIVE,
    Frequency.ANNUAL,
    LineKind.DISCOUNT,
    [],
    ["sms", 1],
    ("sms",),
    {"b": 1, "a": [2]},
    {1: "one"},
    {"a": 1, 2: "b"},
    {(1, 2): 3},
    {"x"},
    object(),
    Money("1.50", "EUR"),
    PlanSelection("V1", "EM", "trial"),
    Period(date(2024, 1, 31), date(2024, 2, 29)),
]
"""Values of unexpected types, as a field may hold at run time (attrs checks no types)."""


def _field_paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every field of ``value`` and of the values it holds, and every item of its tuples."""
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, tuple):
        for at, item in enumerate(value):
            found += [(*prefix, at), *_field_paths(item, (*prefix, at))]
    elif attrs.has(type(value)):
        for field in _fields(value):
            if field.init:
                path = (*prefix, field.name)
                found += [path, *_field_paths(getattr(value, field.name), path)]
    return found


def _with(value: Any, path: tuple[str | int, ...], new: object) -> Any:
    """A copy of ``value`` with what ``path`` names set to ``new`` (no check, no converter)."""
    step, rest = path[0], path[1:]
    if isinstance(value, tuple):
        assert isinstance(step, int)
        items = list(value)
        items[step] = _with(items[step], rest, new) if rest else new
        return tuple(items)
    assert isinstance(step, str)
    changed = copy.copy(value)
    inner = _with(getattr(value, step), rest, new) if rest else new
    object.__setattr__(changed, step, inner)
    return changed


# -- reading JSON ---------------------------------------------------------------------------

_JSON_TEXTS = st.one_of(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=8,
    ).map(json.dumps),
    st.sampled_from(
        [
            '{"amount": 12.50}',
            "\ufeff{}",
            "{north-bakery",
            "",
            "[1, 2",
            "NaN",
            '"\\ud800"',
            # Whitespace around a document, and data after one.
            ' {"id": "north-bakery"}',
            '{"id": "north-bakery"}\n',
            "\t[1] ",
            "{} {}",
            "1 x",
            "   ",
        ]
    ),
    st.text(max_size=12),
)


@given(text=_JSON_TEXTS, as_bytes=st.booleans())
def test_reading_json_gives_what_json_loads_with_decimal_floats_gives(
    text: str, as_bytes: bool
) -> None:
    """The decoder built once reads every text (or bytes) as json.loads(parse_float=Decimal)."""
    data: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text

    assert _outcome(parse_json, data) == _outcome(_reference_loads, data)


def test_a_json_float_is_still_read_as_an_exact_decimal() -> None:
    """A fraction in stored JSON is a Decimal, never a float."""
    assert parse_json('{"rate": 0.15}') == {"rate": Decimal("0.15")}


def test_a_byte_order_mark_is_refused_as_json_loads_refuses_it() -> None:
    """Text starting with a byte order mark is refused with json's own message."""
    with pytest.raises(json.JSONDecodeError, match="BOM"):
        parse_json('\ufeff{"id": "north-bakery"}')


# -- writing JSON ---------------------------------------------------------------------------


@given(value=_aggregates)
def test_to_json_writes_the_reference_text_for_every_stored_kind(value: object) -> None:
    """Every aggregate and record is written as the converter and the sorting encoder write it."""
    assert to_json(value) == _reference_to_json(value)


@given(value=_aggregates)
def test_stored_kinds_are_written_by_their_generated_writer(value: object) -> None:
    """The generated writer, not the reference path, writes well-formed values."""
    write = serialization._writer(type(value))

    assert write is not None
    assert write(value) == _reference_to_json(value)


@settings(max_examples=10)
@given(value=_aggregates)
def test_to_json_of_any_field_holding_an_odd_type_gives_the_reference_text_or_error(
    value: object,
) -> None:
    """Every field set to every odd value gives the reference's text, or its error."""
    for path in _field_paths(value):
        for odd in _ODD_VALUES:
            changed = _with(value, path, odd)

            assert _outcome(to_json, changed) == _outcome(_reference_to_json, changed), path


def test_a_free_form_mapping_in_a_field_is_written_with_sorted_keys() -> None:
    """A dict where a string was expected still comes out with its keys sorted."""
    account = next_account()
    object.__setattr__(account, "disabled_message", {"zeta": 1, "alpha": {"b": 2, "a": 1}})

    text = to_json(account)

    assert '"disabled_message": {"alpha": {"a": 1, "b": 2}, "zeta": 1}' in text
    assert text == _reference_to_json(account)


def test_a_plan_whose_parts_can_change_is_written_afresh_each_time() -> None:
    """A selection holding a list is not kept as text: a change to the list shows."""
    plan = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
    addons = ["sms"]
    object.__setattr__(plan, "addons", addons)
    account = attrs.evolve(next_account(), plan=plan)
    first = to_json(account)

    addons.append("inbox_preview")

    assert to_json(account) != first
    assert to_json(account) == _reference_to_json(account)


def test_one_plan_object_is_written_the_same_every_time() -> None:
    """The kept text of a shared plan is the text written the first time."""
    account = next_account()

    assert to_json(account) == to_json(account) == _reference_to_json(account)


def test_a_kept_plan_text_serves_only_that_very_plan() -> None:
    """Plans equal in Python but written differently (1 and True) each get their own text."""
    counted = PlanSelection("V3", "marketing", "plus", 1, "monthly")
    flagged = PlanSelection("V3", "marketing", "plus", 1, "monthly")
    object.__setattr__(flagged, "contacts", True)
    assert counted == flagged  # 1 == True: one key of the kept texts

    first = to_json(attrs.evolve(next_account(), plan=counted))
    second = to_json(attrs.evolve(next_account(), plan=flagged))

    assert '"contacts": 1,' in first
    assert '"contacts": true,' in second


def next_account() -> Account:
    """A paid, billed account of ACME-DIGITAL."""
    return Account(
        id="acc-0000001",
        agency_id="ACME-DIGITAL",
        name="north-bakery",
        client_name="North Bakery",
        notification_email="ops@north-bakery.test",
        country="DE",
        region="eu",
        language="de",
        timezone="Europe/Berlin",
        plan=PlanSelection("V3", "marketing", "plus", 2500, "monthly", {"users": 5}, ["sms"]),
        created_on=date(2024, 1, 31),
        status=AccountStatus.ACTIVE,
        anchor=date(2024, 1, 31),
        next_period=2,
        paid_through=date(2024, 3, 31),
    )


# -- classes with a host's hooks ----------------------------------------------------------


@attrs.frozen
class _Badge:
    """A host's value with hooks of its own."""

    label: str


@attrs.frozen
class _Holder:
    """A host's value holding one with its own hooks."""

    badge: _Badge
    since: date


@attrs.frozen
class _Unresolved:
    """A host's value whose annotation names a type that does not exist."""

    label: NoSuchType  # type: ignore[name-defined]  # noqa: F821


converter.register_unstructure_hook(_Badge, lambda badge: {"label": badge.label.upper()})
converter.register_structure_hook(_Badge, lambda data, _: _Badge(data["label"].lower()))


def test_a_value_with_a_hook_of_its_own_is_written_and_read_with_that_hook() -> None:
    """A hook a host registered is used inside a generated writer and reader too."""
    holder = _Holder(_Badge("gold"), date(2024, 2, 29))

    text = to_json(holder)

    assert text == '{"badge": {"label": "GOLD"}, "since": "2024-02-29"}'
    assert structure(json.loads(text), _Holder) == holder
    assert loader(_Holder)(text) == holder


class _Stamp(str):
    """A host's text with a hook of its own for when it may be missing."""


@attrs.frozen
class _Stamped:
    """A host's value with an optional field whose optional type has the host's hook."""

    stamp: _Stamp | None
    since: date | None


converter.register_structure_hook(
    _Stamp | None, lambda data, _: _Stamp("unstamped" if data is None else data.upper())
)


def test_a_hook_a_host_registers_for_an_optional_type_is_used_by_the_reader() -> None:
    """An optional field is read inline only where its hook is the converter's own."""
    data = {"stamp": None, "since": None}

    assert structure(data, _Stamped) == _Stamped(_Stamp("unstamped"), None)
    assert loader(_Stamped)('{"stamp": "gold", "since": "2024-02-29"}') == _Stamped(
        _Stamp("GOLD"), date(2024, 2, 29)
    )


def test_an_accounts_optional_fields_are_read_inline() -> None:
    """The account's reader names no hook of the converter's own for its optional fields:
    a cattrs whose hook of optional types is no longer recognised fails here."""
    read = serialization._reader(Account)
    assert read is not None

    hooks = [g for g in read.__globals__.values() if getattr(g, "__self__", None) is converter]

    assert hooks == []


@attrs.frozen
class _Shop:
    name: str
    city: str
    opened_on: date = attrs.field(kw_only=True)
    rating: int = 0


@attrs.frozen(init=False)
class _Bakery:
    name: str
    city: str

    def __init__(self, city: str, name: str) -> None:
        self.__attrs_init__(name.upper(), city)


def test_a_generated_reader_passes_keyword_only_fields_by_keyword() -> None:
    """A class with keyword-only fields among positional ones is built as cattrs builds it."""
    data = {"name": "north-bakery", "city": "Lyon", "opened_on": "2024-02-29", "rating": 4}

    assert serialization._reader(_Shop) is not None
    assert structure(dict(data), _Shop) == _reference_structure(dict(data), _Shop)
    assert structure(dict(data), _Shop) == _Shop(
        "north-bakery", "Lyon", opened_on=date(2024, 2, 29), rating=4
    )


def test_a_generated_reader_passes_fields_by_keyword_to_a_hand_written_init() -> None:
    """An __init__ whose parameters are not the fields in order gets every field by its name."""
    data = {"name": "north-bakery", "city": "Lyon"}

    assert serialization._reader(_Bakery) is not None
    assert structure(dict(data), _Bakery) == _reference_structure(dict(data), _Bakery)
    assert structure(dict(data), _Bakery) == _Bakery("Lyon", "north-bakery")


def test_a_class_whose_types_cannot_be_resolved_fails_as_the_converter_fails() -> None:
    """No generated code hides the converter's own error for a class it cannot handle."""
    value = _Unresolved("gold")

    assert _outcome(to_json, value) == _outcome(_reference_to_json, value)
    assert _outcome(structure, {"label": "gold"}, _Unresolved) == _outcome(
        _reference_structure, {"label": "gold"}, _Unresolved
    )
    assert _outcome(to_json, value)[0] == "error"


# -- reading values -------------------------------------------------------------------------


@given(value=_aggregates)
def test_loader_reads_back_what_the_converter_reads(value: object) -> None:
    """loader(cls) gives the very value the converter's hook gives for stored text."""
    text = to_json(value)
    cls = type(value)

    mine = _outcome(loader(cls), text)

    assert _same_outcome(mine, _outcome(_reference_load, text, cls))
    assert mine[0] == "value"


@given(value=_aggregates)
def test_every_stored_kind_reads_back_equal_to_what_was_written(value: object) -> None:
    """Written by its generated writer and read by its generated reader, a value comes back
    equal to itself."""
    cls = type(value)
    write, read = serialization._writer(cls), serialization._reader(cls)
    assert write is not None
    assert read is not None

    assert read(parse_json(write(value))) == value
    assert loader(cls)(to_json(value)) == value


@given(value=_aggregates)
def test_stored_kinds_are_read_by_their_generated_reader(value: object) -> None:
    """The generated reader, not the converter's hook, takes well-formed stored data."""
    read = serialization._reader(type(value))

    assert read is not None
    assert _same(read(json.loads(to_json(value))), _reference_load(to_json(value), type(value)))


_ODD_JSON: list[object] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**64,
    "",
    "x",
    "12.50",
    "NaN",
    "1e3",
    "2024-02-30",
    "2024-01-31",
    "2024-01-31T10:00:00",
    "2024-01-31T10:00:00+00:00",
    "monthly",
    "active",
    "discount",
    "USD",
    [],
    ["a"],
    [{}],
    {},
    {"amount": "1", "currency": "USD"},
    {"amount": "1", "currency": "usd"},
    {"amount": "1", "currency": "XXX-not"},
    {"amount": 1, "currency": "USD"},
    {"amount": "1", "currency": "USD", "extra": 1},
    {"start": "2024-01-31", "end": "2024-01-01"},
    {"version": "V1", "product": "EM", "tier": "trial"},
]
"""JSON values that stored text may hold where another was expected."""

_FLOATS: list[object] = [1.5, Decimal("1.5"), {"amount": 12.5, "currency": "USD"}]
"""What plain data (not JSON text) may hold besides: floats, and decimals read from JSON."""

_DROP = object()
"""Stands for taking a key (or an item) out rather than setting a value."""


def _json_paths(data: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every key and item of plain JSON data, at every depth, and one unknown key per dict."""
    found: list[tuple[str | int, ...]] = []
    if isinstance(data, dict):
        found.append((*prefix, "colour"))
        for key, item in data.items():
            found += [(*prefix, key), *_json_paths(item, (*prefix, key))]
    elif isinstance(data, list):
        for at, item in enumerate(data):
            found += [(*prefix, at), *_json_paths(item, (*prefix, at))]
    return found


def _json_with(data: Any, path: tuple[str | int, ...], new: object) -> Any:
    """A copy of ``data`` with what ``path`` names set to ``new`` (or dropped)."""
    step, rest = path[0], path[1:]
    changed = copy.copy(data)
    if rest:
        changed[step] = _json_with(data[step], rest, new)
    elif new is _DROP:
        if isinstance(changed, dict):
            changed.pop(step, None)
        else:
            del changed[step]
    else:
        changed[step] = new
    return changed


@settings(max_examples=10)
@given(value=_aggregates)
def test_structure_of_spoilt_data_gives_the_reference_value_or_error(value: object) -> None:
    """Bad data gives the same InvalidInput (code, problems, message) as the converter alone."""
    stored = json.loads(to_json(value))
    cls = type(value)
    for path in _json_paths(stored):
        for new in [*_ODD_JSON, *_FLOATS, _DROP]:
            spoilt = _json_with(stored, path, new)

            mine = _outcome(structure, spoilt, cls)

            assert _same_outcome(mine, _outcome(_reference_structure, spoilt, cls)), path


@settings(max_examples=10)
@given(value=_aggregates)
def test_loader_of_spoilt_text_gives_the_reference_value_or_error(value: object) -> None:
    """Bad stored text gives the converter's own error, with the same problems listed."""
    stored = json.loads(to_json(value))
    cls = type(value)
    for path in _json_paths(stored):
        for new in [*_ODD_JSON, _DROP]:
            text = json.dumps(_json_with(stored, path, new))

            mine = _outcome(loader(cls), text)

            assert _same_outcome(mine, _outcome(_reference_load, text, cls)), path


@settings(max_examples=10)
@given(value=_aggregates)
def test_structurer_of_spoilt_data_gives_the_converters_value_or_error(value: object) -> None:
    """structurer(cls) gives what the converter's hook gives, bad data included."""
    stored = json.loads(to_json(value))
    cls = type(value)
    build, hook = structurer(cls), converter.get_structure_hook(cls)
    for path in _json_paths(stored):
        for new in [*_ODD_JSON, *_FLOATS, _DROP]:
            spoilt = _json_with(stored, path, new)

            mine = _outcome(build, spoilt)

            assert _same_outcome(mine, _outcome(hook, spoilt, cls)), path


def test_an_account_with_a_bad_date_and_an_unknown_key_lists_both_problems() -> None:
    """The fallback reports every bad field, as the converter does."""
    data = json.loads(to_json(next_account()))
    data["paid_through"] = "2024-02-30"
    data["colour"] = "teal"

    with pytest.raises(InvalidInput) as caught:
        structure(data, Account)

    with pytest.raises(InvalidInput) as reference:
        _reference_structure(data, Account)
    assert caught.value.code == reference.value.code
    assert caught.value.problems == reference.value.problems
    assert {p.field for p in caught.value.problems} >= {"$.paid_through"}


def test_an_invoice_with_a_float_amount_is_refused_as_before() -> None:
    """A float amount inside an invoice line is refused with the float named."""
    invoice = Invoice("inv-1", "ACME-DIGITAL", 1, None, None, date(2024, 3, 1), "USD", [])
    data = json.loads(to_json(invoice))
    data["paid_card"] = {"amount": 12.5, "currency": "USD"}

    with pytest.raises(InvalidInput, match="float") as caught:
        structure(data, Invoice)

    with pytest.raises(InvalidInput) as reference:
        _reference_structure(data, Invoice)
    assert caught.value.problems == reference.value.problems


def test_loader_of_bad_stored_text_raises_the_converters_own_error() -> None:
    """The loader does not translate errors: storage sees what the hook raises."""
    text = to_json(next_account()).replace('"next_period": 2', '"next_period": "two"')

    with pytest.raises(ClassValidationError) as caught:
        loader(Account)(text)

    with pytest.raises(ClassValidationError) as reference:
        _reference_load(text, Account)
    assert serialization._problems(caught.value) == serialization._problems(reference.value)


# -- plan selections --------------------------------------------------------------------

_LOOK_ALIKES = [1, True, 1.0, Decimal(1), "1", None]
"""Values equal in Python (or close) that a plan must never confuse."""


@st.composite
def _raw_plans(draw: st.DrawFn) -> dict[str, Any]:
    """Stored raw plans, paid ones holding one chosen limit."""
    plan: dict[str, Any] = json.loads(to_json(draw(rs.plan_selections())))
    if plan["version"] == "V3":
        plan["limits"] = {"users": 1}
    return plan


@given(plan=_raw_plans())
def test_a_kept_plan_is_only_shared_with_an_identical_raw_plan(plan: dict[str, Any]) -> None:
    """1, 1.0 and True never share a kept plan: each raw plan reads as it reads afresh."""
    for where in [*sorted(plan), "limits.users"]:
        for first_value, second_value in itertools.permutations(_LOOK_ALIKES, 2):
            first, second = (
                {**plan, "limits": {"users": v}} if where == "limits.users" else {**plan, where: v}
                for v in (first_value, second_value)
            )
            _outcome(serialization._structure_selection, first, PlanSelection)  # kept if valid

            mine = _outcome(serialization._structure_selection, second, PlanSelection)

            reference = _outcome(serialization._checked_selection, second)
            assert _same_outcome(mine, reference), (where, first_value, second_value)


# -- kept texts of days and instants ----------------------------------------------------------


def test_a_kept_day_is_written_as_its_value_whatever_object_holds_it() -> None:
    """Equal days held by different objects, a day subclass among them, are written as the
    reference writes each; a day after many others still is."""

    class Day(date):
        def isoformat(self) -> str:  # the encoder's date hook does not call it
            return "never"

    lines: list[Movement] = []
    for day in (date(2024, 3, 1), date(2024, 3, 1), Day(2024, 3, 1), date(2024, 3, 2)):
        lines.append(attrs.evolve(_a_movement(), on=day))
    lines += [attrs.evolve(_a_movement(), on=date(2000, 1, 1) + _days(i)) for i in range(600)]
    lines.append(attrs.evolve(_a_movement(), on=date(2024, 3, 1)))

    assert [to_json(m) for m in lines] == [_reference_to_json(m) for m in lines]


def test_an_instant_written_again_in_another_zone_gets_its_own_text() -> None:
    """The same instant in UTC and at +01:00 (equal in Python) is written with each zone."""
    utc = datetime(2024, 3, 1, 9, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=1)))
    assert utc == paris
    entries = [_an_entry(at) for at in (utc, utc, paris, paris, utc)]

    texts = [to_json(e) for e in entries]

    assert texts == [_reference_to_json(e) for e in entries]
    assert '"at": "2024-03-01T10:00:00+01:00"' in texts[2]


def test_an_instant_whose_zone_can_change_its_answer_is_written_afresh() -> None:
    """An instant in a zone whose offset moves is written with the offset of the moment of
    writing, each time (its text is never served again)."""

    class Moving(tzinfo):
        offset = timedelta(0)

        def utcoffset(self, dt: datetime | None) -> timedelta:
            return self.offset

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def tzname(self, dt: datetime | None) -> str:
            return "moving"

    zone = Moving()
    entry = _an_entry(datetime(2024, 3, 1, 9, tzinfo=zone))
    first = to_json(entry)
    zone.offset = timedelta(hours=2)

    assert '"at": "2024-03-01T09:00:00+00:00"' in first
    assert to_json(entry) == _reference_to_json(entry)
    assert '"at": "2024-03-01T09:00:00+02:00"' in to_json(entry)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _a_movement() -> Movement:
    return Movement(
        "invoice-1/earmarked",
        "agency-acme",
        CreditKind.PREPAID,
        Decimal("96.00"),
        "account:north-bakery",
        "spent",
        date(2024, 3, 1),
        "invoice 1",
        "invoice-1",
    )


def _an_entry(at: datetime) -> AuditEvent:
    return AuditEvent(at, "agency-acme", "billing", "invoice_paid", "invoice-1", None, "96.00 USD")


# -- remembered fields: the last value written, by identity ---------------------------------


@st.composite
def _invoice_runs(draw: st.DrawFn) -> list[Invoice]:
    """Invoices written one after another that share lines and amounts by identity, as a
    billing page's do, with equal values held by distinct objects among them."""
    currency = draw(rs.currencies)
    shared = [tuple(draw(st.lists(_invoice_lines(currency), max_size=3))) for _ in range(2)]
    shared.append(tuple(copy.copy(line) for line in shared[0]))  # equal, not the same
    amounts = [draw(rs.money(currency)) for _ in range(2)]
    amounts.append(Money(amounts[0].amount, currency))  # equal, not the same
    picks = st.integers(0, 2)
    return [
        Invoice(
            id=f"invoice-{n}",
            agency_id="ACME-DIGITAL",
            number=n,
            account_id=None,
            profile_id=None,
            issued_on=date(2024, 3, 1),
            currency=currency,
            lines=shared[draw(picks)],
            paid_earmarked=amounts[draw(picks)],
            paid_pool=amounts[draw(picks)],
            paid_card=amounts[draw(picks)],
        )
        for n in range(draw(st.integers(1, 8)))
    ]


@given(run=_invoice_runs())
def test_invoices_sharing_lines_and_amounts_are_each_written_as_the_reference(
    run: list[Invoice],
) -> None:
    """The text kept for the last lines and amounts serves the very same objects only."""
    assert [to_json(invoice) for invoice in run] == [_reference_to_json(i) for i in run]


def test_a_remembered_amount_with_a_part_that_can_change_is_written_afresh() -> None:
    """An amount holding a list (attrs checks no types) is never kept: a change shows."""
    parts = ["96"]
    amount = copy.copy(Money("96.00", "EUR"))
    object.__setattr__(amount, "amount", parts)
    invoice = attrs.evolve(_an_invoice(), paid_card=amount)
    first = to_json(invoice)

    parts.append("00")

    assert to_json(invoice) != first
    assert to_json(invoice) == _reference_to_json(invoice)


def test_remembered_lines_with_a_part_that_can_change_are_written_afresh() -> None:
    """Lines one of which holds a list are never kept: a change shows."""
    parts = ["1"]
    line = copy.copy(_an_invoice().lines[0])
    object.__setattr__(line, "quantity", parts)
    invoice = attrs.evolve(_an_invoice(), lines=(line,))
    first = to_json(invoice)

    parts.append("2")

    assert to_json(invoice) != first
    assert to_json(invoice) == _reference_to_json(invoice)


class _PosingAsDecimal(list[str]):
    """A list that says it is a Decimal: its ``__class__`` lies, its ``type()`` does not."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return Decimal


def test_a_remembered_amount_posing_as_a_decimal_is_written_afresh() -> None:
    """The test of a kept amount asks an amount's type, which its ``__class__`` cannot fake."""
    parts = _PosingAsDecimal(["96"])
    amount = copy.copy(Money("96.00", "EUR"))
    object.__setattr__(amount, "amount", parts)
    invoice = attrs.evolve(_an_invoice(), paid_card=amount)
    first = to_json(invoice)

    parts.append("00")

    assert to_json(invoice) != first
    assert to_json(invoice) == _reference_to_json(invoice)


@attrs.frozen
class _Label:
    """A host's value written by a hook of its own."""

    text: str


@attrs.frozen
class _Labelled:
    """A host's value holding a label in a remembered field."""

    label: _Label
    count: int


def test_a_remembered_field_runs_its_hook_once_for_the_same_kept_object() -> None:
    """The same object written again in a remembered field takes its kept text; an equal
    but different object, or one its test refuses, is written by the hook each time."""
    host = cattrs.Converter()
    written: list[_Label] = []

    def unstructure_label(label: _Label) -> dict[str, str]:
        written.append(label)
        return {"text": label.text}

    host.register_unstructure_hook(_Label, unstructure_label)
    codec = Codec(
        host,
        write_inline={},
        read_inline={},
        names={},
        remembered={_Label: lambda label: label.text != "fresh"},
    )
    codec.install()
    write = codec.writer(_Labelled)
    assert write is not None
    kept, equal, fresh = _Label("kept"), _Label("kept"), _Label("fresh")

    labels = [kept, kept, equal, fresh, fresh]

    texts = [write(_Labelled(label, n)) for n, label in enumerate(labels)]

    assert written == [kept, equal, fresh, fresh]
    assert written[0] is kept
    assert written[1] is equal
    assert texts == [
        encode({"count": n, "label": {"text": label.text}}) for n, label in enumerate(labels)
    ]


def _an_invoice() -> Invoice:
    price = Money("96.00", "EUR")
    line = InvoiceLine(LineKind.RECURRING, "Plus plan", Decimal(1), price, price)
    return Invoice(
        id="invoice-1",
        agency_id="ACME-DIGITAL",
        number=1,
        account_id="acc-0000001",
        profile_id=None,
        issued_on=date(2024, 3, 1),
        currency="EUR",
        lines=(line,),
    )
