"""The transition table: statuses, actions, guards, events and the affordances."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import attrs
import pytest

import resell_core
from resell_core import lifecycle
from resell_core.errors import InvalidInput, InvalidTransition, SandboxNotConvertible
from resell_core.lifecycle import (
    TRANSITIONS,
    Account,
    AccountCancelled,
    AccountStatus,
    AccountUpgraded,
    Archive,
    Cancel,
    ChangePlan,
    Disable,
    Downgrade,
    DowngradeScheduled,
    DunningExhausted,
    Enable,
    EndTrial,
    ExtraTrialGranted,
    LifecyclePolicy,
    PendingChangeWithdrawn,
    PeriodBilled,
    PlanChanged,
    ProvisioningFailed,
    Renew,
    TermStarted,
    Transition,
    TrialEnded,
    Upgrade,
    WithdrawPendingChange,
    allowed_actions,
    apply,
    can_single_sign_on,
    is_cancelled_and_expired,
    lifecycle_diagram,
    primary_action,
    record_period_billed,
    start_term,
)
from resell_core.lifecycle.actions import ApplyPendingChange, Provisioned
from resell_core.periods import Period, nth_period
from resell_core.pricing.selection import PlanSelection

POLICY = LifecyclePolicy()
PRO = PlanSelection("V3", "marketing", "professional", 10000, "monthly")
STARTER = PlanSelection("V3", "marketing", "starter", 500, "monthly")
PLUS_ANNUAL = PlanSelection("V3", "marketing", "plus", 2500, "annual")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md"


def _do(account: Account, action: object, on: date) -> Transition:
    return apply(account, action, on=on, policy=POLICY)  # type: ignore[arg-type]


def _billed(account: Account, periods: int) -> Account:
    assert account.anchor is not None
    for n in range(periods):
        period = nth_period(account.anchor, "monthly", n)
        account = record_period_billed(account, n, period).account
    return account


def _cancelled(paid: Account, purchased: date) -> Account:
    """Plus bought on ``purchased``, billed one month, cancelled ten days in."""
    bought = attrs.evolve(paid, purchased_on=purchased, anchor=purchased, next_period=0)
    return _do(
        _billed(bought, 1), Cancel("closing"), purchased + (date(2024, 1, 11) - date(2024, 1, 1))
    ).account


# -- creation and provisioning ------------------------------------------------------------


def test_A12_provisioned_account_becomes_active(make_ready: Callable[..., Account]) -> None:
    """The provisioner's report moves creating to active with an event."""
    account = make_ready(PRO)

    assert account.status is AccountStatus.ACTIVE


def test_A12_failed_provisioning_charges_nothing_and_says_why(paid: Account) -> None:
    """A failed account expires unbilled; the event carries the reason for the agency."""
    creating = attrs.evolve(paid, status=AccountStatus.CREATING)

    result = _do(creating, ProvisioningFailed("no capacity in eu"), date(2024, 3, 10))

    assert result.account.status is AccountStatus.EXPIRED
    assert result.account.paid_through is None
    assert result.events[0].reason == "no capacity in eu"  # type: ignore[attr-defined]


# -- trials -------------------------------------------------------------------------------


def test_TR2_ended_trial_has_status_expired(trial: Account) -> None:
    """A trial that ends is expired, the status the overview's "expired" filter selects."""
    result = _do(trial, EndTrial(), date(2024, 3, 24))

    assert result.account.status is AccountStatus.EXPIRED
    assert result.account.status.value == "expired"
    assert isinstance(result.events[0], TrialEnded)


def test_TR2_only_a_trial_ends(paid: Account) -> None:
    """A paid account is not ended as a trial."""
    with pytest.raises(InvalidTransition, match="only a trial ends"):
        _do(paid, EndTrial(), date(2024, 3, 24))


def test_TR3_expired_trial_changes_to_a_v3_plan(trial: Account) -> None:
    """An expired trial is upgraded by choosing a V3 plan: active, purchased, new term."""
    expired = _do(trial, EndTrial(), date(2024, 3, 24)).account

    result = _do(expired, ChangePlan(PRO, "card-2"), date(2024, 4, 2))

    assert result.account.status is AccountStatus.ACTIVE
    assert result.account.plan == PRO
    assert result.account.purchased_on == date(2024, 4, 2)
    assert (result.account.anchor, result.account.next_period) == (date(2024, 4, 2), 0)
    assert [type(e) for e in result.events] == [PlanChanged, TermStarted]


