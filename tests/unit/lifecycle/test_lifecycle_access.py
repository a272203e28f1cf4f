"""Access to a resold account: credentials, lockout, password reset, single sign-on."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from resell_core.errors import AccessDenied, InvalidInput, NotFound
from resell_core.lifecycle import (
    RESET_ANSWER,
    Account,
    AccountStatus,
    LockoutPolicy,
    LoginOutcome,
    LoginState,
    PasswordHash,
    ScryptPolicy,
    attempt_login,
    hash_password,
    issue_credentials,
    issue_reset,
    issue_sso_ticket,
    may_check,
    password_version,
    redeem_reset,
    request_password_reset,
    verify_password,
    verify_sso_ticket,
    verify_unknown,
)

FAST = ScryptPolicy.fast()
SALT = bytes(range(100, 116))
AT = datetime(2024, 3, 10, 9, 0, tzinfo=UTC)
SECRET = b"acme-digital-host-secret-32-bytes!!"
NONCE = bytes(range(16))


# -- credentials ----------------------------------------------------------------------------


def test_A12_credentials_are_admin_with_a_password_shown_once() -> None:
    """The issued login is user admin; its repr never shows the password."""
    issued = issue_credentials(bytes(range(16)), salt=SALT, policy=FAST)

    assert issued.username == "admin"
    assert len(issued.password) >= 20
    assert issued.password not in repr(issued)
    assert issued.password not in issued.password_hash.encoded


def test_A12_different_random_bytes_give_different_passwords() -> None:
    """The password comes from the caller's random bytes, not from a fixed value."""
    first = issue_credentials(bytes(16), salt=SALT, policy=FAST)
    second = issue_credentials(bytes([1] * 16), salt=SALT, policy=FAST)

    assert first.password != second.password


def test_S3_password_is_stored_only_as_a_salted_scrypt_hash() -> None:
    """The stored form verifies the password, refuses another, and keeps its parameters."""
    stored = hash_password("north-bakery-secret", salt=SALT, policy=FAST)

    assert verify_password("north-bakery-secret", stored, FAST).ok
    assert not verify_password("north-bakery-secreT", stored, FAST).ok
    assert stored.encoded.startswith(f"scrypt$n={FAST.n},r={FAST.r},p={FAST.p}$")
    assert PasswordHash.decode(stored.encoded) == stored


def test_S3_same_password_with_another_salt_hashes_differently() -> None:
    """Salting makes equal passwords look different in storage."""
    one = hash_password("north-bakery-secret", salt=SALT, policy=FAST)
    two = hash_password("north-bakery-secret", salt=bytes(16), policy=FAST)

    assert one.digest != two.digest


def test_S3_outdated_parameters_ask_for_a_rehash() -> None:
    """A hash made with cheaper parameters verifies, and says it is due for a re-hash."""
    old = hash_password("north-bakery-secret", salt=SALT, policy=FAST)
    stronger = ScryptPolicy(n=2**5, r=1, p=1)

    assert verify_password("north-bakery-secret", old, stronger).needs_rehash
    assert not verify_password("north-bakery-secret", old, FAST).needs_rehash


def test_S3_short_password_and_salt_are_refused_together() -> None:
    """Both problems are reported at once."""
    with pytest.raises(InvalidInput) as error:
        hash_password("short", salt=b"x", policy=FAST)

    assert {p.field for p in error.value.problems} == {"password", "salt"}


def test_S7_default_cost_is_owasps() -> None:
    """The default scrypt cost is OWASP's: N=2**17, r=8, p=1."""
    policy = ScryptPolicy()

    assert (policy.n, policy.r, policy.p) == (2**17, 8, 1)


def test_S7_a_hash_is_a_self_describing_string() -> None:
    """The stored string names the algorithm and its parameters, then salt and digest."""
    stored = hash_password("north-bakery-secret", salt=SALT, policy=FAST)

    algorithm, parameters, salt, digest = stored.encoded.split("$")

    assert (algorithm, parameters) == ("scrypt", "n=16,r=1,p=1")
    assert (base64.b64decode(salt), base64.b64decode(digest)) == (stored.salt, stored.digest)


