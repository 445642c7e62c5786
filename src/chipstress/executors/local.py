"""In-process and local-process executors."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from chipstress.executors.base import ChunkFailure, OnResult, Setup, Task, guarded

__all__ = ["InProcessExecutor", "ProcessExecutor", "default_workers"]


def default_workers() -> int:
    """Worker processes to use by default: every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class InProcessExecutor:
    """Runs every chunk here, one after the other."""

    workers = 1

    def run(
        self,
        setup: Setup,
        setup_args: tuple[Any, ...],
        task: Task,
        chunks: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]:
        """Run every chunk here, in order.

        Implements :meth:`chipstress.executors.base.Executor.run` (parameters and
        result as documented there).
        """
        state = setup(*setup_args)
        results = []
        for index, chunk in enumerate(chunks):
            result = guarded(task, state, chunk, index)
            results.append(result)
            if on_result is not None:
                on_result(index, result)
        return results


_worker_state: Any = None


def _initialise(setup: Setup, setup_args: tuple[Any, ...]) -> None:
    global _worker_state
    _worker_state = setup(*setup_args)


def _call(task: Task, chunk: Any, index: int) -> Any:
    return guarded(task, _worker_state, chunk, index)


class ProcessExecutor:
    """Runs chunks on ``workers`` local processes (forked where the platform allows).

    The setup arguments (e.g. the compiled network) reach each worker once, when it
    starts; chunks and results travel by pickling.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()

    def run(
        self,
        setup: Setup,
        setup_args: tuple[Any, ...],
        task: Task,
        chunks: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]:
        """Run the chunks on a pool of ``workers`` processes.

        Implements :meth:`chipstress.executors.base.Executor.run` (parameters and
        result as documented there).
        """
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        results: list[Any] = [None] * len(chunks)
        with ProcessPoolExecutor(
            max_workers=min(self.workers, max(1, len(chunks))),
            mp_context=context,
            initializer=_initialise,
            initargs=(setup, setup_args),
        ) as pool:
            pending = {
                pool.submit(_call, task, chunk, index): index for index, chunk in enumerate(chunks)
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    try:
                        results[index] = future.result()
                    except BrokenProcessPool as error:  # a worker died (killed, out of memory)
                        results[index] = ChunkFailure(index, f"worker process died: {error}")
                    if on_result is not None:
                        on_result(index, results[index])
        return results
