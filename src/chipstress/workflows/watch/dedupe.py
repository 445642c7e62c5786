"""Deduplication: sightings of one disruption, from any item and source, become one event.

Two readings are the same disruption when they are of the same hazard type and

==================  ===============================================================
hazard              also needs
==================  ===============================================================
earthquake          epicentres within 150 km, magnitudes within 0.8, 1.5 days
water_restriction   same district and level (or cut), within 21 days
power_outage        same grid region, within 2 days
typhoon / storm     positions within 500 km (typhoon) or 100 km, within 4 days
flood               positions within 100 km, within 2 days
fire / ...          same site, within 7 days
port/airport        a node in common, within 3 days
export_control      same country and material, within 45 days
==================  ===============================================================

(a reading without a date matches on place alone). An event's key is
``hazard:place:date`` of its earliest reading, so reading the same items again, in any
order or split over several passes, gives the same key (docs/watch.md,
"Deduplication"). The merged event is the reading of the most confident source, and
among equals the most severe one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from chipstress.workflows.hazards.events import (
    Closure,
    Earthquake,
    Event,
    ExportControl,
    PowerOutage,
    SiteIncident,
    Storm,
    WaterRestriction,
)
from chipstress.workflows.watch.classify import haversine_km, hazard_name
from chipstress.workflows.watch.sightings import Sighting, WatchEvent

__all__ = ["dedupe", "event_key", "merge", "same_disruption"]

_DAYS = {
    "earthquake": 1.5,
    "water_restriction": 21.0,
    "power_outage": 2.0,
    "typhoon": 4.0,
    "storm": 4.0,
    "flood": 2.0,
    "fire": 7.0,
    "contamination": 7.0,
    "cyber": 7.0,
    "port_closure": 3.0,
    "airport_closure": 3.0,
    "export_control": 45.0,
}


def _where(event: Event) -> str:
    """The place part of a key."""
    if isinstance(event, Earthquake):
        return f"{event.lat:.0f},{event.lon:.0f}"
    if isinstance(event, WaterRestriction):
        return f"{event.district}/{event.level or f'cut{event.cut:g}'}"
    if isinstance(event, PowerOutage):
        return event.region
    if isinstance(event, Storm):
        track = event.track or event.polygon or ((0.0, 0.0),)
        return f"{track[0][0]:.0f},{track[0][1]:.0f}"
    if isinstance(event, SiteIncident):
        return event.node
    if isinstance(event, Closure):
        return "+".join(sorted(event.nodes))
    return f"{event.country}/{event.material}/{event.supplier}"


def event_key(event: Event, started: datetime | None) -> str:
    """The stable key of a disruption: ``hazard:place:YYYY-MM-DD`` (``undated`` if none).

    Parameters
    ----------
    event
        The hazard-layer event.
    started
        When it began (UTC), if known.

    Returns
    -------
    str
    """
    day = started.date().isoformat() if started is not None else "undated"
    return f"{hazard_name(event)}:{_where(event)}:{day}"


def _close_in_place(a: Event, b: Event) -> bool:
    if isinstance(a, Earthquake) and isinstance(b, Earthquake):
        return (
            haversine_km(a.lat, a.lon, b.lat, b.lon) <= 150.0
            and abs(a.magnitude - b.magnitude) <= 0.8
        )
    if isinstance(a, WaterRestriction) and isinstance(b, WaterRestriction):
        return a.district == b.district and (a.level, a.cut) == (b.level, b.cut)
    if isinstance(a, PowerOutage) and isinstance(b, PowerOutage):
        return a.region == b.region
    if isinstance(a, Storm) and isinstance(b, Storm):
        ta, tb = a.track or a.polygon, b.track or b.polygon
        if not ta or not tb:
            return False
        reach = 500.0 if a.hazard == "typhoon" else 100.0
        return min(haversine_km(*p, *q) for p in ta for q in tb) <= reach
    if isinstance(a, SiteIncident) and isinstance(b, SiteIncident):
        return a.node == b.node
    if isinstance(a, Closure) and isinstance(b, Closure):
        return bool(set(a.nodes) & set(b.nodes))
    if isinstance(a, ExportControl) and isinstance(b, ExportControl):
        return (a.country, a.material, a.supplier) == (b.country, b.material, b.supplier)
    return False


def same_disruption(
    a: Event, a_started: datetime | None, b: Event, b_started: datetime | None
) -> bool:
    """Whether two readings are of one disruption (see the module table).

    Parameters
    ----------
    a, b
        The events.
    a_started, b_started
        When each began (UTC), if known.

    Returns
    -------
    bool
    """
    hazard = hazard_name(a)
    if hazard != hazard_name(b) or not _close_in_place(a, b):
        return False
    if a_started is None or b_started is None:
        return True
    return abs((a_started - b_started).total_seconds()) <= _DAYS.get(hazard, 3.0) * 86400


def _severity(event: Event) -> float:
    if isinstance(event, Earthquake):
        return event.magnitude
    if isinstance(event, WaterRestriction):
        order = ["green", "yellow", "orange", "red", "tier0", "tier1", "tier2a", "tier2b"]
        return float(order.index(event.level)) if event.level in order else (event.cut or 0.0)
    if isinstance(event, PowerOutage | Closure):
        return event.fraction * event.duration.periods(1.0)
    return 0.0


def _rank(event: WatchEvent, confidence: float) -> tuple[float, float]:
    return (confidence, _severity(event.event))


def _from_sighting(sighting: Sighting) -> WatchEvent:
    return WatchEvent(
        key=event_key(sighting.event, sighting.started),
        event=sighting.event,
        places=sighting.places,
        started=sighting.started,
        confidence=sighting.confidence,
        evidence=[sighting.evidence],
    )


def _absorb(into: WatchEvent, other: WatchEvent, best: dict[int, float]) -> None:
    """Merge ``other`` into ``into`` in place."""
    mine = best.get(id(into), into.confidence)
    if _rank(other, other.confidence) > _rank(into, mine):
        into.event = other.event
        best[id(into)] = other.confidence
    if other.started is not None and (into.started is None or other.started < into.started):
        into.started = other.started
        into.key = other.key
    elif other.started == into.started and other.key < into.key:
        into.key = other.key
    into.places = tuple(dict.fromkeys((*into.places, *other.places)))
    seen = {(e.source, e.item_id, e.text) for e in into.evidence}
    for evidence in other.evidence:
        if (evidence.source, evidence.item_id, evidence.text) not in seen:
            into.evidence.append(evidence)
            seen.add((evidence.source, evidence.item_id, evidence.text))
    into.confidence = max(into.confidence, other.confidence)


def merge(events: Iterable[WatchEvent]) -> list[WatchEvent]:
    """Merge events (from several passes) that are one disruption, keeping all evidence.

    Parameters
    ----------
    events
        Events, e.g. those already seen followed by a new pass's.

    Returns
    -------
    list of WatchEvent
        One per disruption, most confident first (then by key); the key of each is that
        of its earliest reading.
    """
    ordered = sorted(
        (
            WatchEvent(e.key, e.event, e.places, e.started, e.confidence, list(e.evidence))
            for e in events
        ),
        key=lambda e: (e.started is None, e.started.timestamp() if e.started else 0.0, e.key),
    )
    merged: dict[str, list[WatchEvent]] = {}
    best: dict[int, float] = {}
    for event in ordered:
        family = merged.setdefault(hazard_name(event.event), [])
        for existing in family:
            if same_disruption(existing.event, existing.started, event.event, event.started):
                _absorb(existing, event, best)
                break
        else:
            family.append(event)
            best[id(event)] = event.confidence
    result = [e for family in merged.values() for e in family]
    return sorted(result, key=lambda e: (-e.confidence, e.key))


def dedupe(sightings: Iterable[Sighting]) -> list[WatchEvent]:
    """One event per disruption from the sightings of one pass (see :func:`merge`).

    Parameters
    ----------
    sightings
        Every sighting read, from every source.

    Returns
    -------
    list of WatchEvent
    """
    return merge(_from_sighting(s) for s in sightings)
