"""What the portal's answers show in a notebook and export as data (N1)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

import resell_core as rc
from resell_core import display

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
PROFESSIONAL = rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly")
HOSTILE = '<script>alert("x")</script> & <b>Co</b>'


class Printer:
    """What IPython hands ``_repr_pretty_``: it collects the text."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def text(self, text: str) -> None:
        """Collect ``text``."""
        self.written.append(text)


def pretty(value: object) -> str:
    """What IPython prints for ``value``."""
    printer = Printer()
    value._repr_pretty_(printer, False)  # type: ignore[attr-defined]
    return "".join(printer.written)


def cells(markup: str) -> list[str]:
    """The text of every cell of an HTML table, in order."""
    return re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", markup)


@dataclass
class Year:
    """Acme's first months: two accounts billed in January and February, one upgraded."""

    portal: rc.PartnerPortal
    acme: rc.Agency
    bakery: rc.Account
    books: rc.Account
    report: rc.BillingReport
    upgrade: rc.Invoice


@pytest.fixture
def year() -> Year:
    """Two months of Acme's billing: $96.00 a month per Plus account, then an upgrade."""
    portal = rc.PartnerPortal.embedded(start=date(2024, 1, 1))
    acme = portal.register_agency("Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2")
    card = portal.add_billing_profile(
        acme.id, label="Main Visa", card_token="tok_ok", brand="visa",
        last4="4242", exp_month=12, exp_year=2030,
    )  # fmt: skip
    added = [
        portal.add_account(acme.id, rc.NewAccount(
            name=name, client_name=client, notification_email="ops@acme.test", country="US",
            language="en", timezone="UTC", plan=PLUS, billing_profile_id=card.id,
        )).account
        for name, client in (("north-bakery", HOSTILE), ("harbour-books", "Harbour Books"))
    ]  # fmt: skip
    portal.process_provisioning()
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    portal.run_billing()
    clock.advance(days=31)
    report = portal.run_billing()
    clock.advance(days=14)
    edited = portal.edit_account(acme.id, added[1].id, plan=PROFESSIONAL)
    assert edited.invoice is not None
    portal.buy_credits(acme.id, "prepaid", "50", card.id, added[0].id)
    return Year(portal, acme, added[0], added[1], report, edited.invoice)


def test_N1_an_invoice_shows_its_lines_unit_prices_split_and_status(year: Year) -> None:
    """An invoice's HTML and text show each line with its unit price, the total, how it
    was paid and its status, with the figures formatted for the reader."""
    invoice = year.portal.invoices(year.acme.id, year.bakery.id)[0]

    markup = invoice._repr_html_()
    text = pretty(invoice)

    assert "Invoice 1 · paid · issued 2024-01-01" in markup
    assert cells(markup)[7:9] == ["$120.00", "$120.00"]  # unit price, amount of line 1
    for figure in ("$120.00", "-$24.00", "$96.00", "- paid by card", "-$96.00", "$0.00"):
        assert figure in markup
        assert figure in text
    assert "Reseller discount" in text


def test_N1_an_invoice_explains_how_it_adds_up_and_was_paid(year: Year) -> None:
    """``explain()`` walks the lines, the total, each part paid and what is still due."""
    invoice = year.portal.invoices(year.acme.id, year.bakery.id)[0]

    lines = invoice.explain().splitlines()

    assert lines[0] == "Invoice 1 of 2024-01-01"
    assert [" ".join(line.split()) for line in lines[-3:]] == [
        "Total USD 96.00",
        "- paid by card USD 96.00",
        "Open (paid) USD 0.00",
    ]
    assert any("Reseller discount" in line and line.endswith("USD -24.00") for line in lines)


def test_N1_an_upgrades_invoice_shows_its_proration_lines(year: Year) -> None:
    """The proration credit and charge show as lines with their own amounts."""
    shown = year.upgrade._repr_html_()
    records = year.upgrade.to_records()

    assert [r["kind"] for r in records] == ["proration_credit", "proration_charge"]
    assert records[0]["amount"] < 0 < records[1]["amount"]  # type: ignore[operator]
    assert all(r["currency"] == "USD" for r in records)
    assert records[0]["period_end"] == date(2024, 3, 1)
    for record in records:
        assert display.cell_text(rc.Money(record["amount"], "USD")) in shown


def test_N1_an_invoices_records_are_its_lines_in_plain_values(year: Year) -> None:
    """Money becomes a Decimal and a currency, an enum its value, a period two dates."""
    invoice = year.portal.invoices(year.acme.id, year.bakery.id)[0]

    first = invoice.to_records()[0]

    assert first == {
        "invoice": 1,
        "kind": "recurring",
        "description": first["description"],
        "quantity": Decimal(1),
        "unit_price": Decimal("120.00"),
        "currency": "USD",
        "amount": Decimal("120.00"),
        "period_start": date(2024, 1, 1),
        "period_end": date(2024, 2, 1),
    }


def test_N1_a_hostile_client_name_is_escaped_in_every_table(year: Year) -> None:
    """A client name made of markup shows as text: no tag of it reaches the page."""
    page = year.portal.accounts(year.acme.id)

    markup = page._repr_html_()

    assert "<script>" not in markup
    assert "<b>Co</b>" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in markup
    assert HOSTILE in pretty(page)  # text is text