def test_S7_a_hash_in_the_first_releases_form_still_verifies() -> None:
    """scrypt$n$r$p$salt$digest is still read, and verifies."""
    stored = hash_password("north-bakery-secret", salt=SALT, policy=FAST)
    salt, digest = (base64.b64encode(b).decode() for b in (stored.salt, stored.digest))

    legacy = PasswordHash.decode(f"scrypt$16$1$1${salt}${digest}")

    assert legacy == stored
    assert verify_password("north-bakery-secret", legacy, FAST).ok


@pytest.mark.parametrize(
    "text",
    ["scrypt$n=16,r=1$c2FsdA==$ZGlnZXN0", "bcrypt$n=16,r=1,p=1$c2FsdA==$ZGlnZXN0", "scrypt$16"],
)
def test_S7_a_string_that_is_no_hash_is_refused(text: str) -> None:
    """Missing parameters, another algorithm or a cut string are invalid input."""
    with pytest.raises(InvalidInput):
        PasswordHash.decode(text)


def test_S7_only_a_stronger_policy_asks_for_a_rehash() -> None:
    """A weaker or equal policy leaves the stored hash alone."""
    stored = hash_password("north-bakery-secret", salt=SALT, policy=ScryptPolicy(n=2**5, r=2))

    checks = [
        verify_password("north-bakery-secret", stored, policy).needs_rehash
        for policy in (FAST, ScryptPolicy(n=2**5, r=2), ScryptPolicy(n=2**6, r=2))
    ]

    assert checks == [False, False, True]


def test_S7_an_unknown_account_is_hashed_at_the_policys_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """verify_unknown derives one key with the policy's n, r and p, and never matches."""
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def scrypt(password: bytes, **options: Any) -> bytes:
        calls.append((options["n"], options["r"], options["p"]))
        return real(password, **options)

    monkeypatch.setattr(hashlib, "scrypt", scrypt)

    check = verify_unknown("north-bakery-secret", FAST)

    assert calls == [(FAST.n, FAST.r, FAST.p)]
    assert not check.ok


# -- lockout --------------------------------------------------------------------------------


def _fail(times: int, state: LoginState | None = None) -> tuple[LoginState, LoginOutcome]:
    state = state or LoginState()
    outcome = LoginOutcome.ACCEPTED
    for n in range(times):
        state, outcome = attempt_login(state, False, AT + timedelta(seconds=n))
    return state, outcome


def test_S5_fifth_failure_locks_for_five_minutes() -> None:
    """Four refusals, then the fifth failure locks until five minutes later."""
    state, outcome = _fail(5)

    assert outcome is LoginOutcome.LOCKED
    assert state.locked_until == AT + timedelta(seconds=4, minutes=5)


def test_S5_sixth_attempt_is_locked_even_with_right_password() -> None:
    """During the lock the right password gets the same answer as a wrong one."""
    locked, _ = _fail(5)

    right = attempt_login(locked, True, AT + timedelta(minutes=1))
    wrong = attempt_login(locked, False, AT + timedelta(minutes=1))

    assert right == wrong == (locked, LoginOutcome.LOCKED)


def test_S5_attempts_during_the_lock_do_not_extend_it() -> None:
    """The lock ends when it was set to, however many attempts came in between."""
    locked, _ = _fail(5)
    state = locked
    for minute in range(1, 5):
        state, _ = attempt_login(state, False, AT + timedelta(minutes=minute))

    after = attempt_login(state, True, locked.locked_until or AT)

    assert after[1] is LoginOutcome.ACCEPTED


def test_S5_success_resets_the_failure_count() -> None:
    """Four failures, a success, four failures: still not locked."""
    state, _ = _fail(4)
    state, _ = attempt_login(state, True, AT + timedelta(seconds=10))

    state, outcome = _fail(4, state)

    assert outcome is LoginOutcome.REFUSED


def test_S5_lockout_numbers_are_a_policy() -> None:
    """Three failures lock for an hour under a stricter policy."""
    strict = LockoutPolicy(max_failures=3, lock_for=timedelta(hours=1))
    state = LoginState()
    for _ in range(3):
        state, outcome = attempt_login(state, False, AT, strict)

    assert outcome is LoginOutcome.LOCKED
    assert state.locked_until == AT + timedelta(hours=1)


