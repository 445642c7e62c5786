"""The results store: every run with its network's fingerprint, parameters, timings and tables.

Layout (the same SQL on DuckDB and PostgreSQL):

* ``chipstress_runs`` — one row per run: id, kind (sweep, replay, scenario,
  simulation, whatif, plan), network name and fingerprint, parameters and summary (JSON),
  status (``running``, ``complete``, ``failed``), times, chipstress version.
* ``chipstress_tables`` — which result tables a run has.
* ``chipstress_chunks`` — chunks of a long run already stored (for resuming).
* ``result_<name>`` — the rows of each result table (``sweep``, ``years``, ``events``,
  ``sites``, ...): ``run_id``, ``chunk``, ``row_index`` and the table's own columns, so
  results are queryable with plain SQL.

Writes are atomic: a run saved with :meth:`ResultsStore.save` is stored whole or not at
all, and each chunk of a recorded run (:meth:`ResultsStore.start`) commits with its
marker in one transaction, so an interrupted run never leaves partial rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.store.backends import Backend, connect, sql_type

__all__ = ["RUN_KINDS", "ResultsStore", "RunRecorder", "StoredRun", "default_location"]

RUN_KINDS = ("sweep", "replay", "scenario", "simulation", "whatif", "plan")
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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, Path):
            return str(obj)
        if isinstance(obj, float) and not math.isfinite(obj):
            return str(obj)
        raise TypeError(f"cannot store {type(obj).__name__} in a run's JSON")

    return json.dumps(value, default=default, sort_keys=True, allow_nan=True)


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


class RunRecorder:
    """Writes a long run chunk by chunk, so it can be resumed after a crash.

    Get one from :meth:`ResultsStore.start` (a new run) or :meth:`ResultsStore.resume`.
    """

    def __init__(self, store: ResultsStore, run_id: str, started: float) -> None:
        self.store = store
        self.run_id = run_id
        self._started = started

    def done_chunks(self) -> set[int]:
        """Indices of the chunks already stored."""
        rows = self.store.backend.query(
            "SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [self.run_id]
        )
        return {int(c) for c in rows["chunk"]}

    def add_chunk(self, chunk: int, tables: Mapping[str, pd.DataFrame]) -> None:
        """Store one finished chunk's rows and its marker, atomically (idempotent)."""
        with self.store.backend.transaction():
            self.store._delete_chunk(self.run_id, chunk)
            self.store._insert_tables(self.run_id, chunk, tables)
            self.store.backend.execute(
                "INSERT INTO chipstress_chunks (run_id, chunk, finished_at) VALUES (?, ?, ?)",
                [self.run_id, chunk, _now()],
            )

    def table(self, name: str, with_chunk: bool = False) -> pd.DataFrame:
        """Every stored row of a table so far, in chunk and row order."""
        return self.store.table(self.run_id, name, with_chunk)

    def finish(
        self,
        summary: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame] | None = None,
        complete: bool = True,
    ) -> str:
        """Store whole-run tables and mark the run complete (or ``failed`` when some chunks
        failed: it stays resumable); returns the run id."""
        with self.store.backend.transaction():
            if tables:
                self.store._delete_chunk(self.run_id, -1)
                self.store._insert_tables(self.run_id, -1, tables)
            elapsed = time.perf_counter() - self._started
            self.store.backend.execute(
                "UPDATE chipstress_runs SET status = ?, summary = ?, finished_at = ?, "
                "wall_seconds = COALESCE(wall_seconds, 0) + ? WHERE run_id = ?",
                [
                    "complete" if complete else "failed",
                    _json(dict(summary)),
                    _now(),
                    elapsed,
                    self.run_id,
                ],
            )
        return self.run_id

    def fail(self, reason: str) -> None:
        """Mark the run failed (its stored chunks stay, for inspection or resuming)."""
        self.store.backend.execute(
            "UPDATE chipstress_runs SET status = 'failed', summary = ? WHERE run_id = ?",
            [_json({"error": reason}), self.run_id],
        )


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
        with self.backend.transaction():
            for statement in _SCHEMA:
                self.backend.execute(statement)

    def close(self) -> None:
        """Close the connection."""
        self.backend.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def save(
        self,
        kind: str,
        network: Network,
        parameters: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame],
        summary: Mapping[str, Any] | None = None,
        wall_seconds: float | None = None,
    ) -> str:
        """Store a finished run in one transaction; returns its id."""
        run_id = self._new_run(kind, parameters)
        with self.backend.transaction():
            self._insert_run(
                run_id, kind, network, parameters, "complete", None, summary, wall_seconds
            )
            self._insert_tables(run_id, 0, tables)
        return run_id

    def start(
        self,
        kind: str,
        network: Network,
        parameters: Mapping[str, Any],
        chunks_total: int | None = None,
    ) -> RunRecorder:
        """Begin a run whose chunks are stored as they finish (see :class:`RunRecorder`)."""
        run_id = self._new_run(kind, parameters)
        with self.backend.transaction():
            self._insert_run(run_id, kind, network, parameters, "running", chunks_total, None, None)
        return RunRecorder(self, run_id, time.perf_counter())

    def resume(self, run_id: str, network: Network, kind: str | None = None) -> RunRecorder:
        """Continue a stored, unfinished run on the same network.

        Raises
        ------
        InvalidInput
            Unknown run, a run already complete, a different kind, or a network whose
            fingerprint differs from the run's.
        """
        run = self.run(run_id)
        if run.status == "complete":
            raise InvalidInput(f"run {run.run_id} is already complete; nothing to resume")
        if kind is not None and run.kind != kind:
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
        existing = self.backend.columns(table)
        wanted = {str(c): sql_type(frame[c]) for c in frame.columns}
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
        for name, frame in tables.items():
            table = self._result_table(name, frame)
            rows = frame.reset_index(drop=True).copy()
            rows.columns = [str(c) for c in rows.columns]
            for column in rows.columns:
                if sql_type(rows[column]) == "TEXT":
                    rows[column] = (
                        rows[column]
                        .map(
                            lambda v: (
                                None
                                if v is None or (isinstance(v, float) and math.isnan(v))
                                else str(v)
                            )
                        )
                        .astype(object)
                    )
            rows.insert(0, "row_index", np.arange(len(rows), dtype=np.int64))
            rows.insert(0, "chunk", np.full(len(rows), chunk, dtype=np.int64))
            rows.insert(0, "run_id", run_id)
            if len(rows):
                self.backend.insert_frame(table, rows)
            listed = self.backend.query(
                "SELECT 1 FROM chipstress_tables WHERE run_id = ? AND name = ?", [run_id, name]
            )
            if listed.empty:
                self.backend.execute(
                    "INSERT INTO chipstress_tables (run_id, name) VALUES (?, ?)", [run_id, name]
                )

    def _delete_chunk(self, run_id: str, chunk: int) -> None:
        for name in self._table_names(run_id):
            self.backend.execute(
                f'DELETE FROM "result_{name}" WHERE run_id = ? AND chunk = ?', [run_id, chunk]
            )
        self.backend.execute(
            "DELETE FROM chipstress_chunks WHERE run_id = ? AND chunk = ?", [run_id, chunk]
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

    def runs(self, kind: str | None = None, include_incomplete: bool = False) -> pd.DataFrame:
        """One row per run, newest first: id, kind, network, status, created, wall seconds."""
        sql = (
            "SELECT run_id, kind, network, status, created_at, wall_seconds, fingerprint, summary "
            "FROM chipstress_runs"
        )
        clauses, params = [], []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if not include_incomplete:
            clauses.append("status = 'complete'")
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return self.backend.query(sql + " ORDER BY created_at DESC, run_id DESC", params)

    def run(self, run_id: str) -> StoredRun:
        """A run's record (tables via :meth:`table`)."""
        full = self.resolve(run_id)
        row = self.backend.query("SELECT * FROM chipstress_runs WHERE run_id = ?", [full]).iloc[0]
        return StoredRun(
            run_id=full,
            kind=row["kind"],
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
