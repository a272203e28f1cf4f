"""The examples in docs/ and in the library's docstrings run as tests."""

from __future__ import annotations

import datetime
import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import resell_core

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _pages() -> list[Path]:
    return [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_docs_page_examples_run(page: Path) -> None:
    """Every ```python block of README.md and docs/ runs, in order, one namespace per page."""
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(FENCE.findall(page.read_text(encoding="utf-8")), 1):
        code = compile(block, f"{page.name} (block {number})", "exec")
        exec(code, namespace)


def _modules() -> list[str]:
    names = [resell_core.__name__]
    for info in pkgutil.walk_packages(resell_core.__path__, prefix="resell_core."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str) -> None:
    """The examples in a module's docstrings give the output they show."""
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {**vars(resell_core), "date": datetime.date, **vars(module)}
    for test in finder.find(module, name, globs=globs):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) failed in {name}"
