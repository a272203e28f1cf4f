"""The requests and answers of the agency API's calls, as attrs classes (rule API1).

Each call of the vendor's reseller API has a request class (its flat parameters) and an
answer class (what a success returns). Every answer carries ``result_code`` (1 for a
success, 0 for a failure) and ``result_message``; a failure is a :class:`Failure` with a
stable ``error_code`` and, for bad input, every bad field in ``problems``. The JSON
Schema of :func:`resell_core.agency_api.schema` is generated from these classes, and the
library's cattrs converter structures requests into them.

A field's ``metadata["doc"]`` describes it; ``metadata["schema"]`` adds JSON Schema
bounds (pattern, length, range) that the API enforces before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

import attrs

from resell_core.agency_api.plans import PLAN_ID_PATTERN
from resell_core.lifecycle.account_query import ALL_PLANS

__all__ = [
    "CALLS",
    "PAGE_SIZE",
    "AccountAdd",
    "AccountAdded",
    "AccountCancel",
    "AccountCancelled",
    "AccountEdit",
    "AccountEditPreview",
    "AccountEditPreviewed",
    "AccountEdited",
    "AccountList",
    "AccountListed",
    "AccountNameCheck",
    "AccountNameChecked",
    "AccountPlans",
    "AccountStatus",
    "AccountStatusSet",
    "AccountStatusShown",
    "Answer",
    "Call",
    "CreditsApplied",
    "CreditsApply",
    "EmailTestCreditsApply",
    "Failure",
    "ListedAccount",
    "PlanOffer",
    "PlansOffered",
    "PreviewedInvoice",
    "PreviewedLine",
    "Problem",
    "SingleSignOn",
    "SingleSignOnIssued",
]

PAGE_SIZE = 20
"""How many accounts a page of ``account_list`` holds (as the vendor's API)."""

_TEXT = {"maxLength": 1000}
_NAME = {"minLength": 1, "maxLength": 253}
_DECIMAL = {"pattern": r"^[0-9]{1,12}(\.[0-9]{1,6})?$"}


def _doc(text: str, **schema: Any) -> Mapping[str, Any]:
    return {"doc": text, "schema": schema}


# -- envelopes -----------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class Answer:
    """What every call returns: its result code and a message for people."""

    result_code: int = attrs.field(default=1, metadata=_doc("1 for a success, 0 for a failure"))
    result_message: str = attrs.field(metadata=_doc("What happened, in a sentence"))


@attrs.frozen
class Problem:
    """One bad field of a request: where, what is wrong, what would be accepted."""

    field: str = attrs.field(metadata=_doc("The request parameter ('$' for the whole request)"))
    message: str = attrs.field(metadata=_doc("What is wrong with it"))
    allowed: tuple[str, ...] = attrs.field(
        default=(), metadata=_doc("The values that would be accepted, when they can be listed")
    )


@attrs.frozen(kw_only=True)
class Failure(Answer):
    """A call that failed: nothing was changed."""

    result_code: int = attrs.field(default=0, metadata=_doc("Always 0 for a failure"))
    error_code: str = attrs.field(
        metadata=_doc("A stable code: the library error's code, or unknown_action, invalid_request")
    )
    problems: tuple[Problem, ...] = attrs.field(
        default=(), metadata=_doc("Every bad field at once, for invalid_request and invalid_input")
    )


# -- account_add ---------------------------------------------------------------------------
@attrs.frozen
class AccountAdd:
    """``account_add``: add a resold account; its login is returned once."""

    account: str = attrs.field(
        metadata=_doc("The account name: the site address the client logs in at", **_NAME)
    )
    plan: str = attrs.field(metadata=_doc("The plan id", pattern=PLAN_ID_PATTERN, maxLength=200))
    name: str = attrs.field(metadata=_doc("The client's name", **_TEXT))
    notification: str | None = attrs.field(
        default=None,
        metadata=_doc(
            "The agency's notification email for the account (default: the agency's email)",
            **_TEXT,
        ),
    )
    email: str | None = attrs.field(
        default=None,
        metadata=_doc("The client's email: checked, never sent billing notices", **_TEXT),
    )
    cname: str | None = attrs.field(
        default=None, metadata=_doc("A custom domain for the account URL (CNAME)", **_TEXT)
    )
    language: str = attrs.field(
        default="en", metadata=_doc("The UI language, a locale such as en or pt-br", **_TEXT)
    )
    timezone: str = attrs.field(
        default="UTC", metadata=_doc("The IANA time zone, such as Europe/Berlin", **_TEXT)
    )
    snapshot: str | None = attrs.field(
        default=None, metadata=_doc("A snapshot id to create the account from", **_TEXT)
    )
    country: str | None = attrs.field(
        default=None,
        metadata=_doc("ISO 3166 country code for data residency (default: the API's)", **_TEXT),
    )
    billing_profile: str | None = attrs.field(
        default=None,
        metadata=_doc("The billing profile id paying a paid plan (default: the only one)", **_TEXT),
    )
    migration: bool = attrs.field(
        default=False,
        metadata=_doc(
            "True for an account moved in from elsewhere: its first cycles carry the "
            "catalog's migration discount (refused when the catalog sets none)"
        ),
    )


@attrs.frozen(kw_only=True)
class AccountAdded(Answer):
    """The new account and its login, shown once: the password is never shown again."""

    account: str = attrs.field(metadata=_doc("The normalised account name"))
    account_id: str = attrs.field(metadata=_doc("The library's id of the account"))
    status: str = attrs.field(metadata=_doc("'creating' until provisioning reports ready"))
    login_url: str = attrs.field(metadata=_doc("Where the account's users log in"))
    username: str = attrs.field(metadata=_doc("The first user's name"))
    password: str | None = attrs.field(
        metadata=_doc("The first user's password, once (null on an idempotent replay)")
    )


# -- account_edit --------------------------------------------------------------------------
@attrs.frozen
class AccountEdit:
    """``account_edit``: change the plan (upgrade, downgrade), custom domain or notification."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))
    cname: str | None = attrs.field(
        default=None, metadata=_doc("A new custom domain; '' drops it", **_TEXT)
    )
    notification: str | None = attrs.field(
        default=None, metadata=_doc("A new notification email", **_TEXT)
    )
    plan: str | None = attrs.field(
        default=None, metadata=_doc("A new plan id", pattern=PLAN_ID_PATTERN, maxLength=200)
    )
    billing_profile: str | None = attrs.field(
        default=None, metadata=_doc("A new billing profile id", **_TEXT)
    )


@attrs.frozen(kw_only=True)
class AccountEdited(Answer):
    """The account after the edit."""

    account: str = attrs.field(metadata=_doc("The account name"))
    status: str = attrs.field(metadata=_doc("The account's status"))
    plan: str = attrs.field(metadata=_doc("The plan id now in force"))
    pending_plan: str | None = attrs.field(
        metadata=_doc("A downgrade scheduled for the end of the term, if any")
    )
    invoice_id: str | None = attrs.field(
        metadata=_doc("The proration invoice an immediate upgrade opened, if any")
    )


# -- account_edit_preview ------------------------------------------------------------------
_DAY = {"pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


@attrs.frozen
class AccountEditPreview:
    """``account_edit_preview``: what ``account_edit`` would charge, nothing changed (P1)."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))
    plan: str | None = attrs.field(
        default=None, metadata=_doc("A new plan id", pattern=PLAN_ID_PATTERN, maxLength=200)
    )
    billing_profile: str | None = attrs.field(
        default=None, metadata=_doc("A new billing profile id", **_TEXT)
    )
    on: str | None = attrs.field(
        default=None,
        metadata=_doc(
            "The day of the edit (ISO date): today by default, or a later day of the "
            "period billed today",
            **_DAY,
        ),
    )


@attrs.frozen(kw_only=True)
class PreviewedLine:
    """One line of the invoice the edit would issue."""

    kind: str = attrs.field(
        metadata=_doc("proration_credit, proration_charge, or credits_purchase (carried)")
    )
    description: str = attrs.field(metadata=_doc("What the line credits or charges"))
    amount: str = attrs.field(metadata=_doc("Its amount, a decimal string (credits negative)"))


@attrs.frozen(kw_only=True)
class PreviewedInvoice:
    """The invoice the edit would issue now, and how it would be paid."""

    number: int = attrs.field(metadata=_doc("The number it would take (the agency's next)"))
    issued_on: str = attrs.field(metadata=_doc("The day it would be issued (ISO date)"))
    currency: str = attrs.field(metadata=_doc("The ISO currency of the amounts"))
    lines: tuple[PreviewedLine, ...] = attrs.field(metadata=_doc("Its lines, in order"))
    total: str = attrs.field(metadata=_doc("The sum of the lines, a decimal string"))
    earmarked: str = attrs.field(
        metadata=_doc("Paid from the account's earmarked prepaid credit, a decimal string")
    )
    pool: str = attrs.field(
        metadata=_doc("Paid from the billing profile's prepaid pool, a decimal string")
    )
    card: str = attrs.field(metadata=_doc("Charged to the card, a decimal string"))
    carried: str = attrs.field(
        metadata=_doc("Credit left over for the account's prepaid credit, a decimal string")
    )


@attrs.frozen(kw_only=True)
class AccountEditPreviewed(Answer):
    """What the edit would do: nothing was charged, stored or audited."""

    account: str = attrs.field(metadata=_doc("The account name"))
    on: str = attrs.field(metadata=_doc("The day previewed (ISO date)"))
    plan: str = attrs.field(metadata=_doc("The plan id in force right after the edit"))
    change: str | None = attrs.field(
        metadata=_doc("upgrade, downgrade, frequency or lateral; null for a new term or none")
    )
    timing: str | None = attrs.field(
        metadata=_doc("immediate, end_of_term or new_term; null for a new term or none")
    )
    pending_plan: str | None = attrs.field(
        metadata=_doc("The plan scheduled for the end of the term after the edit, if any")
    )
    pending_on: str | None = attrs.field(
        metadata=_doc("The day the scheduled plan takes effect (ISO date), if any")
    )
    invoice: PreviewedInvoice | None = attrs.field(
        metadata=_doc("The invoice the edit would issue now; null when it issues none")
    )
    explanation: str = attrs.field(metadata=_doc("Each step of the arithmetic, as text"))


# -- account_cancel ------------------------------------------------------------------------
@attrs.frozen
class AccountCancel:
    """``account_cancel``: cancel the account; it works until its paid-through date."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))
    reason: str = attrs.field(default="", metadata=_doc("Why it is cancelled", **_TEXT))
    retaindata: int = attrs.field(
        default=1,
        metadata=_doc(
            "1 or 0, accepted for compatibility: the data is always kept",
            minimum=0,
            maximum=1,
        ),
    )


@attrs.frozen(kw_only=True)
class AccountCancelled(Answer):
    """The cancelled account."""

    account: str = attrs.field(metadata=_doc("The account name"))
    status: str = attrs.field(metadata=_doc("'cancelled'"))
    works_until: str | None = attrs.field(
        metadata=_doc("The exclusive end of the paid term (ISO date), or null")
    )


# -- account_list --------------------------------------------------------------------------
@attrs.frozen
class AccountList:
    """``account_list``: a page of 20 of the agency's accounts, by name."""

    search: str | None = attrs.field(
        default=None,
        metadata=_doc("Text looked for in name, domain, client name, notification", **_TEXT),
    )
    planfilter: str = attrs.field(
        default=ALL_PLANS, metadata=_doc("A plan tier of the catalog, or 'all'", maxLength=200)
    )
    page: int = attrs.field(
        default=1, metadata=_doc("The page, from 1", minimum=1, maximum=100_000)
    )


@attrs.frozen(kw_only=True)
class ListedAccount:
    """One account of a listing."""

    account: str = attrs.field(metadata=_doc("The account name"))
    account_id: str = attrs.field(metadata=_doc("The library's id of the account"))
    name: str = attrs.field(metadata=_doc("The client's name"))
    notification: str = attrs.field(metadata=_doc("The notification email"))
    cname: str | None = attrs.field(metadata=_doc("The custom domain, if any"))
    plan: str = attrs.field(metadata=_doc("The plan id"))
    status: str = attrs.field(metadata=_doc("The account's status"))
    created_on: str = attrs.field(metadata=_doc("The day it was created (ISO date)"))
    expires_on: str | None = attrs.field(
        metadata=_doc("The end of its paid term or trial (ISO date), if any")
    )


@attrs.frozen(kw_only=True)
class AccountListed(Answer):
    """A page of accounts."""

    page: int = attrs.field(metadata=_doc("This page's number"))
    pages: int = attrs.field(
        metadata=_doc("How many pages there are (an estimate when total_exact is false)")
    )
    total: int = attrs.field(
        metadata=_doc("How many accounts match: exact up to 1,000, else an estimate over it")
    )
    accounts: tuple[ListedAccount, ...] = attrs.field(metadata=_doc("This page's accounts"))
    total_exact: bool = attrs.field(
        default=True,
        metadata=_doc("False when more than 1,000 accounts match and total is an estimate"),
    )


# -- account_name_check ---------------------------------------------------------------------
@attrs.frozen
class AccountNameCheck:
    """``account_name_check``: may this name be a new account's site address?"""

    account: str = attrs.field(metadata=_doc("The wished account name", **_TEXT))


@attrs.frozen(kw_only=True)
class AccountNameChecked(Answer):
    """Whether the name is free (a taken or badly formed name is a success with problems)."""

    account: str = attrs.field(metadata=_doc("The name, normalised"))
    available: bool = attrs.field(metadata=_doc("Whether it is well formed and free"))
    problems: tuple[str, ...] = attrs.field(metadata=_doc("Why it cannot be used"))


# -- account_plans -------------------------------------------------------------------------
@attrs.frozen
class AccountPlans:
    """``account_plans``: the plans on offer (to one account, when it is named)."""

    account: str | None = attrs.field(
        default=None, metadata=_doc("An account name: only the plans it may change to", **_TEXT)
    )


@attrs.frozen(kw_only=True)
class PlanOffer:
    """One plan on offer, priced for the calling agency."""

    plan: str = attrs.field(metadata=_doc("The plan id"))
    version: str = attrs.field(metadata=_doc("The pricing version"))
    product: str = attrs.field(metadata=_doc("The product"))
    tier: str = attrs.field(metadata=_doc("The tier"))
    contacts: int | None = attrs.field(metadata=_doc("The contact limit (paid plans)"))
    frequency: str | None = attrs.field(metadata=_doc("monthly or annual (paid plans)"))
    price: str | None = attrs.field(
        metadata=_doc("The agency's net price a cycle, a decimal string (paid plans)")
    )
    currency: str = attrs.field(metadata=_doc("The ISO currency of the price"))


@attrs.frozen(kw_only=True)
class PlansOffered(Answer):
    """The plans on offer."""

    current: str | None = attrs.field(metadata=_doc("The named account's plan id, if any"))
    plans: tuple[PlanOffer, ...] = attrs.field(metadata=_doc("The plans on offer"))


# -- account_status ------------------------------------------------------------------------
@attrs.frozen
class AccountStatus:
    """``account_status``: where the account stands."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))


@attrs.frozen(kw_only=True)
class AccountStatusShown(Answer):
    """The account's status and, when disabled, the message its client sees."""

    account: str = attrs.field(metadata=_doc("The account name"))
    status: str = attrs.field(
        metadata=_doc("creating, active, expired, cancelled, archived or disabled")
    )
    message: str | None = attrs.field(metadata=_doc("What a disabled account's client sees"))
    expires_on: str | None = attrs.field(
        metadata=_doc("The end of its paid term or trial (ISO date), if any")
    )


# -- account_status_set --------------------------------------------------------------------
@attrs.frozen
class AccountStatusSet:
    """``account_status_set``: disable the client's access (inactive) or give it back."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))
    status: Literal["active", "inactive"] = attrs.field(
        metadata=_doc("active gives access back; inactive disables the account")
    )
    message: str = attrs.field(
        default="", metadata=_doc("What the disabled account's client sees", **_TEXT)
    )


# -- credits -------------------------------------------------------------------------------
@attrs.frozen
class CreditsApply:
    """``account_credits_apply``: move bought credit from the agency to an account (C1, C3)."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))
    credits: Decimal = attrs.field(
        metadata=_doc(
            "How much: money for prepaid credit (a decimal string), whole units for sms",
            **_DECIMAL,
        )
    )
    kind: Literal["prepaid", "sms"] = attrs.field(
        default="prepaid", metadata=_doc("prepaid credit (money) or SMS credits")
    )


@attrs.frozen
class EmailTestCreditsApply:
    """``account_emailtest_credits_apply``: give an account inbox-preview credits (C6)."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))
    credits: int = attrs.field(
        metadata=_doc("How many inbox-preview credits", minimum=1, maximum=1_000_000_000)
    )


@attrs.frozen(kw_only=True)
class CreditsApplied(Answer):
    """The credit moved to the account."""

    account: str = attrs.field(metadata=_doc("The account name"))
    kind: str = attrs.field(metadata=_doc("prepaid, sms or inbox_preview"))
    credits: str = attrs.field(metadata=_doc("How much was moved, a decimal string"))
    balance: str = attrs.field(
        metadata=_doc("What the account holds of that kind now, a decimal string")
    )


# -- singlesignon --------------------------------------------------------------------------
@attrs.frozen
class SingleSignOn:
    """``singlesignon``: a short-lived, single-use ticket that logs into the account."""

    account: str = attrs.field(metadata=_doc("The account name", **_NAME))
    user: str = attrs.field(default="admin", metadata=_doc("The account's user", **_TEXT))
    duration: int | None = attrs.field(
        default=None,
        metadata=_doc("Seconds the ticket is valid (the policy's default when null)", minimum=1),
    )


@attrs.frozen(kw_only=True)
class SingleSignOnIssued(Answer):
    """The ticket."""

    account: str = attrs.field(metadata=_doc("The account name"))
    user: str = attrs.field(metadata=_doc("The user it logs in as"))
    token: str = attrs.field(metadata=_doc("The signed ticket, usable once"))


# -- the table of calls --------------------------------------------------------------------
@attrs.frozen
class Call:
    """One call of the API: its name, request and answer classes, and what it does."""

    name: str
    request: type
    answer: type
    summary: str


CALLS: Mapping[str, Call] = {
    call.name: call
    for call in (
        Call("account_add", AccountAdd, AccountAdded, "Add a resold account (login once)."),
        Call("account_edit", AccountEdit, AccountEdited, "Change plan, domain or notification."),
        Call(
            "account_edit_preview",
            AccountEditPreview,
            AccountEditPreviewed,
            "What account_edit would charge, nothing changed.",
        ),
        Call("account_cancel", AccountCancel, AccountCancelled, "Cancel an account."),
        Call("account_list", AccountList, AccountListed, "List the accounts, 20 a page."),
        Call("account_name_check", AccountNameCheck, AccountNameChecked, "Check a new name."),
        Call("account_plans", AccountPlans, PlansOffered, "The plans on offer."),
        Call("account_status", AccountStatus, AccountStatusShown, "An account's status."),
        Call(
            "account_status_set",
            AccountStatusSet,
            AccountStatusShown,
            "Disable an account (inactive) or enable it (active).",
        ),
        Call("account_credits_apply", CreditsApply, CreditsApplied, "Assign credit."),
        Call(
            "account_emailtest_credits_apply",
            EmailTestCreditsApply,
            CreditsApplied,
            "Assign inbox-preview credits.",
        ),
        Call("singlesignon", SingleSignOn, SingleSignOnIssued, "Sign a single sign-on ticket."),
    )
}
"""Every call of the API by name, in the vendor's names."""
