"""Opening a resold account from the validated add-account form (A1-A9, TR1)."""

from __future__ import annotations

from datetime import date, timedelta

from resell_core.errors import NotFound
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.lifecycle.snapshots import Snapshot
from resell_core.lifecycle.validation import DataResidency, NewAccount, validate_new_account
from resell_core.pricing.catalog import Catalog

__all__ = ["open_account"]


def open_account(
    new: NewAccount,
    *,
    account_id: str,
    agency_id: str,
    today: date,
    catalog: Catalog | None = None,
    catalog_trial_days: int | None = None,
    snapshot: Snapshot | None = None,
    residency: DataResidency | None = None,
) -> Account:
    """Validate the form and return the new account, in status ``creating``.

    A plan the catalog marks a trial ends its tier's trial length (or
    ``catalog_trial_days``) after ``today`` (TR1): the account records that day, and the
    lifecycle knows a trial from a sandbox by it. A paid plan is purchased ``today`` and
    its first term starts that day. The account's data region comes from its country (A6).

    Args:
        new: The add-account form.
        account_id: The new account's id (from the caller's Ids port).
        agency_id: The agency that resells it.
        today: The day of creation.
        catalog: The price book whose marks say what the plan is (the sample when None).
        catalog_trial_days: The trial's length (its tier's in the catalog when None).
        snapshot: The snapshot named by ``new.snapshot_id``, as loaded by the caller (A1).
        residency: The country -> region table (the default policy when None).

    Raises:
        InvalidInput: Listing every bad field.
        NotFound: When the snapshot is missing or belongs to another agency.
    """
    book = catalog or Catalog.sample()
    valid = validate_new_account(new, catalog=book)
    if valid.snapshot_id is not None and (
        snapshot is None or snapshot.id != valid.snapshot_id or snapshot.agency_id != agency_id
    ):
        raise NotFound("snapshot", valid.snapshot_id)
    paid = valid.plan.is_paid
    trial_ends_on = None
    length = book.trial_length(valid.plan)  # None unless the catalog marks it a trial
    if length is not None:
        trial_ends_on = today + timedelta(days=catalog_trial_days or length)
    return Account(
        id=account_id,
        agency_id=agency_id,
        name=valid.name,
        client_name=valid.client_name,
        notification_email=valid.notification_email,
        country=valid.country,
        region=(residency or DataResidency()).region_for(valid.country),
        language=valid.language,
        timezone=valid.timezone,
        plan=valid.plan,
        created_on=today,
        status=AccountStatus.CREATING,
        kind=valid.kind,
        custom_domain=valid.custom_domain,
        billing_profile_id=valid.billing_profile_id,
        purchased_on=today if paid else None,
        trial_ends_on=trial_ends_on,
        anchor=today if paid else None,
        snapshot_id=valid.snapshot_id,
        migration=valid.migration,
    )
