"""Login credentials of a resold account (A12, S3): generated once, stored only hashed.

Randomness comes in as bytes from the caller's Secrets port; nothing here draws any.
The password is handed out once, in :class:`IssuedCredentials` (its repr never shows it),
and stored only as a salted scrypt hash at OWASP's cost (N=2**17, r=8, p=1), in a string
that names the algorithm and its parameters (S7).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import attrs

from resell_core.errors import FieldProblem, InvalidInput
from resell_core.lifecycle.text import text_problem

__all__ = [
    "ACCOUNT_USERS",
    "ADMIN_USERNAME",
    "IssuedCredentials",
    "PasswordCheck",
    "PasswordHash",
    "ScryptPolicy",
    "generate_password",
    "hash_password",
    "issue_credentials",
    "verify_password",
    "verify_unknown",
]

ADMIN_USERNAME = "admin"
"""Every resold account's first user (S4)."""

ACCOUNT_USERS = (ADMIN_USERNAME,)
"""The users every resold account has: a sign-on ticket names one of them (S8)."""

_MIN_RANDOM_BYTES = 16
_MIN_PASSWORD = 10
_MAX_PASSWORD = 1024
"""The longest password hashed: a longer one is refused before any work is done on it."""
_HIDDEN = "'***'"
_UNKNOWN_SALT = b"no account has this name"


@attrs.frozen
class ScryptPolicy:
    """scrypt cost parameters: OWASP's by default (S7), :meth:`fast` for tests.

    The default needs 128 MiB of memory a hash (128 * r * n bytes) for about a tenth of
    a second of CPU time.

    Attributes:
        n: CPU/memory cost (a power of two).
        r: Block size.
        p: Parallelism.
        dklen: Length of the derived key in bytes.
    """

    n: int = 2**17
    r: int = 8
    p: int = 1
    dklen: int = 32

    @classmethod
    def fast(cls) -> ScryptPolicy:
        """Cheap parameters for tests and notebooks (never for real passwords)."""
        return cls(n=2**4, r=1, p=1)

    def stronger_than(self, stored: PasswordHash) -> bool:
        """Tell whether hashing again with this policy makes ``stored`` harder to crack:
        more work (n * r * p) or a longer digest."""
        return self.n * self.r * self.p > stored.n * stored.r * stored.p or self.dklen > len(
            stored.digest
        )


@attrs.frozen
class PasswordHash:
    """A salted scrypt hash and the parameters that made it; the only stored form.

    Example:
        >>> stored = hash_password("north-bakery-2024", salt=bytes(16), policy=ScryptPolicy.fast())
        >>> stored.encoded.split("$")[:2]
        ['scrypt', 'n=16,r=1,p=1']
    """

    salt: bytes = attrs.field(repr=False)
    digest: bytes = attrs.field(repr=False)
    n: int
    r: int
    p: int

    @property
    def encoded(self) -> str:
        """The hash as one self-describing string (S7):
        ``scrypt$n=131072,r=8,p=1$<salt>$<digest>`` (salt and digest in base64)."""
        salt = base64.b64encode(self.salt).decode()
        digest = base64.b64encode(self.digest).decode()
        return f"scrypt$n={self.n},r={self.r},p={self.p}${salt}${digest}"

    @classmethod
    def decode(cls, encoded: str) -> PasswordHash:
        """Read a hash written by :attr:`encoded`, or in the first releases' form
        ``scrypt$n$r$p$salt$digest``.

        Raises:
            InvalidInput: When the text is not such a hash.
        """
        parts = encoded.split("$")
        try:
            if parts[0] != "scrypt" or len(parts) not in (4, 6):
                raise ValueError(encoded)
            if len(parts) == 4:
                named = dict(item.split("=", 1) for item in parts[1].split(","))
                if sorted(named) != ["n", "p", "r"]:
                    raise ValueError(encoded)
                costs = [named["n"], named["r"], named["p"]]
            else:
                costs = parts[1:4]
            n, r, p = (int(cost) for cost in costs)
            return cls(
                base64.b64decode(parts[-2], validate=True),
                base64.b64decode(parts[-1], validate=True),
                n,
                r,
                p,
            )
        except ValueError:
            raise InvalidInput.one(
                "password hash", "encoded", "not a scrypt$n=N,r=R,p=P$salt$digest hash"
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
        InvalidInput: When the password is shorter than 10 characters or longer than 1024,
            holds a character that cannot be stored (lone surrogates, controls, bidi
            controls), or the salt is shorter than 16 bytes.
    """
    problems: list[FieldProblem] = []
    if len(password) < _MIN_PASSWORD:
        problems.append(FieldProblem("password", f"use at least {_MIN_PASSWORD} characters"))
    elif len(password) > _MAX_PASSWORD:
        problems.append(FieldProblem("password", f"use at most {_MAX_PASSWORD} characters"))
    elif (problem := text_problem(password)) is not None:
        problems.append(FieldProblem("password", problem))
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
        parameters (they are stronger than the stored hash's, S7).
    """
    digest = _derive(password, stored.salt, stored.n, stored.r, stored.p, dklen=len(stored.digest))
    ok = hmac.compare_digest(digest, stored.digest)
    return PasswordCheck(ok, ok and policy.stronger_than(stored))


def verify_unknown(password: str, policy: ScryptPolicy) -> PasswordCheck:
    """Do the work of :func:`verify_password` for a login whose account does not exist.

    The password is hashed at the policy's cost, as a fresh hash of a real account is, so
    that the time of the answer does not tell which names are accounts (S7).

    Returns:
        A check that never matches.
    """
    _derive(password, _UNKNOWN_SALT, policy.n, policy.r, policy.p, dklen=policy.dklen)
    return PasswordCheck(ok=False, needs_rehash=False)


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
