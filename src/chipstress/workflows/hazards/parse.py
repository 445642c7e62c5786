"""Reading hazard events from YAML or dicts, and checking them against a network.

:func:`parse_events` checks types, ranges and shapes (unknown hazard type or field,
magnitude or depth out of range, points outside [-90, 90] x [-180, 180], polygon not
closed, bad durations, phases out of order); a phased event becomes one event per phase
(see :mod:`chipstress.workflows.hazards.events`). :func:`check_events` checks the names
against a network and the hazard data (unknown node, district, level, grid region,
material or country). Both raise :class:`~chipstress.errors.InvalidInput` listing every problem as
``file, event N (name), field 'x': message``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chipstress.errors import InvalidInput, Problem, excerpt
from chipstress.model.io.safe import load_yaml
from chipstress.model.network import Network
from chipstress.model.validation import MAX_MAGNITUDE
from chipstress.workflows.hazards.checks import check_events, event_problems, raise_problems
from chipstress.workflows.hazards.events import (
    EVENT_TYPES,
    Closure,
    Duration,
    Earthquake,
    Event,
    ExportControl,
    PowerOutage,
    SiteIncident,
    Storm,
    WaterRestriction,
)
from chipstress.workflows.hazards.params import (
    INCIDENTS,
    STORM_HAZARDS,
    STORM_SEVERITIES,
    HazardParameters,
    default_parameters,
)

__all__ = ["check_events", "load_events", "parse_events"]

_COMMON = {"type", "name", "start", "note", "source"}
_FIELDS: dict[str, set[str]] = {
    "earthquake": {"epicentre", "epicenter", "lat", "lon", "magnitude", "depth_km", "rupture"},
    "water_restriction": {"district", "level", "cut", "duration", "phases"},
    "power_outage": {"region", "duration", "fraction", "phases"},
    "storm": {"track", "radius_km", "polygon", "severity"},
    "incident": {"node", "fraction", "recovery"},
    "closure": {"node", "nodes", "duration", "fraction", "phases"},
    "export_control": {"material", "supplier", "country", "destination", "duration"},
}


def _family(kind: str) -> str:
    if kind in STORM_HAZARDS:
        return "storm"
    if kind in INCIDENTS:
        return "incident"
    if kind in ("port_closure", "airport_closure"):
        return "closure"
    return kind


@dataclass
class _Fields:
    """Reads one event mapping, recording problems with file, event and field."""

    raw: Mapping[str, Any]
    file: str
    where: str
    problems: list[Problem] = field(default_factory=list)
    params: HazardParameters | None = None
    prefix: str = ""  # ``phases[k].`` while reading a phase's own fields
    own: frozenset[str] = frozenset()  # the fields the prefix applies to

    def fail(self, name: str, message: str) -> None:
        label = f"{self.prefix}{name}" if name in self.own else name
        self.problems.append(Problem(self.file, self.where, label, message))

    def has(self, name: str) -> bool:
        return name in self.raw and self.raw[name] is not None

    def number(
        self,
        name: str,
        lo: float,
        hi: float,
        default: float | None = None,
        *,
        open_lo: bool = False,
    ) -> float | None:
        if not self.has(name):
            if default is None:
                self.fail(name, "missing")
            return default
        value = self.raw[name]
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if ok:
            ok = (lo < value if open_lo else lo <= value) and value <= hi
        if not ok:
            bound = f"({lo}, {hi}]" if open_lo else f"[{lo}, {hi}]"
            self.fail(name, f"{excerpt(value)} is not a number in {bound}")
            return default if default is not None else math.nan
        return float(value)

    def text(self, name: str, required: bool = True) -> str | None:
        if not self.has(name):
            if required:
                self.fail(name, "missing")
            return None
        value = self.raw[name]
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            self.fail(name, f"{excerpt(value)} is not a name")
            return None
        return str(value).strip()

    def duration(
        self, name: str, required: bool = True, allow_zero: bool = False
    ) -> Duration | None:
        if not self.has(name):
            if required:
                self.fail(name, "missing (a number of periods, or e.g. '10 days', '6 weeks')")
            return None
        value = self.raw[name]
        parsed: Duration | None = value if isinstance(value, Duration) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            parsed = Duration(float(value))
        elif isinstance(value, str):
            parsed = Duration.parse(value)
        if parsed is None:
            self.fail(
                name, f"{excerpt(value)} is not a duration (a number of periods, or e.g. '10 days')"
            )
            return None
        if not math.isfinite(parsed.value) or parsed.value > MAX_MAGNITUDE:
            self.fail(
                name, f"{excerpt(value)} is not a finite duration (at most {MAX_MAGNITUDE:g})"
            )
            return None
        if parsed.value < 0 or (parsed.value == 0 and not allow_zero):
            self.fail(
                name, f"{excerpt(value)}: a duration must be {'>= 0' if allow_zero else '> 0'}"
            )
            return None
        return parsed

    def point(self, name: str, value: Any) -> tuple[float, float] | None:
        if (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            lat, lon = float(value[0]), float(value[1])
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return lat, lon
            self.fail(
                name,
                f"{excerpt(list(value))}: latitude must be in [-90, 90], longitude in [-180, 180]",
            )
            return None
        self.fail(name, f"{excerpt(value)} is not a point [lat, lon] in degrees")
        return None

    def points(self, name: str, minimum: int) -> tuple[tuple[float, float], ...] | None:
        value = self.raw[name]
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) < minimum:
            self.fail(name, f"needs a list of at least {minimum} points [lat, lon]")
            return None
        points = [self.point(name, v) for v in value]
        if any(p is None for p in points):
            return None
        return tuple(p for p in points if p is not None)


def _earthquake(f: _Fields, common: dict[str, Any]) -> Earthquake | None:
    lo, hi = f.params.magnitude_range if f.params else (3.0, 9.5)
    depth_max = f.params.depth_km_max if f.params else 700.0
    magnitude = f.number("magnitude", lo, hi)
    depth = f.number("depth_km", 0.0, depth_max, default=10.0)
    rupture = f.points("rupture", 2) if f.has("rupture") else None
    epicentre = None
    for key in ("epicentre", "epicenter"):
        if f.has(key):
            epicentre = f.point(key, f.raw[key])
    if epicentre is None and (f.has("lat") or f.has("lon")):
        lat, lon = f.number("lat", -90, 90), f.number("lon", -180, 180)
        epicentre = (lat, lon) if lat is not None and lon is not None else None
    if epicentre is None and rupture:
        epicentre = rupture[0]
    if epicentre is None and not any(f.has(k) for k in ("epicentre", "epicenter", "lat", "lon")):
        f.fail("epicentre", "missing (give epicentre: [lat, lon])")
    if magnitude is None or depth is None or epicentre is None:
        return None
    return Earthquake(epicentre[0], epicentre[1], magnitude, depth, rupture, **common)


def _water(f: _Fields, common: dict[str, Any]) -> WaterRestriction | None:
    district = f.text("district")
    has_level, has_cut = f.has("level"), f.has("cut")
    if has_level and has_cut:
        f.fail("cut", "give a level or a cut, not both")
    elif not has_level and not has_cut:
        f.fail("level", "missing: give a level (e.g. orange) or a cut (fraction of capacity)")
    level = f.text("level", required=False)
    cut = f.number("cut", 0.0, 1.0) if has_cut else None
    duration = f.duration("duration")
    if district is None or duration is None or (level is None and cut is None):
        return None
    return WaterRestriction(district, duration, level, cut, **common)


def _power(f: _Fields, common: dict[str, Any]) -> PowerOutage | None:
    region = f.text("region")
    duration = f.duration("duration")
    fraction = f.number("fraction", 0.0, 1.0, default=1.0, open_lo=True)
    if region is None or duration is None or fraction is None:
        return None
    return PowerOutage(region, duration, fraction, **common)


def _storm(f: _Fields, kind: str, common: dict[str, Any]) -> Storm | None:
    severity = f.text("severity", required=False) or "moderate"
    if severity not in STORM_SEVERITIES:
        f.fail(
            "severity",
            f"unknown severity {severity!r}; severities are {', '.join(STORM_SEVERITIES)}",
        )
    track = polygon = None
    radius = None
    if f.has("track") == f.has("polygon"):
        f.fail("track", "give a track (with radius_km) or a closed polygon, not both or neither")
    elif f.has("track"):
        track = f.points("track", 1)
        radius = f.number("radius_km", 0.0, 2000.0, open_lo=True)
    else:
        polygon = f.points("polygon", 4)
        if polygon is not None and polygon[0] != polygon[-1]:
            f.fail(
                "polygon",
                f"polygon not closed: the first point {list(polygon[0])} must equal the last {list(polygon[-1])}",
            )
            polygon = None
        if polygon is not None and len(set(polygon)) < 3:
            f.fail("polygon", "a polygon needs at least 3 distinct points")
            polygon = None
    if (track is None and polygon is None) or (track is not None and radius is None):
        return None
    if severity not in STORM_SEVERITIES:
        return None
    return Storm(kind, severity, track, radius, polygon, **common)


def _incident(f: _Fields, kind: str, common: dict[str, Any]) -> SiteIncident | None:
    node = f.text("node")
    fraction = f.number("fraction", 0.0, 1.0, open_lo=True) if f.has("fraction") else None
    recovery = f.duration("recovery", required=False)
    if node is None or (f.has("fraction") and fraction is None):
        return None
    return SiteIncident(kind, node, fraction, recovery, **common)


def _closure(f: _Fields, kind: str, common: dict[str, Any]) -> Closure | None:
    nodes: list[str] = []
    if f.has("node") == f.has("nodes"):
        f.fail("node", "give node (one id) or nodes (a list of ids)")
    elif f.has("node"):
        node = f.text("node")
        nodes = [node] if node else []
    else:
        value = f.raw["nodes"]
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) and v.strip() for v in value)
        ):
            nodes = [v.strip() for v in value]
        else:
            f.fail("nodes", f"{excerpt(value)} is not a list of node ids")
    duration = f.duration("duration")
    fraction = f.number("fraction", 0.0, 1.0, default=1.0, open_lo=True)
    if not nodes or duration is None or fraction is None:
        return None
    return Closure(kind, tuple(nodes), duration, fraction, **common)


def _export(f: _Fields, common: dict[str, Any]) -> ExportControl | None:
    names = {
        k: f.text(k, required=False) for k in ("material", "supplier", "country", "destination")
    }
    if not any(names[k] for k in ("material", "supplier", "country")) and not any(
        f.has(k) for k in ("material", "supplier", "country")
    ):
        f.fail("material", "an export control needs a material, a supplier or a country")
    duration = f.duration("duration")
    if duration is None or not any(names[k] for k in ("material", "supplier", "country")):
        return None
    return ExportControl(duration, **names, **common)  # type: ignore[arg-type]


def _one_event(
    raw: Any,
    index: int,
    file: str,
    params: HazardParameters,
    problems: list[Problem],
    origin: dt.date | None = None,
) -> list[Event] | None:
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(file, f"event {index}", "", f"expected a mapping of fields, got {excerpt(raw)}")
        )
        return None
    name = raw.get("name")
    where = f"event {index}" + (f" ({name})" if isinstance(name, str) and name else "")
    f = _Fields(raw, file, where, problems, params)
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        message = "missing" if kind is None else f"unknown hazard type {kind!r}"
        f.fail("type", f"{message}; types are {', '.join(EVENT_TYPES)}")
        return None
    family = _family(kind)
    unknown = sorted(set(map(str, raw)) - _COMMON - _FIELDS[family])
    for key in unknown:
        f.fail(
            key,
            f"unknown field for a {kind} event; fields are {', '.join(sorted(_FIELDS[family] | _COMMON))}",
        )
    common = _common_fields(f, kind, index)
    count = len(problems)
    if "phases" in raw:
        phased = _phased(f, kind, family, common, origin)
        return phased if len(problems) == count and not unknown else None
    event = _BUILDERS[family](f, kind, common)
    return [event] if event is not None and len(problems) == count and not unknown else None


# ------------------------------------------------------------------ phases
# The fields a phase of each family may set, beside its times.
_PHASE_LEVELS: dict[str, tuple[str, ...]] = {
    "water_restriction": ("level", "cut"),
    "power_outage": ("fraction",),
    "closure": ("fraction",),
}
_PHASE_TIMES = ("from", "to", "duration")


def _date(value: Any) -> dt.date | None:
    """A calendar date: a YAML date or ISO text (``2026-03-12``); ``None`` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _origin(items: Any) -> dt.date | None:
    """The scenario's first day: the earliest date any phase names (``None``: no dates)."""
    found: list[dt.date] = []
    for raw in items if isinstance(items, list) else []:
        phases = raw.get("phases") if isinstance(raw, Mapping) else None
        for phase in phases if isinstance(phases, list) else []:
            if isinstance(phase, Mapping):
                found += [d for k in ("from", "to") if (d := _date(phase.get(k))) is not None]
    return min(found, default=None)


