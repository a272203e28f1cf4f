"""Money races (M2, C2): one pool, one invoice, many contenders; the effects counted.

Suites for a host's own adapters, like the contract suites: give a
:class:`MoneyRaceWiring` (how each contender opens the shared storage and reaches the
shared payment gateway) and call a race; it asserts its rule with the tallies in the
message, and returns them (:class:`RaceFigures`) for a report.

- :func:`race_assignments_from_one_pool`: several ``assign_credits`` from a pool that
  holds enough for one: exactly one succeeds, every other answers a coded error, the
  pool never goes negative and the ledger adds up (C2).
- :func:`race_payment_against_billing`: ``pay_invoice`` (some contenders buying prepaid
  credit first) racing a billing run on the same invoice: the card is charged once, card
  and prepaid spent add up to the invoice's total, and prepaid bought is either spent on
  it or still in the pool (M2).
- :func:`race_usages_of_one_balance`: several reports of use (``record_usage``), each
  for all an account's SMS credits, under ids of their own: exactly one is used, every
  other answers ``insufficient_credit``, the balance ends at zero, never below (C7).
- :func:`race_one_usage_id`: the same report sent by several callers at once: used once,
  and every caller answers the same use (C7, I1).

With ``processes=True`` each contender is a spawned process: the wiring's two callables
must then pickle (module-level functions, or ``functools.partial`` of them) and reach
state shared between processes (a database, a gateway that keeps its charges there).

:class:`HeldGateway` stands in front of any payment gateway and holds one chosen charge
in flight: while it is held, a callback runs the race's other side (an agency paying the
same invoice, buying credit...); the gateway's look-up does not know the key yet, and a
second charge under it is answered as a real gateway answers a key in use.
:class:`FileGateway` is a card processor that contenders in several processes share;
:class:`SerialGateway` gives a fake that is not thread-safe the per-key atomicity of a
real gateway, for thread races.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs

from resell_core.adapters.clock import ManualClock
from resell_core.adapters.ids import UuidIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.billing.credit_notes import CreditLine
from resell_core.billing.gateway import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    RefundOutcome,
    RefundRequest,
    RefundResult,
)
from resell_core.billing.invoices import InvoiceStatus
from resell_core.billing.ledger import (
    OUTSIDE,
    SPENT,
    CreditKind,
    account_wallet,
    profile_wallet,
)
from resell_core.billing.payment import charge_key
from resell_core.errors import IdempotencyConflict, ResellError
from resell_core.money import Money
from resell_core.ports import PaymentGateway, Storage
from resell_core.service.context import Policies
from resell_core.service.portal import PartnerPortal
from resell_core.testing.contracts.samples import (
    ACME,
    a_movement,
    a_profile,
    an_account,
    an_agency,
    an_invoice,
)
from resell_core.testing.races import Outcome, race_processes, race_threads, tally

__all__ = [
    "RACE_DAY",
    "FileGateway",
    "HeldGateway",
    "MoneyRaceWiring",
    "RaceFigures",
    "SerialGateway",
    "race_assignments_from_one_pool",
    "race_credit_notes_of_one_invoice",
    "race_one_usage_id",
    "race_payment_against_billing",
    "race_usages_of_one_balance",
]

RACE_DAY = date(2024, 2, 29)
"""The day every contender's clock shows (the sample invoice's issue day)."""

_POOL = profile_wallet("profile-visa")
_INVOICE = "invoice-race"
_BOUGHT = Decimal("15.00")
"""The prepaid credit a buying contender of the payment race buys first."""
_IN_FLIGHT = "in_flight"
_CODED = frozenset({"insufficient_credit", "conflict", "version_conflict", "payment_in_flight"})
"""What a losing contender may answer (a coded refusal or a retryable conflict)."""


@attrs.frozen
class MoneyRaceWiring:
    """How each contender reaches the shared state of a race.

    Attributes:
        storage: Opens the storage every contender shares (called once a contender, and
            once in the caller's process to seed it and count the effects: return the
            same memory storage for threads, a storage on one database for processes).
            It must be empty when seeded.
        gateway: Returns the payment gateway every contender shares (one whose charges
            every process sees, for processes).
    """

    storage: Callable[[], Storage]
    gateway: Callable[[], PaymentGateway]


@attrs.frozen
class RaceFigures:
    """What a race came to: each contender's outcome by code, and the effects counted.

    Attributes:
        name: The race.
        outcomes: Contenders by outcome (``ok`` or an error code).
        effects: The counted effects, by name (money as text).
    """

    name: str
    outcomes: dict[str, int]
    effects: dict[str, str]

    def __str__(self) -> str:
        effects = ", ".join(f"{k} {v}" for k, v in self.effects.items())
        return f"{self.name}: outcomes {self.outcomes}; {effects}"


def race_portal(wiring: MoneyRaceWiring) -> PartnerPortal:
    """A contender's portal on the shared storage and gateway, its clock on the race day."""
    secrets = SeededSecrets(11)
    return PartnerPortal(
        storage=wiring.storage(),
        gateway=wiring.gateway(),
        payouts=SimulatedPayoutGateway(),
        notifier=RecordingNotifier(),
        provisioner=SimulatedProvisioner(),
        clock=ManualClock(datetime.combine(RACE_DAY, datetime.min.time(), UTC)),
        ids=UuidIds(),
        secrets=secrets,
        sso_secret=secrets.token_bytes(32),
        policies=Policies.embedded(),
    )


