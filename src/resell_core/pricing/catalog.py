"""The price book: versions, tiers, bands, limits, add-ons, discounts and change rules.

A :class:`Catalog` is data (frozen attrs values) checked for consistency when it is built;
its methods validate plan selections (rule A9), say what can be chosen next, price a
cycle and quote the package details (rule A10). It is also the one place that names the
program's vocabulary: which tiers are trials, sandboxes or paid (:meth:`Catalog.kind`),
which tiers and products the overview filters on. A host loads its own catalog with
:func:`resell_core.serialization.load_catalog`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import NamedTuple

import attrs

from resell_core.errors import CatalogError, FieldProblem, FloatNotAllowed, InvalidInput, quoted
from resell_core.money import Money
from resell_core.periods import Frequency
from resell_core.pricing.changes import (
    DEFAULT_CHANGE_RULES,
    ChangeKind,
    ChangeRule,
    ChangeTiming,
    PlanChange,
    ProratedChange,
    prorate_change,
    restart_term,
)
from resell_core.pricing.choices import (
    CatalogIndex,
    Options,
    TierIndex,
    options_for,
    selection_problems,
)
from resell_core.pricing.consistency import catalog_problems
from resell_core.pricing.price_book import AddOn, MigrationDiscount, PlanKind, Version
from resell_core.pricing.quote import CyclePrice, PackageDetails, PriceLine
from resell_core.pricing.selection import PlanSelection

__all__ = ["PRICE_CACHE_SIZE", "Catalog"]

_DEFAULT_TRIAL_DAYS = 14
_NO_MIGRATION_DISCOUNT = MigrationDiscount(Decimal(0), 1)


def _once(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _rate(value: object, field: str, *, upper_inclusive: bool) -> Decimal:
    if isinstance(value, float):
        raise FloatNotAllowed(f"give {field} as a Decimal or str such as '0.15', never a float")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise InvalidInput.one("quote", field, "a rate is a Decimal such as Decimal('0.15')")
    try:
        rate = Decimal(value)
    except ArithmeticError:
        raise InvalidInput.one("quote", field, f"{quoted(value)} is not a number") from None
    ok = Decimal(0) <= rate <= 1 if upper_inclusive else Decimal(0) <= rate < 1
    if not rate.is_finite() or not ok:
        bounds = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise InvalidInput.one("quote", field, f"{quoted(value)} is not a rate in {bounds}")
    return rate


PRICE_CACHE_SIZE = 1024
"""How many selections' lines and list values each catalog keeps (docs/pricing.md#cache)."""


class _Priced(NamedTuple):
    lines: tuple[PriceLine, ...]
    list_value: Money


def _valid_tier(index: CatalogIndex, selection: PlanSelection) -> TierIndex:
    """Return the tier ``selection`` names, once it is checked (A9), or raise every problem
    of it."""
    problems = selection_problems(index, selection)
    if problems:
        raise InvalidInput("plan selection", problems)
    found = index.tier(selection.version, selection.product, selection.tier)
    assert found is not None  # the selection has no problem, so the path exists
    return found


def _price_cycle(index: CatalogIndex, currency: str, selection: PlanSelection) -> _Priced:
    """Price one cycle of ``selection``: its lines (band, custom limits, add-ons) and their
    total, rounded; validated first (A9)."""
    found = _valid_tier(index, selection)
    lines = [] if selection.contacts is None else _lines(found, selection, selection.contacts)
    return _Priced(tuple(lines), Money.total((line.amount for line in lines), currency).rounded())


def _lines(found: TierIndex, selection: PlanSelection, contacts: int) -> list[PriceLine]:
    frequency = selection.frequency
    if frequency is None:
        return []
    lines = [
        PriceLine(
            f"{selection.tier}, {contacts:,} contacts",
            found.bands[contacts].price(frequency),
        )
    ]
    for name, value in selection.limits:
        terms = found.limits[name]
        units = terms.extra_units(value)
        if units and terms.unit_price is not None:
            lines.append(
                PriceLine(
                    f"custom {name}: {units} above {terms.options[-1]} "
                    f"at {terms.unit_price} a month",
                    terms.unit_price * (units * frequency.months),
                )
            )
    lines.extend(
        PriceLine(f"add-on {name}", found.addons[name].price(frequency))
        for name in selection.addons
    )
    return lines