def test_S5_naive_time_is_refused() -> None:
    """Attempts carry an aware time."""
    with pytest.raises(InvalidInput):
        attempt_login(LoginState(), True, datetime(2024, 3, 10, 9, 0))  # noqa: DTZ001


def test_S6_only_the_first_five_counted_attempts_are_checked() -> None:
    """Attempts counted 1..5 are checked; the 6th on, and any during a lock, are not."""
    locked = LoginState(0, AT + timedelta(minutes=5))

    checked = [may_check(LoginState(), attempt, AT) for attempt in range(1, 8)]

    assert checked == [True] * 5 + [False] * 2
    assert not may_check(locked, 1, AT + timedelta(minutes=4))
    assert may_check(locked, 1, AT + timedelta(minutes=5))


# -- password reset -------------------------------------------------------------------------


def test_S8_a_ticket_issued_for_a_replaced_password_is_refused() -> None:
    """A ticket carries the stored hash's version; once the hash changed it is refused."""
    before, after = password_version("scrypt$n=16,r=1,p=1$old"), password_version("new")
    delivery = issue_reset(
        "acc-1", to="ops@north-bakery.test", random_bytes=NONCE, at=AT, version=before
    )
    legacy = attrs.evolve(delivery.ticket, password_version="")
    later = AT + timedelta(minutes=5)

    assert redeem_reset(delivery.ticket, delivery.token, later, before).used_at == later
    assert redeem_reset(legacy, delivery.token, later, after).used_at == later
    with pytest.raises(AccessDenied):
        redeem_reset(delivery.ticket, delivery.token, later, after)


def test_S4_reset_answer_is_the_same_for_known_and_unknown_emails() -> None:
    """Nobody learns from the answer whether an address has an account."""
    known = request_password_reset("ops@north-bakery.test", "acc-1", random_bytes=NONCE, at=AT)
    unknown = request_password_reset("who@nowhere.test", None, random_bytes=NONCE, at=AT)

    assert known.answer == unknown.answer == RESET_ANSWER
    assert known.delivery is not None
    assert unknown.delivery is None


def test_S4_reset_token_is_stored_hashed_and_used_once() -> None:
    """The ticket keeps a hash; the token works once, then never again."""
    delivery = issue_reset("acc-1", to="ops@north-bakery.test", random_bytes=NONCE, at=AT)

    used = redeem_reset(delivery.ticket, delivery.token, AT + timedelta(minutes=5))

    assert delivery.token not in repr(delivery)
    assert delivery.token != delivery.ticket.token_hash
    assert used.used_at == AT + timedelta(minutes=5)
    with pytest.raises(AccessDenied):
        redeem_reset(used, delivery.token, AT + timedelta(minutes=6))


def test_S4_reset_token_expires_after_an_hour() -> None:
    """At one hour the link no longer works."""
    delivery = issue_reset("acc-1", to="ops@north-bakery.test", random_bytes=NONCE, at=AT)

    with pytest.raises(AccessDenied):
        redeem_reset(delivery.ticket, delivery.token, AT + timedelta(hours=1))


def test_S4_wrong_token_is_refused() -> None:
    """Another token for the same ticket does not work."""
    delivery = issue_reset("acc-1", to="ops@north-bakery.test", random_bytes=NONCE, at=AT)

    with pytest.raises(AccessDenied):
        redeem_reset(delivery.ticket, delivery.token + "x", AT)


def test_S4_agency_sets_a_new_admin_password() -> None:
    """The agency's new password replaces the stored hash; the old one stops working."""
    old = hash_password("north-bakery-secret", salt=SALT, policy=FAST)

    new = hash_password("a-brand-new-secret", salt=bytes(16), policy=FAST)

    assert verify_password("a-brand-new-secret", new, FAST).ok
    assert not verify_password("north-bakery-secret", new, FAST).ok
    assert old != new


# -- single sign-on -------------------------------------------------------------------------


def _ticket(account: Account, at: datetime = AT) -> str:
    return issue_sso_ticket(account, agency_id="ACME-DIGITAL", secret=SECRET, nonce=NONCE, at=at)


