"""Auto top-up of billing profiles' prepaid pools (F2): the policy, and the daily pass.

A profile's policy is a record of the ``top_ups`` repository (``policy:<profile id>``,
status ``on``); none means off, the default. :func:`run_top_ups` is a pass of its own, not
a step of the billing run: a host runs it each day before :func:`~resell_core.service.
billing.run_billing`, and the run is unchanged whether or not any profile has a policy.
The pass reads each agency's policies (one read per agency, none per account) and, for a
policy whose day of the month has come, buys the month's prepaid credit with
:func:`~resell_core.service.credits.buy_credits` under the month's key.

Once a month per profile: the month's record (key ``top-up:<profile>:<YYYY-MM>``) is
stored first with the amount decided (``planned``), then the purchase is made with that
key as its idempotency key, then the record is marked ``bought``. A pass run again the
same month buys nothing; one that finds a ``planned`` record (a crash between the two)
replays the purchase under the same key and amount, which never buys twice.
"""

from __future__ import annotations

from datetime import date

import attrs

from resell_core.billing import forecast as projecting
from resell_core.billing.ledger import CreditKind, account_wallet, profile_wallet
from resell_core.billing.run import run_until
from resell_core.billing.top_ups import TopUpPolicy, top_up_amount, top_up_key, top_up_window
from resell_core.errors import AlreadyExists, InvalidInput, NotFound, ResellError
from resell_core.money import Money
from resell_core.ports import Record, UnitOfWork
from resell_core.serialization import from_json, to_json
from resell_core.service.billing import BillingFailure
from resell_core.service.context import SYSTEM, Command, Context, Work, read, run_command
from resell_core.service.credits import buy_credits
from resell_core.service.profiles import accounts_of

__all__ = [
    "TopUp",
    "TopUpReport",
    "TopUpSetting",
    "run_top_ups",
    "set_top_up_policy",
    "top_up_policy",
]

_ON = "on"
_OFF = "off"
_PLANNED = "planned"
_BOUGHT = "bought"
_NOTHING = "nothing"
_AGENCY_PAGE = 100


def _policy_id(profile_id: str) -> str:
    return f"policy:{profile_id}"


@attrs.frozen
class TopUpSetting:
    """A billing profile's auto top-up setting.

    Attributes:
        profile_id: The billing profile.
        policy: Its policy; None when auto top-up is off.
    """

    profile_id: str
    policy: TopUpPolicy | None


def set_top_up_policy(
    ctx: Context,
    agency_id: str,
    billing_profile_id: str,
    policy: TopUpPolicy | None,
    *,
    actor: str = SYSTEM,
    idempotency_key: str | None = None,
) -> TopUpSetting:
    """Turn a billing profile's auto top-up on with ``policy``, or off with None (F2).

    Raises:
        NotFound: No such agency or profile in this agency.
        InvalidInput: Threshold and target not in the agency's currency.
    """

    def body(work: Work) -> TopUpSetting:
        uow = work.uow
        agency = uow.agencies.get(agency_id)
        uow.profiles.get(agency_id, billing_profile_id)
        target = None if policy is None else policy.target
        if target is not None and target.currency != agency.currency:
            raise InvalidInput.one(
                "top-up policy", "target", f"give the amounts in {agency.currency}"
            )
        record_id = _policy_id(billing_profile_id)
        status = _OFF if policy is None else _ON
        data = to_json(policy) if policy is not None else "null"
        try:
            stored = uow.top_ups.get(agency_id, record_id)
        except NotFound:
            uow.top_ups.add(Record(record_id, agency_id, billing_profile_id, status, data))
            before = None
        else:
            uow.top_ups.update(attrs.evolve(stored, status=status, data=data))
            before = stored.data if stored.status == _ON else None
        work.audit("top_up_policy_set", billing_profile_id, before=before, after=data)
        return TopUpSetting(billing_profile_id, policy)

    params = {"billing_profile_id": billing_profile_id, "policy": to_json(policy)}
    command = Command("set_top_up_policy", agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, TopUpSetting)


