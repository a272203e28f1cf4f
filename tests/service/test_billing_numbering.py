"""A page of the billing run bills its accounts before it holds their agency, then numbers
them on from the counter as held (B7, C2, docs/scaling.md "Invoice numbers"): another
page of the agency that committed meanwhile moves the page's numbers up, not its bills;
a pool or an agency that moved so that the bills would be other ones has the page billed
again under the lock. On every storage, a rival unit of work standing for that other page
commits just before the page takes the lock."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.billing.ledger import OUTSIDE, SPENT, CreditKind, Movement, profile_wallet
from resell_core.service import billing, billing_pages
from resell_core.testing.portal import SAMPLE_START

AddActive = Callable[..., rc.Account]

SHOPS = ("north-bakery", "south-florist", "east-butcher")

Rival = Callable[[rc.PartnerPortal, rc.Agency], None]

LOCKED = "<the page locks its agency>"


def _pool(portal: rc.PartnerPortal, agency: rc.Agency, card: rc.BillingProfile, usd: str) -> None:
    with portal.storage.unit_of_work() as uow:
        uow.ledger.append(
            Movement(
                "movement-pool",
                agency.id,
                CreditKind.PREPAID,
                Decimal(usd),
                OUTSIDE,
                profile_wallet(card.id),
                SAMPLE_START,
                "prepaid credit for the pool",
            )
        )
        uow.commit()


def _pool_left(portal: rc.PartnerPortal, agency: rc.Agency, card: rc.BillingProfile) -> Decimal:
    with portal.storage.unit_of_work() as uow:
        return uow.ledger.balance(agency.id, profile_wallet(card.id), CreditKind.PREPAID)


def takes_two_numbers(spends: str | None = None, rate: str | None = None) -> Rival:
    """A rival page of the agency: it takes numbers 1 and 2, spends ``spends`` of the card's
    pool and, with ``rate``, changes the agency's reseller rate too."""

    def rival(portal: rc.PartnerPortal, agency: rc.Agency) -> None:
        with portal.storage.unit_of_work() as uow:
            [held] = uow.agencies.lock([agency.id])
            moved = attrs.evolve(held, next_invoice_number=held.next_invoice_number + 2)
            if rate is not None:
                moved = attrs.evolve(moved, reseller_rate=Decimal(rate))
            uow.agencies.update(moved)
            if spends is not None:
                [profile] = uow.profiles.list(agency.id)
                uow.ledger.append(
                    Movement(
                        "movement-rival",
                        agency.id,
                        CreditKind.PREPAID,
                        Decimal(spends),
                        profile_wallet(profile.id),
                        SPENT,
                        SAMPLE_START,
                        "a rival page's invoices",
                    )
                )
            uow.commit()

    return rival


@pytest.fixture
def raced(
    portal: rc.PartnerPortal, acme: rc.Agency, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Rival], list[str]]:
    """Arm a rival to commit once, just before the run's first page locks its agencies;
    the list it returns receives, in order, the id of every account billed (twice for a
    page billed again) and ``LOCKED`` where a page locks its agencies."""
    billed: list[str] = []
    real_hold, real_bill = billing._hold_agencies, billing_pages.bill_account

    def arm(rival: Rival) -> list[str]:
        struck: list[bool] = []

        def hold(uow: Any, agency_ids: list[str]) -> list[rc.Agency]:
            if not struck:
                struck.append(True)
                rival(portal, acme)
            billed.append(LOCKED)
            return real_hold(uow, agency_ids)

        def bill(account: rc.Account, *args: Any, **kwargs: Any) -> Any:
            billed.append(account.id)
            return real_bill(account, *args, **kwargs)

        monkeypatch.setattr(billing, "_hold_agencies", hold)
        monkeypatch.setattr(billing, "bill_account", bill)
        return billed

    return arm


def _invoices(portal: rc.PartnerPortal, agency: rc.Agency) -> list[rc.Invoice]:
    return sorted(portal.invoices(agency.id), key=lambda i: i.number)


def _reasons(portal: rc.PartnerPortal, agency: rc.Agency) -> dict[str, str]:
    """The reasons of the movements that spent prepaid credit on an invoice, by invoice id."""
    with portal.storage.unit_of_work() as uow:
        movements = uow.ledger.movements(agency.id)
    return {m.invoice_id: m.reason for m in movements if m.invoice_id is not None}


def _issued(portal: rc.PartnerPortal, agency: rc.Agency) -> dict[str, str]:
    """What the audit log's ``invoice_issued`` entries say, by invoice id."""
    with portal.storage.unit_of_work() as uow:
        events = uow.events.list(agency.id)
    return {e.subject: e.after or "" for e in events if e.action == "invoice_issued"}


