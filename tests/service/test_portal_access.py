"""Access through the portal: login with lockout, password reset, single sign-on
(S3, S4, S5, R5)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.lifecycle import ADMIN_USERNAME, RESET_ANSWER, hash_password

from .conftest import NewPortal

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


def _set_password(portal: rc.PartnerPortal, password: str, name: str = "north-bakery") -> None:
    hashed = hash_password(password, salt=bytes(range(16)), policy=rc.ScryptPolicy.fast())
    with portal.storage.unit_of_work() as uow:
        stored = uow.tokens.get("credentials", name)
        assert stored is not None
        uow.tokens.put(attrs.evolve(stored, data=hashed.encoded))
        uow.commit()


def _token(notice: rc.Notice) -> str:
    found = re.search(r"token=([A-Za-z0-9_-]+)", notice.body)
    assert found is not None
    return found.group(1)


def test_S3_the_login_handed_out_at_creation_works(
    portal: rc.PartnerPortal, acme: rc.Agency, form: Callable[..., rc.NewAccount]
) -> None:
    """The password of the creation result logs in; another one does not."""
    password = _password(portal, acme, form)

    assert portal.login("north-bakery", password).outcome is rc.LoginOutcome.ACCEPTED
    assert portal.login("north-bakery", "wrong-password").outcome is rc.LoginOutcome.REFUSED


def test_S5_sixth_attempt_is_locked_even_with_right_password(
    portal: rc.PartnerPortal, acme: rc.Agency, form: Callable[..., rc.NewAccount]
) -> None:
    """Five failures lock the login for 5 minutes; the right password is then answered locked."""
    password = _password(portal, acme, form)

    outcomes = [portal.login("north-bakery", "guess-guess").outcome for _ in range(5)]

    assert outcomes[-1] is rc.LoginOutcome.LOCKED
    assert portal.login("north-bakery", password).outcome is rc.LoginOutcome.LOCKED
    _advance(portal, timedelta(minutes=5))
    assert portal.login("north-bakery", password).outcome is rc.LoginOutcome.ACCEPTED


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
    assert answer == RESET_ANSWER
    assert [n.to for n in sent] == ["bakery@acme.test"]
    portal.complete_password_reset(_token(sent[0]), "fresh-bread-2024")
    assert portal.login("north-bakery", "fresh-bread-2024").outcome is rc.LoginOutcome.ACCEPTED
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

    assert answer == RESET_ANSWER
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

    assert portal.login("north-bakery", "fresh-bread-2024").outcome is rc.LoginOutcome.ACCEPTED


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


# -- trust under fire (S5, S7, S8, S9) ------------------------------------------------------


def _lock(portal: rc.PartnerPortal) -> None:
    for _ in range(5):
        portal.login("north-bakery", "guess-guess")


def test_S5_one_audit_entry_per_lock_with_its_count(
    portal: rc.PartnerPortal, acme: rc.Agency, form: Callable[..., rc.NewAccount]
) -> None:
    """An hour of five wrong guesses every 5 minutes leaves 12 lock entries, nothing per try."""
    _password(portal, acme, form)
    before = len(portal.events(acme.id))

    for _ in range(12):
        for _ in range(10):
            portal.login("north-bakery", "guess-guess")
        _advance(portal, timedelta(minutes=5))

    entries = portal.events(acme.id)[before:]
    assert [(e.action, e.after) for e in entries] == [("login_locked", "5")] * 12


def test_S5_a_locked_login_leaves_sign_on_and_reset_working(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Callable[..., rc.NewAccount],
    notifier: RecordingNotifier,
) -> None:
    """While locked the agency still signs in by SSO and sends a reset that clears the lock."""
    password = _password(portal, acme, form)
    bakery = portal.accounts(acme.id).rows[0].account_id
    _lock(portal)

    claims = portal.verify_sso_ticket(acme.id, bakery, portal.login_as(acme.id, bakery))
    portal.agency_reset_password(acme.id, bakery)
    portal.complete_password_reset(
        _token(notifier.of_kind(rc.NoticeKind.PASSWORD_RESET)[-1]), "fresh-bread-2024"
    )

    assert claims.user == ADMIN_USERNAME
    assert portal.login("north-bakery", password).outcome is rc.LoginOutcome.REFUSED
    assert portal.login("north-bakery", "fresh-bread-2024").outcome is rc.LoginOutcome.ACCEPTED


def _counting_scrypt(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """Record the (n, r, p) of every scrypt call from now on."""
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def scrypt(password: bytes, **options: Any) -> bytes:
        calls.append((options["n"], options["r"], options["p"]))
        return real(password, **options)

    monkeypatch.setattr(hashlib, "scrypt", scrypt)
    return calls


def test_S7_an_unknown_account_name_costs_the_same_hash_work(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Callable[..., rc.NewAccount],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A login for no account hashes once, at the same cost as a wrong password for one."""
    _password(portal, acme, form)
    calls = _counting_scrypt(monkeypatch)

    known = portal.login("north-bakery", "guess-guess")
    unknown = portal.login("south-bakery", "guess-guess")

    assert (known.outcome, unknown.outcome) == (rc.LoginOutcome.REFUSED,) * 2
    assert len(calls) == 2
    assert calls[0] == calls[1]


