"""What-if edits: parsing (every bad path names file, edit and field), applying them
(qualified lines, metadata, sequential semantics, removals) and the result's validity."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from builders import build

from chipstress import Network, load_builtin
from chipstress.errors import InvalidInput
from chipstress.workflows.examples import example_path
from chipstress.workflows.whatif import (
    AddInventory,
    CutTTR,
    QualifySource,
    RaiseCapacity,
    RemoveSite,
    apply_edits,
    describe_edit,
    edit_to_dict,
    load_edits,
    parse_edits,
    qualified_lines,
    site_links,
    sites_of,
)


def small() -> Network:
    """gas_a (north) ships gas to fab; gas_b (south) and a talent pool supply fab_b only;
    both gas plants need raw."""
    return build(
        [
            {"id": "gas_a", "material": "gas", "capacity": 15, "ttr": 4, "cluster": "north"},
            {"id": "gas_b", "material": "gas", "capacity": 15, "ttr": 3, "cluster": "south"},
            {
                "id": "talent",
                "kind": "talent",
                "material": "eng",
                "capacity": 50,
                "cluster": "south",
            },
            {"id": "raw", "material": "raw", "capacity": 100},
            {
                "id": "fab",
                "material": "wafer",
                "capacity": 20,
                "demand": 10,
                "margin": 100,
                "ttr": 2,
                "cluster": "north",
            },
            {
                "id": "fab_b",
                "material": "wafer_b",
                "capacity": 20,
                "demand": 5,
                "margin": 50,
                "cluster": "south",
            },
        ],
        [
            ("fab", "gas", 1.0),
            ("fab_b", "gas", 1.0),
            ("fab_b", "eng", 1.0),
            ("gas_b", "raw", 2.0),
            ("gas_a", "raw", 2.0),
        ],
        [
            ("gas_a", "fab"),
            ("gas_b", "fab_b"),
            ("talent", "fab_b"),
            ("raw", "gas_a"),
            ("raw", "gas_b"),
        ],
    )


def test_no_edits_is_the_same_network() -> None:
    network = small()
    assert apply_edits(network, []) is network
    assert apply_edits(network, {"edits": []}) is network


def test_number_edits() -> None:
    network = small()
    edited = apply_edits(
        network,
        [
            AddInventory("gas_a", add=30),
            AddInventory("gas_a", add=5),
            AddInventory("fab", to=7),
            RaiseCapacity("gas_b", factor=1.5),
            RaiseCapacity("raw", add=10),
            RaiseCapacity("talent", to=60),
            CutTTR("gas_a", by=1),
            CutTTR("gas_b", to=1, via="talent"),
        ],
    )
    nodes = edited.nodes.set_index("id")
    assert nodes.at["gas_a", "inventory"] == 35 and nodes.at["fab", "inventory"] == 7
    assert nodes.at["gas_b", "capacity"] == 22.5 and nodes.at["raw", "capacity"] == 110
    assert nodes.at["talent", "capacity"] == 60
    assert nodes.at["gas_a", "ttr"] == 3 and nodes.at["gas_b", "ttr"] == 1
    assert network.nodes.set_index("id").at["gas_a", "inventory"] == 0  # untouched
    assert list(edited.nodes.dtypes) == list(network.nodes.dtypes)


def test_qualified_source_becomes_a_line() -> None:
    network = small()
    edited = apply_edits(
        network,
        [QualifySource("gas_b", "fab", capacity=12, lead_time=2, premium=3, timing="reactive")],
    )
    line = "gas_b:for:fab"
    nodes = edited.nodes.set_index("id")
    assert nodes.at[line, "capacity"] == 12 and nodes.at[line, "inventory"] == 0
    assert nodes.at[line, "material"] == "gas" and nodes.at[line, "cluster"] == "south"
    assert nodes.at[line, "ttr"] == 3 and math.isnan(nodes.at[line, "demand"])
    bom = edited.bom[edited.bom["node"] == line]
    assert bom[["material", "quantity"]].values.tolist() == [["raw", 2.0]]
    sources = edited.sources.set_index(["supplier", "customer"])
    assert sources.at[("raw", line), "premium"] == 0.0
    assert sources.at[(line, "fab"), "premium"] == 3.0
    assert ("gas_b", "fab") not in sources.index
    assert qualified_lines(edited) == [
        {
            "line": line,
            "supplier": "gas_b",
            "customer": "fab",
            "capacity": 12.0,
            "lead_time": 2.0,
            "timing": "reactive",
            "premium": 3.0,
        }
    ]
    links = site_links(edited)
    assert links.linked == {"gas_b": [line]} and links.delayed == {line: 2.0}
    assert line not in sites_of(edited) and len(sites_of(edited)) == network.n_nodes
    # The edited tables pass the full validation.
    again = Network.from_tables(edited.nodes, edited.bom, edited.sources, edited.meta)
    assert again.n_nodes == network.n_nodes + 1
    # A second line of the same pair gets its own id; edits can address a line.
    twice = apply_edits(
        edited, [QualifySource("gas_b", "fab", capacity=1), RaiseCapacity(line, add=1)]
    )
    assert f"{line}:2" in set(twice.nodes["id"])
    assert twice.nodes.set_index("id").at[line, "capacity"] == 13


def test_remove_site_takes_its_lines_and_edges() -> None:
    network = small()
    edited = apply_edits(network, [QualifySource("gas_b", "fab", capacity=12), RemoveSite("gas_b")])
    assert {"gas_b", "gas_b:for:fab"}.isdisjoint(set(edited.nodes["id"]))
    assert "gas_b" not in set(edited.sources["supplier"]) | set(edited.sources["customer"])
    assert qualified_lines(edited) == []
    # Removing the customer removes the line too.
    gone = apply_edits(network, [QualifySource("gas_b", "fab", capacity=12), RemoveSite("fab")])
    assert "gas_b:for:fab" not in set(gone.nodes["id"])


@pytest.mark.parametrize(
    ("edits", "field", "message"),
    [
        ([{"type": "add_inventory", "node": "ghost", "add": 1}], "node", "unknown node 'ghost'"),
        (
            [
                {"type": "remove_site", "node": "gas_a"},
                {"type": "add_inventory", "node": "gas_a", "add": 1},
            ],
            "node",
            "removed by an earlier edit",
        ),
        (
            [{"type": "qualify_source", "supplier": "gas_b", "customer": "raw", "capacity": 1}],
            "customer",
            "does not need",
        ),
        (
            [{"type": "qualify_source", "supplier": "talent", "customer": "fab", "capacity": 1}],
            "customer",
            "does not need",
        ),
        (
            [{"type": "qualify_source", "supplier": "gas_a", "customer": "fab", "capacity": 1}],
            "supplier",
            "already ships",
        ),
        (
            [{"type": "qualify_source", "supplier": "fab", "customer": "fab", "capacity": 1}],
            "customer",
            "cannot supply itself",
        ),
        (
            [{"type": "qualify_source", "supplier": "ghost", "customer": "fab", "capacity": 1}],
            "supplier",
            "unknown node",
        ),
        ([{"type": "cut_ttr", "node": "gas_a", "to": 9}], "to", "not a cut"),
        ([{"type": "cut_ttr", "node": "gas_a", "by": 9}], "by", "cannot cut"),
        ([{"type": "cut_ttr", "node": "raw", "to": 1}], "node", "has no ttr"),
        ([{"type": "cut_ttr", "node": "gas_a", "to": 1, "via": "raw"}], "via", "not a talent pool"),
        ([{"type": "cut_ttr", "node": "gas_a", "to": 1, "via": "ghost"}], "via", "unknown node"),
    ],
)
def test_bad_edits_against_the_network(edits: list, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        apply_edits(small(), edits, source="my-edits.yaml")
    text = str(error.value)
    assert "my-edits.yaml, edits[" in text and f"field '{field}'" in text and message in text


def test_a_cycle_is_refused() -> None:
    network = build(
        [
            {"id": "a", "material": "x", "capacity": 5},
            {"id": "b", "material": "y", "capacity": 5, "demand": 1, "margin": 1},
            {"id": "c", "material": "x", "capacity": 5, "demand": 1, "margin": 1},
        ],
        [("b", "x", 1.0), ("c", "y", 1.0)],
        [("a", "b"), ("b", "c")],
    )
    # c would supply b, which supplies c: a cycle.
    with pytest.raises(InvalidInput, match="cycle"):
        apply_edits(network, [QualifySource("c", "b", capacity=1)])


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ([{"type": "teleport", "node": "a"}], "edits[0], field 'type'", "unknown edit type"),
        ([{"node": "a"}], "edits[0], field 'type'", "missing"),
        (["nope"], "edits[0]", "must be a mapping"),
        (
            [{"type": "add_inventory", "node": "a"}],
            "edits[0], field 'add'",
            "exactly one of add, to",
        ),
        ([{"type": "add_inventory", "node": "a", "add": 1, "to": 2}], "field 'to'", "exactly one"),
        ([{"type": "add_inventory", "node": "a", "add": -1}], "field 'add'", "must be >= 0"),
        ([{"type": "add_inventory", "node": "a", "add": "lots"}], "field 'add'", "finite number"),
        ([{"type": "add_inventory", "node": "a", "add": True}], "field 'add'", "finite number"),
        ([{"type": "add_inventory", "node": "a", "add": float("inf")}], "field 'add'", "finite"),
        ([{"type": "add_inventory", "node": 3, "add": 1}], "field 'node'", "must be text"),
        ([{"type": "add_inventory", "add": 1}], "field 'node'", "needs node"),
        (
            [{"type": "add_inventory", "node": "a", "add": 1, "colour": "red"}],
            "field 'colour'",
            "unknown field",
        ),
        ([{"type": "raise_capacity", "node": "a", "factor": 0}], "field 'factor'", "must be > 0"),
        ([{"type": "cut_ttr", "node": "a", "by": 0}], "field 'by'", "must be > 0"),
        (
            [{"type": "qualify_source", "supplier": "a", "customer": "b"}],
            "field 'capacity'",
            "needs capacity",
        ),
        (
            [{"type": "qualify_source", "supplier": "a", "customer": "b", "capacity": 0}],
            "field 'capacity'",
            "> 0",
        ),
        (
            [
                {
                    "type": "qualify_source",
                    "supplier": "a",
                    "customer": "b",
                    "capacity": 1,
                    "premium": -2,
                }
            ],
            "field 'premium'",
            ">= 0",
        ),
        (
            [
                {
                    "type": "qualify_source",
                    "supplier": "a",
                    "customer": "b",
                    "capacity": 1,
                    "lead_time": -1,
                }
            ],
            "field 'lead_time'",
            ">= 0",
        ),
        (
            [
                {
                    "type": "qualify_source",
                    "supplier": "a",
                    "customer": "b",
                    "capacity": 1,
                    "timing": "later",
                }
            ],
            "field 'timing'",
            "unknown timing",
        ),
        ({"edits": [], "colour": 1}, "field 'colour'", "unknown key"),
        ({"name": "x"}, "field 'edits'", "no edits"),
    ],
)
def test_bad_edit_shapes(data: object, where: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_edits(data, "f.yaml")
    text = str(error.value)
    assert f"f.yaml, {where}" in text or where in text, text
    assert message in text


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_edits([{"type": "nope"}, {"type": "add_inventory", "node": "a", "add": -1}], "f.yaml")
    assert "2 problem(s)" in str(error.value)
    assert "edits[0]" in str(error.value) and "edits[1]" in str(error.value)


def test_edits_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_edits(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("edits: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_edits(tmp_path / "bad.yaml")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(InvalidInput, match="empty"):
        load_edits(tmp_path / "empty.yaml")
    with pytest.raises(InvalidInput, match="is a folder"):
        load_edits(tmp_path)
    (tmp_path / "list.yaml").write_text("- {type: remove_site, node: a}\n", encoding="utf-8")
    assert load_edits(tmp_path / "list.yaml") == [RemoveSite("a")]


def test_edits_round_trip_and_words() -> None:
    edits = [
        AddInventory("a", add=1.5),
        QualifySource("a", "b", capacity=2, lead_time=1, premium=3, timing="reactive"),
        RaiseCapacity("a", factor=2),
        CutTTR("a", to=1, via="t"),
        RemoveSite("a"),
    ]
    assert parse_edits([edit_to_dict(e) for e in edits]) == edits
    words = [describe_edit(e) for e in edits]
    assert words[1] == "qualify a for b: 2 per period, lead time 1 (reactive), premium 3/unit"
    assert "engineers from t" in words[3]
    assert parse_edits([{"type": "add_inventory", "node": "a", "set": 4}]) == [
        AddInventory("a", to=4)
    ]


def test_the_shipped_example_applies_to_tri_cluster() -> None:
    network = load_builtin("tri-cluster")
    path = example_path("edits", "tri-cluster")
    assert path is not None and path.exists()
    edits = load_edits(path)
    kinds = {e.type for e in edits}
    assert kinds == {"add_inventory", "qualify_source", "cut_ttr", "raise_capacity", "remove_site"}
    edited = apply_edits(network, edits, source=str(path))
    lines = qualified_lines(edited)
    assert {line["supplier"] for line in lines} == {"talent_kyushu", "linde_lienhwa_tainan"}
    assert Network.from_tables(edited.nodes, edited.bom, edited.sources, edited.meta).n_nodes == (
        edited.n_nodes
    )
    assert isinstance(edited.nodes, pd.DataFrame)
