"""Login lockout (S5, S6): after 5 failures the login is locked for 5 minutes.

:func:`attempt_login` is pure: the caller checks the password (or not), passes the result
and the time, stores the returned state and shows the outcome. During a lock every
attempt gets the same answer, right password or not, and the lock is not extended.

Under concurrency (S6) the caller counts each attempt atomically *before* checking its
password (a storage's ``TokenStore.increment``) and asks :func:`may_check` whether that
attempt's password may be checked at all: of any number of attempts at once, at most
``max_failures`` are checked before the lock.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from resell_core.errors import InvalidInput

__all__ = [
    "LockoutPolicy",
    "LoginOutcome",
    "LoginResult",
    "LoginState",
    "attempt_login",
    "may_check",
]


@attrs.frozen
class LockoutPolicy:
    """How many failures lock the login, and for how long.

    A count of failures is forgotten ``lock_for`` after the last attempt counted, so that
    a count left behind by an attempt that broke off half-way never keeps the login
    locked for longer than a lock would.
    """

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=5)

    def count_expires(self, at: datetime) -> datetime:
        """When the count of an attempt made at ``at`` is forgotten, if none follows."""
        return at + self.lock_for


@attrs.frozen
class LoginState:
    """Consecutive failures since the last success or lock, and the lock's end if locked."""

    failures: int = 0
    locked_until: datetime | None = None

    def is_locked(self, at: datetime) -> bool:
        """Tell whether the login is locked at ``at``."""
        return self.locked_until is not None and at < self.locked_until


class LoginOutcome(enum.StrEnum):
    """What the login page says. ``locked`` never tells whether the password was right;
    ``disabled`` is only answered to the right password (S9)."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    LOCKED = "locked"
    DISABLED = "disabled"


@attrs.frozen
class LoginResult:
    """The answer to a login at the account's page.

    Attributes:
        outcome: What happened.
        message: What the client is shown with it: the agency's message for ``disabled``
            (S9), "" otherwise.
    """

    outcome: LoginOutcome
    message: str = ""


def attempt_login(
    state: LoginState, password_ok: bool, at: datetime, policy: LockoutPolicy | None = None
) -> tuple[LoginState, LoginOutcome]:
    """Record one login attempt.

    Args:
        state: The login's state before the attempt.
        password_ok: Whether the password given was right (ignored while locked).
        at: When the attempt happened (aware).
        policy: Failures and lock length (5 and 5 minutes by default).

    Returns:
        The new state and the outcome to show.

    Raises:
        InvalidInput: When ``at`` has no time zone.
    """
    if at.tzinfo is None:
        raise InvalidInput.one("login attempt", "at", "give a datetime with its time zone")
    rules = policy or LockoutPolicy()
    if state.is_locked(at):
        return state, LoginOutcome.LOCKED
    if password_ok:
        return LoginState(), LoginOutcome.ACCEPTED
    failures = state.failures + 1
    if failures >= rules.max_failures:
        return LoginState(0, at + rules.lock_for), LoginOutcome.LOCKED
    return LoginState(failures), LoginOutcome.REFUSED


def may_check(
    state: LoginState, attempt: int, at: datetime, policy: LockoutPolicy | None = None
) -> bool:
    """Tell whether the password of a counted attempt may be checked (S5, S6).

    Args:
        state: The login's state, read after the attempt was counted (a lock committed
            meanwhile is then seen).
        attempt: The attempt's number since the last success or lock, as the atomic count
            answered it (1 for the first).
        at: When the attempt happened (aware).
        policy: Failures and lock length.

    Returns:
        False while locked, and for an attempt past ``max_failures``: those before it are
        being checked at this very moment, and if they fail the login locks. Such an
        attempt is answered ``locked`` unchecked. Otherwise check the password and record
        the attempt with :func:`attempt_login` from ``LoginState(attempt - 1)``.
    """
    rules = policy or LockoutPolicy()
    return not state.is_locked(at) and attempt <= rules.max_failures
