"""resell_core: the rules of a SaaS vendor's agency / reseller partner program.

The names here are what a host or an analyst uses: the portal and what its calls take
and return, Money and periods, the errors, the events, the ports a host implements and
the adapters it plugs in, and the catalog types a host's own price book is made of. The
domain's steps (the transition table, the billing and payment decisions, the checks)
live in the ``pricing``, ``lifecycle`` and ``billing`` packages, each with its own
``__all__``; docs/reference.md lists both and says which goes where.
"""

from __future__ import annotations

import logging as _logging
from importlib.metadata import version as _installed_version

# -- foundation -------------------------------------------------------------------------
from resell_core import errors
from resell_core.errors import *  # noqa: F403 - all of errors.__all__
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

# -- the catalog a host brings, and what a quote answers --------------------------------
from resell_core.pricing import (
    DEFAULT_CHANGE_RULES,
    AddOn,
    Band,
    Catalog,
    ChangeKind,
    ChangeRule,
    ChangeTiming,
    CyclePrice,
    LimitChoice,
    LimitTerms,
    MigrationDiscount,
    Options,
    PackageDetails,
    PlanKind,
    PlanSelection,
    PriceLine,
    Product,
    Tier,
    Version,
    catalog_problems,
)

# isort: split
# -- accounts: what the portal takes and returns, their policies and events -------------
from resell_core.lifecycle import (
    Account,
    AccountKind,
    AccountMovedIn,
    AccountQuery,
    AccountStatus,
    Branding,
    BrandingMode,
    DataResidency,
    Filter,
    FilterOp,
    LifecyclePolicy,
    LockoutPolicy,
    LoginOutcome,
    LoginResult,
    NameCheck,
    NewAccount,
    OverviewColumn,
    OverviewRow,
    Page,
    PendingChange,
    PlanFilter,
    RemovalRequest,
    ResetPolicy,
    SavedView,
    ScryptPolicy,
    Snapshot,
    SortKey,
    SsoClaims,
    SsoPolicy,
    StatusFilter,
    TemplateShareRequest,
    TransferRequest,
    TransferStatus,
    TransferUpdated,
    events,
    operators_for,
)
from resell_core.lifecycle.events import *  # noqa: F403 - all of events.__all__

# isort: split
# -- billing: what the portal takes and returns, and the billing policies ---------------
from resell_core.billing import (
    BillingProfile,
    BillingRunPolicy,
    ChangePreview,
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    CommissionProgram,
    CommissionStatement,
    CommissionTier,
    CreditBounds,
    CreditDestination,
    CreditExceedsPaid,
    CreditKind,
    CreditLine,
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    CreditNoteTax,
    DunningPolicy,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Movement,
    Notice,
    NoticeKind,
    PaymentPlan,
    PayoutOutcome,
    PayoutRequest,
    PayoutResult,
    PreviewInvoice,
    RefundOutcome,
    RefundRequest,
    RefundResult,
    StatementStatus,
)
from resell_core.billing.forecast import (
    Forecast,
    ForecastMonth,
    ForecastProblem,
    ProfileMonth,
    ProjectedInvoice,
    Upcoming,
    WalletForecast,
)
from resell_core.billing.taxes import (
    EU_RATES_AS_OF,
    EU_STANDARD_RATES,
    TaxableLine,
    TaxLine,
)
from resell_core.billing.top_ups import TopUpPolicy
from resell_core.billing.usage_forecast import UnitCreditForecast, UnitCreditRunway

# isort: split
# -- the portal, the ports a host implements and the adapters it plugs in ---------------
from resell_core.adapters.clock import ManualClock, SystemClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds, UuidIds
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import OsSecrets, SeededSecrets
from resell_core.adapters.taxes import EuVat, NoTax
from resell_core.agency import Agency, PortalUser
from resell_core.agency_api import AgencyApi
from resell_core.audit import AuditEvent
from resell_core.display import Listing
from resell_core.feed import FEED_EVENT_SCHEMA, FeedEvent, FeedPage
from resell_core.ports import (
    Clock,
    Ids,
    Notifier,
    PaymentGateway,
    PayoutGateway,
    Provisioner,
    ProvisioningOutcome,
    ProvisioningReport,
    Secrets,
    Storage,
    TaxCalculator,
)
from resell_core.service.billing import BillingFailure, BillingProgress, BillingReport
from resell_core.service.commissions import CommissionRun
from resell_core.service.context import Policies
from resell_core.service.credits import CreditBalance, CreditPurchase, UsageRecorded
from resell_core.service.portal import AgencyPortal, PartnerPortal
from resell_core.service.results import AccountCreated, AccountEdited
from resell_core.service.top_ups import TopUp, TopUpReport, TopUpSetting

