"""Contingency plans on the time-expanded program: one known duration is the timeline's
optimum with foresight (and ``impact`` where nothing unfolds in time); an uncertain
recovery, a transit lead time and a reactive line are hand-computed on tiny networks; no
plan made for a single duration beats the stochastic plan on the distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import build, random_network

from chipstress import Network, load_builtin
from chipstress.engine import impact
from chipstress.engine.timeline import TimelineModel
from chipstress.errors import InvalidInput
from chipstress.workflows.contingency import contingency_plan, parse_ttr_distribution
from chipstress.workflows.whatif import QualifySource, apply_edits


def two_products() -> Network:
    """raw (10 units of stock) feeds P1 (demand 5/week, margin 2) and P2 (demand 5, margin 1)."""
    return build(
        [
            {"id": "raw", "material": "r", "capacity": 10, "inventory": 10},
            {"id": "P1", "material": "p1", "capacity": 100, "demand": 5, "margin": 2},
            {"id": "P2", "material": "p2", "capacity": 100, "demand": 5, "margin": 1},
        ],
        [("P1", "r", 1.0), ("P2", "r", 1.0)],
        [("raw", "P1"), ("raw", "P2")],
    )


def test_one_duration_is_impact_where_nothing_unfolds() -> None:
    # No transit lead times and capacities that meet demand without stock: a constant
    # disruption gains nothing from the periods, so the fan is the single window.
    tri = load_builtin("tri-cluster")
    for disruption, duration in (
        ({"asml_veldhoven": 1.0}, 13.0),
        ({"port_hakata": 1.0, "kyushu_electric": 0.5}, 3.0),
        ({"tsmc_fab21_az": 1.0}, 4.0),
    ):
        plan = contingency_plan(tri, disruption, duration)
        expected = impact(tri, disruption, duration)
        assert plan.expected_lost_profit == pytest.approx(expected.lost_profit, rel=1e-9)
        lost = plan.lost.set_index("product")["lost_units"]
        assert lost.sum() == pytest.approx(expected.lost_units.sum(), rel=1e-6, abs=1e-6)
    for seed in range(5):
        network = random_network(seed, "ample")
        node = str(network.nodes["id"].iloc[seed % network.n_nodes])
        plan = contingency_plan(network, {node: 1.0}, 3.0)
        assert plan.expected_lost_profit == pytest.approx(
            impact(network, {node: 1.0}, 3.0).lost_profit, rel=1e-9, abs=1e-9
        )


@pytest.mark.parametrize("seed", range(6))
def test_one_duration_is_the_timeline_with_foresight(seed: int) -> None:
    # An independent path: the timeline model's own (regional) solve of the same profile.
    network = random_network(seed, "mixed")
    node = str(network.nodes["id"].iloc[seed % network.n_nodes])
    plan = contingency_plan(network, {node: 0.8}, 3.0)
    model = TimelineModel(network, plan.parameters["horizon"], 1.0, foresight=True)
    profile = model.profile([({node: 0.8}, 3)])
    assert plan.expected_lost_profit == pytest.approx(
        model.solve(profile).lost_profit, rel=1e-9, abs=1e-9
    )
    by_period = plan.lost_by_period["lost_profit"].sum()
    assert by_period == pytest.approx(plan.expected_lost_profit, rel=1e-9, abs=1e-9)


def test_losses_go_on_after_recovery_while_the_pipeline_refills() -> None:
    # raw ships to P with one week in transit. Down two weeks: week 1 is served from
    # what was already on its way, weeks 2 and 3 get nothing (raw's weeks 1 and 2), week 4
    # gets raw's first shipment after recovery: 2 x 5 units x margin 2 = 20.
    network = build(
        [
            {"id": "raw", "material": "r", "capacity": 10},
            {"id": "P", "material": "p", "capacity": 100, "demand": 5, "margin": 2},
        ],
        [("P", "r", 1.0)],
        [("raw", "P")],
    )
    network = Network.from_tables(
        network.nodes, network.bom, network.sources.assign(lead_time=1.0), meta=network.meta
    )
    plan = contingency_plan(network, {"raw": 1.0}, 2.0)
    assert plan.parameters["horizon"] == 4
    assert plan.lost_by_period["lost_profit"].tolist() == pytest.approx([0.0, 10.0, 10.0, 0.0])
    assert plan.expected_lost_profit == pytest.approx(20.0)
    assert plan.segments["end"].tolist() == [1.0, 2.0]


def test_durations_off_the_period_grid() -> None:
    # 1.5 weeks runs on half weeks; 10 days (10/7 weeks) on days.
    half = contingency_plan(two_products(), {"raw": 1.0}, 1.5)
    assert half.parameters["period"] == pytest.approx(0.5)
    days = contingency_plan(two_products(), {"raw": 1.0}, [(10 / 7, 0.5), (1.0, 0.5)])
    assert days.parameters["period"] == pytest.approx(1 / 7)
    assert days.segments["end"].iloc[-1] == pytest.approx(10 / 7)
    # 10 units of stock for 1.5 weeks of 5 + 5: 5 units short, all of P2 (margin 1).
    assert half.expected_lost_profit == pytest.approx(5.0)
    odd = contingency_plan(two_products(), {"raw": 1.0}, math.pi)
    assert odd.parameters["rounded_to_days"] == [pytest.approx(22 / 7)]
    with pytest.raises(InvalidInput, match="run periods"):
        contingency_plan(two_products(), {"raw": 1.0}, 5000.0)


def test_uncertain_recovery_hand_computed() -> None:
    # Recovery after 1 week (70%) or 2 weeks (30%). Serving both products in week 1 uses
    # all the stock: week 1 loses nothing, week 2 (only if still down) loses 5x2 + 5x1 =
    # 15: expected 0.3 x 15 = 4.5. Keeping stock for P1 in week 2 would lose 5 in week 1
    # and 5 in week 2: 5 + 0.3 x 5 = 6.5.
    plan = contingency_plan(two_products(), {"raw": 1.0}, [(1.0, 0.7), (2.0, 0.3)])
    assert plan.status == "optimal"
    assert plan.expected_lost_profit == pytest.approx(4.5)
    scenarios = plan.scenarios.set_index("duration")
    assert scenarios.at[1.0, "lost_profit"] == pytest.approx(0.0)
    assert scenarios.at[2.0, "lost_profit"] == pytest.approx(15.0)
    assert scenarios.at[1.0, "perfect_information"] == pytest.approx(0.0)
    assert scenarios.at[2.0, "perfect_information"] == pytest.approx(10.0)
    # The plan made for 2 weeks (P1 first) scored on the distribution: 6.5; for 1 week: 4.5.
    assert scenarios.at[2.0, "planned_for_this"] == pytest.approx(6.5)
    assert scenarios.at[1.0, "planned_for_this"] == pytest.approx(4.5)
    assert (scenarios["planned_for_this"] >= plan.expected_lost_profit - 1e-9).all()
    segments = plan.segments
    assert segments["weight"].tolist() == [1.0, pytest.approx(0.3)]
    stock = plan.inventory[plan.inventory["node"] == "raw"]
    assert stock["drawn"].tolist() == [pytest.approx(10.0), pytest.approx(0.0)]
    assert stock["closing"].tolist() == [pytest.approx(0.0), pytest.approx(0.0)]
    lost = plan.lost.set_index(["product", "duration"])["lost_units"]
    assert lost[("P1", 2.0)] == pytest.approx(5.0) and lost[("P2", 2.0)] == pytest.approx(5.0)
    shipped = plan.shipments.groupby(["customer", "segment"])["quantity"].sum()
    assert shipped[("P1", 1)] == pytest.approx(5.0) and shipped[("P2", 1)] == pytest.approx(5.0)
    assert set(plan.tables()) == {
        "scenarios",
        "segments",
        "production",
        "shipments",
        "inventory",
        "lost",
        "lost_by_period",
    }


def test_stochastic_plan_beats_every_single_duration_plan() -> None:
    tri = load_builtin("tri-cluster")
    plan = contingency_plan(tri, {"asml_veldhoven": 1.0}, [(4, 0.3), (8, 0.4), (13, 0.3)])
    assert (plan.scenarios["planned_for_this"] >= plan.expected_lost_profit * (1 - 1e-9)).all()
    assert np.dot(plan.scenarios["probability"], plan.scenarios["lost_profit"]) == pytest.approx(
        plan.expected_lost_profit, rel=1e-9
    )
    # Perfect information is a lower bound on every scenario's loss.
    assert (
        plan.scenarios["perfect_information"] <= plan.scenarios["lost_profit"] * (1 + 1e-9) + 1e-6
    ).all()


def test_reactive_line_waits_for_its_lead_time() -> None:
    network = build(
        [
            {"id": "gas_a", "material": "gas", "capacity": 15},
            {"id": "gas_b", "material": "gas", "capacity": 25},
            {"id": "fab", "material": "w", "capacity": 20, "demand": 10, "margin": 100},
            {"id": "fab_b", "material": "w2", "capacity": 20, "demand": 5, "margin": 50},
        ],
        [("fab", "gas", 1.0), ("fab_b", "gas", 1.0)],
        [("gas_a", "fab"), ("gas_b", "fab_b")],
    )
    edited = apply_edits(
        network,
        [QualifySource("gas_b", "fab", capacity=10, lead_time=1, premium=2, timing="reactive")],
    )
    plan = contingency_plan(edited, {"gas_a": 1.0}, 4.0)
    # Week 1 lost (10 x 100), weeks 2-4 served from the line at 2 per unit.
    assert plan.expected_lost_profit == pytest.approx(1000 + 30 * 2)
    assert plan.segments["end"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert plan.segments["lost_profit"].tolist() == pytest.approx([1000, 20, 20, 20])
    # The line's site down takes the line with it.
    plan = contingency_plan(edited, {"gas_b": 1.0}, 2.0)
    assert plan.expected_lost_profit == pytest.approx(2 * 5 * 50)


@pytest.mark.parametrize(
    ("ttr", "message"),
    [
        ([(2.0, 0.5)], "add up to 1"),
        ([(0.0, 1.0)], "durations"),
        ([(2.0, -0.5), (3.0, 1.5)], "probabilities"),
        ([], "at least one"),
    ],
)
def test_bad_distributions(ttr: list, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        contingency_plan(two_products(), {"raw": 1.0}, ttr)


def test_bad_disruptions_and_parsing() -> None:
    with pytest.raises(InvalidInput, match="at least one"):
        contingency_plan(two_products(), {}, 2.0)
    with pytest.raises(InvalidInput, match="unknown node"):
        contingency_plan(two_products(), {"ghost": 1.0}, 2.0)
    assert parse_ttr_distribution("4:0.5, 8:0.5") == [(4.0, 0.5), (8.0, 0.5)]
    with pytest.raises(InvalidInput, match="DURATION:PROBABILITY"):
        parse_ttr_distribution("4=0.5")
    with pytest.raises(InvalidInput, match="DURATION:PROBABILITY"):
        parse_ttr_distribution("4:half")
