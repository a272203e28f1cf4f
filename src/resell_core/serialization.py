"""The one cattrs converter of the library, used for storage, the agency API and exports.

Shapes on the wire (plain JSON-able values):

- :class:`~resell_core.money.Money` as ``{"amount": "12.50", "currency": "USD"}``;
- ``Decimal`` as a string (``"0.15"``); floats are refused;
- ``Fraction`` as a string (``"7/30"``), exact (a forecast's daily rate of use);
- ``date`` and ``datetime`` as ISO 8601 strings (datetimes must carry a time zone);
- enums by value (``"monthly"``);
- :class:`~resell_core.pricing.selection.PlanSelection` with ``limits`` as a mapping
  (``{"users": 5}``) and ``addons`` as a list.

Unknown keys are refused. Every structuring failure reaches callers as an
:class:`~resell_core.errors.InvalidInput` (a :class:`~resell_core.errors.CatalogError`
for catalogs) listing every bad field at once.

Storage writes and reads every aggregate on every command, so :func:`to_json` writes attrs
values with generated code, and :func:`loader`, :func:`structurer` and :func:`structure`
read well-formed data with generated code (:mod:`resell_core._codec`); both give the
converter's very text, values and errors, which they fall back to on anything unusual.
The converter's hooks for attrs classes are cattrs' own generated ones
(:func:`cattrs.gen.make_dict_structure_fn` refusing unknown keys with every error listed,
:func:`cattrs.gen.make_dict_unstructure_fn`), made by that module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_unstructure_fn, override

from resell_core._codec import Codec, encode, quote
from resell_core.billing.credit_notes import CreditNote
from resell_core.billing.invoices import InvoiceLine, LineKind
from resell_core.errors import (
    CatalogError,
    FieldProblem,
    FloatNotAllowed,
    InvalidInput,
    ResellError,
    quoted,
)
from resell_core.lifecycle.account_query import AccountQuery
from resell_core.money import Money
from resell_core.periods import Frequency, Period
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "converter",
    "from_json",
    "load_catalog",
    "loader",
    "parse_json",
    "structure",
    "structurer",
    "to_json",
    "unstructure",
]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
"""The library's converter; other parts register their hooks on it."""


# -- scalars ------------------------------------------------------------------------------
def _decimal(value: object, _: object) -> Decimal:
    if isinstance(value, float):
        raise FloatNotAllowed(
            f"{quoted(value)} is a float; write decimals as strings such as '0.15'"
        )
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise InvalidInput.one("decimal", "value", f"{quoted(value)} is not a decimal number")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise InvalidInput.one(
            "decimal", "value", f"{quoted(value)} is not a decimal number"
        ) from None
    if not result.is_finite():
        raise InvalidInput.one("decimal", "value", f"{quoted(value)} is not a finite number")
    return result


def _money(value: object, _: object) -> Money:
    if not isinstance(value, Mapping) or set(value) != {"amount", "currency"}:
        raise InvalidInput.one(
            "money", "money", 'write money as {"amount": "12.50", "currency": "USD"}'
        )
    amount = value["amount"]
    if isinstance(amount, float):
        raise FloatNotAllowed(
            f"{quoted(amount)} is a float; write amounts as strings such as '12.50'"
        )
    return Money(amount, value["currency"])


def _date(value: object, _: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput.one(
            "date", "date", f"{quoted(value)} is not an ISO date (YYYY-MM-DD)"
        ) from None


def _datetime(value: object, _: object) -> datetime:
    try:
        result = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput.one(
            "datetime", "datetime", f"{quoted(value)} is not an ISO 8601 date and time"
        ) from None
    if result.tzinfo is None:
        raise InvalidInput.one(
            "datetime", "datetime", f"{quoted(value)} has no time zone; add one, e.g. '+00:00'"
        )
    return result


def _unstructure_money(money: Money) -> dict[str, Any]:
    return {"amount": str(money.amount), "currency": money.currency}


converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, _decimal)
converter.register_unstructure_hook(Money, _unstructure_money)
converter.register_structure_hook(Money, _money)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(date, _date)
converter.register_unstructure_hook(datetime, datetime.isoformat)
converter.register_structure_hook(datetime, _datetime)
converter.register_structure_hook(Frequency, lambda v, _: Frequency.parse(v))


