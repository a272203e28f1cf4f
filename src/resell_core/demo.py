"""The demo: months of a sample agency, ACME-DIGITAL, replayed day by day on a portal.

:func:`run_demo` builds an embedded portal (:meth:`PartnerPortal.embedded`, in memory or
over a storage the caller gives, e.g. :class:`~resell_core.adapters.sql.SqlStorage`),
plays a fixed story through the portal's use cases and returns a :class:`DemoResult`:
the overview, the invoices per month, the totals, the credit balances, the commission
statements and what happened. :func:`render` turns the result into plain-text tables.

The story (each step happens when it falls inside the replayed months; day 0 is the
first replayed day):

- day 0: a mix of paid plans (monthly and annual, marketing and automation, starter to
  enterprise, with add-ons), two trials and a sandbox; one account pays with a card that
  declines its first charge and is paid on the retry the next day (dunning);
- day 2: two clients referred with the agency's referral code (commission accounts),
  and a third in month 5, so that the program's thresholds keep being met;
- day 3: SMS and inbox-preview credits bought and assigned (C1, C5, C6);
- day 10: a cancellation (R7); day 14: an upgrade, prorated at once (U1); day 14: both
  trials end (TR1); day 20: a downgrade, scheduled at the end of the term; day 21: an
  expired trial gets a paid V3 plan (TR3);
- the first day of every month after the first: prepaid credit bought, which that day's
  billing run spends before the card (C2, B4), and last month's commission paid by
  PayPal (K2);
- month 1: the account cancelled on day 10 is archived (its primary action becomes
  Renew, O9) and another is cancelled; month 2: that one is renewed (R1).

Nothing reads the real clock: the portal's manual clock is set to each replayed day, and
the generated accounts (``accounts``) come from a random stream seeded with ``seed``, so
the same arguments always give the same result.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import attrs
from dateutil.relativedelta import relativedelta

from resell_core.adapters.clock import ManualClock
from resell_core.billing.invoices import Invoice, InvoiceStatus, LineKind
from resell_core.billing.ledger import CreditKind
from resell_core.errors import FieldProblem, InvalidInput, InvalidTransition, NotFound, quoted
from resell_core.formatting import format_money
from resell_core.lifecycle.account_query import AccountQuery, OverviewColumn
from resell_core.lifecycle.validation import NewAccount
from resell_core.money import Money
from resell_core.ports import Storage
from resell_core.pricing.selection import PlanSelection
from resell_core.service.billing import BillingProgress, BillingReport
from resell_core.service.portal import PartnerPortal

__all__ = [
    "DEFAULT_START",
    "BalanceLine",
    "CommissionLine",
    "DemoResult",
    "Happening",
    "MonthFigures",
    "OverviewLine",
    "render",
    "run_demo",
]

DEFAULT_START = date(2024, 1, 1)
"""The first replayed day when none is given."""

AGENCY_NAME = "ACME-DIGITAL"
CURRENCY = "USD"
OVERVIEW_PAGE = 20
MAX_MONTHS = 120
MAX_ACCOUNTS = 100_000

_PREPAID_TOP_UP = Money("500.00", CURRENCY)
_SMS_BOUGHT = 1000
_PREVIEWS_BOUGHT = 200
_UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.PENDING, InvoiceStatus.FAILED)

# -- the result ----------------------------------------------------------------------------


@attrs.frozen
class OverviewLine:
    """One row of the overview's first page.

    Attributes:
        name: The account name (its site address).
        plan: The plan in words (``"marketing plus 2,500 monthly"``, ``"trial"``).
        kind: ``resold`` or ``commission`` (a referred client).
        status: The account's status.
        expires: When it expires (end of trial or of the paid term), if known.
        action: The row's primary action (``login``, or ``renew`` when archived).
    """

    name: str
    plan: str
    kind: str
    status: str
    expires: date | None
    action: str


@attrs.frozen
class MonthFigures:
    """The invoices issued in one replayed month (or in all of them, for the totals).

    Attributes:
        start: The first day of the month.
        invoices: How many invoices were issued (void ones left out).
        billed: What they add up to.
        paid_card: What cards paid of them.
        paid_prepaid: What prepaid credit paid of them (earmarked and pool).
        unpaid: How many are still open, pending or failed.
    """

    start: date
    invoices: int
    billed: Money
    paid_card: Money
    paid_prepaid: Money
    unpaid: int

    @classmethod
    def of(cls, start: date, invoices: Iterable[Invoice]) -> MonthFigures:
        """Add up invoices (void ones are left out)."""
        counted = [i for i in invoices if i.status is not InvoiceStatus.VOID]
        return cls(
            start=start,
            invoices=len(counted),
            billed=Money.total((i.total for i in counted), CURRENCY),
            paid_card=Money.total((i.paid_card for i in counted), CURRENCY),
            paid_prepaid=Money.total((i.paid_earmarked + i.paid_pool for i in counted), CURRENCY),
            unpaid=sum(1 for i in counted if i.status in _UNPAID),
        )


@attrs.frozen
class BalanceLine:
    """What one wallet holds at the end (C4).

    Attributes:
        wallet: Whose wallet, in words.
        prepaid: Prepaid credit.
        sms: SMS credits.
        inbox_preview: Inbox-preview credits.
    """

    wallet: str
    prepaid: Money
    sms: Decimal
    inbox_preview: Decimal


@attrs.frozen
class CommissionLine:
    """One month of the agency's commission statement (K2).

    Attributes:
        month: The first day of the calendar month.
        referred_revenue: What the referred clients paid the vendor that month.
        rate: The tier rate applied.
        earned: The month's commission.
        due: With what earlier months carried over.
        status: ``payable``, ``below_threshold`` or ``held``.
        payout: What became of the payout (``succeeded``…), ``open`` while the month is not
            paid yet, or ``-`` when nothing was sent.
    """

    month: date
    referred_revenue: Money
    rate: Decimal
    earned: Money
    due: Money
    status: str
    payout: str


@attrs.frozen
class Happening:
    """One notable thing of the story, on the day it happened."""

    on: date
    text: str


@attrs.frozen
class DemoResult:
    """What a replay did, ready for :func:`render` (the portal is kept to look further).

    Attributes:
        agency_id: The agency's id in the portal.
        start: The first replayed day.
        end: The day after the last replayed day.
        seed: The seed of the generated accounts.
        storage: Which storage ran it (``memory``, ``sqlite``, ``postgresql``).
        accounts: How many accounts the agency has.
        overview: The overview's first page, by name.
        months: The invoices per replayed month.
        totals: The invoices of all months.
        balances: The agency's wallets and the accounts that hold credit.
        commissions: The commission statement of each calendar month.
        happened: The story's notable moments, in order.
        story_accounts: The story's accounts as ``(name, id)`` pairs, in the order added.
        portal: The portal, to look at anything else.
    """

    agency_id: str
    start: date
    end: date
    seed: int
    storage: str
    accounts: int
    overview: tuple[OverviewLine, ...]
    months: tuple[MonthFigures, ...]
    totals: MonthFigures
    balances: tuple[BalanceLine, ...]
    commissions: tuple[CommissionLine, ...]
    happened: tuple[Happening, ...]
    story_accounts: tuple[tuple[str, str], ...]
    portal: PartnerPortal = attrs.field(eq=False, repr=False)

    def account_id(self, name: str) -> str:
        """Return the id of the story's account of that name (``"north-bakery"``).

        Raises:
            NotFound: The story has no account of that name.
        """
        for known, account_id in self.story_accounts:
            if known == name:
                return account_id
        raise NotFound("demo account", name)


# -- the sample agency's accounts ----------------------------------------------------------


def _v3(
    product: str, tier: str, contacts: int, frequency: str = "monthly", *addons: str
) -> PlanSelection:
    return PlanSelection("V3", product, tier, contacts, frequency, addons=addons)


TRIAL = PlanSelection("V1", "EM", "trial")
SANDBOX = PlanSelection("V1", "EM", "sandbox")


@attrs.frozen
class _Client:
    name: str
    client_name: str
    country: str
    language: str
    timezone: str
    plan: PlanSelection
    card: str = "main"


_NAMED = (
    _Client("north-bakery", "North Bakery", "DE", "de", "Europe/Berlin",
            _v3("marketing", "plus", 2500, "monthly", "sms")),
    _Client("lake-studio", "Lake Studio", "US", "en", "America/Chicago",
            _v3("automation", "professional", 5000, "annual", "inbox_preview")),
    _Client("peak-fitness", "Peak Fitness", "AU", "en", "Australia/Sydney",
            _v3("marketing", "enterprise", 10000, "monthly", "dedicated_ip")),
    _Client("river-shop", "River Shop", "FR", "fr", "Europe/Paris",
            _v3("marketing", "plus", 5000)),
    _Client("harbor-gym", "Harbor Gym", "US", "en", "America/New_York",
            _v3("marketing", "starter", 1500), card="backup"),
    _Client("city-dental", "City Dental", "CA", "en", "America/Toronto",
            _v3("automation", "plus", 1500)),
    _Client("old-florist", "Old Florist", "GB", "en", "Europe/London",
            _v3("marketing", "starter", 500)),
    _Client("green-trial", "Green Grocer", "NZ", "en", "Pacific/Auckland", TRIAL),
    _Client("sunny-trial", "Sunny Cafe", "ES", "es", "Europe/Madrid", TRIAL),
    _Client("dev-sandbox", "ACME Sandbox", "US", "en", "UTC", SANDBOX),
)  # fmt: skip

_REFERRED = (
    _Client("lake-cafe", "Lake Cafe", "US", "en", "America/New_York",
            _v3("marketing", "professional", 2500)),
    _Client("hill-books", "Hill Books", "IE", "en", "Europe/Dublin",
            _v3("marketing", "plus", 10000)),
    _Client("bay-yoga", "Bay Yoga", "US", "en", "America/Los_Angeles",
            _v3("automation", "plus", 2500)),
)  # fmt: skip

# Bands of the sample catalog that both products offer, per tier (generated accounts).
_BANDS = {
    "starter": (500, 1500, 2500, 5000),
    "plus": (500, 1500, 2500, 5000, 10000),
    "professional": (2500, 5000, 10000),
    "enterprise": (10000, 25000),
}
_TIER_WEIGHTS = (("starter", 30), ("plus", 45), ("professional", 20), ("enterprise", 5))
_PLACES = (
    ("US", "en", "America/New_York"),
    ("DE", "de", "Europe/Berlin"),
    ("FR", "fr", "Europe/Paris"),
    ("AU", "en", "Australia/Sydney"),
    ("GB", "en", "Europe/London"),
    ("CA", "en", "America/Toronto"),
)
_WORDS = (
    "amber", "blue", "cedar", "delta", "ember", "fern", "granite", "harvest", "iris", "juniper",
    "kite", "linden", "maple", "nova", "oak", "pine", "quartz", "rowan", "sage", "tidal",
)  # fmt: skip
_TRADES = (
    "bakery", "books", "cafe", "clinic", "dental", "florist", "garage", "gym", "hotel",
    "law", "market", "optics", "pets", "salon", "shop", "studio", "tailor", "travel",
)  # fmt: skip


def _generated(rng: random.Random, index: int, days: int) -> tuple[int, _Client]:
    """One generated account and the day it is added (0 = the first replayed day)."""
    word, trade = rng.choice(_WORDS), rng.choice(_TRADES)
    country, language, timezone = rng.choice(_PLACES)
    roll = rng.random()
    if roll < 0.05:
        plan = TRIAL
    elif roll < 0.07:
        plan = SANDBOX
    else:
        tier = rng.choices([t for t, _ in _TIER_WEIGHTS], [w for _, w in _TIER_WEIGHTS])[0]
        product = "marketing" if rng.random() < 0.7 else "automation"
        frequency = "annual" if rng.random() < 0.15 else "monthly"
        plan = _v3(product, tier, rng.choice(_BANDS[tier]), frequency)
    client = _Client(
        f"{word}-{trade}-{index:05d}",
        f"{word.title()} {trade.title()} {index}",
        country,
        language,
        timezone,
        plan,
    )
    return rng.randrange(max(1, min(days, 90))), client


# -- the replay ----------------------------------------------------------------------------


def _paid_how(invoice: Invoice) -> str:
    if invoice.status is not InvoiceStatus.PAID:
        return f"left {invoice.status.value} (the billing run retries it)"
    ways = [
        (invoice.paid_earmarked + invoice.paid_pool, "prepaid credit"),
        (invoice.paid_card, "the card"),
    ]
    paid = " and ".join(
        f"{_money(amount)} by {way}" for amount, way in ways if amount.is_positive()
    )
    return f"paid at once ({paid})" if paid else "paid at once"


def _count(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _words(value: object) -> str:
    return str(value).replace("_", " ")


def _plan_words(plan: PlanSelection) -> str:
    if not plan.is_paid:
        return plan.tier
    words = f"{plan.product} {plan.tier} {plan.contacts or 0:,} {plan.frequency}"
    return words + "".join(f" +{a}" for a in plan.addons)


def _money(amount: Money) -> str:
    return format_money(amount, "en_US")


class _Story:
    """The replay's state: the portal, who is who, and what happened."""

    def __init__(
        self,
        portal: PartnerPortal,
        start: date,
        end: date,
        seed: int,
    ) -> None:
        self.portal = portal
        self.seed = seed
        self.start = start
        self.end = end
        self.agency_id = ""
        self.cards: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.told: list[str] = []
        self.happened: list[Happening] = []
        self.steps: dict[date, list[Callable[[], None]]] = {}
        self.watched: dict[str, Invoice] = {}
        self.pending: dict[str, PlanSelection] = {}
        self.generated_trials_ended = 0
        self.top_ups = 0
        self.topped_up_today = False
        self.last_commission: tuple[str, str] | None = None
        self.recurring = 0
        self.declined = 0

    @property
    def today(self) -> date:
        return self.portal.clock.today()

    def note(self, text: str) -> None:
        self.happened.append(Happening(self.today, text))

    def at(self, months: int, days: int, step: Callable[[], None]) -> None:
        day = self.start + relativedelta(months=months) + timedelta(days=days)
        if day < self.end:
            self.steps.setdefault(day, []).append(step)

    # -- the steps ---------------------------------------------------------------------
    def open_agency(self) -> None:
        portal = self.portal
        agency = portal.register_agency(
            "Acme Digital",
            "ops@acme-digital.test",
            CURRENCY,
            reseller_rate="0.20",
            referral_code=AGENCY_NAME,
            paypal_email="payouts@acme-digital.test",
        )
        self.agency_id = agency.id
        portal.add_portal_user(agency.id, "ada@acme-digital.test", "Ada Lovelace")
        expiry = self.end.year + 3
        for key, label, token, brand, last4 in (
            ("main", "Main Visa", "tok_ok", "visa", "4242"),
            ("backup", "Backup Mastercard", "tok_decline_once", "mastercard", "4444"),
        ):
            profile = portal.add_billing_profile(
                agency.id,
                label=label,
                card_token=token,
                brand=brand,
                last4=last4,
                exp_month=12,
                exp_year=expiry,
            )
            self.cards[key] = profile.id
        self.note(
            f"{AGENCY_NAME} registered (20 % reseller discount) with two cards: "
            "Main Visa and Backup Mastercard (declines its first charge)"
        )

    def _form(self, client: _Client) -> NewAccount:
        return NewAccount(
            name=client.name,
            client_name=client.client_name,
            notification_email=f"billing+{client.name}@acme-digital.test",
            country=client.country,
            language=client.language,
            timezone=client.timezone,
            plan=client.plan,
            billing_profile_id=self.cards[client.card] if client.plan.is_paid else None,
        )

    def add(self, client: _Client, *, story: bool = True) -> None:
        created = self.portal.add_account(self.agency_id, self._form(client))
        self.ids[client.name] = created.account.id
        self.names[created.account.id] = client.name
        if story:
            self.told.append(created.account.id)
            self.note(f"{client.name} added on {_plan_words(client.plan)}")

    def refer(self, client: _Client) -> None:
        form = attrs.evolve(self._form(client), notification_email=f"owner@{client.name}.test")
        created = self.portal.refer_account(AGENCY_NAME, form)
        self.ids[client.name] = created.account.id
        self.names[created.account.id] = client.name
        self.told.append(created.account.id)
        self.note(
            f"{client.name} referred with code {AGENCY_NAME} ({_plan_words(client.plan)}): "
            "its client pays the vendor; the agency earns a commission"
        )

    def buy_units(self) -> None:
        portal, main = self.portal, self.cards["main"]
        sms = portal.buy_credits(self.agency_id, CreditKind.SMS, _SMS_BOUGHT, main)
        previews = portal.buy_credits(
            self.agency_id, CreditKind.INBOX_PREVIEW, _PREVIEWS_BOUGHT, main
        )
        self.note(
            f"bought {_SMS_BOUGHT:,} SMS credits ({_money(sms.invoice.total)}) and "
            f"{_PREVIEWS_BOUGHT} inbox-preview credits ({_money(previews.invoice.total)})"
        )
        portal.assign_credits(self.agency_id, self.ids["north-bakery"], CreditKind.SMS, 400)
        portal.assign_credits(self.agency_id, self.ids["peak-fitness"], CreditKind.SMS, 300)
        portal.assign_credits(
            self.agency_id, self.ids["lake-studio"], CreditKind.INBOX_PREVIEW, 100
        )
        self.note(
            "assigned 400 SMS to north-bakery, 300 SMS to peak-fitness, "
            "100 inbox previews to lake-studio"
        )

    def top_up(self) -> None:
        self.portal.buy_credits(
            self.agency_id, CreditKind.PREPAID, _PREPAID_TOP_UP, self.cards["main"]
        )
        self.top_ups += 1
        self.topped_up_today = True

    def upgrade(self) -> None:
        account_id = self.ids["north-bakery"]
        before = self.portal.account(self.agency_id, account_id).plan
        new = attrs.evolve(before, tier="professional")
        edited = self.portal.edit_account(self.agency_id, account_id, plan=new)
        invoice = edited.invoice
        if invoice is None:
            self.note(f"north-bakery upgraded to {_plan_words(new)} (nothing billed yet)")
            return
        credit = Money.total(
            (line.amount for line in invoice.lines if line.kind is LineKind.PRORATION_CREDIT),
            CURRENCY,
        )
        charge = Money.total(
            (line.amount for line in invoice.lines if line.kind is LineKind.PRORATION_CHARGE),
            CURRENCY,
        )
        period = next((line.period for line in invoice.lines if line.period), None)
        until = f" until {period.end}" if period is not None else ""
        self.note(
            f"north-bakery upgraded plus -> professional at once, prorated{until}: "
            f"credit {_money(credit)} for unused plus, charge {_money(charge)} for "
            f"professional, invoice #{invoice.number} of {_money(invoice.total)} "
            f"{_paid_how(invoice)}"
        )

    def downgrade(self) -> None:
        account_id = self.ids["river-shop"]
        new = _v3("marketing", "starter", 1500)
        edited = self.portal.edit_account(self.agency_id, account_id, plan=new)
        change = edited.account.pending_change
        if change is None:
            self.note(f"river-shop downgraded to {_plan_words(new)} at once")
            return
        self.pending[account_id] = change.plan
        self.note(
            f"river-shop downgrade to {_plan_words(new)} scheduled for "
            f"{change.effective_on} (end of the term); nothing is credited"
        )

    def cancel(self, name: str, reason: str) -> None:
        account = self.portal.cancel_account(self.agency_id, self.ids[name], reason)
        self.note(f"{name} cancelled ({reason}); it works until {account.paid_through}")

    def archive(self, name: str) -> None:
        self.portal.archive_account(self.agency_id, self.ids[name])
        self.note(f"{name} archived: its primary action is now Renew (data kept a year)")

    def renew(self, name: str) -> None:
        account_id, card = self.ids[name], self.cards["main"]
        try:
            account = self.portal.renew_account(self.agency_id, account_id, card)
        except InvalidTransition as refused:
            # R2: an account bought before the cut-off cannot be renewed; its plan is
            # changed instead, as the refusal advises.
            plan = self.portal.account(self.agency_id, account_id).plan
            account = self.portal.change_plan(
                self.agency_id, account_id, plan, billing_profile_id=card
            )
            self.note(
                f"{name}: renewal refused ({refused.advice}); the same plan was chosen "
                f"again instead: a new term from {account.anchor}"
            )
            return
        self.note(
            f"{name} renewed on Main Visa: a new term from {account.anchor} ({account.status})"
        )

    def convert_trial(self) -> None:
        plan = _v3("marketing", "plus", 1500)
        account_id = self.ids["sunny-trial"]
        status = self.portal.account(self.agency_id, account_id).status
        self.portal.change_plan(
            self.agency_id, account_id, plan, billing_profile_id=self.cards["main"]
        )
        self.note(f"sunny-trial ({status} trial) upgraded to V3 {_plan_words(plan)} (TR3)")

    # -- each day --------------------------------------------------------------------------
    def after_billing(self, report: BillingReport) -> None:
        self.recurring += report.invoices_created
        if self.topped_up_today and self.top_ups == 1:
            pool = self.portal.balances(self.agency_id, billing_profile_id=self.cards["main"])
            self.note(
                f"bought {_money(_PREPAID_TOP_UP)} of prepaid credit on Main Visa (as on the "
                f"first day of each month from now on): the day's billing spent "
                f"{_money(report.prepaid(CURRENCY))} of it first, the card paid the rest "
                f"(pool left: {_money(pool.prepaid)})"
            )
        self.topped_up_today = False
        self.declined += report.payments_declined
        for account_id in report.trials_ended:
            if account_id in self.told:
                self.note(f"{self.names[account_id]}: the 14-day trial ended, the account expired")
            else:
                self.generated_trials_ended += 1
        if report.payments_declined:
            for invoice in self.portal.invoices(self.agency_id, status=InvoiceStatus.OPEN):
                if invoice.attempts and invoice.id not in self.watched:
                    self.watched[invoice.id] = invoice
                    self.note(
                        f"invoice #{invoice.number} ({self._whose(invoice)}, "
                        f"{_money(invoice.total)}) declined; retry on {invoice.next_retry_on}"
                    )
        for invoice_id in list(self.watched):
            current = self.portal.invoice(self.agency_id, invoice_id)
            if current.status is InvoiceStatus.PAID:
                del self.watched[invoice_id]
                self.note(
                    f"invoice #{current.number} ({self._whose(current)}) paid on the retry "
                    f"(charge attempt {current.attempts + 1}): the card recovered"
                )
            elif current.status is InvoiceStatus.FAILED:
                del self.watched[invoice_id]
                self.note(f"invoice #{current.number} failed: its account expired")
        for account_id, plan in list(self.pending.items()):
            account = self.portal.account(self.agency_id, account_id)
            if account.plan == plan:
                del self.pending[account_id]
                self.note(f"{account.name} is now on {_plan_words(plan)} (the downgrade applied)")

    def _whose(self, invoice: Invoice) -> str:
        if invoice.account_id is None:
            return "credits"
        return self.names.get(invoice.account_id, invoice.account_id)

    def pay_commissions(self, month: date) -> None:
        run = self.portal.pay_commissions(month)
        statement = run.of(self.agency_id)
        if statement is None:
            return
        if statement.payout is None:
            outcome = "not sent"
            why = "; ".join(statement.shortfalls) or "carried over"
            text = f"{_money(statement.due)} {_words(statement.status)}, not sent ({why})"
        else:
            found = self.portal.payouts.lookup(statement.payout.idempotency_key)
            outcome = "open" if found is None else str(found.outcome)
            text = (
                f"{_money(statement.due)} paid by PayPal to {statement.payout.paypal_email} "
                f"({outcome})"
            )
        # Tell the first month and every change; the table shows each month.
        if self.last_commission != (str(statement.status), outcome):
            self.note(f"commission of {month:%B %Y}: {text}")
        self.last_commission = (str(statement.status), outcome)


