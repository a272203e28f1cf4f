"""The accounts overview: a declarative query model and its reference evaluator (O1-O10).

An :class:`AccountQuery` holds only plain data over named columns (:class:`OverviewColumn`):
a status filter (O2), a plan filter (O3), attribute filters (O4), a free-text search (O5),
a multi-key sort (O7), the chosen columns (O8), a page size and a keyset cursor. It holds
no Python callables, so that a storage adapter can translate it into SQL; :func:`run_query`
is the pure reference evaluator every adapter must agree with.

Semantics, fixed here once for every adapter:

- Text matching (``contains`` filters and the search) compares :func:`fold`-ed text:
  ``str.lower`` of both sides, then substring. An SQL store keeps folded copies of the
  searched columns so that it need not rely on the database's own case folding.
- ``eq``, ``in``, ``before``, ``after`` and ``contains`` never match a null value; ``ne``
  matches null values (SQL ``IS DISTINCT FROM``); ``is_null`` tests for null.
- Sorting compares text by code point (SQL: ``COLLATE "C"`` / SQLite ``BINARY``), numbers
  and dates by value; null values sort last in both directions; the account id
  (ascending) breaks every tie, so the order is total.
- The plan filter and the ``plan``, ``version`` and ``product`` columns hold the
  catalog's names: a query takes any name, and :func:`check_query` refuses one the
  catalog does not have, listing those it has (the service checks every query and saved
  view against its catalog).
- The status filter ``expired`` also lists cancelled accounts whose ``expires_on`` is on
  or before ``today`` (docs/rules.md#statuses: "cancelled and expired" is derived, not a status);
  ``all`` lists every status, ``creating`` included.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import json
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Generic, TypeAlias, TypeVar, cast

import attrs

from resell_core import views
from resell_core.display import Record, Shown, View
from resell_core.errors import FieldProblem, InvalidInput, NotFound, quoted
from resell_core.lifecycle.account import Account, AccountKind, AccountStatus
from resell_core.lifecycle.affordances import allowed_actions, primary_action
from resell_core.lifecycle.text import text_problem
from resell_core.periods import Frequency
from resell_core.pricing.catalog import Catalog

__all__ = [
    "ALL_PLANS",
    "COLUMNS",
    "COUNT_LIMIT",
    "DEFAULT_COLUMNS",
    "MAX_LIMIT",
    "MAX_NUMBER",
    "MAX_TEXT",
    "PLAN_TIERS",
    "SEARCHED_COLUMNS",
    "AccountQuery",
    "ColumnSpec",
    "ColumnType",
    "ColumnValue",
    "CursorPosition",
    "Filter",
    "FilterOp",
    "FilterValue",
    "OverviewColumn",
    "OverviewRow",
    "Page",
    "PlanFilter",
    "SavedView",
    "SortKey",
    "StatusFilter",
    "check_query",
    "column_value",
    "compare_keys",
    "encode_cursor",
    "expires_on",
    "fold",
    "matches",
    "open_view",
    "operators_for",
    "overview_rows",
    "row_actions",
    "run_query",
    "sort_key",
]

ColumnValue: TypeAlias = str | int | date | None
"""What a column holds for one account."""

Scalar: TypeAlias = str | int | date
FilterValue: TypeAlias = Scalar | bool | tuple[Scalar, ...]
"""What a filter compares with: a scalar, a tuple (``in``) or a bool (``is_null``)."""

T = TypeVar("T")

PLAN_TIERS = Catalog.sample().plan_tiers
"""The sample catalog's plan tiers, as its plan filter lists them (O3); a host's catalog
names its own (:attr:`~resell_core.Catalog.plan_tiers`)."""

ALL_PLANS = "all"
"""The plan filter that keeps every plan (O3)."""

MAX_LIMIT = 500
"""The largest page an overview query may ask for."""

COUNT_LIMIT = 1_000
"""The most matching accounts an overview counts exactly (O11): past it, a page's total is
an estimate (:attr:`Page.total_exact` is False) and no storage counts the whole agency."""

MAX_TEXT = 200
"""The longest text a search or a filter looks for, in printable characters (E1)."""

MAX_NUMBER = 2**31 - 1
"""The largest whole number a filter or cursor compares a number column with (the largest
count a column holds); smaller than 0 is refused too (E1)."""

_QUERY = "account query"


class OverviewColumn(enum.StrEnum):
    """An account attribute a row may carry and a query may filter or sort on (O4, O7, O8)."""

    NAME = "name"
    CLIENT_NAME = "client_name"
    NOTIFICATION_EMAIL = "notification_email"
    CUSTOM_DOMAIN = "custom_domain"
    STATUS = "status"
    PLAN = "plan"
    VERSION = "version"
    PRODUCT = "product"
    CONTACTS = "contacts"
    FREQUENCY = "frequency"
    BILLING_PROFILE_ID = "billing_profile_id"
    COUNTRY = "country"
    LANGUAGE = "language"
    REGION = "region"
    TIMEZONE = "timezone"
    KIND = "kind"
    CREATED_ON = "created_on"
    EXPIRES_ON = "expires_on"
    CANCELLED_ON = "cancelled_on"
    ARCHIVED_ON = "archived_on"


class ColumnType(enum.StrEnum):
    """How a column's values compare: which filter operators and values it accepts."""

    TEXT = "text"
    CHOICE = "choice"
    NUMBER = "number"
    DATE = "date"


