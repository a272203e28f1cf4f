"""Login credentials of a resold account (A12, S3): generated once, stored only hashed.

Randomness comes in as bytes from the caller's Secrets port; nothing here draws any.
The password is handed out once, in :class:`IssuedCredentials` (its repr never shows it),
and stored only as a salted scrypt hash with the parameters that made it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import attrs

from resell_core.errors import FieldProblem, InvalidInput

__all__ = [
    "ADMIN_USERNAME",
    "IssuedCredentials",
    "PasswordCheck",
    "PasswordHash",
    "ScryptPolicy",
    "generate_password",
    "hash_password",
    "issue_credentials",
    "verify_password",
]

ADMIN_USERNAME = "admin"
"""Every resold account's first user (S4)."""

_MIN_RANDOM_BYTES = 16
_MIN_PASSWORD = 10
_HIDDEN = "'***'"


@attrs.frozen
class ScryptPolicy:
    """scrypt cost parameters: strong by default, :meth:`fast` for tests.

    Attributes:
        n: CPU/memory cost (a power of two).
        r: Block size.
        p: Parallelism.
        dklen: Length of the derived key in bytes.
    """

    n: int = 2**15
    r: int = 8
    p: int = 1
    dklen: int = 32

    @classmethod
    def fast(cls) -> ScryptPolicy:
        """Cheap parameters for tests and notebooks (never for real passwords)."""
        return cls(n=2**4, r=1, p=1)


@attrs.frozen
class PasswordHash:
    """A salted scrypt hash and the parameters that made it; the only stored form."""

    salt: bytes = attrs.field(repr=False)
    digest: bytes = attrs.field(repr=False)
    n: int
    r: int
    p: int

    @property
    def encoded(self) -> str:
        """The hash as one string: ``scrypt$n$r$p$salt$digest`` (base64)."""
        salt = base64.b64encode(self.salt).decode()
        digest = base64.b64encode(self.digest).decode()
        return f"scrypt${self.n}${self.r}${self.p}${salt}${digest}"

    @classmethod
    def decode(cls, encoded: str) -> PasswordHash:
        """Read a hash written by :attr:`encoded`.

        Raises:
            InvalidInput: When the text is not such a hash.
        """
        parts = encoded.split("$")
        try:
            if len(parts) != 6 or parts[0] != "scrypt":
                raise ValueError(encoded)
            return cls(
                base64.b64decode(parts[4], validate=True),
                base64.b64decode(parts[5], validate=True),
                int(parts[1]),
                int(parts[2]),
                int(parts[3]),
            )
        except ValueError:
            raise InvalidInput.one(
                "password hash", "encoded", "not a scrypt$n$r$p$salt$digest hash"
            ) from None


@attrs.frozen
class PasswordCheck:
    """The answer of :func:`verify_password`; re-hash when ``needs_rehash`` (and ``ok``)."""

    ok: bool
    needs_rehash: bool


@attrs.frozen
class IssuedCredentials:
    """Login info handed to the agency once (A12); never stored, never shown again.

    Example:
        >>> issued = issue_credentials(bytes(range(16)), salt=bytes(16), policy=ScryptPolicy.fast())
        >>> "password='***'" in repr(issued)
        True
    """

    username: str
    password: str = attrs.field(repr=lambda _: _HIDDEN)
    password_hash: PasswordHash


def _derive(password: str, salt: bytes, n: int, r: int, p: int, *, dklen: int) -> bytes:
    # scrypt needs about 128 * r * n bytes; the default limit (32 MiB) refuses strong costs.
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=256 * r * n + 2**20
    )


def hash_password(password: str, *, salt: bytes, policy: ScryptPolicy) -> PasswordHash:
    """Hash a password with a fresh salt (from the caller's Secrets port).

    Raises:
        InvalidInput: When the password is shorter than 10 characters or the salt than 16 bytes.
    """
    problems: list[FieldProblem] = []
    if len(password) < _MIN_PASSWORD:
        problems.append(FieldProblem("password", f"use at least {_MIN_PASSWORD} characters"))
    if len(salt) < _MIN_RANDOM_BYTES:
        problems.append(FieldProblem("salt", f"give at least {_MIN_RANDOM_BYTES} random bytes"))
    if problems:
        raise InvalidInput("password", problems)
    digest = _derive(password, salt, policy.n, policy.r, policy.p, dklen=policy.dklen)
    return PasswordHash(salt, digest, policy.n, policy.r, policy.p)


def verify_password(password: str, stored: PasswordHash, policy: ScryptPolicy) -> PasswordCheck:
    """Check ``password`` against ``stored`` in constant time.

    Returns:
        Whether it matches, and whether the hash should be made again with ``policy``'s
        parameters (they changed since it was stored).
    """
    digest = _derive(password, stored.salt, stored.n, stored.r, stored.p, dklen=len(stored.digest))
    ok = hmac.compare_digest(digest, stored.digest)
    outdated = (stored.n, stored.r, stored.p, len(stored.digest)) != (
        policy.n,
        policy.r,
        policy.p,
        policy.dklen,
    )
    return PasswordCheck(ok, ok and outdated)


def generate_password(random_bytes: bytes) -> str:
    """Turn at least 16 random bytes into a password (URL-safe letters, digits, ``-`` ``_``)."""
    if len(random_bytes) < _MIN_RANDOM_BYTES:
        raise InvalidInput.one(
            "password", "random_bytes", f"give at least {_MIN_RANDOM_BYTES} random bytes"
        )
    return base64.urlsafe_b64encode(random_bytes).decode().rstrip("=")


def issue_credentials(
    random_bytes: bytes, *, salt: bytes, policy: ScryptPolicy
) -> IssuedCredentials:
    """Generate the ``admin`` login of a new account and its stored hash (A12, S3).

    Args:
        random_bytes: At least 16 bytes from the caller's Secrets port.
        salt: At least 16 other random bytes for the hash.
        policy: scrypt cost parameters.
    """
    password = generate_password(random_bytes)
    return IssuedCredentials(
        ADMIN_USERNAME, password, hash_password(password, salt=salt, policy=policy)
    )
