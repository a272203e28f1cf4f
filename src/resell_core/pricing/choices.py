"""The dependent choices of a plan (rule A9): what may be chosen, and what is wrong.

Versions → products → tiers → contacts and frequency (paid versions only) → account
limits (once the frequency is chosen) → add-ons (only where the catalog allows them,
never SMS for starter: rule C5). Lookups go through a :class:`CatalogIndex` of plain
dicts, built once per catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from resell_core.errors import FieldProblem, quoted
from resell_core.periods import Frequency
from resell_core.pricing.price_book import AddOn, Band, LimitTerms, Tier, Version
from resell_core.pricing.selection import PlanSelection

__all__ = ["CatalogIndex", "LimitChoice", "Options", "options_for", "selection_problems"]


@attrs.frozen
class TierIndex:
    """A tier with its bands, limits and add-ons by name."""

    version: Version
    tier: Tier
    bands: Mapping[int, Band]
    limits: Mapping[str, LimitTerms]
    addons: Mapping[str, AddOn]


class CatalogIndex:
    """Dict lookups over a catalog's versions, products, tiers and add-ons."""

    __slots__ = ("addons", "products", "tiers", "versions")

    def __init__(self, versions: tuple[Version, ...], addons: tuple[AddOn, ...]) -> None:
        self.versions: dict[str, Version] = {v.name: v for v in versions}
        self.addons: dict[str, AddOn] = {a.name: a for a in addons}
        self.products: dict[str, tuple[str, ...]] = {
            v.name: tuple(p.name for p in v.products) for v in versions
        }
        self.tiers: dict[tuple[str, str], dict[str, TierIndex]] = {}
        for version in versions:
            for product in version.products:
                self.tiers[version.name, product.name] = {
                    tier.name: TierIndex(
                        version=version,
                        tier=tier,
                        bands={b.contacts: b for b in tier.bands},
                        limits={lim.name: lim for lim in tier.limits},
                        addons={a.name: a for a in addons if tier.name in a.tiers},
                    )
                    for tier in product.tiers
                }

    def tier(self, version: str, product: str, tier: str) -> TierIndex | None:
        """Return the indexed tier, or None when the path names nothing."""
        return self.tiers.get((version, product), {}).get(tier)


@attrs.frozen
class LimitChoice:
    """What may be chosen for one account limit: its options and custom bounds."""

    name: str
    options: tuple[int, ...]
    default: int
    custom_min: int | None
    custom_max: int | None


@attrs.frozen
class Options:
    """What can be chosen now, field by field, given what was chosen so far.

    A field whose turn has not come (its earlier fields are missing or wrong) offers
    nothing. ``next`` names the first field still to choose (None once a selection is
    complete; limits and add-ons are optional).
    """

    versions: tuple[str, ...]
    products: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    contacts: tuple[int, ...] = ()
    frequencies: tuple[Frequency, ...] = ()
    limits: tuple[LimitChoice, ...] = ()
    addons: tuple[str, ...] = ()
    next: str | None = "version"


def _text(value: object) -> str:
    return str(value)


def selection_problems(index: CatalogIndex, selection: PlanSelection) -> list[FieldProblem]:
    """Return every problem of ``selection`` against the catalog (empty when it is valid)."""
    problems: list[FieldProblem] = []
    version = index.versions.get(selection.version)
    if version is None:
        problems.append(
            FieldProblem(
                "version",
                f"{quoted(selection.version)} is not a pricing version",
                tuple(index.versions),
            )
        )
        return problems
    products = index.products[version.name]
    if selection.product not in products:
        problems.append(
            FieldProblem(
                "product",
                f"{quoted(selection.product)} is not a product of {version.name}",
                products,
            )
        )
        return problems
    tiers = index.tiers[version.name, selection.product]
    found = tiers.get(selection.tier)
    if found is None:
        problems.append(
            FieldProblem(
                "tier",
                f"{quoted(selection.tier)} is not a tier of {version.name} {selection.product}",
                tuple(tiers),
            )
        )
        return problems
    if not version.paid:
        _free_problems(selection, problems)
        return problems
    _paid_problems(found, selection, problems)
    return problems


