"""Benchmark: full sweeps (every non-product node, both metrics).

Cases:

* ``large``  — the reference ``large.json`` (1,700 nodes) with ``large-durations.csv``:
  1,500 time-to-recover and 1,500 time-to-survive problems. Printed beside the sweep in
  the same process: a *naive loop* (one HiGHS model per metric over the whole network,
  hot-started by a bound change per scenario — :func:`naive_loop`) and the largest
  difference between the two; then the whole process, ``chipstress sweep large.json
  --durations large-durations.csv --metric both --out o.csv`` stored (a DuckDB file in
  a temporary folder) and with ``--no-save``. Targets: in-process <= 0.4 s, whole
  process <= 1.0 s, >= 10x faster than the naive loop.
* ``10k``, ``100k`` — generated networks (``generate_network(N, tiers=5, seed=1)``),
  each node down for its own TTR. Target for 100k: <= 200 s wall on 2 workers.

Each case runs in a fresh subprocess so its memory is measured alone. Printed per case:
wall seconds of the sweep (network already loaded), of the load/generation, and peak
resident memory of the main process and of the largest worker process.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py                # large, 10k
    .venv/bin/python benchmarks/bench_sweep.py large 10k 100k --workers 2
    .venv/bin/python benchmarks/bench_sweep.py large --repeat 1      # one run of each
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "reference-json"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def run_case(case: str, workers: int) -> dict[str, float | int | str]:
    """Load or generate the case's network and sweep it; returns the measurements."""
    from chipstress import read_network
    from chipstress.model.generate import generate_network
    from chipstress.workflows import read_durations, sweep
    from chipstress.workflows.runner import Runner

    started = time.perf_counter()
    if case == "large":
        network = read_network(FIXTURES / "large.json")
        durations = read_durations(str(FIXTURES / "large-durations.csv"))
    else:
        network = generate_network(SIZES[case], tiers=5, seed=1)
        durations = None
    loaded = time.perf_counter()
    result = sweep(
        network, durations=durations, metric="both", runner=Runner(workers=workers)
    ).table
    finished = time.perf_counter()
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "case": case,
        "nodes": network.n_nodes,
        "scenarios": len(result),
        "problems": int(result["tts"].notna().sum() + result["lost_profit"].notna().sum()),
        "exposed": int(result["exposed"].sum()),
        "not_optimal": int((result["status"] != "optimal").sum()),
        "load_s": round(loaded - started, 2),
        "sweep_s": round(finished - loaded, 2),
        "main_peak_mb": round(self_peak),
        "worker_peak_mb": round(worker_peak),
        "workers": workers,
    }


def naive_loop(network: Any, durations: Any) -> tuple[float, pd.DataFrame]:
    """The baseline: one HiGHS model per metric over the whole network, each scenario a
    bound change (the node's capacity to 0; for time-to-recover also the right-hand
    sides of its duration) and a hot-started solve. Returns (seconds, values by node)."""
    from chipstress.engine import HighsSolver, compile_network
    from chipstress.engine.formulation import ProgramKind, build_lp, define_flow_rhs
    from chipstress.engine.regional import tts_from_s

    started = time.perf_counter()
    model = compile_network(network)
    positions = network.index.positions(list(durations.index))
    zero = np.zeros(model.n_nodes)
    tts_data, tts_layout = build_lp(model, ProgramKind.TTS, zero)
    ttr_data, ttr_layout = build_lp(model, ProgramKind.TTR, zero, 1.0)
    tts_solver, ttr_solver = HighsSolver(), HighsSolver()
    tts_solver.load(tts_data)
    ttr_solver.load(ttr_data)
    rows = []
    for node, position in zip(durations.index, positions, strict=True):
        column = np.array([position])
        tts_solver.change_col_bounds(column, np.zeros(1), np.zeros(1))
        status = tts_solver.solve()
        s = float(tts_solver.solution().col_value[tts_layout.extra_column])
        tts = tts_from_s(s, status)
        tts_solver.change_col_bounds(column, np.zeros(1), model.capacity[column])
        duration = float(durations[node])
        lost = 0.0
        if duration > tts:
            upper = define_flow_rhs(model, ProgramKind.TTR, ttr_layout, duration)
            ttr_solver.change_all_row_bounds(ttr_data.row_lower, upper)
            ttr_solver.change_col_bounds(column, np.zeros(1), np.zeros(1))
            ttr_solver.solve()
            lost = ttr_solver.objective() * duration
            ttr_solver.change_col_bounds(column, np.zeros(1), model.capacity[column])
        rows.append((node, lost, tts))
    seconds = time.perf_counter() - started
    return seconds, pd.DataFrame(rows, columns=["node", "lost_profit", "tts"]).set_index("node")


