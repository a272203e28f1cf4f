"""A charge in flight is never re-split nor restarted before the gateway's final answer
for its key; what is recorded is what the gateway charged (M2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import resell_core as rc
from resell_core.adapters.clock import ManualClock
from resell_core.adapters.ids import SequentialIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.billing import PaymentDecision, apply_charge_result, charge_key
from resell_core.billing.ledger import SPENT, CreditKind, account_wallet, profile_wallet
from resell_core.ports import PaymentGateway, Storage
from resell_core.testing.portal import bakery_form, sample_agency, sample_card
from resell_core.testing.races.money import HeldGateway

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")


PortalWith = Callable[[PaymentGateway], rc.PartnerPortal]


@pytest.fixture
def portal_with(fresh_storage: Callable[[], Storage]) -> PortalWith:
    """Wire a portal on a new storage on 2024-04-11 whose payment gateway is the one given."""

    def wire(gateway: PaymentGateway) -> rc.PartnerPortal:
        secrets = SeededSecrets(7)
        return rc.PartnerPortal(
            storage=fresh_storage(),
            gateway=gateway,
            payouts=SimulatedPayoutGateway(),
            notifier=RecordingNotifier(),
            provisioner=SimulatedProvisioner(polls=0),
            clock=ManualClock(datetime(2024, 4, 11, 9, tzinfo=UTC)),
            ids=SequentialIds(),
            secrets=secrets,
            sso_secret=secrets.token_bytes(32),
            policies=rc.Policies.embedded(),
        )

    return wire


def add_bakery(portal: rc.PartnerPortal, agency: rc.Agency, profile: rc.BillingProfile) -> str:
    """Add north-bakery (plus, monthly, paid by ``profile``), active; return its id."""
    created = portal.add_account(agency.id, bakery_form(plan=PLUS, profile_id=profile.id))
    portal.process_provisioning()
    return created.account.id


def test_M2_pay_invoice_while_the_runs_charge_is_in_flight_never_respends_prepaid(
    portal_with: PortalWith,
) -> None:
    """The run's charge of north-bakery's invoice is in flight (the gateway does not show
    its key yet) when ACME buys 50.00 of prepaid and pays the invoice itself: the invoice
    is not re-split, the card is charged once for the whole invoice, the 50.00 stay in
    the pool, and card plus prepaid spent equal the invoice's total."""
    simulated = rc.SimulatedGateway()
    held = HeldGateway(simulated)
    portal = portal_with(held)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    bakery = add_bakery(portal, acme, card)
    meanwhile: list[object] = []

    def agency_pays(request: rc.ChargeRequest) -> None:
        portal.buy_credits(acme.id, "prepaid", rc.Money("50.00", "USD"), card.id)
        invoice_id = request.idempotency_key.split(":")[1]
        try:
            meanwhile.append(portal.pay_invoice(acme.id, invoice_id).status)
        except rc.ResellError as error:
            meanwhile.append(error.code)

    held.hold(lambda request: request.description.startswith("Invoice 1"), agency_pays)
    report = portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery)
    charged = [c.amount for c in simulated.charges if invoice.id in c.idempotency_key]
    pool = portal.balances(acme.id, billing_profile_id=card.id).prepaid
    with portal.storage.unit_of_work() as uow:
        spent = uow.ledger.balance(acme.id, SPENT, CreditKind.PREPAID)
        in_pool = uow.ledger.balance(acme.id, profile_wallet(card.id), CreditKind.PREPAID)
    assert held.released, "the run's charge was never held"
    assert invoice.status is rc.InvoiceStatus.PAID, (invoice.status, meanwhile, report)
    assert charged == [invoice.total], (charged, meanwhile)
    assert invoice.paid_card == invoice.total, (invoice.paid_card, invoice.paid_pool)
    assert invoice.paid_pool.is_zero()
    assert (pool, spent, in_pool) == (rc.Money("50.00", "USD"), Decimal(0), Decimal("50.00"))


