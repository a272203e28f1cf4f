"""The hostile-input suite's core: bad values by intended type, a snapshot, a runner (E1).

Rule E1: every public command answers any bad input, of any type, size or encoding, with
a coded :class:`~resell_core.errors.ResellError` and changes nothing. This module holds
what every half of the suite shares:

- :data:`HOSTILE` lists bad values for each intended type of a field (:class:`Intended`):
  wrong Python types, values of the right type that break naive code (``2**63``, an int
  of 100,000 digits that ``str()`` refuses, ``date(9999, 12, 31)``, NaN, a lone surrogate,
  a million characters or digits), text that looks like SQL. The Hypothesis strategies of
  the same values are :func:`resell_core.testing.strategies.hostile_values` and its
  neighbours.
- :func:`snapshot` captures what a portal holds and did, through public reads only:
  the storage's aggregates, balances, movements, audit entries and reachable access
  records, and what the simulated gateway charged, the recording notifier sent and the
  simulated provisioner was asked to start.
- :func:`run_cases` calls each :class:`HostileCase`, classifies its outcome (a coded
  error, a raw exception, or accepted), checks the snapshot is unchanged and that a
  refusal's text is at most :data:`LONGEST_REFUSAL` characters, whatever the input; the
  :class:`HostileReport` counts what was tried, what was coded and what left the state
  unchanged, and lists the failures.

Example:
    >>> from resell_core.testing.portal import sample_agency, sample_portal
    >>> portal = sample_portal()
    >>> acme = sample_agency(portal)
    >>> cases = [
    ...     HostileCase("agency", "agency_id", hostile(v), lambda v=v: portal.agency(v))
    ...     for v in ("", "%", "'; DROP TABLE accounts; --")
    ... ]
    >>> print(run_cases(portal, cases).summary("memory"))
    memory: tried 3, coded 3, state unchanged 3, failures 0, known 0
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import attrs

from resell_core.billing.ledger import CreditKind, account_wallet, agency_wallet, profile_wallet
from resell_core.errors import ResellError
from resell_core.serialization import to_json
from resell_core.service.access import LOGIN
from resell_core.service.accounts import CREDENTIALS, credentials_key
from resell_core.service.billing import CREDITS_ORDER
from resell_core.service.portal import PartnerPortal

__all__ = [
    "HOSTILE",
    "LONGEST_REFUSAL",
    "CaseResult",
    "Hostile",
    "HostileCase",
    "HostileReport",
    "Intended",
    "Outcome",
    "PortalState",
    "changed_parts",
    "hostile",
    "run_case",
    "run_cases",
    "snapshot",
]


class Intended(enum.StrEnum):
    """The type a field is meant to hold, which chooses its hostile values."""

    TEXT = "text"
    """Names, ids, emails, labels, messages, tokens."""
    AMOUNT = "amount"
    """Money and amounts (``Decimal``, decimal text, ``Money``)."""
    QUANTITY = "quantity"
    """Whole numbers: counts, months, years, limits, page sizes."""
    DATE = "date"
    """Calendar dates."""
    DATETIME = "datetime"
    """Aware moments."""
    DURATION = "duration"
    """Lengths of time (``timedelta``)."""
    CHOICE = "choice"
    """A name from a closed list (an enum's value)."""
    FLAG = "flag"
    """True or False."""
    OBJECT = "object"
    """An input class of the library (``NewAccount``, ``PlanSelection``, ``AccountQuery``)."""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}…({len(text)} chars)"


@attrs.frozen
class Hostile:
    """One bad value with a short label (the label names it in reports and test ids).

    Attributes:
        label: How the value is named (``"None"``, ``"2**63"``, ``"'a'*1_000_000"``).
        value: The value itself.
    """

    label: str
    value: object = attrs.field(eq=False, repr=False)


def hostile(value: object, label: str | None = None) -> Hostile:
    """Wrap ``value`` with ``label`` (its short ``repr`` when None)."""
    return Hostile(_short(value) if label is None else label, value)


