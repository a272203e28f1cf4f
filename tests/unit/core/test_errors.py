"""The error root: stable codes, messages that say what to do, data on the exception."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import resell_core as rc
from resell_core import errors


def _error_classes() -> list[type[rc.ResellError]]:
    found: list[type[rc.ResellError]] = []
    pending: list[type[rc.ResellError]] = [rc.ResellError]
    while pending:
        cls = pending.pop()
        if not cls.__name__.startswith("_"):
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_has_its_own_stable_code() -> None:
    """No two public error classes share a code; every code is snake_case."""
    codes = [cls.code for cls in _error_classes()]
    assert len(codes) == len(set(codes))
    assert all(code.replace("_", "").isalpha() and code.islower() for code in codes)


def test_invalid_input_lists_every_problem_at_once() -> None:
    """Two bad fields are both named in the message and kept as data."""
    error = rc.InvalidInput(
        "account",
        [rc.FieldProblem("name", "too long"), rc.FieldProblem("plan", "unknown", ("plus",))],
    )
    assert [p.field for p in error.problems] == ["name", "plan"]
    assert "name: too long" in str(error)
    assert "plan: unknown (allowed: plus)" in str(error)
    assert str(error).startswith("[invalid_input]")


def test_errors_carry_their_data() -> None:
    """Transition, version and not-found errors keep what they are about."""
    transition = rc.InvalidTransition("cancelled", "renew", "change its plan")
    assert (transition.status, transition.action) == ("cancelled", "renew")
    assert "change its plan" in transition.message
    version = rc.VersionConflict("account", "a-1", 3, 4)
    assert (version.expected, version.found) == (3, 4)
    missing = rc.NotFound("account", "a-9")
    assert isinstance(missing, LookupError)
    assert rc.DuplicateName("account name", "north-bakery").name == "north-bakery"
    assert rc.IdempotencyConflict("k-1").key == "k-1"


@pytest.mark.parametrize("name", errors.__all__)
def test_every_public_error_name_is_re_exported(name: str) -> None:
    """What errors.py declares public is reachable from resell_core."""
    assert getattr(rc, name) is getattr(errors, name)


def test_E1_quoted_cuts_a_long_text_and_says_its_length() -> None:
    """A megabyte of text is quoted as its first QUOTED_LENGTH characters and its size."""
    text = "a" * 1_000_000

    shown = errors.quoted(text)

    assert shown == f"{'a' * errors.QUOTED_LENGTH!r}… (1,000,000 characters)"
    assert errors.quoted("acct-1") == "'acct-1'"
    assert errors.quoted(b"x" * 100).endswith("… (100 characters)")


def test_E1_quoted_describes_an_int_too_large_to_show() -> None:
    """repr of an int over 4,300 digits raises; quoted describes it, alone or inside."""
    huge = 10**100_000

    assert errors.quoted(huge) == "an int of 332,193 bits"
    assert errors.quoted(-huge) == "an int of 332,193 bits"
    assert errors.quoted([huge]) == "a list too large to show"
    assert errors.quoted(10**59) == repr(10**59)


def test_E1_quoted_cuts_any_long_repr() -> None:
    """A value whose repr is long (a list of a million items) is cut the same way."""
    shown = errors.quoted(list(range(1_000_000)))

    assert shown.startswith("[0, 1, 2")
    assert len(shown) < errors.QUOTED_LENGTH + 40


@pytest.mark.parametrize(
    "build",
    [
        lambda key: rc.NotFound("account", key),
        lambda key: rc.VersionConflict("account", key, 1, 2),
        lambda key: rc.DuplicateName("account name", key),
        rc.IdempotencyConflict,
        lambda key: rc.ProfileInUse(key, [f"account-{n}" for n in range(1_000)]),
        lambda key: rc.CreditNotAllowed("sms", key, "pick another account"),
        lambda key: rc.PaymentInFlight(key, key),
        lambda key: rc.AlreadyExists("invoice", key),
        lambda key: rc.InvalidInput(
            "account", [rc.FieldProblem("name", errors.quoted(key))] * 1_000
        ),
        lambda key: rc.InvalidInput.one("plan", "tier", errors.quoted(key), ["plus"] * 1_000),
    ],
)
def test_E1_an_error_about_a_megabyte_key_has_a_short_message(
    build: Callable[[str], rc.ResellError],
) -> None:
    """An error about a caller's megabyte-long id (or a thousand problems, names or allowed
    values) has a message of a few hundred characters."""
    key = "k" * 1_000_000

    error = build(key)

    assert len(str(error)) < 5_000, len(str(error))


def test_E1_invalid_input_lists_ten_problems_and_counts_the_rest() -> None:
    """Twelve problems: the message names ten and says two more; all twelve are kept."""
    problems = [rc.FieldProblem(f"lines[{n}]", "not a line") for n in range(12)]

    error = rc.InvalidInput("invoice", problems)

    assert "lines[9]: not a line; and 2 more." in str(error)
    assert "lines[10]" not in str(error)
    assert error.problems == tuple(problems)


def test_E1_a_field_problem_lists_thirty_allowed_values() -> None:
    """Forty allowed values: the text names thirty and says ten more."""
    problem = rc.FieldProblem("tier", "unknown", tuple(f"t{n}" for n in range(40)))

    assert str(problem).endswith("t28, t29, and 10 more)")
    assert len(problem.allowed) == 40
