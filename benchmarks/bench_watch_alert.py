"""Benchmark: how soon a new feed entry that hits a site raises its alert.

Target (issue 15, docs/watch.md "Watching and alerts"): a new feed entry that hits a
site is alerted within one polling interval plus at most 5 s.

What it does: serves a USGS earthquake GeoJSON feed on a loopback HTTP server (a
``--background`` of quakes far from every site, as a real past-day feed mostly is), runs
the watcher on it (``Watcher.run`` with the real intake and HTTP fetch, a fresh DuckDB
results database, the tri-cluster network) with a webhook sink on a second loopback
server, and for each of ``--trials`` rounds adds one new entry near a site cluster
(Kaohsiung, Kikuyo, Phoenix, ...) at a random moment within the interval, then measures
the time from the entry's publication on the feed to the webhook receiving its alert.

Printed, per trial and summarised (seconds):

* ``latency`` — publication to delivered alert (what the target bounds: it includes the
  wait for the next pass, at most one interval);
* ``pass`` — the duration of the pass that found it (read, cost, store, deliver);
* ``baseline`` — the same work without the watcher: ``chipstress news``-style one-shot
  intake and costing of the feed with the entry (``read_sources`` + ``cost_events``);
  the floor a pass cannot beat.

Usage::

    .venv/bin/python benchmarks/bench_watch_alert.py
    .venv/bin/python benchmarks/bench_watch_alert.py --interval 5 --trials 6 --background 300
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from chipstress.interfaces.api.background import handler_serving

# Near the network's site clusters (lat, lon, place).
HITS = [
    (22.70, 120.31, "3 km N of Nanzih, Kaohsiung, Taiwan"),
    (32.88, 130.79, "2 km E of Kikuyo, Kumamoto, Japan"),
    (33.63, -112.15, "10 km N of Phoenix, Arizona"),
    (24.78, 121.00, "4 km E of Hsinchu, Taiwan"),
    (23.05, 120.27, "6 km N of Tainan, Taiwan"),
    (24.20, 120.62, "3 km W of Taichung, Taiwan"),
]
DAY_MS = 86_400_000
START_MS = 1_796_500_000_000


class Feed:
    """The served feed: a thread-safe list of GeoJSON features."""

    def __init__(self, background: int, seed: int) -> None:
        rng = random.Random(seed)
        self.lock = threading.Lock()
        self.features: list[dict[str, Any]] = []
        for n in range(background):  # mid-ocean quakes: no site within reach
            lat, lon = rng.uniform(-50, -30), rng.uniform(-150, -100)
            self.features.append(
                _feature(
                    f"bg{n}",
                    lat,
                    lon,
                    rng.uniform(2.5, 5.5),
                    START_MS - n * 60_000,
                    "South Pacific Ocean",
                )
            )

    def add(self, feature: dict[str, Any]) -> None:
        with self.lock:
            self.features.insert(0, feature)

    def body(self) -> bytes:
        with self.lock:
            doc = {
                "type": "FeatureCollection",
                "metadata": {
                    "generated": START_MS,
                    "title": "bench feed",
                    "status": 200,
                    "count": len(self.features),
                },
                "features": list(self.features),
            }
        return json.dumps(doc).encode()


def _feature(
    fid: str, lat: float, lon: float, mag: float, millis: int, place: str
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "properties": {
            "mag": round(mag, 1), "place": place, "time": millis, "updated": millis,
            "url": f"http://127.0.0.1/{fid}", "status": "reviewed", "type": "earthquake",
            "title": f"M {mag:.1f} - {place}",
        },
        "geometry": {"type": "Point", "coordinates": [lon, lat, 12.0]},
    }  # fmt: skip


def _server(handler: type[BaseHTTPRequestHandler]) -> contextlib.AbstractContextManager[str]:
    return handler_serving(handler)


def _feed_handler(feed: Feed) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            body = feed.body()
            self.send_response(200)
            self.send_header("Content-Type", "application/geo+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _hook_handler(arrivals: dict[str, float]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.monotonic()
            alert = json.loads(body)
            for evidence in alert.get("evidence", []):
                arrivals.setdefault(str(evidence.get("item_id")), now)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=5.0, help="polling interval (s)")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--background", type=int, default=200, help="far-away feed entries")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from chipstress import load_builtin
    from chipstress.store import ResultsStore
    from chipstress.workflows.watch.alerts import WebhookSink
    from chipstress.workflows.watch.costing import cost_events
    from chipstress.workflows.watch.watcher import PassReport, Watcher, read_sources

    network = load_builtin("tri-cluster")
    feed = Feed(args.background, args.seed)
    arrivals: dict[str, float] = {}
    passes: list[tuple[float, PassReport]] = []
    rng = random.Random(args.seed + 1)
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        _server(_feed_handler(feed)) as feed_url,
        _server(_hook_handler(arrivals)) as hook_url,
        ResultsStore(Path(tmp) / "bench.duckdb") as store,
    ):
        source = f"{feed_url}/all_day.geojson"
        watcher = Watcher([source], network, store, sinks=[WebhookSink(f"{hook_url}/hook")])
        stop = threading.Event()
        loop = threading.Thread(
            target=watcher.run,
            args=(args.interval,),
            kwargs={"stop": stop, "on_pass": lambda r: passes.append((time.monotonic(), r))},
            daemon=True,
        )
        started = time.monotonic()
        loop.start()
        while not passes:  # the first pass reads (and costs) the background
            time.sleep(0.05)
        print(f"first pass (background of {args.background} entries): {passes[0][1].seconds:.2f} s, "
              f"{passes[0][1].events} events, {len(passes[0][1].alerts)} alerts")  # fmt: skip
        for trial in range(args.trials):
            lat, lon, place = HITS[trial % len(HITS)]
            fid = f"hit{trial}"
            time.sleep(rng.uniform(0.0, args.interval))  # any moment of the interval
            published = time.monotonic()
            feed.add(_feature(fid, lat, lon, 6.8, START_MS + (trial + 1) * DAY_MS, place))
            deadline = published + args.interval + 60
            while fid not in arrivals and time.monotonic() < deadline:
                time.sleep(0.01)
            latency = arrivals.get(fid, float("inf")) - published

            def finder(fid: str = fid, published: float = published) -> list[PassReport]:
                return [
                    r
                    for t, r in list(passes)
                    if t >= published and any(fid in str(a.to_dict()["evidence"]) for a in r.alerts)
                ]

            settle = time.monotonic() + 10  # the pass reports after its deliveries
            while not (found := finder()) and time.monotonic() < settle:
                time.sleep(0.01)
            pass_seconds = found[0].seconds if found else float("nan")
            rows.append((trial, place, latency, pass_seconds))
            print(f"trial {trial}: {place}: latency {latency:.2f} s (pass {pass_seconds:.2f} s)")
        stop.set()
        loop.join(args.interval + 30)
        # Baseline: the one-shot work on the final feed, without the watcher loop.
        begun = time.perf_counter()
        read = read_sources([source], network)
        cost_events(read.events, network)
        baseline_all = time.perf_counter() - begun
        begun = time.perf_counter()
        one = [e for e in read.events if any(ev.item_id.startswith("hit") for ev in e.evidence)][:1]
        cost_events(one, network)
        baseline_one = time.perf_counter() - begun
    latencies = [r[2] for r in rows]
    bound = args.interval + 5.0
    print()
    print(f"interval {args.interval:g} s, {args.trials} trials, feed of {args.background} + new entries; "
          f"ran {time.monotonic() - started:.1f} s")  # fmt: skip
    print(f"{'':18}{'median':>10}{'max':>10}")
    print(
        f"{'latency (s)':18}{statistics.median(latencies):>10.2f}{max(latencies):>10.2f}   target <= {bound:.1f} (interval + 5 s)"
    )
    pass_times = [r[3] for r in rows]
    print(f"{'pass (s)':18}{statistics.median(pass_times):>10.2f}{max(pass_times):>10.2f}")
    print(
        f"baseline: one-shot intake + costing of the whole feed {baseline_all:.2f} s; costing one hit {baseline_one:.2f} s"
    )
    print("met" if max(latencies) <= bound else "NOT met")


if __name__ == "__main__":
    main()