def _fraction(value: object, _: object) -> Fraction:
    if isinstance(value, float):
        raise FloatNotAllowed(
            f"{quoted(value)} is a float; write fractions as strings such as '7/30'"
        )
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, Fraction)):
        raise InvalidInput.one("fraction", "value", f"{quoted(value)} is not a fraction")
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise InvalidInput.one("fraction", "value", f"{quoted(value)} is not a fraction") from None


converter.register_unstructure_hook(Fraction, str)
converter.register_structure_hook(Fraction, _fraction)


# -- plan selections ---------------------------------------------------------------------
_SELECTION_KEYS = ("version", "product", "tier", "contacts", "frequency", "limits", "addons")


def _unstructure_selection(selection: PlanSelection) -> dict[str, Any]:
    return {
        "version": selection.version,
        "product": selection.product,
        "tier": selection.tier,
        "contacts": selection.contacts,
        "frequency": None if selection.frequency is None else selection.frequency.value,
        "limits": dict(selection.limits),
        "addons": list(selection.addons),
    }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _structure_selection(value: object, _: object) -> PlanSelection:
    key = _selection_key(value)
    if key is not None:
        known = _SELECTIONS.get(key)
        if known is None:
            if len(_SELECTIONS) >= _SELECTIONS_KEPT:
                # Bounded: starting afresh only costs checking the plans again.
                _SELECTIONS.clear()
            known = _SELECTIONS[key] = _checked_selection(value)
        return known
    return _checked_selection(value)


# Plans repeat from account to account (a page of accounts holds a few), and a selection is
# an immutable value: each distinct raw plan is checked and built once, then shared. The
# key holds every value's exact type, so that 1, 1.0 and True (equal in Python) never share
# an entry, and a raw plan that is not plain JSON data is simply checked each time.
_SELECTIONS: dict[tuple[object, ...], PlanSelection] = {}
_SELECTIONS_KEPT = 1024
_PLAIN = (str, int, type(None))


_STORED = object()
"""Starts the key of a plan in the shape stored text gives, unlike any other key."""


def _selection_key(value: object) -> tuple[object, ...] | None:
    if type(value) is not dict:
        return None
    if len(value) == len(_SELECTION_KEYS):
        key = _stored_selection_key(value)
        if key is not None:
            return key
    return _general_selection_key(value)


def _stored_selection_key(value: dict[str, Any]) -> tuple[object, ...] | None:
    """Key a plan as to_json writes it: every field, plain values of the expected types."""
    try:
        version, product, tier = value["version"], value["product"], value["tier"]
        contacts, frequency = value["contacts"], value["frequency"]
        limits, addons = value["limits"], value["addons"]
    except KeyError:
        return None
    if not (
        type(version) is str
        and type(product) is str
        and type(tier) is str
        and (contacts is None or type(contacts) is int)
        and (frequency is None or type(frequency) is str)
        and type(limits) is dict
        and type(addons) is list
    ):
        return None
    pairs = tuple(limits.items())
    if pairs and not all(type(k) is str and type(n) is int for k, n in pairs):
        return None
    if addons and not all(type(a) is str for a in addons):
        return None
    return (_STORED, version, product, tier, contacts, frequency, pairs, tuple(addons))


def _general_selection_key(value: dict[Any, Any]) -> tuple[object, ...] | None:
    key: list[object] = []
    for name, item in value.items():
        kind = type(item)
        if kind is dict:
            pairs = tuple(item.items())
            if not all(type(k) is str and type(n) is int for k, n in pairs):
                return None
            key.append((name, kind, pairs))
        elif kind is list:
            if not all(type(a) is str for a in item):
                return None
            key.append((name, kind, tuple(item)))
        elif kind in _PLAIN:
            key.append((name, kind, item))
        else:
            return None
    return tuple(key)


