"""The billing run a page at a time: one unit of work per page of due accounts, the same
guarantees as account by account (B1, B2, A11, C3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from functools import partial
from types import TracebackType
from typing import Any, cast

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.memory import MemoryStorage, MemoryUnitOfWork
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchSchema, postgres_url, skip_reason
from resell_core.billing import due_periods
from resell_core.billing.ledger import CreditKind, account_wallet, profile_wallet
from resell_core.billing.run import bill_period
from resell_core.errors import InsufficientCredit
from resell_core.ports import InvoiceRepository, Storage, UnitOfWork
from resell_core.testing.portal import (
    SAMPLE_START,
    bakery_form,
    earmark_movement,
    sample_agency,
    sample_card,
)

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")

AddActive = Callable[..., rc.Account]

SHOPS = ("north-bakery", "south-florist", "east-butcher", "west-garage", "old-town-cafe")


def commits_of(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the commits of memory units of work that wrote something to the invoices."""
    counted: list[int] = []
    real = MemoryUnitOfWork.commit

    def counting(uow: MemoryUnitOfWork) -> None:
        if uow.invoices._view.writes:
            counted.append(len(uow.invoices._view.writes))
        real(uow)

    monkeypatch.setattr(MemoryUnitOfWork, "commit", counting)
    return counted


