"""When the billing run looks at an invoice again: the one place that stamps an invoice
``pending`` with its charge in flight, and the day of its next look (``next_retry_on``).

The retry pass of every billing run takes the invoices whose ``next_retry_on`` has come
(``InvoiceRepository.open_for_retry``). So an invoice is stamped:

- when its card charge is sent (:func:`charge_in_flight`): ``pending``, looked at from
  the same day on, so that a crash between the charge and its record is reconciled by
  the next run (by the charge's key, never charged anew);
- when the gateway answered ``pending`` or ``unknown`` (:func:`answer_awaited`): looked
  at again the next day;
- when it was opened outside the run for the run to collect, an upgrade's proration
  (:func:`left_to_collect`): looked at from its issue day.

Such an invoice, never started, still gets prepaid credit first when it is collected
(:func:`as_first_start`). The dunning steps (a decline, a gateway down, a partial charge)
are the payment decisions' own (``billing.payment.apply_charge_result``).
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from resell_core.billing.invoices import Invoice, InvoiceStatus, with_payment_state

__all__ = ["answer_awaited", "as_first_start", "charge_in_flight", "left_to_collect"]

_DAY = timedelta(days=1)


def charge_in_flight(invoice: Invoice, *, on: date) -> Invoice:
    """Return ``invoice`` with its card charge in flight: ``pending``, due for a look by
    the retry pass from ``on`` (the day the charge is sent) on.

    Example:
        >>> sent = charge_in_flight(
        ...     Invoice("inv-7", "ACME-DIGITAL", 7, "acc-1", "card-main", date(2024, 4, 11),
        ...             "USD", ()),
        ...     on=date(2024, 4, 11),
        ... )
        >>> (sent.status.value, sent.next_retry_on)
        ('pending', datetime.date(2024, 4, 11))
    """
    return with_payment_state(
        invoice, InvoiceStatus.PENDING, invoice.paid_earmarked, invoice.paid_pool, on
    )


def answer_awaited(invoice: Invoice, *, on: date) -> Invoice:
    """Return ``invoice`` (answered ``pending`` or ``unknown`` on ``on``) looked at again
    the next day: its charge is then looked up by its key."""
    return attrs.evolve(invoice, next_retry_on=on + _DAY)


def left_to_collect(invoice: Invoice, *, on: date) -> Invoice:
    """Return an open invoice made outside the run (an upgrade's proration) due for the
    run's retry pass from ``on``: collected even when its immediate payment cannot be
    made (no card to charge, a crash before it)."""
    return attrs.evolve(invoice, next_retry_on=on)


def as_first_start(invoice: Invoice) -> Invoice:
    """Return ``invoice`` as its first payment start must see it.

    An invoice :func:`left_to_collect` carries ``next_retry_on`` without ever having been
    started: its first start still spends prepaid credit first (C2, C3), as a recurring
    invoice's does. Any other invoice is returned as it is.
    """
    if (
        invoice.status is InvoiceStatus.OPEN
        and invoice.attempts == 0
        and invoice.paid.is_zero()
        and invoice.next_retry_on is not None
    ):
        return attrs.evolve(invoice, next_retry_on=None)
    return invoice
