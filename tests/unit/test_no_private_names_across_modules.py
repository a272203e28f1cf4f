"""No module of the package reaches into another module's private names.

A name with a leading underscore is its module's own business: importing it, or reading
it off an imported module or another library's object, ties two modules (or this package
and a dependency's internals) together where neither says so. This test reads every
module's source and fails on:

- ``from x import _name`` (any module, ours or a dependency's);
- ``from x._private import ...`` or ``import x._private`` for a module outside
  ``resell_core`` (a dependency's private module);
- ``obj._name`` where ``_name`` is not defined in the module that reads it (a method,
  attribute or slot of one of its own classes, or one of its own functions).

The private modules of this package (``resell_core._construct``) may be imported by
name: the package is their boundary; what they export has no underscore.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import resell_core

SOURCE = Path(resell_core.__file__).parent

TYPING_ONLY = frozenset({"_typeshed"})
"""typeshed's own module of helper types, for use under ``TYPE_CHECKING`` (it documents
itself so); it never exists at run time."""

NAMEDTUPLE_API = frozenset({"_make", "_asdict", "_fields", "_replace", "_field_defaults"})
"""The public methods of :func:`collections.namedtuple` classes, underscored by design."""


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _own_names(tree: ast.Module) -> set[str]:
    """The private attribute names the module defines itself: methods and class-level
    names of its classes, attributes it assigns (``self._x = ...``), slots."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    own.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    own.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    own.update(t.id for t in item.targets if isinstance(t, ast.Name))
                    if any(isinstance(t, ast.Name) and t.id == "__slots__" for t in item.targets):
                        own.update(
                            c.value
                            for c in ast.walk(item.value)
                            if isinstance(c, ast.Constant) and isinstance(c.value, str)
                        )
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
    return own


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    own = _own_names(tree)
    where = path.relative_to(SOURCE.parent)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.extend(
                f"{where}:{node.lineno}: imports private {alias.name} from {module}"
                for alias in node.names
                if _private(alias.name)
            )
            if (
                module not in TYPING_ONLY
                and not module.startswith("resell_core")
                and any(_private(part) for part in module.split("."))
            ):
                found.append(f"{where}:{node.lineno}: imports from private module {module}")
        elif isinstance(node, ast.Import):
            found.extend(
                f"{where}:{node.lineno}: imports private module {alias.name}"
                for alias in node.names
                if not alias.name.startswith("resell_core")
                and any(_private(part) for part in alias.name.split("."))
            )
        elif (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and node.attr not in own
            and node.attr not in NAMEDTUPLE_API
        ):
            found.append(f"{where}:{node.lineno}: reads {ast.unparse(node)}, defined elsewhere")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr", "setattr"}
            and len(node.args) >= 2
            and isinstance(name := node.args[1], ast.Constant)
            and isinstance(name.value, str)
            and _private(name.value)
            and name.value not in own
        ):
            found.append(f"{where}:{node.lineno}: reads {name.value} by name, defined elsewhere")
    return found


MODULES = sorted(SOURCE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_module_reads_no_private_name_of_another(path: Path) -> None:
    assert _problems(path) == []


def test_the_check_catches_each_kind(tmp_path: Path) -> None:
    # The check itself: each kind of reach it names is reported.
    probe = SOURCE / "_probe_for_test.py"
    probe.write_text(
        "import typing\n"
        "from resell_core.money import _ZEROS\n"
        "from cattrs._compat import is_bare\n"
        "import attr._make\n"
        "typing._is_protocol\n"
        "getattr(typing, '_is_protocol')\n"
        "class Own:\n"
        "    def _mine(self):\n"
        "        return self._mine\n",
        encoding="utf-8",
    )
    try:
        problems = _problems(probe)
    finally:
        probe.unlink()
    assert [p.split(": ", 1)[1] for p in problems] == [
        "imports private _ZEROS from resell_core.money",
        "imports from private module cattrs._compat",
        "imports private module attr._make",
        "reads typing._is_protocol, defined elsewhere",
        "reads _is_protocol by name, defined elsewhere",
    ]
