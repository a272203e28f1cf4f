"""What the hostile-input suite found last: each a coded refusal that changes nothing (E1)."""

from __future__ import annotations

import pytest

import resell_core as rc
from resell_core.lifecycle.credentials import ScryptPolicy, hash_password
from resell_core.testing.portal import sample_agency, sample_card

from .conftest import AddActive, NewPortal, State

SALT = b"0123456789abcdef"


@pytest.mark.parametrize(
    "password", ["a" * 1025, "north-bakery-\ud800", "north-bakery-\x00", "north\u202ebakery"]
)
def test_E1_a_password_too_long_or_not_storable_text_is_refused(password: str) -> None:
    """A new password past 1024 characters, or holding a character no text field may hold,
    is refused before any hash work."""
    with pytest.raises(rc.InvalidInput) as raised:
        hash_password(password, salt=SALT, policy=ScryptPolicy.fast())

    assert [p.field for p in raised.value.problems] == ["password"]


def test_E1_a_reset_token_holding_a_lone_surrogate_is_refused_by_name(
    portal: rc.PartnerPortal,
) -> None:
    """A token no storage could hold is refused before it is hashed (it cannot be)."""
    with pytest.raises(rc.InvalidInput) as raised:
        portal.complete_password_reset("reset-\ud800", "a-new-long-password")

    assert [p.field for p in raised.value.problems] == ["token"]


@pytest.mark.parametrize("label", ["spring\x00", "spring\u202e", "spring\ud800"])
def test_E1_a_snapshot_label_with_unstorable_or_disguising_text_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, add_active: AddActive, state: State, label: str
) -> None:
    """A snapshot's label follows the text rule of every stored field."""
    account = add_active()
    before = state(acme.id)

    with pytest.raises(rc.InvalidInput):
        portal.create_snapshot(acme.id, account.id, label)

    assert state(acme.id) == before


@pytest.mark.parametrize("quantity", ["10\n", " 10", "10 ", "1_0"])
def test_E1_a_credit_quantity_written_with_anything_around_it_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, card: rc.BillingProfile, quantity: str
) -> None:
    """A quantity given as text is a plain number and nothing else."""
    with pytest.raises(rc.InvalidInput) as raised:
        portal.buy_credits(acme.id, "sms", quantity, card.id)

    assert [p.field for p in raised.value.problems] == ["quantity"]
    assert portal.invoices(acme.id) == []


def test_E1_an_id_holding_a_lone_surrogate_is_refused_on_sql_storage(
    new_portal: NewPortal,
) -> None:
    """SQL storage cannot encode a lone surrogate: the portal refuses it by name first (on
    every adapter alike)."""
    portal = new_portal()
    acme = sample_agency(portal)
    sample_card(portal, acme.id)

    with pytest.raises(rc.InvalidInput) as raised:
        portal.account(acme.id, "account-\ud800")

    assert [p.field for p in raised.value.problems] == ["account_id"]
