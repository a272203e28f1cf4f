"""The generated construction and replacement give what ``__init__`` and ``attrs.evolve`` give.

``resell_core._construct`` builds, per attrs class, an unchecked constructor and field
replacers; the SQL storage copies every aggregate it hands out or journals with them.
For each class they serve, a value built or replaced by them is of the same class and
holds, field for field, what the class's own ``__init__`` or ``attrs.evolve`` stores from
the same (valid) values.
"""

from __future__ import annotations

import traceback
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from resell_core._construct import copier, replacer, unchecked
from resell_core.agency import Agency
from resell_core.audit import AuditEvent
from resell_core.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, LineKind
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import ResellError
from resell_core.lifecycle.account import Account
from resell_core.periods import Period
from resell_core.ports import Record
from resell_core.testing import strategies as rs

_ids = st.text("abcdefghij-0123456789", min_size=1, max_size=12)
_maybe_days = st.none() | rs.days

_lines = st.builds(
    InvoiceLine,
    kind=st.sampled_from(list(LineKind)),
    description=st.text(max_size=20),
    quantity=st.decimals(min_value=1, max_value=500, places=0),
    unit_price=rs.money("USD"),
    amount=rs.money("USD"),
    period=st.none() | rs.periods(),
)

_invoices = st.builds(
    Invoice,
    id=_ids,
    agency_id=_ids,
    number=st.integers(1, 10**6),
    account_id=st.none() | _ids,
    profile_id=st.none() | _ids,
    issued_on=rs.days,
    currency=st.just("USD"),
    lines=st.lists(_lines, max_size=3),  # a list: the converter makes it a tuple
    status=st.sampled_from(list(InvoiceStatus)),
    paid_earmarked=rs.money("USD"),
    paid_pool=rs.money("USD"),
    paid_card=rs.money("USD"),
    attempts=st.integers(0, 5),
    next_retry_on=_maybe_days,
    dunning_ends_on=_maybe_days,
    period_key=st.none() | _ids,
    version=st.integers(0, 50),
)

_records = st.builds(
    Record,
    _ids,
    _ids,
    st.text(max_size=10),
    st.text(max_size=10),
    st.text(max_size=30),
    st.none() | _ids,
    st.integers(0, 50),
)

SERVED: dict[type[Any], st.SearchStrategy[Any]] = {
    # The aggregates the SQL storage copies and versions (plain and frozen classes).
    Agency: rs.agencies(),
    Account: rs.lifecycle_accounts(),
    BillingProfile: rs.billing_profiles(),
    Invoice: _invoices,
    Record: _records,
    # Frozen values with validators, served all the same.
    AuditEvent: rs.audit_events(),
    Period: rs.periods(),
    InvoiceLine: _lines,
}
"""Each class the generator serves, with a strategy of its valid values."""


def _fields(value: Any) -> tuple[Any, ...]:
    # Accounts and invoices compare by id: their fields are compared one by one.
    return tuple(getattr(value, f.name) for f in attrs.fields(type(value)))


def _arguments(cls: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    return {f.alias: values[f.name] for f in attrs.fields(cls) if f.init}


@pytest.mark.parametrize("cls", list(SERVED), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_unchecked_builds_what_init_builds(cls: type[Any], data: st.DataObject) -> None:
    value = data.draw(SERVED[cls])
    values = _fields(value)
    by_name = dict(zip((f.name for f in attrs.fields(cls)), values, strict=True))

    built = cls(**_arguments(cls, by_name))
    made = unchecked(cls)(*values)
    made_by_keyword = unchecked(cls)(**by_name)

    for fast in (made, made_by_keyword):
        assert type(fast) is cls
        assert _fields(fast) == _fields(built) == values
        assert repr(fast) == repr(built)


@pytest.mark.parametrize("cls", list(SERVED), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_replacement_is_what_evolve_returns(cls: type[Any], data: st.DataObject) -> None:
    value = data.draw(SERVED[cls], label="value")
    other = data.draw(SERVED[cls], label="other")
    fields = {f.name: f for f in attrs.fields(cls)}
    changed = tuple(data.draw(st.lists(st.sampled_from(list(fields)), unique=True)))
    new = [getattr(other, name) for name in changed]
    try:
        evolved = attrs.evolve(value, **{fields[n].alias: getattr(other, n) for n in changed})
    except ResellError:
        assume(False)  # fields of two values that do not go together (a period's bounds)
        raise

    replaced = replacer(cls, *changed)(value, *new)

    assert replaced is not value
    assert type(replaced) is cls
    assert _fields(replaced) == _fields(evolved)
    assert repr(replaced) == repr(evolved)


@pytest.mark.parametrize("cls", list(SERVED), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_a_copy_is_a_new_value_equal_to_evolve(cls: type[Any], data: st.DataObject) -> None:
    value = data.draw(SERVED[cls])

    copied = copier(cls)(value)

    assert copied is not value
    assert type(copied) is cls
    assert _fields(copied) == _fields(attrs.evolve(value)) == _fields(value)


def test_a_frozen_copy_is_still_frozen() -> None:
    period = Period(date(2024, 4, 11), date(2024, 5, 11))
    copied = replacer(Period, "end")(period, date(2024, 6, 1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        copied.start = date(2024, 1, 1)  # type: ignore[misc]


def test_each_class_and_change_has_one_function() -> None:
    assert unchecked(Invoice) is unchecked(Invoice)
    assert replacer(Invoice, "version") is replacer(Invoice, "version")
    assert copier(Invoice) is replacer(Invoice)
    assert replacer(Invoice, "status", "version") is not replacer(Invoice, "version", "status")


def test_generated_code_shows_in_tracebacks() -> None:
    """A wrong call fails inside the generated function, whose source is registered."""
    with pytest.raises(AttributeError) as caught:
        replacer(Period, "end")(object(), date(2024, 6, 1))
    text = "".join(traceback.format_exception(caught.value))
    assert "<resell_core replace resell_core.periods.Period end>" in text
    assert "_value.start" in text


@attrs.define
class _WithHook:
    name: str

    def __attrs_post_init__(self) -> None:
        self.name = self.name.strip()


@attrs.frozen(cache_hash=True)
class _CachedHash:
    name: str


@attrs.define(slots=False)
class _NoSlots:
    name: str


@attrs.define
class _Reserved:
    _obj: str


class _NotAttrs:
    pass


@pytest.mark.parametrize(
    ("cls", "reason"),
    [
        (_WithHook, "__attrs_post_init__"),
        (_CachedHash, "cache_hash"),
        (_NoSlots, "no slots"),
        (_Reserved, "reserved"),
        (_NotAttrs, "not an attrs class"),
    ],
)
def test_a_class_whose_init_does_more_is_refused(cls: type[Any], reason: str) -> None:
    with pytest.raises(TypeError, match=reason):
        unchecked(cls)


@pytest.mark.parametrize("changed", [("nope",), ("end", "end")])
def test_replacing_a_field_the_class_does_not_have_once_is_refused(
    changed: tuple[str, ...],
) -> None:
    with pytest.raises(TypeError, match="distinct fields"):
        replacer(Period, *changed)


def test_nothing_is_converted_or_checked() -> None:
    """What it skips is what makes it fast: it is for values already valid."""
    wrong = unchecked(Period)(date(2024, 5, 11), date(2024, 4, 11))
    assert wrong.days == -30
    listed = unchecked(Invoice)(
        *(["i", "a", 1, None, None, date(2024, 1, 1), "USD", []] + [None] * 10)
    )
    lines: object = listed.lines
    assert lines == []
