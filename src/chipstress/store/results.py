"""The results store: every run with its network's fingerprint, parameters, timings and tables.

Layout (the same SQL on DuckDB and PostgreSQL):

* ``chipstress_runs`` — one row per run: id, kind (a :class:`chipstress.results.RunKind`:
  sweep, impact, survive, outage, replay, scenario, simulate, whatif, plan, contingency;
  runs stored by older versions as ``simulation`` read as ``simulate``), network name
  and fingerprint, parameters and summary (JSON),
  status (``running``, ``complete``, ``failed``), times, chipstress version.
* ``chipstress_tables`` — which result tables a run has.
* ``chipstress_chunks`` — chunks of a long run already stored (for resuming).
* ``result_<name>`` — the rows of each result table (``sweep``, ``years``, ``events``,
  ``sites``, ...): ``run_id``, ``chunk``, ``row_index`` and the table's own columns, so
  results are queryable with plain SQL.

Writes are atomic: a run saved with :meth:`ResultsStore.save` is stored whole or not at
all, and the chunks of a recorded run (:meth:`ResultsStore.start`) are written in
batches, each chunk's rows with its marker in one transaction (:class:`RunRecorder`), so
an interrupted run never leaves partial rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.results import RunKind, RunResult
from chipstress.store.backends import Backend, connect, sql_type
from chipstress.store.recorder import RunRecorder
from chipstress.store.rows import Rows, stacked_rows
from chipstress.store.rows import to_json as _json
from chipstress.store.rows import utc_now as _now

__all__ = [
    "LEGACY_KINDS",
    "RUN_KINDS",
    "ResultsStore",
    "RunRecorder",
    "StoredRun",
    "default_location",
    "run_kind",
]

RUN_KINDS: tuple[str, ...] = tuple(kind.value for kind in RunKind)
# Kinds written by older versions -> the kind they are now.
LEGACY_KINDS: dict[str, str] = {"simulation": RunKind.SIMULATE.value}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS chipstress_runs (
        run_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        network TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        parameters TEXT NOT NULL,
        summary TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        wall_seconds DOUBLE PRECISION,
        version TEXT,
        chunks_total BIGINT
    )""",
    """CREATE TABLE IF NOT EXISTS chipstress_tables (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (run_id, name)
    )""",
    """CREATE TABLE IF NOT EXISTS chipstress_chunks (
        run_id TEXT NOT NULL,
        chunk BIGINT NOT NULL,
        finished_at TEXT NOT NULL,
        PRIMARY KEY (run_id, chunk)
    )""",
]


def default_location() -> str:
    """``$CHIPSTRESS_DB`` if set, else ``results.duckdb`` in the user's data directory."""
    configured = os.environ.get("CHIPSTRESS_DB")
    if configured:
        return configured
    import platformdirs

    return str(Path(platformdirs.user_data_dir("chipstress")) / "results.duckdb")


def run_kind(kind: RunKind | str) -> str:
    """The current name of a run kind (``simulation``, written by older versions, is
    ``simulate``); unknown names are returned as given."""
    return str(LEGACY_KINDS.get(kind, kind))


