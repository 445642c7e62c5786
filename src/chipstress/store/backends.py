"""The two databases the results store runs on: DuckDB (embedded) and PostgreSQL.

Both are reached through one small interface — execute, query into a DataFrame,
bulk-insert a DataFrame, and a transaction — so the store's SQL is written once.
Placeholders are written ``?`` and rewritten for PostgreSQL.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput

__all__ = ["Backend", "DuckDBBackend", "PostgresBackend", "connect"]

# pandas dtype kind -> SQL column type (the same names work in both databases).
_SQL_TYPES = {"f": "DOUBLE PRECISION", "i": "BIGINT", "u": "BIGINT", "b": "BOOLEAN"}


def sql_type(series: pd.Series) -> str:
    """The SQL type a column is stored as."""
    kind = series.dtype.kind
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "TIMESTAMP"
    return _SQL_TYPES.get(kind, "TEXT")


class Backend:
    """What the store needs from a database (a DB-API-like connection in ``_db``)."""

    name = "backend"
    location = ""
    _db: Any

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        raise NotImplementedError

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        raise NotImplementedError

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
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


class DuckDBBackend(Backend):
    """An embedded DuckDB file (created on first use)."""

    name = "duckdb"

    def __init__(self, path: Path) -> None:
        import duckdb

        super().__init__()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.location = str(path)
        try:
            self._db = duckdb.connect(str(path))
        except duckdb.Error as error:
            raise InvalidInput(f"cannot open the results database {path}: {error}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._lock:
            self._db.execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self._lock:
            return self._db.execute(sql, list(params)).df()

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        with self._lock:
            self._db.register("_chipstress_frame", frame)
            try:
                columns = ", ".join(f'"{c}"' for c in frame.columns)
                self._db.execute(
                    f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM _chipstress_frame'
                )
            finally:
                self._db.unregister("_chipstress_frame")


class PostgresBackend(Backend):
    """A PostgreSQL database reached by URL (``postgresql://user:pass@host/db``)."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        super().__init__()
        self.location = _redact(url)
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except psycopg.Error as error:
            raise InvalidInput(
                f"cannot connect to the results database {self.location}: {error}".strip()
            ) from None

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._lock:
            self._db.execute(self._sql(sql), list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self._lock:
            cursor = self._db.execute(self._sql(sql), list(params))
            names = [d.name for d in cursor.description] if cursor.description else []
            return pd.DataFrame(cursor.fetchall(), columns=names)

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        with (
            self._lock,
            self._db.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy,
        ):
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([_plain(v) for v in row])


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


def connect(location: str | Path) -> Backend:
    """A DuckDB file path, or a ``postgresql://`` / ``postgres://`` URL."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(text)
    if "://" in text:
        raise InvalidInput(
            f"{text}: the results database must be a file path or a postgresql:// URL"
        )
    return DuckDBBackend(Path(text))