_NAIVE = datetime(2024, 4, 11, 9, 0)  # noqa: DTZ001 - naive on purpose: a hostile value
_AWARE = datetime(2024, 4, 11, 9, 0, tzinfo=UTC)

_WRONG_TYPES = (
    hostile(None),
    hostile(0),
    hostile(1.5),
    hostile(b"x"),
    hostile([]),
    hostile({}),
)

HOSTILE: Mapping[Intended, tuple[Hostile, ...]] = {
    Intended.TEXT: (
        *_WRONG_TYPES,
        hostile(""),
        hostile(" "),
        hostile("\x00", "'\\x00' (NUL)"),
        hostile("\ud800", "'\\ud800' (lone surrogate)"),
        hostile("\u202e", "'\\u202e' (bidi override)"),
        hostile("a" * 1_000_000, "'a'*1_000_000"),
        hostile("'; DROP TABLE accounts; --"),
        hostile("%"),
    ),
    Intended.AMOUNT: (
        hostile(None),
        hostile(1.5),
        hostile(math.nan, "float('nan')"),
        hostile(math.inf, "float('inf')"),
        hostile("NaN"),
        hostile("Infinity"),
        hostile("1e100"),
        hostile(Decimal("1e100")),
        hostile(Decimal("NaN")),
        hostile(Decimal("-Infinity")),
        hostile(-1),
        hostile(0),
        hostile(2**63, "2**63"),
        hostile("9" * 1_000_000, "'9'*1_000_000"),
        hostile(Decimal("9" * 100_000), "Decimal('9'*100_000)"),
        hostile("10\n", "'10\\n'"),
        hostile(b"10"),
        hostile([]),
    ),
    Intended.QUANTITY: (
        hostile(None),
        hostile("5"),
        hostile(5.0),
        hostile(True),
        hostile(-1),
        hostile(0),
        hostile(2**63, "2**63"),
        hostile(10**30, "10**30"),
        hostile(10**100_000, "10**100_000"),
        hostile(Decimal("5")),
        hostile([]),
    ),
    Intended.DATE: (
        hostile(None),
        hostile("2024-01-01"),
        hostile(_NAIVE, "naive datetime"),
        hostile(_AWARE, "aware datetime"),
        hostile(date(1, 1, 1)),
        hostile(date(9999, 12, 31)),
        hostile(0),
        hostile(20240101),
    ),
    Intended.DATETIME: (
        hostile(None),
        hostile(_NAIVE, "naive datetime"),
        hostile(date(2024, 4, 11)),
        hostile("2024-04-11T09:00:00Z"),
        hostile(0),
        hostile(datetime.max.replace(tzinfo=UTC), "datetime.max (aware)"),
    ),
    Intended.DURATION: (
        hostile(None),
        hostile(0),
        hostile(60),
        hostile(2**63, "2**63"),
        hostile(1.5),
        hostile("60"),
        hostile(timedelta(0)),
        hostile(timedelta(seconds=-1)),
        hostile(timedelta.max, "timedelta.max"),
    ),
    Intended.CHOICE: (
        *_WRONG_TYPES,
        hostile(""),
        hostile("no-such-choice"),
        hostile("\x00", "'\\x00' (NUL)"),
        hostile("\ud800", "'\\ud800' (lone surrogate)"),
        hostile("'; DROP TABLE accounts; --"),
    ),
    Intended.FLAG: (
        hostile(None),
        hostile(0),
        hostile(1),
        hostile("yes"),
        hostile("false"),
        hostile([]),
    ),
    Intended.OBJECT: (
        *_WRONG_TYPES,
        hostile(""),
        hostile("'; DROP TABLE accounts; --"),
        hostile(object(), "object()"),
    ),
}
"""Bad values for each intended type of a field (the table of rule E1's suite)."""


# -- the snapshot -----------------------------------------------------------------------


def _plain(value: object) -> object:
    """Turn aggregates (compared by id) into comparable values: their JSON, as storage
    writes them (every field, nested values included)."""
    if attrs.has(type(value)):
        return to_json(value)
    return value


def _plain_all(values: Iterable[object]) -> tuple[object, ...]:
    return tuple(_plain(v) for v in values)


