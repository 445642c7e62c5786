"""The Network object: its views, its copy-with-edits methods, equality, from_tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chipstress import InvalidInput, InvalidNetwork, Network, NetworkMeta, Problem
from chipstress.model.schema import table_schema

TINY_IDS = ["fab", "resist_a", "resist_b", "water", "gas"]


# --------------------------------------------------------------------------- views
def test_tables_have_the_schema_columns_in_order(tiny: Network) -> None:
    assert list(tiny.nodes.columns) == list(table_schema("nodes"))
    assert list(tiny.bom.columns) == list(table_schema("bom"))
    assert list(tiny.sources.columns) == list(table_schema("sources"))
    assert isinstance(tiny.nodes.index, pd.RangeIndex)
    assert tiny.nodes["id"].tolist() == TINY_IDS


def test_defaults_are_filled_in(tiny: Network) -> None:
    nodes = tiny.nodes.set_index("id")
    assert nodes.at["resist_a", "inventory"] == 0.0
    assert math.isnan(nodes.at["resist_a", "demand"])
    assert math.isnan(nodes.at["resist_a", "margin"])
    assert nodes.at["fab", "name_ja"] == ""
    assert nodes.at["resist_a", "name_ja"] == "レジストA"
    assert nodes.at["fab", "name_zh"] == "晶圓十八廠"


def test_tiers_are_inferred_from_the_sources(tiny: Network) -> None:
    assert tiny.nodes["tier"].tolist() == [1, 2, 2, 2, 3]
    assert tiny.nodes["tier"].dtype == np.int64


def test_index_arrays(tiny: Network) -> None:
    idx = tiny.index
    assert idx.node_ids.tolist() == TINY_IDS
    assert idx.materials.tolist() == ["neon", "photoresist", "wafer-n3", "water"]
    assert idx.n_nodes == 5
    expected = {
        "node_material": [2, 1, 1, 3, 0],
        "bom_node": [0, 0, 1],
        "bom_material": [1, 3, 0],
        "source_supplier": [1, 2, 3, 4],
        "source_customer": [0, 0, 0, 1],
    }
    for name, values in expected.items():
        array = getattr(idx, name)
        assert array.dtype == np.int64, name
        assert array.tolist() == values, name
    assert idx.has_demand.tolist() == [True, False, False, False, False]


def test_index_is_consistent_on_a_large_network(large: Network) -> None:
    idx = large.index
    assert idx.n_nodes == 1700
    assert (idx.node_ids[idx.bom_node] == large.bom["node"].to_numpy()).all()
    assert (idx.materials[idx.bom_material] == large.bom["material"].to_numpy()).all()
    assert (idx.node_ids[idx.source_supplier] == large.sources["supplier"].to_numpy()).all()
    assert (idx.node_ids[idx.source_customer] == large.sources["customer"].to_numpy()).all()
    assert (idx.materials[idx.node_material] == large.nodes["material"].to_numpy()).all()
    assert int(idx.has_demand.sum()) == 200
    for array in (idx.bom_node, idx.bom_material, idx.source_supplier, idx.source_customer):
        assert array.min() >= 0


def test_positions(tiny: Network) -> None:
    assert tiny.index.positions(["gas", "fab"]).tolist() == [4, 0]
    assert tiny.index.positions([]).tolist() == []
    with pytest.raises(InvalidInput, match=r"unknown node id 'nope'"):
        tiny.index.positions(["fab", "nope"])


def test_positions_lists_at_most_ten_unknown_ids(tiny: Network) -> None:
    ids = [f"x{i}" for i in range(13)]
    with pytest.raises(InvalidInput) as caught:
        tiny.index.positions(ids)
    assert str(caught.value) == (
        "unknown node id 'x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9' and 3 more"
    )


def test_products_customers_suppliers(tiny: Network) -> None:
    assert tiny.product_ids() == ["fab"]
    assert tiny.customers_of("gas") == ["resist_a"]
    assert tiny.customers_of("fab") == []
    assert tiny.suppliers_of("fab") == ["resist_a", "resist_b", "water"]
    assert tiny.suppliers_of("gas") == []
    assert tiny.n_nodes == 5
    assert tiny.name == "tiny"


def test_single_sourced(tiny: Network) -> None:
    expected = pd.DataFrame(
        {"node": ["fab", "resist_a"], "material": ["water", "neon"], "supplier": ["water", "gas"]}
    )
    got = tiny.single_sourced()
    assert list(got.columns) == ["node", "material", "supplier"]
    assert got.astype(object).equals(expected.astype(object))


def test_single_sourced_matches_the_reference_p_table(small: Network, small_json: Path) -> None:
    p = json.loads(small_json.read_text())["P"]
    expected = {
        (node, material, suppliers[0])
        for node, by_material in p.items()
        for material, suppliers in by_material.items()
        if len(suppliers) == 1
    }
    got = set(small.single_sourced().itertuples(index=False, name=None))
    assert got == expected
    assert len(got) == 23


def test_summary_and_repr(tiny: Network, small: Network) -> None:
    assert tiny.summary() == (
        "tiny: 5 nodes, 1 products, 4 materials, 3 BOM lines, 4 source edges (period: week)"
    )
    assert small.summary() == (
        "small: 35 nodes, 5 products, 19 materials, 33 BOM lines, 44 source edges (period: period)"
    )
    assert repr(tiny) == f"<Network {tiny.summary()}>"


# --------------------------------------------------------------------------- edits
def test_with_inventory_returns_an_edited_copy(tiny: Network) -> None:
    edited = tiny.with_inventory({"gas": 55, "fab": 0.5})
    nodes = edited.nodes.set_index("id")
    assert nodes.at["gas", "inventory"] == 55.0
    assert nodes.at["fab", "inventory"] == 0.5
    assert edited.nodes["inventory"].dtype == np.float64
    # The original is untouched, and only that column differs.
    assert tiny.nodes.set_index("id").at["gas", "inventory"] == 0.0
    assert edited.differences(tiny) == ["nodes.inventory differs"]
    assert edited.bom is tiny.bom and edited.sources is tiny.sources
    assert edited.meta is tiny.meta


def test_with_capacity_ttr_and_demand(tiny: Network) -> None:
    edited = tiny.with_capacity({"resist_b": 0}).with_ttr({"water": 12.5})
    nodes = edited.nodes.set_index("id")
    assert nodes.at["resist_b", "capacity"] == 0.0
    assert nodes.at["water", "ttr"] == 12.5
    assert edited.differences(tiny) == ["nodes.capacity differs", "nodes.ttr differs"]
    # Demand drives the index: a fresh copy has a fresh index.
    assert tiny.index.has_demand.tolist() == [True, False, False, False, False]
    more = tiny.with_demand({"gas": 3})
    assert more.product_ids() == ["fab", "gas"]
    assert tiny.product_ids() == ["fab"]


@pytest.mark.parametrize("column", ["id", "name", "material", "lat", "tier", "bogus"])
def test_with_node_values_rejects_other_columns(tiny: Network, column: str) -> None:
    with pytest.raises(InvalidInput, match=f"cannot set node column '{column}'"):
        tiny.with_node_values(column, {"fab": 1.0})


@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("column", ["capacity", "inventory", "ttr", "demand", "margin"])
def test_with_node_values_rejects_bad_numbers(tiny: Network, column: str, value: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        tiny.with_node_values(column, {"fab": 1.0, "gas": value})
    assert str(caught.value) == f"{column} must be finite and >= 0; got bad values for ['gas']"


def test_with_node_values_rejects_unknown_ids(tiny: Network) -> None:
    with pytest.raises(InvalidInput, match=r"unknown node id 'ghost'"):
        tiny.with_inventory({"ghost": 1.0})
    with pytest.raises(InvalidInput, match=r"unknown node id 'ghost'"):
        tiny.with_capacity({"fab": 1.0, "ghost": 1.0})


def test_without_nodes_drops_incident_rows(tiny: Network) -> None:
    smaller = tiny.without_nodes(["resist_a"])
    assert smaller.nodes["id"].tolist() == ["fab", "resist_b", "water", "gas"]
    assert isinstance(smaller.nodes.index, pd.RangeIndex)
    # resist_a's own BOM line goes; fab's line for photoresist stays (resist_b fills it).
    assert smaller.bom[["node", "material"]].values.tolist() == [
        ["fab", "photoresist"],
        ["fab", "water"],
    ]
    # Both the edge from resist_a and the edge to it go.
    assert smaller.sources[["supplier", "customer"]].values.tolist() == [
        ["resist_b", "fab"],
        ["water", "fab"],
    ]
    idx = smaller.index
    assert idx.source_supplier.tolist() == [1, 2]
    assert idx.source_customer.tolist() == [0, 0]
    assert idx.bom_node.tolist() == [0, 0]
    # The original is untouched.
    assert tiny.n_nodes == 5 and len(tiny.bom) == 3 and len(tiny.sources) == 4


def test_without_nodes_keeps_lines_the_dropped_node_filled(tiny: Network) -> None:
    smaller = tiny.without_nodes({"gas", "water"})
    assert smaller.nodes["id"].tolist() == ["fab", "resist_a", "resist_b"]
    # Not re-validated: fab still needs water and resist_a neon, now with no supplier.
    assert smaller.bom[["node", "material"]].values.tolist() == [
        ["fab", "photoresist"],
        ["fab", "water"],
        ["resist_a", "neon"],
    ]
    assert smaller.sources[["supplier", "customer"]].values.tolist() == [
        ["resist_a", "fab"],
        ["resist_b", "fab"],
    ]
    assert smaller.single_sourced().empty
    assert smaller.index.bom_material.tolist() == [1, 3, 0]
    assert smaller.index.materials.tolist() == ["neon", "photoresist", "wafer-n3", "water"]


def test_without_nodes_rejects_unknown_ids(tiny: Network) -> None:
    with pytest.raises(InvalidInput, match=r"unknown node id 'ghost'"):
        tiny.without_nodes(["gas", "ghost"])
    assert tiny.without_nodes([]) == tiny


def test_with_meta(tiny: Network) -> None:
    renamed = tiny.with_meta(name="renamed", period="day")
    assert renamed.name == "renamed" and renamed.meta.period == "day"
    assert renamed.meta.currency == "USD"
    assert tiny.name == "tiny"
    assert renamed.nodes is tiny.nodes


# --------------------------------------------------------------------------- equality
def test_equal_networks(tiny: Network, tiny_path: Path) -> None:
    from chipstress import read_network

    again = read_network(tiny_path)
    assert again is not tiny
    assert again == tiny
    assert again.equals(tiny)
    assert again.differences(tiny) == []
    assert tiny != "tiny"
    assert not tiny.equals(None)
    with pytest.raises(TypeError):
        hash(tiny)


def test_differences_name_what_differs(tiny: Network) -> None:
    assert tiny.with_meta(period="day").differences(tiny) == [
        f"metadata differs: {tiny.with_meta(period='day').meta} != {tiny.meta}"
    ]
    fewer = tiny.without_nodes(["gas"])
    assert fewer.differences(tiny) == [
        "nodes shape differs: (4, 17) != (5, 17)",
        "sources shape differs: (3, 5) != (4, 5)",
    ]
    extra = Network(tiny.nodes.assign(owner="x"), tiny.bom, tiny.sources, tiny.meta)
    assert extra.differences(tiny) == [
        f"nodes columns differ: {[*tiny.nodes.columns, 'owner']} != {list(tiny.nodes.columns)}"
    ]
    assert extra != tiny


def test_differences_see_dtypes(tiny: Network) -> None:
    as_int = Network(
        tiny.nodes.assign(capacity=tiny.nodes["capacity"].astype(np.int64)),
        tiny.bom,
        tiny.sources,
        tiny.meta,
    )
    assert as_int.differences(tiny) == ["nodes.capacity differs"]


# --------------------------------------------------------------------------- from_tables
def test_from_tables_builds_a_canonical_network() -> None:
    nodes = pd.DataFrame(
        {
            "id": ["chip", "wafer"],
            "material": ["chip", "wafer"],
            "capacity": [10, 20],
            "demand": [5, None],
            "margin": [3.5, None],
        }
    )
    bom = pd.DataFrame({"node": ["chip"], "material": ["wafer"], "quantity": [1.5]})
    sources = pd.DataFrame({"supplier": ["wafer"], "customer": ["chip"]})
    net = Network.from_tables(nodes, bom, sources, meta={"name": "two", "period": "month"})
    assert net.meta == NetworkMeta(name="two", period="month")
    assert list(net.nodes.columns) == list(table_schema("nodes"))
    assert net.nodes["name"].tolist() == ["chip", "wafer"]  # defaults to the id
    assert net.nodes["kind"].tolist() == ["supplier", "supplier"]
    assert net.nodes["inventory"].tolist() == [0.0, 0.0]
    assert net.nodes["capacity"].tolist() == [10.0, 20.0]
    assert net.nodes["tier"].tolist() == [1, 2]
    assert net.bom["source"].tolist() == [""]
    assert net.summary() == (
        "two: 2 nodes, 1 products, 2 materials, 1 BOM lines, 1 source edges (period: month)"
    )


def test_from_tables_without_bom_and_sources() -> None:
    nodes = pd.DataFrame(
        {"id": ["only"], "material": ["m"], "capacity": [1.0], "demand": [1.0], "margin": [1.0]}
    )
    net = Network.from_tables(nodes)
    assert net.meta == NetworkMeta()
    assert len(net.bom) == 0 and len(net.sources) == 0
    assert list(net.bom.columns) == list(table_schema("bom"))


def test_from_tables_accepts_any_row_index(tiny: Network) -> None:
    shuffled = tiny.nodes.drop(columns=["tier"]).iloc[::-1].set_axis(list("abcde"))
    net = Network.from_tables(shuffled, tiny.bom, tiny.sources, tiny.meta)
    assert net.nodes["id"].tolist() == TINY_IDS[::-1]
    assert isinstance(net.nodes.index, pd.RangeIndex)


def test_from_tables_names_table_row_and_column() -> None:
    nodes = pd.DataFrame(
        {
            "id": ["chip", "wafer", "wafer"],
            "material": ["chip", "wafer", "wafer"],
            "capacity": [10.0, -1.0, 2.0],
            "demand": [5.0, None, None],
            "margin": [1.0, None, None],
        }
    )
    bom = pd.DataFrame({"node": ["chip"], "material": ["wafer"], "quantity": [1.0]})
    sources = pd.DataFrame({"supplier": ["wafer", "ghost"], "customer": ["chip", "chip"]})
    with pytest.raises(InvalidNetwork) as caught:
        Network.from_tables(nodes, bom, sources)
    assert caught.value.problems == [
        Problem("nodes", "row 3", "id", "duplicate id 'wafer' (first at row 2)"),
        Problem("nodes", "row 2", "capacity", "capacity is negative (-1)"),
        Problem(
            "sources", "row 2", "supplier", "unknown node 'ghost' (no such id in the node table)"
        ),
    ]


def test_from_tables_reports_missing_columns() -> None:
    with pytest.raises(InvalidNetwork) as caught:
        Network.from_tables(pd.DataFrame({"id": ["a"], "capacity": [1.0]}))
    assert caught.value.problems == [
        Problem(
            "nodes", "", "material", "required column 'material' is missing (columns: id, capacity)"
        )
    ]
