"""The operations a user can run, by name: one workflow function each.

The same name is the CLI command (``chipstress <name>``), the API job
(``POST /api/jobs/<name>``) and the stored run's kind (:class:`chipstress.results.RunKind`);
``tests/test_operations.py`` checks that the three surfaces list the same names. Each
function takes the network first and returns a result satisfying
:class:`chipstress.results.RunResult`.

To add an operation: write its workflow function (returning a ``RunResult``), add its
kind to :class:`~chipstress.results.RunKind`, one line here, one CLI command and one API
job (see ``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from chipstress.results import RunKind
from chipstress.workflows.contingency import contingency_plan
from chipstress.workflows.hazards import replay, run_scenario, simulate
from chipstress.workflows.outage import impact, outage, survive
from chipstress.workflows.plan import plan
from chipstress.workflows.sweep import sweep
from chipstress.workflows.whatif import whatif

__all__ = ["OPERATIONS", "operation"]

OPERATIONS: Mapping[RunKind, Callable[..., Any]] = MappingProxyType(
    {
        RunKind.SWEEP: sweep,
        RunKind.IMPACT: impact,
        RunKind.SURVIVE: survive,
        RunKind.OUTAGE: outage,
        RunKind.REPLAY: replay,
        RunKind.SCENARIO: run_scenario,
        RunKind.SIMULATE: simulate,
        RunKind.WHATIF: whatif,
        RunKind.PLAN: plan,
        RunKind.CONTINGENCY: contingency_plan,
    }
)


def operation(name: str | RunKind) -> Callable[..., Any]:
    """The workflow function of an operation.

    Parameters
    ----------
    name
        The operation's name (a :class:`~chipstress.results.RunKind` value).

    Returns
    -------
    Callable
        Its workflow function.

    Raises
    ------
    ValueError
        ``name`` is not an operation.
    """
    return OPERATIONS[RunKind(name)]
