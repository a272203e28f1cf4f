"""The lifecycle of a resold account: one table of (status, action) -> move, and :func:`apply`.

A move names its target status, a guard (which says what to do instead when the move is
refused in the account's present state) and an effect (the changed fields and the events).
:func:`apply` is a dict lookup, a guard call and one ``Account(...)`` of the account's
fields with the changed ones replaced: it never mutates the account it is given, and a
refused action changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, cast

import attrs
from dateutil.relativedelta import relativedelta

from resell_core.errors import InvalidInput, InvalidTransition, SandboxNotConvertible
from resell_core.lifecycle.account import (
    Account,
    AccountKind,
    AccountStatus,
    PendingChange,
    account_with,
)
from resell_core.lifecycle.actions import (
    IMMEDIATE,
    Action,
    Cancel,
    ChangeBillingProfile,
    ChangeBranding,
    ChangeCustomDomain,
    ChangeNotificationEmail,
    ChangePlan,
    Disable,
    Downgrade,
    ProvisioningFailed,
    Renew,
    Upgrade,
)
from resell_core.lifecycle.events import (
    AccountArchived,
    AccountCancelled,
    AccountDisabled,
    AccountEnabled,
    AccountEvent,
    AccountExpired,
    AccountProvisioned,
    AccountProvisioningFailed,
    AccountRenewed,
    AccountUpgraded,
    BillingProfileChanged,
    BrandingChanged,
    CustomDomainChanged,
    DowngradeScheduled,
    ExtraTrialGranted,
    NotificationEmailChanged,
    PendingChangeWithdrawn,
    PlanChanged,
    TermStarted,
    TrialEnded,
    UpgradeScheduled,
)
from resell_core.lifecycle.names import email_problem, host_name_problem
from resell_core.lifecycle.policy import LifecyclePolicy
from resell_core.lifecycle.terms import is_cancelled_and_expired, term_boundary
from resell_core.lifecycle.transition import Transition
from resell_core.pricing.selection import PlanSelection

__all__ = ["TRANSITIONS", "Move", "apply", "status_label"]

Guard = Callable[[Account, date, LifecyclePolicy], str | None]
"""Return None when the move may happen, else what to do instead."""
Changes = dict[str, Any]
Effect = Callable[
    [Account, Any, date, LifecyclePolicy, AccountStatus], tuple[Changes, list[AccountEvent]]
]

S = AccountStatus


@attrs.frozen
class Move:
    """One row of the table: where an action leads from a status, and on what condition."""

    target: AccountStatus
    effect: Effect
    guard: Guard | None = None


# -- helpers ------------------------------------------------------------------------------


# What a free account is comes from the catalog's marks, recorded when it was opened: a
# plan the catalog marks a trial was given the day its trial ends (TR1), a sandbox none.
# Paid is the plan's billing frequency (PlanSelection.is_paid). No tier name is read here.


def _is_trial(a: Account) -> bool:
    return not a.plan.is_paid and a.trial_ends_on is not None


def _is_sandbox(a: Account) -> bool:
    return not a.plan.is_paid and a.trial_ends_on is None


def _stamp(a: Account, on: date, target: AccountStatus) -> tuple[str, date, S, S]:
    return a.id, on, a.status, target


def _bought_before_cutoff(a: Account, policy: LifecyclePolicy) -> bool:
    return a.purchased_on is not None and a.purchased_on < policy.renewal_cutoff


def _archive_ends(a: Account, policy: LifecyclePolicy) -> date | None:
    if a.archived_on is None:
        return None
    return a.archived_on + relativedelta(months=policy.archive_window_months)


def _paid_target(plan: PlanSelection, what: str) -> None:
    if not plan.is_paid:
        raise InvalidInput.one(what, "plan", "choose a paid plan, with a billing frequency")


def _profile(a: Account, given: str | None) -> str | None:
    profile = given or a.billing_profile_id
    if profile is None and a.kind is AccountKind.RESOLD:
        raise InvalidInput.one(
            "renewal", "billing_profile_id", "choose one of the agency's billing profiles (R1)"
        )
    return profile


def _moved(a: Account, target: S, changes: Changes) -> Account:
    """Return a new account like ``a`` in status ``target`` with ``changes`` applied
    (what ``attrs.evolve(a, status=target, **changes)`` returns)."""
    changes["status"] = target
    return account_with(a, changes)


def _new_term(a: Account, on: date, target: S, changes: Changes) -> list[AccountEvent]:
    # The migration discount is for the first cycles of the account's first term (A10).
    changes.update(anchor=on, next_period=0, migration=None)
    return [TermStarted(*_stamp(a, on, target), anchor=on)]


# -- guards -------------------------------------------------------------------------------


def _trial_only(a: Account, _on: date, _p: LifecyclePolicy) -> str | None:
    return None if _is_trial(a) else "only a trial ends; cancel a paid account instead"


def _paid_only(a: Account, _on: date, _p: LifecyclePolicy) -> str | None:
    if a.plan.is_paid:
        return None
    return "a trial or sandbox has no paid plan to resize: change its plan to a paid plan"


def _not_paid(a: Account, _on: date, _p: LifecyclePolicy) -> str | None:
    if a.plan.is_paid:
        return "a paid account is resized with upgrade or downgrade"
    return None


def _has_pending(a: Account, _on: date, _p: LifecyclePolicy) -> str | None:
    return None if a.pending_change else "there is no pending plan change; nothing to do"


def _pending_due(a: Account, on: date, p: LifecyclePolicy) -> str | None:
    if a.pending_change is None:
        return _has_pending(a, on, p)
    if on < a.pending_change.effective_on:
        return f"the pending change takes effect on {a.pending_change.effective_on}; wait for it"
    return None


def _ran_out(a: Account, on: date, _p: LifecyclePolicy) -> str | None:
    if is_cancelled_and_expired(a, on):
        return None
    return f"it works until {a.paid_through}; archive it from that day on"


def _renew_expired(a: Account, _on: date, p: LifecyclePolicy) -> str | None:
    if not a.plan.is_paid:
        return "a trial or sandbox is not renewed: change its plan to a paid plan"
    if _bought_before_cutoff(a, p):
        return f"it was bought before {p.renewal_cutoff}: change its plan"
    return None


def _renew_cancelled(a: Account, on: date, p: LifecyclePolicy) -> str | None:
    if is_cancelled_and_expired(a, on) and _bought_before_cutoff(a, p):
        return f"it was bought before {p.renewal_cutoff}: change its plan"
    return None


def _renew_archived(a: Account, on: date, p: LifecyclePolicy) -> str | None:
    ends = _archive_ends(a, p)
    if ends is None or on >= ends:
        return (
            f"it was archived more than {p.archive_window_months} months ago and its data is "
            "gone: change its plan"
        )
    if _is_trial(a) and a.extra_trial_used:
        return "its one extra trial was already used: change its plan to a paid plan"
    return None


# -- effects ------------------------------------------------------------------------------


def _provisioned(
    a: Account, _x: Action, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {}, [AccountProvisioned(*_stamp(a, on, t))]


def _provisioning_failed(
    a: Account, x: ProvisioningFailed, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {"expired_on": on}, [AccountProvisioningFailed(*_stamp(a, on, t), reason=x.reason)]


def _trial_ended(
    a: Account, _x: Action, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {"expired_on": on}, [TrialEnded(*_stamp(a, on, t))]


def _plan_now(
    a: Account, plan: PlanSelection, on: date, t: S, changes: Changes
) -> list[AccountEvent]:
    changes.update(plan=plan, pending_change=None)
    if plan.frequency != a.plan.frequency:
        return _new_term(a, on, t, changes)
    return []


def _upgrade(
    a: Account, x: Upgrade, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    _paid_target(x.plan, "upgrade")
    changes: Changes = {}
    if x.timing == IMMEDIATE:
        events: list[AccountEvent] = [
            AccountUpgraded(*_stamp(a, on, t), old_plan=a.plan, new_plan=x.plan)
        ]
        return changes, events + _plan_now(a, x.plan, on, t, changes)
    effective = term_boundary(a, on)
    changes["pending_change"] = PendingChange(x.plan, effective)
    return changes, [UpgradeScheduled(*_stamp(a, on, t), new_plan=x.plan, effective_on=effective)]


def _downgrade(
    a: Account, x: Downgrade, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    _paid_target(x.plan, "downgrade")
    changes: Changes = {}
    effective = term_boundary(a, on)
    if x.timing == IMMEDIATE or effective == on:
        events: list[AccountEvent] = [
            PlanChanged(*_stamp(a, on, t), old_plan=a.plan, new_plan=x.plan)
        ]
        return changes, events + _plan_now(a, x.plan, on, t, changes)
    changes["pending_change"] = PendingChange(x.plan, effective)
    return changes, [DowngradeScheduled(*_stamp(a, on, t), new_plan=x.plan, effective_on=effective)]


def _withdraw(
    a: Account, _x: Action, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    pending = cast(PendingChange, a.pending_change)  # the guard checked there is one
    return {"pending_change": None}, [
        PendingChangeWithdrawn(*_stamp(a, on, t), withdrawn_plan=pending.plan)
    ]


def _apply_pending(
    a: Account, _x: Action, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    pending = cast(PendingChange, a.pending_change)  # the guard checked there is one
    plan, effective = pending.plan, pending.effective_on
    changes: Changes = {}
    events: list[AccountEvent] = [PlanChanged(*_stamp(a, on, t), old_plan=a.plan, new_plan=plan)]
    return changes, events + _plan_now(a, plan, effective, t, changes)


def _change_plan(
    a: Account, x: ChangePlan, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    _paid_target(x.plan, "plan change")
    changes: Changes = {
        "plan": x.plan,
        "billing_profile_id": _profile(a, x.billing_profile_id),
        "purchased_on": on,
        "trial_ends_on": None,
        "pending_change": None,
        **_reactivated(),
    }
    events: list[AccountEvent] = [PlanChanged(*_stamp(a, on, t), old_plan=a.plan, new_plan=x.plan)]
    return changes, events + _new_term(a, on, t, changes)


def _reactivated() -> Changes:
    return {"cancelled_on": None, "archived_on": None, "expired_on": None}


def _cancel(
    a: Account, x: Cancel, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    changes: Changes = {"cancelled_on": on, "pending_change": None}
    return changes, [AccountCancelled(a.id, on, a.status, t, x.reason, a.paid_through)]


def _disable(
    a: Account, x: Disable, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {"disabled_message": x.message}, [AccountDisabled(*_stamp(a, on, t), message=x.message)]


def _enable(
    a: Account, _x: Action, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {"disabled_message": None}, [AccountEnabled(*_stamp(a, on, t))]


def _archive(
    a: Account, _x: Action, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {"archived_on": on}, [AccountArchived(*_stamp(a, on, t))]


def _expire(
    a: Account, _x: Action, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {"expired_on": on, "pending_change": None}, [AccountExpired(*_stamp(a, on, t))]


def _renew(
    a: Account, x: Renew, on: date, p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    changes = _reactivated()
    if not a.plan.is_paid:
        renewed: list[AccountEvent] = [
            AccountRenewed(*_stamp(a, on, t), billing_profile_id=a.billing_profile_id)
        ]
        if _is_trial(a):
            ends = on + timedelta(days=p.extra_trial_days)
            changes.update(trial_ends_on=ends, extra_trial_used=True)
            renewed.append(ExtraTrialGranted(*_stamp(a, on, t), trial_ends_on=ends))
        return changes, renewed
    profile = _profile(a, x.billing_profile_id)
    changes["billing_profile_id"] = profile
    events: list[AccountEvent] = [AccountRenewed(*_stamp(a, on, t), billing_profile_id=profile)]
    still_paid = a.status is S.CANCELLED and not is_cancelled_and_expired(a, on)
    return changes, events if still_paid else events + _new_term(a, on, t, changes)


def _notification_email(
    a: Account, x: ChangeNotificationEmail, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    if problem := email_problem(x.email):
        raise InvalidInput.one("notification email", "email", problem)
    event = NotificationEmailChanged(
        *_stamp(a, on, t), old_email=a.notification_email, new_email=x.email
    )
    return {"notification_email": x.email}, [event]


def _billing_profile(
    a: Account, x: ChangeBillingProfile, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    event = BillingProfileChanged(
        *_stamp(a, on, t), old_profile_id=a.billing_profile_id, new_profile_id=x.billing_profile_id
    )
    return {"billing_profile_id": x.billing_profile_id}, [event]


def _branding(
    a: Account, x: ChangeBranding, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    return {"branding": x.branding}, [BrandingChanged(*_stamp(a, on, t), branding=x.branding)]


def _custom_domain(
    a: Account, x: ChangeCustomDomain, on: date, _p: LifecyclePolicy, t: S
) -> tuple[Changes, list[AccountEvent]]:
    domain = x.custom_domain.strip().lower() if x.custom_domain else None
    if domain is not None and (problem := host_name_problem(domain)):
        raise InvalidInput.one("custom domain", "custom_domain", problem)
    return {"custom_domain": domain}, [CustomDomainChanged(*_stamp(a, on, t), custom_domain=domain)]


# -- the table ----------------------------------------------------------------------------

_EDITS: dict[str, Effect] = {
    "change_notification_email": _notification_email,
    "change_billing_profile": _billing_profile,
    "change_branding": _branding,
    "change_custom_domain": _custom_domain,
}


def _rows() -> dict[tuple[AccountStatus, str], Move]:
    rows: dict[tuple[AccountStatus, str], Move] = {
        (S.CREATING, "provisioned"): Move(S.ACTIVE, _provisioned),
        (S.CREATING, "provisioning_failed"): Move(S.EXPIRED, _provisioning_failed),
        (S.EXPIRED, "renew"): Move(S.ACTIVE, _renew, _renew_expired),
        (S.EXPIRED, "change_plan"): Move(S.ACTIVE, _change_plan),
        (S.EXPIRED, "archive"): Move(S.ARCHIVED, _archive),
        (S.CANCELLED, "renew"): Move(S.ACTIVE, _renew, _renew_cancelled),
        (S.CANCELLED, "change_plan"): Move(S.ACTIVE, _change_plan),
        (S.CANCELLED, "archive"): Move(S.ARCHIVED, _archive, _ran_out),
        (S.ARCHIVED, "renew"): Move(S.ACTIVE, _renew, _renew_archived),
        (S.ARCHIVED, "change_plan"): Move(S.ACTIVE, _change_plan),
        (S.ACTIVE, "disable"): Move(S.DISABLED, _disable),
        (S.ACTIVE, "change_plan"): Move(S.ACTIVE, _change_plan, _not_paid),
        (S.DISABLED, "enable"): Move(S.ACTIVE, _enable),
    }
    # A disabled account is still billed (B1): it keeps every paid-account move but stays disabled.
    for status in (S.ACTIVE, S.DISABLED):
        rows[status, "end_trial"] = Move(S.EXPIRED, _trial_ended, _trial_only)
        rows[status, "upgrade"] = Move(status, _upgrade, _paid_only)
        rows[status, "downgrade"] = Move(status, _downgrade, _paid_only)
        rows[status, "withdraw_pending_change"] = Move(status, _withdraw, _has_pending)
        rows[status, "apply_pending_change"] = Move(status, _apply_pending, _pending_due)
        rows[status, "cancel"] = Move(S.CANCELLED, _cancel)
        rows[status, "dunning_exhausted"] = Move(S.EXPIRED, _expire, _paid_only)
    for status in (S.CREATING, S.ACTIVE, S.DISABLED, S.EXPIRED, S.CANCELLED, S.ARCHIVED):
        for name, effect in _EDITS.items():
            rows[status, name] = Move(status, effect)
    return rows


TRANSITIONS: Mapping[tuple[AccountStatus, str], Move] = _rows()
"""The one transition table: (status, action name) -> move. There is no delete (T2)."""

_ADVICE: dict[str, str] = {
    "provisioned": "only an account being created is provisioned",
    "provisioning_failed": "only an account being created can fail provisioning",
    "end_trial": "only an active trial ends",
    "upgrade": "renew it or change its plan first",
    "downgrade": "renew it or change its plan first",
    "withdraw_pending_change": "only an active account has a pending change",
    "apply_pending_change": "only an active account has a pending change",
    "change_plan": "wait until the account is ready",
    "cancel": "only an active or disabled account can be cancelled",
    "disable": "only an active account can be disabled",
    "enable": "only a disabled account can be enabled",
    "archive": "only an expired or cancelled and expired account can be archived",
    "renew": "only a cancelled, expired or archived account is renewed",
    "dunning_exhausted": "only an active or disabled paid account is billed",
}


def status_label(account: Account, on: date) -> str:
    """Return the account's status as a person says it ("cancelled and expired" included)."""
    if is_cancelled_and_expired(account, on):
        return "cancelled and expired"
    return account.status.value