class FilterOp(enum.StrEnum):
    """The operators of an attribute filter (O4)."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    BEFORE = "before"
    AFTER = "after"
    CONTAINS = "contains"
    IS_NULL = "is_null"


class StatusFilter(enum.StrEnum):
    """The overview's status filter (O2)."""

    ALL = "all"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"
    DISABLED = "disabled"


class PlanFilter(enum.StrEnum):
    """The overview's plan filter (O3): a plan tier, or all of them.

    These members are the sample catalog's names, for convenience: a query's plan filter
    is ``"all"`` or the name of any tier of the catalog in use (a host's catalog brings
    its own).
    """

    ALL = "all"
    TRIAL = "trial"
    SANDBOX = "sandbox"
    STARTER = "starter"
    PLUS = "plus"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


@attrs.frozen
class ColumnSpec:
    """How one column is read from an account and compared.

    Attributes:
        type: How values compare and which operators apply.
        read: The value accessor over an :class:`Account`.
        nullable: Whether the value may be None.
        choices: The allowed values of a ``CHOICE`` column; empty for a column of the
            catalog's names (plan, version), which :func:`check_query` checks.
    """

    type: ColumnType
    read: Callable[[Account], ColumnValue]
    nullable: bool = False
    choices: tuple[str, ...] = ()


def expires_on(account: Account) -> date | None:
    """Return the day an account's paid term or trial ends (the ``expires_on`` column).

    Args:
        account: Any account.

    Returns:
        ``paid_through`` for a paid plan, ``trial_ends_on`` for a free one: the day its
        trial ends, None for a sandbox (it never expires; it was opened without a trial
        end, by the catalog's marks).
    """
    if account.plan.is_paid:
        return account.paid_through
    return account.trial_ends_on


COLUMNS: Mapping[OverviewColumn, ColumnSpec] = types.MappingProxyType(
    {
        OverviewColumn.NAME: ColumnSpec(ColumnType.TEXT, lambda a: a.name),
        OverviewColumn.CLIENT_NAME: ColumnSpec(ColumnType.TEXT, lambda a: a.client_name),
        OverviewColumn.NOTIFICATION_EMAIL: ColumnSpec(
            ColumnType.TEXT, lambda a: a.notification_email
        ),
        OverviewColumn.CUSTOM_DOMAIN: ColumnSpec(
            ColumnType.TEXT, lambda a: a.custom_domain, nullable=True
        ),
        OverviewColumn.STATUS: ColumnSpec(
            ColumnType.CHOICE, lambda a: a.status, choices=tuple(AccountStatus)
        ),
        # The catalog's names: any name is taken, check_query refuses unknown ones.
        OverviewColumn.PLAN: ColumnSpec(ColumnType.CHOICE, lambda a: a.plan.tier),
        OverviewColumn.VERSION: ColumnSpec(ColumnType.CHOICE, lambda a: a.plan.version),
        OverviewColumn.PRODUCT: ColumnSpec(ColumnType.TEXT, lambda a: a.plan.product),
        OverviewColumn.CONTACTS: ColumnSpec(
            ColumnType.NUMBER, lambda a: a.plan.contacts, nullable=True
        ),
        OverviewColumn.FREQUENCY: ColumnSpec(
            ColumnType.CHOICE, lambda a: a.plan.frequency, nullable=True, choices=tuple(Frequency)
        ),
        OverviewColumn.BILLING_PROFILE_ID: ColumnSpec(
            ColumnType.TEXT, lambda a: a.billing_profile_id, nullable=True
        ),
        OverviewColumn.COUNTRY: ColumnSpec(ColumnType.TEXT, lambda a: a.country),
        OverviewColumn.LANGUAGE: ColumnSpec(ColumnType.TEXT, lambda a: a.language),
        OverviewColumn.REGION: ColumnSpec(ColumnType.TEXT, lambda a: a.region),
        OverviewColumn.TIMEZONE: ColumnSpec(ColumnType.TEXT, lambda a: a.timezone),
        OverviewColumn.KIND: ColumnSpec(
            ColumnType.CHOICE, lambda a: a.kind, choices=tuple(AccountKind)
        ),
        OverviewColumn.CREATED_ON: ColumnSpec(ColumnType.DATE, lambda a: a.created_on),
        OverviewColumn.EXPIRES_ON: ColumnSpec(ColumnType.DATE, expires_on, nullable=True),
        OverviewColumn.CANCELLED_ON: ColumnSpec(
            ColumnType.DATE, lambda a: a.cancelled_on, nullable=True
        ),
        OverviewColumn.ARCHIVED_ON: ColumnSpec(
            ColumnType.DATE, lambda a: a.archived_on, nullable=True
        ),
    }
)
"""Every column's accessor and type, in one table (an SQL store keeps one column each)."""

