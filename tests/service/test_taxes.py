"""Taxes through the portal (TX1): the tax port on the billing run and on plan changes, tax
lines stored with their invoice on every adapter, and no tax step without a calculator."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs
import pytest

import resell_core as rc
from resell_core.adapters.taxes import EuVat, NoTax
from resell_core.billing.taxes import TaxableLine, tax_line
from resell_core.ports import TaxCalculator
from resell_core.testing.portal import (
    SAMPLE_START,
    bakery_form,
    earmark_movement,
    sample_agency,
    sample_card,
)

from .conftest import NewPortal

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
PROFESSIONAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly")


@attrs.frozen
class FlatTax:
    """One rate on every line, for the tests: a host's calculator in a few lines."""

    rate: Decimal

    def taxes(
        self, agency: rc.Agency, account: rc.Account | None, lines: Sequence[TaxableLine]
    ) -> Sequence[rc.TaxLine]:
        """Tax every line at ``rate`` in Freedonia."""
        return [tax_line(t, name="Sales tax", jurisdiction="FD", rate=self.rate) for t in lines]


def _shop(
    new_portal: NewPortal, taxes: TaxCalculator | None
) -> tuple[rc.PartnerPortal, rc.Agency, rc.Account]:
    """Acme (20 % reseller rate) with North Bakery on plus ($120 list, $96 net), active."""
    portal = new_portal(start=SAMPLE_START, taxes=taxes)
    acme = sample_agency(portal)
    card = sample_card(portal, acme.id)
    created = portal.add_account(acme.id, bakery_form("north-bakery", PLUS, card.id))
    portal.process_provisioning()
    return portal, acme, portal.account(acme.id, created.account.id)


def test_TX1_the_run_taxes_each_line_after_discounts_and_the_split_pays_the_tax(
    new_portal: NewPortal,
) -> None:
    """$120 list - $24 reseller discount = $96, 10 % tax on it is $9.60: $105.60, of which
    $5 earmarked credit pays first and the card the $100.60 left; stored as issued."""
    portal, acme, bakery = _shop(new_portal, FlatTax(Decimal("0.10")))
    with portal.storage.unit_of_work() as uow:
        uow.ledger.append(earmark_movement(acme.id, bakery.id, Decimal(5)))
        uow.commit()

    portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery.id)
    [tax] = invoice.taxes
    assert (tax.line, tax.rate, tax.taxable, tax.amount) == (
        0,
        Decimal("0.10"),
        rc.Money("96.00", "USD"),
        rc.Money("9.60", "USD"),
    )
    assert (invoice.subtotal, invoice.tax, invoice.total) == (
        rc.Money("96.00", "USD"),
        rc.Money("9.60", "USD"),
        rc.Money("105.60", "USD"),
    )
    assert invoice.paid_earmarked == rc.Money("5", "USD")
    assert invoice.paid_card == rc.Money("100.60", "USD")
    assert invoice.status is rc.InvoiceStatus.PAID
    assert "Sales tax 10% (FD) on USD 96.00" in invoice.explain()


def test_TX1_eu_vat_reverse_charge_is_stored_and_read_back_on_every_adapter(
    new_portal: NewPortal,
) -> None:
    """An Irish vendor bills a French agency with a VAT id: reverse charge at 20 %, no VAT
    charged; the tax line comes back from storage as it was issued."""
    portal, acme, bakery = _shop(new_portal, EuVat(vendor_country="IE"))
    portal.update_tax_details(acme.id, "fr", "FR 40 303 265 045")

    portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery.id)
    [tax] = invoice.taxes
    assert (tax.jurisdiction, tax.rate, tax.reverse_charge) == ("FR", Decimal("0.20"), True)
    assert tax.amount == rc.Money("0", "USD")
    assert invoice.total == rc.Money("96.00", "USD") == invoice.paid_card
    assert portal.invoice(acme.id, invoice.id).taxes == invoice.taxes
    assert "reverse charge" in invoice.explain()


