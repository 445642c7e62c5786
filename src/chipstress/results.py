"""What every operation returns: a typed run result, and the kinds of run.

Each operation (``sweep``, ``impact``, ``survive``, ``outage``, ``replay``,
``scenario``, ``simulate``, ``whatif``, ``plan``, ``contingency``) is one workflow
function (listed by name in :mod:`chipstress.workflows.operations`) returning a result
that satisfies :class:`RunResult`. The results store, the
report, the HTTP API and the CLI handle every kind through that one protocol: they never
probe a result with ``hasattr`` or read DataFrame ``attrs``.

See ``docs/architecture.md`` for the four seams (operations, run results, runner,
solver) and how to add an operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import pandas as pd

__all__ = ["RunKind", "RunResult"]


class RunKind(StrEnum):
    """The kind of a run: the name of the operation that made it.

    The same word names the workflow function, the CLI command, the API job
    (``POST /api/jobs/<kind>``) and the stored run's ``kind``.
    """

    SWEEP = "sweep"
    IMPACT = "impact"
    SURVIVE = "survive"
    OUTAGE = "outage"
    REPLAY = "replay"
    SCENARIO = "scenario"
    SIMULATE = "simulate"
    WHATIF = "whatif"
    PLAN = "plan"
    CONTINGENCY = "contingency"


@runtime_checkable
class RunResult(Protocol):
    """The result of one operation, as every surface handles it.

    Attributes
    ----------
    kind
        The operation that made it.
    parameters
        The operation's parameters as plain JSON values (what a stored run records, and
        what is needed to run it again).
    """

    @property
    def kind(self) -> RunKind: ...

    @property
    def parameters(self) -> Mapping[str, Any]: ...

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by name (what the store keeps and reports read)."""
        ...

    def summary(self) -> dict[str, Any]:
        """The headline figures as plain JSON values (numbers in the network's units)."""
        ...
