"""One InvoiceMemo shared by threads (B7, C2): each gets the lines and the totals the
plain way gives, while the others fill it, look it up and make it forget."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date

import pytest

from resell_core.billing.due import DuePeriod
from resell_core.billing.invoice_memo import MEMO_SIZE, InvoiceMemo
from resell_core.billing.invoices import Invoice, InvoiceLine, recurring_lines
from resell_core.money import Money
from resell_core.periods import Period
from resell_core.pricing import CyclePrice
from resell_core.pricing.selection import PlanSelection
from resell_core.testing.races import race_threads, tally

_THREADS = 8
_CALLS = 600
_PRICES = MEMO_SIZE + 44
"""More prices than a memo holds: the threads keep making it forget while it serves."""

PLUS = PlanSelection("V3", "marketing", "plus", 2500, "monthly")
APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))


@pytest.fixture(autouse=True)
def _switch_often() -> Iterator[None]:
    """Threads switch every microsecond, so that their steps interleave as finely as
    CPython lets them."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _price(cents: int) -> CyclePrice:
    """A price of its own: $120.00 less $12.00 and a reseller discount of ``cents``."""
    listed, migration = Money("120.00", "USD"), Money("12.00", "USD")
    discount = Money.of_minor(cents, "USD")
    return CyclePrice(listed, migration, discount, listed - migration - discount)


def _due(thread: int) -> DuePeriod:
    return DuePeriod(
        f"north-bakery-{thread}", "ACME-DIGITAL", "card-main", 0, APRIL, PLUS, f"key-{thread}"
    )


def _invoice(lines: tuple[InvoiceLine, ...]) -> Invoice:
    return Invoice(
        id="invoice-1",
        agency_id="ACME-DIGITAL",
        number=1,
        account_id="north-bakery",
        profile_id="card-main",
        issued_on=APRIL.start,
        currency="USD",
        lines=lines,
    )


def test_B7_C2_threads_sharing_one_memo_get_the_lines_and_totals_of_the_plain_way() -> None:
    """Eight threads, one memo, 300 prices (more than it holds): every tuple of lines is
    recurring_lines' for the price asked, every total its invoice's, and a thread asking
    twice in a row was served the same tuple again."""
    memo = InvoiceMemo()
    prices = [_price(cents) for cents in range(1000, 1000 + _PRICES)]
    expected = [repr(recurring_lines(_due(0), price)) for price in prices]
    totals = [repr(_invoice(recurring_lines(_due(0), price)).total) for price in prices]
    again = [0] * _THREADS

    def contender(thread: int) -> int:
        wrong = 0
        last: dict[int, tuple[InvoiceLine, ...]] = {}  # kept alive: no id reused
        for call in range(_CALLS):
            which = (call // 2 * 7 + thread * 13) % _PRICES  # each price twice in a row
            lines = memo.lines(_due(thread), prices[which])
            total = memo.total(_invoice(lines))
            wrong += repr(lines) != expected[which] or repr(total) != totals[which]
            again[thread] += lines is last.get(which)
            last[which] = lines
        return wrong

    outcomes = race_threads(_THREADS, contender)

    assert tally(outcomes) == {"ok": _THREADS}
    assert [outcome.value for outcome in outcomes] == [0] * _THREADS
    # The memo served while it was raced (a half of the calls could be served again).
    assert sum(again) > 0