SEARCHED_COLUMNS = (
    OverviewColumn.NAME,
    OverviewColumn.CUSTOM_DOMAIN,
    OverviewColumn.CLIENT_NAME,
    OverviewColumn.NOTIFICATION_EMAIL,
)
"""The columns the free-text search looks in (O5)."""

DEFAULT_COLUMNS = (
    OverviewColumn.NAME,
    OverviewColumn.CLIENT_NAME,
    OverviewColumn.PLAN,
    OverviewColumn.CONTACTS,
    OverviewColumn.STATUS,
    OverviewColumn.CREATED_ON,
    OverviewColumn.EXPIRES_ON,
)
"""The columns a row carries when the query does not choose (O8)."""

_OPS_BY_TYPE: Mapping[ColumnType, frozenset[FilterOp]] = {
    ColumnType.TEXT: frozenset(
        {FilterOp.EQ, FilterOp.NE, FilterOp.IN, FilterOp.CONTAINS, FilterOp.IS_NULL}
    ),
    ColumnType.CHOICE: frozenset({FilterOp.EQ, FilterOp.NE, FilterOp.IN, FilterOp.IS_NULL}),
    ColumnType.NUMBER: frozenset({FilterOp.EQ, FilterOp.NE, FilterOp.IN, FilterOp.IS_NULL}),
    ColumnType.DATE: frozenset(
        {
            FilterOp.EQ,
            FilterOp.NE,
            FilterOp.IN,
            FilterOp.BEFORE,
            FilterOp.AFTER,
            FilterOp.IS_NULL,
        }
    ),
}


def operators_for(column: OverviewColumn) -> tuple[FilterOp, ...]:
    """List the filter operators that apply to a column (for an "add a filter" menu, O4).

    >>> [str(op) for op in operators_for(OverviewColumn.CREATED_ON)]
    ['eq', 'ne', 'in', 'before', 'after', 'is_null']
    """
    ops = _OPS_BY_TYPE[COLUMNS[column].type]
    return tuple(op for op in FilterOp if op in ops)


def column_value(account: Account, column: OverviewColumn) -> ColumnValue:
    """Read one column of an account through the column table.

    >>> from resell_core.pricing.selection import PlanSelection
    >>> bakery = Account(id="acc-1", agency_id="ag-1", name="north-bakery",
    ...     client_name="North Bakery", notification_email="ops@north-bakery.test",
    ...     country="DE", region="eu", language="de", timezone="Europe/Berlin",
    ...     plan=PlanSelection("V1", "EM", "trial"), created_on=date(2025, 3, 1),
    ...     trial_ends_on=date(2025, 3, 15))
    >>> column_value(bakery, OverviewColumn.EXPIRES_ON)
    datetime.date(2025, 3, 15)
    """
    return COLUMNS[column].read(account)


def fold(text: str) -> str:
    """Fold text for case-insensitive matching (the one folding every adapter applies).

    >>> fold("North-Bakery.TEST")
    'north-bakery.test'
    """
    return text.lower()


def _allowed(kind: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in kind)


def _scalar_problem(spec: ColumnSpec, value: object) -> str | None:
    """Say what is wrong with one compared value of a column, or None when it fits."""
    if spec.type is ColumnType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{quoted(value)} is not a whole number"
        if not 0 <= value <= MAX_NUMBER:
            return f"{quoted(value)} is outside 0 to {MAX_NUMBER}"
    elif spec.type is ColumnType.DATE:
        if type(value) is not date:
            return f"{quoted(value)} is not a date (use a datetime.date or an ISO day 'YYYY-MM-DD')"
    elif not isinstance(value, str):
        return f"{quoted(value)} is not text"
    elif problem := text_problem(value):
        return problem
    elif spec.type is ColumnType.CHOICE and spec.choices and value not in spec.choices:
        return f"{quoted(value)} is not one of the column's values"
    return None


def _normalise_scalar(spec: ColumnSpec, value: object) -> object:
    if spec.type is ColumnType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if spec.type is ColumnType.CHOICE and isinstance(value, enum.Enum):
        return str(value.value)
    return value


def _named(value: object, names: frozenset[str]) -> bool:
    """Tell whether ``value`` is one of ``names`` (False for unhashable values too)."""
    return isinstance(value, str) and value in names


def _not_a_list(value: object) -> bool:
    return isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable)


def _text_problem(value: object) -> str | None:
    """Say what is wrong with a text looked for, or None when it may be looked for."""
    if isinstance(value, str) and (len(value) > MAX_TEXT or not value.isprintable()):
        return f"look for 1 to {MAX_TEXT} printable characters"
    return None


