"""The two databases the results store runs on: DuckDB (embedded) and PostgreSQL.

Both are reached through one small interface — execute, query into a DataFrame,
bulk-insert a DataFrame, a session and a transaction — so the store's SQL is written
once. Placeholders are written ``?`` and rewritten for PostgreSQL.

Sharing a DuckDB file between processes (``chipstress serve --db X`` and a CLI run):
DuckDB lets one process at a time open a file, so the DuckDB backend never keeps it
open while idle. Each operation (or :meth:`Backend.session` block, or transaction)
opens the file, works and closes it again. When another process holds the file, the
open is retried with growing, jittered pauses for up to ``wait_seconds`` (default 30 s,
``$CHIPSTRESS_DB_WAIT``) before :class:`~chipstress.store.errors.StoreBusy` is raised.
A process that finds the file held leaves a ``<file>.wait`` marker while it waits;
a store opened with ``linger_seconds`` (a busy server) keeps its connection between
calls for that long, but gives the file up at once, and lets the waiter in, when it sees
a fresh marker. A file that cannot be opened for writing (read-only file or folder) is
opened read-only: runs can be listed and read, and a write raises
:class:`~chipstress.store.errors.StoreReadOnly`. PostgreSQL keeps one connection: the
server handles concurrent clients itself. See ``docs/scaling.md``.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.store.errors import StoreBusy, StoreError, StoreReadOnly

__all__ = ["DEFAULT_WAIT_SECONDS", "Backend", "DuckDBBackend", "PostgresBackend", "connect"]

DEFAULT_WAIT_SECONDS = 30.0  # how long a DuckDB open waits for another process (seconds)

# pandas dtype kind -> SQL column type (the same names work in both databases).
_SQL_TYPES = {"f": "DOUBLE PRECISION", "i": "BIGINT", "u": "BIGINT", "b": "BOOLEAN"}
# The advisory lock PostgreSQL sessions take to create or alter the store's tables.
_SCHEMA_LOCK = 0x43485053  # "CHPS"


def sql_type(series: pd.Series) -> str:
    """The SQL type a column is stored as."""
    kind = series.dtype.kind
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "TIMESTAMP"
    return _SQL_TYPES.get(kind, "TEXT")


def seconds_from_environment(name: str, default: float) -> float:
    """A duration read from the environment variable ``name``: its value in seconds when
    it is a number from 0 up (not infinite), else ``default``.

    Parameters
    ----------
    name
        The environment variable, e.g. ``CHIPSTRESS_DB_WAIT``.
    default
        Seconds to use when it is unset or not a valid duration.

    Returns
    -------
    float
        Seconds (>= 0).
    """
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if 0 <= value < float("inf") else default


def wait_seconds_default() -> float:
    """How long to wait for a database another process holds: ``$CHIPSTRESS_DB_WAIT``
    (seconds) if set and valid, else :data:`DEFAULT_WAIT_SECONDS`."""
    return seconds_from_environment("CHIPSTRESS_DB_WAIT", DEFAULT_WAIT_SECONDS)


class Backend:
    """What the store needs from a database.

    Subclasses open a DB-API-like connection in :meth:`_open`; ``persistent`` backends
    keep it until :meth:`close`, the others close it when the outermost
    :meth:`session` ends.
    """

    name = "backend"
    location = ""
    persistent = True
    read_only = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._connection: Any = None
        self._depth = 0

    def _open(self) -> Any:
        raise NotImplementedError

    def _failure(self, error: Exception, doing: str) -> StoreError:
        """``error`` from the database, as a :class:`StoreError` (``doing``: what failed)."""
        return StoreError(
            f"the results database {self.location} failed while {doing}: {error}",
            f"the results database failed while {doing} ({type(error).__name__})",
        )

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        """One connection for the whole block (nested blocks share it).

        A non-persistent backend (DuckDB) opens the database at the start of the
        outermost block and closes it at its end, so another process can use the file
        in between.

        Yields
        ------
        Any
            The connection.

        Raises
        ------
        StoreError
            The database cannot be opened (:class:`StoreBusy` when another process held
            it past the deadline).
        """
        with self._lock:
            if self._connection is None:
                self._connection = self._open()
            self._depth += 1
            try:
                yield self._connection
            finally:
                self._depth -= 1
                if self._depth == 0 and not self.persistent:
                    self._release()

    def _release(self) -> None:
        """The outermost session ended (lock held): close the connection."""
        connection, self._connection = self._connection, None
        with contextlib.suppress(Exception):
            connection.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement.

        Parameters
        ----------
        sql
            The statement, ``?`` for parameters.
        params
            The parameters.

        Raises
        ------
        StoreError
            The database failed (:class:`StoreReadOnly` for a write to a read-only one).
        """
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Rows of a query.

        Parameters
        ----------
        sql
            The query, ``?`` for parameters.
        params
            The parameters.

        Returns
        -------
        pandas.DataFrame
            The rows.

        Raises
        ------
        StoreError
            The database failed.
        """
        raise NotImplementedError

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` to ``table`` (columns by name).

        Parameters
        ----------
        table
            The table.
        frame
            The rows.

        Raises
        ------
        StoreError
            The database failed.
        """
        raise NotImplementedError

    def lock_schema(self) -> None:
        """Inside a transaction: wait until no other process is creating or altering
        tables, and keep them from doing so until the transaction ends (PostgreSQL; a
        DuckDB file has one writer at a time already)."""

    def columns(self, table: str) -> list[str]:
        """Column names of ``table`` in the current schema, in order (empty if no table)."""
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            [table],
        )
        return rows["column_name"].tolist()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        with self.session() as db:
            self._run(db, "BEGIN")
            try:
                yield
            except BaseException:
                with contextlib.suppress(Exception):
                    db.execute("ROLLBACK")
                raise
            self._run(db, "COMMIT")

    def _run(self, db: Any, sql: str) -> None:
        try:
            db.execute(sql)
        except Exception as error:
            raise self._failure(error, "writing") from None

    def close(self) -> None:
        """Close the connection, if open."""
        with self._lock:
            connection, self._connection = self._connection, None
            self._depth = 0
            if connection is not None:
                connection.close()


