"""The planner: which candidate actions to buy, for each budget, and what they buy.

:func:`plan` returns the cost-versus-risk trade-off curve over a range of budgets and,
for each point, the actions chosen. Measures:

* ``worst`` — the worst single-site lost profit at its TTR (currency), and
* ``exposed`` — the number of sites whose TTR exceeds their TTS:
  exact, one mixed-integer program (:class:`chipstress.workflows.plan.mip.SiteProgram`);
* ``eal`` / ``cvar`` — expected annual loss or CVaR of the annual loss from the hazard
  simulation (currency per year): greedy by benefit per cost on common simulated events,
  then local search, with the gap to a proven lower bound
  (:mod:`chipstress.workflows.plan.hazard`).

Every point is **verified**: the chosen actions are applied to the network
(:func:`chipstress.workflows.plan.actions.combined_edits`) and the measure recomputed
from scratch (a site sweep, or the simulation on the same events); that figure is the
point's ``value``. Budgets are solved in increasing order, each starting from the plan
of the one below; a point whose value would exceed the smaller budget's keeps the
smaller budget's plan (it is still affordable), so the curve never rises.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.workflows.plan.actions import ActionSet, choice_row
from chipstress.workflows.plan.hazard import plan_hazard
from chipstress.workflows.plan.mip import SiteProgram, WorstProgram
from chipstress.workflows.plan.result import (
    CURVE_COLUMNS,
    MEASURE_LABELS,
    MEASURES,
    Measure,
    PlanResult,
    PlanStatus,
    evaluate_sites,
    site_measures,
)
from chipstress.workflows.runner import Runner
from chipstress.workflows.whatif.compare import site_sweep

__all__ = ["CURVE_COLUMNS", "MEASURES", "MEASURE_LABELS", "PlanResult", "evaluate_sites", "plan"]


def _check_budgets(budgets: float | Sequence[float]) -> list[float]:
    values = [budgets] if isinstance(budgets, int | float) else list(budgets)
    if not values:
        raise InvalidInput("give at least one budget")
    bad = [
        b
        for b in values
        if isinstance(b, bool) or not isinstance(b, int | float) or not math.isfinite(b) or b < 0
    ]
    if bad:
        raise InvalidInput(f"budgets must be finite amounts >= 0; got {bad[:5]}")
    return sorted({float(b) for b in values})


def _gap(value: float, bound: float) -> float:
    if not (math.isfinite(value) and math.isfinite(bound)):
        return float("nan")
    if value <= 0:
        return 0.0
    return max(0.0, (value - bound) / value)


def plan(
    network: Network,
    actions: ActionSet,
    measure: Measure | str,
    budgets: float | Sequence[float],
    *,
    years: int | None = None,
    seed: int = 0,
    cvar_level: float = 0.95,
    time_limit: float = 120.0,
    runner: Runner | None = None,
) -> PlanResult:
    """The best actions for each budget, for one risk measure.

    Parameters
    ----------
    network
        The network as it is.
    actions
        Candidates checked against ``network`` (:func:`~chipstress.workflows.plan.load_actions`).
    measure
        ``worst``, ``exposed``, ``eal`` or ``cvar`` (see the module docstring).
    budgets
        Amounts (currency) to spend at most; one point of the curve each.
    years, seed, cvar_level
        For ``eal``/``cvar``: simulated years (default 1,000), seed, and the CVaR level.
    time_limit
        Seconds per MIP solve.
    runner
        Its ``progress(done, total)`` is called after each budget (the other fields are
        not used: the planner runs in this process).

    Raises
    ------
    InvalidInput
        An unknown measure, bad budgets, years or level.
    """
    started = time.perf_counter()
    if measure not in MEASURES:
        raise InvalidInput(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    measure = Measure(measure).value  # tables and stored parameters hold the plain name
    levels = _check_budgets(budgets)
    if measure in (Measure.EAL, Measure.CVAR):
        return plan_hazard(
            network,
            actions,
            measure,
            levels,
            years=1000 if years is None else years,
            seed=seed,
            cvar_level=cvar_level,
            runner=runner,
            started=started,
        )
    baseline_table = site_sweep(network)
    baseline = site_measures(baseline_table)
    program: SiteProgram | WorstProgram = (
        WorstProgram(network, actions.actions, baseline_table, time_limit)
        if measure == "worst"
        else SiteProgram(network, actions.actions, measure, baseline_table, time_limit)
    )
    rows: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []
    start: np.ndarray | None = None
    verified: dict[tuple[int, ...], dict[str, float]] = {(): baseline}
    key = "worst_lost_profit" if measure == "worst" else "exposed_sites"
    previous: dict[str, Any] | None = None
    notes: list[str] = []
    for done, budget in enumerate(levels, start=1):
        point = (
            program.solve(budget)
            if isinstance(program, WorstProgram)
            else program.solve(budget, start)
        )
        chosen = point.chosen
        if chosen not in verified:
            verified[chosen] = evaluate_sites(network, [actions.actions[k] for k in chosen])
        figures = verified[chosen]
        details = [point.status_detail] if point.status_detail else []
        if not math.isnan(point.value) and abs(figures[key] - point.value) > 1e-6 * max(
            1.0, abs(point.value)
        ):
            details.append(
                f"verified {figures[key]:,.6g} differs from the program's {point.value:,.6g}"
            )
        detail = "; ".join(details)
        row = {
            "budget": budget,
            "measure": measure,
            "value": figures[key],
            "program_value": point.value,
            "bound": point.bound,
            "gap": _gap(figures[key], point.bound),
            "cost": float(sum(actions.actions[k].cost for k in chosen)),
            "n_actions": len(chosen),
            "actions": ";".join(actions.actions[k].id for k in chosen),
            "status": PlanStatus(point.status).value,
            "status_detail": detail,
            "method": "MIP (HiGHS)",
            **figures,
            "seconds": point.seconds,
        }
        if previous is not None and row["value"] > previous["value"] * (1 + 1e-9) + 1e-9:
            kept = dict(previous)
            kept.update(
                budget=budget,
                status=PlanStatus(point.status).value,
                status_detail="; ".join([*details, "kept the smaller budget's plan"]),
            )
            row = kept
            ids = set(str(row["actions"]).split(";"))
            chosen = tuple(k for k, a in enumerate(actions.actions) if a.id in ids)
        else:
            start = point.solution if len(point.solution) else start
        rows.append(row)
        previous = row
        choices.extend(choice_row(actions.actions[k], budget) for k in chosen)
        if runner is not None and runner.progress is not None:
            runner.progress(done, len(levels))
    copies = program.copies if isinstance(program, WorstProgram) else len(program.copies)
    notes.append(
        f"MIP (largest): {program.size[0]:,} rows, {program.size[1]:,} columns "
        f"({program.size[2]} integer), {copies} scenario copies of the time-to-recover program"
    )
    return PlanResult(
        measure=measure,
        curve=pd.DataFrame(rows, columns=CURVE_COLUMNS),
        choices=pd.DataFrame(
            choices, columns=["budget", "action", "description", "cost", "cost_basis"]
        ),
        baseline={
            "worst": baseline["worst_lost_profit"],
            "exposed": baseline["exposed_sites"],
            "total_lost_profit": baseline["total_lost_profit"],
        },
        actions=actions,
        notes=notes,
        wall_seconds=time.perf_counter() - started,
        parameters={"measure": measure, "budgets": levels, "time_limit": time_limit},
    )
