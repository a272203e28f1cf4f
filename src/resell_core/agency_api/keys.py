"""API keys of the agency API: which agency a request's key stands for (rule H1).

The mapping from keys to agencies is the host's: :data:`ApiKeys` is any callable from the
key a request presents to the calling agency's id (None for a key it does not know), e.g.
a lookup of the key's hash in the host's own table. :class:`StaticApiKeys` is the one the
library ships, for keys held in configuration: it compares in constant time.
:func:`bearer_key` reads the key from an ``Authorization: Bearer <key>`` header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from hmac import compare_digest

__all__ = ["ApiKeys", "StaticApiKeys", "bearer_key"]

ApiKeys = Callable[[str], str | None]
"""The host's lookup of an API key: the calling agency's id, or None for an unknown key."""


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class StaticApiKeys:
    """API keys held in memory, each standing for one agency (several may share one).

    A lookup compares the presented key's SHA-256 digest with every key's digest, with
    :func:`hmac.compare_digest` and without stopping at a match, so neither the time nor
    the order of the keys tells a caller how close a guess was. The keys themselves are
    not kept, only their digests.

    Args:
        keys: Each API key and the id of the agency it stands for.

    Example:
        >>> keys = StaticApiKeys({"acme-key-1": "ACME-DIGITAL"})
        >>> keys("acme-key-1"), keys("acme-key-2")
        ('ACME-DIGITAL', None)
    """

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._digests = tuple((_digest(key), agency_id) for key, agency_id in keys.items())

    def __call__(self, key: str) -> str | None:
        """Return the id of the agency the key stands for, or None."""
        presented = _digest(key)
        found: str | None = None
        for digest, agency_id in self._digests:
            if compare_digest(digest, presented):
                found = agency_id
        return found


def bearer_key(authorization: str | None) -> str | None:
    """Read the key of an ``Authorization`` header: ``Bearer <key>`` (the scheme's case
    does not matter); None when the header is missing, of another scheme or empty."""
    if authorization is None:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return None
    return key
