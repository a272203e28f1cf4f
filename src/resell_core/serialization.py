"""The one cattrs converter of the library, used for storage, the agency API and exports.

Shapes on the wire (plain JSON-able values):

- :class:`~resell_core.money.Money` as ``{"amount": "12.50", "currency": "USD"}``;
- ``Decimal`` as a string (``"0.15"``); floats are refused;
- ``date`` and ``datetime`` as ISO 8601 strings (datetimes must carry a time zone);
- enums by value (``"monthly"``);
- :class:`~resell_core.pricing.selection.PlanSelection` with ``limits`` as a mapping
  (``{"users": 5}``) and ``addons`` as a list.

Unknown keys are refused. Every structuring failure reaches callers as an
:class:`~resell_core.errors.InvalidInput` (a :class:`~resell_core.errors.CatalogError`
for catalogs) listing every bad field at once.

Storage writes and reads every aggregate on every command, so :func:`to_json` writes attrs
values with generated code, and :func:`loader`, :func:`structurer` and :func:`structure`
read well-formed data with generated code; both give the converter's very text, values and
errors, which they fall back to on anything unusual.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar, get_origin

import attrs
import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.fns import identity, raise_error

from resell_core.billing.invoices import InvoiceLine, LineKind
from resell_core.errors import (
    CatalogError,
    FieldProblem,
    FloatNotAllowed,
    InvalidInput,
    ResellError,
)
from resell_core.lifecycle.overview import AccountQuery
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
        raise FloatNotAllowed(f"{value!r} is a float; write decimals as strings such as '0.15'")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise InvalidInput.one("decimal", "value", f"{value!r} is not a decimal number")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise InvalidInput.one("decimal", "value", f"{value!r} is not a decimal number") from None
    if not result.is_finite():
        raise InvalidInput.one("decimal", "value", f"{value!r} is not a finite number")
    return result


def _money(value: object, _: object) -> Money:
    if not isinstance(value, Mapping) or set(value) != {"amount", "currency"}:
        raise InvalidInput.one(
            "money", "money", 'write money as {"amount": "12.50", "currency": "USD"}'
        )
    amount = value["amount"]
    if isinstance(amount, float):
        raise FloatNotAllowed(f"{amount!r} is a float; write amounts as strings such as '12.50'")
    return Money(amount, value["currency"])


def _date(value: object, _: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput.one(
            "date", "date", f"{value!r} is not an ISO date (YYYY-MM-DD)"
        ) from None


def _datetime(value: object, _: object) -> datetime:
    try:
        result = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput.one(
            "datetime", "datetime", f"{value!r} is not an ISO 8601 date and time"
        ) from None
    if result.tzinfo is None:
        raise InvalidInput.one(
            "datetime", "datetime", f"{value!r} has no time zone; add one, e.g. '+00:00'"
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
            FieldProblem("frequency", f"{frequency!r} is not a frequency", tuple(Frequency))
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
    try:
        read = _READERS[cls]
    except KeyError:
        read = _reader(cls)
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


_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
# What json.dumps(..., ensure_ascii=False, sort_keys=True) builds on every call, built once.


# -- JSON text written directly ------------------------------------------------------------
# Storage writes every aggregate it saves as JSON, and the converter's dicts then the
# encoder's sorting cost several times writing the text at once. For an attrs class whose
# hook is the converter's generated one, a function is generated that writes the same text:
# the keys in sorted order, each field as the encoder writes what the field's own hook
# gives. Values of the expected types are written inline; any other value (a wrong type at
# run time, an unknown hook) is handed to the hook and the encoder, so that the text is
# still the reference's; and when anything fails the reference path runs again and raises
# its own error.

_quote = json.encoder.encode_basestring
"""How the encoder (ensure_ascii=False) writes a string, quotes included."""


def _generated(hook: object, kind: str, cls: type) -> bool:
    """Tell whether ``hook`` is the converter's own generated hook for attrs class ``cls``."""
    return (
        attrs.has(cls)
        and getattr(hook, "__name__", None) == f"{kind}_{cls.__name__}"
        and getattr(hook, "overrides", None) == {}
    )