def test_R5_ticket_signs_the_agency_into_its_account_once(paid: Account) -> None:
    """A fresh ticket verifies; its nonce, once recorded, refuses a replay."""
    ticket = _ticket(paid)

    claims = verify_sso_ticket(
        ticket, secret=SECRET, agency_id="ACME-DIGITAL", account_id=paid.id, at=AT, used_nonces=()
    )

    assert (claims.account_id, claims.user) == (paid.id, "admin")
    with pytest.raises(AccessDenied):
        verify_sso_ticket(
            ticket,
            secret=SECRET,
            agency_id="ACME-DIGITAL",
            account_id=paid.id,
            at=AT,
            used_nonces={claims.nonce},
        )


def test_R5_ticket_lives_sixty_seconds(paid: Account) -> None:
    """At 59 s it works, at 60 s it is refused."""
    ticket = _ticket(paid)

    verify_sso_ticket(
        ticket, secret=SECRET, agency_id="ACME-DIGITAL", account_id=paid.id,
        at=AT + timedelta(seconds=59), used_nonces=(),
    )  # fmt: skip
    with pytest.raises(AccessDenied):
        verify_sso_ticket(
            ticket, secret=SECRET, agency_id="ACME-DIGITAL", account_id=paid.id,
            at=AT + timedelta(seconds=60), used_nonces=(),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("secret", "agency", "account"),
    [
        (b"another-host-secret-of-32-bytes!!!", "ACME-DIGITAL", "acc-1"),
        (SECRET, "OTHER-AGENCY", "acc-1"),
        (SECRET, "ACME-DIGITAL", "acc-2"),
    ],
)
def test_R5_ticket_is_bound_to_secret_agency_and_account(
    paid: Account, secret: bytes, agency: str, account: str
) -> None:
    """A ticket checked with another secret, agency or account is refused."""
    ticket = _ticket(paid)

    with pytest.raises(AccessDenied):
        verify_sso_ticket(
            ticket, secret=secret, agency_id=agency, account_id=account, at=AT, used_nonces=()
        )


def test_R5_tampered_ticket_is_refused(paid: Account) -> None:
    """Changing the payload breaks the signature."""
    payload, signature = _ticket(paid).split(".")

    with pytest.raises(AccessDenied):
        verify_sso_ticket(
            payload[:-2] + "AA." + signature, secret=SECRET, agency_id="ACME-DIGITAL",
            account_id=paid.id, at=AT, used_nonces=(),
        )  # fmt: skip


def test_R5_no_ticket_for_a_cancelled_account(paid: Account) -> None:
    """Cancelled accounts log in at their own page: the ticket is refused."""
    cancelled = attrs.evolve(paid, status=AccountStatus.CANCELLED)

    with pytest.raises(AccessDenied, match="own login page"):
        _ticket(cancelled)


def test_R5_another_agency_account_is_not_found(paid: Account) -> None:
    """Tenancy: another agency's account does not exist for this one."""
    theirs = attrs.evolve(paid, agency_id="OTHER-AGENCY")

    with pytest.raises(NotFound):
        _ticket(theirs)


@pytest.mark.parametrize("user", ["root", "", "admin|root"])
def test_S8_a_ticket_names_a_user_of_the_account(paid: Account, user: str) -> None:
    """Only the account's admin is signed; any other name is invalid input."""
    with pytest.raises(InvalidInput) as error:
        issue_sso_ticket(
            paid, agency_id="ACME-DIGITAL", secret=SECRET, nonce=NONCE, at=AT, user=user
        )

    assert error.value.problems[0].field == "user"


@pytest.mark.parametrize(
    "valid_for", [timedelta(0), timedelta(seconds=-1), timedelta(minutes=5, seconds=1)]
)
def test_S8_a_ticket_life_out_of_bounds_is_refused(paid: Account, valid_for: timedelta) -> None:
    """Zero, negative and past-maximum lives are refused, never replaced by the default."""
    with pytest.raises(InvalidInput) as error:
        issue_sso_ticket(
            paid,
            agency_id="ACME-DIGITAL",
            secret=SECRET,
            nonce=NONCE,
            at=AT,
            valid_for=valid_for,
        )

    assert error.value.problems[0].field == "valid_for"
