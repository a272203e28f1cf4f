"""Commissions on referred accounts, paid monthly by PayPal (rules K1-K4).

A commission account is referred by the agency's referral code (K1); the vendor bills
its client directly, never the agency (K3), and the client gets its own notices (K4).
Each month :func:`monthly_statement` adds up the referred revenue, applies the tier
rate of the :class:`CommissionProgram`, adds what was carried over, and either pays it
out through the payout port to the PayPal email of the commission settings (K2),
carries it over (below a threshold), or holds it and tells the agency (no PayPal email).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import attrs
from dateutil.relativedelta import relativedelta

from resell_core.billing.gateway import PayoutOutcome, PayoutRequest, PayoutResult
from resell_core.billing.notices import Notice, NoticeKind, agency_notice
from resell_core.errors import FieldProblem, InvalidInput, quoted
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.money import Money
from resell_core.periods import Period

__all__ = [
    "CommissionProgram",
    "CommissionStatement",
    "CommissionTier",
    "Referral",
    "StatementStatus",
    "carried_after_payout",
    "check_commission_month",
    "monthly_statement",
    "refer",
]


@attrs.frozen
class CommissionTier:
    """From ``from_revenue`` of referred monthly revenue on, ``rate`` is paid."""

    from_revenue: Money
    rate: Decimal


@attrs.frozen
class CommissionProgram:
    """The affiliate program's terms (a policy, not a constant).

    Attributes:
        tiers: Rates by referred monthly revenue, lowest threshold first.
        min_active_referrals: Active referred accounts needed before paying out.
        min_payout: The least amount due that is paid out.
        referral_window_months: A new referral must have come within this many months.
        first_month: The first month the program pays commission for; statements and
            payouts of earlier months are refused.
    """

    tiers: tuple[CommissionTier, ...]
    min_active_referrals: int = 2
    min_payout: Money = attrs.field(factory=lambda: Money("100", "USD"))
    referral_window_months: int = 6
    first_month: date = date(2000, 1, 1)

    @classmethod
    def sample(cls) -> CommissionProgram:
        """The vendor's sample program: 20 % below $1,000, 25 % to $5,000, then 30 %."""
        return cls(
            tiers=(
                CommissionTier(Money("0", "USD"), Decimal("0.20")),
                CommissionTier(Money("1000", "USD"), Decimal("0.25")),
                CommissionTier(Money("5000", "USD"), Decimal("0.30")),
            )
        )

    def rate_for(self, revenue: Money) -> Decimal:
        """Return the rate paid on ``revenue`` (the highest tier it reaches).

        Example:
            >>> CommissionProgram.sample().rate_for(Money("1200", "USD"))
            Decimal('0.25')
        """
        rate = Decimal(0)
        for tier in self.tiers:
            if revenue >= tier.from_revenue:
                rate = tier.rate
        return rate


def check_commission_month(
    day: date, today: date, program: CommissionProgram, *, ahead: int = 0
) -> None:
    """Refuse a month the program has no commission for (E1).

    The program's months run from its first month to the current one (whose commission
    so far may be paid, K2); a statement may also look ``ahead`` (the next month's, which
    starts from what this one carries over).

    Args:
        day: A day of the month asked for.
        today: Today, in the billing time zone.
        program: The program's terms (its first month).
        ahead: How many months after the current one are allowed (0 for a payout).

    Raises:
        InvalidInput: The month is before the program's first month or too far ahead.

    Example:
        >>> program = CommissionProgram.sample()
        >>> check_commission_month(date(2024, 4, 30), date(2024, 4, 11), program)
        >>> check_commission_month(date(2024, 5, 1), date(2024, 4, 11), program)
        Traceback (most recent call last):
        resell_core.errors.InvalidInput: [invalid_input] commission month is not valid: month:
        2024-05 has not begun (today is 2024-04-11). Correct these fields and try again.
    """
    month = day.year * 12 + day.month
    first = program.first_month
    if month < first.year * 12 + first.month:
        problem = f"{day:%Y-%m} is before the program's first month, {first:%Y-%m}"
        raise InvalidInput.one("commission month", "month", problem)
    if month > today.year * 12 + today.month + ahead:
        problem = f"{day:%Y-%m} has not begun (today is {today.isoformat()})"
        raise InvalidInput.one("commission month", "month", problem)


@attrs.frozen
class Referral:
    """A commission account brought in by an agency's referral code (K1)."""

    account_id: str
    agency_id: str
    referral_code: str
    referred_on: date


def refer(account: Account, *, referral_code: str, agency_referral_code: str, on: date) -> Referral:
    """Record that the agency referred ``account`` with its referral code (K1).

    Raises:
        InvalidInput: When the account is not a commission account or the code is not
            the agency's.
    """
    problems = []
    if account.kind is not AccountKind.COMMISSION:
        problems.append(FieldProblem("account", "only commission accounts are referred"))
    if referral_code != agency_referral_code:
        problems.append(FieldProblem("referral_code", "this is not the agency's referral code"))
    if problems:
        raise InvalidInput("referral", problems)
    return Referral(account.id, account.agency_id, referral_code, on)


