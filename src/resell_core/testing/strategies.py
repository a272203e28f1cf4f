"""Hypothesis strategies for every domain type, in one module, grown with the domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from operator import attrgetter

import attrs
from hypothesis import strategies as st

from resell_core.agency import Agency
from resell_core.audit import AuditEvent
from resell_core.billing.gateway import ChargeOutcome
from resell_core.billing.invoices import TaxLine
from resell_core.billing.ledger import CreditKind
from resell_core.billing.profiles import BillingProfile
from resell_core.lifecycle import actions as lifecycle_action_types
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus, PendingChange
from resell_core.lifecycle.account_query import (
    COLUMNS,
    PLAN_TIERS,
    AccountQuery,
    ColumnSpec,
    ColumnType,
    Filter,
    FilterOp,
    OverviewColumn,
    PlanFilter,
    SortKey,
    StatusFilter,
    operators_for,
)
from resell_core.lifecycle.branding import Branding
from resell_core.money import Money
from resell_core.periods import Frequency, Period, nth_period
from resell_core.pricing import (
    Catalog,
    LimitTerms,
    MigrationDiscount,
    PlanSelection,
    Product,
    Tier,
)
from resell_core.testing.hostile import HOSTILE, Intended

__all__ = [
    "ChangeCase",
    "ForecastAccount",
    "account_queries",
    "action_sequences",
    "agencies",
    "amounts",
    "audit_events",
    "billing_profiles",
    "catalogs",
    "change_cases",
    "charge_outcomes",
    "credit_kinds",
    "currencies",
    "days",
    "final_charge_outcomes",
    "forecast_accounts",
    "frequencies",
    "hostile_amounts",
    "hostile_choices",
    "hostile_dates",
    "hostile_datetimes",
    "hostile_quantities",
    "hostile_texts",
    "hostile_values",
    "json_scalars",
    "json_values",
    "lifecycle_accounts",
    "lifecycle_actions",
    "lifecycle_brandings",
    "lifecycle_days",
    "lifecycle_plans",
    "migration_discounts",
    "money",
    "overview_account_lists",
    "overview_accounts",
    "overview_filters",
    "periods",
    "plan_selections",
    "prepaid_amounts",
    "reseller_rates",
    "scale_factors",
    "sort_keys",
    "tax_lines",
    "wide_decimals",
]

# -- foundation -------------------------------------------------------------------------

currencies = st.sampled_from(["USD", "EUR", "JPY", "BHD", "GBP"])
"""Currencies with 0, 2 and 3 minor-unit digits."""

frequencies = st.sampled_from(list(Frequency))

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
"""Calendar days, leap days and month ends included."""


def amounts(max_value: int = 10**9, places: int = 4) -> st.SearchStrategy[Decimal]:
    """Decimals with up to ``places`` decimal places, positive or negative."""
    return st.decimals(
        min_value=-max_value,
        max_value=max_value,
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


@st.composite
def money(draw: st.DrawFn, currency: str | None = None, min_value: int = -(10**9)) -> Money:
    """Money of ``currency`` (or a random one)."""
    code = currency if currency is not None else draw(currencies)
    value = draw(amounts())
    if value < min_value:
        value = Decimal(min_value)
    return Money(value, code)


def wide_decimals(max_digits: int = 80) -> st.SearchStrategy[Decimal]:
    """Finite Decimals of up to ``max_digits`` digits, more than a decimal context's usual
    precision holds, of every size money holds (from 10**-24 to below 10**24)."""
    lengths = st.integers(1, max_digits)
    return st.builds(
        lambda sign, coefficient, size: Decimal(
            f"{sign}{coefficient}E{size - len(str(coefficient)) + 1}"
        ),
        st.sampled_from(["", "-"]),
        lengths.flatmap(lambda n: st.integers(10 ** (n - 1), 10**n - 1)),
        st.integers(-24, 23),
    )


scale_factors: st.SearchStrategy[Fraction | Decimal | int] = st.one_of(
    amounts(max_value=10, places=6),
    wide_decimals(),
    st.integers(-(10**40), 10**40),
    st.fractions(max_denominator=10**6),
)
"""What money may be scaled by: rates, wide Decimals, ints and exact fractions."""


@st.composite
def periods(draw: st.DrawFn) -> Period:
    """Half-open periods of 1 to 400 days."""
    start = draw(days)
    return Period(start, start + timedelta(days=draw(st.integers(1, 400))))


# -- pricing ----------------------------------------------------------------------------

reseller_rates = st.decimals(min_value=0, max_value=Decimal("0.99"), places=2)
"""Reseller discount rates in [0, 1)."""

migration_discounts = st.builds(
    MigrationDiscount,
    rate=st.decimals(min_value=0, max_value=1, places=2),
    cycles=st.integers(1, 12),
)
"""Migration-discount terms: a rate in [0, 1] for 1 to 12 cycles."""


def _scaled_tier(tier: Tier, factor: Decimal, keep: int) -> Tier:
    bands = tuple(
        attrs.evolve(band, monthly=band.monthly * factor, annual=band.annual * factor)
        for band in tier.bands[: max(1, keep)]
    )
    return attrs.evolve(tier, bands=bands)


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    """Consistent catalogs: the sample with prices scaled, bands dropped, other terms."""
    sample = Catalog.sample()
    factor = draw(st.decimals(min_value=Decimal("0.5"), max_value=5, places=2))
    keep = draw(st.integers(1, 7))
    versions = tuple(
        attrs.evolve(
            version,
            products=tuple(
                Product(p.name, tuple(_scaled_tier(t, factor, keep) for t in p.tiers))
                for p in version.products
            ),
        )
        if version.paid
        else version
        for version in sample.versions
    )
    trial_days = draw(st.integers(1, 60))
    versions = tuple(
        v
        if v.paid
        else attrs.evolve(
            v,
            products=tuple(
                Product(
                    p.name,
                    tuple(
                        attrs.evolve(t, trial_days=trial_days) if t.trial_days else t
                        for t in p.tiers
                    ),
                )
                for p in v.products
            ),
        )
        for v in versions
    )
    return attrs.evolve(sample, versions=versions, migration_discount=draw(migration_discounts))


def _limit_value(draw: st.DrawFn, terms: LimitTerms) -> int:
    if terms.custom_min is not None and terms.custom_max is not None and draw(st.booleans()):
        return draw(st.integers(terms.custom_min, terms.custom_max))
    return draw(st.sampled_from(terms.options))


@st.composite
def plan_selections(
    draw: st.DrawFn, catalog: Catalog | None = None, *, paid: bool | None = None
) -> PlanSelection:
    """Valid plan selections of ``catalog`` (the sample by default), drawn as a form would.

    Each field is drawn from what :meth:`Catalog.options` offers given the fields before.

    Args:
        catalog: The catalog; the sample when None.
        paid: True for V3 plans only, False for V1 only, None for either.
    """
    cat = catalog if catalog is not None else Catalog.sample()
    versions = [v.name for v in cat.versions if paid is None or v.paid is paid]
    partial: dict[str, object] = {"version": draw(st.sampled_from(versions))}
    partial["product"] = draw(st.sampled_from(cat.options(partial).products))
    partial["tier"] = draw(st.sampled_from(cat.options(partial).tiers))
    offered = cat.options(partial)
    if not offered.contacts:
        return PlanSelection(str(partial["version"]), str(partial["product"]), str(partial["tier"]))
    contacts = draw(st.sampled_from(offered.contacts))
    frequency = draw(st.sampled_from(offered.frequencies))
    partial.update(contacts=contacts, frequency=frequency)
    offered = cat.options(partial)
    tier = next(
        t
        for v in cat.versions
        if v.name == partial["version"]
        for p in v.products
        if p.name == partial["product"]
        for t in p.tiers
        if t.name == partial["tier"]
    )
    chosen = draw(st.lists(st.sampled_from(tier.limits), unique_by=lambda t: t.name))
    limits = {terms.name: _limit_value(draw, terms) for terms in chosen}
    addons = draw(st.lists(st.sampled_from(offered.addons), unique=True)) if offered.addons else []
    return PlanSelection(
        version=str(partial["version"]),
        product=str(partial["product"]),
        tier=str(partial["tier"]),
        contacts=contacts,
        frequency=frequency,
        limits=limits,
        addons=addons,
    )


# -- plan changes and their previews (P1) -----------------------------------------------

prepaid_amounts = st.decimals(min_value=0, max_value=400, places=2)
"""Prepaid balances a preview's split draws on: zero up to more than a change costs."""


