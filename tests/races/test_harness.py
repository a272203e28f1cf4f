"""The race harness itself: contenders start together and every outcome is gathered."""

from __future__ import annotations

import threading

from resell_core.errors import NotFound
from resell_core.testing.races import Outcome, race_processes, race_threads, tally


def _square_or_refuse(index: int, limit: int) -> int:
    if index >= limit:
        raise NotFound("contender", index)
    return index * index


def test_race_threads_gathers_values_and_coded_errors_in_index_order() -> None:
    """Each thread's value or error code is reported at its index."""
    outcomes = race_threads(6, lambda i: _square_or_refuse(i, 4))

    assert [o.value for o in outcomes[:4]] == [0, 1, 4, 9]
    assert [o.error for o in outcomes[4:]] == ["not_found", "not_found"]
    assert tally(outcomes) == {"ok": 4, "not_found": 2}


def test_race_threads_runs_every_contender_at_once() -> None:
    """Contenders that each wait for all the others all get through: they run together."""
    together = threading.Barrier(5)

    outcomes = race_threads(5, lambda _i: together.wait(5))

    assert tally(outcomes) == {"ok": 5}


def test_race_processes_runs_each_contender_in_its_own_process() -> None:
    """Processes return picklable values and coded errors, in index order."""
    outcomes = race_processes(3, _square_or_refuse, 2)

    assert outcomes[:2] == [Outcome(value=0), Outcome(value=1)]
    assert outcomes[2].error == "not_found"
    assert "contender 2" in outcomes[2].message


def test_outcome_of_reports_a_raw_exception_by_its_type_name() -> None:
    """A non-library exception is reported by type, so a suite can count it as a defect."""
    outcome = Outcome.of(lambda: int("x"))

    assert (outcome.ok, outcome.error) == (False, "ValueError")
