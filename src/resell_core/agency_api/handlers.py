"""The agency API's handlers: the vendor's reseller calls over :class:`PartnerPortal` (API1).

Every handler takes the calling agency's id and the call's parameters as plain data and
returns plain JSON-able data; it never raises. A request is checked against its JSON
Schema (every bad field at once, nothing coerced), structured with the library's cattrs
converter, and run as one portal command, so a failed call changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import attrs

from resell_core.agency_api import calls
from resell_core.agency_api.calls import CALLS, PAGE_SIZE, Answer, Failure, Problem
from resell_core.agency_api.plans import parse_plan_id, plan_id
from resell_core.agency_api.schema import check, request_schema
from resell_core.billing.change_preview import PreviewInvoice
from resell_core.billing.ledger import CreditKind
from resell_core.errors import FieldProblem, InvalidInput, NotFound, ResellError, quoted
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.account_query import (
    MAX_LIMIT,
    AccountQuery,
    OverviewColumn,
    OverviewRow,
    expires_on,
)
from resell_core.lifecycle.names import email_problem
from resell_core.lifecycle.text import text_problem
from resell_core.lifecycle.validation import NewAccount, validate_new_account
from resell_core.money import Money
from resell_core.periods import Frequency
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.price_book import PlanKind
from resell_core.pricing.selection import PlanSelection
from resell_core.serialization import structure, unstructure
from resell_core.service.portal import PartnerPortal

__all__ = ["INTERNAL_ERROR", "INVALID_REQUEST", "UNKNOWN_ACTION", "AgencyApi"]

UNKNOWN_ACTION = "unknown_action"
"""The error code of a call name the API does not have."""

INVALID_REQUEST = "invalid_request"
"""The error code of parameters of the wrong shape: not an object, unknown, missing or of
the wrong type (every one is listed in ``problems``)."""

_log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal_error"
"""The error code of a defect of the library or of the host's adapters (never bad input)."""

_LISTED = (
    OverviewColumn.NAME,
    OverviewColumn.CLIENT_NAME,
    OverviewColumn.NOTIFICATION_EMAIL,
    OverviewColumn.CUSTOM_DOMAIN,
    OverviewColumn.STATUS,
    OverviewColumn.VERSION,
    OverviewColumn.PRODUCT,
    OverviewColumn.PLAN,
    OverviewColumn.CONTACTS,
    OverviewColumn.FREQUENCY,
    OverviewColumn.CREATED_ON,
    OverviewColumn.EXPIRES_ON,
)
# Library field names -> the API's parameter names, to report a problem where it was sent.
_PARAMETERS = {
    "name": "account",
    "client_name": "name",
    "notification_email": "notification",
    "custom_domain": "cname",
    "billing_profile_id": "billing_profile",
    "snapshot_id": "snapshot",
    "email": "notification",
    "valid_for": "duration",
}


class _Checked(InvalidInput):
    """Problems the API found itself, already named after the call's parameters."""


class _BadRequest(_Checked):
    """Parameters of the wrong shape (reported with the code ``invalid_request``)."""

    code = INVALID_REQUEST


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str, problems: list[FieldProblem]) -> date | None:
    """Read an ISO date the schema let through (its shape only), or report it."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(
            FieldProblem("on", f"{quoted(text)} is no day of the calendar (YYYY-MM-DD)")
        )
        return None


def _amount(money: Money) -> str:
    return str(money.rounded().amount)


def _previewed(invoice: PreviewInvoice) -> calls.PreviewedInvoice:
    payment = invoice.payment
    return calls.PreviewedInvoice(
        number=invoice.number,
        issued_on=invoice.issued_on.isoformat(),
        currency=invoice.total.currency,
        lines=tuple(
            calls.PreviewedLine(
                kind=line.kind.value, description=line.description, amount=_amount(line.amount)
            )
            for line in invoice.lines
        ),
        total=_amount(invoice.total),
        earmarked=_amount(payment.earmarked),
        pool=_amount(payment.pool),
        card=_amount(payment.card),
        carried=_amount(invoice.carried),
    )


def _parameter(problem: FieldProblem, plan_problem: bool) -> FieldProblem:
    field = problem.field
    if plan_problem or field.startswith("plan."):
        inner = field.removeprefix("plan.")
        return FieldProblem("plan", f"{inner}: {problem.message}", problem.allowed)
    return FieldProblem(_PARAMETERS.get(field, field), problem.message, problem.allowed)


def _in_parameters(error: InvalidInput) -> tuple[Problem, ...]:
    found = error.problems
    if not isinstance(error, _Checked):
        found = tuple(_parameter(p, error.what == "plan selection") for p in found)
    return tuple(Problem(p.field, p.message, p.allowed) for p in found)


def _problems_of(run: Callable[[], object]) -> list[FieldProblem]:
    """Run a validation and return its problems, in the API's parameter names."""
    try:
        run()
    except InvalidInput as error:
        plan = error.what == "plan selection"
        return [_parameter(p, plan) for p in error.problems]
    return []