# The library logs through "resell_core.*" loggers and configures nothing: the host's
# logging setup decides what is shown (without one, nothing is, not even warnings).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())

__version__: str = _installed_version("resell-core")
"""The version of the installed distribution, read from its metadata (pyproject.toml's)."""

__all__ = [
    "DEFAULT_CHANGE_RULES",
    "EU_RATES_AS_OF",
    "EU_STANDARD_RATES",
    "FEED_EVENT_SCHEMA",
    "Account",
    "AccountCreated",
    "AccountEdited",
    "AccountKind",
    "AccountMovedIn",
    "AccountQuery",
    "AccountStatus",
    "AddOn",
    "Agency",
    "AgencyApi",
    "AgencyPortal",
    "AuditEvent",
    "Band",
    "BillingFailure",
    "BillingProfile",
    "BillingProgress",
    "BillingReport",
    "BillingRunPolicy",
    "Branding",
    "BrandingMode",
    "Catalog",
    "ChangeKind",
    "ChangePreview",
    "ChangeRule",
    "ChangeTiming",
    "ChargeOutcome",
    "ChargeRequest",
    "ChargeResult",
    "Clock",
    "CommissionProgram",
    "CommissionRun",
    "CommissionStatement",
    "CommissionTier",
    "CreditBalance",
    "CreditBounds",
    "CreditDestination",
    "CreditExceedsPaid",
    "CreditKind",
    "CreditLine",
    "CreditNote",
    "CreditNoteLine",
    "CreditNoteStatus",
    "CreditNoteTax",
    "CreditPurchase",
    "CyclePrice",
    "DataResidency",
    "DunningPolicy",
    "EuVat",
    "FeedEvent",
    "FeedPage",
    "Filter",
    "FilterOp",
    "Forecast",
    "ForecastMonth",
    "ForecastProblem",
    "Frequency",
    "Ids",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "LifecyclePolicy",
    "LimitChoice",
    "LimitTerms",
    "LineKind",
    "Listing",
    "LockoutPolicy",
    "LoginOutcome",
    "LoginResult",
    "ManualClock",
    "MemoryStorage",
    "MigrationDiscount",
    "Money",
    "Movement",
    "NameCheck",
    "NewAccount",
    "NoTax",
    "Notice",
    "NoticeKind",
    "Notifier",
    "Options",
    "OsSecrets",
    "OverviewColumn",
    "OverviewRow",
    "PackageDetails",
    "Page",
    "PartnerPortal",
    "PaymentGateway",
    "PaymentPlan",
    "PayoutGateway",
    "PayoutOutcome",
    "PayoutRequest",
    "PayoutResult",
    "PendingChange",
    "Period",
    "PlanFilter",
    "PlanKind",
    "PlanSelection",
    "Policies",
    "PortalUser",
    "PreviewInvoice",
    "PriceLine",
    "Product",
    "ProfileMonth",
    "ProjectedInvoice",
    "Provisioner",
    "ProvisioningOutcome",
    "ProvisioningReport",
    "RecordingNotifier",
    "RefundOutcome",
    "RefundRequest",
    "RefundResult",
    "RemovalRequest",
    "ResetPolicy",
    "SavedView",
    "ScryptPolicy",
    "Secrets",
    "SeededSecrets",
    "SequentialIds",
    "SimulatedGateway",
    "SimulatedPayoutGateway",
    "SimulatedProvisioner",
    "Snapshot",
    "SortKey",
    "SsoClaims",
    "SsoPolicy",
    "StatementStatus",
    "StatusFilter",
    "Storage",
    "SystemClock",
    "TaxCalculator",
    "TaxLine",
    "TaxableLine",
    "TemplateShareRequest",
    "Tier",
    "TopUp",
    "TopUpPolicy",
    "TopUpReport",
    "TopUpSetting",
    "TransferRequest",
    "TransferStatus",
    "TransferUpdated",
    "UnitCreditForecast",
    "UnitCreditRunway",
    "Upcoming",
    "UsageRecorded",
    "UuidIds",
    "Version",
    "WalletForecast",
    "catalog_problems",
    "format_date",
    "format_money",
    "nth_period",
    "operators_for",
    "period_containing",
    "prorate",
    "proration_fraction",
]
__all__ += errors.__all__
__all__ += events.__all__
