"""intake(): sources, errors, fetching, since, and the deduplication properties."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from chipstress.interfaces.api.background import handler_serving
from chipstress.model.builtin import load_builtin
from chipstress.model.network import Network
from chipstress.workflows.hazards.events import Duration, Earthquake, PowerOutage, WaterRestriction
from chipstress.workflows.watch import intake, merge
from chipstress.workflows.watch.classify import Reader
from chipstress.workflows.watch.dedupe import dedupe, event_key, same_disruption
from chipstress.workflows.watch.intake import MAX_BYTES, http_fetch
from chipstress.workflows.watch.sightings import Evidence, Sighting, WatchEvent

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "watch"
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def network() -> Network:
    return load_builtin()


@pytest.fixture(scope="module")
def reader(network: Network) -> Reader:
    return Reader(network)


def _keys(result: object) -> list[str]:
    return sorted(e.key for e in result.events)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- sources
def test_usgs_and_english_text_first_working_form(
    tmp_path: Path, network: Network, reader: Reader
) -> None:
    text = tmp_path / "story.txt"
    text.write_text(
        "date: 2026-03-02T01:00:00Z\nM6.3 quake near Hualien\n"
        "A magnitude 6.3 earthquake struck off Hualien on March 2, at a depth of 14 km.\n",
        encoding="utf-8",
    )
    result = intake([FIXTURES / "feeds" / "usgs_day.geojson", text], network, reader=reader)
    assert result.errors == []
    quakes = [e for e in result.events if isinstance(e.event, Earthquake)]
    hualien = next(e for e in quakes if e.event.lat < 25)  # type: ignore[union-attr]
    # the feed's reading wins (most confident), and the story's evidence joins it
    assert hualien.event.magnitude == 6.4 and hualien.event.lat == 23.77  # type: ignore[union-attr]
    assert {ev.source.endswith("usgs_day.geojson") for ev in hualien.evidence} == {True, False}
    assert hualien.confidence == 0.97


def test_fixture_folders_end_to_end(network: Network, reader: Reader) -> None:
    result = intake([FIXTURES / "feeds", FIXTURES / "news"], network, reader=reader)
    assert result.errors == []
    hazards = sorted(
        {(type(e.event).__name__, e.places[0] if e.places else "") for e in result.events}
    )
    assert ("PowerOutage", "kaohsiung") in hazards
    assert ("WaterRestriction", "hsinchu") in hazards
    # Hsinchu orange: the WRA feed and the RSS story are one event with both pieces of evidence
    water = [
        e
        for e in result.events
        if isinstance(e.event, WaterRestriction) and e.event.district == "hsinchu"
    ]
    assert len(water) == 1 and len({ev.source for ev in water[0].evidence}) == 2
    # the Hualien quake: CWA, USGS and the RSS story are one event
    hualien = [e for e in result.events if isinstance(e.event, Earthquake) and e.event.lat < 25]
    assert len(hualien) == 1 and len({ev.source for ev in hualien[0].evidence}) == 3
    # the drill story and the drill feed message made nothing; rejected items are counted
    assert result.items_rejected >= 2
    assert not any(
        "演練" in ev.text or "訓練" in ev.text for e in result.events for ev in e.evidence
    )


def test_a_failing_source_does_not_stop_the_others(
    tmp_path: Path, network: Network, reader: Reader
) -> None:
    (tmp_path / "broken.geojson").write_text("{not json", encoding="utf-8")
    (tmp_path / "broken.xml").write_text("<Report><Body>", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "bad.jsonl").write_text('{"title": "x"}\nnope\n', encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")

    def fetch(url: str) -> bytes:
        raise OSError("connection refused")

    result = intake(
        [
            tmp_path,
            tmp_path / "missing.json",
            "https://feeds.invalid/x",
            FIXTURES / "feeds" / "usgs_day.geojson",
        ],
        network,
        fetch=fetch,
        reader=reader,
    )
    messages = {Path(e.source).name: e.message for e in result.errors}
    assert messages["broken.geojson"].startswith("USGS GeoJSON: not valid JSON")
    assert messages["broken.xml"].startswith("JMA XML: not well-formed")
    assert messages["latin1.txt"] == "not UTF-8 text (byte 3)"
    assert messages["bad.jsonl"].startswith("line 2: not valid JSON")
    assert messages["missing.json"] == "no such file or folder"
    assert messages["x"] == "cannot fetch: connection refused"
    assert ".hidden.txt" not in messages
    assert len(result.events) == 2  # the good source was still read


def test_jsonl_items_and_fetch_function(network: Network, reader: Reader) -> None:
    line = '{"id": "n1", "title": "Blaze at ASE Kaohsiung", "body": "A blaze at ASE Kaohsiung halted a line.", "published": "2026-03-02T00:00:00Z"}\n'
    result = intake(
        ["http://feeds.local/items.jsonl"], network, fetch=lambda url: line.encode(), reader=reader
    )
    assert [e.key for e in result.events] == ["fire:ase_kaohsiung:2026-03-02"]
    assert result.events[0].evidence[0].item_id == "n1"


def test_html_in_a_declared_charset(tmp_path: Path, network: Network, reader: Reader) -> None:
    page = '<html><head><meta charset="big5"></head><body><article><h1>台積電十四廠火警</h1>'
    page += "<p>台積電南科十四廠今天清晨傳出火警。</p></article></body></html>"
    (tmp_path / "big5.html").write_bytes(page.encode("big5"))
    (tmp_path / "bad.html").write_bytes(b'<meta charset="big5">' + bytes([0x81, 0x20]) * 3)
    result = intake([tmp_path], network, reader=reader)
    assert [e.key.split(":")[0] for e in result.events] == ["fire"]
    assert [e.message for e in result.errors] == ["not valid big5 text, as the page declares"]


def test_since_drops_older_sightings(network: Network, reader: Reader) -> None:
    feeds = FIXTURES / "feeds"
    everything = intake([feeds], network, reader=reader)
    later = intake([feeds], network, since=datetime(2026, 3, 2), reader=reader)  # naive: UTC
    assert 0 < len(later.events) < len(everything.events)
    assert all(
        e.started is None or e.started >= datetime(2026, 3, 2, tzinfo=UTC) for e in later.events
    )


# ------------------------------------------------------------- http fetch
class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/big":
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 1024 * 1024
            try:
                for _ in range(MAX_BYTES // len(chunk) + 2):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if self.path == "/usgs":
            body = (FIXTURES / "feeds" / "usgs_day.geojson").read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    with handler_serving(_Handler) as url:
        yield url


def test_http_fetch_from_a_loopback_server(server: str, network: Network, reader: Reader) -> None:
    result = intake([f"{server}/usgs", f"{server}/missing"], network, reader=reader)
    assert len(result.events) == 2
    assert [e.message for e in result.errors] == ["cannot fetch: HTTP 404"]


def test_http_fetch_refuses_oversized_bodies(server: str) -> None:
    with pytest.raises(OSError, match="body larger than"):
        http_fetch(f"{server}/big")


# ---------------------------------------------------------------- dedupe
def _sighting(
    event: object, started: datetime | None, source: str, item: str, confidence: float = 0.8
) -> Sighting:
    return Sighting(
        event, (), started, confidence, Evidence(source, item, "en", f"{source}:{item}", started)
    )  # type: ignore[arg-type]


def _quake(lat: float, lon: float, m: float) -> Earthquake:
    return Earthquake(lat=lat, lon=lon, magnitude=m)


def _sample() -> list[Sighting]:
    return [
        _sighting(_quake(23.77, 121.67, 6.4), T0, "usgs", "a", 0.97),
        _sighting(_quake(23.98, 121.60, 6.2), T0 + timedelta(hours=3), "news1", "b"),
        _sighting(_quake(23.98, 121.60, 6.2), T0 + timedelta(hours=5), "news2", "c"),
        _sighting(_quake(32.8, 130.7, 6.5), T0, "jma", "d", 0.97),
        _sighting(PowerOutage("kaohsiung", Duration(5, "hour")), T0, "news1", "e"),
        _sighting(
            PowerOutage("kaohsiung", Duration(5, "hour")), T0 + timedelta(days=5), "news1", "f"
        ),
        _sighting(WaterRestriction("hsinchu", Duration(4, "week"), level="orange"), T0, "wra", "g"),
        _sighting(WaterRestriction("hsinchu", Duration(4, "week"), level="red"), T0, "wra", "h"),
        _sighting(
            WaterRestriction("hsinchu", Duration(4, "week"), level="orange"), None, "news3", "i"
        ),
    ]


def test_dedupe_counts_each_disruption_once_with_all_evidence() -> None:
    events = dedupe(_sample())
    assert len(events) == 6  # Hualien, Kumamoto, two Kaohsiung outages 5 days apart, orange, red
    hualien = next(e for e in events if isinstance(e.event, Earthquake) and e.event.lat < 25)
    assert [ev.item_id for ev in hualien.evidence] == ["a", "b", "c"]
    assert hualien.event.magnitude == 6.4 and hualien.confidence == 0.97  # type: ignore[union-attr]
    assert hualien.key == "earthquake:24,122:2026-03-02"
    orange = next(e for e in events if getattr(e.event, "level", None) == "orange")
    assert sorted(ev.item_id for ev in orange.evidence) == ["g", "i"]


def test_dedupe_is_order_independent_and_keys_are_stable() -> None:
    sample = _sample()
    expected = {e.key: sorted(ev.item_id for ev in e.evidence) for e in dedupe(sample)}
    rng = random.Random(7)
    for _ in range(20):
        shuffled = sample[:]
        rng.shuffle(shuffled)
        got = {e.key: sorted(ev.item_id for ev in e.evidence) for e in dedupe(shuffled)}
        assert got == expected


def test_merge_across_passes_is_idempotent_and_keeps_first_key() -> None:
    sample = _sample()
    first = dedupe(sample[:5])
    second = dedupe(sample[5:])
    merged = merge([*first, *second])
    assert {e.key for e in merged} == {e.key for e in dedupe(sample)}
    again = merge([*merged, *merged])
    assert [(e.key, len(e.evidence)) for e in again] == [(e.key, len(e.evidence)) for e in merged]
    # a later reading of the same disruption keeps the key of the earliest
    late = dedupe([_sighting(_quake(23.9, 121.6, 6.3), T0 + timedelta(hours=20), "news9", "z")])
    assert late[0].key == "earthquake:24,122:2026-03-02"
    joined = merge([*merged, *late])
    assert len(joined) == len(merged)


def test_same_disruption_rules() -> None:
    assert same_disruption(
        _quake(23.8, 121.7, 6.4), T0, _quake(23.9, 121.6, 6.0), T0 + timedelta(hours=30)
    )
    assert not same_disruption(
        _quake(23.8, 121.7, 6.4), T0, _quake(23.9, 121.6, 6.4), T0 + timedelta(days=2)
    )
    assert not same_disruption(_quake(23.8, 121.7, 6.4), T0, _quake(22.6, 120.3, 6.4), T0)
    assert not same_disruption(_quake(23.8, 121.7, 6.4), T0, _quake(23.8, 121.7, 4.9), T0)
    assert same_disruption(_quake(23.8, 121.7, 6.4), None, _quake(23.8, 121.7, 6.4), T0)
    assert event_key(_quake(23.8, 121.7, 6.4), None) == "earthquake:24,122:undated"


def test_watch_event_from_the_lead_contract_is_accepted_by_merge() -> None:
    event = WatchEvent(
        "power_outage:kaohsiung:2026-03-02",
        PowerOutage("kaohsiung", Duration(1, "day")),
        ("kaohsiung",),
        T0,
        0.9,
    )
    assert merge([event, event])[0].key == event.key
