"""The error root: stable codes, messages that say what to do, data on the exception."""

from __future__ import annotations

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
