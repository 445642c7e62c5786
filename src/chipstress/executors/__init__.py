"""Executors: where the chunks of a sweep or simulation run.

Workflows split their work into chunks and hand them to an executor with a *setup*
function, run once per worker to build its state (e.g. compile the network and open a
solver), and a *task* function ``task(state, chunk) -> result``. The setup arguments
(the network) travel to each worker once, never once per chunk. A chunk whose task raises
comes back as a :class:`ChunkFailure`; the other chunks still run.

* :class:`InProcessExecutor` runs everything in this process;
* :class:`ProcessExecutor` runs chunks on local worker processes (default: every core);
* :class:`~chipstress.executors.ray.RayExecutor` runs them on a Ray cluster
  (``pip install chipstress[ray]``).
"""

from __future__ import annotations

from enum import StrEnum

from chipstress.errors import InvalidInput
from chipstress.executors.base import ChunkFailure, Executor
from chipstress.executors.local import InProcessExecutor, ProcessExecutor, default_workers

__all__ = [
    "EXECUTOR_KINDS",
    "ChunkFailure",
    "Executor",
    "ExecutorKind",
    "InProcessExecutor",
    "ProcessExecutor",
    "default_workers",
    "make_executor",
]


class ExecutorKind(StrEnum):
    """Where chunks run: ``local`` processes or a ``ray`` cluster (members are strings)."""

    LOCAL = "local"
    RAY = "ray"


EXECUTOR_KINDS: tuple[str, ...] = tuple(k.value for k in ExecutorKind)


def make_executor(
    workers: int | None = None,
    kind: ExecutorKind | str = ExecutorKind.LOCAL,
    ray_address: str | None = None,
) -> Executor:
    """An executor: ``local`` processes (1 worker = in this process; ``None``/0 = every
    core) or ``ray`` (``ray_address``: ``None`` for a private local instance, ``auto``, or
    ``ray://host:port``).

    Parameters
    ----------
    workers
        Worker processes or Ray actors (``None``/0: every core, or the cluster's CPUs).
    kind
        ``local`` or ``ray``.
    ray_address
        The Ray cluster (``ray`` only).

    Returns
    -------
    Executor
        :class:`InProcessExecutor`, :class:`ProcessExecutor` or
        :class:`~chipstress.executors.ray.RayExecutor`.

    Raises
    ------
    InvalidInput
        An unknown ``kind``, or Ray missing or unreachable.
    """
    if kind == ExecutorKind.RAY:
        from chipstress.executors.ray import RayExecutor

        return RayExecutor(ray_address, workers or None)
    if kind != ExecutorKind.LOCAL:
        raise InvalidInput(f"unknown executor {kind!r}; executors are {', '.join(EXECUTOR_KINDS)}")
    count = workers or default_workers()
    return InProcessExecutor() if count <= 1 else ProcessExecutor(count)
