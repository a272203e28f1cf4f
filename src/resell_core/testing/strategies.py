"""Hypothesis strategies for every domain type, in one module, grown with the domain."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import attrs
from hypothesis import strategies as st

from resell_core.money import Money
from resell_core.periods import Frequency, Period
from resell_core.pricing import (
    Catalog,
    LimitTerms,
    MigrationDiscount,
    PlanSelection,
    Product,
    Tier,
)

__all__ = [
    "amounts",
    "catalogs",
    "currencies",
    "days",
    "frequencies",
    "migration_discounts",
    "money",
    "periods",
    "plan_selections",
    "reseller_rates",
]

# -- foundation -------------------------------------------------------------------------

currencies = st.sampled_from(["USD", "EUR", "JPY", "BHD", "GBP"])
"""Currencies with 0, 2 and 3 minor-unit digits."""

frequencies = st.sampled_from(list(Frequency))

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
"""Calendar days, leap days and month ends included."""


def amounts(max_value: int = 10**9, places: int = 4) -> st.SearchStrategy[Decimal]:
    """Decimals with up to ``places`` decimal places, positive or negative."""
    return st.decimals(
        min_value=-max_value,
        max_value=max_value,
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


@st.composite
def money(draw: st.DrawFn, currency: str | None = None, min_value: int = -(10**9)) -> Money:
    """Money of ``currency`` (or a random one)."""
    code = currency if currency is not None else draw(currencies)
    value = draw(amounts())
    if value < min_value:
        value = Decimal(min_value)
    return Money(value, code)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    """Half-open periods of 1 to 400 days."""
    start = draw(days)
    return Period(start, start + timedelta(days=draw(st.integers(1, 400))))


# -- pricing ----------------------------------------------------------------------------

reseller_rates = st.decimals(min_value=0, max_value=Decimal("0.99"), places=2)
"""Reseller discount rates in [0, 1)."""

migration_discounts = st.builds(
    MigrationDiscount,
    rate=st.decimals(min_value=0, max_value=1, places=2),
    cycles=st.integers(1, 12),
)
"""Migration-discount terms: a rate in [0, 1] for 1 to 12 cycles."""


def _scaled_tier(tier: Tier, factor: Decimal, keep: int) -> Tier:
    bands = tuple(
        attrs.evolve(band, monthly=band.monthly * factor, annual=band.annual * factor)
        for band in tier.bands[: max(1, keep)]
    )
    return attrs.evolve(tier, bands=bands)


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    """Consistent catalogs: the sample with prices scaled, bands dropped, other terms."""
    sample = Catalog.sample()
    factor = draw(st.decimals(min_value=Decimal("0.5"), max_value=5, places=2))
    keep = draw(st.integers(1, 7))
    versions = tuple(
        attrs.evolve(
            version,
            products=tuple(
                Product(p.name, tuple(_scaled_tier(t, factor, keep) for t in p.tiers))
                for p in version.products
            ),
        )
        if version.paid
        else version
        for version in sample.versions
    )
    trial_days = draw(st.integers(1, 60))
    versions = tuple(
        v
        if v.paid
        else attrs.evolve(
            v,
            products=tuple(
                Product(
                    p.name,
                    tuple(
                        attrs.evolve(t, trial_days=trial_days) if t.trial_days else t
                        for t in p.tiers
                    ),
                )
                for p in v.products
            ),
        )
        for v in versions
    )
    return attrs.evolve(sample, versions=versions, migration_discount=draw(migration_discounts))


def _limit_value(draw: st.DrawFn, terms: LimitTerms) -> int:
    if terms.custom_min is not None and terms.custom_max is not None and draw(st.booleans()):
        return draw(st.integers(terms.custom_min, terms.custom_max))
    return draw(st.sampled_from(terms.options))


@st.composite
def plan_selections(
    draw: st.DrawFn, catalog: Catalog | None = None, *, paid: bool | None = None
) -> PlanSelection:
    """Valid plan selections of ``catalog`` (the sample by default), drawn as a form would.

    Each field is drawn from what :meth:`Catalog.options` offers given the fields before.

    Args:
        catalog: The catalog; the sample when None.
        paid: True for V3 plans only, False for V1 only, None for either.
    """
    cat = catalog if catalog is not None else Catalog.sample()
    versions = [v.name for v in cat.versions if paid is None or v.paid is paid]
    partial: dict[str, object] = {"version": draw(st.sampled_from(versions))}
    partial["product"] = draw(st.sampled_from(cat.options(partial).products))
    partial["tier"] = draw(st.sampled_from(cat.options(partial).tiers))
    offered = cat.options(partial)
    if not offered.contacts:
        return PlanSelection(str(partial["version"]), str(partial["product"]), str(partial["tier"]))
    contacts = draw(st.sampled_from(offered.contacts))
    frequency = draw(st.sampled_from(offered.frequencies))
    partial.update(contacts=contacts, frequency=frequency)
    offered = cat.options(partial)
    tier = next(
        t
        for v in cat.versions
        if v.name == partial["version"]
        for p in v.products
        if p.name == partial["product"]
        for t in p.tiers
        if t.name == partial["tier"]
    )
    chosen = draw(st.lists(st.sampled_from(tier.limits), unique_by=lambda t: t.name))
    limits = {terms.name: _limit_value(draw, terms) for terms in chosen}
    addons = draw(st.lists(st.sampled_from(offered.addons), unique=True)) if offered.addons else []
    return PlanSelection(
        version=str(partial["version"]),
        product=str(partial["product"]),
        tier=str(partial["tier"]),
        contacts=contacts,
        frequency=frequency,
        limits=limits,
        addons=addons,
    )


# -- lifecycle --------------------------------------------------------------------------

# -- billing ----------------------------------------------------------------------------

# -- portal -----------------------------------------------------------------------------
