"""Benchmark: the mitigation planner's trade-off curve on the built-in tri-cluster network.

Target (this project's 2-core machine): the curve over 10 budgets with the shipped
candidate actions (``src/chipstress/workflows/plan/data/tri-cluster-actions.yaml``,
>= 50 actions) in <= 60 s wall for measure ``worst`` (worst single-site lost profit) and
for measure ``exposed`` (sites with TTR > TTS), each.

Printed per measure: wall seconds of :func:`chipstress.workflows.plan.plan` (network and
actions already loaded; the baseline sweep, the MIP solves and the verification sweep of
every point included), the program's size, and the curve (budget, cost, value, bound,
status). Other work on the machine slows it down: rerun when the figures look noisy.

Usage::

    .venv/bin/python benchmarks/bench_plan.py                  # both measures
    .venv/bin/python benchmarks/bench_plan.py --measure worst
"""

from __future__ import annotations

import argparse
import time

BUDGETS = [1e6, 2e6, 5e6, 1e7, 2e7, 3e7, 5e7, 8e7, 1.2e8, 2e8]  # USD
TARGET_SECONDS = 60.0


def run(measure: str) -> float:
    """Plan the tri-cluster curve for one measure; returns the wall seconds."""
    from chipstress import load_builtin
    from chipstress.workflows.examples import example_path
    from chipstress.workflows.plan import load_actions, plan

    network = load_builtin("tri-cluster")
    path = example_path("actions", "tri-cluster")
    assert path is not None
    actions = load_actions(path, network)
    started = time.perf_counter()
    result = plan(network, actions, measure, BUDGETS)
    wall = time.perf_counter() - started
    print(f"measure {measure}: {len(actions)} candidate actions, {len(BUDGETS)} budgets")
    for note in result.notes:
        print(f"  {note}")
    for row in result.curve.itertuples(index=False):
        print(
            f"  budget {row.budget:>13,.0f}  cost {row.cost:>13,.0f}  value {row.value:>15,.6g}"
            f"  bound {row.bound:>15,.6g}  actions {row.n_actions:>2}  {row.status}"
        )
    verdict = "ok" if wall <= TARGET_SECONDS else "SLOWER THAN THE TARGET"
    print(f"  wall {wall:.1f} s (target <= {TARGET_SECONDS:.0f} s): {verdict}")
    return wall


def main() -> None:
    """Run the benchmark for the measures asked and print wall seconds per measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", choices=("worst", "exposed", "both"), default="both")
    args = parser.parse_args()
    measures = ("worst", "exposed") if args.measure == "both" else (args.measure,)
    walls = {m: run(m) for m in measures}
    print("wall seconds per measure: " + ", ".join(f"{m} {w:.1f}" for m, w in walls.items()))


if __name__ == "__main__":
    main()
