"""The one converter: wire shapes, plan selections, JSON helpers and the catalog loader."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import resell_core as rc
from resell_core.serialization import from_json, load_catalog, structure, to_json, unstructure


def test_money_travels_as_amount_string_and_currency() -> None:
    """Money is {"amount": "12.50", "currency": "USD"} on the wire and back."""
    money = rc.Money("12.50", "USD")

    data = unstructure(money)

    assert data == {"amount": "12.50", "currency": "USD"}
    assert structure(data, rc.Money) == money


def test_money_with_a_float_amount_is_refused() -> None:
    """A float amount in plain data is refused, naming the float."""
    with pytest.raises(rc.InvalidInput, match="float"):
        structure({"amount": 12.5, "currency": "USD"}, rc.Money)


def test_decimal_date_datetime_and_enum_shapes() -> None:
    """Decimals are strings, dates and datetimes ISO, enums their value."""
    moment = datetime(2024, 4, 26, 9, 30, tzinfo=UTC)

    assert unstructure(Decimal("0.15")) == "0.15"
    assert unstructure(date(2024, 2, 29)) == "2024-02-29"
    assert unstructure(moment) == "2024-04-26T09:30:00+00:00"
    assert unstructure(rc.Frequency.ANNUAL) == "annual"
    assert structure("2024-04-26T09:30:00+00:00", datetime) == moment
    assert structure("annual", rc.Frequency) is rc.Frequency.ANNUAL


def test_naive_datetime_is_refused() -> None:
    """A datetime without a time zone is refused with advice."""
    with pytest.raises(rc.InvalidInput, match="time zone"):
        structure("2024-04-26T09:30:00", datetime)


def test_plan_selection_limits_travel_as_a_mapping() -> None:
    """A plan's limits are {"users": 12} on the wire; the round trip is exact."""
    plan = rc.PlanSelection("V3", "marketing", "plus", 2500, "annual", {"users": 12}, ("sms",))

    data = unstructure(plan)

    assert data["limits"] == {"users": 12}
    assert data["frequency"] == "annual"
    assert from_json(to_json(plan), rc.PlanSelection) == plan


def test_plan_selection_with_many_bad_fields_lists_them_all() -> None:
    """A plan with wrong types and an unknown key reports every bad field."""
    data = {"version": 3, "product": "marketing", "contacts": "lots", "colour": "teal"}

    with pytest.raises(rc.InvalidInput) as caught:
        structure(data, rc.PlanSelection)

    fields = {p.field for p in caught.value.problems}
    assert fields == {"version", "tier", "contacts", "colour"}


def test_from_json_refuses_text_that_is_not_json() -> None:
    """Text that is not JSON is an InvalidInput, not a traceback from json."""
    with pytest.raises(rc.InvalidInput, match="not valid JSON"):
        from_json("{north-bakery", rc.PlanSelection)


def test_catalog_loads_from_a_json_file(tmp_path: Path) -> None:
    """A host's catalog file (here the sample's) loads into an equal catalog."""
    path = tmp_path / "acme-digital-catalog.json"
    path.write_text(to_json(rc.Catalog.sample()), encoding="utf-8")

    assert load_catalog(path) == rc.Catalog.sample()


def test_bad_catalog_lists_every_shape_problem() -> None:
    """Two wrong shapes deep in the catalog are both listed with their paths."""
    data = unstructure(rc.Catalog.sample())
    bands = data["versions"][1]["products"][0]["tiers"][0]["bands"]
    bands[0]["monthly"] = "nine dollars"
    bands[1]["contacts"] = "many"

    with pytest.raises(rc.CatalogError) as caught:
        load_catalog(data)

    paths = [p.field for p in caught.value.problems]
    assert "$.versions[1].products[0].tiers[0].bands[0].monthly" in paths
    assert "$.versions[1].products[0].tiers[0].bands[1].contacts" in paths


def test_inconsistent_catalog_lists_every_problem() -> None:
    """SMS for starter and a migration rate of 3 are both reported by the loader."""
    data = unstructure(rc.Catalog.sample())
    data["addons"][0]["tiers"].append("starter")
    data["migration_discount"]["rate"] = "3"

    with pytest.raises(rc.CatalogError) as caught:
        load_catalog(data)

    assert {p.field for p in caught.value.problems} == {
        "addons.sms.tiers",
        "migration_discount.rate",
    }


def test_catalog_with_an_unknown_key_is_refused() -> None:
    """A misspelt key is refused rather than silently ignored."""
    data = unstructure(rc.Catalog.sample())
    data["curency"] = "EUR"

    with pytest.raises(rc.CatalogError, match="curency"):
        load_catalog(data)


def test_missing_catalog_file_is_a_catalog_error(tmp_path: Path) -> None:
    """A path that does not exist is refused with advice."""
    with pytest.raises(rc.CatalogError, match="check the path"):
        load_catalog(tmp_path / "missing.json")


def test_catalog_file_that_is_not_json_is_a_catalog_error(tmp_path: Path) -> None:
    """A file that is not JSON is refused."""
    path = tmp_path / "catalog.json"
    path.write_text("prices: cheap", encoding="utf-8")

    with pytest.raises(rc.CatalogError, match="not valid JSON"):
        load_catalog(path)


def test_json_numbers_with_fractions_are_read_exactly() -> None:
    """A JSON number such as 0.1 becomes Decimal('0.1'), never a float."""
    assert from_json("0.1", Decimal) == Decimal("0.1")
