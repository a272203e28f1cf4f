"""The accounts overview (O1-O10), personal views (O6) and the audit log.

The query runs in the storage (``AccountRepository.query``; SQL adapters run it in the
database); rows carry the query's columns, the primary action (O9) and the actions the
lifecycle table allows today (O10).
"""

from __future__ import annotations

from resell_core.audit import MAX_EVENTS, AuditEvent
from resell_core.display import Listing
from resell_core.errors import InvalidInput
from resell_core.lifecycle.account_query import (
    AccountQuery,
    OverviewRow,
    Page,
    SavedView,
    check_query,
    overview_rows,
)
from resell_core.lifecycle.account_query import open_view as check_view
from resell_core.ports import UnitOfWork
from resell_core.service.context import Command, Context, Work, read, run_command

__all__ = ["accounts", "delete_view", "events", "open_view", "save_view", "views"]


def accounts(ctx: Context, agency_id: str, query: AccountQuery) -> Page[OverviewRow]:
    """Return one page of the agency's overview (O1-O10).

    Raises:
        NotFound: No such agency.
        InvalidInput: The query names a tier, version or product the catalog lacks (O3).
    """
    check_query(query, ctx.catalog)
    today = ctx.today()

    def answer(uow: UnitOfWork) -> Page[OverviewRow]:
        uow.agencies.get(agency_id)
        return overview_rows(uow.accounts.query(agency_id, query, today), query, today)

    return read(ctx, answer)


def save_view(
    ctx: Context,
    agency_id: str,
    user_id: str,
    name: str,
    query: AccountQuery,
) -> SavedView:
    """Save the user's filters, sort and columns as a named personal view (O6).

    A view of the same name of the same user is replaced, so saving twice is harmless
    (the command needs no idempotency key).

    Raises:
        NotFound: No such portal user in this agency.
        InvalidInput: The name is blank or too long, or the query names a tier, version
            or product the catalog lacks (O3).
    """
    check_query(query, ctx.catalog)

    def body(work: Work) -> SavedView:
        work.uow.users.get(agency_id, user_id)
        replaced = {v.name: v for v in work.uow.views.list(agency_id, user_id)}
        previous = replaced.get(name.strip())
        view = SavedView(
            previous.id if previous else work.new_id("view"), agency_id, user_id, name, query
        )
        work.uow.views.save(view)
        work.audit("view_saved", view.id, after=view.name)
        return view

    command = Command("save_view", agency_id, {"user_id": user_id, "name": name}, user_id)
    return run_command(ctx, command, body, SavedView)


def views(ctx: Context, agency_id: str, user_id: str) -> Listing[SavedView]:
    """Return the user's own views, by name (O6); nobody else's are ever listed.

    Raises:
        NotFound: No such portal user in this agency.
    """

    def answer(uow: UnitOfWork) -> list[SavedView]:
        uow.users.get(agency_id, user_id)
        return uow.views.list(agency_id, user_id)

    return Listing(read(ctx, answer), "Saved views")


def open_view(ctx: Context, agency_id: str, user_id: str, name: str) -> SavedView:
    """Return the user's view of that name, to run its query (O6).

    Raises:
        NotFound: The user has no such view (another user's view is never found).
    """

    def answer(uow: UnitOfWork) -> SavedView:
        uow.users.get(agency_id, user_id)
        view = uow.views.get(agency_id, user_id, name.strip())
        return check_view(view, agency_id=agency_id, user_id=user_id)

    return read(ctx, answer)


def delete_view(ctx: Context, agency_id: str, user_id: str, name: str) -> None:
    """Delete the user's view of that name (O6).

    Raises:
        NotFound: The user has no such view.
    """

    def body(work: Work) -> None:
        view = work.uow.views.get(agency_id, user_id, name.strip())
        work.uow.views.remove(agency_id, user_id, view.name)
        work.audit("view_deleted", view.id, before=view.name)

    command = Command("delete_view", agency_id, {"user_id": user_id, "name": name}, user_id)
    run_command(ctx, command, body, None)


def events(
    ctx: Context, agency_id: str, subject: str | None = None, limit: int | None = None
) -> Listing[AuditEvent]:
    """Return the agency's audit log in the order recorded (only ``subject``'s when given).

    Raises:
        NotFound: No such agency.
        InvalidInput: A ``limit`` outside 1 to 10,000.
    """
    if limit is not None and not 1 <= limit <= MAX_EVENTS:
        raise InvalidInput.one("audit log", "limit", f"read 1 to {MAX_EVENTS} entries at a time")

    def answer(uow: UnitOfWork) -> list[AuditEvent]:
        uow.agencies.get(agency_id)
        return uow.events.list(agency_id, subject=subject, limit=limit)

    return Listing(read(ctx, answer), "Audit log")
