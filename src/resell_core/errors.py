"""The library's errors: one root, families per concern, a stable code on each.

Every error raised to a caller is a :class:`ResellError`. Its ``code`` is stable and
machine readable (hosts map it to HTTP statuses or API results); its message says what
was wrong and what to do instead. A command that raises changes nothing.

A message is short whatever the input: it quotes a caller's value through :func:`quoted`
(at most :data:`QUOTED_LENGTH` characters of it), lists at most ten problems and thirty
values of a list (a field's allowed values, the accounts a profile pays for); the
error's attributes keep them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs

__all__ = [
    "QUOTED_LENGTH",
    "AccessDenied",
    "AlreadyExists",
    "CatalogError",
    "ConfigurationError",
    "Conflict",
    "CreditNotAllowed",
    "CurrencyMismatch",
    "DuplicateName",
    "FieldProblem",
    "FloatNotAllowed",
    "IdempotencyConflict",
    "InsufficientCredit",
    "InvalidInput",
    "InvalidTransition",
    "MissingExtra",
    "NotFound",
    "PaymentError",
    "PaymentInFlight",
    "ProfileInUse",
    "ResellError",
    "SandboxNotConvertible",
    "SchemaVersionError",
    "StorageUnavailable",
    "VersionConflict",
    "quoted",
]

QUOTED_LENGTH = 60
"""How many characters of a caller's value a message quotes (:func:`quoted`)."""

_LISTED_PROBLEMS = 10
"""How many of its problems an :class:`InvalidInput`'s message lists."""

_LISTED_VALUES = 30
"""How many values a message lists: a field's allowed values, the accounts a profile
pays for."""

_LARGEST_SHOWN_INT = 10**QUOTED_LENGTH


def quoted(value: object) -> str:
    """Return ``repr(value)`` for a message, cut to :data:`QUOTED_LENGTH` characters.

    A longer text is cut and its length said, and an int too large to show is described,
    so a message stays short however large the input (the error keeps the value itself
    where it has an attribute for it).

    Example:
        >>> quoted("acct-1")
        "'acct-1'"
        >>> quoted("a" * 1_000_000)
        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'… (1,000,000 characters)"
        >>> quoted(10**100_000)
        'an int of 332,193 bits'
    """
    if isinstance(value, int) and not -_LARGEST_SHOWN_INT < value < _LARGEST_SHOWN_INT:
        # repr of a huge int takes time quadratic in its digits, and raises past 4,300
        return f"an {type(value).__name__} of {value.bit_length():,} bits"
    if isinstance(value, str | bytes) and len(value) > QUOTED_LENGTH:
        return f"{value[:QUOTED_LENGTH]!r}… ({len(value):,} characters)"
    try:
        text = repr(value)
    except ValueError:  # a container holding an int past repr's limit
        return f"a {type(value).__name__} too large to show"
    if len(text) <= QUOTED_LENGTH:
        return text
    return f"{text[:QUOTED_LENGTH]}… ({len(text):,} characters)"


def _listed(items: tuple[object, ...], most: int, sep: str) -> str:
    shown = sep.join(str(item) for item in items[:most])
    return shown if len(items) <= most else f"{shown}{sep}and {len(items) - most:,} more"


class ResellError(Exception):
    """The root of every error the library raises.

    Attributes:
        code: A stable, machine-readable identifier of the kind of error.
        message: What was wrong and what to do instead.
    """

    code: ClassVar[str] = "resell_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@attrs.frozen
class FieldProblem:
    """One bad field of an input: where it is, what is wrong, what is allowed.

    Attributes:
        field: A dotted path to the field (``"limits.users"``).
        message: What is wrong with it.
        allowed: The values that would be accepted, when they can be listed.
    """

    field: str
    message: str
    allowed: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}"
        if self.allowed:
            text += f" (allowed: {_listed(self.allowed, _LISTED_VALUES, ', ')})"
        return text


