"""The bounds of quantities, amounts and balances (M1), checked before any gateway call.

A purchase whose quantity, invoice amount or resulting balance is out of bounds is refused
with :class:`~resell_core.errors.InvalidInput` naming ``quantity`` before its invoice is
stored or its card charged: the same on every storage adapter, so that the card is never
charged for credit a storage could not hold. Every storage holds exactly any quantity and
balance up to ``resell_core.ports.LEDGER_RANGE`` (the storage contract); the defaults
leave room below it for purchases started at once by several workers, which are checked
one by one against the balance before them.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from resell_core.errors import FieldProblem, InvalidInput

__all__ = ["CreditBounds"]


def _positive(_instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if type(value) is not Decimal or not value.is_finite() or value <= 0:
        raise InvalidInput.one("credit bounds", attribute.name, "give a positive Decimal")


@attrs.frozen
class CreditBounds:
    """The largest purchase, invoice and balance of credit (M1).

    Attributes:
        largest_quantity: The most one purchase may buy: an amount of the agency's
            currency for prepaid credit, a count of units for SMS and inbox previews.
        largest_invoice: The largest total of one purchase's invoice, in the agency's
            currency.
        largest_balance: The most of one kind of credit an agency may ever have brought
            in (every purchase delivered, counted in the ledger's ``outside`` wallet).
            Every wallet of the agency, ``spent`` included, holds part of that total, so
            none can exceed it either.
    """

    largest_quantity: Decimal = attrs.field(default=Decimal(10**9), validator=_positive)
    largest_invoice: Decimal = attrs.field(default=Decimal(10**9), validator=_positive)
    largest_balance: Decimal = attrs.field(default=Decimal(10**12), validator=_positive)

    def check_quantity(self, quantity: Decimal) -> Decimal:
        """Return ``quantity`` when it is a finite positive number within the largest
        quantity (a check safe on any Decimal, ``Decimal("1e100")`` included).

        Raises:
            InvalidInput: Not finite, not positive, or above :attr:`largest_quantity`.
        """
        if not quantity.is_finite() or quantity <= 0:
            raise InvalidInput.one("credits purchase", "quantity", "buy a positive quantity")
        if quantity > self.largest_quantity:
            raise InvalidInput.one(
                "credits purchase",
                "quantity",
                f"buy at most {self.largest_quantity} at once; split a larger purchase",
            )
        return quantity

    def check_purchase(self, quantity: Decimal, total: Decimal, brought_in: Decimal) -> None:
        """Refuse a purchase before anything is stored or charged.

        Args:
            quantity: What the purchase delivers once paid.
            total: Its invoice's total, in the agency's currency.
            brought_in: What the agency has brought in of that kind of credit so far (the
                ledger's ``outside`` wallet, negated).

        Raises:
            InvalidInput: The quantity, the invoice's total or the total brought in
                afterwards is above its bound (the field named is ``quantity``).
        """
        self.check_quantity(quantity)
        problems = []
        if total > self.largest_invoice:
            problems.append(
                FieldProblem(
                    "quantity",
                    f"the invoice would come to {total}, above the largest of "
                    f"{self.largest_invoice}; buy less at once",
                )
            )
        if brought_in + quantity > self.largest_balance:
            problems.append(
                FieldProblem(
                    "quantity",
                    f"the agency would have bought {brought_in + quantity} of this credit, "
                    f"above the largest balance of {self.largest_balance}; use what it holds "
                    "first or buy less",
                )
            )
        if problems:
            raise InvalidInput("credits purchase", problems)
