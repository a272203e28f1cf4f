"""What billing runs will issue, before they run: upcoming invoices and forecasts (P2, F1).

A projection replays the billing run's own steps on copies of the accounts, with nothing
stored and nothing charged: the due periods of each account from its anchor and
frequency (:func:`~resell_core.billing.due.due_periods`, a cancelled account only up to
its cancellation), a scheduled change taking effect at the term boundary it waits for,
each period priced with the reseller discount (:func:`~resell_core.billing.run.price_due`)
and invoiced (:func:`~resell_core.billing.run.bill_period`), then paid in the payment
order (:func:`~resell_core.billing.payment.plan_payment`, ``Money.take_from``): the
account's earmarked credit, the billing profile's pool, the card.

It assumes what a daily run does: each day's due periods are billed that day, the day's
accounts by id, each account's periods oldest first (periods already due are billed on
the first day of the projection); every card charge succeeds. Invoices already issued
(open or in flight) and credit bought later are not part of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

import attrs

from resell_core.billing.due import due_periods, is_billable
from resell_core.billing.invoices import InvoiceLine
from resell_core.billing.ledger import account_wallet, profile_wallet
from resell_core.billing.payment import plan_payment
from resell_core.billing.run import bill_period, price_due
from resell_core.billing.usage_forecast import USAGE_DAYS, UnitCreditForecast
from resell_core.errors import ResellError
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.actions import ApplyPendingChange
from resell_core.lifecycle.moves import apply
from resell_core.lifecycle.policy import LifecyclePolicy
from resell_core.money import Money
from resell_core.periods import Period, add_months
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "Forecast",
    "ForecastMonth",
    "ForecastProblem",
    "ProfileMonth",
    "ProjectedInvoice",
    "Projection",
    "Upcoming",
    "WalletForecast",
    "forecast",
    "months_from",
    "project",
    "upcoming",
]

_DAY = timedelta(days=1)


@attrs.frozen
class ProjectedInvoice:
    """One invoice a billing run will issue, and how it will be paid.

    Attributes:
        account_id: The account billed.
        account_name: Its name (site address).
        profile_id: The billing profile that pays (None when the account has none).
        issued_on: The day the run issues it (the period's first day, or the first day
            of the projection for a period already due).
        period: The period billed.
        plan: The plan in force for the period (a scheduled change included).
        lines: The invoice's lines: the list value, then each discount.
        total: What the invoice comes to.
        earmarked: The part the account's earmarked prepaid credit pays (C3).
        pool: The part the billing profile's prepaid pool pays (C2).
        card: The part charged to the card.
    """

    account_id: str
    account_name: str
    profile_id: str | None
    issued_on: date
    period: Period
    plan: PlanSelection
    lines: tuple[InvoiceLine, ...]
    total: Money
    earmarked: Money
    pool: Money
    card: Money

    def to_record(self) -> dict[str, object]:
        """Return the invoice as a plain dict (dates, ``Decimal`` amounts, the currency)."""
        return {
            "issued_on": self.issued_on,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "profile_id": self.profile_id,
            "period_start": self.period.start,
            "period_end": self.period.end,
            "plan": f"{self.plan.product} {self.plan.tier} ({self.plan.frequency})",
            **_money_columns(
                total=self.total, earmarked=self.earmarked, pool=self.pool, card=self.card
            ),
        }


def _money_columns(total: Money, **amounts: Money) -> dict[str, object]:
    """Return a record's money columns: the currency, then each amount rounded to cents."""
    columns: dict[str, object] = {"currency": total.currency, "total": total.rounded().amount}
    columns.update((name, money.rounded().amount) for name, money in amounts.items())
    return columns


@attrs.frozen
class ForecastProblem:
    """Why an account could not be projected further (the run would report it the same).

    Attributes:
        account_id: The account.
        code: The error's stable code.
        message: What was wrong and what to do.
    """

    account_id: str
    code: str
    message: str


@attrs.frozen
class WalletForecast:
    """A prepaid wallet over the projection: what it holds, and the day it runs out.

    Attributes:
        wallet: ``account:<id>`` (earmarked credit) or ``profile:<id>`` (a pool).
        starts_with: What it holds at the start.
        ends_with: What it holds at the end.
        runs_out_on: The day an invoice takes its last cent; None when it lasts.
    """

    wallet: str
    starts_with: Money
    ends_with: Money
    runs_out_on: date | None

    def to_record(self) -> dict[str, object]:
        """Return the wallet's figures as a plain dict."""
        return {
            "wallet": self.wallet,
            "currency": self.starts_with.currency,
            "starts_with": self.starts_with.rounded().amount,
            "ends_with": self.ends_with.rounded().amount,
            "runs_out_on": self.runs_out_on,
        }


