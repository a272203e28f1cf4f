"""The flat plan id of the agency API: a plan selection written as one string.

A plan id names the pricing version, product and tier, then (for a paid V3 plan) the
contact limit and the billing frequency, separated by ``/``; add-ons follow, each after
a ``+``::

    V1/EM/trial
    V1/EM/sandbox
    V3/marketing/plus/2500/monthly
    V3/automation/professional/10000/annual+sms+inbox_preview

Account limits are not part of a plan id: an account added or changed through the API
gets the catalog's default limits.
"""

from __future__ import annotations

import re

from resell_core.errors import FieldProblem, quoted
from resell_core.periods import Frequency
from resell_core.pricing.selection import PlanSelection

__all__ = ["PLAN_ID_PATTERN", "parse_plan_id", "plan_id"]

PLAN_ID_PATTERN = (
    r"^[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+(/[0-9]{1,9}/[A-Za-z]+)?(\+[A-Za-z0-9_-]+)*$"
)
"""The shape of a plan id (JSON Schema ``pattern``); the catalog decides which ids exist."""

_SHAPE = re.compile(PLAN_ID_PATTERN)
_EXPLAIN = (
    "write a plan id such as 'V3/marketing/plus/2500/monthly' (version/product/tier/"
    "contacts/frequency, add-ons after '+') or 'V1/EM/trial'"
)


def plan_id(selection: PlanSelection) -> str:
    """Write a plan selection as its plan id (its limits are left out).

    >>> plan_id(PlanSelection("V3", "marketing", "plus", 2500, "monthly", addons=["sms"]))
    'V3/marketing/plus/2500/monthly+sms'
    """
    parts = [selection.version, selection.product, selection.tier]
    if selection.contacts is not None and selection.frequency is not None:
        parts += [str(selection.contacts), selection.frequency.value]
    return "/".join(parts) + "".join(f"+{addon}" for addon in selection.addons)


def parse_plan_id(text: str, field: str = "plan") -> PlanSelection | FieldProblem:
    """Read a plan id into a plan selection, or say what is wrong with its shape.

    Only the shape is checked here; whether the catalog sells that plan is
    :meth:`resell_core.Catalog.validate`'s answer.

    Args:
        text: The plan id.
        field: The request field it came from (named in the problem).

    Returns:
        The selection, or the problem of a badly formed id.

    >>> parse_plan_id("V3/marketing/plus/2500/annual").frequency
    <Frequency.ANNUAL: 'annual'>
    >>> parse_plan_id("plus").field
    'plan'
    """
    if len(text) > 200 or not _SHAPE.fullmatch(text):
        return FieldProblem(field, f"is not a plan id: {_EXPLAIN}")
    base, *addons = text.split("+")
    parts = base.split("/")
    if len(parts) == 3:
        return PlanSelection(parts[0], parts[1], parts[2], addons=addons)
    version, product, tier, contacts, frequency = parts
    if frequency not in tuple(Frequency):
        return FieldProblem(
            field, f"{quoted(frequency)} is not a billing frequency", tuple(map(str, Frequency))
        )
    return PlanSelection(version, product, tier, int(contacts), frequency, addons=addons)
