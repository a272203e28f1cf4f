"""Invoices: numbered per agency without gaps, lines that keep their unit price (B7).

Builders make the invoice of one recurring charge (:func:`build_recurring_invoice`: the
list price, then each discount on its own line so that the arithmetic can be followed),
of an immediate plan change (:func:`build_change_invoice`: a proration credit and a
proration charge) and of a purchase (:func:`build_purchase_invoice`). An invoice never
stays negative: :func:`settle_negative` turns an excess credit into the account's
prepaid credit. Listing helpers filter a sequence; storage does the same at scale.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from resell_core import views
from resell_core.billing.due import DuePeriod
from resell_core.billing.ledger import OUTSIDE, CreditKind, Movement, account_wallet
from resell_core.display import Record, Shown, View
from resell_core.errors import FieldProblem, InvalidInput
from resell_core.money import Money
from resell_core.periods import Period

if TYPE_CHECKING:
    from resell_core.billing.invoice_memo import InvoiceMemo

__all__ = [
    "ChangeFigures",
    "CycleFigures",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "LineKind",
    "TaxLine",
    "build_change_invoice",
    "build_purchase_invoice",
    "build_recurring_invoice",
    "carried_line",
    "filter_invoices",
    "history",
    "invoice_values",
    "next_number",
    "recurring_lines",
    "settle_negative",
]


class InvoiceStatus(enum.StrEnum):
    """Where an invoice stands."""

    OPEN = "open"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    VOID = "void"


class LineKind(enum.StrEnum):
    """What a line of an invoice charges or credits."""

    RECURRING = "recurring"
    PRORATION_CREDIT = "proration_credit"
    PRORATION_CHARGE = "proration_charge"
    ADDON = "addon"
    CREDITS_PURCHASE = "credits_purchase"
    DISCOUNT = "discount"


def _lines(value: Iterable[InvoiceLine]) -> tuple[InvoiceLine, ...]:
    return tuple(value)


@attrs.frozen
class InvoiceLine:
    """One line: ``quantity`` x ``unit_price`` = ``amount`` (rounded once), for ``period``.

    The unit price billed is stored on the line, so that a later catalog price change
    never alters what was billed or a credit computed from it. Credits and discounts
    have negative amounts.
    """

    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Money
    amount: Money
    period: Period | None = None


@attrs.frozen
class TaxLine:
    """The tax one line of an invoice carries.

    Attributes:
        line: The position, in the invoice's ``lines``, of the line taxed.
        name: What the tax is called on the invoice ("VAT").
        jurisdiction: Where it is due: an ISO 3166 country code ("DE"), or a host's own
            name of a state or region.
        rate: The rate, a Decimal (``0.19`` for 19%).
        taxable: The amount taxed (the line after its discounts).
        amount: The tax: ``taxable`` times ``rate``, rounded once (zero when
            reverse-charged).
        reverse_charge: Whether the customer accounts for the tax itself (nothing is
            charged; the invoice says so).
    """

    line: int
    name: str
    jurisdiction: str
    rate: Decimal
    taxable: Money
    amount: Money
    reverse_charge: bool = False


def _zero_of_invoice(invoice: Invoice) -> Money:
    return Money.zero(invoice.currency)


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class Invoice(Shown):
    """A charge to the agency: its lines, how it was paid and where it stands.

    ``number`` counts per agency without gaps. ``period_key`` is
    ``"<account_id>/<period start>"`` for a recurring charge: the storage keeps it
    unique, so that one account period can never be invoiced (nor charged) twice.
    ``paid_earmarked``, ``paid_pool`` and ``paid_card`` say how it was paid (the
    account's earmarked prepaid credit, the profile's prepaid pool, the card).
    ``attempts`` counts declined charges (each next charge has a key of its own);
    ``dunning_ends_on`` is the retry schedule's last date, fixed at the first decline: the
    invoice fails no earlier, however often the agency retries (M3).

    ``taxes`` are the tax of its lines (TX1, :mod:`resell_core.billing.taxes`), kept
    apart from them: ``subtotal`` is the lines, ``tax`` the taxes, ``total`` both.

    ``lines`` is made a tuple when the invoice is built (``__init__``, ``attrs.evolve``);
    fields are not converted again on assignment (``on_setattr=NO_OP``): an invoice is
    changed by building a new one, so ``__init__`` assigns its fields plainly.
    """

    id: str
    agency_id: str
    number: int
    account_id: str | None
    profile_id: str | None
    issued_on: date
    currency: str
    lines: tuple[InvoiceLine, ...] = attrs.field(converter=_lines)
    status: InvoiceStatus = InvoiceStatus.OPEN
    paid_earmarked: Money = attrs.field(default=attrs.Factory(_zero_of_invoice, takes_self=True))
    paid_pool: Money = attrs.field(default=attrs.Factory(_zero_of_invoice, takes_self=True))
    paid_card: Money = attrs.field(default=attrs.Factory(_zero_of_invoice, takes_self=True))
    attempts: int = 0
    next_retry_on: date | None = None
    dunning_ends_on: date | None = None
    period_key: str | None = None
    version: int = 0
    # Last, with a plain empty default and no converter: an invoice without tax (every
    # invoice when no tax calculator is wired) costs nothing more to build or copy.
    taxes: tuple[TaxLine, ...] = ()

    @property
    def subtotal(self) -> Money:
        """The sum of the lines (credits and discounts included), before tax."""
        return Money.total((line.amount for line in self.lines), self.currency)

    @property
    def tax(self) -> Money:
        """The sum of the tax lines (zero when the invoice carries none)."""
        return Money.total((tax.amount for tax in self.taxes), self.currency)

    @property
    def total(self) -> Money:
        """What the invoice charges: its lines, then their taxes (TX1)."""
        lines = Money.total((line.amount for line in self.lines), self.currency)
        if self.taxes:
            return lines + self.tax
        return lines

    @property
    def paid(self) -> Money:
        """What has been paid so far, by prepaid credit and by card."""
        return self.paid_earmarked + self.paid_pool + self.paid_card

    @property
    def open_amount(self) -> Money:
        """What is still to be paid."""
        return self.total - self.paid

    def line_taxes(self, index: int) -> tuple[TaxLine, ...]:
        """Return the tax lines of the line at ``index`` of ``lines``: what crediting that
        line credits with it (none for a discount line: the line it discounts carries
        the tax of both)."""
        return tuple(tax for tax in self.taxes if tax.line == index)

    def steps(self) -> list[tuple[str, str]]:
        """Return the invoice's arithmetic as (step, figure) rows, in the order it is done:
        lines and discounts, the subtotal, each tax line, the total, then how it was paid
        (earmarked credit, pool, card) and what is still open (TX1)."""
        rows = [(f"  {line.description}", str(line.amount)) for line in self.lines]
        if self.taxes:
            rows.append(("Subtotal", str(self.subtotal)))
            for tax in self.taxes:
                shown = f"{(tax.rate * 100).normalize():f}"
                what = f"  {tax.name} {shown}% ({tax.jurisdiction}) on {tax.taxable}"
                if tax.reverse_charge:
                    what += ", reverse charge: the customer accounts for it"
                rows.append((what, str(tax.amount)))
        rows.append(("Total", str(self.total)))
        rows.extend(
            (f"- paid by {part}", str(paid))
            for part, paid in (
                ("earmarked credit", self.paid_earmarked),
                ("prepaid pool", self.paid_pool),
                ("card", self.paid_card),
            )
            if not paid.is_zero()
        )
        rows.append((f"Open ({self.status})", str(self.open_amount)))
        return rows

    def explain(self) -> str:
        """Return a readable text of :meth:`steps`, headed by the invoice's number."""
        rows = self.steps()
        width = max(len(step) for step, _ in rows)
        head = f"Invoice {self.number} of {self.issued_on}"
        return "\n".join([head, *(f"{step.ljust(width)}  {figure}" for step, figure in rows)])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Invoice) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    # -- in a notebook (N1): resell_core.views says what an invoice shows ----------------
    def _view(self) -> View:
        return views.invoice(self)

    def _record(self) -> Record:
        return views.invoice_record(self)

    _repr_pretty_ = Shown._repr_pretty_


