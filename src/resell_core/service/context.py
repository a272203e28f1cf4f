"""The wiring every use case shares, and the one way a command changes state.

:class:`Context` holds the ports, the catalog and the policies. :func:`run_command` runs a
command's body in one unit of work: it honours the caller's idempotency key, appends the
audit events the body records, stores the result for the key and commits; whatever fails
on the way writes nothing. Effects outside the storage (notices, provisioning requests)
wait in the :class:`Work` until the commit succeeded, so that a failed command sends no
email and starts no provisioning either.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from resell_core._construct import unchecked
from resell_core.audit import AuditEvent
from resell_core.billing.bounds import CreditBounds
from resell_core.billing.commissions import CommissionProgram
from resell_core.billing.credit_notes import CreditDestination
from resell_core.billing.notices import Notice
from resell_core.billing.payment import DunningPolicy
from resell_core.billing.run import BillingRunPolicy
from resell_core.errors import (
    AlreadyExists,
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    ResellError,
    VersionConflict,
    quoted,
)
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.actions import Action
from resell_core.lifecycle.credentials import ScryptPolicy
from resell_core.lifecycle.events import AccountEvent
from resell_core.lifecycle.lockout import LockoutPolicy
from resell_core.lifecycle.moves import apply
from resell_core.lifecycle.policy import LifecyclePolicy
from resell_core.lifecycle.reset import ResetPolicy
from resell_core.lifecycle.sso import SsoPolicy
from resell_core.lifecycle.validation import DataResidency
from resell_core.money import Money
from resell_core.ports import (
    Clock,
    IdempotencyRecord,
    Ids,
    Notifier,
    PaymentGateway,
    PayoutGateway,
    Provisioner,
    Secrets,
    Storage,
    TaxCalculator,
    UnitOfWork,
)
from resell_core.pricing.catalog import Catalog
from resell_core.serialization import from_json, to_json, unstructure

__all__ = [
    "PLATFORM",
    "SYSTEM",
    "Command",
    "Context",
    "Policies",
    "Work",
    "event_action",
    "fingerprint",
    "is_plain_number",
    "number_param",
    "read",
    "run_command",
]

T = TypeVar("T")

SYSTEM = "system"
"""The actor of commands nobody in particular asked for (provisioning reports, runs)."""

PLATFORM = "platform"
"""The idempotency scope of commands that belong to no agency yet (registering one)."""

_UTC = ZoneInfo("UTC")
_MIN_KEY_LIFE = timedelta(hours=24)
_KEY_WAIT = timedelta(seconds=2)
_MIN_SSO_SECRET = 32
_MAX_ACTOR = 200
_MAX_IDEMPOTENCY_KEY = 255  # as the payment gateways' own keys


def _key_life(_instance: object, _attribute: object, value: timedelta) -> None:
    if value < _MIN_KEY_LIFE:
        raise InvalidInput.one(
            "policies", "idempotency_ttl", "keep idempotency keys at least 24 hours"
        )


def _key_wait(_instance: object, _attribute: object, value: timedelta) -> None:
    if value < timedelta(0):
        raise InvalidInput.one(
            "policies", "idempotency_wait", "wait zero seconds or more for a key's first result"
        )


def _destination(value: CreditDestination | str | None) -> CreditDestination | None:
    if value is None:
        return None
    try:
        return CreditDestination(value)
    except ValueError as error:
        raise InvalidInput.one(
            "policies",
            "refund_unused_on_cancel",
            f"{quoted(value)} is not where a refund goes (None: nothing given back)",
            tuple(CreditDestination),
        ) from error


@attrs.frozen
class Policies:
    """Every configurable decision of docs/rules.md (part 2) the service applies.

    Attributes:
        lifecycle: Renewals, archives and trials.
        lockout: Failed logins before a lock, and its length (S5).
        credentials: scrypt cost of stored passwords (A12, S3).
        reset: How long a reset link stays valid (S4).
        sso: Single sign-on ticket lifetimes (R5).
        dunning: The retry schedule of declined charges.
        credit_bounds: The largest purchase, invoice and balance of credit (M1).
        billing_run: How far ahead of today a billing run may bill (M1).
        commissions: The affiliate program's terms (K1, K2).
        residency: The country -> data-center region table (A6).
        idempotency_ttl: How long idempotency keys are kept (24 hours at least).
        idempotency_wait: How long a call that lost a race for its key waits for the
            winner's result to be stored before it gives up with its own error (I1).
        transfer_valid_days: How long a transfer-in request waits for its owner (T1).
        refund_unused_on_cancel: Where the unused part of a cancelled account's paid term
            goes (CN2): ``prepaid`` credit or the ``card``, by a credit note of the
            term's invoice, the account then ending on the day it is cancelled; None (the
            default) keeps the rule that a cancelled account works until its
            paid-through date, nothing given back.
        transfer_start_days: How many days after its move a moved-in account's first term
            may start at the latest (T3).
    """

    lifecycle: LifecyclePolicy = attrs.field(factory=LifecyclePolicy)
    lockout: LockoutPolicy = attrs.field(factory=LockoutPolicy)
    credentials: ScryptPolicy = attrs.field(factory=ScryptPolicy)
    reset: ResetPolicy = attrs.field(factory=ResetPolicy)
    sso: SsoPolicy = attrs.field(factory=SsoPolicy)
    dunning: DunningPolicy = attrs.field(factory=DunningPolicy)
    credit_bounds: CreditBounds = attrs.field(factory=CreditBounds)
    billing_run: BillingRunPolicy = attrs.field(factory=BillingRunPolicy)
    commissions: CommissionProgram = attrs.field(factory=CommissionProgram.sample)
    residency: DataResidency = attrs.field(factory=DataResidency)
    idempotency_ttl: timedelta = attrs.field(default=_MIN_KEY_LIFE, validator=_key_life)
    idempotency_wait: timedelta = attrs.field(default=_KEY_WAIT, validator=_key_wait)
    transfer_valid_days: int = 14
    refund_unused_on_cancel: CreditDestination | None = attrs.field(
        default=None, converter=_destination
    )
    transfer_start_days: int = 366

    @classmethod
    def embedded(cls) -> Policies:
        """The defaults with cheap password hashing, to replay a year in seconds.

        Only for demos, notebooks and tests: the stored hashes are easy to crack.
        """
        return cls(credentials=ScryptPolicy.fast())


def _secret(_instance: object, _attribute: object, value: bytes) -> None:
    if len(value) < _MIN_SSO_SECRET:
        raise InvalidInput.one(
            "portal", "sso_secret", f"give a signing secret of at least {_MIN_SSO_SECRET} bytes"
        )


@attrs.frozen
class Context:
    """The ports, catalog and policies a use case works with (built once by the portal).

    Attributes:
        storage: Where state is kept.
        gateway: Charges of the agencies' cards.
        payouts: Commission payouts.
        notifier: Delivers notices.
        provisioner: Prepares hosted accounts.
        clock: Where "now" comes from.
        ids: Where new ids come from.
        secrets: Where random bytes come from.
        catalog: The price book.
        policies: Every configurable decision.
        sso_secret: The key single sign-on tickets are signed with (32 bytes or more).
        billing_tz: The time zone billing dates are calendar dates in (UTC by default).
        hosting_domain: The vendor's domain account names are sites under (A2).
        taxes: The tax calculator of the invoices (TX1), or None: no tax, and no tax
            step at all.
    """

    storage: Storage
    gateway: PaymentGateway
    payouts: PayoutGateway
    notifier: Notifier
    provisioner: Provisioner
    clock: Clock
    ids: Ids
    secrets: Secrets
    catalog: Catalog
    policies: Policies
    sso_secret: bytes = attrs.field(repr=False, validator=_secret)
    billing_tz: ZoneInfo = _UTC
    hosting_domain: str = "hosted.example"
    taxes: TaxCalculator | None = None

    def now(self) -> datetime:
        """Return the current moment (aware)."""
        return self.clock.now()

    def today(self) -> date:
        """Return today's date in the billing time zone."""
        return self.clock.today(self.billing_tz)

    def login_url(self, account: Account) -> str:
        """Return the address the account's users log in at (its custom domain if any)."""
        host = account.custom_domain or f"{account.name}.{self.hosting_domain}"
        return f"https://{host}/login"