def _check_filter(
    column: object, op: object, value: object, prefix: str
) -> tuple[tuple[OverviewColumn, FilterOp, FilterValue] | None, list[FieldProblem]]:
    """Validate and normalise the parts of a filter, listing every problem."""
    problems: list[FieldProblem] = []
    if not _named(column, _COLUMN_NAMES):
        problems.append(
            FieldProblem(
                f"{prefix}column",
                f"{quoted(column)} is not an overview column",
                _allowed(OverviewColumn),
            )
        )
    if not _named(op, _OP_NAMES):
        problems.append(
            FieldProblem(
                f"{prefix}op", f"{quoted(op)} is not a filter operator", _allowed(FilterOp)
            )
        )
    if problems:
        return None, problems
    the_column = OverviewColumn(cast(str, column))
    the_op = FilterOp(cast(str, op))
    spec = COLUMNS[the_column]
    ops = _OPS_BY_TYPE[spec.type]
    if the_op not in ops:
        allowed = tuple(str(o) for o in FilterOp if o in ops)
        message = f"{the_op} does not apply to the {spec.type} column {the_column}"
        return None, [FieldProblem(f"{prefix}op", message, allowed)]
    field = f"{prefix}value"
    if the_op is FilterOp.IS_NULL:
        if not isinstance(value, bool):
            return None, [FieldProblem(field, f"is_null takes True or False, not {quoted(value)}")]
        return (the_column, the_op, value), []
    items: tuple[object, ...]
    if the_op is FilterOp.IN:
        if isinstance(value, str) or not isinstance(value, Iterable):
            return None, [FieldProblem(field, "in takes a non-empty list of values")]
        items = tuple(_normalise_scalar(spec, v) for v in value)
        if not items:
            return None, [FieldProblem(field, "in takes a non-empty list of values")]
    else:
        items = (_normalise_scalar(spec, value),)
    for item in items:
        problem = _scalar_problem(spec, item) or _text_problem(item)
        if problem is not None:
            return None, [FieldProblem(field, problem, spec.choices)]
    if the_op is FilterOp.CONTAINS and not cast(str, items[0]).strip():
        return None, [FieldProblem(field, "contains needs some text to look for")]
    scalars = cast(tuple[Scalar, ...], items)
    return (the_column, the_op, scalars if the_op is FilterOp.IN else scalars[0]), []


_COLUMN_NAMES = frozenset(OverviewColumn.__members__.values())
_OP_NAMES = frozenset(FilterOp.__members__.values())


@attrs.frozen(init=False)
class Filter:
    """One attribute filter of the overview (O4): ``column op value``.

    Operators: ``eq``, ``ne`` and ``in`` (a list of values) on every column; ``before`` and
    ``after`` (strict) on date columns; ``contains`` (case-insensitive substring) on text
    columns; ``is_null`` (value True or False) on every column. Date values may be given as
    ISO strings; they are kept as dates.

    Raises:
        InvalidInput: Naming every bad part of the filter and what is allowed.

    >>> Filter("country", "in", ["DE", "AT"])
    Filter(column=<OverviewColumn.COUNTRY: 'country'>, op=<FilterOp.IN: 'in'>, value=('DE', 'AT'))
    """

    column: OverviewColumn
    op: FilterOp
    value: FilterValue

    def __init__(self, column: OverviewColumn | str, op: FilterOp | str, value: object) -> None:
        """Validate and normalise a filter (see the class docstring)."""
        parts, problems = _check_filter(column, op, value, "")
        if parts is None:
            raise InvalidInput("filter", problems)
        self.__attrs_init__(*parts)

    def matches(self, account: Account) -> bool:
        """Tell whether an account passes this filter."""
        actual = column_value(account, self.column)
        op = self.op
        if op is FilterOp.IS_NULL:
            return (actual is None) == self.value
        if op is FilterOp.NE:
            return actual != self.value
        if actual is None:
            return False
        if op is FilterOp.EQ:
            return actual == self.value
        if op is FilterOp.IN:
            return actual in cast(tuple[Scalar, ...], self.value)
        if op is FilterOp.BEFORE:
            return cast(date, actual) < cast(date, self.value)
        if op is FilterOp.AFTER:
            return cast(date, actual) > cast(date, self.value)
        return fold(cast(str, self.value)) in fold(cast(str, actual))


@attrs.frozen
class SortKey:
    """One key of the overview's sort (O7): a column, ascending unless ``descending``.

    >>> SortKey.parse("-created_on")
    SortKey(column=<OverviewColumn.CREATED_ON: 'created_on'>, descending=True)
    >>> str(SortKey(OverviewColumn.NAME))
    'name'
    """

    column: OverviewColumn
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> SortKey:
        """Read ``"name"`` (ascending) or ``"-name"`` (descending).

        Raises:
            InvalidInput: When the column is not an overview column.
        """
        key = _parse_sort_key(text, "sort")
        if isinstance(key, FieldProblem):
            raise InvalidInput("sort", [key])
        return key

    def __str__(self) -> str:
        return f"-{self.column}" if self.descending else str(self.column)


def _parse_sort_key(text: object, field: str) -> SortKey | FieldProblem:
    if isinstance(text, SortKey):
        return text
    if isinstance(text, str):
        descending = text.startswith("-")
        name = text[1:] if descending else text
        if name in _COLUMN_NAMES:
            return SortKey(OverviewColumn(name), descending)
    return FieldProblem(
        field,
        f"{quoted(text)} is not a sort key: name a column, with '-' in front for descending",
        _allowed(OverviewColumn),
    )


