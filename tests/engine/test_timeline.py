"""The time-expanded program (:mod:`chipstress.engine.timeline`): exact, and sensible.

* With one period it is the single-window program (``impact``) on ``small.json`` and
  ``large.json``, to 1e-9 relative.
* An independent dense implementation (``reference_timeline``, cumulative balances,
  units sold instead of units lost) agrees on random networks, horizons, period lengths,
  lead times, profiles, with and without backlog; the regional solve agrees with the whole
  program on generated networks.
* Hand-computed cases: a lead time, a backlog, stock carried over.
* Foresight: without it no stock rises above the inventory, so (hypothesis) a milder
  phase before a damaging one, or a benign one after it, never lowers the loss.
* Properties (hypothesis): a benign phase appended never lowers the loss; losing more
  capacity, or for longer, never lowers it; stock is never used before it exists; a lead
  time never lowers the loss of an event at one node.
* Merged periods: runs of periods with equal capacities solved as one period each have
  the unmerged program's optimum, and the plan spread back keeps stocks within bounds.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import build, random_network
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reference_timeline import reference_timeline

from chipstress import Network, load_builtin
from chipstress.engine import impact
from chipstress.engine.solver import FakeSolver, HighsSolver, SolveStatus
from chipstress.engine.timeline import TimelineModel, lead_periods
from chipstress.engine.timeline_program import build_timeline, merge_periods
from chipstress.errors import InvalidInput
from chipstress.model.generate import generate_network

PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def close(value: float, expected: float, rel: float) -> bool:
    return abs(value - expected) <= rel * max(1.0, abs(expected))


def random_profile(model: TimelineModel, rng: np.random.Generator, hits: int = 2) -> np.ndarray:
    """A few nodes losing a random share of capacity over random spans of periods."""
    profile = model.full_profile()
    h = model.horizon
    for node in rng.choice(model.model.n_nodes, size=min(hits, model.model.n_nodes), replace=False):
        start = int(rng.integers(h))
        end = int(rng.integers(start + 1, h + 1))
        profile[node, start:end] *= 1.0 - float(rng.choice([1.0, 0.5, rng.uniform(0.1, 1.0)]))
    return profile


# --------------------------------------------------------------------------- H = 1
def single_window_cases(network: Network, count: int, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    ids = list(network.nodes["id"])
    cases: list[dict[str, float]] = []
    for k in range(count):
        size = 1 if k % 3 else int(rng.integers(2, 5))
        chosen = rng.choice(ids, size=size, replace=False)
        cases.append({str(n): float(rng.choice([1.0, 0.5, rng.uniform(0.05, 1)])) for n in chosen})
    return cases


@pytest.mark.parametrize("period", [1.0, 2.5, 8.0])
def test_one_period_is_the_single_window_on_small(small: Network, period: float) -> None:
    cases = [{n: 1.0} for n in small.nodes["id"]] + single_window_cases(small, 25, 1)
    for regional in (True, False):
        model = TimelineModel(small, 1, period, regional=regional)
        for disruption in cases:
            result = model.solve(model.profile([(disruption, 1)]))
            expected = impact(small, disruption, period).lost_profit
            assert result.status == SolveStatus.OPTIMAL
            assert close(result.lost_profit, expected, 1e-9), (disruption, period)


def test_one_period_is_the_single_window_on_large(large: Network) -> None:
    model = TimelineModel(large, 1, 3.0)
    for disruption in single_window_cases(large, 20, 2):
        result = model.solve(model.profile([(disruption, 1)]))
        expected = impact(large, disruption, 3.0).lost_profit
        assert close(result.lost_profit, expected, 1e-9), disruption
    assert close(model.baseline().lost_profit, impact(large, {}, 3.0).lost_profit, 1e-9)


# --------------------------------------------------------------------------- reference
def with_lead_times(network: Network, rng: np.random.Generator) -> Network:
    sources = network.sources.copy()
    sources["lead_time"] = rng.choice([0.0, 0.0, 0.5, 1.0, 2.0], size=len(sources))
    return Network(network.nodes, network.bom, sources, network.meta)


@pytest.mark.parametrize("seed", range(24))
def test_dense_reference_agrees_on_random_networks(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    network = with_lead_times(random_network(seed, ("ample", "tight", "mixed")[seed % 3]), rng)
    horizon = int(rng.integers(1, 5))
    period = float(rng.choice([1.0, 0.5, 2.0]))
    penalty = None if seed % 2 else float(rng.uniform(0.0, 2.0))
    foresight = seed % 4 >= 2
    hits = int(rng.integers(1, 4))
    results = []
    for regional in (True, False):
        model = TimelineModel(
            network,
            horizon,
            period,
            backlog=penalty is not None,
            backlog_penalty=penalty or 0.0,
            regional=regional,
            foresight=foresight,
        )
        profile = random_profile(model, np.random.default_rng(seed), hits=hits)
        result = model.solve(profile)
        reference = reference_timeline(
            network, profile, period, model.lead, model.in_transit, penalty, not foresight
        )
        assert result.status == SolveStatus.OPTIMAL
        assert close(result.lost_profit, reference.lost_profit, 1e-6), (regional, seed)
        results.append(result.lost_profit)
    assert close(results[0], results[1], 1e-7)


def test_one_period_regions_are_the_single_window() -> None:
    network = generate_network(300, 4, 5)
    model = TimelineModel(network, 1, 2.0)
    assert model.regional
    for disruption in single_window_cases(network, 15, 3):
        result = model.solve(model.profile([(disruption, 1)]))
        expected = impact(network, disruption, 2.0).lost_profit
        assert close(result.lost_profit, expected, 1e-9), disruption


@pytest.mark.parametrize(
    ("seed", "leads", "backlog", "foresight"),
    [
        (0, False, False, False),
        (1, True, False, False),
        (2, True, True, False),
        (3, True, False, True),
    ],
)
def test_regions_agree_with_the_whole_program(
    seed: int, leads: bool, backlog: bool, foresight: bool
) -> None:
    network = generate_network(300, 4, seed)
    rng = np.random.default_rng(seed)
    lead_time = rng.choice([0.0, 1.0, 2.0], size=len(network.sources)) if leads else None
    regional, whole = (
        TimelineModel(
            network,
            8,
            1.0,
            backlog=backlog,
            backlog_penalty=0.2,
            lead_time=lead_time,
            regional=allowed,
            foresight=foresight,
        )
        for allowed in (True, False)
    )
    assert regional.regional
    sizes = []
    for _ in range(6):
        profile = random_profile(regional, rng, hits=int(rng.integers(1, 3)))
        a, b = regional.solve(profile), whole.solve(profile)
        assert close(a.lost_profit, b.lost_profit, 1e-7)
        sizes.append(a.region_size)
    assert min(sizes) < network.n_nodes


@pytest.mark.parametrize("seed", range(4))
def test_an_event_that_ends_early_is_solved_up_to_its_end_exactly(seed: int) -> None:
    # Regions solve only the periods up to the last one short of capacity and hold the
    # steady state after; the whole program over all 20 periods must agree, and so must
    # every period's lost units (the held periods lose nothing).
    network = generate_network(150, 4, seed)
    rng = np.random.default_rng(seed)
    regional, whole = (TimelineModel(network, 20, 1.0, regional=r) for r in (True, False))
    profile = regional.full_profile()
    for node in rng.choice(network.n_nodes, size=4, replace=False):
        profile[node, : int(rng.integers(1, 6))] *= float(rng.uniform(0.0, 0.6))
    a, b = regional.solve(profile), whole.solve(profile)
    assert close(a.lost_profit, b.lost_profit, 1e-7)
    last = int(np.flatnonzero((profile < regional.full_profile()).any(axis=0)).max())
    assert np.allclose(a.lost_units.to_numpy()[:, last + 1 :], 0.0)
    assert np.allclose(a.lost_units.to_numpy().sum(), b.lost_units.to_numpy().sum(), rtol=1e-7)
    assert a.production.shape == b.production.shape == (network.n_nodes, 20)


def test_a_green_tail_or_a_yellow_lead_in_costs_at_least_the_red_phase() -> None:
    """The issue's table, on tri-cluster: no row is an artefact of averaging any more."""
    fabs = ["tsmc_fab20", "tsmc_fab12", "tsmc_fab15"]
    network = load_builtin("tri-cluster")
    red = dict.fromkeys(fabs, 0.9)
    yellow = dict.fromkeys(fabs, 0.2)
    alone = TimelineModel(network, 8)
    red_alone = alone.solve(alone.profile([(red, 8)])).loss
    longer = TimelineModel(network, 16)
    red_then_green = longer.solve(longer.profile([(red, 8)])).loss
    yellow_then_red = longer.solve(longer.profile([(yellow, 4), (red, 8)])).loss
    assert red_alone > 0
    assert red_then_green >= red_alone * (1 - 1e-9)
    assert yellow_then_red >= red_alone * (1 - 1e-9)
    # With foresight a plan told of the red phase 4 weeks ahead builds stock for it.
    seer = TimelineModel(network, 16, foresight=True)
    assert seer.solve(seer.profile([({}, 4), (red, 8)])).loss < red_alone * (1 - 1e-6)
    warned = longer.solve(longer.profile([({}, 4), (red, 8)])).loss
    assert abs(warned - red_alone) <= 1e-9 * red_alone


