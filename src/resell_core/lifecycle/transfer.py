"""Moving accounts in (T1) and out (T2) of the agency's portal.

Transfer in: a request names the hosted account, its admin email and the agency's email;
it is pending until the account's owner confirms (or rejects), then the account is moved
and the agency is told; a request not answered in time expires. Removal: an account
leaves the portal only by a removal request, once the agency's branding is off it. There
is no way to delete a resold account.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

import attrs

from resell_core.errors import FieldProblem, InvalidInput, InvalidTransition, NotFound
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.names import check_account_name, email_problem

__all__ = [
    "AccountMovedIn",
    "RemovalRequest",
    "TransferRequest",
    "TransferStatus",
    "TransferUpdated",
    "confirm_transfer",
    "expire_transfer",
    "move_transfer",
    "reject_transfer",
    "request_removal",
    "request_transfer",
]


class TransferStatus(enum.StrEnum):
    """Where a transfer-in request stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    MOVED = "moved"
    REJECTED = "rejected"
    EXPIRED = "expired"


@attrs.define(eq=False)
class TransferRequest:
    """A request to move an existing hosted account into the agency's portal (T1)."""

    id: str
    agency_id: str
    hosted_account: str
    admin_email: str
    agency_email: str
    requested_on: date
    expires_on: date
    status: TransferStatus = TransferStatus.PENDING
    decided_on: date | None = None
    version: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TransferRequest) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


@attrs.frozen
class TransferUpdated:
    """A transfer request changed status."""

    request_id: str
    on: date
    before: TransferStatus
    after: TransferStatus


@attrs.frozen
class AccountMovedIn:
    """The hosted account is now in the agency's portal; tell the agency at ``agency_email``."""

    request_id: str
    on: date
    hosted_account: str
    agency_id: str
    agency_email: str


TransferEvent = TransferUpdated | AccountMovedIn

_MOVES: dict[tuple[TransferStatus, str], TransferStatus] = {
    (TransferStatus.PENDING, "confirm"): TransferStatus.CONFIRMED,
    (TransferStatus.PENDING, "reject"): TransferStatus.REJECTED,
    (TransferStatus.PENDING, "expire"): TransferStatus.EXPIRED,
    (TransferStatus.CONFIRMED, "move"): TransferStatus.MOVED,
}


def request_transfer(
    *,
    request_id: str,
    agency_id: str,
    hosted_account: str,
    admin_email: str,
    agency_email: str,
    on: date,
    valid_days: int = 14,
) -> TransferRequest:
    """Open a pending transfer-in request (T1); it expires after ``valid_days`` unanswered.

    Raises:
        InvalidInput: Listing every bad field.
    """
    problems = [
        FieldProblem("hosted_account", p) for p in check_account_name(hosted_account).problems
    ]
    for field, email in (("admin_email", admin_email), ("agency_email", agency_email)):
        if problem := email_problem(email):
            problems.append(FieldProblem(field, problem))
    if problems:
        raise InvalidInput("transfer request", problems)
    return TransferRequest(
        request_id,
        agency_id,
        check_account_name(hosted_account).name,
        admin_email,
        agency_email,
        on,
        on + timedelta(days=valid_days),
    )


def _step(
    request: TransferRequest, action: str, on: date
) -> tuple[TransferRequest, list[TransferEvent]]:
    target = _MOVES.get((request.status, action))
    if target is None:
        raise InvalidTransition(
            f"{request.status.value} transfer",
            action,
            "a request is confirmed or rejected while pending, and moved once confirmed",
        )
    changed = attrs.evolve(request, status=target, decided_on=on)
    return changed, [TransferUpdated(request.id, on, request.status, target)]


def confirm_transfer(
    request: TransferRequest, on: date
) -> tuple[TransferRequest, list[TransferEvent]]:
    """The account's owner confirmed the move.

    Raises:
        InvalidTransition: When the request is not pending, or expired by ``on``.
    """
    if request.status is TransferStatus.PENDING and on >= request.expires_on:
        raise InvalidTransition("expired transfer", "confirm", "ask the agency for a new request")
    return _step(request, "confirm", on)


def reject_transfer(
    request: TransferRequest, on: date
) -> tuple[TransferRequest, list[TransferEvent]]:
    """The account's owner refused the move."""
    return _step(request, "reject", on)


def expire_transfer(
    request: TransferRequest, on: date
) -> tuple[TransferRequest, list[TransferEvent]]:
    """Close a request left unanswered past its expiry day.

    Raises:
        InvalidTransition: When it is not pending or not yet due.
    """
    if on < request.expires_on:
        raise InvalidTransition(
            "pending transfer", "expire", f"it stays open until {request.expires_on}"
        )
    return _step(request, "expire", on)


def move_transfer(
    request: TransferRequest, on: date
) -> tuple[TransferRequest, list[TransferEvent]]:
    """The confirmed account was moved into the portal; the agency is told (event)."""
    changed, events = _step(request, "move", on)
    told = AccountMovedIn(
        request.id, on, request.hosted_account, request.agency_id, request.agency_email
    )
    return changed, [*events, told]


@attrs.frozen
class RemovalRequest:
    """A request for an account to leave the agency's portal (T2); never a deletion."""

    account_id: str
    agency_id: str
    client_email: str
    requested_on: date


def request_removal(
    account: Account, *, agency_id: str, client_email: str, on: date
) -> RemovalRequest:
    """Ask for ``account`` to leave the portal, handed to its client at ``client_email`` (T2).

    Raises:
        NotFound: When the account belongs to another agency.
        InvalidTransition: While the agency's branding is still on the account.
        InvalidInput: When the client email is not an address.
    """
    if account.agency_id != agency_id:
        raise NotFound("account", account.id)
    if account.branding is not None:
        raise InvalidTransition(
            "branded", "request_removal", "remove the agency's branding from the account first"
        )
    if problem := email_problem(client_email):
        raise InvalidInput.one("removal request", "client_email", problem)
    return RemovalRequest(account.id, agency_id, client_email, on)