@attrs.frozen
class Catalog:
    """A price book in one currency; consistent by construction.

    Attributes:
        label: What the catalog is (the sample says that its prices are samples).
        currency: The ISO 4217 currency of every price.
        versions: The pricing versions, free or paid (the sample's: ``V1`` free, ``V3``
            paid); each tier is marked a trial, a sandbox or paid (:class:`PlanKind`).
        addons: The add-ons and the tiers that may have them.
        migration_discount: The terms of the migration discount (rate, cycles).
        change_rules: The ordered plan-change rules; the first that matches applies.

    Raises:
        CatalogError: When the parts disagree; every problem is listed.
    """

    label: str
    currency: str
    versions: tuple[Version, ...]
    addons: tuple[AddOn, ...] = ()
    migration_discount: MigrationDiscount = _NO_MIGRATION_DISCOUNT
    change_rules: tuple[ChangeRule, ...] = DEFAULT_CHANGE_RULES

    def __attrs_post_init__(self) -> None:
        problems = catalog_problems(
            currency=self.currency,
            versions=self.versions,
            addons=self.addons,
            migration_discount=self.migration_discount,
            change_rules=self.change_rules,
        )
        if problems:
            raise CatalogError(f"the catalog {quoted(self.label)}", problems)

    @classmethod
    def sample(cls) -> Catalog:
        """Return the sample catalog, in USD, with sample prices (not the vendor's).

        Example:
            >>> Catalog.sample().currency
            'USD'
        """
        from resell_core.pricing.sample import sample_catalog  # noqa: PLC0415 - cycle

        return sample_catalog()

    @functools.cached_property
    def _index(self) -> CatalogIndex:
        return CatalogIndex(self.versions, self.addons)

    # -- choices (rule A9) -------------------------------------------------------------
    def problems(self, selection: PlanSelection) -> list[FieldProblem]:
        """Return every problem of ``selection`` (empty when it is valid)."""
        return selection_problems(self._index, selection)

    def validate(self, selection: PlanSelection) -> PlanSelection:
        """Check a plan selection against the catalog's dependent choices (rule A9).

        Returns:
            The selection, unchanged, when it is valid.

        Raises:
            InvalidInput: Listing every violation, each naming its field and allowed values.
        """
        _valid_tier(self._index, selection)
        return selection

    def options(self, partial: PlanSelection | Mapping[str, object] | None = None) -> Options:
        """Say what can be chosen next, to drive a form's drop-downs.

        Args:
            partial: The fields chosen so far, as a mapping (``{"version": "V3"}``) or a
                selection; None for an empty form.

        Example:
            >>> Catalog.sample().options({"version": "V3"}).products
            ('marketing', 'automation')
        """
        if partial is None:
            chosen: Mapping[str, object] = {}
        elif isinstance(partial, PlanSelection):
            chosen = {
                "version": partial.version,
                "product": partial.product,
                "tier": partial.tier,
                "contacts": partial.contacts,
                "frequency": partial.frequency,
            }
        else:
            chosen = partial
        return options_for(self._index, chosen)

    @property
    def trial_days(self) -> int:
        """How many days a trial lasts (from the first trial tier that says; default 14)."""
        for version in self.versions:
            for product in version.products:
                for tier in product.tiers:
                    if tier.trial_days is not None:
                        return tier.trial_days
        return _DEFAULT_TRIAL_DAYS

    # -- vocabulary: what the catalog's names are ---------------------------------------
    def kind(self, selection: PlanSelection) -> PlanKind | None:
        """Return the kind the catalog marks the selection's tier with.

        Returns:
            ``trial``, ``sandbox`` or ``paid``; None when the selection's version,
            product and tier name no tier of the catalog.

        Example:
            >>> Catalog.sample().kind(PlanSelection("V1", "EM", "sandbox"))
            <PlanKind.SANDBOX: 'sandbox'>
        """
        found = self._index.tier(selection.version, selection.product, selection.tier)
        return None if found is None else found.tier.kind

    def trial_length(self, selection: PlanSelection) -> int | None:
        """Return how many days a trial on ``selection`` lasts (its tier's length, else the
        default 14); None when the catalog does not mark the selection's tier a trial.

        Example:
            >>> Catalog.sample().trial_length(PlanSelection("V1", "EM", "trial"))
            14
        """
        found = self._index.tier(selection.version, selection.product, selection.tier)
        if found is None or found.tier.kind is not PlanKind.TRIAL:
            return None
        days = found.tier.trial_days
        return _DEFAULT_TRIAL_DAYS if days is None else days

    def offers_addon(self, selection: PlanSelection, addon: str) -> bool:
        """Tell whether the selection's tier may have the add-on ``addon`` (A9, C5).

        Example:
            >>> starter = PlanSelection("V3", "marketing", "starter", 500, "monthly")
            >>> Catalog.sample().offers_addon(starter, "sms")
            False
        """
        found = self._index.tier(selection.version, selection.product, selection.tier)
        return found is not None and addon in found.addons

    @functools.cached_property
    def addon_names(self) -> tuple[str, ...]:
        """The add-ons' names, in catalog order."""
        return tuple(addon.name for addon in self.addons)

    @functools.cached_property
    def version_names(self) -> tuple[str, ...]:
        """The pricing versions' names, in catalog order."""
        return tuple(version.name for version in self.versions)

    @functools.cached_property
    def products(self) -> tuple[str, ...]:
        """Every product's name, in catalog order, each once (the overview's products)."""
        return _once(p.name for v in self.versions for p in v.products)

    @functools.cached_property
    def plan_tiers(self) -> tuple[str, ...]:
        """Every tier's name, in catalog order, each once: what the overview's plan filter
        offers besides ``all`` (O3).

        Example:
            >>> Catalog.sample().plan_tiers
            ('trial', 'sandbox', 'starter', 'plus', 'professional', 'enterprise')
        """
        return _once(t.name for v in self.versions for p in v.products for t in p.tiers)

    def plans_of(self, kind: PlanKind) -> tuple[PlanSelection, ...]:
        """Return the tiers of ``kind`` as plan selections (version, product and tier), in
        catalog order; a paid one still needs its contacts and frequency.

        Example:
            >>> [plan.tier for plan in Catalog.sample().plans_of(PlanKind.TRIAL)]
            ['trial']
        """
        return tuple(
            PlanSelection(version.name, product.name, tier.name)
            for version in self.versions
            for product in version.products
            for tier in product.tiers
            if tier.kind is kind
        )

    # -- prices ------------------------------------------------------------------------
    @functools.cached_property
    def _priced(self) -> Callable[[PlanSelection], _Priced]:
        # The catalog and a selection are immutable, so a valid selection's lines and list
        # value never change: they are kept for the last PRICE_CACHE_SIZE selections
        # priced, however many accounts share them. The cache holds the catalog's index,
        # never the catalog, so it goes with the catalog; a refused selection is not kept.
        return functools.lru_cache(maxsize=PRICE_CACHE_SIZE)(
            functools.partial(_price_cycle, self._index, self.currency)
        )

    def price_lines(self, selection: PlanSelection) -> tuple[PriceLine, ...]:
        """Return the parts of the list price of one cycle: band, add-ons, custom limits.

        Raises:
            InvalidInput: When the selection is not valid.
        """
        return self._priced(selection).lines

    def recurring_price(self, selection: PlanSelection) -> Money:
        """Return the list price of one billing cycle, add-ons and custom limits included.

        Free plans (trials and sandboxes) cost nothing.

        Example:
            >>> cat = Catalog.sample()
            >>> cat.recurring_price(PlanSelection("V3", "marketing", "plus", 2500, "monthly"))
            Money('120.00', 'USD')
        """
        return self._priced(selection).list_value

    def annualised_price(self, selection: PlanSelection) -> Money:
        """Return the list price of a year of the plan, to compare plans of any frequency."""
        price = self.recurring_price(selection)
        if selection.frequency is Frequency.MONTHLY:
            return price * 12
        return price

    def plan_size(self, selection: PlanSelection) -> int:
        """Return the plan's contact limit (a free tier's comes from the catalog)."""
        found = _valid_tier(self._index, selection)
        if selection.contacts is not None:
            return selection.contacts
        return found.tier.contact_limit or 0

    def cycle_price(
        self,
        selection: PlanSelection,
        *,
        reseller_rate: Decimal,
        migration: MigrationDiscount | None = None,
        cycle: int = 0,
    ) -> CyclePrice:
        """Price billing cycle ``cycle`` (0 is the first) of a plan for an agency.

        The reseller discount is ``reseller_rate`` of the list value; the migration
        discount, for the cycles it lasts, is its rate of the list value, never more than
        what the reseller discount leaves. Each is rounded once, half-up.

        Raises:
            InvalidInput: When the selection is not valid or a rate is out of range.
        """
        rate = _rate(reseller_rate, "reseller_rate", upper_inclusive=False)
        return self._discounted(self.recurring_price(selection), rate, migration, cycle)[0]

    def _discounted(
        self, list_value: Money, rate: Decimal, migration: MigrationDiscount | None, cycle: int
    ) -> tuple[CyclePrice, Money]:
        """Price a cycle of list value ``list_value``; ``rate`` is already checked. Return
        the price and what each cycle costs (list value minus reseller discount)."""
        reseller = list_value.scaled(rate)
        rest = list_value - reseller
        if migration is None or not migration.applies_to(cycle):
            return CyclePrice(list_value, Money.zero(self.currency), reseller, rest), rest
        m_rate = _rate(migration.rate, "migration.rate", upper_inclusive=True)
        migration_off = list_value.scaled(m_rate).min(rest)
        return CyclePrice(list_value, migration_off, reseller, rest - migration_off), rest

    # -- plan changes ------------------------------------------------------------------
    def change_kinds(self, current: PlanSelection, new: PlanSelection) -> tuple[ChangeKind, ...]:
        """Return every kind that describes the change from ``current`` to ``new``."""
        kinds: list[ChangeKind] = []
        if (
            current.frequency is not None
            and new.frequency is not None
            and current.frequency is not new.frequency
        ):
            kinds.append(ChangeKind.FREQUENCY)
        before = self.annualised_price(current)
        after = self.annualised_price(new)
        if after > before:
            kinds.append(ChangeKind.UPGRADE)
        elif after < before:
            kinds.append(ChangeKind.DOWNGRADE)
        else:
            kinds.append(ChangeKind.LATERAL)
        return tuple(kinds)

    def change_rule(self, current: PlanSelection, new: PlanSelection) -> ChangeRule:
        """Return the first of the catalog's change rules that matches the change.

        Raises:
            InvalidInput: When a selection is not valid or the plans are the same.
        """
        if current == new:
            raise InvalidInput.one(
                "plan change", "plan", "the new plan is the current plan; choose another one"
            )
        kinds = self.change_kinds(current, new)
        for rule in self.change_rules:
            if rule.kind in kinds:
                return rule
        # The consistency check makes the rules cover upgrade, downgrade and lateral.
        raise AssertionError("unreachable: the change rules cover every change")

    # -- package details (rule A10) ----------------------------------------------------
    def quote(
        self,
        selection: PlanSelection,
        *,
        reseller_rate: Decimal = Decimal(0),
        migration: MigrationDiscount | None = None,
        change: PlanChange | None = None,
    ) -> PackageDetails:
        """Return the package details of a new plan, or of a change of plan mid-term.

        Args:
            selection: The plan to quote.
            reseller_rate: The agency's reseller discount rate, in [0, 1).
            migration: The migration discount of an account moved in (new accounts only).
            change: For a change of plan: the current plan, what was billed for the
                current period, the period and the change date.

        Raises:
            InvalidInput: When the selection or a rate is not valid, or a migration
                discount is asked for a change of plan.
        """
        if change is not None and migration is not None:
            raise InvalidInput.one(
                "quote", "migration", "a migration discount applies to new accounts only"
            )
        # What cycle_price does, in its order (the rate, then the selection), keeping the lines.
        rate = _rate(reseller_rate, "reseller_rate", upper_inclusive=False)
        lines, list_value = self._priced(selection)
        price, recurring = self._discounted(list_value, rate, migration, 0)
        prorated: ProratedChange | None = None
        rule: ChangeRule | None = None
        effective_on = None
        due_today = price.net
        if change is not None:
            rule = self.change_rule(change.current, selection)
            zero = Money.zero(self.currency)
            if rule.timing is ChangeTiming.END_OF_TERM:
                effective_on = change.period.end
                due_today = zero
            else:
                effective_on = change.on
                prorate = restart_term if rule.timing is ChangeTiming.NEW_TERM else prorate_change
                prorated = prorate(change.billed, price.net, change.period, change.on)
                due_today = prorated.net.max(zero)
        return PackageDetails(
            selection=selection,
            label=self.label,
            lines=lines,
            list_value=price.list_value,
            migration_discount=price.migration_discount,
            reseller_discount=price.reseller_discount,
            reseller_rate=rate,
            migration_rate=migration.rate if migration is not None else Decimal(0),
            recurring=recurring,
            prorated=prorated,
            change=change,
            rule=rule,
            effective_on=effective_on,
            due_today=due_today,
        )

    def __str__(self) -> str:
        lines = [self.label]
        for version in self.versions:
            for product in version.products:
                for tier in product.tiers:
                    if tier.bands:
                        bands = ", ".join(
                            f"{b.contacts:,}: {b.monthly.amount}/mo {b.annual.amount}/yr"
                            for b in tier.bands
                        )
                    else:
                        bands = f"{tier.contact_limit:,} contacts, free"
                    lines.append(f"  {version.name} {product.name} {tier.name}: {bands}")
        return "\n".join(lines)
