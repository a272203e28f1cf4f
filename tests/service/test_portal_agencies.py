"""The portal's agencies: registering, portal users, commission settings, and the command
helper's guarantees (atomic, audited, idempotent) seen through them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import resell_core as rc


def test_register_agency_records_who_did_it_and_when(portal: rc.PartnerPortal) -> None:
    """Registering an agency stores it and appends an audit event with actor and time."""
    agency = portal.register_agency(
        "Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2", actor="user-founder"
    )

    events = portal.events(agency.id)

    assert portal.agency(agency.id).reseller_rate == Decimal("0.2")
    assert [(e.action, e.actor, e.at) for e in events] == [
        ("agency_registered", "user-founder", portal.clock.now())
    ]


def test_register_agency_reports_every_bad_field_and_stores_nothing(
    portal: rc.PartnerPortal,
) -> None:
    """A bad name, email, currency and rate are reported at once; no agency appears."""
    with pytest.raises(rc.InvalidInput) as raised:
        portal.register_agency("", "not-an-email", "EUR", reseller_rate="1.5")

    fields = {p.field for p in raised.value.problems}
    assert fields == {"name", "email", "currency", "reseller_rate"}
    with portal.storage.unit_of_work() as uow:
        assert uow.agencies.page() == []


def test_referral_codes_are_unique(portal: rc.PartnerPortal, acme: rc.Agency) -> None:
    """A second agency cannot take ACME-DIGITAL's referral code."""
    with pytest.raises(rc.DuplicateName):
        portal.register_agency("Acme Clone", "ops@clone.test", "USD", referral_code="acme-digital")


def test_idempotent_replay_returns_the_first_result_without_running_again(
    portal: rc.PartnerPortal,
) -> None:
    """The same key and parameters return the first agency; no second one is made."""
    first = portal.register_agency("Acme Digital", "ops@acme.test", "USD", idempotency_key="k-1")

    again = portal.register_agency("Acme Digital", "ops@acme.test", "USD", idempotency_key="k-1")

    assert again.id == first.id
    with portal.storage.unit_of_work() as uow:
        assert len(uow.agencies.page()) == 1


def test_same_key_with_other_parameters_is_an_idempotency_conflict(
    portal: rc.PartnerPortal,
) -> None:
    """Reusing a key for another request raises IdempotencyConflict and changes nothing."""
    portal.register_agency("Acme Digital", "ops@acme.test", "USD", idempotency_key="k-1")

    with pytest.raises(rc.IdempotencyConflict):
        portal.register_agency("Globex", "ops@globex.test", "USD", idempotency_key="k-1")

    with portal.storage.unit_of_work() as uow:
        assert [a.name for a in uow.agencies.page()] == ["Acme Digital"]


def test_portal_users_are_listed_per_agency(
    portal: rc.PartnerPortal, acme: rc.Agency, globex: rc.Agency
) -> None:
    """Each agency lists only its own admins."""
    ada = portal.add_portal_user(acme.id, "ada@acme.test", "Ada")
    portal.add_portal_user(globex.id, "gus@globex.test", "Gus")

    assert portal.portal_users(acme.id) == [ada]


def test_portal_user_emails_are_unique_on_the_platform(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    globex: rc.Agency,
    state: Callable[..., Any],
) -> None:
    """An email already used by one agency's admin is refused for another; nothing changes."""
    portal.add_portal_user(acme.id, "ada@acme.test", "Ada")
    before = state(acme.id, globex.id)

    with pytest.raises(rc.DuplicateName):
        portal.add_portal_user(globex.id, "ADA@acme.test", "Ada again")

    assert state(acme.id, globex.id) == before


def test_commission_settings_set_the_paypal_email(
    portal: rc.PartnerPortal, acme: rc.Agency
) -> None:
    """The PayPal email for commissions is stored and audited before -> after (K2)."""
    changed = portal.update_commission_settings(acme.id, "pay@acme.test")

    assert changed.paypal_email == "pay@acme.test"
    last = portal.events(acme.id)[-1]
    assert (last.action, last.before, last.after) == (
        "commission_settings_changed",
        None,
        "pay@acme.test",
    )


def test_unknown_agency_is_not_found(portal: rc.PartnerPortal) -> None:
    """Commands on an agency that does not exist raise NotFound."""
    with pytest.raises(rc.NotFound):
        portal.update_commission_settings("agency-999999", "pay@acme.test")
