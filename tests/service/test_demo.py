"""The demo: ``python -m resell_core demo`` replays ACME-DIGITAL through the portal and
prints figures that are the portal's own; same arguments, same output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import resell_core as rc
from resell_core.__main__ import main
from resell_core.demo import DemoResult, MonthFigures, render, run_demo
from resell_core.ports import Storage

SECTIONS = (
    "Accounts overview",
    "Invoices per month",
    "Totals:",
    "Credit balances",
    "Commission statement",
    "What happened",
)


@pytest.fixture(scope="module")
def three_months(module_storage: Storage) -> DemoResult:
    """ACME-DIGITAL replayed from 2024-01-01 for three months, seed 0."""
    return run_demo(months=3, storage=module_storage)


def _counted(result: DemoResult) -> list[rc.Invoice]:
    """The agency's invoices as the portal reports them, void ones left out."""
    invoices = result.portal.invoices(result.agency_id)
    return [i for i in invoices if i.status is not rc.InvoiceStatus.VOID]


def test_main_prints_every_section_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """``demo --months 3 --quiet`` exits 0, prints every section and nothing on stderr."""
    code = main(["demo", "--months", "3", "--quiet"])

    out, err = capsys.readouterr()
    assert code == 0
    assert [section for section in SECTIONS if section not in out] == []
    assert "north-bakery" in out
    assert err == ""


def test_the_totals_are_the_portals_invoices(three_months: DemoResult) -> None:
    """Count, billed, card and prepaid totals equal the sums over ``portal.invoices``."""
    invoices = _counted(three_months)

    totals = three_months.totals

    assert totals.invoices == len(invoices) > 0
    assert totals.billed == rc.Money.total((i.total for i in invoices), "USD")
    assert totals.paid_card == rc.Money.total((i.paid_card for i in invoices), "USD")
    assert totals.paid_prepaid == rc.Money.total(
        (i.paid_pool + i.paid_earmarked for i in invoices), "USD"
    )
    assert totals.unpaid == sum(1 for i in invoices if i.status is not rc.InvoiceStatus.PAID)


def test_the_printed_totals_line_shows_the_portals_figures(three_months: DemoResult) -> None:
    """The printed "Totals" line carries the invoice count and sums of the portal."""
    invoices = _counted(three_months)
    billed = rc.Money.total((i.total for i in invoices), "USD")
    card = rc.Money.total((i.paid_card for i in invoices), "USD")

    text = render(three_months)

    [line] = [line for line in text.splitlines() if line.startswith("Totals:")]
    assert f"{len(invoices)} invoices" in line
    assert f"{rc.format_money(billed)} billed" in line
    assert f"{rc.format_money(card)} paid by card" in line


def test_the_months_add_up_to_the_totals(three_months: DemoResult) -> None:
    """Every invoice falls in exactly one replayed month: the months add up to the totals."""
    months = three_months.months

    added = MonthFigures.of(three_months.start, [])
    for month in months:
        added = MonthFigures(
            added.start,
            added.invoices + month.invoices,
            added.billed + month.billed,
            added.paid_card + month.paid_card,
            added.paid_prepaid + month.paid_prepaid,
            added.unpaid + month.unpaid,
        )

    assert [m.start for m in months] == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert added == three_months.totals


def test_the_same_seed_gives_the_same_output(fresh_storage: Callable[[], Storage]) -> None:
    """Two replays with the same seed print the same text; another seed differs."""
    first = render(run_demo(months=2, accounts=40, seed=7, storage=fresh_storage()))
    again = render(run_demo(months=2, accounts=40, seed=7, storage=fresh_storage()))
    other = render(run_demo(months=2, accounts=40, seed=8, storage=fresh_storage()))

    assert first == again
    assert other != first


def test_generated_accounts_join_the_overview(
    three_months: DemoResult, fresh_storage: Callable[[], Storage]
) -> None:
    """``accounts=N`` adds N accounts to the story's; the overview shows one page of them."""
    result = run_demo(months=3, accounts=60, seed=1, storage=fresh_storage())

    assert result.accounts == three_months.accounts + 60
    assert len(result.overview) == 20
    assert result.totals.invoices > three_months.totals.invoices


