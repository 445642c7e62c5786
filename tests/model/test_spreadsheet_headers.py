"""Header suggestions: which table a sheet holds and which column each header names."""

from __future__ import annotations

import pytest

from chipstress.model.io.spreadsheet_headers import (
    ACCEPT_SCORE,
    columns_of,
    normalize_header,
    suggest_mapping,
    table_of_sheet,
)


@pytest.mark.parametrize(
    ("header", "word"),
    [
        ("Capacity (wafers / week)", "capacity"),
        ("Qty-Per", "qty_per"),
        ("  Site ID ", "site_id"),
        ("ＴＴＲ", "ttr"),  # full-width letters
        (None, ""),
        (12, "12"),
    ],
)
def test_normalize_header(header: object, word: str) -> None:
    assert normalize_header(header) == word


def test_an_analysts_flat_sheet() -> None:
    suggestion = suggest_mapping(
        ["Vendor", "Buyer", "Part", "Qty per", "Cap (wk)", "Stock", "Recovery weeks", "Notes"]
    )
    assert suggestion.table == "flat"
    assert suggestion.mapping == {
        "Vendor": "supplier",
        "Buyer": "customer",
        "Part": "material",
        "Qty per": "quantity",
        "Cap (wk)": "capacity",
        "Stock": "inventory",
        "Recovery weeks": "ttr",
        "Notes": None,
    }
    assert suggestion.scores["Vendor"] == 1.0 and suggestion.scores["Notes"] < ACCEPT_SCORE
    assert suggestion.missing == []
    assert list(suggestion.scores) == list(suggestion.mapping)  # in header order


@pytest.mark.parametrize(
    ("headers", "sheet", "table"),
    [
        (["id", "material", "capacity", "demand", "margin"], "Sites", "nodes"),
        (["node", "material", "quantity"], "Sheet1", "bom"),
        (["supplier", "customer"], "", "sources"),
        (["supplier", "customer", "lead_time"], "Lanes", "sources"),
        (["supplier", "customer", "material", "quantity"], "", "flat"),
    ],
)
def test_table_from_headers_and_sheet_name(headers: list[str], sheet: str, table: str) -> None:
    assert suggest_mapping(headers, sheet).table == table


def test_typos_and_prefixes_score_below_one_but_map() -> None:
    suggestion = suggest_mapping(["Site ID", "Capacity / week", "Invntory", "Supplier name"], "")
    assert suggestion.mapping == {
        "Site ID": "id",
        "Capacity / week": "capacity",
        "Invntory": "inventory",
        "Supplier name": "name",
    }
    assert suggestion.scores["Capacity / week"] == 0.9
    assert ACCEPT_SCORE <= suggestion.scores["Invntory"] < 1
    assert suggestion.missing == ["material"]


def test_each_column_is_taken_once_best_header_first() -> None:
    suggestion = suggest_mapping(["capacity", "Capacity / week"], table="nodes")
    assert suggestion.mapping == {"capacity": "capacity", "Capacity / week": None}


def test_fixed_pairs_win() -> None:
    suggestion = suggest_mapping(["Kap.", "capacity"], table="nodes", fixed={"Kap.": "capacity"})
    assert suggestion.mapping == {"Kap.": "capacity", "capacity": None}
    assert suggestion.scores["Kap."] == 1.0


def test_empty_and_repeated_headers_are_left_out() -> None:
    suggestion = suggest_mapping(["id", "", None, "id"], table="nodes")
    assert list(suggestion.mapping) == ["id"]


def test_unknown_table() -> None:
    with pytest.raises(KeyError):
        suggest_mapping(["a"], table="people")
    with pytest.raises(KeyError):
        columns_of("people")


def test_sheet_names() -> None:
    assert table_of_sheet("Bill of materials") == "bom"
    assert table_of_sheet("Sites") == "nodes"
    assert table_of_sheet("Totals") is None


def test_to_dict_is_plain() -> None:
    data = suggest_mapping(["supplier", "customer"]).to_dict()
    assert data["table"] == "sources" and data["mapping"]["supplier"] == "supplier"
    assert set(data) == {"table", "mapping", "scores", "alternatives", "missing"}
