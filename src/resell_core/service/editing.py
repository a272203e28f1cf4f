"""Edit and the other moves of an account's lifecycle, through the transition table.

Plan changes follow the catalog's change rules (docs/rules.md#plan-changes): an upgrade takes
effect at once and opens a proration invoice (the unused part of what was billed for the
current period is credited, the new plan is charged for the rest of it); a downgrade is
scheduled for the end of the term as a pending change the agency can withdraw; a change
of billing frequency starts a new term on the change day, credits the unused remainder
(as the account's prepaid credit) and leaves the new term's first period to the billing
run. A trial or an expired account takes a paid plan with :func:`change_plan` (TR3).

An upgrade is immediate, and so is its payment: once the edit committed, its proration
invoice is paid at once through the billing run's payment path
(:func:`resell_core.service.billing.pay_invoice`: prepaid credit first, then the card; the
charge is marked in flight before the gateway is called, so a crash is reconciled by its
key). A declined card does not undo the upgrade: the invoice enters the dunning schedule
and the agency is told, like any declined charge. The invoice is stored ``open`` with
``next_retry_on`` set to the change day, so that when the immediate attempt cannot be made
(no card to charge, a crash before it) the billing run's retry pass still collects it.

:func:`preview_change` answers what an edit of the plan or billing profile would do (P1)
through the same steps (the change's rule and proration, its drafted invoice, the payment's
start), in a unit of work that writes nothing.

The other moves (cancel, disable, renew, branding…) are one lifecycle action each, applied
by :func:`transition`.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import attrs

from resell_core.agency import Agency
from resell_core.billing.change_preview import ChangePreview, PreviewInvoice
from resell_core.billing.collection import left_to_collect
from resell_core.billing.credit_basis import CreditBasis, credit_basis
from resell_core.billing.due import billed_period_on, period_key
from resell_core.billing.invoices import (
    Invoice,
    InvoiceStatus,
    build_change_invoice,
    settle_negative,
)
from resell_core.billing.ledger import Movement
from resell_core.billing.payment import PaymentPlan
from resell_core.errors import InvalidInput, ResellError
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.actions import (
    END_OF_TERM,
    IMMEDIATE,
    Action,
    ChangeBillingProfile,
    ChangeCustomDomain,
    ChangeNotificationEmail,
    ChangePlan,
    Downgrade,
    Upgrade,
)
from resell_core.lifecycle.moves import apply
from resell_core.lifecycle.names import custom_domain_problem
from resell_core.money import Money
from resell_core.ports import TaxCalculator, UnitOfWork
from resell_core.pricing.changes import (
    ChangeKind,
    ChangeRule,
    ChangeTiming,
    ProratedChange,
    prorate_change,
)
from resell_core.pricing.selection import PlanSelection
from resell_core.service.billing import pay_invoice, payment_start
from resell_core.service.context import Command, Context, Work, read, run_command
from resell_core.service.results import AccountEdited
from resell_core.service.taxes import taxed

__all__ = ["change_plan", "edit_account", "preview_change", "transition"]


def _step(work: Work, account: Account, action: Action) -> Account:
    """Apply ``action`` to ``account`` and record its events (a billing profile it names
    must be one of the agency's, :func:`_checked`)."""
    _checked(work.uow, account, action)
    return work.apply(account, action)


def transition(
    ctx: Context,
    agency_id: str,
    account_id: str,
    action: Action,
    *,
    actor: str,
    idempotency_key: str | None,
) -> Account:
    """Apply one lifecycle action to the agency's account, atomically and audited.

    The command is named after the action and its parameters are the action's fields
    (what an idempotency key is checked against).

    Args:
        ctx: The wiring.
        agency_id: The agency asking.
        account_id: One of its accounts.
        action: The lifecycle action (``Cancel(reason)``, ``Renew(profile_id)``…).
        actor: Who asks.
        idempotency_key: The caller's key, or None.

    Returns:
        The account after the action.

    Raises:
        NotFound: No such account in this agency, or the billing profile the action names
            is not the agency's.
        InvalidTransition: The table refuses the action in the account's status.
        IdempotencyConflict: The key was used with other parameters.
    """

    def body(work: Work) -> Account:
        account = work.uow.accounts.get(agency_id, account_id)
        return work.uow.accounts.update(_step(work, account, action))

    params = {"account_id": account_id, **attrs.asdict(action, recurse=False)}
    command = Command(action.name, agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, Account)


# -- plan changes --------------------------------------------------------------------------
# One path for the edit and its preview (P1): the edit applies what ``_plan_change`` decides
# and stores the invoice ``_draft_change_invoice`` builds, then pays it through
# ``payment_start``; the preview reads the same three without storing anything.


def _checked(uow: UnitOfWork, account: Account, action: Action) -> None:
    """Refuse a billing profile the action names that is not one of the agency's (B6:
    Edit, Renew and a change of plan pick a profile, never create one)."""
    profile_id: str | None = getattr(action, "billing_profile_id", None)
    if profile_id is not None:
        uow.profiles.get(account.agency_id, profile_id)


def _credit_basis(uow: UnitOfWork, account: Account, day: date) -> CreditBasis | None:
    """What a change made on ``day`` credits the unused part of; None when the period
    holding it was not billed yet (the billing run bills it at the new plan)."""
    period = billed_period_on(account, day)
    if period is None:
        return None
    invoices = uow.invoices
    recurring = invoices.by_period_key(period_key(account.id, period))
    if recurring is None:
        return None
    return credit_basis(period, recurring, invoices.list(account.agency_id, account.id))


@attrs.frozen
class _PlanChange:
    """What a change of a paid plan does on a day: the lifecycle action, the catalog's
    rule, and, when it bills now, what it credits and its proration."""

    action: Action
    rule: ChangeRule
    basis: CreditBasis | None = None
    prorated: ProratedChange | None = None

    def bill(self) -> tuple[CreditBasis, ProratedChange] | None:
        """What the change bills today (what it credits the unused part of, and its
        proration); None when it issues no invoice today."""
        basis, prorated = self.basis, self.prorated
        if basis is None or prorated is None:
            return None
        if prorated.credit.is_zero() and prorated.charge.is_zero():
            return None
        return basis, prorated


def _plan_change(
    ctx: Context, uow: UnitOfWork, account: Account, new: PlanSelection, day: date
) -> _PlanChange:
    """Decide a change of the account's paid plan to ``new`` made on ``day``."""
    catalog = ctx.catalog
    rule = catalog.change_rule(account.plan, new)
    kinds = catalog.change_kinds(account.plan, new)
    action_type = Downgrade if ChangeKind.DOWNGRADE in kinds else Upgrade
    if rule.timing is ChangeTiming.END_OF_TERM:
        return _PlanChange(action_type(new, timing=END_OF_TERM), rule)
    action = action_type(new, timing=IMMEDIATE)
    basis = _credit_basis(uow, account, day)
    if basis is None:
        return _PlanChange(action, rule)
    agency = uow.agencies.get(account.agency_id)
    net = catalog.cycle_price(new, reseller_rate=agency.reseller_rate).net
    prorated = prorate_change(basis.amount, net, basis.period, day, billed_for=basis.billed_for)
    if rule.timing is ChangeTiming.NEW_TERM:
        # The new term's first period is billed by the billing run like any other period:
        # here only the unused remainder of the old term is credited.
        zero = Money.zero(prorated.credit.currency)
        prorated = ProratedChange(credit=prorated.credit, charge=zero, net=prorated.credit)
    return _PlanChange(action, rule, basis, prorated)


def _draft_change_invoice(
    account: Account,
    bill: tuple[CreditBasis, ProratedChange],
    new: PlanSelection,
    taxing: tuple[TaxCalculator | None, Agency],
    *,
    invoice_id: str,
    number: int,
    day: date,
) -> tuple[Invoice, Movement | None]:
    """Build the invoice a change issues on ``day`` for its :meth:`~_PlanChange.bill`
    (from the account before the change), as it is stored, taxed by the portal's
    calculator for the agency when it has one (TX1), and the movement that carries a
    credit larger than the charge to the account's prepaid credit."""
    basis, prorated = bill
    taxes, agency = taxing
    invoice = build_change_invoice(
        prorated,
        agency_id=account.agency_id,
        account_id=account.id,
        profile_id=account.billing_profile_id,
        period=basis.period,
        invoice_id=invoice_id,
        number=number,
        issued_on=day,
        old_plan=f"{account.plan.product} {account.plan.tier}",
        new_plan=f"{new.product} {new.tier}",
    )
    if taxes is not None:
        invoice = taxed(taxes, agency, account, invoice)
    invoice, movement = settle_negative(invoice, on=day)
    if movement is None and invoice.total.is_positive():
        invoice = left_to_collect(invoice, on=day)
    elif movement is None and invoice.total.is_zero():
        invoice = attrs.evolve(invoice, status=InvoiceStatus.PAID)
    return invoice, movement


def _change_invoice(
    work: Work, account: Account, change: _PlanChange, new: PlanSelection
) -> Invoice | None:
    bill = change.bill()
    if bill is None:
        return None
    agency = work.uow.agencies.get(account.agency_id)
    number, numbered = agency.numbered()
    invoice, movement = _draft_change_invoice(
        account,
        bill,
        new,
        (work.ctx.taxes, agency),
        invoice_id=work.new_id("invoice"),
        number=number,
        day=work.today,
    )
    work.uow.agencies.update(numbered)
    if movement is not None:
        work.uow.ledger.append(movement)
    work.uow.invoices.add(invoice)
    work.audit(
        "invoice_issued",
        invoice.id,
        after=f"{invoice.status.value} {invoice.total}",
        agency_id=account.agency_id,
    )
    return invoice


def _change_paid_plan(
    work: Work, account: Account, new: PlanSelection
) -> tuple[Account, Invoice | None]:
    change = _plan_change(work.ctx, work.uow, account, new, work.today)
    changed = _step(work, account, change.action)
    return changed, _change_invoice(work, account, change, new)


def _pay_at_once(ctx: Context, edited: AccountEdited, *, first: bool) -> AccountEdited:
    """Pay the edit's proration invoice now that the edit committed; return the result with
    the invoice (and the account) as they stand after the payment.

    The payment runs in its own units of work: the edit stands whatever becomes of it. A
    declined card leaves the invoice in the dunning schedule (and the agency notified); a
    payment that cannot be attempted at all (a ResellError, e.g. no card to charge) leaves
    it open and due, for the billing run's retry pass to collect or report. A replayed edit
    (``first`` False) charges nothing: its first result, with the invoice as it stands.
    """
    invoice = edited.invoice
    if invoice is None or invoice.status is not InvoiceStatus.OPEN:
        return edited
    agency_id, account_id, invoice_id = invoice.agency_id, edited.account.id, invoice.id
    if not first:
        current = read(ctx, lambda uow: uow.invoices.get(agency_id, invoice_id))
        return attrs.evolve(edited, invoice=current)
    with contextlib.suppress(ResellError):  # still due today: the billing run retries it
        pay_invoice(ctx, agency_id, invoice_id)
    return read(
        ctx,
        lambda uow: AccountEdited(
            uow.accounts.get(agency_id, account_id), uow.invoices.get(agency_id, invoice_id)
        ),
    )


def edit_account(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    plan: PlanSelection | None,
    notification_email: str | None,
    billing_profile_id: str | None,
    custom_domain: str | None,
    actor: str,
    idempotency_key: str | None,
) -> AccountEdited:
    """Edit an account (O10, U1, A3, A5, B6): plan, notification email, billing profile,
    custom domain; all changes or none.

    An upgrade's proration invoice is paid at once, once the edit committed (prepaid
    credit first, then the card); a declined card leaves it in the dunning schedule and the
    upgrade stands. A credit larger than the charge becomes the account's prepaid credit.

    Returns:
        The account after every change (and after the payment), and the invoice the change
        opened in its state after the payment attempt (None when nothing was billed). A
        replay with the same idempotency key charges nothing and returns the first result,
        with the invoice as it stands now.

    Raises:
        NotFound: No such account, or the billing profile is not the agency's (B6: a
            profile is never created here).
        InvalidInput: A bad field, an invalid plan, or the plan is the current one.
        InvalidTransition: The account's status does not allow the change.
        SandboxNotConvertible: A sandbox was given a paid plan (R3).
        IdempotencyConflict: The key was used with other parameters.
    """
    if plan is not None:
        ctx.catalog.validate(plan)
    if custom_domain and (
        problem := custom_domain_problem(custom_domain, hosting_domain=ctx.hosting_domain)
    ):
        raise InvalidInput.one("custom domain", "custom_domain", problem)
    ran = False

    def body(work: Work) -> AccountEdited:
        nonlocal ran
        ran = True
        account = work.uow.accounts.get(agency_id, account_id)
        invoice: Invoice | None = None
        if billing_profile_id is not None:
            account = _step(work, account, ChangeBillingProfile(billing_profile_id))
        if notification_email is not None:
            account = _step(work, account, ChangeNotificationEmail(notification_email))
        if custom_domain is not None:
            account = _step(work, account, ChangeCustomDomain(custom_domain or None))
        if plan is not None:
            if account.plan.is_paid:
                account, invoice = _change_paid_plan(work, account, plan)
            else:
                account = _step(work, account, ChangePlan(plan, billing_profile_id))
        return AccountEdited(work.uow.accounts.update(account), invoice)

    params = {
        "account_id": account_id,
        "plan": plan,
        "notification_email": notification_email,
        "billing_profile_id": billing_profile_id,
        "custom_domain": custom_domain,
    }
    command = Command("edit_account", agency_id, params, actor, idempotency_key)
    edited = run_command(ctx, command, body, AccountEdited)
    return _pay_at_once(ctx, edited, first=ran)


def change_plan(
    ctx: Context,
    agency_id: str,
    account_id: str,
    plan: PlanSelection,
    *,
    billing_profile_id: str | None,
    actor: str,
    idempotency_key: str | None,
) -> Account:
    """Give a trial, an expired, cancelled or archived account a new paid plan (TR3, R2).

    A new term starts today; its first period is billed by the next billing run.

    Raises:
        NotFound: No such account, or the profile is not the agency's.
        InvalidInput: The plan is not a valid paid plan, or no profile pays for it.
        InvalidTransition: The account's status does not allow it.
        SandboxNotConvertible: The account is a sandbox (R3).
    """
    ctx.catalog.validate(plan)
    return transition(
        ctx,
        agency_id,
        account_id,
        ChangePlan(plan, billing_profile_id),
        actor=actor,
        idempotency_key=idempotency_key,
    )


# -- previewing an edit (P1) ---------------------------------------------------------------
_PREVIEW_ID = "preview"
"""The id the previewed invoice is built under: it is never stored nor charged."""


def _preview_day(account: Account, today: date, on: date | None) -> date:
    """Return the day a preview is made for: today, or a later day of the period billed
    today (later, the billing run bills another period first and the figures move)."""
    if on is None or on == today:
        return today
    if on < today:
        raise InvalidInput.one(
            "change preview", "on", f"{on} is before today ({today}): preview today or later"
        )
    period = billed_period_on(account, today)
    if period is None or on >= period.end:
        last = today if period is None else period.end - timedelta(days=1)
        raise InvalidInput.one(
            "change preview",
            "on",
            f"preview a day from {today} to {last}: later the billing run bills another "
            "period first",
        )
    return on


def _preview_invoice(
    uow: UnitOfWork,
    account: Account,
    change: _PlanChange,
    new: PlanSelection,
    day: date,
    *,
    taxes: TaxCalculator | None,
) -> PreviewInvoice | None:
    """The invoice the edit would issue on ``day`` and its split, neither stored."""
    bill = change.bill()
    if bill is None:
        return None
    agency = uow.agencies.get(account.agency_id)
    number, _ = agency.numbered()
    invoice, movement = _draft_change_invoice(
        account, bill, new, (taxes, agency), invoice_id=_PREVIEW_ID, number=number, day=day
    )
    start = payment_start(uow, invoice, on=day)
    zero = Money.zero(invoice.currency)
    started = start.invoice
    return PreviewInvoice(
        number=number,
        issued_on=day,
        lines=invoice.lines,
        total=invoice.total,
        payment=PaymentPlan(
            started.paid_earmarked,
            started.paid_pool,
            zero if start.charge is None else start.charge.amount,
        ),
        carried=zero if movement is None else Money(movement.quantity, invoice.currency),
    )


def preview_change(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    plan: PlanSelection | None = None,
    billing_profile_id: str | None = None,
    on: date | None = None,
) -> ChangePreview:
    """Preview an edit of the account's plan or billing profile (P1): the invoice it would
    issue (its credit and charge lines) and how it would be paid (earmarked prepaid
    credit, the pool, the card), or the change it would schedule instead.

    Nothing is charged, stored or audited, and no gateway, notifier or provisioner is
    called. The figures are those of :func:`edit_account` (same rule, credit basis,
    proration, invoice and payment start): the edit made on ``on`` with the same
    arguments, while the account's invoices and prepaid balances stay as they are, issues
    exactly the invoice previewed, split the same way.

    Args:
        ctx: The wiring.
        agency_id: The agency asking.
        account_id: One of its accounts.
        plan: The new plan, or None to keep the current one.
        billing_profile_id: Another of the agency's billing profiles to pay, or None.
        on: The day of the edit: today (None) or a later day of the period billed today.

    Returns:
        The preview; its :meth:`~resell_core.billing.ChangePreview.explain` shows each
        step of the arithmetic.

    Raises:
        NotFound: No such account, or the billing profile is not the agency's.
        InvalidInput: Nothing to preview, an invalid plan, the current plan, or a day
            outside the days a preview can be made for.
        InvalidTransition: The account's status does not allow the change.
        SandboxNotConvertible: A sandbox was given a paid plan (R3).
    """
    if plan is None and billing_profile_id is None:
        raise InvalidInput.one(
            "change preview", "plan", "give a plan or a billing profile to preview"
        )
    if plan is not None:
        ctx.catalog.validate(plan)
    today = ctx.today()
    policy = ctx.policies.lifecycle

    def step(uow: UnitOfWork, account: Account, action: Action, day: date) -> Account:
        _checked(uow, account, action)
        return apply(account, action, on=day, policy=policy).account

    def query(uow: UnitOfWork) -> ChangePreview:
        before = uow.accounts.get(agency_id, account_id)
        day = _preview_day(before, today, on)
        account = before
        if billing_profile_id is not None:
            account = step(uow, account, ChangeBillingProfile(billing_profile_id), day)
        change: _PlanChange | None = None
        invoice = quote = None
        after = account
        if plan is not None:
            agency = uow.agencies.get(agency_id)
            quote = ctx.catalog.quote(plan, reseller_rate=agency.reseller_rate)
            if account.plan.is_paid:
                change = _plan_change(ctx, uow, account, plan, day)
                after = step(uow, account, change.action, day)
                invoice = _preview_invoice(uow, account, change, plan, day, taxes=ctx.taxes)
            else:
                after = step(uow, account, ChangePlan(plan, billing_profile_id), day)
        bill = None if change is None else change.bill()
        return ChangePreview(
            account_id=before.id,
            account_name=before.name,
            on=day,
            current=before.plan,
            plan=after.plan,
            billing_profile_id=after.billing_profile_id,
            rule=None if change is None else change.rule,
            quote=quote,
            basis=None if bill is None else bill[0],
            prorated=None if bill is None else bill[1],
            invoice=invoice,
            pending=after.pending_change,
        )

    return read(ctx, query)