@attrs.frozen
class ChangeCase:
    """An account's plan change to preview and then make.

    Attributes:
        current: The account's paid plan, billed for its first period.
        new: The plan it changes to (never the current one).
        day: How many days into the billed period the change is made.
        earmarked: Prepaid credit earmarked for the account before the change.
        pool: Prepaid credit in its billing profile's pool before the change.
        first: A plan it changed to at once earlier in the period, or None.
    """

    current: PlanSelection
    new: PlanSelection
    day: int
    earmarked: Decimal
    pool: Decimal
    first: PlanSelection | None = None


@st.composite
def change_cases(draw: st.DrawFn, catalog: Catalog | None = None) -> ChangeCase:
    """Plan changes of a billed account of ``catalog`` (the sample by default): any two
    different paid plans, a day of the first period (a month of 28 days at least, a
    year of 365), prepaid balances, and sometimes an earlier change in the period."""
    current = draw(plan_selections(catalog, paid=True))
    new = draw(plan_selections(catalog, paid=True).filter(lambda plan: plan != current))
    first = draw(
        st.none() | plan_selections(catalog, paid=True).filter(lambda p: p not in (current, new))
    )
    last = 364 if current.frequency is Frequency.ANNUAL else 27
    return ChangeCase(
        current=current,
        new=new,
        day=draw(st.integers(0, last)),
        earmarked=draw(prepaid_amounts),
        pool=draw(prepaid_amounts),
        first=first,
    )


