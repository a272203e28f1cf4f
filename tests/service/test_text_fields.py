"""The portal's names and labels follow the one text rule (E1): a control character, NUL, a
lone surrogate or a bidi override is refused on the field, and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import resell_core as rc
from resell_core.testing.hostile import snapshot

BAD = ["Acme\u202eDigital", "Acme\x00Digital", "Acme\ud800", "Acme\nDigital"]


def _refused(portal: rc.PartnerPortal, command: Callable[[], Any]) -> set[str]:
    before = snapshot(portal)
    with pytest.raises(rc.InvalidInput) as error:
        command()
    assert snapshot(portal) == before
    return {problem.field for problem in error.value.problems}


@pytest.mark.parametrize("text", BAD)
def test_E1_an_agency_name_with_bad_text_is_refused(portal: rc.PartnerPortal, text: str) -> None:
    """register_agency refuses the name and stores no agency."""
    fields = _refused(portal, lambda: portal.register_agency(text, "ops@acme.test", "USD"))

    assert fields == {"name"}


@pytest.mark.parametrize("text", BAD)
def test_E1_a_portal_user_name_with_bad_text_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, text: str
) -> None:
    """add_portal_user refuses the name and stores no user."""
    fields = _refused(portal, lambda: portal.add_portal_user(acme.id, "ada@acme.test", text))

    assert fields == {"name"}


@pytest.mark.parametrize("field", ["label", "card_token", "brand"])
@pytest.mark.parametrize("text", BAD)
def test_E1_a_card_label_token_or_brand_with_bad_text_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, field: str, text: str
) -> None:
    """add_billing_profile refuses the field and stores no card."""
    card: dict[str, Any] = {
        "label": "Main Visa",
        "card_token": "tok_ok",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
    }
    card[field] = text

    fields = _refused(portal, lambda: portal.add_billing_profile(acme.id, **card))

    assert fields == {field}


@pytest.mark.parametrize("text", BAD)
def test_E1_a_saved_view_name_with_bad_text_is_refused(
    portal: rc.PartnerPortal, acme: rc.Agency, text: str
) -> None:
    """save_view refuses the name and stores no view."""
    ada = portal.add_portal_user(acme.id, "ada@acme.test", "Ada")

    fields = _refused(portal, lambda: portal.save_view(acme.id, ada.id, text, rc.AccountQuery()))

    assert fields == {"name"}