def test_TR3_expired_trial_is_not_renewed(trial: Account) -> None:
    """Renewing an expired trial is refused with the advice to change its plan."""
    expired = _do(trial, EndTrial(), date(2024, 3, 24)).account

    with pytest.raises(InvalidTransition, match="change its plan"):
        _do(expired, Renew("card-1"), date(2024, 4, 2))


# -- upgrade and downgrade ----------------------------------------------------------------


def test_U1_upgrade_is_immediate(paid: Account) -> None:
    """An upgrade changes the plan at once and keeps the term."""
    result = _do(paid, Upgrade(PRO), date(2024, 3, 20))

    assert result.account.plan == PRO
    assert result.account.anchor == paid.anchor
    assert isinstance(result.events[0], AccountUpgraded)


def test_U1_downgrade_waits_for_the_end_of_the_term_and_can_be_withdrawn(paid: Account) -> None:
    """A downgrade is pending until the period's end; withdrawing it keeps the plan."""
    billed = _billed(paid, 1)

    scheduled = _do(billed, Downgrade(STARTER), date(2024, 3, 20))
    withdrawn = _do(scheduled.account, WithdrawPendingChange(), date(2024, 3, 21))

    assert scheduled.account.plan == paid.plan
    assert scheduled.account.pending_change is not None
    assert scheduled.account.pending_change.effective_on == date(2024, 4, 10)
    assert isinstance(scheduled.events[0], DowngradeScheduled)
    assert withdrawn.account.pending_change is None
    assert isinstance(withdrawn.events[0], PendingChangeWithdrawn)


def test_U1_pending_downgrade_applies_at_the_term_boundary_not_before(paid: Account) -> None:
    """The pending plan takes over on its day; earlier it is refused with that day."""
    scheduled = _do(_billed(paid, 1), Downgrade(STARTER), date(2024, 3, 20)).account

    with pytest.raises(InvalidTransition, match="2024-04-10"):
        _do(scheduled, ApplyPendingChange(), date(2024, 4, 9))
    applied = _do(scheduled, ApplyPendingChange(), date(2024, 4, 10))

    assert applied.account.plan == STARTER
    assert applied.account.pending_change is None


def test_U1_change_of_frequency_starts_a_new_term(paid: Account) -> None:
    """Going annual anchors a new term on the change day."""
    result = _do(_billed(paid, 1), Upgrade(PLUS_ANNUAL), date(2024, 3, 25))

    assert (result.account.anchor, result.account.next_period) == (date(2024, 3, 25), 0)
    assert any(isinstance(e, TermStarted) for e in result.events)


def test_U1_upgrade_of_a_trial_is_refused_with_advice(trial: Account) -> None:
    """A trial has no paid plan to resize: change its plan instead."""
    with pytest.raises(InvalidTransition, match="change its plan"):
        _do(trial, Upgrade(PRO), date(2024, 3, 12))


def test_U1_upgrade_target_must_be_paid(paid: Account) -> None:
    """Upgrading to a trial plan is bad input."""
    with pytest.raises(InvalidInput):
        _do(paid, Upgrade(PlanSelection("V1", "EM", "trial")), date(2024, 3, 12))


# -- sandbox ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action", [ChangePlan(PRO, "card-1"), Upgrade(PRO), Downgrade(STARTER)], ids=str
)
def test_R3_sandbox_never_becomes_paid(sandbox: Account, action: object) -> None:
    """Every way to a paid plan raises the sandbox error, in any status."""
    for status in (AccountStatus.ACTIVE, AccountStatus.EXPIRED, AccountStatus.ARCHIVED):
        account = attrs.evolve(sandbox, status=status, archived_on=date(2024, 3, 11))
        with pytest.raises(SandboxNotConvertible) as error:
            _do(account, action, date(2024, 3, 12))
        assert error.value.code == "sandbox_not_convertible"


