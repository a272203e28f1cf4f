"""Package details (A10): each figure, plan changes in a quote, annual resale (R4)."""

from __future__ import annotations

import weakref
from datetime import date
from decimal import Decimal
from typing import Any, cast

import attrs
import pytest

import resell_core as rc
from resell_core.pricing import PlanChange, ProratedChange
from resell_core.pricing.catalog import PRICE_CACHE_SIZE

USD = "USD"
RESELLER_RATE = Decimal("0.15")  # ACME-DIGITAL's partner level
APRIL = rc.Period(date(2024, 4, 11), date(2024, 5, 11))


@pytest.fixture
def catalog() -> rc.Catalog:
    """The sample catalog."""
    return rc.Catalog.sample()


def _plus(contacts: int = 2500, frequency: str = "monthly") -> rc.PlanSelection:
    return rc.PlanSelection("V3", "marketing", "plus", contacts, frequency)


def test_A10_list_value_is_the_plan_price_before_discounts(catalog: rc.Catalog) -> None:
    """The list value of plus 2,500 monthly with SMS is $120 + $15."""
    details = catalog.quote(
        rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly", addons=("sms",)),
        reseller_rate=RESELLER_RATE,
    )

    assert details.list_value == rc.Money("135.00", USD)
    assert [line.amount for line in details.lines] == [rc.Money("120", USD), rc.Money("15", USD)]


def test_A10_migration_discount_is_its_rate_of_the_list_value(catalog: rc.Catalog) -> None:
    """A 20 % migration discount on $120 is $24."""
    details = catalog.quote(_plus(), migration=catalog.migration_discount)

    assert details.migration_discount == rc.Money("24.00", USD)


def test_A10_reseller_discount_is_the_agency_rate_of_the_list_value(catalog: rc.Catalog) -> None:
    """A 15 % reseller rate on $120 is $18, whatever the migration discount."""
    details = catalog.quote(
        _plus(), reseller_rate=RESELLER_RATE, migration=catalog.migration_discount
    )

    assert details.reseller_discount == rc.Money("18.00", USD)


def test_A10_recurring_is_list_value_minus_reseller_discount(catalog: rc.Catalog) -> None:
    """Each cycle costs $120 - $18 = $102; the migration discount is not recurring."""
    details = catalog.quote(
        _plus(), reseller_rate=RESELLER_RATE, migration=catalog.migration_discount
    )

    assert details.recurring == rc.Money("102.00", USD)


def test_A10_due_today_for_a_new_account_is_the_first_net_charge(catalog: rc.Catalog) -> None:
    """A new migrated account pays $120 - $24 - $18 = $78 today, taxes excluded."""
    details = catalog.quote(
        _plus(), reseller_rate=RESELLER_RATE, migration=catalog.migration_discount
    )

    assert details.due_today == rc.Money("78.00", USD)
    assert details.prorated is None
    assert details.taxes_excluded is True


def test_A10_prorated_upgrade_credits_and_charges_the_rest_of_the_period(
    catalog: rc.Catalog,
) -> None:
    """Plus 1,500 ($89) billed 11 Apr, upgraded to 2,500 ($120) on 26 Apr: half of each."""
    change = PlanChange(
        current=_plus(1500), billed=rc.Money("89", USD), period=APRIL, on=date(2024, 4, 26)
    )

    details = catalog.quote(_plus(2500), change=change)

    assert details.prorated == ProratedChange(
        credit=rc.Money("-44.50", USD),
        charge=rc.Money("60.00", USD),
        net=rc.Money("15.50", USD),
    )
    assert details.due_today == rc.Money("15.50", USD)
    assert details.effective_on == date(2024, 4, 26)


def test_A10_downgrade_waits_for_the_end_of_term_and_costs_nothing_today(
    catalog: rc.Catalog,
) -> None:
    """A downgrade is scheduled for the period's end: no proration, nothing due today."""
    change = PlanChange(
        current=_plus(5000), billed=rc.Money("169", USD), period=APRIL, on=date(2024, 4, 26)
    )

    details = catalog.quote(_plus(2500), reseller_rate=RESELLER_RATE, change=change)

    assert details.rule == rc.ChangeRule("downgrade", "end_of_term")
    assert details.prorated is None
    assert details.due_today.is_zero()
    assert details.effective_on == APRIL.end
    assert details.recurring == rc.Money("102.00", USD)


def test_A10_due_today_never_goes_below_zero(catalog: rc.Catalog) -> None:
    """Annual billed in full, moved to monthly at once: the credit exceeds the charge."""
    change = PlanChange(
        current=_plus(frequency="annual"),
        billed=rc.Money("1200", USD),
        period=rc.Period(date(2024, 1, 1), date(2025, 1, 1)),
        on=date(2024, 1, 2),
    )

    details = catalog.quote(_plus(frequency="monthly"), change=change)

    assert details.prorated is not None
    assert details.prorated.net.is_negative()
    assert details.due_today.is_zero()


