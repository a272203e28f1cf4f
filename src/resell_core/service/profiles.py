"""Billing profiles of an agency: listed, added, updated and deleted (B3, B5)."""

from __future__ import annotations

from resell_core.billing.profiles import (
    BillingProfile,
    check_deletable,
    new_profile,
    update_profile,
)
from resell_core.display import Listing
from resell_core.lifecycle.account import Account
from resell_core.ports import UnitOfWork
from resell_core.service.context import Command, Context, Work, read, run_command

__all__ = [
    "accounts_of",
    "add_billing_profile",
    "billing_profiles",
    "delete_billing_profile",
    "update_billing_profile",
]

_PAGE = 500


def accounts_of(uow: UnitOfWork, agency_id: str) -> list[Account]:
    """Return every account of the agency, reading in pages."""
    found: list[Account] = []
    after: str | None = None
    while page := uow.accounts.of_agency(agency_id, after_id=after, limit=_PAGE):
        found.extend(page)
        after = page[-1].id
    return found


def _describe(profile: BillingProfile) -> str:
    expiry = f"{profile.exp_month:02d}/{profile.exp_year}"
    return f"{profile.label} ({profile.brand} ****{profile.last4} {expiry})"


def add_billing_profile(
    ctx: Context,
    agency_id: str,
    *,
    label: str,
    card_token: str,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    actor: str,
    idempotency_key: str | None,
) -> BillingProfile:
    """Add a card to the agency (B3, B5); only the gateway's token is kept.

    Raises:
        NotFound: No such agency.
        InvalidInput: Listing every bad field (a raw card number, an expired card…).
        DuplicateName: The agency has a profile with this label.
    """

    def body(work: Work) -> BillingProfile:
        work.uow.agencies.get(agency_id)
        profile = new_profile(
            id=work.new_id("profile"),
            agency_id=agency_id,
            label=label,
            card_token=card_token,
            brand=brand,
            last4=last4,
            exp_month=exp_month,
            exp_year=exp_year,
            today=work.today,
        )
        work.uow.profiles.add(profile)
        work.audit("billing_profile_added", profile.id, after=_describe(profile))
        return profile

    params = {
        "label": label,
        "card_token": card_token,
        "brand": brand,
        "last4": last4,
        "exp_month": exp_month,
        "exp_year": exp_year,
    }
    command = Command("add_billing_profile", agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, BillingProfile)


def update_billing_profile(
    ctx: Context,
    agency_id: str,
    profile_id: str,
    *,
    label: str | None,
    card_token: str | None,
    brand: str | None,
    last4: str | None,
    exp_month: int | None,
    exp_year: int | None,
    actor: str,
    idempotency_key: str | None,
) -> BillingProfile:
    """Change fields of a profile (B5), validated as a whole.

    Raises:
        NotFound: No such profile in this agency.
        InvalidInput: Listing every bad field.
        DuplicateName: The new label is taken in the agency.
    """

    def body(work: Work) -> BillingProfile:
        current = work.uow.profiles.get(agency_id, profile_id)
        changed = update_profile(
            current,
            today=work.today,
            label=label,
            card_token=card_token,
            brand=brand,
            last4=last4,
            exp_month=exp_month,
            exp_year=exp_year,
        )
        stored = work.uow.profiles.update(changed)
        work.audit(
            "billing_profile_updated",
            profile_id,
            before=_describe(current),
            after=_describe(stored),
        )
        return stored

    params = {
        "profile_id": profile_id,
        "label": label,
        "card_token": card_token,
        "brand": brand,
        "last4": last4,
        "exp_month": exp_month,
        "exp_year": exp_year,
    }
    command = Command("update_billing_profile", agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, BillingProfile)


def billing_profiles(ctx: Context, agency_id: str) -> Listing[BillingProfile]:
    """Return the agency's profiles by id (B5).

    Raises:
        NotFound: No such agency.
    """

    def query(uow: UnitOfWork) -> list[BillingProfile]:
        uow.agencies.get(agency_id)
        return uow.profiles.list(agency_id)

    return Listing(read(ctx, query), "Billing profiles")


def delete_billing_profile(
    ctx: Context, agency_id: str, profile_id: str, *, actor: str, idempotency_key: str | None
) -> None:
    """Delete a profile no account uses (B5).

    Raises:
        NotFound: No such profile in this agency.
        ProfileInUse: Accounts still use it; the error lists their names (change their
            profile first, B6).
    """

    def body(work: Work) -> None:
        profile = work.uow.profiles.get(agency_id, profile_id)
        check_deletable(profile, accounts_of(work.uow, agency_id))
        work.uow.profiles.remove(agency_id, profile_id)
        work.audit("billing_profile_deleted", profile_id, before=_describe(profile))

    command = Command(
        "delete_billing_profile", agency_id, {"profile_id": profile_id}, actor, idempotency_key
    )
    run_command(ctx, command, body, None)
