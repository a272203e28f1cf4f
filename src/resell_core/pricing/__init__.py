"""Pricing: the catalog (price book), plan selections, package details and plan changes.

Pure domain: attrs values and functions, no I/O, no clock, no serialisation library.
"""

from __future__ import annotations

from resell_core.pricing import changes
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.changes import *  # noqa: F403 - all of changes.__all__
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
    "SAMPLE_LABEL",
    "AddOn",
    "Band",
    "Catalog",
    "CyclePrice",
    "LimitChoice",
    "LimitTerms",
    "MigrationDiscount",
    "Options",
    "PackageDetails",
    "PlanKind",
    "PlanSelection",
    "PriceLine",
    "Product",
    "Tier",
    "Version",
    "catalog_problems",
]
__all__ += changes.__all__
