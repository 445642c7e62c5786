"""The watcher: passes, the results store as its memory (DuckDB and PostgreSQL), restarts
that neither repeat nor miss alerts, failing sinks and sources, and a feed on a loopback
HTTP server read by the real intake."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from watch_alert_helpers import FAR_SEA, FakeReader, HttpLog, http_server, quake

from chipstress import load_builtin
from chipstress.model import Network
from chipstress.store import ResultsStore
from chipstress.store.watch import WatchStore
from chipstress.workflows.watch.alerts import Alert, FileSink, SinkError, Threshold, WebhookSink
from chipstress.workflows.watch.sightings import Intake, SourceError
from chipstress.workflows.watch.watcher import PassReport, Watcher, is_url


@pytest.fixture(scope="module")
def network() -> Network:
    return load_builtin("tri-cluster")


@pytest.fixture(params=["duckdb", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the watcher keeps its memory; PostgreSQL tables are emptied afterwards."""
    if request.param == "duckdb":
        yield str(tmp_path / "watch.duckdb")
        return
    url = request.getfixturevalue("postgres_schema_url")
    yield url
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for table in (
            "chipstress_watch_seen",
            "chipstress_watch_alerts",
            "chipstress_watch_deliveries",
        ):
            db.execute(f"DELETE FROM {table}")


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class Exploding:
    """A sink that fails as a crash would (not a SinkError): the pass stops mid-delivery."""

    name = "a-exploding"  # sorts before file sinks: delivered first

    def send(self, alert: Alert) -> None:
        raise RuntimeError("power cut")


def test_a_pass_alerts_once_and_a_restart_does_not_repeat(
    network: Network, location: str, tmp_path: Path
) -> None:
    out = tmp_path / "alerts.jsonl"
    reader = FakeReader([quake("q-1"), quake("sea", where=FAR_SEA)])
    with ResultsStore(location) as store:
        first = Watcher(["inbox/"], network, store, sinks=[FileSink(out)], read=reader).poll()
    assert (first.events, first.new_events, len(first.alerts), first.delivered) == (2, 2, 1, 1)
    assert [a["key"] for a in _lines(out)] == ["q-1"]
    stored = _lines(out)[0]
    assert stored["evidence"][0]["text"] == "A magnitude 6.8 earthquake struck Kaohsiung."
    assert stored["run_id"] and stored["loss"] > 0

    # A new process: new store object, new watcher, same database.
    with ResultsStore(location) as store:
        again = Watcher(["inbox/"], network, store, sinks=[FileSink(out)], read=reader)
        second = again.poll()
        assert (second.new_events, len(second.alerts), second.delivered) == (0, 0, 0)
        reader.events.append(quake("q-2", magnitude=6.2, text="Another quake hit Kaohsiung."))
        third = again.poll()
        assert [a.key for a in third.alerts] == ["q-2"] and third.delivered == 1
        run = store.run(stored["run_id"])
        assert run.kind == "scenario" and run.parameters["event_key"] == "q-1"
        total, alerts = WatchStore(store).alerts("tri-cluster")
    assert [a["key"] for a in _lines(out)] == ["q-1", "q-2"]
    assert total == 2 and [a["key"] for a in alerts] == ["q-2", "q-1"]
    assert alerts[0]["deliveries"] == [
        {"sink": f"file:{out}", "status": "sent", "attempts": 1, "message": None}
    ]


def test_a_crash_mid_delivery_is_delivered_after_restart(
    network: Network, location: str, tmp_path: Path
) -> None:
    out = tmp_path / "alerts.jsonl"
    reader = FakeReader([quake("q-crash")])
    with ResultsStore(location) as store:
        sinks: list[Any] = [Exploding(), FileSink(out)]
        with pytest.raises(RuntimeError):
            Watcher(["x"], network, store, sinks=sinks, read=reader).poll()
    assert _lines(out) == []  # the crash came before the file sink's turn
    with ResultsStore(location) as store:
        report = Watcher(["x"], network, store, sinks=[FileSink(out)], read=reader).poll()
    assert report.new_events == 0 and report.alerts == [] and report.delivered == 1
    assert [a["key"] for a in _lines(out)] == ["q-crash"]