@attrs.frozen
class Upcoming:
    """What billing runs from ``start`` to ``until`` (inclusive) will issue (P2).

    Attributes:
        agency_id: The agency.
        currency: Its currency.
        start: The first day (today).
        until: The last day, inclusive.
        invoices: The invoices, by day then account.
        problems: Accounts that cannot be billed, and why.
    """

    agency_id: str
    currency: str
    start: date
    until: date
    invoices: tuple[ProjectedInvoice, ...]
    problems: tuple[ForecastProblem, ...] = ()

    @property
    def total(self) -> Money:
        """What the invoices come to."""
        return Money.total((i.total for i in self.invoices), self.currency)

    @property
    def card(self) -> Money:
        """What cards are charged."""
        return Money.total((i.card for i in self.invoices), self.currency)

    @property
    def prepaid(self) -> Money:
        """What prepaid credit pays (earmarked and pools)."""
        return Money.total((i.earmarked + i.pool for i in self.invoices), self.currency)

    def to_records(self) -> list[dict[str, object]]:
        """Return one plain dict per invoice, by day then account."""
        return [i.to_record() for i in self.invoices]


@attrs.frozen
class ProfileMonth:
    """One billing profile's month of a forecast: its invoices and its card's charge.

    Attributes:
        month: The forecast month (half-open).
        profile_id: The billing profile (None for accounts without one).
        invoices: How many invoices of its accounts are issued.
        total: What they come to.
        earmarked: What the accounts' earmarked credit pays.
        pool: What the profile's pool pays.
        card: What the profile's card is charged.
        pool_left: What the pool holds at the end of the month.
    """

    month: Period
    profile_id: str | None
    invoices: int
    total: Money
    earmarked: Money
    pool: Money
    card: Money
    pool_left: Money

    def to_record(self) -> dict[str, object]:
        """Return the month of the profile as a plain dict."""
        return {
            "month_start": self.month.start,
            "month_end": self.month.end,
            "profile_id": self.profile_id,
            "invoices": self.invoices,
            **_money_columns(
                total=self.total,
                earmarked=self.earmarked,
                pool=self.pool,
                card=self.card,
                pool_left=self.pool_left,
            ),
        }


@attrs.frozen
class ForecastMonth:
    """One month of a forecast, all profiles together.

    Attributes:
        month: The month (half-open, from the forecast's start day).
        invoices: How many invoices are issued.
        total: What they come to.
        earmarked: What earmarked credit pays.
        pool: What the pools pay.
        card: What the cards are charged.
        credit_left: The prepaid credit left at the end of the month (every wallet).
        profiles: The month of each billing profile with invoices, by profile id.
    """

    month: Period
    invoices: int
    total: Money
    earmarked: Money
    pool: Money
    card: Money
    credit_left: Money
    profiles: tuple[ProfileMonth, ...]

    def card_of(self, profile_id: str) -> Money:
        """Return what the profile's card is charged in the month (zero when nothing)."""
        found = (p.card for p in self.profiles if p.profile_id == profile_id)
        return Money.total(found, self.total.currency)

    def to_record(self) -> dict[str, object]:
        """Return the month's figures as a plain dict."""
        return {
            "month_start": self.month.start,
            "month_end": self.month.end,
            "invoices": self.invoices,
            **_money_columns(
                total=self.total,
                earmarked=self.earmarked,
                pool=self.pool,
                card=self.card,
                credit_left=self.credit_left,
            ),
        }


@attrs.frozen
class Forecast:
    """An agency's invoices and card charges month by month (F1).

    Attributes:
        agency_id: The agency.
        currency: Its currency.
        start: The first day (today).
        months: Each month, from ``start`` (month *k* starts ``k`` months after it).
        invoices: Every projected invoice, by day then account.
        wallets: Every prepaid wallet that held credit at the start, or that the
            projection drew on, by name.
        problems: Accounts that cannot be billed, and why.
        unit_credits: When each account's SMS and inbox-preview credits run out at the
            rate it has been using them (C7).
    """

    agency_id: str
    currency: str
    start: date
    months: tuple[ForecastMonth, ...]
    invoices: tuple[ProjectedInvoice, ...]
    wallets: tuple[WalletForecast, ...]
    problems: tuple[ForecastProblem, ...] = ()
    unit_credits: UnitCreditForecast = attrs.field(
        default=attrs.Factory(
            lambda self: UnitCreditForecast(self.start, USAGE_DAYS), takes_self=True
        )
    )

    @property
    def end(self) -> date:
        """The day after the last month (exclusive)."""
        return self.months[-1].month.end if self.months else self.start

    @property
    def total(self) -> Money:
        """What every projected invoice comes to."""
        return Money.total((m.total for m in self.months), self.currency)

    @property
    def card(self) -> Money:
        """What the cards are charged over the forecast."""
        return Money.total((m.card for m in self.months), self.currency)

    @property
    def credit_runs_out_on(self) -> date | None:
        """The first day an invoice is charged to a card: prepaid credit no longer covers
        it (None when credit covers every invoice of the forecast)."""
        return next((i.issued_on for i in self.invoices if i.card.is_positive()), None)

    def card_of(self, profile_id: str) -> tuple[Money, ...]:
        """Return what the profile's card is charged, month by month."""
        return tuple(m.card_of(profile_id) for m in self.months)

    def to_records(self) -> list[dict[str, object]]:
        """Return one plain dict per month and billing profile (the cards' statement)."""
        return [p.to_record() for m in self.months for p in m.profiles]