def test_a_shortfall_its_own_stock_covers_is_drawn_from_it_without_a_solve() -> None:
    network = load_builtin("tri-cluster")
    regional = TimelineModel(network, 14, 1 / 7)
    whole = TimelineModel(network, 14, 1 / 7, regional=False)
    profile = regional.profile([({"tsmc_fab12": 1.0}, 3)])  # three days down
    drawn, solved = regional.solve(profile), whole.solve(profile)
    assert drawn.region_size == 0 and drawn.loss == 0
    assert close(solved.loss, 0.0, 1e-9)
    made = regional.baseline().production.loc["tsmc_fab12", 1]  # one day's output
    stock = drawn.stock.loc["tsmc_fab12"]
    inventory = float(network.nodes.set_index("id").at["tsmc_fab12", "inventory"])
    assert close(float(stock[3]), inventory - 3 * made, 1e-9)
    assert close(float(stock[14]), inventory - 3 * made, 1e-9)  # not rebuilt: no need


def test_without_foresight_no_stock_is_built_above_the_inventory() -> None:
    network = load_builtin("tri-cluster")
    model = TimelineModel(network, 12)
    red = dict.fromkeys(["tsmc_fab20", "tsmc_fab12", "tsmc_fab15"], 0.9)
    result = model.solve(model.profile([({}, 4), (red, 8)]))
    inventory = network.nodes.set_index("id")["inventory"].fillna(0.0)
    held = result.stock.to_numpy()
    assert np.all(held <= inventory.reindex(result.stock.index).to_numpy()[:, None] + 1e-6)


