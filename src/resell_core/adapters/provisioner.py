"""A simulated provisioning system: accounts become ready after a few polls, or fail.

Example:
    >>> provisioner = SimulatedProvisioner(polls=1, failing_names={"broken-shop"})
    >>> provisioner.start("account-1", "north-bakery", None)
    >>> provisioner.start("account-2", "broken-shop", None)
    >>> provisioner.poll()
    []
    >>> [(r.account_id, r.outcome.value) for r in provisioner.poll()]
    [('account-1', 'ready'), ('account-2', 'failed')]
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from resell_core.ports import ProvisioningOutcome, ProvisioningReport

__all__ = ["SimulatedProvisioner"]


@attrs.define
class _Job:
    account_id: str
    name: str
    snapshot_id: str | None
    polls_left: int


class SimulatedProvisioner:
    """Prepares accounts in memory.

    Args:
        polls: How many polls pass before a started account is reported (0: the next poll
            reports it).
        failing_names: Account names whose provisioning fails.
        reason: The reason given for a failure.
    """

    def __init__(
        self,
        *,
        polls: int = 0,
        failing_names: Iterable[str] = (),
        reason: str = "the hosting cluster refused the account",
    ) -> None:
        self._polls = polls
        self._failing = {name.casefold() for name in failing_names}
        self._reason = reason
        self._jobs: dict[str, _Job] = {}
        self.started: list[tuple[str, str, str | None]] = []

    def start(self, account_id: str, name: str, snapshot_id: str | None) -> None:
        """Start preparing the account; starting it again is harmless."""
        if account_id in self._jobs or any(s[0] == account_id for s in self.started):
            return
        self.started.append((account_id, name, snapshot_id))
        self._jobs[account_id] = _Job(account_id, name, snapshot_id, self._polls)

    def poll(self) -> list[ProvisioningReport]:
        """Return the accounts whose preparation finished since the previous poll."""
        reports: list[ProvisioningReport] = []
        for job in list(self._jobs.values()):
            if job.polls_left > 0:
                job.polls_left -= 1
                continue
            del self._jobs[job.account_id]
            if job.name.casefold() in self._failing:
                reports.append(
                    ProvisioningReport(job.account_id, ProvisioningOutcome.FAILED, self._reason)
                )
            else:
                reports.append(ProvisioningReport(job.account_id, ProvisioningOutcome.READY))
        return reports

    @property
    def in_progress(self) -> list[str]:
        """The ids of accounts started and not yet reported."""
        return list(self._jobs)
