"""The application service: the partner portal's use cases over the ports and the domain.

:class:`~resell_core.service.portal.PartnerPortal` is the entry point and
:class:`~resell_core.service.portal.AgencyPortal` its handle on one agency;
:mod:`~resell_core.service.context` holds the wiring and the one helper that runs a
command atomically, audited and idempotent. Each use case lives in the module of its
concern (``agencies``, ``profiles``, ``accounts``, ``editing``, ``access``, ``overview``,
``billing``, ``credits``, ``commissions``).
"""

from __future__ import annotations

from resell_core.service.billing import BillingFailure, BillingReport
from resell_core.service.commissions import CommissionRun
from resell_core.service.context import SYSTEM, Context, Policies
from resell_core.service.credits import CreditBalance, CreditPurchase, UsageRecorded
from resell_core.service.portal import AgencyPortal, PartnerPortal
from resell_core.service.results import AccountCreated, AccountEdited

__all__ = [
    "SYSTEM",
    "AccountCreated",
    "AccountEdited",
    "AgencyPortal",
    "BillingFailure",
    "BillingReport",
    "CommissionRun",
    "Context",
    "CreditBalance",
    "CreditPurchase",
    "PartnerPortal",
    "Policies",
    "UsageRecorded",
]
