"""Background jobs: a small pool of threads, each computing its jobs in a worker process.

A job is a function ``work(report)`` that returns an :class:`Outcome`; ``report(done,
message)`` sets its progress (0–1) and message, and raises :class:`Cancelled` once the
job has been cancelled, so long runs stop at their next progress report. Whatever the
function raises becomes the job's ``failed`` status and message; the server never sees
it. A finished job's run result (:class:`chipstress.results.RunResult`) is saved to the
results store (one transaction) and its run id recorded; when the store cannot take it,
the run is kept in a folder on the server (:func:`chipstress.store.save_or_keep`) and
the job's message says so: a computed result is never discarded.

A job given as an :class:`Isolated` recipe (a module-level ``make(entry, request)`` that
returns the work, with its arguments) is computed in the job thread's worker process
(:class:`chipstress.interfaces.api.isolation.Worker`): the server's threads only relay
its progress, so requests keep being answered at full speed while jobs run, and
cancelling kills the worker at once (the thread's next job gets a new one). A worker
lives from job to job, warm: a small job (an impact, an outage what-if) costs its
computation and two pipe messages, not a new process. Without a recipe the work runs on
the job thread.

Statuses: ``queued`` → ``running`` → ``succeeded`` | ``failed`` | ``cancelled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chipstress.errors import ChipstressError
from chipstress.interfaces.api.errors import ApiError, scrub
from chipstress.interfaces.api.isolation import IsolationError, NoWorkerProcess, Worker
from chipstress.interfaces.api.registry import Entry
from chipstress.model import Network
from chipstress.results import RunResult
from chipstress.store import SaveOutcome

__all__ = ["Cancelled", "Isolated", "Job", "JobManager", "Outcome", "Report"]

log = logging.getLogger("chipstress.api")

Report = Callable[[float, str], None]
FINISHED = ("succeeded", "failed", "cancelled")


class Cancelled(Exception):
    """Raised inside a job's progress report once the job is cancelled."""


@dataclass
class Outcome:
    """What a job produced: the JSON result, and the run result to store (None = nothing)."""

    result: dict[str, Any]
    run: RunResult | None = None


@dataclass(frozen=True)
class Isolated:
    """How to rebuild a job's work in a child process: ``make(*args)`` returns it.

    ``make`` must be a module-level function and ``args`` picklable (e.g. the network
    entry and the request model).
    """

    make: Callable[..., Callable[[Report], Outcome]]
    args: tuple[Any, ...]


@dataclass(frozen=True)
class _Held:
    """Names a network entry the worker process already holds (sent in full once)."""

    key: tuple[str, str]


# In a worker process: the network entries it was sent, by (id, fingerprint). Bounded by
# the worker's life: it is replaced once it holds too much memory (Worker.recycle_bytes).
_HELD: dict[tuple[str, str], Entry] = {}


def _held_key(value: Any) -> tuple[str, str] | None:
    if isinstance(value, Entry) and value.fingerprint:
        return (value.id, value.fingerprint)
    return None


def _run_made(
    report: Report,
    keep_run: bool,
    make: Callable[..., Callable[[Report], Outcome]],
    *args: Any,
) -> Outcome:
    """In the worker: build the work and run it; the run result only when it is stored.

    An entry arrives in full the first time, then as :class:`_Held`: the worker keeps
    the network it unpickled, with whatever its computations cached on it.
    """
    resolved = []
    for value in args:
        if isinstance(value, _Held):
            value = _HELD[value.key]
        elif (key := _held_key(value)) is not None:
            _HELD[key] = value
        resolved.append(value)
    outcome = make(*resolved)(report)
    return outcome if keep_run else Outcome(outcome.result, None)


@dataclass
class Job:
    """One background job and where it stands."""

    id: str
    kind: str
    network: str
    parameters: dict[str, Any]
    status: str = "queued"
    progress: float = 0.0
    message: str = "queued"
    error: str | None = None
    run_id: str | None = None
    created_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    wall_seconds: float | None = None
    result: dict[str, Any] | None = field(default=None, repr=False)
    cancel_requested: bool = False

    def status_dict(self) -> dict[str, Any]:
        """The job's state without its result."""
        return {
            "id": self.id,
            "kind": self.kind,
            "network": self.network,
            "parameters": self.parameters,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "error": self.error,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "wall_seconds": self.wall_seconds,
        }


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


