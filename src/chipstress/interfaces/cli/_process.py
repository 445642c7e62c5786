"""How a ``chipstress`` process starts and ends.

A command is a short process: start-up (importing numpy, pandas, HiGHS and DuckDB, then
reading the network) is a third of ``chipstress sweep large.json``, and the interpreter's
teardown at exit (a last garbage collection, then freeing every module's objects one by
one) another 0.03-0.08 s. Neither does anything a command needs:

* :func:`begin_start_up` pauses the cyclic garbage collector and :func:`end_start_up`
  resumes it once the inputs are loaded, with every object alive then left out of its
  passes (:func:`gc.freeze`);
* :func:`exit_at_once` ends the process once the command is done and its output written,
  without the teardown.

Only :func:`chipstress.interfaces.cli.main` (the installed script) calls the first and the
last; the library, the API server and tests that invoke the typer app keep Python's
defaults.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading

__all__ = ["begin_start_up", "end_start_up", "exit_at_once"]

_start_up = {"collector_paused": False}


def begin_start_up() -> None:
    """Pause Python's cyclic garbage collector while a command starts up.

    Start-up allocates objects that live until the command ends. Collections among them
    free nothing, and each full one scans every object allocated so far: in ``chipstress
    sweep large.json`` they took about 0.1 s of a 1.2 s process, and the interpreter's
    last collection at exit another 0.05 s. :func:`end_start_up` resumes the collector.
    """
    if gc.isenabled():
        gc.disable()
        _start_up["collector_paused"] = True


def end_start_up() -> None:
    """Resume the collector paused by :func:`begin_start_up`, without the start-up's objects.

    Every object alive now moves out of the collector's passes (:func:`gc.freeze`), so
    later collections, the interpreter's last one at exit and those of forked worker
    processes scan only what is allocated from here on. The collector never frees a
    frozen object; these live until the command ends anyway. Called once the command's
    network is loaded (:func:`chipstress.interfaces.cli._common.load_network`), before a
    server starts serving and when a command ends. Does nothing unless
    :func:`begin_start_up` paused the collector.
    """
    if _start_up["collector_paused"]:
        _start_up["collector_paused"] = False
        gc.freeze()
        gc.enable()


def exit_at_once(code: object) -> None:
    """End the process with the status of ``SystemExit(code)``, skipping the teardown.

    Does what Python's own exit does that a command relies on, in the same order, then
    ends the process (:func:`os._exit`):

    1. the exit functions (:mod:`atexit`: e.g. ending a local Ray cluster, removing
       temporary folders, flushing log handlers), also those registered before the
       command started;
    2. flushing stdout and stderr.

    It skips freeing every module's objects one by one; files, databases and worker
    pools are closed by the commands themselves before they return. Returns without
    exiting, leaving it to Python, when that could differ from Python's own exit: while
    a thread that is not a daemon still runs (Python waits for it), for a ``code`` that is
    not a whole number or ``None`` (Python prints it), or when a stream cannot be
    flushed (a closed pipe: Python reports it and exits with status 120).

    Parameters
    ----------
    code
        The ``code`` of the command's ``SystemExit``: ``None`` or ``0`` for success, else
        the exit status.
    """
    if code is not None and not isinstance(code, int):
        return
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        return
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_functions is None:  # pragma: no cover - not CPython
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    run_exit_functions()  # each runs once: Python's exit would find none left
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(0 if code is None else int(code) & 0xFF)