def _checked_selection(value: object) -> PlanSelection:
    if not isinstance(value, Mapping):
        raise InvalidInput.one("plan selection", "plan", "a plan is an object of its fields")
    problems = [
        FieldProblem(str(key), "is not a field of a plan", _SELECTION_KEYS)
        for key in value
        if key not in _SELECTION_KEYS
    ]
    for key in ("version", "product", "tier"):
        if not isinstance(value.get(key), str):
            problems.append(FieldProblem(key, "is required, as a string"))
    contacts = value.get("contacts")
    if contacts is not None and not _is_int(contacts):
        problems.append(FieldProblem("contacts", "is a whole number of contacts, or null"))
    frequency = value.get("frequency")
    if frequency is not None and frequency not in tuple(Frequency):
        problems.append(
            FieldProblem("frequency", f"{quoted(frequency)} is not a frequency", tuple(Frequency))
        )
    limits = value.get("limits", {})
    if not isinstance(limits, Mapping):
        problems.append(FieldProblem("limits", 'is an object such as {"users": 5}'))
        limits = {}
    for name, number in limits.items():
        if not isinstance(name, str) or not _is_int(number):
            problems.append(FieldProblem(f"limits.{name}", "is a whole number"))
    addons = value.get("addons", [])
    if not isinstance(addons, list | tuple) or not all(isinstance(a, str) for a in addons):
        problems.append(FieldProblem("addons", "is a list of add-on names"))
        addons = []
    if problems:
        raise InvalidInput("plan selection", problems)
    return PlanSelection(
        version=value["version"],
        product=value["product"],
        tier=value["tier"],
        contacts=contacts,
        frequency=frequency,
        limits=limits,
        addons=addons,
    )


converter.register_unstructure_hook(PlanSelection, _unstructure_selection)
converter.register_structure_hook(PlanSelection, _structure_selection)


# -- credit notes: one of an invoice without tax is written as before notes carried tax ----
converter.register_unstructure_hook(
    CreditNote,
    make_dict_unstructure_fn(CreditNote, converter, taxes=override(omit_if_default=True)),
)


# -- overview queries (saved views, O6) ------------------------------------------------------
def _unstructure_query(query: AccountQuery) -> dict[str, Any]:
    return {
        "status": query.status.value,
        "plan": query.plan,
        "filters": [
            {"column": f.column.value, "op": f.op.value, "value": converter.unstructure(f.value)}
            for f in query.filters
        ],
        "search": query.search,
        "sort": [str(key) for key in query.sort],
        "columns": [column.value for column in query.columns],
        "limit": query.limit,
        "cursor": query.cursor,
    }


def _structure_query(value: object, _: object) -> AccountQuery:
    # AccountQuery validates every field itself (and reports every bad one at once).
    if not isinstance(value, Mapping):
        raise InvalidInput.one("account query", "query", "a query is an object of its fields")
    data = dict(value)
    filters = data.pop("filters", [])
    if isinstance(filters, list):
        data["filters"] = [
            (f.get("column"), f.get("op"), f.get("value")) if isinstance(f, Mapping) else f
            for f in filters
        ]
    return AccountQuery(**data)


converter.register_unstructure_hook(AccountQuery, _unstructure_query)
converter.register_structure_hook(AccountQuery, _structure_query)


# -- errors --------------------------------------------------------------------------------
def _problems(exc: BaseException) -> list[FieldProblem]:
    """Flatten a cattrs validation error into one problem per bad field."""
    found: list[FieldProblem] = []

    def describe(inner: BaseException, _type: type | None) -> str:
        if isinstance(inner, CatalogError):
            found.extend(inner.problems)
            return ""
        if isinstance(inner, InvalidInput):
            return "; ".join(p.message for p in inner.problems)
        if isinstance(inner, ResellError):
            return inner.message
        return str(cattrs.v.format_exception(inner, _type))

    for line in cattrs.transform_error(exc, path="$", format_exception=describe):
        message, _, path = line.rpartition(" @ ")
        if message:
            found.append(FieldProblem(path, message))
    return found


