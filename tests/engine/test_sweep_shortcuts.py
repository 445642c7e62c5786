"""The sweep's shortcuts give the answers of the full computation.

* regions gathered from their nodes (``Adjacency``) equal regions found by masking every
  edge and BOM line;
* a scenario the baseline proves unchanged (skipped, no solve) equals the whole
  program's optimum, and such scenarios occur;
* a hot program (the last region kept loaded, only bounds changed) gives the whole
  program's optimum, and after ``reset()`` the same bits as a fresh solver;
* the border certificate's precomputed terms give the reduced costs written out edge by
  edge;
* the group key and the compressed-row gather on hand-computed graphs;
* on small networks, the Python-list walks (``NeighbourLists``, ``walk``) give exactly
  what the numpy walks give: the same regions, the same sweep to the last bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import random_network

from chipstress.engine import (
    RegionalSolver,
    adjacency,
    compile_network,
    impact,
    time_to_survive,
)
from chipstress.engine.adjacency import downstream_product_key, gather, reach, walk
from chipstress.engine.border import border_terms, border_violations
from chipstress.engine.formulation import ProgramKind, StressModel, region_layout
from chipstress.model.generate import generate_network


def close(a: float, b: float, scale: float = 1.0) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-6 * max(abs(b), 1e-3 * scale, 1e-9)


def masked_layout(model: StressModel, region: np.ndarray) -> dict[str, np.ndarray]:
    """The region's parts found by masking every edge and BOM line (the plain way)."""
    sup, cus = region[model.edge_supplier], region[model.edge_customer]
    return {
        "nodes": np.flatnonzero(region),
        "edges": np.flatnonzero(sup & cus),
        "boundary_out": np.flatnonzero(sup & ~cus),
        "boundary_in": np.flatnonzero(~sup & cus),
        "bom_lines": np.flatnonzero(region[model.bom_node]),
    }


@pytest.fixture(params=["python lists", "numpy rows"])
def walks(request, monkeypatch) -> str:
    """Run the test with the small networks' Python lists (for regions of any size),
    then with numpy rows only."""
    if request.param == "numpy rows":
        monkeypatch.setattr(adjacency, "SMALL_NETWORK", 0)
    else:
        monkeypatch.setattr(adjacency, "LIST_REGION_NODES", 10**6)
    return str(request.param)


@pytest.mark.parametrize("seed", range(6))
def test_gathered_regions_equal_masked_regions(seed: int, walks: str) -> None:
    network = generate_network(80 + 20 * seed, tiers=3 + seed % 3, seed=seed)
    model = compile_network(network)
    assert (model.adjacency.lists is not None) == (walks == "python lists")
    rng = np.random.default_rng(seed)
    for share in (0.05, 0.3, 0.7, 1.0):
        region = rng.random(model.n_nodes) < share
        layout = region_layout(model, ProgramKind.TTR, region)
        for name, expected in masked_layout(model, region).items():
            assert np.array_equal(getattr(layout, name), expected), (seed, share, name)
        assert np.array_equal(layout.node_local[layout.nodes], np.arange(len(layout.nodes)))
        outside = np.setdiff1d(np.arange(model.n_nodes), layout.nodes)
        assert np.all(layout.node_local[outside] == -1)