def _schedule(story: _Story, months: int, generated: Sequence[tuple[int, _Client]]) -> None:
    story.at(0, 0, story.open_agency)
    for client in _NAMED:
        story.at(0, 0, functools.partial(story.add, client))
    if generated:
        last = max(day for day, _ in generated)
        story.at(
            0,
            0,
            functools.partial(
                story.note,
                f"{len(generated):,} generated accounts (seed {story.seed}) join between day 0 "
                f"and day {last}, the paid ones on Main Visa",
            ),
        )
    for day, client in generated:
        story.at(0, day, functools.partial(story.add, client, story=False))
    for client in _REFERRED[:2]:
        story.at(0, 2, functools.partial(story.refer, client))
    story.at(5, 2, functools.partial(story.refer, _REFERRED[2]))
    story.at(0, 3, story.buy_units)
    story.at(0, 10, lambda: story.cancel("old-florist", "client closed the shop"))
    story.at(0, 14, story.upgrade)
    story.at(0, 20, story.downgrade)
    story.at(0, 21, story.convert_trial)
    story.at(1, 9, lambda: story.archive("old-florist"))
    story.at(1, 14, lambda: story.cancel("city-dental", "switching provider"))
    story.at(2, 9, lambda: story.renew("city-dental"))
    for month in range(1, months):
        story.at(month, 0, story.top_up)