@attrs.frozen
class CursorPosition:
    """Where a page ended: the last row's sort-key values and its account id.

    The next page holds the rows that sort strictly after this position (keyset paging).
    """

    values: tuple[ColumnValue, ...]
    account_id: str


FilterLike: TypeAlias = Filter | tuple[str, str, object]
"""A filter, or its ``(column, op, value)`` triple."""


def _choice(kind: type[enum.StrEnum], value: object, field: str, what: str) -> FieldProblem | None:
    if value in kind.__members__.values():
        return None
    return FieldProblem(field, f"{quoted(value)} is not {what}", _allowed(kind))


@attrs.frozen(init=False)
class AccountQuery:
    """What the overview shows: filters, search, sort, columns and a page (O1-O8).

    Attributes:
        status: The status filter (O2): ``all`` or one status.
        plan: The plan filter (O3): ``all`` or the name of one tier of the catalog
            (:func:`check_query` refuses a name the catalog does not have).
        filters: Attribute filters, all of which must hold (O4); each a :class:`Filter` or
            a ``(column, op, value)`` triple.
        search: Free text looked for in name, custom domain, client name and notification
            email, case-insensitively (O5); blank means no search.
        sort: Sort keys, first key first: a :class:`SortKey` or ``"column"`` /
            ``"-column"`` (O7). The account id always breaks the remaining ties.
        columns: The columns each row carries (O8).
        limit: Rows per page, 1 to 500.
        cursor: The ``next_cursor`` of the previous page, or None for the first page.

    Raises:
        InvalidInput: Naming every bad field at once, with the allowed values.

    >>> AccountQuery(status="expired", plan="trial", sort="-expires_on").sort
    (SortKey(column=<OverviewColumn.EXPIRES_ON: 'expires_on'>, descending=True),)
    """

    status: StatusFilter
    plan: str
    filters: tuple[Filter, ...]
    search: str | None
    sort: tuple[SortKey, ...]
    columns: tuple[OverviewColumn, ...]
    limit: int
    cursor: str | None

    def __init__(
        self,
        *,
        status: StatusFilter | str = StatusFilter.ALL,
        plan: PlanFilter | str = ALL_PLANS,
        filters: Iterable[FilterLike] = (),
        search: str | None = None,
        sort: str | SortKey | Iterable[str | SortKey] = ("name",),
        columns: Iterable[OverviewColumn | str] = DEFAULT_COLUMNS,
        limit: int = 50,
        cursor: str | None = None,
    ) -> None:
        """Validate and normalise a query (see the class docstring)."""
        problems: list[FieldProblem] = []
        for problem in (
            _choice(StatusFilter, status, "status", "a status filter"),
            _plan_problem(plan),
        ):
            if problem is not None:
                problems.append(problem)
        the_filters = _check_filters(filters, problems)
        if not isinstance(cast(object, search), str | None):
            problems.append(FieldProblem("search", f"{quoted(search)} is not text"))
            search = None
        elif search is not None and (unsafe := text_problem(search)):
            problems.append(FieldProblem("search", unsafe))
        elif length_problem := _text_problem(search):
            problems.append(FieldProblem("search", length_problem))
        the_sort = _check_sort(sort, problems)
        the_columns = _check_columns(columns, problems)
        if isinstance(limit, bool) or not isinstance(limit, int):
            problems.append(FieldProblem("limit", f"{quoted(limit)} is not a whole number"))
        elif not 1 <= limit <= MAX_LIMIT:
            problems.append(
                FieldProblem("limit", f"{quoted(limit)} is outside 1 to {MAX_LIMIT} rows")
            )
        sort_ok = not any(p.field.startswith("sort") for p in problems)
        if cursor is not None and sort_ok:
            problem = _cursor_problem(cursor, the_sort)
            if problem is not None:
                problems.append(problem)
        if problems:
            raise InvalidInput(_QUERY, problems)
        self.__attrs_init__(
            StatusFilter(status),
            str(plan),
            the_filters,
            (search.strip() or None) if search is not None else None,
            the_sort,
            the_columns,
            limit,
            cursor,
        )

    def position(self) -> CursorPosition | None:
        """Decode the cursor into the position the page starts after (None: first page)."""
        if self.cursor is None:
            return None
        return _decode_cursor(self.cursor, self.sort)

    def matches(self, account: Account, today: date) -> bool:
        """Tell whether an account passes the status and plan filters, filters and search."""
        return matches(account, self, today)


def _plan_problem(plan: object) -> FieldProblem | None:
    if not isinstance(plan, str):
        return FieldProblem("plan", f"{quoted(plan)} is not a plan filter: 'all' or a tier's name")
    problem = text_problem(plan) or _text_problem(plan)
    if problem is None and not plan.strip():
        problem = "name a tier, or 'all'"
    return None if problem is None else FieldProblem("plan", problem)


def _catalog_names(catalog: Catalog) -> Mapping[OverviewColumn, tuple[str, ...]]:
    return {
        OverviewColumn.PLAN: catalog.plan_tiers,
        OverviewColumn.VERSION: catalog.version_names,
        OverviewColumn.PRODUCT: catalog.products,
    }


