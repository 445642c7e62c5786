"""Official hazard feeds, one small adapter each, read into sightings.

=========  ==========================================================================
format     what it reads
=========  ==========================================================================
usgs       USGS earthquake GeoJSON feed (``FeatureCollection`` of ``Point`` features:
           ``[lon, lat, depth km]``, ``properties.mag``, ``time`` in ms, ``type``)
cwa        Taiwan CWA earthquake report open data (E-A0015-001: ``records.Earthquake[]``
           with ``EarthquakeInfo.{OriginTime, FocalDepth, Epicenter, EarthquakeMagnitude}``;
           the older lower-camel-case keys are read too)
jma        JMA disaster-information XML, earthquake reports (VXSE53 "震源・震度に関する
           情報"): ``Body/Earthquake/{OriginTime, Hypocenter/Area/Coordinate, Magnitude}``;
           training and test messages (``Control/Status`` not 通常) and cancellations are
           skipped
wra        Taiwan water-supply alert lights (Water Resources Agency open data): a list of
           records naming a county/supply area and its light (藍/綠/黃/橙/紅燈)
gdacs      GDACS RSS: tropical cyclones (TC), earthquakes (EQ) and floods (FL) with their
           position and alert level
rss        any other RSS/Atom feed: news entries (:mod:`~chipstress.workflows.watch.news`)
=========  ==========================================================================

Earthquakes are kept when a node of the network lies within the magnitude's reach
(lexicon.yaml ``quake_reach_*``); storms when one lies within their radius plus 300 km.
An adapter that meets data it cannot read raises :class:`FeedError` naming the entry and
field; the intake records it as the source's error and reads the other sources.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from chipstress.workflows.hazards.events import Earthquake, Event, Storm, WaterRestriction
from chipstress.workflows.watch.classify import Reader, normalise
from chipstress.workflows.watch.dates import parse_timestamp
from chipstress.workflows.watch.sightings import Evidence, Sighting

__all__ = ["ADAPTERS", "FeedError", "detect_format"]

_FEED_CONFIDENCE = 0.97
_TAIPEI = timezone(timedelta(hours=8))


class FeedError(ValueError):
    """A feed whose content its adapter cannot read (the message names entry and field)."""


def _get(record: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` present in ``record``, compared case-insensitively."""
    lowered = {str(k).lower(): v for k, v in record.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _float(value: Any, where: str) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise FeedError(f"{where}: expected a number, got {value!r}") from None
    if result != result:  # NaN
        raise FeedError(f"{where}: expected a number, got NaN")
    return result


def _sighting(
    event: Event,
    places: tuple[str, ...],
    started: datetime | None,
    source: str,
    item_id: str,
    text: str,
    url: str | None,
    language: str,
) -> Sighting:
    evidence = Evidence(source, item_id, language, text, started, url)
    return Sighting(event, places, started, _FEED_CONFIDENCE, evidence)


def _quake_sighting(
    reader: Reader,
    *,
    lat: float,
    lon: float,
    magnitude: float,
    depth: float,
    started: datetime | None,
    source: str,
    item_id: str,
    text: str,
    url: str | None,
    language: str,
) -> Sighting | None:
    if magnitude < float(reader.lex.defaults["quake_min_magnitude"]):
        return None
    if not reader.near_network(lat, lon, reader.quake_reach_km(magnitude)):
        return None
    event = Earthquake(
        lat=lat,
        lon=lon,
        magnitude=magnitude,
        depth_km=depth if 0 < depth <= 700 else 10.0,
        name=f"M{magnitude:g} earthquake {item_id}",
    )
    return _sighting(event, (), started, source, item_id, text, url, language)


# ------------------------------------------------------------------- USGS
def read_usgs(data: bytes, source: str, reader: Reader) -> Iterator[Sighting]:
    """Sightings of a USGS earthquake GeoJSON feed (see the module table).

    Parameters
    ----------
    data
        The feed's bytes.
    source
        Its path or URL (named in the evidence).
    reader
        The network's reader (reach of quakes, gazetteer, defaults).

    Yields
    ------
    Sighting
        One per entry that is a disruption near the network.

    Raises
    ------
    FeedError
        Naming the entry and field that cannot be read.
    """
    doc = _json(data, "USGS GeoJSON")
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise FeedError("USGS GeoJSON: no 'features' list")
    for n, feature in enumerate(features):
        where = f"feature {n}"
        if not isinstance(feature, dict):
            raise FeedError(f"{where}: expected an object")
        props = feature.get("properties") or {}
        if props.get("type", "earthquake") != "earthquake" or props.get("mag") is None:
            continue
        coords = (feature.get("geometry") or {}).get("coordinates")
        if not isinstance(coords, list) or len(coords) < 2:
            raise FeedError(f"{where}: geometry.coordinates must be [lon, lat, depth]")
        lon = _float(coords[0], f"{where}: longitude")
        lat = _float(coords[1], f"{where}: latitude")
        depth = _float(coords[2], f"{where}: depth") if len(coords) > 2 else 10.0
        magnitude = _float(props["mag"], f"{where}: properties.mag")
        millis = props.get("time")
        started = (
            datetime.fromtimestamp(_float(millis, f"{where}: properties.time") / 1000, tz=UTC)
            if millis is not None
            else None
        )
        item_id = str(feature.get("id") or f"{source}#{n}")
        text = str(props.get("title") or f"M {magnitude} - {props.get('place', '')}")
        found = _quake_sighting(
            reader,
            lat=lat,
            lon=lon,
            magnitude=magnitude,
            depth=depth,
            started=started,
            source=source,
            item_id=item_id,
            text=text,
            url=props.get("url"),
            language="en",
        )
        if found is not None:
            yield found


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"{what}: not valid JSON ({exc})") from None


