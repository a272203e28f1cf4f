"""Snapshots of the agency's accounts (A1) and campaign-template share requests (R6).

Snapshots are kept as access records of kind ``"snapshot"`` (keyed by id); a new
account names one in ``NewAccount.snapshot_id``. A share request is recorded in the audit
log (action ``template_share_requested``), from which the host passes it to the hosted
product.
"""

from __future__ import annotations

from resell_core.lifecycle.snapshots import (
    Snapshot,
    TemplateShareRequest,
    request_template_share,
    take_snapshot,
)
from resell_core.ports import AccessRecord
from resell_core.serialization import to_json
from resell_core.service.accounts import SNAPSHOT
from resell_core.service.context import Command, Context, Work, run_command

__all__ = ["create_snapshot", "share_template"]


def create_snapshot(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    label: str,
    actor: str,
    idempotency_key: str | None,
) -> Snapshot:
    """Take a snapshot of one of the agency's accounts, to create new accounts from (A1).

    Raises:
        NotFound: No such account in this agency.
        InvalidInput: The label is blank.
    """

    def body(work: Work) -> Snapshot:
        account = work.uow.accounts.get(agency_id, account_id)
        snapshot = take_snapshot(
            account,
            agency_id=agency_id,
            snapshot_id=work.new_id("snapshot"),
            label=label,
            on=work.today,
        )
        work.uow.tokens.add(
            AccessRecord(SNAPSHOT, snapshot.id, agency_id, account_id, to_json(snapshot))
        )
        work.audit("snapshot_taken", snapshot.id, after=account_id)
        return snapshot

    command = Command(
        "create_snapshot",
        agency_id,
        {"account_id": account_id, "label": label},
        actor,
        idempotency_key,
    )
    return run_command(ctx, command, body, Snapshot)


def share_template(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    share_link: str,
    actor: str,
    idempotency_key: str | None,
) -> TemplateShareRequest:
    """Record a request to share a campaign template into the account by its link (R6).

    Raises:
        NotFound: No such account in this agency.
        InvalidInput: The link is not an https link.
        InvalidTransition: The account is archived.
    """

    def body(work: Work) -> TemplateShareRequest:
        account = work.uow.accounts.get(agency_id, account_id)
        request = request_template_share(
            account,
            agency_id=agency_id,
            request_id=work.new_id("share"),
            share_link=share_link,
            at=work.now,
        )
        work.audit("template_share_requested", account_id, after=share_link)
        return request

    command = Command(
        "share_template",
        agency_id,
        {"account_id": account_id, "share_link": share_link},
        actor,
        idempotency_key,
    )
    return run_command(ctx, command, body, TemplateShareRequest)