def check_query(query: AccountQuery, catalog: Catalog) -> AccountQuery:
    """Check a query's names of the catalog: its plan filter (O3), and the values its
    ``eq``, ``ne`` and ``in`` filters compare the plan, version and product with (O4).

    Args:
        query: A query (its own fields are already checked).
        catalog: The catalog in use; its tiers, versions and products are the names.

    Returns:
        The query, unchanged, when every name is one of the catalog's.

    Raises:
        InvalidInput: Naming each unknown name's field, with the catalog's names.

    >>> try:
    ...     check_query(AccountQuery(plan="gold"), Catalog.sample())
    ... except InvalidInput as error:
    ...     error.problems[0].allowed
    ('all', 'trial', 'sandbox', 'starter', 'plus', 'professional', 'enterprise')
    """
    names = _catalog_names(catalog)
    problems: list[FieldProblem] = []
    if query.plan != ALL_PLANS and query.plan not in names[OverviewColumn.PLAN]:
        problems.append(
            FieldProblem(
                "plan",
                f"{quoted(query.plan)} is not a tier of the catalog",
                (ALL_PLANS, *names[OverviewColumn.PLAN]),
            )
        )
    for index, item in enumerate(query.filters):
        known = names.get(item.column)
        if known is None or item.op not in (FilterOp.EQ, FilterOp.NE, FilterOp.IN):
            continue
        values = item.value if isinstance(item.value, tuple) else (item.value,)
        for value in values:
            if value not in known:
                problems.append(
                    FieldProblem(
                        f"filters[{index}].value",
                        f"{quoted(value)} is not a {item.column} of the catalog",
                        known,
                    )
                )
    if problems:
        raise InvalidInput(_QUERY, problems)
    return query


def _check_filters(
    filters: Iterable[FilterLike], problems: list[FieldProblem]
) -> tuple[Filter, ...]:
    built: list[Filter] = []
    if _not_a_list(filters):
        problems.append(FieldProblem("filters", f"give a list of filters, not {quoted(filters)}"))
        return ()
    for index, item in enumerate(cast(Iterable[object], filters)):
        if isinstance(item, Filter):
            built.append(item)
            continue
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 3:
            problems.append(
                FieldProblem(
                    f"filters[{index}]",
                    f"{quoted(item)} is not a filter: give a Filter or (column, op, value)",
                )
            )
            continue
        parts, found = _check_filter(item[0], item[1], item[2], f"filters[{index}].")
        problems += found
        if parts is not None:
            built.append(Filter(*parts))
    return tuple(built)


def _check_sort(
    sort: str | SortKey | Iterable[str | SortKey], problems: list[FieldProblem]
) -> tuple[SortKey, ...]:
    if not isinstance(sort, str | SortKey) and _not_a_list(sort):
        problems.append(FieldProblem("sort", f"give sort keys, not {quoted(sort)}"))
        return ()
    items = [sort] if isinstance(sort, str | SortKey) else list(sort)
    if not items:
        problems.append(FieldProblem("sort", "needs at least one key", _allowed(OverviewColumn)))
    keys: list[SortKey] = []
    for index, item in enumerate(items):
        key = _parse_sort_key(item, f"sort[{index}]")
        if isinstance(key, FieldProblem):
            problems.append(key)
        elif any(k.column is key.column for k in keys):
            problems.append(FieldProblem(f"sort[{index}]", f"sorts on {key.column} a second time"))
        else:
            keys.append(key)
    return tuple(keys)


def _check_columns(
    columns: Iterable[OverviewColumn | str], problems: list[FieldProblem]
) -> tuple[OverviewColumn, ...]:
    chosen: list[OverviewColumn] = []
    if _not_a_list(columns):
        problems.append(FieldProblem("columns", f"give a list of columns, not {quoted(columns)}"))
        return ()
    items = list(columns)
    for index, column in enumerate(items):
        if not _named(column, _COLUMN_NAMES):
            problems.append(
                FieldProblem(
                    f"columns[{index}]",
                    f"{quoted(column)} is not an overview column",
                    _allowed(OverviewColumn),
                )
            )
        elif OverviewColumn(column) in chosen:
            problems.append(FieldProblem(f"columns[{index}]", f"{column} is chosen twice"))
        else:
            chosen.append(OverviewColumn(column))
    if not items:
        problems.append(
            FieldProblem("columns", "choose at least one column", _allowed(OverviewColumn))
        )
    return tuple(chosen)