class CycleFigures(Protocol):
    """The price of one billing cycle, step by step (``resell_core.pricing.CyclePrice``).

    Discounts are given as positive amounts that are subtracted from the list value.
    """

    @property
    def list_value(self) -> Money: ...

    @property
    def migration_discount(self) -> Money: ...

    @property
    def reseller_discount(self) -> Money: ...

    @property
    def net(self) -> Money: ...


class ChangeFigures(Protocol):
    """An immediate plan change (``resell_core.pricing.ProratedChange``).

    ``credit`` is zero or negative (the unused part of what was billed), ``charge`` zero
    or positive (the new price for the rest of the period), ``net`` their sum.
    """

    @property
    def credit(self) -> Money: ...

    @property
    def charge(self) -> Money: ...

    @property
    def net(self) -> Money: ...


_ONE = Decimal(1)


def next_number(counter: int) -> tuple[int, int]:
    """Return the number of the next invoice of an agency and the counter to store.

    Numbers have no gaps when the storage saves the new counter in the same unit of work
    as the invoice (a failed command saves neither).

    Example:
        >>> next_number(41)
        (41, 42)
    """
    if counter < 1:
        raise InvalidInput.one("invoice numbering", "counter", "invoice numbers start at 1")
    return counter, counter + 1


def with_payment_state(
    invoice: Invoice,
    status: InvoiceStatus,
    paid_earmarked: Money,
    paid_pool: Money,
    next_retry_on: date | None,
) -> Invoice:
    """Return ``invoice`` with a new status, prepaid parts and next retry day, every other
    field kept.

    Built by ``Invoice``'s own ``__init__`` from its fields read by name, by position
    (:func:`invoice_values`, as ``lifecycle.account.account_with`` builds an account): the
    same invoice as ``attrs.evolve`` (whose field-by-field look-ups cost more than the
    copy itself on the payment path), without matching eighteen keywords."""
    values = invoice_values(invoice)
    values[_STATUS] = status
    values[_PAID_EARMARKED] = paid_earmarked
    values[_PAID_POOL] = paid_pool
    values[_NEXT_RETRY_ON] = next_retry_on
    return Invoice(*values)


