"""Moving accounts in (T1) and out (T2) of the agency's portal.

A transfer-in request is kept as a record of the ``transfers`` repository; it moves the
hosted account once its owner confirms, and the agency is told. With the account's
details (its client, the plan and billing profile the agency chose, the day its term
starts) the confirmation opens the account in the portal, active, its first invoice
carrying the catalog's migration discount (T3, A10); without them the host imports the
account itself. A removal request is kept the same way, once the agency's branding is
off the account, and cancels it so that billing ends with its paid term (T2); a resold
account is never deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import attrs

from resell_core.billing.notices import NoticeKind, agency_notice
from resell_core.errors import DuplicateName, InvalidInput, NotFound
from resell_core.lifecycle.transfer import (
    AccountMovedIn,
    RemovalRequest,
    TransferEvent,
    TransferRequest,
    move_in_account,
    move_transfer,
    removal_cancellation,
)
from resell_core.lifecycle.transfer import confirm_transfer as confirm
from resell_core.lifecycle.transfer import reject_transfer as reject
from resell_core.lifecycle.transfer import request_removal as removal
from resell_core.lifecycle.transfer import request_transfer as transfer
from resell_core.lifecycle.validation import NewAccount, validate_new_account
from resell_core.ports import Record
from resell_core.serialization import from_json, to_json
from resell_core.service.context import Command, Context, Work, run_command

__all__ = [
    "confirm_transfer",
    "reject_transfer",
    "request_removal",
    "request_transfer",
    "transfer_request",
]

_REMOVAL = "removal"


def _record(request: TransferRequest, version: int = 0) -> Record:
    return Record(
        request.id,
        request.agency_id,
        request.hosted_account,
        request.status.value,
        to_json(request),
        version=version,
    )


def _load(work: Work, agency_id: str, request_id: str) -> tuple[TransferRequest, Record]:
    record = work.uow.transfers.get(agency_id, request_id)
    if record.status == _REMOVAL:
        raise NotFound("transfer request", request_id)
    return from_json(record.data, TransferRequest), record


def request_transfer(
    ctx: Context,
    agency_id: str,
    *,
    hosted_account: str,
    admin_email: str,
    agency_email: str | None,
    actor: str,
    idempotency_key: str | None,
) -> TransferRequest:
    """Ask to move an existing hosted account into the agency's portal (T1).

    Args:
        ctx: The wiring.
        agency_id: The agency asking.
        hosted_account: The hosted account's name.
        admin_email: Its admin's email (the owner who confirms).
        agency_email: Where the agency is told when it moved (the agency's email when None).
        actor: Who asks.
        idempotency_key: The caller's key, or None.

    Raises:
        NotFound: No such agency.
        InvalidInput: Listing every bad field.
    """

    def body(work: Work) -> TransferRequest:
        agency = work.uow.agencies.get(agency_id)
        request = transfer(
            request_id=work.new_id("transfer"),
            agency_id=agency_id,
            hosted_account=hosted_account,
            admin_email=admin_email,
            agency_email=agency_email or agency.email,
            on=work.today,
            valid_days=ctx.policies.transfer_valid_days,
        )
        work.uow.transfers.add(_record(request))
        work.audit("transfer_requested", request.id, after=request.status.value)
        return request

    params = {
        "hosted_account": hosted_account,
        "admin_email": admin_email,
        "agency_email": agency_email,
    }
    command = Command("request_transfer", agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, TransferRequest)


def transfer_request(ctx: Context, agency_id: str, request_id: str) -> TransferRequest:
    """Return the agency's transfer request.

    Raises:
        NotFound: No such request in this agency.
    """
    with ctx.storage.unit_of_work() as uow:
        record = uow.transfers.get(agency_id, request_id)
        if record.status == _REMOVAL:
            raise NotFound("transfer request", request_id)
        return from_json(record.data, TransferRequest)


_Answer = Callable[[TransferRequest, date], tuple[TransferRequest, list[TransferEvent]]]
"""A step of the lifecycle from the owner's answer: the request after it, and its events."""


def _confirm_and_move(
    request: TransferRequest, on: date
) -> tuple[TransferRequest, list[TransferEvent]]:
    confirmed, events = confirm(request, on)
    moved, more = move_transfer(confirmed, on)
    return moved, [*events, *more]


def _told(work: Work, agency_id: str, request_id: str, events: list[TransferEvent]) -> None:
    """Tell the agency an account moved in, and audit every event of the request."""
    for event in events:
        if isinstance(event, AccountMovedIn):
            work.notify(
                agency_notice(
                    NoticeKind.TRANSFER_COMPLETED,
                    agency_id=agency_id,
                    agency_email=event.agency_email,
                    subject=f"{event.hosted_account} moved into your portal",
                    body=f"The account {event.hosted_account} is now in your portal.",
                )
            )
            work.audit("account_moved_in", request_id, after=event.hosted_account)
        else:
            work.audit("transfer_updated", request_id, before=event.before, after=event.after)


def _answer(
    ctx: Context,
    name: str,
    agency_id: str,
    request_id: str,
    answer: _Answer,
    *,
    actor: str,
    idempotency_key: str | None,
) -> TransferRequest:
    """Apply the owner's answer to the agency's request as command ``name``: store the
    request, tell the agency an account moved in, audit every event."""

    def body(work: Work) -> TransferRequest:
        request, record = _load(work, agency_id, request_id)
        answered, events = answer(request, work.today)
        work.uow.transfers.update(_record(answered, record.version))
        _told(work, agency_id, request_id, events)
        return answered

    command = Command(name, agency_id, {"request_id": request_id}, actor, idempotency_key)
    return run_command(ctx, command, body, TransferRequest)


def confirm_transfer(
    ctx: Context,
    agency_id: str,
    request_id: str,
    account: NewAccount | None = None,
    starts_on: date | None = None,
    *,
    actor: str,
    idempotency_key: str | None,
) -> TransferRequest:
    """The account's owner confirmed: the account moves in and the agency is told (T1).

    With ``account``, the account's details the agency chose (its client, plan and
    billing profile; its name is the hosted account's), the account is opened in the
    portal, active, and appears in the overview; on a paid plan its first term starts on
    ``starts_on`` (today when None), the day its first invoice is due, and that invoice
    carries the catalog's migration discount (T3, A10; ``quote`` with
    ``catalog.migration_discount`` shows it first). The request then names the account.

    Raises:
        NotFound: No such request in this agency, or the billing profile is not the
            agency's.
        InvalidTransition: The request is not pending, or expired.
        InvalidInput: Listing every bad field of ``account`` and ``starts_on``.
        DuplicateName: An account of the portal has the hosted account's name already.
    """
    if account is None:
        if starts_on is not None:
            raise InvalidInput.one(
                "transfer confirmation", "starts_on", "give the account's details with its start"
            )
        return _answer(
            ctx,
            "confirm_transfer",
            agency_id,
            request_id,
            _confirm_and_move,
            actor=actor,
            idempotency_key=idempotency_key,
        )
    valid = validate_new_account(account, hosting_domain=ctx.hosting_domain, catalog=ctx.catalog)
    ctx.catalog.validate(valid.plan)

    def body(work: Work) -> TransferRequest:
        uow = work.uow
        request, record = _load(work, agency_id, request_id)
        moved, events = _confirm_and_move(request, work.today)
        if valid.billing_profile_id is not None:
            uow.profiles.get(agency_id, valid.billing_profile_id)
        opened = move_in_account(
            moved,
            valid,
            account_id=work.new_id("account"),
            starts_on=work.today if starts_on is None else starts_on,
            today=work.today,
            latest_start_days=ctx.policies.transfer_start_days,
            catalog=ctx.catalog,
            residency=ctx.policies.residency,
        )
        if uow.accounts.name_taken(opened.name):
            raise DuplicateName("account name", opened.name)
        uow.accounts.add(opened)
        moved = attrs.evolve(moved, account_id=opened.id)
        uow.transfers.update(_record(moved, record.version))
        _told(work, agency_id, request_id, events)
        work.audit("account_added", opened.id, after=opened.status.value)
        return moved

    params = {"request_id": request_id, "account": account, "starts_on": starts_on}
    command = Command("confirm_transfer", agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, TransferRequest)


def reject_transfer(
    ctx: Context, agency_id: str, request_id: str, *, actor: str, idempotency_key: str | None
) -> TransferRequest:
    """The account's owner refused the move (T1).

    Raises:
        NotFound: No such request in this agency.
        InvalidTransition: The request is not pending.
    """
    return _answer(
        ctx,
        "reject_transfer",
        agency_id,
        request_id,
        reject,
        actor=actor,
        idempotency_key=idempotency_key,
    )


def request_removal(
    ctx: Context,
    agency_id: str,
    account_id: str,
    *,
    client_email: str,
    actor: str,
    idempotency_key: str | None,
) -> RemovalRequest:
    """Ask for the account to leave the portal, handed to its client (T2).

    The agency's billing of the account ends with its paid term: an active or disabled
    account is cancelled (it works until its paid-through date, R7, and is never billed
    again); its invoices, credit history and audit trail are kept.

    Raises:
        NotFound: No such account in this agency.
        InvalidTransition: The agency's branding is still on the account (remove it first),
            or the account is still being prepared.
        InvalidInput: The client email is not an address.
    """

    def body(work: Work) -> RemovalRequest:
        account = work.uow.accounts.get(agency_id, account_id)
        request = removal(account, agency_id=agency_id, client_email=client_email, on=work.today)
        work.uow.transfers.add(
            Record(work.new_id("removal"), agency_id, account_id, _REMOVAL, to_json(request))
        )
        work.audit("removal_requested", account_id, after=client_email)
        ending = removal_cancellation(account, request.client_email)
        if ending is not None:
            work.uow.accounts.update(work.apply(account, ending))
        return request

    command = Command(
        "request_removal",
        agency_id,
        {"account_id": account_id, "client_email": client_email},
        actor,
        idempotency_key,
    )
    return run_command(ctx, command, body, RemovalRequest)
