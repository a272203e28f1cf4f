"""The billing run a page at a time: one unit of work per page of due accounts, the same
guarantees as account by account (B1, B2, A11, C3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.memory import MemoryUnitOfWork
from resell_core.billing import due_periods
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement, account_wallet
from resell_core.billing.run import bill_period

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
        uow.ledger.append(
            Movement(
                "movement-earmark",
                acme.id,
                CreditKind.PREPAID,
                Decimal(30),
                OUTSIDE,
                account_wallet(bakery.id),
                date(2024, 4, 11),
                "prepaid bought for north-bakery",
            )
        )
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
