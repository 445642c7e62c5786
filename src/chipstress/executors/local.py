"""In-process and local-process executors.

Worker processes never outlive the process that started them, even when it is killed
with ``kill -9`` (which runs no clean-up): on Linux each worker asks the kernel for
``SIGKILL`` when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and on every platform a
watchdog thread in each worker ends it within about a second of the parent going away
(the worker's parent process id changes). See ``docs/scaling.md``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from threadpoolctl import threadpool_limits

from chipstress.executors.base import ChunkFailure, OnResult, Setup, Task, guarded

__all__ = ["InProcessExecutor", "ProcessExecutor", "default_workers", "die_with_parent"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_WATCH_SECONDS = 0.5  # how often a worker's watchdog looks at its parent (seconds)


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


def die_with_parent(parent: int, interval: float = _WATCH_SECONDS) -> None:
    """Make this process end when process ``parent`` ends, however it ends.

    Called first thing in a worker process. On Linux the kernel sends ``SIGKILL`` to
    this process when the thread that started it exits (``PR_SET_PDEATHSIG``); a daemon
    thread also polls the parent process id every ``interval`` seconds and ends the
    process with status 1 once it is not ``parent`` any more (the parent died and the
    process was adopted by another). A parent already gone ends the process at once.

    Parameters
    ----------
    parent
        The process id of the parent (``os.getpid()`` in the parent, before starting).
    interval
        Seconds between two looks at the parent.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no usable libc
            pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while True:
            threading.Event().wait(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="chipstress-parent-watch", daemon=True).start()


def _initialise(parent: int, limit_blas: bool, setup: Setup, setup_args: tuple[Any, ...]) -> None:
    global _worker_state
    die_with_parent(parent)
    if limit_blas:  # the worker did not inherit the limit (see ProcessExecutor.run)
        threadpool_limits(limits=1)
    _worker_state = setup(*setup_args)


def _call(task: Task, chunk: Any, index: int) -> Any:
    return guarded(task, _worker_state, chunk, index)


class ProcessExecutor:
    """Runs chunks on ``workers`` local processes (forked where the platform allows).

    The setup arguments (e.g. the compiled network) reach each worker once, when it
    starts; chunks and results travel by pickling. Workers end with this process, also
    when it is killed (:func:`die_with_parent`); when the run stops early (an error,
    Ctrl-C) the chunks not started are cancelled.
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
        fork = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if fork else "spawn")
        results: list[Any] = [None] * len(chunks)
        # The pool runs one worker per core: a worker's BLAS (numpy's matrix products)
        # must not start threads of its own, which would fight the other workers for the
        # cores (2 cores, 10,000 simulated years in alternating runs: 23.6-24.5 s with one
        # BLAS thread per worker, 24.6-29.1 s without). Workers forked from the main
        # thread inherit the limit, set here while the pool starts and lifted when it
        # ends: set in a forked worker instead, it made the worker's first chunk about
        # 90 ms slower (large.json: 145 ms instead of 55 ms). Workers forked from another
        # thread do not inherit it (OpenBLAS), and spawned ones start afresh: those set it
        # themselves.
        inherit = fork and threading.current_thread() is threading.main_thread()
        with (
            threadpool_limits(limits=1) if inherit else contextlib.nullcontext(),
            ProcessPoolExecutor(
                max_workers=min(self.workers, max(1, len(chunks))),
                mp_context=context,
                initializer=_initialise,
                initargs=(os.getpid(), not inherit, setup, setup_args),
            ) as pool,
        ):
            pending = {
                pool.submit(_call, task, chunk, index): index for index, chunk in enumerate(chunks)
            }
            try:
                # as_completed waits on every future once (wait() in a loop would wait
                # on all the pending ones again after each result).
                for future in as_completed(pending):
                    index = pending[future]
                    try:
                        results[index] = future.result()
                    except BrokenProcessPool as error:  # a worker died (killed, OOM)
                        results[index] = ChunkFailure(index, f"worker process died: {error}")
                    if on_result is not None:
                        on_result(index, results[index])
            except BaseException:  # stop early: do not compute the chunks not started
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return results
