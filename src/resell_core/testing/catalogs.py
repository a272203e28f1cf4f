"""A second catalog, for proving that the library takes its vocabulary from the catalog.

:func:`garden_catalog` names nothing the sample catalog names: its versions are
``free-2025`` and ``pro-2025``, its products ``mail`` and ``social``, its trial tier
``seedling`` (30 days), its sandbox ``greenhouse`` and its paid tiers ``sprout``,
``bloom`` and ``orchard``; its account limit is ``seats`` and its add-on ``texts``. A
portal built with it (``PartnerPortal.embedded(catalog=garden_catalog())``) opens, bills,
changes and lists accounts by these names only, as a host's own catalog would.

Example:
    >>> from resell_core.pricing.price_book import PlanKind
    >>> catalog = garden_catalog()
    >>> catalog.plan_tiers
    ('seedling', 'greenhouse', 'sprout', 'bloom', 'orchard')
    >>> catalog.kind(GARDEN_TRIAL), catalog.kind(GARDEN_BLOOM)
    (<PlanKind.TRIAL: 'trial'>, <PlanKind.PAID: 'paid'>)
"""

from __future__ import annotations

from functools import cache

from resell_core.money import Money
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.price_book import (
    AddOn,
    Band,
    LimitTerms,
    PlanKind,
    Product,
    Tier,
    Version,
)
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "GARDEN_BLOOM",
    "GARDEN_LABEL",
    "GARDEN_SANDBOX",
    "GARDEN_SPROUT",
    "GARDEN_TRIAL",
    "GARDEN_TRIAL_DAYS",
    "garden_catalog",
]

GARDEN_LABEL = "Garden test prices (USD)"
"""The garden catalog's label."""

GARDEN_TRIAL_DAYS = 30
"""How long the garden catalog's trial lasts (the sample's lasts 14 days)."""

GARDEN_TRIAL = PlanSelection("free-2025", "mail", "seedling")
"""The garden catalog's trial plan."""

GARDEN_SANDBOX = PlanSelection("free-2025", "mail", "greenhouse")
"""The garden catalog's sandbox plan."""

GARDEN_SPROUT = PlanSelection("pro-2025", "mail", "sprout", 1000, "monthly")
"""A paid garden plan: mail sprout, 1,000 contacts, monthly ($30)."""

GARDEN_BLOOM = PlanSelection("pro-2025", "mail", "bloom", 5000, "monthly")
"""A larger paid garden plan: mail bloom, 5,000 contacts, monthly ($140)."""

_MONTHLY: dict[str, dict[int, str]] = {
    "sprout": {250: "12", 1000: "30"},
    "bloom": {1000: "60", 5000: "140"},
    "orchard": {5000: "300", 20000: "700"},
}


def _usd(amount: str) -> Money:
    return Money(amount, "USD")


def _paid(name: str, factor: int) -> Tier:
    bands = tuple(
        Band(contacts, _usd(price) * factor, _usd(price) * factor * 11)
        for contacts, price in _MONTHLY[name].items()
    )
    seats = LimitTerms("seats", (2, 5), 6, 40, _usd("4"))
    return Tier(name, bands=bands, limits=(seats,), kind=PlanKind.PAID)


@cache
def garden_catalog() -> Catalog:
    """Return the garden catalog: every version, product and tier named apart from the
    sample's, a 30-day trial, prices in USD; built once, it is immutable."""
    one_seat = (LimitTerms("seats", (1,)),)
    free = Version(
        "free-2025",
        paid=False,
        products=(
            Product(
                "mail",
                (
                    Tier(
                        "seedling",
                        limits=one_seat,
                        contact_limit=250,
                        trial_days=GARDEN_TRIAL_DAYS,
                        kind=PlanKind.TRIAL,
                    ),
                    Tier("greenhouse", limits=one_seat, contact_limit=50, kind=PlanKind.SANDBOX),
                ),
            ),
        ),
    )
    paid = Version(
        "pro-2025",
        paid=True,
        products=(
            Product("mail", tuple(_paid(name, 1) for name in _MONTHLY)),
            Product("social", tuple(_paid(name, 2) for name in _MONTHLY)),
        ),
    )
    texts = AddOn("texts", ("bloom", "orchard"), _usd("8"), _usd("80"))
    return Catalog(label=GARDEN_LABEL, currency="USD", versions=(free, paid), addons=(texts,))