# -- lifecycle --------------------------------------------------------------------------

lifecycle_days = st.dates(min_value=date(2022, 1, 1), max_value=date(2025, 12, 31))
"""Days around the 2023-01-03 renewal cutoff (R2)."""

_PAID_TIERS = ("starter", "plus", "professional", "enterprise")

lifecycle_plans = st.one_of(
    st.builds(PlanSelection, st.just("V1"), st.just("EM"), st.sampled_from(["trial", "sandbox"])),
    st.builds(
        PlanSelection,
        st.just("V3"),
        st.sampled_from(["marketing", "automation"]),
        st.sampled_from(_PAID_TIERS),
        st.sampled_from([500, 2500, 10000]),
        st.sampled_from(list(Frequency)),
    ),
)
"""Trial, sandbox and paid plan selections, as the lifecycle sees them."""

lifecycle_brandings = st.builds(
    Branding,
    st.just("https://cdn.acme-digital.test/logo.png"),
    st.sampled_from(["#0A3D62", "#F8C291"]),
    st.sampled_from(["#FFFFFF", "#1E272E"]),
    st.sampled_from(["Acme Mail", "Bakery News"]),
    st.sampled_from(["branded", "private"]),
)


@st.composite
def lifecycle_accounts(draw: st.DrawFn, status: AccountStatus | None = None) -> Account:
    """Coherent resold accounts in any status (or ``status``), billed for 0-3 periods; a
    paid one may carry a migration discount."""
    state = status if status is not None else draw(st.sampled_from(list(AccountStatus)))
    plan = draw(lifecycle_plans)
    created = draw(lifecycle_days)
    later = st.integers(0, 500).map(lambda n: created + timedelta(days=n))
    anchor = created if plan.is_paid else None
    billed = (
        draw(st.integers(0, 3)) if anchor is not None and state is not AccountStatus.CREATING else 0
    )
    paid_through = None
    if anchor is not None and plan.frequency is not None and billed:
        paid_through = nth_period(anchor, plan.frequency, billed - 1).end
    pending = None
    if plan.is_paid and state in (AccountStatus.ACTIVE, AccountStatus.DISABLED):
        other = draw(st.none() | lifecycle_plans.filter(lambda p: p.is_paid))
        pending = None if other is None else PendingChange(other, paid_through or created)
    return Account(
        id=f"acc-{draw(st.integers(0, 10**6)):07d}",
        agency_id="ACME-DIGITAL",
        name=draw(st.sampled_from(["north-bakery", "rose-florist", "yoga-loft"])),
        client_name="North Bakery",
        notification_email="ops@acme-digital.test",
        country="DE",
        region="eu",
        language="de",
        timezone="Europe/Berlin",
        plan=plan,
        created_on=created,
        status=state,
        billing_profile_id=draw(st.sampled_from([None, "card-1"])),
        purchased_on=created if plan.is_paid else None,
        trial_ends_on=created + timedelta(days=14) if plan.tier == "trial" else None,
        anchor=anchor,
        next_period=billed,
        paid_through=paid_through,
        cancelled_on=draw(later) if state is AccountStatus.CANCELLED else None,
        archived_on=draw(later) if state is AccountStatus.ARCHIVED else None,
        expired_on=draw(later) if state is AccountStatus.EXPIRED else None,
        disabled_message="Unpaid invoice" if state is AccountStatus.DISABLED else None,
        pending_change=pending,
        extra_trial_used=draw(st.booleans()) if plan.tier == "trial" else False,
        migration=draw(st.none() | migration_discounts) if plan.is_paid else None,
        branding=draw(st.none() | lifecycle_brandings),
    )