def largest_difference(a: pd.Series, b: pd.Series) -> float:
    """Largest relative difference of two value columns (``inf`` equal to ``inf``)."""
    x, y = a.to_numpy(dtype=float), b.reindex(a.index).to_numpy(dtype=float)
    if np.any(np.isinf(x) != np.isinf(y)):
        return float("inf")
    finite = np.isfinite(x) & np.isfinite(y)
    scale = np.maximum(1.0, np.abs(x[finite]))
    return float(np.max(np.abs(x[finite] - y[finite]) / scale, initial=0.0))


def bench_large(repeat: int) -> None:
    """The ``large`` case: in-process sweep, the naive loop, the whole process."""
    from chipstress import read_network
    from chipstress.workflows import read_durations, sweep
    from chipstress.workflows.runner import Runner

    network = read_network(FIXTURES / "large.json")
    durations = read_durations(str(FIXTURES / "large-durations.csv"))
    best = {"workers=1": float("inf"), "workers=2": float("inf")}
    table = None
    for _ in range(repeat):
        for label, workers in (("workers=1", 1), ("workers=2", 2)):
            started = time.perf_counter()
            table = sweep(
                network, durations=durations, metric="both", runner=Runner(workers=workers)
            ).table
            best[label] = min(best[label], time.perf_counter() - started)
    assert table is not None
    naive_s, naive = naive_loop(network, durations)
    swept = table.set_index("node")
    difference = max(
        largest_difference(swept["tts"], naive["tts"]),
        largest_difference(swept["lost_profit"], naive["lost_profit"]),
    )
    engine_s = min(best.values())
    print(
        f"in-process sweep, best of {repeat}: "
        + ", ".join(f"{k} {v:.3f} s" for k, v in best.items())
    )
    print(f"naive loop (one hot HiGHS model per metric): {naive_s:.3f} s")
    print(f"speed-up over the naive loop: {naive_s / engine_s:.1f}x")
    print(f"largest relative difference, sweep vs naive loop: {difference:.1e}")
    print(f"whole process (best of {repeat}):")
    with tempfile.TemporaryDirectory() as folder:
        for label, extra in (
            ("stored", ["--db", str(Path(folder) / "bench.duckdb")]),
            ("--no-save", ["--no-save"]),
        ):
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                subprocess.run(
                    [
                        str(Path(sys.executable).parent / "chipstress"),
                        "sweep",
                        str(FIXTURES / "large.json"),
                        "--durations",
                        str(FIXTURES / "large-durations.csv"),
                        "--metric",
                        "both",
                        "--out",
                        str(Path(folder) / "o.csv"),
                        "--top",
                        "0",
                        *extra,
                    ],
                    check=True,
                    capture_output=True,
                    env={**os.environ, "CHIPSTRESS_PROGRESS_LINES": "0"},
                )
                runs.append(time.perf_counter() - started)
            print(f"  chipstress sweep ... {label}: {min(runs):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="*", default=["large", "10k"], help="large, 10k, 100k")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best kept)")
    parser.add_argument("--single", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(run_case(args.single, args.workers)))
        return
    if "large" in args.cases:
        bench_large(args.repeat)
    print(
        f"{'case':>6} {'nodes':>8} {'problems':>9} {'load s':>7} {'sweep s':>8} "
        f"{'main MB':>8} {'worker MB':>9} {'exposed':>8} {'not opt':>7}"
    )
    for case in args.cases:
        output = subprocess.run(
            [sys.executable, __file__, "--single", case, "--workers", str(args.workers)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(output.strip().splitlines()[-1])
        print(
            f"{r['case']:>6} {r['nodes']:>8} {r['problems']:>9} {r['load_s']:>7} {r['sweep_s']:>8} "
            f"{r['main_peak_mb']:>8} {r['worker_peak_mb']:>9} {r['exposed']:>8} {r['not_optimal']:>7}"
        )


if __name__ == "__main__":
    main()