Bill = tuple[Period, PlanSelection, tuple[InvoiceLine, ...]]
"""One period the runs bill: the period, the plan in force and the invoice's lines."""


def _account_bills(
    account: Account,
    *,
    end: date,
    catalog: Catalog,
    policy: LifecyclePolicy,
    reseller_rate: Decimal,
) -> tuple[list[Bill], ResellError | None]:
    """The periods the runs bill for one account before ``end``, with their lines: the
    billing run's own steps (``bill_account`` of the run's pages), on copies of the
    account; an error stops the account there, as the run reports it."""
    bills: list[Bill] = []
    last = end - _DAY
    current = account
    try:
        while True:
            due = due_periods(current, last)
            pending = current.pending_change
            if due and pending is not None and due[0].period.start >= pending.effective_on:
                moved = apply(current, ApplyPendingChange(), on=due[0].period.start, policy=policy)
                current = moved.account
                due = due_periods(current, last)
            if not due:
                return bills, None
            period = due[0]
            figures = price_due(catalog, period, reseller_rate=reseller_rate)
            billed = bill_period(
                current,
                period,
                figures,
                invoice_id="projected",
                number=1,
                issued_on=period.period.start,
            )
            bills.append((period.period, period.plan, billed.invoice.lines))
            current = billed.account
    except ResellError as error:
        return bills, error


@attrs.frozen
class Projection:
    """What the runs between two days issue and how it is paid (the ground of
    :class:`Upcoming` and :class:`Forecast`).

    Attributes:
        invoices: The invoices, by day then account.
        wallets: Every wallet that held credit at the start or was drawn on, by name.
        problems: Accounts that cannot be billed, and why.
    """

    invoices: tuple[ProjectedInvoice, ...]
    wallets: tuple[WalletForecast, ...]
    problems: tuple[ForecastProblem, ...]


def project(
    accounts: Iterable[Account],
    *,
    catalog: Catalog,
    policy: LifecyclePolicy,
    reseller_rate: Decimal,
    currency: str,
    earmarked: Mapping[str, Money],
    pools: Mapping[str, Money],
    start: date,
    end: date,
) -> Projection:
    """Project what daily billing runs from ``start`` to ``end`` (exclusive) issue (P2, F1).

    Args:
        accounts: The agency's accounts as stored today (those not billable are skipped).
        catalog: The price book.
        policy: The lifecycle policy (for a scheduled change taking effect).
        reseller_rate: The agency's reseller discount rate.
        currency: The agency's currency.
        earmarked: Each account's earmarked prepaid credit today, by account id.
        pools: Each billing profile's prepaid pool today, by profile id.
        start: The first day (today: periods already due are billed on it).
        end: The day after the last.

    Returns:
        The invoices with their payment split, the wallets, and the accounts that could
        not be projected.
    """
    zero = Money.zero(currency)
    issued: list[tuple[date, str, int, Account, Bill]] = []
    problems: list[ForecastProblem] = []
    for account in sorted((a for a in accounts if is_billable(a)), key=lambda a: a.id):
        bills, error = _account_bills(
            account, end=end, catalog=catalog, policy=policy, reseller_rate=reseller_rate
        )
        issued.extend(
            (max(bill[0].start, start), account.id, n, account, bill)
            for n, bill in enumerate(bills)
        )
        if error is not None:
            problems.append(ForecastProblem(account.id, error.code, error.message))
    issued.sort(key=lambda item: item[:3])
    held = {account_wallet(k): v for k, v in earmarked.items()}
    held.update((profile_wallet(k), v) for k, v in pools.items())
    starts = dict(held)
    runs_out: dict[str, date] = {}
    invoices: list[ProjectedInvoice] = []
    for day, account_id, _, account, (period, plan, lines) in issued:
        total = Money.total((line.amount for line in lines), currency)
        own = account_wallet(account_id)
        profile_id = account.billing_profile_id
        pool = profile_wallet(profile_id) if profile_id is not None else None
        split = plan_payment(
            total, held.get(own, zero), held.get(pool, zero) if pool is not None else zero
        )
        for wallet, part in ((own, split.earmarked), (pool, split.pool)):
            if wallet is None or not part.is_positive():
                continue
            held[wallet] = held[wallet] - part
            if not held[wallet].is_positive():
                runs_out.setdefault(wallet, day)
        invoices.append(
            ProjectedInvoice(
                account_id, account.name, profile_id, day, period, plan, lines, total,
                split.earmarked, split.pool, split.card,
            )
        )  # fmt: skip
    wallets = tuple(
        WalletForecast(name, starts.get(name, zero), held[name], runs_out.get(name))
        for name in sorted(held)
        if starts.get(name, zero).is_positive() or name in runs_out
    )
    return Projection(tuple(invoices), wallets, tuple(problems))


