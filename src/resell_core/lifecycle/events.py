"""What happened to an account: past-tense, frozen events returned by every transition.

Each event carries the account, the day and the status before and after, so an audit
log (who, what, when, before -> after) can be written from it alone.
"""

from __future__ import annotations

from datetime import date

import attrs

from resell_core.lifecycle.account import AccountStatus
from resell_core.lifecycle.branding import Branding
from resell_core.periods import Period
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "AccountArchived",
    "AccountCancelled",
    "AccountDisabled",
    "AccountEnabled",
    "AccountEvent",
    "AccountExpired",
    "AccountProvisioned",
    "AccountProvisioningFailed",
    "AccountRenewed",
    "AccountUpgraded",
    "BillingProfileChanged",
    "BrandingChanged",
    "CustomDomainChanged",
    "DowngradeScheduled",
    "ExtraTrialGranted",
    "NotificationEmailChanged",
    "PendingChangeWithdrawn",
    "PeriodBilled",
    "PlanChanged",
    "TermStarted",
    "TrialEnded",
    "UpgradeScheduled",
]


@attrs.frozen(slots=False)
class AccountEvent:
    """Base of every account event."""

    account_id: str
    on: date
    before: AccountStatus
    after: AccountStatus


@attrs.frozen(slots=False)
class AccountProvisioned(AccountEvent):
    """The account is ready; the agency can now receive its login once (A12)."""


@attrs.frozen(slots=False)
class AccountProvisioningFailed(AccountEvent):
    """Provisioning failed; nothing is charged; ``reason`` is told to the agency (A12)."""

    reason: str


@attrs.frozen(slots=False)
class TrialEnded(AccountEvent):
    """The trial ran out and the account expired (TR2)."""


@attrs.frozen(slots=False)
class AccountUpgraded(AccountEvent):
    """The plan grew at once (U1)."""

    old_plan: PlanSelection
    new_plan: PlanSelection


@attrs.frozen(slots=False)
class DowngradeScheduled(AccountEvent):
    """A smaller plan waits for the end of the term (U1)."""

    new_plan: PlanSelection
    effective_on: date


@attrs.frozen(slots=False)
class UpgradeScheduled(AccountEvent):
    """A bigger plan waits for the end of the term (the catalog's change rule said so)."""

    new_plan: PlanSelection
    effective_on: date


@attrs.frozen(slots=False)
class PendingChangeWithdrawn(AccountEvent):
    """A scheduled downgrade was dropped."""

    withdrawn_plan: PlanSelection


@attrs.frozen(slots=False)
class PlanChanged(AccountEvent):
    """The account's plan is now ``new_plan`` (a downgrade applied, or a new plan chosen)."""

    old_plan: PlanSelection
    new_plan: PlanSelection


@attrs.frozen(slots=False)
class TermStarted(AccountEvent):
    """A new paid term starts on ``anchor``: billing counts periods from there again."""

    anchor: date


@attrs.frozen(slots=False)
class AccountCancelled(AccountEvent):
    """The account was cancelled (R7); it works until ``paid_through``."""

    reason: str
    paid_through: date | None


@attrs.frozen(slots=False)
class AccountDisabled(AccountEvent):
    """The client lost access; ``message`` is what the client sees."""

    message: str


@attrs.frozen(slots=False)
class AccountEnabled(AccountEvent):
    """The client has access again."""


@attrs.frozen(slots=False)
class AccountArchived(AccountEvent):
    """The account was put away; its data is kept for the archive window."""


@attrs.frozen(slots=False)
class AccountRenewed(AccountEvent):
    """The account was renewed (R1)."""

    billing_profile_id: str | None


@attrs.frozen(slots=False)
class ExtraTrialGranted(AccountEvent):
    """An archived trial came back with its one extra free trial, until ``trial_ends_on``."""

    trial_ends_on: date


@attrs.frozen(slots=False)
class AccountExpired(AccountEvent):
    """The account expired because its payments failed to the end of the retry schedule."""


@attrs.frozen(slots=False)
class NotificationEmailChanged(AccountEvent):
    """The notification email changed (A5)."""

    old_email: str
    new_email: str


@attrs.frozen(slots=False)
class BillingProfileChanged(AccountEvent):
    """Another billing profile pays for the account (B6)."""

    old_profile_id: str | None
    new_profile_id: str


@attrs.frozen(slots=False)
class BrandingChanged(AccountEvent):
    """The account's branding changed (BR1); None means it was removed."""

    branding: Branding | None


@attrs.frozen(slots=False)
class CustomDomainChanged(AccountEvent):
    """The account's custom domain changed (A3)."""

    custom_domain: str | None


@attrs.frozen(slots=False)
class PeriodBilled(AccountEvent):
    """Period ``index`` of the term was billed; the account is paid through its end."""

    index: int
    period: Period
