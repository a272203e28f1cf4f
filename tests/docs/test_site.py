"""The docs site (mkdocs.yml) holds every page in its nav, its reference documents every
public name, and its griffe extension renders examples as code. The build itself,
``mkdocs build --strict``, is a step of scripts/check."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

import resell_core
from resell_core import adapters, billing, lifecycle, pricing, service

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CONFIG = ROOT / "mkdocs.yml"
TARGET = re.compile(r"^::: ([\w.]+)\s*$", re.MULTILINE)
NAV_PAGE = re.compile(r"^\s*- (?:[^:\n]+: )?([\w./-]+\.md)\s*$", re.MULTILINE)


def _nav_pages() -> list[str]:
    config = CONFIG.read_text(encoding="utf-8")
    return NAV_PAGE.findall(config[config.index("\nnav:") :])


def test_the_nav_lists_every_page_once_in_its_four_parts() -> None:
    """Every Markdown page of docs/ is in the nav, once, under Tutorial, How-to guides,
    Explanation or Reference (a new page needs its place there)."""
    pages = _nav_pages()
    on_disk = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    config = CONFIG.read_text(encoding="utf-8")

    assert sorted(pages) == on_disk
    assert len(pages) == len(set(pages))
    for part in ("Tutorial", "How-to guides", "Explanation", "Reference"):
        assert f"\n  - {part}:\n" in config, part


def _documented() -> set[int]:
    """The objects the reference pages render: each ``::: target``'s ``__all__``."""
    found: set[int] = set()
    for page in sorted((DOCS / "api").glob("*.md")):
        for target in TARGET.findall(page.read_text(encoding="utf-8")):
            module = importlib.import_module(target)
            found |= {id(getattr(module, name)) for name in getattr(module, "__all__", ())}
    return found


def test_the_reference_documents_every_public_name() -> None:
    """Every name of resell_core's and its subpackages' __all__ is on a docs/api/ page."""
    documented = _documented()
    missing = [
        f"{package.__name__}.{name}"
        for package in (resell_core, pricing, lifecycle, billing, service, adapters)
        for name in package.__all__
        if id(getattr(package, name)) not in documented
    ]
    assert missing == []


def _extension() -> ModuleType:
    pytest.importorskip("griffe", reason="griffe (the docs extra) is not installed")
    spec = importlib.util.spec_from_file_location(
        "griffe_resell", ROOT / "scripts" / "griffe_resell.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doctest_examples_become_code_blocks() -> None:
    """A run of >>> lines is fenced where it stands: under a section header it keeps its
    indentation, elsewhere it takes its paragraph's; fenced code is left alone."""
    fence = _extension().fence_doctests
    under_header = "Money.\n\nExample:\n    >>> Money('1', 'USD')\n    Money('1.00', 'USD')\n"
    in_text = "Say it.\n\n    >>> 1 + 1\n    2\n\nDone."
    fenced = "```python\n>>> 1\n```"

    assert fence(under_header) == (
        "Money.\n\nExample:\n    ```pycon\n    >>> Money('1', 'USD')\n"
        "    Money('1.00', 'USD')\n    ```\n"
    )
    assert fence(in_text) == "Say it.\n\n```pycon\n>>> 1 + 1\n2\n```\n\nDone."
    assert fence("Say it:\n>>> 1\n1") == "Say it:\n\n```pycon\n>>> 1\n1\n```"
    assert fence(fenced) == fenced


def test_sphinx_roles_become_code() -> None:
    """:class:`~a.B` reads as `B`, :func:`a.b` as `a.b`."""
    roles = _extension().plain_roles
    assert roles("See :class:`~resell_core.Money` and :func:`rc.prorate`.") == (
        "See `Money` and `rc.prorate`."
    )
