"""The hostile-input suite through handles on one agency (portal.for_agency): each command
of an agency, the hostile agency id and actor given to the handle, is refused with a code
and changes nothing, as on the portal (E1)."""

from __future__ import annotations

from resell_core.adapters.memory import MemoryStorage
from resell_core.testing.hostile.portal import run_portal_suite


def test_E1_every_agency_command_through_a_handle_refuses_hostile_input() -> None:
    """Through a handle, each hostile value of each field of each agency command is refused
    with a coded error and leaves the state as it was (memory: the checks are the portal's,
    whatever the storage)."""
    report = run_portal_suite(MemoryStorage, examples=1, scoped=True)

    print(report.summary("memory, through handles"))  # noqa: T201 - the suite's counts
    assert report.tried > 2500
    assert not report.failures, f"{report.summary('memory')}\n{report.details()}"
