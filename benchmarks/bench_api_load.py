"""Benchmark: the API server's cheap reads under load, idle and while 20 sweep jobs run.

Targets (this project's 2-core machine, ``docs/security.md``): 200 concurrent GETs spread
over ``/api/health``, ``/api/networks``, ``/api/networks/{id}``, ``/api/networks/{id}/nodes``,
``/api/networks/{id}/nodes/{node}``, ``/api/runs`` and ``/api/jobs`` finish with p99 <= 300
ms on an idle server and <= 600 ms while 20 sweep jobs run, with no reset connection.
Before this work (issue 14) the same burst took p50 1.6–2.3 s, p99 2.3–2.7 s idle and p99
6.2–6.5 s with 20 jobs, and 2–4 of 200 connections were reset.

What it does: starts ``chipstress serve`` on a free loopback port in a subprocess (a fresh
results database in a temporary folder), warms the routes once, then prints for each
phase the request count, p50, p99 and max latency (ms), errors and resets:

* ``sequential``: the 200 GETs one at a time on one keep-alive connection (the baseline:
  what a request costs with no contention);
* ``idle``: 200 concurrent GETs (httpx async, keep-alive connections reused);

Each concurrent phase runs twice: with httpx (20 async clients of 10 keep-alive
connections each: one client with 200 pooled connections spends milliseconds per request
scanning its own pool) and with a minimal HTTP/1.1 client on asyncio streams (``raw``,
200 keep-alive connections). On a 2-core machine httpx needs about 2 ms of CPU per
request, four times what the server needs, so the httpx figures measure the client as
much as the server; the ``raw`` figures and the server's CPU time (printed for every
phase) show what the server does.
* ``20 jobs``: 20 sweep jobs are posted, then 200 concurrent GETs while they run.

Usage::

    .venv/bin/python benchmarks/bench_api_load.py
    .venv/bin/python benchmarks/bench_api_load.py --requests 400 --jobs 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any

import httpx

from chipstress.interfaces.api.background import chipstress_serving

NETWORK = "tri-cluster"
TARGETS_MS = {"idle": 300.0, "idle raw": 300.0, "20 jobs": 600.0, "20 jobs raw": 600.0}
RESETS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ConnectError)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server(workers: int = 2) -> contextlib.AbstractContextManager[tuple[str, int]]:
    """``chipstress serve`` on a free loopback port; yields its base URL and pid."""
    return chipstress_serving("--workers", str(workers))


def routes(url: str) -> list[str]:
    """The cheap reads, with a real node id."""
    nodes = httpx.get(f"{url}/api/networks/{NETWORK}/nodes", timeout=60).json()
    node = nodes[len(nodes) // 2]["id"]
    return [
        "/api/health",
        "/api/networks",
        f"/api/networks/{NETWORK}",
        f"/api/networks/{NETWORK}/nodes",
        f"/api/networks/{NETWORK}/nodes/{node}",
        "/api/runs",
        "/api/jobs",
    ]


class Tally:
    """Latencies (seconds), errors and resets of one phase."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.resets = 0

    def line(self, name: str) -> str:
        """One printed line: count, p50, p99, max (ms), errors, resets, target."""
        ordered = sorted(self.latencies) or [float("nan")]

        def quantile(q: float) -> float:
            return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        target = TARGETS_MS.get(name)
        verdict = ""
        if target is not None:
            ok = quantile(0.99) <= target and self.resets == 0 and self.errors == 0
            verdict = f"  target p99 <= {target:.0f} ms, 0 resets: {'met' if ok else 'MISSED'}"
        return (
            f"{name:>10}: {len(self.latencies):4d} requests  p50 {quantile(0.5):7.1f} ms  "
            f"p99 {quantile(0.99):7.1f} ms  max {1000 * ordered[-1]:7.1f} ms  "
            f"errors {self.errors}  resets {self.resets}{verdict}"
        )