def _add(a: Duration, b: Duration) -> Duration | None:
    """``a + b``; ``None`` when one is in network periods and the other in a time unit."""
    if a.unit == b.unit:
        return Duration(a.value + b.value, a.unit)
    if b.value == 0:
        return a
    if a.value == 0:
        return b
    if "period" in (a.unit, b.unit):
        return None
    return Duration(a.periods(1.0) + b.periods(1.0), "day")


def _minus(a: Duration, b: Duration) -> Duration | None:
    """``a − b`` (``None`` as for :func:`_add`)."""
    return _add(a, Duration(-b.value, b.unit))


def _phase_time(f: _Fields, name: str, start: Duration, origin: dt.date | None) -> Duration | None:
    """A phase boundary after the scenario begins: a date, or a duration after ``start``."""
    day = _date(f.raw[name])
    if day is not None and origin is not None:
        return Duration(float((day - origin).days), "day")
    offset = f.duration(name, allow_zero=True)
    if offset is None:
        return None
    at = _add(start, offset)
    if at is None:
        f.fail(name, "mixes network periods and time units with the event's start")
    return at


def _phase_end(
    pf: _Fields,
    begin: Duration,
    start: Duration,
    origin: dt.date | None,
    following: Duration | None,
) -> Duration | None:
    """Where a phase ends: its ``to``, its ``duration`` after ``begin``, or the next ``from``."""
    if pf.has("to") and pf.has("duration"):
        pf.fail("to", "give to or duration, not both")
        return None
    if pf.has("to"):
        return _phase_time(pf, "to", start, origin)
    if pf.has("duration"):
        length = pf.duration("duration")
        stop = _add(begin, length) if length is not None else None
        if length is not None and stop is None:
            pf.fail("duration", "mixes network periods and time units with the phase's begin")
        return stop
    if following is not None:
        return following
    pf.fail(
        "to", "missing: a phase ends at its to, after its duration, or at the next phase's from"
    )
    return None


