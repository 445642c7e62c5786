"""The Ray executor: same results as in-process and local processes, failures per chunk."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from chipstress import Network
from chipstress.executors import ChunkFailure, InProcessExecutor, ProcessExecutor, make_executor
from chipstress.model.generate import generate_network
from chipstress.workflows import sweep
from chipstress.workflows.runner import Runner

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'chipstress[ray]'")

# Ray workers cannot import this test module: send its functions by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def ray_executor() -> Iterator[Any]:
    """A private local Ray instance, started by the test and shut down after."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield make_executor(2, "ray")
    finally:
        ray.shutdown()


def setup(offset: int) -> dict[str, int]:
    return {"offset": offset, "pid": os.getpid()}


def task(state: dict[str, int], chunk: list[int]) -> tuple[list[int], int]:
    if chunk[0] == 3:
        raise ValueError(f"bad chunk {chunk}")
    return [state["offset"] + x for x in chunk], state["pid"]


def test_order_failures_and_setup_once_per_worker(ray_executor: Any) -> None:
    chunks = [[i, 10 * i] for i in range(8)]
    seen: list[int] = []
    results = ray_executor.run(setup, (100,), task, chunks, lambda i, r: seen.append(i))
    assert ray_executor.workers == 2
    assert (
        isinstance(results[3], ChunkFailure) and results[3].error == "ValueError: bad chunk [3, 30]"
    )
    good = [r for i, r in enumerate(results) if i != 3]
    assert [values for values, _ in good] == [[100 + i, 100 + 10 * i] for i in range(8) if i != 3]
    pids = {pid for _, pid in good}
    assert len(pids) <= 2 and os.getpid() not in pids  # two actors reused, not one per chunk
    assert sorted(seen) == list(range(8))


def test_sweeps_are_identical_on_every_executor(ray_executor: Any) -> None:
    network: Network = generate_network(150, tiers=4, seed=3)
    in_process = sweep(network, runner=Runner(executor=InProcessExecutor())).table
    processes = sweep(network, runner=Runner(executor=ProcessExecutor(2))).table
    on_ray = sweep(network, runner=Runner(executor=ray_executor)).table
    pd.testing.assert_frame_equal(in_process, processes)
    pd.testing.assert_frame_equal(in_process, on_ray)
    assert (in_process["status"] == "optimal").all()
