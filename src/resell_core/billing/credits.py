"""Buying, assigning and using credits: prepaid money, SMS and inbox previews (C1-C6).

Buying is a charge like any other (an invoice, paid prepaid first then by card, C2);
once its invoice is paid, :func:`credits_bought` moves the credit in from ``outside``:
prepaid money to the profile's pool (or to one account's earmark, C3), units to the
agency (or straight to one account). :func:`assign_credits` moves them from the agency to
an account; SMS credits never go to a starter account (C5). :func:`apply_inbox_previews`
uses N inbox-preview credits of an account (C6). :func:`usage_movement` is what the
hosted product reports an account used (C7): its id comes from the report's usage id, so
that a report sent twice is used once. Balances and the transaction history come from
the :class:`~resell_core.billing.ledger.Ledger` (C4, C6); the ledger refuses any use that
would take a wallet below zero.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from resell_core.billing.invoices import Invoice, InvoiceStatus, LineKind, build_purchase_invoice
from resell_core.billing.ledger import (
    OUTSIDE,
    SPENT,
    CreditKind,
    Movement,
    account_wallet,
    agency_wallet,
    profile_wallet,
)
from resell_core.errors import CreditNotAllowed, InvalidInput, PaymentError
from resell_core.lifecycle.account import Account, AccountKind
from resell_core.money import Money
from resell_core.pricing.catalog import Catalog

__all__ = [
    "apply_inbox_previews",
    "assign_credits",
    "credits_bought",
    "credits_purchase_invoice",
    "unit_kinds",
    "usage_movement",
    "use_sms",
]

_NAMES = {
    CreditKind.PREPAID: "prepaid credit",
    CreditKind.SMS: "SMS credits",
    CreditKind.INBOX_PREVIEW: "inbox-preview credits",
}


def credits_purchase_invoice(
    kind: CreditKind,
    quantity: Decimal | int,
    unit_price: Money,
    *,
    agency_id: str,
    profile_id: str,
    account_id: str | None,
    invoice_id: str,
    number: int,
    issued_on: date,
) -> Invoice:
    """Build the invoice of a credits purchase (C1, C4, C5, C6).

    For prepaid credit the quantity is the amount bought and the unit price 1 of the
    currency; pay that invoice by card only (prepaid credit does not buy itself). SMS and
    inbox-preview credits are paid like any charge, prepaid first (C2).

    Raises:
        InvalidInput: When the quantity is not positive, or units are not whole.
    """
    amount = Decimal(quantity)
    if kind is not CreditKind.PREPAID and amount != amount.to_integral_value():
        raise InvalidInput.one("credits purchase", "quantity", "credits are bought in units")
    return build_purchase_invoice(
        kind=LineKind.CREDITS_PURCHASE,
        description=f"{amount} {_NAMES[kind]}",
        quantity=amount,
        unit_price=unit_price,
        agency_id=agency_id,
        account_id=account_id,
        profile_id=profile_id,
        invoice_id=invoice_id,
        number=number,
        issued_on=issued_on,
    )


def credits_bought(
    invoice: Invoice, kind: CreditKind, quantity: Decimal | int, on: date
) -> Movement:
    """Return the movement that brings paid-for credit in (its id derives from the invoice).

    Prepaid money goes to the account's earmark when the invoice is for an account (C3),
    else to the profile's pool; units go to the account, or else to the agency.

    Raises:
        PaymentError: When the invoice is not paid yet.
    """
    if invoice.status is not InvoiceStatus.PAID:
        raise PaymentError(
            f"invoice {invoice.number} is {invoice.status}: credits arrive once it is paid"
        )
    if invoice.account_id is not None:
        destination = account_wallet(invoice.account_id)
    elif kind is CreditKind.PREPAID and invoice.profile_id is not None:
        destination = profile_wallet(invoice.profile_id)
    else:
        destination = agency_wallet(invoice.agency_id)
    return Movement(
        id=f"{invoice.id}/credits",
        agency_id=invoice.agency_id,
        kind=kind,
        quantity=Decimal(quantity),
        source=OUTSIDE,
        destination=destination,
        on=on,
        reason=f"bought with invoice {invoice.number}",
        invoice_id=invoice.id,
    )


def _takes_sms(account: Account, catalog: Catalog) -> bool:
    """Tell whether SMS credits may go to the account (C5): not to a paid plan whose tier
    may not have the catalog's ``sms`` add-on (a catalog without one limits nothing)."""
    sms = CreditKind.SMS.value
    if not account.plan.is_paid or sms not in catalog.addon_names:
        return True
    return catalog.offers_addon(account.plan, sms)