def _plain_fields(cls: type) -> list[attrs.Attribute[Any]] | None:
    """Return the fields of ``cls`` the converter handles, or None if one needs its care."""
    if (
        getattr(cls, "__parameters__", ())
        or converter.use_alias
        or converter.omit_if_default
        or converter.type_overrides
    ):
        return None
    attrs.resolve_types(cls)
    found = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        kind = field.type
        if (
            kind is None
            or isinstance(kind, str | TypeVar)
            or kind is Final
            or get_origin(kind) in (Annotated, Final)
            or not field.name.isidentifier()
        ):
            return None
        found.append(field)
    return found


# Accounts share their plan selection objects (see _structure_selection) and a selection is
# immutable once its parts are: its text is written once per object and kept with it.
_SELECTION_TEXTS: dict[int, tuple[PlanSelection, str]] = {}


def _selection_json(selection: PlanSelection) -> str:
    """Return ``_encode(_unstructure_selection(selection))``."""
    kept = _SELECTION_TEXTS.get(id(selection))
    if kept is not None and kept[0] is selection:
        return kept[1]
    text = _encode(_unstructure_selection(selection))
    if _frozen_selection(selection):
        if len(_SELECTION_TEXTS) >= _SELECTIONS_KEPT:
            _SELECTION_TEXTS.clear()
        # The entry holds the selection, so that its id names no other object meanwhile.
        _SELECTION_TEXTS[id(selection)] = (selection, text)
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


_LINES_TEXTS: dict[int, tuple[tuple[InvoiceLine, ...], str]] = {}
"""The text of invoice lines already written, by the tuple's id (a billing page shares
one tuple of lines among the invoices of one price and period)."""


def _lines_json(lines: tuple[InvoiceLine, ...], write_line: Callable[[Any], str]) -> str:
    """Return the text of an invoice's ``lines`` as the generic code writes it, kept for a
    tuple whose lines cannot change."""
    kept = _LINES_TEXTS.get(id(lines))
    if kept is not None and kept[0] is lines:
        return kept[1]
    text = "[" + ", ".join([write_line(line) for line in lines]) + "]"
    if type(lines) is tuple and all(_frozen_line(line) for line in lines):
        if len(_LINES_TEXTS) >= _SELECTIONS_KEPT:
            _LINES_TEXTS.clear()
        # The entry holds the tuple, so that its id names no other object meanwhile.
        _LINES_TEXTS[id(lines)] = (lines, text)
    return text


def _frozen_money(money: object) -> bool:
    return type(money) is Money and type(money.amount) is Decimal and type(money.currency) is str


def _frozen_line(line: object) -> bool:
    """Tell whether nothing inside ``line`` can change (its text is then for good)."""
    if type(line) is not InvoiceLine:
        return False
    period = line.period
    return (
        type(line.kind) is LineKind
        and type(line.description) is str
        and type(line.quantity) is Decimal
        and _frozen_money(line.unit_price)
        and _frozen_money(line.amount)
        and (
            period is None
            or (type(period) is Period and type(period.start) is date and type(period.end) is date)
        )
    )


_WRITERS: dict[type, Callable[[Any], str] | None] = {}
_date_iso = date.isoformat
_datetime_iso = datetime.isoformat


def _writer(cls: type) -> Callable[[Any], str] | None:
    """Return the generated writer of ``cls``, or None when it takes the reference path."""
    try:
        return _WRITERS[cls]
    except KeyError:
        pass
    _WRITERS[cls] = None  # a class that holds itself writes its inner values the long way
    try:
        write = _make_writer(cls)
    except Exception:  # e.g. a type that cannot be resolved: the converter will say so
        write = None
    _WRITERS[cls] = write
    return write