@attrs.frozen
class PortalState:
    """What a portal holds and did, as :func:`snapshot` read it; equal when nothing changed.

    Each attribute is a tuple of comparable values (aggregates as dicts), per agency in
    the order of the agencies' ids where it belongs to one. Adapters other than the
    simulated ones leave their parts empty.
    """

    agencies: tuple[object, ...]
    users: tuple[object, ...]
    accounts: tuple[object, ...]
    profiles: tuple[object, ...]
    invoices: tuple[object, ...]
    movements: tuple[object, ...]
    balances: tuple[object, ...]
    events: tuple[object, ...]
    records: tuple[object, ...]
    views: tuple[object, ...]
    tokens: tuple[object, ...]
    charges: tuple[object, ...]
    payouts: tuple[object, ...]
    notices: tuple[object, ...]
    provisioning: tuple[object, ...]


def changed_parts(before: PortalState, after: PortalState) -> tuple[str, ...]:
    """Name the parts of the state that differ (empty when nothing changed)."""
    return tuple(
        field.name
        for field in attrs.fields(PortalState)
        if getattr(before, field.name) != getattr(after, field.name)
    )


def _all_agencies(portal: PartnerPortal) -> list[Any]:
    found: list[Any] = []
    with portal.storage.unit_of_work() as uow:
        after: str | None = None
        while True:
            page = uow.agencies.page(after_id=after, limit=100)
            found.extend(page)
            if len(page) < 100:
                return found
            after = page[-1].id


def _adapter_part(port: object, *names: str) -> tuple[object, ...]:
    """Read the public recording attributes a simulated adapter has (none for others)."""
    return tuple(_plain_all(getattr(port, name, ())) for name in names)


def snapshot(portal: PartnerPortal) -> PortalState:
    """Capture what the portal holds and did, through public reads, to compare later.

    Storage: every agency, its portal users, accounts, billing profiles, invoices, credit
    movements, balances of every wallet it has, audit entries, transfers, payouts,
    brandings, credit notes and top-ups, its users' saved views, and the access records
    reachable by key (each account's credentials and login state, each invoice's credits
    order). Reset tokens
    and used SSO nonces are keyed by secrets and cannot be listed; idempotency records
    neither. Adapters: the charges, attempts and refunds of a simulated gateway, the payouts of
    a simulated payout gateway, the notices of a recording notifier, the requests of a
    simulated provisioner (other adapters contribute nothing).
    """
    agencies = _all_agencies(portal)
    parts: dict[str, list[object]] = {f.name: [] for f in attrs.fields(PortalState)}
    parts["agencies"] = [_plain(a) for a in agencies]
    with portal.storage.unit_of_work() as uow:
        for agency in agencies:
            users = uow.users.list(agency.id)
            accounts: list[Any] = []
            after: str | None = None
            while len(page := uow.accounts.of_agency(agency.id, after_id=after, limit=500)):
                accounts.extend(page)
                if len(page) < 500:
                    break
                after = page[-1].id
            profiles = uow.profiles.list(agency.id)
            invoices = uow.invoices.list(agency.id)
            movements = uow.ledger.movements(agency.id)
            wallets = {agency_wallet(agency.id)}
            wallets.update(account_wallet(a.id) for a in accounts)
            wallets.update(profile_wallet(p.id) for p in profiles)
            wallets.update(m.source for m in movements)
            wallets.update(m.destination for m in movements)
            ordered = sorted(wallets)
            parts["users"].append(_plain_all(users))
            parts["accounts"].append(_plain_all(accounts))
            parts["profiles"].append(_plain_all(profiles))
            parts["invoices"].append(_plain_all(invoices))
            parts["movements"].append(_plain_all(movements))
            parts["balances"].append(
                tuple(
                    tuple(sorted(uow.ledger.balances(agency.id, ordered, kind).items()))
                    for kind in CreditKind
                )
            )
            parts["events"].append(_plain_all(uow.events.list(agency.id)))
            parts["records"].append(
                tuple(
                    _plain_all(repository.list(agency.id))
                    for repository in (
                        uow.transfers,
                        uow.payouts,
                        uow.brandings,
                        uow.credit_notes,
                        uow.top_ups,
                    )
                )
            )
            parts["views"].append(
                tuple(_plain(v) for u in users for v in uow.views.list(agency.id, u.id))
            )
            keys = [credentials_key(a.name) for a in accounts]
            parts["tokens"].append(
                (
                    tuple(_plain(uow.tokens.get(CREDENTIALS, key)) for key in keys),
                    tuple(_plain(uow.tokens.get(LOGIN, key)) for key in keys),
                    tuple(_plain(uow.tokens.get(CREDITS_ORDER, i.id)) for i in invoices),
                )
            )
    parts["charges"] = [_adapter_part(portal.gateway, "charges", "attempts", "refunds")]
    parts["payouts"] = [_adapter_part(portal.payouts, "payouts")]
    parts["notices"] = [_adapter_part(portal.notifier, "sent")]
    parts["provisioning"] = [_adapter_part(portal.provisioner, "started", "in_progress")]
    return PortalState(**{name: tuple(values) for name, values in parts.items()})


