"""Credit use cases of the portal: buying prepaid, SMS and inbox-preview credits, assigning
them to accounts, balances and histories (C1-C6).

Buying is a charge like any other (C2): an invoice with a credits-purchase line, paid with
prepaid credit first and then by card, through the same steps as the billing run (the
charge is marked in flight before the gateway is called, and recorded after). Prepaid
money bought goes to the billing profile's pool, or to one account's earmark (C3); SMS and
inbox-preview units go to the agency's wallet (or straight to one account). The credit
arrives once the invoice is paid: at once, or when a pending or declined charge is paid
later (the billing run's retry pass, or ``confirm_payment``). The hosted product reports
what an account used of its SMS and inbox-preview credits (:func:`record_usage`, C7).
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from resell_core import views
from resell_core.billing.credits import assign_credits as assign_movement
from resell_core.billing.credits import credits_purchase_invoice, unit_kinds, usage_movement
from resell_core.billing.invoices import Invoice, InvoiceStatus
from resell_core.billing.ledger import (
    OUTSIDE,
    CreditKind,
    Movement,
    account_wallet,
    agency_wallet,
    profile_wallet,
)
from resell_core.display import Listing, Record, Shown, View
from resell_core.errors import (
    FieldProblem,
    FloatNotAllowed,
    InsufficientCredit,
    InvalidInput,
    quoted,
)
from resell_core.lifecycle.text import text_problem
from resell_core.money import Money
from resell_core.ports import UnitOfWork
from resell_core.service.billing import (
    CreditsOrder,
    invoice,
    pay_invoice,
    save_order,
    start_invoice_payment,
)
from resell_core.service.context import (
    SYSTEM,
    Command,
    Context,
    Work,
    is_plain_number,
    number_param,
    read,
    run_command,
)

__all__ = [
    "CREDIT_PRICES",
    "CreditBalance",
    "CreditPurchase",
    "UsageRecorded",
    "assign_credits",
    "balances",
    "buy_credits",
    "credit_history",
    "record_usage",
]

CREDIT_PRICES: dict[CreditKind, Decimal] = {
    CreditKind.SMS: Decimal("0.04"),
    CreditKind.INBOX_PREVIEW: Decimal("1.00"),
}
"""The price of one unit of credit, in the agency's currency (prepaid credit costs its
face value)."""


@attrs.frozen
class CreditPurchase:
    """A credits purchase and where it stands.

    Attributes:
        invoice: The purchase's invoice (paid, pending, or open for a retry after a decline).
        kind: What was bought.
        quantity: How much: money for prepaid credit, units otherwise.
        delivered: Whether the credit has arrived (the invoice is paid).
    """

    invoice: Invoice
    kind: CreditKind
    quantity: Decimal
    delivered: bool


@attrs.frozen
class CreditBalance(Shown):
    """What one wallet holds (C4).

    Attributes:
        wallet: The wallet's name (``profile:<id>``, ``account:<id>`` or ``agency:<id>``).
        prepaid: Prepaid credit (for the agency: all its profiles' pools together).
        sms: SMS credits.
        inbox_preview: Inbox-preview credits.
    """

    wallet: str
    prepaid: Money
    sms: Decimal
    inbox_preview: Decimal

    # -- in a notebook (N1): what the wallet holds, kind by kind -------------------------
    def _view(self) -> View:
        return views.balance(self)

    def _record(self) -> Record:
        return views.balance_record(self)

    _repr_pretty_ = Shown._repr_pretty_


def _kind(kind: CreditKind | str) -> CreditKind:
    try:
        return CreditKind(kind)
    except ValueError as error:
        raise InvalidInput.one(
            "credits", "kind", f"{quoted(kind)} is not a kind of credit", tuple(CreditKind)
        ) from error


def _quantity(
    kind: CreditKind, value: Money | Decimal | int | str, currency: str, largest: Decimal
) -> Decimal:
    if isinstance(value, float):
        raise FloatNotAllowed("give an amount of credit as a str, int or Decimal, never a float")
    if isinstance(value, Money):
        if kind is not CreditKind.PREPAID:
            raise InvalidInput.one("credits purchase", "quantity", "units are counted, not money")
        if value.currency != currency:
            raise InvalidInput.one(
                "credits purchase", "quantity", f"buy prepaid credit in {currency}"
            )
        amount = value.amount
    elif isinstance(value, str) and not is_plain_number(value):
        raise InvalidInput.one(
            "credits purchase",
            "quantity",
            f"write the quantity as a plain number, not {quoted(value)}",
        )
    else:
        try:
            amount = Decimal(value)
        except ArithmeticError as error:
            raise InvalidInput.one(
                "credits purchase", "quantity", f"{quoted(value)} is not a number"
            ) from error
    problems = []
    if not amount.is_finite() or amount <= 0:
        problems.append(FieldProblem("quantity", "buy a positive quantity"))
    elif amount > largest:
        # Checked before any rounding: Decimal("1e100") cannot be quantized (M1).
        problems.append(FieldProblem("quantity", f"move at most {largest} at once"))
    elif kind is CreditKind.PREPAID and amount != Money(amount, currency).rounded().amount:
        problems.append(FieldProblem("quantity", f"an amount of {currency} in whole minor units"))
    elif kind is not CreditKind.PREPAID and amount != amount.to_integral_value():
        problems.append(FieldProblem("quantity", "credits are bought in whole units"))
    if problems:
        raise InvalidInput("credits purchase", problems)
    return amount


def _quantity_param(
    ctx: Context,
    agency_id: str,
    kind: CreditKind,
    quantity: Money | Decimal | int | str,
    idempotency_key: str | None,
) -> object:
    """The quantity as the idempotency fingerprint compares it: by value (I1); prepaid
    credit given as money in the agency's own currency is the same as its amount."""
    if isinstance(quantity, Money) and kind is CreditKind.PREPAID and idempotency_key:
        currency = read(ctx, lambda uow: uow.agencies.get(agency_id).currency)
        if quantity.currency == currency:
            return quantity.amount
    return number_param(quantity)


def buy_credits(  # noqa: PLR0917 - the portal's call: kind, quantity, profile, account by position
    ctx: Context,
    agency_id: str,
    kind: CreditKind | str,
    quantity: Money | Decimal | int | str,
    billing_profile_id: str,
    account_id: str | None = None,
    *,
    actor: str = SYSTEM,
    idempotency_key: str | None = None,
) -> CreditPurchase:
    """Buy credits with a billing profile (C1-C5): prepaid money, SMS or inbox previews.

    Args:
        ctx: The wiring.
        agency_id: The agency buying.
        kind: ``prepaid``, ``sms`` or ``inbox_preview``.
        quantity: Money (or a decimal amount in the agency's currency) for prepaid
            credit; a whole number of units otherwise.
        billing_profile_id: The profile that pays (and, for prepaid credit, whose pool
            receives it).
        account_id: Earmark the credit for one account (C3): its charges use it first.
        actor: Who asks.
        idempotency_key: The caller's key; a replay drives the same purchase on (it
            reconciles its charge) and never buys twice.

    Returns:
        The purchase; ``delivered`` once its invoice is paid.

    Raises:
        NotFound: No such agency, profile or account in this agency.
        InvalidInput: A bad kind or quantity, or prepaid credit for an account without a
            billing profile.
        CreditNotAllowed: SMS credits for a starter account (C5), or any credit for a
            commission account.
        PaymentError: The charge could not be started.
    """
    credit = _kind(kind)

    def body(work: Work) -> Invoice:
        uow = work.uow
        agency = uow.agencies.get(agency_id)
        bounds = ctx.policies.credit_bounds
        amount = bounds.check_quantity(
            _quantity(credit, quantity, agency.currency, bounds.largest_quantity)
        )
        uow.profiles.get(agency_id, billing_profile_id)
        if account_id is not None:
            account = uow.accounts.get(agency_id, account_id)
            # The assignment rules (C5, K3) hold for a purchase made for one account too.
            assign_movement(
                credit,
                amount,
                account=account,
                movement_id="check",
                on=work.today,
                catalog=ctx.catalog,
            )
        price = Decimal(1) if credit is CreditKind.PREPAID else CREDIT_PRICES[credit]
        number, numbered = agency.numbered()
        uow.agencies.update(numbered)
        bought = credits_purchase_invoice(
            credit,
            amount,
            Money(price, agency.currency),
            agency_id=agency_id,
            profile_id=billing_profile_id,
            account_id=account_id,
            invoice_id=work.new_id("invoice"),
            number=number,
            issued_on=work.today,
        )
        # M1: refused before the invoice is stored and the card charged.
        brought_in = -uow.ledger.balance(agency_id, OUTSIDE, credit)
        bounds.check_purchase(amount, bought.total.amount, brought_in)
        save_order(uow, bought, CreditsOrder(credit, amount))
        work.audit("credits_ordered", bought.id, after=f"{amount} {credit.value}")
        return start_invoice_payment(work, bought, new=True).invoice

    params = {
        "kind": credit,
        "quantity": _quantity_param(ctx, agency_id, credit, quantity, idempotency_key),
        "billing_profile_id": billing_profile_id,
        "account_id": account_id,
    }
    command = Command("buy_credits", agency_id, params, actor, idempotency_key)
    first = run_command(ctx, command, body, Invoice)
    current = invoice(ctx, agency_id, first.id)
    if current.status is InvoiceStatus.PENDING:
        # The charge marked in flight goes to the gateway now (or, on a replay after a
        # crash, is reconciled by its key).
        current = pay_invoice(ctx, agency_id, first.id)
    return CreditPurchase(
        current, credit, current.lines[0].quantity, current.status is InvoiceStatus.PAID
    )


def assign_credits(
    ctx: Context,
    agency_id: str,
    account_id: str,
    kind: CreditKind | str,
    quantity: Decimal | int | str,
    *,
    actor: str = SYSTEM,
    idempotency_key: str | None = None,
) -> Movement:
    """Assign bought credit to one of the agency's accounts (C1, C3, C5, C6).

    Units move from the agency's wallet to the account (apply N inbox-preview credits,
    C6); prepaid credit moves from the account's billing profile pool to its earmark.

    Raises:
        NotFound: No such account in this agency.
        CreditNotAllowed: SMS credits for a starter account (C5), or a commission account.
        InsufficientCredit: The wallet holds less than asked; nothing moves.
        InvalidInput: A bad kind or quantity.
    """
    credit = _kind(kind)

    def body(work: Work) -> Movement:
        uow = work.uow
        agency = uow.agencies.get(agency_id)
        account = uow.accounts.get(agency_id, account_id)
        largest = ctx.policies.credit_bounds.largest_balance
        amount = _quantity(credit, quantity, agency.currency, largest)
        movement = assign_movement(
            credit,
            amount,
            account=account,
            movement_id=work.new_id("movement"),
            on=work.today,
            catalog=ctx.catalog,
        )
        uow.ledger.append(movement)
        work.audit(
            "credits_assigned", account_id, after=f"{amount} {credit.value} from {movement.source}"
        )
        return movement

    params = {"account_id": account_id, "kind": credit, "quantity": number_param(quantity)}
    command = Command("assign_credits", agency_id, params, actor, idempotency_key)
    return run_command(ctx, command, body, Movement)


def _balance(uow: UnitOfWork, agency_id: str, wallet: str, currency: str) -> CreditBalance:
    def held(kind: CreditKind) -> Decimal:
        return uow.ledger.balance(agency_id, wallet, kind)

    return CreditBalance(
        wallet,
        Money(held(CreditKind.PREPAID), currency),
        held(CreditKind.SMS),
        held(CreditKind.INBOX_PREVIEW),
    )


def balances(
    ctx: Context,
    agency_id: str,
    *,
    account_id: str | None = None,
    billing_profile_id: str | None = None,
) -> CreditBalance:
    """Return what a wallet holds (C4): an account's, a billing profile's pool, or the
    agency's (its unassigned units and all its profiles' prepaid pools together).

    Raises:
        NotFound: No such agency, or the account or profile is not the agency's.
        InvalidInput: Both an account and a profile were given.
    """
    if account_id is not None and billing_profile_id is not None:
        raise InvalidInput.one(
            "balances", "billing_profile_id", "ask for an account's or a profile's balance"
        )

    def query(uow: UnitOfWork) -> CreditBalance:
        agency = uow.agencies.get(agency_id)
        if account_id is not None:
            uow.accounts.get(agency_id, account_id)
            return _balance(uow, agency_id, account_wallet(account_id), agency.currency)
        if billing_profile_id is not None:
            uow.profiles.get(agency_id, billing_profile_id)
            return _balance(uow, agency_id, profile_wallet(billing_profile_id), agency.currency)
        units = _balance(uow, agency_id, agency_wallet(agency_id), agency.currency)
        pools = Money.total(
            (
                Money(uow.ledger.balance(agency_id, profile_wallet(p.id), CreditKind.PREPAID),
                      agency.currency)
                for p in uow.profiles.list(agency_id)
            ),
            agency.currency,
        )  # fmt: skip
        return attrs.evolve(units, prepaid=pools)

    return read(ctx, query)


def credit_history(
    ctx: Context,
    agency_id: str,
    kind: CreditKind | str | None = None,
    account_id: str | None = None,
) -> Listing[Movement]:
    """Return the agency's credit movements in the order recorded (C6), of one kind and
    into or out of one account's wallet when given.

    Raises:
        NotFound: No such agency, or the account is not the agency's.
    """
    credit = None if kind is None else _kind(kind)

    def query(uow: UnitOfWork) -> list[Movement]:
        uow.agencies.get(agency_id)
        wallet = None
        if account_id is not None:
            uow.accounts.get(agency_id, account_id)
            wallet = account_wallet(account_id)
        return uow.ledger.movements(agency_id, wallet, credit)

    return Listing(read(ctx, query), "Credit movements")


MAX_USAGE_ID = 100
"""The longest usage id the hosted product may give a report of use (C7)."""


@attrs.frozen
class UsageRecorded:
    """A use of unit credits the hosted product reported (C7).

    Attributes:
        usage_id: The report's own id.
        movement: The ledger's movement of the use (from the account's wallet to
            ``spent``), in the credit history.
        left: What the account held of the kind once it was used.
    """

    usage_id: str
    movement: Movement
    left: Decimal


def _usage_id(usage_id: str) -> str:
    problem = text_problem(usage_id)
    if problem is None and not usage_id.strip():
        problem = "give the report's own id"
    if problem is None and len(usage_id) > MAX_USAGE_ID:
        problem = f"keep it within {MAX_USAGE_ID} characters"
    if problem is not None:
        raise InvalidInput.one("credit usage", "usage_id", problem)
    return usage_id


def _unit_kind(kind: CreditKind | str) -> CreditKind:
    try:
        found = CreditKind(kind)
    except ValueError:
        found = None
    if found is None or found not in unit_kinds():
        names = tuple(k.value for k in unit_kinds())
        raise InvalidInput.one(
            "credit usage", "kind", f"{quoted(kind)} is not a unit credit", names
        )
    return found


def record_usage(  # noqa: PLR0917 - the hosted product's report: account, kind, count, id
    ctx: Context,
    agency_id: str,
    account_id: str,
    kind: CreditKind | str,
    count: int,
    usage_id: str,
    *,
    actor: str = SYSTEM,
) -> UsageRecorded:
    """Use ``count`` of an account's unit credits, as the hosted product reports (C7).

    The report's ``usage_id`` makes it idempotent: the same report sent again is used
    once and answers the first result; the same id with other figures is refused. The
    account's credits never go below zero, also when reports arrive at once: a use the
    account cannot cover is refused whole and nothing is used. Each use shows in the
    credit history (:func:`credit_history`) as a movement to ``spent``.

    Args:
        ctx: The wiring.
        agency_id: The agency that resells the account.
        account_id: The account that used the credits.
        kind: ``sms`` or ``inbox_preview``.
        count: How many were used (a whole number, 1 or more).
        usage_id: The report's own id (1 to 100 characters), unique per account.
        actor: Who reports (the hosted product).

    Raises:
        NotFound: No such account in this agency.
        InvalidInput: A kind other than a unit credit, a bad count or usage id.
        InsufficientCredit: The account holds fewer credits of the kind than used.
        IdempotencyConflict: The usage id was reported with other figures.
    """
    credit = _unit_kind(kind)
    report = _usage_id(usage_id)
    if type(count) is not int or not 1 <= count <= ctx.policies.credit_bounds.largest_quantity:
        raise InvalidInput.one(
            "credit usage",
            "count",
            f"give a whole number of uses from 1 to {ctx.policies.credit_bounds.largest_quantity}",
        )

    def body(work: Work) -> UsageRecorded:
        uow = work.uow
        account = uow.accounts.get(agency_id, account_id)
        movement = usage_movement(credit, account, count, usage_id=report, on=work.today)
        held = uow.ledger.balance(agency_id, movement.source, credit)
        try:
            # The ledger refuses an overdraft, also one that a use committed meanwhile
            # would make; a movement it recorded before (a report older than the
            # idempotency keys' life) is not used again.
            fresh = uow.ledger.append(movement)
        except InsufficientCredit as error:
            raise InsufficientCredit(
                f"{account.name} holds {held} {credit.value} credits, fewer than the {count} "
                "used: assign it more credits, then report the use again"
            ) from error
        work.audit("credits_used", account_id, after=f"{count} {credit.value} ({report})")
        return UsageRecorded(report, movement, held - count if fresh else held)

    params = {"account_id": account_id, "kind": credit, "count": count}
    key = f"usage/{account_id}/{report}"
    command = Command("record_usage", agency_id, params, actor, key)
    return run_command(ctx, command, body, UsageRecorded)