def structure(data: object, cls: type[T], *, what: str | None = None) -> T:
    """Build a ``cls`` from plain data with the library's converter.

    Raises:
        InvalidInput: Listing every bad field (``CatalogError`` for a catalog).
    """
    read = _CODEC.reader(cls)
    if read is not None:
        try:
            return read(data)  # type: ignore[no-any-return]
        except Exception:  # the converter below gives the value, or lists every problem
            pass
    error = CatalogError if cls is Catalog else InvalidInput
    name = what or cls.__name__
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        raise error(name, _problems(exc)) from None
    except InvalidInput as exc:
        raise error(name, exc.problems) from None
    except (TypeError, ValueError, KeyError) as exc:
        raise error(name, [FieldProblem("$", str(exc))]) from None


def unstructure(value: object) -> Any:
    """Turn a library value into plain JSON-able data with the library's converter."""
    return converter.unstructure(value)


_encode = encode
"""What ``json.dumps(..., ensure_ascii=False, sort_keys=True)`` does, its encoder built once."""


# -- JSON text written and read directly ----------------------------------------------------
# Accounts share their plan selection objects (see _structure_selection) and a selection is
# immutable once its parts are: its text is written once and kept, keyed by the selection's
# value and served only to that very object (1 and True are equal in Python, not in JSON).
_SELECTION_TEXTS: dict[PlanSelection, tuple[PlanSelection, str]] = {}


def _selection_json(selection: PlanSelection) -> str:
    """Return ``_encode(_unstructure_selection(selection))``."""
    try:
        kept = _SELECTION_TEXTS.get(selection)
    except TypeError:  # a part that cannot be hashed (a list) can change: write afresh
        kept = None
    if kept is not None and kept[0] is selection:
        return kept[1]
    text = _encode(_unstructure_selection(selection))
    if _frozen_selection(selection):
        if len(_SELECTION_TEXTS) >= _SELECTIONS_KEPT:
            _SELECTION_TEXTS.clear()
        _SELECTION_TEXTS[selection] = (selection, text)
    return text


# A billing page writes the same few days in every invoice and movement (the issue day,
# the period's ends) and one instant in every audit entry (the command's "now"); an ISO
# text costs more than looking it up (an aware datetime's about 1 µs). A plain date's text
# is its value's: kept by value, in a table cleared when full. A datetime's depends on its
# zone too (equal instants in two zones are written apart): only the very object written
# last is served, and only one with a fixed-offset zone or none (a zone that could change
# its answer is written afresh each time).
_DATE_TEXTS: dict[date, str] = {}
_DATES_KEPT = 512
_NOTHING_WRITTEN = object()
_LAST_INSTANT: list[tuple[object, str]] = [(_NOTHING_WRITTEN, "")]


def _date_text(value: date) -> str:
    """Return ``quote(date.isoformat(value))``, kept for a plain date."""
    text = quote(date.isoformat(value))
    if value.__class__ is date:
        if len(_DATE_TEXTS) >= _DATES_KEPT:
            _DATE_TEXTS.clear()
        _DATE_TEXTS[value] = text
    return text


def _datetime_text(value: datetime) -> str:
    """Return ``quote(datetime.isoformat(value))``, the last one written served again."""
    kept = _LAST_INSTANT[0]
    if kept[0] is value:
        return kept[1]
    text = quote(datetime.isoformat(value))
    zone = value.tzinfo
    if value.__class__ is datetime and (zone is None or zone.__class__ is timezone):
        # One assignment of a (value, text) pair: a thread reading it sees one or the other.
        _LAST_INSTANT[0] = (value, text)
    return text


