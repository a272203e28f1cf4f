"""Snapshots of the agency's own accounts (A1) and campaign-template share requests (R6).

The library only records these; the hosted product copies the data.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from resell_core.errors import FieldProblem, InvalidInput, InvalidTransition, NotFound, quoted
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.text import text_problem

__all__ = ["Snapshot", "TemplateShareRequest", "request_template_share", "take_snapshot"]

_MAX_LABEL = 80


@attrs.frozen
class Snapshot:
    """A template of an existing account of the agency, to create new accounts from (A1)."""

    id: str
    agency_id: str
    source_account_id: str
    label: str
    taken_on: date


def take_snapshot(
    account: Account, *, agency_id: str, snapshot_id: str, label: str, on: date
) -> Snapshot:
    """Record a snapshot of one of the agency's own accounts.

    Raises:
        NotFound: When the account belongs to another agency (it does not exist for this one).
        InvalidInput: When the label is blank, longer than 80 characters or holds a
            character that cannot be stored (see :mod:`resell_core.lifecycle.text`).
    """
    if account.agency_id != agency_id:
        raise NotFound("account", account.id)
    if not label.strip():
        raise InvalidInput.one("snapshot", "label", "name the snapshot")
    if (problem := text_problem(label)) is not None:
        raise InvalidInput.one("snapshot", "label", problem)
    if len(label) > _MAX_LABEL:
        raise InvalidInput.one(
            "snapshot", "label", f"keep the label within {_MAX_LABEL} characters"
        )
    return Snapshot(snapshot_id, agency_id, account.id, label.strip(), on)


@attrs.frozen
class TemplateShareRequest:
    """A request to copy a campaign template into a resold account by its share link (R6)."""

    id: str
    agency_id: str
    account_id: str
    share_link: str
    requested_at: datetime


def request_template_share(
    account: Account, *, agency_id: str, request_id: str, share_link: str, at: datetime
) -> TemplateShareRequest:
    """Record the request to share a campaign template into ``account`` (R6).

    Raises:
        NotFound: When the account belongs to another agency.
        InvalidInput: When the link is not an https address or ``at`` has no time zone.
        InvalidTransition: When the account is archived (it has no live data to copy into).
    """
    if account.agency_id != agency_id:
        raise NotFound("account", account.id)
    problems: list[FieldProblem] = []
    if not share_link.startswith("https://") or len(share_link) <= len("https://"):
        problems.append(FieldProblem("share_link", f"{quoted(share_link)} is not an https link"))
    if at.tzinfo is None:
        problems.append(FieldProblem("at", "give a datetime with its time zone"))
    if problems:
        raise InvalidInput("template share request", problems)
    if account.status is AccountStatus.ARCHIVED:
        raise InvalidTransition("archived", "share_template", "renew the account first")
    return TemplateShareRequest(request_id, agency_id, account.id, share_link, at)