_A = lifecycle_action_types
lifecycle_actions: st.SearchStrategy[_A.Action] = st.one_of(
    st.sampled_from(
        [
            _A.Provisioned(),
            _A.EndTrial(),
            _A.WithdrawPendingChange(),
            _A.ApplyPendingChange(),
            _A.Enable(),
            _A.Archive(),
            _A.DunningExhausted(),
        ]
    ),
    st.builds(_A.ProvisioningFailed, st.just("no capacity in eu")),
    st.builds(_A.Upgrade, lifecycle_plans, st.sampled_from(_A.TIMINGS)),
    st.builds(_A.Downgrade, lifecycle_plans, st.sampled_from(_A.TIMINGS)),
    st.builds(_A.ChangePlan, lifecycle_plans, st.sampled_from([None, "card-2"])),
    st.builds(_A.Cancel, st.just("client closed the shop")),
    st.builds(_A.Disable, st.just("Please call ACME-DIGITAL")),
    st.builds(_A.Renew, st.sampled_from([None, "card-2"])),
    st.builds(_A.ChangeNotificationEmail, st.sampled_from(["billing@acme.test", "not-an-email"])),
    st.builds(_A.ChangeBillingProfile, st.just("card-2")),
    st.builds(_A.ChangeBranding, st.none() | lifecycle_brandings),
    st.builds(_A.ChangeCustomDomain, st.sampled_from([None, "mail.north-bakery.test", "bad..x"])),
)
"""Every kind of lifecycle action, with good and bad parameters."""

action_sequences = st.lists(st.tuples(lifecycle_actions, st.integers(0, 120)), max_size=25)
"""Actions, each with the days passed since the one before."""

# -- lifecycle: overview (accounts overview queries, O1-O8) -----------------------------

_OVERVIEW_DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 2, 15))
_OVERVIEW_TEXTS = (
    "north-bakery",
    "acme-digital",
    "rose-florist",
    "North Bakery",
    "ACME Digital",
    "Ärztehaus Süd",
    "ops@north-bakery.test",
    "Hello@Yoga.TEST",
    "news.acme.example",
    "DE",
    "AT",
    "de",
    "en",
    "eu",
    "us",
    "marketing",
    "automation",
    "EM",
    "card-1",
    "card-2",
    "Europe/Berlin",
)
_OVERVIEW_NEEDLES = ("a", "bakery", "ACME", "ärzte", "@", ".test", "north b", "zzz")