# -- cancel -------------------------------------------------------------------------------


def test_R7_cancelled_account_works_until_paid_through(paid: Account) -> None:
    """Cancelled and expired is derived from the paid-through date, not another status."""
    billed = _billed(paid, 1)

    result = _do(billed, Cancel("shop closed"), date(2024, 3, 20))

    assert result.account.status is AccountStatus.CANCELLED
    assert isinstance(result.events[0], AccountCancelled)
    assert not is_cancelled_and_expired(result.account, date(2024, 4, 9))
    assert is_cancelled_and_expired(result.account, date(2024, 4, 10))


def test_R7_only_active_or_disabled_accounts_are_cancelled(paid: Account) -> None:
    """Cancelling twice names the status and what is allowed."""
    cancelled = _do(paid, Cancel(), date(2024, 3, 20)).account

    with pytest.raises(InvalidTransition) as error:
        _do(cancelled, Cancel(), date(2024, 3, 21))

    assert error.value.action == "cancel"
    assert "cancelled" in error.value.status


# -- renewals -----------------------------------------------------------------------------


def test_R1_renewing_a_cancelled_account_keeps_its_term(paid: Account) -> None:
    """Before its paid-through date a cancelled account renews onto the same term."""
    cancelled = _do(_billed(paid, 1), Cancel(), date(2024, 3, 20)).account

    result = _do(cancelled, Renew("card-2"), date(2024, 3, 25))

    assert result.account.status is AccountStatus.ACTIVE
    assert result.account.billing_profile_id == "card-2"
    assert result.account.anchor == paid.anchor
    assert result.account.cancelled_on is None


def test_R1_renewal_needs_a_billing_profile(paid: Account) -> None:
    """A paid renewal without any billing profile asks for one."""
    cancelled = _do(attrs.evolve(paid, billing_profile_id=None), Cancel(), date(2024, 3, 20))

    with pytest.raises(InvalidInput, match="billing profile"):
        _do(cancelled.account, Renew(), date(2024, 5, 1))


def test_R2_old_cancelled_and_expired_account_must_change_its_plan(paid: Account) -> None:
    """Bought before 2023-01-03 and past paid-through: renewal refused, with the advice."""
    old = _cancelled(paid, date(2022, 12, 1))

    with pytest.raises(InvalidTransition) as error:
        _do(old, Renew("card-1"), date(2023, 6, 1))

    assert str(error.value.message) == (
        "renew is not allowed for a cancelled and expired account: it was bought before "
        "2023-01-03: change its plan"
    )
    assert _do(old, ChangePlan(PRO), date(2023, 6, 1)).account.status is AccountStatus.ACTIVE


def test_R2_old_cancelled_account_renews_while_not_expired(paid: Account) -> None:
    """Bought before the cutoff but still paid: renewable."""
    old = _cancelled(paid, date(2022, 12, 1))

    result = _do(old, Renew("card-1"), date(2022, 12, 20))

    assert result.account.status is AccountStatus.ACTIVE


def test_R2_newer_cancelled_and_expired_account_renews_onto_a_new_term(paid: Account) -> None:
    """Bought on the cutoff day or after: renewal after expiry starts a new term."""
    newer = _cancelled(paid, date(2023, 1, 3))

    result = _do(newer, Renew("card-1"), date(2023, 6, 1))

    assert (result.account.anchor, result.account.next_period) == (date(2023, 6, 1), 0)


def test_R2_cutoff_is_a_policy_setting(paid: Account) -> None:
    """Moving the cutoff moves the rule."""
    old = _cancelled(paid, date(2022, 12, 1))
    lenient = LifecyclePolicy(renewal_cutoff=date(2020, 1, 1))

    result = apply(old, Renew("card-1"), on=date(2023, 6, 1), policy=lenient)

    assert result.account.status is AccountStatus.ACTIVE