def top_up_policy(ctx: Context, agency_id: str, billing_profile_id: str) -> TopUpPolicy | None:
    """Return the profile's auto top-up policy, or None when it has none (off).

    Raises:
        NotFound: No such agency or profile in this agency.
    """

    def query(uow: UnitOfWork) -> TopUpPolicy | None:
        uow.agencies.get(agency_id)
        uow.profiles.get(agency_id, billing_profile_id)
        try:
            stored = uow.top_ups.get(agency_id, _policy_id(billing_profile_id))
        except NotFound:
            return None
        return from_json(stored.data, TopUpPolicy) if stored.status == _ON else None

    return read(ctx, query)


@attrs.frozen
class TopUp:
    """One profile's top-up of a month.

    Attributes:
        agency_id: The agency.
        profile_id: The billing profile whose pool received it and whose card paid it.
        month: The key of the month (``top-up:<profile>:<YYYY-MM>``).
        amount: What was bought (zero: nothing was needed).
        invoice_id: The purchase's invoice, None when nothing was bought.
    """

    agency_id: str
    profile_id: str
    month: str
    amount: Money
    invoice_id: str | None

    def to_record(self) -> dict[str, object]:
        """Return the top-up as a plain dict."""
        return {
            "agency_id": self.agency_id,
            "profile_id": self.profile_id,
            "month": self.month,
            "currency": self.amount.currency,
            "amount": self.amount.amount,
            "invoice_id": self.invoice_id,
        }


@attrs.frozen
class TopUpReport:
    """What one pass of :func:`run_top_ups` did.

    Attributes:
        on: The day of the pass.
        top_ups: The top-ups decided in this pass, by agency and profile.
        errors: Per billing profile (the failure's subject), why its top-up could not be
            made; the other profiles went on.
    """

    on: date
    top_ups: tuple[TopUp, ...] = ()
    errors: tuple[BillingFailure, ...] = ()

    def to_records(self) -> list[dict[str, object]]:
        """Return one plain dict per top-up."""
        return [t.to_record() for t in self.top_ups]


def _needed(ctx: Context, agency_id: str, profile_id: str, policy: TopUpPolicy, on: date) -> Money:
    """What the profile's top-up of ``on`` buys: from the forecast of its window, or the
    threshold rule over its pool today."""
    window = top_up_window(policy, on)
    assert window is not None

    def query(uow: UnitOfWork) -> Money:
        agency = uow.agencies.get(agency_id)
        currency = agency.currency
        pool = Money(
            uow.ledger.balance(agency_id, profile_wallet(profile_id), CreditKind.PREPAID),
            currency,
        )
        if policy.mode != "forecast":
            return top_up_amount(policy, pool=pool, card_needed=Money.zero(currency))
        accounts = [a for a in accounts_of(uow, agency_id) if a.billing_profile_id == profile_id]
        earmarked = uow.ledger.balances(
            agency_id, [account_wallet(a.id) for a in accounts], CreditKind.PREPAID
        )
        projection = projecting.project(
            accounts,
            catalog=ctx.catalog,
            policy=ctx.policies.lifecycle,
            reseller_rate=agency.reseller_rate,
            currency=currency,
            earmarked={a.id: Money(earmarked[account_wallet(a.id)], currency) for a in accounts},
            pools={profile_id: pool},
            start=window.start,
            end=window.end,
        )
        card = Money.total((i.card for i in projection.invoices), currency)
        return top_up_amount(policy, pool=pool, card_needed=card)

    return read(ctx, query)


