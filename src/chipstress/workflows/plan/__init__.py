"""The mitigation planner: candidate actions with costs, a budget, the best set of actions.

* :func:`load_actions` / :func:`parse_actions` — candidate actions (an edit and a cost);
* :func:`plan` — the cost-versus-risk trade-off curve over budgets, with the actions
  chosen at each point: exact (a mixed-integer program) for the worst single-site loss
  and the number of exposed sites; greedy plus local search with a proven bound for
  the expected annual loss and CVaR of the hazard simulation.

Modules, bottom up (no import runs back up): ``actions`` (candidates and costs),
``result`` (:class:`PlanResult` and the site measures), ``program`` and ``mip`` (the
exact programs), ``sample`` and ``bound`` (simulated events and the LP bound),
``hazard`` (the ``eal``/``cvar`` planner) and ``planner`` (:func:`plan`).
"""

from chipstress.workflows.plan.actions import (
    COST_PARTS,
    Action,
    ActionSet,
    combined_edits,
    load_actions,
    parse_actions,
)
from chipstress.workflows.plan.planner import plan
from chipstress.workflows.plan.result import (
    CURVE_COLUMNS,
    MEASURE_LABELS,
    MEASURES,
    Measure,
    PlanResult,
    PlanStatus,
    evaluate_sites,
)

__all__ = [
    "COST_PARTS",
    "CURVE_COLUMNS",
    "MEASURES",
    "MEASURE_LABELS",
    "Action",
    "ActionSet",
    "Measure",
    "PlanResult",
    "PlanStatus",
    "combined_edits",
    "evaluate_sites",
    "load_actions",
    "parse_actions",
    "plan",
]
