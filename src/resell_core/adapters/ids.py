"""Identifiers: sequential ones for tests and demos, random ones for production.

Example:
    >>> ids = SequentialIds()
    >>> ids.new("account"), ids.new("account"), ids.new("invoice")
    ('account-000001', 'account-000002', 'invoice-000001')
"""

from __future__ import annotations

import uuid

__all__ = ["SequentialIds", "UuidIds"]


class SequentialIds:
    """Ids numbered per kind, zero-padded so that text order is creation order.

    Args:
        width: Digits of the number (more are used when a kind outgrows them).
    """

    def __init__(self, width: int = 6) -> None:
        self._width = width
        self._counters: dict[str, int] = {}

    def new(self, kind: str) -> str:
        """Return the next id of ``kind`` (``"account-000001"``, ``"account-000002"``…)."""
        number = self._counters.get(kind, 0) + 1
        self._counters[kind] = number
        return f"{kind}-{number:0{self._width}d}"


class UuidIds:
    """Random ids (UUID4): unique across processes and machines without coordination."""

    def new(self, kind: str) -> str:
        """Return a new random id of ``kind`` (``"account-3f2b…"``)."""
        return f"{kind}-{uuid.uuid4().hex}"
