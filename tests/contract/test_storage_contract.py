"""Every storage adapter passes the storage contract (adapters: see conftest.py)."""

from __future__ import annotations

from resell_core.testing.contracts import StorageContract


class TestStorage(StorageContract):
    """The storage contract, run against each factory of STORAGE_FACTORIES."""
