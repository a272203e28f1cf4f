"""Pricing: the catalog (price book), plan selections, package details and plan changes.

Pure domain: attrs values and functions, no I/O, no clock, no serialisation library.
"""

from __future__ import annotations

from resell_core.pricing.catalog import Catalog
from resell_core.pricing.changes import (
    DEFAULT_CHANGE_RULES,
    ChangeKind,
    ChangeRule,
    ChangeTiming,
    PlanChange,
    ProratedChange,
    prorate_change,
    restart_term,
)
from resell_core.pricing.choices import LimitChoice, Options
from resell_core.pricing.consistency import catalog_problems
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
from resell_core.pricing.quote import CyclePrice, PackageDetails, PriceLine
from resell_core.pricing.sample import SAMPLE_LABEL
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "DEFAULT_CHANGE_RULES",
    "SAMPLE_LABEL",
    "AddOn",
    "Band",
    "Catalog",
    "ChangeKind",
    "ChangeRule",
    "ChangeTiming",
    "CyclePrice",
    "LimitChoice",
    "LimitTerms",
    "MigrationDiscount",
    "Options",
    "PackageDetails",
    "PlanChange",
    "PlanKind",
    "PlanSelection",
    "PriceLine",
    "Product",
    "ProratedChange",
    "Tier",
    "Version",
    "catalog_problems",
    "prorate_change",
    "restart_term",
]