# saver(network, parameters, run, wall_seconds) -> what became of the run (stored or kept)
Saver = Callable[[Network, Mapping[str, Any], RunResult, float], SaveOutcome]


class JobManager:
    """Runs jobs on ``workers`` daemon threads; keeps the last ``keep`` finished jobs.

    With ``processes`` (the default), jobs submitted with an :class:`Isolated` recipe
    are computed in worker processes, one per thread, kept warm between jobs.
    """

    def __init__(self, workers: int, saver: Saver, keep: int = 500, processes: bool = True) -> None:
        self.processes = processes
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[
            tuple[Job, Network, Callable[[Report], Outcome], bool, Isolated | None] | None
        ] = queue.Queue()
        self._saver = saver
        self._keep = keep
        # Requests waiting for a job to finish: job id -> (event loop, future) pairs.
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = {}
        self.workers = max(1, int(workers))
        # Each job thread's worker process (started by its first isolated job).
        self.worker_processes: list[Worker] = []
        self._threads = [
            threading.Thread(target=self._loop, name=f"chipstress-job-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()
        self._closed = False

    # ------------------------------------------------------------------ public
    def submit(
        self,
        kind: str,
        network_id: str,
        network: Network,
        parameters: dict[str, Any],
        work: Callable[[Report], Outcome],
        save: bool = True,
        isolated: Isolated | None = None,
    ) -> Job:
        """Queue a job; returns it at once (status ``queued``).

        Parameters
        ----------
        kind
            The operation (``sweep``, ``simulate``, ...; the stored run kind).
        network_id
            The id of the network in the registry.
        network
            The network itself.
        parameters
            The request's parameters, kept with the job (and the stored run).
        work
            Runs the job, reporting progress; returns its outcome.
        save
            Whether to store the result as a run.
        isolated
            The same work as a recipe for a child process (used when the manager
            runs jobs in processes; ``work`` otherwise).

        Returns
        -------
        Job
            The queued job.
        """
        job = Job(
            id=f"job-{secrets.token_hex(6)}",
            kind=kind,
            network=network_id,
            parameters=parameters,
            created_at=_now(),
        )
        with self._lock:
            self._jobs[job.id] = job
            self._trim()
        self._queue.put((job, network, work, save, isolated))
        return job

    def get(self, job_id: str) -> Job | None:
        """The job, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """Every job kept, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job now, or a running one at its next progress report."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status in FINISHED:
                return job
            job.cancel_requested = True
            if job.status == "queued":
                self._finish(job, "cancelled", "cancelled before it started")
        return job

    def wait(self, job_id: str, timeout: float = 30.0) -> Job | None:
        """Block until the job has finished (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.status in FINISHED:
                return job
            time.sleep(0.01)
        return self.get(job_id)

    async def finished(self, job: Job, timeout: float) -> None:
        """Return once ``job`` has finished, or after ``timeout`` seconds, holding no thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if job.status in FINISHED:
                return
            self._waiters.setdefault(job.id, []).append((loop, future))
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(future, timeout)
        finally:
            with self._lock:
                waiting = self._waiters.get(job.id, [])
                if (loop, future) in waiting:
                    waiting.remove((loop, future))
                if not waiting:
                    self._waiters.pop(job.id, None)

    def close(self) -> None:
        """Cancel every unfinished job and stop the threads (running jobs stop at their next report)."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                if job.status not in FINISHED:
                    job.cancel_requested = True
                    if job.status == "queued":
                        self._finish(job, "cancelled", "server shutting down")
        for _ in self._threads:
            self._queue.put(None)

    # ------------------------------------------------------------------ internals
    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status in FINISHED]
        for key in finished[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[key]

    def _finish(self, job: Job, status: str, message: str, error: str | None = None) -> None:
        """Mark ``job`` finished (the caller holds the lock) and wake whoever waits for it."""
        job.status = status
        job.message = scrub(message)
        job.error = None if error is None else scrub(error)
        job.finished_at = _now()
        for loop, future in self._waiters.pop(job.id, []):
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(_wake, future)

    def _loop(self) -> None:
        worker = Worker()
        with self._lock:
            self.worker_processes.append(worker)
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                self._run(*item, worker=worker)
        finally:
            worker.close()

    def _compute(
        self,
        job: Job,
        work: Callable[[Report], Outcome],
        isolated: Isolated | None,
        report: Report,
        worker: Worker | None,
        save: bool = True,
    ) -> Outcome:
        """The job's outcome, computed in the thread's worker process when it can be.

        Its run result comes back from the worker only when the run is to be saved.
        """
        if isolated is None or worker is None or not self.processes:
            return work(report)
        try:
            worker.start()
            args = []
            for value in isolated.args:
                key = _held_key(value)
                if key is not None and key in worker.kept:
                    value = _Held(key)
                elif key is not None:
                    worker.kept.add(key)  # cleared with the worker should this call fail
                args.append(value)
            outcome: Outcome = worker.run(
                _run_made,
                (save, isolated.make, *args),
                progress=report,
                stop=lambda: job.cancel_requested,
            )
        except InterruptedError:
            raise Cancelled() from None
        except NoWorkerProcess as error:
            log.warning("job %s runs on the server's thread: %s", job.id, error)
            return work(report)
        except IsolationError as error:
            raise ChipstressError(f"the job's worker process failed: {error}") from None
        return outcome

    def _save(
        self, job: Job, network: Network, run: RunResult, wall: float
    ) -> tuple[str | None, str]:
        """(stored run id or None, the job's final message).

        A computed result is never discarded: the saver keeps the run in a folder when
        the store cannot take it, and should even that fail, the job still succeeds with
        its result here and says it was not stored.
        """
        try:
            saved = self._saver(network, job.parameters, run, wall)
        except (ChipstressError, ApiError, OSError) as error:
            log.warning("job %s: run not saved: %s", job.id, error)
            detail = error.detail if isinstance(error, ApiError) else str(error)
            return None, f"done, but the run was not stored ({detail}); the result is kept here"
        if saved.stored:
            return saved.run_id, "done"
        log.warning("job %s: %s", job.id, saved.message)
        return None, f"done, but the run is not in the database: {saved.public_message}"

    def _run(
        self,
        job: Job,
        network: Network,
        work: Callable[[Report], Outcome],
        save: bool,
        isolated: Isolated | None = None,
        worker: Worker | None = None,
    ) -> None:
        with self._lock:
            if job.status != "queued":
                return
            job.status = "running"
            job.message = "started"
            job.started_at = _now()
        started = time.perf_counter()

        def report(done: float, message: str) -> None:
            if job.cancel_requested:
                raise Cancelled()
            with self._lock:
                job.progress = min(1.0, max(job.progress, float(done)))
                job.message = message

        try:
            outcome = self._compute(job, work, isolated, report, worker, save)
            wall = time.perf_counter() - started
            run_id, done = None, "done"
            if save and outcome.run is not None:
                report(1.0, "saving the run")
                run_id, done = self._save(job, network, outcome.run, wall)
            with self._lock:
                job.result = outcome.result
                job.run_id = run_id
                job.progress = 1.0
                job.wall_seconds = wall
                self._finish(job, "succeeded", done)
        except Cancelled:
            with self._lock:
                self._finish(job, "cancelled", "cancelled")
        except (ChipstressError, ApiError) as error:
            with self._lock:
                self._finish(job, "failed", "failed", str(error))
        except Exception as error:  # a job's crash is its own failure, never the server's
            log.exception("job %s (%s) failed", job.id, job.kind)
            with self._lock:
                self._finish(job, "failed", "failed", f"{type(error).__name__}: {error}")
        finally:
            if job.wall_seconds is None:
                job.wall_seconds = time.perf_counter() - started
