"""resell_core: the rules of a SaaS vendor's agency / reseller partner program.

The public names are re-exported here; implementation lives in private modules and the
``pricing``, ``lifecycle`` and ``billing`` packages.
"""

from __future__ import annotations

# -- foundation -------------------------------------------------------------------------
from resell_core.errors import (
    AccessDenied,
    CatalogError,
    Conflict,
    CurrencyMismatch,
    DuplicateName,
    FieldProblem,
    FloatNotAllowed,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PaymentError,
    ResellError,
    VersionConflict,
)
from resell_core.formatting import format_date, format_money
from resell_core.money import Money
from resell_core.periods import (
    Frequency,
    Period,
    nth_period,
    period_containing,
    prorate,
    proration_fraction,
)

# -- pricing ----------------------------------------------------------------------------
from resell_core.pricing import (
    AddOn,
    Band,
    Catalog,
    ChangeKind,
    ChangeRule,
    ChangeTiming,
    CyclePrice,
    LimitTerms,
    MigrationDiscount,
    Options,
    PackageDetails,
    PlanChange,
    PlanSelection,
    ProratedChange,
    catalog_problems,
    prorate_change,
)

# -- lifecycle --------------------------------------------------------------------------

# -- billing ----------------------------------------------------------------------------

# -- portal -----------------------------------------------------------------------------

__all__ = [
    "AccessDenied",
    "AddOn",
    "Band",
    "Catalog",
    "CatalogError",
    "ChangeKind",
    "ChangeRule",
    "ChangeTiming",
    "Conflict",
    "CurrencyMismatch",
    "CyclePrice",
    "DuplicateName",
    "FieldProblem",
    "FloatNotAllowed",
    "Frequency",
    "IdempotencyConflict",
    "InsufficientCredit",
    "InvalidInput",
    "InvalidTransition",
    "LimitTerms",
    "MigrationDiscount",
    "Money",
    "NotFound",
    "Options",
    "PackageDetails",
    "PaymentError",
    "Period",
    "PlanChange",
    "PlanSelection",
    "ProratedChange",
    "ResellError",
    "VersionConflict",
    "catalog_problems",
    "format_date",
    "format_money",
    "nth_period",
    "period_containing",
    "prorate",
    "prorate_change",
    "proration_fraction",
]
