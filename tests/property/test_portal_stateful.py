"""Random sequences of portal commands, with the library's rules checked after every step:
no account period charged twice, money conserved, no negative balance, statuses moved only
through the transition table, and one agency never seeing or changing another's account."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

import resell_core as rc
from resell_core.billing.ledger import OUTSIDE, SPENT
from resell_core.lifecycle import TRANSITIONS

TOKENS = ("tok_ok", "tok_decline_once", "tok_decline", "tok_timeout", "tok_down", "tok_pending")
PLANS = (
    rc.PlanSelection("V3", "marketing", "starter", 2500, "monthly"),
    rc.PlanSelection("V3", "marketing", "plus", 2500, "monthly"),
    rc.PlanSelection("V3", "marketing", "professional", 2500, "monthly"),
    rc.PlanSelection("V3", "marketing", "plus", 2500, "annual"),
    rc.PlanSelection("V1", "EM", "trial"),
)
UPGRADE = rc.PlanSelection("V3", "marketing", "professional", 5000, "monthly")
DOWNGRADE = rc.PlanSelection("V3", "marketing", "starter", 500, "monthly")
_MOVES = {(status, move.target) for (status, _), move in TRANSITIONS.items()}


@attrs.frozen
class Owned:
    """An account and the agency that owns it."""

    agency_id: str
    account_id: str


class PortalMachine(RuleBasedStateMachine):
    """Two agencies, cards with every gateway answer, accounts, credits and billing runs."""

    accounts = Bundle("accounts")

    def __init__(self) -> None:
        super().__init__()
        self.portal = rc.PartnerPortal.embedded(start=date(2024, 1, 1))
        self.agencies = [
            self.portal.register_agency(
                "Acme Digital", "ops@acme.test", "USD", reseller_rate="0.2"
            ),
            self.portal.register_agency("Globex", "ops@globex.test", "USD"),
        ]
        self.profiles: dict[tuple[str, str], str] = {}
        for agency in self.agencies:
            for token in TOKENS:
                profile = self.portal.add_billing_profile(
                    agency.id,
                    label=token,
                    card_token=token,
                    brand="visa",
                    last4="4242",
                    exp_month=12,
                    exp_year=2030,
                )
                self.profiles[agency.id, token] = profile.id
        self.statuses: dict[str, rc.AccountStatus] = {}
        self.names = 0

    @property
    def clock(self) -> rc.ManualClock:
        """The portal's manual clock."""
        clock = self.portal.clock
        assert isinstance(clock, rc.ManualClock)
        return clock

    @property
    def gateway(self) -> rc.SimulatedGateway:
        """The portal's simulated gateway."""
        gateway = self.portal.gateway
        assert isinstance(gateway, rc.SimulatedGateway)
        return gateway

    # -- commands ----------------------------------------------------------------------------

    @rule(
        target=accounts,
        which=st.integers(0, 1),
        token=st.sampled_from(TOKENS),
        plan=st.sampled_from(PLANS),
    )
    def add_account(self, which: int, token: str, plan: rc.PlanSelection) -> Owned:
        """Add an account paid by a card with a random gateway answer."""
        agency = self.agencies[which]
        self.names += 1
        created = self.portal.add_account(
            agency.id,
            rc.NewAccount(
                name=f"bakery-{self.names}",
                client_name="Bakery",
                notification_email=f"bakery-{self.names}@acme.test",
                country="DE",
                language="de",
                timezone="Europe/Berlin",
                plan=plan,
                billing_profile_id=self.profiles[agency.id, token] if plan.is_paid else None,
            ),
        )
        self.portal.process_provisioning()
        return Owned(agency.id, created.account.id)

    @rule(days=st.integers(1, 40))
    def advance(self, days: int) -> None:
        """Let time pass."""
        self.clock.advance(days=days)

    @rule()
    def run_billing(self) -> None:
        """Run billing until today."""
        report = self.portal.run_billing(page_size=3)
        assert report.errors == ()

    @rule(owned=accounts, up=st.booleans())
    def change_plan(self, owned: Owned, up: bool) -> None:
        """Upgrade (at once, with proration) or downgrade (at the end of the term)."""
        # Refused by the table or the catalog: nothing changed.
        with contextlib.suppress(rc.ResellError):
            self.portal.edit_account(
                owned.agency_id, owned.account_id, plan=UPGRADE if up else DOWNGRADE
            )

    @rule(owned=accounts)
    def cancel(self, owned: Owned) -> None:
        """Cancel an account when the table allows it."""
        with contextlib.suppress(rc.InvalidTransition):
            self.portal.cancel_account(owned.agency_id, owned.account_id)

    @rule(
        which=st.integers(0, 1),
        kind=st.sampled_from(tuple(rc.CreditKind)),
        quantity=st.integers(1, 150),
        token=st.sampled_from(("tok_ok", "tok_decline")),
    )
    def buy_credits(self, which: int, kind: rc.CreditKind, quantity: int, token: str) -> None:
        """Buy some credit with a card that pays or declines."""
        agency = self.agencies[which]
        self.portal.buy_credits(agency.id, kind, quantity, self.profiles[agency.id, token])

    @rule(owned=accounts, kind=st.sampled_from(tuple(rc.CreditKind)), quantity=st.integers(1, 60))
    def assign_credits(self, owned: Owned, kind: rc.CreditKind, quantity: int) -> None:
        """Assign credit to an account, refused when there is too little or C5 forbids it."""
        with contextlib.suppress(rc.InsufficientCredit, rc.CreditNotAllowed, rc.InvalidInput):
            self.portal.assign_credits(owned.agency_id, owned.account_id, kind, quantity)

    @rule(owned=accounts)
    def trespass(self, owned: Owned) -> None:
        """The other agency can neither read nor cancel the account."""
        other = next(a for a in self.agencies if a.id != owned.agency_id)
        before = self.portal.account(owned.agency_id, owned.account_id)
        for attempt in (
            lambda: self.portal.account(other.id, owned.account_id),
            lambda: self.portal.cancel_account(other.id, owned.account_id),
            lambda: self.portal.invoices(other.id, owned.account_id),
            lambda: self.portal.assign_credits(other.id, owned.account_id, "sms", 1),
        ):
            try:
                attempt()
            except rc.NotFound:
                continue
            raise AssertionError("another agency reached the account")
        after = self.portal.account(owned.agency_id, owned.account_id)
        assert attrs.asdict(after) == attrs.asdict(before)

    # -- invariants --------------------------------------------------------------------------

    def _invoices(self) -> list[rc.Invoice]:
        return [i for a in self.agencies for i in self.portal.invoices(a.id)]

    @invariant()
    def no_period_charged_twice(self) -> None:
        """One invoice per account period, and at most one card charge per invoice."""
        keys = [i.period_key for i in self._invoices() if i.period_key is not None]
        assert len(keys) == len(set(keys))
        charged = Counter(c.idempotency_key.split(":")[1] for c in self.gateway.charges)
        assert all(n == 1 for n in charged.values()), charged

    @invariant()
    def money_is_conserved(self) -> None:
        """Cards charged and prepaid spent add up to what the invoices say they were paid."""
        invoices = self._invoices()
        by_id = {i.id: i for i in invoices}
        charged = usd_total(c.amount for c in self.gateway.charges)
        assert charged == usd_total(i.paid_card for i in invoices)
        for charge in self.gateway.charges:
            assert by_id[charge.idempotency_key.split(":")[1]].status is rc.InvoiceStatus.PAID
        for agency in self.agencies:
            with self.portal.storage.unit_of_work() as uow:
                spent = uow.ledger.balance(agency.id, SPENT, rc.CreditKind.PREPAID)
            prepaid = sum(
                (
                    (i.paid_earmarked + i.paid_pool).amount
                    for i in invoices
                    if i.agency_id == agency.id
                ),
                Decimal(0),
            )
            assert spent == prepaid
        for invoice in invoices:
            if invoice.status is rc.InvoiceStatus.PAID:
                assert invoice.paid == invoice.total.max(rc.Money.zero(invoice.currency))

    @invariant()
    def no_negative_balance(self) -> None:
        """Every wallet but the outside holds zero or more of every kind."""
        for agency in self.agencies:
            totals: dict[tuple[str, rc.CreditKind], Decimal] = {}
            for movement in self.portal.credit_history(agency.id):
                source = (movement.source, movement.kind)
                destination = (movement.destination, movement.kind)
                totals[source] = totals.get(source, Decimal(0)) - movement.quantity
                totals[destination] = totals.get(destination, Decimal(0)) + movement.quantity
                assert movement.source == OUTSIDE or totals[source] >= 0, movement

    @invariant()
    def statuses_move_only_through_the_table(self) -> None:
        """Every status change seen is a move of the transition table."""
        for agency in self.agencies:
            with self.portal.storage.unit_of_work() as uow:
                accounts = uow.accounts.of_agency(agency.id, limit=10_000)
            for account in accounts:
                assert account.agency_id == agency.id
                before = self.statuses.get(account.id)
                if before is not None and before is not account.status:
                    assert (before, account.status) in _MOVES, (before, account.status)
                self.statuses[account.id] = account.status

    @invariant()
    def agencies_see_only_their_own(self) -> None:
        """The overview and the invoices of an agency hold only its own accounts."""
        for agency in self.agencies:
            page = self.portal.accounts(agency.id, rc.AccountQuery(limit=500))
            with self.portal.storage.unit_of_work() as uow:
                owned = {a.id for a in uow.accounts.of_agency(agency.id, limit=10_000)}
            assert {row.account_id for row in page.rows} <= owned
            assert all(i.agency_id == agency.id for i in self.portal.invoices(agency.id))


def usd_total(amounts: Iterable[rc.Money]) -> rc.Money:
    """Add amounts of US dollars."""
    return rc.Money.total(amounts, "USD")


PortalMachine.TestCase.settings = settings(stateful_step_count=15)
TestPortalStateful = PortalMachine.TestCase
