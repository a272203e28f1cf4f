"""The one rule for text (E1): what cannot be stored or would disguise a name is refused,
field by field, before anything is stored; and the name, email and domain checks match
the whole text (A2, A3, A5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from resell_core.errors import InvalidInput
from resell_core.lifecycle import (
    Branding,
    Cancel,
    Disable,
    NewAccount,
    check_account_name,
    validate_new_account,
)
from resell_core.lifecycle.names import custom_domain_problem, email_problem, host_name_problem
from resell_core.lifecycle.text import text_problem
from resell_core.pricing.selection import PlanSelection

Form = Callable[..., NewAccount]
PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")

UNSTORABLE = ["\ud800", "north\udfffbakery", "\x00", "North\x00Bakery"]
DISGUISING = [
    "North\u202eyrekab",
    "North\u2066Bakery",
    "North\x1bBakery",
    "North\nBakery",
    "North\u2028Bakery",
]


def _fields(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {p.field for p in error.value.problems}


@pytest.mark.parametrize("text", UNSTORABLE + DISGUISING)
def test_E1_a_line_of_text_refuses_surrogates_nul_controls_and_bidi_overrides(text: str) -> None:
    """Lone surrogates, NUL, control characters and bidi controls in a name are each named."""
    problem = text_problem(text)

    assert problem is not None
    assert "U+" in problem


@pytest.mark.parametrize("text", ["North Bakery", "Bäckerei Nord", "北のパン屋", "Café 'Le Nord'"])
def test_E1_ordinary_text_in_any_script_is_accepted(text: str) -> None:
    """Letters of any script, spaces and punctuation are text."""
    assert text_problem(text) is None


def test_E1_a_message_may_hold_line_breaks_and_tabs_but_no_other_control() -> None:
    """A free-text message keeps its lines; NUL, escapes and bidi controls are still refused."""
    assert text_problem("Please call us.\n\tAcme Digital", lines=True) is None
    assert text_problem("Please call\x00 us", lines=True) is not None
    assert text_problem("Please call\x1b[31m us", lines=True) is not None
    assert text_problem("Please call \u202eus", lines=True) is not None


@pytest.mark.parametrize("text", UNSTORABLE + DISGUISING)
@pytest.mark.parametrize(
    "field",
    [
        "name",
        "client_name",
        "notification_email",
        "country",
        "language",
        "timezone",
        "custom_domain",
        "billing_profile_id",
        "snapshot_id",
    ],
)
def test_E1_every_text_field_of_the_form_is_refused_by_name(
    make_form: Form, field: str, text: str
) -> None:
    """Bad text in any field of the add-account form is reported on that field alone."""
    with pytest.raises(InvalidInput) as error:
        validate_new_account(make_form(PLUS, **{field: text}))

    assert _fields(error) == {field}


def test_E1_a_cancel_reason_and_a_disable_message_refuse_unstorable_text() -> None:
    """A reason or message with NUL, a lone surrogate or a bidi override is refused."""
    for bad in ("moving\x00", "moving \ud800", "moving \u202e"):
        with pytest.raises(InvalidInput) as cancel:
            Cancel(bad)
        with pytest.raises(InvalidInput) as disable:
            Disable(bad)
        assert _fields(cancel) == {"reason"}
        assert _fields(disable) == {"message"}
    assert Disable("Your invoice is overdue.\nCall Acme Digital.").message.count("\n") == 1


@pytest.mark.parametrize("name", ["north-bakery\n", "north\tbakery", "north-bakery\x00"])
def test_A2_an_account_name_with_a_control_character_is_refused(name: str) -> None:
    """A newline, tab or NUL is not a blank to trim away: the name is refused."""
    assert not check_account_name(name).ok


@pytest.mark.parametrize(
    "email", ["ops@acme.test\n", "ops@acme.test\r\n", "ops\n@acme.test", "o\x00ps@acme.test"]
)
def test_A5_an_email_with_a_trailing_newline_or_control_is_refused(email: str) -> None:
    """The whole address is matched: a trailing newline does not slip past the end anchor."""
    assert email_problem(email) is not None


@pytest.mark.parametrize("host", ["mail.north-bakery.test\n", "mail.north-bakery\n.test"])
def test_A3_a_host_name_with_a_newline_is_refused(host: str) -> None:
    """Each label is matched whole: 'test\\n' is not a label."""
    assert host_name_problem(host) is not None


@pytest.mark.parametrize(
    "domain",
    [
        "south-bakery.hosted.example",
        "South-Bakery.Hosted.Example.",
        "hosted.example",
        "a.b.hosted.example",
    ],
)
def test_A3_a_custom_domain_on_the_hosting_domain_is_refused(domain: str) -> None:
    """The hosting domain's names are the platform's account sites, never a custom domain."""
    problem = custom_domain_problem(domain, hosting_domain="hosted.example")

    assert problem is not None
    assert "hosted.example" in problem


def test_A3_a_custom_domain_elsewhere_is_accepted() -> None:
    """The client's own domain, even one that ends like the hosting domain, is fine."""
    assert custom_domain_problem("mail.north-bakery.test", hosting_domain="hosted.example") is None
    assert custom_domain_problem("myhosted.example", hosting_domain="hosted.example") is None


def test_A3_the_form_refuses_a_custom_domain_on_the_hosting_domain(make_form: Form) -> None:
    """validate_new_account given the hosting domain refuses another account's site address."""
    form = make_form(PLUS, custom_domain="south-bakery.hosted.example")

    with pytest.raises(InvalidInput) as error:
        validate_new_account(form, hosting_domain="hosted.example")

    assert _fields(error) == {"custom_domain"}


@pytest.mark.parametrize("colour", ["#0A3D62\n", "#0A3D62\x00", "#0A3D62\u202e"])
def test_BR1_a_colour_with_a_trailing_newline_is_refused(colour: str) -> None:
    """'#0A3D62\\n' is not #RRGGBB: the whole text must match."""
    with pytest.raises(InvalidInput) as error:
        Branding("https://cdn.acme-digital.test/logo.png", colour, "#F8C291", "Bakery News")

    assert _fields(error) == {"primary_colour"}


@pytest.mark.parametrize("name", ["Bakery News\x00", "Bakery\u202eNews", "Bakery\nNews"])
def test_BR1_a_product_name_with_bad_text_is_refused(name: str) -> None:
    """The product name the client sees follows the text rule."""
    with pytest.raises(InvalidInput) as error:
        Branding("https://cdn.acme-digital.test/logo.png", "#0A3D62", "#F8C291", name)

    assert _fields(error) == {"product_name"}
