"""Getting into accounts: single sign-on (R5), login with lockout (S5), password reset (S4).

Everything is kept in the storage's ``tokens`` repository: the password hash (kind
``"credentials"``, keyed by account name), the login's lock (kind ``"login"``, same key),
its failure count (kind ``"login_failures"``, same key, counted by the atomic
``TokenStore.increment`` before any password is checked, S6), reset tickets (kind
``"reset"``, keyed by the token's SHA-256), the mark that a reset replaced a given hash
(kind ``"password_replaced"``, until every link issued for it has expired) and used
single sign-on nonces (kind ``"sso_nonce"``, until the ticket expires).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import attrs

from resell_core.billing.notices import Notice, NoticeKind
from resell_core.errors import AccessDenied, AlreadyExists
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.affordances import can_single_sign_on
from resell_core.lifecycle.credentials import (
    ADMIN_USERNAME,
    PasswordHash,
    hash_password,
    verify_password,
    verify_unknown,
)
from resell_core.lifecycle.lockout import (
    LoginOutcome,
    LoginResult,
    LoginState,
    attempt_login,
    may_check,
)
from resell_core.lifecycle.reset import (
    RESET_ANSWER,
    ResetDelivery,
    ResetTicket,
    issue_reset,
    password_version,
    redeem_reset,
)
from resell_core.lifecycle.sso import SsoClaims, issue_sso_ticket
from resell_core.lifecycle.sso import verify_sso_ticket as verify_ticket
from resell_core.ports import AccessRecord, TokenStore, UnitOfWork
from resell_core.serialization import from_json, to_json
from resell_core.service.accounts import CREDENTIALS, credentials_key
from resell_core.service.context import PLATFORM, Command, Context, Work, run_command

__all__ = [
    "LOGIN",
    "LOGIN_FAILURES",
    "RESET",
    "SSO_NONCE",
    "agency_reset_password",
    "complete_password_reset",
    "login",
    "login_as",
    "request_password_reset",
    "verify_sso_ticket",
]

LOGIN = "login"
LOGIN_FAILURES = "login_failures"
PASSWORD_REPLACED = "password_replaced"
RESET = "reset"
SSO_NONCE = "sso_nonce"
_RANDOM_BYTES = 16
_STALE_RESET = "this reset link is not valid (it may have expired or been used): ask for a new one"


def login_as(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    user: str,
    valid_for: timedelta | None,
    actor: str,
) -> str:
    """Sign a single sign-on ticket into the agency's account (R5, O9's Login).

    Raises:
        NotFound: No such account in this agency.
        AccessDenied: The account is cancelled (it logs in at its own page), being
            created or archived.
    """

    def body(work: Work) -> str:
        account = work.uow.accounts.get(agency_id, account_id)
        ticket = issue_sso_ticket(
            account,
            agency_id=agency_id,
            secret=ctx.sso_secret,
            nonce=ctx.secrets.token_bytes(_RANDOM_BYTES),
            at=work.now,
            user=user,
            valid_for=valid_for,
            policy=ctx.policies.sso,
        )
        work.audit("single_sign_on_issued", account_id, after=user)
        return ticket

    return run_command(ctx, Command("login_as", agency_id, {}, actor), body, str)


class _UsedNonces:
    """The used-nonce set of :func:`~resell_core.lifecycle.sso.verify_sso_ticket`."""

    def __init__(self, tokens: TokenStore) -> None:
        self._tokens = tokens

    def __contains__(self, nonce: object) -> bool:
        return isinstance(nonce, str) and self._tokens.get(SSO_NONCE, nonce) is not None


def verify_sso_ticket(ctx: Context, agency_id: str, account_id: str, ticket: str) -> SsoClaims:
    """Accept a ticket presented to ``account_id`` once (R5); its nonce is then used up.

    Raises:
        AccessDenied: Wrong signature, expired, used, for another agency or account, or
            the account no longer takes single sign-on (cancelled since, S8).
    """

    def body(work: Work) -> SsoClaims:
        claims = verify_ticket(
            ticket,
            secret=ctx.sso_secret,
            agency_id=agency_id,
            account_id=account_id,
            at=work.now,
            used_nonces=_UsedNonces(work.uow.tokens),
        )
        account = work.uow.accounts.find(account_id)
        if account is None or account.agency_id != agency_id or not can_single_sign_on(account):
            raise AccessDenied(
                "this sign-on ticket is not valid any more: the account no longer takes "
                "single sign-on (a cancelled account logs in at its own login page)"
            )
        try:
            work.uow.tokens.add(
                AccessRecord(SSO_NONCE, claims.nonce, agency_id, account_id, "", claims.expires_at)
            )
        except AlreadyExists:
            raise AccessDenied("this sign-on ticket was used already: ask again") from None
        work.audit("single_sign_on_used", account_id, after=claims.user)
        return claims

    command = Command("verify_sso_ticket", agency_id, {}, PLATFORM)
    return run_command(ctx, command, body, SsoClaims)


def _login_state(tokens: TokenStore, key: str) -> LoginState:
    record = tokens.get(LOGIN, key)
    return LoginState() if record is None else from_json(record.data, LoginState)


def login(ctx: Context, account_name: str, password: str) -> LoginResult:
    """Check a login at the account's own page, with the lockout of S5 and S6.

    After 5 failures in a row the login is locked for 5 minutes (the policy's figures);
    every attempt during the lock is answered ``locked``, right password or not. Each
    attempt is counted atomically before its password is checked, so that of any number
    of attempts at once at most 5 are checked before the lock (S6); the lock is audited
    once, with its count (``login_locked``); refused and locked answers are not audited
    one by one (an accepted login is, ``login_accepted``). An unknown account name is
    refused after the same hash work as a known one (S7). The right password of a
    disabled account answers ``disabled`` with the agency's message (S9). A hash weaker
    than the policy is made again after a successful check.
    """
    key = credentials_key(account_name.strip())

    def body(work: Work) -> LoginResult:
        tokens, now = work.uow.tokens, work.now
        credentials, lockout = ctx.policies.credentials, ctx.policies.lockout
        stored = tokens.get(CREDENTIALS, key)
        if stored is None:
            verify_unknown(password, credentials)
            return LoginResult(LoginOutcome.REFUSED)
        if _login_state(tokens, key).is_locked(now):
            return LoginResult(LoginOutcome.LOCKED)
        counter = AccessRecord(
            LOGIN_FAILURES, key, stored.agency_id, stored.subject, "", lockout.count_expires(now)
        )
        attempt = tokens.increment(counter, at=now)
        if not may_check(_login_state(tokens, key), attempt, now, lockout):
            return LoginResult(LoginOutcome.LOCKED)
        check = verify_password(password, PasswordHash.decode(stored.data), credentials)
        new_state, outcome = attempt_login(LoginState(attempt - 1), check.ok, now, lockout)
        if outcome is LoginOutcome.REFUSED:
            return LoginResult(outcome)
        tokens.put(attrs.evolve(counter, data="0"))
        if outcome is LoginOutcome.LOCKED:
            tokens.put(
                AccessRecord(LOGIN, key, stored.agency_id, stored.subject, to_json(new_state))
            )
            work.audit(
                "login_locked", stored.subject, after=str(attempt), agency_id=stored.agency_id
            )
            return LoginResult(outcome)
        if check.needs_rehash:
            rehashed = hash_password(
                password, salt=ctx.secrets.token_bytes(_RANDOM_BYTES), policy=credentials
            )
            tokens.put(attrs.evolve(stored, data=rehashed.encoded))
        account = work.uow.accounts.find(stored.subject)
        if account is not None and account.status is AccountStatus.DISABLED:
            return LoginResult(LoginOutcome.DISABLED, account.disabled_message or "")
        work.audit("login_accepted", stored.subject, agency_id=stored.agency_id)
        return LoginResult(outcome)

    return run_command(ctx, Command("login", PLATFORM, {}), body, LoginResult)


def _send_reset(work: Work, account: Account, delivery: ResetDelivery) -> None:
    ticket = delivery.ticket
    work.uow.tokens.put(
        AccessRecord(
            RESET,
            ticket.token_hash,
            account.agency_id,
            account.id,
            to_json(ticket),
            ticket.expires_at,
        )
    )
    link = f"{work.ctx.login_url(account).removesuffix('/login')}/reset?token={delivery.token}"
    work.notify(
        Notice(
            NoticeKind.PASSWORD_RESET,
            delivery.to,
            f"Choose a new password for {account.name}",
            f"Open {link} within the hour to choose a new password for {ADMIN_USERNAME}.",
            account.agency_id,
            account.id,
        )
    )
    work.audit("password_reset_sent", account.id, agency_id=account.agency_id)


def _find_by_name(uow: UnitOfWork, account_name: str) -> Account | None:
    stored = uow.tokens.get(CREDENTIALS, credentials_key(account_name.strip()))
    return None if stored is None else uow.accounts.find(stored.subject)


def _password_version(uow: UnitOfWork, account: Account) -> str:
    """The fingerprint of the account's stored hash, that its reset tickets carry (S8)."""
    stored = uow.tokens.get(CREDENTIALS, credentials_key(account.name))
    return password_version("" if stored is None else stored.data)


def request_password_reset(ctx: Context, account_name: str, email: str) -> str:
    """Answer "forgot password" at the account's login page (S4).

    The reset link goes to the account's address (its notification email) when ``email``
    is that address; the answer is the same whether or not it is, so that nobody learns
    which addresses belong to accounts.

    Returns:
        :data:`~resell_core.lifecycle.reset.RESET_ANSWER`.
    """

    def body(work: Work) -> str:
        random_bytes = ctx.secrets.token_bytes(_RANDOM_BYTES)
        account = _find_by_name(work.uow, account_name)
        if account is None or account.notification_email.casefold() != email.strip().casefold():
            return RESET_ANSWER
        delivery = issue_reset(
            account.id,
            to=account.notification_email,
            random_bytes=random_bytes,
            at=work.now,
            policy=ctx.policies.reset,
            version=_password_version(work.uow, account),
        )
        _send_reset(work, account, delivery)
        return RESET_ANSWER

    return run_command(ctx, Command("request_password_reset", PLATFORM, {}), body, str)


def agency_reset_password(
    ctx: Context, agency_id: str, account_id: str, *, actor: str, idempotency_key: str | None
) -> None:
    """Send the account's reset email on the agency's behalf (S4).

    Raises:
        NotFound: No such account in this agency.
    """

    def body(work: Work) -> None:
        account = work.uow.accounts.get(agency_id, account_id)
        delivery = issue_reset(
            account.id,
            to=account.notification_email,
            random_bytes=ctx.secrets.token_bytes(_RANDOM_BYTES),
            at=work.now,
            policy=ctx.policies.reset,
            version=_password_version(work.uow, account),
        )
        _send_reset(work, account, delivery)

    command = Command(
        "agency_reset_password", agency_id, {"account_id": account_id}, actor, idempotency_key
    )
    run_command(ctx, command, body, None)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def complete_password_reset(ctx: Context, token: str, new_password: str) -> None:
    """Set the ``admin`` password with a reset link's token, once (S4).

    The login's lock and failure count are cleared with it, and every other outstanding
    reset link of the account stops working: it was issued for the password replaced (S8).

    Raises:
        AccessDenied: The token is wrong, expired, used, or the password changed since it
            was sent.
        InvalidInput: The new password is too short (10 characters at least).
    """

    def body(work: Work) -> None:
        record = work.uow.tokens.take(RESET, _token_hash(token))
        if record is None:
            raise AccessDenied(_STALE_RESET)
        account = work.uow.accounts.get(record.agency_id, record.subject)
        version = _password_version(work.uow, account)
        redeem_reset(from_json(record.data, ResetTicket), token, work.now, version)
        # A password is replaced once: of two links redeemed at once, both read before
        # either wrote, the second's mark clashes with the first's at commit (S8).
        work.uow.tokens.add(
            AccessRecord(
                PASSWORD_REPLACED,
                f"{credentials_key(account.name)}:{version}",
                account.agency_id,
                account.id,
                "",
                work.now + ctx.policies.reset.valid_for,
            )
        )
        hashed = hash_password(
            new_password,
            salt=ctx.secrets.token_bytes(_RANDOM_BYTES),
            policy=ctx.policies.credentials,
        )
        key = credentials_key(account.name)
        work.uow.tokens.put(
            AccessRecord(CREDENTIALS, key, account.agency_id, account.id, hashed.encoded)
        )
        work.uow.tokens.put(
            AccessRecord(LOGIN, key, account.agency_id, account.id, to_json(LoginState()))
        )
        work.uow.tokens.put(AccessRecord(LOGIN_FAILURES, key, account.agency_id, account.id, "0"))
        work.audit("password_reset", account.id, agency_id=account.agency_id)

    try:
        run_command(ctx, Command("complete_password_reset", PLATFORM, {}), body, None)
    except AlreadyExists as clash:
        if clash.kind != PASSWORD_REPLACED:
            raise
        raise AccessDenied(_STALE_RESET) from None
