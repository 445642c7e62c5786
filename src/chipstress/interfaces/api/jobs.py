"""Background jobs: a small pool of threads, each job with its own solver instances.

A job is a function ``work(report)`` that returns an :class:`Outcome`; ``report(done,
message)`` sets its progress (0–1) and message, and raises :class:`Cancelled` once the
job has been cancelled, so long runs stop at their next progress report. Whatever the
function raises becomes the job's ``failed`` status and message; the server never sees
it. A finished job's run result (:class:`chipstress.results.RunResult`) is saved to the
results store (one transaction) and its run id recorded.

Statuses: ``queued`` → ``running`` → ``succeeded`` | ``failed`` | ``cancelled``.
"""

from __future__ import annotations

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
from chipstress.interfaces.api.errors import ApiError
from chipstress.model import Network
from chipstress.results import RunResult

__all__ = ["Cancelled", "Job", "JobManager", "Outcome", "Report"]

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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


# saver(network, parameters, run, wall_seconds) -> run id
Saver = Callable[[Network, Mapping[str, Any], RunResult, float], str]


class JobManager:
    """Runs jobs on ``workers`` daemon threads; keeps the last ``keep`` finished jobs."""

    def __init__(self, workers: int, saver: Saver, keep: int = 500) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[tuple[Job, Network, Callable[[Report], Outcome], bool] | None] = (
            queue.Queue()
        )
        self._saver = saver
        self._keep = keep
        self.workers = max(1, int(workers))
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
        self._queue.put((job, network, work, save))
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
        job.status = status
        job.message = message
        job.error = error
        job.finished_at = _now()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._run(*item)

    def _run(
        self, job: Job, network: Network, work: Callable[[Report], Outcome], save: bool
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
            outcome = work(report)
            wall = time.perf_counter() - started
            run_id = None
            if save and outcome.run is not None:
                report(1.0, "saving the run")
                run_id = self._saver(network, job.parameters, outcome.run, wall)
            with self._lock:
                job.result = outcome.result
                job.run_id = run_id
                job.progress = 1.0
                job.wall_seconds = wall
                self._finish(job, "succeeded", "done")
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
