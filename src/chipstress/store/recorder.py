"""Recording a long run chunk by chunk, in batches, so it can be resumed after a crash.

See :class:`RunRecorder` and ``docs/scaling.md`` ("Crash safety").
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.store.backends import seconds_from_environment
from chipstress.store.errors import StoreBusy, StoreError, StoreWriteFailed
from chipstress.store.rows import Rows, split_by_chunk, to_json, utc_now

if TYPE_CHECKING:
    from chipstress.store.results import ResultsStore

__all__ = ["FLUSH_CHUNKS", "FLUSH_SECONDS", "RunRecorder", "flush_seconds_default"]

# A recorder writes its buffered chunks when one finishes this long after the last write
# (or after the run started), seconds ...
FLUSH_SECONDS = 2.0
# ... and whenever this many chunks are buffered. A run shorter than FLUSH_SECONDS writes
# once, at its end: each write holds the main process (and the pool's feeding of the
# workers) for about 30 ms, and large.json's sweep of 0.4 s wrote three times.
FLUSH_CHUNKS = 256
_RESUMABLE_COMMANDS = ("sweep", "simulate")  # run kinds whose command takes --resume


def flush_seconds_default() -> float:
    """How long a recorder may keep finished chunks unwritten:
    ``$CHIPSTRESS_FLUSH_SECONDS`` (seconds; 0 writes every chunk as it finishes) if set
    and valid, else :data:`FLUSH_SECONDS`."""
    return seconds_from_environment("CHIPSTRESS_FLUSH_SECONDS", FLUSH_SECONDS)


class RunRecorder:
    """Writes a long run chunk by chunk, in batches, so it can be resumed after a crash.

    Get one from :meth:`ResultsStore.start` (a new run) or :meth:`ResultsStore.resume`.

    Finished chunks are buffered and written together, in one transaction: whenever a
    chunk finishes ``flush_seconds`` or more after the last write (or after the recorder
    was made) or ``flush_chunks`` are buffered, and always on :meth:`flush`,
    :meth:`finish`, :meth:`fail` and when the store is closed. A chunk's rows and its
    marker are written in the same transaction, so a stored chunk is always whole: a
    crash loses at most the chunks buffered since the last write, which a resumed run
    computes again (see ``docs/scaling.md``, "Crash safety").

    When the database is busy (another process holds a DuckDB file past the store's
    deadline), a write due after :meth:`add_chunk` is put off and the chunks stay
    buffered. When a write fails otherwise (disk full, I/O error, busy at
    :meth:`flush` or :meth:`finish`), :class:`~chipstress.store.errors.StoreWriteFailed`
    says in one line what is kept and the command that finishes the run.

    Parameters
    ----------
    store
        The store the run is in.
    run_id
        The run's id.
    started
        ``time.perf_counter()`` when this session of the run began.
    flush_seconds
        Write buffered chunks at the first chunk finishing this long (seconds) or more
        after the last write (or after the recorder was made); 0 writes every chunk at
        once. Default: :func:`flush_seconds_default`.
    flush_chunks
        Write buffered chunks whenever this many are buffered (>= 1).
    fresh
        True for a run just started (nothing of it is stored yet, so nothing needs
        replacing).
    kind
        The run's kind (names the command that resumes it in messages).
    """

    def __init__(
        self,
        store: ResultsStore,
        run_id: str,
        started: float,
        flush_seconds: float | None = None,
        flush_chunks: int = FLUSH_CHUNKS,
        fresh: bool = False,
        kind: str = "",
    ) -> None:
        if flush_seconds is None:
            flush_seconds = flush_seconds_default()
        if flush_seconds < 0 or flush_chunks < 1:
            raise InvalidInput("flush_seconds must be >= 0 and flush_chunks >= 1")
        self.store = store
        self.run_id = run_id
        self._started = started
        self.flush_seconds = float(flush_seconds)
        self.flush_chunks = int(flush_chunks)
        self._buffer: dict[int, dict[str, Rows]] = {}
        self._flushed_at = time.monotonic()  # the first write comes flush_seconds in
        # Chunks known to be stored (None: not read yet); a new run has none.
        self._stored: set[int] | None = set() if fresh else None
        self._fresh = fresh
        self.kind = kind
        self.flushes = 0  # transactions written so far (for tests and diagnostics)
        store._recorders.add(self)

    @property
    def buffered(self) -> list[int]:
        """Indices of the finished chunks not written yet, in order."""
        return sorted(self._buffer)

    def done_chunks(self) -> set[int]:
        """Indices of the chunks already stored (buffered chunks are written first)."""
        self.flush()
        rows = self.store.backend.query(
            "SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [self.run_id]
        )
        self._stored = {int(c) for c in rows["chunk"]}
        return set(self._stored)

    def add_chunk(self, chunk: int, tables: Mapping[str, Rows]) -> None:
        """Buffer one finished chunk's rows (idempotent: a chunk given again replaces
        the earlier rows); writes the buffer when the flush policy says so.

        Parameters
        ----------
        chunk
            The chunk's index in the run (>= 0).
        tables
            The chunk's rows: table name (lower-case letters, digits and ``_``) -> a
            DataFrame, or a list of records (dicts with the same keys, in column order:
            cheaper, as the batch becomes one DataFrame when written).
        """
        self._buffer[int(chunk)] = dict(tables)
        if (
            len(self._buffer) >= self.flush_chunks
            or time.monotonic() - self._flushed_at >= self.flush_seconds
        ):
            try:
                self.flush()
            except StoreWriteFailed as error:
                if not isinstance(error.__cause__, StoreBusy):
                    raise
                self._flushed_at = time.monotonic()  # busy: keep them, try again later

    def flush(self) -> None:
        """Write every buffered chunk (rows and markers) in one transaction.

        If writing fails (or is interrupted) nothing of it is stored and the chunks stay
        buffered.

        Raises
        ------
        StoreWriteFailed
            The database could not be written (busy, disk full, read-only, I/O error);
            the message says how to finish the run.
        """
        if self._buffer:
            with self._writing("store the finished chunks"), self.store._transaction():
                written = self._write_buffer()
            self._written(written)
            self.flushes += 1
            self._flushed_at = time.monotonic()

    @contextlib.contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """Turn a failed write into one line: what failed, what is kept, what to run."""
        try:
            yield
        except (StoreError, OSError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            command = (
                f"chipstress {self.kind} --resume {self.run_id}"
                if self.kind in _RESUMABLE_COMMANDS
                else f"--resume {self.run_id}"
            )
            tail = (
                f"run {self.run_id} stays unfinished with the chunks stored before; "
                f"finish it with: {command}"
            )
            public = error.public_message if isinstance(error, StoreError) else str(reason)
            raise StoreWriteFailed(
                f"could not {what} in {self.store.location}: {reason}; {tail}",
                f"could not {what}: {public}; {tail}",
                self.run_id,
            ) from error

    def _write_buffer(self) -> list[int]:
        """Write the buffered chunks' rows and markers (inside the caller's transaction);
        returns the chunks written."""
        chunks = sorted(self._buffer)
        if self._stored is None:
            self._stored = self.store._stored_chunks(self.run_id)
        again = sorted(self._stored.intersection(chunks))
        if again:  # given again: replace (a stored chunk has a marker and all its rows)
            self.store._delete_chunks(self.run_id, again)
        self.store._insert_chunks(self.run_id, [(c, self._buffer[c]) for c in chunks])
        now = utc_now()
        markers = pd.DataFrame(
            {
                "run_id": [self.run_id] * len(chunks),
                "chunk": np.asarray(chunks, dtype=np.int64),
                "finished_at": [now] * len(chunks),
            }
        )
        self.store.backend.insert_frame("chipstress_chunks", markers)
        return chunks

    def _written(self, chunks: list[int]) -> None:
        """After the commit: the chunks are stored and no longer buffered."""
        for chunk in chunks:
            self._buffer.pop(chunk, None)
        if self._stored is not None:
            self._stored.update(chunks)

    def stored_chunks(self, names: Iterable[str]) -> dict[int, dict[str, pd.DataFrame]]:
        """The stored rows of every stored chunk, read back for resuming.

        Parameters
        ----------
        names
            The chunk tables to read.

        Returns
        -------
        dict
            Chunk index -> table name -> that chunk's rows (in the order stored, without
            the ``chunk`` column; empty rows where the chunk wrote none).
        """
        with self.store.session():
            return self._stored_chunks(names)

    def _stored_chunks(self, names: Iterable[str]) -> dict[int, dict[str, pd.DataFrame]]:
        done = self.done_chunks()
        if not done:
            return {}
        known = set(self.store._table_names(self.run_id))
        grouped: dict[str, dict[int, pd.DataFrame]] = {}
        empty: dict[str, pd.DataFrame] = {}
        for name in names:
            if name not in known:
                grouped[name], empty[name] = {}, pd.DataFrame()
                continue
            frame = self.store.table(self.run_id, name, with_chunk=True)
            empty[name] = frame.drop(columns="chunk").iloc[0:0]
            grouped[name] = split_by_chunk(frame)
        return {
            chunk: {name: grouped[name].get(chunk, empty[name]) for name in grouped}
            for chunk in sorted(done)
        }

    def table(self, name: str, with_chunk: bool = False) -> pd.DataFrame:
        """Every stored row of a table so far, in chunk and row order (buffered chunks
        are written first)."""
        self.flush()
        return self.store.table(self.run_id, name, with_chunk)

    def finish(
        self,
        summary: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame] | None = None,
        complete: bool = True,
    ) -> str:
        """Store the buffered chunks and the whole-run tables and mark the run complete
        (or ``failed`` when some chunks failed: it stays resumable), in one transaction;
        returns the run id.

        Parameters
        ----------
        summary
            The run's summary (JSON-serialisable scalars).
        tables
            Whole-run tables (stored as chunk ``-1``).
        complete
            ``False`` marks the run ``failed`` (resumable) instead of complete.

        Returns
        -------
        str
            The run id.

        Raises
        ------
        StoreWriteFailed
            The database could not be written: nothing of this call is stored, the run
            stays resumable and the message says how to finish it.
        """
        written: list[int] = []
        with self._writing("finish the run"), self.store._transaction():
            if self._buffer:
                written = self._write_buffer()
            if tables:
                if not self._fresh:  # a resumed run may hold whole-run tables already
                    self.store._delete_chunk(self.run_id, -1)
                self.store._insert_tables(self.run_id, -1, tables)
            elapsed = time.perf_counter() - self._started
            self.store.backend.execute(
                "UPDATE chipstress_runs SET status = ?, summary = ?, finished_at = ?, "
                "wall_seconds = COALESCE(wall_seconds, 0) + ? WHERE run_id = ?",
                [
                    "complete" if complete else "failed",
                    to_json(dict(summary)),
                    utc_now(),
                    elapsed,
                    self.run_id,
                ],
            )
        self._written(written)
        self._fresh = False
        return self.run_id

    def fail(self, reason: str) -> None:
        """Store the buffered chunks and mark the run failed (its stored chunks stay, for
        inspection or resuming)."""
        self.flush()
        with self._writing("mark the run failed"):
            self.store.backend.execute(
                "UPDATE chipstress_runs SET status = 'failed', summary = ? WHERE run_id = ?",
                [to_json({"error": reason}), self.run_id],
            )
