"""A replayed year of ACME-DIGITAL, read as a whole: who is billed, who is told."""

from __future__ import annotations

import pytest

import resell_core as rc
from resell_core.demo import DemoResult, run_demo
from resell_core.ports import Storage


@pytest.fixture(scope="module")
def year(module_storage: Storage) -> DemoResult:
    """Twelve months of the demo's story plus a few generated accounts."""
    return run_demo(months=12, accounts=12, seed=3, storage=module_storage)


def _accounts(year: DemoResult) -> list[rc.Account]:
    page = year.portal.accounts(year.agency_id, rc.AccountQuery(limit=500))
    return [year.portal.account(year.agency_id, row.account_id) for row in page.rows]


def test_B8_every_charge_goes_to_the_agencys_own_cards(year: DemoResult) -> None:
    """The vendor bills the agency, never its clients: every charge is on the agency's cards."""
    portal = year.portal
    cards = {p.id for p in portal.billing_profiles(year.agency_id)}
    invoices = portal.invoices(year.agency_id)
    assert invoices
    assert all(i.agency_id == year.agency_id for i in invoices)
    assert all(i.profile_id in cards for i in invoices if i.paid_card.is_positive())
    assert isinstance(portal.gateway, rc.SimulatedGateway)
    charged = {charge.card_token for charge in portal.gateway.charges}
    tokens = {p.card_token for p in portal.billing_profiles(year.agency_id)}
    assert charged <= tokens


def test_K3_commission_accounts_never_appear_on_the_agencys_invoices(year: DemoResult) -> None:
    """Referred accounts are billed by the vendor to their client, not to the agency."""
    referred = {a.id for a in _accounts(year) if a.kind is rc.AccountKind.COMMISSION}
    assert referred
    assert all(i.account_id not in referred for i in year.portal.invoices(year.agency_id))


def test_S1_resold_accounts_notices_go_only_to_agency_controlled_addresses(
    year: DemoResult,
) -> None:
    """Billing and expiry notices of resold accounts reach the agency's addresses only."""
    portal = year.portal
    accounts = {a.id: a for a in _accounts(year)}
    agency = portal.agency(year.agency_id)
    assert isinstance(portal.notifier, rc.RecordingNotifier)
    sent = [n for n in portal.notifier.sent if n.agency_id == year.agency_id]
    assert sent
    for notice in sent:
        account = accounts.get(notice.account_id or "")
        if account is None or account.kind is rc.AccountKind.RESOLD:
            assert notice.to in {agency.email, account.notification_email if account else ""}
        else:
            assert notice.to == account.notification_email
