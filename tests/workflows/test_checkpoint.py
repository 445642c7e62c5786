"""Checkpointed runs: a chunk that fails mid-run is reported, the rest is stored, resuming
retries it, and the final numbers equal an uninterrupted run's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chipstress import ChipstressError, Network, load_builtin
from chipstress.errors import InvalidInput
from chipstress.executors import InProcessExecutor
from chipstress.store import ResultsStore
from chipstress.workflows import sweep
from chipstress.workflows.hazards import simulate
from chipstress.workflows.runner import Runner


class FlakyExecutor(InProcessExecutor):
    """In-process, but the task raises on the chunks at ``bad`` positions of this run."""

    def __init__(self, bad: set[int]) -> None:
        self.bad = bad

    def run(self, setup, setup_args, task, chunks, on_result=None):  # type: ignore[no-untyped-def]
        def flaky(state: Any, chunk: Any) -> Any:
            position = positions[id(chunk)]
            if position in self.bad:
                raise RuntimeError(f"worker lost at chunk position {position}")
            return task(state, chunk)

        positions = {id(chunk): i for i, chunk in enumerate(chunks)}
        return super().run(setup, setup_args, flaky, chunks, on_result)


@pytest.fixture
def store(tmp_path: Path) -> ResultsStore:
    return ResultsStore(tmp_path / "runs.duckdb")


def test_sweep_chunk_failure_is_stored_and_resumed(store: ResultsStore, large: Network) -> None:
    durations = 6.0
    reference = sweep(large, durations=durations).table

    recorder = store.start("sweep", large, {"duration": durations})
    flaky_run = sweep(
        large, durations=durations, runner=Runner(executor=FlakyExecutor({3, 7}), recorder=recorder)
    )
    failures = flaky_run.failed_chunks
    flaky = flaky_run.table
    assert [f.index for f in failures] == [3, 7]
    assert failures[0].error == "RuntimeError: worker lost at chunk position 3"
    bad = flaky[
        (flaky["status"] == "error") & flaky["status_detail"].str.startswith("chunk failed")
    ]
    assert len(bad) == 24  # two chunks of 12 nodes each; every other node was solved
    assert (flaky.drop(bad.index)["status"] == "optimal").all()
    recorder.finish({"failed": 2}, {"sweep": flaky}, complete=False)
    assert store.run(recorder.run_id).status == "failed"
    assert len(recorder.done_chunks()) == 123  # stored as they finished

    resumed = store.resume(recorder.run_id, large, kind="sweep")
    again_run = sweep(
        large, durations=durations, runner=Runner(executor=InProcessExecutor(), recorder=resumed)
    )
    assert again_run.failed_chunks == () and again_run.complete
    pd.testing.assert_frame_equal(again_run.table, reference)
    assert resumed.done_chunks() == set(range(125))


def test_simulation_chunk_failure_then_resume(store: ResultsStore) -> None:
    network = load_builtin("tri-cluster")
    years, seed = 2500, 11  # five chunks of 500 years
    reference = simulate(network, years, seed)

    recorder = store.start("simulation", network, {"years": years, "seed": seed})
    with pytest.raises(
        ChipstressError,
        match=r"1 of 5 chunks of the simulation failed \(the other chunks are stored",
    ):
        simulate(
            network, years, seed, runner=Runner(executor=FlakyExecutor({2}), recorder=recorder)
        )
    assert recorder.done_chunks() == {0, 1, 3, 4}

    resumed = store.resume(recorder.run_id, network, kind="simulation")
    calls: list[int] = []
    result = simulate(
        network,
        years,
        seed,
        runner=Runner(
            executor=InProcessExecutor(),
            recorder=resumed,
            progress=lambda done, total: calls.append(done),
        ),
    )
    assert calls == [2500]  # only the missing chunk was simulated (the others were read back)
    assert result.expected_annual_loss == reference.expected_annual_loss
    assert result.var == reference.var and result.cvar == reference.cvar
    pd.testing.assert_frame_equal(result.years, reference.years)
    pd.testing.assert_frame_equal(result.by_hazard, reference.by_hazard)
    np.testing.assert_array_equal(result.by_node["eal"], reference.by_node["eal"])
    resumed.finish(result.summary(), result.tables())
    stored = store.run(recorder.run_id)
    assert stored.status == "complete"
    assert stored.summary["expected_annual_loss"] == reference.expected_annual_loss
    assert set(stored.table_names) >= {
        "years",
        "events",
        "exceedance",
        "node_contributions",
        "hazard_contributions",
    }


def test_a_run_whose_stored_chunks_hold_other_nodes_is_refused(
    store: ResultsStore, large: Network
) -> None:
    # A run started by an older chipstress chunked the nodes differently (strided): its
    # stored chunk 0 holds other nodes than today's chunk 0. Resuming it would count some
    # nodes twice and others never, so it is refused with the way out.
    durations = 6.0
    recorder = store.start("sweep", large, {"duration": durations})
    sweep(large, durations=durations, runner=Runner(executor=FlakyExecutor({3}), recorder=recorder))
    recorder.finish({"failed": 1}, {}, complete=False)
    stored = recorder.stored_chunks(["sweep_chunks"])
    first = stored[0]["sweep_chunks"]
    other = stored[1]["sweep_chunks"]
    assert set(first["node"]) != set(other["node"])
    store.backend.execute(
        "UPDATE result_sweep_chunks SET chunk = -1 WHERE run_id = ? AND chunk = 0",
        [recorder.run_id],
    )
    store.backend.execute(
        "UPDATE result_sweep_chunks SET chunk = 0 WHERE run_id = ? AND chunk = 1",
        [recorder.run_id],
    )
    store.backend.execute(
        "UPDATE result_sweep_chunks SET chunk = 1 WHERE run_id = ? AND chunk = -1",
        [recorder.run_id],
    )
    resumed = store.resume(recorder.run_id, large, kind="sweep")
    with pytest.raises(InvalidInput, match="cannot be resumed: start the sweep again"):
        sweep(
            large,
            durations=durations,
            runner=Runner(executor=InProcessExecutor(), recorder=resumed),
        )