# --------------------------------------------------------------------------- by hand
def chain(lead_time: float = 0.0) -> Network:
    """S (20/period, no stock) ships to P (demand 10, margin 3), one unit each."""
    network = build(
        [
            {"id": "S", "material": "m", "capacity": 20.0},
            {"id": "P", "material": "p", "capacity": 20.0, "demand": 10.0, "margin": 3.0},
        ],
        [("P", "m", 1.0)],
        [("S", "P")],
    )
    sources = network.sources.copy()
    sources["lead_time"] = lead_time
    return Network(network.nodes, network.bom, sources, network.meta)


@pytest.mark.parametrize(
    ("lead_time", "lost"),
    [(0.0, [10, 10, 0, 0, 0]), (2.0, [0, 0, 10, 10, 0]), (1.5, [0, 0, 10, 10, 0])],
)
def test_lead_time_delays_the_shortfall(lead_time: float, lost: list[float]) -> None:
    for regional in (True, False):
        model = TimelineModel(chain(lead_time), 5, regional=regional)
        result = model.solve(model.profile([({"S": 1.0}, 2)]))
        assert result.lost_units.loc["P"].to_numpy() == pytest.approx(lost)
        assert result.lost_profit == pytest.approx(60.0)
        assert result.lost_profit_by_period.loc["P"].to_numpy() == pytest.approx(
            [3 * v for v in lost]
        )


