"""Run an HTTP server in a subprocess, for scripts and load tests that talk to a real one.

:func:`running_server` starts a command (``chipstress serve ...``, or a script that runs
:func:`chipstress.interfaces.api.create_app` under uvicorn) in its own session, waits
until ``/api/health`` answers on loopback, and stops it — and anything it started, such
as its fork server and job children — when the block ends. Only loopback is used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = [
    "chipstress_command",
    "chipstress_serving",
    "free_port",
    "handler_serving",
    "running_server",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now.

    Returns
    -------
    int
        The port number.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chipstress_command() -> list[str]:
    """How to run this installation's ``chipstress`` (its console script, else ``-m``).

    Returns
    -------
    list of str
        The command's first words.
    """
    script = Path(sys.executable).with_name("chipstress")
    return [str(script)] if script.exists() else [sys.executable, "-m", "chipstress"]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_server(
    command: Sequence[str],
    port: int,
    cwd: str | Path | None = None,
    start_seconds: float = 60.0,
) -> Iterator[tuple[str, int]]:
    """Run a server command; yield its base URL and pid once ``/api/health`` answers.

    Parameters
    ----------
    command
        The command, serving on ``127.0.0.1:port``.
    port
        Its port (e.g. from :func:`free_port`).
    cwd
        Its working folder (default: this process's).
    start_seconds
        How long it may take to answer (seconds).

    Yields
    ------
    tuple of str and int
        ``http://127.0.0.1:PORT`` and the server's process id.

    Raises
    ------
    RuntimeError
        The server exited, or did not answer within ``start_seconds``.
    """
    process = subprocess.Popen(list(command), cwd=cwd, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"the server exited (code {process.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {start_seconds:g} s")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()  # the server stops its jobs and its fork server
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything left in its session


@contextmanager
def chipstress_serving(
    *options: str, folder: str | Path | None = None
) -> Iterator[tuple[str, int]]:
    """``chipstress serve`` on a free loopback port with its own results database.

    Parameters
    ----------
    *options
        More ``serve`` options (``--workers 2``, ``--token T``, ...).
    folder
        Where its database (``results.duckdb``) and working folder are; default: a
        temporary folder, removed afterwards.

    Yields
    ------
    tuple of str and int
        ``http://127.0.0.1:PORT`` and the server's process id.
    """
    with contextlib.ExitStack() as stack:
        where = (
            Path(folder)
            if folder is not None
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chipstress-serve-")))
        )
        port = free_port()
        command = [*chipstress_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--db", str(where / "results.duckdb"), *options]
        yield stack.enter_context(running_server(command, port, where))


@contextmanager
def handler_serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A standard-library HTTP server with ``handler`` on a free loopback port, in a thread.

    For tests and benchmarks that need a feed, a webhook or any small HTTP peer.

    Parameters
    ----------
    handler
        The request handler class.

    Yields
    ------
    str
        ``http://127.0.0.1:PORT``.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
