"""The result of a lifecycle transition: the new account and what happened."""

from __future__ import annotations

import attrs

from resell_core.lifecycle.account import Account
from resell_core.lifecycle.events import AccountEvent

__all__ = ["Transition"]


@attrs.frozen
class Transition:
    """A changed copy of the account and the past-tense events explaining the change."""

    account: Account
    events: tuple[AccountEvent, ...]
