"""Benchmark: what recording a sweep into the results store costs.

The reference ``large.json`` (1,700 nodes) with ``large-durations.csv``, both metrics,
measured two ways, best of ``--repeat`` runs each:

* **process** — the whole ``chipstress sweep ... --out o.csv`` command, once with the
  default store (``CHIPSTRESS_DB`` pointed at a fresh temporary DuckDB file) and once
  with ``--no-save``;
* **in-process** — :func:`chipstress.workflows.sweep` on the loaded network, once with a
  recorder from :meth:`chipstress.store.ResultsStore.start` (finished with the whole
  table, as the CLI does) and once without.

Printed: both times and the recording overhead as a percentage of the sweep without
recording, in wall time and in CPU time (this process and the ones it waited for; much
steadier than wall time on a busy machine). Target: overhead <= 10 %.

Usage::

    .venv/bin/python benchmarks/bench_record.py
    .venv/bin/python benchmarks/bench_record.py --repeat 5 --workers 1
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "reference-json"
NETWORK = FIXTURES / "large.json"
DURATIONS = FIXTURES / "large-durations.csv"


Times = tuple[float, float]  # (wall, cpu) seconds


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(
    repeat: int, first: Callable[[int], None], second: Callable[[int], None]
) -> tuple[Times, Times]:
    """The shortest wall and CPU times (seconds) of ``repeat`` calls each of
    ``first(attempt)`` and ``second(attempt)``, taken in turns so both see the same load
    on the machine. CPU time (of this process and the processes it waited for: workers,
    the command) is much less disturbed than wall time by other work on the machine."""
    walls: tuple[list[float], list[float]] = ([], [])
    cpus: tuple[list[float], list[float]] = ([], [])
    for attempt in range(repeat):
        for which, run in enumerate((first, second)):
            started, used = time.perf_counter(), cpu_seconds()
            run(attempt)
            walls[which].append(time.perf_counter() - started)
            cpus[which].append(cpu_seconds() - used)
    return (min(walls[0]), min(cpus[0])), (min(walls[1]), min(cpus[1]))


def process_times(repeat: int, workers: int, folder: Path) -> tuple[Times, Times]:
    """(recorded, not recorded) seconds of the whole ``chipstress sweep`` command."""
    chipstress = Path(sys.executable).with_name("chipstress")
    base = [
        str(chipstress),
        "sweep",
        str(NETWORK),
        "--durations",
        str(DURATIONS),
        "--metric",
        "both",
        "--workers",
        str(workers),
        "--out",
        str(folder / "o.csv"),
    ]

    def command(save: bool, attempt: int) -> None:
        env = dict(os.environ, CHIPSTRESS_DB=str(folder / "runs.duckdb"))
        extra = [] if save else ["--no-save"]
        subprocess.run(base + extra, env=env, check=True, capture_output=True)

    return best_of(
        repeat, lambda attempt: command(True, attempt), lambda attempt: command(False, attempt)
    )


def in_process_times(repeat: int, workers: int, folder: Path) -> tuple[Times, Times]:
    """(recorded, not recorded) seconds of :func:`sweep` on the loaded network."""
    from chipstress import read_network
    from chipstress.store import ResultsStore
    from chipstress.workflows import read_durations, sweep, sweep_summary
    from chipstress.workflows.runner import Runner

    network = read_network(NETWORK)
    durations = read_durations(str(DURATIONS))

    def recorded(attempt: int) -> None:
        with ResultsStore(folder / "inproc.duckdb") as store:
            recorder = store.start("sweep", network, {"metric": "both"})
            table = sweep(
                network,
                durations=durations,
                metric="both",
                runner=Runner(workers=workers, recorder=recorder),
            ).table
            recorder.finish(sweep_summary(table), {"sweep": table})

    def plain(attempt: int) -> None:
        sweep(network, durations=durations, metric="both", runner=Runner(workers=workers))

    return best_of(repeat, recorded, plain)


def report(label: str, recorded: Times, plain: Times) -> None:
    """Print two lines (wall, CPU): both times and the overhead in % of the unrecorded
    sweep."""
    for kind, mine, theirs in (("wall", recorded[0], plain[0]), ("cpu", recorded[1], plain[1])):
        overhead = (mine - theirs) / theirs * 100
        print(
            f"{label:<11}{kind:<5} recorded {mine:6.2f} s   --no-save {theirs:6.2f} s   "
            f"overhead {mine - theirs:+.2f} s = {overhead:+.1f} % of the sweep"
        )


def main() -> None:
    """Parse the arguments, run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (best kept)")
    parser.add_argument("--workers", type=int, default=0, help="0 = every core (the default)")
    parser.add_argument("--skip-process", action="store_true", help="in-process only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        if not args.skip_process:
            report("process", *process_times(args.repeat, args.workers, folder))
        report("in-process", *in_process_times(args.repeat, args.workers, folder))


if __name__ == "__main__":
    main()
