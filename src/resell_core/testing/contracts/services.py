# ruff: noqa: N802 - test names carry rule ids (docs/rules.md) in upper case
"""Contracts of the small ports: clock, ids, secrets, notifier and provisioner."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from resell_core.billing.notices import Notice, NoticeKind
from resell_core.ports import Clock, Ids, Notifier, Provisioner, ProvisioningOutcome, Secrets

__all__ = [
    "ClockContract",
    "IdsContract",
    "NotifierContract",
    "ProvisionerContract",
    "SecretsContract",
]


class ClockContract:
    """Needs ``clock``."""

    def test_now_is_aware_and_today_follows_the_zone(self, clock: Clock) -> None:
        """now() has a time zone; today(zone) is the date of now() in that zone."""
        assert clock.now().utcoffset() is not None
        for zone in ("UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"):
            before = clock.now().astimezone(ZoneInfo(zone)).date()
            today = clock.today(zone)
            after = clock.now().astimezone(ZoneInfo(zone)).date()
            assert today in (before, after)


class IdsContract:
    """Needs ``ids``."""

    def test_ids_are_new_and_carry_their_kind(self, ids: Ids) -> None:
        """A thousand ids of one kind are all different and start with the kind."""
        made = [ids.new("account") for _ in range(1000)]
        assert len(set(made)) == 1000
        assert all(i.startswith("account") for i in made)


class SecretsContract:
    """Needs ``secrets``."""

    def test_token_bytes_have_the_length_asked(self, secrets: Secrets) -> None:
        """token_bytes(n) returns n bytes, and two draws differ."""
        first, second = secrets.token_bytes(32), secrets.token_bytes(32)
        assert (len(first), len(secrets.token_bytes(0))) == (32, 0)
        assert first != second


class NotifierContract:
    """Needs ``notifier``."""

    def test_sending_a_notice_does_not_raise(self, notifier: Notifier) -> None:
        """send() accepts a notice without raising."""
        notice = Notice(
            NoticeKind.INVOICE_ISSUED, "ops@acme.test", "Invoice 7", "$40", "agency-acme"
        )
        notifier.send(notice)


class ProvisionerContract:
    """Needs ``provisioner``, which reports within 20 polls."""

    def test_A12_a_started_account_is_reported_once(self, provisioner: Provisioner) -> None:
        """After start() (twice), polling reports the account exactly once."""
        provisioner.start("account-north", "north-bakery", None)
        provisioner.start("account-north", "north-bakery", None)
        reports = [r for _ in range(20) for r in provisioner.poll()]
        assert [r.account_id for r in reports] == ["account-north"]
        assert reports[0].outcome in set(ProvisioningOutcome)
