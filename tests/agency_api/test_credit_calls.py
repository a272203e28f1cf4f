"""The credit calls of the agency API, checked through the portal's balances (API1, C1-C6)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import resell_core as rc

PLUS = "V3/marketing/plus/2500/monthly"

Call = Callable[..., dict[str, Any]]
Form = Callable[..., dict[str, Any]]
State = Callable[[], Any]
AddActive = Callable[..., rc.Account]


def test_API1_account_emailtest_credits_apply_moves_inbox_previews_to_the_account(
    call: Call,
    add_active: AddActive,
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
) -> None:
    """Bought inbox-preview credits move from the agency to the account (C6)."""
    account = add_active()
    portal.buy_credits(acme.id, "inbox_preview", 50, card.id)
    answer = call("account_emailtest_credits_apply", account="north-bakery", credits=20)
    assert (answer["result_code"], answer["kind"], answer["balance"]) == (1, "inbox_preview", "20")
    assert portal.balances(acme.id, account_id=account.id).inbox_preview == Decimal(20)
    assert portal.balances(acme.id).inbox_preview == Decimal(30)


def test_API1_account_credits_apply_earmarks_prepaid_credit_for_the_account(
    call: Call,
    add_active: AddActive,
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
) -> None:
    """Prepaid credit moves from the card's pool to the account's earmark (C3)."""
    account = add_active()
    portal.buy_credits(acme.id, "prepaid", "100.00", card.id)
    answer = call("account_credits_apply", account="north-bakery", credits="12.50")
    assert (answer["kind"], answer["credits"]) == ("prepaid", "12.50")
    assert portal.balances(acme.id, account_id=account.id).prepaid == rc.Money("12.50", "USD")


def test_API1_sms_credits_never_go_to_a_starter_account(
    call: Call, add_active: AddActive, api: rc.AgencyApi, card: rc.BillingProfile, state: State
) -> None:
    """C5 holds through the API: credit_not_allowed, and nothing moves."""
    add_active("corner-shop", "V3/marketing/starter/500/monthly")
    api.portal.buy_credits(card.agency_id, "sms", 100, card.id)
    before = state()
    failed = call("account_credits_apply", account="corner-shop", credits=10, kind="sms")
    assert failed["error_code"] == "credit_not_allowed"
    assert state() == before


def test_API1_assigning_more_than_was_bought_is_insufficient_credit(
    call: Call, add_active: AddActive, state: State
) -> None:
    """Credits the agency does not hold cannot be assigned; nothing moves."""
    add_active()
    before = state()
    failed = call("account_emailtest_credits_apply", account="north-bakery", credits=5)
    assert failed["error_code"] == "insufficient_credit"
    assert state() == before


def test_API1_credits_must_be_positive(call: Call, add_active: AddActive) -> None:
    """Zero credits are refused as invalid_input on the credits parameter."""
    add_active()
    failed = call("account_credits_apply", account="north-bakery", credits="0")
    assert failed["error_code"] == "invalid_input"
    assert failed["problems"][0]["field"] == "credits"


def test_API1_a_float_amount_is_invalid_request(call: Call, add_active: AddActive) -> None:
    """Credits as a float are refused: amounts travel as decimal strings."""
    add_active()
    failed = call("account_credits_apply", account="north-bakery", credits=12.5)
    assert failed["error_code"] == "invalid_request"
    assert failed["problems"][0]["field"] == "credits"
