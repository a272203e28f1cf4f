"""Generated JSON writers and readers at the edge: the converter's text and values, faster.

Private; :mod:`resell_core.serialization` is its one user. Storage writes and reads every
aggregate it keeps as JSON on every command, and the reference path (the converter's
hooks, then the standard encoder sorting every dict's keys; the decoder, then the
converter's hook checking every field and collecting every error) costs several times
the work itself. For an attrs class this module generates, from the class's own field
names (:func:`resell_core._construct.compile_function`):

- a **writer** giving the very text ``encode(converter.unstructure(value))`` gives: the
  keys in sorted order, each field as the encoder writes what the field's hook gives;
  values of the expected types written inline, any other handed to the hook and the
  encoder; on any error the caller runs the reference path, which raises its own;
- a **reader** taking well-formed data only (a dict holding exactly the class's fields),
  calling the field's hook for each field, or the same work inline for a hook it knows,
  and building the class with the same arguments; on anything unusual it raises and the
  caller runs the converter's hook, with its own errors.

How it knows what a hook does, through cattrs' public API only: the hooks of attrs
classes (:func:`cattrs.gen.make_dict_structure_fn`,
:func:`cattrs.gen.make_dict_unstructure_fn`) and the writing hooks of optional fields and
homogeneous tuples (:func:`cattrs.gen.iterable_unstructure_factory`) are made here and
registered as hook factories on the converter, so that the hook the converter answers for
a field (``get_structure_hook``, ``get_unstructure_hook``) is recognised by identity; so
are the scalar hooks the caller registered and hands over with the code writing or reading
them inline, and the reading hook of strings and integers registered here
(``kind(value)``, as cattrs' own). The converter's own reading hook of optional fields
(``None``, or what the other type's hook gives) is recognised as the method of the
converter it answers for an optional type nothing is registered for, and read inline.
Any other hook (reading a tuple, a hook a host registers for its own class or optional
type, which wins over a factory) is called as it is. Like the converter's generated
hooks, a writer or reader follows the hooks registered before its first use.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import json
import types
import typing
import weakref
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, TypeVar, get_origin

import attrs
import cattrs
from cattrs.fns import identity, raise_error
from cattrs.gen import (
    iterable_unstructure_factory,
    make_dict_structure_fn,
    make_dict_unstructure_fn,
)

from resell_core._construct import compile_function

__all__ = ["Codec", "Unusual", "encode", "quote"]

encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
"""What ``json.dumps(value, ensure_ascii=False, sort_keys=True)`` does, its encoder built
once."""

quote = json.encoder.encode_basestring
"""How that encoder writes a string, quotes included."""


class Unusual(Exception):
    """Data a generated reader does not take as it is: the converter's hook decides."""


WriteInline = Callable[[str], str]
"""Given the name holding a value, an expression giving its JSON text."""

ReadInline = Callable[[str, Callable[[object], str]], list[str]]
"""Given the name holding raw data and a function naming an object in the generated
code's globals, lines setting that name to the value read or raising (``Unusual`` for
data they do not take)."""


@attrs.frozen
class _Nested:
    """A hook made here for an attrs class."""

    cls: type


@attrs.frozen
class _Optional:
    """A hook made here for ``other | None``: ``None``, or what ``inner`` gives."""

    other: Any
    inner: Any


@attrs.frozen
class _Sequence:
    """A hook made here for ``tuple[item, ...]``: a list of what ``inner`` gives."""

    item: Any
    inner: Any


def _known(table: Mapping[Any, Any], hook: Any) -> Any:
    """Return what ``table`` holds for ``hook``, or None (a hook need not be hashable, nor
    weakly referable)."""
    try:
        return table.get(hook)
    except TypeError:
        return None


_Made = TypeVar("_Made")

_NOTHING = object()
"""What a remembered field held before its writer's first call: never a field's value."""


class _MadeOnce(dict[Any, _Made | None]):
    """The function ``make`` makes for each class, made on the first lookup; None when
    it cannot be made (while it is being made, the class holds None: a class that holds
    itself takes the long way for its inner values)."""

    def __init__(self, make: Callable[[Any], _Made | None]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, cls: Any) -> _Made | None:
        self[cls] = None
        try:
            function = self._make(cls)
        except Exception:  # e.g. a type that cannot be resolved: the converter will say so
            function = None
        self[cls] = function
        return function


def _function(verb: str, what: str, cls: type, lines: list[str], env: dict[str, Any]) -> Any:
    """Compile the generated function ``lines`` define, ``{verb}_{class name}``."""
    return compile_function(
        f"{verb}_{cls.__name__}",
        f"<resell_core {what} {cls.__qualname__}>",
        "\n".join(lines) + "\n",
        env,
    )