# -------------------------------------------------------------------- CWA
def _local_time(value: Any, zone: timezone) -> datetime | None:
    if not value:
        return None
    moment = parse_timestamp(str(value).replace("/", "-"))
    if moment is None:
        return None
    if "+" not in str(value) and "Z" not in str(value):
        moment = moment.replace(tzinfo=zone).astimezone(UTC)
    return moment


def read_cwa(data: bytes, source: str, reader: Reader) -> Iterator[Sighting]:
    """Sightings of a CWA earthquake report (E-A0015-001, see the module table).

    Parameters
    ----------
    data
        The report's bytes.
    source
        Its path or URL (named in the evidence).
    reader
        The network's reader (reach of quakes, gazetteer, defaults).

    Yields
    ------
    Sighting
        One per entry that is a disruption near the network.

    Raises
    ------
    FeedError
        Naming the entry and field that cannot be read.
    """
    doc = _json(data, "CWA earthquake report")
    records = _get(doc, "records") if isinstance(doc, dict) else None
    quakes = _get(records, "Earthquake") if isinstance(records, dict) else None
    if not isinstance(quakes, list):
        raise FeedError("CWA earthquake report: no 'records.Earthquake' list")
    for n, quake in enumerate(quakes):
        where = f"records.Earthquake[{n}]"
        info = _get(quake, "EarthquakeInfo") if isinstance(quake, dict) else None
        if not isinstance(info, dict):
            raise FeedError(f"{where}: no 'EarthquakeInfo' object")
        centre = _get(info, "Epicenter") or {}
        size = _get(info, "EarthquakeMagnitude", "magnitude") or {}
        lat = _float(
            _get(centre, "EpicenterLatitude", "epiCenterLat"), f"{where}: EpicenterLatitude"
        )
        lon = _float(
            _get(centre, "EpicenterLongitude", "epiCenterLon"), f"{where}: EpicenterLongitude"
        )
        magnitude = _float(_get(size, "MagnitudeValue"), f"{where}: MagnitudeValue")
        depth_value = _get(info, "FocalDepth", "depth")
        if isinstance(depth_value, dict):
            depth_value = _get(depth_value, "value")
        depth = _float(depth_value, f"{where}: FocalDepth") if depth_value is not None else 10.0
        started = _local_time(_get(info, "OriginTime"), _TAIPEI)
        number = _get(quake, "EarthquakeNo") or n
        text = str(_get(quake, "ReportContent") or _get(centre, "Location") or "")
        found = _quake_sighting(
            reader,
            lat=lat,
            lon=lon,
            magnitude=magnitude,
            depth=depth,
            started=started,
            source=source,
            item_id=f"CWA-{number}",
            text=text,
            url=_get(quake, "Web"),
            language="zh-TW",
        )
        if found is not None:
            yield found


# -------------------------------------------------------------------- JMA
_COORD = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+)?/?$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element, path: str) -> ET.Element | None:
    current: ET.Element | None = node
    for part in path.split("/"):
        if current is None:
            return None
        current = next((c for c in current if _local(c.tag) == part), None)
    return current


def _text(node: ET.Element, path: str) -> str | None:
    found = _find(node, path)
    return found.text.strip() if found is not None and found.text else None


