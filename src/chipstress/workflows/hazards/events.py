"""Hazard events: the types users write, and reading them from YAML or dicts.

One event is a mapping with a ``type`` and the fields of that type; a scenario file
holds one event, a list of events, or a mapping with an ``events:`` list (plus an
optional ``name`` and ``description``). Every event also takes ``name``, ``start`` (a
duration after the scenario begins, default 0) and free-text ``note``/``source``.

Durations are a number of network periods, or text with a unit: ``"10 hours"``,
``"3 days"``, ``"6 weeks"``, ``"36 h"``, ``"3 months"``.

Water restrictions, power outages and closures may give ``phases`` instead of one level
(or fraction) and duration: ``phases: [{level: yellow, from: 2026-03-12}, {level: orange,
from: 2026-04-09, to: 2026-05-07}]``. A phase's ``from``/``to`` are dates (counted from
the scenario's first date: the earliest date any phase names) or durations after the
event's ``start``; a phase may give a ``duration`` instead of ``to``, and ends at the next
phase's ``from`` when it gives neither; without ``from`` it begins where the previous
one ended. Reading turns a phased event into one event per phase (named
``"<name> (phase k: <level>)"``), so the window model and every workflow see a sequence
of events, as if the file had listed them (docs/hazards.md).

============================  =================================================================
type                          fields
============================  =================================================================
earthquake                    epicentre [lat, lon], magnitude, depth_km (default 10);
                              optional rupture [[lat, lon], ...] (a fault trace at depth_km)
water_restriction             district (a name in water.yaml or a node id), level or cut, duration
power_outage                  region (a grid name in locations.yaml or a node id), duration,
                              fraction (default 1)
typhoon / flood / storm       track [[lat, lon], ...] with radius_km, or a closed polygon;
                              severity: moderate, severe or extreme (default moderate)
fire / contamination / cyber  node; fraction and recovery (defaults in incidents.yaml)
port_closure / airport_closure  node or nodes, duration, fraction (default 1)
export_control                material, supplier and/or country (of the supplier);
                              destination (country of the customer, optional); duration
============================  =================================================================

Reading and checking them is :mod:`chipstress.workflows.hazards.parse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from chipstress.workflows.hazards.params import INCIDENTS, STORM_HAZARDS

__all__ = [
    "EVENT_TYPES",
    "Closure",
    "Duration",
    "Earthquake",
    "Event",
    "ExportControl",
    "PowerOutage",
    "SiteIncident",
    "Storm",
    "WaterRestriction",
]

_UNIT_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
_UNIT_ALIASES = {
    **{alias: "hour" for alias in ("h", "hr", "hrs", "hour", "hours")},
    **{alias: "day" for alias in ("d", "day", "days")},
    **{alias: "week" for alias in ("w", "wk", "wks", "week", "weeks")},
    **{alias: "month" for alias in ("mo", "month", "months")},
    **{alias: "year" for alias in ("y", "yr", "yrs", "year", "years")},
    **{alias: "period" for alias in ("", "period", "periods")},
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


@dataclass(frozen=True)
class Duration:
    """A length of time: ``value`` in ``unit`` (``period`` or a time unit)."""

    value: float
    unit: str = "period"

    def periods(self, period_days: float) -> float:
        """The duration in network periods, each ``period_days`` days long."""
        if self.unit == "period":
            return self.value
        return self.value * _UNIT_DAYS[self.unit] / period_days

    @classmethod
    def parse(cls, text: str) -> Duration | None:
        """A duration written as text (``"10 days"``, ``"6 weeks"``, ``"3"`` periods).

        Parameters
        ----------
        text
            A number followed by an optional unit (hours, days, weeks, months, years
            or periods, with their short forms).

        Returns
        -------
        Duration or None
            The duration, or ``None`` when ``text`` is not one.
        """
        match = _DURATION.match(text)
        unit = _UNIT_ALIASES.get(match.group(2).lower()) if match else None
        if match is None or unit is None:
            return None
        return cls(float(match.group(1)), unit)

    @classmethod
    def weeks(cls, value: float) -> Duration:
        """A duration of ``value`` weeks."""
        return cls(float(value), "week")

    def __str__(self) -> str:
        unit = self.unit if self.value == 1 else f"{self.unit}s"
        return f"{self.value:g} {unit}"


@dataclass(frozen=True)
class Earthquake:
    """A quake: epicentre (deg), magnitude, depth (km); optional rupture trace.

    ``epsilon`` (standard deviations of log PGA) and ``capacity_quantile`` (where the
    sites' fragility capacities sit, 0.5 = median) are drawn by the Monte-Carlo; a
    replay uses 0 and 0.5.
    """

    type: ClassVar[str] = "earthquake"
    lat: float
    lon: float
    magnitude: float
    depth_km: float = 10.0
    rupture: tuple[tuple[float, float], ...] | None = None
    name: str = "earthquake"
    start: Duration = Duration(0.0)
    epsilon: float = 0.0
    capacity_quantile: float = 0.5


@dataclass(frozen=True)
class WaterRestriction:
    """A water-restriction level (or an explicit ``cut``) in a district, for a duration."""

    type: ClassVar[str] = "water_restriction"
    district: str
    duration: Duration
    level: str | None = None
    cut: float | None = None
    name: str = "water restriction"
    start: Duration = Duration(0.0)


@dataclass(frozen=True)
class PowerOutage:
    """A grid region (or one electricity node) losing ``fraction`` of supply for a duration."""

    type: ClassVar[str] = "power_outage"
    region: str
    duration: Duration
    fraction: float = 1.0
    name: str = "power outage"
    start: Duration = Duration(0.0)


@dataclass(frozen=True)
class Storm:
    """A typhoon, flood or storm over a track (with a radius, km) or inside a polygon."""

    type: ClassVar[str] = "storm"
    hazard: str
    severity: str = "moderate"
    track: tuple[tuple[float, float], ...] | None = None
    radius_km: float | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    name: str = "storm"
    start: Duration = Duration(0.0)


@dataclass(frozen=True)
class SiteIncident:
    """A fire, contamination or cyber incident at one site."""

    type: ClassVar[str] = "incident"
    hazard: str
    node: str
    fraction: float | None = None
    recovery: Duration | None = None
    name: str = "incident"
    start: Duration = Duration(0.0)


@dataclass(frozen=True)
class Closure:
    """Ports or airports closed (``fraction`` of throughput lost) for a duration."""

    type: ClassVar[str] = "closure"
    hazard: str
    nodes: tuple[str, ...]
    duration: Duration
    fraction: float = 1.0
    name: str = "closure"
    start: Duration = Duration(0.0)


@dataclass(frozen=True)
class ExportControl:
    """Shipments blocked: from a supplier, of a material, from a country, to a destination."""

    type: ClassVar[str] = "export_control"
    duration: Duration
    material: str | None = None
    supplier: str | None = None
    country: str | None = None
    destination: str | None = None
    name: str = "export control"
    start: Duration = Duration(0.0)


Event = Earthquake | WaterRestriction | PowerOutage | Storm | SiteIncident | Closure | ExportControl

EVENT_TYPES: tuple[str, ...] = (
    "earthquake",
    "water_restriction",
    "power_outage",
    *STORM_HAZARDS,
    *INCIDENTS,
    "port_closure",
    "airport_closure",
    "export_control",
)
