"""JSON Schema (draft 2020-12) of the agency API, generated from the classes of ``calls``.

:func:`schema` describes every call (request and answer) for a host to publish;
:func:`request_schema` is one call's standalone request schema; :func:`check` is the
small structural validator the API runs on every request before structuring it with the
library's converter, so that a wrong type is reported (with every other bad field) instead
of being coerced.
"""

from __future__ import annotations

import copy
import enum
import functools
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from resell_core.agency_api.calls import CALLS, Answer, Failure
from resell_core.errors import FieldProblem

__all__ = ["DIALECT", "check", "request_schema", "schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of every schema here."""

_DEFS = "#/$defs/"


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        members = [_type_schema(arg, defs) for arg in typing.get_args(tp)]
        if all("type" in m and len(m) == 1 for m in members):
            return {"type": [m["type"] for m in members]}
        return {"anyOf": members}
    if origin is typing.Literal:
        return {"type": "string", "enum": list(typing.get_args(tp))}
    if origin in (tuple, list):
        return {"type": "array", "items": _type_schema(typing.get_args(tp)[0], defs)}
    if tp is type(None):
        return {"type": "null"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [member.value for member in tp]}
    if attrs.has(tp):
        _define(tp, defs)
        return {"$ref": _DEFS + tp.__name__}
    simple = {str: "string", bool: "boolean", int: "integer"}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is Decimal:
        return {"type": ["string", "integer"]}
    raise TypeError(f"no JSON Schema for {tp!r}")  # a programming error in calls.py


def _define(cls: type, defs: dict[str, Any]) -> None:
    if cls.__name__ in defs:
        return
    defs[cls.__name__] = {}  # reserve the name first: a class may refer to itself
    hints = typing.get_type_hints(cls)
    answer = issubclass(cls, Answer)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        prop = _type_schema(hints[field.name], defs)
        prop["description"] = field.metadata.get("doc", "")
        prop.update(field.metadata.get("schema", {}))
        if field.name == "result_code" and isinstance(field.default, int):
            prop["const"] = field.default
        elif field.default is not attrs.NOTHING and not answer:
            prop["default"] = _plain(field.default)
        if answer or field.default is attrs.NOTHING:
            required.append(field.name)
        properties[field.name] = prop
    defs[cls.__name__] = {
        "title": cls.__name__,
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


@functools.cache
def _all_defs() -> Mapping[str, Any]:
    defs: dict[str, Any] = {}
    for call in CALLS.values():
        _define(call.request, defs)
        _define(call.answer, defs)
    _define(Failure, defs)
    return types.MappingProxyType(defs)


def schema() -> dict[str, Any]:
    """Describe every call of the agency API as JSON Schema (draft 2020-12).

    Returns:
        A fresh JSON-able dict: ``$defs`` holds one object schema per request and answer
        class; ``calls`` maps each call name to its summary and the ``$ref`` of its
        request, and of its response (its answer, or a :class:`Failure`).

    >>> schema()["calls"]["account_status"]["request"]
    {'$ref': '#/$defs/AccountStatus'}
    """
    return {
        "$schema": DIALECT,
        "$id": "urn:resell-core:agency-api",
        "title": "resell_core agency API",
        "description": "POST a call's request object; every response carries result_code.",
        "$defs": copy.deepcopy(dict(_all_defs())),
        "calls": {
            name: {
                "summary": call.summary,
                "request": {"$ref": _DEFS + call.request.__name__},
                "response": {
                    "oneOf": [
                        {"$ref": _DEFS + call.answer.__name__},
                        {"$ref": _DEFS + Failure.__name__},
                    ]
                },
            }
            for name, call in CALLS.items()
        },
    }


@functools.cache
def _request(name: str) -> Mapping[str, Any]:
    call = CALLS[name]
    defs = _all_defs()
    return {"$schema": DIALECT, **defs[call.request.__name__]}


def request_schema(name: str) -> dict[str, Any]:
    """Return the standalone JSON Schema of one call's request (a flat object).

    Raises:
        KeyError: When ``name`` is not a call of the API.
    """
    return copy.deepcopy(dict(_request(name)))


# -- the validator -------------------------------------------------------------------------
_KINDS: tuple[tuple[type | types.UnionType, str], ...] = (
    (bool, "true/false"),  # before int: a bool is an int too
    (int, "a whole number"),
    (float | Decimal, "a fractional number"),
    (str, "text"),
    (Mapping, "an object"),
    (list | tuple, "a list"),
)


def _kind(value: object) -> str:
    """Name a value's JSON kind without printing it (it may be huge or hostile)."""
    if value is None:
        return "null"
    for kind, name in _KINDS:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


_KIND_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true/false",
    "null": "null",
    "object": "an object",
    "array": "a list",
}


def _is(value: object, json_type: str) -> bool:
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "null":
        return value is None
    if json_type == "object":
        return isinstance(value, Mapping)
    if json_type == "array":
        return isinstance(value, list | tuple)
    return False


def _field(path: str, key: object) -> str:
    name = key[:100] if isinstance(key, str) else "?"
    return f"{path}.{name}" if path else name


def check(instance: object, node: Mapping[str, Any], path: str = "") -> list[FieldProblem]:
    """Check a value against a schema of this module; list every problem found.

    Supports the keywords the generated schemas use: ``type``, ``enum``, ``const``,
    ``pattern``, ``minLength``, ``maxLength``, ``minimum``, ``maximum``, ``properties``,
    ``required``, ``additionalProperties: false`` and ``items``. Messages never print the
    value itself (a request may hold anything).

    Args:
        instance: Plain data, as decoded from JSON.
        node: A request schema of :func:`request_schema`.
        path: The dotted path of ``instance`` (empty for the whole request).

    Returns:
        One problem per bad field; empty when the value conforms.
    """
    where = path or "$"
    types_ = node.get("type")
    if types_ is not None:
        allowed = [types_] if isinstance(types_, str) else list(types_)
        if not any(_is(instance, t) for t in allowed):
            expected = " or ".join(_KIND_NAMES[t] for t in allowed)
            return [FieldProblem(where, f"is {_kind(instance)}; give {expected}")]
    if "enum" in node and not (isinstance(instance, str) and instance in node["enum"]):
        return [FieldProblem(where, "is not one of the allowed values", tuple(node["enum"]))]
    if "const" in node and instance != node["const"]:
        return [FieldProblem(where, f"must be {node['const']}")]
    if isinstance(instance, str):
        return _string_problems(instance, node, where)
    if isinstance(instance, int) and not isinstance(instance, bool):
        if "minimum" in node and instance < node["minimum"]:
            return [FieldProblem(where, f"must be at least {node['minimum']}")]
        if "maximum" in node and instance > node["maximum"]:
            return [FieldProblem(where, f"must be at most {node['maximum']}")]
    if isinstance(instance, Mapping) and "properties" in node:
        return _object_problems(instance, node, path)
    if isinstance(instance, list | tuple) and "items" in node:
        problems: list[FieldProblem] = []
        for index, item in enumerate(instance):
            problems += check(item, node["items"], f"{path}[{index}]")
        return problems
    return []


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """Compile a schema's pattern as JSON Schema reads it (ECMA-262): ``$`` is the end of
    the text, where Python's ``$`` also matches before a final newline ("10\\n")."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _string_problems(text: str, node: Mapping[str, Any], where: str) -> list[FieldProblem]:
    if len(text) < node.get("minLength", 0):
        return [FieldProblem(where, f"needs at least {node['minLength']} character(s)")]
    if "maxLength" in node and len(text) > node["maxLength"]:
        return [FieldProblem(where, f"is longer than {node['maxLength']} characters")]
    if "pattern" in node and not _pattern(node["pattern"]).search(text):
        return [FieldProblem(where, f"does not have the expected form {node['pattern']}")]
    return []


def _object_problems(
    instance: Mapping[Any, Any], node: Mapping[str, Any], path: str
) -> list[FieldProblem]:
    properties: Mapping[str, Any] = node["properties"]
    problems: list[FieldProblem] = []
    for key in instance:
        if not isinstance(key, str):
            problems.append(FieldProblem(path or "$", "has a parameter name that is not text"))
        elif key not in properties and node.get("additionalProperties") is False:
            problems.append(
                FieldProblem(
                    _field(path, key), "is not a parameter of this call", tuple(properties)
                )
            )
    problems += [
        FieldProblem(_field(path, name), "is required")
        for name in node.get("required", ())
        if name not in instance
    ]
    for name, sub in properties.items():
        if name in instance:
            problems += check(instance[name], sub, _field(path, name))
    return problems