def test_A10_explain_shows_each_step_of_the_arithmetic(catalog: rc.Catalog) -> None:
    """The explanation names the list value, both discounts, the recurring and due today."""
    details = catalog.quote(
        _plus(), reseller_rate=RESELLER_RATE, migration=catalog.migration_discount
    )

    text = details.explain()

    for expected in (
        "List value per cycle",
        "USD 120.00",
        "migration discount (20% of list value)",
        "USD -24.00",
        "reseller discount (15% of list value)",
        "USD -18.00",
        "USD 102.00",
        "Due today (taxes excluded)",
        "USD 78.00",
        "Sample prices",
    ):
        assert expected in text


def test_A10_explain_shows_the_proration_days(catalog: rc.Catalog) -> None:
    """A change's explanation gives the days left and both prorated lines."""
    change = PlanChange(_plus(1500), rc.Money("89", USD), APRIL, date(2024, 4, 26))

    text = catalog.quote(_plus(2500), change=change).explain()

    assert "15 of 30 days left" in text
    assert "USD -44.50" in text
    assert "USD 60.00" in text


def test_A10_rich_reprs_for_jupyter(catalog: rc.Catalog) -> None:
    """The HTML repr is a table of the steps; the pretty repr is the explanation."""
    details = catalog.quote(_plus(), reseller_rate=RESELLER_RATE)
    printed: list[str] = []

    class Printer:
        def text(self, text: str) -> None:
            printed.append(text)

    details._repr_pretty_(Printer(), cycle=False)

    assert details._repr_html_().startswith("<table>")
    assert "USD 102.00" in details._repr_html_()
    assert printed == [details.explain()]


@pytest.mark.parametrize("rate", [Decimal(1), Decimal("-0.01"), Decimal("1.5")])
def test_A10_reseller_rate_outside_zero_to_one_is_refused(
    catalog: rc.Catalog, rate: Decimal
) -> None:
    """The reseller discount rate must lie in [0, 1)."""
    with pytest.raises(rc.InvalidInput, match="reseller_rate"):
        catalog.quote(_plus(), reseller_rate=rate)


def test_A10_float_reseller_rate_is_refused(catalog: rc.Catalog) -> None:
    """A float rate would lose cents: it is refused."""
    with pytest.raises(rc.FloatNotAllowed):
        catalog.quote(_plus(), reseller_rate=0.15)  # type: ignore[arg-type]


def test_A10_migration_discount_is_for_new_accounts_only(catalog: rc.Catalog) -> None:
    """A migration discount cannot be combined with a change of plan."""
    change = PlanChange(_plus(1500), rc.Money("89", USD), APRIL, date(2024, 4, 26))

    with pytest.raises(rc.InvalidInput, match="new accounts only"):
        catalog.quote(_plus(), migration=catalog.migration_discount, change=change)


def test_A10_invalid_selection_is_refused_before_pricing(catalog: rc.Catalog) -> None:
    """A quote of an invalid plan raises the validation error, not a price."""
    with pytest.raises(rc.InvalidInput, match="contacts"):
        catalog.quote(rc.PlanSelection("V3", "marketing", "plus"))


_NO_CONTACTS = rc.PlanSelection("V3", "marketing", "plus", None, "monthly")
_BAD_MIGRATION = rc.MigrationDiscount(Decimal("1.5"))
_SAME_PLAN = PlanChange(_NO_CONTACTS, rc.Money("89", USD), APRIL, date(2024, 4, 26))


_Asked = tuple[rc.PlanSelection, Decimal, rc.MigrationDiscount | None, PlanChange | None]


@pytest.mark.parametrize(
    ("asked", "reported"),
    [
        ((_NO_CONTACTS, Decimal(2), _BAD_MIGRATION, _SAME_PLAN), ("quote", "migration")),
        ((_NO_CONTACTS, Decimal(2), _BAD_MIGRATION, None), ("quote", "reseller_rate")),
        ((_NO_CONTACTS, RESELLER_RATE, _BAD_MIGRATION, None), ("plan selection", "contacts")),
        ((_NO_CONTACTS, RESELLER_RATE, None, _SAME_PLAN), ("plan selection", "contacts")),
        ((_plus(), RESELLER_RATE, _BAD_MIGRATION, None), ("quote", "migration.rate")),
    ],
    ids=[
        "change-with-migration-first",
        "then-reseller-rate",
        "then-selection-before-migration-rate",
        "selection-before-change",
        "migration-rate-last",
    ],
)
def test_A10_a_quote_with_several_problems_reports_them_in_a_fixed_order(
    catalog: rc.Catalog, asked: _Asked, reported: tuple[str, str]
) -> None:
    """A migration with a change, then the reseller rate, the selection, the migration rate."""
    selection, rate, migration, change = asked

    with pytest.raises(rc.InvalidInput) as raised:
        catalog.quote(selection, reseller_rate=rate, migration=migration, change=change)

    assert (raised.value.what, raised.value.problems[0].field) == reported