def test_N1_the_overview_page_is_a_table_of_the_chosen_columns(year: Year) -> None:
    """The page's table has the query's columns, in its order, and one row per account."""
    query = rc.AccountQuery(columns=(rc.OverviewColumn.NAME, rc.OverviewColumn.STATUS))
    page = year.portal.accounts(year.acme.id, query)

    markup = page._repr_html_()
    records = page.to_records()

    assert cells(markup)[:5] == ["account_id", "name", "status", "primary_action", "actions"]
    assert [r["name"] for r in records] == ["harbour-books", "north-bakery"]
    assert records[0]["status"] == "active"
    assert "upgrade" in records[0]["actions"]  # type: ignore[operator]
    assert "Accounts 2 of 2" in markup
    assert "Accounts 2 of 2" in pretty(page)


def test_N1_the_billing_report_shows_its_figures_and_is_one_record(year: Year) -> None:
    """The report shows what the run did; its record is one row with money per currency."""
    report = year.report

    markup = report._repr_html_()

    assert "Billing run until 2024-02-01" in markup
    assert cells(markup)[14:16] == ["Charged to cards", "$192.00"]
    assert "Invoices created" in pretty(report)
    assert report.to_records() == [
        {
            "until": date(2024, 2, 1),
            "invoices_created": 2,
            "accounts_billed": 2,
            "invoices_paid": 2,
            "payments_declined": 0,
            "invoices_failed": 0,
            "invoices_pending": 0,
            "retries_later": 0,
            "charged_to_cards_USD": Decimal("192.00"),
            "accounts_expired": 0,
            "trials_ended": 0,
            "accounts_ready": 0,
            "errors": 0,
        }
    ]


def test_N1_a_billing_report_lists_the_accounts_it_could_not_bill() -> None:
    """A failure shows in its own table, its message escaped."""
    report = rc.BillingReport(
        until=date(2024, 2, 1),
        errors=(rc.BillingFailure("acc-<1>", "invalid_input", "fix <this>"),),
    )

    markup = report._repr_html_()

    assert "Not billed" in markup
    assert cells(markup)[-3:] == ["acc-&lt;1&gt;", "invalid_input", "fix &lt;this&gt;"]
    assert report.to_records()[0]["errors"] == 1


def test_N1_balances_and_credit_history_show_and_export(year: Year) -> None:
    """A wallet shows what it holds; the credit history is a table of movements."""
    held = year.portal.balances(year.acme.id, account_id=year.bakery.id)
    history = year.portal.credit_history(year.acme.id, account_id=year.bakery.id)

    assert "$50.00" in held._repr_html_()
    assert "Prepaid credit" in pretty(held)
    assert held.to_records() == [
        {
            "wallet": f"account:{year.bakery.id}",
            "prepaid": Decimal("50.00"),
            "currency": "USD",
            "sms": Decimal(0),
            "inbox_preview": Decimal(0),
        }
    ]
    assert isinstance(history, rc.Listing)
    assert len(history) == 1
    assert history.to_records()[0]["kind"] == "prepaid"
    assert "Credit movements · 1" in history._repr_html_()


def test_N1_a_list_of_invoices_is_still_a_list_and_a_table(year: Year) -> None:
    """The invoices listing equals the plain list, shows one row per invoice and exports
    each invoice's total and split."""
    invoices = year.portal.invoices(year.acme.id)

    records = invoices.to_records()

    assert invoices == list(invoices)
    assert isinstance(invoices, list)
    assert [r["number"] for r in records] == [i.number for i in invoices]
    assert records[0]["total"] == Decimal("96.00")
    assert records[0]["status"] == "paid"
    assert "Invoices · 6" in invoices._repr_html_()
    assert "Invoices · 6" in pretty(invoices)
    assert year.portal.events(year.acme.id).to_records()[0]["action"] == "agency_registered"


def test_N1_listings_and_pages_become_data_frames(year: Year) -> None:
    """pandas and polars frames have one row per record and keep amounts exact."""
    pandas = pytest.importorskip("pandas", reason="the pandas extra is not installed")
    polars = pytest.importorskip("polars", reason="the polars extra is not installed")
    invoices = year.portal.invoices(year.acme.id)

    by_pandas = invoices.to_pandas()
    by_polars = year.portal.accounts(year.acme.id).to_polars()

    assert isinstance(by_pandas, pandas.DataFrame)
    assert len(by_pandas) == len(invoices)
    assert by_pandas["total"].sum() == sum((i.total for i in invoices), rc.Money.zero("USD")).amount
    assert isinstance(by_polars, polars.DataFrame)
    assert by_polars["name"].to_list() == ["harbour-books", "north-bakery"]


@pytest.mark.parametrize(("library", "extra", "export"), [
    ("pandas", "pandas", "to_pandas"),
    ("polars", "polars", "to_polars"),
])  # fmt: skip
def test_N1_a_missing_data_frame_library_names_its_extra(
    year: Year, monkeypatch: pytest.MonkeyPatch, library: str, extra: str, export: str
) -> None:
    """With the library hidden, the export raises a coded error naming the extra."""
    monkeypatch.setitem(sys.modules, library, None)
    invoices = year.portal.invoices(year.acme.id)

    with pytest.raises(rc.MissingExtra) as raised:
        getattr(invoices, export)()

    assert raised.value.code == "missing_extra"
    assert isinstance(raised.value, ImportError)
    assert (raised.value.module, raised.value.extra) == (library, extra)
    assert f"pip install 'resell-core[{extra}]'" in str(raised.value)
