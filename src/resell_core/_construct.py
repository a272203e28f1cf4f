"""Generated code at the edge: the one place the package compiles source at run time.

Private. Only adapters, services and serialisation import it; the domain packages
(``pricing``, ``lifecycle``, ``billing``) and ``money``, ``periods`` and ``audit`` never
do (an import contract keeps it so): they build their values with the classes' own
``__init__`` and ``attrs.evolve``. Every function it compiles is built from a class's own
field names and nothing else, and its source is registered with :mod:`linecache`, as
attrs registers the ``__init__`` it generates, so a traceback through it shows the
generated line instead of nothing.

Two kinds of function are generated, once per attrs class (and per set of changed
fields), from ``attrs.fields(cls)``:

- :func:`unchecked` builds an instance from the values of all its fields, in field
  order, without ``__init__``: no converter, validator, default or hook runs.
- :func:`replacer` (and :func:`copier`, which changes nothing) copies an instance with
  some fields changed, as ``attrs.evolve`` does, without running ``__init__`` again on
  values that already passed it.

Both give the value the class's own ``__init__`` and ``attrs.evolve`` give from the same
(already valid, already converted) field values; a property test proves it for every
class the storage adapters copy. They are for values that came out of the domain or the
storage already checked: a storage copying the aggregates it hands out and journals, a
service writing many audit entries at one time it checked once.

Only slotted attrs classes (the default of ``attrs.define`` and ``attrs.frozen``) are
served, and none whose instances ``__init__`` would give more than their fields (an
``__attrs_pre_init__`` or ``__attrs_post_init__`` hook, a cached hash): the generator
refuses those with TypeError rather than build something ``__init__`` would not.
"""

from __future__ import annotations

import linecache
import types
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["compile_function", "copier", "replacer", "unchecked"]

T = TypeVar("T")

_HOOKS = ("__attrs_pre_init__", "__attrs_post_init__")
_CACHED_HASH = "_attrs_cached_hash"
"""The slot attrs adds for ``cache_hash=True`` (set by ``__init__``, so not served)."""

_MADE: dict[type[Any], Callable[..., Any]] = {}
"""The :func:`unchecked` function of each class served, made on first use."""

_REPLACED: dict[tuple[type[Any], tuple[str, ...]], Callable[..., Any]] = {}
"""The :func:`replacer` function of each class and tuple of changed fields, made on first
use."""


def compile_function(name: str, filename: str, source: str, namespace: dict[str, Any]) -> Any:
    """Compile ``source`` (one ``def name(...)``) in ``namespace`` and return the function.

    ``filename`` names the code in tracebacks (``<resell_core copy Invoice>``); it is made
    unique by a counter when another source was registered under it, so each generated
    function keeps its own lines.
    """
    lines = source.splitlines(True)
    unique, count = filename, 1
    while (entry := linecache.cache.get(unique)) is not None and entry[2:3] != (lines,):
        count += 1
        unique = f"{filename[:-1]}-{count}>"
    code = compile(source, unique, "exec")
    linecache.cache[unique] = (len(source), None, lines, unique)
    exec(code, namespace)  # the source comes from field names only (see the module's doc)
    return namespace[name]


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    """Return the fields of ``cls`` in order, or raise TypeError when it is not served."""
    if not attrs.has(cls):
        raise TypeError(f"{cls.__qualname__} is not an attrs class")
    if "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__qualname__} has no slots; only slotted attrs classes are served")
    refused = [hook for hook in _HOOKS if hasattr(cls, hook)]
    if any(_CACHED_HASH in vars(klass).get("__slots__", ()) for klass in cls.__mro__):
        refused.append("cache_hash")
    if refused:
        raise TypeError(
            f"{cls.__qualname__} has {', '.join(refused)}: its __init__ does more than set "
            "its fields, so it is not built without it"
        )
    return tuple(field.name for field in attrs.fields(cls))


def _slot(cls: type[Any], name: str) -> Any:
    for klass in cls.__mro__:
        found = vars(klass).get(name)
        if isinstance(found, types.MemberDescriptorType):
            return found
    raise TypeError(f"{cls.__qualname__}.{name} is not a slot")  # pragma: no cover - attrs