def test_lead_time_in_days_is_rounded_up() -> None:
    assert lead_periods(np.array([0.0, 1.0, 1.5, 2 / 7]), 1 / 7).tolist() == [0, 7, 11, 2]
    model = TimelineModel(chain(1.0), 14, 1 / 7)
    result = model.solve(model.profile([({"S": 1.0}, 3)]))
    assert result.lost_units.loc["P"].to_numpy().nonzero()[0].tolist() == [7, 8, 9]
    assert result.lost_profit == pytest.approx(3 * 10 * 3 / 7)


def single(capacity: float, inventory: float = 0.0) -> Network:
    return build(
        [
            {
                "id": "P",
                "material": "p",
                "capacity": capacity,
                "demand": 10.0,
                "margin": 3.0,
                "inventory": inventory,
            }
        ]
    )


def test_backlog_is_served_late_at_a_penalty() -> None:
    lost_sales = TimelineModel(single(15.0), 4)
    assert lost_sales.solve(lost_sales.profile([({"P": 1.0}, 1)])).lost_profit == pytest.approx(30)
    model = TimelineModel(single(15.0), 4, backlog=True, backlog_penalty=0.5)
    result = model.solve(model.profile([({"P": 1.0}, 1)]))
    assert result.backlog is not None
    assert result.backlog.loc["P"].to_numpy() == pytest.approx([10, 5, 0, 0])
    assert result.lost_profit == pytest.approx(0.5 * (10 + 5))
    assert result.lost_units.to_numpy().sum() == pytest.approx(0.0)


def test_backlog_still_waiting_at_the_end_is_lost() -> None:
    model = TimelineModel(single(10.0), 4, backlog=True, backlog_penalty=0.5)
    result = model.solve(model.profile([({"P": 1.0}, 1)]))
    assert result.lost_units.loc["P"].to_numpy() == pytest.approx([0, 0, 0, 10])
    assert result.lost_profit == pytest.approx(0.5 * 10 * 3 + 3 * 10)


def test_stock_is_carried_between_periods() -> None:
    for regional in (True, False):
        model = TimelineModel(single(10.0, inventory=15.0), 4, regional=regional)
        result = model.solve(model.profile([({"P": 1.0}, 2)]))
        assert result.stock.loc["P"].to_numpy() == pytest.approx([5, 0, 0, 0])
        assert result.lost_units.loc["P"].to_numpy() == pytest.approx([0, 5, 0, 0])
        assert result.lost_profit == pytest.approx(15.0)
        assert result.loss == pytest.approx(15.0)
        assert result.production.loc["P"].to_numpy() == pytest.approx([0, 0, 10, 10])


def test_a_failed_solve_is_reported_not_hidden() -> None:
    model = TimelineModel(chain(), 3, solver=FakeSolver([SolveStatus.NUMERICAL_ERROR]))
    assert not model.regional
    result = model.solve(model.profile([({"S": 1.0}, 1)]))
    assert result.status == SolveStatus.NUMERICAL_ERROR
    assert np.isnan(result.lost_profit)
    assert result.baseline is not None
    assert result.baseline.status == SolveStatus.NUMERICAL_ERROR


def test_bad_inputs_are_refused() -> None:
    network = chain()
    with pytest.raises(InvalidInput):
        TimelineModel(network, 0)
    with pytest.raises(InvalidInput):
        TimelineModel(network, 3, period=-1.0)
    with pytest.raises(InvalidInput):
        TimelineModel(network, 3, lead_time=[-1.0])
    model = TimelineModel(network, 3)
    with pytest.raises(InvalidInput):
        model.solve(np.zeros((2, 4)))
    with pytest.raises(InvalidInput):
        model.solve(model.full_profile() * 2)
    with pytest.raises(InvalidInput):
        model.profile([({"nowhere": 1.0}, 1)])


# --------------------------------------------------------------------------- properties
@st.composite
def cases(draw: st.DrawFn, leads: bool = True) -> tuple[Network, int, np.ndarray, int]:
    """A random network (with lead times), a horizon, per-node losses and a damage span."""
    seed = draw(st.integers(0, 400))
    network = random_network(seed, draw(st.sampled_from(["ample", "tight", "mixed"])))
    if leads:
        network = with_lead_times(network, np.random.default_rng(seed))
    horizon = draw(st.integers(2, 5))
    loss = np.zeros(network.n_nodes)
    hit = draw(st.lists(st.integers(0, network.n_nodes - 1), min_size=1, max_size=3))
    loss[hit] = draw(st.floats(0.05, 1.0))
    span = draw(st.integers(1, horizon))
    return network, horizon, loss, span


