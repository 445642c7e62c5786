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
    ) -> list[Any]:
        """Run every chunk; see the class docstring.

        Parameters
        ----------
        setup
            Builds a worker's state, called as ``setup(*setup_args)`` once per worker.
        setup_args
            Arguments of ``setup`` (e.g. the compiled network), sent to each worker once.
        task
            Called as ``task(state, chunk)`` for each chunk; its result is the chunk's.
        chunks
            The chunks of work, in order.
        on_result
            Called as ``on_result(index, result)`` in this process as each chunk finishes.

        Returns
        -------
        list
            The results in chunk order, a :class:`~chipstress.executors.ChunkFailure` where a
            chunk raised.
        """
        ...


def guarded(task: Task, state: Any, chunk: Any, index: int) -> Any:
    """``task(state, chunk)``, or a :class:`ChunkFailure` if it raises.

    Parameters
    ----------
    task
        The chunk's task, called as ``task(state, chunk)``.
    state
        The worker's state (from the executor's ``setup``).
    chunk
        The chunk of work.
    index
        The chunk's position, recorded in the failure.

    Returns
    -------
    Any
        The task's result, or a :class:`ChunkFailure` with the error and traceback.
    """
    try:
        return task(state, chunk)
    except Exception as error:  # a failing chunk must not stop the run
        return ChunkFailure(index, f"{type(error).__name__}: {error}", traceback.format_exc())
