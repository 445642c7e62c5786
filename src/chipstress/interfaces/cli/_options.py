"""Option types the CLI commands share, light enough to import before any command runs.

``chipstress --help`` builds every command's options, so the types named here must not
pull in pandas, the engine or the store. The choice enums mirror the workflows' own
(:class:`chipstress.workflows.Metric`, :class:`chipstress.executors.ExecutorKind`,
:class:`chipstress.workflows.plan.Measure`, the store's run kinds); a test checks that
they keep the same values, and the commands turn them into the real ones when they run.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PROGRESS_HELP", "RUN_KIND_NAMES", "ExecutorChoice", "MeasureChoice", "MetricChoice"]


class MetricChoice(StrEnum):
    """``--metric``: which stress tests a sweep runs per node."""

    BOTH = "both"
    TTR = "ttr"
    TTS = "tts"


class ExecutorChoice(StrEnum):
    """``--executor``: where chunks run."""

    LOCAL = "local"
    RAY = "ray"


class MeasureChoice(StrEnum):
    """``--measure``: what the planner minimises."""

    WORST = "worst"
    EXPOSED = "exposed"
    EAL = "eal"
    CVAR = "cvar"


# The kinds of stored run (chipstress.results.RunKind), for ``runs list --kind``.
RUN_KIND_NAMES: tuple[str, ...] = (
    "sweep",
    "impact",
    "survive",
    "outage",
    "replay",
    "scenario",
    "simulate",
    "whatif",
    "plan",
    "contingency",
)

PROGRESS_HELP = (
    "Progress: a bar on a terminal; when stderr is piped, plain 'progress DONE/TOTAL' "
    "lines (every tenth of the work). CHIPSTRESS_PROGRESS_LINES=1 prints a line at every "
    "step, CHIPSTRESS_PROGRESS_LINES=0 none."
)
