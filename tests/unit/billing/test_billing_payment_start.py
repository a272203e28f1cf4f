"""``start_payment`` and ``plan_payment`` against a reference written here, step by step,
with Money's operators only: the same invoice, movements, charge, parts and errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from resell_core.billing.gateway import ChargeRequest
from resell_core.billing.invoice_memo import InvoiceMemo
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.billing.ledger import (
    SPENT,
    CreditKind,
    Movement,
    account_wallet,
    profile_wallet,
)
from resell_core.billing.payment import (
    PaymentPlan,
    PaymentStart,
    charge_key,
    plan_payment,
    start_payment,
)
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import PaymentError, PaymentInFlight, ResellError
from resell_core.money import Money
from resell_core.testing import strategies as rs

_ON = date(2024, 3, 1)
_ONE = Decimal(1)


def _with(
    invoice: Invoice,
    status: InvoiceStatus,
    earmarked: Money,
    pool: Money,
    *,
    number: int | None = None,
) -> Invoice:
    """The invoice with another state and prepaid parts (and number), built field by field."""
    return Invoice(
        id=invoice.id,
        agency_id=invoice.agency_id,
        number=invoice.number if number is None else number,
        account_id=invoice.account_id,
        profile_id=invoice.profile_id,
        issued_on=invoice.issued_on,
        currency=invoice.currency,
        lines=invoice.lines,
        status=status,
        paid_earmarked=earmarked,
        paid_pool=pool,
        paid_card=invoice.paid_card,
        attempts=invoice.attempts,
        next_retry_on=invoice.next_retry_on,
        period_key=invoice.period_key,
        version=invoice.version,
    )


def _movement(invoice: Invoice, part: str, amount: Money, source: str) -> Movement:
    return Movement(
        id=f"{invoice.id}/{part}",
        agency_id=invoice.agency_id,
        kind=CreditKind.PREPAID,
        quantity=amount.amount,
        source=source,
        destination=SPENT,
        on=_ON,
        reason=f"invoice {invoice.number}",
        invoice_id=invoice.id,
    )


def _money_plan(total: Money, earmarked: Money, pool: Money) -> PaymentPlan:
    """Earmarked credit, then the pool, then the card (C3, C2), with Money's operators."""
    zero = Money.zero(total.currency)
    rest = total.max(zero)
    from_earmark = rest.min(earmarked.max(zero))
    rest = rest - from_earmark
    from_pool = rest.min(pool.max(zero))
    return PaymentPlan(from_earmark, from_pool, rest - from_pool)


def _reference(
    invoice: Invoice, profile: BillingProfile | None, earmarked: Money, pool: Money
) -> PaymentStart:
    """The steps of ``start_payment``, each with Money's operators."""
    status = invoice.status
    if status is InvoiceStatus.PAID:
        return PaymentStart(invoice, (), None)
    if status is InvoiceStatus.PENDING:
        raise PaymentInFlight(invoice.id, charge_key(invoice.id, invoice.attempts + 1))
    if status is not InvoiceStatus.OPEN:
        raise PaymentError(
            f"invoice {invoice.number} is {status}: only an open invoice can be paid"
        )
    movements: list[Movement] = []
    total = invoice.total
    paid_earmarked, paid_pool = invoice.paid_earmarked, invoice.paid_pool
    paid = invoice.paid
    rest = total - paid
    if invoice.attempts == 0 and invoice.next_retry_on is None and paid.is_zero():
        # A balance counts only when the invoice names its wallet; the card pays the rest.
        none = Money.zero(invoice.currency)
        plan = _money_plan(
            rest,
            earmarked if invoice.account_id is not None else none,
            pool if invoice.profile_id is not None else none,
        )
        rest = plan.card
        if plan.earmarked.is_positive() and invoice.account_id is not None:
            movements.append(
                _movement(invoice, "earmarked", plan.earmarked, account_wallet(invoice.account_id))
            )
            paid_earmarked = plan.earmarked
        if plan.pool.is_positive() and invoice.profile_id is not None:
            movements.append(
                _movement(invoice, "pool", plan.pool, profile_wallet(invoice.profile_id))
            )
            paid_pool = plan.pool
    if not rest.is_positive():
        return PaymentStart(
            _with(invoice, InvoiceStatus.PAID, paid_earmarked, paid_pool), tuple(movements), None
        )
    if movements:
        invoice = _with(invoice, status, paid_earmarked, paid_pool)
    if profile is None or profile.agency_id != invoice.agency_id:
        raise PaymentError(
            f"invoice {invoice.number} needs a card charge of {rest} but has no billing "
            "profile: set the account's billing profile, then retry"
        )
    charge = ChargeRequest(
        idempotency_key=charge_key(invoice.id, invoice.attempts + 1),
        agency_id=invoice.agency_id,
        profile_id=profile.id,
        card_token=profile.card_token,
        amount=rest,
        description=f"Invoice {invoice.number}",
    )
    return PaymentStart(invoice, tuple(movements), charge)