def read_jma(data: bytes, source: str, reader: Reader) -> Iterator[Sighting]:
    """Sightings of a JMA earthquake XML report (VXSE53 shape, see the module table).

    Parameters
    ----------
    data
        The report's bytes.
    source
        Its path or URL (named in the evidence).
    reader
        The network's reader (reach of quakes, gazetteer, defaults).

    Yields
    ------
    Sighting
        One per entry that is a disruption near the network.

    Raises
    ------
    FeedError
        Naming the entry and field that cannot be read.
    """
    from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
    from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

    try:
        root = fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"JMA XML: not well-formed ({exc})") from None
    except DefusedXmlException as exc:
        raise FeedError(f"JMA XML: refused ({type(exc).__name__}: entities or DTDs)") from None
    if _local(root.tag) != "Report":
        raise FeedError(f"JMA XML: root element is <{_local(root.tag)}>, expected <Report>")
    status = _text(root, "Control/Status")
    if status is not None and status != "通常":
        return  # 訓練 (drill) or 試験 (test)
    if _text(root, "Head/InfoType") == "取消":
        return
    quake = _find(root, "Body/Earthquake")
    if quake is None:
        return  # intensity-only report (VXSE51): no hypocentre to place
    coordinate = _text(quake, "Hypocenter/Area/Coordinate")
    match = _COORD.match(coordinate or "")
    if match is None:
        raise FeedError(f"JMA XML: Hypocenter/Area/Coordinate {coordinate!r} is not ISO 6709")
    magnitude_text = _text(quake, "Magnitude")
    if magnitude_text is None or magnitude_text.lower() == "nan":
        return  # magnitude not yet determined
    magnitude = _float(magnitude_text, "JMA XML: Body/Earthquake/Magnitude")
    depth = abs(float(match.group(3))) / 1000 if match.group(3) else 10.0
    started = parse_timestamp(_text(quake, "OriginTime") or "")
    area = _text(quake, "Hypocenter/Area/Name") or ""
    headline = _text(root, "Head/Headline/Text") or ""
    event_id = _text(root, "Head/EventID") or source
    found = _quake_sighting(
        reader,
        lat=float(match.group(1)),
        lon=float(match.group(2)),
        magnitude=magnitude,
        depth=depth,
        started=started,
        source=source,
        item_id=f"JMA-{event_id}",
        text=f"{area} M{magnitude:g} {headline}".strip(),
        url=None,
        language="ja",
    )
    if found is not None:
        yield found


# -------------------------------------------------------------------- WRA
_LIGHTS = {"藍": "blue", "綠": "green", "绿": "green", "黃": "yellow", "黄": "yellow"}
_LIGHTS.update({"橙": "orange", "紅": "red", "红": "red"})
_EN_LIGHTS = ("blue", "green", "yellow", "orange", "red")


