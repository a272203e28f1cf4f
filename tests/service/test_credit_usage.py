"""The hosted product's reports of unit-credit usage (C7), on every adapter: used once per
usage id, never below zero, in the credit history."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import resell_core as rc
from resell_core.billing import SPENT, account_wallet, unit_kinds

AddActive = Callable[..., rc.Account]
State = Callable[..., Any]


@pytest.fixture
def bakery(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> rc.Account:
    """North Bakery, active, holding 100 SMS and 10 inbox-preview credits."""
    account = add_active("north-bakery")
    portal.buy_credits(acme.id, "sms", 100, card.id, account.id)
    portal.buy_credits(acme.id, "inbox_preview", 10, card.id, account.id)
    return account


def test_C7_a_reported_use_takes_the_accounts_credits_and_shows_in_the_history(
    portal: rc.PartnerPortal, acme: rc.Agency, bakery: rc.Account
) -> None:
    """Thirty SMS and two inbox previews used: the balances drop by as much, each use is
    a movement to ``spent`` in the account's history, and audited."""
    sms = portal.record_usage(acme.id, bakery.id, "sms", 30, "sms-0001")
    previews = portal.record_usage(acme.id, bakery.id, rc.CreditKind.INBOX_PREVIEW, 2, "ip-0001")

    balance = portal.balances(acme.id, account_id=bakery.id)
    assert (sms.left, previews.left) == (Decimal(70), Decimal(8))
    assert (balance.sms, balance.inbox_preview) == (Decimal(70), Decimal(8))
    history = portal.credit_history(acme.id, "sms", bakery.id)
    assert [(m.quantity, m.destination) for m in history] == [
        (Decimal(100), account_wallet(bakery.id)),
        (Decimal(30), SPENT),
    ]
    assert history[-1] == sms.movement
    assert [e.action for e in portal.events(acme.id, bakery.id)][-2:] == [
        "credits_used",
        "credits_used",
    ]


def test_C7_the_same_usage_id_twice_is_used_once_and_answers_the_first_result(
    portal: rc.PartnerPortal, acme: rc.Agency, bakery: rc.Account
) -> None:
    """A report sent again answers what the first did; the credits are used once."""
    first = portal.record_usage(acme.id, bakery.id, "sms", 30, "sms-0001")
    again = portal.record_usage(acme.id, bakery.id, "sms", 30, "sms-0001")

    assert again == first
    assert portal.balances(acme.id, account_id=bakery.id).sms == Decimal(70)
    assert len(portal.credit_history(acme.id, "sms", bakery.id)) == 2


def test_C7_the_same_usage_id_with_other_figures_is_a_coded_conflict(
    portal: rc.PartnerPortal, acme: rc.Agency, bakery: rc.Account, state: State
) -> None:
    """Another count or kind under a used id is refused; nothing more is used."""
    portal.record_usage(acme.id, bakery.id, "sms", 30, "sms-0001")
    before = state(acme.id)

    for kind, count in (("sms", 31), ("inbox_preview", 30)):
        with pytest.raises(rc.IdempotencyConflict):
            portal.record_usage(acme.id, bakery.id, kind, count, "sms-0001")

    assert state(acme.id) == before


def test_C7_a_use_beyond_the_balance_is_refused_whole_and_changes_nothing(
    portal: rc.PartnerPortal, acme: rc.Agency, bakery: rc.Account, state: State
) -> None:
    """Eleven inbox previews from ten: refused with insufficient_credit, none used, and
    the id stays free for a report the account can cover."""
    before = state(acme.id)

    with pytest.raises(rc.InsufficientCredit) as refused:
        portal.record_usage(acme.id, bakery.id, "inbox_preview", 11, "ip-0001")

    assert refused.value.code == "insufficient_credit"
    assert state(acme.id) == before
    assert portal.record_usage(acme.id, bakery.id, "inbox_preview", 10, "ip-0001").left == 0


@pytest.mark.parametrize(
    "case",
    [
        ("prepaid", 1, "u-1", "kind"),
        ("whatsapp", 1, "u-1", "kind"),
        ("sms", 0, "u-1", "count"),
        ("sms", -5, "u-1", "count"),
        ("sms", 1, "   ", "usage_id"),
        ("sms", 1, "u" * 101, "usage_id"),
    ],
)
def test_C7_bad_reports_are_refused_naming_the_field(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    bakery: rc.Account,
    state: State,
    case: tuple[str, int, str, str],
) -> None:
    """Only the unit credits are used, in whole positive counts, under a usage id; a bad
    report changes nothing."""
    kind, count, usage_id, field = case
    before = state(acme.id)

    with pytest.raises(rc.InvalidInput) as refused:
        portal.record_usage(acme.id, bakery.id, kind, count, usage_id)

    assert [p.field for p in refused.value.problems] == [field]
    assert state(acme.id) == before


def test_C7_another_agencys_account_is_not_found(
    portal: rc.PartnerPortal, globex: rc.Agency, bakery: rc.Account
) -> None:
    """Globex cannot report a use of Acme's account."""
    with pytest.raises(rc.NotFound):
        portal.record_usage(globex.id, bakery.id, "sms", 1, "sms-0001")


def test_C7_the_kinds_are_the_ledgers_unit_credits() -> None:
    """Prepaid money is spent by invoices; SMS and inbox previews are used."""
    assert unit_kinds() == (rc.CreditKind.SMS, rc.CreditKind.INBOX_PREVIEW)
