"""The resold account aggregate and its status."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from resell_core.lifecycle.branding import Branding
from resell_core.periods import Frequency
from resell_core.pricing.price_book import MigrationDiscount
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "Account",
    "AccountKind",
    "AccountStatus",
    "PendingChange",
    "account_values",
    "account_with",
]


class AccountStatus(enum.StrEnum):
    """Where an account stands (docs/rules.md#statuses)."""

    CREATING = "creating"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"
    DISABLED = "disabled"


class AccountKind(enum.StrEnum):
    """Resold accounts are billed to the agency; commission accounts are only referred (K1)."""

    RESOLD = "resold"
    COMMISSION = "commission"


@attrs.frozen
class PendingChange:
    """A plan change scheduled for a later day (a downgrade at the end of the term)."""

    plan: PlanSelection
    effective_on: date


@attrs.define(eq=False)
class Account:
    """A client account managed from the agency's portal.

    Billing fields: ``anchor`` is the day the current paid term started; period *n* of the
    term is ``nth_period(anchor, frequency, n)``; ``next_period`` is the index of the next
    period to bill and ``paid_through`` the (exclusive) end of the last billed period.
    Aggregates compare by ``id``; ``version`` is for optimistic concurrency. ``branding``
    is the agency's look of the account (BR1), None when unbranded. ``migration`` is the
    migration discount its first billing cycles carry (A10, T3), None for none.
    """

    id: str
    agency_id: str
    name: str
    client_name: str
    notification_email: str
    country: str
    region: str
    language: str
    timezone: str
    plan: PlanSelection
    created_on: date
    status: AccountStatus = AccountStatus.CREATING
    kind: AccountKind = AccountKind.RESOLD
    custom_domain: str | None = None
    billing_profile_id: str | None = None
    purchased_on: date | None = None
    trial_ends_on: date | None = None
    anchor: date | None = None
    next_period: int = 0
    paid_through: date | None = None
    cancelled_on: date | None = None
    archived_on: date | None = None
    expired_on: date | None = None
    disabled_message: str | None = None
    pending_change: PendingChange | None = None
    extra_trial_used: bool = False
    snapshot_id: str | None = None
    version: int = 0
    branding: Branding | None = None
    migration: MigrationDiscount | None = None

    @property
    def frequency(self) -> Frequency | None:
        """The billing frequency of the plan (None for trials and sandboxes)."""
        return self.plan.frequency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Account) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


# A changed account is built with Account(...) itself (every check of __init__ runs), from
# its fields read by name in __init__'s order: a plain attribute read each, where
# attrs.evolve looks the fields up and goes through keywords on every call. A test holds
# this list to attrs.fields(Account), so a field added to Account and not here fails it.
_POSITION = {name: i for i, name in enumerate(f.name for f in attrs.fields(Account) if f.init)}


def account_values(a: Account) -> list[Any]:
    """Return the account's ``__init__`` arguments, in order."""
    return [
        a.id,
        a.agency_id,
        a.name,
        a.client_name,
        a.notification_email,
        a.country,
        a.region,
        a.language,
        a.timezone,
        a.plan,
        a.created_on,
        a.status,
        a.kind,
        a.custom_domain,
        a.billing_profile_id,
        a.purchased_on,
        a.trial_ends_on,
        a.anchor,
        a.next_period,
        a.paid_through,
        a.cancelled_on,
        a.archived_on,
        a.expired_on,
        a.disabled_message,
        a.pending_change,
        a.extra_trial_used,
        a.snapshot_id,
        a.version,
        a.branding,
        a.migration,
    ]


def account_with(account: Account, changes: Mapping[str, object]) -> Account:
    """Return a new account like ``account`` with ``changes`` applied (what
    ``attrs.evolve(account, **changes)`` returns), built by ``Account``'s own ``__init__``."""
    values = account_values(account)
    for name, value in changes.items():
        values[_POSITION[name]] = value
    return Account(*values)
