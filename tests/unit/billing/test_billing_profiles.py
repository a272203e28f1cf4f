"""Billing profiles: cards as tokens, raw numbers refused, deletion guarded (B3, B5, B6)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from resell_core.billing.profiles import (
    BillingProfile,
    change_account_profile,
    check_deletable,
    deletion_blockers,
    new_profile,
    update_profile,
)
from resell_core.errors import InvalidInput, NotFound, ProfileInUse
from resell_core.lifecycle.account import Account, AccountStatus
from resell_core.pricing.selection import PlanSelection

TODAY = date(2024, 3, 15)
PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")


def _account(name: str, profile_id: str | None, agency_id: str = "ACME-DIGITAL") -> Account:
    return Account(
        id=f"acc-{name}",
        agency_id=agency_id,
        name=name,
        client_name="North Bakery",
        notification_email="billing@acme.test",
        country="US",
        region="us",
        language="en",
        timezone="UTC",
        plan=PLUS,
        created_on=date(2024, 1, 1),
        status=AccountStatus.ACTIVE,
        billing_profile_id=profile_id,
    )


def _profile(**changes: object) -> BillingProfile:
    fields: dict[str, object] = {
        "id": "card-main",
        "agency_id": "ACME-DIGITAL",
        "label": "Main Visa",
        "card_token": "tok_1NvXq2",
        "brand": "Visa",
        "last4": "4242",
        "exp_month": 8,
        "exp_year": 2027,
        "today": TODAY,
    }
    fields.update(changes)
    return new_profile(**fields)  # type: ignore[arg-type]


def test_B3_profile_holds_the_gateway_token_of_an_agency_card() -> None:
    """A profile keeps the agency, token, brand and last four digits, never a number."""
    profile = _profile()
    assert (profile.agency_id, profile.card_token, profile.brand, profile.last4) == (
        "ACME-DIGITAL",
        "tok_1NvXq2",
        "visa",
        "4242",
    )


@pytest.mark.parametrize(
    "token",
    [
        "4242424242424242",
        "4242 4242 4242 4242",
        "4000-0566-5566-5556",
        "tok_4111111111111112x",
        "1234567890123",
    ],
)
def test_B3_raw_card_number_in_token_is_refused(token: str) -> None:
    """13-19 digits in the token, Luhn-valid or not, grouped or not, are refused."""
    with pytest.raises(InvalidInput) as caught:
        _profile(card_token=token)
    assert [p.field for p in caught.value.problems] == ["card_token"]


def test_B3_card_number_in_label_is_refused() -> None:
    """A label that carries a card number is refused too."""
    with pytest.raises(InvalidInput) as caught:
        _profile(label="Visa 4242424242424242")
    assert "label" in [p.field for p in caught.value.problems]


def test_B3_expired_card_is_refused_given_today() -> None:
    """A card that expired before today's month is refused; this month's card is fine."""
    assert _profile(exp_month=3, exp_year=2024).exp_month == 3
    with pytest.raises(InvalidInput) as caught:
        _profile(exp_month=2, exp_year=2024)
    assert [p.field for p in caught.value.problems] == ["exp_year"]


def test_B5_every_bad_field_is_reported_at_once() -> None:
    """Blank label, bad last four and bad month come back together."""
    with pytest.raises(InvalidInput) as caught:
        _profile(label=" ", last4="42", exp_month=13)
    assert {p.field for p in caught.value.problems} == {"label", "last4", "exp_month"}


def test_B5_update_validates_and_keeps_the_version() -> None:
    """An update changes the given fields, keeps the version and refuses bad input."""
    profile = attrs.evolve(_profile(), version=3)
    updated = update_profile(profile, today=TODAY, label="Backup Visa")
    assert (updated.label, updated.version, updated.card_token) == ("Backup Visa", 3, "tok_1NvXq2")
    with pytest.raises(InvalidInput):
        update_profile(profile, today=TODAY, card_token="5555555555554444")


def test_B5_deleting_a_profile_in_use_is_refused_with_the_account_names() -> None:
    """Deletion is refused while accounts use the profile, naming them in order."""
    profile = _profile()
    accounts = [
        _account("south-cafe", "card-main"),
        _account("north-bakery", "card-main"),
        _account("east-florist", "card-other"),
    ]
    assert [a.name for a in deletion_blockers(profile, accounts)] == [
        "north-bakery",
        "south-cafe",
    ]
    with pytest.raises(ProfileInUse) as caught:
        check_deletable(profile, accounts)
    assert caught.value.account_names == ("north-bakery", "south-cafe")
    check_deletable(profile, [_account("east-florist", "card-other")])


def test_B6_account_profile_changes_to_an_existing_profile_of_its_agency() -> None:
    """The account moves to another profile of its agency; another agency's is not found."""
    account = _account("north-bakery", "card-old")
    moved = change_account_profile(account, _profile())
    assert moved.billing_profile_id == "card-main"
    with pytest.raises(NotFound):
        change_account_profile(account, _profile(agency_id="OTHER-AGENCY"))
