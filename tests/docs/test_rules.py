"""docs/rules.md defines every rule id once, and every test named after a rule names a
defined one, so that each id in a test's name leads to its rule."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"

DEFINITION = re.compile(r'<a id="([^"]*)"></a>\*\*([A-Z]+[0-9]+)\*\*')
"""A rule's definition: its anchor, then its id in bold (``<a id="s5"></a>**S5**``)."""
ANCHOR = re.compile(r'<a id="([^"]*)"></a>')
TEST_NAME = re.compile(r"\bdef test_((?:[A-Z]+[0-9]+_)+)")
"""The rule ids a test's name starts with: one (S5) or several (S1 and S2)."""
RULES_LINK = re.compile(r"\brules\.md#([A-Za-z0-9_-]+)")


def _definitions() -> list[tuple[str, str]]:
    return DEFINITION.findall(RULES.read_text(encoding="utf-8"))


def _ids_in_test_names() -> dict[str, set[str]]:
    """Map each rule id used in a test's name to the files of those tests (the shipped
    contract suites in src/ included)."""
    found: dict[str, set[str]] = {}
    for folder in (ROOT / "tests", ROOT / "src"):
        for path in sorted(folder.rglob("*.py")):
            for prefix in TEST_NAME.findall(path.read_text(encoding="utf-8")):
                for rule in prefix.rstrip("_").split("_"):
                    found.setdefault(rule, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_rule_id_in_a_test_name_is_defined_in_rules_md() -> None:
    """A test named test_<ID>_... proves a rule that docs/rules.md defines."""
    defined = {rule for _anchor, rule in _definitions()}
    used = _ids_in_test_names()

    undefined = {rule: sorted(files) for rule, files in used.items() if rule not in defined}

    assert used, "no test is named after a rule: the search found nothing"
    assert not undefined, f"define these rule ids in docs/rules.md: {undefined}"


def test_rules_md_defines_each_id_once_under_its_own_anchor() -> None:
    """No id is defined twice, and each definition's anchor is its id in lower case."""
    definitions = _definitions()
    anchors = ANCHOR.findall(RULES.read_text(encoding="utf-8"))

    twice = sorted(rule for rule, n in Counter(r for _a, r in definitions).items() if n > 1)
    shared = sorted(anchor for anchor, n in Counter(anchors).items() if n > 1)
    misnamed = [(anchor, rule) for anchor, rule in definitions if anchor != rule.lower()]

    assert len(definitions) >= 82, "rules.md lost rules: the program has 60, 22 were added"
    assert twice == [], f"rule ids defined more than once: {twice}"
    assert shared == [], f"anchors used more than once: {shared}"
    assert misnamed == [], f"anchors that are not the id in lower case: {misnamed}"


def test_links_into_rules_md_point_at_an_anchor_it_has() -> None:
    """Every ``rules.md#...`` link of README.md and docs/, and every ``#...`` link inside
    rules.md, names an anchor of rules.md."""
    text = RULES.read_text(encoding="utf-8")
    anchors = set(ANCHOR.findall(text))
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

    links = {
        (page.name, target)
        for page in pages
        for target in RULES_LINK.findall(page.read_text(encoding="utf-8"))
    }
    links |= {("rules.md", target) for target in re.findall(r"\]\(#([A-Za-z0-9_-]+)\)", text)}
    broken = sorted((page, target) for page, target in links if target not in anchors)

    assert ("rules.md", "s5") in links, "the search for links found none"
    assert broken == [], f"links to anchors rules.md does not have: {broken}"


def test_the_project_cites_no_file_it_does_not_contain() -> None:
    """No source, test, doc or setting cites the program's design notes or style guide by
    file name: the rule book the project cites is its own docs/rules.md."""
    outside = ("DESIGN" + ".md", "STYLE" + ".md")
    places = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "pyproject.toml"]
    for folder in ("src", "tests", "docs", "benchmarks", "scripts"):
        places += [p for p in sorted((ROOT / folder).rglob("*")) if p.is_file()]
    citing = [
        str(path.relative_to(ROOT))
        for path in places
        if path.suffix in {".py", ".md", ".toml", ".json", ""}
        and any(name in path.read_text(encoding="utf-8", errors="replace") for name in outside)
    ]

    assert citing == []
