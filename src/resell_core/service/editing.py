"""Edit and the other moves of an account's lifecycle, through the transition table.

Plan changes follow the catalog's change rules (DESIGN.md section 2): an upgrade takes
effect at once and opens a proration invoice (the unused part of what was billed for the
current period is credited, the new plan is charged for the rest of it); a downgrade is
scheduled for the end of the term as a pending change the agency can withdraw; a change
of billing frequency starts a new term on the change day, credits the unused remainder
(as the account's prepaid credit) and leaves the new term's first period to the billing
run. A trial or an expired account takes a paid plan with :func:`change_plan` (TR3).

A proration invoice with something to pay is stored ``open`` with ``next_retry_on`` set
to the change day, so that the billing run's payment pass collects it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from resell_core.billing.due import period_key
from resell_core.billing.invoices import (
    Invoice,
    InvoiceStatus,
    build_change_invoice,
    settle_negative,
)
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.actions import (
    END_OF_TERM,
    IMMEDIATE,
    Action,
    Archive,
    Cancel,
    ChangeBillingProfile,
    ChangeBranding,
    ChangeCustomDomain,
    ChangeNotificationEmail,
    ChangePlan,
    Disable,
    Downgrade,
    Enable,
    Renew,
    Upgrade,
    WithdrawPendingChange,
)
from resell_core.lifecycle.branding import Branding
from resell_core.lifecycle.transitions import apply
from resell_core.money import Money
from resell_core.periods import Period, period_containing
from resell_core.pricing.changes import ChangeKind, ChangeTiming, ProratedChange, prorate_change
from resell_core.pricing.selection import PlanSelection
from resell_core.service.context import Command, Context, Work, run_command
from resell_core.service.results import AccountEdited

__all__ = [
    "archive_account",
    "cancel_account",
    "change_plan",
    "disable_account",
    "edit_account",
    "enable_account",
    "remove_branding",
    "renew_account",
    "set_branding",
    "transition",
    "withdraw_pending_change",
]


def _step(work: Work, account: Account, action: Action) -> Account:
    moved = apply(account, action, on=work.today, policy=work.ctx.policies.lifecycle)
    work.account_events(account.agency_id, moved.events)
    return moved.account


def transition(
    ctx: Context,
    agency_id: str,
    account_id: str,
    action: Action,
    *,
    params: Mapping[str, Any],
    actor: str,
    idempotency_key: str | None,
    check: Callable[[Work, Account], None] | None = None,
) -> Account:
    """Apply one lifecycle action to the agency's account, atomically and audited.

    Args:
        ctx: The wiring.
        agency_id: The agency asking.
        account_id: One of its accounts.
        action: The lifecycle action.
        params: The request's parameters (for the idempotency fingerprint).
        actor: Who asks.
        idempotency_key: The caller's key, or None.
        check: A further check in the same unit of work (a profile's existence…).

    Raises:
        NotFound: No such account in this agency.
        InvalidTransition: The table refuses the action in the account's status.
    """

    def body(work: Work) -> Account:
        account = work.uow.accounts.get(agency_id, account_id)
        if check is not None:
            check(work, account)
        return work.uow.accounts.update(_step(work, account, action))

    command = Command(
        action.name, agency_id, {"account_id": account_id, **params}, actor, idempotency_key
    )
    return run_command(ctx, command, body, Account)


def _profile_exists(profile_id: str | None) -> Callable[[Work, Account], None]:
    def check(work: Work, account: Account) -> None:
        if profile_id is not None:
            work.uow.profiles.get(account.agency_id, profile_id)

    return check


# -- plan changes --------------------------------------------------------------------------


def _billed_period(work: Work, account: Account) -> tuple[Period, Money] | None:
    """The current period and what its recurring invoice billed, when it was billed."""
    anchor, frequency = account.anchor, account.frequency
    if anchor is None or frequency is None or work.today < anchor:
        return None
    index, period = period_containing(anchor, frequency, work.today)
    if index >= account.next_period:
        return None  # not billed yet: the billing run bills it at the new plan
    invoice = work.uow.invoices.by_period_key(period_key(account.id, period))
    if invoice is None or invoice.status is InvoiceStatus.VOID:
        return None
    return period, invoice.total


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
    invoice, movement = settle_negative(invoice, on=work.today)
    if movement is not None:
        work.uow.ledger.append(movement)
    elif invoice.total.is_positive():
        invoice = attrs.evolve(invoice, next_retry_on=work.today)
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
    billed = _billed_period(work, account)
    changed = _step(work, account, action_type(new, timing=IMMEDIATE))
    if billed is None:
        return changed, None
    period, amount = billed
    agency = work.uow.agencies.get(account.agency_id)
    net = catalog.cycle_price(new, reseller_rate=agency.reseller_rate).net
    prorated = prorate_change(amount, net, period, work.today)
    if rule.timing is ChangeTiming.NEW_TERM:
        # The new term's first period is billed by the billing run like any other period:
        # here only the unused remainder of the old term is credited.
        zero = Money.zero(prorated.credit.currency)
        prorated = ProratedChange(credit=prorated.credit, charge=zero, net=prorated.credit)
    return changed, _change_invoice(work, account, prorated, period, new)


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

    Raises:
        NotFound: No such account, or the billing profile is not the agency's (B6: a
            profile is never created here).
        InvalidInput: A bad field, an invalid plan, or the plan is the current one.
        InvalidTransition: The account's status does not allow the change.
        SandboxNotConvertible: A sandbox was given a paid plan (R3).
    """
    if plan is not None:
        ctx.catalog.validate(plan)

    def body(work: Work) -> AccountEdited:
        account = work.uow.accounts.get(agency_id, account_id)
        invoice: Invoice | None = None
        if billing_profile_id is not None:
            work.uow.profiles.get(agency_id, billing_profile_id)
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
    return run_command(ctx, command, body, AccountEdited)


def withdraw_pending_change(
    ctx: Context, agency_id: str, account_id: str, *, actor: str, idempotency_key: str | None
) -> Account:
    """Withdraw a scheduled downgrade before it takes effect."""
    return transition(
        ctx,
        agency_id,
        account_id,
        WithdrawPendingChange(),
        params={},
        actor=actor,
        idempotency_key=idempotency_key,
    )


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
        params={"plan": plan, "billing_profile_id": billing_profile_id},
        actor=actor,
        idempotency_key=idempotency_key,
        check=_profile_exists(billing_profile_id),
    )


