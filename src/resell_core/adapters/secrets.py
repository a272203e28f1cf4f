"""Random bytes: the operating system's, or a seeded, repeatable stream for tests and demos.

Example:
    >>> SeededSecrets(7).token_bytes(4) == SeededSecrets(7).token_bytes(4)
    True
"""

from __future__ import annotations

import random
import secrets

from resell_core.errors import InvalidInput

__all__ = ["OsSecrets", "SeededSecrets"]


def _count(n: int) -> int:
    if n < 0:
        raise InvalidInput.one("random bytes", "n", f"{n} is negative; ask for 0 or more bytes")
    return n


class OsSecrets:
    """Cryptographically strong bytes from the operating system (:mod:`secrets`)."""

    def token_bytes(self, n: int) -> bytes:
        """Return ``n`` random bytes."""
        return secrets.token_bytes(_count(n))


class SeededSecrets:
    """A repeatable stream of bytes from a seed.

    Predictable by design, so that a test or a demo prints the same passwords every run:
    never use it to protect real accounts.
    """

    def __init__(self, seed: int = 0) -> None:
        # Not for security: the point is that the same seed gives the same bytes.
        self._random = random.Random(seed)

    def token_bytes(self, n: int) -> bytes:
        """Return the next ``n`` bytes of the stream."""
        return self._random.randbytes(_count(n))