# -- the runner -------------------------------------------------------------------------

Outcome = Literal["coded", "raw", "accepted"]
"""How a call answered: a coded library error, a raw exception, or a result."""

LONGEST_REFUSAL = 2_000
"""The most characters a refusal's text may have (an error's message, or what a
``refusal_text`` function reads off a refused answer): a longer one quotes the caller's
input instead of naming it, and a megabyte of input must not become a megabyte of
message."""


@attrs.frozen
class HostileCase:
    """One call of a command with one hostile value in one field.

    Attributes:
        command: The command's name (``"add_billing_profile"``).
        field: The field given the hostile value (``"exp_year"``, ``"new.email"``).
        value: The hostile value.
        call: Makes the call (the value already in place); its result is the answer.
        known: Why this case is known to fail today, when it is (it is then reported
            apart, not as a failure); None for a case that must pass.
        accepts: True when the value is a good one for a command that only reads (SQL-like
            text in a search): an answer passes too, as long as nothing changed.
    """

    command: str
    field: str
    value: Hostile
    call: Callable[[], object] = attrs.field(eq=False, repr=False)
    known: str | None = None
    accepts: bool = False

    @property
    def name(self) -> str:
        """``command(field=label)``, as reports show it."""
        return f"{self.command}({self.field}={self.value.label})"


@attrs.frozen
class CaseResult:
    """What one hostile case did.

    Attributes:
        case: The case.
        outcome: ``"coded"`` (a ResellError, or a coded refusal), ``"raw"`` (any other
            exception) or ``"accepted"``.
        detail: The error's code (coded), its type and message (raw), or the result's
            short repr (accepted).
        changed: The parts of the state that changed (empty when none did).
        refusal_length: How many characters the refusal's text has: a coded error's
            message, or a refused answer's text (0 for an answer that accepts).
    """

    case: HostileCase
    outcome: Outcome
    detail: str
    changed: tuple[str, ...]
    refusal_length: int = 0

    @property
    def passed(self) -> bool:
        """True when the call was refused with a code and a text of at most
        :data:`LONGEST_REFUSAL` characters (or, for a case that accepts, was answered),
        and nothing changed."""
        answered = self.outcome == "coded" or (self.outcome == "accepted" and self.case.accepts)
        return answered and not self.changed and self.refusal_length <= LONGEST_REFUSAL

    def __str__(self) -> str:
        changed = f", changed {', '.join(self.changed)}" if self.changed else ""
        long = (
            f", a refusal of {self.refusal_length:,} characters"
            if self.refusal_length > LONGEST_REFUSAL
            else ""
        )
        return f"{self.case.name}: {self.outcome} {self.detail}{changed}{long}"


