"""Access through the portal: login with lockout, password reset, single sign-on
(S3, S4, S5, R5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier

AddActive = Callable[..., rc.Account]


def _password(portal: rc.PartnerPortal, acme: rc.Agency, form: Callable[..., rc.NewAccount]) -> str:
    created = portal.add_account(
        acme.id, form("north-bakery", rc.PlanSelection("V1", "EM", "trial"))
    )
    portal.process_provisioning()
    assert created.password is not None
    return created.password


def _advance(portal: rc.PartnerPortal, delta: timedelta) -> None:
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(delta)


def _token(notice: rc.Notice) -> str:
    found = re.search(r"token=([A-Za-z0-9_-]+)", notice.body)
    assert found is not None
    return found.group(1)


def test_S3_the_login_handed_out_at_creation_works(
    portal: rc.PartnerPortal, acme: rc.Agency, form: Callable[..., rc.NewAccount]
) -> None:
    """The password of the creation result logs in; another one does not."""
    password = _password(portal, acme, form)

    assert portal.login("north-bakery", password) is rc.LoginOutcome.ACCEPTED
    assert portal.login("north-bakery", "wrong-password") is rc.LoginOutcome.REFUSED


def test_S5_sixth_attempt_is_locked_even_with_right_password(
    portal: rc.PartnerPortal, acme: rc.Agency, form: Callable[..., rc.NewAccount]
) -> None:
    """Five failures lock the login for 5 minutes; the right password is then answered locked."""
    password = _password(portal, acme, form)

    outcomes = [portal.login("north-bakery", "guess-guess") for _ in range(5)]

    assert outcomes[-1] is rc.LoginOutcome.LOCKED
    assert portal.login("north-bakery", password) is rc.LoginOutcome.LOCKED
    _advance(portal, timedelta(minutes=5))
    assert portal.login("north-bakery", password) is rc.LoginOutcome.ACCEPTED


def test_S4_a_reset_link_goes_to_the_accounts_address_and_works_once(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Callable[..., rc.NewAccount],
    notifier: RecordingNotifier,
) -> None:
    """The reset email reaches the notification email; its token sets a password once."""
    _password(portal, acme, form)

    answer = portal.request_password_reset("north-bakery", "bakery@acme.test")

    sent = notifier.of_kind(rc.NoticeKind.PASSWORD_RESET)
    assert answer == rc.RESET_ANSWER
    assert [n.to for n in sent] == ["bakery@acme.test"]
    portal.complete_password_reset(_token(sent[0]), "fresh-bread-2024")
    assert portal.login("north-bakery", "fresh-bread-2024") is rc.LoginOutcome.ACCEPTED
    with pytest.raises(rc.AccessDenied):
        portal.complete_password_reset(_token(sent[0]), "another-pass-2024")


def test_S4_an_unknown_address_gets_the_same_answer_and_no_email(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Callable[..., rc.NewAccount],
    notifier: RecordingNotifier,
) -> None:
    """Nobody learns whether an address belongs to the account."""
    _password(portal, acme, form)
    notifier.clear()

    answer = portal.request_password_reset("north-bakery", "stranger@evil.test")

    assert answer == rc.RESET_ANSWER
    assert notifier.sent == []


def test_S4_the_agency_triggers_the_reset_and_the_link_expires(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Callable[..., rc.NewAccount],
    notifier: RecordingNotifier,
) -> None:
    """The agency sends the same email; after an hour the link is refused."""
    _password(portal, acme, form)
    bakery = portal.accounts(acme.id).rows[0].account_id

    portal.agency_reset_password(acme.id, bakery)
    _advance(portal, timedelta(hours=1))

    token = _token(notifier.of_kind(rc.NoticeKind.PASSWORD_RESET)[-1])
    with pytest.raises(rc.AccessDenied):
        portal.complete_password_reset(token, "too-late-2024")


def test_S4_a_password_reset_clears_the_lock(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Callable[..., rc.NewAccount],
    notifier: RecordingNotifier,
) -> None:
    """A locked login is usable again right after a reset."""
    _password(portal, acme, form)
    for _ in range(5):
        portal.login("north-bakery", "guess-guess")
    portal.request_password_reset("north-bakery", "bakery@acme.test")

    portal.complete_password_reset(
        _token(notifier.of_kind(rc.NoticeKind.PASSWORD_RESET)[-1]), "fresh-bread-2024"
    )

    assert portal.login("north-bakery", "fresh-bread-2024") is rc.LoginOutcome.ACCEPTED


def test_R5_a_sign_on_ticket_works_once_for_its_account(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The ticket opens north-bakery once; not another account, not twice."""
    bakery = add_active("north-bakery")
    other = add_active("south-bakery")
    ticket = portal.login_as(acme.id, bakery.id)

    with pytest.raises(rc.AccessDenied):
        portal.verify_sso_ticket(acme.id, other.id, ticket)
    claims = portal.verify_sso_ticket(acme.id, bakery.id, ticket)
    with pytest.raises(rc.AccessDenied):
        portal.verify_sso_ticket(acme.id, bakery.id, ticket)

    assert (claims.account_id, claims.user) == (bakery.id, "admin")


def test_R5_a_ticket_expires_after_a_minute(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """A ticket presented 61 seconds later is refused."""
    bakery = add_active("north-bakery")
    ticket = portal.login_as(acme.id, bakery.id)
    _advance(portal, timedelta(seconds=61))

    with pytest.raises(rc.AccessDenied):
        portal.verify_sso_ticket(acme.id, bakery.id, ticket)


def test_R5_an_account_being_created_has_no_sign_on(
    portal: rc.PartnerPortal, acme: rc.Agency, form: Callable[..., rc.NewAccount]
) -> None:
    """Before provisioning reports ready, login_as is refused."""
    created = portal.add_account(
        acme.id, form("north-bakery", rc.PlanSelection("V1", "EM", "trial"))
    )

    with pytest.raises(rc.AccessDenied):
        portal.login_as(acme.id, created.account.id)