@st.composite
def overview_accounts(draw: st.DrawFn) -> Account:
    """Accounts drawn from small pools, so that overview filters match and sort keys tie."""
    tier = draw(st.sampled_from(PLAN_TIERS))
    if tier in ("trial", "sandbox"):
        plan = PlanSelection("V1", "EM", tier)
    else:
        plan = PlanSelection(
            "V3",
            draw(st.sampled_from(["marketing", "automation"])),
            tier,
            draw(st.sampled_from([None, 500, 2500, 10000])),
            draw(st.sampled_from(list(Frequency))),
        )
    maybe_day = st.none() | _OVERVIEW_DAYS
    return Account(
        id=f"acc-{draw(st.integers(0, 10**6)):07d}",
        agency_id="ACME-DIGITAL",
        name=draw(st.sampled_from(["north-bakery", "acme-digital", "rose-florist", "zeta"])),
        client_name=draw(st.sampled_from(["North Bakery", "ACME Digital", "Ärztehaus Süd"])),
        notification_email=draw(st.sampled_from(["ops@north-bakery.test", "Hello@Yoga.TEST"])),
        country=draw(st.sampled_from(["DE", "AT", "US"])),
        region=draw(st.sampled_from(["eu", "us"])),
        language=draw(st.sampled_from(["de", "en"])),
        timezone="Europe/Berlin",
        plan=plan,
        created_on=draw(_OVERVIEW_DAYS),
        status=draw(st.sampled_from(list(AccountStatus))),
        kind=draw(st.sampled_from(list(AccountKind))),
        custom_domain=draw(st.none() | st.just("news.acme.example")),
        billing_profile_id=draw(st.sampled_from([None, "card-1", "card-2"])),
        paid_through=draw(maybe_day),
        trial_ends_on=draw(maybe_day),
        cancelled_on=draw(maybe_day),
        archived_on=draw(maybe_day),
    )


overview_account_lists = st.lists(overview_accounts(), max_size=25, unique_by=lambda a: a.id)
"""One agency's accounts for the overview (unique ids)."""


def _overview_scalars(spec: ColumnSpec) -> st.SearchStrategy[object]:
    if spec.type is ColumnType.NUMBER:
        return st.sampled_from([500, 2500, 10000])
    if spec.type is ColumnType.DATE:
        return _OVERVIEW_DAYS
    if spec.type is ColumnType.CHOICE:
        return st.sampled_from(spec.choices or (*PLAN_TIERS, "V1", "V3"))
    return st.sampled_from(_OVERVIEW_TEXTS)


@st.composite
def overview_filters(draw: st.DrawFn) -> Filter:
    """Valid attribute filters (O4) over every column and operator."""
    column = draw(st.sampled_from(list(OverviewColumn)))
    spec = COLUMNS[column]
    op = draw(st.sampled_from(operators_for(column)))
    value: object
    if op is FilterOp.IS_NULL:
        value = draw(st.booleans())
    elif op is FilterOp.IN:
        value = draw(st.lists(_overview_scalars(spec), min_size=1, max_size=3))
    elif op is FilterOp.CONTAINS:
        value = draw(st.sampled_from(_OVERVIEW_NEEDLES))
    else:
        value = draw(_overview_scalars(spec))
    return Filter(column, op, value)


sort_keys = st.builds(SortKey, st.sampled_from(list(OverviewColumn)), st.booleans())
"""One overview sort key, ascending or descending."""


@st.composite
def account_queries(draw: st.DrawFn, max_limit: int = 6) -> AccountQuery:
    """Valid overview queries (first page): filters, search, sort, columns and limit."""
    sort = draw(st.lists(sort_keys, min_size=1, max_size=3, unique_by=lambda k: k.column))
    columns = draw(
        st.lists(st.sampled_from(list(OverviewColumn)), min_size=1, max_size=4, unique=True)
    )
    # "all", no filter and no search are drawn often, so that most queries match accounts.
    return AccountQuery(
        status=draw(st.just(StatusFilter.ALL) | st.sampled_from(list(StatusFilter))),
        plan=draw(st.just(PlanFilter.ALL) | st.sampled_from(list(PlanFilter))),
        filters=draw(st.just([]) | st.lists(overview_filters(), max_size=2)),
        search=draw(st.none() | st.none() | st.sampled_from(_OVERVIEW_NEEDLES)),
        sort=sort,
        columns=columns,
        limit=draw(st.integers(1, max_limit)),
    )


# -- billing ----------------------------------------------------------------------------

charge_outcomes = st.sampled_from(list(ChargeOutcome))
"""Any answer of a payment gateway, including pending, not_attempted and unknown."""

final_charge_outcomes = st.sampled_from([ChargeOutcome.SUCCEEDED, ChargeOutcome.DECLINED])
"""What a pending or unknown charge turns out to have been, once looked up."""

credit_kinds = st.sampled_from(list(CreditKind))


