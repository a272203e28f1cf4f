"""How the library's objects show in a notebook and leave it as data (rule N1).

One small rendering layer, kept apart from the rules: an object describes itself as a
:class:`View` (a title, tables of labelled cells, and records), and this module turns the
view into HTML (``_repr_html_``), plain text (``_repr_pretty_``, ``explain()``), records
(``to_records()``) and data frames (``to_pandas()``, ``to_polars()``). Every header,
caption and cell is escaped with :func:`html.escape`, so a client's name can never add
markup to a page. Figures are formatted by babel for the display locale
(:func:`set_locale`, ``en_US`` until chosen); a caller that needs another locale for one
rendering passes it to :meth:`View.html` or :meth:`View.text`.

An object takes part by deriving from :class:`Shown` and, where the generic view of its
fields is not enough, defining ``_view``; a list of objects is a :class:`Listing`. The
domain's classes delegate in one line each, so the rules stay free of presentation.

Records are what a program or a data frame reads: plain values only. Money becomes its
Decimal amount beside a ``currency`` column, an enum its value, a period two dates
(``<name>_start``, ``<name>_end``). pandas and polars are optional extras
(``resell-core[pandas]``, ``resell-core[polars]``): without them the exports raise
:class:`~resell_core.errors.MissingExtra`, which names the extra to install.
"""

from __future__ import annotations

import enum
import html
import importlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

import attrs
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal

from resell_core.errors import InvalidInput, MissingExtra, quoted
from resell_core.money import Money
from resell_core.periods import Period

__all__ = [
    "MAX_ROWS",
    "Listing",
    "Mermaid",
    "Printer",
    "Record",
    "Shown",
    "Table",
    "View",
    "cell_text",
    "display_locale",
    "fields_record",
    "flat",
    "money_html",
    "record_of",
    "require",
    "set_locale",
    "to_pandas",
    "to_polars",
]

T = TypeVar("T")

Record = dict[str, object]
"""One row of data: column name to value."""


class Printer(Protocol):
    """What IPython hands ``_repr_pretty_`` (only its ``text`` is used)."""

    def text(self, text: str) -> None:
        """Write ``text``."""


_DEFAULT_LOCALE = "en_US"
_CHOSEN = {"locale": _DEFAULT_LOCALE}
"""The display locale: the one setting of this module, chosen by :func:`set_locale`."""


def set_locale(locale: str) -> None:
    """Choose the locale objects format their figures in when they show (``en_US`` first).

    Args:
        locale: A locale babel knows, such as ``"de_DE"`` or ``"fr_CH"``.

    Raises:
        InvalidInput: When babel does not know the locale.
    """
    try:
        Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError) as error:
        raise InvalidInput.one(
            "display", "locale", f"{quoted(locale)} is not a locale babel knows (e.g. 'de_DE')"
        ) from error
    _CHOSEN["locale"] = locale


def display_locale() -> str:
    """Return the locale objects format their figures in when they show."""
    return _CHOSEN["locale"]


# -- cells ------------------------------------------------------------------------------
def cell_text(value: object, locale: str | None = None) -> str:
    """Return a cell's value as a reader of ``locale`` reads it (the display locale when
    None): money with its symbol, numbers with separators, dates in ISO form, nothing
    for None, enums by value, sequences joined by commas."""
    where = locale or _CHOSEN["locale"]
    if value is None:
        return ""
    if isinstance(value, Money):
        return str(format_currency(value.rounded().amount, value.currency, locale=where))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return str(format_decimal(value, locale=where, decimal_quantization=False))
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Period):
        return f"{value.start.isoformat()} – {value.end.isoformat()}"
    if isinstance(value, (tuple, list, frozenset, set)):
        return ", ".join(cell_text(v, where) for v in value)
    return str(value)


def _numeric(value: object) -> bool:
    return isinstance(value, (Money, Decimal, int)) and not isinstance(value, bool)


MAX_ROWS = 50
"""The rows a table shows at most; a note says how many more its records hold."""