def _phase_fields(f: _Fields, family: str, phases: list[Mapping[str, Any]]) -> list[_Fields]:
    """One reader per phase: the event's fields with the phase's own on top."""
    allowed = set(_PHASE_LEVELS[family]) | set(_PHASE_TIMES)
    fields = []
    for k, phase in enumerate(phases, start=1):
        merged = {key: value for key, value in f.raw.items() if key not in ("phases", "duration")}
        merged.update(phase)
        pf = _Fields(merged, f.file, f.where, f.problems, f.params, f"phases[{k}].")
        pf.own = frozenset(allowed | set(map(str, phase)))
        for key in sorted(set(map(str, phase)) - allowed):
            pf.fail(key, f"unknown field for a phase; fields are {', '.join(sorted(allowed))}")
        fields.append(pf)
    return fields


def _phase_length(pf: _Fields, begin: Duration, stop: Duration, end: Duration) -> Duration | None:
    """The phase's length, checked (it ends after it begins, not before the previous ends)."""
    length = _minus(stop, begin)
    gap = _minus(begin, end)
    if length is None:
        pf.fail("to", "mixes network periods and time units")
    elif length.value <= 0:
        pf.fail("to", "the phase ends before it begins")
    elif gap is not None and gap.value < 0:
        pf.fail("from", "begins before the previous phase ends")
    else:
        return length
    return None


