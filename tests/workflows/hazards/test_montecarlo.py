"""Monte-Carlo: reproducible, convergent to an exact expected annual loss, and consistent."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chipstress import Network
from chipstress.engine import impact
from chipstress.errors import ChipstressError, InvalidInput
from chipstress.executors import ChunkFailure, InProcessExecutor
from chipstress.workflows.hazards import default_parameters, load_rates, simulate
from chipstress.workflows.hazards.components import event_components
from chipstress.workflows.hazards.losses import ZERO_SHARE
from chipstress.workflows.hazards.montecarlo import SimulationWorker
from chipstress.workflows.hazards.params import DAMAGE_STATES
from chipstress.workflows.runner import Runner

# Two independent hazards on the tiny network (fab: demand 80/week, margin 50,
# capacity 100, 20 in stock; water: the fab's only water, no stock). Power outages hold
# their level and lift at the end (the flat curve), and their run grids (days for one
# or two weeks, weeks for twelve) end a period where the outage ends:
#  A. the water node loses power for 1 or 2 weeks (equally likely), 0.3 a year:
#     1 week: 80 - 20 = 60 wafers lost -> 3,000; 2 weeks: 160 - 20 = 140 -> 7,000.
#  B. the fab keeps 40 % of its power for 12 weeks, 0.2 a year: 40/week * 12 + 20 = 500
#     made of 960 wanted -> 460 lost -> 23,000.
# Exact EAL = 0.3 * (3,000 + 7,000) / 2 + 0.2 * 23,000 = 6,100 per year.
TWO_HAZARDS = {
    "power": [
        {
            "region": "water",
            "rate": 0.3,
            "fraction": [1.0],
            "hours": [168, 336],
            "estimate": "test",
        },
        {"region": "fab", "rate": 0.2, "fraction": [0.6], "hours": [2016], "estimate": "test"},
    ],
}
EXACT_EAL = 6100.0
# Variance of a compound Poisson year: sum of rate * E[loss^2].
SIGMA = math.sqrt(0.3 * (3000**2 + 7000**2) / 2 + 0.2 * 23000**2)


def test_the_tiny_losses_by_hand(tiny: Network) -> None:
    assert default_parameters().incidents["fire"] == (0.6, 13.0)
    assert impact(tiny, {"water": 1.0}, 1.0).lost_profit == pytest.approx(3000)
    assert impact(tiny, {"water": 1.0}, 2.0).lost_profit == pytest.approx(7000)
    assert impact(tiny, {"fab": 0.6}, 12.0).lost_profit == pytest.approx(23000)


def test_expected_annual_loss_converges_to_the_exact_value(tiny: Network) -> None:
    result = simulate(tiny, 32_000, seed=5, rates=TWO_HAZARDS)
    assert set(np.round(result.events["loss"], 6)) == {3000.0, 7000.0, 23000.0}
    losses = result.years["loss"].to_numpy()
    errors = []
    for years in (500, 2_000, 8_000, 32_000):
        mean = losses[:years].mean()
        error = abs(mean - EXACT_EAL)
        assert error <= 4 * SIGMA / math.sqrt(years), (years, mean)
        errors.append(error / EXACT_EAL)
    assert errors[-1] < 0.03
    assert result.expected_annual_loss == pytest.approx(losses.mean())
    by_hazard = result.by_hazard.set_index("source")["eal"]
    assert by_hazard.sum() == pytest.approx(result.expected_annual_loss)
    # Every loss is one node's: the fab's outages and the water node's.
    by_node = result.by_node.set_index("node")["eal"]
    assert by_node["fab"] == pytest.approx(4600, rel=0.06)
    assert by_node["water"] == pytest.approx(1500, rel=0.06)
    assert by_node.sum() == pytest.approx(result.expected_annual_loss)


def test_same_seed_same_numbers_for_any_number_of_workers(tri: Network) -> None:
    # Small chunks so that two workers each get some (the default is 500 years).
    one = simulate(tri, 600, seed=11, runner=Runner(workers=1), chunk_years=200)
    two = simulate(tri, 600, seed=11, runner=Runner(workers=2), chunk_years=200)
    assert one.years.equals(two.years)
    assert one.events.equals(two.events)
    assert one.by_node.equals(two.by_node) and one.by_hazard.equals(two.by_hazard)
    assert one.expected_annual_loss == two.expected_annual_loss and one.var == two.var
    assert one.expected_annual_loss > 0
    other = simulate(tri, 200, seed=12, chunk_years=200)
    assert not other.years["loss"].equals(one.years["loss"].iloc[:200])
    # Chunks are fixed: the first 200 years do not depend on how many follow.
    first = simulate(
        tri, 200, seed=11, runner=Runner(executor=InProcessExecutor()), chunk_years=200
    )
    assert first.years.equals(one.years.iloc[:200])


def test_statistics_follow_their_definitions(tri: Network) -> None:
    result = simulate(tri, 600, seed=3)
    loss = np.sort(result.years["loss"].to_numpy())[::-1]
    assert result.expected_annual_loss == pytest.approx(loss.mean())
    for level, worst in ((0.95, 30), (0.99, 6)):
        assert result.var[level] == loss[worst - 1]
        assert result.cvar[level] == pytest.approx(loss[:worst].mean())
        assert result.cvar[level] >= result.var[level]
    curve = result.exceedance
    assert list(curve["return_period"]) == [2, 5, 10, 20, 25, 50, 100, 200, 250, 500]
    assert np.all(np.diff(curve["loss"]) >= 0)
    assert curve["exceedance_probability"].iloc[-1] == pytest.approx(1 / 500)
    assert result.by_node["eal"].sum() == pytest.approx(result.expected_annual_loss)
    assert result.by_hazard["eal"].sum() == pytest.approx(result.expected_annual_loss)
    assert result.years["damaging_events"].sum() == len(result.events)
    assert (result.years["events"] >= result.years["damaging_events"]).all()
    totals = result.events.groupby("year")["loss"].sum()
    assert np.allclose(result.years.set_index("year")["loss"].reindex(totals.index), totals)
    assert "expected annual loss" in result.describe()


def test_costs_beyond_lost_sales_add_up_by_event_year_and_component(tri: Network) -> None:
    result = simulate(tri, 300, seed=5)
    events, years = result.events, result.years
    costs = ["idle_capacity", "scrap", "damage", "trucking"]
    assert np.allclose(events["total_loss"], events["loss"] + events[costs].sum(axis=1))
    assert (events[costs] >= 0).all().all() and (events["scrap"] > 0).any()
    by_year = events.groupby("year")["total_loss"].sum()
    assert np.allclose(years.set_index("year")["total_loss"].reindex(by_year.index), by_year)
    assert result.expected_annual_total_loss == pytest.approx(years["total_loss"].mean())
    parts = result.by_component.set_index("component")["eal"]
    assert list(parts.index) == ["lost_sales", *costs]
    assert parts.sum() == pytest.approx(result.expected_annual_total_loss)
    assert parts["lost_sales"] == pytest.approx(result.expected_annual_loss)
    assert result.by_hazard["eal_total"].sum() == pytest.approx(result.expected_annual_total_loss)
    # Each year's total is at least its lost sales, so are the tail statistics.
    assert (years["total_loss"] >= years["loss"] - 1e-6).all()
    assert result.var_total[0.99] >= result.var[0.99]
    assert result.cvar_total[0.99] >= result.cvar[0.99]
    assert result.summary()["expected_annual_total_loss"] == result.expected_annual_total_loss
    assert "component_contributions" in result.tables()


def test_hit_costs_price_a_sampled_event_as_the_components_table_does(tri: Network) -> None:
    # An independent path: event_components on the same hits, with no timeline result.
    worker = SimulationWorker(tri, load_rates(), default_parameters())
    events, _ = worker.sampler.sample(np.random.default_rng(2), 200)
    ids = tri.nodes["id"].astype(str).to_numpy()
    checked = 0
    for event in events:
        if not len(event.positions) or event.hazard == "export_control":
            continue
        states = (
            [DAMAGE_STATES[int(i)] for i in event.states]
            if event.states is not None
            else [""] * len(event.positions)
        )
        hits = pd.DataFrame(
            {
                "site": ids[event.positions],
                "hazard": event.hazard,
                "damage_state": states,
                "capacity_loss": event.fraction,
                "recovery_periods": event.periods,
            }
        )
        table = event_components(tri, hits, None, {})
        idle, scrap, damage, trucking = worker.hit_costs(event)
        assert idle == pytest.approx(table["idle_capacity"].sum(), rel=1e-9, abs=1e-6)
        assert scrap == pytest.approx(table["scrap"].sum(), rel=1e-9, abs=1e-6)
        assert damage == pytest.approx(table["damage"].sum(), rel=1e-9, abs=1e-6)
        assert trucking == pytest.approx(table["mitigation"].sum(), rel=1e-9, abs=1e-6)
        checked += 1
    assert checked > 20


def test_zero_loss_certificates_agree_with_the_solver(tri: Network) -> None:
    worker = SimulationWorker(tri, load_rates(), default_parameters())
    losses = worker.losses
    assert losses.monotone and losses.certificate.applies
    events, _ = worker.sampler.sample(np.random.default_rng(0), 300)
    checked = 0
    for key in {worker.key(e) for e in events if not e.blocked} - {None}:
        assert key is not None
        horizon, period = losses.grid(key)
        lost = losses.loss_fraction(key, horizon, period)
        if losses.certificate.zero(lost, period):
            model = losses.model(horizon, period)
            solved = model.loss((1.0 - lost) * losses.capacity[:, None])
            assert solved <= ZERO_SHARE * losses.stake * horizon * period, key
            checked += 1
    assert checked > 50


def test_bad_arguments(tri: Network) -> None:
    with pytest.raises(InvalidInput, match="years must be a whole number >= 1"):
        simulate(tri, 0, seed=1)
    with pytest.raises(InvalidInput, match="seed must be a whole number >= 0"):
        simulate(tri, 10, seed=-1)
    with pytest.raises(InvalidInput, match="hazard durations need a period of time"):
        simulate(tri.with_meta(period="shift"), 10, seed=1)


def test_sources_the_network_lacks_are_skipped_with_a_note(tiny: Network) -> None:
    result = simulate(tiny, 50, seed=1)
    assert any("hsinchu" in note for note in result.notes)
    assert result.expected_annual_loss >= 0


def test_a_failed_chunk_fails_the_simulation(tiny: Network) -> None:
    class HalfBroken:
        """Runs the chunks in process but reports the second one as failed."""

        workers = 1

        def run(self, setup, setup_args, task, chunks, on_result=None):
            results = InProcessExecutor().run(setup, setup_args, task, chunks, on_result)
            results[1] = ChunkFailure(1, "RuntimeError: worker lost")
            return results

    with pytest.raises(
        ChipstressError,
        match=r"1 of 3 chunks .* failed; the first \(years 11-20\): RuntimeError: worker lost",
    ):
        simulate(
            tiny,
            30,
            seed=1,
            rates=TWO_HAZARDS,
            runner=Runner(executor=HalfBroken()),
            chunk_years=10,
        )