def _named(env: dict[str, Any], value: object) -> str:
    """Put ``value`` in a generated function's globals and return its name there."""
    name = f"g{len(env)}"
    env[name] = value
    return name


def _optional_of(kind: Any) -> Any:
    """Return ``X`` for ``X | None`` (``Optional[X]``), else None."""
    if get_origin(kind) not in (typing.Union, types.UnionType):
        return None
    args = kind.__args__
    if len(args) != 2 or type(None) not in args:
        return None
    (other,) = (arg for arg in args if arg is not type(None))
    return None if isinstance(other, TypeVar) else other


def _item_of(kind: Any) -> Any:
    """Return ``X`` for ``tuple[X, ...]``, else None."""
    args: tuple[Any, ...] = getattr(kind, "__args__", ())
    if get_origin(kind) is not tuple or len(args) != 2 or args[1] is not Ellipsis:
        return None
    return None if args[0] is Any or isinstance(args[0], TypeVar) else args[0]


class _Unhooked:
    """A type no hook is registered for: the converter's hook of ``_Unhooked | None`` is
    its own hook of optional types."""


def _call(value: Any, kind: Any) -> Any:
    """The structure hook of strings and integers (booleans, str and int enums): ``kind(value)``."""
    return kind(value)


def _is_plain_attrs(kind: Any) -> bool:
    return isinstance(kind, type) and attrs.has(kind) and not getattr(kind, "__parameters__", ())


def _plain_fields(cls: type) -> list[attrs.Attribute[Any]] | None:
    """Return the fields of ``cls`` to read and write, or None if one needs the hook's care."""
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


