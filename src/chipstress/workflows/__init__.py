"""Workflows: functions of (network, parameters) returning a run result.

Every operation is one workflow function returning a
:class:`~chipstress.results.RunResult`, listed by name in
:mod:`chipstress.workflows.operations`. Sweeps here; impact, survive and outage in
:mod:`chipstress.workflows.outage`; hazards in :mod:`chipstress.workflows.hazards`; what-if edits in
:mod:`chipstress.workflows.whatif`; the mitigation planner in
:mod:`chipstress.workflows.plan`; contingency plans in
:mod:`chipstress.workflows.contingency` (see ``docs/mitigation.md``).
"""

from chipstress.workflows.sweep import (
    METRICS,
    SWEEP_COLUMNS,
    Metric,
    SweepResult,
    read_durations,
    sweep,
    sweep_summary,
)

__all__ = [
    "METRICS",
    "SWEEP_COLUMNS",
    "Metric",
    "SweepResult",
    "read_durations",
    "sweep",
    "sweep_summary",
]