def _commission_months(start: date, end: date) -> list[date]:
    first = start.replace(day=1)
    months = []
    while first < end:
        months.append(first)
        first += relativedelta(months=1)
    return months


def _check(months: int, accounts: int, portal: PartnerPortal) -> None:
    problems = []
    if not 1 <= months <= MAX_MONTHS:
        problems.append(
            FieldProblem("months", f"replay 1 to {MAX_MONTHS} months, not {quoted(months)}")
        )
    if not 0 <= accounts <= MAX_ACCOUNTS:
        problems.append(
            FieldProblem(
                "accounts", f"add 0 to {MAX_ACCOUNTS:,} generated accounts, not {quoted(accounts)}"
            )
        )
    with portal.storage.unit_of_work() as uow:
        if uow.agencies.page(limit=1):
            problems.append(
                FieldProblem("storage", "holds agencies already: replay into an empty database")
            )
    if problems:
        raise InvalidInput("demo", problems)


def run_demo(
    *,
    months: int = 12,
    accounts: int = 0,
    seed: int = 0,
    start: date = DEFAULT_START,
    storage: Storage | None = None,
    progress: Callable[[str], None] | None = None,
    billing_progress: Callable[[BillingProgress], None] | None = None,
) -> DemoResult:
    """Replay ``months`` months of ACME-DIGITAL and return what happened.

    Args:
        months: How many months to replay (1 to 120).
        accounts: How many generated accounts to add besides the story's (0 to 100,000).
        seed: The seed of the generated accounts and of the portal's random stream.
        start: The first replayed day.
        storage: Where the portal keeps its state (a fresh :class:`MemoryStorage` when
            None); the other adapters are the embedded portal's simulated ones.
        progress: Called with one line at the end of each replayed month.
        billing_progress: Handed to every billing run (``run_billing``'s ``progress``):
            called after each page a run bills.

    Returns:
        The overview, the invoices per month and their totals, the credit balances, the
        commission statements and the story's notable moments.

    Raises:
        InvalidInput: ``months`` or ``accounts`` out of range, or ``storage`` holds
            agencies already.

    Example:
        >>> result = run_demo(months=1)
        >>> result.totals.invoices > 0 and result.totals.unpaid == 0
        True
    """
    portal = PartnerPortal.embedded(start=start, seed=seed, storage=storage)
    _check(months, accounts, portal)
    end = start + relativedelta(months=months)
    clock = portal.clock
    if not isinstance(clock, ManualClock):  # pragma: no cover - embedded wires a manual one
        raise TypeError("the demo needs a manual clock")
    story = _Story(portal, start, end, seed)
    rng = random.Random(seed)
    days = (end - start).days
    generated = [_generated(rng, index + 1, days) for index in range(accounts)]
    _schedule(story, months, generated)

    day, month = start, 1
    while day < end:
        clock.set(datetime.combine(day, time(9), UTC))
        if day.day == 1 and day > start:
            story.pay_commissions(day - timedelta(days=1))
        for step in story.steps.get(day, ()):
            step()
        story.after_billing(portal.run_billing(until=day, progress=billing_progress))
        day += timedelta(days=1)
        if day == start + relativedelta(months=month) or day == end:
            if progress is not None:
                progress(
                    f"month {month}/{months} · {story.recurring:,} recurring invoices · "
                    f"{story.declined:,} declined"
                )
            month += 1
    return _result(story, months, seed, storage)