def invoice_values(i: Invoice) -> list[Any]:
    """Return the invoice's ``__init__`` arguments, in order (none is keyword-only).

    A plain attribute read each; a test holds this list to ``attrs.fields(Invoice)``, so
    a field added to Invoice and not here fails it.
    """
    return [
        i.id,
        i.agency_id,
        i.number,
        i.account_id,
        i.profile_id,
        i.issued_on,
        i.currency,
        i.lines,
        i.status,
        i.paid_earmarked,
        i.paid_pool,
        i.paid_card,
        i.attempts,
        i.next_retry_on,
        i.dunning_ends_on,
        i.period_key,
        i.version,
        i.taxes,
    ]


_INVOICE_FIELDS = tuple(field.name for field in attrs.fields(Invoice) if field.init)
_STATUS = _INVOICE_FIELDS.index("status")
_PAID_EARMARKED = _INVOICE_FIELDS.index("paid_earmarked")
_PAID_POOL = _INVOICE_FIELDS.index("paid_pool")
_NEXT_RETRY_ON = _INVOICE_FIELDS.index("next_retry_on")


def _line(
    kind: LineKind, description: str, amount: Money, period: Period | None = None
) -> InvoiceLine:
    rounded = amount.rounded()
    return InvoiceLine(kind, description, _ONE, rounded, rounded, period)


