"""Benchmark: Monte-Carlo hazard simulation on the built-in tri-cluster network.

Targets (2 workers on a 2-core machine): 10,000 simulated years <= 30 s wall,
100,000 years <= 5 min wall. Every event unfolds on the time-expanded program.

The baseline beside it (in process, one worker, the same first years of the same seed):
every distinct event signature solved the straightforward way,
``TimelineModel.solve`` on growing regions with its tables, no certificates, no hot
start — against chipstress's own path for the same years.

Each case runs in a fresh subprocess so its memory is measured alone. Printed per case:
wall seconds of the simulation (network already loaded), CPU seconds of the main process
and its workers together (wall ≈ CPU / workers on an otherwise idle machine), programs
solved and solves skipped by the zero-loss certificates, the expected annual loss, and the
peak resident memory of the main process and of the largest worker process.

Usage::

    .venv/bin/python benchmarks/bench_simulate.py                 # 10k and 100k years
    .venv/bin/python benchmarks/bench_simulate.py 10000 --workers 2 --seed 1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (the workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run_case(years: int, workers: int, seed: int) -> dict[str, float | int]:
    """Simulate ``years`` years on tri-cluster; returns the measurements."""
    from chipstress import load_builtin
    from chipstress.workflows.hazards import simulate
    from chipstress.workflows.runner import Runner

    network = load_builtin("tri-cluster")
    before = _cpu_seconds()
    started = time.perf_counter()
    result = simulate(network, years, seed, runner=Runner(workers=workers))
    wall = time.perf_counter() - started
    cpu = _cpu_seconds() - before
    return {
        "years": years,
        "workers": workers,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "events": len(result.events),
        "solves": result.solves,
        "shortcuts": result.shortcuts,
        "eal": round(result.expected_annual_loss),
        "var99": round(result.var[0.99]),
        "main_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def baseline_case(years: int, seed: int) -> dict[str, float | int]:
    """The same years, each distinct signature solved naively, and chipstress's path."""
    import numpy as np

    from chipstress import load_builtin
    from chipstress.workflows.hazards import default_parameters, load_rates
    from chipstress.workflows.hazards.montecarlo import SimulationWorker, year_chunks

    network = load_builtin("tri-cluster")
    worker = SimulationWorker(network, load_rates(), default_parameters())
    _, count, chunk_seed = year_chunks(years, seed)[0]
    events, _ = worker.sampler.sample(np.random.default_rng(chunk_seed), count)
    keys = [k for k in dict.fromkeys(worker.key(e) for e in events) if k is not None]
    losses = worker.losses
    started = time.perf_counter()
    naive = {}
    for key in keys:
        horizon, period = losses.grid(key)
        lost = losses.loss_fraction(key, horizon, period)
        blocked = losses.blocked(key, horizon, period)
        model = losses.model(horizon, period)
        naive[key] = model.solve((1.0 - lost) * losses.capacity[:, None], blocked).loss
    naive_s = time.perf_counter() - started
    fresh = SimulationWorker(network, load_rates(), default_parameters())
    started = time.perf_counter()
    fresh.losses.prefetch(keys)
    fast_s = time.perf_counter() - started
    worst = max(
        abs(fresh.losses.memo[k] - max(0.0, naive[k])) / max(1.0, abs(naive[k])) for k in keys
    )
    return {
        "years": count,
        "signatures": len(keys),
        "naive_s": round(naive_s, 2),
        "chipstress_s": round(fast_s, 2),
        "solves": fresh.losses.solves,
        "worst_relative_difference": worst,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("years", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-years", type=int, default=300, help="years for the naive baseline (300)"
    )
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(run_case(args.single, args.workers, args.seed)))
        return
    if args.baseline_years:
        row = baseline_case(args.baseline_years, args.seed)
        print(
            f"baseline, {row['years']:,} years ({row['signatures']:,} event signatures, in "
            f"process): naive {row['naive_s']:.2f} s, chipstress {row['chipstress_s']:.2f} s "
            f"({row['solves']:,} programs solved); largest relative difference "
            f"{row['worst_relative_difference']:.1e}",
            flush=True,
        )
    print(
        f"{'years':>8} {'workers':>7} {'wall s':>8} {'CPU s':>8} {'events':>9} {'solves':>7} "
        f"{'skipped':>8} {'EAL (USD)':>14} {'main MB':>8} {'worker MB':>9}"
    )
    for years in args.years:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--single",
                str(years),
                "--workers",
                str(args.workers),
                "--seed",
                str(args.seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(output.stdout.strip().splitlines()[-1])
        print(
            f"{row['years']:>8,} {row['workers']:>7} {row['wall_s']:>8.2f} {row['cpu_s']:>8.2f} "
            f"{row['events']:>9,} "
            f"{row['solves']:>7,} {row['shortcuts']:>8,} {row['eal']:>14,} "
            f"{row['main_peak_mb']:>8,} {row['worker_peak_mb']:>9,}",
            flush=True,
        )


if __name__ == "__main__":
    main()