def _result(story: _Story, months: int, seed: int, storage: Storage | None) -> DemoResult:
    portal, agency_id, start, end = story.portal, story.agency_id, story.start, story.end
    invoices = portal.invoices(agency_id)
    month_starts = [start + relativedelta(months=m) for m in range(months)]
    per_month = tuple(
        MonthFigures.of(first, (i for i in invoices if first <= i.issued_on < following))
        for first, following in zip(month_starts, [*month_starts[1:], end], strict=True)
    )
    page = portal.accounts(
        agency_id,
        AccountQuery(
            sort=("name",),
            columns=(OverviewColumn.NAME, OverviewColumn.KIND, OverviewColumn.STATUS,
                     OverviewColumn.EXPIRES_ON),
            limit=OVERVIEW_PAGE,
        ),
    )  # fmt: skip
    overview = []
    for row in page.rows:
        account = portal.account(agency_id, row.account_id)
        expires = row.values[OverviewColumn.EXPIRES_ON]
        overview.append(
            OverviewLine(
                name=account.name,
                plan=_plan_words(account.plan),
                kind=str(row.values[OverviewColumn.KIND]),
                status=str(row.values[OverviewColumn.STATUS]),
                expires=expires if isinstance(expires, date) else None,
                action=row.primary_action,
            )
        )
    happened = list(story.happened)
    totals = MonthFigures.of(start, invoices)
    if story.top_ups:
        pool = portal.balances(agency_id, billing_profile_id=story.cards["main"])
        happened.append(
            Happening(
                end - timedelta(days=1),
                f"prepaid credit bought {_times(story.top_ups)} ({_money(_PREPAID_TOP_UP)} each); "
                f"invoices spent {_money(totals.paid_prepaid)} of prepaid credit in all; "
                f"Main Visa's pool holds {_money(pool.prepaid)}",
            )
        )
    if story.generated_trials_ended:
        happened.append(
            Happening(end - timedelta(days=1),
                      f"{story.generated_trials_ended:,} trials of generated accounts ended")
        )  # fmt: skip
    return DemoResult(
        agency_id=agency_id,
        start=start,
        end=end,
        seed=seed,
        storage="memory" if storage is None else _storage_name(storage),
        accounts=page.total,
        overview=tuple(overview),
        months=per_month,
        totals=totals,
        balances=_balances(story),
        commissions=_commissions(story),
        happened=tuple(happened),
        story_accounts=tuple((story.names[account_id], account_id) for account_id in story.told),
        portal=portal,
    )


