"""The parts of a price book: versions, products, tiers, contact bands, limits, add-ons.

These are plain frozen values; :class:`resell_core.pricing.catalog.Catalog` gathers them
and checks that they agree (:func:`resell_core.pricing.consistency.catalog_problems`).
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from resell_core.errors import FieldProblem, InvalidInput
from resell_core.money import Money
from resell_core.periods import Frequency

__all__ = [
    "MAX_MIGRATION_CYCLES",
    "AddOn",
    "Band",
    "LimitTerms",
    "MigrationDiscount",
    "PlanKind",
    "Product",
    "Tier",
    "Version",
]


@attrs.frozen
class Band:
    """A contact band of a paid tier and its list price per billing cycle.

    Attributes:
        contacts: The contact limit of the band (the plan size).
        monthly: The list price of one month.
        annual: The list price of one year (cheaper than 12 months, so annual plans sell).
    """

    contacts: int
    monthly: Money
    annual: Money

    def price(self, frequency: Frequency) -> Money:
        """Return the list price of one cycle of ``frequency``."""
        return self.monthly if frequency is Frequency.MONTHLY else self.annual


@attrs.frozen
class LimitTerms:
    """An account limit of a tier (users, custom reports, email sends…).

    The listed ``options`` are included in the tier's price; the first is the default.
    A value outside the options is a *custom* value: it must lie within
    ``[custom_min, custom_max]`` and each unit above the largest option costs
    ``unit_price`` a month.

    Attributes:
        name: The limit's name, e.g. ``"users"``.
        options: The standard values, ascending.
        custom_min: The smallest custom value, or None when custom values are not sold.
        custom_max: The largest custom value, or None when custom values are not sold.
        unit_price: The monthly price of one unit above the largest option.
    """

    name: str
    options: tuple[int, ...]
    custom_min: int | None = None
    custom_max: int | None = None
    unit_price: Money | None = None

    @property
    def default(self) -> int:
        """The value an account gets when none is chosen."""
        return self.options[0]

    @property
    def allows_custom(self) -> bool:
        """Tell whether a custom value may be chosen."""
        return self.custom_min is not None and self.custom_max is not None

    def accepts(self, value: int) -> bool:
        """Tell whether ``value`` is one of the options or a custom value within bounds."""
        if value in self.options:
            return True
        return (
            self.custom_min is not None
            and self.custom_max is not None
            and self.custom_min <= value <= self.custom_max
        )

    def extra_units(self, value: int) -> int:
        """Return how many units of ``value`` are paid on top of the tier's price."""
        if value in self.options:
            return 0
        return max(0, value - self.options[-1])

    def allowed_text(self) -> tuple[str, ...]:
        """Return the accepted values as text, for error messages and forms."""
        shown = tuple(str(option) for option in self.options)
        if self.allows_custom:
            shown += (f"custom {self.custom_min}..{self.custom_max}",)
        return shown


class PlanKind(enum.StrEnum):
    """What a tier's plans are to the lifecycle and to billing: the catalog marks each tier.

    A ``paid`` plan is billed at a frequency; a ``trial`` is free until its trial ends
    (TR1) and may then take a paid plan (TR3); a ``sandbox`` is free, never ends and never
    turns into a paid plan (R3).
    """

    TRIAL = "trial"
    SANDBOX = "sandbox"
    PAID = "paid"


@attrs.frozen
class Tier:
    """A tier of a product.

    Paid tiers have contact ``bands`` and account ``limits``. Free tiers (a trial, a
    sandbox) have a fixed ``contact_limit`` and standard ``limits`` (one option each); a
    trial also has its length in days. ``kind`` marks what the tier's plans are: every
    tier of a paid version is ``paid``, every tier of a free version a ``trial`` or a
    ``sandbox``, whatever their names.
    """

    name: str
    bands: tuple[Band, ...] = ()
    limits: tuple[LimitTerms, ...] = ()
    contact_limit: int | None = None
    trial_days: int | None = None
    kind: PlanKind = PlanKind.PAID


@attrs.frozen
class Product:
    """A product of a pricing version, with its tiers."""

    name: str
    tiers: tuple[Tier, ...]


@attrs.frozen
class Version:
    """A pricing version: free (its tiers are trials and sandboxes) or paid.

    The sample catalog's versions are ``V1`` (free) and ``V3`` (paid); a host's catalog
    names its own.
    """

    name: str
    paid: bool
    products: tuple[Product, ...]


@attrs.frozen
class AddOn:
    """An add-on, the tiers that may have it, and its list price per cycle (rule C5)."""

    name: str
    tiers: tuple[str, ...]
    monthly: Money
    annual: Money

    def price(self, frequency: Frequency) -> Money:
        """Return the list price of one cycle of ``frequency``."""
        return self.monthly if frequency is Frequency.MONTHLY else self.annual


MAX_MIGRATION_CYCLES = 120
"""The most billing cycles a migration discount may cover (ten years of months)."""


@attrs.frozen
class MigrationDiscount:
    """A discount on the first ``cycles`` charges of an account moved in from elsewhere.

    Attributes:
        rate: The part of the list value taken off, in [0, 1].
        cycles: How many billing cycles, from the first, get the discount (1 to
            :data:`MAX_MIGRATION_CYCLES`).
    """

    rate: Decimal
    cycles: int = 1

    def check(self) -> None:
        """Refuse a discount given with a quote (E1); a catalog's own is checked with the
        catalog.

        Raises:
            InvalidInput: A rate outside [0, 1] (or not a finite Decimal), or a count of
                cycles outside 1 to 120.
        """
        problems = []
        rate = self.rate
        if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate <= 1:
            problems.append(FieldProblem("rate", "give a Decimal from 0 to 1 (0.25 is 25 %)"))
        cycles = self.cycles
        if type(cycles) is not int or not 1 <= cycles <= MAX_MIGRATION_CYCLES:
            problems.append(
                FieldProblem("cycles", f"give a whole number from 1 to {MAX_MIGRATION_CYCLES}")
            )
        if problems:
            raise InvalidInput("migration discount", problems)

    def applies_to(self, cycle: int) -> bool:
        """Tell whether billing cycle ``cycle`` (0 is the first) gets the discount."""
        return 0 <= cycle < self.cycles