def _is_lock_conflict(text: str) -> bool:
    return "Could not set lock" in text or "Conflicting lock" in text


def _is_permission_problem(text: str) -> bool:
    lowered = text.lower()
    return "permission denied" in lowered or "read-only file system" in lowered


class DuckDBBackend(Backend):
    """An embedded DuckDB file (created on first use), opened only while in use.

    Parameters
    ----------
    path
        The database file.
    wait_seconds
        How long an open waits while another process holds the file (seconds; default
        :func:`wait_seconds_default`).
    linger_seconds
        Keep the file open this long (seconds) after a call, for the next one (an open
        costs about 15 ms); 0 closes it at once. A lingering connection is closed as soon
        as another process waits for the file (its ``.wait`` marker).

    Raises
    ------
    StoreError
        The file cannot be opened or created (:class:`StoreBusy`: held by another
        process past ``wait_seconds``).
    """

    name = "duckdb"
    persistent = False

    def __init__(
        self, path: Path, wait_seconds: float | None = None, linger_seconds: float = 0.0
    ) -> None:
        super().__init__()
        path = Path(path)
        self.path = path
        self.location = str(path)
        self.wait_seconds = wait_seconds_default() if wait_seconds is None else wait_seconds
        self.linger_seconds = max(0.0, float(linger_seconds))
        self.opens = 0  # connections opened so far (for tests and diagnostics)
        self._marker = path.with_name(path.name + ".wait")
        self._released_at = 0.0
        self._watch: threading.Thread | None = None
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(
                    f"cannot create the results database {path}: {error.strerror or error}",
                    "the results database cannot be created",
                ) from None
        with self.session():
            pass

    def _waiter_present(self) -> bool:
        """Whether another process waits for the file (a marker touched in the last second)."""
        try:
            return time.time() - self._marker.stat().st_mtime < 1.0
        except OSError:
            return False

    def _release(self) -> None:
        self._released_at = time.monotonic()
        if self.linger_seconds <= 0 or self._waiter_present():
            super()._release()
        elif self._watch is None or not self._watch.is_alive():
            self._watch = threading.Thread(
                target=self._close_when_idle, name="chipstress-db-linger", daemon=True
            )
            self._watch.start()

    def _close_when_idle(self) -> None:
        """Close a lingering connection once idle for ``linger_seconds`` or when another
        process waits for the file."""
        while True:
            time.sleep(min(0.1, self.linger_seconds))
            if not self._lock.acquire(blocking=False):
                continue  # in use right now
            try:
                if self._connection is None:
                    return
                idle = time.monotonic() - self._released_at
                if self._depth == 0 and (idle >= self.linger_seconds or self._waiter_present()):
                    super()._release()
                    return
            finally:
                self._lock.release()

    def _open(self) -> Any:
        import duckdb

        if self.linger_seconds > 0 and self._waiter_present():
            time.sleep(0.2)  # a lingering store lets the waiting process in first
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.02
        waited = False
        while True:
            try:
                connection = duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.Error as error:
                text = str(error)
                left = deadline - time.monotonic()
                if _is_lock_conflict(text):
                    if left > 0:
                        with contextlib.suppress(OSError):  # say that we wait
                            self._marker.touch()
                            waited = True
                        time.sleep(min(left, pause * random.uniform(0.5, 1.0)))
                        pause = min(pause * 2, 0.25)
                        continue
                    if waited:
                        with contextlib.suppress(OSError):
                            self._marker.unlink()
                    raise StoreBusy(
                        f"the results database {self.path} is in use by another process "
                        f"(waited {self.wait_seconds:g} s); try again when it is done, or "
                        "set CHIPSTRESS_DB_WAIT to wait longer",
                        "the results database is in use by another process; try again later",
                    ) from None
                if not self.read_only and _is_permission_problem(text) and self.path.exists():
                    self.read_only = True  # readable, not writable: list and read runs
                    continue
                raise StoreError(
                    f"cannot open the results database {self.path}: {text}",
                    "the results database cannot be opened",
                ) from None
            if waited:
                with contextlib.suppress(OSError):
                    self._marker.unlink()
            self.opens += 1
            return connection

    def _failure(self, error: Exception, doing: str) -> StoreError:
        text = str(error)
        if self.read_only or "read-only" in text or _is_permission_problem(text):
            return StoreReadOnly(
                f"the results database {self.path} is read-only: runs can be read but not "
                "stored (make the file and its folder writable, or pass another --db)",
                "the results database is read-only",
            )
        return super()._failure(error, doing)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        import duckdb

        with self.session() as db:
            try:
                db.execute(sql, list(params))
            except (duckdb.Error, OSError) as error:
                raise self._failure(error, "writing") from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        import duckdb

        with self.session() as db:
            try:
                return db.execute(sql, list(params)).df()
            except (duckdb.Error, OSError) as error:
                raise self._failure(error, "reading") from None

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        import duckdb

        with self.session() as db:
            db.register("_chipstress_frame", frame)
            try:
                columns = ", ".join(f'"{c}"' for c in frame.columns)
                db.execute(
                    f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM _chipstress_frame'
                )
            except (duckdb.Error, OSError) as error:
                raise self._failure(error, "writing") from None
            finally:
                with contextlib.suppress(Exception):  # (fails in an aborted transaction)
                    db.unregister("_chipstress_frame")