def matches(account: Account, query: AccountQuery, today: date) -> bool:
    """Tell whether an account belongs to a query's result (before paging).

    Args:
        account: One of the agency's accounts.
        query: The query; its conditions are conjunctive.
        today: The day that decides whether a cancelled account is also expired.

    Returns:
        True when the status filter, plan filter, every attribute filter and the search hold.
    """
    status = query.status
    if status is StatusFilter.EXPIRED:
        if account.status is not AccountStatus.EXPIRED:
            ends = expires_on(account)
            derived = account.status is AccountStatus.CANCELLED and ends is not None
            if not (derived and cast(date, ends) <= today):
                return False
    elif status is not StatusFilter.ALL and account.status.value != status.value:
        return False
    if query.plan not in (ALL_PLANS, account.plan.tier):
        return False
    if not all(f.matches(account) for f in query.filters):
        return False
    if query.search is None:
        return True
    needle = fold(query.search)
    for column in SEARCHED_COLUMNS:
        text = column_value(account, column)
        if text is not None and needle in fold(cast(str, text)):
            return True
    return False


def sort_key(account: Account, sort: Sequence[SortKey]) -> tuple[ColumnValue, ...]:
    """Return an account's sort-key values, in the order of the sort keys."""
    return tuple(column_value(account, key.column) for key in sort)


Position: TypeAlias = tuple[tuple[ColumnValue, ...], str]
"""A row's place in a sort order: its sort-key values and its account id."""


def compare_keys(left: Position, right: Position, sort: Sequence[SortKey]) -> int:
    """Compare two (sort-key values, account id) positions in a sort order.

    Null values come last in both directions; the account id, ascending, breaks ties.

    Returns:
        A negative number when ``left`` comes first, positive when ``right`` does, 0 only
        for the same account.
    """
    for key, a, b in zip(sort, left[0], right[0], strict=True):
        if a is None or b is None:
            order = (a is None) - (b is None)
        else:
            order = (a > b) - (a < b)  # type: ignore[operator]
            if key.descending:
                order = -order
        if order:
            return order
    return (left[1] > right[1]) - (left[1] < right[1])


@attrs.frozen
class Page(Shown, Generic[T]):
    """One page of an overview.

    Attributes:
        rows: The page's rows, in sort order.
        next_cursor: The cursor of the next page, or None when this is the last page.
        total: How many accounts match the query across all pages: exact up to
            :data:`COUNT_LIMIT`; past it an estimate, always more than ``COUNT_LIMIT``
            (O11).
        total_exact: True when ``total`` is the exact number; False when more than
            :data:`COUNT_LIMIT` accounts match and ``total`` estimates how many ("about
            4,300"): a SQL storage does not count the whole agency for it.
    """

    rows: tuple[T, ...]
    next_cursor: str | None
    total: int
    total_exact: bool = True

    # -- in a notebook (N1): a table of the rows, the query's columns in order -----------
    def _view(self) -> View:
        return views.overview_page(self)

    _repr_pretty_ = Shown._repr_pretty_


def _cursor_value(value: ColumnValue) -> str | int | None:
    return value.isoformat() if isinstance(value, date) else value


def encode_cursor(sort: Sequence[SortKey], position: CursorPosition) -> str:
    """Encode a keyset position as an opaque, URL-safe cursor bound to its sort order.

    >>> sort = (SortKey.parse("-created_on"),)
    >>> text = encode_cursor(sort, CursorPosition((date(2025, 3, 1),), "acc-7"))
    >>> _decode_cursor(text, sort)
    CursorPosition(values=(datetime.date(2025, 3, 1),), account_id='acc-7')
    """
    payload = {
        "sort": [str(key) for key in sort],
        "values": [_cursor_value(v) for v in position.values],
        "id": position.account_id,
    }
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


_BAD_CURSOR = "is not a cursor of this query's sort order: start again from the first page"


