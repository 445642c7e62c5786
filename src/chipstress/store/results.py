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

import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.results import RunKind, RunResult
from chipstress.store.backends import Backend, connect, sql_type
from chipstress.store.errors import UnknownRun
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
    "new_run_id",
    "run_kind",
]

RUN_KINDS: tuple[str, ...] = tuple(kind.value for kind in RunKind)
# Kinds written by older versions -> the kind they are now.
LEGACY_KINDS: dict[str, str] = {"simulation": RunKind.SIMULATE.value}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_STORE_TABLES = ("chipstress_chunks", "chipstress_runs", "chipstress_tables")

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


def _like_literal(text: str) -> str:
    """``text`` for a ``LIKE ... ESCAPE '~'`` pattern that matches it literally."""
    return text.replace("~", "~~").replace("%", "~%").replace("_", "~_")


def new_run_id(kind: str) -> str:
    """A new run id: the kind's first two letters, the UTC time and 6 random hex digits
    (``sw-20261207-061500-2ae407``)."""
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
    wait_seconds
        DuckDB: how long each use of the file waits while another process holds it
        (seconds; default 30 or ``$CHIPSTRESS_DB_WAIT``), see
        :mod:`chipstress.store.backends`.
    linger_seconds
        DuckDB: keep the file open this long after a call, for the next (seconds; 0,
        the default, closes it at once; a server may use a fraction of a second). It is
        given up at once when another process waits for it.

    Raises
    ------
    StoreError
        The database cannot be opened (:class:`~chipstress.store.errors.StoreBusy`: in
        use by another process past the deadline).

    Notes
    -----
    A DuckDB file is opened only while in use (each call, or a :meth:`session` block),
    so a server and a CLI run can share it; a read-only file or folder is opened
    read-only (runs can be read, a write raises
    :class:`~chipstress.store.errors.StoreReadOnly`). The store's tables are created on
    first use, under a lock on PostgreSQL so first runs may start together.
    """

    def __init__(
        self,
        location: str | Path | None = None,
        wait_seconds: float | None = None,
        linger_seconds: float = 0.0,
    ) -> None:
        self.backend: Backend = connect(
            location or default_location(), wait_seconds, linger_seconds
        )
        self.location = self.backend.location
        self._recorders: weakref.WeakSet[RunRecorder] = weakref.WeakSet()
        self._known_columns: dict[str, set[str]] = {}  # result table -> columns it has
        self._listed: dict[str, set[str]] = {}  # run id -> its tables in chipstress_tables
        try:
            with self.backend.session():
                if not self._schema_present():
                    with self.backend.transaction():
                        self.backend.lock_schema()
                        for statement in _SCHEMA:
                            self.backend.execute(statement)
        except BaseException:
            self.backend.close()
            raise

    def _schema_present(self) -> bool:
        """Whether the store's own tables all exist (then opening writes nothing)."""
        rows = self.backend.query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name IN (?, ?, ?)",
            list(_STORE_TABLES),
        )
        return set(_STORE_TABLES) <= set(rows["table_name"])

    @property
    def read_only(self) -> bool:
        """True when the database could only be opened for reading."""
        return self.backend.read_only

    def session(self) -> contextlib.AbstractContextManager[Any]:
        """Keep one connection for a block of calls (a DuckDB file is opened once for
        the block instead of once per call, and closed at its end).

        Returns
        -------
        contextlib.AbstractContextManager
            The block (``with store.session(): ...``).
        """
        return self.backend.session()

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
        return RunRecorder(self, run_id, time.perf_counter(), fresh=True, kind=kind)

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
        with self.backend.session():
            return self._resume(run_id, network, kind)

    def _resume(self, run_id: str, network: Network, kind: RunKind | str | None) -> RunRecorder:
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
        return RunRecorder(self, run.run_id, time.perf_counter(), kind=run.kind)

    def _new_run(self, kind: str, parameters: Mapping[str, Any]) -> str:
        if kind not in RUN_KINDS:
            raise InvalidInput(f"unknown run kind {kind!r}; kinds are {', '.join(RUN_KINDS)}")
        _json(dict(parameters))  # fail early on parameters that cannot be stored
        return new_run_id(kind)

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
        self._record_run(
            {
                "run_id": run_id,
                "kind": kind,
                "network": network.meta.name,
                "fingerprint": network.fingerprint(),
                "parameters": _json(dict(parameters)),
                "summary": _json(dict(summary or {})),
                "status": status,
                "created_at": now,
                "finished_at": now if status == "complete" else None,
                "wall_seconds": wall_seconds,
                "version": __version__,
                "chunks_total": chunks_total,
            }
        )

    def _record_run(self, record: Mapping[str, Any]) -> None:
        """Insert a row of ``chipstress_runs`` (column -> value; JSON as text)."""
        names = list(record)
        self.backend.execute(
            f"INSERT INTO chipstress_runs ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)})",
            [record[name] for name in names],
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
        if existing and set(wanted) <= set(existing):
            self._known_columns[table] = set(existing)  # forgotten on rollback (_transaction)
            return table
        # Another process may be creating the same table: take the schema lock (held to
        # the end of the caller's transaction), then look again.
        self.backend.lock_schema()
        existing = self.backend.columns(table)
        if not existing:
            columns = ", ".join(f'"{c}" {t}' for c, t in wanted.items())
            self.backend.execute(
                f'CREATE TABLE IF NOT EXISTS "{table}" (run_id TEXT NOT NULL, chunk BIGINT NOT NULL, '
                f"row_index BIGINT NOT NULL{', ' + columns if columns else ''})"
            )
        else:
            for column, kind in wanted.items():
                if column not in existing:
                    self.backend.execute(
                        f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "{column}" {kind}'
                    )
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

    def resolve(self, run_id: str, exact: bool = False) -> str:
        """The full id of a run given its id, a unique prefix, or a unique part (``2ae407``).

        An id that is stored as given always wins. Prefixes and parts match literally:
        ``%`` and ``_`` are not wildcards.

        Parameters
        ----------
        run_id
            The run's id, or (unless ``exact``) a prefix or part of it.
        exact
            Only the whole id matches (what an API should use, and what
            :meth:`delete` does).

        Returns
        -------
        str
            The run's full id.

        Raises
        ------
        UnknownRun
            No run matches, or several do (``ambiguous``); its ``public_message`` does
            not name the database.
        """
        with self.backend.session():
            found = self.backend.query(
                "SELECT run_id FROM chipstress_runs WHERE run_id = ?", [run_id]
            )["run_id"].tolist()
            if found:
                return str(found[0])
            if not exact and run_id:
                literal = _like_literal(run_id)
                for pattern in (f"{literal}%", f"%{literal}%"):
                    ids = self.backend.query(
                        "SELECT run_id FROM chipstress_runs WHERE run_id LIKE ? ESCAPE '~'",
                        [pattern],
                    )["run_id"].tolist()
                    if len(ids) == 1:
                        return str(ids[0])
                    if len(ids) > 1:
                        message = (
                            f"{run_id!r} matches {len(ids)} runs "
                            f"({', '.join(sorted(ids)[:5])}); give more of the id"
                        )
                        raise UnknownRun(message, message, ambiguous=True)
        raise UnknownRun(f"no run {run_id!r} in {self.location}", f"no run {run_id!r}")

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
        with self.backend.session():
            full = self.resolve(run_id)
            rows = self.backend.query("SELECT * FROM chipstress_runs WHERE run_id = ?", [full])
            names = self._table_names(full)
        row = rows.iloc[0]
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
            table_names=names,
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
        with self.backend.session():
            full = self.resolve(run_id)
            names = self._table_names(full)
            if name not in names:
                raise InvalidInput(
                    f"run {full} has no table {name!r}; it has {', '.join(names) or 'none'}"
                )
            frame = self.backend.query(
                f'SELECT * FROM "result_{name}" WHERE run_id = ? ORDER BY chunk, row_index',
                [full],
            )
        dropped = ["run_id", "row_index"] if with_chunk else ["run_id", "chunk", "row_index"]
        return frame.drop(columns=dropped).reset_index(drop=True)

    def delete(self, run_id: str) -> str:
        """Remove one run and its rows.

        Parameters
        ----------
        run_id
            The run's whole id (no prefix: see :meth:`resolve` to find it from one).

        Returns
        -------
        str
            The id removed.

        Raises
        ------
        UnknownRun
            No run has exactly this id.
        """
        full = self.resolve(run_id, exact=True)
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
        are numbers); ``table.attrs["runs"]`` holds the two ids (see
        :func:`chipstress.store.compare.compare_runs`).
        """
        from chipstress.store.compare import compare_runs

        with self.backend.session():
            return compare_runs(self, first, second)

    def count_rows(self, names: Iterable[str] = ()) -> dict[str, int]:
        """Rows per result table (for tests and diagnostics)."""
        out = {}
        for name in names:
            if self.backend.columns(f"result_{name}"):
                out[name] = int(
                    self.backend.query(f'SELECT COUNT(*) AS n FROM "result_{name}"')["n"].iloc[0]
                )
        return out