def assign_credits(
    kind: CreditKind,
    quantity: Decimal | int,
    *,
    account: Account,
    movement_id: str,
    on: date,
    catalog: Catalog | None = None,
) -> Movement:
    """Return the movement that assigns bought credit to a resold account (C1, C3, C5).

    Units move from the agency's wallet; prepaid credit moves from the account's billing
    profile pool to the account's earmark. Record it in the ledger, which refuses it
    when the source holds too little.

    SMS credits go to any account but a paid one whose tier the catalog (the sample when
    None) does not offer its ``sms`` add-on (C5: the sample's starter).

    Raises:
        CreditNotAllowed: SMS credits to an account whose paid plan may not have the SMS
            add-on (C5); any credit to a commission account (never billed to the agency,
            K3).
        InvalidInput: Prepaid credit for an account without a billing profile.
    """
    if account.kind is AccountKind.COMMISSION:
        raise CreditNotAllowed(
            kind.value, account.name, "commission accounts are billed to their client directly"
        )
    if kind is CreditKind.SMS and not _takes_sms(account, catalog or Catalog.sample()):
        raise CreditNotAllowed(
            kind.value,
            account.name,
            f"the SMS add-on is not available on {account.plan.tier} plans; "
            "upgrade the account to a tier that offers it first",
        )
    if kind is CreditKind.PREPAID:
        if account.billing_profile_id is None:
            raise InvalidInput.one(
                "credit assignment",
                "account",
                f"{account.name} has no billing profile to take prepaid credit from; set one first",
            )
        source = profile_wallet(account.billing_profile_id)
    else:
        source = agency_wallet(account.agency_id)
    return Movement(
        id=movement_id,
        agency_id=account.agency_id,
        kind=kind,
        quantity=Decimal(quantity),
        source=source,
        destination=account_wallet(account.id),
        on=on,
        reason=f"assigned to {account.name}",
    )


def apply_inbox_previews(account: Account, count: int, *, movement_id: str, on: date) -> Movement:
    """Return the movement that uses ``count`` inbox-preview credits of the account (C6)."""
    return _use(CreditKind.INBOX_PREVIEW, account, count, movement_id, on)


def use_sms(account: Account, count: int, *, movement_id: str, on: date) -> Movement:
    """Return the movement that uses ``count`` SMS credits of the account."""
    return _use(CreditKind.SMS, account, count, movement_id, on)


def _use(kind: CreditKind, account: Account, count: int, movement_id: str, on: date) -> Movement:
    return Movement(
        id=movement_id,
        agency_id=account.agency_id,
        kind=kind,
        quantity=Decimal(count),
        source=account_wallet(account.id),
        destination=SPENT,
        on=on,
        reason=f"{count} {_NAMES[kind]} used by {account.name}",
    )


def unit_kinds() -> tuple[CreditKind, ...]:
    """Return the kinds of credit counted in units, which the hosted product uses (C7)."""
    return tuple(kind for kind in CreditKind if kind is not CreditKind.PREPAID)


def usage_movement(
    kind: CreditKind, account: Account, count: int, *, usage_id: str, on: date
) -> Movement:
    """Return the movement of a use of ``count`` unit credits the hosted product reported
    for the account (C7), identified by the report's ``usage_id``.

    The movement's id is ``usage/<account id>/<usage id>``: the ledger records one
    movement per id, so a report sent again is not used again, and a report under the
    same id with other figures is refused (:class:`~resell_core.errors.IdempotencyConflict`).

    Raises:
        InvalidInput: Prepaid credit (money is spent by invoices, not used), or a count
            that is not a positive whole number.
    """
    if kind not in unit_kinds():
        raise InvalidInput.one(
            "credit usage",
            "kind",
            f"{_NAMES[kind]} is spent by invoices; the hosted product uses unit credits",
            tuple(unit_kinds()),
        )
    if type(count) is not int or count < 1:
        raise InvalidInput.one("credit usage", "count", "give a whole number of uses, 1 or more")
    return _use(kind, account, count, f"usage/{account.id}/{usage_id}", on)