def test_TX1_eu_vat_in_the_vendors_country_is_charged_at_its_rate(
    new_portal: NewPortal,
) -> None:
    """A German agency of a German vendor pays 19 % on $96: $18.24, $114.24 in all."""
    portal, acme, bakery = _shop(new_portal, EuVat(vendor_country="DE"))
    portal.update_tax_details(acme.id, "DE", "DE123456789")

    portal.run_billing()

    [invoice] = portal.invoices(acme.id, bakery.id)
    assert invoice.tax == rc.Money("18.24", "USD")
    assert invoice.paid_card == rc.Money("114.24", "USD")


def test_TX1_a_plan_change_taxes_its_credit_and_its_charge(new_portal: NewPortal) -> None:
    """Plus -> professional halfway through April: the credit of the unused plus (before
    tax) and the professional charge each carry 10 % of their own amount."""
    portal, acme, bakery = _shop(new_portal, FlatTax(Decimal("0.10")))
    portal.run_billing()
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=15)

    edited = portal.edit_account(acme.id, bakery.id, plan=PROFESSIONAL)

    invoice = edited.invoice
    assert invoice is not None
    credit, charge = invoice.lines
    assert [(t.line, t.amount) for t in invoice.taxes] == [
        (0, credit.amount.scaled(Decimal("0.10"))),
        (1, charge.amount.scaled(Decimal("0.10"))),
    ]
    assert credit.amount == rc.Money("-48.00", "USD")  # half of the $96 billed, tax aside
    assert invoice.paid_card == invoice.subtotal + invoice.tax == invoice.total
    assert portal.invoice(acme.id, invoice.id).taxes == invoice.taxes


def test_TX1_without_a_calculator_there_is_no_tax_step(
    new_portal: NewPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NoTax is taken as no calculator: the run never reaches the tax step, and invoices
    carry no tax."""

    def refuse(*_: object) -> rc.Invoice:
        raise AssertionError("the tax step ran without a calculator")

    monkeypatch.setattr("resell_core.service.billing_pages.taxed", refuse)
    portal, acme, bakery = _shop(new_portal, NoTax())
    assert portal.taxes is None
    assert portal.context.taxes is None

    report = portal.run_billing()

    assert report.errors == ()
    [invoice] = portal.invoices(acme.id, bakery.id)
    assert invoice.taxes == ()
    assert invoice.total == invoice.subtotal == rc.Money("96.00", "USD")


def test_TX1_a_calculator_that_fails_stops_that_account_only(new_portal: NewPortal) -> None:
    """A tax line in another currency is refused: the account is reported, not billed."""

    @attrs.frozen
    class Euros:
        def taxes(
            self, agency: rc.Agency, account: rc.Account | None, lines: Sequence[TaxableLine]
        ) -> Sequence[rc.TaxLine]:
            eur = rc.Money("1.00", "EUR")
            return [rc.TaxLine(0, "VAT", "DE", Decimal("0.19"), eur, eur)]

    portal, acme, bakery = _shop(new_portal, Euros())

    report = portal.run_billing()

    assert [e.subject for e in report.errors] == [bakery.id]
    assert report.errors[0].code == "invalid_input"
    assert portal.invoices(acme.id, bakery.id) == []


def test_TX1_tax_details_are_checked_normalised_and_audited(new_portal: NewPortal) -> None:
    """Country and VAT id are stored upper case without separators; both bad ones are
    reported at once and change nothing; None clears them."""
    portal, acme, _ = _shop(new_portal, None)

    with pytest.raises(rc.InvalidInput) as refused:
        portal.update_tax_details(acme.id, "XX", "no!")
    assert [p.field for p in refused.value.problems] == ["country", "tax_id"]
    assert (portal.agency(acme.id).country, portal.agency(acme.id).tax_id) == (None, None)

    stored = portal.update_tax_details(acme.id, " de ", "de 123.456-789")
    assert (stored.country, stored.tax_id) == ("DE", "DE123456789")
    assert portal.agency(acme.id).tax_id == "DE123456789"
    cleared = portal.for_agency(acme.id).update_tax_details(None)
    assert (cleared.country, cleared.tax_id) == (None, None)
    actions = [e.action for e in portal.events(acme.id) if e.subject == acme.id]
    assert actions.count("tax_details_changed") == 2