def _frozen_selection(selection: PlanSelection) -> bool:
    """Tell whether nothing inside ``selection`` can change (its text is then for good)."""
    return (
        type(selection) is PlanSelection
        and all(
            type(part) is str for part in (selection.version, selection.product, selection.tier)
        )
        and (selection.contacts is None or type(selection.contacts) is int)
        and (selection.frequency is None or type(selection.frequency) is Frequency)
        and type(selection.limits) is tuple
        and all(
            type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str and type(pair[1]) is int
            for pair in selection.limits
        )
        and type(selection.addons) is tuple
        and all(type(addon) is str for addon in selection.addons)
    )


def _frozen_money(value: Any) -> bool:
    """Tell whether ``value`` is a Money whose parts are of their exact, immutable types."""
    return type(value) is Money and type(value.amount) is Decimal and type(value.currency) is str


def _frozen_lines(lines: Any) -> bool:
    """Tell whether ``lines`` is a tuple of invoice lines that can never change."""
    return type(lines) is tuple and all(
        type(line) is InvoiceLine
        and type(line.kind) is LineKind
        and type(line.description) is str
        and type(line.quantity) is Decimal
        and _frozen_money(line.unit_price)
        and _frozen_money(line.amount)
        and (line.period is None or _frozen_period(line.period))
        for line in lines
    )


def _frozen_period(period: Any) -> bool:
    """Tell whether ``period`` is a Period of two dates (of their exact type)."""
    return type(period) is Period and type(period.start) is date and type(period.end) is date


def _write_money(value: str) -> str:
    return (
        f"""('{{"amount": ' + _quote(str({value}.amount)) + ', "currency": ' """
        f"""+ _quote({value}.currency) + '}}')"""
    )


def _read_date(target: str, name: Callable[[object], str]) -> list[str]:
    return [
        f"if {target}.__class__ is not str:",
        "    raise _Unusual",
        f"{target} = {name(date.fromisoformat)}({target})",
    ]


def _read_decimal(target: str, name: Callable[[object], str]) -> list[str]:
    return [
        f"if {target}.__class__ is not str:",
        "    raise _Unusual",
        f"{target} = {name(Decimal)}({target})",
        f"if not {target}.is_finite():",
        "    raise _Unusual",
    ]


def _read_money(target: str, name: Callable[[object], str]) -> list[str]:
    return [
        f"if {target}.__class__ is not dict or len({target}) != 2:",
        "    raise _Unusual",
        f"{target}_amount = {target}['amount']",
        f"if {target}_amount.__class__ is not str:",
        "    raise _Unusual",
        f"{target} = {name(Money)}({target}_amount, {target}['currency'])",
    ]


_CODEC = Codec(
    converter,
    # What the converter's hooks registered above give, written as the encoder writes it.
    write_inline={
        str: lambda v: f"_quote(str({v}))",  # decimals
        # A kept date's text is looked up inline (no call), any other made by _date_text.
        date.isoformat: lambda v: f"(_date_texts({v}) or _date_text({v}))",
        datetime.isoformat: lambda v: f"_datetime_text({v})",
        _unstructure_money: _write_money,
        _unstructure_selection: lambda v: f"_selection_json({v})",
    },
    # What those hooks give for well-formed stored data (a string, a two-key mapping).
    read_inline={_date: _read_date, _decimal: _read_decimal, _money: _read_money},
    names={
        "_date_texts": _DATE_TEXTS.get,
        "_date_text": _date_text,
        "_datetime_text": _datetime_text,
        "_selection_json": _selection_json,
    },
    # Shared: a page's invoices hold one tuple of lines, and their amounts are often the
    # same object (one zero of a currency, one total of the lines). Kept when frozen all
    # the way down.
    remembered={Money: _frozen_money, tuple[InvoiceLine, ...]: _frozen_lines},
)
_CODEC.install()


