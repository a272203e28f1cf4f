"""Billing profiles through the portal (B3, B5, B6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import resell_core as rc


def test_B5_profiles_are_added_listed_updated_and_deleted(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A profile goes through the whole B5 cycle."""
    spare = portal.add_billing_profile(
        acme.id,
        label="Spare Mastercard",
        card_token="tok_ok_spare",
        brand="mastercard",
        last4="5454",
        exp_month=3,
        exp_year=2027,
    )
    updated = portal.update_billing_profile(acme.id, spare.id, exp_year=2029)

    assert [p.exp_year for p in portal.billing_profiles(acme.id)] == [2029]
    assert updated.version == spare.version + 1
    portal.delete_billing_profile(acme.id, spare.id)
    assert portal.billing_profiles(acme.id) == []


def test_B3_a_raw_card_number_is_refused_and_nothing_is_stored(
    portal: rc.PartnerPortal, acme: rc.Agency, state: Callable[..., Any]
) -> None:
    """A card number instead of a gateway token is refused; the agency has no new profile."""
    before = state(acme.id)

    with pytest.raises(rc.InvalidInput):
        portal.add_billing_profile(
            acme.id,
            label="Raw",
            card_token="4242 4242 4242 4242",
            brand="visa",
            last4="4242",
            exp_month=1,
            exp_year=2030,
        )

    assert state(acme.id) == before


def test_B5_a_profile_in_use_is_not_deleted_and_the_error_names_the_accounts(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    add_active: Callable[..., rc.Account],
    state: Callable[..., Any],
) -> None:
    """Deleting the card that pays north-bakery raises ProfileInUse listing it."""
    add_active("north-bakery")
    before = state(acme.id)

    with pytest.raises(rc.ProfileInUse) as raised:
        portal.delete_billing_profile(acme.id, card.id)

    assert "north-bakery" in str(raised.value)
    assert state(acme.id) == before


def test_another_agencys_profile_is_not_found(
    portal: rc.PartnerPortal, globex: rc.Agency, card: rc.BillingProfile
) -> None:
    """Globex cannot update or delete Acme's card: it does not exist for Globex."""
    with pytest.raises(rc.NotFound):
        portal.update_billing_profile(globex.id, card.id, label="Mine now")
    with pytest.raises(rc.NotFound):
        portal.delete_billing_profile(globex.id, card.id)


def test_B6_an_account_cannot_be_given_another_agencys_profile(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    globex: rc.Agency,
    add_active: Callable[..., rc.Account],
    state: Callable[..., Any],
) -> None:
    """Edit refuses a profile of another agency (a profile is never created from Edit)."""
    bakery = add_active("north-bakery")
    theirs = portal.add_billing_profile(
        globex.id,
        label="Globex Amex",
        card_token="tok_ok_globex",
        brand="amex",
        last4="0005",
        exp_month=1,
        exp_year=2031,
    )
    before = state(acme.id, globex.id)

    with pytest.raises(rc.NotFound):
        portal.edit_account(acme.id, bakery.id, billing_profile_id=theirs.id)

    assert state(acme.id, globex.id) == before
