"""Workflows: functions of (network, parameters) returning result tables.

Sweeps here; hazards in :mod:`chipstress.workflows.hazards`; what-if edits in
:mod:`chipstress.workflows.whatif`; the mitigation planner in
:mod:`chipstress.workflows.plan`; contingency plans in
:mod:`chipstress.workflows.contingency` (see ``docs/mitigation.md``).
"""

from chipstress.workflows.sweep import METRICS, SWEEP_COLUMNS, read_durations, sweep, sweep_summary

__all__ = ["METRICS", "SWEEP_COLUMNS", "read_durations", "sweep", "sweep_summary"]