def cancel_account(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    reason: str,
    actor: str,
    idempotency_key: str | None,
) -> Account:
    """Cancel the account (R7); it keeps working until its paid-through date."""
    return transition(
        ctx,
        agency_id,
        account_id,
        Cancel(reason),
        params={"reason": reason},
        actor=actor,
        idempotency_key=idempotency_key,
    )


def disable_account(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    message: str,
    actor: str,
    idempotency_key: str | None,
) -> Account:
    """Disable the client's access, showing ``message``; it is still billed (B1)."""
    return transition(
        ctx,
        agency_id,
        account_id,
        Disable(message),
        params={"message": message},
        actor=actor,
        idempotency_key=idempotency_key,
    )


def enable_account(
    ctx: Context, agency_id: str, account_id: str, *, actor: str, idempotency_key: str | None
) -> Account:
    """Give a disabled account back to its client."""
    return transition(
        ctx,
        agency_id,
        account_id,
        Enable(),
        params={},
        actor=actor,
        idempotency_key=idempotency_key,
    )


def archive_account(
    ctx: Context, agency_id: str, account_id: str, *, actor: str, idempotency_key: str | None
) -> Account:
    """Archive an expired (or cancelled and expired) account; its data is kept a year."""
    return transition(
        ctx,
        agency_id,
        account_id,
        Archive(),
        params={},
        actor=actor,
        idempotency_key=idempotency_key,
    )


def renew_account(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    billing_profile_id: str | None,
    actor: str,
    idempotency_key: str | None,
) -> Account:
    """Renew a cancelled, expired or archived account, paid by a billing profile (R1, R2).

    A paid account that ran out starts a new term today (billed by the next billing run);
    an archived trial gets its one extra free trial.

    Raises:
        NotFound: No such account, or the profile is not the agency's.
        InvalidTransition: Renewal is refused (R2: bought before the cut-off and expired,
            or archived more than a year ago): change the plan instead.
    """
    return transition(
        ctx,
        agency_id,
        account_id,
        Renew(billing_profile_id),
        params={"billing_profile_id": billing_profile_id},
        actor=actor,
        idempotency_key=idempotency_key,
        check=_profile_exists(billing_profile_id),
    )


def set_branding(
    ctx: Context,
    agency_id: str,
    account_id: str,
    branding: Branding,
    *,
    actor: str,
    idempotency_key: str | None,
) -> Account:
    """Brand the account with the agency's look, or make it private (BR1)."""
    return transition(
        ctx,
        agency_id,
        account_id,
        ChangeBranding(branding),
        params={"branding": branding},
        actor=actor,
        idempotency_key=idempotency_key,
    )


def remove_branding(
    ctx: Context, agency_id: str, account_id: str, *, actor: str, idempotency_key: str | None
) -> Account:
    """Take the agency's branding off the account (needed before a removal request, T2)."""
    return transition(
        ctx,
        agency_id,
        account_id,
        ChangeBranding(None),
        params={},
        actor=actor,
        idempotency_key=idempotency_key,
    )