def test_a_failed_webhook_is_retried_next_pass_and_sent_once(
    network: Network, tmp_path: Path
) -> None:
    log = HttpLog(post_statuses=[503])
    reader = FakeReader([quake("q-hook")])
    db = tmp_path / "w.duckdb"
    with http_server(log) as base:
        url = f"{base}/hook"
        with ResultsStore(db) as store:
            sink = WebhookSink(url, attempts=1)
            first = Watcher(["x"], network, store, sinks=[sink], read=reader).poll()
        assert first.delivered == 0 and len(first.failures) == 1
        assert "HTTP 503" in first.failures[0] and "\n" not in first.failures[0]
        with ResultsStore(db) as store:  # restarted
            watcher = Watcher(
                ["x"], network, store, sinks=[WebhookSink(url, attempts=1)], read=reader
            )
            second = watcher.poll()
            third = watcher.poll()
            deliveries = WatchStore(store).deliveries(first.alerts[0].alert_id)
    assert second.delivered == 1 and third.delivered == 0
    assert len(log.posts) == 2 and json.loads(log.posts[1][1])["key"] == "q-hook"
    assert [(d.status, d.attempts) for d in deliveries] == [("sent", 2)]


def test_an_event_whose_key_changed_is_not_alerted_again(network: Network, tmp_path: Path) -> None:
    from dataclasses import replace

    first = quake("earthquake:23,120:2026-12-07", text="Quake shakes Kaohsiung.", source="feed-a")
    reader = FakeReader([first])
    with ResultsStore(tmp_path / "k.duckdb") as store:
        watcher = Watcher(["x"], network, store, read=reader)
        assert len(watcher.poll().alerts) == 1
        # An earlier report arrives: the merged event now has the earlier day's key, and
        # holds both readings.
        earlier = quake(
            "earthquake:23,120:2026-12-06", text="Early report of a quake.", source="feed-b"
        )
        merged = replace(earlier, evidence=[*earlier.evidence, *first.evidence])
        reader.events = [merged]
        again = watcher.poll()
        assert (again.new_events, again.repeats, again.alerts) == (0, 1, [])
        # The same item reporting another disruption in another sentence is new.
        other = quake(
            "earthquake:33,131:2026-12-07",
            where=(32.88, 130.79),
            text="Quake in Kumamoto.",
            source="feed-a",
        )
        other = replace(
            other, evidence=[replace(other.evidence[0], item_id=first.evidence[0].item_id)]
        )
        reader.events = [merged, other]
        third = watcher.poll()
        assert (third.new_events, [a.key for a in third.alerts]) == (1, [other.key])


def test_threshold_and_unplaced_events(network: Network, tmp_path: Path) -> None:
    from watch_alert_helpers import water

    reader = FakeReader(
        [quake("small", magnitude=5.6), quake("big", magnitude=7.2), water("bad", "nowhere")]
    )
    with ResultsStore(tmp_path / "t.duckdb") as store:
        watcher = Watcher(["x"], network, store, read=reader, threshold=Threshold(min_loss=1.0))
        big = watcher.poll()
        losses = {c.key: c.loss for c in big.costed}
    assert losses["big"] > losses["small"] > 0
    assert [c.key for c in big.costed] == ["big", "small", "bad"]  # ranked by loss
    cutoff = (losses["big"] + losses["small"]) / 2
    reader2 = FakeReader([quake("small2", magnitude=5.6), quake("big2", magnitude=7.2)])
    with ResultsStore(tmp_path / "t2.duckdb") as store:
        only_big = Watcher(
            ["x"], network, store, read=reader2, threshold=Threshold(min_loss=cutoff)
        ).poll()
    assert [a.key for a in only_big.alerts] == ["big2"]
    assert next(c for c in big.costed if c.key == "bad").error is not None


def test_offline_skips_feed_urls(network: Network, tmp_path: Path) -> None:
    reader = FakeReader([])
    sources = ["https://example.invalid/feed.xml", str(tmp_path), "http://x.invalid/a"]
    with ResultsStore(tmp_path / "o.duckdb") as store:
        Watcher(sources, network, store, read=reader, offline=True).poll()
        Watcher(sources, network, store, read=reader).poll()
    assert reader.calls == [[str(tmp_path)], sources]
    assert is_url("HTTPS://a.b/c") and not is_url("feeds/http.txt")


