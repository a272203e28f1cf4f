"""Properties of the lifecycle: the table holds, refusals change nothing, access stays safe."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

from resell_core.errors import AccessDenied, InvalidInput, InvalidTransition
from resell_core.lifecycle import (
    TRANSITIONS,
    Account,
    Action,
    LifecyclePolicy,
    LoginOutcome,
    LoginState,
    allowed_actions,
    apply,
    attempt_login,
    issue_reset,
    redeem_reset,
)
from resell_core.lifecycle.account import account_with
from resell_core.testing.strategies import action_sequences, lifecycle_accounts, lifecycle_actions

POLICY = LifecyclePolicy()
AT = datetime(2024, 3, 10, 9, 0, tzinfo=UTC)


def _start(account: Account) -> date:
    return max(d for d in (account.created_on, account.cancelled_on, account.archived_on) if d)


@given(lifecycle_accounts(), action_sequences)
def test_random_actions_never_leave_the_table(
    account: Account, steps: list[tuple[Action, int]]
) -> None:
    """Every accepted action is a row of the table; its events run before -> after."""
    on = _start(account)
    for action, gap in steps:
        on += timedelta(days=gap)
        try:
            result = apply(account, action, on=on, policy=POLICY)
        except (InvalidTransition, InvalidInput):
            continue
        move = TRANSITIONS[account.status, action.name]
        assert result.account.status is move.target
        assert result.events, "every change yields an event"
        assert result.events[0].before is account.status
        assert all(e.account_id == account.id for e in result.events)
        account = result.account


@given(lifecycle_accounts(), lifecycle_actions, st.integers(0, 800))
def test_rejected_action_changes_nothing(account: Account, action: Action, days: int) -> None:
    """A refused action leaves the account exactly as it was."""
    before = attrs.asdict(account)
    with contextlib.suppress(InvalidTransition, InvalidInput):
        apply(account, action, on=account.created_on + timedelta(days=days), policy=POLICY)
    assert attrs.asdict(account) == before


@given(lifecycle_accounts(), lifecycle_actions, st.integers(0, 800))
def test_an_accepted_action_builds_the_account_attrs_evolve_would(
    account: Account, action: Action, days: int
) -> None:
    """The moved account holds every field attrs.evolve gives it from the move's changes."""
    on = account.created_on + timedelta(days=days)
    try:
        result = apply(account, action, on=on, policy=POLICY)
    except (InvalidTransition, InvalidInput):
        assume(False)
        raise
    move = TRANSITIONS[account.status, action.name]
    changes, _ = move.effect(account, action, on, POLICY, move.target)

    expected = attrs.evolve(account, status=move.target, **changes)
    assert attrs.astuple(result.account, recurse=False) == attrs.astuple(expected, recurse=False)
    assert type(result.account) is Account


@given(lifecycle_accounts(), st.integers(0, 800))
def test_offered_actions_are_rows_of_the_table(account: Account, days: int) -> None:
    """Whatever the overview offers (beyond branding and history) the table allows."""
    offered = allowed_actions(account, account.created_on + timedelta(days=days))

    assert offered[-2:] == ("branding", "billing_history")
    assert all((account.status, name) in TRANSITIONS for name in offered[:-2])


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 400)), max_size=40))
def test_S5_lockout_timeline(attempts: list[tuple[bool, int]]) -> None:
    """Accepted only when unlocked; a lock never moves; locked answers ignore the password."""
    state, at = LoginState(), AT
    for password_ok, gap in attempts:
        at += timedelta(seconds=gap)
        was_locked = state.is_locked(at)
        new, outcome = attempt_login(state, password_ok, at)
        if was_locked:
            assert (new, outcome) == (state, LoginOutcome.LOCKED)
        else:
            assert (outcome is LoginOutcome.ACCEPTED) == password_ok
        assert new.failures < 5
        state = new


@given(st.binary(min_size=16, max_size=32), st.integers(0, 7200), st.integers(0, 7200))
def test_S4_tokens_never_verify_twice_or_after_expiry(
    token_bytes: bytes, first: int, second: int
) -> None:
    """A reset token works at most once, and never from its expiry on."""
    delivery = issue_reset("acc-1", to="ops@north-bakery.test", random_bytes=token_bytes, at=AT)
    used = None
    try:
        used = redeem_reset(delivery.ticket, delivery.token, AT + timedelta(seconds=first))
    except AccessDenied:
        assert first >= 3600
    else:
        assert first < 3600
    if used is not None:
        try:
            redeem_reset(used, delivery.token, AT + timedelta(seconds=second))
        except AccessDenied:
            pass
        else:
            raise AssertionError("a reset token verified twice")


_ACCOUNT_FIELDS = [field.name for field in attrs.fields(Account) if field.init]


@given(lifecycle_accounts(), lifecycle_accounts(), st.sets(st.sampled_from(_ACCOUNT_FIELDS)))
def test_account_with_equals_attrs_evolve(
    account: Account, other: Account, names: set[str]
) -> None:
    """A changed account by account_with has every field attrs.evolve gives it."""
    changes = {name: getattr(other, name) for name in names}
    copied = account_with(account, changes)
    assert copied is not account
    assert attrs.asdict(copied, recurse=False) == attrs.asdict(
        attrs.evolve(account, **changes), recurse=False
    )
