"""The shipped adapters of the small ports pass their contracts."""

from __future__ import annotations

import pytest

from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds, UuidIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import OsSecrets, SeededSecrets
from resell_core.ports import Ids, Notifier, PaymentGateway, PayoutGateway, Provisioner, Secrets
from resell_core.testing.contracts import (
    ClockContract,
    IdsContract,
    NotifierContract,
    PaymentGatewayContract,
    PayoutGatewayContract,
    ProvisionerContract,
    SecretsContract,
)


class TestSimulatedGateway(PaymentGatewayContract):
    """The simulated payment gateway keeps the gateway contract."""

    @pytest.fixture
    def payment_gateway(self) -> PaymentGateway:
        """A fresh simulated gateway."""
        return SimulatedGateway()


class TestSimulatedPayoutGateway(PayoutGatewayContract):
    """The simulated payout gateway keeps the payout contract."""

    @pytest.fixture
    def payout_gateway(self) -> PayoutGateway:
        """A fresh simulated payout gateway."""
        return SimulatedPayoutGateway()


class TestClocks(ClockContract):
    """Both clocks (fixture in conftest.py) keep the clock contract."""


class TestIds(IdsContract):
    """Sequential and random ids keep the ids contract."""

    @pytest.fixture(params=[SequentialIds, UuidIds])
    def ids(self, request: pytest.FixtureRequest) -> Ids:
        """Each id generator."""
        made: Ids = request.param()
        return made


class TestSecrets(SecretsContract):
    """The OS and the seeded secrets keep the secrets contract."""

    @pytest.fixture(params=["os", "seeded"])
    def secrets(self, request: pytest.FixtureRequest) -> Secrets:
        """Each source of random bytes."""
        return OsSecrets() if request.param == "os" else SeededSecrets(2024)


class TestRecordingNotifier(NotifierContract):
    """The recording notifier keeps the notifier contract."""

    @pytest.fixture
    def notifier(self) -> Notifier:
        """A fresh recording notifier."""
        return RecordingNotifier()


class TestSimulatedProvisioner(ProvisionerContract):
    """The simulated provisioner keeps the contract, instant or slow."""

    @pytest.fixture(params=[0, 3])
    def provisioner(self, request: pytest.FixtureRequest) -> Provisioner:
        """A provisioner reporting after 0 or 3 polls."""
        return SimulatedProvisioner(polls=request.param)
