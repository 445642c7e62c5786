"""Benchmark: the time-expanded program (:mod:`chipstress.engine.timeline`), in process.

Targets: one event over 52 weekly periods on a generated 10,000-node network <= 10 s;
a daily 60-period event on the built-in tri-cluster <= 0.5 s.

Printed per case, in seconds of wall time:

* ``model`` — compiling the network and solving its undisrupted steady state (once per
  network, horizon and period);
* ``first`` — the first event on a fresh model (regional program, or the whole program
  started from the steady state's basis repeated in every period);
* ``next`` — each further event on the same model (median, and the largest);
* ``naive`` — a fresh model for every event (no reuse: compile, steady state, solve);
* ``whole`` (tri-cluster, and the 10k network with ``--whole``) — the whole program for
  every event, with no regional restriction.

Then every catalogue replay on tri-cluster (``replay``, which runs events on the
timeline: days when a hit is back within 8 weeks), each beside the window model's
evaluation it replaced (translate, the two single-window ``impact`` programs and the
time-to-survive; its loss and time), and the issue's table (an 8-week red alert over
Hsinchu and Taichung, the same then 8 weeks green, 4 weeks yellow then red, and four
replays). Target: each replay <= 0.5 s in process (its first run, a fresh timeline).

Usage::

    .venv/bin/python benchmarks/bench_timeline.py            # both networks
    .venv/bin/python benchmarks/bench_timeline.py --whole    # also the 10k whole program
    .venv/bin/python benchmarks/bench_timeline.py --replays  # only the replays and the table
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from chipstress import load_builtin
from chipstress.engine.solver import HighsSolver
from chipstress.engine.timeline import TimelineModel, TimelineResult
from chipstress.model.generate import generate_network
from chipstress.model.network import Network

Event = Callable[[TimelineModel], np.ndarray]


def timed(work: Callable[[], TimelineResult]) -> tuple[float, TimelineResult]:
    """Seconds ``work`` took, and its result."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def solve_event(model: TimelineModel, event: Event) -> TimelineResult:
    """Solve one event on ``model``."""
    return model.solve(event(model))


def quake(node: str, period: float) -> Event:
    """A node down for a day, 70 % back after it, fully back after ten days."""

    def profile(model: TimelineModel) -> np.ndarray:
        day = max(1, round(1 / (7 * period)))
        return model.profile([({node: 1.0}, day), ({node: 0.3}, 2 * day), ({node: 0.1}, 7 * day)])

    return profile


def alert(nodes: list[str], loss: float, periods: int) -> Event:
    """Nodes losing ``loss`` of their capacity for ``periods`` periods."""
    return lambda model: model.profile([(dict.fromkeys(nodes, loss), periods)])


def outage(position: int, weeks: int, ramp: int) -> Event:
    """A node (by position) down for ``weeks``, then at half capacity for ``ramp`` weeks."""

    def profile(model: TimelineModel) -> np.ndarray:
        full = model.full_profile()
        full[position, :weeks] = 0.0
        full[position, weeks : weeks + ramp] *= 0.5
        return full

    return profile


def run(
    label: str,
    network: Network,
    horizon: int,
    period: float,
    events: list[tuple[str, Event]],
    whole: bool,
) -> None:
    """Time one network's events every way and print the figures."""
    print(f"\n{label}: {network.n_nodes} nodes, {len(network.sources)} edges, H={horizon}")
    build_s, _ = timed(lambda: TimelineModel(network, horizon, period).baseline())
    model = TimelineModel(network, horizon, period)
    print(f"  model (compile + steady state): {build_s:.3f} s; regional={model.regional}")
    times = []
    for name, event in events:
        seconds, result = timed(partial(solve_event, model, event))
        times.append(seconds)
        print(
            f"  {name:<34} {seconds:7.3f} s  lost {result.lost_profit:>16,.0f}"
            f"  region {result.region_size:>6} nodes  {result.status}"
        )
    later = times[1:] or times
    print(
        f"  first {times[0]:.3f} s; next median {statistics.median(later):.3f} s,"
        f" max {max(later):.3f} s"
    )
    naive = []
    for _, event in events[:3]:

        def fresh(event: Event = event) -> TimelineResult:
            new = TimelineModel(network, horizon, period)
            return new.solve(event(new))

        naive.append(timed(fresh)[0])
    print(f"  naive (fresh model per event): median {statistics.median(naive):.3f} s")
    if whole:
        solver = HighsSolver()
        solver.set_option("time_limit", 300.0)
        every = TimelineModel(network, horizon, period, regional=False, solver=solver)
        spent = []
        for name, event in events[:3]:
            seconds, result = timed(partial(solve_event, every, event))
            spent.append(seconds)
            print(f"  whole program {name:<20} {seconds:7.3f} s  {result.status}")
        print(f"  whole program: first {spent[0]:.3f} s (includes the baseline)")


def window_replay(event_id: str, network: Network) -> float:
    """The window model's loss of a catalogue event (what ``replay`` computed before)."""
    from chipstress.engine import impact, time_to_survive
    from chipstress.workflows.hazards import catalogue, translate

    translation = translate(catalogue()[event_id].events, network)
    if translation.window <= 0:
        return 0.0
    hit_network = (
        network.without_sources(translation.blocked) if translation.blocked is not None else network
    )
    hit = impact(hit_network, translation.disruption, translation.window).lost_profit
    base = impact(network, {}, translation.window).lost_profit
    time_to_survive(hit_network, translation.peak)
    return hit - base


