"""How each versioned aggregate is stored: its table, columns, unique keys and errors.

A :class:`Spec` says it for one kind (agencies, accounts, billing profiles, invoices,
records); a :class:`Cursor` names the fields an aggregate holds in columns of their own
(an account's billing cursor), written alone when nothing else changed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Generic, TypeVar

import attrs
from sqlalchemy import Table, UniqueConstraint

from resell_core.adapters.sql import schema
from resell_core.agency import Agency
from resell_core.billing.due import next_billing_day
from resell_core.billing.invoices import Invoice
from resell_core.billing.profiles import BillingProfile
from resell_core.errors import AlreadyExists, DuplicateName, ResellError
from resell_core.lifecycle.account import Account
from resell_core.lifecycle.account_query import expires_on
from resell_core.ports import Record
from resell_core.serialization import from_json, loader, parse_json, structurer

__all__ = ["ACCOUNT", "AGENCY", "INVOICE", "PROFILE", "RECORDS", "Cursor", "Spec"]

V = TypeVar("V")


def _cursor_loader(cls: type[V], fields: tuple[str, ...]) -> Callable[[Any], V]:
    """Return a reader of a row whose ``fields`` and ``version`` columns win over the
    document's copies."""
    build = structurer(cls)

    def load(row: Any) -> V:
        data = parse_json(row.data)
        data["version"] = row.version  # written with the cursor, not in the document
        for name in fields:
            held = getattr(row, name)
            # Dates come back as dates, or as ISO text from a driver's cursor (SQLite).
            data[name] = held.isoformat() if isinstance(held, date) else held
        return build(data)

    return load


@attrs.frozen(eq=False)
class Cursor(Generic[V]):
    """Fields of an aggregate held by columns of their own (an account's billing cursor),
    written alone when nothing else of the aggregate changed.

    Attributes:
        fields: The fields, each stored in the column of its name; these columns win over
            the document's copies when the row is read.
        derived: The other columns that depend on them (written with them), each with
            the function that works its value out.
        rest: The aggregate's other fields (``version`` aside), to tell that only the
            cursor changed since the row was read.
        load: Reads the aggregate back from a row (``data`` and the cursor's columns).
        values: Gives the fields' values, then the derived columns' (as :attr:`columns`).
    """

    fields: tuple[str, ...]
    derived: Mapping[str, Callable[[V], object]]
    rest: Callable[[V], tuple[object, ...]]
    load: Callable[[Any], V]
    values: Callable[[V], tuple[object, ...]]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the cursor's fields and the derived values are written to."""
        return (*self.fields, *self.derived)

    @classmethod
    def of(
        cls, kind: type[V], fields: tuple[str, ...], derived: Mapping[str, Callable[[V], object]]
    ) -> Cursor[V]:
        """Build the cursor of ``kind`` (an attrs class) over ``fields``."""
        others = [f.name for f in attrs.fields(kind) if f.name not in (*fields, "version")]  # type: ignore[arg-type]
        getter = operator.attrgetter(*others)
        get = operator.attrgetter(*fields)
        work_out = tuple(derived.values())

        def values(value: V) -> tuple[object, ...]:
            given = get(value)
            return (*(given if len(fields) > 1 else (given,)), *[w(value) for w in work_out])

        return cls(fields, derived, getter, _cursor_loader(kind, fields), values)


