"""``account_edit_preview`` (P1, API1): the figures ``account_edit`` would issue, as JSON,
with nothing charged, stored or audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import resell_core as rc
from resell_core.testing.hostile import snapshot

from .conftest import PLUS

Call = Callable[..., dict[str, Any]]
AddActive = Callable[..., rc.Account]
PROFESSIONAL = "V3/marketing/professional/2500/monthly"
STARTER = "V3/marketing/starter/2500/monthly"


def _half_way(portal: rc.PartnerPortal, add_active: AddActive) -> rc.Account:
    """north-bakery on plus, its April billed and paid, the clock on 2024-04-26."""
    bakery = add_active("north-bakery", PLUS)
    portal.run_billing()
    clock = portal.clock
    assert isinstance(clock, rc.ManualClock)
    clock.advance(days=15)
    return bakery


def test_P1_API1_the_preview_answers_the_lines_and_split_of_the_edit(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal
) -> None:
    """An upgrade half-way: credit and charge lines, paid by card; nothing changed; then
    account_edit issues that invoice."""
    bakery = _half_way(portal, add_active)
    before = snapshot(portal)

    answer = call("account_edit_preview", account="north-bakery", plan=PROFESSIONAL)

    assert snapshot(portal) == before
    assert (answer["result_code"], answer["change"], answer["timing"]) == (
        1,
        "upgrade",
        "immediate",
    )
    invoice = answer["invoice"]
    assert [(line["kind"], line["amount"]) for line in invoice["lines"]] == [
        ("proration_credit", "-48.00"),
        ("proration_charge", "119.60"),
    ]
    assert (invoice["total"], invoice["earmarked"], invoice["pool"], invoice["card"]) == (
        "71.60",
        "0.00",
        "0.00",
        "71.60",
    )
    assert "charged to the card now" in answer["explanation"]
    edited = call("account_edit", account="north-bakery", plan=PROFESSIONAL)
    issued = portal.invoice(bakery.agency_id, edited["invoice_id"])
    assert [str(line.amount.amount) for line in issued.lines] == ["-48.00", "119.60"]
    assert issued.number == invoice["number"]


def test_P1_API1_a_downgrade_preview_answers_the_pending_plan(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal
) -> None:
    """plus -> starter: no invoice, the plan scheduled for the end of the term."""
    _half_way(portal, add_active)

    answer = call("account_edit_preview", account="north-bakery", plan=STARTER)

    assert answer["invoice"] is None
    assert (answer["plan"], answer["pending_plan"], answer["pending_on"]) == (
        PLUS,
        STARTER,
        "2024-05-11",
    )


def test_P1_API1_a_bad_day_or_nothing_to_preview_is_invalid_input(
    call: Call, add_active: AddActive, portal: rc.PartnerPortal
) -> None:
    """A day that is no calendar day, a day before today, or neither plan nor profile:
    invalid input naming the parameter."""
    _half_way(portal, add_active)

    no_day = call(
        "account_edit_preview", account="north-bakery", plan=PROFESSIONAL, on="2024-02-30"
    )
    past = call("account_edit_preview", account="north-bakery", plan=PROFESSIONAL, on="2024-04-01")
    nothing = call("account_edit_preview", account="north-bakery")

    assert [p["field"] for p in no_day["problems"]] == ["on"]
    assert [p["field"] for p in past["problems"]] == ["on"]
    assert [p["field"] for p in nothing["problems"]] == ["$"]
    assert {no_day["error_code"], past["error_code"], nothing["error_code"]} == {"invalid_input"}
