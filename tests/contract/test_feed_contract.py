"""Every storage adapter passes the event feed's consumer contract (EV1; adapters: see
conftest.py)."""

from __future__ import annotations

from resell_core.testing.contracts import FeedConsumerContract


class TestFeedConsumer(FeedConsumerContract):
    """The feed consumer contract, run against each factory of STORAGE_FACTORIES."""