@attrs.frozen
class HostileReport:
    """The counts of a hostile run and what failed.

    Attributes:
        tried: Cases called.
        coded: Cases answered with a coded refusal.
        unchanged: Cases after which the state was unchanged.
        failures: The cases that were not refused with a code or changed the state,
            among those not known.
        known: The results of the cases marked known (whatever they did).
    """

    tried: int = 0
    coded: int = 0
    unchanged: int = 0
    failures: tuple[CaseResult, ...] = ()
    known: tuple[CaseResult, ...] = ()

    def __add__(self, other: HostileReport) -> HostileReport:
        return HostileReport(
            self.tried + other.tried,
            self.coded + other.coded,
            self.unchanged + other.unchanged,
            self.failures + other.failures,
            self.known + other.known,
        )

    def summary(self, label: str) -> str:
        """One line of counts: ``"memory: tried 812, coded 812, state unchanged 812"``."""
        return (
            f"{label}: tried {self.tried}, coded {self.coded}, state unchanged "
            f"{self.unchanged}, failures {len(self.failures)}, known {len(self.known)}"
        )

    def details(self) -> str:
        """The failures, then the known cases with their reasons, one a line."""
        lines = [f"FAIL {result}" for result in self.failures]
        lines += [f"known ({result.case.known}) {result}" for result in self.known]
        return "\n".join(lines)


def _no_refusal(_answer: object) -> str | None:
    return None


def _no_text(_answer: object) -> str:
    return ""


def run_case(
    case: HostileCase,
    before: PortalState,
    state: Callable[[], PortalState],
    *,
    refusal: Callable[[object], str | None] = _no_refusal,
    refusal_text: Callable[[object], str] = _no_text,
    uncoded: frozenset[str] = frozenset(),
) -> tuple[CaseResult, PortalState]:
    """Call one case and classify it against the state ``before``.

    Args:
        case: The case.
        before: The state before the call.
        state: Reads the state after it.
        refusal: Tells the refusal code of an answer (an API result carrying an error),
            None for an answer that accepts.
        refusal_text: Reads the text of an answer that ``refusal`` gave a code (an API
            result's message), measured against :data:`LONGEST_REFUSAL`; by default none.
        uncoded: Codes that count as raw (``"internal_error"``).

    Returns:
        The result, and the state after the call (the next case's ``before``).
    """
    outcome: Outcome
    length = 0
    try:
        answer = case.call()
    except ResellError as error:
        outcome, detail = ("raw" if error.code in uncoded else "coded"), error.code
        length = len(error.message)
    except Exception as error:
        outcome, detail = "raw", f"{type(error).__name__}: {_short(str(error))}"
    else:
        code = refusal(answer)
        if code is None:
            outcome, detail = "accepted", _short(answer)
        else:
            outcome, detail = ("raw" if code in uncoded else "coded"), code
            length = len(refusal_text(answer))
    after = state()
    return CaseResult(case, outcome, detail, changed_parts(before, after), length), after


def run_cases(
    portal: PartnerPortal,
    cases: Iterable[HostileCase],
    *,
    refusal: Callable[[object], str | None] = _no_refusal,
    refusal_text: Callable[[object], str] = _no_text,
    uncoded: frozenset[str] = frozenset(),
) -> HostileReport:
    """Call every case on ``portal`` and check each is refused with a code, changing nothing.

    The state is read once before and after each call (:func:`snapshot`); a case that
    changed it is a failure, and the next case is judged against the changed state.

    Args:
        portal: The portal the cases call.
        cases: The cases.
        refusal: As :func:`run_case` (for calls that answer a coded result).
        refusal_text: As :func:`run_case`.
        uncoded: As :func:`run_case`.

    Returns:
        The counts, the failures, and the known cases' results.
    """
    before = snapshot(portal)
    tried = coded = unchanged = 0
    failures: list[CaseResult] = []
    known: list[CaseResult] = []
    for case in cases:
        result, before = run_case(
            case,
            before,
            lambda: snapshot(portal),
            refusal=refusal,
            refusal_text=refusal_text,
            uncoded=uncoded,
        )
        tried += 1
        coded += result.outcome == "coded"
        unchanged += not result.changed
        if case.known is not None:
            known.append(result)
        elif not result.passed:
            failures.append(result)
    return HostileReport(tried, coded, unchanged, tuple(failures), tuple(known))
