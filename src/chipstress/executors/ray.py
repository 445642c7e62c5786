"""Running chunks on a Ray cluster (``pip install chipstress[ray]``).

The setup arguments go into Ray's object store once (``ray.put``); each worker is a Ray
actor that builds its state from them once and then runs chunk after chunk, so the
network is shipped once per worker, never once per chunk. Chunks are handed to the
first idle actor; results come back in chunk order.

When the driver (the chipstress process) dies, even by ``kill -9``: a private local
instance (``address=None``) goes with it, as Ray starts its own processes sharing the
driver's fate (on Linux with a parent-death signal, elsewhere through Ray's reaper
process) and the raylet's end stops its workers; on a cluster (``auto``,
``ray://...``) the actors are not detached, so Ray ends them once it sees the driver's
job gone. Neither case leaves chipstress workers behind.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from chipstress.errors import InvalidInput
from chipstress.executors.base import ChunkFailure, OnResult, Setup, Task, guarded

__all__ = ["RayExecutor"]


class _Worker:
    """One Ray actor: state built once, then chunks."""

    def __init__(self, setup: Setup, setup_args: tuple[Any, ...]) -> None:
        self.state = setup(*setup_args)

    def run(self, task: Task, chunk: Any, index: int) -> Any:
        return guarded(task, self.state, chunk, index)


class RayExecutor:
    """Runs chunks on Ray actors.

    Parameters
    ----------
    address
        ``None`` starts a private local Ray instance; ``"auto"`` joins the cluster this
        machine belongs to (``ray start --head``); ``"ray://host:10001"`` connects a client.
    workers
        Actors to start (default: the cluster's CPUs).
    """

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InvalidInput(
                "the Ray executor needs Ray: pip install 'chipstress[ray]'"
            ) from None
        self._ray = ray
        if not ray.is_initialized():
            os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                    ignore_reinit_error=True,
                )
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise InvalidInput(
                    f"cannot reach the Ray cluster at {address or 'a new local instance'}: {error}"
                ) from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = workers or max(1, cpus)

    def run(
        self,
        setup: Setup,
        setup_args: tuple[Any, ...],
        task: Task,
        chunks: Sequence[Any],
        on_result: OnResult | None = None,
    ) -> list[Any]:
        """Run the chunks on ``workers`` Ray actors, one chunk at a time each.

        Implements :meth:`chipstress.executors.base.Executor.run` (parameters and
        result as documented there).
        """
        ray = self._ray
        if not chunks:
            return []
        shared = ray.put(setup_args)
        actor = ray.remote(num_cpus=1)(_Worker)
        actors = [actor.remote(setup, shared) for _ in range(min(self.workers, len(chunks)))]
        results: list[Any] = [None] * len(chunks)
        queue = list(range(len(chunks)))
        running: dict[Any, tuple[int, Any]] = {}

        def submit(worker: Any) -> None:
            index = queue.pop(0)
            running[worker.run.remote(task, chunks[index], index)] = (index, worker)

        for worker in actors:
            if queue:
                submit(worker)
        try:
            while running:
                done, _ = ray.wait(list(running), num_returns=1)
                ref = done[0]
                index, worker = running.pop(ref)
                try:
                    results[index] = ray.get(ref)
                except ray.exceptions.RayError as error:  # the actor died
                    results[index] = ChunkFailure(index, f"Ray worker failed: {error}")
                    worker = actor.remote(setup, shared)
                if on_result is not None:
                    on_result(index, results[index])
                if queue:
                    submit(worker)
        finally:
            for worker in actors:
                ray.kill(worker)
        return results
