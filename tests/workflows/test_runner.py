"""The chunk runner: stored chunks are read back, failures collected, order kept, and what
finished is written before an interruption goes on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chipstress import InvalidInput, load_builtin
from chipstress.executors import ChunkFailure, InProcessExecutor, ProcessExecutor
from chipstress.executors.base import OnResult, Setup, Task
from chipstress.store import ResultsStore
from chipstress.workflows.runner import Runner, run_chunks

CHUNKS = [3, 1, 4, 1, 5, 9, 2, 6]
computed: list[int] = []  # chunks computed in this process (in-process executors only)


def setup(offset: float) -> float:
    return offset


def task(state: float, chunk: int) -> float:
    computed.append(chunk)
    if chunk in (4, 9):
        raise ValueError(f"bad chunk {chunk}")
    return state + chunk * 1.5


def good_task(state: float, chunk: int) -> float:
    computed.append(chunk)
    return state + chunk * 1.5


def encode(result: float) -> dict[str, pd.DataFrame]:
    return {"values": pd.DataFrame({"value": [result], "label": [f"r{result}"]})}


def decode(index: int, tables: Any) -> float:
    return float(tables["values"]["value"].iloc[0])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResultsStore]:
    with ResultsStore(tmp_path / "runs.duckdb") as opened:
        yield opened


@pytest.fixture(autouse=True)
def _forget() -> None:
    computed.clear()


def run(runner: Runner | None, work: Task = good_task) -> Any:
    return run_chunks(
        runner,
        setup,
        (0.25,),
        work,
        CHUNKS,
        encode=encode,
        decode=decode,
        tables=["values"],
        size=lambda chunk: chunk,
    )


def test_results_in_chunk_order_on_any_executor() -> None:
    expected = [0.25 + c * 1.5 for c in CHUNKS]
    assert run(None).results == expected
    assert run(Runner(executor=ProcessExecutor(2))).results == expected
    assert run(Runner(workers=2)).failures == []


def test_failures_are_collected_and_the_other_chunks_run() -> None:
    result = run(Runner(executor=InProcessExecutor()), task)
    assert [f.index for f in result.failures] == [2, 5]
    assert result.failures[0].error == "ValueError: bad chunk 4"
    assert isinstance(result.results[2], ChunkFailure) and result.results[2].index == 2
    assert result.results[3] == 0.25 + 1.5
    assert sorted(computed) == sorted(CHUNKS)
    with pytest.raises(ValueError, match="2 chunk"):
        result.completed()


def test_stored_chunks_are_read_back_not_computed(store: ResultsStore) -> None:
    network = load_builtin("tri-cluster")
    recorder = store.start("sweep", network, {})
    first = run(Runner(recorder=recorder), task)
    assert [f.index for f in first.failures] == [2, 5]
    assert recorder.done_chunks() == {0, 1, 3, 4, 6, 7}  # written when the run ended

    computed.clear()
    progress: list[tuple[int, int]] = []
    resumed = store.resume(recorder.run_id, network)
    again = run(Runner(recorder=resumed, progress=lambda d, t: progress.append((d, t))))
    assert sorted(computed) == [4, 9]  # only the failed chunks
    assert again.failures == []
    assert again.results == run(None).results  # exact, in chunk order
    # Stored chunks (3 + 1 + 1 + 5 + 2 + 6 = 18) count as done from the start.
    assert progress == [(18 + 4, 31), (18 + 4 + 9, 31)]
    assert resumed.done_chunks() == set(range(len(CHUNKS)))


class InterruptedExecutor(InProcessExecutor):
    """Finishes the first ``finished`` chunks, then Ctrl-C."""

    def __init__(self, finished: int) -> None:
        self.finished = finished

    def run(
        self,
        setup: Setup,
        setup_args: tuple[Any, ...],
        task: Task,
        chunks: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]:
        state = setup(*setup_args)
        for index, chunk in enumerate(chunks[: self.finished]):
            assert on_result is not None
            on_result(index, task(state, chunk))
        raise KeyboardInterrupt


def test_an_interruption_writes_what_finished_first(store: ResultsStore) -> None:
    network = load_builtin("tri-cluster")
    recorder = store.start("sweep", network, {})
    recorder.flush_seconds = 3600.0  # nothing would be written by time
    with pytest.raises(KeyboardInterrupt):
        run(Runner(executor=InterruptedExecutor(3), recorder=recorder))
    assert recorder.buffered == []
    stored = store.backend.query(
        "SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [recorder.run_id]
    )
    assert sorted(stored["chunk"]) == [0, 1, 2]

    reference = run(None).results
    computed.clear()
    resumed = store.resume(recorder.run_id, network)
    assert run(Runner(recorder=resumed)).results == reference
    assert sorted(computed) == sorted(CHUNKS[3:])


def test_a_recorder_needs_encode_and_decode(store: ResultsStore) -> None:
    recorder = store.start("sweep", load_builtin("tri-cluster"), {})
    with pytest.raises(InvalidInput, match="cannot be recorded"):
        run_chunks(Runner(recorder=recorder), setup, (0.0,), good_task, CHUNKS)