def apply(account: Account, action: Action, *, on: date, policy: LifecyclePolicy) -> Transition:
    """Apply ``action`` to ``account`` on day ``on``.

    Args:
        account: The account; it is never mutated.
        action: What is asked.
        on: The day it happens (the caller's clock).
        policy: Renewal and trial settings.

    Returns:
        A changed copy of the account and the events that explain the change.

    Raises:
        InvalidTransition: When the action is not allowed in the account's status; the
            message names the status, the action and what to do instead.
        SandboxNotConvertible: When a sandbox is asked to take a paid plan (R3).
        InvalidInput: When a parameter of the action is bad.
    """
    plan = getattr(action, "plan", None)
    if isinstance(plan, PlanSelection) and plan.is_paid and _is_sandbox(account):
        raise SandboxNotConvertible(account.status.value, action.name)
    move = TRANSITIONS.get((account.status, action.name))
    if move is None:
        advice = _ADVICE.get(action.name, "see docs/lifecycle.md for the allowed actions")
        raise InvalidTransition(status_label(account, on), action.name, advice)
    guard = move.guard
    if guard is not None and (refusal := guard(account, on, policy)) is not None:
        raise InvalidTransition(status_label(account, on), action.name, refusal)
    target = move.target
    # An effect takes the action as Any: the table pairs each effect with its own action.
    changes, events = move.effect(account, action, on, policy, target)
    return Transition(_moved(account, target, changes), tuple(events))
