"""The exact planner: brute force over every subset of actions on random tiny networks
must match the MIP (measure, and the cheapest plan reaching it); more budget never gives
more risk; actions only help (why sites that lose nothing need no copy)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from builders import random_network
from plan_helpers import brute_force, random_actions, with_ttrs

from chipstress import load_builtin
from chipstress.errors import InvalidInput
from chipstress.workflows.examples import example_path
from chipstress.workflows.plan import CURVE_COLUMNS, evaluate_sites, load_actions, plan
from chipstress.workflows.whatif import site_sweep

BUDGETS = [0.0, 4.0, 9.0, 17.0]
CASES = [(seed, measure) for seed in range(8) for measure in ("worst", "exposed")]


@pytest.mark.parametrize(("seed", "measure"), CASES, ids=[f"rand{s}-{m}" for s, m in CASES])
def test_mip_matches_brute_force(seed: int, measure: str) -> None:
    network = with_ttrs(random_network(seed, ("mixed", "tight", "ample")[seed % 3]), seed)
    actions = random_actions(network, seed)
    key = "worst_lost_profit" if measure == "worst" else "exposed_sites"
    result = plan(network, actions, measure, BUDGETS)
    assert list(result.curve.columns) == CURVE_COLUMNS
    values = result.curve["value"].tolist()
    assert all(b <= a * (1 + 1e-9) + 1e-9 for a, b in itertools.pairwise(values))
    for row in result.curve.itertuples(index=False):
        best, cheapest = brute_force(network, actions, key, row.budget)
        assert row.value == pytest.approx(best, rel=1e-6, abs=1e-6), (row.budget, row.actions)
        assert row.cost == pytest.approx(cheapest, abs=1e-9), (row.budget, row.actions)
        assert row.cost <= row.budget + 1e-9
        assert row.status == "optimal" and row.gap == pytest.approx(0.0, abs=1e-6)
        assert row.bound <= row.value * (1 + 1e-6) + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_actions_only_help(seed: int) -> None:
    """Every site's loss (and exposure) with any set of actions is at most its baseline:
    the reason the MIP needs copies only for the sites that lose at baseline."""
    network = with_ttrs(random_network(seed, "mixed"), seed)
    actions = random_actions(network, 100 + seed, count=5)
    baseline = site_sweep(network).set_index("node")
    from chipstress.workflows.plan import combined_edits
    from chipstress.workflows.whatif import apply_edits

    for r in (1, 2, 5):
        for combo in itertools.islice(itertools.combinations(actions.actions, r), 4):
            edited = apply_edits(network, combined_edits(list(combo)))
            after = site_sweep(edited).set_index("node")
            lost_b = baseline["lost_profit"].fillna(0)
            lost_a = after["lost_profit"].reindex(lost_b.index).fillna(0)
            assert (lost_a <= lost_b * (1 + 1e-9) + 1e-7).all(), [a.id for a in combo]
            newly = after["exposed"].reindex(baseline.index) & ~baseline["exposed"]
            assert not newly.any(), [a.id for a in combo]


def test_tri_cluster_points_are_verified() -> None:
    network = load_builtin("tri-cluster")
    path = example_path("actions", "tri-cluster")
    assert path is not None
    every = load_actions(path, network)
    chosen = every.by_id(
        [
            "inv-asml-euv-8wk",
            "ttr-asml-second-hub",
            "inv-ajinomoto-abf-4wk",
            "ttr-hakata-mutual-aid",
            "talent-kaohsiung-to-az",
            "ttr-fab21-dispatch-hsp",
        ]
    )
    subset = type(every)(chosen, every.horizon, every.name, every.currency, every.source)
    result = plan(network, subset, "worst", [1e6, 3e7, 2e8])
    for row in result.curve.itertuples(index=False):
        figures = evaluate_sites(network, subset.by_id([a for a in row.actions.split(";") if a]))
        assert row.value == figures["worst_lost_profit"]
        assert row.program_value == pytest.approx(row.value, rel=1e-6)
    assert result.curve["value"].iloc[-1] < result.baseline["worst"]
    tables = result.tables()
    assert set(tables) == {"curve", "choices", "plan_actions"}
    assert len(tables["plan_actions"]) == 6
    summary = result.summary()
    assert summary["measure"] == "worst" and summary["candidates"] == 6


def test_bad_plan_arguments() -> None:
    network = with_ttrs(random_network(1), 1)
    actions = random_actions(network, 1, count=2)
    with pytest.raises(InvalidInput, match="measure"):
        plan(network, actions, "median", [1.0])
    with pytest.raises(InvalidInput, match="budgets"):
        plan(network, actions, "worst", [-1.0])
    with pytest.raises(InvalidInput, match="budget"):
        plan(network, actions, "worst", [])
    with pytest.raises(InvalidInput, match="budgets"):
        plan(network, actions, "worst", [float("nan")])
    assert np.isfinite(plan(network, actions, "worst", 3.0).curve["value"].iloc[0])