def _make_writer(cls: type) -> Callable[[Any], str] | None:
    fields = _plain_fields(cls) if attrs.has(cls) else None
    if fields is None or not _generated(converter.get_unstructure_hook(cls), "unstructure", cls):
        return None
    env: dict[str, Any] = {
        "_quote": _quote,
        "_encode": _encode,
        "_int_text": int.__repr__,
        "_date_iso": _date_iso,
        "_datetime_iso": _datetime_iso,
        "_selection_json": _selection_json,
    }
    lines = [f"def write_{cls.__name__}(value):"]
    parts = []
    for n, field in enumerate(sorted(fields, key=lambda f: f.name)):
        hook = converter.get_unstructure_hook(field.type, cache_result=False)
        lines.append(f"    x{n} = value.{field.name}")
        lines.append(f"    s{n} = {_write_code(hook, field.type, f'x{n}', env, 0)}")
        parts.append(f'"{field.name}": {{s{n}}}')
    lines.append(f"    return f'{{{{{', '.join(parts)}}}}}'")
    exec(compile("\n".join(lines), f"<to_json {cls.__qualname__}>", "exec"), env)
    write: Callable[[Any], str] = env[f"write_{cls.__name__}"]
    return write


def _write_code(hook: Any, kind: Any, value: str, env: dict[str, Any], depth: int) -> str:
    """Return an expression writing ``value`` (a name) as the encoder writes ``hook(value)``.

    ``kind`` is the declared type ``hook`` was found for.
    """
    if hook is identity:
        # The encoder writes the value itself: check the run-time type where it matters.
        if kind is int:
            return f"(_int_text({value}) if {value}.__class__ is int else _encode({value}))"
        if kind is bool:
            return (
                f"('true' if {value} is True else 'false' if {value} is False "
                f"else _encode({value}))"
            )
        if isinstance(kind, type) and issubclass(kind, str):
            return f"_quote({value})"  # refuses anything but a str (or an str enum member)
        return f"_encode({value})"
    if hook is str:
        return f"_quote(str({value}))"
    if hook is _date_iso:
        return f"_quote(_date_iso({value}))"
    if hook is _datetime_iso:
        return f"_quote(_datetime_iso({value}))"
    if hook is _unstructure_money:
        return (
            f"""('{{"amount": ' + _quote(str({value}.amount)) + ', "currency": ' """
            f"""+ _quote({value}.currency) + '}}')"""
        )
    if hook is _unstructure_selection:
        return f"_selection_json({value})"
    name = getattr(hook, "__name__", None)
    args: tuple[Any, ...] = getattr(kind, "__args__", ())
    defaults: tuple[Any, ...] = getattr(hook, "__defaults__", None) or ()
    if name == "unstructure_optional" and len(defaults) == 1 and type(None) in args:
        (inner,) = defaults
        (other,) = (a for a in args if a is not type(None))
        return f"('null' if {value} is None else {_write_code(inner, other, value, env, depth)})"
    item = f"e{depth}"
    if (
        kind == tuple[InvoiceLine, ...]
        and name == "unstructure_iterable"
        and len(defaults) == 2
        and defaults[0] in (list, tuple)
        and _generated(defaults[1], "unstructure", InvoiceLine)
    ):
        write_line = _writer(InvoiceLine)
        if write_line is not None:
            env["_lines_json"] = _lines_json
            env["_write_line"] = write_line
            return f"_lines_json({value}, _write_line)"
    if name == "unstructure_iterable" and len(defaults) == 2 and defaults[0] in (list, tuple):
        code = _write_code(defaults[1], args[0], item, env, depth + 1)
        return f"('[' + ', '.join([{code} for {item} in {value}]) + ']')"
    if hook in (list, tuple):
        code = _write_code(identity, args[0] if args else Any, item, env, depth + 1)
        return f"('[' + ', '.join([{code} for {item} in {value}]) + ']')"
    if isinstance(kind, type) and _generated(hook, "unstructure", kind):
        nested = _writer(kind)
        if nested is not None:
            env[f"write_{id(kind)}"] = nested
            return f"write_{id(kind)}({value})"
    env[f"hook_{id(hook)}"] = hook
    return f"_encode(hook_{id(hook)}({value}))"