def _printable(limit: int) -> Callable[[object, attrs.Attribute[Any], str | None], None]:
    """Refuse text that is blank, longer than ``limit`` or holds a character that does not
    print (NUL, control, bidi override, lone surrogate): who asks and the idempotency key
    are written to the audit log and the keys' store (E1)."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is None and attribute.name == "idempotency_key":
            return
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            message = f"give 1 to {limit} characters"
        elif not value.isprintable():
            message = "use printable characters only (no control, NUL or bidi characters)"
        else:
            return
        raise InvalidInput.one("command", attribute.name, message)

    return check


@attrs.frozen
class Command:
    """What is asked, as the idempotency check and the audit log see it.

    Attributes:
        name: The use case (``"add_account"``).
        scope: The agency the command acts for, or :data:`PLATFORM`.
        params: The parameters that identify the request; two calls with the same key
            must have the same parameters (anything the converter can unstructure).
        actor: Who asks: a portal user's id, ``"api"``, or :data:`SYSTEM` (1 to 200
            printable characters).
        idempotency_key: The caller's key (1 to 255 printable characters), or None.

    Raises:
        InvalidInput: A blank, overlong or unprintable actor or key (E1).
    """

    name: str
    scope: str
    params: Mapping[str, Any] = attrs.field(factory=dict)
    actor: str = attrs.field(default=SYSTEM, validator=_printable(_MAX_ACTOR))
    idempotency_key: str | None = attrs.field(
        default=None, validator=_printable(_MAX_IDEMPOTENCY_KEY)
    )


def fingerprint(command: Command) -> str:
    """Return a stable digest of the command's name and parameters (SHA-256, hex).

    Parameters go through the library's converter and are written as sorted JSON, so the
    digest does not depend on dict order, and is the same in every process. Decimals (and
    the amounts of :class:`~resell_core.money.Money`) count by value, exactly: 10, 10.0
    and 1E1 are one number, 10 and 100 are two, and no digit is ever rounded away (I1).
    A command passes a number the caller may write in several ways (``"10.00"``, ``10``)
    through :func:`number_param` first.
    """
    params = {name: _by_value(value) for name, value in command.params.items()}
    data = {"command": command.name, "params": unstructure(params)}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _by_value(value: object) -> object:
    if isinstance(value, Decimal):
        return _decimal_key(value)
    if isinstance(value, Money):
        return {"amount": _decimal_key(value.amount), "currency": value.currency}
    if isinstance(value, Mapping):
        return {name: _by_value(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_by_value(item) for item in value]
    return value


def _decimal_key(value: Decimal) -> str:
    """The number's digits without trailing zeros and its exponent: one text per value."""
    if not value.is_finite():
        return str(value)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite Decimal's exponent is a number
    if not any(digits):
        return "0"
    kept = list(digits)
    while kept[-1] == 0:
        kept.pop()
        exponent += 1
    return f"{'-' if sign else ''}{''.join(map(str, kept))}E{exponent}"


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_plain_number(text: str) -> bool:
    """Tell whether ``text`` writes a number and nothing else (no space, no line break).

    Example:
        >>> is_plain_number("10.00"), is_plain_number("10\\n"), is_plain_number(" 1")
        (True, False, False)
    """
    return _PLAIN_NUMBER.fullmatch(text) is not None


