"""Moved-in accounts in the portal (T3), their migration discount (A10) and removal (T2),
on every adapter: the agency's choices at the owner's confirmation, the first invoices
carrying the catalog's migration discount as quoted, and billing ending with the paid
term once an account is asked out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

import resell_core as rc
from resell_core.testing.catalogs import GARDEN_SPROUT, garden_catalog
from resell_core.testing.portal import SAMPLE_START, bakery_form, sample_agency, sample_card

from .conftest import PLUS, TRIAL

AddActive = Callable[..., rc.Account]
NewPortal = Callable[..., rc.PartnerPortal]
State = Callable[..., Any]

START = SAMPLE_START + timedelta(days=9)
"""The day the moved-in account's first term starts: 2024-04-20."""


def _clock(portal: rc.PartnerPortal) -> rc.ManualClock:
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    return clock


def _run_on(portal: rc.PartnerPortal, day: date) -> None:
    clock = _clock(portal)
    clock.advance(timedelta(days=(day - clock.now().date()).days))
    portal.run_billing()


def _totals(portal: rc.PartnerPortal, agency_id: str, account_id: str) -> list[rc.Money]:
    return [i.total for i in portal.invoices(agency_id, account_id=account_id)]


def _moved_in(
    portal: rc.PartnerPortal,
    agency_id: str,
    plan: rc.PlanSelection,
    profile_id: str | None,
    starts_on: date | None = START,
    **changes: Any,
) -> rc.Account:
    request = portal.request_transfer(agency_id, "old-bakery", "owner@old-bakery.test")
    form = bakery_form("old-bakery", plan, profile_id, **changes)
    moved = portal.confirm_transfer(agency_id, request.id, form, starts_on)
    assert moved.account_id is not None
    return portal.account(agency_id, moved.account_id)


