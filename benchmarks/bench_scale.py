"""Benchmark: scaling out — local processes vs a local Ray cluster, and a 1,000,000-node network.

Parts (choose with arguments; default: all):

* ``ray`` — the full sweep of the 100,000-node generated network (every non-product
  node, both metrics) with local worker processes, then on a local Ray cluster that this
  script starts with ``ray start --head`` (and stops). Prints wall seconds and the peak
  resident memory of the largest worker. Target: Ray within 15 % of local processes.
* ``million`` — a 1,000,000-node network: generation, writing it as Parquet, loading it
  back (wall seconds, target <= 60 s), memory of the ``Network`` (target <= 8 GB), the
  undisrupted baseline (``baselines_s``, issue 17: <= 2 min; answered by a plan that loses
  nothing, chipstress.engine.lossless) and a sweep of a random sample of nodes, from
  which the per-node cost and a cluster plan follow (see docs/scaling.md). With
  ``--whole-program`` the baseline is also solved the way it was before: HiGHS on the
  whole undisrupted program (``whole_program_s``; about 13 minutes, one core), and the
  two optima are compared.

Usage::

    .venv/bin/python benchmarks/bench_scale.py ray million [--workers 2] [--sample 400]
    .venv/bin/python benchmarks/bench_scale.py million --whole-program
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class WorkerMemory:
    """Polls /proc for the largest resident set of matching worker processes."""

    def __init__(self, needles: tuple[str, ...]) -> None:
        self.needles = needles
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        own = os.getpid()
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) == own:
                    continue
                try:
                    cmdline = (
                        (entry / "cmdline")
                        .read_bytes()
                        .replace(b"\0", b" ")
                        .decode(errors="replace")
                    )
                    if not any(needle in cmdline for needle in self.needles):
                        continue
                    for line in (entry / "status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
                except OSError:
                    continue
            self._stop.wait(0.5)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ray(nodes: int, workers: int) -> dict[str, float]:
    from chipstress.executors import ProcessExecutor, make_executor
    from chipstress.model.generate import generate_network
    from chipstress.workflows import sweep
    from chipstress.workflows.runner import Runner

    network = generate_network(nodes, tiers=5, seed=1)
    results = {}
    with WorkerMemory(("chipstress", "bench_scale")) as memory:
        started = time.perf_counter()
        local = sweep(network, runner=Runner(executor=ProcessExecutor(workers))).table
        results["local_s"] = time.perf_counter() - started
    results["local_worker_peak_mb"] = memory.peak_mb

    ray_bin = Path(sys.executable).parent / "ray"
    subprocess.run([str(ray_bin), "stop", "--force"], capture_output=True)
    subprocess.run(
        [
            str(ray_bin),
            "start",
            "--head",
            f"--num-cpus={workers}",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ],
        check=True,
        capture_output=True,
    )
    try:
        executor = make_executor(workers, "ray", "auto")
        with WorkerMemory(("ray::_Worker",)) as memory:
            started = time.perf_counter()
            on_ray = sweep(network, runner=Runner(executor=executor)).table
            results["ray_s"] = time.perf_counter() - started
        results["ray_worker_peak_mb"] = memory.peak_mb
        import ray

        ray.shutdown()
    finally:
        subprocess.run([str(ray_bin), "stop", "--force"], capture_output=True)
    results["identical"] = float(local.equals(on_ray))
    results["ray_overhead_pct"] = 100 * (results["ray_s"] / results["local_s"] - 1)
    results["nodes_swept"] = len(local)
    return results


def bench_million(nodes: int, sample: int, workers: int, whole: bool) -> dict[str, float]:
    import numpy as np

    from chipstress import read_network, write_network
    from chipstress.model.generate import generate_network
    from chipstress.workflows import sweep
    from chipstress.workflows.runner import Runner

    results: dict[str, float] = {}
    folder = Path(tempfile.mkdtemp(prefix="chipstress-1m-"))
    try:
        started = time.perf_counter()
        network = generate_network(nodes, tiers=6, seed=1, validate=False)
        results["generate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        write_network(network, folder / "net", "parquet")
        results["write_s"] = time.perf_counter() - started
        del network
        before = rss_mb()
        started = time.perf_counter()
        loaded = read_network(folder / "net")
        results["load_s"] = time.perf_counter() - started
        results["peak_rss_after_load_mb"] = rss_mb()
        results["rss_before_load_mb"] = before
        tables_mb = (
            sum(t.memory_usage(deep=True).sum() for t in (loaded.nodes, loaded.bom, loaded.sources))
            / 2**20
        )
        results["network_tables_mb"] = tables_mb
        results["nodes"] = loaded.n_nodes
        results["edges"] = len(loaded.sources)
        rng = np.random.default_rng(0)
        candidates = loaded.nodes.loc[~loaded.index.has_demand, "id"].to_numpy()
        chosen = rng.choice(candidates, size=sample, replace=False).tolist()
        from chipstress.executors import ProcessExecutor

        class _Timed(ProcessExecutor):
            """Notes when the chunks start: before it, the baselines are being solved."""

            chunks_started = 0.0

            def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                self.chunks_started = time.perf_counter()
                return super().run(*args, **kwargs)

        runner = _Timed(workers)
        started = time.perf_counter()
        table = sweep(loaded, nodes=chosen, runner=Runner(executor=runner)).table
        finished = time.perf_counter()
        results["sample_sweep_s"] = finished - started
        results["baselines_s"] = runner.chunks_started - started
        results["sample_chunks_s"] = finished - runner.chunks_started
        results["core_ms_per_node"] = 1000 * workers * results["sample_chunks_s"] / sample
        results["sample"] = sample
        results["sample_not_optimal"] = int((table["status"] != "optimal").sum())
        results["peak_rss_mb"] = rss_mb()
        if whole:
            results.update(_whole_program(loaded))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def _whole_program(network: Any) -> dict[str, Any]:
    """The undisrupted steady state answered by the lossless plan and solved as one
    program (the naive baseline): wall seconds and both optima (lost profit per period)."""
    import numpy as np

    from chipstress.engine.formulation import compile_network
    from chipstress.engine.regional import RegionalSolver

    model = compile_network(network)
    results: dict[str, Any] = {}
    for name, rows in (("plan", RegionalSolver.lossless_plan_rows), ("whole_program", sys.maxsize)):
        solver = RegionalSolver(model)
        solver.lossless_plan_rows = rows  # sys.maxsize: the whole program, as before the plan
        started = time.perf_counter()
        steady = solver.baseline_ttr(np.inf)
        results[f"{name}_s"] = time.perf_counter() - started
        results[f"{name}_status"] = str(steady.status)
        results[f"{name}_lost_rate"] = float(steady.rate)
    results["whole_program_peak_rss_mb"] = rss_mb()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("parts", nargs="*", default=["ray", "million"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nodes", type=int, default=100_000, help="nodes of the Ray comparison")
    parser.add_argument("--million", type=int, default=1_000_000, help="nodes of the big network")
    parser.add_argument("--sample", type=int, default=400, help="nodes swept on the big network")
    parser.add_argument(
        "--whole-program",
        action="store_true",
        help="also solve the big network's undisrupted program whole (the naive baseline)",
    )
    args = parser.parse_args()
    for part in args.parts:
        if part == "ray":
            result = bench_ray(args.nodes, args.workers)
        elif part == "million":
            result = bench_million(args.million, args.sample, args.workers, args.whole_program)
        else:
            raise SystemExit(f"unknown part {part!r}")
        print(
            part,
            json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}),
        )


if __name__ == "__main__":
    main()
