"""The SQL storage's copies of aggregates equal what ``attrs.evolve`` returns."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from resell_core.adapters.sql.versioned_rows import copy_aggregate
from resell_core.ports import Record
from resell_core.testing import strategies as rs
from resell_core.testing.contracts.samples import an_invoice


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in attrs.fields(type(value))}


_AGGREGATES = st.one_of(
    rs.lifecycle_accounts(),
    rs.agencies(),
    rs.billing_profiles(),
    rs.audit_events(),
    st.builds(an_invoice),
    st.builds(Record, st.text(), st.text(), st.text(), st.text(), st.text(), st.none()),
)


@given(_AGGREGATES)
def test_a_stored_copy_is_a_new_value_with_every_field_of_the_original(value: Any) -> None:
    """Accounts (plain assignment), invoices and records (their own __setattr__), frozen
    values: the copy is another object of the same class, field for field the same as
    ``attrs.evolve`` makes it."""
    copied = copy_aggregate(value)

    assert copied is not value
    assert type(copied) is type(value)
    assert _fields(copied) == _fields(attrs.evolve(value)) == _fields(value)
