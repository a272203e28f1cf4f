"""Bad arguments of the portal's commands are refused with a coded error naming the field
(E1): wrong Python types, and values of the right type at the edges (2**63, the
calendar's first and last days)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

import resell_core as rc
from resell_core.testing.portal import sample_agency, sample_card

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")


def _fields(error: rc.InvalidInput) -> list[str]:
    return [problem.field for problem in error.problems]


def _refused(call: Callable[[], object]) -> rc.InvalidInput:
    with pytest.raises(rc.InvalidInput) as caught:
        call()
    return caught.value


def _bakery(**changes: Any) -> rc.NewAccount:
    fields: dict[str, Any] = {
        "name": "north-bakery",
        "client_name": "North Bakery",
        "notification_email": "bakery@acme.test",
        "country": "DE",
        "language": "de",
        "timezone": "Europe/Berlin",
        "plan": PLUS,
        "billing_profile_id": "card-1",
    }
    return rc.NewAccount(**{**fields, **changes})


# -- wrong Python types, at the facade ----------------------------------------------------


def test_E1_none_where_text_is_expected_names_the_field(portal: rc.PartnerPortal) -> None:
    """register_agency(name=None) is invalid input on "name", not a raw AttributeError."""
    error = _refused(lambda: portal.register_agency(None, "ops@acme.test", "USD"))  # type: ignore[arg-type]

    assert _fields(error) == ["name"]
    assert "give text" in error.message


def test_E1_every_wrongly_typed_argument_is_listed_at_once(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A card with an int label, a text month and a float year lists the three fields."""
    error = _refused(
        lambda: portal.add_billing_profile(
            acme.id,
            label=5,  # type: ignore[arg-type]
            card_token="tok_ok",
            brand="visa",
            last4="4242",
            exp_month="12",  # type: ignore[arg-type]
            exp_year=2030.0,  # type: ignore[arg-type]
        )
    )

    assert _fields(error) == ["label", "exp_month", "exp_year"]


def test_E1_a_bool_is_not_a_whole_number(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """exp_month=True is refused: True is an int to Python, not a month to a card."""
    error = _refused(
        lambda: portal.add_billing_profile(
            acme.id,
            label="Main Visa",
            card_token="tok_ok",
            brand="visa",
            last4="4242",
            exp_month=True,
            exp_year=2030,
        )
    )

    assert _fields(error) == ["exp_month"]


def test_E1_a_datetime_is_not_a_date(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """commission_statement(month=a datetime) is refused: a month is a date."""
    moment = datetime(2024, 3, 1, 12, tzinfo=UTC)

    error = _refused(lambda: portal.commission_statement(acme.id, moment))

    assert _fields(error) == ["month"]


def test_E1_a_bad_field_of_the_form_is_named_by_its_path(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A form whose client name is None and whose country is 49 names new.client_name and
    new.country."""
    form = _bakery(client_name=None, country=49)

    error = _refused(lambda: portal.add_account(acme.id, form))

    assert _fields(error) == ["new.client_name", "new.country"]


def test_E1_a_wrongly_typed_argument_changes_nothing(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """A refused buy_credits with a quantity of None charges nothing and records nothing."""
    card = sample_card(portal, acme.id)
    before = len(portal.events(acme.id))

    error = _refused(lambda: portal.buy_credits(acme.id, "prepaid", None, card.id))  # type: ignore[arg-type]

    assert _fields(error) == ["quantity"]
    assert len(portal.events(acme.id)) == before
    assert portal.invoices(acme.id) == []


def test_E1_an_int_sso_duration_is_refused(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """login_as(valid_for=2**63) is invalid input on valid_for, not a raw TypeError."""
    error = _refused(lambda: portal.login_as(acme.id, "account-1", valid_for=2**63))  # type: ignore[arg-type]

    assert _fields(error) == ["valid_for"]


# -- input classes built by the caller -----------------------------------------------------


def test_E1_branding_without_a_primary_colour_is_invalid_input() -> None:
    """Branding(primary_colour=None) lists primary_colour, not a raw TypeError."""
    error = _refused(lambda: rc.Branding("https://cdn.acme.test/logo.png", None, "#FFFFFF", "Acme"))  # type: ignore[arg-type]

    assert _fields(error) == ["primary_colour"]


def test_E1_branding_of_an_unknown_mode_is_invalid_input() -> None:
    """Branding(mode="glossy") lists mode with the modes allowed, not a raw ValueError."""
    error = _refused(
        lambda: rc.Branding(
            "https://cdn.acme.test/logo.png", "#0A3D62", "#FFFFFF", "Acme", "glossy"
        )
    )

    assert _fields(error) == ["mode"]
    assert error.problems[0].allowed == ("branded", "private")


def test_E1_plan_selection_with_limits_of_none_is_invalid_input() -> None:
    """PlanSelection(tier=3, limits=None, addons=5) lists the three, not a raw TypeError."""
    error = _refused(
        lambda: rc.PlanSelection("V3", "marketing", 3, 2500, "monthly", None, 5)  # type: ignore[arg-type]
    )

    assert _fields(error) == ["tier", "limits", "addons"]


def test_E1_account_query_with_filters_none_is_invalid_input() -> None:
    """AccountQuery(filters=None) lists filters, not a raw TypeError."""
    error = _refused(lambda: rc.AccountQuery(filters=None))  # type: ignore[arg-type]

    assert _fields(error) == ["filters"]


# -- values of the right type at the edges --------------------------------------------------


@pytest.fixture
def any_portal(portal: rc.PartnerPortal) -> rc.PartnerPortal:
    """The sample portal, on each adapter."""
    return portal


def test_E1_a_filter_number_of_2_63_is_refused_on_every_adapter(
    any_portal: rc.PartnerPortal,
) -> None:
    """contacts = 2**63 is refused when the query is built, before any adapter sees it."""
    error = _refused(lambda: rc.AccountQuery(filters=[("contacts", "eq", 2**63)]))

    assert _fields(error) == ["filters[0].value"]


def test_E1_a_cursor_holding_2_63_is_refused_on_every_adapter(
    any_portal: rc.PartnerPortal,
) -> None:
    """A forged cursor whose contacts value is 2**63 is refused like any other bad cursor."""
    acme = sample_agency(any_portal)
    payload = {"sort": ["contacts"], "values": [2**63], "id": "account-1"}
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    error = _refused(
        lambda: any_portal.accounts(acme.id, rc.AccountQuery(sort="contacts", cursor=cursor))
    )

    assert _fields(error) == ["cursor"]


@pytest.mark.parametrize("month", [date(1, 1, 1), date(9999, 12, 31)])
def test_E1_commission_months_at_the_calendars_edges_are_refused(
    any_portal: rc.PartnerPortal, month: date
) -> None:
    """The statement and the payout run of 0001-01 or 9999-12 are invalid input on month."""
    acme = sample_agency(any_portal)

    statement = _refused(lambda: any_portal.commission_statement(acme.id, month))
    payout = _refused(lambda: any_portal.pay_commissions(month))

    assert _fields(statement) == _fields(payout) == ["month"]


def test_E1_commissions_of_a_month_not_begun_are_refused(any_portal: rc.PartnerPortal) -> None:
    """On 11 April 2024, May's payout and June's statement are refused; April's run is not."""
    acme = sample_agency(any_portal)

    statement = _refused(lambda: any_portal.commission_statement(acme.id, date(2024, 6, 1)))
    payout = _refused(lambda: any_portal.pay_commissions(date(2024, 5, 1)))

    assert _fields(statement) == _fields(payout) == ["month"]
    assert any_portal.pay_commissions(date(2024, 4, 30)).errors == ()
