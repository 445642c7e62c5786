"""Source premiums and late-starting nodes in the engine.

* a premium per unit shipped is charged exactly (hand-computed), by the whole program,
  the integer program and the regional solver (whose border certificate uses the
  reduced cost ``premium − Aᵀπ``); on random networks with premiums the regional solver
  still matches the whole program;
* time-to-survive ignores premiums;
* a node that starts ``d`` periods late: lost profit over a window and the TTS in
  rounds, hand-computed, whole program against the regional solver.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import build, random_network

from chipstress import Network
from chipstress.engine import (
    RegionalSolver,
    compile_network,
    disruption_vector,
    impact,
    time_to_survive,
)
from chipstress.engine.formulation import delayed_alpha
from chipstress.errors import InvalidInput, InvalidNetwork
from chipstress.workflows import sweep


def _with_premium(network: Network, premiums: dict[tuple[str, str], float]) -> tuple:
    sources = network.sources.copy()
    for (supplier, customer), value in premiums.items():
        row = (sources["supplier"] == supplier) & (sources["customer"] == customer)
        sources.loc[row, "premium"] = value
    return network.nodes, network.bom, sources, network.meta


def with_premium(network: Network, premiums: dict[tuple[str, str], float]) -> Network:
    """A copy of ``network`` charging ``premiums`` per unit on the named edges."""
    return Network(*_with_premium(network, premiums))


def test_premium_is_a_schema_column_defaulting_to_zero() -> None:
    network = build(
        [
            {"id": "a", "material": "m", "capacity": 1},
            {"id": "p", "material": "q", "capacity": 1, "demand": 1, "margin": 1},
        ],
        [("p", "m", 1.0)],
        [("a", "p")],
    )
    assert network.sources["premium"].tolist() == [0.0]
    assert compile_network(network).edge_premium.tolist() == [0.0]


@pytest.mark.parametrize("value", [-1.0, float("inf"), "cheap"])
def test_bad_premiums_are_rejected_by_validation(value: object) -> None:
    with pytest.raises(InvalidNetwork) as error:
        Network.from_tables(
            pd.DataFrame(
                [
                    {"id": "a", "material": "m", "capacity": 1},
                    {"id": "p", "material": "q", "capacity": 1, "demand": 1, "margin": 1},
                ]
            ),
            pd.DataFrame([{"node": "p", "material": "m", "quantity": 1.0}]),
            pd.DataFrame([{"supplier": "a", "customer": "p", "premium": value}]),
        )
    assert any(p.field == "premium" for p in error.value.problems)


def test_premium_is_charged_exactly() -> None:
    network = with_premium(
        build(
            [
                {"id": "gas_a", "material": "gas", "capacity": 15, "ttr": 4},
                {"id": "gas_b", "material": "gas", "capacity": 12, "ttr": 4},
                {"id": "fab", "material": "wafer", "capacity": 20, "demand": 10, "margin": 100},
            ],
            [("fab", "gas", 1.0)],
            [("gas_a", "fab"), ("gas_b", "fab")],
        ),
        {("gas_b", "fab"): 2.0},
    )
    # Undisrupted: the free supplier serves; nothing is paid.
    assert impact(network, {}, 4.0).lost_profit == pytest.approx(0.0, abs=1e-9)
    # gas_a down 4 periods: gas_b ships 10/period at 2 per unit: 4 x 10 x 2 = 80.
    hit = impact(network, {"gas_a": 1.0}, 4.0)
    assert hit.lost_profit == pytest.approx(80.0)
    assert hit.premium_cost == pytest.approx(80.0)
    assert hit.lost_units.sum() == pytest.approx(0.0, abs=1e-9)
    assert impact(network, {"gas_a": 1.0}, 4.0, integer=True).lost_profit == pytest.approx(80.0)
    # Half of gas_a lost: 7.5 free, 2.5 at the premium: 4 x 2.5 x 2 = 20.
    assert impact(network, {"gas_a": 0.5}, 4.0).lost_profit == pytest.approx(20.0)
    # A premium above the margin: losing the sale is cheaper than buying it.
    dear = with_premium(network, {("gas_b", "fab"): 150.0})
    assert impact(dear, {"gas_a": 1.0}, 4.0).lost_profit == pytest.approx(4 * 10 * 100.0)
    # The regional solver and the sweep charge the same.
    solver = RegionalSolver(compile_network(network))
    alpha = disruption_vector(network, {"gas_a": 1.0})
    assert solver.lost_profit(alpha, 4.0).value == pytest.approx(80.0)
    table = sweep(network, ["gas_a"]).table.set_index("node")
    assert table.at["gas_a", "lost_profit"] == pytest.approx(80.0)
    # TTS ignores costs: gas_b alone serves forever.
    assert math.isinf(time_to_survive(network, {"gas_a": 1.0}).tts)
    assert math.isinf(table.at["gas_a", "tts"])


def test_premium_paid_in_the_undisrupted_plan() -> None:
    """When the free supplier cannot cover demand, the baseline already pays the premium
    (and the survival plan's shortcut must not pretend otherwise)."""
    network = with_premium(
        build(
            [
                {"id": "gas_a", "material": "gas", "capacity": 6, "ttr": 2},
                {"id": "gas_b", "material": "gas", "capacity": 12, "ttr": 2},
                {"id": "fab", "material": "wafer", "capacity": 20, "demand": 10, "margin": 100},
            ],
            [("fab", "gas", 1.0)],
            [("gas_a", "fab"), ("gas_b", "fab")],
        ),
        {("gas_b", "fab"): 3.0},
    )
    assert impact(network, {}, 2.0).lost_profit == pytest.approx(2 * 4 * 3.0)
    solver = RegionalSolver(compile_network(network))
    assert solver.baseline_ttr(2.0).lost_profit == pytest.approx(24.0)
    table = sweep(network, ["gas_a"], 2.0).table.set_index("node")
    assert table.at["gas_a", "lost_profit"] == pytest.approx(2 * 10 * 3.0)


RANDOM = list(range(24))


@pytest.mark.parametrize("seed", RANDOM)
def test_regional_matches_whole_program_with_premiums(seed: int) -> None:
    network = random_network(seed, ("ample", "tight", "mixed")[seed % 3])
    rng = np.random.default_rng(500 + seed)
    premiums = {
        (s, c): round(float(rng.uniform(0.1, 6.0)), 2)
        for s, c in zip(network.sources["supplier"], network.sources["customer"], strict=True)
        if rng.random() < 0.4
    }
    network = with_premium(network, premiums)
    model = compile_network(network)
    solvers = (RegionalSolver(model, max_region_fraction=1.0), RegionalSolver(model))
    ids = network.nodes["id"].tolist()
    scale = float(model.margin @ model.demand) + float(model.edge_premium.sum()) * 100
    for k in range(4):
        disruption = {
            str(n): float(rng.choice([1.0, 0.5]))
            for n in rng.choice(ids, size=1 + k % 2, replace=False)
        }
        duration = float(rng.choice([0.5, 1.0, 3.0, 7.0]))
        whole = impact(network, disruption, duration)
        assert whole.status == "optimal"
        alpha = disruption_vector(network, disruption)
        for solver in solvers:
            got = solver.lost_profit(alpha, duration)
            assert got.status == "optimal"
            assert got.value == pytest.approx(
                whole.lost_profit, rel=1e-6, abs=1e-9 * scale * duration
            ), (seed, disruption, duration)
            assert solver.time_to_survive(alpha).value == pytest.approx(
                time_to_survive(network, disruption).tts, rel=1e-6
            )


def late_backup(stock: float) -> Network:
    """fab (demand 10, margin 100, ``stock`` units on hand) needs 1 gas; gas_a (capacity
    15) is the usual supplier, backup (capacity 10) can only start after a delay."""
    return build(
        [
            {"id": "gas_a", "material": "gas", "capacity": 15, "ttr": 4},
            {"id": "backup", "material": "gas", "capacity": 10, "ttr": 4},
            {
                "id": "fab",
                "material": "wafer",
                "capacity": 20,
                "inventory": stock,
                "demand": 10,
                "margin": 100,
            },
        ],
        [("fab", "gas", 1.0)],
        [("gas_a", "fab"), ("backup", "fab")],
    )


def test_delayed_alpha_is_the_outage_window_share() -> None:
    alpha = np.array([0.0, 0.5, 0.0])
    assert delayed_alpha(alpha, {0: 1.0, 1: 2.0}, 4.0).tolist() == [0.25, 0.75, 0.0]
    assert delayed_alpha(alpha, {0: 8.0}, 4.0).tolist() == [1.0, 0.5, 0.0]
    assert delayed_alpha(alpha, {0: 1.0}, math.inf).tolist() == [0.0, 0.5, 0.0]


@pytest.mark.parametrize(
    ("stock", "tts", "lost_profit"),
    [
        # No stock: nothing can be made before the backup starts: TTS 0; over 4 periods
        # the backup makes 30 of the 40 units: 10 lost.
        (0.0, 0.0, 1000.0),
        # 5 units of stock last half a period, before the backup starts.
        (5.0, 0.5, 500.0),
        # 10 units bridge the first period; then the backup covers demand for good.
        (10.0, math.inf, 0.0),
    ],
)
def test_a_late_node_hand_computed(stock: float, tts: float, lost_profit: float) -> None:
    network = late_backup(stock)
    delays = {"backup": 1.0}
    survival = time_to_survive(network, {"gas_a": 1.0}, delays=delays)
    assert survival.tts == pytest.approx(tts) if math.isfinite(tts) else math.isinf(survival.tts)
    result = impact(network, {"gas_a": 1.0}, 4.0, delays=delays)
    assert result.lost_profit == pytest.approx(lost_profit)
    solver = RegionalSolver(compile_network(network))
    alpha = disruption_vector(network, {"gas_a": 1.0})
    got = solver.time_to_survive(alpha, {1: 1.0}).value
    assert got == pytest.approx(tts) if math.isfinite(tts) else math.isinf(got)
    table = sweep(network, ["gas_a"], 4.0, delayed=delays).table.set_index("node")
    assert table.at["gas_a", "lost_profit"] == pytest.approx(lost_profit)
    assert bool(table.at["gas_a", "exposed"]) == (lost_profit > 0)


@pytest.mark.parametrize("seed", range(8))
def test_delays_regional_matches_whole_program(seed: int) -> None:
    network = random_network(seed, "mixed")
    rng = np.random.default_rng(900 + seed)
    suppliers = network.nodes.loc[~network.index.has_demand, "id"].tolist()
    late = {
        str(n): float(rng.choice([0.5, 1.0, 2.0])) for n in rng.choice(suppliers, 2, replace=False)
    }
    positions = {int(network.index.positions([n])[0]): d for n, d in late.items()}
    solver = RegionalSolver(compile_network(network))
    for node in rng.choice(network.nodes["id"].tolist(), 3, replace=False):
        disruption = {str(node): 1.0}
        alpha = disruption_vector(network, disruption)
        whole = time_to_survive(network, disruption, delays=late).tts
        regional = solver.time_to_survive(alpha, positions).value
        if math.isinf(whole):
            assert math.isinf(regional)
        else:
            assert regional == pytest.approx(whole, rel=1e-6, abs=1e-9)
        duration = 3.0
        expected = impact(network, disruption, duration, delays=late).lost_profit
        got = solver.lost_profit(delayed_alpha(alpha, positions, duration), duration).value
        assert got == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_delays_bad_input() -> None:
    network = late_backup(0.0)
    with pytest.raises(InvalidInput, match="integer"):
        time_to_survive(network, {"gas_a": 1.0}, integer=True, delays={"backup": 1.0})
    with pytest.raises(InvalidInput, match="unknown node"):
        impact(network, {"gas_a": 1.0}, 2.0, delays={"ghost": 1.0})
    with pytest.raises(InvalidInput, match="delays"):
        impact(network, {"gas_a": 1.0}, 2.0, delays={"backup": -1.0})
    with pytest.raises(InvalidInput, match="integer"):
        sweep(network, ["gas_a"], 2.0, integer=True, delayed={"backup": 1.0})


def test_fingerprint_ignores_an_all_zero_premium_column() -> None:
    network = late_backup(0.0)
    without = Network(
        network.nodes, network.bom, network.sources.drop(columns="premium"), network.meta
    )
    assert network.fingerprint() == without.fingerprint()
    assert with_premium(network, {("backup", "fab"): 1.0}).fingerprint() != network.fingerprint()