def to_json(value: object) -> str:
    """Serialise a library value to JSON text."""
    try:
        write = _WRITERS[value.__class__]
    except KeyError:
        write = _writer(value.__class__)
    if write is not None:
        try:
            return write(value)
        except Exception:  # the reference path below gives the text, or raises its error
            pass
    return _encode(converter.unstructure(value))


# -- stored JSON read back directly ---------------------------------------------------------
# The converter's generated hook for a class checks every field and collects every error
# before building the value, at a price paid on every read. For an attrs class whose hook
# is that generated one, a reader is generated that takes well-formed data only: a dict
# with every field, each plain value of the exact type stored text gives, the same hooks
# called for the rest and the class built with the same arguments, so that it returns what
# the hook returns. On anything else it gives up and the hook runs, with its own errors.
# Like the converter's generated hooks, a reader follows the hooks registered before its
# first use.


class _Unusual(Exception):
    """Data a generated reader does not take as it is: the converter's hook decides."""


_READERS: dict[Any, Callable[[Any], Any] | None] = {}


def _reader(cls: Any) -> Callable[[Any], Any] | None:
    """Return the generated reader of ``cls``, or None when its hook always runs."""
    try:
        return _READERS[cls]
    except KeyError:
        pass
    _READERS[cls] = None  # a class that holds itself reads its inner values with the hook
    try:
        read = _make_reader(cls)
    except Exception:  # e.g. a type that cannot be resolved: the converter will say so
        read = None
    _READERS[cls] = read
    return read


def _named(env: dict[str, Any], value: object) -> str:
    """Put ``value`` in a generated function's globals and return its name there."""
    name = f"g{len(env)}"
    env[name] = value
    return name


def _make_reader(cls: Any) -> Callable[[Any], Any] | None:
    fields = _plain_fields(cls) if isinstance(cls, type) and attrs.has(cls) else None
    if (
        fields is None
        or getattr(converter, "_prefer_attrib_converters", True)
        or not _generated(converter.get_structure_hook(cls), "structure", cls)
    ):
        return None
    env: dict[str, Any] = {"_Unusual": _Unusual, "_cls": cls}
    lines = [
        f"def read_{cls.__name__}(data):",
        f"    if data.__class__ is not dict or len(data) != {len(fields)}:",
        "        raise _Unusual",
    ]
    for n, field in enumerate(fields):
        hook = converter.get_structure_hook(field.type, cache_result=False)
        if hook is raise_error:
            return None
        lines += _read_code(
            hook, field.type, f"x{n}", f"data[{field.name!r}]", env=env, indent="    "
        )
    arguments = ", ".join(f"{field.alias}=x{n}" for n, field in enumerate(fields))
    lines.append(f"    return _cls({arguments})")
    exec(compile("\n".join(lines), f"<reader {cls.__qualname__}>", "exec"), env)
    read: Callable[[Any], Any] = env[f"read_{cls.__name__}"]
    return read