def _new_run_id(kind: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{kind[:2]}-{stamp}-{secrets.token_hex(3)}"


@dataclass
class StoredRun:
    """A run as stored: its record and (loaded on demand) its result tables."""

    run_id: str
    kind: str
    network: str
    fingerprint: str
    parameters: dict[str, Any]
    summary: dict[str, Any]
    status: str
    created_at: str
    finished_at: str | None
    wall_seconds: float | None
    version: str
    chunks_total: int | None
    table_names: list[str] = field(default_factory=list)


class ResultsStore:
    """Runs and their result tables in DuckDB (a file) or PostgreSQL (a URL).

    Parameters
    ----------
    location
        A DuckDB file path or a ``postgresql://`` URL; default :func:`default_location`.
    """

    def __init__(self, location: str | Path | None = None) -> None:
        self.backend: Backend = connect(location or default_location())
        self.location = self.backend.location
        self._recorders: weakref.WeakSet[RunRecorder] = weakref.WeakSet()
        self._known_columns: dict[str, set[str]] = {}  # result table -> columns it has
        self._listed: dict[str, set[str]] = {}  # run id -> its tables in chipstress_tables
        with self.backend.transaction():
            for statement in _SCHEMA:
                self.backend.execute(statement)

    def close(self) -> None:
        """Write what open recorders still buffer, then close the connection."""
        try:
            for recorder in list(self._recorders):
                recorder.flush()
        finally:
            self.backend.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """The backend's transaction; a rollback also forgets the tables and columns seen."""
        try:
            with self.backend.transaction():
                yield
        except BaseException:
            self._known_columns.clear()
            self._listed.clear()
            raise

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def save(
        self,
        kind: RunKind | str,
        network: Network,
        parameters: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame],
        summary: Mapping[str, Any] | None = None,
        wall_seconds: float | None = None,
    ) -> str:
        """Store a finished run in one transaction; returns its id.

        Parameters
        ----------
        kind
            The run kind (:class:`~chipstress.results.RunKind`).
        network
            The network run on (its name and fingerprint are stored).
        parameters
            The run's parameters (JSON-serialisable).
        tables
            The result tables by name.
        summary
            Headline figures (JSON-serialisable scalars).
        wall_seconds
            How long the run took (seconds).

        Returns
        -------
        str
            The new run's id.
        """
        kind = run_kind(kind)
        run_id = self._new_run(kind, parameters)
        with self.backend.transaction():
            self._insert_run(
                run_id, kind, network, parameters, "complete", None, summary, wall_seconds
            )
            self._insert_tables(run_id, 0, tables)
        return run_id

    def save_result(
        self,
        result: RunResult,
        network: Network,
        parameters: Mapping[str, Any] | None = None,
        wall_seconds: float | None = None,
    ) -> str:
        """Store a finished run result (any :class:`~chipstress.results.RunResult`) whole.

        Parameters
        ----------
        result
            The operation's result: its ``kind``, ``tables()`` and ``summary()`` are stored.
        network
            The network it ran on (its name and fingerprint are stored).
        parameters
            Parameters recorded with the run (default ``result.parameters``): a surface
            gives its own to record how to run it again (e.g. where the network was read
            from).
        wall_seconds
            How long the run took (seconds).

        Returns
        -------
        str
            The new run's id.
        """
        return self.save(
            RunKind(result.kind).value,
            network,
            dict(result.parameters if parameters is None else parameters),
            result.tables(),
            result.summary(),
            wall_seconds,
        )

    def start(
        self,
        kind: RunKind | str,
        network: Network,
        parameters: Mapping[str, Any],
        chunks_total: int | None = None,
    ) -> RunRecorder:
        """Begin a run whose chunks are stored as they finish (see :class:`RunRecorder`).

        Parameters
        ----------
        kind
            The run kind (:class:`~chipstress.results.RunKind`).
        network
            The network run on (its name and fingerprint are stored).
        parameters
            The run's parameters (JSON-serialisable).
        chunks_total
            How many chunks the run has, if known.

        Returns
        -------
        RunRecorder
            Stores the chunks and finishes the run.
        """
        kind = run_kind(kind)
        run_id = self._new_run(kind, parameters)
        with self.backend.transaction():
            self._insert_run(run_id, kind, network, parameters, "running", chunks_total, None, None)
        return RunRecorder(self, run_id, time.perf_counter(), fresh=True)

    def resume(
        self, run_id: str, network: Network, kind: RunKind | str | None = None
    ) -> RunRecorder:
        """Continue a stored, unfinished run on the same network.

        Parameters
        ----------
        run_id
            The run (or a unique prefix of its id).
        network
            The network to run on; its fingerprint must be the run's.
        kind
            The kind the run must be (``None``: any).

        Returns
        -------
        RunRecorder
            A recorder that knows the chunks already stored.

        Raises
        ------
        InvalidInput
            Unknown run, a run already complete, a different kind, or a network whose
            fingerprint differs from the run's.
        """
        run = self.run(run_id)
        if run.status == "complete":
            raise InvalidInput(f"run {run.run_id} is already complete; nothing to resume")
        if kind is not None and run.kind != run_kind(kind):
            raise InvalidInput(f"run {run.run_id} is a {run.kind} run, not a {kind} run")
        if run.fingerprint != network.fingerprint():
            raise InvalidInput(
                f"run {run.run_id} was made on a different network (fingerprint {run.fingerprint[:12]}, "
                f"this one {network.fingerprint()[:12]}): load the same network to resume it"
            )
        self.backend.execute(
            "UPDATE chipstress_runs SET status = 'running' WHERE run_id = ?", [run.run_id]
        )
        return RunRecorder(self, run.run_id, time.perf_counter())

    def _new_run(self, kind: str, parameters: Mapping[str, Any]) -> str:
        if kind not in RUN_KINDS:
            raise InvalidInput(f"unknown run kind {kind!r}; kinds are {', '.join(RUN_KINDS)}")
        _json(dict(parameters))  # fail early on parameters that cannot be stored
        return _new_run_id(kind)

    def _insert_run(
        self,
        run_id: str,
        kind: str,
        network: Network,
        parameters: Mapping[str, Any],
        status: str,
        chunks_total: int | None,
        summary: Mapping[str, Any] | None,
        wall_seconds: float | None,
    ) -> None:
        from chipstress import __version__

        now = _now()
        self.backend.execute(
            "INSERT INTO chipstress_runs (run_id, kind, network, fingerprint, parameters, summary, status, "
            "created_at, finished_at, wall_seconds, version, chunks_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                kind,
                network.meta.name,
                network.fingerprint(),
                _json(dict(parameters)),
                _json(dict(summary or {})),
                status,
                now,
                now if status == "complete" else None,
                wall_seconds,
                __version__,
                chunks_total,
            ],
        )

    def _result_table(self, name: str, frame: pd.DataFrame) -> str:
        if not _NAME.match(name):
            raise InvalidInput(
                f"result table name {name!r} must be lower-case letters, digits and _"
            )
        table = f"result_{name}"
        wanted = {str(c): sql_type(frame[c]) for c in frame.columns}
        if set(wanted) <= self._known_columns.get(table, set()):
            return table
        existing = self.backend.columns(table)
        if existing:  # forgotten again if the transaction rolls back (_transaction)
            self._known_columns[table] = set(existing)
        if not existing:
            columns = ", ".join(f'"{c}" {t}' for c, t in wanted.items())
            self.backend.execute(
                f'CREATE TABLE IF NOT EXISTS "{table}" (run_id TEXT NOT NULL, chunk BIGINT NOT NULL, '
                f"row_index BIGINT NOT NULL{', ' + columns if columns else ''})"
            )
        else:
            for column, kind in wanted.items():
                if column not in existing:
                    self.backend.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}')
        return table

    def _insert_tables(self, run_id: str, chunk: int, tables: Mapping[str, pd.DataFrame]) -> None:
        self._insert_chunks(run_id, [(chunk, tables)])

    def _insert_chunks(self, run_id: str, chunks: Sequence[tuple[int, Mapping[str, Rows]]]) -> None:
        """The rows of several chunks: one insert per table (inside a transaction)."""
        parts: dict[str, list[tuple[int, Rows]]] = {}
        for chunk, tables in chunks:
            for name, frame in tables.items():
                parts.setdefault(name, []).append((chunk, frame))
        if parts and run_id not in self._listed:
            self._listed[run_id] = set(self._table_names(run_id))
        listed = self._listed.get(run_id, set())
        for name, frames in parts.items():
            rows = stacked_rows(frames)
            self._result_table(name, rows.drop(columns=["chunk", "row_index"]))
            if len(rows):
                rows.insert(0, "run_id", run_id)
                self.backend.insert_frame(f"result_{name}", rows)
            if name not in listed:
                self.backend.execute(
                    "INSERT INTO chipstress_tables (run_id, name) VALUES (?, ?)", [run_id, name]
                )
                listed.add(name)

    def _delete_chunk(self, run_id: str, chunk: int) -> None:
        for name in self._table_names(run_id):
            self.backend.execute(
                f'DELETE FROM "result_{name}" WHERE run_id = ? AND chunk = ?', [run_id, chunk]
            )
        self.backend.execute(
            "DELETE FROM chipstress_chunks WHERE run_id = ? AND chunk = ?", [run_id, chunk]
        )

    def _stored_chunks(self, run_id: str) -> set[int]:
        rows = self.backend.query("SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [run_id])
        return {int(c) for c in rows["chunk"]}

    def _delete_chunks(self, run_id: str, chunks: Sequence[int]) -> None:
        """Remove the rows and markers of ``chunks`` (inside a transaction)."""
        marks = ", ".join("?" for _ in chunks)
        for name in self._table_names(run_id):
            self.backend.execute(
                f'DELETE FROM "result_{name}" WHERE run_id = ? AND chunk IN ({marks})',
                [run_id, *chunks],
            )
        self.backend.execute(
            f"DELETE FROM chipstress_chunks WHERE run_id = ? AND chunk IN ({marks})",
            [run_id, *chunks],
        )

    # ------------------------------------------------------------------ reading
    def _table_names(self, run_id: str) -> list[str]:
        rows = self.backend.query(
            "SELECT name FROM chipstress_tables WHERE run_id = ? ORDER BY name", [run_id]
        )
        return rows["name"].tolist()

    def resolve(self, run_id: str) -> str:
        """The full id of a run given its id, a unique prefix, or a unique part (``2ae407``)."""
        for pattern in (run_id, f"{run_id}%", f"%{run_id}%"):
            ids = self.backend.query(
                "SELECT run_id FROM chipstress_runs WHERE run_id LIKE ?", [pattern]
            )["run_id"].tolist()
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                raise InvalidInput(
                    f"{run_id!r} matches {len(ids)} runs ({', '.join(sorted(ids)[:5])}); give more of the id"
                )
        raise InvalidInput(f"no run {run_id!r} in {self.location}")

    def runs(
        self, kind: RunKind | str | None = None, include_incomplete: bool = False
    ) -> pd.DataFrame:
        """One row per run, newest first: id, kind, network, status, created, wall seconds."""
        sql = (
            "SELECT run_id, kind, network, status, created_at, wall_seconds, fingerprint, summary "
            "FROM chipstress_runs"
        )
        clauses, params = [], []
        if kind is not None:
            names = [
                run_kind(kind),
                *(old for old, new in LEGACY_KINDS.items() if new == run_kind(kind)),
            ]
            clauses.append(f"kind IN ({', '.join('?' for _ in names)})")
            params.extend(names)
        if not include_incomplete:
            clauses.append("status = 'complete'")
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        table = self.backend.query(sql + " ORDER BY created_at DESC, run_id DESC", params)
        table["kind"] = table["kind"].map(run_kind)
        return table

    def run(self, run_id: str) -> StoredRun:
        """A run's record (tables via :meth:`table`)."""
        full = self.resolve(run_id)
        row = self.backend.query("SELECT * FROM chipstress_runs WHERE run_id = ?", [full]).iloc[0]
        return StoredRun(
            run_id=full,
            kind=run_kind(row["kind"]),
            network=row["network"],
            fingerprint=row["fingerprint"],
            parameters=json.loads(row["parameters"]),
            summary=json.loads(row["summary"]) if row["summary"] else {},
            status=row["status"],
            created_at=row["created_at"],
            finished_at=row["finished_at"] if isinstance(row["finished_at"], str) else None,
            wall_seconds=None if pd.isna(row["wall_seconds"]) else float(row["wall_seconds"]),
            version=row["version"],
            chunks_total=None if pd.isna(row["chunks_total"]) else int(row["chunks_total"]),
            table_names=self._table_names(full),
        )

    def table(self, run_id: str, name: str, with_chunk: bool = False) -> pd.DataFrame:
        """A result table of a run, rows in the order they were written.

        ``with_chunk=True`` keeps the ``chunk`` column (which chunk wrote each row).

        Parameters
        ----------
        run_id
            The run (or a unique prefix of its id).
        name
            The table's name.
        with_chunk
            Keep the ``chunk`` column.

        Returns
        -------
        pandas.DataFrame
            The table.

        Raises
        ------
        InvalidInput
            Unknown run, or the run has no such table.
        """
        full = self.resolve(run_id)
        names = self._table_names(full)
        if name not in names:
            raise InvalidInput(
                f"run {full} has no table {name!r}; it has {', '.join(names) or 'none'}"
            )
        frame = self.backend.query(
            f'SELECT * FROM "result_{name}" WHERE run_id = ? ORDER BY chunk, row_index', [full]
        )
        dropped = ["run_id", "row_index"] if with_chunk else ["run_id", "chunk", "row_index"]
        return frame.drop(columns=dropped).reset_index(drop=True)

    def delete(self, run_id: str) -> str:
        """Remove a run and its rows; returns the id removed."""
        full = self.resolve(run_id)
        with self.backend.transaction():
            for name in self._table_names(full):
                self.backend.execute(f'DELETE FROM "result_{name}" WHERE run_id = ?', [full])
            for table in ("chipstress_tables", "chipstress_chunks", "chipstress_runs"):
                self.backend.execute(f"DELETE FROM {table} WHERE run_id = ?", [full])
        self._listed.pop(full, None)
        return full

    def compare(self, first: str, second: str) -> pd.DataFrame:
        """Two runs side by side: their summary figures, and for sweeps every node.

        Returns a table ``key, first, second, delta`` (delta = second − first where both
        are numbers); ``table.attrs["runs"]`` holds the two ids.
        """
        a, b = self.run(first), self.run(second)
        if a.kind != b.kind:
            raise InvalidInput(f"cannot compare a {a.kind} run with a {b.kind} run")
        rows: list[tuple[str, Any, Any]] = []
        for key in sorted(set(a.summary) | set(b.summary)):
            rows.append((f"summary.{key}", a.summary.get(key), b.summary.get(key)))
        if a.kind == "sweep" and "sweep" in a.table_names and "sweep" in b.table_names:
            ta = self.table(a.run_id, "sweep").set_index("node")
            tb = self.table(b.run_id, "sweep").set_index("node")
            for node in sorted(set(ta.index) | set(tb.index)):
                for column in ("lost_profit", "tts"):
                    va = ta[column].get(node) if node in ta.index else None
                    vb = tb[column].get(node) if node in tb.index else None
                    rows.append((f"{node}.{column}", va, vb))

        def delta(x: Any, y: Any) -> Any:
            numbers = (int, float, np.integer, np.floating)
            if (
                isinstance(x, numbers)
                and isinstance(y, numbers)
                and not isinstance(x, bool | np.bool_)
            ):
                return float(y) - float(x)
            return None

        table = pd.DataFrame(
            [(key, x, y, delta(x, y)) for key, x, y in rows],
            columns=["key", "first", "second", "delta"],
        )
        table.attrs["runs"] = (a.run_id, b.run_id)
        return table

    def count_rows(self, names: Iterable[str] = ()) -> dict[str, int]:
        """Rows per result table (for tests and diagnostics)."""
        out = {}
        for name in names:
            if self.backend.columns(f"result_{name}"):
                out[name] = int(
                    self.backend.query(f'SELECT COUNT(*) AS n FROM "result_{name}"')["n"].iloc[0]
                )
        return out
