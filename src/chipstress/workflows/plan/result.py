"""What the planner returns: :class:`PlanResult`, its curve columns and the site measures.

Shared by the exact planner (:mod:`chipstress.workflows.plan.planner`) and the hazard
planner (:mod:`chipstress.workflows.plan.hazard`), so neither imports the other's module
for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from chipstress.engine.solver import SolveStatus
from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.workflows.plan.actions import Action, ActionSet, combined_edits
from chipstress.workflows.whatif.apply import apply_edits
from chipstress.workflows.whatif.compare import site_sweep

__all__ = [
    "CURVE_COLUMNS",
    "MEASURES",
    "MEASURE_LABELS",
    "Measure",
    "PlanResult",
    "PlanStatus",
    "evaluate_sites",
    "site_measures",
]


class Measure(StrEnum):
    """What the planner minimises (a member is its value, so plain strings compare equal)."""

    WORST = "worst"
    EXPOSED = "exposed"
    EAL = "eal"
    CVAR = "cvar"


class PlanStatus(StrEnum):
    """How the search for one budget's plan ended: the curve's ``status`` column.

    The exact planner (``worst``, ``exposed``) reports the solver's :class:`SolveStatus`;
    the hazard planner (``eal``, ``cvar``) reports ``heuristic``. What else happened
    (a tie-break that did not finish, a verified value that differs, a smaller budget's
    plan kept, the bound's basis) goes in the ``status_detail`` column.
    """

    OPTIMAL = SolveStatus.OPTIMAL.value
    INFEASIBLE = SolveStatus.INFEASIBLE.value
    UNBOUNDED = SolveStatus.UNBOUNDED.value
    UNBOUNDED_OR_INFEASIBLE = SolveStatus.UNBOUNDED_OR_INFEASIBLE.value
    TIME_LIMIT = SolveStatus.TIME_LIMIT.value
    ITERATION_LIMIT = SolveStatus.ITERATION_LIMIT.value
    NUMERICAL_ERROR = SolveStatus.NUMERICAL_ERROR.value
    NO_DURATION = SolveStatus.NO_DURATION.value
    ERROR = SolveStatus.ERROR.value
    HEURISTIC = "heuristic"


MEASURES: tuple[str, ...] = tuple(m.value for m in Measure)
MEASURE_LABELS: dict[str, str] = {
    Measure.WORST: "worst single-site lost profit",
    Measure.EXPOSED: "sites with TTR > TTS",
    Measure.EAL: "expected annual loss",
    Measure.CVAR: "CVaR of the annual loss",
}
CURVE_COLUMNS = [
    "budget",
    "measure",
    "value",
    "program_value",
    "bound",
    "gap",
    "cost",
    "n_actions",
    "actions",
    "status",
    "status_detail",
    "method",
    "worst_lost_profit",
    "exposed_sites",
    "total_lost_profit",
    "seconds",
]


def evaluate_sites(network: Network, actions: Sequence[Action]) -> dict[str, float]:
    """The site measures of ``network`` with ``actions`` applied (a fresh site sweep).

    Returns ``worst_lost_profit`` (currency), ``exposed_sites`` (count) and
    ``total_lost_profit`` (currency, each site failing alone at its TTR).
    """
    edited = apply_edits(network, combined_edits(actions)) if actions else network
    return site_measures(site_sweep(edited))


def site_measures(table: pd.DataFrame) -> dict[str, float]:
    """The site measures of a site sweep (:func:`evaluate_sites`'s figures)."""
    lost = table["lost_profit"]
    return {
        "worst_lost_profit": float(lost.max(skipna=True)) if lost.notna().any() else 0.0,
        "exposed_sites": float(table["exposed"].sum()),
        "total_lost_profit": float(lost.sum(skipna=True)),
    }


@dataclass(frozen=True)
class PlanResult:
    """The trade-off curve and the actions chosen at each budget.

    Attributes
    ----------
    measure
        ``worst``, ``exposed``, ``eal`` or ``cvar``.
    curve
        One row per budget (:data:`CURVE_COLUMNS`): ``value`` is the verified measure of
        the plan (currency, a count, or currency per year), ``program_value`` what the
        optimiser reported, ``bound`` a proven lower bound on the best value within the
        budget and ``gap`` = (value − bound) / value (0 when proven optimal).
    choices
        One row per (budget, chosen action): id, description, cost, cost basis.
    baseline
        The measures with no action.
    actions
        The candidate actions.
    """

    measure: str
    curve: pd.DataFrame
    choices: pd.DataFrame
    baseline: dict[str, float]
    actions: ActionSet = field(repr=False)
    notes: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)

    def actions_table(self) -> pd.DataFrame:
        """The candidate actions: id, description, cost (currency), cost basis, source."""
        return pd.DataFrame(
            [
                {
                    "action": a.id,
                    "description": a.summary(),
                    "cost": a.cost,
                    "cost_basis": a.cost_basis,
                    "source": a.source,
                }
                for a in self.actions.actions
            ],
            columns=["action", "description", "cost", "cost_basis", "source"],
        )

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.PLAN`."""
        return RunKind.PLAN

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a stored ``plan`` run keeps: ``curve``, ``choices``, ``plan_actions``."""
        return {"curve": self.curve, "choices": self.choices, "plan_actions": self.actions_table()}

    def summary(self) -> dict[str, Any]:
        """Headline figures of a stored ``plan`` run (currency, sites)."""
        best = self.curve.iloc[-1] if len(self.curve) else None
        return {
            "measure": self.measure,
            "measure_label": MEASURE_LABELS[self.measure],
            "candidates": len(self.actions),
            "budgets": len(self.curve),
            "baseline": self.baseline.get(self.measure),
            **{f"baseline_{k}": v for k, v in self.baseline.items()},
            "best_value": None if best is None else float(best["value"]),
            "best_budget": None if best is None else float(best["budget"]),
            "largest_gap": float(self.curve["gap"].max()) if len(self.curve) else None,
        }