def _outcome(run: object) -> tuple[str, str]:
    """What a call came to, exponents of every Decimal included (``repr`` shows them)."""
    try:
        result = run()  # type: ignore[operator]
    except ResellError as error:
        return type(error).__name__, f"{error.code}: {error}"
    return "started", repr(result)


_zeros = st.sampled_from(["0", "0.00", "0.000", "-0"])
_paid_amounts = _zeros | st.sampled_from(["5", "12.50", "-3.1"])
_balance_amounts = st.one_of(
    rs.amounts(100, 2),
    rs.amounts(1000, 4),
    st.sampled_from([Decimal(0), Decimal("0.00"), Decimal("-0"), Decimal("96.00"), 250, "40.00"]),
)


@st.composite
def _balances(draw: st.DrawFn, invoice: Invoice) -> Money:
    """A balance mostly in the invoice's currency, sometimes in another."""
    currency = draw(st.sampled_from([invoice.currency] * 4 + ["CHF"]))
    return Money(draw(_balance_amounts), currency)


@st.composite
def _starts(draw: st.DrawFn) -> tuple[Invoice, Money, Money]:
    invoice = draw(_invoices())
    return invoice, draw(_balances(invoice)), draw(_balances(invoice))


@st.composite
def _invoices(draw: st.DrawFn) -> Invoice:
    """Half of them at their first start (open, nothing paid, never tried), as a billing run
    meets them; the others in any state, their prepaid parts in any currency."""
    currency = draw(rs.currencies)
    first = draw(st.booleans())

    def paid() -> Money:
        if first:
            return Money(draw(_zeros), currency)
        code = draw(st.sampled_from([currency, currency, currency, "CHF"]))
        return Money(draw(_paid_amounts), code)

    amounts = draw(st.lists(rs.amounts(300, 3), min_size=int(first), max_size=3))
    lines = [
        InvoiceLine(LineKind.RECURRING, "Plus 2,500 contacts", _ONE, price, price)
        for price in (Money(amount, currency).rounded() for amount in amounts)
    ]
    return Invoice(
        id="invoice-7",
        agency_id="ACME-DIGITAL",
        number=draw(st.integers(1, 500)),
        account_id=draw(st.none() | st.just("north-bakery")),
        profile_id=draw(st.none() | st.just("card-visa")),
        issued_on=_ON,
        currency=draw(st.sampled_from([currency, currency.lower()])),
        lines=lines,
        status=InvoiceStatus.OPEN if first else draw(st.sampled_from(list(InvoiceStatus))),
        paid_earmarked=paid(),
        paid_pool=paid(),
        paid_card=paid(),
        attempts=0 if first else draw(st.sampled_from([0, 1, 3])),
        next_retry_on=None if first else draw(st.none() | st.just(_ON)),
    )


def _open_invoice(amount: str) -> Invoice:
    price = Money(amount, "USD")
    return Invoice(
        id="invoice-7",
        agency_id="ACME-DIGITAL",
        number=7,
        account_id="north-bakery",
        profile_id="card-visa",
        issued_on=_ON,
        currency="USD",
        lines=[InvoiceLine(LineKind.RECURRING, "Plus 2,500 contacts", _ONE, price, price)],
    )


