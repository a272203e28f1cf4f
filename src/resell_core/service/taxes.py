"""The tax step of the invoices the portal issues (TX1).

An invoice is taxed after its lines and discounts are made and before any prepaid credit
or card pays it: :func:`taxed` asks the portal's tax calculator for the taxes of its
taxable lines and puts them on the invoice. Callers take this step only when a calculator
is wired (``ctx.taxes`` is not None), so that a portal without one does no tax work at
all.
"""

from __future__ import annotations

from resell_core.agency import Agency
from resell_core.billing.invoices import Invoice
from resell_core.billing.taxes import taxable_lines, with_taxes
from resell_core.lifecycle.account import Account
from resell_core.ports import TaxCalculator

__all__ = ["taxed"]


def taxed(
    calculator: TaxCalculator, agency: Agency, account: Account | None, invoice: Invoice
) -> Invoice:
    """Return the invoice with the taxes ``calculator`` gives for its lines.

    Raises:
        InvalidInput: The calculator gave a tax line the invoice cannot carry (another
            currency, an unrounded amount, a line that is not there).
        ResellError: Whatever the calculator raises when it cannot tax the invoice.
    """
    return with_taxes(invoice, calculator.taxes(agency, account, taxable_lines(invoice.lines)))