def _writer(cls: type) -> Callable[[Any], str] | None:
    """Return the generated writer of ``cls``, or None when it takes the reference path."""
    return _CODEC.writer(cls)


def _reader(cls: Any) -> Callable[[Any], Any] | None:
    """Return the generated reader of ``cls``, or None when its hook always runs."""
    return _CODEC.reader(cls)


def to_json(value: object) -> str:
    """Serialise a library value to JSON text."""
    write = _CODEC.writer(value.__class__)
    if write is not None:
        try:
            return write(value)
        except Exception:  # the reference path below gives the text, or raises its error
            pass
    return _encode(converter.unstructure(value))


def structurer(cls: type[T]) -> Callable[[Any], T]:
    """Return a function building a ``cls`` from plain data, faster for well-formed data.

    ``structurer(cls)(data)`` returns, or raises, exactly what
    ``converter.get_structure_hook(cls)(data, cls)`` does: the converter's own errors, not
    translated as :func:`structure` translates them.
    """
    hook = converter.get_structure_hook(cls)
    read = _CODEC.reader(cls)

    def build(data: Any) -> T:
        if read is not None:
            try:
                return read(data)  # type: ignore[no-any-return]
            except Exception:  # the hook below gives the value or raises its own error
                pass
        value: T = hook(data, cls)
        return value

    return build


def loader(cls: type[T]) -> Callable[[str | bytes], T]:
    """Return a function reading a ``cls`` back from the JSON text :func:`to_json` wrote.

    ``loader(cls)(text)`` returns, or raises, exactly what
    ``converter.get_structure_hook(cls)(json.loads(text, parse_float=Decimal), cls)`` does.
    """
    build = structurer(cls)

    def load(text: str | bytes) -> T:
        return build(parse_json(text))

    return load


_decoder = json.JSONDecoder(parse_float=Decimal)
# json.loads(text, parse_float=Decimal) builds a new decoder on every call, which costs
# about as much as reading a small document; this one is built once.
_decode = _decoder.decode
_raw_decode = _decoder.raw_decode


def parse_json(text: str | bytes) -> Any:
    """Return ``json.loads(text, parse_float=Decimal)``: the same value or the same error."""
    if type(text) is str and not text.startswith("\ufeff"):
        # The text storage wrote (no whitespace around the document) is read with
        # raw_decode alone: decode would also match the whitespace before and after it
        # with a regular expression, at every read. Any other text takes decode's way,
        # which skips that whitespace or raises its own error.
        try:
            found, end = _raw_decode(text)
        except json.JSONDecodeError:
            return _decode(text)
        return found if end == len(text) else _decode(text)
    # Bytes are decoded, and a leading byte order mark refused, by json.loads itself.
    return json.loads(text, parse_float=Decimal)


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Read a ``cls`` from JSON text; numbers with a fraction are read as exact decimals.

    Raises:
        InvalidInput: When the text is not JSON or a field is bad (every one is listed).
    """
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.one(cls.__name__, "$", f"not valid JSON: {exc}") from None
    return structure(data, cls)


def load_catalog(data_or_path: Mapping[str, Any] | str | Path) -> Catalog:
    """Load a host's catalog from a dict or a JSON file, refusing a bad one.

    Args:
        data_or_path: The catalog as plain data (the shape :func:`unstructure` gives) or
            the path of a JSON file holding it.

    Returns:
        The catalog, checked for consistency.

    Raises:
        CatalogError: Listing every problem: unreadable file, wrong shapes, inconsistencies.
    """
    if isinstance(data_or_path, Mapping):
        data: object = data_or_path
    else:
        path = Path(data_or_path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        except OSError as exc:
            raise CatalogError(
                f"the catalog file {quoted(str(path))}",
                [FieldProblem("$", f"cannot be read ({exc.strerror}); check the path")],
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CatalogError(
                f"the catalog file {quoted(str(path))}",
                [FieldProblem("$", f"is not valid JSON: {exc}")],
            ) from None
    return structure(data, Catalog, what="the catalog")
