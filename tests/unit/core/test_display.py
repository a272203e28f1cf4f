"""The rendering layer: cells, tables, records, money in a notebook, plots (N1)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import attrs
import pytest

import resell_core as rc
from resell_core import display, plots
from resell_core.lifecycle import lifecycle_diagram


class Printer:
    """What IPython hands ``_repr_pretty_``: it collects the text."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def text(self, text: str) -> None:
        """Collect ``text``."""
        self.written.append(text)


@pytest.fixture
def german() -> Iterator[None]:
    """The display locale is German for the test, English again after it."""
    display.set_locale("de_DE")
    yield
    display.set_locale("en_US")


@attrs.frozen
class Runway(display.Shown):
    """An object that adopts the display by deriving from Shown and nothing else."""

    month: date
    left: rc.Money

    _repr_pretty_ = display.Shown._repr_pretty_


def test_N1_money_shows_formatted_for_the_display_locale(german: None) -> None:
    """Money's HTML and pretty text are babel's format for the chosen locale."""
    price = rc.Money("1234.5", "EUR")
    printer = Printer()

    price._repr_pretty_(printer, False)

    assert printer.written == ["1.234,50\xa0€"]
    assert price._repr_html_() == "<span class='resell-core-money'>1.234,50\xa0€</span>"
    assert display.cell_text(price, "en_US") == "€1,234.50"


def test_N1_an_unknown_display_locale_is_refused() -> None:
    """A locale babel does not know is a coded error and the locale stays as it was."""
    with pytest.raises(rc.InvalidInput) as raised:
        display.set_locale("xx_NOWHERE")

    assert raised.value.problems[0].field == "locale"
    assert display.display_locale() == "en_US"


def test_N1_cells_read_as_people_read_them() -> None:
    """Numbers get separators and keep their digits, dates are ISO, None is empty."""
    assert display.cell_text(Decimal("12345.678")) == "12,345.678"
    assert display.cell_text(date(2024, 2, 29)) == "2024-02-29"
    assert display.cell_text(None) == ""
    assert display.cell_text(rc.InvoiceStatus.PAID) == "paid"
    assert display.cell_text(("login", "cancel")) == "login, cancel"
    assert display.cell_text(rc.Period(date(2024, 1, 1), date(2024, 2, 1))) == (
        "2024-01-01 – 2024-02-01"
    )


def test_N1_every_header_caption_and_cell_is_escaped() -> None:
    """Markup in any text of a table reaches the page as text."""
    table = display.Table(("<th>",), (("<img src=x onerror=alert(1)>",),), "<caption>")

    markup = display.View("<title>", (table,), ()).html()

    assert "<img" not in markup
    assert "<th>&lt;th&gt;</th>" in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    assert "&lt;caption&gt;" in markup
    assert "&lt;title&gt;" in markup


def test_N1_records_are_plain_values() -> None:
    """Money splits into amount and currency; money of another currency names its own."""
    record = display.flat({
        "total": rc.Money("10", "USD"),
        "fee": rc.Money("1", "EUR"),
        "status": rc.InvoiceStatus.OPEN,
        "period": rc.Period(date(2024, 1, 1), date(2024, 2, 1)),
        "actions": ("login",),
    })  # fmt: skip

    assert record == {
        "total": Decimal(10),
        "currency": "USD",
        "fee": Decimal(1),
        "fee_currency": "EUR",
        "status": "open",
        "period_start": date(2024, 1, 1),
        "period_end": date(2024, 2, 1),
        "actions": ["login"],
    }


def test_N1_an_object_adopts_the_display_by_deriving_from_shown() -> None:
    """Without a view of its own, an object shows its fields and exports one record."""
    runway = Runway(date(2024, 3, 1), rc.Money("40", "USD"))
    printer = Printer()

    runway._repr_pretty_(printer, False)

    assert "$40.00" in runway._repr_html_()
    assert "$40.00" in printer.written[0]
    assert runway.to_records() == [
        {"month": date(2024, 3, 1), "left": Decimal(40), "currency": "USD"}
    ]
    assert display.Listing([runway, runway], "Runway").to_records()[1]["left"] == Decimal(40)


