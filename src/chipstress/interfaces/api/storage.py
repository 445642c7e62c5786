"""The server's results store: one connection, opened on first use, behind a lock.

DuckDB allows one writer per file, so the server keeps a single connection and
serialises every use of it; the same code runs on PostgreSQL (a ``postgresql://`` URL).

Listings of the store (``GET /api/runs``) are read once for a burst of requests and kept
for a second (:class:`ReadCache`), or until this server writes (:attr:`StoreAccess.version`),
so many clients polling the list cost one query, not one each.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

from fastapi.concurrency import run_in_threadpool

from chipstress.errors import ChipstressError
from chipstress.interfaces.api.errors import ApiError, scrub
from chipstress.model import Network
from chipstress.results import RunResult
from chipstress.store import (
    ResultsStore,
    SaveOutcome,
    default_location,
    public_message,
    save_or_keep,
)

__all__ = ["ReadCache", "StoreAccess"]


class StoreAccess:
    """Lazily opened, lock-protected :class:`ResultsStore` for ``location``."""

    def __init__(self, location: str | None) -> None:
        self.location = location or default_location()
        self._lock = threading.RLock()
        self._store: ResultsStore | None = None
        self.version = 0  # bumped by every write of this server (see touched)
        self.listings = ReadCache(ttl=1.0)

    @contextlib.contextmanager
    def use(self) -> Iterator[ResultsStore]:
        """The store, held for the duration of the block; 503 when it cannot be opened."""
        with self._lock:
            if self._store is None:
                try:
                    self._store = ResultsStore(self.location)
                except ChipstressError as error:
                    known = [(self.location, "the results database")]
                    message = scrub(public_message(error), known)
                    raise ApiError(503, f"results database unavailable: {message}") from None
            yield self._store

    def save(
        self,
        network: Network,
        parameters: Mapping[str, Any],
        run: RunResult,
        wall_seconds: float,
    ) -> SaveOutcome:
        """Store a finished job's run in one transaction, or keep it if the store cannot.

        The store waits for a busy database (see :mod:`chipstress.store.backends`); when
        it still cannot take the run, the run is kept in a folder on the server
        (:func:`chipstress.store.save_or_keep`), never discarded.

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
        SaveOutcome
            The run id, whether it was stored or kept, and a message without paths
            (``public_message``) for API callers.

        Raises
        ------
        OSError
            The run could neither be stored nor kept.
        """
        with self._lock:
            if self._store is None:
                with contextlib.suppress(ChipstressError):
                    self._store = ResultsStore(self.location)
            target: ResultsStore | str = self._store if self._store is not None else self.location
            outcome = save_or_keep(target, run, network, parameters, wall_seconds)
        if outcome.stored:
            self.touched()
        return outcome

    def touched(self) -> None:
        """Note that this server wrote to the store (cached listings are stale)."""
        with self._lock:
            self.version += 1

    def describe(self) -> str:
        """Where runs are stored (passwords redacted once opened); never waits for the lock."""
        store = self._store  # read without the lock: a save in progress must not delay it
        if store is not None:
            return store.location
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


class ReadCache:
    """Answers of store reads, kept ``ttl`` seconds or until the store's version changes.

    Concurrent misses of one key share a single computation, run on a worker thread.
    Used on the event loop only (no lock needed).
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._entries: dict[Hashable, tuple[int, float, bytes]] = {}
        self._pending: dict[Hashable, asyncio.Future[bytes]] = {}

    async def get(self, key: Hashable, version: int, build: Callable[[], bytes]) -> bytes:
        """The cached answer for ``key``, or ``build()`` run once for every waiter.

        Parameters
        ----------
        key
            What is read (e.g. the listing's filters).
        version
            The store's version now (:attr:`StoreAccess.version`).
        build
            Reads the store and renders the answer (runs on a worker thread).

        Returns
        -------
        bytes
            The rendered answer.

        Raises
        ------
        Exception
            Whatever ``build`` raised (every waiter gets it; nothing is cached).
        """
        hit = self._entries.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] == version and now - hit[1] < self.ttl:
            return hit[2]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(run_in_threadpool(build))
            self._pending[key] = pending

            def done(future: asyncio.Future[bytes]) -> None:
                self._pending.pop(key, None)
                if not future.cancelled() and future.exception() is None:
                    self._entries[key] = (version, now, future.result())

            pending.add_done_callback(done)
        return await asyncio.shield(pending)