def test_B7_a_page_numbers_its_bills_on_from_a_page_committed_while_it_billed(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    raced: Callable[[Rival], list[str]],
) -> None:
    """The pool holds USD 150: the bakery's 96 and 54 of the florist's invoice, whose card
    pays the other 42, as the butcher's pays its 96. A rival takes numbers 1 and 2 while
    the page is billed (the pool untouched): the page's bills stand, numbered 3 to 5, in
    the invoices, the movements' reasons, the charges' descriptions and the audit log;
    no account is billed twice."""
    accounts = [add_active(name) for name in SHOPS]
    _pool(portal, acme, card, "150")
    billed = raced(takes_two_numbers())

    report = portal.run_billing()

    assert report.errors == ()
    assert billed == [*(a.id for a in accounts), LOCKED]
    invoices = _invoices(portal, acme)
    assert [(i.number, i.account_id) for i in invoices] == [
        (3, accounts[0].id),
        (4, accounts[1].id),
        (5, accounts[2].id),
    ]
    assert [(str(i.paid_pool.amount), str(i.paid_card.amount)) for i in invoices] == [
        ("96.00", "0"),
        ("54.00", "42.00"),
        ("0", "96.00"),
    ]
    ids = [i.id for i in invoices]
    assert _reasons(portal, acme) == {ids[0]: "invoice 3", ids[1]: "invoice 4"}
    gateway = portal.gateway
    assert isinstance(gateway, SimulatedGateway)
    assert [c.description for c in gateway.charges] == ["Invoice 4", "Invoice 5"]
    issued = _issued(portal, acme)
    assert [issued[i].split()[0] for i in ids] == ["3", "4", "5"]
    assert _pool_left(portal, acme, card) == 0
    assert portal.agency(acme.id).next_invoice_number == 6


def test_C2_a_page_keeps_its_bills_when_the_pool_spent_meanwhile_still_pays_them(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    raced: Callable[[Rival], list[str]],
) -> None:
    """The pool holds USD 1,000; the rival's page spends 700 of it while the page is
    billed. What is left (300) still pays the page's three invoices (288) in full: they
    stand, numbered 3 to 5, and the pool ends at 12."""
    accounts = [add_active(name) for name in SHOPS]
    _pool(portal, acme, card, "1000")
    billed = raced(takes_two_numbers(spends="700"))

    report = portal.run_billing()

    assert report.errors == ()
    assert billed == [*(a.id for a in accounts), LOCKED]
    invoices = _invoices(portal, acme)
    assert [i.number for i in invoices] == [3, 4, 5]
    assert all(i.paid_pool.amount == Decimal(96) for i in invoices)
    assert _pool_left(portal, acme, card) == 12


def test_C2_a_page_whose_pool_ran_short_meanwhile_is_billed_again_under_the_lock(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    raced: Callable[[Rival], list[str]],
) -> None:
    """The pool holds USD 200 when the page is billed (it would pay 96, 96 and 8); the
    rival spends 150 of it meanwhile. The bills do not stand: the page is billed again
    once it holds the agency, from the pool as it is then: the bakery's invoice takes the
    last 50 and its card 46, the other two cards pay in full. Nothing is overdrawn, no
    error, no page refused."""
    accounts = [add_active(name) for name in SHOPS]
    _pool(portal, acme, card, "200")
    billed = raced(takes_two_numbers(spends="150"))

    report = portal.run_billing()

    assert report.errors == ()
    ids = [a.id for a in accounts]
    assert billed == [*ids, LOCKED, *ids]
    invoices = _invoices(portal, acme)
    assert [i.number for i in invoices] == [3, 4, 5]
    assert [(str(i.paid_pool.amount), str(i.paid_card.amount)) for i in invoices] == [
        ("50", "46.00"),
        ("0", "96.00"),
        ("0", "96.00"),
    ]
    assert _pool_left(portal, acme, card) == 0


def test_B7_a_page_whose_agency_changed_meanwhile_is_billed_again_at_its_new_rate(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: AddActive,
    raced: Callable[[Rival], list[str]],
) -> None:
    """The agency's reseller rate goes from 20 % to 30 % while the page is billed, and the
    rival spends 150 of the pool's 200: the page is billed again under the lock, each Plus
    invoice at USD 84.00 instead of 96.00, from the pool as it is then (the bakery's
    invoice takes its last 50, the cards pay the rest). No page is refused: the page is
    billed twice, not account by account."""
    accounts = [add_active(name) for name in SHOPS]
    _pool(portal, acme, card, "200")
    billed = raced(takes_two_numbers(spends="150", rate="0.30"))

    report = portal.run_billing()

    assert report.errors == ()
    ids = [a.id for a in accounts]
    assert billed == [*ids, LOCKED, *ids]
    invoices = _invoices(portal, acme)
    assert [(i.number, str(i.total.amount), str(i.paid_pool.amount)) for i in invoices] == [
        (3, "84.00", "50"),
        (4, "84.00", "0"),
        (5, "84.00", "0"),
    ]
    assert _pool_left(portal, acme, card) == 0
