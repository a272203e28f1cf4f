"""An ``InvoiceMemo`` makes lines and totals once for invoices alike, and never gives a
line or a total other than the plain way gives (B7, C2, C3, TX1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resell_core.billing.due import DuePeriod, due_periods
from resell_core.billing.invoice_memo import MEMO_SIZE, InvoiceMemo
from resell_core.billing.invoices import (
    Invoice,
    InvoiceLine,
    LineKind,
    TaxLine,
    build_recurring_invoice,
    recurring_lines,
)
from resell_core.billing.payment import start_payment
from resell_core.billing.run import bill_period
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing import CyclePrice
from resell_core.pricing.selection import PlanSelection
from resell_core.testing.contracts.samples import an_account

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
PRO = PlanSelection("V3", "marketing", "pro", 2500, "monthly")
APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))
MAY = Period(date(2024, 5, 11), date(2024, 6, 11))
_ON = date(2024, 4, 11)


def _figures(list_value: str = "120.00", net: str = "86.40") -> CyclePrice:
    """A list value less $12.00 of migration and $21.60 of reseller discount."""
    return CyclePrice(
        Money(list_value, "USD"), Money("12.00", "USD"), Money("21.60", "USD"), Money(net, "USD")
    )


def _due(
    account_id: str, period: Period = APRIL, plan: PlanSelection = PLUS, index: int = 0
) -> DuePeriod:
    return DuePeriod(
        account_id,
        "ACME-DIGITAL",
        "card-main",
        index,
        period,
        plan,
        f"{account_id}/{period.start.isoformat()}",
    )


def _invoice(invoice_id: str, lines: tuple[InvoiceLine, ...], **changes: Any) -> Invoice:
    fields: dict[str, Any] = {"currency": "USD", **changes}
    return Invoice(
        id=invoice_id,
        agency_id="ACME-DIGITAL",
        number=1,
        account_id="north-bakery",
        profile_id="card-main",
        issued_on=_ON,
        lines=lines,
        **fields,
    )


def _exact(value: object) -> str:
    """A value's repr: amounts with their exponents (``12.0`` is not ``12.00``)."""
    return repr(value)


# -- the holes a memo closes: no caller hands a line or a total -------------------------


def test_C2_C3_start_payment_takes_no_total_from_its_caller() -> None:
    """Told that a $96.00 invoice comes to $1.00, start_payment used to take $1.00 of
    credit and mark it paid; it now has no way to be told a total."""
    price = Money("96.00", "USD")
    invoice = _invoice(
        "invoice-7", (InvoiceLine(LineKind.RECURRING, "Plus", Decimal(1), price, price),)
    )

    with pytest.raises(TypeError, match="total"):
        start_payment(  # type: ignore[call-arg]
            invoice,
            profile=None,
            earmarked=price,
            pool=Money.zero("USD"),
            on=_ON,
            total=Money("1.00", "USD"),
        )
    started = start_payment(
        invoice, profile=None, earmarked=price, pool=Money.zero("USD"), on=_ON, memo=InvoiceMemo()
    )
    assert started.invoice.paid_earmarked == price
    assert [movement.quantity for movement in started.movements] == [Decimal("96.00")]


def test_B7_bill_period_takes_no_lines_from_its_caller() -> None:
    """Handed the lines of a $1.00 price, an $86.40 period used to be invoiced at $1.00;
    bill_period and build_recurring_invoice now make their lines themselves."""
    cheap = CyclePrice(
        Money("1.00", "USD"), Money.zero("USD"), Money.zero("USD"), Money("1.00", "USD")
    )
    wrong = recurring_lines(_due("north-bakery"), cheap)
    account = an_account("north-bakery")

    with pytest.raises(TypeError, match="lines"):
        bill_period(  # type: ignore[call-arg]
            account,
            _due(account.id),
            _figures(),
            invoice_id="i",
            number=1,
            issued_on=_ON,
            lines=wrong,
        )
    with pytest.raises(TypeError, match="lines"):
        build_recurring_invoice(  # type: ignore[call-arg]
            _due(account.id), _figures(), invoice_id="i", number=1, issued_on=_ON, lines=wrong
        )


# -- lines -----------------------------------------------------------------------------


def test_B7_accounts_alike_share_one_tuple_of_lines() -> None:
    """North-bakery and south-florist, same plan, price and period: one tuple of lines,
    the lines recurring_lines makes."""
    memo, figures = InvoiceMemo(), _figures()

    north = memo.lines(_due("north-bakery"), figures)
    south = memo.lines(_due("south-florist", index=3), figures)

    assert south is north
    assert _exact(north) == _exact(recurring_lines(_due("south-florist"), figures))


def test_B7_another_period_plan_price_or_text_gets_lines_of_its_own() -> None:
    """May, the pro tier, equal figures that are another object, or a text of its own:
    each gets its own lines, the ones recurring_lines makes for it."""
    memo, figures = InvoiceMemo(), _figures()
    april = memo.lines(_due("north-bakery"), figures)
    others = {
        "may": (_due("east-butcher", MAY), figures, None),
        "pro": (_due("west-garage", plan=PRO), figures, None),
        "repriced": (_due("south-florist"), _figures(), None),
        "text": (_due("north-bakery"), figures, "Plus, April"),
    }

    for name, (due, price, text) in others.items():
        made = memo.lines(due, price, description=text)
        assert made is not april, name
        assert _exact(made) == _exact(recurring_lines(due, price, description=text)), name