def scenario_list(n_nodes: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    alphas = []
    for _ in range(8):
        alpha = np.zeros(n_nodes)
        alpha[rng.choice(n_nodes, size=int(rng.integers(1, 3)), replace=False)] = rng.choice(
            [1.0, 0.5, 0.2]
        )
        alphas.append(alpha)
    for node in range(n_nodes):  # every node down alone, as a sweep does
        alpha = np.zeros(n_nodes)
        alpha[node] = 1.0
        alphas.append(alpha)
    return alphas


@pytest.mark.parametrize("seed", range(8))
def test_skipped_and_hot_scenarios_equal_the_whole_program(seed: int) -> None:
    network = random_network(seed, ("ample", "tight", "mixed")[seed % 3])
    model = compile_network(network)
    ids = network.nodes["id"].tolist()
    solver = RegionalSolver(model)  # hot programs, skips
    for alpha in scenario_list(model.n_nodes, seed):
        disruption = {ids[i]: float(alpha[i]) for i in np.flatnonzero(alpha)}
        survival = solver.time_to_survive(alpha)
        loss = solver.lost_profit(alpha, 3.0)
        whole_tts = time_to_survive(network, disruption).tts
        whole_loss = impact(network, disruption, 3.0).lost_profit
        assert close(survival.value, whole_tts), (disruption, survival.value, whole_tts)
        assert close(loss.value, whole_loss, float(model.margin @ model.demand) * 3.0), disruption


def test_some_scenarios_are_proven_without_a_solve() -> None:
    """The skip must actually happen on ordinary networks (else the test above says
    nothing about it): count scenarios answered with region size 0."""
    skipped = 0
    for seed in range(6):
        network = random_network(seed, ("ample", "tight", "mixed")[seed % 3])
        model = compile_network(network)
        solver = RegionalSolver(model)
        for alpha in scenario_list(model.n_nodes, seed):
            # (time-to-recover: a region of size 0 means no solve, only by this shortcut)
            skipped += solver.lost_profit(alpha, 3.0).region_size == 0
    assert skipped > 0


@pytest.mark.parametrize("seed", range(4))
def test_reset_makes_answers_independent_of_earlier_scenarios(seed: int) -> None:
    network = random_network(10 + seed, "tight")
    model = compile_network(network)
    alphas = scenario_list(model.n_nodes, seed)
    warm = RegionalSolver(model)
    for alpha in alphas[::-1]:  # something else solved first
        warm.time_to_survive(alpha)
        warm.lost_profit(alpha, 2.0)
    for alpha in alphas:
        warm.reset()
        fresh = RegionalSolver(model)
        assert warm.time_to_survive(alpha).value == fresh.time_to_survive(alpha).value
        assert warm.lost_profit(alpha, 2.0).value == fresh.lost_profit(alpha, 2.0).value


@pytest.mark.parametrize("seed", range(4))
def test_border_terms_give_the_reduced_costs(seed: int) -> None:
    network = generate_network(120, tiers=4, seed=seed)
    model = compile_network(network)
    rng = np.random.default_rng(seed)
    region = rng.random(model.n_nodes) < 0.4
    layout = region_layout(model, ProgramKind.TTR, region)
    flow = rng.choice([0.0, 1.0], size=model.n_edges)
    flow_dual = rng.normal(size=model.n_nodes)
    bom_dual = rng.normal(size=model.n_bom)
    premium = rng.choice([0.0, 0.5], size=model.n_edges)
    pi = rng.normal(size=layout.n_bom + len(layout.nodes))
    terms = border_terms(model, layout, flow, flow_dual, bom_dual, premium)
    customers, suppliers = border_violations(terms, pi)
    tolerance = 1e-9 * (1.0 + np.max(np.abs(pi)) + premium.max())
    expected_customers, expected_suppliers = [], []
    for e in layout.boundary_out:
        reduced = premium[e] - pi[layout.n_bom + layout.node_local[model.edge_supplier[e]]]
        reduced += bom_dual[model.edge_bom_row[e]]
        if (abs(reduced) > tolerance) if flow[e] > 0 else (reduced < -tolerance):
            expected_customers.append(model.edge_customer[e])
    for e in layout.boundary_in:
        reduced = premium[e] + pi[layout.bom_local[model.edge_bom_row[e]]]
        reduced -= flow_dual[model.edge_supplier[e]]
        if (abs(reduced) > tolerance) if flow[e] > 0 else (reduced < -tolerance):
            expected_suppliers.append(model.edge_supplier[e])
    assert sorted(customers.tolist()) == sorted(expected_customers)
    assert sorted(suppliers.tolist()) == sorted(expected_suppliers)
    assert len(expected_customers) + len(expected_suppliers) > 0


def test_gather_and_reach_on_a_small_graph() -> None:
    # 0 -> 1 -> 3, 0 -> 2, 4 alone; rows by node.
    ptr = np.array([0, 2, 3, 3, 3, 3])
    items = np.array([1, 2, 3])
    assert gather(ptr, items, np.array([1, 0])).tolist() == [3, 1, 2]
    assert gather(ptr, items, np.array([2, 4])).tolist() == []
    start = np.zeros(5, bool)
    start[0] = True
    assert np.flatnonzero(reach(start, ptr, items)).tolist() == [0, 1, 2, 3]


def test_walk_on_a_small_graph() -> None:
    # The graph of the test above, as Python lists.
    ptr, items = [0, 2, 3, 3, 3, 3], [1, 2, 3]
    assert walk([0], ptr, items) == {0, 1, 2, 3}
    assert walk([1, 4], ptr, items) == {1, 3, 4}
    assert walk([], ptr, items) == set()
    # Past the limit the walk gives up (the caller walks numpy rows instead).
    assert walk([0], ptr, items, limit=4) == {0, 1, 2, 3}
    assert walk([0], ptr, items, limit=3) is None


@pytest.mark.parametrize("seed", range(5))
def test_walk_reaches_what_reach_reaches(seed: int) -> None:
    network = generate_network(150, tiers=4, seed=seed)
    model = compile_network(network)
    lists = model.adjacency.lists
    assert lists is not None
    rng = np.random.default_rng(seed)
    for rows, ptr, neighbours in (
        (model.customers, lists.out_ptr, lists.customers),
        (model.suppliers, lists.in_ptr, lists.suppliers),
    ):
        for size in (1, 2, 10):
            start = rng.choice(model.n_nodes, size=size, replace=False)
            mask = np.zeros(model.n_nodes, bool)
            mask[start] = True
            expected = np.flatnonzero(reach(mask, rows.indptr, rows.indices)).tolist()
            assert sorted(walk(start.tolist(), ptr, neighbours)) == expected


@pytest.mark.parametrize("seed", range(4))
def test_initial_regions_by_lists_equal_those_by_numpy_rows(seed: int) -> None:
    model = compile_network(generate_network(200, tiers=3 + seed % 3, seed=seed))
    lists = model.adjacency.lists
    assert lists is not None
    solver = RegionalSolver(model)
    rng = np.random.default_rng(seed)
    scenarios = [np.array([node]) for node in range(model.n_nodes)]
    scenarios += [np.sort(rng.choice(model.n_nodes, 3, replace=False)) for _ in range(20)]
    for disrupted in scenarios:
        by_lists = solver._initial_nodes_small(lists, disrupted)
        by_rows = solver._initial_nodes(disrupted)
        assert by_lists is not None  # 200 nodes: no walk passes WALK_NODES
        assert by_lists.dtype == by_rows.dtype
        assert np.array_equal(by_lists, by_rows), disrupted


@pytest.mark.parametrize("walk_nodes", [256, 4], ids=["lists", "lists giving up early"])
def test_a_sweep_by_lists_is_the_sweep_by_numpy_rows(monkeypatch, walk_nodes: int) -> None:
    """End to end, to the last bit: the same regions and region parts give the same
    programs, solved in the same order (also when walks give up part way and numpy
    finishes them)."""
    from chipstress.engine import regional
    from chipstress.workflows import sweep

    network = generate_network(300, tiers=4, seed=3)
    monkeypatch.setattr(regional, "WALK_NODES", walk_nodes)
    monkeypatch.setattr(adjacency, "LIST_REGION_NODES", 10**6)  # every region by lists
    by_lists = sweep(network).table
    monkeypatch.setattr(adjacency, "SMALL_NETWORK", 0)
    assert compile_network(network).adjacency.lists is None
    by_rows = sweep(network).table
    assert by_lists.equals(by_rows)
    assert (by_lists["status"] == "optimal").all()


def test_downstream_product_key_by_hand() -> None:
    # Customers: 2 -> 0, 3 -> 0, 3 -> 1, 4 -> 3, 5 (no customers). Products: 0 and 1.
    ptr = np.array([0, 0, 0, 1, 3, 4, 4])
    customers = np.array([0, 0, 1, 3])
    has_demand = np.array([True, True, False, False, False, False])
    key = downstream_product_key(has_demand, ptr, customers)
    assert key.tolist() == [[0, 0], [1, 1], [0, 0], [0, 1], [0, 1], [6, -1]]


@pytest.mark.parametrize("seed", range(4))
def test_a_hot_program_follows_a_change_of_duration(seed: int) -> None:
    """Time-to-recover on one region at several durations in a row (the hot program's
    right-hand sides change) equals the whole program at each."""
    network = random_network(20 + seed, "tight")
    model = compile_network(network)
    ids = network.nodes["id"].tolist()
    solver = RegionalSolver(model)
    scale = float(model.margin @ model.demand)
    for node in range(model.n_nodes):
        alpha = np.zeros(model.n_nodes)
        alpha[node] = 1.0
        for duration in (0.5, 4.0, 1.5, 12.0):
            loss = solver.lost_profit(alpha, duration).value
            whole = impact(network, {ids[node]: 1.0}, duration).lost_profit
            assert close(loss, whole, scale * duration), (ids[node], duration, loss, whole)
