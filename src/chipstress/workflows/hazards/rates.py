"""Annual event rates for the Monte-Carlo: ``data/rates.yaml`` or a file of the same shape.

Sections: ``earthquakes`` (Gutenberg-Richter zones or characteristic faults),
``storms`` (track generators), ``water`` (district, level), ``power`` (grid region),
``incidents`` (per site of a kind, or of listed nodes), ``closures`` and
``export_controls``. Every record has an annual ``rate`` and a ``source:`` or
``estimate:``; drawing events from them is :mod:`chipstress.workflows.hazards.sampling`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chipstress.errors import InvalidInput
from chipstress.workflows.hazards.params import (
    INCIDENTS,
    STORM_HAZARDS,
    STORM_SEVERITIES,
    read_data_yaml,
)

__all__ = ["Rates", "load_rates"]

_SECTIONS = ("earthquakes", "storms", "water", "power", "incidents", "closures", "export_controls")


@dataclass(frozen=True)
class Rates:
    """The parsed rates file: one list of plain records per section."""

    label: str
    sections: Mapping[str, tuple[Mapping[str, Any], ...]]


# Fields each kind of record needs (earthquakes: a zone source or a fault source).
_REQUIRED = {
    "storms": ("hazard", "entry", "heading_deg", "length_km", "radius_km", "severity"),
    "water": ("district", "level", "weeks"),
    "power": ("region", "fraction", "hours"),
    "incidents": ("hazard",),
    "closures": ("hazard", "nodes", "weeks"),
    "export_controls": ("weeks",),
}
_ZONE_SOURCE = ("m_min", "m_max", "b_value", "zones")
_FAULT_SOURCE = ("magnitude", "trace")


def _earthquake(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    if "trace" in record:
        return [(k, "missing") for k in _FAULT_SOURCE if k not in record]
    problems = [(k, "missing (or give a fault trace)") for k in _ZONE_SOURCE if k not in record]
    for k, zone in enumerate(record.get("zones") or [], start=1):
        if not isinstance(zone, Mapping) or not {"weight", "depth_km", "polygon"} <= set(zone):
            problems.append((f"zones[{k}]", "needs weight, depth_km and polygon"))
    return problems


def _storm(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    if record.get("hazard") not in STORM_HAZARDS:
        return [("hazard", f"{record.get('hazard')!r} is not one of {', '.join(STORM_HAZARDS)}")]
    if not set(record.get("severity") or {}) <= set(STORM_SEVERITIES):
        return [("severity", f"severities are {', '.join(STORM_SEVERITIES)}")]
    return []


def _incident(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if record.get("hazard") not in INCIDENTS:
        problems.append(
            ("hazard", f"{record.get('hazard')!r} is not one of {', '.join(INCIDENTS)}")
        )
    if "kind" not in record and "nodes" not in record:
        problems.append(("kind", "give a node kind or a list of nodes"))
    return problems


def _closure(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    if record.get("hazard") not in ("port_closure", "airport_closure"):
        return [("hazard", "must be port_closure or airport_closure")]
    return []


def _export_control(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    if not any(k in record for k in ("material", "supplier", "country")):
        return [("material", "an export control needs a material, a supplier or a country")]
    return []


# section -> the checks of its records beyond the required fields (water and power: none).
_SECTION_CHECKS: dict[str, Callable[[Mapping[str, Any]], list[tuple[str, str]]]] = {
    "earthquakes": _earthquake,
    "storms": _storm,
    "incidents": _incident,
    "closures": _closure,
    "export_controls": _export_control,
}


def _record_problems(section: str, record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for the fields a record lacks or gets wrong."""
    problems = [(k, "missing") for k in _REQUIRED.get(section, ()) if k not in record]
    check = _SECTION_CHECKS.get(section)
    return problems + (check(record) if check is not None else [])


def _record_messages(where: str, section: str, record: Mapping[str, Any]) -> list[str]:
    """Every problem of one record: source, rate, its section's fields, its durations."""
    problems = []
    if not (record.get("source") or record.get("estimate")):
        problems.append(f"{where}: no 'source:' or 'estimate:'")
    rate = record.get("rate")
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not (0 <= rate < 1e4):
        problems.append(f"{where}, field 'rate': {rate!r} is not an annual rate >= 0")
    problems += [f"{where}, field '{k}': {m}" for k, m in _record_problems(section, record)]
    for key in ("weeks", "hours", "fraction", "radius_km"):
        values = record.get(key)
        if values is not None and (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, int | float) and v > 0 for v in values)
        ):
            problems.append(f"{where}, field '{key}': needs a list of numbers > 0")
    return problems


def _check(label: str, data: Any) -> Rates:
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{label}: expected a mapping with sections {', '.join(_SECTIONS)}")
    unknown = sorted(set(map(str, data)) - set(_SECTIONS))
    if unknown:
        problems.append(f"{label}: unknown section(s) {', '.join(unknown)}")
    sections = {}
    for section in _SECTIONS:
        records = data.get(section) or []
        if not isinstance(records, list):
            problems.append(f"{label}, {section}: expected a list")
            records = []
        for i, record in enumerate(records, start=1):
            where = f"{label}, {section}[{i}]"
            if not isinstance(record, Mapping):
                problems.append(f"{where}: expected a mapping")
                continue
            problems += _record_messages(where, section, record)
        sections[section] = tuple(r for r in records if isinstance(r, Mapping))
    if problems:
        listed = "\n  - ".join(problems[:25])
        raise InvalidInput(f"{len(problems)} problem(s) in the rates file:\n  - {listed}")
    return Rates(label, sections)


def load_rates(path: str | Path | Mapping[str, Any] | None = None) -> Rates:
    """Read a rates file (default: the packaged ``data/rates.yaml``), or take a mapping.

    Raises
    ------
    InvalidInput
        Unreadable file, a record without rate, source/estimate, or bad durations.
    """
    if isinstance(path, Mapping):
        return _check("<rates>", path)
    label, data = read_data_yaml("rates.yaml", path)
    return _check(label, data)