def _light(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    for word in _EN_LIGHTS:
        if word in text:
            return word
    for char, level in _LIGHTS.items():
        if char in text:
            return level
    return None


def read_wra(data: bytes, source: str, reader: Reader) -> Iterator[Sighting]:
    """Sightings of Taiwan water-supply alert lights (WRA open data, see the module table).

    Parameters
    ----------
    data
        The records' bytes.
    source
        Its path or URL (named in the evidence).
    reader
        The network's reader (reach of quakes, gazetteer, defaults).

    Yields
    ------
    Sighting
        One per entry that is a disruption near the network.

    Raises
    ------
    FeedError
        Naming the entry and field that cannot be read.
    """
    doc = _json(data, "WRA water-supply alerts")
    records = doc if isinstance(doc, list) else None
    if isinstance(doc, dict):
        records = next((v for v in doc.values() if isinstance(v, list)), None)
    if records is None:
        raise FeedError("WRA water-supply alerts: expected a list of records")
    for n, record in enumerate(records):
        where = f"record {n}"
        if not isinstance(record, dict):
            raise FeedError(f"{where}: expected an object")
        area = _get(record, "供水區域", "供水區", "區域", "AreaName", "WaterSupplyArea")
        county = _get(record, "縣市", "縣市別", "CountyName", "County")
        light_value = _get(record, "水情燈號", "供水燈號", "燈號", "Light", "LightStatus", "Color")
        if area is None and county is None:
            raise FeedError(f"{where}: no county or supply-area field (縣市 / 供水區域)")
        level = _light(light_value)
        if level is None:
            raise FeedError(f"{where}: unknown light {light_value!r} (藍/綠/黃/橙/紅燈)")
        if level == "blue":
            continue
        name = normalise(f"{county or ''}{area or ''}")
        places = [
            p for m in reader.gazetteer.find(name) for p in m.places if p.district is not None
        ]
        if not places:
            continue  # a district not on this network
        district = places[0].district
        assert district is not None
        when = _get(record, "日期", "發布日期", "公告日期", "Date", "UpdateTime", "PublishTime")
        started = _local_time(when, _TAIPEI) if when else None
        event = WaterRestriction(
            district=district,
            duration=reader.default_duration("water_duration"),
            level=level,
            name=f"water restriction {district} ({level})",
        )
        text = f"{county or ''} {area or ''}: {light_value}".strip()
        yield _sighting(
            event,
            (district, places[0].key),
            started,
            source,
            f"WRA-{district}-{level}-{when}",
            text,
            None,
            "zh-TW",
        )


# ------------------------------------------------------------------ GDACS
_GDACS_SEVERITY = {"green": "moderate", "orange": "severe", "red": "extreme"}
_GDACS_MAGNITUDE = re.compile(r"magnitude\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def read_gdacs(parsed: Any, source: str, reader: Reader) -> Iterator[Sighting]:
    """Sightings of a GDACS RSS feed (parsed by feedparser; see the module table).

    Parameters
    ----------
    parsed
        The feed as feedparser parsed it.
    source
        Its path or URL (named in the evidence).
    reader
        The network's reader (reach of quakes, gazetteer, defaults).

    Yields
    ------
    Sighting
        One per entry that is a disruption near the network.

    Raises
    ------
    FeedError
        Naming the entry and field that cannot be read.
    """
    for n, entry in enumerate(parsed.entries):
        kind = str(entry.get("gdacs_eventtype", "")).upper()
        if kind not in ("TC", "EQ", "FL"):
            continue
        where = f"item {n}"
        point = entry.get("where") or {}
        coords = point.get("coordinates") if isinstance(point, dict) else None
        if coords:
            lon, lat = (
                _float(coords[0], f"{where}: longitude"),
                _float(coords[1], f"{where}: latitude"),
            )
        else:
            lat = _float(entry.get("geo_lat"), f"{where}: geo:lat")
            lon = _float(entry.get("geo_long"), f"{where}: geo:long")
        level = str(entry.get("gdacs_alertlevel", "green")).lower()
        title = str(entry.get("title", ""))
        item_id = str(entry.get("id") or entry.get("link") or f"{source}#{n}")
        started = _struct(entry.get("published_parsed"))
        if kind == "EQ":
            match = _GDACS_MAGNITUDE.search(str(entry.get("gdacs_severity", "")) + " " + title)
            if match is None:
                raise FeedError(f"{where}: earthquake without a magnitude in gdacs:severity")
            found = _quake_sighting(
                reader,
                lat=lat,
                lon=lon,
                magnitude=float(match.group(1)),
                depth=10.0,
                started=started,
                source=source,
                item_id=item_id,
                text=title,
                url=entry.get("link"),
                language="en",
            )
            if found is not None:
                yield found
            continue
        hazard = "typhoon" if kind == "TC" else "flood"
        radius = float(reader.lex.defaults[f"{hazard}_radius_km"])
        if not reader.near_network(lat, lon, radius + 300.0):
            continue
        event = Storm(
            hazard=hazard,
            severity=_GDACS_SEVERITY.get(level, "moderate"),
            track=((lat, lon),),
            radius_km=radius,
            name=f"{hazard} {entry.get('gdacs_eventname') or item_id}",
        )
        yield _sighting(event, (), started, source, item_id, title, entry.get("link"), "en")


def _struct(value: Any) -> datetime | None:
    try:
        return datetime(*value[:6]).replace(tzinfo=UTC) if value else None
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------- detection
def detect_format(name: str, data: bytes) -> str:
    """The format of a source from its name and first bytes.

    Parameters
    ----------
    name
        File name or URL.
    data
        Its content.

    Returns
    -------
    str
        ``usgs``, ``cwa``, ``wra``, ``jma``, ``gdacs``, ``rss``, ``html`` or ``text``.
    """
    head = data[:4096].decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    lower = name.lower()
    if lower.endswith(".geojson"):
        return "usgs"
    if head.startswith(("{", "[")):
        if '"FeatureCollection"' in head or '"features"' in head:
            return "usgs"
        if re.search(r'"records"\s*:', head) and re.search(r'"earthquake"', head, re.IGNORECASE):
            return "cwa"
        return "wra"
    if head.startswith("<"):
        if "xml.kishou.go.jp" in head or "<Report" in head[:400]:
            return "jma"
        if "gdacs" in head:
            return "gdacs"
        if re.search(r"<(rss|feed|rdf:RDF)[\s>]", head[:1000]):
            return "rss"
        return "html"
    if lower.endswith((".html", ".htm")):
        return "html"
    return "text"


Adapter = Callable[[bytes, str, Reader], Iterator[Sighting]]
ADAPTERS: dict[str, Adapter] = {
    "usgs": read_usgs,
    "cwa": read_cwa,
    "jma": read_jma,
    "wra": read_wra,
}
