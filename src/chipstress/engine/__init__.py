"""The engine: the two stress-test linear programs, solved through one solver seam.

* :func:`impact` — lost profit of a disruption over its duration, with the plan;
* :func:`time_to_survive` — how long all demand can still be met, and what binds;
* :class:`RegionalSolver` — many scenarios of one network, solved exactly on small
  certified regions (what sweeps use);
* :mod:`chipstress.engine.solver` — :class:`LPData`, :class:`SolveStatus` and the
  :class:`Solver` interface (:class:`HighsSolver` by default, :class:`FakeSolver` for
  tests): the only module that talks to HiGHS.
"""

from chipstress.engine.disruption import (
    outage_window,
    parse_disruption,
    select_nodes,
    whole_disruption,
)
from chipstress.engine.formulation import (
    ProgramKind,
    StressModel,
    build_lp,
    compile_network,
    disruption_vector,
)
from chipstress.engine.regional import RegionalSolver, ScenarioResult
from chipstress.engine.solver import (
    FakeSolver,
    HighsSolver,
    LPData,
    Outcome,
    Solver,
    SolveStatus,
)
from chipstress.engine.stress import (
    ImpactResult,
    SurvivalResult,
    impact,
    time_to_survive,
    undisrupted_tts,
)

__all__ = [
    "FakeSolver",
    "HighsSolver",
    "ImpactResult",
    "LPData",
    "Outcome",
    "ProgramKind",
    "RegionalSolver",
    "ScenarioResult",
    "SolveStatus",
    "Solver",
    "StressModel",
    "SurvivalResult",
    "build_lp",
    "compile_network",
    "disruption_vector",
    "impact",
    "outage_window",
    "parse_disruption",
    "select_nodes",
    "time_to_survive",
    "undisrupted_tts",
    "whole_disruption",
]
