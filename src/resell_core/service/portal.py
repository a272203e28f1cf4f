"""The partner portal: the application service an agency's requests go through.

:class:`PartnerPortal` is the composition root: it takes the ports as keyword-only
arguments (or wires the in-memory ones with :meth:`PartnerPortal.embedded`) and exposes
the use cases. Each method is thin: it delegates to a function of the module that holds
its concern (``agencies``, ``profiles``, ``accounts``, ``access``, ``overview``; billing,
credits and commissions in theirs).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from resell_core.adapters.clock import ManualClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.agency import Agency, PortalUser
from resell_core.errors import InvalidInput
from resell_core.ports import (
    Clock,
    Ids,
    Notifier,
    PaymentGateway,
    PayoutGateway,
    Provisioner,
    Secrets,
    Storage,
)
from resell_core.pricing.catalog import Catalog
from resell_core.service import agencies
from resell_core.service.context import SYSTEM, Context, Policies

__all__ = ["PartnerPortal"]

_EMBEDDED_START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
_PROVISIONING = ("instant", "delayed")


def _zone(name: str | ZoneInfo) -> ZoneInfo:
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as error:
        raise InvalidInput.one(
            "portal", "billing_timezone", f"{name!r} is not an IANA time zone (e.g. 'UTC')"
        ) from error


class PartnerPortal:
    """The agency's partner portal over the library's rules.

    Every use case is scoped to one agency (another agency's account is "not found"),
    atomic (a command that fails changes nothing), audited (:meth:`events`), and a
    command that changes state accepts an ``idempotency_key``: the same key with the same
    parameters returns the first result, with other parameters raises
    :class:`~resell_core.errors.IdempotencyConflict`. ``actor`` names who asks (a portal
    user's id, ``"api"``); it defaults to ``"system"``.

    Args:
        storage: Where state is kept.
        gateway: Charges of the agencies' cards.
        payouts: Commission payouts.
        notifier: Delivers notices.
        provisioner: Prepares hosted accounts.
        clock: Where "now" comes from.
        ids: Where new ids come from.
        secrets: Where random bytes come from.
        sso_secret: The key single sign-on tickets are signed with (32 bytes or more).
        catalog: The price book (the sample catalog when None).
        policies: Every configurable decision (the defaults when None).
        billing_timezone: The time zone billing dates are calendar dates in.
        hosting_domain: The vendor's domain account names are sites under.

    Raises:
        InvalidInput: A short SSO secret or an unknown time zone.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        gateway: PaymentGateway,
        payouts: PayoutGateway,
        notifier: Notifier,
        provisioner: Provisioner,
        clock: Clock,
        ids: Ids,
        secrets: Secrets,
        sso_secret: bytes,
        catalog: Catalog | None = None,
        policies: Policies | None = None,
        billing_timezone: str | ZoneInfo = "UTC",
        hosting_domain: str = "hosted.example",
    ) -> None:
        self._ctx = Context(
            storage=storage,
            gateway=gateway,
            payouts=payouts,
            notifier=notifier,
            provisioner=provisioner,
            clock=clock,
            ids=ids,
            secrets=secrets,
            catalog=catalog or Catalog.sample(),
            policies=policies or Policies(),
            sso_secret=sso_secret,
            billing_tz=_zone(billing_timezone),
            hosting_domain=hosting_domain,
        )

    @classmethod
    def embedded(
        cls,
        *,
        start: datetime | date = _EMBEDDED_START,
        catalog: Catalog | None = None,
        seed: int = 0,
        provisioning: str = "instant",
        policies: Policies | None = None,
        billing_timezone: str | ZoneInfo = "UTC",
    ) -> PartnerPortal:
        """Wire a portal that runs by itself, in memory: for demos, notebooks and tests.

        Memory storage, the simulated payment and payout gateways, a recording notifier,
        a simulated provisioner, a manual clock at ``start``, sequential ids, a seeded
        random stream (the same passwords every run), the sample catalog and cheap
        password hashing (:meth:`Policies.embedded`), so that a year of billing replays in
        seconds. Nothing here protects real accounts.

        Args:
            start: When the clock starts: an aware datetime, or a date (9:00 UTC that day).
            catalog: The price book (the sample catalog when None).
            seed: The seed of the random stream.
            provisioning: ``"instant"`` (ready at the next :meth:`process_provisioning`) or
                ``"delayed"`` (one poll later).
            policies: Every configurable decision (:meth:`Policies.embedded` when None).
            billing_timezone: The time zone billing dates are calendar dates in.

        Raises:
            InvalidInput: A naive ``start`` or an unknown ``provisioning``.

        Example:
            >>> portal = PartnerPortal.embedded(start=date(2024, 3, 1))
            >>> portal.clock.today()
            datetime.date(2024, 3, 1)
        """
        if provisioning not in _PROVISIONING:
            raise InvalidInput.one(
                "embedded portal", "provisioning", f"{provisioning!r} is unknown", _PROVISIONING
            )
        moment = start if isinstance(start, datetime) else datetime.combine(start, time(9), UTC)
        secrets = SeededSecrets(seed)
        return cls(
            storage=MemoryStorage(),
            gateway=SimulatedGateway(),
            payouts=SimulatedPayoutGateway(),
            notifier=RecordingNotifier(),
            provisioner=SimulatedProvisioner(polls=0 if provisioning == "instant" else 1),
            clock=ManualClock(moment),
            ids=SequentialIds(),
            secrets=secrets,
            sso_secret=secrets.token_bytes(32),
            catalog=catalog,
            policies=policies or Policies.embedded(),
            billing_timezone=billing_timezone,
        )

    # -- the wiring, read-only --------------------------------------------------------------
    @property
    def context(self) -> Context:
        """The ports, catalog and policies the use cases share."""
        return self._ctx

    @property
    def storage(self) -> Storage:
        """The storage."""
        return self._ctx.storage

    @property
    def gateway(self) -> PaymentGateway:
        """The payment gateway (a :class:`SimulatedGateway` when embedded)."""
        return self._ctx.gateway

    @property
    def payouts(self) -> PayoutGateway:
        """The payout gateway."""
        return self._ctx.payouts

    @property
    def notifier(self) -> Notifier:
        """The notifier (a :class:`RecordingNotifier` when embedded)."""
        return self._ctx.notifier

    @property
    def provisioner(self) -> Provisioner:
        """The provisioner."""
        return self._ctx.provisioner

    @property
    def clock(self) -> Clock:
        """The clock (a :class:`ManualClock` when embedded: ``portal.clock.advance(days=1)``)."""
        return self._ctx.clock

    @property
    def ids(self) -> Ids:
        """The id generator."""
        return self._ctx.ids

    @property
    def secrets(self) -> Secrets:
        """The source of random bytes."""
        return self._ctx.secrets

    @property
    def catalog(self) -> Catalog:
        """The price book."""
        return self._ctx.catalog

    @property
    def policies(self) -> Policies:
        """Every configurable decision."""
        return self._ctx.policies

    # -- agencies ---------------------------------------------------------------------------
    def register_agency(
        self,
        name: str,
        email: str,
        currency: str,
        *,
        reseller_rate: Decimal | str = Decimal(0),
        referral_code: str | None = None,
        paypal_email: str | None = None,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Agency:
        """Register a reseller agency (its currency is the catalog's)."""
        return agencies.register_agency(
            self._ctx,
            name=name,
            email=email,
            currency=currency,
            reseller_rate=reseller_rate,
            referral_code=referral_code,
            paypal_email=paypal_email,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def agency(self, agency_id: str) -> Agency:
        """Return the agency (NotFound when unknown)."""
        return agencies.agency(self._ctx, agency_id)

    def add_portal_user(
        self,
        agency_id: str,
        email: str,
        name: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> PortalUser:
        """Add an admin to the agency's portal."""
        return agencies.add_portal_user(
            self._ctx,
            agency_id,
            email=email,
            name=name,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def portal_users(self, agency_id: str) -> list[PortalUser]:
        """Return the agency's portal users."""
        return agencies.portal_users(self._ctx, agency_id)

    def update_commission_settings(
        self,
        agency_id: str,
        paypal_email: str | None,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Agency:
        """Set the PayPal email commissions are paid to (K2); None holds payouts."""
        return agencies.update_commission_settings(
            self._ctx,
            agency_id,
            paypal_email=paypal_email,
            actor=actor,
            idempotency_key=idempotency_key,
        )