def test_R2_archived_within_a_year_renews_after_a_year_only_changes(paid: Account) -> None:
    """Archived under one year: renewed as a new term; after: its plan must change."""
    expired = _do(paid, DunningExhausted(), date(2024, 4, 10)).account
    archived = _do(expired, Archive(), date(2024, 5, 1)).account

    renewed = _do(archived, Renew("card-1"), date(2025, 4, 30))
    with pytest.raises(InvalidTransition, match="change its plan"):
        _do(archived, Renew("card-1"), date(2025, 5, 1))

    assert renewed.account.status is AccountStatus.ACTIVE
    assert (renewed.account.anchor, renewed.account.archived_on) == (date(2025, 4, 30), None)


def test_archived_trial_renews_once_with_a_free_two_week_trial(trial: Account) -> None:
    """Unarchiving a trial within a year gives one more 14-day trial, only once."""
    expired = _do(trial, EndTrial(), date(2024, 3, 24)).account
    archived = _do(expired, Archive(), date(2024, 4, 1)).account

    renewed = _do(archived, Renew(), date(2024, 6, 1))
    again = _do(
        _do(renewed.account, EndTrial(), date(2024, 6, 15)).account, Archive(), date(2024, 6, 16)
    )

    assert renewed.account.trial_ends_on == date(2024, 6, 15)
    assert any(isinstance(e, ExtraTrialGranted) for e in renewed.events)
    with pytest.raises(InvalidTransition, match="extra trial"):
        _do(again.account, Renew(), date(2024, 7, 1))


def test_cancelled_account_is_archived_only_after_paid_through(paid: Account) -> None:
    """Archiving a cancelled account that still works is refused with its end day."""
    cancelled = _do(_billed(paid, 1), Cancel(), date(2024, 3, 20)).account

    with pytest.raises(InvalidTransition, match="2024-04-10"):
        _do(cancelled, Archive(), date(2024, 4, 1))
    assert _do(cancelled, Archive(), date(2024, 4, 10)).account.status is AccountStatus.ARCHIVED


# -- disable, dunning ---------------------------------------------------------------------


def test_disable_keeps_the_message_and_enable_clears_it(paid: Account) -> None:
    """The disabled client's message is stored while disabled, and dropped on enable."""
    disabled = _do(paid, Disable("Call ACME-DIGITAL"), date(2024, 3, 12)).account
    enabled = _do(disabled, Enable(), date(2024, 3, 13)).account

    assert (disabled.status, disabled.disabled_message) == (
        AccountStatus.DISABLED,
        "Call ACME-DIGITAL",
    )
    assert (enabled.status, enabled.disabled_message) == (AccountStatus.ACTIVE, None)


def test_dunning_exhausted_expires_a_disabled_account(paid: Account) -> None:
    """Disabled accounts are billed, so their failed payments expire them too."""
    disabled = _do(paid, Disable(), date(2024, 3, 12)).account

    result = _do(disabled, DunningExhausted(), date(2024, 4, 17))

    assert (result.account.status, result.account.expired_on) == (
        AccountStatus.EXPIRED,
        date(2024, 4, 17),
    )


# -- billing helpers ----------------------------------------------------------------------


def test_billing_records_periods_in_order_once(paid: Account) -> None:
    """Each billed period advances next_period and paid_through; a repeat is refused."""
    period = nth_period(date(2024, 3, 10), "monthly", 0)

    result = record_period_billed(paid, 0, period)

    assert (result.account.next_period, result.account.paid_through) == (1, date(2024, 4, 10))
    assert isinstance(result.events[0], PeriodBilled)
    with pytest.raises(InvalidInput):
        record_period_billed(result.account, 0, period)


def test_start_term_resets_the_period_count(paid: Account) -> None:
    """A new term starts at period 0 on its anchor."""
    billed = record_period_billed(paid, 0, Period(date(2024, 3, 10), date(2024, 4, 10))).account

    result = start_term(billed, date(2024, 5, 2))

    assert (result.account.anchor, result.account.next_period) == (date(2024, 5, 2), 0)


# -- the table's own promises ---------------------------------------------------------------


def test_apply_never_mutates_its_input(paid: Account) -> None:
    """The given account is unchanged; the result is a copy."""
    before = attrs.asdict(paid)

    result = _do(paid, Cancel("x"), date(2024, 3, 20))

    assert attrs.asdict(paid) == before
    assert result.account is not paid


