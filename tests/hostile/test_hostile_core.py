"""The hostile suite's own parts: the table, the snapshot and the runner classify honestly."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings

from resell_core.errors import NotFound, ResellError
from resell_core.testing.hostile import (
    HOSTILE,
    LONGEST_REFUSAL,
    HostileCase,
    Intended,
    changed_parts,
    hostile,
    run_cases,
    snapshot,
)
from resell_core.testing.portal import sample_agency, sample_card, sample_portal
from resell_core.testing.strategies import hostile_amounts, hostile_texts, hostile_values


def test_E1_table_has_bad_values_for_every_intended_type() -> None:
    """Every intended type has hostile values, None first among them."""
    assert set(HOSTILE) == set(Intended)
    assert all(values[0].value is None for values in HOSTILE.values())


def test_E1_snapshot_sees_a_new_card_a_charge_and_a_notice() -> None:
    """A command that changes storage and the gateway shows in the snapshot's parts."""
    portal = sample_portal()
    acme = sample_agency(portal)
    before = snapshot(portal)

    card = sample_card(portal, acme.id)
    portal.buy_credits(acme.id, "prepaid", "50.00", card.id)

    changed = changed_parts(before, snapshot(portal))
    assert {"profiles", "invoices", "movements", "balances", "events", "charges"} <= set(changed)
    assert snapshot(portal) == snapshot(portal)


def test_E1_runner_counts_coded_raw_and_accepted_answers() -> None:
    """A coded refusal passes; a raw error and an accepted call that changes state fail."""
    portal = sample_portal()
    acme = sample_agency(portal)

    def raw() -> None:
        raise KeyError("north-bakery")

    cases = [
        HostileCase("agency", "agency_id", hostile("ACME-NOPE"), lambda: portal.agency("nope")),
        HostileCase("boom", "key", hostile("north-bakery"), raw),
        HostileCase(
            "add_portal_user",
            "email",
            hostile("ada@acme.test"),
            lambda: portal.add_portal_user(acme.id, "ada@acme.test", "Ada"),
        ),
        HostileCase("boom", "key", hostile(0), raw, known="a sample known case"),
    ]

    report = run_cases(portal, cases)

    assert (report.tried, report.coded, report.unchanged) == (4, 1, 3)
    assert [(r.case.command, r.outcome) for r in report.failures] == [
        ("boom", "raw"),
        ("add_portal_user", "accepted"),
    ]
    assert report.failures[1].changed == ("users", "events")
    assert [r.outcome for r in report.known] == ["raw"]
    assert "tried 4, coded 1, state unchanged 3" in report.summary("memory")


def test_E1_runner_treats_uncoded_codes_as_raw() -> None:
    """An error code listed as uncoded (``internal_error``) counts as raw, not coded."""
    portal = sample_portal()

    def missing() -> None:
        raise NotFound("agency", "ACME-DIGITAL")

    case = HostileCase("agency", "agency_id", hostile(""), missing)

    report = run_cases(portal, [case], uncoded=frozenset({"not_found"}))

    assert (report.coded, len(report.failures)) == (0, 1)


def test_E1_runner_fails_a_refusal_that_quotes_a_megabyte() -> None:
    """A coded error whose message is longer than LONGEST_REFUSAL fails; the library's
    own refusal of the same megabyte id passes."""
    portal = sample_portal()
    key = "a" * 1_000_000

    def verbose() -> None:
        raise ResellError(f"no account {key} was found")

    cases = [
        HostileCase("agency", "agency_id", hostile(key), lambda: portal.agency(key)),
        HostileCase("verbose", "account_id", hostile(key), verbose),
    ]

    report = run_cases(portal, cases)

    assert (report.tried, report.coded, report.unchanged) == (2, 2, 2)
    assert [r.case.command for r in report.failures] == ["verbose"]
    assert report.failures[0].refusal_length > LONGEST_REFUSAL
    assert "a refusal of 1,000,021 characters" in str(report.failures[0])


@settings(max_examples=50)
@given(hostile_texts)
def test_E1_hostile_texts_are_never_plain_printable_text(value: object) -> None:
    """A generated hostile text is not a string, or holds a bad character, or is long or
    SQL-looking."""
    if isinstance(value, str) and value.isprintable() and 0 < len(value) < 1000:
        assert any(mark in value for mark in ("'", "%", "_", "\\", '"'))


@settings(max_examples=50)
@given(hostile_amounts)
def test_E1_hostile_amounts_are_never_positive_bounded_decimals(value: object) -> None:
    """A generated hostile amount is never a positive decimal below 10**13."""
    assert not (isinstance(value, Decimal) and value.is_finite() and 0 < value < 10**13)


@settings(max_examples=20)
@given(hostile_values(Intended.QUANTITY))
def test_E1_hostile_quantities_are_never_small_positive_ints(value: object) -> None:
    """A hostile quantity is never a plain int in [1, 2**63)."""
    assert not (type(value) is int and 0 < value < 2**63)
