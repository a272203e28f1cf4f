# ruff: noqa: N802 - test names carry rule ids in upper case
"""The access race suite (S6, S8): logins, a reset token and a sign-on ticket raced.

:class:`AccessRaces` is a plain pytest class (not collected by itself, like the contract
suites of :mod:`resell_core.testing.contracts`). A host subclasses it and supplies two
fixtures:

- ``race_storage``: a callable that opens the storage under test, fresh and empty for
  each test. It is called once for the scene; when racing processes, it is called again
  in each process and must then open the same database and pickle (a module-level
  function, or ``functools.partial(SqlStorage, url)``).
- ``race_in``: ``"threads"`` (every contender shares the one storage) or
  ``"processes"`` (each contender is a spawned process with its own connections).

Each test prints its tallies and puts them in its assertion messages.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from resell_core.adapters.notifier import RecordingNotifier
from resell_core.billing.notices import NoticeKind
from resell_core.ports import Storage
from resell_core.pricing.selection import PlanSelection
from resell_core.service.portal import PartnerPortal
from resell_core.testing.portal import SAMPLE_START, bakery_form, sample_agency
from resell_core.testing.races import Outcome, race_processes, race_threads, tally

__all__ = ["AccessRaces", "RaceScene"]

StorageFactory = Callable[[], Storage]
_TRIAL = PlanSelection("V1", "EM", "trial")
_names = itertools.count(1)


@attrs.frozen
class RaceScene:
    """One account to race on, and what the contenders are given.

    Attributes:
        agency_id: Its agency.
        account_id: The account.
        account_name: Its login name.
        password: Its admin password.
        token: A reset token or a sign-on ticket, when the race needs one.
    """

    agency_id: str
    account_id: str
    account_name: str
    password: str
    token: str = ""


def _portal(storage: Storage) -> PartnerPortal:
    # The same seed and start in every contender: the same clock, SSO secret and salts.
    return PartnerPortal.embedded(storage=storage, start=SAMPLE_START)


def _scene(portal: PartnerPortal, race: str) -> RaceScene:
    """Add an active trial account of its own for one race (any agency there is)."""
    name = f"{race}-race-{next(_names)}"
    with portal.storage.unit_of_work() as uow:
        agencies = uow.agencies.page(limit=1)
    agency_id = agencies[0].id if agencies else sample_agency(portal).id
    created = portal.add_account(agency_id, bakery_form(name, plan=_TRIAL))
    portal.process_provisioning()
    assert created.password is not None
    return RaceScene(agency_id, created.account.id, name, created.password)


def _contend(
    race_in: str,
    make_storage: StorageFactory,
    portal: PartnerPortal,
    *,
    n: int,
    action: Callable[[PartnerPortal, RaceScene, int], Any],
    scene: RaceScene,
) -> list[Outcome]:
    if race_in == "threads":
        return race_threads(n, lambda i: action(portal, scene, i))
    if race_in == "processes":
        return race_processes(n, _in_a_process, (make_storage, action, scene))
    raise ValueError(f"race_in must be 'threads' or 'processes', not {race_in!r}")


def _in_a_process(
    index: int, argument: tuple[StorageFactory, Callable[..., Any], RaceScene]
) -> object:
    make_storage, action, scene = argument
    return action(_portal(make_storage()), scene, index)


def _wrong_logins(portal: PartnerPortal, scene: RaceScene, index: int, rounds: int) -> list[str]:
    return [
        portal.login(scene.account_name, f"wrong-guess-{index}-{r}").outcome.value
        for r in range(rounds)
    ]


def _one_round(portal: PartnerPortal, scene: RaceScene, index: int) -> list[str]:
    return _wrong_logins(portal, scene, index, 1)


def _three_rounds(portal: PartnerPortal, scene: RaceScene, index: int) -> list[str]:
    return _wrong_logins(portal, scene, index, 3)


def _redeem(portal: PartnerPortal, scene: RaceScene, index: int) -> str:
    portal.complete_password_reset(scene.token, f"new-password-{index:04d}")
    return f"new-password-{index:04d}"


def _redeem_own(portal: PartnerPortal, scene: RaceScene, index: int) -> str:
    """Redeem the contender's own reset link (``scene.token`` holds one per contender)."""
    token = scene.token.split()[index]
    portal.complete_password_reset(token, f"new-password-{index:04d}")
    return f"new-password-{index:04d}"


def _reset_tokens(portal: PartnerPortal, scene: RaceScene, n: int) -> str:
    """Send ``n`` reset links of the scene's account; return their tokens, space-separated."""
    notifier = portal.notifier
    assert isinstance(notifier, RecordingNotifier)
    for _ in range(n):
        portal.agency_reset_password(scene.agency_id, scene.account_id)
    bodies = notifier.of_kind(NoticeKind.PASSWORD_RESET)[-n:]
    return " ".join(body.body.split("token=")[1].split()[0] for body in bodies)


def _verify(portal: PartnerPortal, scene: RaceScene, index: int) -> str:
    return portal.verify_sso_ticket(scene.agency_id, scene.account_id, scene.token).user


def _coded(outcomes: list[Outcome]) -> bool:
    """Every error is a library error (a code in snake case), none a raw exception."""
    return all(o.error is None or o.error.islower() for o in outcomes)


