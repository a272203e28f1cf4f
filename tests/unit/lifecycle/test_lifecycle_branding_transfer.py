"""Branding, custom domains, transfers in and out, and template share requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from resell_core.errors import InvalidInput, InvalidTransition, NotFound
from resell_core.lifecycle import (
    Account,
    AccountMovedIn,
    AccountStatus,
    Branding,
    BrandingChanged,
    BrandingMode,
    ChangeBranding,
    ChangeCustomDomain,
    LifecyclePolicy,
    TransferStatus,
    apply,
    cname_record,
    confirm_transfer,
    expire_transfer,
    move_transfer,
    reject_transfer,
    request_removal,
    request_template_share,
    request_transfer,
)

ON = date(2024, 3, 12)
LOOK = Branding("https://cdn.acme-digital.test/logo.png", "#0A3D62", "#F8C291", "Bakery News")


def _branded(account: Account) -> Account:
    return apply(account, ChangeBranding(LOOK), on=ON, policy=LifecyclePolicy()).account


def test_BR1_account_is_rebranded_with_an_event(paid: Account) -> None:
    """The branding is set on the account and recorded."""
    result = apply(paid, ChangeBranding(LOOK), on=ON, policy=LifecyclePolicy())

    assert result.account.branding == LOOK
    assert isinstance(result.events[0], BrandingChanged)


def test_BR1_trial_can_be_private(trial: Account) -> None:
    """A trial may carry a private (unbranded) look."""
    private = Branding("https://cdn.acme.test/l.png", "#000000", "#FFFFFF", "Mail", "private")

    account = apply(trial, ChangeBranding(private), on=ON, policy=LifecyclePolicy()).account

    assert account.branding is not None
    assert account.branding.mode is BrandingMode.PRIVATE


def test_BR1_bad_colours_and_urls_are_refused_together() -> None:
    """An http logo, a named colour and a short hex are all reported."""
    with pytest.raises(InvalidInput) as error:
        Branding("http://cdn.acme.test/logo.png", "red", "#FFF", "")

    assert {p.field for p in error.value.problems} == {
        "logo_url",
        "primary_colour",
        "accent_colour",
        "product_name",
    }


def test_BR1_custom_domain_with_its_cname_target(paid: Account) -> None:
    """The custom domain is set and the CNAME to configure points at the site address."""
    account = apply(
        paid, ChangeCustomDomain("Mail.North-Bakery.test"), on=ON, policy=LifecyclePolicy()
    ).account

    record = cname_record(account.custom_domain or "", account.name, "hosted.example")

    assert account.custom_domain == "mail.north-bakery.test"
    assert (record.host, record.target) == ("mail.north-bakery.test", "north-bakery.hosted.example")


def test_BR1_bad_custom_domain_is_refused(paid: Account) -> None:
    """A custom domain that is not a host name changes nothing."""
    with pytest.raises(InvalidInput):
        apply(paid, ChangeCustomDomain("north bakery"), on=ON, policy=LifecyclePolicy())


# -- transfer in ----------------------------------------------------------------------------


def test_T1_account_moves_in_only_after_the_owner_confirms() -> None:
    """pending -> confirmed -> moved; the agency is told by an event."""
    pending = request_transfer(
        request_id="tr-1",
        agency_id="ACME-DIGITAL",
        hosted_account="rose-florist",
        admin_email="owner@rose-florist.test",
        agency_email="ops@acme-digital.test",
        on=ON,
    )
    with pytest.raises(InvalidTransition):
        move_transfer(pending, ON)

    confirmed, _ = confirm_transfer(pending, date(2024, 3, 13))
    moved, events = move_transfer(confirmed, date(2024, 3, 13))

    assert pending.status is TransferStatus.PENDING
    assert moved.status is TransferStatus.MOVED
    told = [e for e in events if isinstance(e, AccountMovedIn)]
    assert told[0].agency_email == "ops@acme-digital.test"


def test_T1_rejected_or_unanswered_requests_never_move() -> None:
    """A rejected request is closed; an unanswered one expires and cannot be confirmed."""
    pending = request_transfer(
        request_id="tr-2",
        agency_id="ACME-DIGITAL",
        hosted_account="rose-florist",
        admin_email="owner@rose-florist.test",
        agency_email="ops@acme-digital.test",
        on=ON,
    )

    rejected, _ = reject_transfer(pending, date(2024, 3, 14))
    expired, _ = expire_transfer(pending, pending.expires_on)

    assert rejected.status is TransferStatus.REJECTED
    assert expired.status is TransferStatus.EXPIRED
    with pytest.raises(InvalidTransition):
        confirm_transfer(pending, pending.expires_on)
    with pytest.raises(InvalidTransition):
        move_transfer(rejected, date(2024, 3, 15))


def test_T1_request_names_the_account_and_two_emails() -> None:
    """Every bad field of a transfer request is reported."""
    with pytest.raises(InvalidInput) as error:
        request_transfer(
            request_id="tr-3",
            agency_id="ACME-DIGITAL",
            hosted_account="-rose",
            admin_email="owner",
            agency_email="ops",
            on=ON,
        )

    assert {p.field for p in error.value.problems} == {
        "hosted_account",
        "admin_email",
        "agency_email",
    }


# -- removal --------------------------------------------------------------------------------


def test_T2_removal_waits_until_the_branding_is_removed(paid: Account) -> None:
    """A branded account cannot be requested out; once unbranded it can."""
    branded = _branded(paid)
    with pytest.raises(InvalidTransition, match="remove the agency's branding"):
        request_removal(
            branded, agency_id="ACME-DIGITAL", client_email="owner@north-bakery.test", on=ON
        )

    unbranded = apply(branded, ChangeBranding(None), on=ON, policy=LifecyclePolicy()).account
    request = request_removal(
        unbranded, agency_id="ACME-DIGITAL", client_email="owner@north-bakery.test", on=ON
    )

    assert request.account_id == paid.id
    assert unbranded.status is AccountStatus.ACTIVE


def test_T2_removal_of_another_agency_account_is_not_found(paid: Account) -> None:
    """Another agency cannot even ask."""
    with pytest.raises(NotFound):
        request_removal(paid, agency_id="OTHER", client_email="owner@north-bakery.test", on=ON)


# -- templates ------------------------------------------------------------------------------


def test_R6_template_share_is_recorded_as_a_request(paid: Account) -> None:
    """The share link request is a frozen value for the hosted product."""
    at = datetime(2024, 3, 12, 10, tzinfo=UTC)

    request = request_template_share(
        paid,
        agency_id="ACME-DIGITAL",
        request_id="share-1",
        share_link="https://templates.hosted.example/s/spring-sale",
        at=at,
    )

    assert (request.account_id, request.share_link) == (
        paid.id,
        "https://templates.hosted.example/s/spring-sale",
    )


def test_R6_share_link_must_be_https_and_time_aware(paid: Account) -> None:
    """Both problems are reported at once."""
    with pytest.raises(InvalidInput) as error:
        request_template_share(
            paid,
            agency_id="ACME-DIGITAL",
            request_id="share-2",
            share_link="ftp://x",
            at=datetime(2024, 3, 12, 10),  # noqa: DTZ001
        )

    assert {p.field for p in error.value.problems} == {"share_link", "at"}
