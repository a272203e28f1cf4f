"""What an agency types to add an account, and the checks on it (rules A2-A9).

Every check reports all bad fields at once (:class:`~resell_core.errors.InvalidInput`).
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from decimal import Decimal

import attrs
import babel
from babel.core import UnknownLocaleError

from resell_core.errors import FieldProblem, InvalidInput, quoted
from resell_core.lifecycle.account import AccountKind
from resell_core.lifecycle.names import (
    check_account_name,
    custom_domain_problem,
    email_problem,
    host_name_problem,
)
from resell_core.lifecycle.text import text_problems
from resell_core.pricing.catalog import Catalog
from resell_core.pricing.price_book import MigrationDiscount
from resell_core.pricing.selection import PlanSelection

__all__ = ["DataResidency", "NewAccount", "migration_problems", "validate_new_account"]

_MAX_CLIENT_NAME = 200


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(
        code
        for code in map(str, babel.Locale("en").territories)
        if len(code) == 2 and code.isalpha()
    )


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _language(value: str) -> str | None:
    try:
        return str(babel.Locale.parse(value.replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


_EU_EEA = (
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK"
)


@attrs.frozen
class DataResidency:
    """The policy mapping a country to the data-center region nearest to it (A6).

    Example:
        >>> DataResidency().region_for("DE"), DataResidency().region_for("JP")
        ('eu', 'us')
    """

    regions: Mapping[str, str] = attrs.field(
        factory=lambda: {
            **dict.fromkeys(_EU_EEA.split(), "eu"),
            "US": "us",
            "CA": "us",
            "AU": "au",
            "NZ": "au",
        }
    )
    default_region: str = "us"

    def region_for(self, country: str) -> str:
        """Return the region for an ISO 3166 country code (the default region when unlisted)."""
        return self.regions.get(country.upper(), self.default_region)


@attrs.frozen
class NewAccount:
    """The add-account form (A1-A9): what the agency chose, before any check.

    Use :func:`validate_new_account` (or :func:`resell_core.lifecycle.open_account`, which
    calls it). ``migration``: the migration discount of an account moved in from elsewhere
    (A10, T3), within the catalog's own terms; None for none.
    """

    name: str
    client_name: str
    notification_email: str
    country: str
    language: str
    timezone: str
    plan: PlanSelection
    custom_domain: str | None = None
    billing_profile_id: str | None = None
    snapshot_id: str | None = None
    kind: AccountKind = AccountKind.RESOLD
    migration: MigrationDiscount | None = None


def validate_new_account(
    new: NewAccount, *, hosting_domain: str | None = None, catalog: Catalog | None = None
) -> NewAccount:
    """Check every field of ``new`` and return it normalised.

    Normalises the name and domain to lower case, the country to upper case and the
    language to babel's form (``pt-br`` -> ``pt_BR``). Every text field first passes the
    text rule (E1, :func:`~resell_core.lifecycle.text.text_problem`).

    Args:
        new: The add-account form.
        hosting_domain: The vendor's domain of the account sites: a custom domain under
            it is refused (A3). None skips that check (the caller makes it).
        catalog: The price book whose versions and tiers the plan must name, and whose
            marks say which plans are paid (the sample catalog when None). The plan's
            full check is :meth:`~resell_core.Catalog.validate`.

    Raises:
        InvalidInput: Listing every bad field at once.
    """
    problems = text_problems(
        {
            "name": new.name,
            "client_name": new.client_name,
            "notification_email": new.notification_email,
            "country": new.country,
            "language": new.language,
            "timezone": new.timezone,
            "custom_domain": new.custom_domain,
            "billing_profile_id": new.billing_profile_id,
            "snapshot_id": new.snapshot_id,
        }
    )
    bad = {problem.field for problem in problems}
    name = check_account_name(new.name)
    if "name" not in bad:
        problems += [FieldProblem("name", p) for p in name.problems]
    domain = new.custom_domain.strip().lower() if new.custom_domain else None
    if domain is not None and "custom_domain" not in bad:
        problem = (
            host_name_problem(domain)
            if hosting_domain is None
            else custom_domain_problem(domain, hosting_domain=hosting_domain)
        )
        if problem:
            problems.append(FieldProblem("custom_domain", problem))
    if "client_name" not in bad and (
        not new.client_name.strip() or len(new.client_name) > _MAX_CLIENT_NAME
    ):
        problems.append(FieldProblem("client_name", f"give 1 to {_MAX_CLIENT_NAME} characters"))
    if "notification_email" not in bad and (problem := email_problem(new.notification_email)):
        problems.append(FieldProblem("notification_email", problem))
    country = new.country.strip().upper()
    if "country" not in bad and country not in _countries():
        problems.append(
            FieldProblem(
                "country", f"{quoted(new.country)} is not an ISO 3166 country code (e.g. DE)"
            )
        )
    language = None if "language" in bad else _language(new.language)
    if language is None and "language" not in bad:
        problems.append(FieldProblem("language", f"{quoted(new.language)} is not a known locale"))
    if "timezone" not in bad and new.timezone not in _timezones():
        problems.append(
            FieldProblem(
                "timezone", f"{quoted(new.timezone)} is not an IANA time zone (Europe/Paris)"
            )
        )
    book = catalog or Catalog.sample()
    problems += _plan_problems(new, book)
    problems += migration_problems(new.migration, book)
    if problems or language is None:
        raise InvalidInput("new account", problems)
    return attrs.evolve(
        new,
        name=name.name,
        custom_domain=domain,
        country=country,
        language=language,
        client_name=new.client_name.strip(),
    )


def _plan_problems(new: NewAccount, catalog: Catalog) -> list[FieldProblem]:
    plan = new.plan
    version = next((v for v in catalog.versions if v.name == plan.version), None)
    if version is None:
        return [
            FieldProblem(
                "plan.version", f"{quoted(plan.version)} is unknown", catalog.version_names
            )
        ]
    tiers = tuple(sorted({t.name for p in version.products for t in p.tiers}))
    if plan.tier not in tiers:
        return [
            FieldProblem("plan.tier", f"{quoted(plan.tier)} is not a {plan.version} tier", tiers)
        ]
    paid = version.paid  # every tier of a paid version is marked paid
    if paid and plan.frequency is None:
        return [FieldProblem("plan.frequency", "a paid plan needs a billing frequency")]
    if paid and new.kind is AccountKind.RESOLD and not new.billing_profile_id:
        return [FieldProblem("billing_profile_id", "a paid plan needs a billing profile")]
    return []


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


def migration_problems(
    asked: MigrationDiscount | None, catalog: Catalog, field: str = "migration"
) -> list[FieldProblem]:
    """Return what is wrong with a migration discount asked for a new account (A10, T3).

    A discount is allowed where the catalog sets one (a rate above zero), and within its
    terms: no higher a rate, for no more cycles. None asks for none and is always right.
    """
    if asked is None:
        return []
    try:
        asked.check()
    except InvalidInput as error:
        return [FieldProblem(f"{field}.{p.field}", p.message) for p in error.problems]
    allowed = catalog.migration_discount
    if not allowed.rate:
        return [FieldProblem(field, "the catalog sets no migration discount: leave it out")]
    if asked.rate > allowed.rate or asked.cycles > allowed.cycles:
        return [
            FieldProblem(
                field,
                f"the catalog allows at most {_percent(allowed.rate)} off the first "
                f"{allowed.cycles} cycle(s)",
            )
        ]
    return []
