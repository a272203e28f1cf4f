"""Adding a resold account: the form's checks, the name check and the opened account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from resell_core.errors import InvalidInput, NotFound
from resell_core.lifecycle import (
    AccountStatus,
    DataResidency,
    NewAccount,
    Snapshot,
    check_account_name,
    open_account,
    take_snapshot,
)
from resell_core.lifecycle.account import Account
from resell_core.pricing.selection import PlanSelection

Form = Callable[..., NewAccount]
PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
TRIAL = PlanSelection("V1", "EM", "trial")
TODAY = date(2024, 3, 10)


def _open(new: NewAccount, snapshot: Snapshot | None = None) -> Account:
    return open_account(
        new, account_id="acc-7", agency_id="ACME-DIGITAL", today=TODAY, snapshot=snapshot
    )


def _fields(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {p.field for p in error.value.problems}


def test_A2_name_check_accepts_a_dns_label_and_normalises_it() -> None:
    """A well-formed name passes, lower-cased and trimmed."""
    check = check_account_name("  North-Bakery2 ")

    assert check.ok
    assert check.name == "north-bakery2"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "1 to 63"),
        ("a" * 64, "1 to 63"),
        ("north_bakery", "a-z"),
        ("-north", "hyphen"),
        ("bakery-", "hyphen"),
        ("bäckerei", "a-z"),
        ("www", "reserved"),
        ("admin", "reserved"),
        ("api", "reserved"),
    ],
)
def test_A2_name_check_refuses_bad_or_reserved_names(name: str, fragment: str) -> None:
    """Too long, bad characters, edge hyphens and reserved names are each named."""
    check = check_account_name(name)

    assert not check.ok
    assert any(fragment in p for p in check.problems)


def test_A2_opened_account_carries_the_normalised_name(make_form: Form) -> None:
    """The account's site address is the checked, lower-cased name."""
    account = _open(make_form(PLUS, name="North-Bakery"))

    assert account.name == "north-bakery"


def test_A2_form_reports_every_bad_field_at_once(make_form: Form) -> None:
    """One error lists the name, domain, email, country, language and time zone problems."""
    bad = make_form(
        PLUS,
        name="www",
        custom_domain="nodot",
        notification_email="ops-at-acme",
        country="XX",
        language="zz_ZZ",
        timezone="Mars/Olympus",
        client_name="",
    )

    with pytest.raises(InvalidInput) as error:
        _open(bad)

    assert _fields(error) == {
        "name",
        "custom_domain",
        "notification_email",
        "country",
        "language",
        "timezone",
        "client_name",
    }


def test_A3_custom_domain_is_kept_lower_case(make_form: Form) -> None:
    """A valid custom domain is stored as a lower-case host name."""
    account = _open(make_form(PLUS, custom_domain="Mail.North-Bakery.TEST"))

    assert account.custom_domain == "mail.north-bakery.test"


@pytest.mark.parametrize("domain", ["north-bakery", "-x.test", "mail..test", "mail.test.123"])
def test_A3_bad_custom_domain_is_refused(make_form: Form, domain: str) -> None:
    """A domain that is not a host name is refused."""
    with pytest.raises(InvalidInput) as error:
        _open(make_form(PLUS, custom_domain=domain))

    assert _fields(error) == {"custom_domain"}


def test_A4_client_name_is_trimmed(make_form: Form) -> None:
    """The client's name is kept without surrounding blanks."""
    account = _open(make_form(PLUS, client_name="  North Bakery GmbH "))

    assert account.client_name == "North Bakery GmbH"


@pytest.mark.parametrize("email", ["ops", "@acme.test", "ops@acme", "o ps@acme.test"])
def test_A5_notification_email_must_be_an_address(make_form: Form, email: str) -> None:
    """A notification email that is not an address is refused."""
    with pytest.raises(InvalidInput) as error:
        _open(make_form(PLUS, notification_email=email))

    assert _fields(error) == {"notification_email"}