def number_param(value: object) -> object:
    """Return ``value`` as a Decimal when it writes a finite number, else unchanged.

    For the parameters of a :class:`Command`: an int, a Decimal, or a str written as a
    plain number (``"10.00"``, ``"1e3"``; nothing around it) becomes the Decimal it
    means, so that the caller's ways of writing one amount give one fingerprint (I1).
    Anything else is kept as given, for the command to refuse.
    """
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return value
    if isinstance(value, str) and not is_plain_number(value):
        return value
    number = Decimal(value)
    return number if number.is_finite() else value


def event_action(event: object) -> str:
    """Return the audit action of a domain event: its class name in snake case.

    Example:
        >>> from datetime import date
        >>> from resell_core.lifecycle.events import AccountCancelled
        >>> from resell_core.lifecycle.account import AccountStatus as S
        >>> event_action(AccountCancelled("a-1", date(2024, 1, 1), S.ACTIVE, S.CANCELLED, "", None))
        'account_cancelled'
    """
    kind = type(event)
    action = _ACTIONS.get(kind)
    if action is None:
        name = kind.__name__
        action = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
        _ACTIONS[kind] = action
    return action


_CHECKED_ENTRY: Callable[..., AuditEvent] = unchecked(AuditEvent)
"""``AuditEvent(at, agency_id, actor, action, subject, before, after)`` for a time already
checked aware (the command's one "now"): the same event, its validator not run again."""