class StatementStatus(enum.StrEnum):
    """What happens to a month's commission."""

    PAYABLE = "payable"
    BELOW_THRESHOLD = "below_threshold"
    HELD = "held"


@attrs.frozen
class CommissionStatement:
    """One agency's commission for one month.

    Attributes:
        referred_revenue: What the referred accounts' clients paid the vendor this month.
        rate: The tier rate applied.
        earned: ``referred_revenue`` x ``rate``, rounded once.
        carried_in: What earlier months left unpaid.
        due: ``carried_in`` + ``earned``.
        active_referrals: Referred accounts active at the month's end.
        status: Payable, below a threshold (carried over) or held (no PayPal email).
        shortfalls: Which thresholds were not met, in words.
        carried_out: What the next month starts from.
        payout: The payout to send, when payable.
        notices: Notices to send (a held payout tells the agency).
    """

    agency_id: str
    month: Period
    referred_revenue: Money
    rate: Decimal
    earned: Money
    carried_in: Money
    due: Money
    active_referrals: int
    status: StatementStatus
    shortfalls: tuple[str, ...]
    carried_out: Money
    payout: PayoutRequest | None
    notices: tuple[Notice, ...] = ()


def monthly_statement(
    *,
    agency_id: str,
    agency_email: str,
    month: Period,
    accounts: Iterable[Account],
    revenue: Mapping[str, Money],
    referrals: Iterable[Referral],
    carried_in: Money,
    paypal_email: str | None,
    program: CommissionProgram | None = None,
) -> CommissionStatement:
    """Work out one month's commission of an agency (K1, K2).

    Args:
        agency_id: The agency.
        agency_email: Where to tell the agency about a held payout.
        month: The month, as a half-open period.
        accounts: The agency's accounts; only its commission accounts count.
        revenue: What each account's client paid the vendor in the month, by account id.
        referrals: The agency's referrals (for the recent-referral threshold).
        carried_in: What earlier months left unpaid.
        paypal_email: The PayPal email of the commission settings, if set.
        program: The program's terms (default: :meth:`CommissionProgram.sample`).

    Returns:
        The statement, with the payout request when it is payable.
    """
    terms = program or CommissionProgram.sample()
    currency = carried_in.currency
    referred = [
        a for a in accounts if a.agency_id == agency_id and a.kind is AccountKind.COMMISSION
    ]
    income = Money.total((revenue[a.id] for a in referred if a.id in revenue), currency)
    rate = terms.rate_for(income)
    earned = income.scaled(rate)
    due = carried_in + earned
    active = sum(1 for a in referred if a.status is AccountStatus.ACTIVE)
    window_start = month.end - relativedelta(months=terms.referral_window_months)
    recent = any(
        r.agency_id == agency_id and window_start <= r.referred_on < month.end for r in referrals
    )
    shortfalls = []
    if active < terms.min_active_referrals:
        shortfalls.append(f"{active} active referred accounts, {terms.min_active_referrals} needed")
    if due < terms.min_payout:
        shortfalls.append(f"{due} due, at least {terms.min_payout} needed")
    if not recent:
        shortfalls.append(f"no referral in the last {terms.referral_window_months} months")

    def statement(
        status: StatementStatus,
        carried_out: Money,
        payout: PayoutRequest | None = None,
        notices: tuple[Notice, ...] = (),
    ) -> CommissionStatement:
        return CommissionStatement(
            agency_id,
            month,
            income,
            rate,
            earned,
            carried_in,
            due,
            active,
            status,
            tuple(shortfalls),
            carried_out,
            payout,
            notices,
        )

    if shortfalls:
        return statement(StatementStatus.BELOW_THRESHOLD, due)
    if not paypal_email:
        held = agency_notice(
            NoticeKind.PAYOUT_HELD,
            agency_id=agency_id,
            agency_email=agency_email,
            subject="Your commission payout is on hold",
            body=f"{due} of commission is due but no PayPal email is set in your commission "
            "settings: add one and it will be paid with the next payout.",
        )
        return statement(StatementStatus.HELD, due, None, (held,))
    payout = PayoutRequest(
        idempotency_key=f"payout:{agency_id}:{month.start.isoformat()}",
        agency_id=agency_id,
        paypal_email=paypal_email,
        amount=due,
    )
    return statement(StatementStatus.PAYABLE, Money.zero(currency), payout)


def carried_after_payout(statement: CommissionStatement, result: PayoutResult) -> Money:
    """Return what the next month carries in after the payout port answered.

    A succeeded or pending payout carries nothing; a declined or unattempted one carries
    the whole amount due. An unknown answer must be reconciled by the payout's key first.

    Raises:
        InvalidInput: When the statement had no payout, or the answer is unknown.
    """
    if statement.payout is None:
        raise InvalidInput.one("payout result", "statement", "this statement paid nothing out")
    if result.outcome is PayoutOutcome.UNKNOWN:
        raise InvalidInput.one(
            "payout result",
            "outcome",
            f"look the payout up by its key {quoted(statement.payout.idempotency_key)} first",
        )
    if result.outcome in (PayoutOutcome.SUCCEEDED, PayoutOutcome.PENDING):
        return Money.zero(statement.due.currency)
    return statement.due