def _decode_cursor(text: str, sort: Sequence[SortKey]) -> CursorPosition:
    problem = FieldProblem("cursor", _BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidInput(_QUERY, [problem]) from None
    if (
        not isinstance(payload, dict)
        or payload.get("sort") != [str(key) for key in sort]
        or not isinstance(payload.get("id"), str)
        or not isinstance(payload.get("values"), list)
        or len(payload["values"]) != len(sort)
    ):
        raise InvalidInput(_QUERY, [problem])
    values: list[ColumnValue] = []
    for key, value in zip(sort, payload["values"], strict=True):
        spec = COLUMNS[key.column]
        if value is None:
            values.append(None)
            continue
        scalar = _normalise_scalar(spec, value)
        if spec.type is ColumnType.CHOICE and isinstance(scalar, str):
            values.append(scalar)
        elif _scalar_problem(spec, scalar) is None:
            values.append(cast(Scalar, scalar))
        else:
            raise InvalidInput(_QUERY, [problem])
    return CursorPosition(tuple(values), payload["id"])


def _cursor_problem(text: object, sort: Sequence[SortKey]) -> FieldProblem | None:
    if not isinstance(text, str):
        return FieldProblem("cursor", _BAD_CURSOR)
    try:
        _decode_cursor(text, sort)
    except InvalidInput as error:
        return error.problems[0]
    return None


def run_query(accounts: Iterable[Account], query: AccountQuery, today: date) -> Page[Account]:
    """Evaluate an overview query over one agency's accounts (the reference evaluator).

    Every storage adapter's overview must return the same pages as this function.

    Args:
        accounts: The agency's accounts (the caller scopes them to one agency).
        query: A validated query.
        today: The day that decides whether a cancelled account is also expired.

    Returns:
        The page of accounts after the query's cursor, with the next cursor and the
        number of matching accounts (exact here, whatever the number; ``total_exact``
        False past :data:`COUNT_LIMIT`, as every storage says it, O11).
    """
    sort = query.sort
    matching = [
        ((sort_key(account, sort), account.id), account)
        for account in accounts
        if matches(account, query, today)
    ]

    def order(left: tuple[Position, Account], right: tuple[Position, Account]) -> int:
        return compare_keys(left[0], right[0], sort)

    matching.sort(key=functools.cmp_to_key(order))
    total = len(matching)
    start = query.position()
    if start is not None:
        after = (start.values, start.account_id)
        matching = [item for item in matching if compare_keys(item[0], after, sort) > 0]
    rows = matching[: query.limit]
    next_cursor = None
    if len(matching) > query.limit:
        values, account_id = rows[-1][0]
        next_cursor = encode_cursor(sort, CursorPosition(values, account_id))
    return Page(
        tuple(account for _, account in rows), next_cursor, total, total_exact=total <= COUNT_LIMIT
    )


def row_actions(account: Account, on: date) -> tuple[str, tuple[str, ...]]:
    """Return a row's primary action (O9) and its other actions (O10).

    Args:
        account: The row's account.
        on: The day the overview is shown.

    Returns:
        ``"renew"`` for an archived account (renewing leads to choosing a billing profile),
        ``"login"`` otherwise (single sign-on), with the actions the lifecycle's transition
        table allows on that day: Edit's (upgrade, downgrade, cancel, disable, notification
        email, billing profile) and always branding and billing history.
    """
    return primary_action(account, on), allowed_actions(account, on)


def _read_only(
    values: Mapping[OverviewColumn, ColumnValue],
) -> Mapping[OverviewColumn, ColumnValue]:
    return types.MappingProxyType(dict(values))


@attrs.frozen
class OverviewRow(Shown):
    """One row of the overview: the chosen columns and what the agency can do (O8-O10).

    Attributes:
        account_id: The account the row shows.
        values: The chosen columns' values, in the query's column order.
        primary_action: ``"renew"`` for an archived account, ``"login"`` otherwise.
        actions: The actions the lifecycle's table allows that day (O10).
    """

    account_id: str
    values: Mapping[OverviewColumn, ColumnValue] = attrs.field(converter=_read_only, hash=False)
    primary_action: str
    actions: tuple[str, ...]

    # -- in a notebook (N1): a one-row table; a page's rows are these records ------------
    def _record(self) -> Record:
        return views.overview_record(self)

    def _view(self) -> View:
        return views.overview_row(self)

    _repr_pretty_ = Shown._repr_pretty_


def overview_rows(page: Page[Account], query: AccountQuery, today: date) -> Page[OverviewRow]:
    """Turn a page of accounts into the overview's rows, carrying the query's columns.

    Args:
        page: A page returned by :func:`run_query` (or an adapter's equivalent).
        query: The query that produced it; its ``columns`` choose the row values (O8).
        today: The day the overview is shown (it decides the actions).

    Returns:
        A page of :class:`OverviewRow` with the same cursor and count.
    """
    rows = []
    for account in page.rows:
        primary, actions = row_actions(account, today)
        values = {column: column_value(account, column) for column in query.columns}
        rows.append(OverviewRow(account.id, values, primary, actions))
    return Page(tuple(rows), page.next_cursor, page.total, total_exact=page.total_exact)


MAX_VIEW_NAME = 80


def _keep_no_cursor(query: AccountQuery) -> AccountQuery:
    # A view reopens at its first page: a saved cursor would point into a stale listing.
    return query if query.cursor is None else attrs.evolve(query, cursor=None)


def _view_name(value: object) -> str:
    # The name is kept stripped; its text is checked as given.
    problem = text_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise InvalidInput.one("saved view", "name", problem)
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > MAX_VIEW_NAME:
        raise InvalidInput.one(
            "saved view", "name", f"give the view a name of 1 to {MAX_VIEW_NAME} characters"
        )
    return name


@attrs.frozen
class SavedView:
    """A portal user's named personal view: filters, sort and columns (O6).

    A view belongs to one user of one agency and is private to that user. Its query is kept
    without a cursor, so that reopening it starts at the first page.

    Raises:
        InvalidInput: When the name is blank or longer than 80 characters.
    """

    id: str
    agency_id: str
    user_id: str
    name: str = attrs.field(converter=_view_name)
    query: AccountQuery = attrs.field(converter=_keep_no_cursor)


def open_view(view: SavedView, *, agency_id: str, user_id: str) -> SavedView:
    """Check that a portal user may open a saved view, and return it.

    Args:
        view: The stored view.
        agency_id: The agency the request is scoped to.
        user_id: The portal user asking.

    Returns:
        The view, when it is the user's own.

    Raises:
        NotFound: When the view belongs to another user or agency: it behaves as if it did
            not exist (never "forbidden").
    """
    if view.agency_id != agency_id or view.user_id != user_id:
        raise NotFound("saved view", view.id)
    return view