def _run(
    contenders: int,
    action: Callable[[int, MoneyRaceWiring], object],
    wiring: MoneyRaceWiring,
    processes: bool,
) -> list[Outcome]:
    if processes:
        return race_processes(contenders, action, wiring)
    return race_threads(contenders, lambda i: action(i, wiring))


def _seed(storage: Storage, accounts: int, pool: Decimal | None) -> None:
    with storage.unit_of_work() as uow:
        uow.agencies.add(an_agency(ACME))
        uow.profiles.add(a_profile())
        for i in range(accounts):
            # Paid up to its next term (not due on the race day), paid by the Visa.
            account = an_account(f"account-race-{i:02d}", next_period=2)
            uow.accounts.add(attrs.evolve(account, billing_profile_id="profile-visa"))
        if pool is not None:
            uow.ledger.append(a_movement("movement-pool", quantity=str(pool)))
        uow.commit()


# -- assignments from one pool (C2) --------------------------------------------------------


def _assign(index: int, wiring: MoneyRaceWiring) -> str:
    movement = race_portal(wiring).assign_credits(
        ACME, f"account-race-{index:02d}", "prepaid", "50.00"
    )
    return movement.id


def race_assignments_from_one_pool(
    wiring: MoneyRaceWiring, *, contenders: int = 8, processes: bool = False
) -> RaceFigures:
    """Race ``contenders`` assignments of 50.00 each from a pool holding 50.00 (C2).

    Raises:
        AssertionError: More or fewer than one assignment went through, a loser's answer
            was not coded, a wallet went negative, or the ledger does not add up.
    """
    storage = wiring.storage()
    _seed(storage, contenders, Decimal("50.00"))
    outcomes = _run(contenders, _assign, wiring, processes)
    counted = dict(tally(outcomes))
    with storage.unit_of_work() as uow:
        pool = uow.ledger.balance(ACME, _POOL, CreditKind.PREPAID)
        earmarks = [
            uow.ledger.balance(ACME, account_wallet(f"account-race-{i:02d}"), CreditKind.PREPAID)
            for i in range(contenders)
        ]
        assigned = [m for m in uow.ledger.movements(ACME) if m.source == _POOL]
    figures = RaceFigures(
        "assign_credits from one pool",
        counted,
        {
            "assignments recorded": str(len(assigned)),
            "pool left": str(pool),
            "earmarked": str(sum(earmarks)),
        },
    )
    winners = [i for i, o in enumerate(outcomes) if o.ok]
    assert counted.get("ok") == 1, figures
    assert set(counted) - {"ok"} <= _CODED, figures
    assert len(assigned) == 1, figures
    assert pool == 0, figures
    assert min(earmarks) >= 0, figures
    assert earmarks[winners[0]] == Decimal("50.00") == sum(earmarks), figures
    return figures


# -- pay_invoice against a billing run (M2) ------------------------------------------------


def _pay_or_bill(index: int, wiring: MoneyRaceWiring) -> str:
    portal = race_portal(wiring)
    if index == 0:
        report = portal.run_billing(RACE_DAY)
        return f"run: paid {report.invoices_paid}, pending {report.invoices_pending}"
    bought = ""
    if index % 2:
        try:
            portal.buy_credits(ACME, "prepaid", str(_BOUGHT), "profile-visa")
            bought = "bought, "
        except ResellError as error:
            # Buyers contend for the agency's invoice numbers: a lost purchase stored and
            # charged nothing (the check after the race proves it); the payment goes on.
            bought = f"not bought ({error.code}), "
    return bought + portal.pay_invoice(ACME, _INVOICE).status.value


