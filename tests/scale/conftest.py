"""Fixtures of the scale tests: a private PostgreSQL schema, dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason


@pytest.fixture
def scratch() -> Iterator[ScratchSchema]:
    """A PostgreSQL schema of its own, dropped afterwards (skips unless enabled)."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    schema = ScratchSchema(url)
    try:
        yield schema
    finally:
        schema.drop()
