"""When an account's unit credits run out at the rate it has been using them (C7, F1).

The rate is the account's average daily use of a kind over the last ``days`` days, today
included: every use the hosted product reported (a movement from the account's wallet to
``spent``) dated in ``[today - (days - 1), today]``, summed, divided by ``days``. The
balance is what the account holds today, after today's uses. At that rate the balance
reaches zero ``ceil(balance / rate)`` days after today; an account that used nothing of
the kind in those days has no day (None). Exact: the rate is a ``Fraction``, no float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil

import attrs

from resell_core.billing.credits import unit_kinds
from resell_core.billing.ledger import SPENT, CreditKind, Movement, account_wallet
from resell_core.errors import InvalidInput

__all__ = [
    "MAX_USAGE_DAYS",
    "USAGE_DAYS",
    "UnitCreditForecast",
    "UnitCreditRunway",
    "unit_credit_forecast",
]

USAGE_DAYS = 30
"""How many days of recorded uses give the daily rate, by default (today included)."""

MAX_USAGE_DAYS = 366
"""The most days of recorded uses a rate may be taken over."""


@attrs.frozen
class UnitCreditRunway:
    """One account's credits of one unit kind: what it holds, how fast it uses them, and
    the day they run out at that pace.

    Attributes:
        account_id: The account.
        kind: ``sms`` or ``inbox_preview``.
        balance: What the account holds today (after today's uses).
        used: What it used over the rate's days.
        days: How many days the rate is taken over (today included).
        daily_rate: ``used / days``, exact.
        runs_out_on: The day the balance reaches zero at that rate (today when it holds
            nothing and still uses); None when it used nothing over the days.
    """

    account_id: str
    kind: CreditKind
    balance: Decimal
    used: Decimal
    days: int
    daily_rate: Fraction
    runs_out_on: date | None

    @property
    def days_left(self) -> int | None:
        """Whole days from today until the balance reaches zero (None when it lasts)."""
        if not self.daily_rate:
            return None
        return max(0, ceil(Fraction(self.balance) / self.daily_rate))

    def to_record(self) -> dict[str, object]:
        """Return the figures as a plain dict (the rate as an exact ``Fraction``)."""
        return {
            "account_id": self.account_id,
            "kind": self.kind.value,
            "balance": self.balance,
            "used": self.used,
            "days": self.days,
            "daily_rate": self.daily_rate,
            "days_left": self.days_left,
            "runs_out_on": self.runs_out_on,
        }


@attrs.frozen
class UnitCreditForecast:
    """When every account's unit credits run out at their recent pace (C7, F1).

    Attributes:
        start: Today: the last day of the rate's days, and the day counted from.
        days: How many days of recorded uses give each rate.
        runways: One per account and unit kind that holds credits or used some over the
            days, by account id then kind.
    """

    start: date
    days: int
    runways: tuple[UnitCreditRunway, ...] = ()

    @property
    def since(self) -> date:
        """The first day whose uses count."""
        return self.start - timedelta(days=self.days - 1)

    def of(self, account_id: str, kind: CreditKind | str) -> UnitCreditRunway | None:
        """Return the account's runway of ``kind`` (None when it neither holds nor used any)."""
        wanted = CreditKind(kind)
        return next(
            (r for r in self.runways if r.account_id == account_id and r.kind is wanted), None
        )

    def runs_out_on(self, account_id: str, kind: CreditKind | str) -> date | None:
        """Return the day the account's credits of ``kind`` run out (None when they last)."""
        found = self.of(account_id, kind)
        return None if found is None else found.runs_out_on

    def to_records(self) -> list[dict[str, object]]:
        """Return one plain dict per account and kind."""
        return [r.to_record() for r in self.runways]


def unit_credit_forecast(
    balances: Mapping[tuple[str, CreditKind], Decimal],
    uses: Iterable[Movement],
    *,
    today: date,
    days: int = USAGE_DAYS,
) -> UnitCreditForecast:
    """Say, per account and unit kind, when its credits run out at its recent pace (C7, F1).

    Args:
        balances: What each account holds today, by (account id, kind); the accounts
            forecast (a missing pair holds nothing).
        uses: Recorded ledger movements (any: only uses of a unit kind, from a wallet of
            an account in ``balances`` to ``spent``, dated in the rate's days, count).
        today: The day counted from (the service passes its clock's today).
        days: How many days, today included, the daily rate is taken over (1 to 366).

    Returns:
        A runway for every account and kind that holds credits or used some in the days.

    Example:
        >>> from resell_core.billing.ledger import SPENT
        >>> use = Movement("u1", "ag", CreditKind.SMS, Decimal(30), "account:a1", SPENT,
        ...                date(2024, 3, 15), "30 SMS credits used")
        >>> runway = unit_credit_forecast({("a1", CreditKind.SMS): Decimal(70)}, [use],
        ...                               today=date(2024, 3, 31)).runways[0]
        >>> runway.daily_rate, runway.runs_out_on
        (Fraction(1, 1), datetime.date(2024, 6, 9))
    """
    if type(days) is not int or not 1 <= days <= MAX_USAGE_DAYS:
        raise InvalidInput.one(
            "forecast", "usage_days", f"take the rate over 1 to {MAX_USAGE_DAYS} days"
        )
    since = today - timedelta(days=days - 1)
    kinds = unit_kinds()
    owners = {account_wallet(a): a for a, kind in balances if kind in kinds}
    used: dict[tuple[str, CreditKind], Decimal] = {}
    for movement in uses:
        owner = owners.get(movement.source)
        if (
            owner is None
            or movement.destination != SPENT
            or movement.kind not in kinds
            or not since <= movement.on <= today
        ):
            continue
        key = (owner, movement.kind)
        used[key] = used.get(key, Decimal(0)) + movement.quantity
    runways = []
    for account_id, kind in sorted(
        {k for k in balances if k[1] in kinds}, key=lambda k: (k[0], kinds.index(k[1]))
    ):
        held = balances[account_id, kind]
        spent = used.get((account_id, kind), Decimal(0))
        if held <= 0 and not spent:
            continue
        rate = Fraction(spent) / days
        runway = UnitCreditRunway(account_id, kind, held, spent, days, rate, None)
        left = runway.days_left
        if left is not None:
            runway = attrs.evolve(runway, runs_out_on=today + timedelta(days=left))
        runways.append(runway)
    return UnitCreditForecast(today, days, tuple(runways))
