"""The partner portal: the application service an agency's requests go through.

:class:`PartnerPortal` is the composition root: it takes the ports as keyword-only
arguments (or wires the in-memory ones with :meth:`PartnerPortal.embedded`) and exposes
the use cases, each a function of the module that holds its concern (``agencies``,
``profiles``, ``accounts``, ``editing``, ``templates``, ``transfers``, ``access``,
``overview``, ``billing``, ``credits``, ``commissions``). Where the portal's call is the
use case's, the method forwards to it (:func:`_forward`): its signature, types and
docstring are the use case's, written once. A method is written out only where the
portal adds to the call: the defaults of ``actor`` and ``idempotency_key``, a positional
shape, the lifecycle action it builds.

:class:`AgencyPortal` (:meth:`PartnerPortal.for_agency`) is a handle on one agency: the
same calls without the agency, and without the actor when the handle names it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Concatenate, ParamSpec, TypeVar, cast
from zoneinfo import ZoneInfo

from resell_core.adapters.clock import ManualClock
from resell_core.adapters.gateway import SimulatedGateway
from resell_core.adapters.ids import SequentialIds
from resell_core.adapters.memory import MemoryStorage
from resell_core.adapters.notifier import RecordingNotifier
from resell_core.adapters.payout import SimulatedPayoutGateway
from resell_core.adapters.provisioner import SimulatedProvisioner
from resell_core.adapters.secrets import SeededSecrets
from resell_core.adapters.taxes import NoTax
from resell_core.agency import Agency, PortalUser
from resell_core.arguments import checked_arguments
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import InvalidInput, quoted
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.account_query import AccountQuery, OverviewRow, Page
from resell_core.lifecycle.actions import (
    Action,
    Archive,
    Cancel,
    ChangeBranding,
    Disable,
    Enable,
    Renew,
    WithdrawPendingChange,
)
from resell_core.lifecycle.branding import Branding
from resell_core.lifecycle.credentials import ADMIN_USERNAME
from resell_core.lifecycle.snapshots import Snapshot, TemplateShareRequest
from resell_core.lifecycle.transfer import RemovalRequest, TransferRequest
from resell_core.lifecycle.validation import NewAccount
from resell_core.ports import (
    Clock,
    Ids,
    Notifier,
    PaymentGateway,
    PayoutGateway,
    Provisioner,
    Secrets,
    Storage,
    TaxCalculator,
)
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.selection import PlanSelection
from resell_core.service import (
    access,
    accounts,
    agencies,
    editing,
    overview,
    profiles,
    templates,
    transfers,
)
from resell_core.service import billing as billing_service
from resell_core.service import commissions as commission_service
from resell_core.service import credit_notes as credit_note_service
from resell_core.service import credits as credit_service
from resell_core.service import feed as feed_service
from resell_core.service import forecasts as forecast_service
from resell_core.service import top_ups as top_up_service
from resell_core.service.context import SYSTEM, Context, Policies
from resell_core.service.results import AccountCreated, AccountEdited

__all__ = ["AgencyPortal", "PartnerPortal"]

_EMBEDDED_START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
_PROVISIONING = ("instant", "delayed")

P = ParamSpec("P")
R = TypeVar("R")


def _method_like(
    method: Callable[..., R], original: Callable[..., object], owner: str, drop: str
) -> Callable[..., R]:
    """Give ``method`` the name, docstring, signature and annotations of ``original``
    less its parameter ``drop`` (the one the method supplies), so that ``help()``, the
    argument checks (:func:`~resell_core.arguments.checked_arguments`) and the hostile-input
    suite read the call as it is made."""
    functools.update_wrapper(method, original)
    signature = inspect.signature(original)
    kept = [p for p in signature.parameters.values() if p.name != drop]
    if not kept or kept[0].name != "self":  # a use case's context was first: self stands there
        kept.insert(0, inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD))
    method.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    method.__annotations__ = {k: v for k, v in original.__annotations__.items() if k != drop}
    method.__qualname__ = f"{owner}.{original.__name__}"
    method.__module__ = __name__
    return method


def _forward(
    use_case: Callable[Concatenate[Context, P], R],
) -> Callable[Concatenate[PartnerPortal, P], R]:
    """A method of the portal that calls ``use_case`` with the portal's context."""

    def method(portal: PartnerPortal, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return use_case(portal.context, *args, **kwargs)

    return _method_like(method, use_case, "PartnerPortal", "ctx")


def _zone(name: str | ZoneInfo) -> ZoneInfo:
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as error:
        raise InvalidInput.one(
            "portal", "billing_timezone", f"{quoted(name)} is not an IANA time zone (e.g. 'UTC')"
        ) from error


@checked_arguments
class PartnerPortal:
    """The agency's partner portal over the library's rules.

    Every use case is scoped to one agency (another agency's account is "not found"),
    atomic (a command that fails changes nothing), audited (:meth:`events`), and a
    command that changes state accepts an ``idempotency_key``: the same key with the same
    parameters returns the first result, with other parameters raises
    :class:`~resell_core.errors.IdempotencyConflict`. ``actor`` names who asks (a portal
    user's id, ``"api"``); it defaults to ``"system"``. Every command checks its arguments'
    Python types against its annotations first: a wrong one raises
    :class:`~resell_core.errors.InvalidInput` naming the field (E1).

    A host that acts for one agency at a time takes a handle on it,
    :meth:`for_agency`, and leaves out the agency (and the actor) from every call.

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
        taxes: The tax calculator of the invoices (TX1): None (or ``NoTax()``) for no
            tax, and then the tax step is skipped altogether.

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
        taxes: TaxCalculator | None = None,
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
            # The null calculator is no calculator: the billing run skips the tax step.
            taxes=None if type(taxes) is NoTax else taxes,
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
        storage: Storage | None = None,
        taxes: TaxCalculator | None = None,
    ) -> PartnerPortal:
        """Wire a portal that runs by itself, in memory: for demos, notebooks and tests.

        Memory storage (or the ``storage`` given), the simulated payment and payout
        gateways, a recording notifier, a simulated provisioner, a manual clock at
        ``start``, sequential ids, a seeded random stream (the same passwords every run),
        the sample catalog and cheap password hashing (:meth:`Policies.embedded`), so that
        a year of billing replays in seconds. Nothing here protects real accounts.

        Args:
            start: When the clock starts: an aware datetime, or a date (9:00 UTC that day).
            catalog: The price book (the sample catalog when None).
            seed: The seed of the random stream.
            provisioning: ``"instant"`` (ready at the next :meth:`process_provisioning`) or
                ``"delayed"`` (one poll later).
            policies: Every configurable decision (:meth:`Policies.embedded` when None).
            billing_timezone: The time zone billing dates are calendar dates in.
            storage: Where state is kept (a fresh :class:`MemoryStorage` when None), e.g.
                ``SqlStorage("sqlite:///agency.db")`` to keep a replay. Give it empty:
                the sequential ids start again at 1 and would collide with stored ones.
            taxes: The tax calculator of the invoices (none when None, TX1).

        Raises:
            InvalidInput: A naive ``start`` or an unknown ``provisioning``.

        Example:
            >>> portal = PartnerPortal.embedded(start=date(2024, 3, 1))
            >>> portal.clock.today()
            datetime.date(2024, 3, 1)
        """
        if provisioning not in _PROVISIONING:
            raise InvalidInput.one(
                "embedded portal",
                "provisioning",
                f"{quoted(provisioning)} is unknown",
                _PROVISIONING,
            )
        moment = start if isinstance(start, datetime) else datetime.combine(start, time(9), UTC)
        secrets = SeededSecrets(seed)
        return cls(
            storage=MemoryStorage() if storage is None else storage,
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
            taxes=taxes,
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
    def taxes(self) -> TaxCalculator | None:
        """The tax calculator (None when invoices carry no tax, TX1)."""
        return self._ctx.taxes

    @property
    def catalog(self) -> Catalog:
        """The price book."""
        return self._ctx.catalog

    @property
    def policies(self) -> Policies:
        """Every configurable decision."""
        return self._ctx.policies

    def for_agency(self, agency_id: str, *, actor: str = SYSTEM) -> AgencyPortal:
        """Return a handle on one agency: every call of the agency without ``agency_id``.

        The handle is a view of this portal, made for a request or a session: each call
        goes with its agency, so that it reaches that agency's data only (another
        agency's account, invoice or profile is "not found", as ever), and with
        ``actor`` as the actor of its commands unless the call names another. Nothing is
        read when it is made: an unknown agency is "not found" at the first call.

        Example:
            >>> portal = PartnerPortal.embedded()
            >>> acme = portal.register_agency("Acme Digital", "ops@acme.test", "USD")
            >>> desk = portal.for_agency(acme.id, actor="ada")
            >>> desk.agency().name
            'Acme Digital'
        """
        return AgencyPortal(self, agency_id, actor=actor)

    # -- agencies ---------------------------------------------------------------------------
    register_agency = _forward(agencies.register_agency)
    agency = _forward(agencies.agency)
    portal_users = _forward(agencies.portal_users)

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

    def update_tax_details(
        self,
        agency_id: str,
        country: str | None,
        tax_id: str | None = None,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Agency:
        """Set the country the agency is taxed in and its tax (VAT) id; None clears (TX1)."""
        return agencies.update_tax_details(
            self._ctx,
            agency_id,
            country=country,
            tax_id=tax_id,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    # -- billing profiles (B3, B5) ----------------------------------------------------------
    def add_billing_profile(
        self,
        agency_id: str,
        *,
        label: str,
        card_token: str,
        brand: str,
        last4: str,
        exp_month: int,
        exp_year: int,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> BillingProfile:
        """Add a card (its gateway token, never the number) to the agency (B3, B5)."""
        return profiles.add_billing_profile(
            self._ctx,
            agency_id,
            label=label,
            card_token=card_token,
            brand=brand,
            last4=last4,
            exp_month=exp_month,
            exp_year=exp_year,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def update_billing_profile(
        self,
        agency_id: str,
        profile_id: str,
        *,
        label: str | None = None,
        card_token: str | None = None,
        brand: str | None = None,
        last4: str | None = None,
        exp_month: int | None = None,
        exp_year: int | None = None,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> BillingProfile:
        """Change fields of a billing profile (B5)."""
        return profiles.update_billing_profile(
            self._ctx,
            agency_id,
            profile_id,
            label=label,
            card_token=card_token,
            brand=brand,
            last4=last4,
            exp_month=exp_month,
            exp_year=exp_year,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    billing_profiles = _forward(profiles.billing_profiles)

    def delete_billing_profile(
        self,
        agency_id: str,
        profile_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> None:
        """Delete a profile no account uses (B5; ProfileInUse lists the accounts)."""
        profiles.delete_billing_profile(
            self._ctx, agency_id, profile_id, actor=actor, idempotency_key=idempotency_key
        )

    # -- adding accounts (A1-A12) -----------------------------------------------------------
    quote = _forward(accounts.quote)
    check_account_name = _forward(accounts.check_account_name)

    def add_account(
        self,
        agency_id: str,
        new: NewAccount,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> AccountCreated:
        """Add a resold account; its login is in the result, once (A1-A12, S3).

        An idempotent replay returns the account without the password (never stored).
        """
        return accounts.add_account(
            self._ctx, agency_id, new, actor=actor, idempotency_key=idempotency_key
        )

    process_provisioning = _forward(accounts.process_provisioning)
    account = _forward(accounts.account)

    # -- Edit and the lifecycle (O10, U1, R1-R7, TR3, BR1) ----------------------------------
    def edit_account(
        self,
        agency_id: str,
        account_id: str,
        *,
        plan: PlanSelection | None = None,
        notification_email: str | None = None,
        billing_profile_id: str | None = None,
        custom_domain: str | None = None,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> AccountEdited:
        """Edit the plan, notification email, billing profile or custom domain (all or none).

        ``custom_domain=""`` drops the custom domain. An upgrade is immediate and so is its
        payment: its proration invoice is paid before this returns (prepaid credit first,
        then the card), and the result carries it paid. A declined card does not undo the
        upgrade: the invoice follows the dunning schedule and the agency is told. A replay
        with the same key charges nothing.
        """
        return editing.edit_account(
            self._ctx,
            agency_id,
            account_id,
            plan=plan,
            notification_email=notification_email,
            billing_profile_id=billing_profile_id,
            custom_domain=custom_domain,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def change_plan(
        self,
        agency_id: str,
        account_id: str,
        plan: PlanSelection,
        *,
        billing_profile_id: str | None = None,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Give a trial or a lapsed account a new paid plan, starting a new term (TR3, R2).

        The new term's first period is billed by the next billing run.

        Raises:
            NotFound: No such account, or the profile is not the agency's.
            InvalidInput: The plan is not a valid paid plan, or no profile pays for it.
            InvalidTransition: The account's status does not allow it.
            SandboxNotConvertible: The account is a sandbox (R3).
        """
        return editing.change_plan(
            self._ctx,
            agency_id,
            account_id,
            plan,
            billing_profile_id=billing_profile_id,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    # -- previewing an edit (P1) ------------------------------------------------------------
    preview_change = _forward(editing.preview_change)

    # The lifecycle commands each build one action of the transition table (lifecycle.md)
    # and apply it with _move; a command that takes no more than the account is one line.
    def withdraw_pending_change(
        self,
        agency_id: str,
        account_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Withdraw a scheduled downgrade before it takes effect."""
        return self._move(agency_id, account_id, WithdrawPendingChange(), actor, idempotency_key)

    def cancel_account(
        self,
        agency_id: str,
        account_id: str,
        reason: str = "",
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Cancel the account (R7); it works until its paid-through date, unless the
        policies refund the unused part of its term (CN2): it then ends today."""
        if self._ctx.policies.refund_unused_on_cancel is not None:
            return credit_note_service.cancel_with_refund(
                self._ctx,
                agency_id,
                account_id,
                reason,
                actor=actor,
                idempotency_key=idempotency_key,
            )
        return self._move(agency_id, account_id, Cancel(reason), actor, idempotency_key)

    def disable_account(
        self,
        agency_id: str,
        account_id: str,
        message: str = "",
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Disable the client's access, showing ``message`` (still billed, B1)."""
        return self._move(agency_id, account_id, Disable(message), actor, idempotency_key)

    def enable_account(
        self,
        agency_id: str,
        account_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Give a disabled account back to its client."""
        return self._move(agency_id, account_id, Enable(), actor, idempotency_key)

    def archive_account(
        self,
        agency_id: str,
        account_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Archive an expired or cancelled-and-expired account; its data is kept a year."""
        return self._move(agency_id, account_id, Archive(), actor, idempotency_key)

    def renew_account(
        self,
        agency_id: str,
        account_id: str,
        billing_profile_id: str | None = None,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Renew a cancelled, expired or archived account, paid by a profile (R1, R2).

        A paid account that ran out starts a new term today (billed by the next billing
        run); an archived trial gets its one extra free trial.

        Raises:
            NotFound: No such account, or the profile is not the agency's.
            InvalidTransition: Renewal is refused (R2: bought before the cut-off and
                expired, or archived more than a year ago): change the plan instead.
        """
        action = Renew(billing_profile_id)
        return self._move(agency_id, account_id, action, actor, idempotency_key)

    def set_branding(
        self,
        agency_id: str,
        account_id: str,
        branding: Branding,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Brand the account with the agency's look, or make it private (BR1)."""
        action = ChangeBranding(branding)
        return self._move(agency_id, account_id, action, actor, idempotency_key)

    def remove_branding(
        self,
        agency_id: str,
        account_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Take the agency's branding off the account (BR1; needed before a removal, T2)."""
        return self._move(agency_id, account_id, ChangeBranding(None), actor, idempotency_key)

    def _move(
        self, agency_id: str, account_id: str, action: Action, actor: str, key: str | None
    ) -> Account:
        """Apply one lifecycle action to the account (NotFound, InvalidTransition)."""
        return editing.transition(
            self._ctx, agency_id, account_id, action, actor=actor, idempotency_key=key
        )

    # -- snapshots and templates (A1, R6) ---------------------------------------------------
    def create_snapshot(
        self,
        agency_id: str,
        account_id: str,
        label: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Snapshot:
        """Take a snapshot of an account to create new ones from (A1)."""
        return templates.create_snapshot(
            self._ctx,
            agency_id,
            account_id,
            label=label,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def share_template(
        self,
        agency_id: str,
        account_id: str,
        share_link: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> TemplateShareRequest:
        """Record a campaign-template share into the account (R6)."""
        return templates.share_template(
            self._ctx,
            agency_id,
            account_id,
            share_link=share_link,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    # -- moving accounts in and out (T1, T2) ------------------------------------------------
    def request_transfer(
        self,
        agency_id: str,
        hosted_account: str,
        admin_email: str,
        agency_email: str | None = None,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """Ask to move a hosted account into the portal; its owner confirms (T1)."""
        return transfers.request_transfer(
            self._ctx,
            agency_id,
            hosted_account=hosted_account,
            admin_email=admin_email,
            agency_email=agency_email,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    transfer_request = _forward(transfers.transfer_request)

    def confirm_transfer(
        self,
        agency_id: str,
        request_id: str,
        account: NewAccount | None = None,
        starts_on: date | None = None,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """The owner confirmed: the account moves in and the agency is told (T1).

        With ``account`` (its details, plan and billing profile, as the agency chose them)
        it opens in the portal, active; a paid plan's first term starts on ``starts_on``
        (today when None) and its first invoice carries the catalog's migration discount
        (T3, A10).
        """
        return transfers.confirm_transfer(
            self._ctx,
            agency_id,
            request_id,
            account,
            starts_on,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def reject_transfer(
        self,
        agency_id: str,
        request_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """The owner refused the move (T1)."""
        return transfers.reject_transfer(
            self._ctx, agency_id, request_id, actor=actor, idempotency_key=idempotency_key
        )

    def request_removal(
        self,
        agency_id: str,
        account_id: str,
        client_email: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> RemovalRequest:
        """Ask for an unbranded account to leave the portal (T2); nothing is deleted."""
        return transfers.request_removal(
            self._ctx,
            agency_id,
            account_id,
            client_email=client_email,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    # -- access (R5, S3-S5) -----------------------------------------------------------------
    def login_as(
        self,
        agency_id: str,
        account_id: str,
        user: str = ADMIN_USERNAME,
        *,
        valid_for: timedelta | None = None,
        actor: str = SYSTEM,
    ) -> str:
        """Sign a single sign-on ticket into the account (R5; refused for cancelled ones)."""
        return access.login_as(
            self._ctx, agency_id, account_id, user=user, valid_for=valid_for, actor=actor
        )

    verify_sso_ticket = _forward(access.verify_sso_ticket)
    login = _forward(access.login)
    request_password_reset = _forward(access.request_password_reset)

    def agency_reset_password(
        self,
        agency_id: str,
        account_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> None:
        """Send the account's reset email on the agency's behalf (S4)."""
        access.agency_reset_password(
            self._ctx, agency_id, account_id, actor=actor, idempotency_key=idempotency_key
        )

    complete_password_reset = _forward(access.complete_password_reset)

    # -- the overview (O1-O10) and the audit log --------------------------------------------
    def accounts(self, agency_id: str, query: AccountQuery | None = None) -> Page[OverviewRow]:
        """Return a page of the agency's accounts overview (O1-O10)."""
        return overview.accounts(self._ctx, agency_id, query or AccountQuery())

    save_view = _forward(overview.save_view)
    views = _forward(overview.views)
    open_view = _forward(overview.open_view)
    delete_view = _forward(overview.delete_view)
    events = _forward(overview.events)

    def purge_expired(self) -> tuple[int, int]:
        """Delete idempotency records older than the policy keeps them, and expired access
        records (reset tickets, used nonces); return how many of each."""
        now = self._ctx.now()
        with self._ctx.storage.unit_of_work() as uow:
            keys = uow.idempotency.purge(now - self._ctx.policies.idempotency_ttl)
            tokens = uow.tokens.purge(now)
            uow.commit()
        return keys, tokens

    # -- billing, credits, commissions (B1-B7, C1-C6, K1-K4) --------------------------------
    run_billing = _forward(billing_service.run_billing)
    invoices = _forward(billing_service.invoices)
    invoice = _forward(billing_service.invoice)
    pay_invoice = _forward(billing_service.pay_invoice)
    confirm_payment = _forward(billing_service.confirm_payment)
    buy_credits = _forward(credit_service.buy_credits)
    assign_credits = _forward(credit_service.assign_credits)
    balances = _forward(credit_service.balances)
    credit_history = _forward(credit_service.credit_history)
    record_usage = _forward(credit_service.record_usage)
    refer_account = _forward(commission_service.refer_account)
    commission_statement = _forward(commission_service.commission_statement)
    pay_commissions = _forward(commission_service.pay_commissions)

    # -- the event feed (EV1) ----------------------------------------------------------------
    feed = _forward(feed_service.feed)
    acknowledged = _forward(feed_service.acknowledged)
    acknowledge = _forward(feed_service.acknowledge)

    # -- credit notes and refunds (CN1, CN2) -------------------------------------------------
    credit_invoice = _forward(credit_note_service.credit_invoice)
    credit_note = _forward(credit_note_service.credit_note)
    credit_notes = _forward(credit_note_service.credit_notes)
    reconcile_refund = _forward(credit_note_service.reconcile_refund)
    billing_history = _forward(credit_note_service.billing_history)

    # -- upcoming invoices and forecasts (P2, F1) -------------------------------------------
    upcoming = _forward(forecast_service.upcoming)
    forecast = _forward(forecast_service.forecast)

    # -- auto top-up of billing profiles (F2) -----------------------------------------------
    set_top_up_policy = _forward(top_up_service.set_top_up_policy)
    top_up_policy = _forward(top_up_service.top_up_policy)
    run_top_ups = _forward(top_up_service.run_top_ups)


def _scoped(
    method: Callable[Concatenate[PartnerPortal, str, P], R],
) -> Callable[Concatenate[AgencyPortal, P], R]:
    """A method of the handle that calls the portal's ``method`` with the handle's agency
    (and its actor, when the method takes one and the call names none)."""
    takes_actor = "actor" in inspect.signature(method).parameters
    call = cast(Callable[..., R], method)  # its agency is the handle's, its actor a default

    def scoped(handle: AgencyPortal, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if takes_actor and "actor" not in kwargs:
            return call(handle._portal, handle.agency_id, *args, actor=handle.actor, **kwargs)
        return call(handle._portal, handle.agency_id, *args, **kwargs)

    return _method_like(scoped, method, "AgencyPortal", "agency_id")


class AgencyPortal:
    """A handle on one agency of a :class:`PartnerPortal`: its calls, without the agency.

    Made by :meth:`PartnerPortal.for_agency`. Each method is the portal's of that name,
    called with the handle's agency, and with the handle's ``actor`` as the actor of a
    command that names none; its arguments are checked as the portal checks them. The
    handle offers no way to name another agency, and every call is scoped as the portal's
    are: another agency's account, invoice, profile or view is "not found" through it.
    The calls that belong to no agency (registering one, logging in at an account's page,
    billing runs, referrals, payouts) stay on the portal.

    Args:
        portal: The portal the calls go to.
        agency_id: The agency every call acts for.
        actor: Who asks (a portal user's id, ``"api"``); ``"system"`` by default.
    """

    __slots__ = ("_actor", "_agency_id", "_portal")

    def __init__(self, portal: PartnerPortal, agency_id: str, *, actor: str = SYSTEM) -> None:
        self._portal = portal
        self._agency_id = agency_id
        self._actor = actor

    @property
    def agency_id(self) -> str:
        """The agency every call acts for."""
        return self._agency_id

    @property
    def actor(self) -> str:
        """The actor of the commands that name none."""
        return self._actor

    def __repr__(self) -> str:
        return f"AgencyPortal(agency_id={self._agency_id!r}, actor={self._actor!r})"

    agency = _scoped(PartnerPortal.agency)
    portal_users = _scoped(PartnerPortal.portal_users)
    add_portal_user = _scoped(PartnerPortal.add_portal_user)
    update_commission_settings = _scoped(PartnerPortal.update_commission_settings)
    update_tax_details = _scoped(PartnerPortal.update_tax_details)
    add_billing_profile = _scoped(PartnerPortal.add_billing_profile)
    update_billing_profile = _scoped(PartnerPortal.update_billing_profile)
    billing_profiles = _scoped(PartnerPortal.billing_profiles)
    delete_billing_profile = _scoped(PartnerPortal.delete_billing_profile)
    quote = _scoped(PartnerPortal.quote)
    add_account = _scoped(PartnerPortal.add_account)
    account = _scoped(PartnerPortal.account)
    edit_account = _scoped(PartnerPortal.edit_account)
    change_plan = _scoped(PartnerPortal.change_plan)
    preview_change = _scoped(PartnerPortal.preview_change)
    withdraw_pending_change = _scoped(PartnerPortal.withdraw_pending_change)
    cancel_account = _scoped(PartnerPortal.cancel_account)
    disable_account = _scoped(PartnerPortal.disable_account)
    enable_account = _scoped(PartnerPortal.enable_account)
    archive_account = _scoped(PartnerPortal.archive_account)
    renew_account = _scoped(PartnerPortal.renew_account)
    set_branding = _scoped(PartnerPortal.set_branding)
    remove_branding = _scoped(PartnerPortal.remove_branding)
    create_snapshot = _scoped(PartnerPortal.create_snapshot)
    share_template = _scoped(PartnerPortal.share_template)
    request_transfer = _scoped(PartnerPortal.request_transfer)
    transfer_request = _scoped(PartnerPortal.transfer_request)
    confirm_transfer = _scoped(PartnerPortal.confirm_transfer)
    reject_transfer = _scoped(PartnerPortal.reject_transfer)
    request_removal = _scoped(PartnerPortal.request_removal)
    login_as = _scoped(PartnerPortal.login_as)
    verify_sso_ticket = _scoped(PartnerPortal.verify_sso_ticket)
    agency_reset_password = _scoped(PartnerPortal.agency_reset_password)
    accounts = _scoped(PartnerPortal.accounts)
    save_view = _scoped(PartnerPortal.save_view)
    views = _scoped(PartnerPortal.views)
    open_view = _scoped(PartnerPortal.open_view)
    delete_view = _scoped(PartnerPortal.delete_view)
    events = _scoped(PartnerPortal.events)
    invoices = _scoped(PartnerPortal.invoices)
    invoice = _scoped(PartnerPortal.invoice)
    pay_invoice = _scoped(PartnerPortal.pay_invoice)
    confirm_payment = _scoped(PartnerPortal.confirm_payment)
    buy_credits = _scoped(PartnerPortal.buy_credits)
    assign_credits = _scoped(PartnerPortal.assign_credits)
    balances = _scoped(PartnerPortal.balances)
    credit_history = _scoped(PartnerPortal.credit_history)
    record_usage = _scoped(PartnerPortal.record_usage)
    commission_statement = _scoped(PartnerPortal.commission_statement)
    feed = _scoped(PartnerPortal.feed)
    acknowledged = _scoped(PartnerPortal.acknowledged)
    acknowledge = _scoped(PartnerPortal.acknowledge)
    credit_invoice = _scoped(PartnerPortal.credit_invoice)
    credit_note = _scoped(PartnerPortal.credit_note)
    credit_notes = _scoped(PartnerPortal.credit_notes)
    reconcile_refund = _scoped(PartnerPortal.reconcile_refund)
    billing_history = _scoped(PartnerPortal.billing_history)
    upcoming = _scoped(PartnerPortal.upcoming)
    forecast = _scoped(PartnerPortal.forecast)
    set_top_up_policy = _scoped(PartnerPortal.set_top_up_policy)
    top_up_policy = _scoped(PartnerPortal.top_up_policy)
