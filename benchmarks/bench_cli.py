"""Benchmark: how long ``chipstress --help`` and ``chipstress COMMAND --help`` take.

The whole process is timed (interpreter start, imports, argument parsing, printing),
best of ``--repeat`` runs, for the program's help and every command's. Beside each, in
the same run and taken in turns so both see the same load on the machine:

* **eager** — the same help after importing what the CLI imported before it loaded
  lazily (the model, engine, workflows, store, report and figures: pandas, NumPy,
  SciPy, HiGHS, plotly, DuckDB), i.e. the cost the user paid on every ``--help``;
* **floor** — ``python -c pass``, the interpreter alone.

Target (issue 17): every lazy figure <= 0.3 s.

Usage::

    .venv/bin/python benchmarks/bench_cli.py
    .venv/bin/python benchmarks/bench_cli.py --repeat 5 --commands sweep simulate
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

LAZY = "import sys; from chipstress.interfaces.cli import main; sys.argv[0] = 'chipstress'; main()"
EAGER = (
    "import sys; import chipstress.model, chipstress.engine, chipstress.workflows, "
    "chipstress.store, chipstress.interfaces.report, chipstress.interfaces.figures; "
    "from chipstress.interfaces.cli import main; sys.argv[0] = 'chipstress'; main()"
)
FLOOR = "pass"


def _child_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_seconds(code: str, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -c code ARGS`` process (its output discarded).

    CPU time (user + system of the process) is much less disturbed than wall time by
    other work on a shared machine.
    """
    cpu = _child_cpu()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    return time.perf_counter() - started, _child_cpu() - cpu


def commands() -> list[list[str]]:
    """Every command and sub-command path of the CLI."""
    import typer.main

    from chipstress.interfaces.cli import app

    group = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        paths.extend([name, sub] for sub in getattr(command, "commands", {}))
    return paths


def main() -> None:
    """Print one row per command: lazy, eager and floor seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each (best is kept).")
    parser.add_argument("--commands", nargs="*", help="Only these commands (default: all).")
    options = parser.parse_args()
    paths = commands()
    if options.commands:
        paths = [p for p in paths if not p or p[0] in options.commands]  # program: always
    print("seconds, best of", options.repeat, "(wall / CPU of the process)")
    print(f"{'chipstress ... --help':<26} {'lazy':>13} {'eager':>13} {'python -c pass':>15}")
    worst = 0.0
    for path in paths:
        args = [*path, "--help"]
        runs: dict[str, list[tuple[float, float]]] = {"lazy": [], "eager": [], "floor": []}
        for _ in range(options.repeat):  # in turns: the same load on the machine for each
            runs["lazy"].append(run_seconds(LAZY, args))
            runs["eager"].append(run_seconds(EAGER, args))
            runs["floor"].append(run_seconds(FLOOR, []))
        best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
        worst = max(worst, best["lazy"][0])
        label = " ".join(path) or "(program)"
        cells = [f"{w:.3f} / {c:.3f}" for w, c in best.values()]
        print(f"{label:<26} {cells[0]:>13} {cells[1]:>13} {cells[2]:>15}")
    verdict = "met" if worst <= 0.3 else "NOT met (on this machine now)"
    print(f"slowest lazy help: {worst:.3f} s wall (target <= 0.3 s: {verdict})")


if __name__ == "__main__":
    main()
