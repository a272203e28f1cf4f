"""Agencies with many accounts due on one day, stored directly (no portal calls) so that
seeding thousands is quick."""

from __future__ import annotations

from datetime import date

import attrs

from resell_core.ports import Storage
from resell_core.testing.contracts.samples import a_profile, an_account, an_agency

BILLING_DAY = date(2024, 4, 1)
"""The day every seeded account's second monthly period starts (anchored on 1 March)."""

AGENCIES = ("agency-acme", "agency-globex", "agency-initech", "agency-umbrella", "agency-hooli")


def seed_due_accounts(storage: Storage, count: int, agencies: tuple[str, ...] = AGENCIES) -> None:
    """Store ``count`` monthly accounts, round-robin over the agencies, all due on
    :data:`BILLING_DAY`, each paid by its agency's card (``tok_ok``)."""
    with storage.unit_of_work() as uow:
        for agency_id in agencies:
            uow.agencies.add(an_agency(agency_id))
            uow.profiles.add(a_profile(f"profile-{agency_id}", agency_id))
        uow.commit()
    batch = 500
    for start in range(0, count, batch):
        with storage.unit_of_work() as uow:
            for number in range(start, min(start + batch, count)):
                agency_id = agencies[number % len(agencies)]
                account = an_account(
                    f"account-{number:05d}",
                    agency_id,
                    f"shop-{number:05d}",
                    anchor=date(2024, 3, 1),
                    next_period=1,
                )
                uow.accounts.add(attrs.evolve(account, billing_profile_id=f"profile-{agency_id}"))
            uow.commit()