@pytest.mark.adapters("memory", reason="counts or races the commits of MemoryUnitOfWork")
def test_a_page_of_due_accounts_is_invoiced_in_one_unit_of_work(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Five shops due on one day, pages of two: three commits invoice them (2, 2, 1), and
    one more per page records the card answers."""
    for name in SHOPS:
        add_active(name, PLUS)
    commits = commits_of(monkeypatch)

    report = portal.run_billing(page_size=2)

    assert report.invoices_created == report.invoices_paid == 5
    assert report.accounts_billed == 5
    assert commits == [2, 2, 2, 2, 1, 1]
    assert [i.number for i in portal.invoices(acme.id)] == [1, 2, 3, 4, 5]


def test_a_failing_account_is_skipped_without_spoiling_its_page_or_the_numbering(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """The middle shop has no card: it is reported, the other two of the page are billed,
    and their invoice numbers run 1, 2 (the failure took no number)."""
    first, broken, last = (add_active(name, PLUS) for name in SHOPS[:3])
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(acme.id, broken.id)
        uow.accounts.update(attrs.evolve(stored, billing_profile_id=None))
        uow.commit()

    report = portal.run_billing()

    assert [(e.subject, e.code) for e in report.errors] == [(broken.id, "payment_error")]
    assert [(i.account_id, i.number) for i in portal.invoices(acme.id)] == [
        (first.id, 1),
        (last.id, 2),
    ]
    assert portal.account(acme.id, broken.id).next_period == 0
    assert report.invoices_created == 2


def test_C3_earmarked_credit_pays_in_the_page_and_the_card_pays_the_rest(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """North Bakery holds USD 30 of earmarked credit: its invoice takes it, the card the
    other 66; the florist's card pays all 96. Nothing is spent twice."""
    bakery, florist = add_active("north-bakery", PLUS), add_active("south-florist", PLUS)
    with portal.storage.unit_of_work() as uow:
        uow.ledger.append(earmark_movement(acme.id, bakery.id, Decimal(30)))
        uow.commit()

    report = portal.run_billing()

    invoices = {i.account_id: i for i in portal.invoices(acme.id)}
    assert invoices[bakery.id].paid_earmarked == rc.Money("30", "USD")
    assert invoices[bakery.id].paid_card == rc.Money("66.00", "USD")
    assert invoices[florist.id].paid_card == rc.Money("96.00", "USD")
    assert report.prepaid("USD") == rc.Money("30", "USD")
    assert report.charged("USD") == rc.Money("162.00", "USD")
    with portal.storage.unit_of_work() as uow:
        assert uow.ledger.balance(acme.id, account_wallet(bakery.id), CreditKind.PREPAID) == 0


@pytest.mark.adapters("memory", reason="counts or races the commits of MemoryUnitOfWork")
def test_a_page_that_lost_the_invoice_numbers_to_another_worker_runs_again(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another worker takes invoice number 1 while the page is billed: the page's commit
    is refused, the page runs again from its reads, and numbers stay gapless."""
    for name in SHOPS[:3]:
        add_active(name, PLUS)
    real = MemoryUnitOfWork.commit
    raced: list[bool] = []

    def rival_first(uow: MemoryUnitOfWork) -> None:
        if uow.invoices._view.writes and not raced:
            raced.append(True)
            with portal.storage.unit_of_work() as rival:
                agency = rival.agencies.get(acme.id)
                rival.agencies.update(attrs.evolve(agency, next_invoice_number=2))
                rival.commit()
        real(uow)

    monkeypatch.setattr(MemoryUnitOfWork, "commit", rival_first)

    report = portal.run_billing()

    assert raced
    assert report.invoices_created == 3
    assert report.errors == ()
    assert [i.number for i in portal.invoices(acme.id)] == [2, 3, 4]


@pytest.mark.adapters("memory", reason="counts or races the commits of MemoryUnitOfWork")
def test_a_page_refused_as_a_whole_is_billed_account_by_account(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another worker (without claims) stores the florist's period invoice between the
    page's reads and its commit: the page is refused (the period key is taken), its
    accounts are billed one by one, and the florist's period stays invoiced once."""
    bakery, florist, butcher = (add_active(name, PLUS) for name in SHOPS[:3])
    real = MemoryUnitOfWork.commit
    raced: list[bool] = []

    def rival_first(uow: MemoryUnitOfWork) -> None:
        if len(uow.invoices._view.writes) > 1 and not raced:
            raced.append(True)
            with portal.storage.unit_of_work() as rival:
                account = rival.accounts.get(acme.id, florist.id)
                [due] = due_periods(account, date(2024, 4, 11))
                number, numbered = rival.agencies.get(acme.id).numbered()
                figures = portal.catalog.cycle_price(PLUS, reseller_rate=acme.reseller_rate)
                billed = bill_period(
                    account,
                    due,
                    figures,
                    invoice_id="invoice-rival",
                    number=number,
                    issued_on=date(2024, 4, 11),
                )
                rival.agencies.update(numbered)
                rival.invoices.add(attrs.evolve(billed.invoice, status=rc.InvoiceStatus.PAID))
                rival.commit()
        real(uow)

    monkeypatch.setattr(MemoryUnitOfWork, "commit", rival_first)

    report = portal.run_billing()

    assert raced
    invoices = portal.invoices(acme.id)
    by_account = sorted((i.account_id or "", i.id) for i in invoices)
    assert [a for a, _ in by_account] == sorted([bakery.id, florist.id, butcher.id])
    assert [i.id for i in invoices if i.account_id == florist.id] == ["invoice-rival"]
    assert [i.number for i in invoices] == [1, 2, 3]
    assert report.invoices_created == 2
    assert report.errors == ()


@pytest.mark.adapters("memory", reason="counts or races the commits of MemoryUnitOfWork")
def test_an_account_whose_page_of_one_is_refused_too_is_reported_and_the_others_billed(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every commit storing the florist's invoice is refused: the page is refused, then the
    florist's page of one; the florist is reported with the refusal's code, the bakery and
    the butcher are billed and numbered 1, 2."""
    bakery, florist, butcher = (add_active(name, PLUS) for name in SHOPS[:3])
    real = MemoryUnitOfWork.commit

    def refuse_the_florist(uow: MemoryUnitOfWork) -> None:
        written = uow.invoices._view.writes.values()
        if any(getattr(i, "account_id", None) == florist.id for i in written):
            raise InsufficientCredit("prepaid credit was spent by another worker meanwhile")
        real(uow)

    monkeypatch.setattr(MemoryUnitOfWork, "commit", refuse_the_florist)

    report = portal.run_billing()

    assert [(e.subject, e.code) for e in report.errors] == [(florist.id, "insufficient_credit")]
    assert [(i.account_id, i.number) for i in portal.invoices(acme.id)] == [
        (bakery.id, 1),
        (butcher.id, 2),
    ]
    assert report.invoices_created == 2


def _month_of_shops(portal: rc.PartnerPortal) -> rc.Agency:
    """Acme's shops on 2024-05-12: two a month behind (two periods each, North Bakery with
    USD 30 earmarked), one on a card that declines, one without a card."""
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    old_visa = sample_card(portal, acme.id, label="Old Visa", card_token="tok_decline")

    def add(name: str, profile_id: str | None) -> rc.Account:
        created = portal.add_account(acme.id, bakery_form(name, PLUS, profile_id))
        portal.process_provisioning()
        return created.account

    bakery = add("north-bakery", card.id)
    add("south-florist", card.id)
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=31)
    add("east-butcher", old_visa.id)
    garage = add("west-garage", card.id)
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(acme.id, garage.id)
        uow.accounts.update(attrs.evolve(stored, billing_profile_id=None))
        uow.ledger.append(earmark_movement(acme.id, bakery.id, Decimal(30)))
        uow.commit()
    return acme


def _billed(portal: rc.PartnerPortal, acme: rc.Agency) -> tuple[object, ...]:
    """What the run stored, charged and told, invoice ids put as their numbers (the ids a
    refused page took are not given out again)."""
    invoices = portal.invoices(acme.id)
    number = {i.id: i.number for i in invoices}
    kept = [f.name for f in attrs.fields(rc.Invoice) if f.name not in ("id", "version")]
    with portal.storage.unit_of_work() as uow:
        movements = [
            (m.kind, m.quantity, m.source, m.destination, m.on, m.reason, number[m.invoice_id])
            for m in uow.ledger.movements(acme.id)
            if m.invoice_id is not None
        ]
        accounts = [
            (a.name, a.next_period, a.paid_through, a.status)
            for a in uow.accounts.of_agency(acme.id)
        ]
    gateway, notifier = portal.gateway, portal.notifier
    assert isinstance(gateway, rc.SimulatedGateway)
    assert isinstance(notifier, RecordingNotifier)
    return (
        [tuple(getattr(i, name) for name in kept) for i in invoices],
        sorted(movements, key=repr),
        sorted(accounts, key=repr),
        sorted((c.amount, c.description) for c in gateway.charges),
        notifier.sent,
    )


class _FirstPageRefused:
    """A storage whose first unit of work storing several invoices at once is refused at
    its commit, nothing of it written: a page refused as a whole (as when another worker
    spent its prepaid credit meanwhile, here a fault with nothing else changed)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.refused: list[int] = []

    def unit_of_work(self) -> UnitOfWork:
        """Start a unit of work of the storage, watched."""
        return cast(UnitOfWork, _Watched(self.storage.unit_of_work(), self.refused))


class _Watched:
    """A unit of work that counts the invoices stored in one batch and refuses its commit
    when it is the first to store more than one."""

    def __init__(self, uow: UnitOfWork, refused: list[int]) -> None:
        self._uow = uow
        self._refused = refused
        self._batches: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def __enter__(self) -> _Watched:
        self._uow.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._uow.__exit__(exc_type, exc, tb)

    @property
    def invoices(self) -> InvoiceRepository:
        repository = self._uow.invoices
        batches = self._batches

        class Counted:
            def __getattr__(self, name: str) -> Any:
                return getattr(repository, name)

            def add_many(self, invoices: Sequence[rc.Invoice]) -> None:
                batches.append(len(invoices))
                repository.add_many(invoices)

        return cast(InvoiceRepository, Counted())

    def commit(self) -> None:
        if not self._refused and any(n > 1 for n in self._batches):
            self._refused.append(max(self._batches))
            raise InsufficientCredit("prepaid credit was spent by another worker meanwhile")
        self._uow.commit()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storages(request: pytest.FixtureRequest) -> Iterator[Callable[[], Storage]]:
    """Empty storages of one adapter, as many as asked for (PostgreSQL skips unless on)."""
    if request.param == "memory":
        yield MemoryStorage
        return
    if request.param == "sqlite":
        yield lambda: SqlStorage("sqlite://")
        return
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason())
    scratches: list[ScratchSchema] = []

    def scratch() -> Storage:
        scratches.append(ScratchSchema(url))
        return scratches[-1].storage()

    try:
        yield scratch
    finally:
        for made in scratches:
            made.drop()


def test_a_page_billed_account_by_account_bills_what_the_page_would_have(
    storages: Callable[[], Storage],
) -> None:
    """The same month billed twice: in one page, and with that page's commit refused so
    that each account is billed as a page of one. Both store the same invoices, prepaid
    spent and accounts, charge and tell the same, and report the same (the shop without
    a card as the one error)."""
    paged = rc.PartnerPortal.embedded(start=SAMPLE_START, storage=storages())
    paged_acme = _month_of_shops(paged)
    paged_report = paged.run_billing()
    refusing = _FirstPageRefused(storages())
    refused = rc.PartnerPortal.embedded(start=SAMPLE_START, storage=refusing)
    refused_acme = _month_of_shops(refused)

    refused_report = refused.run_billing()

    assert refusing.refused == [5]  # the page of every due account was refused once
    assert _billed(refused, refused_acme) == _billed(paged, paged_acme)
    assert attrs.asdict(refused_report) == attrs.asdict(paged_report)
    assert (paged_report.invoices_created, paged_report.payments_declined) == (5, 1)
    assert [e.code for e in paged_report.errors] == ["payment_error"]


def _traced_billing(portal: rc.PartnerPortal) -> tuple[rc.BillingReport, list[str]]:
    """Run the billing on the portal's SQLite storage; return its report and the statements
    the driver ran, each upper-cased with its whitespace collapsed."""
    storage = portal.storage
    assert isinstance(storage, SqlStorage)
    seen: list[str] = []
    with storage.engine.connect() as connection:
        # The pool keeps this connection: the run below runs on it.
        connection.connection.driver_connection.set_trace_callback(seen.append)  # type: ignore[union-attr]
    report = portal.run_billing()
    return report, [" ".join(s.split()).upper() for s in seen]


@pytest.mark.adapters("sqlite", reason="counts the statements SQLite's driver runs")
def test_B1_a_page_reads_its_agency_once_to_bill_and_once_with_its_lock(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Three shops due in one page: the run reads ACME-DIGITAL's row twice, once before it
    bills the page and once when it holds it for the page's numbers (not once an
    account), and numbers the invoices on from the counter."""
    for name in SHOPS[:3]:
        portal.add_account(acme.id, bakery_form(name, PLUS, card.id))
        portal.process_provisioning()
    portal.run_billing()  # their first periods: invoices 1 to 3
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=31)
    report, statements = _traced_billing(portal)

    reads = [s for s in statements if s.startswith("SELECT")]
    assert report.invoices_created == 3
    assert len([s for s in reads if "FROM AGENCIES" in s]) == 2
    assert sorted(i.number for i in portal.invoices(acme.id))[-3:] == [4, 5, 6]


@pytest.mark.adapters("sqlite", reason="counts the statements SQLite's driver runs")
def test_C3_a_page_reads_its_earmarked_credit_and_pools_in_one_query(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Three shops of one page, paid by one profile: the bakery's USD 30 earmarked, the
    profile's pool USD 100. The page reads both balances in one query; the bakery's
    invoice takes its 30 and 66 from the pool, the florist's the pool's last 34 and 62
    from the card, the butcher's card pays all 96."""
    shops = []
    for name in SHOPS[:3]:
        shops.append(portal.add_account(acme.id, bakery_form(name, PLUS, card.id)))
        portal.process_provisioning()
    bakery, florist, butcher = (a.account.id for a in shops)
    pool = attrs.evolve(
        earmark_movement(acme.id, bakery, Decimal(100)),
        id="movement-pool",
        destination=profile_wallet(card.id),
    )
    with portal.storage.unit_of_work() as uow:
        uow.ledger.append(earmark_movement(acme.id, bakery, Decimal(30)))
        uow.ledger.append(pool)
        uow.commit()
    _, reads = _traced_billing(portal)

    balances = [s for s in reads if s.startswith("SELECT") and "FROM BALANCES" in s]
    assert len(balances) == 1
    invoices = {i.account_id: i for i in portal.invoices(acme.id)}
    usd = partial(rc.Money, currency="USD")
    assert (invoices[bakery].paid_earmarked, invoices[bakery].paid_pool) == (usd("30"), usd("66"))
    assert (invoices[florist].paid_pool, invoices[florist].paid_card) == (usd("34"), usd("62"))
    assert invoices[butcher].paid_card == usd("96.00")


@pytest.mark.adapters("sqlite", reason="reads the statements SQLite's driver runs")
def test_B1_a_page_reads_no_invoice_or_movement_before_writing_its_own(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """A page's invoices and prepaid movements are new (new ids, numbers taken under the
    agency's lock, due periods): the page writes them without reading the stored ones
    first, the tables' unique keys refusing a clash at commit."""
    shops = []
    for name in SHOPS[:2]:
        shops.append(portal.add_account(acme.id, bakery_form(name, PLUS, card.id)))
        portal.process_provisioning()
    bakery = shops[0].account.id
    with portal.storage.unit_of_work() as uow:
        uow.ledger.append(earmark_movement(acme.id, bakery, Decimal(30)))
        uow.commit()
    _, statements = _traced_billing(portal)

    written = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO INVOICES"))
    # From the page's claim of its accounts to its first write.
    claimed = max(i for i, s in enumerate(statements[:written]) if "FROM ACCOUNTS" in s)
    page = statements[claimed:written]
    assert any(s.startswith("INSERT INTO MOVEMENTS") for s in statements[written:])
    assert [s for s in page if "FROM INVOICES" in s or "FROM MOVEMENTS" in s] == []
    assert [i.number for i in portal.invoices(acme.id)] == [1, 2]
