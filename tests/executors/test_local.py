"""Local executors: results in chunk order, on_result for every chunk, setup once per worker."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from chipstress.executors import (
    ChunkFailure,
    InProcessExecutor,
    ProcessExecutor,
    default_workers,
    make_executor,
)


def setup(offset: int, log: list[str] | None = None) -> dict[str, Any]:
    if log is not None:
        log.append("setup")
    return {"offset": offset, "pid": os.getpid()}


def task(state: dict[str, Any], chunk: list[int]) -> tuple[list[int], int]:
    # Later chunks finish first, so completion order differs from chunk order.
    time.sleep(0.02 * max(0, 4 - chunk[0]))
    return [state["offset"] + x for x in chunk], state["pid"]


def failing(state: dict[str, Any], chunk: list[int]) -> list[int]:
    if chunk[0] == 2:
        raise ValueError(f"bad chunk {chunk}")
    return [state["offset"] + x for x in chunk]


CHUNKS = [[i, 10 * i] for i in range(6)]
EXPECTED = [[100 + i, 100 + 10 * i] for i in range(6)]


def test_in_process_executor() -> None:
    log: list[str] = []
    seen: list[tuple[int, list[int]]] = []
    results = InProcessExecutor().run(
        setup, (100, log), task, CHUNKS, lambda i, r: seen.append((i, r[0]))
    )
    assert [values for values, _ in results] == EXPECTED
    assert {pid for _, pid in results} == {os.getpid()}
    assert log == ["setup"]  # once, not once per chunk
    assert seen == list(enumerate(EXPECTED))
    assert InProcessExecutor.workers == 1


def test_process_executor() -> None:
    seen: list[tuple[int, list[int]]] = []
    executor = ProcessExecutor(2)
    assert executor.workers == 2
    results = executor.run(setup, (100,), task, CHUNKS, lambda i, r: seen.append((i, r[0])))
    assert [values for values, _ in results] == EXPECTED  # chunk order, not finishing order
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert sorted(seen) == list(enumerate(EXPECTED))  # once per chunk, in finishing order


def blas_threads(state: dict[str, Any], chunk: list[int]) -> list[int]:
    import numpy  # noqa: F401  (loads its BLAS, if not yet loaded)
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info()]


def test_a_worker_process_runs_one_blas_thread() -> None:
    # one worker per core: numpy's BLAS in a worker must not start threads of its own
    results = ProcessExecutor(2).run(setup, (0,), blas_threads, [[0], [1]])
    assert all(threads and set(threads) == {1} for threads in results), results


def test_the_blas_limit_of_the_workers_ends_with_the_run() -> None:
    # Forked workers inherit the limit from this process while the pool starts; this
    # process gets its own threads back when the run ends.
    before = blas_threads({}, [])
    ProcessExecutor(2).run(setup, (0,), blas_threads, [[0], [1]])
    assert blas_threads({}, []) == before


def _slow_blas_threads(state: dict[str, Any], chunk: list[int]) -> list[int]:
    import time

    time.sleep(0.3 * chunk[0])  # the runs overlap and end in either order
    return blas_threads(state, chunk)


@pytest.mark.parametrize("first_ends_first", [True, False])
def test_runs_from_two_threads_run_one_blas_thread_per_worker(first_ends_first: bool) -> None:
    # Workers forked from another thread than the main one do not inherit the limit
    # (OpenBLAS): they set it themselves, and this process's threads stay as they were.
    import threading

    before = blas_threads({}, [])
    results: dict[str, list[Any]] = {}
    delays = {"a": [1], "b": [2]} if first_ends_first else {"a": [2], "b": [1]}

    def run(name: str) -> None:
        results[name] = ProcessExecutor(1).run(setup, (0,), _slow_blas_threads, [delays[name]])

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(set(threads_seen[0]) == {1} for threads_seen in results.values()), results
    assert blas_threads({}, []) == before


def test_process_executor_without_callback_and_chunks() -> None:
    assert ProcessExecutor(2).run(setup, (0,), task, []) == []
    results = ProcessExecutor(3).run(setup, (1,), task, [[5]])
    assert results[0][0] == [6]


@pytest.mark.parametrize(
    "executor", [InProcessExecutor(), ProcessExecutor(2)], ids=["in-process", "processes"]
)
def test_a_failing_chunk_becomes_a_chunk_failure(executor) -> None:
    seen: list[int] = []
    results = executor.run(setup, (100,), failing, CHUNKS, lambda i, r: seen.append(i))
    failure = results[2]
    assert isinstance(failure, ChunkFailure)
    assert failure.index == 2 and failure.error == "ValueError: bad chunk [2, 20]"
    assert "Traceback" in failure.details and "bad chunk" in failure.details
    # The other chunks still ran, in order.
    assert [r for i, r in enumerate(results) if i != 2] == [
        e for i, e in enumerate(EXPECTED) if i != 2
    ]
    assert sorted(seen) == list(range(6))


def _die(state: dict[str, Any], chunk: list[int]) -> list[int]:
    if chunk[0] == 1:
        os._exit(9)  # the worker process dies mid-chunk
    return chunk


def test_a_dead_worker_process_is_a_chunk_failure() -> None:
    results = ProcessExecutor(2).run(setup, (0,), _die, CHUNKS[:3])
    assert any(isinstance(r, ChunkFailure) and "worker process died" in r.error for r in results)


def test_make_executor() -> None:
    assert isinstance(make_executor(1), InProcessExecutor)
    two = make_executor(2)
    assert isinstance(two, ProcessExecutor) and two.workers == 2
    every = make_executor(None)
    assert every.workers == default_workers() >= 1
    assert make_executor(0).workers == default_workers()
    assert isinstance(every, InProcessExecutor if default_workers() == 1 else ProcessExecutor)