class InvalidInput(ResellError, ValueError):
    """An input failed validation; ``problems`` lists every bad field at once."""

    code: ClassVar[str] = "invalid_input"

    def __init__(self, what: str, problems: Iterable[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        self.what = what
        listed = _listed(self.problems, _LISTED_PROBLEMS, "; ")
        super().__init__(f"{what} is not valid: {listed}. Correct these fields and try again.")

    @classmethod
    def one(cls, what: str, field: str, message: str, allowed: Iterable[str] = ()) -> InvalidInput:
        """Build the error for a single bad field."""
        return cls(what, [FieldProblem(field, message, tuple(allowed))])


class CatalogError(InvalidInput):
    """A price book (catalog) is inconsistent; ``problems`` lists every problem."""

    code: ClassVar[str] = "invalid_catalog"


class FloatNotAllowed(ResellError, TypeError):
    """Money was built from a float, which cannot hold cents exactly."""

    code: ClassVar[str] = "float_not_allowed"


class CurrencyMismatch(ResellError, TypeError):
    """Two amounts of different currencies were combined."""

    code: ClassVar[str] = "currency_mismatch"

    def __init__(self, left: str, right: str, operation: str = "combine") -> None:
        self.left = left
        self.right = right
        super().__init__(
            f"cannot {operation} {left} with {right}: convert one amount to the other's "
            "currency first"
        )


class NotFound(ResellError, LookupError):
    """The thing asked for does not exist (or belongs to another agency)."""

    code: ClassVar[str] = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {quoted(key)} was found: check the identifier and the agency")


class Conflict(ResellError):
    """The command clashes with the current state of stored data."""

    code: ClassVar[str] = "conflict"


class VersionConflict(Conflict):
    """An aggregate changed since it was read (optimistic concurrency)."""

    code: ClassVar[str] = "version_conflict"

    def __init__(self, kind: str, key: object, expected: int, found: int | None) -> None:
        self.kind = kind
        self.key = key
        self.expected = expected
        self.found = found
        super().__init__(
            f"{kind} {quoted(key)} was changed by someone else (expected version {expected}, "
            f"found {found}): read it again and retry"
        )


class DuplicateName(Conflict):
    """A unique name (account name, profile label…) is already taken."""

    code: ClassVar[str] = "duplicate_name"

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(f"the {kind} {quoted(name)} is already taken: choose another one")


class IdempotencyConflict(Conflict):
    """An idempotency key was reused with different parameters."""

    code: ClassVar[str] = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"the idempotency key {quoted(key)} was already used for a different request: "
            "use a new key for a new request"
        )


class InvalidTransition(ResellError):
    """An action is not allowed in the account's current status."""

    code: ClassVar[str] = "invalid_transition"

    def __init__(self, status: str, action: str, advice: str) -> None:
        self.status = status
        self.action = action
        self.advice = advice
        super().__init__(f"{action} is not allowed for a {status} account: {advice}")


class InsufficientCredit(ResellError):
    """A credit movement would overdraw a balance."""

    code: ClassVar[str] = "insufficient_credit"


class AccessDenied(ResellError):
    """A login, token or ticket was refused."""

    code: ClassVar[str] = "access_denied"


class PaymentError(ResellError):
    """A payment could not be taken or recorded."""

    code: ClassVar[str] = "payment_error"


class SandboxNotConvertible(InvalidTransition):
    """A sandbox account was asked to become a paid one, which it never can (rule R3)."""

    code: ClassVar[str] = "sandbox_not_convertible"

    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            status,
            action,
            "a sandbox account can never be converted into a paid one: "
            "open a new account on a paid plan instead",
        )


class ProfileInUse(Conflict):
    """A billing profile still pays for accounts, so it cannot be deleted (B5)."""

    code: ClassVar[str] = "profile_in_use"

    def __init__(self, profile_id: str, account_names: Iterable[str]) -> None:
        self.profile_id = profile_id
        self.account_names: tuple[str, ...] = tuple(account_names)
        super().__init__(
            f"billing profile {quoted(profile_id)} still pays for "
            f"{_listed(self.account_names, _LISTED_VALUES, ', ')}: "
            "move those accounts to another profile first, then delete it"
        )


class CreditNotAllowed(ResellError):
    """A kind of credit cannot go to this account (SMS credits and starter plans, C5)."""

    code: ClassVar[str] = "credit_not_allowed"

    def __init__(self, kind: str, account_name: str, advice: str) -> None:
        self.kind = kind
        self.account_name = account_name
        super().__init__(f"{kind} credits cannot be assigned to {quoted(account_name)}: {advice}")


class PaymentInFlight(PaymentError):
    """An invoice already has a charge whose answer is pending or unknown.

    A new charge would risk charging twice: confirm or reconcile the charge in flight by
    its idempotency key instead.
    """

    code: ClassVar[str] = "payment_in_flight"

    def __init__(self, invoice_id: str, key: str) -> None:
        self.invoice_id = invoice_id
        self.key = key
        super().__init__(
            f"invoice {quoted(invoice_id)} has a charge in flight (key {quoted(key)}): "
            "reconcile it with the gateway by that key instead of charging again"
        )


class AlreadyExists(Conflict):
    """Something that must be unique is already stored (an id, a recurring period key…)."""

    code: ClassVar[str] = "already_exists"

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(
            f"a {kind} {quoted(key)} is already stored: read the stored one instead of adding it "
            "again, or use a new key"
        )


class SchemaVersionError(ResellError):
    """The database's schema is newer than this release of the library understands."""

    code: ClassVar[str] = "schema_version"

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"the database has schema version {found}, newer than version {supported} this "
            "release of resell_core writes: upgrade the library, or use another database"
        )


class StorageUnavailable(ResellError):
    """The database cannot be reached: the server is down or the connection was lost.

    Retryable: the command changed nothing it could not finish, or its commit's outcome
    is unknown; retry it, with the same idempotency key when it has one.
    """

    code: ClassVar[str] = "storage_unavailable"


class ConfigurationError(ResellError, ValueError):
    """The library was set up with something it cannot use: a database URL it cannot
    parse, a database it does not speak, a driver that is not installed."""

    code: ClassVar[str] = "configuration_error"


class MissingExtra(ResellError, ImportError):
    """A feature needs an optional library that is not installed.

    The message names the extra of resell-core that brings it
    (``pip install 'resell-core[pandas]'``).

    Attributes:
        module: The library that could not be imported.
        extra: The extra of resell-core that installs it.
    """

    code: ClassVar[str] = "missing_extra"

    def __init__(self, module: str, extra: str, what: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"{what} needs {module}, which is not installed: pip install 'resell-core[{extra}]'"
        )
