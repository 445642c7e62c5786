"""Local executors: results in chunk order, on_result for every chunk, setup once per worker."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from chipstress.executors import (
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


def failing(state: dict[str, Any], chunk: list[int]) -> None:
    raise ValueError(f"bad chunk {chunk}")


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


def test_process_executor_without_callback_and_chunks() -> None:
    assert ProcessExecutor(2).run(setup, (0,), task, []) == []
    results = ProcessExecutor(3).run(setup, (1,), task, [[5]])
    assert results[0][0] == [6]


def test_errors_reach_the_caller() -> None:
    with pytest.raises(ValueError, match=r"bad chunk \[0, 0\]"):
        InProcessExecutor().run(setup, (0,), failing, CHUNKS[:1])
    with pytest.raises(ValueError, match=r"bad chunk \[0, 0\]"):
        ProcessExecutor(2).run(setup, (0,), failing, CHUNKS[:1])


def test_make_executor() -> None:
    assert isinstance(make_executor(1), InProcessExecutor)
    two = make_executor(2)
    assert isinstance(two, ProcessExecutor) and two.workers == 2
    every = make_executor(None)
    assert every.workers == default_workers() >= 1
    assert make_executor(0).workers == default_workers()
    assert isinstance(every, InProcessExecutor if default_workers() == 1 else ProcessExecutor)
