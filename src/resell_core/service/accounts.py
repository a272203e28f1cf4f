"""Adding resold accounts: package details, the name check, creation and provisioning (A1-A12).

An account is opened in ``creating`` and its provisioning started once the command has
committed. :func:`process_provisioning` applies the provisioner's reports: a ready
account becomes ``active`` and, on a paid plan, starts its first term on the day it
became ready (period 0 is due that day and charged by the next billing run); a failed
one expires, nothing is charged, and the agency is told why.
"""

from __future__ import annotations

from resell_core.billing.notices import NoticeKind, agency_notice
from resell_core.errors import DuplicateName, NotFound
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.actions import Provisioned, ProvisioningFailed
from resell_core.lifecycle.credentials import issue_credentials
from resell_core.lifecycle.names import NameCheck
from resell_core.lifecycle.names import check_account_name as well_formed
from resell_core.lifecycle.opening import open_account
from resell_core.lifecycle.snapshots import Snapshot
from resell_core.lifecycle.terms import start_term
from resell_core.lifecycle.validation import NewAccount, validate_new_account
from resell_core.ports import AccessRecord, ProvisioningOutcome, ProvisioningReport, UnitOfWork
from resell_core.pricing.price_book import MigrationDiscount
from resell_core.pricing.quote import PackageDetails
from resell_core.pricing.selection import PlanSelection
from resell_core.serialization import from_json
from resell_core.service.context import PLATFORM, Command, Context, Work, read, run_command
from resell_core.service.results import AccountCreated

__all__ = [
    "CREDENTIALS",
    "SNAPSHOT",
    "account",
    "add_account",
    "check_account_name",
    "credentials_key",
    "load_snapshot",
    "process_provisioning",
    "quote",
]

CREDENTIALS = "credentials"
"""Access-record kind of an account's stored password hash (keyed by account name)."""

SNAPSHOT = "snapshot"
"""Access-record kind of an account snapshot (keyed by snapshot id, A1)."""

_RANDOM_BYTES = 16


def credentials_key(name: str) -> str:
    """Return the key of an account's credentials: its name, case-folded (login by name)."""
    return name.casefold()


def quote(
    ctx: Context,
    agency_id: str,
    selection: PlanSelection,
    migration: MigrationDiscount | None = None,
) -> PackageDetails:
    """Return the package details of a plan with the agency's reseller discount (A10).

    Raises:
        NotFound: No such agency.
        InvalidInput: The selection or migration discount is not valid.
    """
    if migration is not None:
        migration.check()
    agency = read(ctx, lambda uow: uow.agencies.get(agency_id))
    return ctx.catalog.quote(selection, reseller_rate=agency.reseller_rate, migration=migration)


def check_account_name(ctx: Context, name: str) -> NameCheck:
    """Say whether ``name`` can be a new account's site address (A2).

    Returns:
        The normalised name and every problem: badly formed, reserved, or taken by any
        account on the platform (of any agency).
    """
    check = well_formed(name)
    if check.ok and read(ctx, lambda uow: uow.accounts.name_taken(check.name)):
        return NameCheck(check.name, (f"{check.name} is taken: choose another name",))
    return check


def load_snapshot(uow: UnitOfWork, agency_id: str, snapshot_id: str) -> Snapshot:
    """Return the agency's snapshot.

    Raises:
        NotFound: No such snapshot in this agency.
    """
    record = uow.tokens.get(SNAPSHOT, snapshot_id)
    if record is None or record.agency_id != agency_id:
        raise NotFound("snapshot", snapshot_id)
    return from_json(record.data, Snapshot)