async def _one(client: httpx.AsyncClient, path: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        response = await client.get(path)
        await response.aread()
    except RESETS:
        tally.resets += 1
        return
    except httpx.HTTPError:
        tally.errors += 1
        return
    tally.latencies.append(time.perf_counter() - started)
    if response.status_code != 200:
        tally.errors += 1


async def burst(clients: list[httpx.AsyncClient], paths: list[str], count: int) -> Tally:
    """``count`` concurrent GETs, cycling over ``paths`` and spread over ``clients``."""
    tally = Tally()
    await asyncio.gather(
        *(_one(clients[i % len(clients)], paths[i % len(paths)], tally) for i in range(count))
    )
    return tally


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: GET and read the body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> RawConnection:
        """A connection to ``host:port``."""
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def get(self, path: str) -> int:
        """GET ``path``; returns the status (the body is read and dropped)."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(lines[0].split()[1])

    def close(self) -> None:
        """Close the connection."""
        self.writer.close()


async def _raw_one(connection: RawConnection, path: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        status = await connection.get(path)
    except (ConnectionError, asyncio.IncompleteReadError):
        tally.resets += 1
        return
    tally.latencies.append(time.perf_counter() - started)
    if status != 200:
        tally.errors += 1


async def raw_burst(connections: list[RawConnection], paths: list[str]) -> Tally:
    """One concurrent GET per connection, cycling over ``paths``."""
    tally = Tally()
    await asyncio.gather(
        *(_raw_one(c, paths[i % len(paths)], tally) for i, c in enumerate(connections))
    )
    return tally


async def sequential(client: httpx.AsyncClient, paths: list[str], count: int) -> Tally:
    """``count`` GETs one after the other."""
    tally = Tally()
    for i in range(count):
        await _one(client, paths[i % len(paths)], tally)
    return tally


async def measure(url: str, pid: int, count: int, jobs: int) -> list[str]:
    """Every phase's printed line."""
    paths = routes(url)
    port = int(url.rsplit(":", 1)[1])
    raw = [await RawConnection.open("127.0.0.1", port) for _ in range(count)]
    await raw_burst(raw, paths)  # warm-up

    async def phase(name: str, run: Any) -> str:
        cpu = _cpu_seconds(pid)
        tally = await run
        return f"{tally.line(name)}  server CPU {1000 * (_cpu_seconds(pid) - cpu):.0f} ms"

    per_client = 10
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
    lines = []
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, limits=limits, timeout=60)
            )
            for _ in range(max(1, count // per_client))
        ]
        client = clients[0]
        await burst(clients, paths, count)  # warm-up: connections opened, networks loaded
        lines.append(await phase("sequential", sequential(client, paths, count)))
        lines.append(await phase("idle", burst(clients, paths, count)))
        lines.append(await phase("idle raw", raw_burst(raw, paths)))
        started = []
        for _ in range(jobs):
            response = await client.post("/api/jobs/sweep", json={"network": NETWORK})
            response.raise_for_status()
            started.append(response.json()["id"])
        await asyncio.sleep(0.5)  # the first jobs are computing
        name = "20 jobs" if jobs == 20 else f"{jobs} jobs"
        lines.append(await phase(name, burst(clients, paths, count)))
        lines.append(await phase(f"{name} raw", raw_burst(raw, paths)))
        running = [
            (await client.get(f"/api/jobs/{job}")).json()["status"] for job in started
        ].count("running")
        lines.append(f"{'':>10}  ({running} job(s) still running, the rest queued or done)")
        for job in started:  # do not leave the machine busy
            await client.delete(f"/api/jobs/{job}")
    for connection in raw:
        connection.close()
    return lines


def main() -> None:
    """Parse the arguments, run the phases, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="GETs per phase")
    parser.add_argument("--jobs", type=int, default=20, help="sweep jobs of the last phase")
    parser.add_argument("--workers", type=int, default=2, help="the server's job workers")
    args = parser.parse_args()
    with server(args.workers) as (url, pid):
        print(f"chipstress serve at {url} (workers {args.workers}), {args.requests} GETs/phase")
        for line in asyncio.run(measure(url, pid, args.requests, args.jobs)):
            print(line)
    print("before (issue 14): idle p50 1.6-2.3 s, p99 2.3-2.7 s; 20 jobs p99 6.2-6.5 s; 2-4 resets")


if __name__ == "__main__":
    main()
