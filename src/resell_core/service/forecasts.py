"""Upcoming invoices and forecasts of an agency (P2, F1): read, projected, nothing written.

Both read the agency, its accounts and today's prepaid balances in one unit of work that
writes nothing, and hand them to the pure projection (``billing.forecast``), which replays
the billing run's own steps on copies. No invoice, ledger movement, audit entry or card
charge comes of them, on any adapter.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from resell_core.billing import forecast as projecting
from resell_core.billing.credits import unit_kinds
from resell_core.billing.forecast import Forecast, Projection, Upcoming, months_from
from resell_core.billing.ledger import CreditKind, Movement, account_wallet, profile_wallet
from resell_core.billing.usage_forecast import (
    MAX_USAGE_DAYS,
    USAGE_DAYS,
    UnitCreditForecast,
    unit_credit_forecast,
)
from resell_core.errors import InvalidInput, quoted
from resell_core.money import Money
from resell_core.ports import UnitOfWork
from resell_core.service.context import Context, read
from resell_core.service.profiles import accounts_of

__all__ = ["MAX_FORECAST_MONTHS", "forecast", "upcoming"]

MAX_FORECAST_MONTHS = 120
"""The longest forecast, in months (M1): ten years."""

_DAY = timedelta(days=1)


def _projection(ctx: Context, agency_id: str, start: date, end: date) -> tuple[str, Projection]:
    """Read the agency's accounts and balances today and project the runs from ``start``
    to ``end`` (exclusive); return the agency's currency and the projection."""

    def query(uow: UnitOfWork) -> tuple[str, Projection]:
        agency = uow.agencies.get(agency_id)
        currency = agency.currency
        accounts = accounts_of(uow, agency_id)
        profiles = [p.id for p in uow.profiles.list(agency_id)]
        wallets = [account_wallet(a.id) for a in accounts]
        wallets += [profile_wallet(p) for p in profiles]
        held = uow.ledger.balances(agency_id, wallets, CreditKind.PREPAID) if wallets else {}
        projection = projecting.project(
            accounts,
            catalog=ctx.catalog,
            policy=ctx.policies.lifecycle,
            reseller_rate=agency.reseller_rate,
            currency=currency,
            earmarked={a.id: Money(held[account_wallet(a.id)], currency) for a in accounts},
            pools={p: Money(held[profile_wallet(p)], currency) for p in profiles},
            start=start,
            end=end,
        )
        return currency, projection

    return read(ctx, query)


def upcoming(ctx: Context, agency_id: str, until: date) -> Upcoming:
    """Return what billing runs from today up to ``until`` would issue (P2): per account
    and day, each invoice's lines and its payment split over the account's earmarked
    credit, the profile's pool and the card, from today's balances and scheduled changes.

    Nothing is stored or charged. It assumes a run every day (a period is billed on its
    first day, one already due today) and that every card charge succeeds.

    Args:
        ctx: The wiring.
        agency_id: The agency.
        until: The last day, inclusive: today or later, at most ten years ahead.

    Raises:
        NotFound: No such agency.
        InvalidInput: ``until`` is not a date, is before today or too far ahead.
    """
    today = ctx.today()
    if isinstance(until, datetime) or not isinstance(until, date):
        raise InvalidInput.one("upcoming", "until", f"{quoted(until)} is not a date: give a date")
    latest = months_from(today, MAX_FORECAST_MONTHS)[-1].end
    if not today <= until < latest:
        raise InvalidInput.one(
            "upcoming",
            "until",
            f"{until.isoformat()} is outside today ({today.isoformat()}) to "
            f"{(latest - _DAY).isoformat()}: give a day in that range",
        )
    currency, projection = _projection(ctx, agency_id, today, until + _DAY)
    return projecting.upcoming(
        projection, agency_id=agency_id, currency=currency, start=today, until=until
    )


def _unit_credits(ctx: Context, agency_id: str, today: date, days: int) -> UnitCreditForecast:
    """Read every account's unit-credit balances and the agency's recorded uses of them,
    and say when each runs out at its recent pace (C7)."""

    def query(uow: UnitOfWork) -> UnitCreditForecast:
        uow.agencies.get(agency_id)
        ids = [a.id for a in accounts_of(uow, agency_id)]
        wallets = [account_wallet(a) for a in ids]
        balances: dict[tuple[str, CreditKind], Decimal] = {}
        uses: list[Movement] = []
        for kind in unit_kinds() if ids else ():
            held = uow.ledger.balances(agency_id, wallets, kind)
            balances.update(((a, kind), held[account_wallet(a)]) for a in ids)
            uses += uow.ledger.movements(agency_id, None, kind)
        return unit_credit_forecast(balances, uses, today=today, days=days)

    return read(ctx, query)


def forecast(
    ctx: Context, agency_id: str, months: int = 12, usage_days: int = USAGE_DAYS
) -> Forecast:
    """Forecast the agency's invoices and card charges month by month from today (F1).

    Every account's invoices follow from its anchor, frequency, scheduled change,
    cancellation and reseller discount; earmarked credit, then each profile's pool, then
    the card pay them in the payment order. Month *k* starts ``k`` months after today.
    The billing runs over the same months give the same figures to the cent when they run
    every day and every charge succeeds.

    It also says, per account and unit kind (SMS, inbox previews), when the credits run
    out at the rate the account has been using them (C7): its average daily use over the
    last ``usage_days`` days, today included, from the uses recorded in the ledger
    (:attr:`Forecast.unit_credits <resell_core.billing.forecast.Forecast.unit_credits>`).

    Args:
        ctx: The wiring.
        agency_id: The agency.
        months: How many months, 1 to 120.
        usage_days: How many days of recorded uses give each daily rate, 1 to 366.

    Raises:
        NotFound: No such agency.
        InvalidInput: ``months`` is not a whole number from 1 to 120, or ``usage_days``
            not one from 1 to 366.
    """
    if isinstance(months, bool) or not isinstance(months, int):
        raise InvalidInput.one("forecast", "months", f"{quoted(months)} is not a whole number")
    if not 1 <= months <= MAX_FORECAST_MONTHS:
        raise InvalidInput.one(
            "forecast",
            "months",
            f"forecast 1 to {MAX_FORECAST_MONTHS} months, not {quoted(months)}",
        )
    if isinstance(usage_days, bool) or not isinstance(usage_days, int):
        raise InvalidInput.one(
            "forecast", "usage_days", f"{quoted(usage_days)} is not a whole number"
        )
    if not 1 <= usage_days <= MAX_USAGE_DAYS:
        raise InvalidInput.one(
            "forecast", "usage_days", f"take the rate over 1 to {MAX_USAGE_DAYS} days"
        )
    today = ctx.today()
    periods = months_from(today, months)
    currency, projection = _projection(ctx, agency_id, today, periods[-1].end)
    units = _unit_credits(ctx, agency_id, today, usage_days)
    return projecting.forecast(
        projection, agency_id=agency_id, currency=currency, months=periods, unit_credits=units
    )
