"""The JSON codec and the compiled statements use their libraries' public names only.

cattrs and SQLAlchemy keep their private names (a leading underscore, or a module they do
not document such as ``sqlalchemy.sql.crud``) free to change in any release. The package
names none of them, so that a new release within the tested range (pyproject.toml) can
break nothing through them.
"""

from __future__ import annotations

import ast
import enum
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pytest

from resell_core import serialization

SRC = Path(__file__).resolve().parents[3] / "src" / "resell_core"
LIBRARIES = ("cattrs", "sqlalchemy")
UNDOCUMENTED_MODULES = ("sqlalchemy.sql.crud",)
PRIVATE_ATTRIBUTES = (
    "_structure_call",
    "_structure_optional",
    "_structure_tuple",
    "_prefer_attrib_converters",
    "_bind_processors",
    "__defaults__",
)
"""Private names the package once read; any other ``_name`` of a library object shows in
the import check or in review."""


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in SRC.rglob("*.py")]


def _private_imports(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [alias.name for alias in node.names]
            module = node.module
        elif isinstance(node, ast.Import):
            names, module = [], ""
            for alias in node.names:
                names.append(alias.name)
        else:
            continue
        for name in [module, *(f"{module}.{n}" if module else n for n in names)]:
            parts = name.split(".")
            if parts[0] not in LIBRARIES:
                continue
            if any(p.startswith("_") for p in parts) or name.startswith(UNDOCUMENTED_MODULES):
                found.append(name)
    return found


def test_no_module_imports_a_private_name_of_cattrs_or_sqlalchemy() -> None:
    """No import names a private module or name of cattrs or SQLAlchemy."""
    found = {str(path.relative_to(SRC)): _private_imports(tree) for path, tree in _trees()}

    assert {path: names for path, names in found.items() if names} == {}


def test_no_module_reads_the_private_attributes_it_once_read() -> None:
    """No code reads a converter's private hooks or settings, a compiled statement's
    private processors, or a function's defaults."""
    found = [
        f"{path.relative_to(SRC)}:{node.lineno} .{node.attr}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES
    ] + [
        f"{path.relative_to(SRC)}:{node.lineno} {node.value!r}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in PRIVATE_ATTRIBUTES
    ]

    assert found == []


def _requirement(name: str) -> str:
    pyproject = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["sql"]]
    (found,) = (r for r in requirements if r.lower().startswith(name.lower()))
    return str(found)


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


@pytest.mark.parametrize("name", ["cattrs", "SQLAlchemy"])
def test_cattrs_and_sqlalchemy_are_pinned_to_a_range_holding_the_installed_version(
    name: str,
) -> None:
    """Each has a lower and an upper bound, and the version installed lies within them."""
    requirement = _requirement(name)
    assert ">=" in requirement, requirement
    assert ",<" in requirement, requirement
    lower = requirement.split(">=")[1].split(",")[0]
    upper = requirement.split(",<")[1]
    installed = version(name)

    assert _release(lower) <= _release(installed) < _release(upper), (
        f"{name} {installed} is outside the tested range {requirement!r} of pyproject.toml"
    )


class _Colour(enum.StrEnum):
    TEAL = "teal"


class _Size(enum.IntEnum):
    ONE = 1


@attrs.frozen
class _Lid:
    label: str


@attrs.frozen
class _Box:
    lid: _Lid | None
    label: str
    size: int
    open: bool
    colour: _Colour | None
    sizes: tuple[_Size, ...]


_PLAIN = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
"""cattrs' own converter with the library's settings: the hooks the codec makes give what
its hooks give."""


def _outcome(call: Any, *args: object) -> tuple[Any, ...]:
    try:
        return ("value", call(*args))
    except cattrs.ClassValidationError as exc:
        return ("error", type(exc), str(exc), cattrs.transform_error(exc))
    except Exception as exc:
        return ("error", type(exc), str(exc))


@pytest.mark.parametrize(
    "data",
    [
        {
            "lid": {"label": "x"},
            "label": "a",
            "size": 1,
            "open": True,
            "colour": "teal",
            "sizes": [1],
        },
        {"lid": None, "label": 5, "size": "7", "open": 0, "colour": None, "sizes": []},
        {"lid": {}, "label": "a", "size": "seven", "open": True, "colour": "red", "sizes": [2]},
        {"lid": None, "label": "a", "size": 1, "open": 1, "colour": None, "sizes": [], "x": 1},
        {"label": "a"},
    ],
)
def test_the_codecs_hooks_give_what_cattrs_own_hooks_give(data: dict[str, Any]) -> None:
    """Strings, integers, booleans, enums, optional values, tuples and attrs classes are
    read and written as by a converter with cattrs' own hooks."""
    mine = _outcome(serialization.converter.structure, data, _Box)

    assert mine == _outcome(_PLAIN.structure, data, _Box)
    if mine[0] == "value":
        box = mine[1]
        assert serialization.converter.unstructure(box) == _PLAIN.unstructure(box)
