"""What the overview offers on each account row (O9, O10, R5), derived from the table."""

from __future__ import annotations

from datetime import date

from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.moves import TRANSITIONS
from resell_core.lifecycle.policy import LifecyclePolicy

__all__ = ["EDIT_ACTIONS", "allowed_actions", "can_single_sign_on", "primary_action"]

EDIT_ACTIONS: tuple[str, ...] = (
    "upgrade",
    "downgrade",
    "cancel",
    "disable",
    "change_notification_email",
    "change_billing_profile",
)
"""What Edit can do (O10), in the order the portal shows them."""

_OTHER_ACTIONS = ("enable", "renew", "change_plan", "withdraw_pending_change")
_ALWAYS = ("branding", "billing_history")
_NO_SSO = frozenset({AccountStatus.CREATING, AccountStatus.CANCELLED, AccountStatus.ARCHIVED})


def primary_action(account: Account, on: date | None = None) -> str:
    """Return the row's primary action: ``"renew"`` for an archived account, else ``"login"`` (O9).

    Args:
        account: The row's account.
        on: Accepted so that every affordance takes (account, day); the answer does not
            depend on the day.
    """
    return "renew" if account.status is AccountStatus.ARCHIVED else "login"


def allowed_actions(
    account: Account, on: date, policy: LifecyclePolicy | None = None
) -> tuple[str, ...]:
    """Return the actions the row offers on day ``on``: Edit's that the table allows, then
    ``enable`` / ``renew`` / ``change_plan`` / ``withdraw_pending_change`` when allowed, and
    always ``branding`` and ``billing_history`` (O10).
    """
    rules = policy or LifecyclePolicy()
    offered: list[str] = []
    for name in EDIT_ACTIONS + _OTHER_ACTIONS:
        move = TRANSITIONS.get((account.status, name))
        if move is not None and (move.guard is None or move.guard(account, on, rules) is None):
            offered.append(name)
    return (*offered, *_ALWAYS)


def can_single_sign_on(account: Account, on: date | None = None) -> bool:
    """Tell whether the portal may sign the agency into the account (R5).

    Cancelled accounts log in at their own login page, even before their paid-through
    date; an account being created or an archived one has no running site to sign into.
    ``on`` is accepted so that every affordance takes (account, day).
    """
    return account.status not in _NO_SSO