@st.composite
def billing_profiles(draw: st.DrawFn, agency_id: str = "ACME-DIGITAL") -> BillingProfile:
    """Valid billing profiles (tokens never shaped like a card number)."""
    suffix = draw(st.text("abcdefXYZ", min_size=4, max_size=12))
    return BillingProfile(
        id=f"card-{suffix}",
        agency_id=agency_id,
        label=f"Card {suffix}",
        card_token=f"tok_{suffix}",
        brand=draw(st.sampled_from(["visa", "mastercard", "amex"])),
        last4=f"{draw(st.integers(0, 9999)):04d}",
        exp_month=draw(st.integers(1, 12)),
        exp_year=draw(st.integers(2030, 2040)),
    )


# -- portal -----------------------------------------------------------------------------

_slugs = st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True)


@st.composite
def agencies(draw: st.DrawFn) -> Agency:
    """Agencies with a valid currency, a reseller rate in [0, 1) and a unique-looking code."""
    slug = draw(_slugs)
    return Agency(
        id=f"agency-{slug}",
        name=slug.upper(),
        email=f"ops@{slug}.test",
        currency=draw(currencies),
        reseller_rate=draw(st.decimals(min_value=0, max_value=Decimal("0.99"), places=2)),
        referral_code=slug.upper(),
        paypal_email=draw(st.none() | st.just(f"pay@{slug}.test")),
        country=draw(st.none() | st.sampled_from(["DE", "FR", "IE", "US"])),
        tax_id=draw(st.none() | st.just(f"DE{len(slug):09d}")),
    )


@st.composite
def tax_lines(draw: st.DrawFn, currency: str, lines: int = 1) -> TaxLine:
    """Tax lines of ``currency`` taxing one of ``lines`` invoice lines (TX1): a rate in
    [0, 1], the amount rounded to the minor unit, reverse-charged or not."""
    taxable = draw(money(currency))
    return TaxLine(
        line=draw(st.integers(0, max(lines - 1, 0))),
        name=draw(st.sampled_from(["VAT", "GST", "Sales tax"])),
        jurisdiction=draw(st.sampled_from(["DE", "FR", "US-NY"])),
        rate=draw(st.decimals(min_value=0, max_value=1, places=3)),
        taxable=taxable,
        amount=draw(money(currency)).rounded(),
        reverse_charge=draw(st.booleans()),
    )


@st.composite
def audit_events(draw: st.DrawFn, agency_id: str | None = None) -> AuditEvent:
    """Audit events at aware moments, with or without before/after states."""
    moment = draw(st.datetimes(timezones=st.just(UTC), min_value=datetime(2020, 1, 1)))  # noqa: DTZ001 - bounds are naive for hypothesis
    return AuditEvent(
        at=moment,
        agency_id=agency_id or f"agency-{draw(_slugs)}",
        actor=draw(st.sampled_from(["user-ada", "api", "billing"])),
        action=draw(st.sampled_from(["account_added", "account_cancelled", "invoice_paid"])),
        subject=f"account-{draw(_slugs)}",
        before=draw(st.none() | st.sampled_from(["active", "cancelled"])),
        after=draw(st.none() | st.sampled_from(["active", "expired"])),
    )


# -- hostile input (E1) -----------------------------------------------------------------

_wrong_types: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)

_nasty_characters = st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp"])

hostile_texts: st.SearchStrategy[object] = st.one_of(
    _wrong_types.filter(lambda v: not isinstance(v, str)),
    st.text(_nasty_characters, min_size=1, max_size=8),
    st.builds(
        lambda head, bad, tail: head + bad + tail,
        st.text(max_size=8),
        st.text(_nasty_characters, min_size=1, max_size=2),
        st.text(max_size=8),
    ),
    st.integers(1_000, 100_000).map(lambda n: "x" * n),
    st.sampled_from(["'; DROP TABLE accounts; --", "%", "_", "\\", "' OR '1'='1", '""']),
)
"""Values no text field accepts: wrong types, control, format (bidi), surrogate and
private-use characters, very long text, SQL-looking text."""

hostile_amounts: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.floats(),
    st.integers(max_value=0),
    st.integers(min_value=10**13),
    st.decimals(allow_nan=True, allow_infinity=True).filter(
        lambda d: not d.is_finite() or d <= 0 or d >= 10**13
    ),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e100", "10\n", " 10", "1_000", "0x10"]),
    st.binary(max_size=4),
)
"""Values no money or amount field accepts: None, floats, non-positive, huge, NaN and
infinite amounts, numbers in text with stray characters."""

