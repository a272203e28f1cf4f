"""A griffe extension for the docs site (mkdocs.yml loads it by path): two things the
library's source says that griffe's static reading does not see.

1. The constructor of an attrs class. attrs writes ``__init__`` when the class is made,
   so the source has none and griffe would show the class without a signature (and warn
   on its ``Args:``). This adds one, read from ``attrs.fields`` of the imported class:
   each field's name as ``__init__`` takes it, keyword-only or not, its default, and the
   annotation the source gives it (the converter's, when the field converts).
2. Doctest examples and Sphinx roles. The docstrings show examples as ``>>>`` lines,
   which Markdown would read as nested quotes; each run of them (to the next blank line)
   becomes a ``pycon`` code block; a role such as ``:class:`Money``` becomes code.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
from typing import Any

import attrs
import griffe

_PROMPT = re.compile(r"^(\s*)>>> ")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")


def fence_doctests(text: str) -> str:
    """Wrap each run of doctest lines (a ``>>>`` line to the next blank line) in a fence.

    A run under a section header (``Example:``) keeps its indentation, which griffe
    removes with the section's; any other run is set at its paragraph's indentation.
    """
    out: list[str] = []
    lines = text.split("\n")
    fenced = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            fenced = not fenced
        prompt = None if fenced else _PROMPT.match(line)
        if prompt is None:
            out.append(line)
            index += 1
            continue
        before = next((kept for kept in reversed(out) if kept.strip()), "")
        under_header = before.rstrip().endswith(":") and _indent(before) < len(prompt.group(1))
        indent = prompt.group(1)
        if not under_header:
            indent = indent[: _indent(before)]
        if out and out[-1].strip() and not under_header:
            out.append("")  # a fence after a paragraph needs a blank line
        out.append(f"{indent}```pycon")
        while index < len(lines) and lines[index].strip():
            out.append(indent + lines[index][len(prompt.group(1)) :])
            index += 1
        out.append(f"{indent}```")
    return "\n".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def plain_roles(text: str) -> str:
    """Write Sphinx roles (``:class:`~resell_core.Money```) as code: `Money`."""

    def code(match: re.Match[str]) -> str:
        target = match.group(2)
        return f"`{target.rpartition('.')[2] if match.group(1) else target}`"

    return _ROLE.sub(code, text)


def _runtime(cls: griffe.Class) -> Any:
    module = importlib.import_module(cls.module.path)
    found: Any = module
    for part in cls.path.removeprefix(cls.module.path + ".").split("."):
        found = getattr(found, part)
    return found


def _default(field: attrs.Attribute[Any]) -> str | None:
    default = field.default
    if default is attrs.NOTHING:
        return None
    factory = getattr(default, "factory", None)  # an attrs.Factory
    if factory is not None:
        return f"{getattr(factory, '__name__', 'factory')}()"
    if isinstance(default, enum.Enum):
        return f"{type(default).__name__}.{default.name}"
    return repr(default)


def _init(cls: griffe.Class, runtime: type) -> griffe.Function:
    signature = inspect.signature(runtime)
    parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
    for field in attrs.fields(runtime):
        if not field.init:
            continue
        name = field.alias or field.name
        member = cls.all_members.get(field.name)
        annotation: Any = getattr(member, "annotation", None)
        if field.converter is not None or annotation is None:
            annotation = signature.parameters[name].annotation
            annotation = None if annotation is inspect.Parameter.empty else str(annotation)
        kind = (
            griffe.ParameterKind.keyword_only
            if field.kw_only
            else griffe.ParameterKind.positional_or_keyword
        )
        parameters.append(
            griffe.Parameter(name, annotation=annotation, kind=kind, default=_default(field))
        )
    init = griffe.Function(
        "__init__",
        parameters=griffe.Parameters(*parameters),
        returns="None",
        lineno=cls.lineno,
        endlineno=cls.lineno,
    )
    init.parent = cls
    return init


class ResellDocs(griffe.Extension):
    """Adds attrs constructors and fences doctest examples, once the package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk every module and class of the package."""
        self._walk(pkg)

    def _walk(self, obj: griffe.Object) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(plain_roles(obj.docstring.value))
        for member in obj.members.values():
            if not isinstance(member, griffe.Object):  # an alias: documented where it is defined
                continue
            if isinstance(member, griffe.Class):
                self._attrs_init(member)
            self._walk(member)

    def _attrs_init(self, cls: griffe.Class) -> None:
        if "__init__" in cls.members:
            return
        try:
            runtime = _runtime(cls)
        except (ImportError, AttributeError):
            return
        if isinstance(runtime, type) and attrs.has(runtime):
            cls.set_member("__init__", _init(cls, runtime))