def race_payment_against_billing(
    wiring: MoneyRaceWiring, *, contenders: int = 6, processes: bool = False
) -> RaceFigures:
    """Race a billing run (contender 0) against ``pay_invoice`` of the same open invoice
    of 40.00 (the others; the odd ones buy 15.00 of prepaid credit first) (M2).

    Raises:
        AssertionError: The invoice's card was charged more than once, its card and
            prepaid parts do not add up to its total, what the card was charged is not
            what was recorded, or prepaid credit bought was lost.
    """
    storage = wiring.storage()
    _seed(storage, 1, None)
    with storage.unit_of_work() as uow:
        agency = uow.agencies.get(ACME)
        uow.agencies.update(attrs.evolve(agency, next_invoice_number=2))
        uow.invoices.add(
            an_invoice(
                _INVOICE, account_id="account-race-00", period_key=None, next_retry_on=RACE_DAY
            )
        )
        uow.commit()
    outcomes = _run(contenders, _pay_or_bill, wiring, processes)
    counted = dict(tally(outcomes))
    gateway = wiring.gateway()
    with storage.unit_of_work() as uow:
        invoice = uow.invoices.get(ACME, _INVOICE)
        pool = uow.ledger.balance(ACME, _POOL, CreditKind.PREPAID)
        spent = uow.ledger.balance(ACME, SPENT, CreditKind.PREPAID)
        bought = sum(
            (
                m.quantity
                for m in uow.ledger.movements(ACME, kind=CreditKind.PREPAID)
                if m.source == OUTSIDE and m.destination == _POOL
            ),
            Decimal(0),
        )
    answers = [gateway.lookup(charge_key(_INVOICE, n)) for n in range(1, invoice.attempts + 2)]
    succeeded = [a for a in answers if a is not None and a.outcome is ChargeOutcome.SUCCEEDED]
    charged = sum(((a.amount or invoice.paid_card).amount for a in succeeded), Decimal(0))
    prepaid = invoice.paid_earmarked + invoice.paid_pool
    figures = RaceFigures(
        "pay_invoice against a billing run",
        counted,
        {
            "invoice": invoice.status.value,
            "card charges": str(len(succeeded)),
            "card charged": str(charged),
            "card recorded": str(invoice.paid_card.amount),
            "prepaid spent on it": str(prepaid.amount),
            "prepaid bought": str(bought),
            "pool left": str(pool),
        },
    )
    assert all(o.ok or o.error in _CODED for o in outcomes), (figures, outcomes)
    assert invoice.status is InvoiceStatus.PAID, figures
    assert len(succeeded) == 1, figures
    assert charged == invoice.paid_card.amount, figures
    assert invoice.paid_card + prepaid == invoice.total, figures
    assert spent == prepaid.amount, figures
    assert pool + prepaid.amount == bought, figures
    return figures


# -- credit notes of one invoice (CN1) -----------------------------------------------------

_CREDITED = Decimal("15.00")
"""What each contender of the credit-note race credits of the 40.00 paid."""


def _credit(index: int, wiring: MoneyRaceWiring) -> str:
    note = race_portal(wiring).credit_invoice(
        ACME,
        _INVOICE,
        (CreditLine(0, amount=Money(_CREDITED, "USD")),),
        reason=f"goodwill {index}",
        to="prepaid",
    )
    return note.label


def race_credit_notes_of_one_invoice(
    wiring: MoneyRaceWiring, *, contenders: int = 6, processes: bool = False
) -> RaceFigures:
    """Race ``contenders`` credit notes of 15.00 each of one invoice paid 40.00 (CN1).

    Raises:
        AssertionError: The notes together credit more than was paid, a loser's answer
            was not coded, the prepaid credit given is not the notes' total, or the
            credit notes' numbers have a gap or a repeat.
    """
    storage = wiring.storage()
    _seed(storage, 1, None)
    with storage.unit_of_work() as uow:
        agency = uow.agencies.get(ACME)
        uow.agencies.update(attrs.evolve(agency, next_invoice_number=2))
        paid = an_invoice(_INVOICE, account_id="account-race-00", period_key=None)
        uow.invoices.add(
            attrs.evolve(paid, status=InvoiceStatus.PAID, paid_card=Money("40.00", "USD"))
        )
        uow.commit()
    outcomes = _run(contenders, _credit, wiring, processes)
    counted = dict(tally(outcomes))
    with storage.unit_of_work() as uow:
        notes = uow.credit_notes.list(ACME, subject=_INVOICE)
        credited = uow.ledger.balance(ACME, account_wallet("account-race-00"), CreditKind.PREPAID)
    numbers = sorted(int(n.key.rsplit("-", 1)[1]) for n in notes if n.key)
    figures = RaceFigures(
        "credit notes of one invoice",
        counted,
        {"credit notes": str(len(notes)), "credited": str(credited), "paid": "40.00"},
    )
    assert all(o.ok or o.error in _CODED | {"credit_exceeds_paid"} for o in outcomes), figures
    assert counted.get("ok", 0) == len(notes) >= 1, figures
    assert credited == _CREDITED * len(notes) <= Decimal("40.00"), figures
    assert numbers == list(range(1, len(notes) + 1)), figures
    return figures


