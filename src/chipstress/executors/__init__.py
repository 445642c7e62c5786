"""Executors: where the chunks of a sweep or simulation run.

Workflows split their work into chunks and hand them to an executor with a *setup*
function, run once per worker to build its state (e.g. compile the network and open
a solver), and a *task* function ``task(state, chunk) -> result``. The network travels
to each worker once, inside the setup arguments, never once per chunk.

* :class:`InProcessExecutor` runs everything in this process;
* :class:`ProcessExecutor` runs chunks on local worker processes.
"""

from chipstress.executors.local import (
    Executor,
    InProcessExecutor,
    ProcessExecutor,
    default_workers,
    make_executor,
)

__all__ = ["Executor", "InProcessExecutor", "ProcessExecutor", "default_workers", "make_executor"]