def test_T3_a_confirmed_transfer_opens_the_account_with_the_agencys_choices(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The owner's confirmation with the agency's plan, profile and start opens the
    hosted account in the portal, active, its term starting on the chosen day; the
    request names it and the overview lists it with its own status."""
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")

    moved = portal.confirm_transfer(
        acme.id, request.id, bakery_form("old-bakery", PLUS, card.id), START
    )

    assert moved.status is rc.TransferStatus.MOVED
    assert moved.account_id is not None
    account = portal.account(acme.id, moved.account_id)
    assert (account.name, account.status, account.plan) == (
        "old-bakery",
        rc.AccountStatus.ACTIVE,
        PLUS,
    )
    assert (account.billing_profile_id, account.anchor, account.next_period) == (card.id, START, 0)
    assert account.migration == portal.catalog.migration_discount
    assert portal.transfer_request(acme.id, request.id).account_id == account.id
    page = portal.accounts(acme.id, rc.AccountQuery(columns=["name", "status"]))
    assert [dict(row.values) for row in page.rows] == [
        {rc.OverviewColumn.NAME: "old-bakery", rc.OverviewColumn.STATUS: rc.AccountStatus.ACTIVE}
    ]
    assert [e.action for e in portal.events(acme.id, account.id)] == ["account_added"]


def test_T3_A10_the_first_invoice_carries_the_migration_discount_the_quote_showed(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Nothing is billed before the chosen start; the first invoice is the quote's first
    charge, migration discount line included (the sample catalog's 20 % for one cycle);
    the next cycle is billed at the recurring price."""
    details = portal.quote(acme.id, PLUS, portal.catalog.migration_discount)
    account = _moved_in(portal, acme.id, PLUS, card.id)

    _run_on(portal, START - timedelta(days=1))
    assert _totals(portal, acme.id, account.id) == []
    _run_on(portal, START)
    [first] = portal.invoices(acme.id, account_id=account.id)
    _run_on(portal, START + timedelta(days=30))

    assert first.total == details.due_today == rc.Money("72.00", "USD")
    assert [line.amount for line in first.lines if line.description == "Migration discount"] == [
        -details.migration_discount
    ]
    assert _totals(portal, acme.id, account.id) == [details.due_today, details.recurring]


def test_T3_A10_a_host_catalog_sets_a_discount_for_several_cycles(
    new_portal: NewPortal,
) -> None:
    """On the garden catalog given a 25 % migration discount for 3 cycles, the moved-in
    account's first three invoices are discounted and the fourth is not: every name and
    figure is the catalog's."""
    terms = rc.MigrationDiscount(Decimal("0.25"), cycles=3)
    catalog = attrs.evolve(garden_catalog(), migration_discount=terms)
    portal = new_portal(start=SAMPLE_START, catalog=catalog)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    details = portal.quote(acme.id, GARDEN_SPROUT, catalog.migration_discount)
    account = _moved_in(portal, acme.id, GARDEN_SPROUT, card.id, starts_on=SAMPLE_START)

    _run_on(portal, SAMPLE_START)
    for months in (1, 2, 3):
        _run_on(portal, rc.nth_period(SAMPLE_START, rc.Frequency.MONTHLY, months).start)

    assert details.due_today == rc.Money("16.50", "USD")  # 30.00 - 7.50 (25 %) - 6.00 (20 %)
    assert _totals(portal, acme.id, account.id) == [details.due_today] * 3 + [details.recurring]


def test_T3_a_catalog_without_a_migration_discount_charges_the_full_first_cycle(
    new_portal: NewPortal,
) -> None:
    """The garden catalog sets no migration discount: the moved-in account carries none
    and its first invoice is the recurring price."""
    portal = new_portal(start=SAMPLE_START, catalog=garden_catalog())
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    account = _moved_in(portal, acme.id, GARDEN_SPROUT, card.id, starts_on=None)

    _run_on(portal, SAMPLE_START)

    assert account.migration is None
    assert _totals(portal, acme.id, account.id) == [portal.quote(acme.id, GARDEN_SPROUT).recurring]


def test_T3_a_free_plan_moves_in_without_a_term(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """A trial moves in active with no billing profile and no term: nothing is billed."""
    account = _moved_in(portal, acme.id, TRIAL, None, starts_on=None)

    _run_on(portal, START)

    assert (account.status, account.anchor) == (rc.AccountStatus.ACTIVE, None)
    assert _totals(portal, acme.id, account.id) == []


@pytest.mark.parametrize(
    "case",
    [
        ({"name": "other-bakery"}, START, "account.name"),
        ({"snapshot_id": "snapshot-1"}, START, "account.snapshot_id"),
        ({}, SAMPLE_START - timedelta(days=1), "starts_on"),
        ({}, SAMPLE_START + timedelta(days=367), "starts_on"),
        ({"migration": rc.MigrationDiscount(Decimal("0.5"))}, START, "migration"),
    ],
    ids=["other-name", "snapshot", "past-start", "start-beyond-policy", "above-catalog"],
)
def test_T3_a_confirmation_with_bad_choices_is_refused_and_changes_nothing(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    state: State,
    case: tuple[dict[str, Any], date, str],
) -> None:
    """Another account's name, a snapshot, a start in the past or beyond the policy's
    year, or a migration discount above the catalog's: refused naming the field, the
    request still pending."""
    changes, starts_on, field = case
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")
    before = state(acme.id)
    form = bakery_form(**{"name": "old-bakery", "plan": PLUS, "profile_id": card.id, **changes})

    with pytest.raises(rc.InvalidInput) as refused:
        portal.confirm_transfer(acme.id, request.id, form, starts_on)

    assert field in {p.field for p in refused.value.problems}
    assert state(acme.id) == before


def test_T3_a_profile_of_another_agency_is_not_found(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency, state: State
) -> None:
    """Globex's card cannot pay for an account Acme moves in."""
    theirs = sample_card(portal, globex.id)
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")
    before = state(acme.id)

    with pytest.raises(rc.NotFound):
        portal.confirm_transfer(
            acme.id, request.id, bakery_form("old-bakery", PLUS, theirs.id), START
        )

    assert state(acme.id) == before


def test_T3_a_replayed_confirmation_opens_one_account(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """The same key twice answers the first result; one account is opened."""
    request = portal.request_transfer(acme.id, "old-bakery", "owner@old-bakery.test")
    form = bakery_form("old-bakery", PLUS, card.id)

    first = portal.confirm_transfer(acme.id, request.id, form, START, idempotency_key="move-1")
    again = portal.confirm_transfer(acme.id, request.id, form, START, idempotency_key="move-1")

    assert again == first
    assert again.account_id == first.account_id
    assert portal.accounts(acme.id).total == 1


def test_T3_a_renewed_term_carries_no_migration_discount(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """Cancelled before its first cycle was billed and renewed later, the moved-in
    account starts a new term at the recurring price: the discount was its first
    term's."""
    account = _moved_in(portal, acme.id, PLUS, card.id)
    portal.cancel_account(acme.id, account.id, "changed their mind")
    renewed = portal.renew_account(acme.id, account.id, card.id)

    _run_on(portal, START)

    assert renewed.migration is None
    assert _totals(portal, acme.id, account.id) == [portal.quote(acme.id, PLUS).recurring]


def test_A10_a_new_account_carries_the_migration_discount_it_was_quoted(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile
) -> None:
    """An account added with the catalog's migration discount is charged the quote's
    first charge, then the recurring price."""
    terms = portal.catalog.migration_discount
    details = portal.quote(acme.id, PLUS, terms)
    created = portal.add_account(
        acme.id, bakery_form("north-bakery", PLUS, card.id, migration=terms)
    )
    portal.process_provisioning()

    _run_on(portal, SAMPLE_START)
    _run_on(portal, SAMPLE_START + timedelta(days=30))

    assert _totals(portal, acme.id, created.account.id) == [details.due_today, details.recurring]


@pytest.mark.parametrize(
    ("catalog", "terms"),
    [
        (None, rc.MigrationDiscount(Decimal("0.30"))),
        (None, rc.MigrationDiscount(Decimal("0.20"), cycles=2)),
        (None, rc.MigrationDiscount(Decimal("NaN"))),
        (garden_catalog(), rc.MigrationDiscount(Decimal("0.10"))),
    ],
    ids=["higher-rate", "more-cycles", "not-a-rate", "catalog-sets-none"],
)
def test_A10_a_migration_discount_the_catalog_does_not_allow_is_refused(
    new_portal: NewPortal, catalog: rc.Catalog | None, terms: rc.MigrationDiscount
) -> None:
    """A higher rate or more cycles than the catalog's, a rate that is not one, or any
    discount on a catalog that sets none: refused naming ``migration``, nothing added."""
    portal = new_portal(start=SAMPLE_START, catalog=catalog)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    plan = GARDEN_SPROUT if catalog is not None else PLUS

    with pytest.raises(rc.InvalidInput) as refused:
        portal.add_account(acme.id, bakery_form("north-bakery", plan, card.id, migration=terms))

    assert {p.field.split(".")[0] for p in refused.value.problems} == {"migration"}
    assert portal.accounts(acme.id).total == 0


def test_T2_removal_ends_billing_at_the_end_of_the_paid_term_and_keeps_the_history(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive
) -> None:
    """Asked out mid-term, the account works until its paid-through date and is never
    billed again; its invoices, credit history and audit trail stay."""
    bakery = add_active("north-bakery")
    portal.run_billing()
    portal.buy_credits(acme.id, "sms", 50, bakery.billing_profile_id or "", bakery.id)
    paid_through = portal.account(acme.id, bakery.id).paid_through
    assert paid_through is not None
    invoices = portal.invoices(acme.id, account_id=bakery.id)

    removal = portal.request_removal(acme.id, bakery.id, "owner@north-bakery.test")
    _run_on(portal, paid_through)
    _run_on(portal, paid_through + timedelta(days=31))

    after = portal.account(acme.id, bakery.id)
    assert removal.billed_through == paid_through
    assert (after.status, after.cancelled_on, after.paid_through) == (
        rc.AccountStatus.CANCELLED,
        SAMPLE_START,
        paid_through,
    )
    assert portal.invoices(acme.id, account_id=bakery.id) == invoices
    assert len(portal.credit_history(acme.id, "sms", bakery.id)) == 1
    assert [e.action for e in portal.events(acme.id, bakery.id)][-2:] == [
        "removal_requested",
        "account_cancelled",
    ]


def test_T3_A10_accounts_alike_billed_in_one_page_keep_their_own_discount(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """A moved-in account and a new one on the same plan, billed on the same day by one
    run: only the moved-in account's invoice carries the migration discount."""
    bakery = add_active("north-bakery")
    moved = _moved_in(portal, acme.id, PLUS, card.id, starts_on=None)

    portal.run_billing()

    details = portal.quote(acme.id, PLUS, portal.catalog.migration_discount)
    assert _totals(portal, acme.id, moved.id) == [details.due_today]
    assert _totals(portal, acme.id, bakery.id) == [details.recurring]


def test_T2_an_account_still_being_prepared_cannot_be_asked_out(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, state: State
) -> None:
    """Before provisioning reports it ready, a removal is refused: once ready, it would
    start a paid term the removal could not stop."""
    created = portal.add_account(acme.id, bakery_form("north-bakery", PLUS, card.id))
    before = state(acme.id)

    with pytest.raises(rc.InvalidTransition):
        portal.request_removal(acme.id, created.account.id, "owner@north-bakery.test")

    assert state(acme.id) == before


def test_T3_a_name_the_portal_has_already_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, add_active: AddActive
) -> None:
    """A hosted account named as one the portal resells already cannot move in twice."""
    add_active("north-bakery")
    request = portal.request_transfer(acme.id, "north-bakery", "owner@north-bakery.test")

    with pytest.raises(rc.DuplicateName):
        portal.confirm_transfer(
            acme.id, request.id, bakery_form("north-bakery", PLUS, card.id), START
        )

    assert portal.transfer_request(acme.id, request.id).status is rc.TransferStatus.PENDING
