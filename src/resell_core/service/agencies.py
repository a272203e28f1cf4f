"""Agencies and their portal users: registering, adding admins, commission settings, tax
details."""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

import attrs
import babel

from resell_core.agency import Agency, PortalUser
from resell_core.display import Listing
from resell_core.errors import DuplicateName, FieldProblem, InvalidInput, quoted
from resell_core.lifecycle.names import email_problem
from resell_core.lifecycle.text import text_problem, text_problems
from resell_core.service.context import (
    PLATFORM,
    SYSTEM,
    Command,
    Context,
    Work,
    number_param,
    read,
    run_command,
)

__all__ = [
    "add_portal_user",
    "agency",
    "portal_users",
    "register_agency",
    "update_commission_settings",
    "update_tax_details",
]

_MAX_NAME = 200
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")


def _rate(value: object, problems: list[FieldProblem]) -> Decimal:
    if isinstance(value, float | bool):
        problems.append(FieldProblem("reseller_rate", "give the rate as a Decimal or a string"))
        return Decimal(0)
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or not Decimal(0) <= rate < 1:
        problems.append(FieldProblem("reseller_rate", f"{quoted(value)} is not a rate in [0, 1)"))
        return Decimal(0)
    return rate


def _slug(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")[:20] or "AGENCY"


def register_agency(
    ctx: Context,
    name: str,
    email: str,
    currency: str,
    *,
    reseller_rate: Decimal | str = Decimal(0),
    referral_code: str | None = None,
    paypal_email: str | None = None,
    actor: str = SYSTEM,
    idempotency_key: str | None = None,
) -> Agency:
    """Register a reseller agency of the partner program.

    Its currency must be the catalog's (every price is in it). The referral code of its
    referral link (K1) is derived from its name and id when not given.

    Raises:
        InvalidInput: Listing every bad field.
        DuplicateName: The referral code is taken.
    """
    problems = text_problems({"name": name})
    if not problems and (not name.strip() or len(name) > _MAX_NAME):
        problems.append(FieldProblem("name", f"give 1 to {_MAX_NAME} characters"))
    if problem := email_problem(email):
        problems.append(FieldProblem("email", problem))
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if code != ctx.catalog.currency:
        problems.append(
            FieldProblem(
                "currency",
                f"{quoted(currency)} is not the catalog's currency; agencies are billed in it",
                (ctx.catalog.currency,),
            )
        )
    rate = _rate(reseller_rate, problems)
    wanted_code = referral_code.strip().upper() if referral_code else None
    if wanted_code is not None and not _CODE.fullmatch(wanted_code):
        problems.append(
            FieldProblem("referral_code", "use 2 to 40 letters, digits and hyphens (ACME-DIGITAL)")
        )
    if paypal_email is not None and (problem := email_problem(paypal_email)):
        problems.append(FieldProblem("paypal_email", problem))
    if problems:
        raise InvalidInput("agency", problems)

    def body(work: Work) -> Agency:
        agency_id = work.new_id("agency")
        code_ = wanted_code or f"{_slug(name)}-{agency_id.rsplit('-', 1)[-1].upper()}"
        if work.uow.agencies.by_referral_code(code_) is not None:
            raise DuplicateName("referral code", code_)
        created = Agency(
            id=agency_id,
            name=name.strip(),
            email=email.strip(),
            currency=code,
            reseller_rate=rate,
            referral_code=code_,
            paypal_email=paypal_email.strip() if paypal_email else None,
        )
        work.uow.agencies.add(created)
        work.audit("agency_registered", agency_id, after=created.name, agency_id=agency_id)
        return created

    command = Command(
        "register_agency",
        PLATFORM,
        {
            "name": name,
            "email": email,
            "currency": currency,
            "reseller_rate": number_param(reseller_rate),
            "referral_code": referral_code,
            "paypal_email": paypal_email,
        },
        actor,
        idempotency_key,
    )
    return run_command(ctx, command, body, Agency)


def agency(ctx: Context, agency_id: str) -> Agency:
    """Return the agency.

    Raises:
        NotFound: No such agency.
    """
    return read(ctx, lambda uow: uow.agencies.get(agency_id))


def add_portal_user(
    ctx: Context,
    agency_id: str,
    *,
    email: str,
    name: str,
    actor: str,
    idempotency_key: str | None,
) -> PortalUser:
    """Add an admin to the agency's portal (its email is unique on the platform).

    Raises:
        NotFound: No such agency.
        InvalidInput: Bad email or name.
        DuplicateName: The email belongs to another portal user.
    """
    problems: list[FieldProblem] = []
    if problem := email_problem(email):
        problems.append(FieldProblem("email", problem))
    if problem := text_problem(name):
        problems.append(FieldProblem("name", problem))
    elif not name.strip() or len(name) > _MAX_NAME:
        problems.append(FieldProblem("name", f"give 1 to {_MAX_NAME} characters"))
    if problems:
        raise InvalidInput("portal user", problems)

    def body(work: Work) -> PortalUser:
        work.uow.agencies.get(agency_id)
        user = PortalUser(work.new_id("user"), agency_id, email.strip(), name.strip())
        work.uow.users.add(user)
        work.audit("portal_user_added", user.id, after=user.email)
        return user

    command = Command(
        "add_portal_user", agency_id, {"email": email, "name": name}, actor, idempotency_key
    )
    return run_command(ctx, command, body, PortalUser)


def portal_users(ctx: Context, agency_id: str) -> Listing[PortalUser]:
    """Return the agency's portal users by id.

    Raises:
        NotFound: No such agency.
    """
    with ctx.storage.unit_of_work() as uow:
        uow.agencies.get(agency_id)
        return Listing(uow.users.list(agency_id), "Portal users")


def update_commission_settings(
    ctx: Context,
    agency_id: str,
    *,
    paypal_email: str | None,
    actor: str,
    idempotency_key: str | None,
) -> Agency:
    """Set (or clear, with None) the PayPal email commissions are paid to (K2).

    A payout with no PayPal email is held and the agency notified.

    Raises:
        NotFound: No such agency.
        InvalidInput: The email is not an address.
    """
    cleaned = paypal_email.strip() if paypal_email else None
    if cleaned is not None and (problem := email_problem(cleaned)):
        raise InvalidInput.one("commission settings", "paypal_email", problem)

    def body(work: Work) -> Agency:
        current = work.uow.agencies.get(agency_id)
        stored = work.uow.agencies.update(attrs.evolve(current, paypal_email=cleaned))
        work.audit(
            "commission_settings_changed",
            agency_id,
            before=current.paypal_email,
            after=cleaned,
        )
        return stored

    command = Command(
        "update_commission_settings",
        agency_id,
        {"paypal_email": paypal_email},
        actor,
        idempotency_key,
    )
    return run_command(ctx, command, body, Agency)


# -- tax details (TX1) -----------------------------------------------------------------------

_TAX_ID = re.compile(r"^[A-Z0-9]{4,20}$")


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(
        code
        for code in map(str, babel.Locale("en").territories)
        if len(code) == 2 and code.isalpha()
    )


def _tax_details(country: str | None, tax_id: str | None) -> tuple[str | None, str | None]:
    """Return the country and tax id as stored (upper case, no spaces, dots or hyphens)."""
    problems = text_problems({"country": country, "tax_id": tax_id})
    bad = {problem.field for problem in problems}
    code = country.strip().upper() if country is not None and "country" not in bad else None
    if code is not None and code not in _countries():
        problems.append(
            FieldProblem("country", f"{quoted(country)} is not an ISO 3166 country code (e.g. DE)")
        )
    cleaned = None
    if tax_id is not None and "tax_id" not in bad:
        cleaned = re.sub(r"[\s.\-]", "", tax_id).upper()
        if not _TAX_ID.fullmatch(cleaned):
            problems.append(
                FieldProblem("tax_id", "give 4 to 20 letters and digits (e.g. DE123456789)")
            )
    if problems:
        raise InvalidInput("tax details", problems)
    return code, cleaned or None


def update_tax_details(
    ctx: Context,
    agency_id: str,
    *,
    country: str | None,
    tax_id: str | None,
    actor: str,
    idempotency_key: str | None,
) -> Agency:
    """Set (or clear, with None) the country the agency is established in for tax and its
    tax (VAT) id (TX1): the tax calculator reads them on every invoice issued after.

    The id's format is checked (letters and digits, spaces, dots and hyphens dropped), not
    its registration: a host validates ids with the tax authority (VIES in the EU) before
    it sets them.

    Raises:
        NotFound: No such agency.
        InvalidInput: An unknown country code or a malformed tax id (both reported).
    """
    code, cleaned = _tax_details(country, tax_id)

    def body(work: Work) -> Agency:
        current = work.uow.agencies.get(agency_id)
        stored = work.uow.agencies.update(attrs.evolve(current, country=code, tax_id=cleaned))
        work.audit(
            "tax_details_changed",
            agency_id,
            before=f"{current.country} {current.tax_id}",
            after=f"{code} {cleaned}",
        )
        return stored

    command = Command(
        "update_tax_details",
        agency_id,
        {"country": country, "tax_id": tax_id},
        actor,
        idempotency_key,
    )
    return run_command(ctx, command, body, Agency)