class AgencyApi:
    """The vendor's reseller calls, each a method taking and returning plain data (API1).

    Each method takes the calling agency's id (the host authenticates the caller and
    decides which agency it is) and the call's parameters, a JSON-able dict, and returns
    a JSON-able dict: ``result_code`` 1 and the call's fields on success; ``result_code``
    0, a stable ``error_code`` and ``result_message`` (and ``problems`` for bad input) on
    failure. A failed call changes nothing. :meth:`call` routes by call name.

    Args:
        portal: The portal the calls run on.
        default_country: The country (data residency, A6) of an account added without
            one: the vendor's ``account_add`` has no country parameter.
        actor: Who the audit log says asked.

    Example:
        >>> import resell_core as rc
        >>> portal = rc.PartnerPortal.embedded()
        >>> acme = portal.register_agency("Acme", "ops@acme.test", "USD")
        >>> api = AgencyApi(portal)
        >>> api.call("account_name_check", acme.id, {"account": "North-Bakery"})["available"]
        True
    """

    def __init__(
        self, portal: PartnerPortal, *, default_country: str = "US", actor: str = "api"
    ) -> None:
        self._portal = portal
        self._default_country = default_country
        self._actor = actor

    @property
    def portal(self) -> PartnerPortal:
        """The portal the calls run on."""
        return self._portal

    # -- the dispatcher --------------------------------------------------------------------
    def call(self, action: object, agency_id: object, params: object) -> dict[str, Any]:
        """Run the call named ``action`` for the agency (for hosts that route by name).

        Returns:
            The call's answer, or a failure: ``unknown_action`` when no call has that name.
        """
        if not isinstance(action, str) or action not in CALLS:
            return _plain(
                Failure(
                    error_code=UNKNOWN_ACTION,
                    result_message="there is no such call: use one of " + ", ".join(CALLS),
                )
            )
        handler: Callable[[object, object], dict[str, Any]] = getattr(self, action)
        return handler(agency_id, params)

    def _run(
        self,
        name: str,
        agency_id: object,
        params: object,
        body: Callable[[str, Any], Answer],
    ) -> dict[str, Any]:
        try:
            problems = check(params, request_schema(name))
            if not isinstance(agency_id, str):
                problems.insert(0, FieldProblem("agency_id", "the calling agency is an id (text)"))
            elif problem := text_problem(agency_id):
                problems.insert(0, FieldProblem("agency_id", problem))
            if problems:
                raise _BadRequest(f"the {name} request", problems)
            request: object = structure(params, CALLS[name].request, what=f"the {name} request")
            self._portal.agency(cast(str, agency_id))
            answer = body(cast(str, agency_id), request)
        except InvalidInput as error:
            code = INVALID_REQUEST if isinstance(error, _BadRequest) else error.code
            answer = Failure(
                error_code=code, result_message=error.message, problems=_in_parameters(error)
            )
        except ResellError as error:
            _log.debug("agency API call %s refused: %s", name, error)
            answer = Failure(error_code=error.code, result_message=error.message)
        except Exception:  # a defect must not reach the caller as a traceback
            _log.exception("agency API call %s of %r failed unexpectedly", name, agency_id)
            answer = Failure(
                error_code=INTERNAL_ERROR,
                result_message="the call failed unexpectedly and changed nothing: "
                "report it to the API's operator",
            )
        return _plain(answer)

    # -- finding accounts by name ----------------------------------------------------------
    def _account(self, agency_id: str, name: str) -> Account:
        if problem := text_problem(name):
            raise _Checked.one("the account name", "account", problem)
        key = name.strip().lower()
        key = key.removesuffix("." + self._portal.context.hosting_domain)
        query = AccountQuery(filters=[("name", "eq", key)], columns=("name",), limit=1)
        page = self._portal.accounts(agency_id, query)
        if not page.rows:
            raise NotFound("account", name)
        return self._portal.account(agency_id, page.rows[0].account_id)

    def _plan(self, text: str, problems: list[FieldProblem]) -> PlanSelection | None:
        parsed = parse_plan_id(text)
        if isinstance(parsed, FieldProblem):
            problems.append(parsed)
            return None
        problems += _problems_of(lambda: self._portal.catalog.validate(parsed))
        return parsed

    # -- account_add -----------------------------------------------------------------------
    def account_add(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_add``: add a resold account; the answer holds its password, once."""
        return self._run("account_add", agency_id, params, self._account_add)

    def _account_add(self, agency_id: str, req: calls.AccountAdd) -> Answer:
        catalog = self._portal.catalog
        problems: list[FieldProblem] = []
        plan = self._plan(req.plan, problems)
        plan_problems = bool(problems)
        # Billing and expiry notices go to the agency, never to the client (S1, A5):
        # without a notification email of its own choosing, the agency's address is used,
        # never ``email`` (the client's).
        notification = req.notification
        if notification is None:
            notification = self._portal.agency(agency_id).email
        if req.email is not None and (problem := email_problem(req.email)):
            problems.append(FieldProblem("email", problem))
        # ``migration: true`` carries the catalog's own terms (A10), where it sets some.
        migration = req.migration and bool(catalog.migration_discount.rate)
        if req.migration and not migration:
            problems.append(
                FieldProblem("migration", "the catalog sets no migration discount: leave it out")
            )
        profile = req.billing_profile
        if profile is None and plan is not None and plan.is_paid:
            profiles = self._portal.billing_profiles(agency_id)
            if len(profiles) == 1:
                profile = profiles[0].id
        new = NewAccount(
            name=req.account,
            client_name=req.name,
            notification_email=notification,
            country=req.country or self._default_country,
            language=req.language,
            timezone=req.timezone,
            # A bad plan is reported once, from the catalog; the rest is still checked.
            plan=plan if plan is not None and not plan_problems else _placeholder(catalog),
            custom_domain=req.cname,
            billing_profile_id=profile,
            snapshot_id=req.snapshot,
            migration=catalog.migration_discount if migration else None,
        )
        hosting = self._portal.context.hosting_domain
        problems += _problems_of(
            lambda: validate_new_account(new, hosting_domain=hosting, catalog=catalog)
        )
        if problems:
            raise _Checked("the account_add request", problems)
        created = self._portal.add_account(agency_id, new, actor=self._actor)
        return calls.AccountAdded(
            result_message=f"{created.account.name} is being created",
            account=created.account.name,
            account_id=created.account.id,
            status=created.account.status.value,
            login_url=created.login_url,
            username=created.username,
            password=created.password,
        )

    # -- account_edit ----------------------------------------------------------------------
    def account_edit(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_edit``: upgrade or downgrade the plan, change domain or notification."""
        return self._run("account_edit", agency_id, params, self._account_edit)

    def _account_edit(self, agency_id: str, req: calls.AccountEdit) -> Answer:
        problems: list[FieldProblem] = []
        plan = None if req.plan is None else self._plan(req.plan, problems)
        changes = (req.plan, req.cname, req.notification, req.billing_profile)
        if all(change is None for change in changes):
            problems.append(
                FieldProblem("$", "give at least one of plan, cname, notification, billing_profile")
            )
        if req.notification is not None and (problem := email_problem(req.notification)):
            problems.append(FieldProblem("notification", problem))
        if problems:
            raise _Checked("the account_edit request", problems)
        account = self._account(agency_id, req.account)
        edited = self._portal.edit_account(
            agency_id,
            account.id,
            plan=plan,
            notification_email=req.notification,
            billing_profile_id=req.billing_profile,
            custom_domain=req.cname,
            actor=self._actor,
        )
        after = edited.account
        pending = after.pending_change
        return calls.AccountEdited(
            result_message=f"{after.name} was changed",
            account=after.name,
            status=after.status.value,
            plan=plan_id(after.plan),
            pending_plan=None if pending is None else plan_id(pending.plan),
            invoice_id=None if edited.invoice is None else edited.invoice.id,
        )

    # -- account_edit_preview --------------------------------------------------------------
    def account_edit_preview(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_edit_preview``: what ``account_edit`` would charge; nothing changes."""
        return self._run("account_edit_preview", agency_id, params, self._account_edit_preview)

    def _account_edit_preview(self, agency_id: str, req: calls.AccountEditPreview) -> Answer:
        problems: list[FieldProblem] = []
        plan = None if req.plan is None else self._plan(req.plan, problems)
        if req.plan is None and req.billing_profile is None:
            problems.append(FieldProblem("$", "give a plan or a billing_profile to preview"))
        day = None if req.on is None else _day(req.on, problems)
        if problems:
            raise _Checked("the account_edit_preview request", problems)
        account = self._account(agency_id, req.account)
        preview = self._portal.preview_change(
            agency_id, account.id, plan=plan, billing_profile_id=req.billing_profile, on=day
        )
        pending, rule = preview.pending, preview.rule
        return calls.AccountEditPreviewed(
            result_message=f"{preview.account_name}: preview of the edit, nothing was charged",
            account=preview.account_name,
            on=preview.on.isoformat(),
            plan=plan_id(preview.plan),
            change=None if rule is None else rule.kind.value,
            timing=None if rule is None else rule.timing.value,
            pending_plan=None if pending is None else plan_id(pending.plan),
            pending_on=None if pending is None else pending.effective_on.isoformat(),
            invoice=None if preview.invoice is None else _previewed(preview.invoice),
            explanation=preview.explain(),
        )

    # -- account_cancel --------------------------------------------------------------------
    def account_cancel(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_cancel``: cancel the account; it works until its paid-through date."""
        return self._run("account_cancel", agency_id, params, self._account_cancel)

    def _account_cancel(self, agency_id: str, req: calls.AccountCancel) -> Answer:
        account = self._account(agency_id, req.account)
        cancelled = self._portal.cancel_account(
            agency_id, account.id, req.reason, actor=self._actor
        )
        return calls.AccountCancelled(
            result_message=f"{cancelled.name} was cancelled",
            account=cancelled.name,
            status=cancelled.status.value,
            works_until=_iso(cancelled.paid_through),
        )

    # -- account_list ----------------------------------------------------------------------
    def account_list(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_list``: a page of 20 accounts, by name, filtered by plan and search."""
        return self._run("account_list", agency_id, params, self._account_list)

    def _account_list(self, agency_id: str, req: calls.AccountList) -> Answer:
        def query(limit: int, cursor: str | None) -> AccountQuery:
            return AccountQuery(
                plan=req.planfilter,
                search=req.search,
                columns=_LISTED,
                limit=limit,
                cursor=cursor,
            )

        # Pages are numbered, the overview pages by cursor: skip ahead in large steps.
        skip, cursor = (req.page - 1) * PAGE_SIZE, None
        rows: tuple[OverviewRow, ...] = ()
        total, exact = None, True
        exhausted = False
        while skip > 0 and not exhausted:
            step = min(skip, MAX_LIMIT)
            seen = self._portal.accounts(agency_id, query(step, cursor))
            total, exact, cursor, skip = seen.total, seen.total_exact, seen.next_cursor, skip - step
            exhausted = cursor is None
        if not exhausted:
            page = self._portal.accounts(agency_id, query(PAGE_SIZE, cursor))
            rows, total, exact = page.rows, page.total, page.total_exact
        count = total or 0
        said = f"{count}" if exact else f"about {count:,}"
        return calls.AccountListed(
            result_message=f"{len(rows)} of {said} account(s)",
            page=req.page,
            pages=-(-count // PAGE_SIZE),
            total=count,
            accounts=tuple(_listed(row) for row in rows),
            total_exact=exact,
        )

    # -- account_name_check ----------------------------------------------------------------
    def account_name_check(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_name_check``: whether a name is well formed and free on the platform."""
        return self._run("account_name_check", agency_id, params, self._account_name_check)

    def _account_name_check(self, _agency_id: str, req: calls.AccountNameCheck) -> Answer:
        checked = self._portal.check_account_name(req.account)
        return calls.AccountNameChecked(
            result_message=f"{checked.name} is available"
            if checked.ok
            else f"{checked.name} cannot be used",
            account=checked.name,
            available=checked.ok,
            problems=checked.problems,
        )

    # -- account_plans ---------------------------------------------------------------------
    def account_plans(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_plans``: the plans on offer, priced for the agency.

        With an account, only the plans it may change to: a sandbox none (R3), a trial the
        paid plans, a paid account the other paid plans.
        """
        return self._run("account_plans", agency_id, params, self._account_plans)

    def _account_plans(self, agency_id: str, req: calls.AccountPlans) -> Answer:
        account = None if req.account is None else self._account(agency_id, req.account)
        rate = self._portal.agency(agency_id).reseller_rate
        catalog = self._portal.catalog
        offers = []
        for selection in _selections(catalog.versions):
            if account is not None and not _may_change(catalog, account.plan, selection):
                continue
            price = None
            if selection.is_paid:
                price = str(catalog.cycle_price(selection, reseller_rate=rate).net.amount)
            offers.append(
                calls.PlanOffer(
                    plan=plan_id(selection),
                    version=selection.version,
                    product=selection.product,
                    tier=selection.tier,
                    contacts=selection.contacts,
                    frequency=None if selection.frequency is None else selection.frequency.value,
                    price=price,
                    currency=catalog.currency,
                )
            )
        return calls.PlansOffered(
            result_message=f"{len(offers)} plan(s) on offer",
            current=None if account is None else plan_id(account.plan),
            plans=tuple(offers),
        )

    # -- account_status, account_status_set ------------------------------------------------
    def account_status(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_status``: creating, active, expired, cancelled, archived or disabled."""
        return self._run("account_status", agency_id, params, self._account_status)

    def _account_status(self, agency_id: str, req: calls.AccountStatus) -> Answer:
        return _status(self._account(agency_id, req.account))

    def account_status_set(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_status_set``: ``inactive`` disables the account, showing ``message`` to
        its client; ``active`` gives it back."""
        return self._run("account_status_set", agency_id, params, self._account_status_set)

    def _account_status_set(self, agency_id: str, req: calls.AccountStatusSet) -> Answer:
        account = self._account(agency_id, req.account)
        if req.status == "inactive":
            changed = self._portal.disable_account(
                agency_id, account.id, req.message, actor=self._actor
            )
        else:
            changed = self._portal.enable_account(agency_id, account.id, actor=self._actor)
        return _status(changed)

    # -- credits (C1, C3, C5, C6) -----------------------------------------------------------
    def account_credits_apply(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_credits_apply``: assign bought prepaid credit (money, the default) or
        SMS credits (``kind: "sms"``, never to a starter account, C5) to the account."""
        return self._run("account_credits_apply", agency_id, params, self._credits_apply)

    def _credits_apply(self, agency_id: str, req: calls.CreditsApply) -> Answer:
        return self._assign(agency_id, req.account, CreditKind(req.kind), req.credits)

    def account_emailtest_credits_apply(self, agency_id: object, params: object) -> dict[str, Any]:
        """``account_emailtest_credits_apply``: assign N bought inbox-preview credits (C6)."""
        return self._run(
            "account_emailtest_credits_apply", agency_id, params, self._emailtest_credits_apply
        )

    def _emailtest_credits_apply(self, agency_id: str, req: calls.EmailTestCreditsApply) -> Answer:
        return self._assign(agency_id, req.account, CreditKind.INBOX_PREVIEW, Decimal(req.credits))

    def _assign(self, agency_id: str, name: str, kind: CreditKind, credits: Decimal) -> Answer:
        if credits <= 0:
            raise _Checked.one("the credits request", "credits", "give a positive amount")
        account = self._account(agency_id, name)
        movement = self._portal.assign_credits(
            agency_id, account.id, kind, credits, actor=self._actor
        )
        held = self._portal.balances(agency_id, account_id=account.id)
        balance = {
            CreditKind.PREPAID: held.prepaid.amount,
            CreditKind.SMS: held.sms,
            CreditKind.INBOX_PREVIEW: held.inbox_preview,
        }[kind]
        return calls.CreditsApplied(
            result_message=f"{movement.quantity} {kind.value} credit assigned to {account.name}",
            account=account.name,
            kind=kind.value,
            credits=str(movement.quantity),
            balance=str(balance),
        )

    # -- singlesignon ----------------------------------------------------------------------
    def singlesignon(self, agency_id: object, params: object) -> dict[str, Any]:
        """``singlesignon``: a signed, short-lived, single-use ticket into the account (R5)."""
        return self._run("singlesignon", agency_id, params, self._singlesignon)

    def _singlesignon(self, agency_id: str, req: calls.SingleSignOn) -> Answer:
        longest = self._portal.policies.sso.max_valid_for
        if req.duration is not None and req.duration > longest.total_seconds():
            raise _Checked.one(
                "the singlesignon request",
                "duration",
                f"give at most {int(longest.total_seconds())} seconds (the sign-on policy)",
            )
        account = self._account(agency_id, req.account)
        valid_for = None if req.duration is None else timedelta(seconds=req.duration)
        token = self._portal.login_as(
            agency_id, account.id, req.user, valid_for=valid_for, actor=self._actor
        )
        return calls.SingleSignOnIssued(
            result_message=f"a sign-on ticket into {account.name}",
            account=account.name,
            user=req.user,
            token=token,
        )


def _plain(answer: Answer) -> dict[str, Any]:
    return cast(dict[str, Any], unstructure(answer))


def _status(account: Account) -> calls.AccountStatusShown:
    disabled = account.status is AccountStatus.DISABLED
    return calls.AccountStatusShown(
        result_message=f"{account.name} is {account.status.value}",
        account=account.name,
        status=account.status.value,
        message=account.disabled_message if disabled else None,
        expires_on=_iso(expires_on(account)),
    )


def _listed(row: OverviewRow) -> calls.ListedAccount:
    values = row.values
    contacts, frequency = values[OverviewColumn.CONTACTS], values[OverviewColumn.FREQUENCY]
    selection = PlanSelection(
        str(values[OverviewColumn.VERSION]),
        str(values[OverviewColumn.PRODUCT]),
        str(values[OverviewColumn.PLAN]),
        contacts if isinstance(contacts, int) else None,
        str(frequency) if frequency is not None else None,
    )
    created, expires = values[OverviewColumn.CREATED_ON], values[OverviewColumn.EXPIRES_ON]
    domain = values[OverviewColumn.CUSTOM_DOMAIN]
    return calls.ListedAccount(
        account=str(values[OverviewColumn.NAME]),
        account_id=row.account_id,
        name=str(values[OverviewColumn.CLIENT_NAME]),
        notification=str(values[OverviewColumn.NOTIFICATION_EMAIL]),
        cname=None if domain is None else str(domain),
        plan=plan_id(selection),
        status=str(values[OverviewColumn.STATUS]),
        created_on=_iso(cast(date, created)) or "",
        expires_on=_iso(expires if isinstance(expires, date) else None),
    )


def _selections(versions: Iterable[Any]) -> Iterable[PlanSelection]:
    """Every plan of the catalog: free tiers as they are, paid ones by band and frequency."""
    for version in versions:
        for product in version.products:
            for tier in product.tiers:
                if not version.paid:
                    yield PlanSelection(version.name, product.name, tier.name)
                    continue
                for band in tier.bands:
                    for frequency in Frequency:
                        yield PlanSelection(
                            version.name, product.name, tier.name, band.contacts, frequency
                        )


def _placeholder(catalog: Catalog) -> PlanSelection:
    """A plan the catalog sells, standing in for a bad one so that the rest of the form is
    still checked: a free one when the catalog has one (it needs no billing profile)."""
    free = catalog.plans_of(PlanKind.TRIAL) + catalog.plans_of(PlanKind.SANDBOX)
    return free[0] if free else next(iter(_selections(catalog.versions)))


def _may_change(catalog: Catalog, current: PlanSelection, offer: PlanSelection) -> bool:
    """Say whether an account on ``current`` may be offered ``offer`` (R3: never a sandbox)."""
    if catalog.kind(current) is PlanKind.SANDBOX or not offer.is_paid:
        return False
    return attrs.evolve(offer, addons=current.addons) != attrs.evolve(current, limits=())