# -- usage reports of one account's unit credits (C7) --------------------------------------

_USER = "account-race-00"
_SMS_HELD = Decimal(10)


def _seed_sms(storage: Storage) -> None:
    """One account holding 10 SMS credits."""
    _seed(storage, 1, None)
    with storage.unit_of_work() as uow:
        uow.ledger.append(
            a_movement(
                "movement-sms",
                quantity=str(_SMS_HELD),
                destination=account_wallet(_USER),
                kind=CreditKind.SMS,
            )
        )
        uow.commit()


def _use_all(index: int, wiring: MoneyRaceWiring) -> str:
    used = race_portal(wiring).record_usage(ACME, _USER, "sms", 10, f"sms-race-{index:02d}")
    return used.movement.id


def _use_three(index: int, wiring: MoneyRaceWiring) -> str:
    used = race_portal(wiring).record_usage(ACME, _USER, "sms", 3, "sms-race-shared")
    return f"{used.movement.id} left {used.left}"


def _sms_figures(storage: Storage, name: str, counted: dict[str, int]) -> RaceFigures:
    with storage.unit_of_work() as uow:
        held = uow.ledger.balance(ACME, account_wallet(_USER), CreditKind.SMS)
        sms = uow.ledger.movements(ACME, kind=CreditKind.SMS)
    used = [m.quantity for m in sms if m.destination == SPENT]
    effects = {"uses recorded": str(len(used)), "used": str(sum(used)), "left": str(held)}
    return RaceFigures(name, counted, effects)


def race_usages_of_one_balance(
    wiring: MoneyRaceWiring, *, contenders: int = 8, processes: bool = False
) -> RaceFigures:
    """Race ``contenders`` reports of 10 SMS used, each under its own usage id, on an
    account holding 10 (C7).

    Raises:
        AssertionError: More or fewer than one use went through, a loser's answer was not
            coded, or the account's balance is not what the one use left.
    """
    storage = wiring.storage()
    _seed_sms(storage)
    outcomes = _run(contenders, _use_all, wiring, processes)
    counted = dict(tally(outcomes))
    figures = _sms_figures(storage, "record_usage of one balance", counted)
    assert counted.get("ok") == 1, figures
    assert set(counted) - {"ok"} <= _CODED, figures
    assert figures.effects == {"uses recorded": "1", "used": "10", "left": "0"}, figures
    return figures


def race_one_usage_id(
    wiring: MoneyRaceWiring, *, contenders: int = 8, processes: bool = False
) -> RaceFigures:
    """Race ``contenders`` sending the same report (3 SMS used, one usage id) on an account
    holding 10 (C7, I1).

    Raises:
        AssertionError: A caller was refused or answered another use, or the credits were
            used more than once.
    """
    storage = wiring.storage()
    _seed_sms(storage)
    outcomes = _run(contenders, _use_three, wiring, processes)
    counted = dict(tally(outcomes))
    figures = _sms_figures(storage, "record_usage of one usage id", counted)
    assert counted == {"ok": contenders}, (figures, outcomes)
    assert len({o.value for o in outcomes}) == 1, (figures, outcomes)
    assert figures.effects == {"uses recorded": "1", "used": "3", "left": "7"}, figures
    return figures


