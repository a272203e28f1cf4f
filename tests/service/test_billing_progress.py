"""The billing run's progress callback and the library's logging: once a page, never once
an account, and nothing configured at import."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable

import attrs
import pytest

import resell_core as rc

PLUS = rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly")
SHOPS = ("north-bakery", "south-florist", "east-butcher", "west-garage", "old-town-cafe")

AddActive = Callable[..., rc.Account]


def test_the_progress_callback_is_called_once_a_page_with_the_run_so_far(
    portal: rc.PartnerPortal, add_active: AddActive
) -> None:
    """Five due shops in pages of two: three calls for the accounts pass (2, 4, 5 billed),
    the last figures those of the report."""
    for name in SHOPS:
        add_active(name, PLUS)
    seen: list[rc.BillingProgress] = []

    report = portal.run_billing(page_size=2, progress=seen.append)

    accounts = [p for p in seen if p.stage == "accounts"]
    assert [(p.pages, p.accounts_billed) for p in accounts] == [(1, 2), (2, 4), (3, 5)]
    assert all(p.until == report.until for p in seen)
    assert seen[-1].invoices_created == report.invoices_created == 5
    assert seen[-1].invoices_paid == report.invoices_paid
    assert len(seen) < len(SHOPS) + 1  # never one a shop (plus one for the pass)


def test_a_run_with_nothing_due_calls_no_progress(portal: rc.PartnerPortal) -> None:
    """No account due, no page: the callback is never called."""
    seen: list[rc.BillingProgress] = []
    portal.run_billing(progress=seen.append)
    assert seen == []


@pytest.mark.adapters("memory", reason="argument checks are the portal's, not the storage's")
@pytest.mark.parametrize("bad", ["print", 5, object()])
def test_a_progress_that_cannot_be_called_is_refused_before_anything_runs(
    portal: rc.PartnerPortal, add_active: AddActive, bad: object
) -> None:
    """Text, a number, an object: InvalidInput naming progress, and nothing billed."""
    shop = add_active("north-bakery", PLUS)
    with pytest.raises(rc.InvalidInput) as refused:
        portal.run_billing(progress=bad)  # type: ignore[arg-type]
    assert "progress" in str(refused.value)
    assert portal.account(shop.agency_id, shop.id).next_period == 0


def test_the_run_logs_its_start_and_end_at_info_and_each_page_at_debug(
    portal: rc.PartnerPortal, add_active: AddActive, caplog: pytest.LogCaptureFixture
) -> None:
    """Pages of two over five shops: one INFO line at the start and one at the end, and a
    DEBUG line a page (not an account), all from the billing service's logger."""
    for name in SHOPS:
        add_active(name, PLUS)
    with caplog.at_level(logging.DEBUG, logger="resell_core"):
        portal.run_billing(page_size=2)
    mine = [r for r in caplog.records if r.name == "resell_core.service.billing"]
    infos = [r.getMessage() for r in mine if r.levelno == logging.INFO]
    assert len(infos) == 2
    assert "started" in infos[0]
    assert "done: 5 accounts billed, 5 invoices created" in infos[1]
    pages = [r for r in mine if r.levelno == logging.DEBUG]
    assert 3 <= len(pages) < len(SHOPS) + 1


@pytest.mark.adapters("memory", reason="a failure the service maps, on any storage alike")
def test_an_account_that_cannot_be_billed_is_logged_as_a_warning(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    add_active: AddActive,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """North Bakery lost its card: the run reports it, and logs it once at WARNING with
    its code; South Florist, billed, logs no warning."""
    broken = add_active("north-bakery", PLUS)
    add_active("south-florist", PLUS)
    with portal.storage.unit_of_work() as uow:
        stored = uow.accounts.get(acme.id, broken.id)
        uow.accounts.update(attrs.evolve(stored, billing_profile_id=None))
        uow.commit()
    with caplog.at_level(logging.DEBUG, logger="resell_core"):
        report = portal.run_billing()
    assert [e.subject for e in report.errors] == [broken.id]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [f"billing {broken.id} failed: [payment_error] {report.errors[0].message}"]


def test_an_unexpected_failure_of_an_api_call_is_logged_with_its_traceback(
    portal: rc.PartnerPortal,
    acme: rc.Agency,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A defect answered as internal_error is not lost: the handler logs it (ERROR, with
    the exception)."""
    api = rc.AgencyApi(portal)

    def broken(name: str) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api.portal, "check_account_name", broken)
    with caplog.at_level(logging.ERROR, logger="resell_core"):
        failed = api.call("account_name_check", acme.id, {"account": "north-bakery"})
    assert failed["error_code"] == "internal_error"
    [record] = [r for r in caplog.records if r.name == "resell_core.agency_api.handlers"]
    assert record.exc_info is not None
    assert "account_name_check" in record.getMessage()


def test_importing_the_library_configures_no_logging() -> None:
    """In a fresh interpreter: the library's logger has one NullHandler, no level of its
    own, and the root logger is left alone (no handler added)."""
    script = (
        "import logging\n"
        "root = list(logging.getLogger().handlers)\n"
        "import resell_core\n"
        "import resell_core.adapters.sql\n"
        "lib = logging.getLogger('resell_core')\n"
        "assert [type(h).__name__ for h in lib.handlers] == ['NullHandler'], lib.handlers\n"
        "assert lib.level == logging.NOTSET and lib.propagate\n"
        "assert logging.getLogger().handlers == root\n"
        "assert logging.getLogger().level == logging.WARNING\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_the_demo_prints_a_line_a_billing_page_when_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--billing-progress`` adds a line per billed page on stderr; stdout is unchanged."""
    from resell_core.__main__ import main  # noqa: PLC0415 - the command line under test

    assert main(["demo", "--months", "1", "--quiet"]) == 0
    plain = capsys.readouterr()
    assert main(["demo", "--months", "1", "--billing-progress"]) == 0
    shown = capsys.readouterr()
    assert shown.out == plain.out
    pages = [line for line in shown.err.splitlines() if line.startswith("  billing until")]
    assert pages
    assert "accounts page 1" in pages[0]
    assert plain.err == ""
