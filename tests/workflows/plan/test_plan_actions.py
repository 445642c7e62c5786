"""Candidate actions: costs (one-off, per unit, holding over the horizon, retainers),
increments, how actions combine, the shipped tri-cluster candidates, and every bad
action file path with its location."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import build

from chipstress import Network, load_builtin
from chipstress.errors import InvalidInput
from chipstress.workflows.examples import example_path
from chipstress.workflows.plan import combined_edits, load_actions, parse_actions
from chipstress.workflows.whatif import AddInventory, CutTTR, QualifySource, RaiseCapacity


def small() -> Network:
    return build(
        [
            {"id": "gas", "material": "gas", "capacity": 10, "inventory": 4, "ttr": 4},
            {"id": "gas_b", "material": "gas", "capacity": 10, "ttr": 2},
            {"id": "eng", "kind": "talent", "material": "eng", "capacity": 10},
            {"id": "fab", "material": "w", "capacity": 20, "demand": 5, "margin": 10, "ttr": 3},
            {"id": "fab_b", "material": "w2", "capacity": 20, "demand": 5, "margin": 10},
        ],
        [("fab", "gas", 1.0), ("fab_b", "gas", 1.0), ("fab", "eng", 1.0)],
        [("gas", "fab"), ("gas_b", "fab_b"), ("eng", "fab")],
        currency="USD",
    )


def test_costs_and_increments() -> None:
    actions = parse_actions(
        {
            "horizon": 52,
            "currency": "USD",
            "actions": [
                {
                    "id": "stock",
                    "edit": {"type": "add_inventory", "node": "gas", "to": 10},
                    "cost": {"per_unit_period": 0.5, "fixed": 100},
                    "source": "estimate: test",
                },
                {
                    "id": "cap",
                    "edit": {"type": "raise_capacity", "node": "gas", "factor": 1.5},
                    "cost": {"per_unit": 20},
                },
                {
                    "id": "line",
                    "edit": {
                        "type": "qualify_source",
                        "supplier": "gas_b",
                        "customer": "fab",
                        "capacity": 3,
                        "premium": 1,
                    },
                    "cost": 1000,
                },
                {
                    "id": "cut",
                    "edit": {"type": "cut_ttr", "node": "fab", "by": 1, "via": "eng"},
                    "cost": {"per_period": 10, "per_unit": 5},
                },
                {
                    "id": "both",
                    "edits": [
                        {"type": "add_inventory", "node": "fab", "add": 1},
                        {"type": "cut_ttr", "node": "fab", "to": 1},
                    ],
                    "cost": {"fixed": 7},
                },
            ],
        },
        small(),
    )
    costs = {a.id: a.cost for a in actions.actions}
    # 6 units more (4 -> 10) held 52 periods at 0.5, plus 100 fixed.
    assert costs["stock"] == pytest.approx(100 + 0.5 * 6 * 52)
    assert costs["cap"] == pytest.approx(20 * 5)
    assert costs["line"] == 1000
    assert costs["cut"] == pytest.approx(10 * 52 + 5 * 1)
    assert costs["both"] == 7
    by = {a.id: a for a in actions.actions}
    assert by["stock"].increments == (AddInventory("gas", add=6.0),)
    assert by["cap"].increments == (RaiseCapacity("gas", add=5.0),)
    assert by["cut"].increments == (CutTTR("fab", to=2.0, via="eng"),)
    assert "0.5/unit/period x 6 x 52 periods" in by["stock"].cost_basis
    assert by["stock"].source == "estimate: test"
    assert actions.horizon == 52 and actions.currency == "USD"
    combined = combined_edits([by["stock"], by["cut"], by["both"], by["line"]])
    assert CutTTR("fab", to=1.0) in combined  # the deepest cut counts
    assert CutTTR("fab", to=2.0, via="eng") not in combined
    assert AddInventory("gas", add=6.0) in combined and AddInventory("fab", add=1.0) in combined
    assert QualifySource("gas_b", "fab", capacity=3, premium=1) in combined
    assert by["line"].to_dict()["edits"][0]["type"] == "qualify_source"


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ({"actions": []}, "field 'actions'", "non-empty list"),
        ("just text", "actions", "mapping"),
        ({"actions": [{"id": "a", "cost": 1}]}, "actions[0] (a), field 'edit'", "give edit"),
        (
            {"actions": [{"id": "a", "edit": {}, "edits": [], "cost": 1}]},
            "field 'edit'",
            "give edit",
        ),
        ({"actions": [{"id": "a", "edits": [], "cost": 1}]}, "field 'edits'", "non-empty"),
        (
            {"actions": [{"edit": {"type": "remove_site", "node": "gas"}, "cost": 1}]},
            "field 'id'",
            "needs an id",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": 1,
                    },
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": 1,
                    },
                ]
            },
            "actions[1] (a), field 'id'",
            "duplicate id",
        ),
        (
            {"actions": [{"id": "a", "edit": {"type": "remove_site", "node": "gas"}, "cost": 1}]},
            "field 'edit'",
            "remove_site cannot be an action",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "to": 1},
                        "cost": 1,
                    }
                ]
            },
            "field 'to'",
            "below what it has",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "raise_capacity", "node": "gas", "factor": 0.5},
                        "cost": 1,
                    }
                ]
            },
            "field 'factor'",
            "below what it has",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "ghost", "add": 1},
                        "cost": 1,
                    }
                ]
            },
            "actions[0] (a), edits[0], field 'node'",
            "unknown node 'ghost'",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {
                            "type": "qualify_source",
                            "supplier": "eng",
                            "customer": "fab_b",
                            "capacity": 1,
                        },
                        "cost": 1,
                    }
                ]
            },
            "field 'customer'",
            "does not need",
        ),
        (
            {"actions": [{"id": "a", "edit": {"type": "teleport"}, "cost": 1}]},
            "actions[0] (a), edit, field 'type'",
            "unknown edit type",
        ),
        (
            {"actions": [{"id": "a", "edit": {"type": "add_inventory", "node": "gas", "add": 1}}]},
            "field 'cost'",
            "give a cost",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": -3,
                    }
                ]
            },
            "field 'cost'",
            ">= 0",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": "cheap",
                    }
                ]
            },
            "field 'cost'",
            "number or a mapping",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": {},
                    }
                ]
            },
            "field 'cost'",
            "empty",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": {"bribe": 1},
                    }
                ]
            },
            "field 'cost.bribe'",
            "unknown cost part",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": {"fixed": -1},
                    }
                ]
            },
            "field 'cost.fixed'",
            ">= 0",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": {"per_period": 1},
                    }
                ]
            },
            "field 'cost.per_period'",
            "horizon",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edits": [
                            {"type": "add_inventory", "node": "gas", "add": 1},
                            {"type": "cut_ttr", "node": "fab", "to": 1},
                        ],
                        "cost": {"per_unit": 1},
                    }
                ]
            },
            "field 'cost.per_unit'",
            "exactly one edit",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": 1,
                        "colour": "red",
                    }
                ]
            },
            "field 'colour'",
            "unknown field",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": 1,
                    }
                ],
                "horizon": 0,
            },
            "field 'horizon'",
            "> 0",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": 1,
                    }
                ],
                "currency": "EUR",
            },
            "field 'currency'",
            "network's money",
        ),
        (
            {
                "actions": [
                    {
                        "id": "a",
                        "edit": {"type": "add_inventory", "node": "gas", "add": 1},
                        "cost": 1,
                    }
                ],
                "budget": 5,
            },
            "field 'budget'",
            "unknown key",
        ),
        ({"actions": ["nope"]}, "actions[0]", "must be a mapping"),
    ],
)
def test_bad_actions_name_the_place(data: object, where: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_actions(data, small(), "acts.yaml")
    text = str(error.value)
    assert where in text and message in text, text
    assert "acts.yaml" in text


def test_action_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_actions(tmp_path / "none.yaml", small())
    (tmp_path / "bad.yaml").write_text("actions: [", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_actions(tmp_path / "bad.yaml", small())
    (tmp_path / "ok.yaml").write_text(
        "- {id: a, edit: {type: add_inventory, node: gas, add: 1}, cost: 3}\n", encoding="utf-8"
    )
    assert [a.cost for a in load_actions(tmp_path / "ok.yaml", small()).actions] == [3.0]


def test_the_shipped_candidates() -> None:
    network = load_builtin("tri-cluster")
    path = example_path("actions", "tri-cluster")
    assert path is not None
    actions = load_actions(path, network)
    assert len(actions) >= 50
    assert actions.horizon == 52 and actions.currency == "USD"
    kinds = [a.edits[0].type for a in actions.actions]
    assert {"add_inventory", "qualify_source", "raise_capacity", "cut_ttr"} <= set(kinds)
    nodes = network.nodes.set_index("id")
    # Talent dispatch both ways: a qualified source of engineer-days from another
    # cluster's pool, and a TTR cut through a talent pool.
    dispatch = [
        e
        for a in actions.actions
        for e in a.edits
        if isinstance(e, QualifySource) and nodes.at[e.supplier, "kind"] == "talent"
    ]
    assert dispatch and all(
        nodes.at[e.supplier, "cluster"] != nodes.at[e.customer, "cluster"] for e in dispatch
    )
    assert any(isinstance(e, CutTTR) and e.via for a in actions.actions for e in a.edits)
    assert any(e.timing == "reactive" for e in dispatch)
    single = set(network.single_sourced()["node"])
    stocked = {e.node for a in actions.actions for e in a.edits if isinstance(e, AddInventory)}
    assert stocked & single
    assert all(a.source.startswith("estimate:") for a in actions.actions)
    assert all(a.cost > 0 for a in actions.actions)
