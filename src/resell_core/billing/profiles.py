"""Billing profiles: the agency's cards, held as gateway tokens (rules B3, B5, B6).

A profile is added from validated input (:func:`new_profile`), updated
(:func:`update_profile`), and deleted only once no account uses it
(:func:`check_deletable`). An account's profile is changed with
:func:`change_account_profile`; a profile is never created from an account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import attrs

from resell_core.errors import FieldProblem, InvalidInput, NotFound, ProfileInUse
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.text import text_problems

__all__ = [
    "BillingProfile",
    "change_account_profile",
    "check_deletable",
    "deletion_blockers",
    "looks_like_card_number",
    "new_profile",
    "update_profile",
]

# 13 to 19 digits, optionally grouped by single spaces or dashes, is the shape of a card
# number (PAN) whether or not its Luhn check passes; gateway tokens never look like that.
_PAN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d")
_LAST4 = re.compile(r"\d{4}")
_MAX_LABEL = 80
# A gateway's token is an opaque word (tok_…, pm_…, card_1Nv…); a brand a card network's
# name ("visa", "american express"). Anything else is not what the gateway gave (E1).
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{1,255}")
_BRAND = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,39}")


@attrs.define(eq=False)
class BillingProfile:
    """A card of the agency's, known only by the payment gateway's token (B3).

    The raw card number never reaches the library: ``card_token`` is what the gateway
    handed out, ``brand`` and ``last4`` are for display. Aggregates compare by ``id``;
    ``version`` is for optimistic concurrency.
    """

    id: str
    agency_id: str
    label: str
    card_token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    version: int = 0

    def expired_on(self, today: date) -> bool:
        """Tell whether the card has expired by ``today`` (it works to its month's end)."""
        return (self.exp_year, self.exp_month) < (today.year, today.month)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BillingProfile) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def looks_like_card_number(text: str) -> bool:
    """Tell whether ``text`` holds something shaped like a raw card number.

    Example:
        >>> looks_like_card_number("4242 4242 4242 4242")
        True
        >>> looks_like_card_number("tok_visa_4242")
        False
    """
    return _PAN.search(text) is not None


def _label_problems(label: str) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    if not label.strip():
        found.append(FieldProblem("label", "give the card a label such as 'Main Visa'"))
    elif len(label) > _MAX_LABEL:
        found.append(FieldProblem("label", f"keep the label within {_MAX_LABEL} characters"))
    if looks_like_card_number(label):
        found.append(FieldProblem("label", "a label must not hold a card number"))
    return found


def _token_problems(card_token: str) -> list[FieldProblem]:
    if not card_token.strip():
        return [FieldProblem("card_token", "give the token the payment gateway returned")]
    if looks_like_card_number(card_token):
        return [
            FieldProblem(
                "card_token",
                "this is a raw card number; send the card to the payment gateway and give "
                "the token it returns",
            )
        ]
    if not _TOKEN.fullmatch(card_token.strip()):
        return [
            FieldProblem(
                "card_token",
                "a gateway token is 1 to 255 letters, digits and _ . : - (tok_visa_4242)",
            )
        ]
    return []


def _problems(
    *,
    label: str,
    card_token: str,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    today: date,
) -> list[FieldProblem]:
    found = text_problems({"label": label, "card_token": card_token, "brand": brand})
    bad = {problem.field for problem in found}
    if "label" not in bad:
        found += _label_problems(label)
    if "card_token" not in bad:
        found += _token_problems(card_token)
    if "brand" not in bad and not brand.strip():
        found.append(FieldProblem("brand", "give the card brand such as 'visa'"))
    elif "brand" not in bad and not _BRAND.fullmatch(brand.strip()):
        found.append(
            FieldProblem("brand", "a brand is up to 40 letters, digits, spaces, _ and - (visa)")
        )
    if not _LAST4.fullmatch(last4):
        found.append(FieldProblem("last4", "give exactly the last four digits of the card"))
    month_ok = 1 <= exp_month <= 12
    if not month_ok:
        found.append(FieldProblem("exp_month", "an expiry month is 1 to 12"))
    if not 2000 <= exp_year <= 2999:
        found.append(FieldProblem("exp_year", "give the expiry year with four digits"))
    elif month_ok and (exp_year, exp_month) < (today.year, today.month):
        found.append(
            FieldProblem(
                "exp_year", f"the card expired ({exp_month:02d}/{exp_year}); use a valid card"
            )
        )
    return found


def new_profile(
    *,
    id: str,
    agency_id: str,
    label: str,
    card_token: str,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    today: date,
) -> BillingProfile:
    """Build a billing profile from the agency's input, checking every field at once (B3, B5).

    Args:
        id: The new profile's id (from the ids port).
        agency_id: The agency the card belongs to.
        label: A name for the card, shown in the portal.
        card_token: The payment gateway's token for the card; never the card number.
        brand: The card brand, for display.
        last4: The last four digits, for display.
        exp_month: Expiry month, 1 to 12.
        exp_year: Expiry year, four digits.
        today: The day of the request; an expired card is refused.

    Returns:
        The profile, at version 0.

    Raises:
        InvalidInput: Listing every bad field: a raw card number anywhere in the token or
            the label, an expired card, a blank label, token or brand, bad last four digits.
    """
    problems = _problems(
        label=label,
        card_token=card_token,
        brand=brand,
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
        today=today,
    )
    if problems:
        raise InvalidInput("billing profile", problems)
    return BillingProfile(
        id=id,
        agency_id=agency_id,
        label=label.strip(),
        card_token=card_token.strip(),
        brand=brand.strip().lower(),
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
    )


def update_profile(
    profile: BillingProfile,
    *,
    today: date,
    label: str | None = None,
    card_token: str | None = None,
    brand: str | None = None,
    last4: str | None = None,
    exp_month: int | None = None,
    exp_year: int | None = None,
) -> BillingProfile:
    """Return the profile with the given fields changed, validated as a whole (B5).

    Raises:
        InvalidInput: As :func:`new_profile`, for the profile after the change.
    """
    changed = new_profile(
        id=profile.id,
        agency_id=profile.agency_id,
        label=profile.label if label is None else label,
        card_token=profile.card_token if card_token is None else card_token,
        brand=profile.brand if brand is None else brand,
        last4=profile.last4 if last4 is None else last4,
        exp_month=profile.exp_month if exp_month is None else exp_month,
        exp_year=profile.exp_year if exp_year is None else exp_year,
        today=today,
    )
    return attrs.evolve(changed, version=profile.version)


def deletion_blockers(profile: BillingProfile, accounts: Iterable[Account]) -> list[Account]:
    """Return the accounts that still use ``profile``, in name order (B5)."""
    return sorted((a for a in accounts if a.billing_profile_id == profile.id), key=lambda a: a.name)


def check_deletable(profile: BillingProfile, accounts: Iterable[Account]) -> None:
    """Refuse to delete a profile that accounts still use (B5).

    Raises:
        ProfileInUse: Carrying the names of the accounts that use it.
    """
    blockers = deletion_blockers(profile, accounts)
    if blockers:
        raise ProfileInUse(profile.id, [a.name for a in blockers])


def change_account_profile(account: Account, profile: BillingProfile) -> Account:
    """Return the account paid by another existing profile of its agency (B6).

    The profile must already exist: an account never creates one.

    Raises:
        NotFound: When the profile belongs to another agency (tenancy: it does not exist).
    """
    if profile.agency_id != account.agency_id:
        raise NotFound("billing profile", profile.id)
    return attrs.evolve(account, billing_profile_id=profile.id)