def test_B7_an_invoice_billed_through_a_memo_is_the_one_billed_without() -> None:
    """bill_period with a memo and without: the same account, invoice and events, and
    the lines of the first account alike."""
    memo, figures = InvoiceMemo(), _figures()
    first = an_account("north-bakery")
    second = an_account("south-florist")
    due = due_periods(second, date(2030, 1, 1))[0]
    before = bill_period(
        first,
        due_periods(first, date(2030, 1, 1))[0],
        figures,
        invoice_id="i-1",
        number=1,
        issued_on=_ON,
        memo=memo,
    )

    given_memo = bill_period(
        second, due, figures, invoice_id="i-2", number=2, issued_on=_ON, memo=memo
    )
    plain = bill_period(second, due, figures, invoice_id="i-2", number=2, issued_on=_ON)

    assert given_memo.invoice.lines is before.invoice.lines
    assert _exact(attrs.astuple(given_memo.invoice, recurse=False)) == _exact(
        attrs.astuple(plain.invoice, recurse=False)
    )
    assert given_memo.account == plain.account
    assert given_memo.events == plain.events


@attrs.define
class _LooseFigures:
    """Figures that satisfy CycleFigures but can change: never remembered."""

    list_value: Money
    migration_discount: Money
    reseller_discount: Money
    net: Money


def test_B7_figures_that_can_change_are_made_afresh_each_time() -> None:
    """Figures of a mutable class, changed between two calls on the very same object:
    the second lines are of the changed figures."""
    memo = InvoiceMemo()
    loose = _LooseFigures(*attrs.astuple(_figures(), recurse=False))
    before = memo.lines(_due("north-bakery"), loose)

    loose.reseller_discount, loose.net = Money("0.00", "USD"), Money("108.00", "USD")
    after = memo.lines(_due("north-bakery"), loose)

    assert sum(line.amount.amount for line in before) == Decimal("86.40")
    assert sum(line.amount.amount for line in after) == Decimal("108.00")


class _Amount:
    """An amount a CyclePrice or an InvoiceLine can be given that can change."""

    def __init__(self, amount: str) -> None:
        self.amount = Decimal(amount)
        self.currency = "USD"

    def is_zero(self) -> bool:
        return not self.amount


def test_C2_C3_lines_whose_amounts_can_change_are_added_up_afresh() -> None:
    """A line whose amount is not a Money, changed between two totals of the very same
    invoice: the second total is the changed one."""
    memo = InvoiceMemo()
    amount = _Amount("40.00")
    line = InvoiceLine(LineKind.RECURRING, "Plus", Decimal(1), amount, amount)  # type: ignore[arg-type]
    invoice = _invoice("invoice-1", (line,))
    before = memo.total(invoice)

    amount.amount = Decimal("4000.00")
    after = memo.total(invoice)

    assert (before, after) == (Money("40.00", "USD"), Money("4000.00", "USD"))


# -- totals ----------------------------------------------------------------------------


def test_C2_C3_invoices_sharing_their_lines_are_added_up_once() -> None:
    """Two invoices on one tuple of lines: one total, each invoice's own, exponents
    included."""
    memo = InvoiceMemo()
    lines = memo.lines(_due("north-bakery"), _figures())
    north, south = _invoice("invoice-1", lines), _invoice("invoice-2", lines)

    first, second = memo.total(north), memo.total(south)

    assert _exact(first) == _exact(north.total)
    assert second is first


def test_TX1_an_invoice_with_taxes_is_added_up_on_its_own() -> None:
    """A taxed invoice on shared lines: its lines and its taxes, never the lines alone."""
    memo = InvoiceMemo()
    lines = memo.lines(_due("north-bakery"), _figures())
    vat = Money("19.00", "USD")
    taxed = _invoice(
        "invoice-1", lines, taxes=(TaxLine(0, "VAT", "DE", Decimal("0.19"), vat, vat),)
    )
    plain = _invoice("invoice-2", lines)

    shared = memo.total(plain)
    own = memo.total(taxed)

    assert own == taxed.total == shared + vat


def test_C2_C3_a_memo_forgets_all_it_holds_past_its_size() -> None:
    """One more than MEMO_SIZE prices and tuples of lines: every line and total is still
    the plain one, the first price's lines are made again and the last's are kept."""
    memo, due = InvoiceMemo(), _due("north-bakery")
    prices = [_figures(f"{120 + n}.00", f"{86 + n}.40") for n in range(MEMO_SIZE + 1)]
    made = []
    for figures in prices:
        lines = memo.lines(due, figures)
        made.append(lines)
        assert _exact(lines) == _exact(recurring_lines(due, figures))
        assert _exact(memo.total(_invoice("i", lines))) == _exact(_invoice("i", lines).total)

    assert memo.lines(due, prices[-1]) is made[-1]
    assert memo.lines(due, prices[0]) is not made[0]


# -- a property: whatever is shared, the memo gives what the plain way gives ------------

_PRICES = [_figures(), _figures(), _figures("130.00", "96.40"), _figures("120.0", "86.4")]
_DUES = [
    _due("north-bakery"),
    _due("south-florist"),
    _due("north-bakery", MAY),
    _due("west-garage", plan=PRO),
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_DUES),
            st.sampled_from(_PRICES),
            st.none() | st.just("Plus, April"),
            st.sampled_from(["USD", "usd"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_B7_C2_a_memo_gives_the_lines_and_totals_of_the_plain_way(
    runs: list[tuple[DuePeriod, CyclePrice, str | None, str]],
) -> None:
    """Runs of dues and prices, some equal and some the very same object: each line and
    each total (exponents included) is the plain one."""
    memo = InvoiceMemo()
    for due, figures, text, currency in runs:
        lines = memo.lines(due, figures, description=text)
        assert _exact(lines) == _exact(recurring_lines(due, figures, description=text))
        invoice = _invoice("i", lines, currency=currency)
        assert _exact(memo.total(invoice)) == _exact(invoice.total)
