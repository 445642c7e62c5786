"""The what-if comparison: no edits reproduce the baseline exactly; a dual source in
another cluster removes the exposure it should, at exactly its premium; lead times,
TTR cuts and removals; hazard simulations on common random numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import build, random_network

from chipstress import Network, load_builtin
from chipstress.workflows import sweep
from chipstress.workflows.hazards import simulate
from chipstress.workflows.runner import Runner
from chipstress.workflows.whatif import (
    AddInventory,
    CutTTR,
    QualifySource,
    RemoveSite,
    simulate_pair,
    site_sweep,
    whatif,
)


@pytest.fixture(scope="module")
def tri() -> Network:
    return load_builtin("tri-cluster")


def two_clusters(fab_stock: float = 0.0) -> Network:
    """fab (north; demand 10/week, margin 100) gets its gas from gas_a alone (north, down
    4 weeks when it fails); gas_b (south) serves fab_b (demand 5, margin 50)."""
    return build(
        [
            {"id": "gas_a", "material": "gas", "capacity": 15, "ttr": 4, "cluster": "north"},
            {"id": "gas_b", "material": "gas", "capacity": 25, "ttr": 4, "cluster": "south"},
            {
                "id": "fab",
                "material": "wafer",
                "capacity": 20,
                "inventory": fab_stock,
                "demand": 10,
                "margin": 100,
                "ttr": 1,
                "cluster": "north",
            },
            {
                "id": "fab_b",
                "material": "wafer_b",
                "capacity": 20,
                "demand": 5,
                "margin": 50,
                "ttr": 1,
                "cluster": "south",
            },
        ],
        [("fab", "gas", 1.0), ("fab_b", "gas", 1.0)],
        [("gas_a", "fab"), ("gas_b", "fab_b")],
    )


def test_no_edits_reproduce_the_baseline_exactly(tri: Network) -> None:
    result = whatif(tri, [], simulate_years=60, seed=4)
    baseline = sweep(tri, include_products=True).table
    pd.testing.assert_frame_equal(result.before, baseline, check_exact=True)
    pd.testing.assert_frame_equal(result.after, baseline, check_exact=True)
    assert (result.nodes["lost_profit_delta"].fillna(0) == 0).all()
    assert (result.nodes["tts_delta"].fillna(0) == 0).all()
    assert (result.totals["delta"] == 0).all()
    simulated = simulate(tri, 60, 4)
    assert result.simulation is not None
    assert result.simulation.before["expected_annual_loss"] == simulated.expected_annual_loss
    assert result.simulation.after == result.simulation.before
    assert result.simulation.before["cvar_99"] == simulated.cvar[0.99]
    assert result.edited is tri


@pytest.mark.parametrize("seed", [3, 11])
def test_no_edits_on_random_networks(seed: int) -> None:
    network = random_network(seed, "mixed").with_ttr(
        {n: 2.0 for n in random_network(seed, "mixed").nodes["id"]}
    )
    result = whatif(network, [])
    pd.testing.assert_frame_equal(
        result.before, sweep(network, include_products=True).table, check_exact=True
    )
    pd.testing.assert_frame_equal(result.after, result.before, check_exact=True)


def test_a_dual_source_in_another_cluster_removes_the_exposure() -> None:
    network = two_clusters()
    before = site_sweep(network).set_index("node")
    assert bool(before.at["gas_a", "exposed"]) and before.at["gas_a", "tts"] == 0
    assert before.at["gas_a", "lost_profit"] == pytest.approx(4 * 10 * 100)
    edit = QualifySource("gas_b", "fab", capacity=10, lead_time=6, premium=2.0)
    result = whatif(network, [edit])
    nodes = result.nodes.set_index("node")
    assert not nodes.at["gas_a", "exposed_after"]
    assert math.isinf(nodes.at["gas_a", "tts_after"])
    # Demand is met from the line at 2 per unit: 4 weeks x 10 units x 2 = 80, exactly.
    assert nodes.at["gas_a", "lost_profit_after"] == pytest.approx(80.0, rel=1e-12)
    assert nodes.at["gas_a", "lost_profit_delta"] == pytest.approx(80.0 - 4000.0)
    # gas_b down takes its line down too: fab still has gas_a, fab_b loses as before.
    assert nodes.at["gas_b", "lost_profit_after"] == nodes.at["gas_b", "lost_profit_before"]
    assert "gas_b:for:fab" not in set(result.nodes["node"])  # lines are not sites
    clusters = result.clusters.set_index("cluster")
    assert clusters.at["north", "exposed_before"] - clusters.at["north", "exposed_after"] == 1
    assert clusters["lost_profit_delta"].sum() == pytest.approx(
        result.total("total_lost_profit")[2]
    )
    assert result.total("exposed_sites")[2] == -1


@pytest.mark.parametrize(
    ("stock", "lost", "exposed"),
    [
        # Reactive, lead time 1 of the 4-week window: the line makes 30; 10 units lost.
        (0.0, 10 * 100 + 30 * 2.0, True),
        # 10 units of stock bridge the first week: nothing lost, the line ships 30.
        (10.0, 30 * 2.0, False),
    ],
)
def test_a_reactive_source_waits_for_its_lead_time(
    stock: float, lost: float, exposed: bool
) -> None:
    network = two_clusters(fab_stock=stock)
    edit = QualifySource("gas_b", "fab", capacity=10, lead_time=1, premium=2.0, timing="reactive")
    nodes = whatif(network, [edit]).nodes.set_index("node")
    assert nodes.at["gas_a", "lost_profit_after"] == pytest.approx(lost)
    assert bool(nodes.at["gas_a", "exposed_after"]) is exposed


def test_cut_ttr_and_remove_site() -> None:
    network = two_clusters()
    result = whatif(network, [CutTTR("gas_a", to=1), RemoveSite("fab_b")])
    nodes = result.nodes.set_index("node")
    assert nodes.at["gas_a", "ttr_after"] == 1
    assert nodes.at["gas_a", "lost_profit_after"] == pytest.approx(1000.0)
    assert nodes.at["fab_b", "change"] == "removed"
    assert nodes.at["fab_b", "status_after"] == "removed"
    # A fixed duration for both sweeps: the cut no longer changes the sweep.
    fixed = whatif(network, [CutTTR("gas_a", to=1)], durations=4.0).nodes.set_index("node")
    assert fixed.at["gas_a", "lost_profit_after"] == fixed.at["gas_a", "lost_profit_before"]


def test_paired_simulation_uses_common_random_numbers(tri: Network) -> None:
    edited = AddInventory("asml_veldhoven", add=208000)
    result = whatif(tri, [edited], simulate_years=80, seed=2)
    pair = result.simulation
    assert pair is not None
    years = pair.years
    # More stock can only help, event by event: every year loses no more than before.
    assert (years["loss_after"] <= years["loss_before"] + 1e-6).all()
    assert pair.before["expected_annual_loss"] == simulate(tri, 80, 2).expected_annual_loss
    assert pair.delta("expected_annual_loss") <= 0
    assert np.isclose(years["delta"].mean(), pair.delta("expected_annual_loss"))
    tables = result.tables()
    assert set(tables) == {
        "whatif_nodes",
        "whatif_clusters",
        "whatif_totals",
        "whatif_edits",
        "whatif_years",
    }
    summary = result.summary()
    assert summary["years"] == 80 and summary["edits"] == 1


def test_paired_simulation_maps_lines_cuts_and_removals(tri: Network) -> None:
    from chipstress.workflows.whatif import apply_edits

    edits = [
        QualifySource("talent_kyushu", "tsmc_fab21_az", capacity=1000, premium=500),
        QualifySource(
            "linde_lienhwa_tainan",
            "tsmc_fab22",
            capacity=2000,
            lead_time=3,
            premium=90,
            timing="reactive",
        ),
        CutTTR("tsmc_fab21_az", to=2),
        RemoveSite("neon_cryoin_odesa"),
    ]
    edited = apply_edits(tri, edits)
    pair = simulate_pair(tri, edited, 60, 5)
    again = simulate_pair(tri, edited, 60, 5, runner=Runner(workers=2))
    pd.testing.assert_frame_equal(pair.years, again.years)
    assert pair.before["expected_annual_loss"] == simulate(tri, 60, 5).expected_annual_loss
    assert len(pair.events) > 0