def damaged(model: TimelineModel, loss: np.ndarray, span: int) -> np.ndarray:
    profile = model.full_profile()
    profile[:, :span] *= (1.0 - loss)[:, None]
    return profile


@PROPERTY
@given(cases(), st.integers(1, 3))
def test_a_benign_phase_after_never_lowers_the_loss(
    case: tuple[Network, int, np.ndarray, int], extra: int
) -> None:
    network, horizon, loss, span = case
    short = TimelineModel(network, horizon)
    longer = TimelineModel(network, horizon + extra)
    before = short.solve(damaged(short, loss, span))
    after = longer.solve(damaged(longer, loss, span))
    assert after.lost_profit >= before.lost_profit - 1e-7 * max(1.0, before.lost_profit)


@PROPERTY
@given(cases(leads=False), st.integers(1, 3), st.floats(0.0, 1.0))
def test_a_milder_phase_before_never_lowers_the_loss_without_foresight(
    case: tuple[Network, int, np.ndarray, int], before: int, mild: float
) -> None:
    """Yellow then red costs at least red alone (starting at once), and so does red then green."""
    network, horizon, loss, span = case
    alone = TimelineModel(network, horizon)
    later = TimelineModel(network, horizon + before)
    red = alone.solve(damaged(alone, loss, span))
    profile = later.full_profile()
    profile[:, :before] *= (1.0 - mild * loss)[:, None]
    profile[:, before : before + span] *= (1.0 - loss)[:, None]
    yellow_then_red = later.solve(profile)
    red_then_green = later.solve(damaged(later, loss, span))
    assert red.baseline is not None and yellow_then_red.baseline is not None
    assume(red.baseline.lost_profit <= 1e-9 and yellow_then_red.baseline.lost_profit <= 1e-9)
    tolerance = 1e-7 * max(1.0, red.loss)
    assert yellow_then_red.loss >= red.loss - tolerance
    assert red_then_green.loss >= red.loss - tolerance


@PROPERTY
@given(cases(), st.floats(0.0, 1.0), st.booleans())
def test_losing_more_or_for_longer_never_lowers_the_loss(
    case: tuple[Network, int, np.ndarray, int], more: float, backlog: bool
) -> None:
    network, horizon, loss, span = case
    model = TimelineModel(network, horizon, backlog=backlog, backlog_penalty=0.3)
    base = model.solve(damaged(model, loss, span)).lost_profit
    deeper = model.solve(damaged(model, loss + (1 - loss) * more * (loss > 0), span)).lost_profit
    longer = model.solve(damaged(model, loss, min(horizon, span + 1))).lost_profit
    tolerance = 1e-7 * max(1.0, base)
    assert deeper >= base - tolerance
    assert longer >= base - tolerance


@PROPERTY
@given(cases(), st.booleans())
def test_stock_is_never_used_before_it_exists(
    case: tuple[Network, int, np.ndarray, int], backlog: bool
) -> None:
    network, horizon, loss, span = case
    model = TimelineModel(network, horizon, 0.5, backlog=backlog, backlog_penalty=0.2)
    result = model.solve(damaged(model, loss, span))
    scale = 1.0 + float(network.nodes["inventory"].max()) + float(network.nodes["capacity"].max())
    assert result.stock.to_numpy().min() >= -1e-7 * scale
    # Stock at the end of each period is what the balance left: no period overdraws it.
    made = result.production.to_numpy()
    assert np.all(made <= model.full_profile() * 0.5 + 1e-7 * scale)


