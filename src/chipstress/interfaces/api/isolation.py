"""Work the server runs in a child process: parsing uploads and computing jobs.

The server's process answers requests; anything that may take long, hold the GIL or
need a lot of memory runs in a child made by a fork server (a clean, single-threaded
process that has already imported chipstress, so a child starts in milliseconds):

* the event loop and the request threads only wait on a pipe, so ``/api/health`` and
  the cheap reads keep answering while an upload is parsed or 20 jobs run;
* a child may be given a time budget (killed when it runs out) and a memory budget: the
  parent kills it when its resident memory grows past the budget (checked every
  50 ms), and a cap on its data segment (``RLIMIT_DATA``: the budget plus
  :data:`ALLOCATOR_SLACK` for the address space allocators reserve without using it)
  stops a runaway allocation between two checks with ``MemoryError``;
* whatever a child allocated goes back to the system when it exits, so a large or
  hostile upload leaves the server's memory as it found it;
* a child dies with the fork server, which dies with the server (even after
  ``kill -9``: the child asks for ``SIGKILL`` when its parent goes).

:func:`run_isolated` runs one function this way and returns its result or re-raises
its exception in the caller. See ``docs/security.md``.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

__all__ = [
    "IsolationError",
    "NoWorkerProcess",
    "OutOfMemory",
    "OutOfTime",
    "Worker",
    "preload",
    "run_isolated",
]

# Modules the fork server imports once, so each child starts without importing them;
# ``warmup`` also runs each interactive computation once (data files read, lazy imports
# done), so a child's first job runs as fast as its later ones.
PRELOAD = [
    "chipstress.interfaces.api.tasks",
    "chipstress.model",
    "chipstress.interfaces.api.warmup",
]
# A long-lived worker is replaced after a job that left it holding this many bytes more
# resident memory than when it started, so a large job's memory goes back to the system.
RECYCLE_BYTES = 512 * 2**20
_PR_SET_PDEATHSIG = 1
# Address space the allocators reserve beyond what they use (glibc arenas per thread,
# Arrow's pools): counted by RLIMIT_DATA, not resident. Without it a small upload could
# fail once pandas' Arrow-backed strings start their thread pools.
ALLOCATOR_SLACK = 2 * 2**30
_POLL_SECONDS = 0.05
_lock = threading.Lock()
_context: Any = None


class IsolationError(Exception):
    """A child process ended without a result (crashed, killed, or sent nothing readable)."""


class NoWorkerProcess(IsolationError):
    """No child process could be started (e.g. the main module cannot be re-imported)."""


class OutOfTime(IsolationError):
    """A child ran past its time budget and was killed."""


class OutOfMemory(IsolationError):
    """A child needed more memory than its budget."""


def preload() -> Any:
    """The fork-server context, started on first use with :data:`PRELOAD` imported.

    Returns
    -------
    multiprocessing.context.BaseContext
        The ``forkserver`` context (``fork`` where there is no fork server).
    """
    global _context
    with _lock:
        if _context is None:
            methods = multiprocessing.get_all_start_methods()
            context: Any
            if "forkserver" in methods:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
            else:  # pragma: no cover - not on Linux or macOS
                context = multiprocessing.get_context("spawn")
            _context = context
        return _context


def _die_with_parent() -> None:
    """Ask Linux for SIGKILL when the parent (the fork server) exits."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _limit_memory(extra_bytes: int | None) -> None:
    """Cap the process's data (heap and private mappings) at its size now plus ``extra_bytes``.

    Arrow's own allocator reserves large regions up front, which such a cap refuses:
    the child switches Arrow to the system allocator first.
    """
    if extra_bytes is None:
        return
    try:
        import pyarrow

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    size = 0
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                size = int(line.split()[1]) * 1024
    if size:
        limit = size + int(extra_bytes) + ALLOCATOR_SLACK
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _call(
    conn: Connection, func: Callable[..., Any], args: tuple[Any, ...], with_progress: bool
) -> bytes:
    """Run ``func`` and pickle its outcome as the message the parent reads."""

    def report(done: float, message: str) -> None:
        conn.send(("progress", (float(done), str(message))))

    try:
        result = func(report, *args) if with_progress else func(*args)
        message: tuple[str, Any] = ("ok", result)
    except MemoryError:
        message = ("memory", None)
    except BaseException as error:  # every failure goes to the parent
        message = ("raise", error)
    try:
        return pickle.dumps(message)
    except MemoryError:
        return pickle.dumps(("memory", None))
    except Exception as error:
        kind, value = message
        text = f"{type(value).__name__}: {value}" if kind == "raise" else repr(error)
        return pickle.dumps(("crash", f"cannot send the result back ({text})"))


