"""The hazard planner (expected annual loss, CVaR): common random numbers (the baseline is
``simulate``'s, to the bit), the heuristic against brute force over every subset, and the
proven bound below the true optimum at every budget."""

from __future__ import annotations

import itertools
import math

import pytest

from chipstress import load_builtin
from chipstress.errors import InvalidInput
from chipstress.workflows.examples import example_path
from chipstress.workflows.hazards import simulate
from chipstress.workflows.plan import ActionSet, load_actions, plan
from chipstress.workflows.plan.hazard import EventSample

YEARS, SEED = 40, 7
IDS = [  # candidates that help against Taiwan's frequent earthquakes
    "inv-fab18-n4-1wk",
    "ttr-fab18-dispatch-hsp",
    "ttr-ap8-dispatch-hsp",
    "gas-alfe-hsinchu-to-fab22",
    "ttr-fab22-dispatch-tainan",
]


@pytest.fixture(scope="module")
def setting() -> tuple:
    network = load_builtin("tri-cluster")
    path = example_path("actions", "tri-cluster")
    assert path is not None
    every = load_actions(path, network)
    chosen = [every.by_id([i])[0] for i in IDS]
    return network, ActionSet(chosen, every.horizon, every.name, every.currency)


@pytest.mark.parametrize("measure", ["eal", "cvar"])
def test_heuristic_bound_and_brute_force(setting: tuple, measure: str) -> None:
    network, actions = setting
    sample = EventSample(network, actions.actions, YEARS, SEED, measure, 0.9)
    simulated = simulate(network, YEARS, SEED)
    if measure == "eal":
        assert sample.baseline == simulated.expected_annual_loss
    costs = [a.cost for a in actions.actions]
    assert sample.improvable, "the check needs events some plan can improve"
    budgets = [0.0, 2e6, 4e6, 1e8]
    result = plan(network, actions, measure, budgets, years=YEARS, seed=SEED, cvar_level=0.9)
    values = result.curve["value"].tolist()
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(values))
    for row in result.curve.itertuples(index=False):
        best = min(
            sample.evaluate(frozenset(combo))
            for r in range(len(costs) + 1)
            for combo in itertools.combinations(range(len(costs)), r)
            if sum(costs[k] for k in combo) <= row.budget + 1e-9
        )
        assert row.value >= best - 1e-6 * max(1.0, best)
        assert row.bound <= best * (1 + 1e-7) + 1e-6, (row.budget, row.bound, best)
        assert 0.0 <= row.gap <= 1.0 or math.isnan(row.gap)
        assert row.cost <= row.budget + 1e-9
        assert row.status == "heuristic" and "bound" in row.status_detail
    assert result.baseline[measure] == sample.baseline
    assert result.baseline["all_actions"] <= result.curve["value"].min() + 1e-6
    assert values[-1] < values[0]  # some plan helps


def test_hazard_plan_arguments(setting: tuple) -> None:
    network, actions = setting
    with pytest.raises(InvalidInput, match="years"):
        plan(network, actions, "eal", [1.0], years=0)
    with pytest.raises(InvalidInput, match="level"):
        plan(network, actions, "cvar", [1.0], years=5, cvar_level=1.5)