def _phased(
    f: _Fields, kind: str, family: str, common: dict[str, Any], origin: dt.date | None
) -> list[Event] | None:
    """A phased event as one event per phase, each starting where its phase begins.

    Phase times are dates (counted from the scenario's first date, ``origin``) or durations
    after the event's ``start``; a phase without ``from`` begins where the previous one
    ended (the first at the event's start).
    """
    phases = f.raw["phases"]
    if family not in _PHASE_LEVELS:
        return None  # reported as an unknown field
    if (
        not isinstance(phases, list)
        or not phases
        or not all(isinstance(p, Mapping) for p in phases)
    ):
        f.fail("phases", "expected a list of phases, e.g. [{level: yellow, from: 2026-03-12}, ...]")
        return None
    if f.has("duration"):
        f.fail("duration", "with phases, give each phase its end (to or duration) instead")
    start: Duration = common.get("start", Duration(0.0))
    if f.has("start") and any(_date(p.get(k)) is not None for p in phases for k in ("from", "to")):
        f.fail("start", "dated phases count from the scenario's first date: give no start")
    fields = _phase_fields(f, family, phases)
    froms = [_phase_time(pf, "from", start, origin) if pf.has("from") else None for pf in fields]
    events: list[Event] = []
    end = start
    for k, pf in enumerate(fields):
        begin = froms[k] or end
        stop = _phase_end(pf, begin, start, origin, froms[k + 1] if k + 1 < len(fields) else None)
        length = _phase_length(pf, begin, stop, end if k else begin) if stop is not None else None
        if stop is None or length is None:
            continue
        end = stop
        pf.raw["duration"] = length  # type: ignore[index]
        label = next(
            (
                str(phases[k][key]) if key == "level" else f"{key} {phases[k][key]}"
                for key in _PHASE_LEVELS[family]
                if key in phases[k]
            ),
            "",
        )
        name = f"{common['name']} (phase {k + 1}{': ' + label if label else ''})"
        event = _BUILDERS[family](pf, kind, {**common, "name": name, "start": begin})
        if event is not None:
            events.append(event)
    return events


