"""Benchmark: full sweeps (every non-product node, both metrics).

Cases:

* ``large``  — the reference ``large.json`` (1,700 nodes) with ``large-durations.csv``:
  1,500 time-to-recover and 1,500 time-to-survive problems. Target: <= 2 s wall.
* ``10k``, ``100k`` — generated networks (``generate_network(N, tiers=5, seed=1)``),
  each node down for its own TTR. Target for 100k: <= 10 min wall, <= 4 GB peak.

Each case runs in a fresh subprocess so its memory is measured alone. Printed per case:
wall seconds of the sweep (network already loaded), of the load/generation, and peak
resident memory of the main process and of the largest worker process.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py                # large, 10k
    .venv/bin/python benchmarks/bench_sweep.py large 10k 100k --workers 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="*", default=["large", "10k"], help="large, 10k, 100k")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--single", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(run_case(args.single, args.workers)))
        return
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
