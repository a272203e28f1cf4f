"""docs/reference.md lists every public name with its summary, and is kept current.

Regenerate it with ``python tests/docs/test_reference.py --write``.
"""

from __future__ import annotations

import inspect
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import resell_core
from resell_core import adapters, billing, lifecycle, pricing, service

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"

DOMAIN = (pricing, lifecycle, billing, service, adapters)
"""The subpackages whose ``__all__`` the page lists beside the top level."""

FUNCTIONS = frozenset(
    {
        "catalog_problems",
        "format_date",
        "format_money",
        "nth_period",
        "operators_for",
        "period_containing",
        "prorate",
        "proration_fraction",
        "quoted",
    }
)
"""The functions at the top level: the foundation's, and those a host calls to build a
portal input. Any other function is a domain step and lives in its subpackage."""

HEADER = """# Reference: every public name

Everything in the first part is importable from `resell_core` (`import resell_core as
rc`); the second part lists the names each subpackage adds. Each entry gives the module
that defines it and the first line of its documentation; the other pages explain how the
pieces work together. This page is generated from the docstrings
(`python tests/docs/test_reference.py --write`) and a test fails when it is out of date.

## What is at the top level

`resell_core` exports what a host or an analyst handles while using the portal:

1. the portal, its handle on one agency and its wiring: `PartnerPortal`, `AgencyPortal`
   (`portal.for_agency(agency_id)`), `Policies` and every policy it holds, `AgencyApi`;
2. the ports a host implements (the eight that `PartnerPortal(...)` takes) with the values
   they carry (charges, payouts, notices, provisioning reports), and the bundled adapters
   a host plugs in (the SQL one is `resell_core.adapters.sql`, with the `sql` extra);
3. what a portal call takes or returns, with the values and enums found on them (an
   invoice's lines, a statement's status);
4. the parts of a catalog, for a host that brings its own price book;
5. the foundation (`Money`, periods and their arithmetic, formatting), every error, every
   account event and the audit event.

A function is at the top level only when it belongs to the foundation or a host calls it
to build a portal input (`catalog_problems`, `operators_for`). Everything else is a step
of the domain (the transition table and its actions, the decisions of billing, payment,
credits, credentials, resets, sign-on and transfers, the checks and their constants): it
is importable from its subpackage (`resell_core.lifecycle`, `resell_core.billing`,
`resell_core.pricing`), whose sorted `__all__` is listed in the second part, and a host
calls the portal instead.

# Part 1: `resell_core`
"""

DOMAIN_HEADER = """
# Part 2: the subpackages

The names each subpackage exports besides those of the top level.
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


def _entry(name: str, obj: object) -> str:
    return f"- `{name}`: {_summary(obj) or f'`{type(obj).__name__}` constant'}"


def _documented(obj: object) -> bool:
    return inspect.isclass(obj) or callable(obj)


def _top_level() -> list[str]:
    groups: dict[str, list[str]] = defaultdict(list)
    for name in resell_core.__all__:
        obj = getattr(resell_core, name)
        home = _home(obj) if _documented(obj) else "constants"
        groups[home].append(_entry(name, obj))
    lines: list[str] = []
    for home in sorted(groups):
        lines.append(f"\n## `{home}`\n")
        lines.extend(sorted(groups[home], key=str.lower))
    return lines


def _subpackage(package: ModuleType) -> list[str]:
    top = set(resell_core.__all__)
    names = [n for n in package.__all__ if n not in top]
    lines = [f"\n## `{package.__name__}`\n"]
    lines.extend(_entry(name, getattr(package, name)) for name in names)
    return lines


def render() -> str:
    """Build the reference page from the package's and the subpackages' ``__all__``."""
    lines = [HEADER, *_top_level(), DOMAIN_HEADER]
    for package in DOMAIN:
        lines.extend(_subpackage(package))
    return "\n".join(lines) + "\n"


def test_every_public_class_and_function_has_a_docstring() -> None:
    """No public class or function, of the top level or a subpackage, lacks a summary."""
    bare = [
        f"{package.__name__}.{name}"
        for package in (resell_core, *DOMAIN)
        for name in package.__all__
        if _documented(getattr(package, name)) and not _summary(getattr(package, name))
    ]
    assert bare == []


def test_every_exported_name_is_there() -> None:
    """Every name of every ``__all__`` is an attribute of its package, listed once."""
    for package in (resell_core, *DOMAIN):
        missing = [name for name in package.__all__ if not hasattr(package, name)]
        assert missing == [], package.__name__
        assert len(set(package.__all__)) == len(package.__all__), package.__name__


def test_the_top_level_holds_no_domain_step() -> None:
    """The only functions at the top level are the foundation's and those a host calls to
    build a portal input; the steps of the domain are in their subpackages."""
    functions = {
        name for name in resell_core.__all__ if inspect.isfunction(getattr(resell_core, name))
    }
    assert functions == FUNCTIONS
    for step, package in [
        ("record_period_billed", lifecycle),
        ("start_term", lifecycle),
        ("RESET_ANSWER", lifecycle),
        ("TRANSITIONS", lifecycle),
        ("apply_charge_result", billing),
        ("charge_key", billing),
        ("prorate_change", pricing),
    ]:
        assert step not in resell_core.__all__
        assert step in package.__all__


def test_every_subpackage_name_of_the_top_level_is_the_same_object() -> None:
    """A name exported by the top level and a subpackage is one object in both."""
    for package in DOMAIN:
        for name in set(package.__all__) & set(resell_core.__all__):
            assert getattr(package, name) is getattr(resell_core, name), name


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
