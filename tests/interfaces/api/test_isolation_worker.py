"""The long-lived worker process behind the API's jobs (``isolation.Worker``)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from chipstress.interfaces.api.isolation import IsolationError, Worker

_KEPT: list[bytearray] = []


def pid_and_calls(label: str) -> tuple[int, str, int]:
    """In the worker: its pid, the label, and how many calls this process has seen."""
    _KEPT.append(bytearray(1))
    return os.getpid(), label, len(_KEPT)


def fail(message: str) -> None:
    raise ValueError(message)


def crash() -> None:
    os._exit(3)


def hold(megabytes: int) -> int:
    """Keep ``megabytes`` of touched memory in the worker (until it is replaced)."""
    block = bytearray(megabytes << 20)
    block[::4096] = b"x" * len(block[::4096])
    _KEPT.append(block)
    return os.getpid()


def sleep_reporting(report: Any, seconds: float) -> str:
    report(0.5, "half way")
    time.sleep(seconds)
    return "slept"


@pytest.fixture
def worker() -> Any:
    made = Worker()
    yield made
    made.close()


def test_one_process_serves_call_after_call_and_keeps_its_state(worker: Worker) -> None:
    first = worker.run(pid_and_calls, ("a",))
    second = worker.run(pid_and_calls, ("b",))
    assert first[0] == second[0] == worker.pid != os.getpid()
    assert (first[1], second[1]) == ("a", "b")
    assert second[2] == first[2] + 1  # the same process, its module state kept


def test_an_exception_is_raised_here_and_the_worker_lives_on(worker: Worker) -> None:
    pid = worker.run(pid_and_calls, ("a",))[0]
    with pytest.raises(ValueError, match="bad input"):
        worker.run(fail, ("bad input",))
    assert worker.run(pid_and_calls, ("b",))[0] == pid


def test_a_crash_is_an_isolation_error_and_the_next_call_gets_a_new_process(
    worker: Worker,
) -> None:
    pid = worker.run(pid_and_calls, ("a",))[0]
    worker.kept.add("network-1")
    with pytest.raises(IsolationError, match="exit code 3"):
        worker.run(crash)
    assert worker.kept == set()  # a new process holds nothing
    assert worker.run(pid_and_calls, ("b",))[0] != pid


def test_a_worker_killed_between_calls_is_replaced(worker: Worker) -> None:
    pid = worker.run(pid_and_calls, ("a",))[0]
    worker.kept.add("network-1")
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and worker._process.is_alive():
        time.sleep(0.01)
    worker.start()
    assert worker.kept == set()
    assert worker.run(pid_and_calls, ("b",))[0] != pid


def test_stop_kills_the_worker_at_once_and_relays_progress(worker: Worker) -> None:
    seen: list[tuple[float, str]] = []
    started = time.monotonic()
    with pytest.raises(InterruptedError):
        worker.run(
            sleep_reporting,
            (60.0,),
            progress=lambda done, message: seen.append((done, message)),
            stop=lambda: bool(seen),
        )
    assert time.monotonic() - started < 10
    assert seen == [(0.5, "half way")]
    assert worker.pid is None
    assert worker.run(sleep_reporting, (0.0,), progress=lambda *_: None) == "slept"


def test_a_worker_that_grew_past_its_budget_is_replaced_after_the_call() -> None:
    worker = Worker(recycle_bytes=64 << 20)
    try:
        small = worker.run(hold, (1,))
        assert worker.pid == small  # grew 1 MB: kept
        big = worker.run(hold, (128,))
        assert big == small
        assert worker.pid is None  # grew past 64 MB: replaced, memory back to the system
        assert worker.run(hold, (1,)) != small
    finally:
        worker.close()


def test_a_result_that_cannot_be_sent_back_is_an_isolation_error(worker: Worker) -> None:
    with pytest.raises(IsolationError, match="cannot send the result back"):
        worker.run(_unpicklable)
    assert worker.run(pid_and_calls, ("b",))[1] == "b"


def _unpicklable() -> Any:
    return lambda: None
