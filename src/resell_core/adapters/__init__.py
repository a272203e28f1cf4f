"""Adapters: the ports' implementations that make the library run by itself.

``memory`` (the embedded default storage), ``gateway`` and ``payout`` (simulated
gateways driven by test cards and addresses), ``notifier`` (recording), ``provisioner``
(simulated), ``clock`` (manual and system), ``ids``, ``secrets`` and ``taxes`` (none, and
an example for EU VAT), re-exported here. The
SQL adapter lives in ``sql`` and needs the ``sql`` extra (it is not imported here).
Writing one's own: docs/adapters.md.
"""

from __future__ import annotations

from resell_core.adapters.clock import ManualClock, SystemClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds, UuidIds
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import OsSecrets, SeededSecrets
from resell_core.adapters.taxes import EuVat, NoTax

__all__ = [
    "EuVat",
    "ManualClock",
    "MemoryStorage",
    "NoTax",
    "OsSecrets",
    "RecordingNotifier",
    "SeededSecrets",
    "SequentialIds",
    "SimulatedGateway",
    "SimulatedPayoutGateway",
    "SimulatedProvisioner",
    "SystemClock",
    "UuidIds",
]