def test_the_sqlite_database_replays_the_same_story(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--db sqlite:///…/agency.db`` prints what the memory storage prints (but its name)."""
    main(["demo", "--months", "2", "--quiet"])
    in_memory = capsys.readouterr().out

    code = main(["demo", "--months", "2", "--quiet", "--db", f"sqlite:///{tmp_path}/agency.db"])

    in_sqlite = capsys.readouterr().out
    assert code == 0
    assert (tmp_path / "agency.db").exists()
    assert in_sqlite.replace("sqlite storage", "memory storage") == in_memory


def test_a_database_that_holds_an_agency_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replaying again into the same database exits 2 and says to use an empty one."""
    url = f"sqlite:///{tmp_path}/agency.db"
    main(["demo", "--months", "1", "--quiet", "--db", url])
    capsys.readouterr()

    code = main(["demo", "--months", "1", "--quiet", "--db", url])

    err = capsys.readouterr().err
    assert code == 2
    assert "empty database" in err


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--months", "0"], "--months: give 1 to 120, not 0"),
        (["--months", "twelve"], "--months: 'twelve' is not a whole number"),
        (["--accounts", "-5"], "--accounts: give 0 to 100,000, not -5"),
        (["--start", "2024-02-30"], "--start: '2024-02-30' is not a day: use YYYY-MM-DD"),
        (["--db", "mysql://acme"], "--db: 'mysql://acme' is not a database URL"),
        (["--quiet", "--progress"], "not allowed with argument"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad argument exits with status 2 and names the argument and what is allowed."""
    with pytest.raises(SystemExit) as exited:
        main(["demo", *arguments])

    assert exited.value.code == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:///{tmp}/missing/agency.db", "unable to open database file"),
        ("sqlite:north-bakery.db", "Could not parse SQLAlchemy URL"),
        ("postgresql+nodriver://acme@localhost/agency", "Can't load plugin"),
    ],
)
def test_a_database_that_cannot_be_opened_exits_2_with_the_reason(
    url: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --db the storage cannot open is reported as the library's invalid input (exit 2),
    with the driver's reason and what to check; no traceback."""
    pytest.importorskip("sqlalchemy")

    code = main(["demo", "--quiet", "--db", url.format(tmp=tmp_path)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("resell-core demo: [invalid_input]")
    assert "--db: cannot open the database" in err
    assert reason in err
    assert "Traceback" not in err


def test_run_demo_reports_every_bad_field_at_once() -> None:
    """Months and accounts out of range are both reported, and nothing is replayed."""
    with pytest.raises(rc.InvalidInput) as raised:
        run_demo(months=0, accounts=-1)

    assert [p.field for p in raised.value.problems] == ["months", "accounts"]


def test_progress_is_one_line_a_month_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """``--progress`` writes a line per month and the timing to stderr; stdout is unchanged."""
    main(["demo", "--months", "2", "--quiet"])
    quiet = capsys.readouterr().out

    code = main(["demo", "--months", "2", "--progress"])

    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 0
    assert out == quiet
    assert [line.split(" · ")[0] for line in lines[:2]] == ["month 1/2", "month 2/2"]
    assert lines[2].startswith("replayed in ")


# -- the story shows the rules it claims ---------------------------------------------------


def test_TR1_TR3_a_trial_expires_and_the_expired_trial_gets_a_paid_plan(
    three_months: DemoResult,
) -> None:
    """green-trial stays expired; sunny-trial expired, then became a paid V3 account."""
    portal, agency = three_months.portal, three_months.agency_id

    green = portal.account(agency, three_months.account_id("green-trial"))
    sunny = portal.account(agency, three_months.account_id("sunny-trial"))

    assert green.status is rc.AccountStatus.EXPIRED
    assert sunny.status is rc.AccountStatus.ACTIVE
    assert (sunny.plan.version, sunny.plan.tier) == ("V3", "plus")
    assert any("sunny-trial (expired trial) upgraded" in h.text for h in three_months.happened)


def test_U1_the_upgrade_is_prorated_and_the_downgrade_waits_for_the_term(
    three_months: DemoResult,
) -> None:
    """north-bakery's upgrade opened a proration invoice; river-shop's downgrade applied on
    the first day of the next term."""
    portal, agency = three_months.portal, three_months.agency_id
    bakery = three_months.account_id("north-bakery")

    kinds = [[line.kind for line in i.lines] for i in portal.invoices(agency, bakery)]
    shop = portal.account(agency, three_months.account_id("river-shop"))

    assert [rc.LineKind.PRORATION_CREDIT, rc.LineKind.PRORATION_CHARGE] in kinds
    assert shop.plan.tier == "starter"
    assert any("downgrade applied" in h.text for h in three_months.happened)


def test_B4_C2_prepaid_credit_bought_on_the_first_is_spent_before_the_card(
    three_months: DemoResult,
) -> None:
    """From the second month, the $500 bought on the 1st paid invoices first, and is gone."""
    portal, agency = three_months.portal, three_months.agency_id
    [main_card, _backup] = portal.billing_profiles(agency)

    pool = portal.balances(agency, billing_profile_id=main_card.id)

    assert [m.paid_prepaid for m in three_months.months] == [
        rc.Money("0", "USD"),
        rc.Money("500.00", "USD"),
        rc.Money("500.00", "USD"),
    ]
    assert pool.prepaid.is_zero()


def test_C1_C6_sms_and_inbox_preview_credits_are_bought_and_assigned(
    three_months: DemoResult,
) -> None:
    """SMS went to north-bakery and peak-fitness, previews to lake-studio; the rest waits."""
    portal, agency = three_months.portal, three_months.agency_id

    bakery = portal.balances(agency, account_id=three_months.account_id("north-bakery"))
    studio = portal.balances(agency, account_id=three_months.account_id("lake-studio"))
    unassigned = portal.balances(agency)

    assert (bakery.sms, studio.inbox_preview) == (Decimal(400), Decimal(100))
    assert (unassigned.sms, unassigned.inbox_preview) == (Decimal(300), Decimal(100))


def test_a_declined_card_is_paid_on_the_retry(three_months: DemoResult) -> None:
    """harbor-gym's first invoice was declined once, then paid by the same card."""
    portal, agency = three_months.portal, three_months.agency_id

    first = portal.invoices(agency, three_months.account_id("harbor-gym"))[0]

    assert first.status is rc.InvoiceStatus.PAID
    assert first.attempts == 1
    assert first.paid_card == first.total


def test_R1_R7_the_cancelled_account_is_renewed_and_the_archived_one_offers_renew(
    three_months: DemoResult,
) -> None:
    """city-dental was cancelled then renewed; old-florist is archived, its action Renew."""
    rows = {line.name: line for line in three_months.overview}

    assert (rows["city-dental"].status, rows["city-dental"].action) == ("active", "login")
    assert (rows["old-florist"].status, rows["old-florist"].action) == ("archived", "renew")


def test_K2_the_commission_is_paid_by_paypal_once_a_month(three_months: DemoResult) -> None:
    """January and February were paid by PayPal; March is open until April."""
    payouts = three_months.portal.payouts
    assert isinstance(payouts, rc.SimulatedPayoutGateway)

    statuses = [(c.status, c.payout) for c in three_months.commissions]

    assert statuses == [("payable", "succeeded"), ("payable", "succeeded"), ("payable", "open")]
    assert [p.amount for p in payouts.payouts] == [c.due for c in three_months.commissions[:2]]


def test_K1_K3_referred_accounts_earn_commission_and_are_never_billed_to_the_agency(
    three_months: DemoResult,
) -> None:
    """lake-cafe and hill-books are commission accounts with no invoice of the agency's."""
    portal, agency = three_months.portal, three_months.agency_id
    referred = [three_months.account_id(n) for n in ("lake-cafe", "hill-books")]

    kinds = [portal.account(agency, a).kind for a in referred]
    billed = [portal.invoices(agency, a) for a in referred]

    assert kinds == [rc.AccountKind.COMMISSION, rc.AccountKind.COMMISSION]
    assert billed == [[], []]
    assert three_months.commissions[0].referred_revenue.is_positive()


def test_R2_an_account_bought_before_the_cut_off_gets_its_plan_again_instead_of_renewal(
    fresh_storage: Callable[[], Storage],
) -> None:
    """From 2020, city-dental's renewal is refused (R2) and the demo changes the plan."""
    result = run_demo(months=3, start=date(2020, 1, 1), storage=fresh_storage())

    dental = result.portal.account(result.agency_id, result.account_id("city-dental"))

    assert dental.status is rc.AccountStatus.ACTIVE
    assert dental.anchor == date(2020, 3, 10)
    assert any("city-dental: renewal refused" in h.text for h in result.happened)