def _storage_name(storage: Storage) -> str:
    dialect = getattr(storage, "dialect", None)
    return dialect if isinstance(dialect, str) else type(storage).__name__


def _balances(story: _Story) -> tuple[BalanceLine, ...]:
    portal, agency_id = story.portal, story.agency_id
    lines = []
    agency = portal.balances(agency_id)
    lines.append(
        BalanceLine("agency (unassigned)", agency.prepaid, agency.sms, agency.inbox_preview)
    )
    for profile in portal.billing_profiles(agency_id):
        pool = portal.balances(agency_id, billing_profile_id=profile.id)
        lines.append(
            BalanceLine(f"pool of {profile.label}", pool.prepaid, pool.sms, pool.inbox_preview)
        )
    for name in ("north-bakery", "peak-fitness", "lake-studio"):
        if name in story.ids:
            held = portal.balances(agency_id, account_id=story.ids[name])
            lines.append(BalanceLine(name, held.prepaid, held.sms, held.inbox_preview))
    return tuple(lines)


def _commissions(story: _Story) -> tuple[CommissionLine, ...]:
    portal, agency_id = story.portal, story.agency_id
    lines = []
    for month in _commission_months(story.start, story.end):
        statement = portal.commission_statement(agency_id, month)
        if statement.payout is not None and month + relativedelta(months=1) < story.end:
            found = portal.payouts.lookup(statement.payout.idempotency_key)
            payout = "open" if found is None else str(found.outcome)
        elif month + relativedelta(months=1) >= story.end:
            payout = "open"
        else:
            payout = "-"
        lines.append(
            CommissionLine(
                month=month,
                referred_revenue=statement.referred_revenue,
                rate=statement.rate,
                earned=statement.earned,
                due=statement.due,
                status=str(statement.status),
                payout=payout,
            )
        )
    return tuple(lines)


