"""Inputs checked against their annotations: each value of the Python type it is meant to be
(rule E1).

A command's annotations already say what each parameter takes (``label: str``,
``exp_year: int``, ``month: date``, ``new: NewAccount``). :func:`checked_arguments` turns
them into checks at a facade: every public method of the class refuses a call whose
arguments are of the wrong type with one :class:`~resell_core.errors.InvalidInput` that
names every bad parameter (and, inside the library's input classes, the bad field by its
path: ``new.plan.tier``) before any storage, gateway or notifier is touched. Input classes
that work on their fields when built (:class:`~resell_core.lifecycle.branding.Branding`,
:class:`~resell_core.pricing.selection.PlanSelection`) call :func:`type_problems` first.

The rules of the check: ``str`` takes no NUL and no lone surrogate (no storage keeps
them, so such a text names nothing and can be stored nowhere); ``int`` takes no ``bool``;
``date`` takes no ``datetime`` (unless the annotation names both); ``X | None`` takes
None; ``tuple[X, ...]``, ``list[X]``, ``Mapping[K, V]`` check their items; an attrs
class of the library is checked field by field; a ``Protocol`` (a port) and
``Iterable`` are not looked into. A float where an amount is taken (the annotation
names ``Decimal``) raises :class:`~resell_core.errors.FloatNotAllowed`, as
:class:`~resell_core.money.Money` does. Values of the right type are the commands' own
to judge (bounds, formats, choices).

A check is built from the annotations once, at a method's first call, and costs a few
``isinstance`` calls per argument afterwards.
"""

from __future__ import annotations

import collections.abc
import contextlib
import functools
import inspect
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from resell_core.errors import FieldProblem, FloatNotAllowed, InvalidInput, quoted

__all__ = ["checked_arguments", "type_problems"]

T = TypeVar("T")

_Check = Callable[[object, str, list[FieldProblem]], None]
"""Append the problems of ``value`` at ``field`` to ``problems`` (none when it fits)."""

_NAMES: dict[object, str] = {
    str: "text",
    int: "a whole number",
    bool: "True or False",
    float: "a number",
    Decimal: "a Decimal",
    date: "a date",
    datetime: "a datetime",
    timedelta: "a timedelta",
    bytes: "bytes",
    type(None): "None",
}

_SEQUENCES = (list, set, frozenset, collections.abc.Sequence, collections.abc.Set)
_MAPPINGS = (dict, collections.abc.Mapping)
_UNCHECKED = (collections.abc.Iterable, collections.abc.Iterator, collections.abc.Callable)


