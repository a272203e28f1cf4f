"""Moving accounts in and out, and template shares (T1, T2, R6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier

AddActive = Callable[..., rc.Account]


def test_T1_an_account_moves_in_only_after_its_owner_confirms(
    portal: rc.PartnerPortal, acme: rc.Agency, notifier: RecordingNotifier
) -> None:
    """The request waits; on confirmation it is moved and the agency is told."""
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")
    assert request.status is rc.TransferStatus.PENDING
    assert notifier.sent == []

    moved = portal.confirm_transfer(acme.id, request.id)

    assert moved.status is rc.TransferStatus.MOVED
    assert [(n.kind, n.to) for n in notifier.sent] == [
        (rc.NoticeKind.TRANSFER_COMPLETED, "ops@acme.test")
    ]


def test_T1_a_rejected_request_never_moves(
    portal: rc.PartnerPortal, acme: rc.Agency, state: Callable[..., Any]
) -> None:
    """After the owner rejects, confirming is refused and nothing changes."""
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")
    portal.reject_transfer(acme.id, request.id)
    before = state(acme.id)

    with pytest.raises(rc.InvalidTransition):
        portal.confirm_transfer(acme.id, request.id)

    assert state(acme.id) == before
    assert portal.transfer_request(acme.id, request.id).status is rc.TransferStatus.REJECTED


def test_T1_an_unanswered_request_expires(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """Confirming after the request's 14 days is refused."""
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(timedelta(days=14))

    with pytest.raises(rc.InvalidTransition):
        portal.confirm_transfer(acme.id, request.id)


def test_T1_another_agency_cannot_confirm_the_request(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency
) -> None:
    """Acme's request does not exist for Globex."""
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")

    with pytest.raises(rc.NotFound):
        portal.confirm_transfer(globex.id, request.id)


def test_T2_removal_waits_for_the_branding_to_be_removed(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    state: Callable[..., Any],
) -> None:
    """A branded account cannot be asked out; once unbranded the request is recorded."""
    bakery = add_active("north-bakery")
    portal.set_branding(
        acme.id,
        bakery.id,
        rc.Branding("https://cdn.acme.test/logo.png", "#0A3D62", "#F8C291", "Acme Mail"),
    )
    before = state(acme.id)

    with pytest.raises(rc.InvalidTransition):
        portal.request_removal(acme.id, bakery.id, "owner@north-bakery.test")
    assert state(acme.id) == before
    portal.remove_branding(acme.id, bakery.id)
    removal = portal.request_removal(acme.id, bakery.id, "owner@north-bakery.test")

    assert removal.account_id == bakery.id
    assert portal.account(acme.id, bakery.id).id == bakery.id  # never deleted


def test_T2_the_portal_has_no_way_to_delete_an_account(portal: rc.PartnerPortal) -> None:
    """No portal method deletes or removes an account outright."""
    names = [n for n in dir(portal) if not n.startswith("_")]

    assert not [n for n in names if "account" in n and ("delete" in n or n.startswith("remove"))]


def test_R6_a_template_share_is_recorded_for_the_hosted_product(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The share request is returned and logged with its link."""
    bakery = add_active("north-bakery")

    request = portal.share_template(acme.id, bakery.id, "https://share.acme.test/t/spring")

    last = portal.events(acme.id, bakery.id)[-1]
    assert (last.action, last.after) == ("template_share_requested", request.share_link)


def test_R6_a_link_that_is_not_https_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """An http link is bad input."""
    bakery = add_active("north-bakery")

    with pytest.raises(rc.InvalidInput):
        portal.share_template(acme.id, bakery.id, "http://share.acme.test/t/spring")