def _free_problems(selection: PlanSelection, problems: list[FieldProblem]) -> None:
    why = f"{selection.version} {selection.tier} plans have standard terms; leave it empty"
    if selection.contacts is not None:
        problems.append(FieldProblem("contacts", f"contacts are not chosen: {why}"))
    if selection.frequency is not None:
        problems.append(FieldProblem("frequency", f"no billing frequency: {why}"))
    if selection.limits:
        problems.append(FieldProblem("limits", f"limits are standard: {why}"))
    if selection.addons:
        problems.append(FieldProblem("addons", f"no add-ons: {why}"))


def _paid_problems(
    found: TierIndex, selection: PlanSelection, problems: list[FieldProblem]
) -> None:
    plan = f"{selection.version} {selection.product} {selection.tier}"
    if selection.contacts is None:
        problems.append(
            FieldProblem(
                "contacts", f"choose a contact limit for {plan}", tuple(map(_text, found.bands))
            )
        )
    elif selection.contacts not in found.bands:
        problems.append(
            FieldProblem(
                "contacts",
                f"{quoted(selection.contacts)} is not a contact band of {plan}",
                tuple(map(_text, found.bands)),
            )
        )
    if selection.frequency is None:
        problems.append(
            FieldProblem(
                "frequency", f"choose a billing frequency for {plan}", tuple(f for f in Frequency)
            )
        )
        if selection.limits:
            problems.append(
                FieldProblem("limits", "account limits are chosen once the frequency is chosen")
            )
    else:
        for name, value in selection.limits:
            terms = found.limits.get(name)
            if terms is None:
                problems.append(
                    FieldProblem(
                        f"limits.{name}",
                        f"{quoted(name)} is not an account limit of {plan}",
                        tuple(found.limits),
                    )
                )
            elif not terms.accepts(value):
                problems.append(
                    FieldProblem(
                        f"limits.{name}",
                        f"{value} is neither an option nor a custom value within bounds",
                        terms.allowed_text(),
                    )
                )
    for name in selection.addons:
        if name not in found.addons:
            if name == "sms" and selection.tier == "starter":
                message = "the SMS add-on is not available for starter plans; choose plus or above"
            else:
                message = f"the add-on {quoted(name)} is not available for {plan}"
            problems.append(FieldProblem("addons", message, tuple(found.addons)))


def options_for(index: CatalogIndex, partial: Mapping[str, object]) -> Options:
    """Return what can be chosen next given the fields chosen so far in ``partial``.

    Args:
        index: The catalog's index.
        partial: Any of ``version``, ``product``, ``tier``, ``contacts``, ``frequency``
            (missing or None when not chosen yet).

    Returns:
        The choices open at each step; later steps are empty until earlier ones are valid.
    """
    versions = tuple(index.versions)
    version = index.versions.get(str(partial.get("version")))
    if version is None:
        return Options(versions=versions, next="version")
    products = index.products[version.name]
    product = partial.get("product")
    if product not in products:
        return Options(versions=versions, products=products, next="product")
    tiers = index.tiers[version.name, str(product)]
    found = tiers.get(str(partial.get("tier")))
    if found is None:
        return Options(versions=versions, products=products, tiers=tuple(tiers), next="tier")
    if not version.paid:
        return Options(versions=versions, products=products, tiers=tuple(tiers), next=None)
    contacts = tuple(found.bands)
    frequencies = tuple(Frequency)
    chosen_contacts = partial.get("contacts")
    chosen_frequency = partial.get("frequency")
    frequency_ok = chosen_frequency in frequencies
    contacts_ok = chosen_contacts in found.bands
    step = "contacts" if not contacts_ok else ("frequency" if not frequency_ok else None)
    limits: tuple[LimitChoice, ...] = ()
    if frequency_ok:
        limits = tuple(
            LimitChoice(t.name, t.options, t.default, t.custom_min, t.custom_max)
            for t in found.limits.values()
        )
    addons = tuple(found.addons) if contacts_ok and frequency_ok else ()
    return Options(
        versions=versions,
        products=products,
        tiers=tuple(tiers),
        contacts=contacts,
        frequencies=frequencies,
        limits=limits,
        addons=addons,
        next=step,
    )
