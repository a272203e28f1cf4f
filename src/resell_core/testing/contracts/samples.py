"""Builders of the rows the contract suites store: valid, vivid, and easy to vary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from resell_core.agency import Agency, PortalUser
from resell_core.billing.invoices import Invoice, InvoiceLine, LineKind
from resell_core.billing.ledger import CreditKind, Movement
from resell_core.billing.profiles import BillingProfile
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.money import Money
from resell_core.periods import Frequency
from resell_core.pricing.selection import PlanSelection

__all__ = [
    "ACME",
    "GLOBEX",
    "a_movement",
    "a_profile",
    "a_user",
    "an_account",
    "an_agency",
    "an_invoice",
]

ACME = "agency-acme"
GLOBEX = "agency-globex"


def an_agency(agency_id: str = ACME, *, referral_code: str | None = None) -> Agency:
    """An agency billing in USD with a 20 % reseller discount."""
    return Agency(
        id=agency_id,
        name=agency_id.removeprefix("agency-").upper() + "-DIGITAL",
        email=f"ops@{agency_id}.test",
        currency="USD",
        reseller_rate=Decimal("0.20"),
        referral_code=referral_code or agency_id.upper(),
    )


def a_user(
    user_id: str = "user-ada", agency_id: str = ACME, email: str | None = None
) -> PortalUser:
    """A portal admin of the agency."""
    return PortalUser(user_id, agency_id, email or f"{user_id}@{agency_id}.test", "Ada Admin")


def an_account(
    account_id: str = "account-north",
    agency_id: str = ACME,
    name: str | None = None,
    *,
    status: AccountStatus = AccountStatus.ACTIVE,
    kind: AccountKind = AccountKind.RESOLD,
    frequency: Frequency = Frequency.MONTHLY,
    anchor: date | None = date(2024, 1, 31),
    next_period: int = 1,
    trial: bool = False,
    trial_ends_on: date | None = None,
) -> Account:
    """A paid monthly account anchored on 31 January 2024, due for its second period."""
    plan = (
        PlanSelection("V1", "EM", "trial")
        if trial
        else PlanSelection("V3", "marketing", "plus", contacts=2500, frequency=frequency)
    )
    return Account(
        id=account_id,
        agency_id=agency_id,
        name=name or account_id.removeprefix("account-") + "-bakery",
        client_name="North Bakery Ltd",
        notification_email="alerts@north-bakery.test",
        country="FR",
        region="eu",
        language="fr",
        timezone="Europe/Paris",
        plan=plan,
        created_on=date(2024, 1, 31),
        status=status,
        kind=kind,
        anchor=None if trial else anchor,
        next_period=next_period,
        trial_ends_on=trial_ends_on,
    )


def a_profile(
    profile_id: str = "profile-visa", agency_id: str = ACME, label: str = "Main Visa"
) -> BillingProfile:
    """A card of the agency's."""
    return BillingProfile(profile_id, agency_id, label, "tok_ok", "visa", "4242", 12, 2030)


def an_invoice(
    invoice_id: str = "invoice-1",
    agency_id: str = ACME,
    number: int = 1,
    *,
    account_id: str | None = "account-north",
    period_key: str | None = "account-north/2024-02-29",
    next_retry_on: date | None = None,
) -> Invoice:
    """A recurring invoice of $40.00."""
    price = Money("40.00", "USD")
    line = InvoiceLine(LineKind.RECURRING, "Plus 2,500 contacts", Decimal(1), price, price)
    return Invoice(
        id=invoice_id,
        agency_id=agency_id,
        number=number,
        account_id=account_id,
        profile_id="profile-visa",
        issued_on=date(2024, 2, 29),
        currency="USD",
        lines=(line,),
        next_retry_on=next_retry_on,
        period_key=period_key,
    )


def a_movement(
    movement_id: str = "movement-1",
    agency_id: str = ACME,
    quantity: str = "100.00",
    *,
    source: str = "outside",
    destination: str = "profile:profile-visa",
    kind: CreditKind = CreditKind.PREPAID,
) -> Movement:
    """A movement of prepaid credit (by default a purchase into the Visa's pool)."""
    return Movement(
        movement_id,
        agency_id,
        kind,
        Decimal(quantity),
        source,
        destination,
        date(2024, 2, 1),
        "prepaid credit bought",
    )
