"""The server's results store: one connection, opened on first use, behind a lock.

DuckDB allows one writer per file, so the server keeps a single connection and
serialises every use of it; the same code runs on PostgreSQL (a ``postgresql://`` URL).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from chipstress.errors import ChipstressError
from chipstress.interfaces.api.errors import ApiError
from chipstress.model import Network
from chipstress.results import RunResult
from chipstress.store import ResultsStore, default_location

__all__ = ["StoreAccess"]


class StoreAccess:
    """Lazily opened, lock-protected :class:`ResultsStore` for ``location``."""

    def __init__(self, location: str | None) -> None:
        self.location = location or default_location()
        self._lock = threading.RLock()
        self._store: ResultsStore | None = None

    @contextlib.contextmanager
    def use(self) -> Iterator[ResultsStore]:
        """The store, held for the duration of the block; 503 when it cannot be opened."""
        with self._lock:
            if self._store is None:
                try:
                    self._store = ResultsStore(self.location)
                except ChipstressError as error:
                    raise ApiError(503, f"results database unavailable: {error}") from None
            yield self._store

    def save(
        self,
        network: Network,
        parameters: Mapping[str, Any],
        run: RunResult,
        wall_seconds: float,
    ) -> str:
        """Store a finished job's run in one transaction; returns the run id.

        Parameters
        ----------
        network
            The network the job ran on.
        parameters
            The job's request (how to run it again).
        run
            The job's run result.
        wall_seconds
            How long the job ran (seconds).

        Returns
        -------
        str
            The new run's id.
        """
        with self.use() as store:
            return store.save_result(run, network, parameters, wall_seconds)

    def describe(self) -> str:
        """Where runs are stored (passwords redacted once opened)."""
        with self._lock:
            if self._store is not None:
                return self._store.location
        if "://" in self.location and "@" in self.location:
            scheme, rest = self.location.split("://", 1)
            return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
        return self.location

    def close(self) -> None:
        """Close the connection, if open."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