def add_account(
    ctx: Context,
    agency_id: str,
    new: NewAccount,
    *,
    actor: str,
    idempotency_key: str | None,
) -> AccountCreated:
    """Add a resold account (A1-A12): check it, open it in ``creating``, start provisioning.

    The ``admin`` password is generated here and returned once in the result; only its
    scrypt hash is stored. An idempotent replay returns the same account without the
    password (it is never stored in clear); the agency then resets it (S4).

    Raises:
        NotFound: No such agency, or the billing profile or snapshot is not the agency's.
        InvalidInput: Listing every bad field of the form and of the plan (A9).
        DuplicateName: The name is taken on the platform (A2).
    """
    valid = validate_new_account(new, hosting_domain=ctx.hosting_domain, catalog=ctx.catalog)
    ctx.catalog.validate(valid.plan)

    def body(work: Work) -> AccountCreated:
        uow = work.uow
        uow.agencies.get(agency_id)
        if valid.billing_profile_id is not None:
            uow.profiles.get(agency_id, valid.billing_profile_id)
        snapshot = load_snapshot(uow, agency_id, valid.snapshot_id) if valid.snapshot_id else None
        if uow.accounts.name_taken(valid.name):
            raise DuplicateName("account name", valid.name)
        opened = open_account(
            valid,
            account_id=work.new_id("account"),
            agency_id=agency_id,
            today=work.today,
            catalog=ctx.catalog,
            snapshot=snapshot,
            residency=ctx.policies.residency,
        )
        issued = issue_credentials(
            ctx.secrets.token_bytes(_RANDOM_BYTES),
            salt=ctx.secrets.token_bytes(_RANDOM_BYTES),
            policy=ctx.policies.credentials,
        )
        uow.accounts.add(opened)
        uow.tokens.put(
            AccessRecord(
                CREDENTIALS,
                credentials_key(opened.name),
                agency_id,
                opened.id,
                issued.password_hash.encoded,
            )
        )
        work.audit("account_added", opened.id, after=opened.status.value)
        work.after_commit(lambda: ctx.provisioner.start(opened.id, opened.name, opened.snapshot_id))
        return AccountCreated(opened, ctx.login_url(opened), issued.username, issued.password)

    command = Command("add_account", agency_id, {"new": new}, actor, idempotency_key)
    return run_command(ctx, command, body, AccountCreated, remember=AccountCreated.without_password)


def account(ctx: Context, agency_id: str, account_id: str) -> Account:
    """Return the agency's account.

    Raises:
        NotFound: No such account in this agency (another agency's is not found either).
    """
    return read(ctx, lambda uow: uow.accounts.get(agency_id, account_id))


def _apply_report(ctx: Context, report: ProvisioningReport) -> Account | None:
    def body(work: Work) -> Account | None:
        found = work.uow.accounts.find(report.account_id)
        if found is None or found.status is not AccountStatus.CREATING:
            return None  # a late or repeated report: the account moved on already
        agency = work.uow.agencies.get(found.agency_id)
        if report.outcome is ProvisioningOutcome.READY:
            changed = work.apply(found, Provisioned())
            if changed.plan.is_paid:
                term = start_term(changed, work.today)
                changed = term.account
                work.account_events(agency.id, term.events)
            kind = NoticeKind.ACCOUNT_READY
            subject = f"{changed.name} is ready"
            text = f"The account {changed.name} is ready at {ctx.login_url(changed)}."
        else:
            reason = report.reason or "the provisioning system gave no reason"
            changed = work.apply(found, ProvisioningFailed(reason))
            kind = NoticeKind.PROVISIONING_FAILED
            subject = f"{changed.name} could not be created"
            text = (
                f"The account {changed.name} could not be created: {reason}. Nothing was charged."
            )
        work.notify(
            agency_notice(
                kind,
                agency_id=agency.id,
                agency_email=agency.email,
                subject=subject,
                body=text,
            )
        )
        return work.uow.accounts.update(changed)

    command = Command("process_provisioning", PLATFORM, {"account_id": report.account_id})
    return run_command(ctx, command, body, None)


def process_provisioning(ctx: Context) -> list[Account]:
    """Apply the provisioner's reports that arrived since the last call (A12).

    Each report is applied in its own unit of work. A ready account becomes ``active``;
    on a paid plan its first term starts that day (period 0 is due that day, so the next
    billing run charges it). A failed account expires, is never charged, and the agency
    is notified with the reason.

    Returns:
        The accounts changed, in the order of the reports.
    """
    changed: list[Account] = []
    for report in ctx.provisioner.poll():
        account_ = _apply_report(ctx, report)
        if account_ is not None:
            changed.append(account_)
    return changed
