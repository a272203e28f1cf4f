"""Idempotency keys (I1): a request is recognised by what it means, not by how its numbers
are written, and a caller that lost a race for a key receives the first result."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.service.context import Command, Work, fingerprint, run_command


def _charges(portal: rc.PartnerPortal) -> int:
    gateway = portal.gateway
    assert isinstance(gateway, SimulatedGateway)
    return len(gateway.charges)


def test_I1_one_amount_written_five_ways_is_one_purchase(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """1000 written as "1000", "1000.0", "1000.00", a Decimal and an int buys once."""
    written: list[Decimal | int | str] = ["1000", "1000.0", "1000.00", Decimal("1000"), 1000]

    purchases = [
        portal.buy_credits(acme.id, "sms", quantity, card.id, idempotency_key="sms-april")
        for quantity in written
    ]

    assert {p.invoice.id for p in purchases} == {purchases[0].invoice.id}
    assert _charges(portal) == 1
    assert portal.balances(acme.id).sms == Decimal("1000")


def test_I1_money_and_its_plain_amount_are_one_prepaid_purchase(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Money("50.00", "USD") and "50" for a USD agency are the same prepaid purchase."""
    first = portal.buy_credits(
        acme.id, "prepaid", rc.Money("50.00", "USD"), card.id, idempotency_key="top-up-1"
    )

    again = portal.buy_credits(acme.id, "prepaid", "50", card.id, idempotency_key="top-up-1")

    assert again.invoice.id == first.invoice.id
    assert _charges(portal) == 1


def test_I1_amounts_that_differ_under_one_key_still_conflict(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """1000 and 10000, or 50 USD and 50 EUR, are other requests: IdempotencyConflict."""
    portal.buy_credits(acme.id, "sms", "1000", card.id, idempotency_key="sms-april")
    portal.buy_credits(acme.id, "prepaid", "50", card.id, idempotency_key="top-up-1")

    with pytest.raises(rc.IdempotencyConflict):
        portal.buy_credits(acme.id, "sms", "10000", card.id, idempotency_key="sms-april")
    with pytest.raises(rc.IdempotencyConflict):
        portal.buy_credits(acme.id, "sms", "100", card.id, idempotency_key="sms-april")
    with pytest.raises(rc.IdempotencyConflict):
        portal.buy_credits(
            acme.id, "prepaid", rc.Money("50", "EUR"), card.id, idempotency_key="top-up-1"
        )
    assert _charges(portal) == 2


def test_I1_a_reseller_rate_written_two_ways_registers_one_agency(
    portal: rc.PartnerPortal,
) -> None:
    """reseller_rate "0.2", "0.20" and Decimal("0.200") under one key make one agency."""
    rates: list[Decimal | str] = ["0.2", "0.20", Decimal("0.200")]

    agencies = [
        portal.register_agency(
            "North Agency", "ops@north.test", "USD", reseller_rate=rate, idempotency_key="join"
        )
        for rate in rates
    ]

    assert {a.id for a in agencies} == {agencies[0].id}


def test_I1_fingerprints_compare_decimals_by_value_without_rounding() -> None:
    """10 = 10.0 = 1E1 and -0 = 0, but 10 != 100 and a 40-digit fraction is kept whole."""

    def digest(value: object) -> str:
        return fingerprint(Command("buy_credits", "ACME-DIGITAL", {"quantity": value}))

    assert digest(Decimal("10")) == digest(Decimal("10.00")) == digest(Decimal("1E1"))
    assert digest(Decimal("-0.00")) == digest(Decimal("0"))
    assert digest(rc.Money("12.50", "USD")) == digest(rc.Money("12.5", "USD"))
    assert digest(Decimal("10")) != digest(Decimal("100"))
    assert digest(Decimal("1." + "0" * 39 + "1")) != digest(Decimal("1"))
    assert digest(rc.Money("12.50", "USD")) != digest(rc.Money("12.50", "EUR"))


def test_I1_the_loser_of_a_race_for_a_key_receives_the_first_result(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A call whose key is stored by another call meanwhile returns that call's result."""
    ctx = portal.context
    command = Command("add_portal_user", acme.id, {"email": "ada@acme.test"}, "api", "key-ada")
    calls: list[str] = []

    def body(work: Work) -> str:
        calls.append("ran")
        if len(calls) == 1:
            # Another caller with the same key gets in first and commits.
            run_command(ctx, command, body, str)
        user = rc.PortalUser(work.new_id("user"), acme.id, "ada@acme.test", "Ada")
        work.uow.users.add(user)
        return user.id

    first = run_command(ctx, command, body, str)

    assert [u.id for u in portal.portal_users(acme.id)] == [first]
    assert calls == ["ran", "ran"]


def test_I1_a_keyed_request_refused_by_a_rule_is_answered_at_once(
    acme: rc.Agency, card: rc.BillingProfile, portal: rc.PartnerPortal
) -> None:
    """A profile in use is refused without waiting for a first result that never comes."""
    waiting = attrs.evolve(portal.context.policies, idempotency_wait=timedelta(minutes=1))
    slow = rc.PartnerPortal.embedded(policies=waiting, storage=portal.storage)
    slow.add_account(
        acme.id,
        rc.NewAccount(
            "north-bakery", "North Bakery", "ops@acme.test", "DE", "de", "Europe/Berlin",
            rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly"),
            billing_profile_id=card.id,
        ),
    )  # fmt: skip
    started = time.monotonic()

    with pytest.raises(rc.ProfileInUse):
        slow.delete_billing_profile(acme.id, card.id, idempotency_key="drop-visa")

    assert time.monotonic() - started < 10