class PostgresBackend(Backend):
    """A PostgreSQL database reached by URL (``postgresql://user:pass@host/db``).

    Raises
    ------
    StoreError
        The server cannot be reached or refuses the connection.
    """

    name = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        super().__init__()
        self.location = _redact(url)
        self._url = url
        try:
            self._connection = psycopg.connect(url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(
                f"cannot connect to the results database {self.location}: {error}".strip(),
                "cannot connect to the results database",
            ) from None

    def _open(self) -> Any:  # after close(): connect again
        import psycopg

        try:
            return psycopg.connect(self._url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(
                f"cannot connect to the results database {self.location}: {error}".strip(),
                "cannot connect to the results database",
            ) from None

    def _failure(self, error: Exception, doing: str) -> StoreError:
        if type(error).__name__ == "ReadOnlySqlTransaction":
            return StoreReadOnly(
                f"the results database {self.location} is read-only: runs can be read but "
                "not stored",
                "the results database is read-only",
            )
        return super()._failure(error, doing)

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        import psycopg

        with self.session() as db:
            try:
                db.execute(self._sql(sql), list(params))
            except psycopg.Error as error:
                raise self._failure(error, "writing") from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        import psycopg

        with self.session() as db:
            try:
                cursor = db.execute(self._sql(sql), list(params))
            except psycopg.Error as error:
                raise self._failure(error, "reading") from None
            names = [d.name for d in cursor.description] if cursor.description else []
            return pd.DataFrame(cursor.fetchall(), columns=names)

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        import psycopg

        columns = ", ".join(f'"{c}"' for c in frame.columns)
        with self.session() as db:
            try:
                with (
                    db.cursor() as cursor,
                    cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy,
                ):
                    for row in frame.itertuples(index=False, name=None):
                        copy.write_row([_plain(v) for v in row])
            except psycopg.Error as error:
                raise self._failure(error, "writing") from None

    def lock_schema(self) -> None:
        """Take the store's transaction-scoped advisory lock (released at commit or
        rollback), so concurrent first runs do not create the same table twice."""
        self.execute("SELECT pg_advisory_xact_lock(?)", [_SCHEMA_LOCK])


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def connect(
    location: str | Path, wait_seconds: float | None = None, linger_seconds: float = 0.0
) -> Backend:
    """The backend for a DuckDB file path, or a ``postgresql://`` / ``postgres://`` URL.

    Parameters
    ----------
    location
        The file or URL.
    wait_seconds
        DuckDB only: how long to wait while another process holds the file (seconds;
        default :func:`wait_seconds_default`).
    linger_seconds
        DuckDB only: keep the file open this long after a call (seconds), see
        :class:`DuckDBBackend`.

    Returns
    -------
    Backend
        The opened backend.

    Raises
    ------
    InvalidInput
        A URL of another database.
    StoreError
        The database cannot be opened.
    """
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(text)
    if "://" in text:
        raise InvalidInput(
            f"{text}: the results database must be a file path or a postgresql:// URL"
        )
    return DuckDBBackend(Path(text), wait_seconds, linger_seconds)