@attrs.frozen
class Table:
    """Rows of labelled cells: the headers, then one tuple of values per row.

    Cells keep their values (Money, dates, enums); they are formatted only when shown, the
    first :data:`MAX_ROWS` of them.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    caption: str | None = None

    @classmethod
    def of_records(
        cls, records: Iterable[Mapping[str, object]], caption: str | None = None
    ) -> Table:
        """Build a table with one row per record and a column per key (in first-seen
        order; a key a record lacks is an empty cell)."""
        listed = list(records)
        headers: dict[str, None] = {}
        for record in listed:
            headers.update(dict.fromkeys(record))
        rows = tuple(tuple(record.get(h) for h in headers) for record in listed)
        return cls(tuple(headers), rows, caption)

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[str, object]], caption: str | None = None) -> Table:
        """Build a two-column table of labels and their values (``("Total", total)``)."""
        return cls(("", ""), tuple((label, value) for label, value in pairs), caption)

    def html(self, locale: str | None = None) -> str:
        """Return the table as an HTML ``<table>``, every text escaped."""
        parts = ["<table>"]
        if self.caption:
            parts.append(f"<caption>{html.escape(self.caption)}</caption>")
        if any(self.headers):
            heads = "".join(f"<th>{html.escape(h)}</th>" for h in self.headers)
            parts.append(f"<thead><tr>{heads}</tr></thead>")
        parts.append("<tbody>")
        for row in self.rows[:MAX_ROWS]:
            cells = "".join(
                (
                    "<td style='text-align:right'>"
                    if _numeric(value)
                    else "<td style='text-align:left'>"
                )
                + html.escape(cell_text(value, locale))
                + "</td>"
                for value in row
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
        if (more := self._more()) is not None:
            parts.append(f"<p>{html.escape(more)}</p>")
        return "".join(parts)

    def _more(self) -> str | None:
        hidden = len(self.rows) - MAX_ROWS
        if hidden <= 0:
            return None
        return f"… and {hidden:,} more rows (to_records() and the data frames hold them all)"

    def text(self, locale: str | None = None) -> str:
        """Return the table as aligned plain text (numbers to the right)."""
        shown = self.rows[:MAX_ROWS]
        texts = [[cell_text(v, locale) for v in row] for row in shown]
        widths = [len(h) for h in self.headers]
        for row in texts:
            widths = [max(w, len(t)) for w, t in zip(widths, row, strict=True)]
        lines = [self.caption] if self.caption else []
        if any(self.headers):
            lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths, strict=True)))
        for values, row in zip(shown, texts, strict=True):
            cells = [
                t.rjust(w) if _numeric(v) else t.ljust(w)
                for v, t, w in zip(values, row, widths, strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
        if (more := self._more()) is not None:
            lines.append(more)
        return "\n".join(lines)


@attrs.frozen
class View:
    """What an object shows: a title, its tables, and its records (rich values, made
    plain by :func:`flat` on export)."""

    title: str
    tables: tuple[Table, ...]
    records: tuple[Record, ...]

    def html(self, locale: str | None = None) -> str:
        """Return the view as HTML: the title, then each table."""
        tables = "".join(table.html(locale) for table in self.tables)
        return (
            f"<div class='resell-core'><p><strong>{html.escape(self.title)}</strong></p>"
            f"{tables}</div>"
        )

    def text(self, locale: str | None = None) -> str:
        """Return the view as plain text: the title, then each table."""
        return "\n\n".join([self.title, *(table.text(locale) for table in self.tables)])


# -- records ----------------------------------------------------------------------------
def flat(record: Mapping[str, object]) -> Record:
    """Return a record of plain values, for programs and data frames.

    Money becomes its Decimal amount, with its currency in a ``currency`` column (or
    ``<name>_currency`` when the record's money is of several currencies); an enum its
    value; a period its ``<name>_start`` and ``<name>_end`` dates; a tuple a list.

    Example:
        >>> flat({"total": Money("12.5", "USD"), "period": None})
        {'total': Decimal('12.5'), 'currency': 'USD', 'period': None}
    """
    out: Record = {}
    currency = record.get("currency")
    for key, value in record.items():
        if isinstance(value, Money):
            out[key] = value.amount
            if currency is None:
                currency = out["currency"] = value.currency
            elif value.currency != currency:
                out[f"{key}_currency"] = value.currency
        elif isinstance(value, enum.Enum):
            out[key] = value.value
        elif isinstance(value, Period):
            out[f"{key}_start"], out[f"{key}_end"] = value.start, value.end
        elif isinstance(value, tuple):
            out[key] = [v.value if isinstance(v, enum.Enum) else v for v in value]
        else:
            out[key] = value
    return out


def fields_record(value: object) -> Record:
    """Return the record of an attrs instance: its fields by name, as they are (any other
    value is one column, ``value``)."""
    kind = type(value)
    if not attrs.has(kind):
        return {"value": value}
    return {f.name: getattr(value, f.name) for f in attrs.fields(kind)}


def require(module: str, extra: str, what: str) -> Any:
    """Import an optional library, or say which extra of resell-core installs it.

    Args:
        module: The module to import (``"pandas"``, ``"matplotlib.figure"``).
        extra: The extra that brings it (``"pandas"``, ``"plot"``).
        what: What needs it, for the message (``"to_pandas()"``).

    Raises:
        MissingExtra: When the module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(module, extra, what) from error


def to_pandas(records: Iterable[Mapping[str, object]]) -> Any:
    """Return a ``pandas.DataFrame`` of plain records, one row each.

    Raises:
        MissingExtra: When pandas is not installed (the ``pandas`` extra).
    """
    pandas = require("pandas", "pandas", "to_pandas()")
    return pandas.DataFrame.from_records(list(records))


def to_polars(records: Iterable[Mapping[str, object]]) -> Any:
    """Return a ``polars.DataFrame`` of plain records, one row each.

    Raises:
        MissingExtra: When polars is not installed (the ``polars`` extra).
    """
    polars = require("polars", "polars", "to_polars()")
    return polars.DataFrame(list(records), infer_schema_length=None)


# -- what objects derive from -----------------------------------------------------------
class Shown:
    """What makes an object show in a notebook and export its data (N1).

    A class derives from it and, for a view of its own, defines ``_view``; IPython
    reads ``_repr_pretty_`` from the class itself (before an attrs ``__repr__``), so an
    attrs class also binds it: ``_repr_pretty_ = Shown._repr_pretty_``. Without
    ``_view`` the object shows as a table of its fields and exports one record.
    """

    __slots__ = ()

    def _record(self) -> Record:
        """The object's record as a row of a list of such objects (its fields)."""
        return fields_record(self)

    def _view(self) -> View:
        record = self._record()
        table = Table.of_pairs(record.items())
        return View(type(self).__name__, (table,), (record,))

    def to_records(self) -> list[Record]:
        """Return the object's data as plain records (Money as Decimal and currency)."""
        return [flat(record) for record in self._view().records]

    def to_pandas(self) -> Any:
        """Return :meth:`to_records` as a ``pandas.DataFrame`` (the ``pandas`` extra)."""
        return to_pandas(self.to_records())

    def to_polars(self) -> Any:
        """Return :meth:`to_records` as a ``polars.DataFrame`` (the ``polars`` extra)."""
        return to_polars(self.to_records())

    def _repr_html_(self) -> str:
        return self._view().html()

    def _repr_pretty_(self, printer: Printer, cycle: bool) -> None:
        printer.text(f"{type(self).__name__}(...)" if cycle else self._view().text())


def record_of(item: object) -> Record:
    """Return an item's record as a row of a list: its own when it is :class:`Shown`,
    its fields otherwise."""
    return item._record() if isinstance(item, Shown) else fields_record(item)


class Listing(list[T], Shown, Generic[T]):
    """A list that shows as a table, one row per item, and exports its records.

    It is a plain ``list`` in every other way (it compares equal to a list of the same
    items). Each item gives its row: its ``_record`` when it is :class:`Shown`, its
    fields otherwise.

    Args:
        items: The items, in order.
        title: What the table shows above it.
    """

    __slots__ = ("title",)

    def __init__(self, items: Iterable[T] = (), title: str = "") -> None:
        super().__init__(items)
        self.title = title

    def _view(self) -> View:
        records = tuple(record_of(item) for item in self)
        title = f"{self.title} · {len(self)}" if self.title else f"{len(self)} items"
        return View(title, (Table.of_records(records),), records)

    def _repr_pretty_(self, printer: Printer, cycle: bool) -> None:
        printer.text("[...]" if cycle else self._view().text())


class Mermaid(str):
    """A Mermaid diagram's source: a ``str`` that a notebook shows as the diagram
    (Markdown with a ``mermaid`` block, which JupyterLab and GitHub draw)."""

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self}```\n"

    def _repr_pretty_(self, printer: Printer, cycle: bool) -> None:
        printer.text(str(self))


def money_html(money: Money) -> str:
    """Return money as an HTML span, formatted for the display locale."""
    return f"<span class='resell-core-money'>{html.escape(cell_text(money))}</span>"