def _stored_hash(portal: rc.PartnerPortal, name: str) -> str:
    with portal.storage.unit_of_work() as uow:
        record = uow.tokens.get("credentials", name)
    assert record is not None
    return record.data


def test_S7_a_stronger_policy_rehashes_an_old_form_hash_at_the_next_login(
    acme: rc.Agency, form: Callable[..., rc.NewAccount], new_portal: NewPortal
) -> None:
    """A hash in the old scrypt$n$r$p form still logs in, and is stored again, stronger."""
    weak = rc.ScryptPolicy.fast()
    stronger = rc.ScryptPolicy(n=2**5, r=2, p=1)
    portal = new_portal(policies=rc.Policies(credentials=stronger))
    agency = portal.register_agency("Acme Digital", "ops@acme.test", "USD")
    portal.add_account(agency.id, form("north-bakery", rc.PlanSelection("V1", "EM", "trial")))
    portal.process_provisioning()
    old = hash_password("north-bakery-2024", salt=bytes(range(16)), policy=weak)
    legacy = "$".join(
        ["scrypt", "16", "1", "1", *(base64.b64encode(b).decode() for b in (old.salt, old.digest))]
    )
    with portal.storage.unit_of_work() as uow:
        stored = uow.tokens.get("credentials", "north-bakery")
        assert stored is not None
        uow.tokens.put(attrs.evolve(stored, data=legacy))
        uow.commit()

    first = portal.login("north-bakery", "north-bakery-2024")
    rehashed = _stored_hash(portal, "north-bakery")
    second = portal.login("north-bakery", "north-bakery-2024")

    assert (first.outcome, second.outcome) == (rc.LoginOutcome.ACCEPTED,) * 2
    assert rehashed.startswith("scrypt$n=32,r=2,p=1$")
    assert _stored_hash(portal, "north-bakery") == rehashed


def test_S8_a_password_reset_revokes_every_other_reset_link(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    form: Callable[..., rc.NewAccount],
    notifier: RecordingNotifier,
) -> None:
    """Of two reset links, the one left over after the other was used is refused."""
    _password(portal, acme, form)
    portal.request_password_reset("north-bakery", "bakery@acme.test")
    portal.request_password_reset("north-bakery", "bakery@acme.test")
    first, second = (_token(n) for n in notifier.of_kind(rc.NoticeKind.PASSWORD_RESET))

    portal.complete_password_reset(second, "fresh-bread-2024")

    with pytest.raises(rc.AccessDenied):
        portal.complete_password_reset(first, "stolen-bread-2024")
    assert portal.login("north-bakery", "fresh-bread-2024").outcome is rc.LoginOutcome.ACCEPTED


def test_S8_a_sign_on_ticket_no_longer_verifies_once_its_account_is_cancelled(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """A ticket signed before the cancel is refused after it."""
    bakery = add_active("north-bakery")
    ticket = portal.login_as(acme.id, bakery.id)

    portal.cancel_account(acme.id, bakery.id, "closing the shop")

    with pytest.raises(rc.AccessDenied):
        portal.verify_sso_ticket(acme.id, bakery.id, ticket)


@pytest.mark.parametrize("user", ["root", "", "Admin", "admin "])
def test_S8_sign_on_names_a_real_user_of_the_account(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive, user: str
) -> None:
    """Only the account's own users (its admin) get a ticket."""
    bakery = add_active("north-bakery")

    with pytest.raises(rc.InvalidInput) as error:
        portal.login_as(acme.id, bakery.id, user)

    assert error.value.problems[0].field == "user"
    assert error.value.problems[0].allowed == (ADMIN_USERNAME,)


@pytest.mark.parametrize(
    "valid_for", [timedelta(0), timedelta(seconds=-60), timedelta(minutes=5, microseconds=1)]
)
def test_S8_a_ticket_life_of_zero_negative_or_past_the_maximum_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive, valid_for: timedelta
) -> None:
    """valid_for must be within (0, 5 minutes]: 0 no longer silently becomes 60 s."""
    bakery = add_active("north-bakery")

    with pytest.raises(rc.InvalidInput) as error:
        portal.login_as(acme.id, bakery.id, valid_for=valid_for)

    assert error.value.problems[0].field == "valid_for"


def test_S9_a_disabled_account_answers_disabled_with_the_agencys_message(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The right password gets "disabled" and the agency's message; a wrong one is refused."""
    bakery = add_active("north-bakery")
    password = "north-bakery-2024"
    _set_password(portal, password)
    portal.disable_account(acme.id, bakery.id, "Your invoice is overdue: call Acme Digital")

    disabled = portal.login("north-bakery", password)
    wrong = portal.login("north-bakery", "guess-guess")
    portal.enable_account(acme.id, bakery.id)

    assert disabled == rc.LoginResult(
        rc.LoginOutcome.DISABLED, "Your invoice is overdue: call Acme Digital"
    )
    assert wrong == rc.LoginResult(rc.LoginOutcome.REFUSED)
    assert portal.login("north-bakery", password).outcome is rc.LoginOutcome.ACCEPTED
