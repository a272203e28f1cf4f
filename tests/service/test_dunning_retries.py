"""An agency's own payment retries never bring an account's expiry closer than the dunning
schedule's last date (M3)."""

from __future__ import annotations

from datetime import date, timedelta

import resell_core as rc
from resell_core.testing.portal import bakery_form, sample_agency, sample_card
from resell_core.testing.races import race_threads, tally

from .conftest import NewPortal

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
FIRST_DECLINE = date(2024, 4, 11)
LAST_DATE = FIRST_DECLINE + timedelta(days=sum(rc.DunningPolicy().retry_after_days))
"""The schedule's last date: 1, 3 and 7 days after the first decline (2024-04-22)."""


def on(portal: rc.PartnerPortal, day: date) -> None:
    """Set the portal's clock to 09:00 UTC of ``day``."""
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.set(rc.PartnerPortal.embedded(start=day).clock.now())


def declined_bakery(portal: rc.PartnerPortal) -> tuple[rc.Agency, str, str]:
    """ACME's north-bakery, paid by a card that always declines, billed and declined on
    the first day; return the agency, the account id and the invoice id."""
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id, label="Declining Visa", card_token="tok_decline")
    created = portal.add_account(acme.id, bakery_form(plan=PLUS, profile_id=card.id))
    portal.process_provisioning()
    assert portal.run_billing().payments_declined == 1
    [invoice] = portal.invoices(acme.id, created.account.id)
    return acme, created.account.id, invoice.id


def expiry_day(portal: rc.PartnerPortal, agency: rc.Agency, account_id: str) -> date | None:
    """Run billing every day from the first decline up to 30 days on; return the day the
    account expired, or None."""
    day = FIRST_DECLINE
    while day <= FIRST_DECLINE + timedelta(days=30):
        on(portal, day)
        if account_id in portal.run_billing().accounts_expired:
            return day
        day += timedelta(days=1)
    return None


def test_M3_the_schedule_alone_expires_the_account_on_its_last_date(new_portal: NewPortal) -> None:
    """Without any retry of the agency's own, north-bakery expires on the last date."""
    portal = new_portal(start=FIRST_DECLINE)
    acme, bakery, _ = declined_bakery(portal)

    assert expiry_day(portal, acme, bakery) == LAST_DATE


def test_M3_three_agency_retries_on_the_day_of_a_decline_keep_the_schedules_last_date(
    new_portal: NewPortal,
) -> None:
    """ACME retries north-bakery's declined invoice three times on the day it was declined:
    each retry is a real charge attempt, yet the invoice is not failed and the account
    expires on the schedule's last date, not before."""
    portal = new_portal(start=FIRST_DECLINE)
    acme, bakery, invoice_id = declined_bakery(portal)

    after = [portal.pay_invoice(acme.id, invoice_id) for _ in range(3)]

    assert [i.status for i in after] == [rc.InvoiceStatus.OPEN] * 3
    assert [i.attempts for i in after] == [2, 3, 4]
    assert portal.account(acme.id, bakery).status is rc.AccountStatus.ACTIVE
    assert expiry_day(portal, acme, bakery) == LAST_DATE


def test_M3_eight_concurrent_agency_retries_never_expire_the_account(
    new_portal: NewPortal,
) -> None:
    """Eight threads retry the declined invoice at once: none of them fails it or expires
    north-bakery, which still expires on the schedule's last date."""
    portal = new_portal(start=FIRST_DECLINE)
    acme, bakery, invoice_id = declined_bakery(portal)

    outcomes = race_threads(8, lambda _: portal.pay_invoice(acme.id, invoice_id).status.value)

    counted = tally(outcomes)
    statuses = sorted(str(o.value) for o in outcomes if o.ok)
    assert "failed" not in statuses, (counted, statuses)
    assert portal.invoice(acme.id, invoice_id).status is rc.InvoiceStatus.OPEN, counted
    assert portal.account(acme.id, bakery).status is rc.AccountStatus.ACTIVE, counted
    assert expiry_day(portal, acme, bakery) == LAST_DATE, counted