def _by_position(cls: type, fields: list[attrs.Attribute[Any]]) -> list[bool]:
    """Tell, field by field, whether a reader passes it to ``cls`` by position: those
    before the first keyword-only field, when the fields not keyword-only are exactly the
    parameters ``cls(...)`` takes by position, in that order; else every field by keyword
    (a hand-written ``__init__``). Matching some thirty keywords to their parameters
    costs more than the rest of the call."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # no signature to read: keywords, as cattrs passes them
        return [False] * len(fields)
    positional = [
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if positional != [field.alias for field in fields if not field.kw_only]:
        return [False] * len(fields)
    # Up to the first keyword-only field: none may come by position after a keyword.
    taken = next((n for n, field in enumerate(fields) if field.kw_only), len(fields))
    return [n < taken for n in range(len(fields))]


def _identity_code(kind: Any, value: str) -> str:
    """An expression writing ``value`` as the encoder writes it, where the hook is identity."""
    if kind is int:
        return f"(_int_text({value}) if {value}.__class__ is int else _encode({value}))"
    if kind is bool:
        return f"('true' if {value} is True else 'false' if {value} is False else _encode({value}))"
    if isinstance(kind, type) and issubclass(kind, str):
        return f"_quote({value})"  # refuses anything but a str (or an str enum member)
    return f"_encode({value})"


def _call_code(kind: Any, target: str, source: str, env: dict[str, Any]) -> list[str]:
    """Lines setting ``target`` to ``kind(source)`` or raising ``_Unusual``."""
    if kind in (str, int, bool):
        # A value of exactly that type is kind(value) itself.
        return [
            f"    {target} = {source}",
            f"    if {target}.__class__ is not {kind.__name__}:",
            "        raise _Unusual",
        ]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        with contextlib.suppress(TypeError):  # a member's value that is not hashable
            # kind(value) finds a member by its value in such a table first.
            members = _named(env, {member.value: member for member in kind})
            return [f"    {target} = {members}[{source}]"]
    return [f"    {target} = {_named(env, kind)}({source})"]


class Codec:
    """The generated writers and readers of one converter.

    Args:
        converter: The converter whose text and values they give.
        write_inline: Unstructure hooks the converter holds, with how to write inline
            the JSON text of what each gives.
        read_inline: Structure hooks the converter holds, with how to read inline, from
            well-formed data, what each gives.
        names: Objects the inline code names.
        remembered: Declared field types whose values are often the very same object in a
            row of values written one after another (a page's invoices share one tuple
            of lines and one zero), each with a test telling whether a value of it can
            never change (frozen all the way down, every part of its exact type). A
            writer keeps, for each field of such a type, the last value it wrote there
            that passed the test, with its text, and writes that text again for the
            very same object (by identity: no hashing, no comparison). One value a
            field: nothing grows with what is written. A value changed in place behind
            its frozen class (``object.__setattr__``) is outside what this serves.
    """

    def __init__(
        self,
        converter: cattrs.Converter,
        *,
        write_inline: Mapping[Any, WriteInline],
        read_inline: Mapping[Any, ReadInline],
        names: Mapping[str, object],
        remembered: Mapping[Any, Callable[[Any], bool]] | None = None,
    ) -> None:
        self._converter = converter
        self._remembered = dict(remembered or {})
        self._write_inline = dict(write_inline)
        self._read_inline = dict(read_inline)
        self._names = dict(names)
        # The hooks made here, each with what it does; an entry goes with its hook.
        self._made: weakref.WeakKeyDictionary[Any, _Nested | _Optional | _Sequence] = (
            weakref.WeakKeyDictionary()
        )
        self._made_structure: weakref.WeakKeyDictionary[Any, type] = weakref.WeakKeyDictionary()
        self._writers = _MadeOnce[Callable[[Any], str]](self._make_writer)
        self._readers = _MadeOnce[Callable[[Any], Any]](self._make_reader)

    def install(self) -> None:
        """Register on the converter the hook factories whose hooks this codec knows."""
        c = self._converter
        c.register_structure_hook(str, _call)
        c.register_structure_hook(int, _call)
        c.register_structure_hook_factory(_is_plain_attrs, self._structure_attrs)
        c.register_unstructure_hook_factory(_is_plain_attrs, self._unstructure_attrs)
        c.register_unstructure_hook_factory(
            lambda t: _optional_of(t) is not None, self._unstructure_optional
        )
        c.register_unstructure_hook_factory(
            lambda t: _item_of(t) is not None, self._unstructure_sequence
        )

    # -- the converter's hooks ------------------------------------------------------------
    def _structure_attrs(self, cls: type) -> Any:
        attrs.resolve_types(cls)
        hook: Any = make_dict_structure_fn(
            cls,
            self._converter,
            _cattrs_forbid_extra_keys=self._converter.forbid_extra_keys,
            _cattrs_detailed_validation=self._converter.detailed_validation,
            _cattrs_prefer_attrib_converters=False,
        )
        self._made_structure[hook] = cls
        return hook

    def _unstructure_attrs(self, cls: type) -> Any:
        attrs.resolve_types(cls)
        hook: Any = make_dict_unstructure_fn(cls, self._converter)
        self._made[hook] = _Nested(cls)
        return hook

    def _unstructure_optional(self, kind: Any) -> Any:
        other = _optional_of(kind)
        inner = self._converter.get_unstructure_hook(other)

        def unstructure_optional(value: Any) -> Any:
            return None if value is None else inner(value)

        self._made[unstructure_optional] = _Optional(other, inner)
        return unstructure_optional

    def _unstructure_sequence(self, kind: Any) -> Any:
        item = _item_of(kind)
        hook = iterable_unstructure_factory(kind, self._converter, unstructure_to=list)
        if hook is not list:
            self._made[hook] = _Sequence(item, self._converter.get_unstructure_hook(item))
        return hook

    # -- writers ------------------------------------------------------------------------
    def writer(self, cls: type) -> Callable[[Any], str] | None:
        """Return the generated writer of ``cls``, or None when it takes the reference path."""
        return self._writers[cls]

    def _make_writer(self, cls: type) -> Callable[[Any], str] | None:
        made = _known(self._made, self._converter.get_unstructure_hook(cls))
        fields = _plain_fields(cls) if made == _Nested(cls) else None
        if fields is None:
            return None
        env: dict[str, Any] = {
            **self._names,
            "_quote": quote,
            "_encode": encode,
            "_int_text": int.__repr__,
        }
        lines = [f"def write_{cls.__name__}(value):"]
        parts = []
        for n, field in enumerate(sorted(fields, key=lambda f: f.name)):
            hook = self._converter.get_unstructure_hook(field.type, cache_result=False)
            lines.append(f"    x{n} = value.{field.name}")
            code = self._write_code(hook, field.type, f"x{n}", env, 0)
            keep = self._remembered.get(field.type)
            if keep is not None:
                # The last value kept in this field and its text, one tuple: read and
                # replaced whole, so that a thread never pairs one value with another's text.
                last = _named(env, [(_NOTHING, "")])
                lines += [
                    f"    r{n} = {last}[0]",
                    f"    if r{n}[0] is x{n}:",
                    f"        s{n} = r{n}[1]",
                    "    else:",
                    f"        s{n} = {code}",
                    f"        if {_named(env, keep)}(x{n}):",
                    f"            {last}[0] = (x{n}, s{n})",
                ]
            else:
                lines.append(f"    s{n} = {code}")
            parts.append(f'"{field.name}": {{s{n}}}')
        lines.append(f"    return f'{{{{{', '.join(parts)}}}}}'")
        write: Callable[[Any], str] = _function("write", "to_json", cls, lines, env)
        return write

    def _write_code(self, hook: Any, kind: Any, value: str, env: dict[str, Any], depth: int) -> str:
        """Return an expression writing ``value`` (a name) as the encoder writes
        ``hook(value)``; ``kind`` is the declared type ``hook`` was found for."""
        if hook is identity:
            return _identity_code(kind, value)
        inline: WriteInline | None = _known(self._write_inline, hook)
        if inline is not None:
            return inline(value)
        made = _known(self._made, hook)
        if isinstance(made, _Optional):
            code = self._write_code(made.inner, made.other, value, env, depth)
            return f"('null' if {value} is None else {code})"
        item = f"e{depth}"
        if isinstance(made, _Sequence):
            code = self._write_code(made.inner, made.item, item, env, depth + 1)
            # An empty tuple (a field left at its default) is written without a list.
            return (
                f"('[]' if {value}.__class__ is tuple and not {value} else "
                f"'[' + ', '.join([{code} for {item} in {value}]) + ']')"
            )
        if hook is list:  # a tuple of values the encoder writes as they are
            code = _identity_code(_item_of(kind), item)
            return f"('[' + ', '.join([{code} for {item} in {value}]) + ']')"
        if isinstance(made, _Nested) and made.cls is kind:
            nested = self.writer(kind)
            if nested is not None:
                return f"{_named(env, nested)}({value})"
        return f"_encode({_named(env, hook)}({value}))"

    # -- readers ------------------------------------------------------------------------
    def reader(self, cls: Any) -> Callable[[Any], Any] | None:
        """Return the generated reader of ``cls``, or None when its hook always runs."""
        return self._readers[cls]

    def _make_reader(self, cls: Any) -> Callable[[Any], Any] | None:
        if not _is_plain_attrs(cls):
            return None
        made = _known(self._made_structure, self._converter.get_structure_hook(cls))
        fields = _plain_fields(cls) if made is cls else None
        if fields is None:
            return None
        env: dict[str, Any] = {**self._names, "_Unusual": Unusual, "_cls": cls}
        lines = [
            f"def read_{cls.__name__}(data):",
            f"    if data.__class__ is not dict or len(data) != {len(fields)}:",
            "        raise _Unusual",
        ]
        for n, field in enumerate(fields):
            hook = self._converter.get_structure_hook(field.type, cache_result=False)
            if hook is raise_error:
                return None
            lines += self._read_code(hook, field.type, f"x{n}", f"data[{field.name!r}]", env)
        by_position = _by_position(cls, fields)
        arguments = ", ".join(
            f"x{n}" if by_position[n] else f"{field.alias}=x{n}" for n, field in enumerate(fields)
        )
        lines.append(f"    return _cls({arguments})")
        read: Callable[[Any], Any] = _function("read", "reader", cls, lines, env)
        return read

    def _read_code(
        self, hook: Any, kind: Any, target: str, source: str, env: dict[str, Any]
    ) -> list[str]:
        """Return lines setting ``target`` to ``hook(source, kind)`` or raising."""
        if hook is _call:
            return _call_code(kind, target, source, env)
        inline: ReadInline | None = _known(self._read_inline, hook)
        if inline is not None:
            body = inline(target, lambda value: _named(env, value))
            return [f"    {target} = {source}", *(f"    {line}" for line in body)]
        if _known(self._made_structure, hook) is kind:
            nested = self.reader(kind)
            if nested is not None:
                return [f"    {target} = {_named(env, nested)}({source})"]
        other = _optional_of(kind)
        if other is not None and self._is_generic_optional(hook):
            return self._structure_or_none(other, target, source, env)
        return [f"    {target} = {_named(env, hook)}({source}, {_named(env, kind)})"]

    def _is_generic_optional(self, hook: Any) -> bool:
        """Whether ``hook`` is the converter's own hook of every ``X | None``: a method of
        the converter, the one it answers for an optional type no hook is registered for
        (``_Unhooked | None``). A hook a host registers for an optional type is neither."""
        generic = self._converter.get_structure_hook(_Unhooked | None, cache_result=False)
        return getattr(hook, "__self__", None) is self._converter and bool(hook == generic)

    def _structure_or_none(
        self, other: Any, target: str, source: str, env: dict[str, Any]
    ) -> list[str]:
        """Lines doing what the converter's hook of ``other | None`` does: ``None`` stays
        ``None``, any other value is read as the hook of ``other`` reads it (inline, where
        that hook is one read inline)."""
        inner = self._converter.get_structure_hook(other, cache_result=False)
        # Read from the name itself: the inner code's "target = target" is left out.
        body = self._read_code(inner, other, target, target, env)
        return [
            f"    {target} = {source}",
            f"    if {target} is not None:",
            *(f"    {line}" for line in body if line.strip() != f"{target} = {target}"),
        ]
