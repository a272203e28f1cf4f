"""Property of the change preview (P1): preview, then apply, gives the same invoice lines,
the same amounts and the same payment split, for generated plans, days and balances."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import event, given, settings

import resell_core as rc
from resell_core.testing.hostile import snapshot
from resell_core.testing.portal import bakery_form, sample_agency, sample_card, sample_portal
from resell_core.testing.strategies import ChangeCase, change_cases


def _billed_account(case: ChangeCase) -> tuple[rc.PartnerPortal, rc.Account, rc.BillingProfile]:
    """ACME-DIGITAL's north-bakery on the case's plan, its first period billed and paid by
    card, the case's prepaid balances bought, and its earlier change made half-way."""
    portal = sample_portal()
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    created = portal.add_account(acme.id, bakery_form("north-bakery", case.current, card.id))
    portal.process_provisioning()
    portal.run_billing()
    bakery = created.account.id
    if case.earmarked:
        portal.buy_credits(acme.id, "prepaid", case.earmarked, card.id, bakery)
    if case.pool:
        portal.buy_credits(acme.id, "prepaid", case.pool, card.id)
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    if case.first is not None:
        clock.advance(timedelta(days=case.day // 2))
        # A first change the rules refuse leaves the account as it was.
        with contextlib.suppress(rc.ResellError):
            portal.edit_account(acme.id, bakery, plan=case.first)
        clock.advance(timedelta(days=case.day - case.day // 2))
    else:
        clock.advance(timedelta(days=case.day))
    return portal, portal.account(acme.id, bakery), card


@settings(max_examples=60)
@given(case=change_cases())
def test_P1_preview_then_apply_gives_the_same_lines_amounts_and_split(case: ChangeCase) -> None:
    """Whatever the plans, day and balances: the edit issues the previewed invoice (number,
    lines, total), split as previewed, schedules the previewed change, and the preview
    changed nothing; a preview refused is an edit refused with the same code."""
    portal, account, _ = _billed_account(case)
    agency = account.agency_id
    before = snapshot(portal)
    try:
        preview = portal.preview_change(agency, account.id, plan=case.new)
    except rc.ResellError as refused:
        code = refused.code
        event(f"refused: {code}")
        assert snapshot(portal) == before
        with pytest.raises(rc.ResellError) as error:
            portal.edit_account(agency, account.id, plan=case.new)
        assert error.value.code == code
        return
    assert snapshot(portal) == before

    edited = portal.edit_account(agency, account.id, plan=case.new)

    assert edited.account.plan == preview.plan
    assert edited.account.pending_change == preview.pending
    expected = preview.invoice
    issued = edited.invoice
    if expected is not None:
        prepaid = not (expected.payment.earmarked + expected.payment.pool).is_zero()
        event(f"invoice: card {expected.payment.card.is_positive()}, prepaid {prepaid}")
    else:
        event("no invoice")
    if expected is None:
        assert issued is None
        return
    assert issued is not None
    assert (issued.number, issued.issued_on) == (expected.number, expected.issued_on)
    assert issued.lines == expected.lines
    assert issued.total == expected.total
    assert rc.PaymentPlan(issued.paid_earmarked, issued.paid_pool, issued.paid_card) == (
        expected.payment
    )
    assert issued.status is rc.InvoiceStatus.PAID
