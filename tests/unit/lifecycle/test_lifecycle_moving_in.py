"""Opening a moved-in account with the agency's choices (T3, A10) and how a removal ends
its billing (T2), in the pure domain."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest

from resell_core.errors import InvalidInput
from resell_core.lifecycle import (
    Account,
    AccountStatus,
    Cancel,
    NewAccount,
    TransferRequest,
    confirm_transfer,
    move_in_account,
    move_transfer,
    removal_cancellation,
    request_transfer,
)
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.price_book import MigrationDiscount
from resell_core.pricing.selection import PlanSelection

ON = date(2024, 3, 12)
STARTS = date(2024, 4, 1)
TRIAL = PlanSelection("V1", "EM", "trial")
PLUS_MONTHLY = PlanSelection("V3", "marketing", "plus", 2500, "monthly")


def form(plan: PlanSelection, **changes: object) -> NewAccount:
    """The details of the hosted account north-bakery, as the agency gives them."""
    fields: dict[str, object] = {
        "name": "north-bakery",
        "client_name": "North Bakery",
        "notification_email": "ops@acme-digital.test",
        "country": "DE",
        "language": "de",
        "timezone": "Europe/Berlin",
        "plan": plan,
        "billing_profile_id": "card-1" if plan.is_paid else None,
    }
    return NewAccount(**{**fields, **changes})  # type: ignore[arg-type]


def _moved() -> TransferRequest:
    request = request_transfer(
        request_id="transfer-1",
        agency_id="ACME-DIGITAL",
        hosted_account="north-bakery",
        admin_email="owner@north-bakery.test",
        agency_email="ops@acme-digital.test",
        on=ON,
    )
    confirmed, _ = confirm_transfer(request, ON)
    return move_transfer(confirmed, ON)[0]


def _open(plan: PlanSelection = PLUS_MONTHLY, **changes: object) -> Account:
    options: dict[str, object] = {
        "account_id": "acc-1",
        "starts_on": STARTS,
        "today": ON,
        "latest_start_days": 366,
        "catalog": Catalog.sample(),
    }
    options.update(changes)
    return move_in_account(_moved(), form(plan), **options)  # type: ignore[arg-type]


def test_T3_a_moved_in_account_is_active_with_its_term_starting_on_the_chosen_day() -> None:
    """Active at once (nothing to prepare), its first term anchored on the chosen day,
    nothing billed yet, in the agency of the request."""
    account = _open()

    assert (account.status, account.agency_id) == (AccountStatus.ACTIVE, "ACME-DIGITAL")
    assert (account.anchor, account.purchased_on, account.next_period) == (STARTS, STARTS, 0)
    assert account.created_on == ON


def test_T3_A10_it_carries_the_catalogs_migration_discount_or_a_smaller_one_asked() -> None:
    """Without one asked, the catalog's terms; a smaller one asked is kept; a catalog
    without a migration discount gives none."""
    catalog = Catalog.sample()
    smaller = MigrationDiscount(Decimal("0.10"))
    none_set = attrs.evolve(catalog, migration_discount=MigrationDiscount(Decimal(0)))

    assert _open().migration == catalog.migration_discount
    asked = move_in_account(
        _moved(),
        form(PLUS_MONTHLY, migration=smaller),
        account_id="acc-1",
        starts_on=STARTS,
        today=ON,
        latest_start_days=366,
        catalog=catalog,
    )
    assert asked.migration == smaller
    assert _open(catalog=none_set).migration is None


def test_T3_a_free_plan_moves_in_without_a_term() -> None:
    """A trial has no anchor and no purchase day."""
    account = _open(TRIAL)

    assert (account.anchor, account.purchased_on, account.status) == (
        None,
        None,
        AccountStatus.ACTIVE,
    )


def test_T3_every_bad_choice_is_listed_at_once() -> None:
    """Another name, a snapshot and a start beyond the latest day, in one error."""
    with pytest.raises(InvalidInput) as refused:
        move_in_account(
            _moved(),
            form(PLUS_MONTHLY, name="south-bakery", snapshot_id="snap-1"),
            account_id="acc-1",
            starts_on=ON + timedelta(days=31),
            today=ON,
            latest_start_days=30,
            catalog=Catalog.sample(),
        )

    assert [p.field for p in refused.value.problems] == [
        "account.name",
        "account.snapshot_id",
        "starts_on",
    ]


@pytest.mark.parametrize(
    ("status", "ends"),
    [
        (AccountStatus.ACTIVE, True),
        (AccountStatus.DISABLED, True),
        (AccountStatus.CANCELLED, False),
        (AccountStatus.EXPIRED, False),
        (AccountStatus.ARCHIVED, False),
    ],
)
def test_T2_a_removal_cancels_what_is_still_billed(
    paid: Account, status: AccountStatus, ends: bool
) -> None:
    """An active or disabled account is cancelled (billed through its paid term, R7);
    one billed no more is left as it is."""
    action = removal_cancellation(attrs.evolve(paid, status=status), "owner@north-bakery.test")

    assert isinstance(action, Cancel) is ends
