"""How a chunked, resumable computation runs: the :class:`Runner` and :func:`run_chunks`.

A :class:`Runner` bundles where chunks run (workers or an executor), who hears of
progress and where finished chunks are recorded, so workflows take one ``runner``
argument instead of four loose parameters.

:func:`run_chunks` is the one loop every chunked workflow (the sweep, the hazard
simulation, the paired what-if simulation) runs its chunks through:

1. chunks the recorder already holds (a resumed run) are read back, not computed again;
2. the others run on the executor, and each is handed to the recorder as it finishes
   (the recorder writes them in batches, see :class:`chipstress.store.RunRecorder`);
3. progress is reported after each computed chunk;
4. what the recorder still buffers is written when the run ends, also when it ends by an
   exception or Ctrl-C, so everything that finished is kept for ``--resume``.

Chunks are fixed by the workflow alone (never by the number of workers), and each
chunk's result depends only on the chunk, so results are identical for any executor,
any number of workers, and whether or not a run was interrupted and resumed.
See ``docs/architecture.md``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.executors import ChunkFailure, Executor, make_executor
from chipstress.executors.base import Setup
from chipstress.store.recorder import RunRecorder
from chipstress.store.rows import Rows

__all__ = ["ChunkRun", "Progress", "Runner", "run_chunks"]

Progress = Callable[[int, int], None]

C = TypeVar("C")  # a chunk of work
R = TypeVar("R")  # a chunk's result


@dataclass(frozen=True)
class Runner:
    """Where and how a workflow's chunks run.

    Attributes
    ----------
    workers
        Worker processes (1 = in this process, ``None``/0 = every core); ignored when
        ``executor`` is given.
    executor
        Runs the chunks (:mod:`chipstress.executors`); default from ``workers``.
    progress
        Called as ``progress(done, total)`` while the work runs (units of the workflow:
        nodes for a sweep, years for a simulation).
    recorder
        Stores each finished chunk so an interrupted run can be resumed.
    """

    workers: int | None = 1
    executor: Executor | None = None
    progress: Progress | None = None
    recorder: RunRecorder | None = None

    def make_executor(self, parallel: bool = True) -> Executor:
        """The executor to run chunks on.

        Parameters
        ----------
        parallel
            False when the work is too small to be worth worker processes: then, unless
            an ``executor`` was given, the chunks run in this process.

        Returns
        -------
        Executor
            ``executor`` if given, else one made from ``workers``.
        """
        if self.executor is not None:
            return self.executor
        return make_executor(self.workers if parallel else 1)


@dataclass(frozen=True)
class ChunkRun(Generic[R]):
    """What :func:`run_chunks` returns.

    Attributes
    ----------
    results
        One entry per chunk, in chunk order: the chunk's result (computed now, or read
        back from the recorder), or a :class:`~chipstress.executors.ChunkFailure`.
    failures
        The failed chunks, by chunk index (``ChunkFailure.index`` is the chunk's index
        in the whole run).
    """

    results: list[R | ChunkFailure]
    failures: list[ChunkFailure]

    def completed(self) -> list[R]:
        """The results, when no chunk failed.

        Raises
        ------
        ValueError
            Some chunk failed.
        """
        if self.failures:
            raise ValueError(f"{len(self.failures)} chunk(s) failed")
        return [r for r in self.results if not isinstance(r, ChunkFailure)]


def run_chunks(
    runner: Runner | None,
    setup: Setup,
    setup_args: tuple[Any, ...],
    task: Callable[[Any, C], R],
    chunks: Sequence[C],
    *,
    encode: Callable[[R], Mapping[str, Rows]] | None = None,
    decode: Callable[[int, Mapping[str, pd.DataFrame]], R] | None = None,
    tables: Sequence[str] = (),
    size: Callable[[C], int] | None = None,
    parallel: bool = True,
) -> ChunkRun[R]:
    """Run ``task(state, chunk)`` for every chunk not yet recorded; record each as it ends.

    Parameters
    ----------
    runner
        Where chunks run, who hears of progress, and the recorder (``None``: in this
        process, no progress, nothing recorded).
    setup, setup_args
        ``state = setup(*setup_args)``, built once per worker (e.g. compile the network).
    task
        ``task(state, chunk) -> result`` for one chunk; it runs in a worker.
    chunks
        The whole run's chunks, fixed by the workflow (a chunk's index identifies it in
        the recorder, across an interruption and ``--resume``).
    encode
        A chunk's result as the tables the recorder stores (name -> a DataFrame, or a
        list of records: see :meth:`chipstress.store.RunRecorder.add_chunk`); ``None``
        for a computation that cannot be recorded.
    decode
        ``decode(index, tables)``: a chunk's result again from its stored tables (only
        that chunk's rows, in the order they were stored, without the ``chunk`` column).
        It must give back what ``task`` returned, to the last bit, for resuming to be
        exact.
    tables
        The names of the tables ``encode`` writes (what ``decode`` is given).
    size
        A chunk's weight in the progress count (nodes, years); default 1 per chunk.
    parallel
        False when the work is too small for worker processes (see
        :meth:`Runner.make_executor`).

    Returns
    -------
    ChunkRun
        Results in chunk order (stored chunks read back, the others computed), and the
        chunks that failed.

    Raises
    ------
    InvalidInput
        The runner has a recorder but ``encode`` or ``decode`` is missing.
    KeyboardInterrupt
        Re-raised after the recorder has written every chunk that finished (the same
        for any other exception from the executor).
    """
    runner = runner or Runner()
    recorder = runner.recorder
    if recorder is not None and (encode is None or decode is None):
        raise InvalidInput("this computation cannot be recorded: run it without a recorder")
    weight = size or _one
    total = sum(weight(chunk) for chunk in chunks)
    results: dict[int, R | ChunkFailure] = {}
    if recorder is not None and decode is not None:
        for index, stored in recorder.stored_chunks(tables).items():
            if 0 <= index < len(chunks):
                results[index] = decode(index, stored)
    pending = [i for i in range(len(chunks)) if i not in results]
    done = [sum(weight(chunks[i]) for i in results)]

    def on_result(position: int, result: Any) -> None:
        index = pending[position]
        if recorder is not None and encode is not None and not isinstance(result, ChunkFailure):
            recorder.add_chunk(index, encode(result))
        done[0] += weight(chunks[index])
        if runner.progress is not None:
            runner.progress(done[0], total)

    with _flushed(recorder):
        computed = runner.make_executor(parallel).run(
            setup, setup_args, task, [chunks[i] for i in pending], on_result
        )
    for index, result in zip(pending, computed, strict=True):
        if isinstance(result, ChunkFailure):
            result = ChunkFailure(index, result.error, result.details)
        results[index] = result
    ordered = [results[i] for i in range(len(chunks))]
    return ChunkRun(ordered, [r for r in ordered if isinstance(r, ChunkFailure)])


def _one(chunk: Any) -> int:
    return 1


@contextlib.contextmanager
def _flushed(recorder: RunRecorder | None) -> Iterator[None]:
    """Write what the recorder buffers when the block ends, however it ends.

    When the block raises (Ctrl-C included), the original exception goes on; a failure
    to write is added to it as a note.
    """
    if recorder is None:
        yield
        return
    try:
        yield
    except BaseException as error:
        try:
            recorder.flush()
        except Exception as flush_error:  # keep the original error, say what was lost
            error.add_note(f"could not store the finished chunks: {flush_error}")
        raise
    recorder.flush()
