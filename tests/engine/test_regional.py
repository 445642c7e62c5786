"""The regional solver against the whole program and against an independent reference.

Every scenario is solved three ways and must agree to 1e-6 relative:

* :class:`RegionalSolver` (small certified regions, warm starts), both with regions
  allowed to grow to the whole network and with the default fallback to the whole
  program above half of it;
* :func:`impact` / :func:`time_to_survive` (the whole program, HiGHS);
* ``reference_lp`` (the brief's unscaled programs, dense, ``scipy.optimize.linprog``).

Networks: ~40 generated networks (60-200 nodes, 3-5 tiers; some with demand raised so
that the undisrupted network already loses sales) and ~45 small hand-randomised ones
(shared suppliers, suppliers that also sell to end customers; ample, tight and mixed
capacities). Scenarios: one node down, one node partly down, several nodes at once.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import build, product, random_network
from reference_lp import reference_impact, reference_tts

from chipstress import Network
from chipstress.engine import (
    RegionalSolver,
    compile_network,
    disruption_vector,
    impact,
    time_to_survive,
)
from chipstress.model.generate import generate_network
from chipstress.workflows import read_durations, sweep

REL = 1e-6


def assert_close(value: float, expected: float, scale: float, what: str) -> None:
    """Equal to 1e-6 relative (and 1e-9 of ``scale`` absolute, for values near zero)."""
    if math.isinf(expected) or math.isinf(value):
        assert value == expected, f"{what}: {value} != {expected}"
        return
    assert value == pytest.approx(expected, rel=REL, abs=1e-9 * max(1.0, scale)), (
        f"{what}: {value!r} != {expected!r}"
    )


def scenarios(network: Network, seed: int) -> list[tuple[dict[str, float], float]]:
    """(disruption, duration) pairs: a supplier down, a product down, a partial loss, and
    two or three nodes at once with mixed fractions."""
    rng = np.random.default_rng(1000 + seed)
    ids = network.nodes["id"].to_numpy(dtype=object)
    suppliers = ids[~network.index.has_demand]
    products = ids[network.index.has_demand]

    def duration() -> float:
        return float(rng.choice([0.5, 1.0, 2.5, 4.0, 7.0, 12.0]))

    chosen = [
        ({str(rng.choice(suppliers)): 1.0}, duration()),
        ({str(rng.choice(products)): 1.0}, duration()),
        ({str(rng.choice(suppliers)): round(float(rng.uniform(0.1, 0.9)), 3)}, duration()),
    ]
    several = rng.choice(ids, size=min(len(ids), int(rng.integers(2, 4))), replace=False)
    chosen.append(
        (
            {str(n): float(rng.choice([1.0, 0.5, 0.25])) for n in several},
            duration(),
        )
    )
    return chosen


def check_network(network: Network, seed: int, reference_every: int = 1) -> None:
    """Solve every scenario three ways (the reference on every ``reference_every``-th)."""
    model = compile_network(network)
    # One solver whose regions may grow to the whole network (never the fallback), one
    # with the default fallback; both reused across scenarios, as a sweep does.
    regional = RegionalSolver(model, max_region_fraction=1.0)
    default = RegionalSolver(model)
    scale_rate = float(model.margin @ model.demand)
    for k, (disruption, duration) in enumerate(scenarios(network, seed)):
        alpha = disruption_vector(network, disruption)
        label = f"{network.name} {disruption} t={duration}"
        whole_loss = impact(network, disruption, duration)
        whole_tts = time_to_survive(network, disruption)
        assert whole_loss.status == "optimal" and whole_tts.status == "optimal", label
        scale = scale_rate * duration
        if k % reference_every == 0:
            assert_close(
                whole_loss.lost_profit,
                reference_impact(network, disruption, duration).lost_profit,
                scale,
                f"whole vs reference lost profit, {label}",
            )
            assert_close(
                whole_tts.tts,
                reference_tts(network, disruption),
                1.0,
                f"whole vs reference TTS, {label}",
            )
        for solver in (regional, default):
            loss = solver.lost_profit(alpha, duration)
            survival = solver.time_to_survive(alpha)
            assert loss.status == "optimal" and survival.status == "optimal", label
            assert_close(
                loss.value, whole_loss.lost_profit, scale, f"regional lost profit, {label}"
            )
            assert_close(survival.value, whole_tts.tts, 1.0, f"regional TTS, {label}")
    # The undisrupted network too.
    none = np.zeros(network.n_nodes)
    assert_close(
        regional.time_to_survive(none).value, time_to_survive(network).tts, 1.0, "baseline TTS"
    )
    assert_close(
        regional.lost_profit(none, 3.0).value,
        impact(network, {}, 3.0).lost_profit,
        scale_rate * 3.0,
        "baseline lost profit",
    )


GENERATED = [(seed, 60 + (seed * 37) % 141, 3 + seed % 3, seed % 4 == 1) for seed in range(40)]


def generated(seed: int, nodes: int, tiers: int, short: bool) -> Network:
    network = generate_network(nodes, tiers, seed=seed)
    if short:  # demand beyond what the network can make: it loses sales undisrupted
        products = network.product_ids()
        demand = network.nodes.set_index("id")["demand"]
        network = network.with_demand({p: float(demand[p]) * 1.8 for p in products})
    return network


@pytest.mark.parametrize(
    ("seed", "nodes", "tiers", "short"),
    GENERATED,
    ids=[f"gen{s}-{n}n-{t}t{'-short' if x else ''}" for s, n, t, x in GENERATED],
)
def test_regional_agrees_on_generated_networks(
    seed: int, nodes: int, tiers: int, short: bool
) -> None:
    network = generated(seed, nodes, tiers, short)
    check_network(network, seed, reference_every=2)


# Nodes of 500-node, 5-tier generated networks whose TTS HiGHS understated at its default
# dual feasibility tolerance (1e-7): 261.26 for 285.84, 36.26 for 36.89, 272.64 for 357.12.
# The TTS program's duals are of the order of 1/inventory, so the simplex stopped early.
UNDERSTATED = [(4, "N192"), (4, "N201"), (5, "N225"), (1, "N270")]


def test_tts_of_deeper_generated_networks_matches_the_reference() -> None:
    """The sweep, the regional solver and the whole program against the dense reference,
    on the nodes that were wrong and on a sample of the others."""
    rng = np.random.default_rng(17)
    for seed in sorted({s for s, _ in UNDERSTATED}):
        network = generate_network(500, 5, seed=seed)
        chosen = [n for s, n in UNDERSTATED if s == seed]
        suppliers = network.nodes["id"].to_numpy(dtype=object)[~network.index.has_demand]
        chosen += [str(n) for n in rng.choice(suppliers, size=4, replace=False)]
        swept = sweep(network, nodes=chosen, metric="tts").table.set_index("node")["tts"]
        solver = RegionalSolver(compile_network(network))
        for node in chosen:
            expected = reference_tts(network, {node: 1.0})
            label = f"seed {seed} {node}"
            assert_close(float(swept[node]), expected, 1.0, f"sweep TTS, {label}")
            alpha = disruption_vector(network, {node: 1.0})
            assert_close(solver.time_to_survive(alpha).value, expected, 1.0, label)
            assert_close(time_to_survive(network, {node: 1.0}).tts, expected, 1.0, label)


RANDOM = [(seed, ("ample", "tight", "mixed")[seed % 3]) for seed in range(45)]


@pytest.mark.parametrize(("seed", "style"), RANDOM, ids=[f"rand{s}-{t}" for s, t in RANDOM])
def test_regional_agrees_on_small_random_networks(seed: int, style: str) -> None:
    network = random_network(seed, style)
    check_network(network, seed)


def test_random_networks_cover_the_cases_that_matter() -> None:
    """The networks above include baselines that survive forever, baselines that already
    lose demand, suppliers that also sell, and scenarios whose region had to grow."""
    forever = losing = selling = 0
    for seed, style in RANDOM:
        network = random_network(seed, style)
        tts = time_to_survive(network).tts
        forever += math.isinf(tts)
        losing += impact(network, {}, 4.0).lost_profit > 0
        has_demand = network.index.has_demand
        selling += bool(
            np.any(has_demand & np.isin(network.nodes["id"], network.sources["supplier"]))
        )
    assert forever >= 10 and losing >= 10 and selling >= 5
    smaller = 0  # scenarios really solved on a part of the network
    for seed, nodes, tiers, short in GENERATED[:12]:
        network = generated(seed, nodes, tiers, short)
        solver = RegionalSolver(compile_network(network), max_region_fraction=1.0)
        for disruption, duration in scenarios(network, seed):
            alpha = disruption_vector(network, disruption)
            smaller += 0 < solver.time_to_survive(alpha).region_size < network.n_nodes
            smaller += 0 < solver.lost_profit(alpha, duration).region_size < network.n_nodes
    assert smaller >= 20


def shared_supplier_network() -> Network:
    """Two products; S supplies both, A only P1 (material m for both)::

    A (cap 50) ──► P1 (demand 60, margin 10, stock 20)
    S (cap 100) ─┬► P1
                 └► P2 (demand 50, margin 1, stock 10)
    Z (cap 60) ──► P2 (P2 also needs 1 z per unit; Z is a bystander)
    """
    return build(
        [
            {"id": "A", "material": "m", "capacity": 50},
            {"id": "S", "material": "m", "capacity": 100},
            {"id": "Z", "material": "z", "capacity": 60},
            product("P1", "p1", capacity=200, inventory=20, demand=60, margin=10),
            product("P2", "p2", capacity=200, inventory=10, demand=50, margin=1),
        ],
        [("P1", "m", 1), ("P2", "m", 1), ("P2", "z", 1)],
        [("A", "P1"), ("S", "P1"), ("S", "P2"), ("Z", "P2")],
    )


def test_region_grows_when_a_shared_supplier_should_ship_elsewhere() -> None:
    """A down: the initial region is P1 and its suppliers {A, S, P1}; undisrupted, S ships
    all 50/period P2 needs, and held there P1 would get only 50 of its 60. The border
    edge S -> P2 fails the certificate (S's output is worth 10 to P1, nothing to P2 in the
    baseline), so P2 joins the region (its downstream: nothing more) and S favours P1;
    Z stays outside, its shipments to P2 held at the baseline's 50/period.

    Lost profit over 4 periods: S makes 400; P1 needs 240 - 20 = 220, gets all of it;
    P2 needs 200 - 10 = 190, gets 180: 10 units x margin 1 = 10.
    TTS: 60t - 20 + 50t - 10 <= 100t, so t = 3 (P1 alone from S's 50/period: t = 2).
    """
    network = shared_supplier_network()
    solver = RegionalSolver(compile_network(network), max_region_fraction=1.0)
    alpha = disruption_vector(network, {"A": 1.0})
    assert solver.initial_region(np.flatnonzero(alpha)).sum() == 3
    loss = solver.lost_profit(alpha, 4.0)
    survival = solver.time_to_survive(alpha)
    assert loss.value == pytest.approx(10.0, rel=1e-9)
    assert survival.value == pytest.approx(3.0, rel=1e-9)
    assert loss.region_size == 4 and survival.region_size == 4  # grew by P2
    assert impact(network, {"A": 1.0}, 4.0).lost_profit == pytest.approx(10.0, rel=1e-9)
    assert time_to_survive(network, {"A": 1.0}).tts == pytest.approx(3.0, rel=1e-9)
    assert reference_impact(network, {"A": 1.0}, 4.0).lost_profit == pytest.approx(10.0)
    assert reference_tts(network, {"A": 1.0}) == pytest.approx(3.0)


def two_material_network() -> Network:
    """P makes its product from m (sources A1, A2) and z (source B); each source has one
    supplier of its own (X1, X2, Y)."""
    return build(
        [
            {"id": "X1", "material": "x", "capacity": 100},
            {"id": "X2", "material": "x", "capacity": 100},
            {"id": "Y", "material": "y", "capacity": 100},
            {"id": "A1", "material": "m", "capacity": 30, "inventory": 20},
            {"id": "A2", "material": "m", "capacity": 25},
            {"id": "B", "material": "z", "capacity": 60},
            product("P", "p", capacity=100, inventory=30, demand=50, margin=4),
        ],
        [("A1", "x", 1), ("A2", "x", 1), ("B", "y", 1), ("P", "m", 1), ("P", "z", 1)],
        [("X1", "A1"), ("X2", "A2"), ("Y", "B"), ("A1", "P"), ("A2", "P"), ("B", "P")],
    )


def test_initial_region_holds_the_suppliers_of_other_lines_on_the_border() -> None:
    """A1 down: its downstream is P; the line A1 feeds (P's m) has sources A1 and A2, whose
    supply trees add X1 and X2. B and Y feed only P's z: they keep shipping the baseline's
    50/period, held on the border. The answers are the whole program's.

    By hand: P makes what m allows, 25/period from A2 (+ A1's stock of 20 over the window,
    + P's own 30). Lost profit over 4 periods: P needs 200 - 30 = 170 of m, gets
    4 * 25 + 20 = 120: 50 units x margin 4 = 200. TTS: 50t - 30 <= 25t + 20, t = 2.
    """
    network = two_material_network()
    model = compile_network(network)
    solver = RegionalSolver(model, max_region_fraction=1.0)
    alpha = disruption_vector(network, {"A1": 1.0})
    region = solver.initial_region(np.flatnonzero(alpha))
    assert sorted(model.node_ids[region]) == ["A1", "A2", "P", "X1", "X2"]
    loss = solver.lost_profit(alpha, 4.0)
    survival = solver.time_to_survive(alpha)
    assert loss.value == pytest.approx(200.0, rel=1e-9)
    assert survival.value == pytest.approx(2.0, rel=1e-9)
    assert loss.region_size == 5 and survival.region_size == 5  # no growth needed
    assert reference_impact(network, {"A1": 1.0}, 4.0).lost_profit == pytest.approx(200.0)
    assert reference_tts(network, {"A1": 1.0}) == pytest.approx(2.0)


# --------------------------------------------------------------------------- fixtures
def test_small_expected_reproduced_by_the_api(small: Network, small_json) -> None:
    folder = small_json.parent
    expected = pd.read_csv(folder / "small-expected.csv")
    result = sweep(small, durations=read_durations(str(folder / "small-durations.csv"))).table
    assert sorted(result["node"]) == sorted(expected["node"])
    merged = expected.merge(result, on="node", suffixes=("_expected", ""))
    assert (merged["status"] == "optimal").all()
    assert (merged["duration"] == merged["duration_expected"]).all()
    for row in merged.itertuples():
        assert row.lost_profit == pytest.approx(row.lost_profit_expected, rel=REL, abs=1e-9), (
            row.node
        )
        assert row.tts == pytest.approx(row.tts_expected, rel=REL), row.node
    # Not a table of zeros: some nodes lose profit, and all survive a finite time.
    assert (merged["lost_profit_expected"] > 0).sum() >= 10
    assert np.isfinite(merged["tts_expected"]).all()


def test_small_expected_reproduced_by_the_whole_program(small: Network, small_json) -> None:
    expected = pd.read_csv(small_json.parent / "small-expected.csv")
    for row in expected.itertuples():
        loss = impact(small, {row.node: 1.0}, float(row.duration))
        assert loss.lost_profit == pytest.approx(row.lost_profit, rel=REL, abs=1e-9), row.node
        assert time_to_survive(small, {row.node: 1.0}).tts == pytest.approx(row.tts, rel=REL)


LARGE_NODES = ["T2_1", "T2_17", "T2_150", "T2_499", "T3_3", "T3_400", "T3_777", "T3_999"]


def test_large_json_nodes_match_the_whole_program(large: Network, large_json) -> None:
    durations = read_durations(str(large_json.parent / "large-durations.csv"))
    present = [n for n in LARGE_NODES if n in durations.index]
    assert present == LARGE_NODES
    result = sweep(large, nodes=present, durations=durations).table.set_index("node")
    for node in present:
        duration = float(durations[node])
        loss = impact(large, {node: 1.0}, duration)
        survival = time_to_survive(large, {node: 1.0})
        assert result.loc[node, "status"] == "optimal"
        scale = float(np.nansum(large.nodes["demand"] * large.nodes["margin"])) * duration
        assert_close(result.loc[node, "lost_profit"], loss.lost_profit, scale, node)
        assert_close(result.loc[node, "tts"], survival.tts, 1.0, node)


@pytest.mark.parametrize("duration", [2.0, 8.0, 10.0, 40.0])
def test_a_finite_window_baseline_from_the_steady_state_basis_is_the_optimum(
    large: Network, duration: float
) -> None:
    """``large.json`` loses demand undisrupted, so a window longer than its survival
    time (7.8 periods) has a solved baseline, started from the steady state's basis: it
    reaches the independent reference optimum (shorter windows reuse the survival plan)."""
    model = compile_network(large)
    solver = RegionalSolver(model)
    solver.baseline_ttr(np.inf)
    started = solver.baseline_ttr(duration)
    expected = reference_impact(large, {}, duration).lost_profit
    assert started.status == "optimal"
    assert started.lost_profit == pytest.approx(expected, rel=1e-9, abs=1e-6)
    # The warm plan is a plan of the same program: it loses what its objective says.
    margin_lost = float(model.margin @ started.lost_rate) * duration
    assert margin_lost == pytest.approx(started.lost_profit, rel=1e-9, abs=1e-6)