hostile_quantities: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(),
    st.integers(max_value=-1),
    st.integers(min_value=2**63),
    st.text("0123456789", min_size=1, max_size=4),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
"""Values no whole-number field accepts: None, bools, floats, negative and 64-bit-overflowing
integers, digits in text, decimals."""

hostile_dates: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.dates(max_value=date(1899, 12, 31)),
    st.dates(min_value=date(2200, 1, 1)),
    st.datetimes(),
    st.dates().map(date.isoformat),
    st.integers(),
)
"""Values no date field accepts: None, dates at the calendar's edges (before 1900 or after
2199), datetimes where a date is expected, dates in text, integers."""

hostile_datetimes: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.datetimes(),
    st.dates(),
    st.datetimes().map(datetime.isoformat),
    st.integers(),
)
"""Values no aware-moment field accepts: None, naive datetimes, dates, text, integers."""


def hostile_choices(allowed: Iterable[str]) -> st.SearchStrategy[object]:
    """Values none of ``allowed`` (the names of a closed list) is: wrong types, other text."""
    names = frozenset(allowed)
    return st.one_of(
        _wrong_types.filter(lambda v: not isinstance(v, str)),
        st.text(max_size=12).filter(lambda t: t not in names),
    )


def hostile_values(intended: Intended | str) -> st.SearchStrategy[object]:
    """The table's values for ``intended`` (:data:`~resell_core.testing.hostile.HOSTILE`)
    and generated ones of the same kinds."""
    kind = Intended(intended)
    # The Hostile wrappers are sampled, not their values: Hypothesis writes out what it
    # samples from, and an int of 100,000 digits has no repr (Python refuses past 4,300).
    table = st.sampled_from(HOSTILE[kind]).map(attrgetter("value"))
    generated = {
        Intended.TEXT: hostile_texts,
        Intended.AMOUNT: hostile_amounts,
        Intended.QUANTITY: hostile_quantities,
        Intended.DATE: hostile_dates,
        Intended.DATETIME: hostile_datetimes,
        Intended.CHOICE: hostile_choices(()),
    }.get(kind, _wrong_types)
    return table | generated


json_scalars: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(_nasty_characters, min_size=1, max_size=4),
    st.sampled_from(["north-bakery", "V3/marketing/plus/2500/monthly", "inactive", "sms", "12.50"]),
)
"""What a JSON document can carry where one value is expected (Python's json reads NaN and
Infinity too): the values the agency API's hostile tests send."""

json_values: st.SearchStrategy[object] = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON value: scalars of :data:`json_scalars`, lists and objects of them."""


# -- forecast scenarios (F1) ---------------------------------------------------------------


@attrs.frozen
class ForecastAccount:
    """One account of a forecast scenario: when it starts, its plan, who pays, what then.

    Attributes:
        start_day: Days after the scenario's first day the account becomes active.
        plan: Its paid plan.
        office: Whether the second card (the office's) pays for it.
        earmarked: Prepaid credit earmarked for it once every account is in.
        downgrade: Whether a downgrade to starter is scheduled.
        cancel: Whether it is cancelled once every account is in.
    """

    start_day: int
    plan: PlanSelection
    office: bool
    earmarked: int
    downgrade: bool
    cancel: bool


_FORECAST_PLANS = st.sampled_from(
    [
        PlanSelection("V3", "marketing", tier, contacts, frequency)
        for tier in ("plus", "professional")
        for contacts in (2500,)
        for frequency in ("monthly", "annual")
    ]
)

forecast_accounts: st.SearchStrategy[list[ForecastAccount]] = st.lists(
    st.builds(
        ForecastAccount,
        start_day=st.integers(0, 40),
        plan=_FORECAST_PLANS,
        office=st.booleans(),
        earmarked=st.sampled_from([0, 0, 25, 130]),
        downgrade=st.booleans(),
        cancel=st.sampled_from([False, False, False, True]),
    ),
    min_size=1,
    max_size=4,
)
"""The accounts of a forecast scenario: plans, start days, cards, credit and changes."""