def _common_fields(f: _Fields, kind: str, index: int) -> dict[str, Any]:
    """The fields every event type has: ``name`` (a default from the type) and ``start``."""
    name = f.raw.get("name")
    common: dict[str, Any] = {
        "name": str(name) if isinstance(name, str) and name else f"{kind} {index}"
    }
    if f.has("name") and not isinstance(name, str):
        f.fail("name", f"{excerpt(name)} is not text")
    start = f.duration("start", required=False, allow_zero=True)
    if start is not None:
        common["start"] = start
    return common


# One builder per event family: ``(fields, type, common fields) -> event or None``.
_BUILDERS: dict[str, Callable[[_Fields, str, dict[str, Any]], Event | None]] = {
    "earthquake": lambda f, kind, common: _earthquake(f, common),
    "water_restriction": lambda f, kind, common: _water(f, common),
    "power_outage": lambda f, kind, common: _power(f, common),
    "storm": _storm,
    "incident": _incident,
    "closure": _closure,
    "export_control": lambda f, kind, common: _export(f, common),
}


def _parse(
    data: Any, source: str, params: HazardParameters
) -> tuple[list[tuple[int, Event]], list[Problem]]:
    """The events that read cleanly (with their position) and the problems of the others."""
    if isinstance(data, Mapping) and "events" in data and "type" not in data:
        extra = sorted(set(map(str, data)) - {"events", "name", "description", "note", "source"})
        if extra:
            raise InvalidInput(f"{source}: unknown top-level key(s) {', '.join(extra)}")
        data = data["events"]
    items = [data] if isinstance(data, Mapping) else data
    if not isinstance(items, list) or not items:
        raise InvalidInput(f"{source}: expected an event, a list of events or 'events: [...]'")
    problems: list[Problem] = []
    origin = _origin(items)
    events = [
        (i, _one_event(raw, i, source, params, problems, origin))
        for i, raw in enumerate(items, start=1)
    ]
    return [(i, e) for i, group in events if group is not None for e in group], problems


def parse_events(
    data: Any, source: str = "<events>", params: HazardParameters | None = None
) -> list[Event]:
    """Events from parsed YAML: one mapping, a list, or ``{events: [...]}``.

    Parameters
    ----------
    data
        The parsed YAML (mappings, lists, numbers, text and dates).
    source
        What the data was read from, for error messages.
    params
        Hazard parameters (magnitude and depth ranges); the packaged ones by default.

    Returns
    -------
    list of Event
        The events in file order, a phased event as one event per phase.

    Raises
    ------
    InvalidInput
        Listing every problem as ``source, event N (name), field 'x': message``.
    """
    events, problems = _parse(data, source, params or default_parameters())
    raise_problems(problems)
    return [event for _, event in events]


def load_events(
    path: str | Path, params: HazardParameters | None = None, network: Network | None = None
) -> tuple[list[Event], dict[str, Any]]:
    """Read a scenario YAML file: its events and its top-level ``name``/``description``.

    With ``network``, the names the events use are checked too, and every problem of
    the file (shape and names) is reported at once.

    Parameters
    ----------
    path
        The scenario file (YAML).
    params
        Hazard parameters; the packaged ones by default.
    network
        The network whose names the events must use (optional).

    Returns
    -------
    tuple
        The events (a phased event as one event per phase) and the file's top-level
        ``name``/``description``.

    Raises
    ------
    InvalidInput
        The file is missing or not YAML, or an event is bad (file, event, field).
    """
    params = params or default_parameters()
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder, not a YAML file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: cannot read ({error})") from None
    info = {}
    if isinstance(data, Mapping) and "events" in data:
        info = {k: data[k] for k in ("name", "description") if k in data}
    events, problems = _parse(data, str(path), params)
    if network is not None:
        problems += event_problems(events, network, params, str(path))
        problems.sort(
            key=lambda p: int(p.location.split()[1]) if p.location.startswith("event ") else 0
        )
    raise_problems(problems)
    return [event for _, event in events], info