# A class's name never changes: its action is worked out once, then looked up (the billing
# run records several events an account).
_ACTIONS: dict[type, str] = {}


class Work:
    """What a command's body works with: the unit of work and the command's bookkeeping.

    The body reads and writes through :attr:`uow`, records audit entries with
    :meth:`audit` / :meth:`account_events`, and queues effects outside the storage with
    :meth:`notify` and :meth:`after_commit`; they run only once the commit succeeded.
    """

    def __init__(self, ctx: Context, command: Command, uow: UnitOfWork) -> None:
        self.ctx = ctx
        self.command = command
        self.uow = uow
        self.now = now = ctx.now()
        self.today = now.astimezone(ctx.billing_tz).date()
        self._effects: list[Callable[[], None]] = []
        # "now" is checked aware once here, and entries at that time are then built without
        # checking it again (a billing page writes hundreds). A naive one is left for
        # AuditEvent to refuse: a command that writes no entry does not fail on it.
        self._aware_now = now if now.utcoffset() is not None else None
        self._append = uow.events.append

    def new_id(self, kind: str) -> str:
        """Return a new id of ``kind`` from the Ids port."""
        return self.ctx.ids.new(kind)

    def audit(
        self,
        action: str,
        subject: str,
        *,
        before: str | None = None,
        after: str | None = None,
        agency_id: str | None = None,
    ) -> None:
        """Append an audit entry: the command's actor did ``action`` to ``subject`` now.

        Args:
            action: What was done, past tense (``"billing_profile_added"``).
            subject: What it was done to (an id).
            before: The relevant state before, None when created.
            after: The relevant state after, None when removed.
            agency_id: The agency concerned (the command's scope by default).
        """
        at, command = self.now, self.command
        entry = _CHECKED_ENTRY if at is self._aware_now else AuditEvent
        self._append(
            entry(at, agency_id or command.scope, command.actor, action, subject, before, after)
        )

    def account_events(self, agency_id: str, events: tuple[AccountEvent, ...]) -> None:
        """Append an audit entry per lifecycle event (status before -> after)."""
        at = self.now
        actor = self.command.actor
        append = self._append
        entry = _CHECKED_ENTRY if at is self._aware_now else AuditEvent
        for event in events:
            append(
                entry(
                    at,
                    agency_id,
                    actor,
                    _ACTIONS.get(type(event)) or event_action(event),
                    event.account_id,
                    # A StrEnum member's str() is its value, without Enum.value's
                    # Python-level property (a billing page audits every account).
                    str(event.before),
                    str(event.after),
                )
            )

    def apply(self, account: Account, action: Action, on: date | None = None) -> Account:
        """Apply a lifecycle action on ``on`` (today by default) and audit its events.

        Returns the account as the transition left it; storing it is the caller's.
        """
        moved = apply(account, action, on=on or self.today, policy=self.ctx.policies.lifecycle)
        self.account_events(account.agency_id, moved.events)
        return moved.account

    def notify(self, notice: Notice) -> None:
        """Send ``notice`` once the command committed."""
        self._effects.append(lambda: self.ctx.notifier.send(notice))

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` once the command committed (a provisioning request…)."""
        self._effects.append(effect)

    def run_effects(self) -> None:
        """Carry out the queued effects, in order (called by :func:`run_command`)."""
        effects, self._effects = self._effects, []
        for effect in effects:
            effect()


def _replay(record: IdempotencyRecord, result_type: type[T] | None) -> T | None:
    if result_type is None:
        return None
    return from_json(record.result, result_type)


def run_command(
    ctx: Context,
    command: Command,
    body: Callable[[Work], T],
    result_type: type[T] | None,
    *,
    remember: Callable[[T], T] | None = None,
) -> T:
    """Run a command atomically, audited, honouring the caller's idempotency key.

    In one unit of work: when ``command.idempotency_key`` was used before in the same
    scope, return the first result (same parameters) without running ``body`` again, or
    raise :class:`~resell_core.errors.IdempotencyConflict` (other parameters). Otherwise
    run ``body``, store its result for the key (through the converter), commit, and only
    then carry out the effects the body queued. Any error leaves storage unchanged.

    Callers racing with one key all receive the first result (I1): the storage lets only
    one of them store the key, and a call that fails meanwhile (a version conflict, a
    name or key already taken) reads the key again, waiting up to the policies'
    ``idempotency_wait`` after a concurrent write, and returns the stored result when there is
    one; it raises its own error only when no call stored the key.

    Args:
        ctx: The wiring.
        command: Name, scope, parameters, actor and key of the request.
        body: The use case; it reads and writes through ``work.uow`` and records audit
            entries; it must not commit.
        result_type: The class of the result, to read a stored result back; None for a
            command that returns None.
        remember: Turns the result into what is stored for the key (to keep a secret
            such as a one-time password out of the idempotency record); the identity when
            None.

    Returns:
        The body's result, or the stored result of the first call with the same key.

    Raises:
        IdempotencyConflict: The key was used with other parameters.
        ResellError: Whatever the body raises; nothing is written.
    """
    key = command.idempotency_key
    if key is None:
        return _run(ctx, command, body, None, remember)
    digest = fingerprint(command)
    try:
        return _run(ctx, command, body, (key, digest, result_type), remember)
    except ResellError as error:
        # Another call with this key may have been carried out meanwhile (two workers
        # sending one request at once): its result is the answer, as a replay's would be.
        stored = _first_record(ctx, command.scope, key, wait=_raced(error))
        if stored is None:
            raise
        if stored.fingerprint != digest:
            raise IdempotencyConflict(key) from error
        return _replay(stored, result_type)  # type: ignore[return-value]


def _run(
    ctx: Context,
    command: Command,
    body: Callable[[Work], T],
    keyed: tuple[str, str, type[T] | None] | None,
    remember: Callable[[T], T] | None,
) -> T:
    with ctx.storage.unit_of_work() as uow:
        if keyed is not None:
            key, digest, result_type = keyed
            stored = uow.idempotency.get(command.scope, key)
            if stored is not None:
                if stored.fingerprint != digest:
                    raise IdempotencyConflict(key)
                return _replay(stored, result_type)  # type: ignore[return-value]
        work = Work(ctx, command, uow)
        result = body(work)
        if keyed is not None:
            key, digest, _ = keyed
            kept = remember(result) if remember is not None else result
            uow.idempotency.put(
                IdempotencyRecord(command.scope, key, digest, to_json(kept), work.now)
            )
        uow.commit()
    work.run_effects()
    return result


def _raced(error: ResellError) -> bool:
    """Tell whether ``error`` is what a caller meets while another caller commits: a row
    or key written meanwhile, or the database busy with another commit. A business
    refusal (a name taken, a profile in use) is answered at once."""
    return type(error) is Conflict or isinstance(
        error, VersionConflict | AlreadyExists | IdempotencyConflict
    )


_FIRST_POLL = 0.01  # seconds before the first re-read; each further one waits twice as long


def _first_record(ctx: Context, scope: str, key: str, *, wait: bool) -> IdempotencyRecord | None:
    """Read the key's record; after a conflict, wait for it up to the policy's time.

    A conflict is what a call meets when another call with the same key commits first,
    or is committing: the record then appears at once or within the other's commit.
    """
    deadline = time.monotonic() + ctx.policies.idempotency_wait.total_seconds()
    pause = _FIRST_POLL
    while True:
        with ctx.storage.unit_of_work() as uow:
            stored = uow.idempotency.get(scope, key)
        if stored is not None or not wait:
            return stored
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(pause, left))
        pause *= 2


def read(ctx: Context, query: Callable[[UnitOfWork], T]) -> T:
    """Answer a question from storage in a unit of work that writes nothing."""
    with ctx.storage.unit_of_work() as uow:
        return query(uow)
