"""Race suite of idempotency keys (I1): one key sent by many callers at once.

A host runs it against its own storage adapter, as the contract suites of
:mod:`resell_core.testing.contracts`:

- :func:`race_key_in_threads` shares one storage between threads (and one simulated
  gateway, so that charges can be counted): adding a billing profile, and buying SMS
  credits with the quantity written a different way by each caller;
- :func:`race_key_in_processes` seeds the database through the storage given, opens
  it again in each spawned process with a module-level function of the host (given the
  picklable ``argument``, e.g. a database URL) and races adding a billing profile.

Each race returns a :class:`KeyRace`: how every caller fared and how many effects were
stored or charged. :meth:`KeyRace.check` asserts exactly one effect and one result, the
same for every caller, with the tallies in its message.

Example:
    >>> from resell_core.adapters.memory import MemoryStorage
    >>> for race in race_key_in_threads(MemoryStorage(), contenders=3):
    ...     race.check()
    ...     print(race.summary())
    add_billing_profile: 3 contenders, ok=3, 1 result, 1 effect
    buy_credits: 3 contenders, ok=3, 1 result, 1 effect
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from resell_core.adapters.clock import ManualClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import UuidIds
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import OsSecrets
from resell_core.ports import PaymentGateway, Storage
from resell_core.service.context import Policies
from resell_core.service.portal import PartnerPortal
from resell_core.testing.races import Outcome, race_processes, race_threads, tally

__all__ = [
    "CONTENDERS",
    "KeyRace",
    "race_key_in_processes",
    "race_key_in_threads",
]

A = TypeVar("A")

CONTENDERS = 8
"""How many callers send the key at once, unless told otherwise."""

_NOW = datetime(2024, 4, 11, 9, tzinfo=UTC)
_READY_TIMEOUT = 60.0  # seconds the processes wait for one another once connected
_CARD_KEY = "card-north-visa"
_CREDITS_KEY = "sms-april"
# One quantity of SMS credits as callers write it: the same request every time (I1).
_SMS_WRITTEN: tuple[Decimal | int | str, ...] = ("1000", "1000.0", Decimal("1000"), 1000, "1e3")


@attrs.frozen
class KeyRace:
    """How one race for an idempotency key went.

    Attributes:
        command: The command the callers sent.
        outcomes: What each caller got, in their order (the result's id as value).
        effects: How many effects the storage or gateway holds afterwards (profiles
            added, cards charged): exactly one is allowed.
    """

    command: str
    outcomes: tuple[Outcome, ...]
    effects: int

    @property
    def results(self) -> int:
        """How many different results the callers that returned got."""
        return len({o.value for o in self.outcomes if o.ok})

    def summary(self) -> str:
        """The race's tallies: callers, their outcomes, distinct results and effects."""
        counted = ", ".join(f"{code}={n}" for code, n in sorted(tally(self.outcomes).items()))
        return (
            f"{self.command}: {len(self.outcomes)} contenders, {counted}, "
            f"{self.results} result{'s' * (self.results != 1)}, "
            f"{self.effects} effect{'s' * (self.effects != 1)}"
        )

    def check(self) -> None:
        """Assert one effect, and every caller returned the same result (I1).

        Raises:
            AssertionError: Naming the tallies and the first error met.
        """
        failed = [o for o in self.outcomes if not o.ok]
        detail = f" (first error: {failed[0].error}: {failed[0].message})" if failed else ""
        assert self.effects == 1, self.summary() + detail
        assert not failed, self.summary() + detail
        assert self.results == 1, self.summary() + detail


def _portal(storage: Storage, gateway: PaymentGateway | None = None) -> PartnerPortal:
    """A portal on ``storage`` whose ids are unique across processes."""
    return PartnerPortal(
        storage=storage,
        gateway=gateway or SimulatedGateway(),
        payouts=SimulatedPayoutGateway(),
        notifier=RecordingNotifier(),
        provisioner=SimulatedProvisioner(),
        clock=ManualClock(_NOW),
        ids=UuidIds(),
        secrets=OsSecrets(),
        sso_secret=b"north-agency-sso-secret-for-races",
        policies=Policies.embedded(),
    )


def _seed(portal: PartnerPortal) -> str:
    agency = portal.register_agency("North Agency", "ops@north-agency.test", "USD")
    return agency.id


def _add_card(portal: PartnerPortal, agency_id: str) -> str:
    profile = portal.add_billing_profile(
        agency_id,
        label="North Visa",
        card_token="tok_ok",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
        actor="api",
        idempotency_key=_CARD_KEY,
    )
    return profile.id


def _profiles(portal: PartnerPortal, agency_id: str) -> int:
    return len(portal.billing_profiles(agency_id))


def race_key_in_threads(storage: Storage, *, contenders: int = CONTENDERS) -> list[KeyRace]:
    """Race one idempotency key from ``contenders`` threads sharing ``storage``.

    Two races on an empty storage: adding a billing profile (its effect: profiles
    stored), then buying SMS credits with it, each caller writing the quantity its own
    way (its effect: cards charged at the one simulated gateway the threads share).

    Args:
        storage: A fresh, empty storage that threads may share.
        contenders: How many threads send the key at once.

    Returns:
        The two races, to :meth:`KeyRace.check`.
    """
    gateway = SimulatedGateway()
    portal = _portal(storage, gateway)
    agency_id = _seed(portal)

    cards = race_threads(contenders, lambda _i: _add_card(portal, agency_id))
    card_race = KeyRace("add_billing_profile", tuple(cards), _profiles(portal, agency_id))
    card_id = next((o.value for o in cards if o.ok), None) or _add_card(portal, agency_id)

    def buy(index: int) -> str:
        quantity = _SMS_WRITTEN[index % len(_SMS_WRITTEN)]
        bought = portal.buy_credits(
            agency_id, "sms", quantity, card_id, actor="api", idempotency_key=_CREDITS_KEY
        )
        return bought.invoice.id

    purchases = race_threads(contenders, buy)
    return [card_race, KeyRace("buy_credits", tuple(purchases), len(gateway.charges))]


def _add_card_in_process(
    _index: int, argument: tuple[Callable[[Any], Storage], Any, str, Any]
) -> str:
    open_storage, opened_with, agency_id, ready = argument
    portal = _portal(open_storage(opened_with))
    # Connected and warmed up first (the agency read once), so that the contenders meet
    # at the key itself rather than one by one as each process starts.
    _profiles(portal, agency_id)
    ready.wait(_READY_TIMEOUT)
    return _add_card(portal, agency_id)


def race_key_in_processes(
    storage: Storage,
    open_storage: Callable[[A], Storage],
    argument: A,
    *,
    contenders: int = CONTENDERS,
) -> KeyRace:
    """Race one idempotency key from ``contenders`` spawned processes on one database.

    This process seeds an agency in ``storage``, then every process opens the same
    database with ``open_storage(argument)`` and adds the same billing profile under
    the same key (its effect: profiles stored).

    Args:
        storage: The database, empty, as this process sees it (the caller closes it).
        open_storage: A module-level function (it is imported by name in each process)
            that opens the database; its schema exists by then, so it need not create it.
        argument: What it is given, picklable (a database URL…).
        contenders: How many processes send the key at once.

    Returns:
        The race, to :meth:`KeyRace.check`.
    """
    portal = _portal(storage)
    agency_id = _seed(portal)
    ready = multiprocessing.get_context("spawn").Barrier(contenders)
    outcomes: Sequence[Outcome] = race_processes(
        contenders, _add_card_in_process, (open_storage, argument, agency_id, ready)
    )
    return KeyRace("add_billing_profile", tuple(outcomes), _profiles(portal, agency_id))