def test_refusal_names_status_action_and_advice(paid: Account) -> None:
    """Enabling an active account says which status, which action and what is allowed."""
    with pytest.raises(InvalidTransition) as error:
        _do(paid, Enable(), date(2024, 3, 12))

    assert (error.value.status, error.value.action) == ("active", "enable")
    assert "only a disabled account can be enabled" in str(error.value)


def test_T2_no_action_deletes_an_account() -> None:
    """No row of the table and no public function deletes a resold account."""
    actions = {name for _status, name in TRANSITIONS}
    public = set(lifecycle.__all__) | set(resell_core.__all__)

    assert not [a for a in actions if "delete" in a or "remove" in a]
    assert not [n for n in public if re.search(r"delete|destroy|purge", n, re.IGNORECASE)]


def test_every_table_target_is_a_status() -> None:
    """Every row leads to a known status and every action name has an action class."""
    names = {t.name for t in lifecycle.actions.ACTION_TYPES}

    assert {name for _s, name in TRANSITIONS} == names
    assert all(isinstance(move.target, AccountStatus) for move in TRANSITIONS.values())


def test_docs_diagram_matches_the_table() -> None:
    """docs/lifecycle.md embeds exactly the diagram generated from the table."""
    text = DOCS.read_text(encoding="utf-8")

    embedded = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)

    assert embedded is not None
    assert embedded.group(1) == lifecycle_diagram()


# -- affordances ----------------------------------------------------------------------------


def test_O9_primary_action_is_renew_for_archived_else_login(paid: Account) -> None:
    """Archived rows offer Renew; every other row offers Login."""
    archived = attrs.evolve(paid, status=AccountStatus.ARCHIVED, archived_on=date(2024, 4, 1))

    assert primary_action(archived, date(2024, 5, 1)) == "renew"
    for status in set(AccountStatus) - {AccountStatus.ARCHIVED}:
        assert primary_action(attrs.evolve(paid, status=status)) == "login"


def test_O10_active_paid_account_offers_every_edit_action(paid: Account) -> None:
    """Edit's upgrade, downgrade, cancel, disable and both changes, then branding and history."""
    offered = allowed_actions(paid, date(2024, 3, 12))

    assert offered == (
        "upgrade",
        "downgrade",
        "cancel",
        "disable",
        "change_notification_email",
        "change_billing_profile",
        "branding",
        "billing_history",
    )


def test_O10_offers_follow_the_status(paid: Account, trial: Account) -> None:
    """A disabled account offers enable; a trial offers a plan change, not a resize."""
    disabled = _do(paid, Disable(), date(2024, 3, 12)).account
    trial_offers = allowed_actions(trial, date(2024, 3, 12))

    assert "enable" in allowed_actions(disabled, date(2024, 3, 12))
    assert "disable" not in allowed_actions(disabled, date(2024, 3, 12))
    assert "change_plan" in trial_offers
    assert "upgrade" not in trial_offers


def test_O10_old_cancelled_and_expired_account_offers_change_plan_not_renew(paid: Account) -> None:
    """The R2 guard is reflected in the offers."""
    old = _cancelled(paid, date(2022, 12, 1))

    offered = allowed_actions(old, date(2023, 6, 1))

    assert "renew" not in offered
    assert "change_plan" in offered


def test_R5_single_sign_on_refused_for_cancelled_accounts(paid: Account) -> None:
    """Cancelled accounts log in at their own page, even before paid-through."""
    cancelled = _do(_billed(paid, 1), Cancel(), date(2024, 3, 20)).account

    assert can_single_sign_on(paid, date(2024, 3, 20))
    assert not can_single_sign_on(cancelled, date(2024, 3, 21))


def test_provisioned_event_names_the_change(make_ready: Callable[..., Account]) -> None:
    """The provisioning event carries the account and before -> after."""
    creating = attrs.evolve(make_ready(PRO), status=AccountStatus.CREATING)

    event = _do(creating, Provisioned(), date(2024, 3, 11)).events[0]

    assert (event.account_id, event.before, event.after) == (
        creating.id,
        AccountStatus.CREATING,
        AccountStatus.ACTIVE,
    )
