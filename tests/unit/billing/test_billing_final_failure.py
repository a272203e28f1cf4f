"""A payment's final failure: the prepaid credit the invoice took goes back where it came
from, and the account it billed expires (dunning, C2, C3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from resell_core.billing.final_failure import final_failure, is_credits_purchase
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.billing.ledger import SPENT, CreditKind, account_wallet, profile_wallet
from resell_core.money import Money
from resell_core.periods import Period

APRIL = Period(date(2024, 4, 11), date(2024, 5, 11))
FAILED_ON = date(2024, 4, 22)


def usd(amount: str) -> Money:
    """Dollars."""
    return Money(amount, "USD")


def _failed(
    *,
    earmarked: str = "0",
    pool: str = "0",
    kind: LineKind = LineKind.RECURRING,
    account_id: str | None = "acc-north-bakery",
) -> Invoice:
    line = InvoiceLine(kind, "plus", Decimal(1), usd("96.00"), usd("96.00"), APRIL)
    return Invoice(
        "inv-7",
        "ACME-DIGITAL",
        7,
        account_id,
        "card-main",
        APRIL.start,
        "USD",
        (line,),
        status=InvoiceStatus.FAILED,
        paid_earmarked=usd(earmarked),
        paid_pool=usd(pool),
        attempts=4,
    )


def test_C2_C3_a_failed_invoice_gives_back_the_earmarked_credit_and_the_pool_it_took() -> None:
    """USD 30 from North Bakery's earmark and 20 from the Main Visa's pool: both go back,
    from ``spent`` to the wallet each came from, and the invoice keeps no prepaid part."""
    failure = final_failure(_failed(earmarked="30", pool="20"), on=FAILED_ON)

    given_back = [(m.id, m.source, m.destination, m.quantity, m.on) for m in failure.movements]
    assert given_back == [
        (
            "inv-7/refund-earmarked",
            SPENT,
            account_wallet("acc-north-bakery"),
            Decimal(30),
            FAILED_ON,
        ),
        ("inv-7/refund-pool", SPENT, profile_wallet("card-main"), Decimal(20), FAILED_ON),
    ]
    assert all(m.kind is CreditKind.PREPAID and m.invoice_id == "inv-7" for m in failure.movements)
    assert (failure.invoice.paid_earmarked, failure.invoice.paid_pool) == (usd("0"), usd("0"))
    assert failure.invoice.status is InvoiceStatus.FAILED


def test_C2_a_failed_invoice_the_card_alone_was_to_pay_gives_nothing_back() -> None:
    """No prepaid part, no movement; the invoice is otherwise as it was."""
    failed = _failed()

    failure = final_failure(failed, on=FAILED_ON)

    assert failure.movements == ()
    assert attrs.asdict(failure.invoice) == attrs.asdict(failed)


def test_dunning_the_account_a_failed_invoice_billed_expires() -> None:
    """A recurring invoice's final failure expires North Bakery."""
    assert final_failure(_failed(), on=FAILED_ON).expires == "acc-north-bakery"


def test_C1_a_failed_credits_purchase_expires_no_account() -> None:
    """A purchase of credits for an account delivers nothing when it fails; the account
    stays as it is."""
    purchase = _failed(kind=LineKind.CREDITS_PURCHASE)

    assert is_credits_purchase(purchase)
    assert final_failure(purchase, on=FAILED_ON).expires is None


def test_dunning_an_invoice_of_the_agency_itself_expires_nothing_and_keeps_its_pool() -> None:
    """No account: nothing to expire, and only the pool part goes back (to the profile)."""
    failure = final_failure(_failed(pool="20", account_id=None), on=FAILED_ON)

    assert failure.expires is None
    assert [m.destination for m in failure.movements] == [profile_wallet("card-main")]
