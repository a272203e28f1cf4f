"""The billing run's copies of accounts and invoices equal what ``attrs.evolve`` returns."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given

from resell_core.lifecycle.account import Account
from resell_core.lifecycle.terms import record_period_billed
from resell_core.periods import nth_period
from resell_core.testing import strategies as rs


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in attrs.fields(type(value))}


@given(rs.lifecycle_accounts())
def test_recording_a_billed_period_changes_only_the_cursor_and_paid_through(
    account: Account,
) -> None:
    """The billed account is the account evolved to the next period, every other field kept."""
    index = account.next_period
    frequency = account.plan.frequency or "monthly"
    period = nth_period(account.created_on, frequency, index)
    billed = record_period_billed(account, index, period).account
    expected = attrs.evolve(account, next_period=index + 1, paid_through=period.end)
    assert billed is not account
    assert type(billed) is Account
    assert _fields(billed) == _fields(expected)