def test_A10_a_float_rate_is_refused_before_the_selection_is_checked(catalog: rc.Catalog) -> None:
    """A float reseller rate is refused even when the selection is bad too."""
    with pytest.raises(rc.FloatNotAllowed):
        catalog.quote(_NO_CONTACTS, reseller_rate=0.15)  # type: ignore[arg-type]


def test_migration_discount_lasts_only_its_cycles(catalog: rc.Catalog) -> None:
    """A two-cycle migration discount applies to cycles 0 and 1, not 2."""
    migration = rc.MigrationDiscount(Decimal("0.5"), cycles=2)

    prices = [
        catalog.cycle_price(_plus(), reseller_rate=Decimal(0), migration=migration, cycle=n)
        for n in range(3)
    ]

    assert [p.net for p in prices] == [
        rc.Money("60.00", USD),
        rc.Money("60.00", USD),
        rc.Money("120.00", USD),
    ]


def test_migration_discount_never_takes_the_net_below_zero(catalog: rc.Catalog) -> None:
    """A full migration discount on top of a reseller rate stops at zero."""
    price = catalog.cycle_price(
        _plus(), reseller_rate=RESELLER_RATE, migration=rc.MigrationDiscount(Decimal(1))
    )

    assert price.migration_discount == rc.Money("102.00", USD)
    assert price.net.is_zero()


def test_R4_annual_plan_is_quoted_with_the_reseller_discount(catalog: rc.Catalog) -> None:
    """An annual plus 2,500 resold at 15 % lists $1,200 a year and costs $1,020."""
    details = catalog.quote(_plus(frequency="annual"), reseller_rate=RESELLER_RATE)

    assert details.list_value == rc.Money("1200.00", USD)
    assert details.reseller_discount == rc.Money("180.00", USD)
    assert details.recurring == rc.Money("1020.00", USD)
    assert details.due_today == rc.Money("1020.00", USD)
    assert "List value per year" in details.explain()


def test_R4_moving_to_annual_starts_a_new_annual_term(catalog: rc.Catalog) -> None:
    """Monthly to annual mid-period credits the unused month and charges a whole year."""
    change = PlanChange(_plus(), rc.Money("102", USD), APRIL, date(2024, 4, 26))

    details = catalog.quote(_plus(frequency="annual"), reseller_rate=RESELLER_RATE, change=change)

    assert details.rule == rc.ChangeRule("frequency", "new_term")
    assert details.prorated == ProratedChange(
        credit=rc.Money("-51.00", USD),
        charge=rc.Money("1020.00", USD),
        net=rc.Money("969.00", USD),
    )
    assert details.due_today == rc.Money("969.00", USD)


def test_package_details_refuse_writes() -> None:
    """Package details are frozen: a figure can be neither set nor deleted."""
    plus = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
    details = rc.Catalog.sample().quote(plus)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        details.due_today = details.list_value  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del details.label


def test_each_catalog_keeps_a_bounded_cache_of_its_own() -> None:
    """The cache is bounded at PRICE_CACHE_SIZE, keeps each selection priced once, and a
    copy of the catalog starts empty."""
    catalog = attrs.evolve(rc.Catalog.sample())
    for contacts in (500, 1500, 2500):
        for frequency in ("monthly", "annual"):
            catalog.quote(rc.PlanSelection("V3", "marketing", "plus", contacts, frequency))
    info = cast(Any, catalog)._priced.cache_info()
    assert (info.maxsize, info.currsize) == (PRICE_CACHE_SIZE, 6)
    assert cast(Any, attrs.evolve(catalog))._priced.cache_info().currsize == 0


def test_the_price_cache_does_not_keep_its_catalog_alive() -> None:
    """A catalog that was priced is freed as soon as nothing else holds it."""
    catalog = attrs.evolve(rc.Catalog.sample())
    catalog.quote(rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly"))
    gone = weakref.ref(catalog)
    del catalog
    assert gone() is None


def test_the_price_cache_evicts_the_oldest_selection_past_its_bound() -> None:
    """PRICE_CACHE_SIZE + 100 selections priced: the cache holds PRICE_CACHE_SIZE, the
    first one is priced again (a miss) and gives the same price, the last is a hit."""
    catalog = attrs.evolve(rc.Catalog.sample())
    selections = [
        rc.PlanSelection(
            "V3", "marketing", "plus", 2500, "monthly", limits={"email_sends": 50_001 + n}
        )
        for n in range(PRICE_CACHE_SIZE + 100)
    ]
    first_price = catalog.recurring_price(selections[0])
    for selection in selections[1:]:
        catalog.recurring_price(selection)
    priced = cast(Any, catalog)._priced
    assert priced.cache_info().currsize == PRICE_CACHE_SIZE

    misses = priced.cache_info().misses
    assert catalog.recurring_price(selections[0]) == first_price
    assert priced.cache_info().misses == misses + 1
    hits = priced.cache_info().hits
    catalog.recurring_price(selections[-1])
    assert priced.cache_info().hits == hits + 1
    assert priced.cache_info().currsize == PRICE_CACHE_SIZE