def test_M2_a_card_charge_above_what_is_due_gives_the_excess_back_as_prepaid_credit(
    portal_with: PortalWith,
) -> None:
    """The gateway answers that it charged 120.00 for an invoice of 120.00 of which 50.00
    were already paid from the pool: the card part recorded is 120.00 and the pool gets
    its 50.00 back, in the ledger."""
    invoice = rc.Invoice(
        id="invoice-7",
        agency_id="agency-acme",
        number=7,
        account_id="account-north-bakery",
        profile_id="profile-visa",
        issued_on=date(2024, 4, 11),
        currency="USD",
        lines=[
            rc.InvoiceLine(
                rc.LineKind.RECURRING,
                "plus",
                Decimal(1),
                rc.Money("120.00", "USD"),
                rc.Money("120.00", "USD"),
            )
        ],
        status=rc.InvoiceStatus.PENDING,
        paid_pool=rc.Money("50.00", "USD"),
    )
    answer = rc.ChargeResult(rc.ChargeOutcome.SUCCEEDED, "ch_1", amount=rc.Money("120.00", "USD"))

    settlement = apply_charge_result(invoice, answer, today=invoice.issued_on)

    paid = settlement.invoice
    assert settlement.decision is PaymentDecision.PAID
    assert (paid.paid_card, paid.paid_pool, paid.paid) == (
        rc.Money("120.00", "USD"),
        rc.Money("0.00", "USD"),
        paid.total,
    )
    assert [(m.quantity, m.source, m.destination) for m in settlement.movements] == [
        (Decimal("50.00"), SPENT, profile_wallet("profile-visa"))
    ]


def test_M2_a_card_charge_above_the_whole_invoice_becomes_the_accounts_prepaid_credit(
    portal_with: PortalWith,
) -> None:
    """The gateway charged 130.00 for an invoice of 120.00 with nothing prepaid: 130.00 is
    recorded, and the 10.00 above the invoice go to north-bakery's prepaid credit."""
    line = rc.InvoiceLine(
        rc.LineKind.RECURRING,
        "plus",
        Decimal(1),
        rc.Money("120.00", "USD"),
        rc.Money("120.00", "USD"),
    )
    invoice = rc.Invoice(
        id="invoice-8",
        agency_id="agency-acme",
        number=8,
        account_id="account-north-bakery",
        profile_id="profile-visa",
        issued_on=date(2024, 4, 11),
        currency="USD",
        lines=[line],
        status=rc.InvoiceStatus.PENDING,
    )
    charged = "130.00"
    answer = rc.ChargeResult(rc.ChargeOutcome.SUCCEEDED, "ch_2", amount=rc.Money(charged, "USD"))

    settlement = apply_charge_result(invoice, answer, today=invoice.issued_on)

    paid = settlement.invoice
    assert paid.paid_card == rc.Money(charged, "USD")
    assert paid.paid == paid.total == rc.Money(charged, "USD")
    assert [(m.quantity, m.destination) for m in settlement.movements] == [
        (Decimal("10.00"), account_wallet("account-north-bakery"))
    ]


def test_M2_a_card_charge_below_what_is_due_leaves_the_rest_open_under_a_new_key(
    portal_with: PortalWith,
) -> None:
    """The gateway charged 100.00 of an invoice's 120.00: 100.00 is recorded, and the rest
    stays open, due the same day under the next key (no notice, no dunning date)."""
    line = rc.InvoiceLine(
        rc.LineKind.RECURRING,
        "plus",
        Decimal(1),
        rc.Money("120.00", "USD"),
        rc.Money("120.00", "USD"),
    )
    invoice = rc.Invoice(
        id="invoice-9",
        agency_id="agency-acme",
        number=9,
        account_id="account-north-bakery",
        profile_id="profile-visa",
        issued_on=date(2024, 4, 11),
        currency="USD",
        lines=[line],
        status=rc.InvoiceStatus.PENDING,
    )
    answer = rc.ChargeResult(rc.ChargeOutcome.SUCCEEDED, "ch_3", amount=rc.Money("100.00", "USD"))

    settlement = apply_charge_result(invoice, answer, today=invoice.issued_on)

    rest = settlement.invoice
    assert settlement.decision is PaymentDecision.RETRY_LATER
    assert not settlement.notify_agency
    assert (rest.status, rest.paid_card, rest.open_amount) == (
        rc.InvoiceStatus.OPEN,
        rc.Money("100.00", "USD"),
        rc.Money("20.00", "USD"),
    )
    assert rest.next_retry_on == invoice.issued_on
    assert rest.dunning_ends_on is None
    assert charge_key(rest.id, rest.attempts + 1) == "charge:invoice-9:2"