def recurring_lines(
    due: DuePeriod, figures: CycleFigures, *, description: str | None = None
) -> tuple[InvoiceLine, ...]:
    """Make the lines of one due period's invoice: list value, then each discount (A10, A11).

    They are values of the period's plan and dates, the figures and the description
    alone: periods of equal plan and dates priced by the same figures may share one tuple
    of lines (a billing page makes them once for all its accounts alike).

    Args:
        due: The account period billed.
        figures: The cycle's price for ``due.plan`` and ``due.index``.
        description: The recurring line's text (default: tier and period).

    Returns:
        The lines, whose amounts add up to ``figures.net``.

    Raises:
        InvalidInput: When the figures do not add up (list value minus discounts is not
            the net).
    """
    list_value = figures.list_value
    plan, period = due.plan, due.period
    text = description or f"{plan.product} {plan.tier} ({plan.frequency}) {period}"
    recurring = _line(LineKind.RECURRING, text, list_value, period)
    lines = [recurring]
    # The total is added up while the lines are made (Invoice.total would add them again).
    total = recurring.amount
    if not figures.migration_discount.is_zero():
        migration = _line(
            LineKind.DISCOUNT, "Migration discount", -abs(figures.migration_discount), period
        )
        lines.append(migration)
        total += migration.amount
    if not figures.reseller_discount.is_zero():
        reseller = _line(
            LineKind.DISCOUNT, "Reseller discount", -abs(figures.reseller_discount), period
        )
        lines.append(reseller)
        total += reseller.amount
    if total != figures.net.rounded():
        raise InvalidInput(
            "cycle price",
            [
                FieldProblem(
                    "net",
                    f"list value minus discounts is {total}, not {figures.net}: "
                    "give figures that add up",
                )
            ],
        )
    return tuple(lines)


def build_recurring_invoice(
    due: DuePeriod,
    figures: CycleFigures,
    *,
    invoice_id: str,
    number: int,
    issued_on: date,
    description: str | None = None,
    memo: InvoiceMemo | None = None,
) -> Invoice:
    """Build the invoice of one due period: list value, then each discount (A10, A11, B7).

    Args:
        due: The account period billed (its ``key`` becomes the invoice's ``period_key``).
        figures: The cycle's price for ``due.plan`` and ``due.index`` (migration discount
            only on the catalog's first cycles, reseller discount on every cycle).
        invoice_id: The new invoice's id.
        number: The agency's next invoice number (:func:`next_number`).
        issued_on: The day of the run.
        description: The recurring line's text (default: tier and period).
        memo: Where a run's invoices alike get their lines, made once
            (:class:`~resell_core.billing.invoice_memo.InvoiceMemo`); made here when None.

    Returns:
        An open invoice whose total is ``figures.net``.

    Raises:
        InvalidInput: When the figures do not add up (list value minus discounts is not
            the net).
    """
    lines = (
        recurring_lines(due, figures, description=description)
        if memo is None
        else memo.lines(due, figures, description=description)
    )
    currency = figures.list_value.currency
    zero = Money.zero(currency)
    # Open, nothing paid, no attempt: the defaults, one zero for the three paid parts.
    return Invoice(
        id=invoice_id,
        agency_id=due.agency_id,
        number=number,
        account_id=due.account_id,
        profile_id=due.profile_id,
        issued_on=issued_on,
        currency=currency,
        lines=lines,
        paid_earmarked=zero,
        paid_pool=zero,
        paid_card=zero,
        period_key=due.key,
    )


def build_change_invoice(
    change: ChangeFigures,
    *,
    agency_id: str,
    account_id: str,
    profile_id: str | None,
    period: Period,
    invoice_id: str,
    number: int,
    issued_on: date,
    old_plan: str,
    new_plan: str,
) -> Invoice:
    """Build the invoice of an immediate upgrade: a proration credit and a charge (B7).

    The two lines keep their own amounts so that the arithmetic can be followed; the
    total may be negative, which :func:`settle_negative` then turns into prepaid credit.
    """
    remaining = Period(issued_on, period.end) if issued_on in period else period
    lines = []
    if not change.credit.is_zero():
        lines.append(
            _line(
                LineKind.PRORATION_CREDIT,
                f"Unused {old_plan} {remaining}",
                -abs(change.credit),
                remaining,
            )
        )
    if not change.charge.is_zero():
        lines.append(
            _line(LineKind.PRORATION_CHARGE, f"{new_plan} {remaining}", change.charge, remaining)
        )
    return Invoice(
        id=invoice_id,
        agency_id=agency_id,
        number=number,
        account_id=account_id,
        profile_id=profile_id,
        issued_on=issued_on,
        currency=change.net.currency,
        lines=lines,
    )


