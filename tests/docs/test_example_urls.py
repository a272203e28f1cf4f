"""Example database URLs in the docs and messages name a database of their own, never
`test`, the database CI runs on (.ci/run), so that a copied example touches neither."""

from __future__ import annotations

import re
from pathlib import Path

from resell_core.adapters.sql.testing import skip_reason

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"postgresql(?:\+psycopg)?://[^\s`'\")]+")
CI_DATABASE = "test"


def _texts() -> list[Path]:
    return [
        ROOT / "README.md",
        ROOT / "benchmarks" / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "src").rglob("*.py")),
    ]


def test_example_postgresql_urls_name_a_database_of_their_own() -> None:
    """No PostgreSQL URL in README, benchmarks/README.md, docs/ or src/ names the CI one."""
    urls = [
        (str(path.relative_to(ROOT)), url)
        for path in _texts()
        for url in URL.findall(path.read_text(encoding="utf-8"))
    ]

    on_ci = [
        (where, url) for where, url in urls if url.rstrip(".,;").rsplit("/", 1)[-1] == CI_DATABASE
    ]

    assert any(where == "README.md" for where, _url in urls), "README.md shows no URL"
    assert on_ci == []


def test_the_postgresql_skip_message_suggests_a_database_of_its_own() -> None:
    """The message of skipped PostgreSQL tests shows a development database's URL."""
    message = skip_reason()

    assert "postgresql+psycopg://postgres@127.0.0.1:5432/resell_core_dev" in message
    assert not re.search(rf"/{CI_DATABASE}\b", message)
