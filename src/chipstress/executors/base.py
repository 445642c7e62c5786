"""The executor interface, and what a failed chunk looks like."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ChunkFailure", "Executor", "OnResult", "Setup", "Task", "guarded"]

Setup = Callable[..., Any]
Task = Callable[[Any, Any], Any]
OnResult = Callable[[int, Any], None]


@dataclass(frozen=True)
class ChunkFailure:
    """Stands in a run's results for a chunk whose task raised (or whose worker died).

    ``error`` is ``"<ExceptionType>: <message>"``; ``details`` the traceback text.
    The other chunks still run; the workflow decides how to report this one.
    """

    index: int
    error: str
    details: str = ""


class Executor(Protocol):
    """Runs ``task(state, chunk)`` for every chunk, ``state = setup(*setup_args)`` once per worker.

    ``run`` returns the results in chunk order, with a :class:`ChunkFailure` wherever a
    chunk raised, and calls ``on_result(index, result)`` in this process as each chunk
    finishes (in any order). The same chunks give the same results on every executor.
    """

    workers: int

    def run(
        self,
        setup: Setup,
        setup_args: tuple[Any, ...],
        task: Task,
        chunks: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]: ...


def guarded(task: Task, state: Any, chunk: Any, index: int) -> Any:
    """``task(state, chunk)``, or a :class:`ChunkFailure` if it raises."""
    try:
        return task(state, chunk)
    except Exception as error:  # a failing chunk must not stop the run
        return ChunkFailure(index, f"{type(error).__name__}: {error}", traceback.format_exc())
