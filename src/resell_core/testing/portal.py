"""Sample agencies on a portal, for tests of services built on :class:`PartnerPortal`.

The library's own service and agency-API tests start from these, and a host's tests can
too: ACME-DIGITAL (a reseller with a 20 % discount) and its card that always succeeds,
Globex (another agency, which must never see ACME's accounts), and a capture of what the
storage holds, to prove that a failed command changed nothing.

Example:
    >>> portal = sample_portal()
    >>> acme = sample_agency(portal)
    >>> card = sample_card(portal, acme.id)
    >>> before = stored_state(portal, acme.id)
    >>> stored_state(portal, acme.id) == before
    True
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from resell_core.agency import Agency
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement, account_wallet
from resell_core.billing.profiles import BillingProfile
from resell_core.lifecycle.validation import NewAccount
from resell_core.ports import Storage
from resell_core.pricing.selection import PlanSelection
from resell_core.service.portal import PartnerPortal

__all__ = [
    "SAMPLE_PLUS",
    "SAMPLE_START",
    "bakery_form",
    "earmark_movement",
    "other_agency",
    "sample_agency",
    "sample_card",
    "sample_portal",
    "stored_state",
]

SAMPLE_START = date(2024, 4, 11)
"""The day the sample portal's clock shows (at 09:00 UTC)."""

SAMPLE_PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
"""The sample accounts' plan: marketing plus, 2,500 contacts, monthly."""


def bakery_form(
    name: str = "north-bakery",
    plan: PlanSelection = SAMPLE_PLUS,
    profile_id: str | None = None,
    **changes: Any,
) -> NewAccount:
    """The add-account form of a German bakery (ACME's client), with the given changes."""
    fields: dict[str, Any] = {
        "name": name,
        "client_name": "North Bakery",
        "notification_email": "bakery@acme.test",
        "country": "DE",
        "language": "de",
        "timezone": "Europe/Berlin",
        "plan": plan,
        "billing_profile_id": profile_id,
    }
    return NewAccount(**{**fields, **changes})


def earmark_movement(
    agency_id: str, account_id: str, amount: Decimal, *, name: str = "north-bakery"
) -> Movement:
    """Prepaid credit bought from outside for one account of the agency (C3: the account's
    invoices spend it before the pool and the card), on the sample portal's day."""
    return Movement(
        "movement-earmark",
        agency_id,
        CreditKind.PREPAID,
        amount,
        OUTSIDE,
        account_wallet(account_id),
        SAMPLE_START,
        f"prepaid bought for {name}",
    )


def sample_portal(start: date = SAMPLE_START, *, storage: Storage | None = None) -> PartnerPortal:
    """Return an embedded portal (manual clock) whose clock shows ``start``, on the empty
    ``storage`` given (a fresh :class:`~resell_core.adapters.memory.MemoryStorage` when
    None)."""
    return PartnerPortal.embedded(start=start, storage=storage)


def sample_agency(portal: PartnerPortal) -> Agency:
    """Register ACME-DIGITAL: Acme Digital, USD, a 20 % reseller discount."""
    return portal.register_agency(
        "Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2", referral_code="ACME-DIGITAL"
    )


def sample_card(
    portal: PartnerPortal,
    agency_id: str,
    *,
    label: str = "Main Visa",
    card_token: str = "tok_ok",
) -> BillingProfile:
    """Add a Visa card to the agency: its Main Visa, a simulated card that always succeeds,
    unless another ``label`` and ``card_token`` (``"tok_decline"``…) are given."""
    return portal.add_billing_profile(
        agency_id,
        label=label,
        card_token=card_token,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )


def other_agency(portal: PartnerPortal) -> Agency:
    """Register Globex, another agency (for tenancy tests)."""
    return portal.register_agency("Globex", "ops@globex.test", "USD")


def stored_state(portal: PartnerPortal, *agency_ids: str) -> list[tuple[Any, ...]]:
    """Return everything the storage holds for the agencies, comparable by value.

    The agency, its accounts, billing profiles, invoices, audit events, transfers and
    credit movements and credit notes, in that order, one tuple per agency.
    """
    state = []
    with portal.storage.unit_of_work() as uow:
        for agency_id in agency_ids:
            state.append(
                (
                    attrs.asdict(uow.agencies.get(agency_id)),
                    [attrs.asdict(a) for a in uow.accounts.of_agency(agency_id, limit=1000)],
                    [attrs.asdict(p) for p in uow.profiles.list(agency_id)],
                    [attrs.asdict(i) for i in uow.invoices.list(agency_id)],
                    uow.events.list(agency_id),
                    uow.transfers.list(agency_id),
                    uow.ledger.movements(agency_id),
                    uow.credit_notes.list(agency_id),
                )
            )
    return state
