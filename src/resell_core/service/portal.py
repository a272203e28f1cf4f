"""The partner portal: the application service an agency's requests go through.

:class:`PartnerPortal` is the composition root: it takes the ports as keyword-only
arguments (or wires the in-memory ones with :meth:`PartnerPortal.embedded`) and exposes
the use cases. Each method is thin: it delegates to a function of the module that holds
its concern (``agencies``, ``profiles``, ``accounts``, ``access``, ``overview``; billing,
credits and commissions in theirs).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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
from resell_core.arguments import checked_arguments
from resell_core.audit import AuditEvent
from resell_core.billing.commissions import CommissionStatement
from resell_core.billing.invoices import Invoice, InvoiceStatus
from resell_core.billing.ledger import CreditKind, Movement
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import InvalidInput
from resell_core.lifecycle.account import Account
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
from resell_core.lifecycle.lockout import LoginResult
from resell_core.lifecycle.names import NameCheck
from resell_core.lifecycle.overview import AccountQuery, OverviewRow, Page, SavedView
from resell_core.lifecycle.snapshots import Snapshot, TemplateShareRequest
from resell_core.lifecycle.sso import SsoClaims
from resell_core.lifecycle.transfer import RemovalRequest, TransferRequest
from resell_core.lifecycle.validation import NewAccount
from resell_core.money import Money
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
from resell_core.pricing.quote import PackageDetails
from resell_core.pricing.selection import PlanSelection
from resell_core.pricing.terms import MigrationDiscount
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
from resell_core.service import credits as credit_service
from resell_core.service.billing import BillingReport
from resell_core.service.commissions import CommissionRun
from resell_core.service.context import SYSTEM, Context, Policies
from resell_core.service.credits import CreditBalance, CreditPurchase
from resell_core.service.results import AccountCreated, AccountEdited

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
        storage: Storage | None = None,
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

    def billing_profiles(self, agency_id: str) -> list[BillingProfile]:
        """Return the agency's billing profiles (B5)."""
        return profiles.billing_profiles(self._ctx, agency_id)

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
    def quote(
        self,
        agency_id: str,
        selection: PlanSelection,
        migration: MigrationDiscount | None = None,
    ) -> PackageDetails:
        """Return the package details of a plan for the agency (A10)."""
        return accounts.quote(self._ctx, agency_id, selection, migration)

    def check_account_name(self, name: str) -> NameCheck:
        """Say whether a name is well-formed and free on the whole platform (A2)."""
        return accounts.check_account_name(self._ctx, name)

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

    def process_provisioning(self) -> list[Account]:
        """Apply the provisioner's reports: ready accounts start, failed ones expire (A12)."""
        return accounts.process_provisioning(self._ctx)

    def account(self, agency_id: str, account_id: str) -> Account:
        """Return the agency's account (NotFound for another agency's)."""
        return accounts.account(self._ctx, agency_id, account_id)

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

    def cancel_account(
        self,
        agency_id: str,
        account_id: str,
        reason: str = "",
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Account:
        """Cancel the account (R7); it works until its paid-through date."""
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
        action = ChangeBranding(None)
        return self._move(agency_id, account_id, action, actor, idempotency_key)

    def _move(
        self,
        agency_id: str,
        account_id: str,
        action: Action,
        actor: str,
        idempotency_key: str | None,
    ) -> Account:
        """Apply one lifecycle action to the account (NotFound, InvalidTransition)."""
        return editing.transition(
            self._ctx, agency_id, account_id, action, actor=actor, idempotency_key=idempotency_key
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

    def transfer_request(self, agency_id: str, request_id: str) -> TransferRequest:
        """Return a transfer-in request of the agency."""
        return transfers.transfer_request(self._ctx, agency_id, request_id)

    def confirm_transfer(
        self,
        agency_id: str,
        request_id: str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """The owner confirmed: the account moves in and the agency is told (T1)."""
        return transfers.confirm_transfer(
            self._ctx, agency_id, request_id, actor=actor, idempotency_key=idempotency_key
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

    def verify_sso_ticket(self, agency_id: str, account_id: str, ticket: str) -> SsoClaims:
        """Accept a single sign-on ticket once (R5)."""
        return access.verify_sso_ticket(self._ctx, agency_id, account_id, ticket)

    def login(self, account_name: str, password: str) -> LoginResult:
        """Log in at the account's own page, with the lockout of S5 (a disabled account
        answers ``disabled`` with the agency's message, S9)."""
        return access.login(self._ctx, account_name, password)

    def request_password_reset(self, account_name: str, email: str) -> str:
        """ "Forgot password" at the account's page (S4); the answer never tells if known."""
        return access.request_password_reset(self._ctx, account_name, email)

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

    def complete_password_reset(self, token: str, new_password: str) -> None:
        """Set the admin password with a reset token, once (S4)."""
        access.complete_password_reset(self._ctx, token, new_password)

    # -- the overview (O1-O10) and the audit log --------------------------------------------
    def accounts(self, agency_id: str, query: AccountQuery | None = None) -> Page[OverviewRow]:
        """Return a page of the agency's accounts overview (O1-O10)."""
        return overview.accounts(self._ctx, agency_id, query or AccountQuery())

    def save_view(self, agency_id: str, user_id: str, name: str, query: AccountQuery) -> SavedView:
        """Save a personal view of the overview for a portal user (O6)."""
        return overview.save_view(self._ctx, agency_id, user_id, name, query)

    def views(self, agency_id: str, user_id: str) -> list[SavedView]:
        """Return the user's own saved views (O6)."""
        return overview.views(self._ctx, agency_id, user_id)

    def open_view(self, agency_id: str, user_id: str, name: str) -> SavedView:
        """Return the user's view of that name (O6; another user's is not found)."""
        return overview.open_view(self._ctx, agency_id, user_id, name)

    def delete_view(self, agency_id: str, user_id: str, name: str) -> None:
        """Delete the user's view of that name (O6)."""
        overview.delete_view(self._ctx, agency_id, user_id, name)

    def events(
        self, agency_id: str, subject: str | None = None, *, limit: int | None = None
    ) -> list[AuditEvent]:
        """Return the agency's audit log (who, what, when, before -> after)."""
        return overview.events(self._ctx, agency_id, subject, limit)

    def purge_expired(self) -> tuple[int, int]:
        """Delete idempotency records older than the policy keeps them, and expired access
        records (reset tickets, used nonces); return how many of each."""
        now = self._ctx.now()
        with self._ctx.storage.unit_of_work() as uow:
            keys = uow.idempotency.purge(now - self._ctx.policies.idempotency_ttl)
            tokens = uow.tokens.purge(now)
            uow.commit()
        return keys, tokens

    # -- billing, credits, commissions ------------------------------------------------------
    # The billing use cases (run_billing, invoices, buy_credits, assign_credits, balances,
    # credit_history, commission_statement, pay_commissions) follow here, delegating to
    # service/billing.py, service/credits.py and service/commissions.py.

    def run_billing(self, until: date | None = None, *, page_size: int = 100) -> BillingReport:
        """Bill every due account period until ``until`` (inclusive, default today), retry
        the charges whose next attempt is due, and end finished trials (B1, B2, A11).

        Due accounts are claimed and billed a page of ``page_size`` at a time, one commit
        for the page's invoices and one for the gateway's answers; an account whose billing
        fails is left out of its page and reported in the result, never blocking the
        others; a re-run charges nothing twice.
        """
        return billing_service.run_billing(self._ctx, until, page_size=page_size)

    def invoices(
        self,
        agency_id: str,
        account_id: str | None = None,
        status: InvoiceStatus | str | None = None,
    ) -> list[Invoice]:
        """Return the agency's invoices by number; one account's billing history (B7)."""
        return billing_service.invoices(self._ctx, agency_id, account_id, status)

    def invoice(self, agency_id: str, invoice_id: str) -> Invoice:
        """Return one of the agency's invoices (NotFound for another agency's)."""
        return billing_service.invoice(self._ctx, agency_id, invoice_id)

    def pay_invoice(self, agency_id: str, invoice_id: str) -> Invoice:
        """Pay an open invoice now (an upgrade's proration invoice), prepaid first (C2)."""
        return billing_service.pay_invoice(self._ctx, agency_id, invoice_id)

    def confirm_payment(self, agency_id: str, invoice_id: str) -> Invoice:
        """Apply the gateway's late answer to a pending charge, looked up by its key."""
        return billing_service.confirm_payment(self._ctx, agency_id, invoice_id)

    def buy_credits(
        self,
        agency_id: str,
        kind: CreditKind | str,
        quantity: Money | Decimal | int | str,
        billing_profile_id: str,
        account_id: str | None = None,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> CreditPurchase:
        """Buy prepaid, SMS or inbox-preview credits with a billing profile (C1-C5);
        ``account_id`` earmarks them for one account (C3)."""
        return credit_service.buy_credits(
            self._ctx,
            agency_id,
            kind,
            quantity,
            billing_profile_id,
            account_id=account_id,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def assign_credits(
        self,
        agency_id: str,
        account_id: str,
        kind: CreditKind | str,
        quantity: Decimal | int | str,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> Movement:
        """Assign bought credit to an account (C1, C3; C5 refuses SMS for starter; C6)."""
        return credit_service.assign_credits(
            self._ctx,
            agency_id,
            account_id,
            kind,
            quantity,
            actor=actor,
            idempotency_key=idempotency_key,
        )

    def balances(
        self,
        agency_id: str,
        *,
        account_id: str | None = None,
        billing_profile_id: str | None = None,
    ) -> CreditBalance:
        """Return what the agency's, an account's or a profile's wallet holds (C4)."""
        return credit_service.balances(
            self._ctx, agency_id, account_id=account_id, billing_profile_id=billing_profile_id
        )

    def credit_history(
        self,
        agency_id: str,
        kind: CreditKind | str | None = None,
        account_id: str | None = None,
    ) -> list[Movement]:
        """Return the agency's credit movements, of one kind or account when given (C6)."""
        return credit_service.credit_history(self._ctx, agency_id, kind, account_id)

    def refer_account(
        self,
        referral_code: str,
        new: NewAccount,
        *,
        actor: str = SYSTEM,
        idempotency_key: str | None = None,
    ) -> AccountCreated:
        """Add a commission account referred by an agency's referral code (K1, K3, K4)."""
        return commission_service.refer_account(
            self._ctx, referral_code, new, actor=actor, idempotency_key=idempotency_key
        )

    def commission_statement(self, agency_id: str, month: date) -> CommissionStatement:
        """Return the agency's commission statement of the month holding ``month`` (K2)."""
        return commission_service.commission_statement(self._ctx, agency_id, month)

    def pay_commissions(self, month: date) -> CommissionRun:
        """Pay every agency its commission of the month by PayPal, once (K2)."""
        return commission_service.pay_commissions(self._ctx, month)
