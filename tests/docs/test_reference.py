"""docs/reference.md lists every public name with its summary, and is kept current.

Regenerate it with ``python tests/docs/test_reference.py --write``.
"""

from __future__ import annotations

import inspect
import sys
from collections import defaultdict
from pathlib import Path

import resell_core

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"

HEADER = """# Reference: every public name

Everything below is importable from `resell_core` (`import resell_core as rc`). Each
entry gives the module that defines it and the first line of its documentation; the
other pages explain how the pieces work together. This page is generated from the
docstrings (`python tests/docs/test_reference.py --write`) and a test fails when it is
out of date.
"""


def _home(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and module.startswith("resell_core"):
        return module
    return "resell_core"


def _summary(obj: object) -> str:
    doc = inspect.getdoc(obj) if callable(obj) or inspect.isclass(obj) else None
    if not doc:
        return ""
    return doc.strip().splitlines()[0]


def render() -> str:
    """Build the reference page from the package's ``__all__``."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in resell_core.__all__:
        obj = getattr(resell_core, name)
        home = _home(obj) if (inspect.isclass(obj) or callable(obj)) else "constants"
        summary = _summary(obj) or f"`{type(obj).__name__}` constant"
        groups[home].append(f"- `{name}`: {summary}")
    lines = [HEADER]
    for home in sorted(groups):
        lines.append(f"\n## `{home}`\n")
        lines.extend(sorted(groups[home], key=str.lower))
    return "\n".join(lines) + "\n"


def test_every_public_class_and_function_has_a_docstring() -> None:
    """No public class or function is left without a summary line."""
    bare = [
        name
        for name in resell_core.__all__
        if (inspect.isclass(getattr(resell_core, name)) or callable(getattr(resell_core, name)))
        and not _summary(getattr(resell_core, name))
    ]
    assert bare == []


def test_reference_page_is_current() -> None:
    """docs/reference.md is what the docstrings say now."""
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        "docs/reference.md is out of date: run python tests/docs/test_reference.py --write"
    )


if __name__ == "__main__":
    if "--write" in sys.argv:
        REFERENCE.write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())