class FileGateway:
    """A payment gateway whose charges are rows of a SQLite file every process opens.

    The card processor that contenders in several processes share: ``tok_ok*`` cards are
    charged, any other is declined. A key moves money at most once, whatever the number
    of processes (the key is the table's primary key, and each call holds the file's
    write lock); the same key with another request raises ``IdempotencyConflict``.
    With ``latency``, a charge stays in flight that long, as a real one does: meanwhile
    its key is unknown to :meth:`lookup`, and the same request again answers ``unknown``
    (a key in use).

    Args:
        path: The file (created with its table when missing).
        latency: Seconds a charge is in flight before its answer.
    """

    def __init__(self, path: str, latency: float = 0.0) -> None:
        self.path = path
        self.latency = latency
        with closing(self._connect()) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS charges (key TEXT PRIMARY KEY, request TEXT NOT "
                "NULL, outcome TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60, isolation_level=None)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge a ``tok_ok*`` card (decline any other), at most once per key.

        Raises:
            IdempotencyConflict: The key was used for a different request.
        """
        key = request.idempotency_key
        text = repr(
            (request.agency_id, request.profile_id, request.card_token, request.amount,
             request.description)
        )  # fmt: skip
        ok = request.card_token.startswith("tok_ok")
        outcome = ChargeOutcome.SUCCEEDED if ok else ChargeOutcome.DECLINED
        amount = (str(request.amount.amount), request.amount.currency)
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            found = db.execute(
                "SELECT request, outcome FROM charges WHERE key = ?", (key,)
            ).fetchone()
            if found is None:
                db.execute(
                    "INSERT INTO charges VALUES (?, ?, ?, ?, ?)", (key, text, _IN_FLIGHT, *amount)
                )
            db.execute("COMMIT")
        if found is not None:
            if found[0] != text:
                raise IdempotencyConflict(key)
            if found[1] == _IN_FLIGHT:
                return ChargeResult(
                    ChargeOutcome.UNKNOWN, None, "a charge under this key is in progress"
                )
        else:
            time.sleep(self.latency)
            with closing(self._connect()) as db:
                db.execute("UPDATE charges SET outcome = ? WHERE key = ?", (outcome.value, key))
        known = self.lookup(key)
        assert known is not None
        return known

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """Return what became of the charge under the key, or None if it was never made
        (or is still in flight)."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT outcome, amount, currency FROM charges WHERE key = ?", (idempotency_key,)
            ).fetchone()
        if row is None or row[0] == _IN_FLIGHT:
            return None
        outcome = ChargeOutcome(row[0])
        if outcome is not ChargeOutcome.SUCCEEDED:
            return ChargeResult(outcome, None, "card declined")
        return ChargeResult(outcome, f"ch_{idempotency_key}", "", Money(row[1], row[2]))

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refuse every refund: this gateway only charges."""
        return RefundResult(RefundOutcome.FAILED, None, "this gateway makes no refunds")

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """No refund is ever made."""
        return None


class SerialGateway:
    """A gateway that answers one call at a time (a fake's calls made atomic per key, as a
    real gateway's are), for thread races.

    Args:
        inner: The gateway to serialize (e.g. a ``SimulatedGateway``).
    """

    def __init__(self, inner: PaymentGateway) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge through the inner gateway, one call at a time.

        Raises:
            IdempotencyConflict: As the inner gateway.
        """
        with self._lock:
            return self._inner.charge(request)

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """Look up through the inner gateway, one call at a time."""
        with self._lock:
            return self._inner.lookup(idempotency_key)

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund through the inner gateway, one call at a time."""
        with self._lock:
            return self._inner.refund(request)

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """Look a refund up through the inner gateway, one call at a time."""
        with self._lock:
            return self._inner.lookup_refund(idempotency_key)


class HeldGateway:
    """A payment gateway that holds one charge in flight while a callback runs.

    Args:
        inner: The gateway that makes the charges (e.g. a ``SimulatedGateway``).
    """

    def __init__(self, inner: PaymentGateway) -> None:
        self._inner = inner
        self._when: Callable[[ChargeRequest], bool] | None = None
        self._meanwhile: Callable[[ChargeRequest], None] | None = None
        self._held: ChargeRequest | None = None
        self.released = False
        """Whether the held charge was sent on (after the callback ran)."""

    def hold(
        self, when: Callable[[ChargeRequest], bool], meanwhile: Callable[[ChargeRequest], None]
    ) -> None:
        """Hold the first charge for which ``when`` is true, and run ``meanwhile`` with it
        before sending it on to the inner gateway."""
        self._when, self._meanwhile = when, meanwhile

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge through the inner gateway, holding the chosen charge in flight.

        Raises:
            IdempotencyConflict: The key of the charge in flight, for another request.
        """
        held = self._held
        if held is not None and request.idempotency_key == held.idempotency_key:
            if request != held:
                raise IdempotencyConflict(request.idempotency_key)
            return ChargeResult(
                ChargeOutcome.UNKNOWN, None, "a charge under this key is in progress: look it up"
            )
        when, meanwhile = self._when, self._meanwhile
        if held is None and not self.released and when is not None and when(request):
            assert meanwhile is not None
            self._held = request
            try:
                meanwhile(request)
            finally:
                self._held = None
                self.released = True
        return self._inner.charge(request)

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """Ask the inner gateway; the key of the charge in flight is not known yet."""
        held = self._held
        if held is not None and held.idempotency_key == idempotency_key:
            return None
        return self._inner.lookup(idempotency_key)

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund through the inner gateway."""
        return self._inner.refund(request)

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """Look a refund up through the inner gateway."""
        return self._inner.lookup_refund(idempotency_key)
