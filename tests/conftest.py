"""Test-wide settings and fixtures: Hypothesis profiles chosen by HYPOTHESIS_PROFILE (dev,
ci), the storage adapter a test runs on, and the sample portal the service and agency-API
tests start from (an embedded portal at 2024-04-11, ACME-DIGITAL with its card, and
Globex; see resell_core.testing.portal).

A test runs on the adapter of the ``adapter`` fixture: memory, unless its directory's
conftest parametrises it (tests/service runs every test on memory, SQLite and PostgreSQL).
Each storage it takes from ``fresh_storage`` is new and empty: a MemoryStorage, a private
in-memory SQLite database, or a schema of the session's PostgreSQL pool emptied for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

import resell_core as rc
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.sql import SqlStorage
from resell_core.adapters.sql.testing import ScratchPool, postgres_url, skip_reason
from resell_core.ports import Storage
from resell_core.testing.portal import other_agency, sample_agency, sample_card, sample_portal

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config: pytest.Config) -> None:
    """Register the adapters marker."""
    config.addinivalue_line(
        "markers",
        "adapters(*names, reason): run the test on these storage adapters only (memory, "
        "sqlite, postgresql), for the reason given: a test of one adapter's own behaviour",
    )


@pytest.fixture(scope="module")
def adapter(request: pytest.FixtureRequest) -> str:
    """The storage adapter of the test: memory unless the test is parametrised."""
    name: str = getattr(request, "param", "memory")
    return name


def _pool() -> Iterator[ScratchPool | None]:
    url = postgres_url()
    if url is None:
        yield None
        return
    pool = ScratchPool(url)
    yield pool
    pool.drop()


@pytest.fixture(scope="session")
def scratch_pool() -> Iterator[ScratchPool | None]:
    """The session's PostgreSQL schemas for tests (None unless PostgreSQL is enabled)."""
    yield from _pool()


@pytest.fixture(scope="session")
def module_pool() -> Iterator[ScratchPool | None]:
    """The session's PostgreSQL schemas for modules (None unless PostgreSQL is enabled)."""
    yield from _pool()


@pytest.fixture
def fresh_storage(
    adapter: str, scratch_pool: ScratchPool | None
) -> Iterator[Callable[[], Storage]]:
    """Make a new, empty storage of the test's adapter at each call."""

    def make() -> Storage:
        if adapter == "memory":
            return MemoryStorage()
        if adapter == "sqlite":
            return SqlStorage("sqlite://")
        if scratch_pool is None:
            pytest.skip(skip_reason())
        return scratch_pool.take()

    yield make
    if scratch_pool is not None:
        scratch_pool.release()


@pytest.fixture(scope="module")
def module_storage(adapter: str, module_pool: ScratchPool | None) -> Iterator[Storage]:
    """One new, empty storage of the adapter for a module's fixtures to share."""
    if adapter == "memory":
        yield MemoryStorage()
    elif adapter == "sqlite":
        yield SqlStorage("sqlite://")
    elif module_pool is None:
        pytest.skip(skip_reason())
    else:
        yield module_pool.take()
        module_pool.release()


@pytest.fixture
def new_portal(fresh_storage: Callable[[], Storage]) -> Callable[..., rc.PartnerPortal]:
    """Wire an embedded portal on a new storage of the test's adapter:
    ``new_portal(**options)`` takes PartnerPortal.embedded's options but the storage."""
    return lambda **options: rc.PartnerPortal.embedded(storage=fresh_storage(), **options)


@pytest.fixture
def portal(fresh_storage: Callable[[], Storage]) -> rc.PartnerPortal:
    """An embedded portal whose clock shows 2024-04-11 09:00 UTC."""
    return sample_portal(storage=fresh_storage())


@pytest.fixture
def acme(portal: rc.PartnerPortal) -> rc.Agency:
    """ACME-DIGITAL, a reseller with a 20 % discount."""
    return sample_agency(portal)


@pytest.fixture
def card(portal: rc.PartnerPortal, acme: rc.Agency) -> rc.BillingProfile:
    """Acme's main card, which always succeeds."""
    return sample_card(portal, acme.id)


@pytest.fixture
def globex(portal: rc.PartnerPortal) -> rc.Agency:
    """Another agency, which must never see Acme's accounts."""
    return other_agency(portal)
