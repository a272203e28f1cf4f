"""Moving accounts in (T1) and out (T2) of the agency's portal.

Transfer in: a request names the hosted account, its admin email and the agency's email;
it is pending until the account's owner confirms (or rejects), then the account is moved
and the agency is told; a request not answered in time expires. With the account's
details the agency chose (T3: its plan, billing profile and the day its term starts),
:func:`move_in_account` opens the moved account, active at once (it exists already), its
first cycles carrying the catalog's migration discount (A10). Removal: an account leaves
the portal only by a removal request, once the agency's branding is off it; the agency's
billing of it ends with its paid term (:func:`removal_cancellation`). There is no way to
delete a resold account.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

import attrs

from resell_core.errors import FieldProblem, InvalidInput, InvalidTransition, NotFound
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.lifecycle.actions import Cancel
from resell_core.lifecycle.names import check_account_name, email_problem
from resell_core.lifecycle.opening import open_account
from resell_core.lifecycle.validation import DataResidency, NewAccount
from resell_core.pricing.catalog import Catalog

__all__ = [
    "AccountMovedIn",
    "RemovalRequest",
    "TransferRequest",
    "TransferStatus",
    "TransferUpdated",
    "confirm_transfer",
    "expire_transfer",
    "move_in_account",
    "move_transfer",
    "reject_transfer",
    "removal_cancellation",
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
    account_id: str | None = None
    """The account the move opened in the portal (T3), None when the host imports it."""

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


def move_in_account(
    request: TransferRequest,
    new: NewAccount,
    *,
    account_id: str,
    starts_on: date,
    today: date,
    latest_start_days: int,
    catalog: Catalog,
    residency: DataResidency | None = None,
) -> Account:
    """Open the account a confirmed request moves in, with the agency's choices (T3).

    The account is the request's hosted account: ``new`` names it, and gives its
    client's details, the plan and the billing profile the agency chose. It is active at
    once (it exists already: nothing to prepare) and, on a paid plan, its first term
    starts on ``starts_on``, the day the agency's billing of it begins (period 0 is due
    that day). Its first cycles carry the catalog's migration discount, or the smaller
    one ``new`` asks for (A10); a catalog without one gives none.

    Args:
        request: The request, confirmed (or being confirmed) by the account's owner.
        new: The account's details; its name is the hosted account's.
        account_id: The new account's id.
        starts_on: The first day of the agency's first term.
        today: The day of the move.
        latest_start_days: How many days after ``today`` the term may start at the latest.
        catalog: The host's price book.
        residency: The country -> region table (the default policy when None).

    Raises:
        InvalidInput: Listing every bad field: a name other than the hosted account's, a
            snapshot (the account has its content already), a referred kind, a start
            before today or too far ahead, and every problem of the form (A2-A9).
    """
    problems = []
    name = check_account_name(new.name).name
    if name != request.hosted_account:
        problems.append(
            FieldProblem("account.name", f"the account moving in is {request.hosted_account}")
        )
    if new.snapshot_id is not None:
        problems.append(
            FieldProblem("account.snapshot_id", "an account moving in keeps its own content")
        )
    if new.kind is not AccountKind.RESOLD:
        problems.append(FieldProblem("account.kind", "an account moves in to be resold"))
    latest = today + timedelta(days=latest_start_days)
    if not today <= starts_on <= latest:
        problems.append(
            FieldProblem("starts_on", f"give a day from {today} to {latest}, both included")
        )
    if problems:
        raise InvalidInput("transfer confirmation", problems)
    if new.migration is None and catalog.migration_discount.rate:
        new = attrs.evolve(new, migration=catalog.migration_discount)
    opened = open_account(
        new,
        account_id=account_id,
        agency_id=request.agency_id,
        today=today,
        catalog=catalog,
        residency=residency,
    )
    paid = opened.plan.is_paid
    return attrs.evolve(
        opened,
        status=AccountStatus.ACTIVE,
        purchased_on=starts_on if paid else None,
        anchor=starts_on if paid else None,
    )


@attrs.frozen
class RemovalRequest:
    """A request for an account to leave the agency's portal (T2); never a deletion.

    ``billed_through`` is the (exclusive) end of its paid term when asked: the agency's
    billing of it ends there.
    """

    account_id: str
    agency_id: str
    client_email: str
    requested_on: date
    billed_through: date | None = None


def request_removal(
    account: Account, *, agency_id: str, client_email: str, on: date
) -> RemovalRequest:
    """Ask for ``account`` to leave the portal, handed to its client at ``client_email`` (T2).

    Raises:
        NotFound: When the account belongs to another agency.
        InvalidTransition: While the agency's branding is still on the account, or while
            the account is still being prepared.
        InvalidInput: When the client email is not an address.
    """
    if account.agency_id != agency_id:
        raise NotFound("account", account.id)
    if account.branding is not None:
        raise InvalidTransition(
            "branded", "request_removal", "remove the agency's branding from the account first"
        )
    if account.status is AccountStatus.CREATING:
        # Once ready it would start a paid term the removal could no longer stop.
        raise InvalidTransition(
            "creating", "request_removal", "wait until the account is ready, then ask again"
        )
    if problem := email_problem(client_email):
        raise InvalidInput.one("removal request", "client_email", problem)
    return RemovalRequest(account.id, agency_id, client_email, on, account.paid_through)


def removal_cancellation(account: Account, client_email: str) -> Cancel | None:
    """Return how the agency's billing of an account asked out ends (T2): a cancellation,
    so that it is billed through its paid term and no further (R7), its invoices and
    credit history kept; None when nothing is billed any more (cancelled, expired or
    archived)."""
    if account.status not in {AccountStatus.ACTIVE, AccountStatus.DISABLED}:
        return None
    return Cancel(f"removed from the portal, handed to {client_email}")