@attrs.frozen(eq=False)
class Spec(Generic[V]):
    """How one kind of versioned aggregate is stored.

    Attributes:
        kind: Its name in errors (``"account"``).
        table: Its table (key column ``id``).
        columns: The row's columns but ``id``, ``data``, ``version`` and the fixed ones.
        load: Reads the aggregate back from ``data``.
        claims: The unique keys a value holds, by constraint name: a column's value, or a
            tuple of values for a key over several columns.
        errors: The error of each unique constraint, by constraint name.
        fixed: Columns with one value for the whole repository (records' ``repository``).
        cursor: Fields held by columns of their own, or None.
    """

    kind: str
    table: Table
    columns: Callable[[V], dict[str, object]]
    load: Callable[[str], V]
    claims: Callable[[V], dict[str, object]]
    errors: Mapping[str, Callable[[V], ResellError]]
    fixed: Mapping[str, str] = attrs.field(factory=dict)
    cursor: Cursor[V] | None = None

    @property
    def read_columns(self) -> tuple[str, ...]:
        """The columns a read of the aggregate needs."""
        return ("data", "version", *(() if self.cursor is None else self.cursor.fields))

    def read(self, row: Any) -> V:
        """Read the aggregate back from a row of :attr:`read_columns`."""
        return self.load(row.data) if self.cursor is None else self.cursor.load(row)

    def unique_columns(self, constraint: str) -> list[str]:
        """Return the columns of one of the table's unique constraints (the fixed ones aside)."""
        for found in self.table.constraints:
            if isinstance(found, UniqueConstraint) and found.name == constraint:
                return [c.name for c in found.columns if c.name not in self.fixed]
        raise AssertionError(f"no constraint {constraint}")  # pragma: no cover


def _agency_columns(agency: Agency) -> dict[str, object]:
    return {"referral_code": agency.referral_code}


def _profile_columns(profile: BillingProfile) -> dict[str, object]:
    return {"agency_id": profile.agency_id, "label_key": profile.label.casefold()}


def _invoice_columns(invoice: Invoice) -> dict[str, object]:
    return {
        "agency_id": invoice.agency_id,
        "number": invoice.number,
        "account_id": invoice.account_id,
        "status": str(invoice.status),  # a StrEnum's str() is its value, read faster
        "next_retry_on": invoice.next_retry_on,
        "period_key": invoice.period_key,
    }


def _record_columns(record: Record) -> dict[str, object]:
    return {"agency_id": record.agency_id, "record_key": record.key}


def _record_load(data: str) -> Record:
    return from_json(data, Record)


def _account_columns(account: Account) -> dict[str, object]:
    row = schema.account_columns(account)
    del row["id"], row["version"]
    return row


AGENCY = Spec[Agency](
    "agency",
    schema.agencies,
    _agency_columns,
    loader(Agency),
    lambda a: {"uq_agencies_referral_code": a.referral_code},
    {"uq_agencies_referral_code": lambda a: DuplicateName("referral code", a.referral_code)},
)
ACCOUNT = Spec[Account](
    "account",
    schema.accounts,
    _account_columns,
    loader(Account),
    lambda a: {"uq_accounts_name_key": a.name.casefold()},
    {"uq_accounts_name_key": lambda a: DuplicateName("account name", a.name)},
    # Billing a period changes these alone: the run writes them, not the document. The
    # next billing day is the domain's rule itself (what schema.next_billing_on returns),
    # called for every account the run writes without that wrapper's extra call.
    cursor=Cursor.of(
        Account,
        ("next_period", "paid_through"),
        {"next_billing_on": next_billing_day, "expires_on": expires_on},
    ),
)
PROFILE = Spec[BillingProfile](
    "billing profile",
    schema.profiles,
    _profile_columns,
    loader(BillingProfile),
    lambda p: {"uq_profiles_agency_id_label_key": (p.agency_id, p.label.casefold())},
    {"uq_profiles_agency_id_label_key": lambda p: DuplicateName("billing profile label", p.label)},
)
INVOICE = Spec[Invoice](
    "invoice",
    schema.invoices,
    _invoice_columns,
    loader(Invoice),
    lambda i: {
        "uq_invoices_period_key": i.period_key,
        "uq_invoices_agency_id_number": (i.agency_id, i.number),
    },
    {
        "uq_invoices_period_key": lambda i: AlreadyExists("recurring invoice", i.period_key),
        "uq_invoices_agency_id_number": lambda i: AlreadyExists(
            "invoice number", f"{i.agency_id}/{i.number}"
        ),
    },
)


def _record_spec(repository: str) -> Spec[Record]:
    return Spec[Record](
        "record",
        schema.records,
        _record_columns,
        _record_load,
        lambda r: {"uq_records_repository_record_key": r.key},
        {"uq_records_repository_record_key": lambda r: AlreadyExists("record key", r.key)},
        {"repository": repository},
    )


RECORDS = {
    name: _record_spec(name)
    for name in ("transfers", "payouts", "brandings", "credit_notes", "top_ups")
}
