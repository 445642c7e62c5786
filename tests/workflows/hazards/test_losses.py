"""Simulated event losses on the time-expanded program: signatures, grids, certificates."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from chipstress import Network
from chipstress.workflows.hazards import default_parameters, load_rates
from chipstress.workflows.hazards.losses import (
    PERIOD_LADDER_DAYS,
    SIMULATED_PERIODS,
    ZERO_SHARE,
    EventLosses,
    event_key,
    nearest_first,
)
from chipstress.workflows.hazards.montecarlo import SimulationWorker
from chipstress.workflows.hazards.profiles import load_curves

CURVES = load_curves()[0]


def _curve_mean(name: str, drop: float, span: float, left: float, right: float) -> float:
    """Mean loss of a curve over [left, right] by fine sampling (independent of the code)."""
    curve = CURVES[name]
    t = np.linspace(left, right, 20001)
    x = t / span
    # np.interp takes the right value of a repeated x: the step is taken at that x.
    g = np.where(x < 1.0, np.interp(x, curve.x, curve.g), 0.0)
    return float(drop * np.trapezoid(g, t) / (right - left))


def test_signatures_keep_the_capacity_periods_lost() -> None:
    flat, fire = CURVES["flat"], CURVES["naka_fire_2021"]
    key = event_key([(4, flat, 0.6, 12.0), (1, fire, 0.6, 13.0)], 7.0, (9, 2), 0.0)
    assert key is not None
    hits, blocked, export = key
    assert blocked == () and export is None  # no export control: no edges blocked
    (first, second) = hits  # sorted by node position
    assert first[:3] == (1, "naka_fire_2021", 1000)  # a fire takes everything at first
    # the recovery time keeps 0.6 x 13 capacity-periods: D = 7.8 / area (in minutes)
    assert second == (4, "flat", 600, 12 * 7 * 1440)
    assert first[3] == round(7.8 / fire.area * 7 * 1440)
    assert event_key([], 7.0) is None
    assert event_key([(3, flat, 0.0, 4.0)], 7.0) is None
    only_export = event_key([], 7.0, (5, 3), 2.0)
    assert only_export == ((), (3, 5), 2 * 7 * 1440)


def test_the_grid_is_the_shortest_period_that_fits(tiny: Network) -> None:
    losses = EventLosses(tiny, 7.0)
    flat = CURVES["flat"]
    for weeks, expected in (
        (1.0, (8, 1 / 7)),
        (2.0, (16, 1 / 7)),
        (12.0, (16, 1.0)),
        (20, (12, 2.0)),
    ):
        key = event_key([(0, flat, 1.0, weeks)], 7.0)
        assert key is not None
        assert losses.grid(key) == pytest.approx(expected)
    # A year-long event still fits in SIMULATED_PERIODS periods of the ladder.
    key = event_key([(0, flat, 1.0, 52.0)], 7.0)
    assert key is not None
    horizon, period = losses.grid(key)
    assert horizon <= SIMULATED_PERIODS + 3 and horizon % 4 == 0
    assert period * 7.0 in PERIOD_LADDER_DAYS


def test_a_fire_on_the_tiny_fab_by_hand(tiny: Network) -> None:
    # Fab: demand 80/week, capacity 100, 20 in stock, margin 50. A fire takes 0.6 of the
    # capacity for 13 weeks in the window model; its curve drops to 0 and recovers.
    losses = EventLosses(tiny, 7.0)
    fire = CURVES["naka_fire_2021"]
    fab = int(np.flatnonzero(tiny.nodes["id"] == "fab")[0])
    key = event_key([(fab, fire, 0.6, 13.0)], 7.0)
    assert key is not None
    horizon, period = losses.grid(key)
    span = losses.periods(key[0][0][3])
    short = 0.0
    for t in range(horizon):
        mean = _curve_mean("naka_fire_2021", 1.0, span, t * period, (t + 1) * period)
        short += max(0.0, 80.0 - 100.0 * (1.0 - mean)) * period
    # the shortfall is front-loaded: the stock covers its first 20 units, no more
    expected = 50.0 * max(0.0, short - 20.0)
    assert losses.loss(key) == pytest.approx(expected, rel=1e-4)
    # the window model's loss of the same capacity-periods, spread evenly, is lower
    assert expected > 50.0 * (0.6 * 100 - 20) * 13 - 50 * 20


def test_dominated_profiles_and_certificates_give_the_solvers_answer(tri: Network) -> None:
    worker = SimulationWorker(tri, load_rates(), default_parameters())
    events, _ = worker.sampler.sample(np.random.default_rng(3), 150)
    keys = sorted({worker.key(e) for e in events} - {None})  # type: ignore[type-var]
    losses = worker.losses
    losses.prefetch(keys)
    assert losses.skipped > 0 and losses.solves > 0
    # A fresh worker solving every signature, without shortcuts, agrees.
    fresh = EventLosses(tri, losses.period_days)
    for key in random.Random(1).sample(keys, 60):
        horizon, period = fresh.grid(key)
        lost = fresh.loss_fraction(key, horizon, period)
        blocked = fresh.blocked(key, horizon, period)
        model = fresh.model(horizon, period)
        full = model.solve((1.0 - lost) * fresh.capacity[:, None], blocked).loss
        if abs(full) <= ZERO_SHARE * fresh.stake * horizon * period:
            full = 0.0
        assert losses.memo[key] == pytest.approx(full, rel=1e-7, abs=1e-6), key


def test_the_order_of_solves_does_not_change_a_loss(tri: Network) -> None:
    worker = SimulationWorker(tri, load_rates(), default_parameters())
    events, _ = worker.sampler.sample(np.random.default_rng(5), 100)
    keys = [k for k in dict.fromkeys(worker.key(e) for e in events) if k is not None]
    first = EventLosses(tri, 7.0)
    first.prefetch(keys)
    second = EventLosses(tri, 7.0)
    shuffled = list(keys)
    random.Random(2).shuffle(shuffled)
    values = {key: second.loss(key) for key in shuffled}
    assert values == {key: first.memo[key] for key in keys}
    assert any(v > 0 for v in values.values())


def test_nearest_first_by_hand() -> None:
    # on a line: from 0, the nearest of 10, 1, 4 is 1, then 4, then 10
    points = np.array([[0.0], [10.0], [1.0], [4.0]])
    assert nearest_first(points) == [0, 2, 3, 1]
    # ties go to the lower index; no points, no order
    assert nearest_first(np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])) == [0, 1, 2]
    assert nearest_first(np.zeros((0, 3))) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 8), min_size=3, max_size=3), min_size=1, max_size=12))
def test_nearest_first_is_a_greedy_walk_through_every_point(rows: list[list[int]]) -> None:
    points = np.array(rows, dtype=float)
    order = nearest_first(points)
    assert sorted(order) == list(range(len(rows)))  # each point once
    # a second, plain implementation: squared distances on integers are exact
    left = list(range(1, len(rows)))
    expected = [0]
    while left:
        here = points[expected[-1]]
        nearest = min(left, key=lambda i: (float(((points[i] - here) ** 2).sum()), i))
        expected.append(nearest)
        left.remove(nearest)
    assert order == expected
    assert nearest_first(sp.csr_matrix(points)) == order  # sparse rows, the same walk


def test_allocation_splits_by_standalone_losses(tiny: Network) -> None:
    losses = EventLosses(tiny, 7.0)
    flat = CURVES["flat"]
    ids = list(tiny.nodes["id"])
    fab, water = ids.index("fab"), ids.index("water")
    key = event_key([(fab, flat, 1.0, 1.0), (water, flat, 1.0, 2.0)], 7.0)
    assert key is not None
    total = losses.loss(key)
    shares = losses.allocate(key, total)
    assert sum(shares.values()) == pytest.approx(total)
    # standalone: fab down 1 week -> 3,000; water down 2 weeks -> 7,000
    assert shares[water] / shares[fab] == pytest.approx(7000 / 3000)
