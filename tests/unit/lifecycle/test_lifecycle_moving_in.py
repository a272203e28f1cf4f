"""Opening a moved-in account with the agency's choices (T3, A10) and how a removal ends
its billing (T2), in the pure domain."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


@pytest.fixture
def move_in(make_form: Callable[..., NewAccount]) -> Callable[..., Account]:
    """Move north-bakery in on ``plan``: ``form`` changes its form, keywords the options."""

    def moved_in(
        plan: PlanSelection = PLUS_MONTHLY,
        *,
        form: Mapping[str, object] | None = None,
        **changes: object,
    ) -> Account:
        options: dict[str, object] = {
            "account_id": "acc-1",
            "starts_on": STARTS,
            "today": ON,
            "latest_start_days": 366,
            "catalog": Catalog.sample(),
        }
        options.update(changes)
        details = make_form(plan, **(form or {}))
        return move_in_account(_moved(), details, **options)  # type: ignore[arg-type]

    return moved_in


def test_T3_a_moved_in_account_is_active_with_its_term_starting_on_the_chosen_day(
    move_in: Callable[..., Account],
) -> None:
    """Active at once (nothing to prepare), its first term anchored on the chosen day,
    nothing billed yet, in the agency of the request."""
    account = move_in()

    assert (account.status, account.agency_id) == (AccountStatus.ACTIVE, "ACME-DIGITAL")
    assert (account.anchor, account.purchased_on, account.next_period) == (STARTS, STARTS, 0)
    assert account.created_on == ON


def test_T3_A10_it_carries_the_catalogs_migration_discount_or_a_smaller_one_asked(
    move_in: Callable[..., Account],
) -> None:
    """Without one asked, the catalog's terms; a smaller one asked is kept; a catalog
    without a migration discount gives none."""
    catalog = Catalog.sample()
    smaller = MigrationDiscount(Decimal("0.10"))
    none_set = attrs.evolve(catalog, migration_discount=MigrationDiscount(Decimal(0)))

    assert move_in().migration == catalog.migration_discount
    assert move_in(form={"migration": smaller}).migration == smaller
    assert move_in(catalog=none_set).migration is None


def test_T3_a_free_plan_moves_in_without_a_term(move_in: Callable[..., Account]) -> None:
    """A trial has no anchor and no purchase day."""
    account = move_in(TRIAL)

    assert (account.anchor, account.purchased_on, account.status) == (
        None,
        None,
        AccountStatus.ACTIVE,
    )


def test_T3_every_bad_choice_is_listed_at_once(move_in: Callable[..., Account]) -> None:
    """Another name, a snapshot and a start beyond the latest day, in one error."""
    with pytest.raises(InvalidInput) as refused:
        move_in(
            form={"name": "south-bakery", "snapshot_id": "snap-1"},
            starts_on=ON + timedelta(days=31),
            latest_start_days=30,
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