def test_N1_the_lifecycle_diagram_renders_as_mermaid_markdown() -> None:
    """The diagram is still its Mermaid text and shows as a mermaid block."""
    diagram = lifecycle_diagram()

    markdown = diagram._repr_markdown_()

    assert isinstance(diagram, str)
    assert diagram.startswith("stateDiagram-v2\n")
    assert markdown.startswith("```mermaid\nstateDiagram-v2\n")
    assert markdown.endswith("```\n")
    assert "active --> cancelled: cancel" in markdown


INVOICES = [
    {"issued_on": date(2024, 1, 1), "account_id": "north-bakery", "total": Decimal("96.00"),
     "currency": "USD"},
    {"issued_on": date(2024, 1, 1), "account_id": "harbour-books", "total": Decimal("96.00"),
     "currency": "USD"},
    {"issued_on": date(2024, 2, 15), "account_id": "north-bakery", "total": Decimal("50.00"),
     "currency": "USD"},
]  # fmt: skip


def test_N1_monthly_spend_stacks_each_accounts_bills_per_month() -> None:
    """One bar per month, stacked by account, heights the month's totals."""
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")

    figure = plots.monthly_spend(INVOICES)

    axes = figure.axes[0]
    bars = {(c.get_label(), round(p.get_height(), 2)) for c in axes.containers for p in c}
    assert bars == {("harbour-books", 96.0), ("harbour-books", 0.0), ("north-bakery", 96.0),
                    ("north-bakery", 50.0)}  # fmt: skip
    assert [t.get_text() for t in axes.get_xticklabels()] == ["2024-01", "2024-02"]
    assert axes.get_ylabel() == "billed (USD)"


def test_N1_over_time_draws_plain_records_as_steps(tmp_path: object) -> None:
    """An amount over time is one step line per group, from any records."""
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    rows = [
        {"on": date(2024, 1, 1), "left": rc.Money("100", "USD")},
        {"on": date(2024, 2, 1), "left": rc.Money("40", "USD")},
    ]

    figure = plots.over_time(rows, on="on", amount="left", title="Prepaid runway")

    (line,) = figure.axes[0].get_lines()
    assert line.get_ydata().tolist() == [100.0, 40.0]  # type: ignore[union-attr]
    assert figure.axes[0].get_title() == "Prepaid runway"


def test_N1_a_plot_of_a_record_without_an_amount_is_refused() -> None:
    """A record whose amount is missing is a coded error naming the key."""
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")

    with pytest.raises(rc.InvalidInput) as raised:
        plots.monthly_spend([{"issued_on": date(2024, 1, 1), "account_id": "a"}])

    assert raised.value.problems[0].field == "total"


def test_N1_plots_without_matplotlib_name_the_plot_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """With matplotlib hidden, a plot raises the coded error naming the ``plot`` extra."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)

    with pytest.raises(rc.MissingExtra) as raised:
        plots.monthly_spend(INVOICES)

    assert raised.value.extra == "plot"
    assert "pip install 'resell-core[plot]'" in str(raised.value)


def test_N1_a_long_table_shows_its_first_rows_and_says_how_many_more() -> None:
    """A listing of many items shows the first rows and a note; its records keep them all."""
    many = display.Listing(
        [Runway(date(2024, 1, 1), rc.Money(n, "USD")) for n in range(display.MAX_ROWS + 7)]
    )

    markup = many._repr_html_()
    printer = Printer()
    many._repr_pretty_(printer, False)

    assert markup.count("<tr>") == display.MAX_ROWS + 1  # the header row, then the rows
    assert "… and 7 more rows" in markup
    assert printer.written[0].endswith(
        "… and 7 more rows (to_records() and the data frames hold them all)"
    )
    assert len(many.to_records()) == display.MAX_ROWS + 7
