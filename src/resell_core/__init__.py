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

# -- lifecycle --------------------------------------------------------------------------

# -- billing ----------------------------------------------------------------------------

# -- portal -----------------------------------------------------------------------------

__all__ = [
    "AccessDenied",
    "CatalogError",
    "Conflict",
    "CurrencyMismatch",
    "DuplicateName",
    "FieldProblem",
    "FloatNotAllowed",
    "Frequency",
    "IdempotencyConflict",
    "InsufficientCredit",
    "InvalidInput",
    "InvalidTransition",
    "Money",
    "NotFound",
    "PaymentError",
    "Period",
    "ResellError",
    "VersionConflict",
    "format_date",
    "format_money",
    "nth_period",
    "period_containing",
    "prorate",
    "proration_fraction",
]
