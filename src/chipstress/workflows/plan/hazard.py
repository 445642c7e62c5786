"""The planner for hazard measures: expected annual loss and CVaR (heuristic + proven bound).

**Common random numbers.** The events of ``years`` simulated years are drawn once, on
the network as it is, exactly as :func:`chipstress.workflows.hazards.simulate` draws
them (so the baseline figures equal ``simulate``'s with the same seed), and every
candidate plan is evaluated on those same events
(:class:`chipstress.workflows.whatif.hazards.EventMapper`), so differences between
plans are not sampling noise.

**What is evaluated.** When the undisrupted network loses nothing (every window), an
event's loss is the lost profit of its disruption, which only falls as actions are
added (they enlarge every program's feasible set; see
:mod:`chipstress.workflows.plan.mip`). So events that lose nothing at baseline lose
nothing under any plan, and events whose loss with *every* candidate applied equals
their baseline loss cannot be improved by any plan: only the remaining *improvable*
events are solved again for each plan. (If the undisrupted network loses something,
every damaging event is re-solved.)

**Heuristic.** For each budget (in increasing order, starting from the plan of the
budget below): greedy by benefit per cost — lazily re-evaluated, the best ratio among
affordable actions is added while it lowers the measure — then local search (swap one
chosen action for an unchosen one that fits the budget, refill greedily) until no
swap improves or the evaluation allowance is used up.

**Proven bound.** Beside each answer: the larger of

* the measure with *every* candidate applied, budget ignored (valid by the monotonicity
  above), and
* the optimum of the LP relaxation of the exact mixed-integer program: one copy of the
  time-to-recover program per improvable event (distinct disruption), binary
  switches relaxed to [0, 1], the budget row, ``w_e ≥ loss_e`` per copy (an event that
  hits a site with a TTR-cut candidate gets a second copy with every such cut applied,
  ``w_e`` ≥ either, the first relaxed by the cuts' big-M), and the expected annual loss
  ``Σ n_e w_e / N`` or CVaR through Rockafellar-Uryasev's ``η + Σ_y max(0, L_y − η)/k``
  over the simulated years. Any plan within the budget is a feasible point of the
  program, so no plan can do better than its relaxation.

Both bounds hold up to two simplifications of the simulation itself: event losses below
one millionth of the profit at stake count as zero, and a TTR cut shortens a site's
outage inside a multi-site event window, which the one-window model does not always
reward monotonically.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from chipstress.model.network import Network
from chipstress.workflows.plan.actions import ActionSet, choice_row
from chipstress.workflows.plan.bound import RelaxationBound
from chipstress.workflows.plan.result import (
    CURVE_COLUMNS,
    Measure,
    PlanResult,
    PlanStatus,
    evaluate_sites,
)
from chipstress.workflows.plan.sample import EventSample
from chipstress.workflows.runner import Runner

__all__ = ["EventSample", "plan_hazard"]

# Plan evaluations allowed per budget in the local search.
MAX_SWAPS = 40


def _greedy(
    sample: EventSample,
    costs: np.ndarray,
    budget: float,
    start: frozenset[int],
    ratios: dict[int, float],
) -> frozenset[int]:
    """Add actions by benefit per cost (lazily re-evaluated) while the measure falls."""
    chosen = start
    value = sample.evaluate(chosen)
    spent = float(costs[list(chosen)].sum()) if chosen else 0.0
    heap = [
        (-ratios.get(k, math.inf), k)
        for k in range(len(costs))
        if k not in chosen and costs[k] <= budget - spent + 1e-9
    ]
    heapq.heapify(heap)
    while heap:
        _, k = heapq.heappop(heap)
        if k in chosen or costs[k] > budget - spent + 1e-9:
            continue
        trial = sample.evaluate(chosen | {k})
        gain = value - trial
        ratio = gain / costs[k] if costs[k] > 0 else (math.inf if gain > 0 else 0.0)
        ratios[k] = ratio
        if heap and ratio < -heap[0][0] - 1e-12:  # stale: someone else may be better now
            heapq.heappush(heap, (-ratio, k))
            continue
        if gain <= 1e-9 * max(1.0, value):
            break  # the best remaining ratio gains nothing
        chosen, value, spent = chosen | {k}, trial, spent + float(costs[k])
    return chosen


def _local_search(
    sample: EventSample,
    costs: np.ndarray,
    budget: float,
    chosen: frozenset[int],
    ratios: dict[int, float],
) -> frozenset[int]:
    """Swap one chosen action for an unchosen one (and refill) while that improves."""
    value = sample.evaluate(chosen)
    tries = 0
    improved = True
    while improved and tries < MAX_SWAPS:
        improved = False
        spent = float(costs[list(chosen)].sum()) if chosen else 0.0
        outside = sorted(
            (k for k in range(len(costs)) if k not in chosen),
            key=lambda k: -ratios.get(k, 0.0),
        )[:10]
        for out in sorted(chosen, key=lambda k: ratios.get(k, 0.0)):
            for inside in outside:
                if spent - costs[out] + costs[inside] > budget + 1e-9:
                    continue
                trial_set = _greedy(sample, costs, budget, (chosen - {out}) | {inside}, ratios)
                tries += 1
                trial = sample.evaluate(trial_set)
                if trial < value - 1e-9 * max(1.0, value):
                    chosen, value, improved = trial_set, trial, True
                    break
                if tries >= MAX_SWAPS:
                    break
            if improved or tries >= MAX_SWAPS:
                break
    return chosen


def plan_hazard(
    network: Network,
    actions: ActionSet,
    measure: Measure | str,
    budgets: Sequence[float],
    *,
    years: int,
    seed: int,
    cvar_level: float = 0.95,
    runner: Runner | None = None,
    started: float | None = None,
) -> PlanResult:
    """The trade-off curve for ``eal`` or ``cvar`` (see the module docstring).

    Parameters
    ----------
    network
        The network as it is.
    actions
        The candidate actions.
    measure
        ``eal`` or ``cvar``.
    budgets
        Amounts (currency) to spend at most, one point of the curve each.
    years, seed
        Simulated years and their seed (chunks as ``simulate``).
    cvar_level
        The CVaR level (e.g. 0.95).
    runner
        Its ``progress(done, total)`` is called after each budget; the planner runs in
        this process.
    started
        ``time.perf_counter()`` when the planning began (for the timings).

    Returns
    -------
    PlanResult
        The curve (values in currency per year) and the actions chosen at each budget.
    """
    started = started or time.perf_counter()
    sample = EventSample(network, actions.actions, years, seed, measure, cvar_level)
    costs = np.array([a.cost for a in actions.actions], dtype=float)
    ratios: dict[int, float] = {}
    rows: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []
    chosen: frozenset[int] = frozenset()
    previous_value = sample.baseline
    notes = [
        f"{years:,} simulated years (seed {seed}); {len(sample.kept):,} damaging events "
        f"kept, {len(sample.improvable):,} improvable by some candidate",
    ]
    if not sample.monotone:
        notes.append(
            "the undisrupted network loses demand: every event is re-evaluated and the "
            "all-actions bound is not proven"
        )
    relaxation = RelaxationBound(sample, network)
    baseline_sites = evaluate_sites(network, [])
    sites_cache: dict[frozenset[int], dict[str, float]] = {frozenset(): baseline_sites}
    for done, budget in enumerate(budgets, start=1):
        point_started = time.perf_counter()
        before = sample.evaluations
        candidate = _greedy(sample, costs, budget, chosen, ratios)
        candidate = _local_search(sample, costs, budget, candidate, ratios)
        value = sample.evaluate(candidate)
        details = []
        if value > previous_value * (1 + 1e-12):
            candidate, value = chosen, previous_value
            details.append("kept the smaller budget's plan")
        chosen, previous_value = candidate, value
        bound, basis = relaxation.bound(budget)
        proven = [
            b
            for b in (bound, sample.all_actions if sample.monotone else math.nan)
            if not math.isnan(b)
        ]
        best_bound = min(value, max(proven)) if proven else math.nan
        if chosen not in sites_cache:
            sites_cache[chosen] = evaluate_sites(
                network, [actions.actions[k] for k in sorted(chosen)]
            )
        gap = (
            max(0.0, (value - best_bound) / value)
            if value > 0 and not math.isnan(best_bound)
            else (0.0 if value == 0 else math.nan)
        )
        rows.append(
            {
                "budget": budget,
                "measure": measure,
                "value": value,
                "program_value": value,
                "bound": best_bound,
                "gap": gap,
                "cost": float(costs[list(chosen)].sum()) if chosen else 0.0,
                "n_actions": len(chosen),
                "actions": ";".join(actions.actions[k].id for k in sorted(chosen)),
                "status": PlanStatus.HEURISTIC.value,
                "status_detail": "; ".join(
                    [*details, f"bound: {basis} and all candidates applied"]
                ),
                "method": f"greedy + local search ({sample.evaluations - before} evaluations)",
                **sites_cache[chosen],
                "seconds": time.perf_counter() - point_started,
            }
        )
        choices.extend(choice_row(actions.actions[k], budget) for k in sorted(chosen))
        if runner is not None and runner.progress is not None:
            runner.progress(done, len(budgets))
    return PlanResult(
        measure=measure,
        curve=pd.DataFrame(rows, columns=CURVE_COLUMNS),
        choices=pd.DataFrame(
            choices, columns=["budget", "action", "description", "cost", "cost_basis"]
        ),
        baseline={
            measure: sample.baseline,
            "worst": baseline_sites["worst_lost_profit"],
            "exposed": baseline_sites["exposed_sites"],
            "total_lost_profit": baseline_sites["total_lost_profit"],
            "all_actions": sample.all_actions,
        },
        actions=actions,
        notes=notes,
        wall_seconds=time.perf_counter() - started,
        parameters={
            "measure": measure,
            "budgets": list(budgets),
            "years": years,
            "seed": seed,
            "cvar_level": cvar_level,
        },
    )
