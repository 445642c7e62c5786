"""A lossless plan is the undisrupted optimum, found without the whole program.

* hand-computed plans: the equal split, re-weighting an overloaded supplier, a repair;
* no plan where the network loses sales, would pay a premium, or supply runs in a cycle;
* on random and generated networks, whenever a plan is found it breaks no constraint
  and the whole program's optimum is 0 (the plan's cost), at the steady state and over
  finite windows;
* a regional solver that starts from the plan gives the same sweep answers as one that
  solved the whole undisrupted program.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from builders import build, random_network
from hypothesis import given, settings
from hypothesis import strategies as st

from chipstress.engine import RegionalSolver, compile_network
from chipstress.engine import lossless as lossless_module
from chipstress.engine.formulation import ProgramKind, StressModel, build_lp
from chipstress.engine.lossless import lossless_plan, plan_violations
from chipstress.engine.solver import HighsSolver, SolveStatus
from chipstress.model.generate import generate_network


def two_sources(capacity_b: float, capacity_x: float = 100.0) -> StressModel:
    """P (demand 10, 2 of m per unit) buys m from A or B; A buys x from X, B buys z
    from Z (each 1 per unit)."""
    network = build(
        [
            {"id": "P", "material": "p", "capacity": 100, "demand": 10, "margin": 1.0},
            {"id": "A", "material": "m", "capacity": 30},
            {"id": "B", "material": "m", "capacity": capacity_b},
            {"id": "X", "material": "x", "capacity": capacity_x},
            {"id": "Z", "material": "z", "capacity": 100},
        ],
        bom=[("P", "m", 2.0), ("A", "x", 1.0), ("B", "z", 1.0)],
        sources=[("A", "P"), ("B", "P"), ("X", "A"), ("Z", "B")],
    )
    return compile_network(network)


def production_of(model: StressModel, production: np.ndarray) -> dict[str, float]:
    return {str(node): float(value) for node, value in zip(model.node_ids, production, strict=True)}


def whole_optimum(model: StressModel, duration: float) -> tuple[SolveStatus, float]:
    data, _ = build_lp(model, ProgramKind.TTR, np.zeros(model.n_nodes), duration)
    solver = HighsSolver()
    solver.load(data)
    status = solver.solve()
    return status, solver.objective() if status == SolveStatus.OPTIMAL else math.nan


def test_the_equal_split_by_hand() -> None:
    model = two_sources(capacity_b=10)
    plan = lossless_plan(model)
    assert plan is not None
    assert (plan.passes, plan.repaired) == (1, 0)
    # P makes 10 and needs 20 of m: 10 from A and 10 from B (B exactly at capacity).
    assert production_of(model, plan.production) == {
        "P": 10.0,
        "A": 10.0,
        "B": 10.0,
        "X": 10.0,
        "Z": 10.0,
    }
    assert not plan_violations(model, plan.production, plan.flow, math.inf).any()


def test_an_overloaded_supplier_is_weighted_down() -> None:
    # B can make 5 of the 10 the equal split asks: the walk moves orders to A.
    model = two_sources(capacity_b=5)
    plan = lossless_plan(model)
    assert plan is not None
    assert plan.passes > 1 and plan.repaired == 0
    made = production_of(model, plan.production)
    assert made["B"] <= 5.0 + 1e-9
    assert made["A"] + made["B"] == pytest.approx(20.0)
    assert made["X"] == pytest.approx(made["A"]) and made["Z"] == pytest.approx(made["B"])


def test_what_the_walks_leave_over_is_repaired_by_a_regional_program(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # X (A's only source) can make 2: one walk per start leaves X overloaded; the
    # region (downstream of X and its supply trees: all five nodes) solves it.
    model = two_sources(capacity_b=100, capacity_x=2)
    monkeypatch.setattr(lossless_module, "REWEIGHT_PASSES", 1)
    monkeypatch.setattr(lossless_module, "REPAIR_MAX_FRACTION", 1.0)
    plan = lossless_plan(model)
    assert plan is not None
    assert plan.repaired == 5
    made = production_of(model, plan.production)
    assert made["X"] <= 2.0 + 1e-7 and made["A"] <= 2.0 + 1e-7
    # P gets the 20 of m it needs (a program may ship more than is needed: nothing
    # charges for it).
    assert made["A"] + made["B"] >= 20.0 - 1e-7
    assert made["P"] == pytest.approx(10.0)
    assert not plan_violations(model, plan.production, plan.flow, math.inf).any()


def test_a_repair_region_above_its_limit_gives_no_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    model = two_sources(capacity_b=100, capacity_x=2)
    monkeypatch.setattr(lossless_module, "REWEIGHT_PASSES", 1)
    assert lossless_plan(model) is None  # the region is the whole network, above 25 %


def test_no_plan_where_the_network_loses_sales() -> None:
    model = two_sources(capacity_b=10, capacity_x=5)  # A and B can make 15 of the 20
    assert lossless_plan(model) is None
    status, optimum = whole_optimum(model, math.inf)
    assert status == SolveStatus.OPTIMAL and optimum > 0


def test_no_plan_that_pays_a_premium() -> None:
    network = build(
        [
            {"id": "P", "material": "p", "capacity": 100, "demand": 10, "margin": 1.0},
            {"id": "A", "material": "m", "capacity": 100},
        ],
        bom=[("P", "m", 1.0)],
        sources=[("A", "P")],
    )
    network.sources["premium"] = 0.5
    model = compile_network(network)
    assert model.has_premium
    assert lossless_plan(model) is None


def test_no_plan_where_supply_runs_in_a_cycle() -> None:
    model = two_sources(capacity_b=10)
    # X ships to Z and Z back to X (on an existing BOM line: only the walk's order is
    # tested): Z waits for X's orders and X for Z's.
    ids = list(model.node_ids)
    x, z = ids.index("X"), ids.index("Z")
    line = model.edge_bom_row[0]
    cyclic = dataclasses.replace(
        model,
        edge_supplier=np.append(model.edge_supplier, [x, z]),
        edge_customer=np.append(model.edge_customer, [z, x]),
        edge_bom_row=np.append(model.edge_bom_row, [line, line]),
        edge_premium=np.append(model.edge_premium, [0.0, 0.0]),
    )
    assert lossless_module.supply_levels(cyclic) is None
    assert lossless_plan(cyclic) is None


def test_stock_over_a_window_lowers_what_is_made() -> None:
    network = build(
        [
            {"id": "P", "material": "p", "capacity": 100, "demand": 10, "margin": 1.0},
            {"id": "A", "material": "m", "capacity": 100, "inventory": 40},
        ],
        bom=[("P", "m", 1.0)],
        sources=[("A", "P")],
    )
    model = compile_network(network)
    plan = lossless_plan(model, 4.0)  # A's 40 units cover 10 per period for 4 periods
    assert plan is not None
    assert production_of(model, plan.production) == {"P": 10.0, "A": 0.0}
    assert plan.flow.tolist() == [10.0]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    style=st.sampled_from(["ample", "tight", "mixed"]),
    duration=st.sampled_from([math.inf, 1.0, 3.5, 12.0]),
)
def test_a_plan_found_is_feasible_and_the_whole_program_costs_zero(
    seed: int, style: str, duration: float
) -> None:
    model = compile_network(random_network(seed, style))
    plan = lossless_plan(model, duration)
    status, optimum = whole_optimum(model, duration)
    assert status == SolveStatus.OPTIMAL
    if plan is None:
        return
    assert not plan_violations(model, plan.production, plan.flow, duration).any()
    assert np.all(plan.flow >= 0) and np.all(plan.production <= model.capacity * (1 + 1e-9))
    assert optimum <= 1e-7 * max(1.0, float(model.margin @ model.demand))


@pytest.mark.parametrize("seed", range(4))
def test_generated_networks_get_a_plan_at_once(seed: int) -> None:
    # Generated capacities are the equal split's requirements times a headroom >= 1.
    model = compile_network(generate_network(2_000, tiers=5, seed=seed, validate=False))
    plan = lossless_plan(model)
    assert plan is not None and plan.passes == 1 and plan.repaired == 0
    assert not plan_violations(model, plan.production, plan.flow, math.inf).any()


@pytest.mark.parametrize("seed", [1, 2])
def test_a_sweep_from_the_plan_matches_one_from_the_whole_program(seed: int) -> None:
    model = compile_network(generate_network(600, tiers=5, seed=seed, validate=False))
    from_plan = RegionalSolver(model)
    from_plan.lossless_plan_rows = 0
    whole = RegionalSolver(model)
    whole.lossless_plan_rows = 10**12
    assert from_plan.baseline_ttr(math.inf).basis is not None
    assert from_plan.baseline_ttr(math.inf).rate == 0.0
    assert whole.baseline_ttr(math.inf).rate == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(seed)
    suppliers = np.flatnonzero(model.demand == 0)
    for node in rng.choice(suppliers, size=40, replace=False):
        alpha = np.zeros(model.n_nodes)
        alpha[node] = 1.0
        for solver in (from_plan, whole):
            solver.reset()
        a, b = from_plan.time_to_survive(alpha), whole.time_to_survive(alpha)
        assert a.status == b.status == SolveStatus.OPTIMAL
        assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-12)
        for duration in (2.0, 6.0):
            a, b = from_plan.lost_profit(alpha, duration), whole.lost_profit(alpha, duration)
            assert a.status == b.status == SolveStatus.OPTIMAL
            assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", [1, 6])
def test_a_network_that_loses_falls_back_to_the_whole_program(seed: int) -> None:
    model = compile_network(random_network(seed, "tight"))
    status, optimum = whole_optimum(model, math.inf)
    assert status == SolveStatus.OPTIMAL and optimum > 0
    forced = RegionalSolver(model)
    forced.lossless_plan_rows = 0
    steady = forced.baseline_ttr(math.inf)
    assert steady.rate == pytest.approx(optimum, rel=1e-9)
    assert steady.lost_rate.sum() > 0


def test_a_sweep_through_worker_processes_uses_the_plan_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chipstress.workflows import sweep
    from chipstress.workflows.runner import Runner

    network = generate_network(400, tiers=4, seed=5)
    whole = sweep(network, runner=Runner(workers=2)).table
    monkeypatch.setattr(RegionalSolver, "lossless_plan_rows", 0)
    planned = sweep(network, runner=Runner(workers=2)).table
    assert planned["node"].tolist() == whole["node"].tolist()
    assert (planned["status"] == "optimal").all()
    for column in ("lost_profit", "tts"):
        a, b = planned[column].to_numpy(float), whole[column].to_numpy(float)
        assert np.array_equal(np.isinf(a), np.isinf(b))
        finite = np.isfinite(b)
        assert np.allclose(a[finite], b[finite], rtol=1e-9, atol=1e-6)