@PROPERTY
@given(cases(leads=False), st.integers(0, 400))
def test_a_lead_time_never_lowers_the_loss_of_an_event_at_one_node(
    case: tuple[Network, int, np.ndarray, int], seed: int
) -> None:
    network, _, loss, span = case
    one = np.zeros_like(loss)
    first = int(np.flatnonzero(loss)[0])
    one[first] = loss[first]
    leads = np.random.default_rng(seed).choice([0.0, 1.0, 2.0], size=len(network.sources))
    # Nothing the hit node ships is in transit: goods already on their way when it goes
    # down would reach its customers during the outage, pipeline stock that rightly
    # lowers the loss (a cushion, not a delay); the property is about delays.
    hit_id = network.nodes["id"].iloc[first]
    leads[(network.sources["supplier"] == hit_id).to_numpy()] = 0.0
    # Long enough for every late shipment of the damaged span to arrive, through every
    # tier: a shortfall travels along paths of at most n_nodes - 1 edges, each late by at
    # most the largest lead time (a shorter horizon cuts off what arrives after it).
    periods = span + int(leads.max()) * len(network.nodes) + 1
    # With foresight: without it, what a supplier ships during its customer's outage
    # arrives a lead time later and serves as stock beyond the cap on stocks (goods in
    # transit are not capped), so a lead time can lower the loss there (docs/hazards.md,
    # "Foresight").
    without = TimelineModel(network, periods, foresight=True)
    late = TimelineModel(network, periods, lead_time=leads, foresight=True)
    # On a network that loses demand even undisrupted, the property is false, rightly:
    # what is in transit when the horizon starts is the steady state's flow, so with lead
    # times the undisrupted network loses demand in the first periods too, and an event
    # at the same place and time then costs less beyond that baseline (it hits sales that
    # were lost anyway). The property is about networks that meet their demand.
    hit = without.solve(damaged(without, one, span))
    delayed = late.solve(damaged(late, one, span))
    assert hit.baseline is not None and delayed.baseline is not None
    assume(hit.baseline.lost_profit <= 1e-9 and delayed.baseline.lost_profit <= 1e-9)
    assert delayed.loss >= hit.loss - 1e-7 * max(1.0, hit.loss)


# ------------------------------------------------------------------ merged periods
def test_runs_of_equal_periods_are_found() -> None:
    profile = np.array([[1.0, 1.0, 0.5, 0.5, 0.5, 1.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0]])
    starts, lengths = merge_periods(profile)
    assert starts.tolist() == [0, 2, 5]
    assert lengths.tolist() == [2, 3, 1]
    starts, lengths = merge_periods(np.ones((3, 4)))
    assert starts.tolist() == [0] and lengths.tolist() == [4]


@pytest.mark.parametrize("seed", range(6))
def test_merged_periods_have_the_optimum_of_the_unmerged_program(seed: int) -> None:
    # The merged program over runs of equal capacities, against the same program with
    # every period kept, solved independently (no regions), stocks capped at the
    # inventories (no foresight) or not.
    network = generate_network(120, 3, seed)
    rng = np.random.default_rng(seed)
    model = TimelineModel(network, 12, 0.5, regional=False)
    profile = random_profile(model, rng, hits=3)
    starts, lengths = merge_periods(profile)
    assert len(starts) < profile.shape[1]
    steady = np.nan_to_num(model._steady.y[0])
    compiled = model.model
    for cap in (None, compiled.inventory):
        objectives = []
        for columns, weights in ((profile, None), (profile[:, starts], lengths)):
            data, _ = build_timeline(
                compiled,
                columns.shape[1],
                0.5,
                columns,
                np.zeros(compiled.n_edges, np.int64),
                steady,
                stock_cap=cap,
                lengths=weights,
            )
            solver = HighsSolver()
            solver.load(data)
            assert solver.solve() == SolveStatus.OPTIMAL
            objectives.append(solver.objective())
        assert close(objectives[1], objectives[0], 1e-9)


def test_a_merged_plan_keeps_every_stock_within_its_bounds() -> None:
    # The regional solve merges runs and spreads the plan back: the stock it reports
    # period by period stays between 0 and the inventory (no foresight).
    network = generate_network(200, 4, 3)
    rng = np.random.default_rng(3)
    model = TimelineModel(network, 16, 1.0)
    inventory = model.model.inventory
    for _ in range(4):
        result = model.solve(random_profile(model, rng, hits=2))
        stock = result.stock.to_numpy()
        assert stock.min() >= -1e-6 * (1 + inventory.max())
        assert np.all(stock <= inventory[:, None] * (1 + 1e-9) + 1e-6)