def _child(
    conn: Connection,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    memory_bytes: int | None,
    with_progress: bool,
) -> None:
    _die_with_parent()
    _limit_memory(memory_bytes)
    conn.send_bytes(_call(conn, func, args, with_progress))
    conn.close()
    os._exit(0)


def _serve(conn: Connection) -> None:
    """A long-lived worker's loop: read ``(func, args, with_progress)``, answer, repeat."""
    _die_with_parent()
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        try:
            func, args, with_progress = pickle.loads(request)
        except Exception as error:
            text = f"cannot read the work sent ({type(error).__name__}: {error})"
            conn.send_bytes(pickle.dumps(("crash", text)))
            continue
        conn.send_bytes(_call(conn, func, args, with_progress))


def run_isolated(
    func: Callable[..., Any],
    args: tuple[Any, ...] = (),
    *,
    timeout: float | None = None,
    memory_bytes: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Any:
    """Run ``func(*args)`` in a child process and return its result.

    Parameters
    ----------
    func
        A module-level function (sent to the child by reference); with ``progress``
        it is called as ``func(report, *args)``, ``report(done, message)`` relaying
        progress (0–1) to ``progress`` in this process.
    args
        Its arguments (pickled: keep them small and immutable).
    timeout
        Seconds the child may run (``None``: no limit).
    memory_bytes
        Bytes of resident memory the child may add to what it starts with (``None``: no
        limit): past it the child is killed (checked every 50 ms), and its data segment
        is capped at that plus :data:`ALLOCATOR_SLACK` (allocations past the cap fail
        with ``MemoryError``). Either way :class:`OutOfMemory` is raised here.
    progress
        Receives the child's progress reports.
    stop
        Polled about five times a second; when it returns True the child is killed
        and ``InterruptedError`` raised.

    Returns
    -------
    Any
        What ``func`` returned.

    Raises
    ------
    OutOfTime
        The child ran longer than ``timeout`` seconds (it was killed).
    OutOfMemory
        The child ran out of its memory budget.
    NoWorkerProcess
        No child process could be started (callers may then run ``func`` themselves).
    IsolationError
        The child died without an answer, or its result could not be sent back.
    InterruptedError
        ``stop()`` returned True.
    Exception
        Whatever ``func`` raised, re-raised here.
    """
    context = preload()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(sending, func, args, memory_bytes, progress is not None),
        daemon=True,
        name="chipstress-child",
    )
    try:
        process.start()
    except (OSError, RuntimeError, EOFError) as error:
        sending.close()
        receiving.close()
        raise NoWorkerProcess(f"cannot start a worker process ({error})") from None
    sending.close()
    deadline = None if timeout is None else time.monotonic() + timeout
    watch = _MemoryWatch(process.pid, memory_bytes)
    try:
        kind, value = _answer(receiving, process, timeout, deadline, progress, stop, watch)
    finally:
        receiving.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    return _result(kind, value)


def _result(kind: str, value: Any) -> Any:
    """What a child's final message means here: its value, or its exception raised."""
    if kind == "ok":
        return value
    if kind == "memory":
        raise OutOfMemory("needed more memory than allowed")
    if kind == "raise":
        raise value
    raise IsolationError(str(value))


