"""Adapters: the ports' implementations that make the library run by itself.

``memory`` (the embedded default storage), ``gateway`` and ``payout`` (simulated
gateways driven by test cards and addresses), ``notifier`` (recording), ``provisioner``
(simulated), ``clock`` (manual and system), ``ids`` and ``secrets``. The SQL adapter
lives in ``sql`` and needs the ``sql`` extra. Writing one's own: docs/adapters.md.
"""
