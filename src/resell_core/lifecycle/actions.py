"""What can be asked of an account: imperative, frozen commands for :func:`apply`.

Each action has a stable ``name``, the key of the transition table together with the
account's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import attrs

from resell_core.errors import InvalidInput, quoted
from resell_core.lifecycle.branding import Branding
from resell_core.lifecycle.text import text_problem
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "ACTION_TYPES",
    "IMMEDIATE",
    "MAX_MESSAGE",
    "TIMINGS",
    "Action",
    "ApplyPendingChange",
    "Archive",
    "Cancel",
    "ChangeBillingProfile",
    "ChangeBranding",
    "ChangeCustomDomain",
    "ChangeNotificationEmail",
    "ChangePlan",
    "Disable",
    "Downgrade",
    "DunningExhausted",
    "Enable",
    "EndTrial",
    "Provisioned",
    "ProvisioningFailed",
    "Renew",
    "Upgrade",
    "WithdrawPendingChange",
]

IMMEDIATE = "immediate"
END_OF_TERM = "end_of_term"
TIMINGS = (IMMEDIATE, END_OF_TERM)
"""When a plan change takes effect: the catalog's change rule decides (rules.md#plan-changes)."""


def _text(what: str, *, lines: bool = False) -> Callable[[Any, Any, Any], None]:
    """A validator applying the text rule (E1) to a text field (or None) of an action."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and (problem := text_problem(value, lines=lines)):
            raise InvalidInput.one(what, attribute.name, problem)

    return check


def _timing(_instance: object, _attribute: object, value: str) -> None:
    if value not in TIMINGS:
        raise InvalidInput.one("plan change", "timing", f"{quoted(value)} is not a timing", TIMINGS)


@attrs.frozen
class Action:
    """Base of every action; ``name`` keys the transition table."""

    name: ClassVar[str] = "action"


@attrs.frozen
class Provisioned(Action):
    """The provisioner reports the account ready (A12)."""

    name: ClassVar[str] = "provisioned"


@attrs.frozen
class ProvisioningFailed(Action):
    """The provisioner gave up; nothing is charged and the agency is told why (A12)."""

    name: ClassVar[str] = "provisioning_failed"
    reason: str


@attrs.frozen
class EndTrial(Action):
    """The trial's last day has passed (TR1, TR2)."""

    name: ClassVar[str] = "end_trial"


@attrs.frozen
class Upgrade(Action):
    """Move to a bigger plan (U1); ``timing`` is the catalog's change rule decision."""

    name: ClassVar[str] = "upgrade"
    plan: PlanSelection
    timing: str = attrs.field(default=IMMEDIATE, validator=_timing)


@attrs.frozen
class Downgrade(Action):
    """Move to a smaller plan (U1); by default it waits for the end of the term."""

    name: ClassVar[str] = "downgrade"
    plan: PlanSelection
    timing: str = attrs.field(default=END_OF_TERM, validator=_timing)


@attrs.frozen
class WithdrawPendingChange(Action):
    """Drop a scheduled downgrade before it takes effect."""

    name: ClassVar[str] = "withdraw_pending_change"


@attrs.frozen
class ApplyPendingChange(Action):
    """Apply the scheduled downgrade at the term boundary it waits for."""

    name: ClassVar[str] = "apply_pending_change"


@attrs.frozen
class ChangePlan(Action):
    """Choose a new paid plan, starting a new term (TR3; the only way when renewal is refused)."""

    name: ClassVar[str] = "change_plan"
    plan: PlanSelection
    billing_profile_id: str | None = attrs.field(default=None, validator=_text("plan change"))


MAX_MESSAGE = 500
"""The longest cancellation reason or message to a disabled client, in characters."""


def _within(field: str, text: str) -> None:
    if len(text) > MAX_MESSAGE:
        raise InvalidInput.one("action", field, f"keep it within {MAX_MESSAGE} characters")


@attrs.frozen
class Cancel(Action):
    """Cancel the account (R7); it keeps working until its paid-through date."""

    name: ClassVar[str] = "cancel"
    reason: str = attrs.field(
        default="",
        validator=[_text("cancellation", lines=True), lambda i, a, v: _within(a.name, v)],
    )


@attrs.frozen
class Disable(Action):
    """Stop the client's access; ``message`` is shown to the disabled client."""

    name: ClassVar[str] = "disable"
    message: str = attrs.field(
        default="",
        validator=[_text("disabled account", lines=True), lambda i, a, v: _within(a.name, v)],
    )


@attrs.frozen
class Enable(Action):
    """Give a disabled account back to its client."""

    name: ClassVar[str] = "enable"


@attrs.frozen
class Archive(Action):
    """Put an expired or cancelled-and-expired account away (its data is kept a year)."""

    name: ClassVar[str] = "archive"


@attrs.frozen
class Renew(Action):
    """Renew a cancelled, expired or archived account, paid by a billing profile (R1, R2)."""

    name: ClassVar[str] = "renew"
    billing_profile_id: str | None = attrs.field(default=None, validator=_text("renewal"))


@attrs.frozen
class DunningExhausted(Action):
    """The last payment retry failed: the account expires."""

    name: ClassVar[str] = "dunning_exhausted"


@attrs.frozen
class ChangeNotificationEmail(Action):
    """Edit: the address the vendor writes to about this account (A5)."""

    name: ClassVar[str] = "change_notification_email"
    email: str = attrs.field(validator=_text("notification email"))


@attrs.frozen
class ChangeBillingProfile(Action):
    """Edit: another of the agency's billing profiles pays for the account (B6)."""

    name: ClassVar[str] = "change_billing_profile"
    billing_profile_id: str = attrs.field(validator=_text("billing profile change"))


@attrs.frozen
class ChangeBranding(Action):
    """Set the account's branding (BR1), or remove it with None."""

    name: ClassVar[str] = "change_branding"
    branding: Branding | None


@attrs.frozen
class ChangeCustomDomain(Action):
    """Set the account's custom domain (A3), or drop it with None."""

    name: ClassVar[str] = "change_custom_domain"
    custom_domain: str | None = attrs.field(validator=_text("custom domain"))


ACTION_TYPES: tuple[type[Action], ...] = (
    Provisioned,
    ProvisioningFailed,
    EndTrial,
    Upgrade,
    Downgrade,
    WithdrawPendingChange,
    ApplyPendingChange,
    ChangePlan,
    Cancel,
    Disable,
    Enable,
    Archive,
    Renew,
    DunningExhausted,
    ChangeNotificationEmail,
    ChangeBillingProfile,
    ChangeBranding,
    ChangeCustomDomain,
)
"""Every action, in the order the documentation lists them."""