def _read_code(
    hook: Any, kind: Any, target: str, source: str, *, env: dict[str, Any], indent: str
) -> list[str]:
    """Return lines setting ``target`` to ``hook(source, kind)`` or raising.

    Every line either computes what the converter computes for ``source`` or raises
    (``_Unusual`` for data it does not take, or the error of a hook or a class).
    """
    unusual = f"{indent}    raise _Unusual"
    take = [] if target == source else [f"{indent}{target} = {source}"]
    if hook == converter._structure_call:
        if kind in (str, int, bool):
            # The converter calls kind(value): a value of exactly that type is returned as is.
            return [
                *take,
                f"{indent}if {target}.__class__ is not {kind.__name__}:",
                unusual,
            ]
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            with contextlib.suppress(TypeError):  # a member's value that is not hashable
                # kind(value) finds a member by its value in such a table first.
                members = _named(env, {member.value: member for member in kind})
                return [f"{indent}{target} = {members}[{source}]"]
        return [f"{indent}{target} = {_named(env, kind)}({source})"]
    if hook is _date:
        return [
            *take,
            f"{indent}if {target}.__class__ is not str:",
            unusual,
            f"{indent}{target} = {_named(env, date.fromisoformat)}({target})",
        ]
    if hook is _decimal:
        return [
            *take,
            f"{indent}if {target}.__class__ is not str:",
            unusual,
            f"{indent}{target} = {_named(env, Decimal)}({target})",
            f"{indent}if not {target}.is_finite():",
            unusual,
        ]
    if hook is _money:
        return [
            *take,
            f"{indent}if {target}.__class__ is not dict or len({target}) != 2:",
            unusual,
            f"{indent}{target}_amount = {target}['amount']",
            f"{indent}if {target}_amount.__class__ is not str:",
            unusual,
            f"{indent}{target} = {_named(env, Money)}({target}_amount, {target}['currency'])",
        ]
    args: tuple[Any, ...] = getattr(kind, "__args__", ())
    if hook == converter._structure_optional and len(args) == 2 and type(None) in args:
        (other,) = (arg for arg in args if arg is not type(None))
        inner = converter.get_structure_hook(other)
        return [
            *take,
            f"{indent}if {target} is not None:",
            *_read_code(inner, other, target, target, env=env, indent=f"{indent}    "),
        ]
    if (
        hook == converter._structure_tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and args[0] is not Any
    ):
        item = _item_reader(converter.get_structure_hook(args[0]), args[0])
        return [
            *take,
            f"{indent}if {target}.__class__ is not list:",
            unusual,
            f"{indent}{target} = tuple([{_named(env, item)}(item) for item in {target}])",
        ]
    if isinstance(kind, type) and _generated(hook, "structure", kind):
        nested = _reader(kind)
        if nested is not None:
            return [f"{indent}{target} = {_named(env, nested)}({source})"]
    return [f"{indent}{target} = {_named(env, hook)}({source}, {_named(env, kind)})"]


def _item_reader(hook: Any, kind: Any) -> Callable[[Any], Any]:
    """Return a function reading one item of a homogeneous tuple of ``kind``."""
    if isinstance(kind, type) and _generated(hook, "structure", kind):
        nested = _reader(kind)
        if nested is not None:
            return nested
    env: dict[str, Any] = {"_Unusual": _Unusual}
    lines = ["def read_item(item):", *_read_code(hook, kind, "x", "item", env=env, indent="    ")]
    lines.append("    return x")
    exec(compile("\n".join(lines), f"<reader {kind!r}>", "exec"), env)
    read: Callable[[Any], Any] = env["read_item"]
    return read


def structurer(cls: type[T]) -> Callable[[Any], T]:
    """Return a function building a ``cls`` from plain data, faster for well-formed data.

    ``structurer(cls)(data)`` returns, or raises, exactly what
    ``converter.get_structure_hook(cls)(data, cls)`` does: the converter's own errors, not
    translated as :func:`structure` translates them.
    """
    hook = converter.get_structure_hook(cls)
    read = _reader(cls)

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


_decode = json.JSONDecoder(parse_float=Decimal).decode
# json.loads(text, parse_float=Decimal) builds a new decoder on every call, which costs
# about as much as reading a small document; this one is built once.


def parse_json(text: str | bytes) -> Any:
    """Return ``json.loads(text, parse_float=Decimal)``: the same value or the same error."""
    if type(text) is str and not text.startswith("\ufeff"):
        return _decode(text)
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
                f"the catalog file {str(path)!r}",
                [FieldProblem("$", f"cannot be read ({exc.strerror}); check the path")],
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CatalogError(
                f"the catalog file {str(path)!r}",
                [FieldProblem("$", f"is not valid JSON: {exc}")],
            ) from None
    return structure(data, Catalog, what="the catalog")