def _builder(
    cls: Any, kind: str, values: dict[str, str], changed: tuple[str, ...] = ()
) -> Callable[..., Any]:
    """Compile ``def <kind>(...)`` that returns a new ``cls`` with each field set to the
    expression ``values[field]``: a parameter named after the field, or ``_value.<field>``
    (the function's first parameter, when ``kind`` is a copy or a replacement of
    ``changed``).

    A field is assigned plainly when the class has no ``__setattr__`` of its own (a
    mutable class without ``on_setattr`` hooks); otherwise (a frozen class refuses
    assignment, another converts again) it is set through its slot's descriptor, as the
    class's ``__init__`` sets it.
    """
    plain = cls.__setattr__ is object.__setattr__
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    head = ", ".join(values) if kind == "make" else ", ".join(("_value", *changed))
    body = [f"def {kind}({head}):", "    _obj = _new(_cls)"]
    for i, (name, value) in enumerate(values.items()):
        if plain:
            body.append(f"    _obj.{name} = {value}")
        else:
            namespace[f"_set{i}"] = _slot(cls, name).__set__
            body.append(f"    _set{i}(_obj, {value})")
    body.append("    return _obj")
    # Named by class and changed fields: ``<resell_core replace resell_core.periods.Period end>``.
    filename = " ".join(("<resell_core", kind, f"{cls.__module__}.{cls.__qualname__}", *changed))
    filename += ">"
    built: Callable[..., Any] = compile_function(kind, filename, "\n".join(body) + "\n", namespace)
    return built


def _free(names: tuple[str, ...]) -> None:
    # The generated code's own names (``_new``, ``_cls``, ``_obj``, ``_value``, ``_setN``)
    # must not be shadowed by a parameter named after a field.
    taken = [n for n in names if n in ("_new", "_cls", "_obj", "_value") or n[:4] == "_set"]
    if taken:
        raise TypeError(f"field names {taken} are reserved by the generated code")


def unchecked(cls: type[T]) -> Callable[..., T]:
    """Return ``make(*values)``: a ``cls`` whose fields are set, in field order, to ``values``.

    The parameters are named after the fields, so they may be given by keyword too (every
    field is required: no default is filled in). Nothing is converted or checked: the
    values must be what ``cls(...)`` would store (a tuple where its converter makes one).

    Raises:
        TypeError: When ``cls`` is not served (see the module's doc).

    Example:
        >>> from datetime import date
        >>> from resell_core.periods import Period
        >>> unchecked(Period)(date(2024, 4, 11), date(2024, 5, 11))
        Period(start=datetime.date(2024, 4, 11), end=datetime.date(2024, 5, 11))
    """
    make = _MADE.get(cls)
    if make is None:
        names = _field_names(cls)
        _free(names)
        make = _MADE[cls] = _builder(cls, "make", {n: n for n in names})
    return make


def replacer(cls: type[T], *changed: str) -> Callable[..., T]:
    """Return ``replace(value, *new)``: a copy of ``value`` (a ``cls``) whose ``changed``
    fields are set to ``new``, in the order named, every other field shared as it is.

    The copy is what ``attrs.evolve(value, **dict(zip(changed, new)))`` returns when the
    new values are what ``__init__`` would store; nothing is converted or checked.

    Raises:
        TypeError: When ``cls`` is not served, a name is not one of its fields or is
            named twice.

    Example:
        >>> from datetime import date
        >>> from resell_core.periods import Period
        >>> replacer(Period, "end")(Period(date(2024, 4, 11), date(2024, 5, 11)), date(2024, 6, 1))
        Period(start=datetime.date(2024, 4, 11), end=datetime.date(2024, 6, 1))
    """
    replace = _REPLACED.get((cls, changed))
    if replace is None:
        names = _field_names(cls)
        if any(n not in names for n in changed) or len(set(changed)) != len(changed):
            raise TypeError(
                f"{cls.__qualname__} fields to replace must be distinct fields, not {changed}"
            )
        _free(changed)
        values = {n: n if n in changed else f"_value.{n}" for n in names}
        kind = "replace" if changed else "copy"
        replace = _builder(cls, kind, values, changed)
        _REPLACED[cls, changed] = replace
    return replace


def copier(cls: type[T]) -> Callable[[T], T]:
    """Return ``copy(value)``: a new ``cls`` holding the same field values as ``value``
    (``attrs.evolve(value)`` without running ``__init__`` again)."""
    return replacer(cls)
