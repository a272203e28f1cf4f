"""The domain builds its values plainly: no generated code, no construction around ``__init__``.

The rules (``pricing``, ``lifecycle``, ``billing``, ``money``, ``periods``, ``audit``) make
their values with the classes' own ``__init__`` and ``attrs.evolve``. Generated code and
unchecked construction live at the edge, in ``resell_core._construct`` (which the domain
may not import: an import contract keeps that). This test reads every domain module and
refuses what would bring them back: ``exec``/``eval``/``compile`` calls, ``object.__new__``,
``object.__setattr__`` and descriptor writes (``Cls.__dict__[name].__set__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import resell_core

PACKAGE = Path(resell_core.__file__).parent
DOMAIN = sorted(
    [
        *(
            path
            for name in ("pricing", "lifecycle", "billing")
            for path in (PACKAGE / name).rglob("*.py")
        ),
        *(PACKAGE / name for name in ("money.py", "periods.py", "audit.py")),
    ]
)
"""Every module of the domain."""

_CODE_BUILTINS = {"exec", "eval", "compile"}
_AROUND_INIT = {"__new__", "__setattr__"}


def speed_code(tree: ast.AST) -> list[str]:
    """Return what ``tree`` holds that builds values around ``__init__``, one text a use."""
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                # builtins.exec(...), but not re.compile(...)
                name = func.attr if func.value.id == "builtins" else None
            if name in _CODE_BUILTINS:
                found.append(f"line {line}: {name}() call")
        elif isinstance(node, ast.Attribute):
            if (
                node.attr in _AROUND_INIT
                and isinstance(node.value, ast.Name)
                and node.value.id == "object"
            ):
                found.append(f"line {line}: object.{node.attr}")
            elif node.attr == "__set__":
                found.append(f"line {line}: descriptor __set__ ({ast.unparse(node.value)})")
    return found


def test_the_walk_reads_the_whole_domain() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in DOMAIN}
    assert {"money.py", "periods.py", "audit.py", "billing/invoices.py"} <= names
    assert {"lifecycle/terms.py", "lifecycle/account_query.py", "pricing/__init__.py"} <= names


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_a_domain_module_has_no_speed_code(path: Path) -> None:
    assert speed_code(ast.parse(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    "source",
    [
        "exec('x = 1')",
        "eval('1')",
        "code = compile('1', '<x>', 'eval')",
        "import builtins\nbuiltins.exec('x = 1')",
        "_new = object.__new__",
        "p = object.__new__(Period)",
        "object.__setattr__(self, 'name', name)",
        "_set = Money.__dict__['amount'].__set__",
        "vars(Money)['amount'].__set__(money, 1)",
    ],
)
def test_each_kind_of_speed_code_is_found(source: str) -> None:
    assert speed_code(ast.parse(source)) != []


@pytest.mark.parametrize(
    "source",
    [
        "import re\n_LINE = re.compile('[a-z]')",
        "period = Period(start, end)",
        "changed = attrs.evolve(account, next_period=1)",
        "class A:\n    def __new__(cls):\n        return super().__new__(cls)",
    ],
)
def test_plain_code_is_not_found(source: str) -> None:
    assert speed_code(ast.parse(source)) == []