@pytest.mark.parametrize(
    ("country", "region"),
    [("DE", "eu"), ("no", "eu"), ("US", "us"), ("CA", "us"), ("NZ", "au"), ("JP", "us")],
)
def test_A6_country_decides_the_data_region(make_form: Form, country: str, region: str) -> None:
    """EU/EEA go to eu, US/CA to us, AU/NZ to au, the rest to the default region."""
    account = _open(make_form(PLUS, country=country))

    assert (account.country, account.region) == (country.upper(), region)


def test_A6_region_table_is_a_policy() -> None:
    """A host may change the table and the default region."""
    policy = DataResidency({"CH": "ch"}, default_region="eu")

    assert (policy.region_for("ch"), policy.region_for("US")) == ("ch", "eu")


def test_A7_language_is_a_locale_babel_knows(make_form: Form) -> None:
    """pt-br is accepted in babel's spelling; an unknown locale is refused."""
    account = _open(make_form(PLUS, language="pt-br"))

    assert account.language == "pt_BR"
    with pytest.raises(InvalidInput):
        _open(make_form(PLUS, language="klingon"))


def test_A8_time_zone_is_an_iana_zone(make_form: Form) -> None:
    """An IANA zone is kept; a made-up one is refused."""
    account = _open(make_form(PLUS, timezone="America/Toronto"))

    assert account.timezone == "America/Toronto"
    with pytest.raises(InvalidInput):
        _open(make_form(PLUS, timezone="Europe/Atlantis"))


def test_A1_account_is_created_from_the_agency_snapshot(make_form: Form, paid: Account) -> None:
    """A snapshot of the agency's own account seeds the new account."""
    snapshot = take_snapshot(
        paid, agency_id="ACME-DIGITAL", snapshot_id="snap-1", label="Bakery template", on=TODAY
    )

    account = _open(make_form(PLUS, name="rose-florist", snapshot_id="snap-1"), snapshot)

    assert account.snapshot_id == "snap-1"
    assert snapshot.source_account_id == paid.id


def test_A1_snapshot_of_another_agency_is_not_found(make_form: Form) -> None:
    """Another agency's snapshot behaves as if it did not exist."""
    theirs = Snapshot("snap-9", "OTHER-AGENCY", "acc-9", "Their template", TODAY)

    with pytest.raises(NotFound):
        _open(make_form(PLUS, snapshot_id="snap-9"), theirs)


def test_A1_snapshot_only_of_the_agency_own_accounts(paid: Account) -> None:
    """Snapshotting another agency's account is refused as not found."""
    with pytest.raises(NotFound):
        take_snapshot(paid, agency_id="OTHER-AGENCY", snapshot_id="s", label="x", on=TODAY)


def test_TR1_trial_ends_after_the_catalog_trial_length(make_form: Form) -> None:
    """A V1 trial is creating, unpaid, and ends 14 days (catalog) after opening."""
    account = _open(make_form(TRIAL))

    assert account.status is AccountStatus.CREATING
    assert account.trial_ends_on == date(2024, 3, 24)
    assert (account.purchased_on, account.anchor) == (None, None)


def test_TR1_trial_length_comes_from_the_catalog(make_form: Form) -> None:
    """A catalog with 30-day trials gives 30 days."""
    account = open_account(
        make_form(TRIAL), account_id="a", agency_id="ACME", today=TODAY, catalog_trial_days=30
    )

    assert account.trial_ends_on == date(2024, 4, 9)


def test_paid_account_is_purchased_today_and_its_term_starts_today(make_form: Form) -> None:
    """A paid plan records the purchase day and anchors its first term on it."""
    account = _open(make_form(PLUS))

    assert (account.purchased_on, account.anchor, account.next_period) == (TODAY, TODAY, 0)
    assert account.trial_ends_on is None


def test_paid_plan_needs_a_billing_profile(make_form: Form) -> None:
    """A billing profile pays for a paid plan; without one the form is refused."""
    with pytest.raises(InvalidInput) as error:
        _open(make_form(PLUS, billing_profile_id=None))

    assert _fields(error) == {"billing_profile_id"}


def test_plan_tier_must_fit_its_version(make_form: Form) -> None:
    """A V1 plan cannot be starter; the allowed tiers are listed."""
    with pytest.raises(InvalidInput) as error:
        _open(make_form(PlanSelection("V1", "EM", "starter")))

    assert error.value.problems[0].allowed == ("sandbox", "trial")