def _plan(ctx: Context, record: Record, on: date) -> tuple[Record, bool] | None:
    """Store the month's top-up record of a profile whose day has come (``planned``, with
    its amount), or find the one stored already; None when the day has not come. The
    flag says whether this pass stored it."""
    policy = from_json(record.data, TopUpPolicy)
    if top_up_window(policy, on) is None:
        return None
    profile_id = record.subject
    key = top_up_key(profile_id, on)
    found = read(ctx, lambda uow: uow.top_ups.by_key(key))
    if found is not None:
        return found, False
    amount = _needed(ctx, record.agency_id, profile_id, policy, on)
    status = _PLANNED if amount.is_positive() else _NOTHING
    month = Record(key, record.agency_id, profile_id, status, to_json(amount), key)

    def body(work: Work) -> Record:
        work.uow.top_ups.add(month)
        work.audit("top_up_planned", profile_id, after=f"{key} {amount}")
        return month

    command = Command("plan_top_up", record.agency_id, {"key": key})
    try:
        return run_command(ctx, command, body, Record), True
    except AlreadyExists:
        stored = read(ctx, lambda uow: uow.top_ups.by_key(key))
        assert stored is not None
        return stored, False


def _top_up(ctx: Context, record: Record, on: date) -> TopUp | None:
    """Make the month's top-up of one profile's policy, once: None when its day has not
    come or the month's top-up was made (or found needless) by an earlier pass."""
    planned = _plan(ctx, record, on)
    if planned is None:
        return None
    month, new = planned
    amount = from_json(month.data, Money)
    if month.status == _NOTHING:
        return TopUp(month.agency_id, month.subject, month.id, amount, None) if new else None
    if month.status != _PLANNED:
        return None
    purchase = buy_credits(
        ctx,
        month.agency_id,
        CreditKind.PREPAID,
        amount,
        month.subject,
        idempotency_key=month.id,
    )
    invoice_id = purchase.invoice.id

    def body(work: Work) -> None:
        current = work.uow.top_ups.get(month.agency_id, month.id)
        if current.status == _PLANNED:
            work.uow.top_ups.update(attrs.evolve(current, status=_BOUGHT))
            work.audit("top_up_bought", month.subject, after=f"{month.id} {invoice_id}")

    run_command(ctx, Command("record_top_up", month.agency_id, {"key": month.id}), body, None)
    return TopUp(month.agency_id, month.subject, month.id, amount, invoice_id)


def _policies(ctx: Context) -> list[Record]:
    """Every policy that is on, agency by agency (one read per agency)."""
    found: list[Record] = []
    after: str | None = None
    while True:

        def page(uow: UnitOfWork, after: str | None = after) -> str | None:
            agencies = uow.agencies.page(after_id=after, limit=_AGENCY_PAGE)
            for agency in agencies:
                found.extend(uow.top_ups.list(agency.id, status=_ON))
            return agencies[-1].id if agencies else None

        after = read(ctx, page)
        if after is None:
            return found


def run_top_ups(ctx: Context, on: date | None = None) -> TopUpReport:
    """Top up every billing profile whose auto top-up day has come this month, once (F2).

    Run it each day before the billing run, so that the day's invoices find the credit
    bought. A profile whose day has passed this month without a top-up (a missed day) is
    topped up by the next pass of the month. Profiles without a policy cost nothing but
    the read of their agency's policies.

    Args:
        ctx: The wiring.
        on: The day (today in the billing time zone when None); no later than the
            billing run's horizon allows (M1).

    Returns:
        The top-ups this pass made (or found needed nothing), and per profile why one
        could not be made.

    Raises:
        InvalidInput: ``on`` is not a date, or is later than the policy allows.
    """
    day = run_until(on, today=ctx.today(), policy=ctx.policies.billing_run)
    made: list[TopUp] = []
    errors: list[BillingFailure] = []
    for record in _policies(ctx):
        try:
            top_up = _top_up(ctx, record, day)
        except ResellError as error:
            errors.append(BillingFailure(record.subject, error.code, error.message))
            continue
        if top_up is not None:
            made.append(top_up)
    return TopUpReport(day, tuple(made), tuple(errors))
