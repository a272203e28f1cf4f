"""Consistency checks of a price book: every problem at once, each with where it is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from resell_core.errors import FieldProblem, quoted
from resell_core.money import Money
from resell_core.pricing.changes import ChangeKind, ChangeRule
from resell_core.pricing.price_book import (
    AddOn,
    LimitTerms,
    MigrationDiscount,
    PlanKind,
    Tier,
    Version,
)

__all__ = ["catalog_problems"]

_NO_ADDONS_TIER = "starter"


def _duplicates(names: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


def _listed_once(field: str, part: str, names: Iterable[str], out: list[FieldProblem]) -> None:
    """Add a problem for each name that the list of ``part`` at ``field`` holds twice."""
    for name in _duplicates(names):
        out.append(FieldProblem(field, f"the {part} {quoted(name)} is listed twice"))


def _money(field: str, money: Money | None, currency: str, out: list[FieldProblem]) -> None:
    if money is None:
        return
    if money.currency != currency:
        out.append(FieldProblem(field, f"{money} is not in the catalog's currency", (currency,)))
    if money.is_negative():
        out.append(FieldProblem(field, f"a price cannot be negative ({money})"))


def catalog_problems(
    *,
    currency: str,
    versions: tuple[Version, ...],
    addons: tuple[AddOn, ...],
    migration_discount: MigrationDiscount,
    change_rules: tuple[ChangeRule, ...],
) -> list[FieldProblem]:
    """Return every inconsistency of a price book (empty when it is consistent).

    Checks: unique names at each level; paid tiers have ascending contact bands priced in
    the catalog's currency, annual prices no more than 12 monthly ones (rule R4); free
    tiers have a contact limit; every tier of a paid version is marked paid and every
    tier of a free version a trial or a sandbox, only a trial having a length; limits
    have ascending options and sound custom bounds; add-ons name existing paid tiers and
    never starter (rules A9, C5); the migration rate lies in [0, 1]; the change rules
    cover every kind of change.

    Returns:
        One :class:`FieldProblem` per problem, its field a path such as
        ``"versions.V3.products.marketing.tiers.plus.bands"``.
    """
    out: list[FieldProblem] = []
    _listed_once("versions", "version", (v.name for v in versions), out)
    paid_tiers: set[str] = set()
    for version in versions:
        _version(version, currency, out)
        if version.paid:
            paid_tiers.update(t.name for p in version.products for t in p.tiers)
    _addons(addons, paid_tiers, currency, out)
    _terms(migration_discount, change_rules, out)
    return out


def _version(version: Version, currency: str, out: list[FieldProblem]) -> None:
    vpath = f"versions.{version.name}"
    if not version.products:
        out.append(FieldProblem(f"{vpath}.products", "a version needs at least one product"))
    _listed_once(f"{vpath}.products", "product", (p.name for p in version.products), out)
    for product in version.products:
        ppath = f"{vpath}.products.{product.name}"
        if not product.tiers:
            out.append(FieldProblem(f"{ppath}.tiers", "a product needs at least one tier"))
        _listed_once(f"{ppath}.tiers", "tier", (t.name for t in product.tiers), out)
        for tier in product.tiers:
            tpath = f"{ppath}.tiers.{tier.name}"
            if version.paid:
                _paid_tier(tpath, tier, currency, out)
            else:
                _free_tier(tpath, tier, out)
            _limits(tpath, tier.limits, currency, out)


def _addons(
    addons: tuple[AddOn, ...], paid_tiers: set[str], currency: str, out: list[FieldProblem]
) -> None:
    _listed_once("addons", "add-on", (a.name for a in addons), out)
    for addon in addons:
        apath = f"addons.{addon.name}"
        _money(f"{apath}.monthly", addon.monthly, currency, out)
        _money(f"{apath}.annual", addon.annual, currency, out)
        for tier_name in addon.tiers:
            if tier_name == _NO_ADDONS_TIER:
                out.append(
                    FieldProblem(
                        f"{apath}.tiers",
                        "starter plans have no add-ons (SMS in particular, rule C5)",
                        tuple(sorted(paid_tiers - {_NO_ADDONS_TIER})),
                    )
                )
            elif tier_name not in paid_tiers:
                out.append(
                    FieldProblem(
                        f"{apath}.tiers",
                        f"{quoted(tier_name)} is not a paid tier",
                        tuple(sorted(paid_tiers)),
                    )
                )


def _terms(
    migration_discount: MigrationDiscount,
    change_rules: tuple[ChangeRule, ...],
    out: list[FieldProblem],
) -> None:
    rate = migration_discount.rate
    if not Decimal(0) <= rate <= Decimal(1):
        out.append(
            FieldProblem("migration_discount.rate", f"{quoted(rate)} is not a rate in [0, 1]")
        )
    if migration_discount.cycles < 1:
        out.append(
            FieldProblem("migration_discount.cycles", "the discount lasts at least one cycle")
        )
    kinds = [rule.kind for rule in change_rules]
    for kind in _duplicates(kinds):
        out.append(
            FieldProblem(
                "change_rules", f"a second {quoted(kind)} rule would never match; remove it"
            )
        )
    missing = [k.value for k in ChangeKind if k not in kinds and k is not ChangeKind.FREQUENCY]
    if missing:
        out.append(
            FieldProblem(
                "change_rules",
                f"no rule for {', '.join(missing)} changes: every change needs a rule",
                tuple(k.value for k in ChangeKind),
            )
        )


def _paid_tier(path: str, tier: Tier, currency: str, out: list[FieldProblem]) -> None:
    if not tier.bands:
        out.append(FieldProblem(f"{path}.bands", "a paid tier needs at least one contact band"))
    contacts = [band.contacts for band in tier.bands]
    if contacts != sorted(set(contacts)) or any(c <= 0 for c in contacts):
        out.append(
            FieldProblem(f"{path}.bands", "contact bands must be positive, unique and ascending")
        )
    for band in tier.bands:
        bpath = f"{path}.bands.{band.contacts}"
        _money(f"{bpath}.monthly", band.monthly, currency, out)
        _money(f"{bpath}.annual", band.annual, currency, out)
        if band.monthly.currency == band.annual.currency and band.annual > band.monthly * 12:
            out.append(
                FieldProblem(
                    f"{bpath}.annual",
                    f"the annual price {band.annual} is above 12 monthly prices "
                    f"({band.monthly * 12}); annual plans must not cost more",
                )
            )
    if tier.contact_limit is not None or tier.trial_days is not None:
        out.append(
            FieldProblem(path, "a paid tier's plan size comes from its bands; it has no trial")
        )
    if tier.kind is not PlanKind.PAID:
        out.append(
            FieldProblem(f"{path}.kind", "every tier of a paid version is paid", (PlanKind.PAID,))
        )


def _free_tier(path: str, tier: Tier, out: list[FieldProblem]) -> None:
    if tier.bands:
        out.append(FieldProblem(f"{path}.bands", "a free tier has no contact bands"))
    if tier.contact_limit is None or tier.contact_limit <= 0:
        out.append(FieldProblem(f"{path}.contact_limit", "a free tier needs a positive limit"))
    if tier.trial_days is not None and tier.trial_days <= 0:
        out.append(FieldProblem(f"{path}.trial_days", "a trial lasts at least one day"))
    if tier.kind is PlanKind.PAID:
        out.append(
            FieldProblem(
                f"{path}.kind",
                "a tier of a free version is a trial or a sandbox",
                (PlanKind.TRIAL, PlanKind.SANDBOX),
            )
        )
    elif tier.kind is PlanKind.SANDBOX and tier.trial_days is not None:
        out.append(FieldProblem(f"{path}.trial_days", "a sandbox never ends; only a trial does"))


def _limits(
    path: str, limits: tuple[LimitTerms, ...], currency: str, out: list[FieldProblem]
) -> None:
    _listed_once(f"{path}.limits", "limit", (lim.name for lim in limits), out)
    for lim in limits:
        lpath = f"{path}.limits.{lim.name}"
        options = list(lim.options)
        if not options or options != sorted(set(options)) or options[0] < 0:
            out.append(
                FieldProblem(
                    f"{lpath}.options", "options must be non-empty, unique, ascending and >= 0"
                )
            )
        bounds = (lim.custom_min, lim.custom_max)
        if (bounds[0] is None) != (bounds[1] is None):
            out.append(FieldProblem(lpath, "give both custom bounds or neither"))
        elif lim.custom_min is not None and lim.custom_max is not None:
            if not 0 <= lim.custom_min <= lim.custom_max:
                out.append(FieldProblem(lpath, "custom bounds need 0 <= custom_min <= custom_max"))
            if lim.unit_price is None:
                out.append(
                    FieldProblem(f"{lpath}.unit_price", "a custom value needs a price per unit")
                )
        _money(f"{lpath}.unit_price", lim.unit_price, currency, out)