def test_the_loop_survives_a_failing_pass(network: Network, tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky(sources: Any, net: Any, fetch: Any = None) -> Intake:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk on fire")
        return Intake(events=[quake("q-loop")], errors=[SourceError("feed-b", "HTTP 404")])

    reports: list[PassReport] = []
    errors: list[str] = []
    with ResultsStore(tmp_path / "l.duckdb") as store:
        watcher = Watcher(["x"], network, store, read=flaky)
        done = watcher.run(0.01, passes=2, on_pass=reports.append, on_error=errors.append)
    assert done == 2 and errors == []
    assert reports[0].source_errors == [SourceError("intake", "disk on fire")]
    assert [a.key for a in reports[1].alerts] == ["q-loop"]
    assert reports[1].source_errors == [SourceError("feed-b", "HTTP 404")]


def test_a_store_failure_is_reported_and_the_loop_goes_on(network: Network, tmp_path: Path) -> None:
    from chipstress.store.errors import StoreError

    errors: list[str] = []
    with ResultsStore(tmp_path / "s.duckdb") as store:
        watcher = Watcher(["x"], network, store, read=FakeReader([quake("q-s")]))
        original = watcher.watch_store.record
        state = {"n": 0}

        def failing(*args: Any) -> None:
            state["n"] += 1
            if state["n"] == 1:
                raise StoreError("database locked", "database locked")
            original(*args)

        watcher.watch_store.record = failing  # type: ignore[method-assign]
        reports: list[PassReport] = []
        watcher.run(0.01, passes=2, on_pass=reports.append, on_error=errors.append)
    assert errors == ["pass failed: database locked"]
    assert len(reports) == 1 and [a.key for a in reports[0].alerts] == ["q-s"]


def test_stop_ends_the_loop(network: Network, tmp_path: Path) -> None:
    stop = threading.Event()
    with ResultsStore(tmp_path / "st.duckdb") as store:
        watcher = Watcher(["x"], network, store, read=FakeReader([]))
        done = watcher.run(0.05, on_pass=lambda _: stop.set(), stop=stop)
    assert done == 1
    with pytest.raises(ValueError, match="interval"), ResultsStore(tmp_path / "st2.duckdb") as s2:
        Watcher(["x"], network, s2, read=FakeReader([])).run(0)


def test_sink_names_must_differ(network: Network, tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "n.duckdb") as store, pytest.raises(ValueError, match="same name"):
        Watcher(["x"], network, store, sinks=[FileSink(tmp_path / "a"), FileSink(tmp_path / "a")])
    assert issubclass(SinkError, Exception)


# ---------------------------------------------------------------------- the real intake
USGS_FEED = {
    "type": "FeatureCollection",
    "metadata": {"generated": 1796605200000, "title": "USGS Significant Earthquakes, Past Hour", "status": 200, "count": 1},
    "features": [
        {
            "type": "Feature",
            "id": "us7000test1",
            "properties": {
                "mag": 6.9, "place": "5 km NNE of Kaohsiung, Taiwan", "time": 1796605000000,
                "updated": 1796605100000, "url": "https://earthquake.usgs.gov/earthquakes/eventpage/us7000test1",
                "status": "reviewed", "tsunami": 0, "type": "earthquake",
                "title": "M 6.9 - 5 km NNE of Kaohsiung, Taiwan", "magType": "mww",
            },
            "geometry": {"type": "Point", "coordinates": [120.32, 22.68, 14.0]},
        }
    ],
}  # fmt: skip


def _second_feature() -> dict[str, Any]:
    feature = json.loads(json.dumps(USGS_FEED["features"][0]))
    feature["id"] = "us7000test2"
    feature["properties"].update(
        mag=6.6, place="Kikuyo, Kumamoto, Japan", title="M 6.6 - Kikuyo, Kumamoto, Japan",
        time=1796608000000, url="https://earthquake.usgs.gov/earthquakes/eventpage/us7000test2",
    )  # fmt: skip
    feature["geometry"]["coordinates"] = [130.78, 32.87, 10.0]
    return feature


def test_watcher_reads_a_feed_served_on_loopback(network: Network, tmp_path: Path) -> None:
    pytest.importorskip("chipstress.workflows.watch.intake")
    feed = dict(USGS_FEED)
    log = HttpLog(routes={"/feed.geojson": ("application/geo+json", json.dumps(feed).encode())})
    out = tmp_path / "alerts.jsonl"
    with http_server(log) as base, ResultsStore(tmp_path / "f.duckdb") as store:
        sources = [f"{base}/feed.geojson", f"{base}/missing.geojson"]
        watcher = Watcher(sources, network, store, sinks=[FileSink(out)])
        first = watcher.poll()
        assert len(first.alerts) == 1, first.to_dict()
        assert [e.source for e in first.source_errors] == [f"{base}/missing.geojson"]
        assert "\n" not in first.source_errors[0].message
        assert watcher.poll().alerts == []  # the same entry, read again
        feed["features"] = [*USGS_FEED["features"], _second_feature()]
        log.routes["/feed.geojson"] = ("application/geo+json", json.dumps(feed).encode())
        third = watcher.poll()
        assert len(third.alerts) == 1 and third.alerts[0].key != first.alerts[0].key
    sent = _lines(out)
    assert len(sent) == 2
    assert any("Kaohsiung" in e["text"] for e in sent[0]["evidence"])
    assert any("Kumamoto" in e["text"] or "Kikuyo" in e["text"] for e in sent[1]["evidence"])
    assert log.gets.count("/feed.geojson") == 3