class Worker:
    """A long-lived child process that computes one call at a time, warm between calls.

    Made by the fork server (so it starts with chipstress imported and warmed up), it
    keeps what its calls cached — a network's compiled programs, data files read — for
    the next call, so a small job costs its computation and two pipe messages rather
    than a new process. Used by one thread at a time (each job thread owns one).

    The child is killed and replaced (on the next call) when a call is stopped, when it
    dies or its answer cannot be read, and after a call that left it holding more than
    :data:`RECYCLE_BYTES` of resident memory beyond where it started: a large job's
    memory goes back to the system, as with :func:`run_isolated`.
    """

    def __init__(self, recycle_bytes: int = RECYCLE_BYTES) -> None:
        self.recycle_bytes = recycle_bytes
        # Keys of what the child keeps between calls (the caller's bookkeeping; cleared
        # whenever the child is replaced).
        self.kept: set[Any] = set()
        self._process: Any = None
        self._conn: Connection | None = None
        self._watch: _MemoryWatch | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (``None`` before the first call or after a kill)."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the child now unless it is running (a new child holds nothing: ``kept``
        is cleared)."""
        if self._process is None or not self._process.is_alive() or self._conn is None:
            self.close()
            self._start()

    def _start(self) -> tuple[Any, Connection]:
        context = preload()
        here, there = context.Pipe(duplex=True)
        process = context.Process(
            target=_serve, args=(there,), daemon=True, name="chipstress-worker"
        )
        try:
            process.start()
        except (OSError, RuntimeError, EOFError) as error:
            here.close()
            there.close()
            raise NoWorkerProcess(f"cannot start a worker process ({error})") from None
        there.close()
        self._process, self._conn = process, here
        self._watch = _MemoryWatch(process.pid, self.recycle_bytes)
        self._watch.over()  # its resident memory at the start: the base for recycling
        return process, here

    def run(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...] = (),
        *,
        progress: Callable[[float, str], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Any:
        """``func(*args)`` computed in the worker (``func(report, *args)`` with ``progress``).

        Parameters
        ----------
        func
            A module-level function (sent by reference).
        args
            Its arguments (pickled).
        progress
            Receives the worker's progress reports (0–1, message).
        stop
            Polled about five times a second; True kills the worker.

        Returns
        -------
        Any
            What ``func`` returned.

        Raises
        ------
        InterruptedError
            ``stop()`` returned True (the worker was killed).
        IsolationError
            The worker died or its answer could not be read (it is replaced next call).
        NoWorkerProcess
            No worker could be started.
        Exception
            Whatever ``func`` raised (the worker lives on).
        """
        payload = pickle.dumps((func, args, progress is not None))
        self.start()
        process, conn = self._process, self._conn
        assert conn is not None
        try:
            conn.send_bytes(payload)
        except OSError:
            self.close()
            raise IsolationError(
                f"the worker process died (exit code {_exit_code(process)})"
            ) from None
        try:
            kind, value = _answer(conn, process, None, None, progress, stop)
        except BaseException:  # stopped, died, or this thread interrupted: a new one next
            self.close()
            raise
        if kind in ("crash", "memory") or (self._watch is not None and self._watch.over()):
            self.close()
        return _result(kind, value)

    def close(self) -> None:
        """Stop the child (the next call starts a new one)."""
        process, conn = self._process, self._conn
        self._process = self._conn = self._watch = None
        self.kept.clear()
        if conn is not None:
            conn.close()
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join(5)


class _MemoryWatch:
    """A child's resident memory against its budget (``None``: no budget).

    The budget counts from the child's first reading, so the modules it inherited from
    the fork server are not charged to it.
    """

    def __init__(self, pid: int | None, budget: int | None) -> None:
        self.path = f"/proc/{pid}/status"
        self.budget = budget
        self.start: int | None = None

    def _resident(self) -> int | None:
        with contextlib.suppress(OSError, ValueError), open(self.path) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return None

    def over(self) -> bool:
        """Whether the child now holds more than its budget beyond where it started."""
        if self.budget is None:
            return False
        resident = self._resident()
        if resident is None:
            return False
        if self.start is None:
            self.start = resident
        return resident - self.start > self.budget


def _answer(
    receiving: Connection,
    process: Any,
    timeout: float | None,
    deadline: float | None,
    progress: Callable[[float, str], None] | None,
    stop: Callable[[], bool] | None,
    watch: _MemoryWatch | None = None,
) -> tuple[str, Any]:
    """The child's final message, relaying its progress reports until then."""
    while True:
        if watch is not None and watch.over():
            return "memory", None
        limit = _POLL_SECONDS if watch is not None and watch.budget is not None else 0.2
        wait = limit if deadline is None else min(limit, max(0.0, deadline - time.monotonic()))
        if receiving.poll(wait):
            try:
                kind, value = pickle.loads(receiving.recv_bytes())
            except (EOFError, OSError):
                raise IsolationError(
                    f"the worker process died (exit code {_exit_code(process)})"
                ) from None
            if kind != "progress":
                return kind, value
            if progress is not None:
                progress(*value)
            continue
        if stop is not None and stop():
            raise InterruptedError("stopped")
        if deadline is not None and time.monotonic() >= deadline:
            raise OutOfTime(f"ran longer than {timeout:g} s")
        if not process.is_alive() and not receiving.poll(0):
            raise IsolationError(f"the worker process died (exit code {_exit_code(process)})")


def _exit_code(process: Any) -> str:
    process.join(1)
    code = process.exitcode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-code).name
    return str(code)