# -- rendering -----------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> list[str]:
    body = [list(r) for r in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in body)]


def _day(day: date | None) -> str:
    return "-" if day is None else day.isoformat()


def _figures(label: str, f: MonthFigures) -> list[str]:
    return [
        label,
        f"{f.invoices:,}",
        _money(f.billed),
        _money(f.paid_card),
        _money(f.paid_prepaid),
        f"{f.unpaid:,}",
    ]


def render(result: DemoResult) -> str:
    """Render a replay as plain-text tables with aligned columns (money with babel).

    Args:
        result: What :func:`run_demo` returned.

    Returns:
        The text, lines joined by newlines (ending with one).
    """
    last = result.end - timedelta(days=1)
    out = [
        f"resell_core demo · {AGENCY_NAME} · {result.start} to {last} "
        f"({_count(len(result.months), 'month')}, {_count(result.accounts, 'account')}, "
        f"seed {result.seed}, "
        f"{result.storage} storage)",
        "Sample prices (USD), not the vendor's price list.",
        "",
        f"Accounts overview (first page: {len(result.overview)} of {result.accounts:,}, by name)",
    ]
    out += _table(
        ["name", "plan", "kind", "status", "expires", "action"],
        ([o.name, o.plan, o.kind, o.status, _day(o.expires), o.action] for o in result.overview),
        set(),
    )
    out += ["", "Invoices per month"]
    headers = ["month from", "invoices", "billed", "paid by card", "paid by prepaid", "unpaid"]
    rows = [_figures(str(m.start), m) for m in result.months]
    out += _table(headers, [*rows, _figures("total", result.totals)], {1, 2, 3, 4, 5})
    t = result.totals
    out += [
        "",
        f"Totals: {t.invoices:,} invoices, {_money(t.billed)} billed, "
        f"{_money(t.paid_card)} paid by card, {_money(t.paid_prepaid)} paid by prepaid "
        f"credit, {t.unpaid:,} unpaid",
        "",
        "Credit balances",
    ]
    out += _table(
        ["wallet", "prepaid", "sms", "inbox previews"],
        (
            [b.wallet, _money(b.prepaid), f"{b.sms:,}", f"{b.inbox_preview:,}"]
            for b in result.balances
        ),
        {1, 2, 3},
    )
    out += ["", "Commission statement (referred clients, paid monthly by PayPal)"]
    out += _table(
        ["month", "referred revenue", "rate", "earned", "due", "status", "payout"],
        (
            [f"{c.month:%Y-%m}", _money(c.referred_revenue), f"{c.rate * 100:.0f} %",
             _money(c.earned), _money(c.due), _words(c.status), c.payout]
            for c in result.commissions
        ),
        {1, 2, 3, 4},
    )  # fmt: skip
    out += ["", "What happened"]
    out += [f"  {h.on}  {h.text}" for h in result.happened]
    return "\n".join(out) + "\n"