def replays(network: Network) -> None:
    """Every catalogue replay, timed, beside the window model's evaluation."""
    from chipstress.workflows.hazards import catalogue, replay

    print("\ncatalogue replays on tri-cluster (timeline, first run; window model beside)")
    print(f"  {'event':<26} {'loss':>14} {'H':>4} {'period':>7} {'s':>6}   {'window':>14} {'s':>6}")
    slowest = 0.0
    for event_id in catalogue():
        started = time.perf_counter()
        result = replay(event_id, network)
        seconds = time.perf_counter() - started
        slowest = max(slowest, seconds)
        started = time.perf_counter()
        old = window_replay(event_id, network)
        old_seconds = time.perf_counter() - started
        unit = "day" if result.period_length < 1 else "week"
        print(
            f"  {event_id:<26} {result.loss:>14,.0f} {result.horizon:>4} {unit:>7}"
            f" {seconds:>6.3f}   {old:>14,.0f} {old_seconds:>6.3f}"
        )
    print(f"  slowest replay {slowest:.3f} s (target 0.5 s)")


def issue_table(network: Network) -> None:
    """The table of issue 12, re-run: no row is an artefact of averaging."""
    from chipstress.workflows.hazards import evaluate, parse_events, replay

    def water(phases: list[dict[str, str]]) -> list[Any]:
        return parse_events(
            [
                {"type": "water_restriction", "name": f"{d} alert", "district": d, "phases": phases}
                for d in ("hsinchu", "taichung")
            ]
        )

    red = [{"level": "red", "duration": "8 weeks"}]
    rows = [
        ("red alert, 8 weeks", water(red)),
        ("red, then 8 weeks green", water([*red, {"level": "green", "duration": "8 weeks"}])),
        ("4 weeks yellow, then red", water([{"level": "yellow", "duration": "4 weeks"}, *red])),
    ]
    print("\nissue 12's table on tri-cluster (lost profit, USD)")
    for name, events in rows:
        result = evaluate(events, network, name=name)
        unit = "days" if result.period_length < 1 else "periods"
        print(f"  {name:<30} {result.loss:>16,.0f}  ({result.horizon} {unit})")
    for event_id in ("hualien_2024", "chichi_1999", "tsmc_malware_2018", "photoresist_2019"):
        result = replay(event_id, network)
        unit = "days" if result.period_length < 1 else "periods"
        print(f"  {event_id:<30} {result.loss:>16,.0f}  ({result.horizon} {unit})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole", action="store_true", help="also the 10k whole program")
    parser.add_argument("--replays", action="store_true", help="only the replays and the table")
    parser.add_argument("--nodes", type=int, default=10_000)
    args = parser.parse_args()

    tri = load_builtin("tri-cluster")
    replays(tri)
    issue_table(tri)
    if args.replays:
        return
    day = 1 / 7
    run(
        "tri-cluster, daily",
        tri,
        60,
        day,
        [
            ("quake tsmc_fab18 (day down, ramp)", quake("tsmc_fab18", day)),
            ("quake tsmc_fab12", quake("tsmc_fab12", day)),
            (
                "red alert hsinchu+taichung 30 d",
                alert(["tsmc_fab20", "tsmc_fab12", "tsmc_fab15"], 0.3, 30),
            ),
            ("sony kumamoto down 21 d", alert(["sony_kumamoto_tec"], 1.0, 21)),
            ("fab22 down 14 d", alert(["tsmc_fab22"], 1.0, 14)),
            ("neon odesa down 60 d", alert(["neon_cryoin_odesa"], 1.0, 60)),
        ],
        whole=True,
    )

    started = time.perf_counter()
    big = generate_network(args.nodes, 5, 0)
    print(f"\ngenerated {args.nodes} nodes in {time.perf_counter() - started:.2f} s")
    rng = np.random.default_rng(0)
    positions = rng.choice(big.n_nodes, size=8, replace=False)
    events: list[tuple[str, Event]] = [
        (f"node {p} down 8 w, ramp 4 w", outage(int(p), 8, 4)) for p in positions[:5]
    ]
    tier = big.nodes["tier"].to_numpy()
    cluster = big.nodes["cluster"].to_numpy()
    ids = big.nodes["id"].astype(str).to_numpy()
    for name, chosen, loss, weeks in (
        (
            "3 tier-2 nodes down 8 w",
            rng.choice(np.flatnonzero(tier == 2), 3, replace=False),
            1.0,
            8,
        ),
        (
            "10 tier-3 nodes down 8 w",
            rng.choice(np.flatnonzero(tier == 3), 10, replace=False),
            1.0,
            8,
        ),
        ("200 kumamoto nodes -50% 8 w", np.flatnonzero(cluster == "kumamoto")[:200], 0.5, 8),
    ):
        events.append((name, alert(list(ids[chosen]), loss, weeks)))
    run(f"generated-{args.nodes}, weekly", big, 52, 1.0, events, whole=args.whole)


if __name__ == "__main__":
    main()
