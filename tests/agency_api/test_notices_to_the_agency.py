"""Billing and expiry notices of an account added through the agency API go to the agency,
never to the client (S1, A5), whether or not the call names a notification email."""

from __future__ import annotations

import resell_core as rc
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.billing.notices import NoticeKind
from resell_core.testing.portal import sample_card

from .conftest import Form

CLIENT = "owner@north-bakery.test"


def _notices(portal: rc.PartnerPortal, account_id: str) -> list[tuple[str, str]]:
    notifier = portal.notifier
    assert isinstance(notifier, RecordingNotifier)
    return [(n.kind.value, n.to) for n in notifier.sent if n.account_id == account_id]


def _decline_until_expired(portal: rc.PartnerPortal) -> None:
    """Let provisioning finish, then run billing daily through the dunning schedule."""
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    portal.process_provisioning()
    for _ in range(14):
        portal.run_billing()
        clock.advance(days=1)


def test_S1_an_account_added_with_only_the_client_s_email_notifies_the_agency(
    api: rc.AgencyApi, portal: rc.PartnerPortal, acme: rc.Agency, form: Form
) -> None:
    """With email but no notification, payment-failed and expiry notices reach ops@acme."""
    declined = sample_card(portal, acme.id, label="Declined Visa", card_token="tok_decline")
    params = form(notification=None, email=CLIENT, billing_profile=declined.id)
    del params["notification"]

    added = api.account_add(acme.id, params)
    _decline_until_expired(portal)

    assert added["result_code"] == 1, added
    account = portal.account(acme.id, added["account_id"])
    assert account.notification_email == acme.email
    sent = _notices(portal, account.id)
    kinds = {kind for kind, _ in sent}
    assert portal.account(acme.id, account.id).status is rc.AccountStatus.EXPIRED
    assert {NoticeKind.PAYMENT_FAILED.value, NoticeKind.DUNNING_EXHAUSTED.value} <= kinds
    assert {to for _, to in sent} == {acme.email}


def test_S1_a_notification_email_the_agency_gives_is_used_and_the_client_s_is_not(
    api: rc.AgencyApi, portal: rc.PartnerPortal, acme: rc.Agency, form: Form
) -> None:
    """notification wins over email: notices go to the agency's alerts address only."""
    declined = sample_card(portal, acme.id, label="Declined Visa", card_token="tok_decline")
    params = form(notification="alerts@acme.test", email=CLIENT, billing_profile=declined.id)

    added = api.account_add(acme.id, params)
    _decline_until_expired(portal)

    sent = _notices(portal, added["account_id"])
    assert sent
    assert {to for _, to in sent} == {"alerts@acme.test"}


def test_S1_an_account_added_with_neither_address_notifies_the_agency(
    api: rc.AgencyApi,
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    card: rc.BillingProfile,
    form: Form,
) -> None:
    """Without notification and email the account is added with the agency's address."""
    params = form()
    del params["notification"], params["email"]

    added = api.account_add(acme.id, params)

    assert added["result_code"] == 1, added
    assert portal.account(acme.id, added["account_id"]).notification_email == acme.email


def test_S1_a_bad_client_email_is_still_refused(
    api: rc.AgencyApi, acme: rc.Agency, card: rc.BillingProfile, form: Form
) -> None:
    """email stays checked (it is the client's address): a bad one is reported by name."""
    params = form(email="not-an-email")
    del params["notification"]

    answer = api.account_add(acme.id, params)

    assert answer["result_code"] == 0
    assert [p["field"] for p in answer["problems"]] == ["email"]