def _got(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _unstorable(text: str) -> bool:
    """True for text that no storage can hold: a NUL, or a lone surrogate (not UTF-8)."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _accept(_value: object, _field: str, _problems: list[FieldProblem]) -> None:
    return None


def _is_protocol(cls: type) -> bool:
    # PEP 544: a protocol class names Protocol among its bases (a class that merely
    # implements one does not); typing.is_protocol says the same from Python 3.13 on.
    return typing.Protocol in getattr(cls, "__bases__", ())


def _is_input_class(cls: type) -> bool:
    return attrs.has(cls) and cls.__module__.startswith("resell_core.")


def _describe(hint: object) -> str:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return " or ".join(repr(arg) for arg in typing.get_args(hint))
    if hint is None:
        return "None"
    if origin is not None:
        return f"a {getattr(origin, '__name__', str(origin))}"
    if hint in _NAMES:
        return _NAMES[hint]
    return f"a {getattr(hint, '__name__', str(hint))}"


def _class_check(cls: type) -> _Check:
    description = _describe(cls)
    if cls is int:

        def whole(value: object, field: str, problems: list[FieldProblem]) -> None:
            if type(value) is bool or not isinstance(value, int):
                problems.append(FieldProblem(field, f"give {description}, not {_got(value)}"))

        return whole
    if cls is str:

        def text(value: object, field: str, problems: list[FieldProblem]) -> None:
            if not isinstance(value, str):
                problems.append(FieldProblem(field, f"give {description}, not {_got(value)}"))
            elif _unstorable(value):
                problems.append(
                    FieldProblem(field, "remove the NUL or lone surrogate: no storage keeps it")
                )

        return text
    if cls is date:

        def day(value: object, field: str, problems: list[FieldProblem]) -> None:
            if not isinstance(value, date) or isinstance(value, datetime):
                problems.append(FieldProblem(field, f"give {description}, not {_got(value)}"))

        return day
    fields = _fields_check(cls) if _is_input_class(cls) else None

    def instance(value: object, field: str, problems: list[FieldProblem]) -> None:
        if not isinstance(value, cls):
            problems.append(FieldProblem(field, f"give {description}, not {_got(value)}"))
        elif fields is not None:
            fields(value, field, problems)

    return instance


def _union_check(hint: object) -> _Check:
    members = typing.get_args(hint)
    checks = [(member, _checker(member)) for member in members]
    description = _describe(hint)
    plain = tuple(m for m in members if isinstance(m, type) and m not in (int, date, str))
    if all(isinstance(m, type) and not _is_input_class(m) for m in members) and len(plain) == len(
        members
    ):
        simple: tuple[type, ...] = plain

        def quick(value: object, field: str, problems: list[FieldProblem]) -> None:
            if not isinstance(value, simple):
                problems.append(FieldProblem(field, f"give {description}, not {_got(value)}"))

        return quick

    def union(value: object, field: str, problems: list[FieldProblem]) -> None:
        claimed: list[FieldProblem] | None = None
        for member, check in checks:
            found: list[FieldProblem] = []
            check(value, field, found)
            if not found:
                return
            outer = typing.get_origin(member) or member
            if claimed is None and isinstance(outer, type) and isinstance(value, outer):
                claimed = found  # the member of the value's own class says what is wrong
        problems.extend(claimed or [FieldProblem(field, f"give {description}, not {_got(value)}")])

    return union


def _items_check(origin: type, args: tuple[object, ...]) -> _Check:
    if origin is tuple:
        return _tuple_check(args)
    if issubclass(origin, _MAPPINGS):
        return _mapping_check(_describe(origin), args)
    return _sequence_check(origin, args)


def _tuple_check(args: tuple[object, ...]) -> _Check:
    """The check of a ``tuple[X, ...]`` (any length, each an X) or ``tuple[X, Y]``."""
    if len(args) == 2 and args[1] is Ellipsis:
        each = _checker(args[0])

        def homogeneous(value: object, field: str, problems: list[FieldProblem]) -> None:
            if not isinstance(value, tuple):
                problems.append(FieldProblem(field, f"give a tuple, not {_got(value)}"))
                return
            for index, item in enumerate(value):
                each(item, f"{field}[{index}]", problems)

        return homogeneous
    parts = [_checker(arg) for arg in args]

    def fixed(value: object, field: str, problems: list[FieldProblem]) -> None:
        if not isinstance(value, tuple) or len(value) != len(parts):
            problems.append(FieldProblem(field, f"give a tuple of {len(parts)}, not {_got(value)}"))
            return
        for index, (check, item) in enumerate(zip(parts, value, strict=True)):
            check(item, f"{field}[{index}]", problems)

    return fixed


def _mapping_check(description: str, args: tuple[object, ...]) -> _Check:
    """The check of a mapping: every key and every value against its annotation."""
    key_check, value_check = (_checker(arg) for arg in (args or (Any, Any)))

    def mapping(value: object, field: str, problems: list[FieldProblem]) -> None:
        if not isinstance(value, collections.abc.Mapping):
            problems.append(FieldProblem(field, f"give {description}, not {_got(value)}"))
            return
        for key, item in value.items():
            key_check(key, f"{field}[{quoted(key)}]", problems)
            value_check(item, f"{field}[{quoted(key)}]", problems)

    return mapping


def _sequence_check(origin: type, args: tuple[object, ...]) -> _Check:
    """The check of any other collection (a list, a set): every item, text refused."""
    description = _describe(origin)
    each = _checker(args[0]) if args else _accept

    def sequence(value: object, field: str, problems: list[FieldProblem]) -> None:
        if not isinstance(value, origin) or isinstance(value, str | bytes):
            problems.append(FieldProblem(field, f"give {description}, not {_got(value)}"))
            return
        for index, item in enumerate(typing.cast(collections.abc.Iterable[object], value)):
            each(item, f"{field}[{index}]", problems)

    return sequence


_CHECKS: dict[object, _Check] = {}


def _checker(hint: object) -> _Check:
    """Return the check of values annotated ``hint`` (built once per hint)."""
    try:
        return _CHECKS[hint]
    except (KeyError, TypeError):
        pass
    check = _build(hint)
    with contextlib.suppress(TypeError):  # an unhashable hint is built again each time
        _CHECKS[hint] = check
    return check


@attrs.frozen
class _FloatProblem(FieldProblem):
    """A float given where an amount (a Decimal) is taken: refused as FloatNotAllowed, as
    Money and the catalog refuse floats."""


def _takes_decimal(hint: object) -> bool:
    return hint is Decimal or Decimal in typing.get_args(hint)


def _build(hint: object) -> _Check:
    check = _build_plain(hint)
    if not _takes_decimal(hint):
        return check

    def amount(value: object, field: str, problems: list[FieldProblem]) -> None:
        if isinstance(value, float):
            problems.append(
                _FloatProblem(field, "give an amount as a str, int or Decimal, never a float")
            )
        else:
            check(value, field, problems)

    return amount


def _build_plain(hint: object) -> _Check:
    origin = typing.get_origin(hint)
    if hint is Any or hint is object or isinstance(hint, TypeVar):
        return _accept
    if hint is None or hint is type(None):
        return _class_check(type(None))
    if origin is typing.Annotated:
        return _checker(typing.get_args(hint)[0])
    if origin in (types.UnionType, typing.Union):
        return _union_check(hint)
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        description = _describe(hint)

        def literal(value: object, field: str, problems: list[FieldProblem]) -> None:
            if not any(value == a and type(value) is type(a) for a in allowed):
                problems.append(FieldProblem(field, f"give {description}, not {quoted(value)}"))

        return literal
    if origin is not None:
        if origin in _UNCHECKED or not isinstance(origin, type):
            return _accept
        return _items_check(origin, typing.get_args(hint))
    if isinstance(hint, type):
        if _is_protocol(hint) or hint in _UNCHECKED:
            return _accept
        return _class_check(hint)
    raise TypeError(f"cannot check values annotated {hint!r}")  # a new kind of annotation


def _fields_check(cls: type) -> _Check:
    """The check of an attrs class's fields, each against its annotation (built lazily:
    classes may refer to each other)."""
    built: list[tuple[str, _Check]] | None = None

    def check(value: object, field: str, problems: list[FieldProblem]) -> None:
        nonlocal built
        if built is None:
            hints = typing.get_type_hints(cls)
            built = [(f.name, _checker(hints[f.name])) for f in attrs.fields(cls) if f.init]
        for name, each in built:
            each(getattr(value, name), f"{field}.{name}" if field else name, problems)

    return check


_INSTANCE_CHECKS: dict[type, _Check] = {}


def type_problems(instance: object) -> list[FieldProblem]:
    """Return the fields of an attrs instance whose values are not of their annotated type.

    Example:
        >>> @attrs.frozen
        ... class Card:
        ...     label: str
        ...     exp_year: int
        >>> [str(p) for p in type_problems(Card("Main Visa", "2030"))]
        ['exp_year: give a whole number, not str']
    """
    cls = type(instance)
    check = _INSTANCE_CHECKS.get(cls)
    if check is None:
        check = _INSTANCE_CHECKS[cls] = _fields_check(cls)
    problems: list[FieldProblem] = []
    check(instance, "", problems)
    return problems


def _checked(function: Callable[..., T], command: str) -> Callable[..., T]:
    parameters = list(inspect.signature(function).parameters.values())[1:]
    positional = [
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    checks: dict[str, _Check] = {}

    @functools.wraps(function)
    def checked(self: object, *args: object, **kwargs: object) -> T:
        if not checks:
            hints = typing.get_type_hints(function)
            checks.update({p.name: _checker(hints.get(p.name, Any)) for p in parameters})
        problems: list[FieldProblem] = []
        for name, value in zip(positional, args, strict=False):
            checks[name](value, name, problems)
        for name, value in kwargs.items():
            check = checks.get(name)
            if check is not None:
                check(value, name, problems)
        if problems:
            if all(isinstance(p, _FloatProblem) for p in problems):
                raise FloatNotAllowed(f"{command}: {'; '.join(map(str, problems))}")
            raise InvalidInput(command, problems)
        return function(self, *args, **kwargs)

    return checked


def checked_arguments(cls: type[T]) -> type[T]:
    """Check the arguments of every public method of ``cls`` against its annotations.

    A call with an argument of the wrong type raises
    :class:`~resell_core.errors.InvalidInput` (``what`` is the method's name, one problem
    per bad parameter or field) before the method runs. Properties, class methods and
    private methods are left as they are.

    Example:
        >>> @checked_arguments
        ... class Desk:
        ...     def greet(self, name: str, times: int = 1) -> str:
        ...         return name * times
        >>> Desk().greet("ada", 2)
        'adaada'
        >>> Desk().greet(None, times="2")
        Traceback (most recent call last):
        resell_core.errors.InvalidInput: [invalid_input] greet is not valid: name: give text, not
        None; times: give a whole number, not str. Correct these fields and try again.
    """
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _checked(member, name))
    return cls
