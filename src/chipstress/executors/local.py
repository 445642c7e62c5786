"""In-process and local-process executors."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Protocol, TypeVar

__all__ = ["Executor", "InProcessExecutor", "ProcessExecutor", "default_workers", "make_executor"]

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

Setup = Callable[..., Any]
Task = Callable[[Any, Any], Any]
OnResult = Callable[[int, Any], None]


class Executor(Protocol):
    """Runs ``task(state, chunk)`` for every chunk; ``state = setup(*setup_args)`` per worker."""

    workers: int

    def run(
        self,
        setup: Setup,
        setup_args: tuple[Any, ...],
        task: Task,
        chunks: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]:
        """Results in chunk order; ``on_result(index, result)`` as each chunk finishes."""
        ...


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
        state = setup(*setup_args)
        results = []
        for index, chunk in enumerate(chunks):
            result = task(state, chunk)
            results.append(result)
            if on_result is not None:
                on_result(index, result)
        return results


_worker_state: Any = None


def _initialise(setup: Setup, setup_args: tuple[Any, ...]) -> None:
    global _worker_state
    _worker_state = setup(*setup_args)


def _call(task: Task, chunk: Any) -> Any:
    return task(_worker_state, chunk)


class ProcessExecutor:
    """Runs chunks on ``workers`` local processes (forked where the platform allows)."""

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
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        results: list[Any] = [None] * len(chunks)
        with ProcessPoolExecutor(
            max_workers=min(self.workers, max(1, len(chunks))),
            mp_context=context,
            initializer=_initialise,
            initargs=(setup, setup_args),
        ) as pool:
            pending = {pool.submit(_call, task, chunk): index for index, chunk in enumerate(chunks)}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    results[index] = future.result()
                    if on_result is not None:
                        on_result(index, results[index])
        return results


def make_executor(workers: int | None) -> Executor:
    """An executor for ``workers`` processes: 1 means in-process, ``None`` or 0 every core."""
    count = workers or default_workers()
    return InProcessExecutor() if count <= 1 else ProcessExecutor(count)