@given(_starts(), st.none() | rs.billing_profiles() | rs.billing_profiles("OTHER-AGENCY"))
# Credit that covers exactly what is due, written with another exponent: the amount taken
# is the invoice's (96.00), as Money.min keeps its first argument on a tie.
@example((_open_invoice("96.00"), Money(96, "USD"), Money(0, "USD")), None)
@example((_open_invoice("96.00"), Money(40, "USD"), Money("56.0", "USD")), None)
def test_C2_C3_starting_a_payment_gives_what_money_arithmetic_gives(
    start: tuple[Invoice, Money, Money], profile: BillingProfile | None
) -> None:
    """Invoice, movements, charge (exponents included) and errors are the reference's."""
    invoice, earmarked, pool = start
    expected = _outcome(lambda: _reference(invoice, profile, earmarked, pool))
    started = _outcome(
        lambda: start_payment(invoice, profile=profile, earmarked=earmarked, pool=pool, on=_ON)
    )
    assert started == expected


@given(_starts(), st.none() | rs.billing_profiles())
def test_C2_C3_a_start_through_a_memo_is_the_start_that_adds_it_up(
    start: tuple[Invoice, Money, Money], profile: BillingProfile | None
) -> None:
    """Through a memo that added up the invoice's lines before (as a billing page's next
    invoice alike), the start is the same: invoice, movements, charge (exponents
    included) and errors."""
    invoice, earmarked, pool = start
    memo = InvoiceMemo()
    memo.total(invoice)
    expected = _outcome(
        lambda: start_payment(invoice, profile=profile, earmarked=earmarked, pool=pool, on=_ON)
    )
    through_memo = _outcome(
        lambda: start_payment(
            invoice, profile=profile, earmarked=earmarked, pool=pool, on=_ON, memo=memo
        )
    )
    assert through_memo == expected


@given(_starts(), rs.billing_profiles(), st.integers(1, 10**6))
def test_B7_a_start_numbered_again_is_the_start_of_the_invoice_so_numbered(
    start: tuple[Invoice, Money, Money], profile: BillingProfile, number: int
) -> None:
    """A start computed for one number and then numbered again (as a billing page does
    once it holds its agency's counter) is the start of the invoice with that number:
    the invoice, the movements' reasons, the charge's description, all else alike. (A
    start refused under one number is refused under the other.)"""
    invoice, earmarked, pool = start

    def started(numbered: Invoice) -> PaymentStart:
        return start_payment(numbered, profile=profile, earmarked=earmarked, pool=pool, on=_ON)

    expected = _outcome(lambda: started(_renumbered(invoice, number)))
    first = _outcome(lambda: started(invoice))
    if first[0] != "started":
        assert first[0] == expected[0]
        return
    assert _outcome(lambda: started(invoice).numbered(number)) == expected


def _renumbered(invoice: Invoice, number: int) -> Invoice:
    """The invoice under another number, built field by field."""
    return _with(invoice, invoice.status, invoice.paid_earmarked, invoice.paid_pool, number=number)


_AMOUNTS = st.decimals(min_value=-1000, max_value=1000, places=3)


@given(
    _AMOUNTS,
    _AMOUNTS,
    _AMOUNTS,
    st.sampled_from(["USD", "EUR"]),
    st.sampled_from(["USD", "EUR"]),
)
def test_C2_plan_payment_splits_as_money_operators_do(
    total: Decimal, earmarked: Decimal, pool: Decimal, pool_currency: str, earmark_currency: str
) -> None:
    """Earmarked credit first, then the pool, then the card: the same parts (exponents
    included) or the same currency error as the split written with Money's operators."""
    given_parts = (
        Money(total, "USD"),
        Money(earmarked, earmark_currency),
        Money(pool, pool_currency),
    )

    def outcome(split: object) -> str:
        try:
            return repr(split(*given_parts))  # type: ignore[operator]
        except ResellError as error:
            return f"{type(error).__name__} {error.code} {error}"

    assert outcome(plan_payment) == outcome(_money_plan)
