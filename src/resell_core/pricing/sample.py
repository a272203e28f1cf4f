"""The sample catalog: SAMPLE PRICES in USD, for demos, docs and tests, not the vendor's.

Annual prices are ten monthly prices (two months free), so annual plans are cheaper
than twelve months and can be resold (rule R4). Starter plans have no add-ons (rules
A9 and C5).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from resell_core.money import Money
from resell_core.pricing.changes import DEFAULT_CHANGE_RULES
from resell_core.pricing.price_book import (
    AddOn,
    Band,
    LimitTerms,
    MigrationDiscount,
    PlanKind,
    Product,
    Tier,
    Version,
)

if TYPE_CHECKING:
    from resell_core.pricing.catalog import Catalog

__all__ = ["SAMPLE_LABEL", "sample_catalog"]

SAMPLE_LABEL = "Sample prices (USD) — not the vendor's price list"

_CURRENCY = "USD"
_ANNUAL_MONTHS = 10  # two months free on an annual plan

# Monthly list price by contact band, per product and tier.
_MONTHLY: dict[str, dict[str, dict[int, str]]] = {
    "marketing": {
        "starter": {500: "9", 1500: "29", 2500: "45", 5000: "65"},
        "plus": {
            500: "49", 1500: "89", 2500: "120", 5000: "169",
            10000: "259", 25000: "499", 50000: "799",
        },
        "professional": {2500: "299", 5000: "379", 10000: "499", 25000: "799", 50000: "1199"},
        "enterprise": {10000: "1499", 25000: "1999", 50000: "2999"},
    },
    "automation": {
        "starter": {500: "15", 1500: "39", 2500: "59", 5000: "85"},
        "plus": {
            500: "69", 1500: "119", 2500: "159", 5000: "219",
            10000: "329", 25000: "619", 50000: "989",
        },
        "professional": {2500: "379", 5000: "479", 10000: "629", 25000: "989", 50000: "1489"},
        "enterprise": {10000: "1849", 25000: "2449", 50000: "3649"},
    },
}  # fmt: skip


def _usd(amount: str) -> Money:
    return Money(amount, _CURRENCY)


def _limit(name: str, options: tuple[int, ...], custom: tuple[int, int, str] | None) -> LimitTerms:
    if custom is None:
        return LimitTerms(name, options)
    low, high, unit = custom
    return LimitTerms(name, options, low, high, _usd(unit))


_LIMITS: dict[str, tuple[LimitTerms, ...]] = {
    "starter": (
        _limit("users", (1, 3), None),
        _limit("custom_reports", (0,), None),
        _limit("email_sends", (5000, 15000), None),
    ),
    "plus": (
        _limit("users", (3, 5, 10), (11, 50, "5")),
        _limit("custom_reports", (5, 10), (11, 100, "2")),
        _limit("email_sends", (25000, 50000), (50001, 500000, "0.001")),
    ),
    "professional": (
        _limit("users", (10, 25), (26, 200, "4")),
        _limit("custom_reports", (25, 50), (51, 500, "1.50")),
        _limit("email_sends", (100000, 250000), (250001, 2000000, "0.0008")),
    ),
    "enterprise": (
        _limit("users", (25, 50, 100), (101, 1000, "3")),
        _limit("custom_reports", (100, 250), (251, 2000, "1")),
        _limit("email_sends", (500000, 1000000), (1000001, 10000000, "0.0005")),
    ),
}

_PAID_ADDON_TIERS = ("plus", "professional", "enterprise")


def _addon(name: str, tiers: tuple[str, ...], monthly: str) -> AddOn:
    price = _usd(monthly)
    return AddOn(name, tiers, price, price * _ANNUAL_MONTHS)


def _paid_tier(name: str, monthly: dict[int, str]) -> Tier:
    bands = tuple(
        Band(contacts, _usd(price), _usd(price) * _ANNUAL_MONTHS)
        for contacts, price in sorted(monthly.items())
    )
    return Tier(name, bands=bands, limits=_LIMITS[name])


@cache
def sample_catalog() -> Catalog:
    """Return the sample catalog (sample prices in USD); built once, it is immutable."""
    from resell_core.pricing.catalog import Catalog  # noqa: PLC0415 - catalog imports us

    free = Version(
        "V1",
        paid=False,
        products=(
            Product(
                "EM",
                (
                    Tier(
                        "trial",
                        limits=(_limit("users", (1,), None), _limit("email_sends", (1000,), None)),
                        contact_limit=500,
                        trial_days=14,
                        kind=PlanKind.TRIAL,
                    ),
                    Tier(
                        "sandbox",
                        limits=(_limit("users", (1,), None), _limit("email_sends", (500,), None)),
                        contact_limit=100,
                        kind=PlanKind.SANDBOX,
                    ),
                ),
            ),
        ),
    )
    paid = Version(
        "V3",
        paid=True,
        products=tuple(
            Product(product, tuple(_paid_tier(tier, bands) for tier, bands in tiers.items()))
            for product, tiers in _MONTHLY.items()
        ),
    )
    return Catalog(
        label=SAMPLE_LABEL,
        currency=_CURRENCY,
        versions=(free, paid),
        addons=(
            _addon("sms", _PAID_ADDON_TIERS, "15"),
            _addon("inbox_preview", _PAID_ADDON_TIERS, "10"),
            _addon("dedicated_ip", ("professional", "enterprise"), "59"),
            _addon("advanced_reporting", _PAID_ADDON_TIERS, "25"),
        ),
        migration_discount=MigrationDiscount(Decimal("0.20"), cycles=1),
        change_rules=DEFAULT_CHANGE_RULES,
    )
