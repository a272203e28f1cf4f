"""Login lockout (S5): after 5 failures the login is locked for 5 minutes.

:func:`attempt_login` is pure: the caller checks the password (or not), passes the result
and the time, stores the returned state and shows the outcome. During a lock every
attempt gets the same answer, right password or not, and the lock is not extended.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from resell_core.errors import InvalidInput

__all__ = ["LockoutPolicy", "LoginOutcome", "LoginState", "attempt_login"]


@attrs.frozen
class LockoutPolicy:
    """How many failures lock the login, and for how long."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=5)


@attrs.frozen
class LoginState:
    """Consecutive failures since the last success or lock, and the lock's end if locked."""

    failures: int = 0
    locked_until: datetime | None = None

    def is_locked(self, at: datetime) -> bool:
        """Tell whether the login is locked at ``at``."""
        return self.locked_until is not None and at < self.locked_until


class LoginOutcome(enum.StrEnum):
    """What the login page says. ``locked`` never tells whether the password was right."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    LOCKED = "locked"


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
