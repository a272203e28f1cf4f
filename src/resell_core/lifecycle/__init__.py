"""The lifecycle of a resold account: creation, statuses, access, branding, transfers.

Pure domain: no I/O, no clock reads, no randomness (days, times and random bytes are
parameters). The transition table is :data:`TRANSITIONS`, applied by :func:`apply`.
"""

from __future__ import annotations

from resell_core.lifecycle import events, transfer
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus, PendingChange
from resell_core.lifecycle.account_query import (
    COUNT_LIMIT,
    AccountQuery,
    Filter,
    FilterOp,
    OverviewColumn,
    OverviewRow,
    Page,
    PlanFilter,
    SavedView,
    SortKey,
    StatusFilter,
    open_view,
    operators_for,
    overview_rows,
    run_query,
)
from resell_core.lifecycle.actions import (
    Action,
    ApplyPendingChange,
    Archive,
    Cancel,
    ChangeBillingProfile,
    ChangeBranding,
    ChangeCustomDomain,
    ChangeNotificationEmail,
    ChangePlan,
    Disable,
    Downgrade,
    DunningExhausted,
    Enable,
    EndTrial,
    Provisioned,
    ProvisioningFailed,
    Renew,
    Upgrade,
    WithdrawPendingChange,
)
from resell_core.lifecycle.affordances import (
    EDIT_ACTIONS,
    allowed_actions,
    can_single_sign_on,
    primary_action,
)
from resell_core.lifecycle.branding import Branding, BrandingMode, CnameRecord, cname_record
from resell_core.lifecycle.credentials import (
    ADMIN_USERNAME,
    IssuedCredentials,
    PasswordCheck,
    PasswordHash,
    ScryptPolicy,
    generate_password,
    hash_password,
    issue_credentials,
    verify_password,
    verify_unknown,
)
from resell_core.lifecycle.diagram import lifecycle_diagram
from resell_core.lifecycle.events import *  # noqa: F403 - all of events.__all__
from resell_core.lifecycle.lockout import (
    LockoutPolicy,
    LoginOutcome,
    LoginResult,
    LoginState,
    attempt_login,
    may_check,
)
from resell_core.lifecycle.moves import TRANSITIONS, Move, apply, status_label
from resell_core.lifecycle.names import RESERVED_NAMES, NameCheck, check_account_name
from resell_core.lifecycle.opening import open_account
from resell_core.lifecycle.policy import LifecyclePolicy
from resell_core.lifecycle.reset import (
    RESET_ANSWER,
    ResetDelivery,
    ResetPolicy,
    ResetRequest,
    ResetTicket,
    issue_reset,
    password_version,
    redeem_reset,
    request_password_reset,
)
from resell_core.lifecycle.snapshots import (
    Snapshot,
    TemplateShareRequest,
    request_template_share,
    take_snapshot,
)
from resell_core.lifecycle.sso import SsoClaims, SsoPolicy, issue_sso_ticket, verify_sso_ticket
from resell_core.lifecycle.terms import (
    is_cancelled_and_expired,
    record_period_billed,
    start_term,
    term_boundary,
)
from resell_core.lifecycle.transfer import *  # noqa: F403 - all of transfer.__all__
from resell_core.lifecycle.transition import Transition
from resell_core.lifecycle.validation import DataResidency, NewAccount, validate_new_account

__all__ = [
    "ADMIN_USERNAME",
    "COUNT_LIMIT",
    "EDIT_ACTIONS",
    "RESERVED_NAMES",
    "RESET_ANSWER",
    "TRANSITIONS",
    "Account",
    "AccountKind",
    "AccountQuery",
    "AccountStatus",
    "Action",
    "ApplyPendingChange",
    "Archive",
    "Branding",
    "BrandingMode",
    "Cancel",
    "ChangeBillingProfile",
    "ChangeBranding",
    "ChangeCustomDomain",
    "ChangeNotificationEmail",
    "ChangePlan",
    "CnameRecord",
    "DataResidency",
    "Disable",
    "Downgrade",
    "DunningExhausted",
    "Enable",
    "EndTrial",
    "Filter",
    "FilterOp",
    "IssuedCredentials",
    "LifecyclePolicy",
    "LockoutPolicy",
    "LoginOutcome",
    "LoginResult",
    "LoginState",
    "Move",
    "NameCheck",
    "NewAccount",
    "OverviewColumn",
    "OverviewRow",
    "Page",
    "PasswordCheck",
    "PasswordHash",
    "PendingChange",
    "PlanFilter",
    "Provisioned",
    "ProvisioningFailed",
    "Renew",
    "ResetDelivery",
    "ResetPolicy",
    "ResetRequest",
    "ResetTicket",
    "SavedView",
    "ScryptPolicy",
    "Snapshot",
    "SortKey",
    "SsoClaims",
    "SsoPolicy",
    "StatusFilter",
    "TemplateShareRequest",
    "Transition",
    "Upgrade",
    "WithdrawPendingChange",
    "allowed_actions",
    "apply",
    "attempt_login",
    "can_single_sign_on",
    "check_account_name",
    "cname_record",
    "generate_password",
    "hash_password",
    "is_cancelled_and_expired",
    "issue_credentials",
    "issue_reset",
    "issue_sso_ticket",
    "lifecycle_diagram",
    "may_check",
    "open_account",
    "open_view",
    "operators_for",
    "overview_rows",
    "password_version",
    "primary_action",
    "record_period_billed",
    "redeem_reset",
    "request_password_reset",
    "request_template_share",
    "run_query",
    "start_term",
    "status_label",
    "take_snapshot",
    "term_boundary",
    "validate_new_account",
    "verify_password",
    "verify_sso_ticket",
    "verify_unknown",
]
__all__ += transfer.__all__
__all__ += events.__all__