def upcoming(
    projection: Projection, *, agency_id: str, currency: str, start: date, until: date
) -> Upcoming:
    """Return what the runs from ``start`` to ``until`` (inclusive) issue (P2), from the
    :func:`project` of those days."""
    return Upcoming(agency_id, currency, start, until, projection.invoices, projection.problems)


def months_from(start: date, months: int) -> tuple[Period, ...]:
    """Return ``months`` consecutive months from ``start``: month *k* is
    ``[start + k months, start + k + 1 months)``, each computed from ``start`` (a 31st
    start gives a month ending on Feb 29, then one on Mar 31).

    Example:
        >>> [str(m) for m in months_from(date(2024, 1, 31), 2)]
        ['[2024-01-31, 2024-02-29)', '[2024-02-29, 2024-03-31)']
    """
    return tuple(Period(add_months(start, k), add_months(start, k + 1)) for k in range(months))


def forecast(
    projection: Projection,
    *,
    agency_id: str,
    currency: str,
    months: tuple[Period, ...],
    unit_credits: UnitCreditForecast | None = None,
) -> Forecast:
    """Group a :func:`project` of ``months`` month by month and profile by profile (F1).

    Args:
        projection: The projection from the first month's start to the last one's end.
        agency_id: The agency.
        currency: Its currency.
        months: The months (:func:`months_from`).
        unit_credits: When the accounts' unit credits run out
            (:func:`~resell_core.billing.usage_forecast.unit_credit_forecast`); none
            listed when not given.

    Returns:
        The forecast: per month and per billing profile, what is invoiced, what prepaid
        credit pays and what each card is charged; when each wallet runs out, and each
        account's unit credits.
    """
    zero = Money.zero(currency)
    profiles = sorted(
        {i.profile_id for i in projection.invoices},
        key=lambda p: (p is not None, p or ""),
    )
    credit = Money.total((w.starts_with.max(zero) for w in projection.wallets), currency)
    pools = {
        w.wallet: w.starts_with.max(zero)
        for w in projection.wallets
        if w.wallet.startswith("profile:")
    }
    rows: list[ForecastMonth] = []
    for month in months:
        inside = [i for i in projection.invoices if i.issued_on in month]
        profile_months = []
        for profile_id in profiles:
            mine = [i for i in inside if i.profile_id == profile_id]
            pool = Money.total((i.pool for i in mine), currency)
            name = profile_wallet(profile_id) if profile_id is not None else ""
            pools[name] = pools.get(name, zero) - pool
            profile_months.append(
                ProfileMonth(
                    month, profile_id, len(mine),
                    Money.total((i.total for i in mine), currency),
                    Money.total((i.earmarked for i in mine), currency),
                    pool, Money.total((i.card for i in mine), currency), pools[name],
                )
            )  # fmt: skip
        earmarked = Money.total((p.earmarked for p in profile_months), currency)
        pool = Money.total((p.pool for p in profile_months), currency)
        credit -= earmarked + pool
        rows.append(
            ForecastMonth(
                month, len(inside), Money.total((p.total for p in profile_months), currency),
                earmarked, pool, Money.total((p.card for p in profile_months), currency),
                credit, tuple(profile_months),
            )
        )  # fmt: skip
    start = months[0].start if months else date.min
    units = unit_credits if unit_credits is not None else UnitCreditForecast(start, USAGE_DAYS)
    return Forecast(
        agency_id, currency, start, tuple(rows), projection.invoices, projection.wallets,
        projection.problems, units,
    )  # fmt: skip
