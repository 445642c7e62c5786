"""Workflows: functions of (network, parameters) returning result tables."""

from chipstress.workflows.sweep import METRICS, SWEEP_COLUMNS, read_durations, sweep, sweep_summary

__all__ = ["METRICS", "SWEEP_COLUMNS", "read_durations", "sweep", "sweep_summary"]