class AccessRaces:
    """Logins, a reset token and a sign-on ticket raced (S6, S8); see the module."""

    threads = 50
    """Contenders when racing threads (one attempt each)."""
    processes = 8
    """Contenders when racing processes (three attempts each, one after the other)."""

    @pytest.fixture
    def racing(self, race_storage: StorageFactory) -> Iterator[PartnerPortal]:
        """The scene's portal over the storage under test (its connections closed after)."""
        storage = race_storage()
        yield _portal(storage)
        dispose = getattr(storage, "dispose", None)
        if callable(dispose):
            dispose()

    def test_S6_wrong_passwords_at_once_check_at_most_five_then_lock(
        self,
        race_storage: StorageFactory,
        race_in: str,
        racing: PartnerPortal,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Of many wrong passwords at once, 5 are checked: 4 refused, one lock, the rest locked."""
        scene = _scene(racing, "login")
        hashed: list[int] = []
        real = hashlib.scrypt

        def counted(password: bytes, **options: Any) -> bytes:
            hashed.append(1)
            return real(password, **options)

        monkeypatch.setattr(hashlib, "scrypt", counted)  # seen by threads, not processes
        threads = race_in == "threads"
        action = _one_round if threads else _three_rounds
        n = self.threads if threads else self.processes
        outcomes = _contend(race_in, race_storage, racing, n=n, action=action, scene=scene)
        monkeypatch.undo()

        answers = Counter(a for o in outcomes if o.ok for a in o.value)
        locks = [
            e.after
            for e in racing.events(scene.agency_id, scene.account_id)
            if e.action == "login_locked"
        ]
        checked = answers["refused"] + len(locks)
        figures = (
            f"{race_in}: {n} x {1 if threads else 3} wrong logins -> {dict(answers)}, "
            f"errors {dict(tally(o for o in outcomes if not o.ok))}, locks {locks}, "
            f"checked {checked}" + (f", hashed {len(hashed)}" if threads else "")
        )
        print(figures)  # noqa: T201 - a race suite shows its tallies (run pytest -s)
        assert tally(outcomes) == {"ok": n}, figures
        assert (answers["refused"], locks, checked) == (4, ["5"], 5), figures
        assert answers["locked"] == n * (1 if threads else 3) - 4, figures
        if threads:
            assert len(hashed) == 5, figures
        assert racing.login(scene.account_name, scene.password).outcome == "locked", figures

    def test_S8_one_reset_token_redeemed_at_once_works_once(
        self, race_storage: StorageFactory, race_in: str, racing: PartnerPortal
    ) -> None:
        """Of many redeeming one reset link at once, exactly one sets the password."""
        scene = _scene(racing, "reset")
        racing.agency_reset_password(scene.agency_id, scene.account_id)
        notifier = racing.notifier
        assert isinstance(notifier, RecordingNotifier)
        body = notifier.of_kind(NoticeKind.PASSWORD_RESET)[-1].body
        scene = attrs.evolve(scene, token=body.split("token=")[1].split()[0])
        n = self.threads if race_in == "threads" else self.processes

        outcomes = _contend(race_in, race_storage, racing, n=n, action=_redeem, scene=scene)

        won = [o.value for o in outcomes if o.ok]
        figures = f"{race_in}: {n} redeem one reset token -> {dict(tally(outcomes))}"
        print(figures)  # noqa: T201 - a race suite shows its tallies (run pytest -s)
        assert len(won) == 1, figures
        assert _coded(outcomes), figures
        assert racing.login(scene.account_name, won[0]).outcome == "accepted", figures
        assert racing.login(scene.account_name, scene.password).outcome == "refused", figures

    def test_S8_several_reset_links_redeemed_at_once_only_one_works(
        self, race_storage: StorageFactory, race_in: str, racing: PartnerPortal
    ) -> None:
        """Of many redeeming each their own reset link of one account at once, exactly one
        sets the password: the first to do so makes every other link stale."""
        scene = _scene(racing, "resets")
        n = self.threads if race_in == "threads" else self.processes
        scene = attrs.evolve(scene, token=_reset_tokens(racing, scene, n))

        outcomes = _contend(race_in, race_storage, racing, n=n, action=_redeem_own, scene=scene)

        won = [o.value for o in outcomes if o.ok]
        figures = f"{race_in}: {n} redeem {n} reset links -> {dict(tally(outcomes))}"
        print(figures)  # noqa: T201 - a race suite shows its tallies (run pytest -s)
        assert len(won) == 1, figures
        assert _coded(outcomes), figures
        assert racing.login(scene.account_name, won[0]).outcome == "accepted", figures

    def test_S8_one_sign_on_ticket_verified_at_once_works_once(
        self, race_storage: StorageFactory, race_in: str, racing: PartnerPortal
    ) -> None:
        """Of many presenting one sign-on ticket at once, exactly one gets in."""
        scene = _scene(racing, "sso")
        scene = attrs.evolve(scene, token=racing.login_as(scene.agency_id, scene.account_id))
        n = self.threads if race_in == "threads" else self.processes

        outcomes = _contend(race_in, race_storage, racing, n=n, action=_verify, scene=scene)

        figures = f"{race_in}: {n} verify one sign-on ticket -> {dict(tally(outcomes))}"
        print(figures)  # noqa: T201 - a race suite shows its tallies (run pytest -s)
        assert tally(outcomes)["ok"] == 1, figures
        assert _coded(outcomes), figures