def build_purchase_invoice(
    *,
    kind: LineKind,
    description: str,
    quantity: Decimal | int,
    unit_price: Money,
    agency_id: str,
    account_id: str | None,
    profile_id: str | None,
    invoice_id: str,
    number: int,
    issued_on: date,
) -> Invoice:
    """Build the invoice of an add-on or a credits purchase (C1, C2, B7).

    Args:
        kind: ``LineKind.ADDON`` or ``LineKind.CREDITS_PURCHASE``.
        description: The line's text ("500 SMS credits").
        quantity: How many units (1 for prepaid credit of ``unit_price``).
        unit_price: The price of one unit.
        agency_id: The agency that pays.
        account_id: The account the purchase is for, or None for the agency itself.
        profile_id: The billing profile that pays.
        invoice_id: The new invoice's id.
        number: The agency's next invoice number.
        issued_on: The day of the purchase.

    Raises:
        InvalidInput: When the kind is not a purchase, the quantity is not positive or the
            unit price is negative.
    """
    problems = []
    if kind not in (LineKind.ADDON, LineKind.CREDITS_PURCHASE):
        problems.append(
            FieldProblem(
                "kind",
                "a purchase is an add-on or credits",
                (LineKind.ADDON.value, LineKind.CREDITS_PURCHASE.value),
            )
        )
    quantity = Decimal(quantity)
    if quantity <= 0:
        problems.append(FieldProblem("quantity", "buy at least one unit"))
    if unit_price.is_negative():
        problems.append(FieldProblem("unit_price", "a price is zero or more"))
    if problems:
        raise InvalidInput("purchase", problems)
    line = InvoiceLine(kind, description, quantity, unit_price, (unit_price * quantity).rounded())
    return Invoice(
        id=invoice_id,
        agency_id=agency_id,
        number=number,
        account_id=account_id,
        profile_id=profile_id,
        issued_on=issued_on,
        currency=unit_price.currency,
        lines=[line],
    )


def carried_line(amount: Money, what: str) -> InvoiceLine:
    """Return the line that carries ``amount`` to the account's prepaid credit (an excess
    credit, or a card payment above the invoice, M2)."""
    return InvoiceLine(
        LineKind.CREDITS_PURCHASE,
        f"{what} carried to the account's prepaid credit",
        _ONE,
        amount,
        amount,
    )


def settle_negative(invoice: Invoice, *, on: date) -> tuple[Invoice, Movement | None]:
    """Keep an invoice from going negative: its excess credit becomes prepaid credit.

    A negative total (a proration credit larger than the charge) gets a last line that
    carries the excess to the account's earmarked prepaid credit, so the invoice totals
    zero and is paid; the returned movement puts the same amount in the account's wallet.

    Returns:
        The invoice (unchanged when its total is not negative) and the movement, if any.
    """
    total = invoice.total
    if not total.is_negative() or invoice.account_id is None:
        return invoice, None
    excess = -total
    carried = carried_line(excess, "Unused credit")
    settled = attrs.evolve(invoice, lines=(*invoice.lines, carried), status=InvoiceStatus.PAID)
    movement = Movement(
        id=f"{invoice.id}/excess",
        agency_id=invoice.agency_id,
        kind=CreditKind.PREPAID,
        quantity=excess.amount,
        source=OUTSIDE,
        destination=account_wallet(invoice.account_id),
        on=on,
        reason=f"excess credit of invoice {invoice.number}",
        invoice_id=invoice.id,
    )
    return settled, movement


def filter_invoices(
    invoices: Iterable[Invoice],
    *,
    agency_id: str,
    account_id: str | None = None,
    status: InvoiceStatus | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[Invoice]:
    """Return an agency's invoices, optionally of one account (its billing history, B7).

    Args:
        invoices: Any invoices; other agencies' are left out (tenancy).
        agency_id: The agency asking.
        account_id: Only this account's invoices.
        status: Only invoices in this status.
        since: Only invoices issued on or after this day.
        until: Only invoices issued before this day.

    Returns:
        The matching invoices, by number.
    """
    found = [
        i
        for i in invoices
        if i.agency_id == agency_id
        and (account_id is None or i.account_id == account_id)
        and (status is None or i.status is status)
        and (since is None or i.issued_on >= since)
        and (until is None or i.issued_on < until)
    ]
    return sorted(found, key=lambda i: i.number)


def history(invoices: Sequence[Invoice], *, agency_id: str, account_id: str) -> list[Invoice]:
    """Return one account's billing history, by number (B7)."""
    return filter_invoices(invoices, agency_id=agency_id, account_id=account_id)
