"""A preview of an edit of an account (P1): what the edit would issue today, not done.

The figures come from the functions the edit itself runs: the catalog's change rule, the
credit basis (:func:`~resell_core.billing.credit_basis.credit_basis`), the proration
(:func:`~resell_core.pricing.changes.prorate_change`), the change invoice
(:func:`~resell_core.billing.invoices.build_change_invoice` and
:func:`~resell_core.billing.invoices.settle_negative`) and the payment's start
(:func:`~resell_core.billing.payment.start_payment`, prepaid credit first). This module
only holds the result and its explanation.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import attrs

from resell_core.billing.credit_basis import CreditBasis
from resell_core.billing.invoices import InvoiceLine
from resell_core.billing.payment import PaymentPlan
from resell_core.lifecycle.account import PendingChange
from resell_core.money import Money
from resell_core.pricing.changes import ChangeRule, ChangeTiming, ProratedChange
from resell_core.pricing.quote import PackageDetails
from resell_core.pricing.selection import PlanSelection

__all__ = ["ChangePreview", "PreviewInvoice"]


class _Printer(Protocol):
    def text(self, text: str) -> None: ...


def _plan(selection: PlanSelection) -> str:
    return f"{selection.version} {selection.product} {selection.tier}"


@attrs.frozen
class PreviewInvoice:
    """The invoice an edit would issue now, and how it would be paid.

    Attributes:
        number: The number it would take (the agency's next; another invoice issued
            first takes it, and the edit's invoice the one after).
        issued_on: The day it would be issued.
        lines: Its lines, as the edit issues them: the proration credit, the charge, and
            a credit larger than the charge carried to the account's prepaid credit.
        total: The sum of the lines (never below zero).
        payment: How the total would be paid: the account's earmarked prepaid credit,
            then the billing profile's pool, then the card.
        carried: The credit left over, which becomes the account's prepaid credit.
    """

    number: int
    issued_on: date
    lines: tuple[InvoiceLine, ...]
    total: Money
    payment: PaymentPlan
    carried: Money


@attrs.frozen
class ChangePreview:
    """What an edit of an account's plan or billing profile would do on a day (P1).

    Nothing of it was charged, stored or audited. The edit made on ``on`` with the same
    arguments, while the account's invoices and prepaid balances stay as they are, issues
    exactly this invoice, split the same way.

    Attributes:
        account_id: The account.
        account_name: Its name (its site address).
        on: The day the edit would be made.
        current: The plan in force before the edit.
        plan: The plan in force right after the edit (the current one when the change
            waits for the end of the term).
        billing_profile_id: The billing profile that pays after the edit.
        rule: The catalog's plan-change rule that applies; None when no plan is
            changed, or when a plan that is not paid (a trial) takes a paid plan, which
            starts a new term.
        quote: The package details of the new plan for the agency (list value, reseller
            discount, what each cycle costs); None when no plan is changed.
        basis: What the change credits the unused part of (the period's recurring
            charge, or an earlier change's charge); None when nothing is credited.
        prorated: The credit and charge of the change; None when nothing is billed now.
        invoice: The invoice the edit would issue now; None when it issues none.
        pending: The change scheduled once the edit is made: the one it schedules instead
            of changing the plan now (a downgrade at the end of the term), or one
            scheduled before that it keeps; None when none is left.
    """

    account_id: str
    account_name: str
    on: date
    current: PlanSelection
    plan: PlanSelection
    billing_profile_id: str | None
    rule: ChangeRule | None
    quote: PackageDetails | None = attrs.field(repr=False)  # explain() shows its steps
    basis: CreditBasis | None
    prorated: ProratedChange | None
    invoice: PreviewInvoice | None
    pending: PendingChange | None

    @property
    def due_now(self) -> Money | None:
        """What the card would be charged now (None when no invoice is issued)."""
        return None if self.invoice is None else self.invoice.payment.card

    def _change_rows(self) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        new = self.quote.selection if self.quote is not None else self.plan
        rule = self.rule
        if rule is None:
            what = f"new term of {_plan(new)} from {_plan(self.current)}, starting on {self.on}"
            rows.append(("Change", what))
            if self.quote is not None:
                rows.append(
                    ("  first cycle: billed by the next billing run", str(self.quote.recurring))
                )
            return rows
        scheduled = self.pending if rule.timing is ChangeTiming.END_OF_TERM else None
        when = self.on if scheduled is None else scheduled.effective_on
        rows.append(
            (
                "Change",
                f"{rule.kind} from {_plan(self.current)}, {rule.timing.replace('_', ' ')}, "
                f"on {when}",
            )
        )
        basis, prorated = self.basis, self.prorated
        if scheduled is not None:
            rows.append(("  scheduled: nothing is billed now", f"takes effect on {when}"))
        elif prorated is None or basis is None:
            rows.append(("  nothing billed yet this period: the billing run bills it", "-"))
        else:
            billed_for = basis.billed_for
            left = (billed_for.end - self.on).days
            of = f"{left} of {billed_for.days} days of {basis.amount}"
            if billed_for != basis.period:  # an earlier change's charge, from its day
                of += f" charged on {billed_for.start}"
            rows.append((f"  credit: unused {of}", str(prorated.credit)))
            if rule.timing is ChangeTiming.NEW_TERM:
                rows.append(("  charge: the new term's first cycle, by the billing run", "-"))
            elif self.quote is not None:
                days = (basis.period.end - self.on).days
                rows.append(
                    (
                        f"  charge: {days} of {basis.period.days} days of {self.quote.recurring}",
                        str(prorated.charge),
                    )
                )
            rows.append(("  prorated net", str(prorated.net)))
        return rows

    def _invoice_rows(self) -> list[tuple[str, str]]:
        invoice = self.invoice
        if invoice is None:
            return [("Invoice now", "none")]
        rows = [(f"Invoice {invoice.number} on {invoice.issued_on}", "")]
        rows.extend((f"  {line.description}", str(line.amount)) for line in invoice.lines)
        rows.append(("  total", str(invoice.total)))
        payment = invoice.payment
        rows.append(("- earmarked prepaid credit of the account", str(-payment.earmarked)))
        rows.append(("- prepaid pool of the billing profile", str(-payment.pool)))
        rows.append(("= charged to the card now", str(payment.card)))
        if not invoice.carried.is_zero():
            rows.append(("Carried to the account's prepaid credit", str(invoice.carried)))
        return rows

    def steps(self) -> list[tuple[str, str]]:
        """Return the explanation as (step, figure) rows, in the order they are computed:
        the new plan's price (as the quote shows it), the change and its proration, the
        invoice's lines and the payment split."""
        rows: list[tuple[str, str]] = []
        if self.quote is not None:
            rows.extend(self.quote.steps()[:-1])  # the quote's "due today" is the invoice's
            rows.extend(self._change_rows())
        if self.billing_profile_id is not None:
            rows.append(("Billing profile", self.billing_profile_id))
        rows.extend(self._invoice_rows())
        return rows

    def explain(self) -> str:
        """Return a readable text that shows each step of the arithmetic."""
        rows = self.steps()
        width = max(len(step) for step, _ in rows)
        lines = [f"Change preview — {self.account_name} on {self.on} (nothing charged)"]
        lines.extend(f"{step.ljust(width)}  {figure}".rstrip() for step, figure in rows)
        return "\n".join(lines)

    def _repr_pretty_(self, printer: _Printer, cycle: bool) -> None:
        printer.text("ChangePreview(...)" if cycle else self.explain())
