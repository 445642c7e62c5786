"""Benchmark: interactive calls through the API — impact, survive, one outage — warm.

Starts ``chipstress serve`` on a free loopback port (a fresh results database in a
temporary folder), warms each call once, then times ``--repeat`` rounds of each: the job
is posted (``save: false``) and its result asked for with ``wait`` (the server answers
as soon as the job is done). Printed per call: the best and median milliseconds from the
POST to the result, and beside it the same computation in this process (the workflows
the jobs run: :func:`chipstress.workflows.outage.impact`, ``survive`` and ``outage``),
so what the server adds shows. Target: <= 50 ms each, warm, on ``tri-cluster``, judged
on the median.

Baseline: ``--poll`` asks for the result every 2 ms instead of waiting, as the
benchmark did before ``wait`` existed.

Usage::

    .venv/bin/python benchmarks/bench_interactive.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx

from chipstress.interfaces.api.background import chipstress_serving

NETWORK = "tri-cluster"
TARGET_MS = 50.0


def calls(node: str, ttr: float) -> dict[str, tuple[str, dict[str, Any]]]:
    """The three calls: route and body."""
    return {
        "impact": (
            "/api/jobs/impact",
            {"network": NETWORK, "disruption": {node: 1.0}, "duration": ttr, "save": False},
        ),
        "survive": (
            "/api/jobs/survive",
            {"network": NETWORK, "disruption": {node: 1.0}, "save": False},
        ),
        "outage": (
            "/api/jobs/outage",
            {
                "network": NETWORK,
                "outages": [{"node": node, "fraction": 1.0, "duration": ttr}],
                "save": False,
            },
        ),
    }


def through_api(client: httpx.Client, route: str, body: dict[str, Any], poll: bool) -> float:
    """Seconds from posting the job to having its result (polled, or waited for)."""
    started = time.perf_counter()
    job = client.post(route, json=body).json()
    params = {} if poll else {"wait": 10}
    while True:
        answer = client.get(f"/api/jobs/{job['id']}/result", params=params)
        if answer.status_code == 200:
            return time.perf_counter() - started
        if answer.status_code != 409 or "failed" in answer.text:
            raise RuntimeError(f"{route}: {answer.status_code} {answer.text[:300]}")
        time.sleep(0.002)


def in_process(node: str, ttr: float) -> dict[str, Callable[[], object]]:
    """The same computations in this process."""
    from chipstress import load_builtin
    from chipstress.workflows.outage import impact, outage, survive

    network = load_builtin(NETWORK)
    return {
        "impact": lambda: impact(network, {node: 1.0}, ttr),
        "survive": lambda: survive(network, {node: 1.0}),
        "outage": lambda: outage(network, [(node, 1.0, ttr)]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed rounds per call")
    parser.add_argument(
        "--poll", action="store_true", help="poll the result every 2 ms instead of waiting"
    )
    args = parser.parse_args()
    with chipstress_serving() as (url, _pid), httpx.Client(base_url=url) as client:
        nodes = client.get(f"/api/networks/{NETWORK}/nodes", timeout=60).json()
        chosen = next(n for n in nodes if (n.get("ttr") or 0) > 0 and not n.get("demand"))
        node, ttr = chosen["id"], float(chosen["ttr"])
        local = in_process(node, ttr)
        print(f"{NETWORK}, node {node} down for {ttr:g} periods; {args.repeat} rounds")
        for name, (route, body) in calls(node, ttr).items():
            for _ in range(2):  # warm both job threads' workers
                through_api(client, route, body, args.poll)
            api = sorted(through_api(client, route, body, args.poll) for _ in range(args.repeat))
            local[name]()
            engine = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                local[name]()
                engine.append(time.perf_counter() - started)
            verdict = "met" if statistics.median(api) * 1000 <= TARGET_MS else "MISSED"
            print(
                f"{name:>8}: API best {1000 * api[0]:6.1f} ms  median "
                f"{1000 * statistics.median(api):6.1f} ms   in-process best "
                f"{1000 * min(engine):6.1f} ms  (target <= {TARGET_MS:.0f} ms: {verdict})"
            )


if __name__ == "__main__":
    main()
