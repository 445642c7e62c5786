"""Official-feed adapters: hand-written cases per format and every error path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chipstress.model.builtin import load_builtin
from chipstress.workflows.hazards.events import Earthquake, Storm, WaterRestriction
from chipstress.workflows.watch.classify import Reader
from chipstress.workflows.watch.feeds import (
    FeedError,
    detect_format,
    read_cwa,
    read_jma,
    read_usgs,
    read_wra,
)
from chipstress.workflows.watch.intake import read_source

FEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "watch" / "feeds"


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(load_builtin())


def _usgs(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _feature(
    mag: float | None, lon: float, lat: float, depth: float = 10.0, kind: str = "earthquake"
) -> dict:
    return {
        "type": "Feature",
        "id": "t1",
        "properties": {"mag": mag, "time": 1772418489000, "type": kind, "title": "M test"},
        "geometry": {"type": "Point", "coordinates": [lon, lat, depth]},
    }


# ------------------------------------------------------------------ USGS
def test_usgs_fixture_keeps_quakes_within_reach_of_the_network(reader: Reader) -> None:
    found = list(read_usgs((FEEDS / "usgs_day.geojson").read_bytes(), "usgs", reader))
    ids = [s.evidence.item_id for s in found]
    # Hualien M6.4 and Kikuyo M4.7 are near sites; the Kermadec quake and the quarry blast are not kept
    assert ids == ["us7000test1", "us7000test3"]
    quake = found[0].event
    assert isinstance(quake, Earthquake)
    assert (quake.lat, quake.lon, quake.magnitude, quake.depth_km) == (23.77, 121.67, 6.4, 15.5)
    assert found[0].started == datetime.fromtimestamp(1772418489, tz=UTC)
    assert found[0].evidence.url == "https://earthquake.usgs.gov/earthquakes/eventpage/us7000test1"


def test_usgs_reach_grows_with_magnitude(reader: Reader) -> None:
    # 300 km east of Hualien: an M6 is out of reach (~190 km), an M7.5 is not (~890 km)
    small = list(read_usgs(_usgs([_feature(6.0, 124.6, 23.9)]), "u", reader))
    large = list(read_usgs(_usgs([_feature(7.5, 124.6, 23.9)]), "u", reader))
    assert small == [] and len(large) == 1


def test_usgs_skips_null_magnitude_and_non_quakes(reader: Reader) -> None:
    data = _usgs([_feature(None, 121.6, 23.9), _feature(5.5, 121.6, 23.9, kind="explosion")])
    assert list(read_usgs(data, "u", reader)) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "USGS GeoJSON: not valid JSON"),
        (b'{"type": "FeatureCollection"}', "no 'features' list"),
        (_usgs([42]), "feature 0: expected an object"),  # type: ignore[list-item]
        (
            _usgs([{"properties": {"mag": 5.0}, "geometry": {"coordinates": [1]}}]),
            "feature 0: geometry.coordinates must be [lon, lat, depth]",
        ),
        (
            _usgs([{"properties": {"mag": 5.0}, "geometry": {"coordinates": ["x", 2, 3]}}]),
            "feature 0: longitude: expected a number, got 'x'",
        ),
        (
            _usgs([{"properties": {"mag": "big"}, "geometry": {"coordinates": [121, 23, 3]}}]),
            "feature 0: properties.mag: expected a number",
        ),
    ],
)
def test_usgs_errors_name_the_feature_and_field(reader: Reader, data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message.replace("[", r"\[").replace("]", r"\]")):
        list(read_usgs(data, "u", reader))


# ------------------------------------------------------------------- CWA
def test_cwa_report_reads_epicentre_magnitude_and_local_time(reader: Reader) -> None:
    found = list(read_cwa((FEEDS / "cwa_E-A0015-001.json").read_bytes(), "cwa", reader))
    assert [s.evidence.item_id for s in found] == ["CWA-115021"]  # the M3.9 is below M4.5
    quake = found[0].event
    assert isinstance(quake, Earthquake)
    assert (quake.lat, quake.lon, quake.magnitude, quake.depth_km) == (23.77, 121.67, 6.4, 15.5)
    # 07:58:09 Taipei time is 23:58:09 UTC the day before
    assert found[0].started == datetime(2026, 3, 1, 23, 58, 9, tzinfo=UTC)
    assert found[0].evidence.language == "zh-TW"


def test_cwa_reads_lower_camel_case_keys(reader: Reader) -> None:
    doc = {
        "records": {
            "earthquake": [
                {
                    "earthquakeNo": 1,
                    "earthquakeInfo": {
                        "originTime": "2026-03-02 08:00:00",
                        "depth": {"value": 20},
                        "epiCenter": {"epiCenterLat": 23.0, "epiCenterLon": 120.3},
                        "magnitude": {"magnitudeValue": 5.5},
                    },
                }
            ]
        }
    }
    found = list(read_cwa(json.dumps(doc).encode(), "cwa", reader))
    assert len(found) == 1 and found[0].event.depth_km == 20.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"records": {}}, "no 'records.Earthquake' list"),
        (
            {"records": {"Earthquake": [{"EarthquakeNo": 1}]}},
            r"records.Earthquake\[0\]: no 'EarthquakeInfo'",
        ),
        (
            {
                "records": {
                    "Earthquake": [{"EarthquakeInfo": {"Epicenter": {"EpicenterLatitude": 23}}}]
                }
            },
            "EpicenterLongitude: expected a number, got None",
        ),
    ],
)
def test_cwa_errors(reader: Reader, doc: dict, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        list(read_cwa(json.dumps(doc).encode(), "cwa", reader))


# ------------------------------------------------------------------- JMA
def test_jma_vxse53_reads_iso6709_hypocentre(reader: Reader) -> None:
    found = list(read_jma((FEEDS / "jma_vxse53.xml").read_bytes(), "jma", reader))
    assert len(found) == 1
    quake = found[0].event
    assert isinstance(quake, Earthquake)
    assert (quake.lat, quake.lon, quake.magnitude, quake.depth_km) == (32.7, 130.8, 6.5, 10.0)
    assert found[0].started == datetime(2026, 3, 1, 12, 26, tzinfo=UTC)
    assert "熊本県熊本地方" in found[0].evidence.text


def test_jma_training_message_is_not_an_event(reader: Reader) -> None:
    assert list(read_jma((FEEDS / "jma_vxse53_drill.xml").read_bytes(), "jma", reader)) == []


def test_jma_cancellation_and_undetermined_magnitude_are_skipped(reader: Reader) -> None:
    text = (FEEDS / "jma_vxse53.xml").read_text(encoding="utf-8")
    cancelled = text.replace("<InfoType>発表</InfoType>", "<InfoType>取消</InfoType>")
    unknown = text.replace('description="Ｍ６．５">6.5<', 'condition="不明">NaN<')
    assert list(read_jma(cancelled.encode(), "jma", reader)) == []
    assert list(read_jma(unknown.encode(), "jma", reader)) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<Report><Body>", "JMA XML: not well-formed"),
        (b"<Other/>", "root element is <Other>, expected <Report>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Report>&a;</Report>',
            "JMA XML: refused",
        ),
        (
            b"<Report><Body><Earthquake><Hypocenter><Area><Coordinate>north</Coordinate>"
            b"</Area></Hypocenter></Earthquake></Body></Report>",
            "Coordinate 'north' is not ISO 6709",
        ),
    ],
)
def test_jma_errors(reader: Reader, data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        list(read_jma(data, "jma", reader))


# ------------------------------------------------------------------- WRA
def test_wra_lights_become_restrictions_of_network_districts(reader: Reader) -> None:
    found = list(read_wra((FEEDS / "wra_water_alerts.json").read_bytes(), "wra", reader))
    events = [s.event for s in found]
    assert all(isinstance(e, WaterRestriction) for e in events)
    # blue (normal) is no restriction; Hualien is not a district of the network
    assert [(e.district, e.level) for e in events] == [
        ("hsinchu", "orange"),
        ("taichung", "yellow"),
    ]  # type: ignore[union-attr]
    assert found[0].started == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"a": 1}, "expected a list of records"),
        ([1], "record 0: expected an object"),
        ([{"水情燈號": "黃燈"}], "record 0: no county or supply-area field"),
        ([{"縣市": "新竹縣", "水情燈號": "紫燈"}], "record 0: unknown light '紫燈'"),
    ],
)
def test_wra_errors(reader: Reader, doc: object, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        list(read_wra(json.dumps(doc, ensure_ascii=False).encode(), "wra", reader))


# ----------------------------------------------------------------- GDACS
def test_gdacs_typhoon_near_taiwan_kept_far_one_dropped(reader: Reader) -> None:
    found, read, _ = read_source("gdacs.xml", (FEEDS / "gdacs.xml").read_bytes(), reader)
    kinds = sorted(type(s.event).__name__ for s in found)
    assert kinds == ["Earthquake", "Storm"] and read == 3
    storm = next(s.event for s in found if isinstance(s.event, Storm))
    assert (storm.hazard, storm.severity, storm.track) == ("typhoon", "severe", ((22.4, 121.0),))  # type: ignore[union-attr]


def test_gdacs_quake_without_magnitude_is_an_error(reader: Reader) -> None:
    data = (FEEDS / "gdacs.xml").read_text(encoding="utf-8").replace("Magnitude 5.9M", "strong")
    data = data.replace("(Magnitude 5.9M, Depth:10km)", "")
    with pytest.raises(FeedError, match="item 2: earthquake without a magnitude"):
        read_source("gdacs.xml", data.encode(), reader)


# ------------------------------------------------------------- detection
@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("x.geojson", b"{", "usgs"),
        ("feed", b'{"type": "FeatureCollection", "features": []}', "usgs"),
        ("feed", b'{"records": {"Earthquake": []}}', "cwa"),
        ("feed", b'[{"a": 1}]', "wra"),
        (
            "feed",
            b'<?xml version="1.0"?><Report xmlns="http://xml.kishou.go.jp/jmaxml1/">',
            "jma",
        ),
        ("feed", b'<rss xmlns:gdacs="http://www.gdacs.org">', "gdacs"),
        ("feed", b"<?xml version='1.0'?><rss version='2.0'>", "rss"),
        ("feed", b'<feed xmlns="http://www.w3.org/2005/Atom">', "rss"),
        ("page", b"<!DOCTYPE html><html>", "html"),
        ("page.html", b"plain", "html"),
        ("notes.txt", "熊本で地震".encode(), "text"),
    ],
)
def test_detect_format(name: str, data: bytes, kind: str) -> None:
    assert detect_format(name, data) == kind
