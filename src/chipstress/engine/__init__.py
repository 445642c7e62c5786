"""The engine: the two stress-test linear programs of the brief, solved with HiGHS.

* :func:`impact` — lost profit of a disruption over its duration, with the plan;
* :func:`time_to_survive` — how long all demand can still be met, and what binds;
* :class:`RegionalSolver` — many scenarios of one network, solved exactly on small
  certified regions (what sweeps use).
"""

from chipstress.engine.disruption import outage_window, select_nodes, whole_disruption
from chipstress.engine.formulation import StressModel, compile_network, disruption_vector
from chipstress.engine.regional import RegionalSolver, ScenarioResult
from chipstress.engine.stress import ImpactResult, SurvivalResult, impact, time_to_survive

__all__ = [
    "ImpactResult",
    "RegionalSolver",
    "ScenarioResult",
    "StressModel",
    "SurvivalResult",
    "compile_network",
    "disruption_vector",
    "impact",
    "outage_window",
    "select_nodes",
    "time_to_survive",
    "whole_disruption",
]