def test_merged_periods_refuse_lead_times_and_backlog() -> None:
    network = generate_network(40, 2, 0)
    model = TimelineModel(network, 4, 1.0, regional=False)
    compiled = model.model
    lead = np.ones(compiled.n_edges, np.int64)
    with pytest.raises(ValueError, match="no lead times"):
        build_timeline(
            compiled,
            2,
            1.0,
            model.full_profile()[:, :2],
            lead,
            np.zeros(compiled.n_edges),
            lengths=np.array([1, 3]),
        )
    with pytest.raises(ValueError, match="one length"):
        build_timeline(
            compiled,
            2,
            1.0,
            model.full_profile()[:, :2],
            0 * lead,
            np.zeros(compiled.n_edges),
            lengths=np.array([0, 3]),
        )


# --------------------------------------------------------------------------- making the most
def _short_by_node(result) -> dict[str, float]:  # type: ignore[no-untyped-def]
    base, made = result.baseline.production, result.production
    below = (base - made).clip(lower=0.0).sum(axis=1)
    return {str(k): float(v) for k, v in below.items() if v > 1e-9}


def test_a_node_whose_customer_is_down_still_makes_its_rate() -> None:
    # P (the only customer) is down for 2 periods: S's output has no use then, so any
    # production of S in [0, 20] is optimal; the plan that makes the most keeps S at or
    # above its undisrupted 10 per period, and only P (forced: its capacity lost) is short.
    for regional in (True, False):
        model = TimelineModel(chain(), 5, regional=regional)
        result = model.solve(model.profile([({"P": 1.0}, 2)]))
        assert result.lost_profit == pytest.approx(60.0)
        assert np.all(result.production.loc["S"].to_numpy() >= 10.0 - 1e-9)
        assert result.production.loc["P"].to_numpy() == pytest.approx([0, 0, 10, 10, 10])
        assert _short_by_node(result) == pytest.approx({"P": 20.0})


def test_a_starved_node_is_short_by_what_its_input_lacked() -> None:
    model = TimelineModel(chain(), 5)
    result = model.solve(model.profile([({"S": 0.5}, 3)]))
    # S makes 10 of its 20 (its rate, 10): P gets all it needs; nothing is short.
    assert result.lost_profit == pytest.approx(0.0)
    assert _short_by_node(result) == {}
    result = model.solve(model.profile([({"S": 0.75}, 3)]))
    # S can make 5: P is short 5 per period for 3 periods, forced by its input.
    assert result.lost_profit == pytest.approx(3 * 5 * 3.0)
    assert _short_by_node(result) == pytest.approx({"S": 15.0, "P": 15.0})


def test_the_second_stage_keeps_the_loss_and_its_plan_does_not_depend_on_the_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same regional program reached warm (from the steady state's basis) and cold
    # (after presolve): the first optimum found differs, the loss does not, and with the
    # second stage neither does what each node could not make.
    import chipstress.engine.timeline as timeline

    tri = load_builtin("tri-cluster")
    phases = [({"taipower_north": 0.9, "tsmc_fab18": 0.8}, 10), ({"tsmc_fab18": 0.8}, 30)]
    found = {}
    for rows, making_most in ((10**9, True), (0, True), (10**9, False), (0, False)):
        monkeypatch.setattr(timeline, "PRESOLVE_ROWS", rows)
        model = TimelineModel(tri, 60, 1 / 7, making_most=making_most)
        found[rows, making_most] = model.solve(model.profile(phases))
    warm, cold = found[10**9, True], found[0, True]
    assert warm.loss > 0
    for result in found.values():
        assert result.loss == pytest.approx(warm.loss, rel=1e-9)
    assert _short_by_node(cold) == pytest.approx(_short_by_node(warm), rel=1e-6, abs=1e-6)
    assert "tsmc_fab18" in _short_by_node(warm) and "taipower_north" in _short_by_node(warm)
    first_found = (found[10**9, False], found[0, False])
    assert _short_by_node(first_found[0]) != pytest.approx(_short_by_node(first_found[1]))
