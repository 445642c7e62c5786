"""The mitigation planner: candidate actions with costs, a budget, the best set of actions.

* :func:`load_actions` / :func:`parse_actions` — candidate actions (an edit and a cost);
* :func:`plan` — the cost-versus-risk trade-off curve over budgets, with the actions
  chosen at each point: exact (a mixed-integer program) for the worst single-site loss
  and the number of exposed sites; greedy plus local search with a proven bound for
  the expected annual loss and CVaR of the hazard simulation.
"""

from chipstress.workflows.plan.actions import (
    COST_PARTS,
    Action,
    ActionSet,
    combined_edits,
    load_actions,
    parse_actions,
)
from chipstress.workflows.plan.planner import (
    CURVE_COLUMNS,
    MEASURES,
    PlanResult,
    evaluate_sites,
    plan,
)

__all__ = [
    "COST_PARTS",
    "CURVE_COLUMNS",
    "MEASURES",
    "Action",
    "ActionSet",
    "PlanResult",
    "combined_edits",
    "evaluate_sites",
    "load_actions",
    "parse_actions",
    "plan",
]
