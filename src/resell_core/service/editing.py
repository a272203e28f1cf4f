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

The other moves (cancel, disable, renew, branding…) are one lifecycle action each, applied
by :func:`transition`.
"""

from __future__ import annotations

import contextlib

import attrs

from resell_core.billing.collection import left_to_collect
from resell_core.billing.credit_basis import CreditBasis, credit_basis
from resell_core.billing.due import billed_period_on, period_key
from resell_core.billing.invoices import (
    Invoice,
    InvoiceStatus,
    build_change_invoice,
    settle_negative,
)
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
from resell_core.lifecycle.names import custom_domain_problem
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing.changes import ChangeKind, ChangeTiming, ProratedChange, prorate_change
from resell_core.pricing.selection import PlanSelection
from resell_core.service.billing import pay_invoice
from resell_core.service.context import Command, Context, Work, read, run_command
from resell_core.service.results import AccountEdited
from resell_core.service.taxes import taxed

__all__ = ["change_plan", "edit_account", "transition"]


def _step(work: Work, account: Account, action: Action) -> Account:
    """Apply ``action`` to ``account`` and record its events.

    A billing profile the action names must be one of the agency's (B6: Edit, Renew and a
    change of plan pick a profile, never create one).
    """
    profile_id: str | None = getattr(action, "billing_profile_id", None)
    if profile_id is not None:
        work.uow.profiles.get(account.agency_id, profile_id)
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


def _credit_basis(work: Work, account: Account) -> CreditBasis | None:
    """What a change made today credits the unused part of; None when the current period
    was not billed yet (the billing run bills it at the new plan)."""
    period = billed_period_on(account, work.today)
    if period is None:
        return None
    invoices = work.uow.invoices
    recurring = invoices.by_period_key(period_key(account.id, period))
    if recurring is None:
        return None
    return credit_basis(period, recurring, invoices.list(account.agency_id, account.id))


def _change_invoice(
    work: Work, account: Account, change: ProratedChange, period: Period, new: PlanSelection
) -> Invoice | None:
    if change.credit.is_zero() and change.charge.is_zero():
        return None
    agency = work.uow.agencies.get(account.agency_id)
    number, numbered = agency.numbered()
    work.uow.agencies.update(numbered)
    invoice = build_change_invoice(
        change,
        agency_id=account.agency_id,
        account_id=account.id,
        profile_id=account.billing_profile_id,
        period=period,
        invoice_id=work.new_id("invoice"),
        number=number,
        issued_on=work.today,
        old_plan=f"{account.plan.product} {account.plan.tier}",
        new_plan=f"{new.product} {new.tier}",
    )
    taxes = work.ctx.taxes
    if taxes is not None:
        invoice = taxed(taxes, agency, account, invoice)
    invoice, movement = settle_negative(invoice, on=work.today)
    if movement is not None:
        work.uow.ledger.append(movement)
    elif invoice.total.is_positive():
        invoice = left_to_collect(invoice, on=work.today)
    elif invoice.total.is_zero():
        invoice = attrs.evolve(invoice, status=InvoiceStatus.PAID)
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
    catalog = work.ctx.catalog
    rule = catalog.change_rule(account.plan, new)
    kinds = catalog.change_kinds(account.plan, new)
    action_type = Downgrade if ChangeKind.DOWNGRADE in kinds else Upgrade
    if rule.timing is ChangeTiming.END_OF_TERM:
        return _step(work, account, action_type(new, timing=END_OF_TERM)), None
    basis = _credit_basis(work, account)
    changed = _step(work, account, action_type(new, timing=IMMEDIATE))
    if basis is None:
        return changed, None
    period = basis.period
    agency = work.uow.agencies.get(account.agency_id)
    net = catalog.cycle_price(new, reseller_rate=agency.reseller_rate).net
    prorated = prorate_change(basis.amount, net, period, work.today, billed_for=basis.billed_for)
    if rule.timing is ChangeTiming.NEW_TERM:
        # The new term's first period is billed by the billing run like any other period:
        # here only the unused remainder of the old term is credited.
        zero = Money.zero(prorated.credit.currency)
        prorated = ProratedChange(credit=prorated.credit, charge=zero, net=prorated.credit)
    return changed, _change_invoice(work, account, prorated, period, new)


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
