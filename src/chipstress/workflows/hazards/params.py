"""Hazard parameters, read from the data files in ``hazards/data/`` (never set in code).

* ``attenuation.yaml`` — the ground-motion models per region and the magnitude/depth limits;
* ``fragility.csv`` — per node kind and damage state: median PGA (g), lognormal beta,
  capacity loss (fraction) and recovery (weeks);
* ``storms.csv`` — typhoon/flood/storm damage per severity and node kind;
* ``water.yaml`` — water-restriction schemes, their levels' capacity cuts, and which
  water node(s) each district name means;
* ``locations.yaml`` — grid-region names and facilities closed together;
* ``incidents.yaml`` — default loss and recovery of fires, contamination, cyber incidents.

Every record carries ``source:`` (a URL) or ``estimate: <basis>``; loading checks it.
:func:`load_parameters` reads another folder with the same file names to replace any of
them (missing files fall back to the packaged ones).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from chipstress.errors import InvalidInput
from chipstress.model.io.safe import load_yaml
from chipstress.model.network import Network
from chipstress.workflows.hazards.footprints import Attenuation

__all__ = [
    "DAMAGE_STATES",
    "PERIOD_DAYS",
    "DamageState",
    "District",
    "HazardParameters",
    "WaterLevel",
    "WaterSystem",
    "default_parameters",
    "load_parameters",
    "parse_yaml_mapping",
    "period_days",
    "read_data_yaml",
]

DAMAGE_STATES: tuple[str, ...] = ("slight", "moderate", "extensive", "complete")
STORM_HAZARDS: tuple[str, ...] = ("typhoon", "flood", "storm")
STORM_SEVERITIES: tuple[str, ...] = ("moderate", "severe", "extreme")
INCIDENTS: tuple[str, ...] = ("fire", "contamination", "cyber")

# Length in days of the period names a network may use (network.yaml ``period``).
PERIOD_DAYS: dict[str, float] = {
    "hour": 1 / 24,
    "day": 1.0,
    "week": 7.0,
    "month": 365.25 / 12,
    "quarter": 365.25 / 4,
    "year": 365.25,
}


def period_days(network: Network) -> float:
    """Length of the network's period in days (``week`` → 7).

    Raises
    ------
    InvalidInput
        The period is not a unit of time chipstress knows (hazard durations need one).
    """
    name = str(network.meta.period).strip().lower()
    name = name[:-1] if name.endswith("s") else name
    if name not in PERIOD_DAYS:
        known = ", ".join(PERIOD_DAYS)
        raise InvalidInput(
            f"network {network.meta.name!r} has period {network.meta.period!r}; hazard "
            f"durations need a period of time: one of {known}"
        )
    return PERIOD_DAYS[name]


@dataclass(frozen=True)
class DamageState:
    """One damage state of a node kind's fragility curve (lognormal in PGA)."""

    name: str
    median_pga_g: float
    beta: float
    capacity_loss: float
    recovery_weeks: float
    source: str


@dataclass(frozen=True)
class WaterLevel:
    """A restriction level: the fraction of a water node's capacity it cuts."""

    name: str
    capacity_cut: float
    measure: str
    source: str


@dataclass(frozen=True)
class WaterSystem:
    """A water-restriction scheme and its levels, mildest first."""

    name: str
    description: str
    levels: Mapping[str, WaterLevel]


@dataclass(frozen=True)
class District:
    """A name for the water node(s) a restriction cuts, and the scheme whose levels apply."""

    name: str
    system: str
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class HazardParameters:
    """Everything the hazard layer reads from data files."""

    attenuation: Attenuation
    magnitude_range: tuple[float, float]
    depth_km_max: float
    fragility: Mapping[str, tuple[DamageState, ...]]
    storms: Mapping[tuple[str, str, str], tuple[float, float]]
    water_systems: Mapping[str, WaterSystem]
    districts: Mapping[str, District]
    systems_by_country: Mapping[str, str]
    grids: Mapping[str, tuple[str, ...]]
    closure_links: Mapping[str, tuple[str, ...]]
    incidents: Mapping[str, tuple[float, float]]
    between_event_share: float = 1.0
    correlation_range_km: float = 40.7
    rupture_length: tuple[float, float, float] = (-2.44, 0.59, 7.0)


def read_data_yaml(name: str, path: str | Path | None = None) -> tuple[str, dict[str, Any]]:
    """A hazard data file parsed as YAML: ``path``, or the packaged ``hazards/data/NAME``.

    Parameters
    ----------
    name
        The packaged file's name (e.g. ``rates.yaml``).
    path
        A file to read instead (``None``: the packaged one).

    Returns
    -------
    tuple
        The label errors name the file by (``hazards/data/NAME`` or the path) and the
        top-level mapping.

    Raises
    ------
    InvalidInput
        The file cannot be read, is not valid YAML, or is not a mapping at the top level.
    """
    if path is None:
        label = f"hazards/data/{name}"
        packaged = resources.files("chipstress.workflows.hazards").joinpath("data", name)
        text = packaged.read_text(encoding="utf-8")
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInput(f"{label}: cannot read ({error})") from None
    return label, parse_yaml_mapping(label, text)


def parse_yaml_mapping(label: str, text: str) -> dict[str, Any]:
    """``text`` parsed as YAML, which must be a mapping (errors name ``label``).

    Parameters
    ----------
    label
        What the text is (a file name), for the error message.
    text
        The YAML text.

    Returns
    -------
    dict
        The top-level mapping.

    Raises
    ------
    InvalidInput
        Not valid YAML, or not a mapping at the top level.
    """
    data = load_yaml(text, label)
    if not isinstance(data, dict):
        raise InvalidInput(f"{label}: expected a mapping at the top level")
    return data


class _Reader:
    """Reads data files from an override folder or the package, collecting problems."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.problems: list[str] = []

    def text(self, name: str) -> tuple[str, str]:
        if self.folder is not None and (self.folder / name).is_file():
            path = self.folder / name
            return str(path), path.read_text(encoding="utf-8")
        packaged = resources.files("chipstress.workflows.hazards").joinpath("data", name)
        return f"hazards/data/{name}", packaged.read_text(encoding="utf-8")

    def yaml(self, name: str) -> tuple[str, dict[str, Any]]:
        label, text = self.text(name)
        return label, parse_yaml_mapping(label, text)

    def csv(self, name: str, columns: tuple[str, ...]) -> tuple[str, list[dict[str, str]]]:
        label, text = self.text(name)
        rows = list(csv.DictReader(io.StringIO(text)))
        missing = [c for c in columns if rows and c not in rows[0]]
        if missing or not rows:
            raise InvalidInput(f"{label}: needs columns {', '.join(columns)} and at least one row")
        return label, rows

    def number(self, label: str, where: str, value: Any, lo: float, hi: float) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and lo <= number <= hi):
            self.problems.append(f"{label}, {where}: {value!r} is not a number in [{lo}, {hi}]")
            return math.nan
        return number

    def provenance(self, label: str, where: str, record: Mapping[str, Any]) -> str:
        text = str(record.get("source") or record.get("estimate") or "").strip()
        if not text:
            self.problems.append(f"{label}, {where}: no 'source:' or 'estimate:'")
        elif "estimate" in record and record.get("estimate"):
            text = f"estimate: {text}"
        return text


def _fragility(reader: _Reader) -> dict[str, tuple[DamageState, ...]]:
    columns = ("kind", "damage_state", "median_pga_g", "beta", "capacity_loss", "recovery_weeks")
    label, rows = reader.csv("fragility.csv", (*columns, "source"))
    states: dict[str, dict[str, DamageState]] = {}
    for number, row in enumerate(rows, start=1):
        where = f"row {number}"
        state = row["damage_state"].strip()
        if state not in DAMAGE_STATES:
            reader.problems.append(f"{label}, {where}: unknown damage state {state!r}")
            continue
        if not (row.get("source") or "").strip():
            reader.problems.append(f"{label}, {where}: no source or estimate")
        states.setdefault(row["kind"].strip(), {})[state] = DamageState(
            state,
            reader.number(label, where, row["median_pga_g"], 1e-6, 10.0),
            reader.number(label, where, row["beta"], 1e-3, 3.0),
            reader.number(label, where, row["capacity_loss"], 0.0, 1.0),
            reader.number(label, where, row["recovery_weeks"], 0.0, 520.0),
            row["source"].strip(),
        )
    curves = {}
    for kind, by_state in states.items():
        missing = [s for s in DAMAGE_STATES if s not in by_state]
        if missing:
            reader.problems.append(f"{label}: kind {kind!r} lacks state(s) {', '.join(missing)}")
            continue
        curve = tuple(by_state[s] for s in DAMAGE_STATES)
        medians = [s.median_pga_g for s in curve]
        if any(b <= a for a, b in itertools.pairwise(medians)):
            reader.problems.append(
                f"{label}: kind {kind!r} medians must rise from slight to complete"
            )
        curves[kind] = curve
    return curves


def _storms(reader: _Reader) -> dict[tuple[str, str, str], tuple[float, float]]:
    columns = ("hazard", "severity", "kind", "capacity_loss", "recovery_weeks", "source")
    label, rows = reader.csv("storms.csv", columns)
    table = {}
    for number, row in enumerate(rows, start=1):
        where = f"row {number}"
        hazard, severity = row["hazard"].strip(), row["severity"].strip()
        if hazard not in STORM_HAZARDS or severity not in STORM_SEVERITIES:
            reader.problems.append(f"{label}, {where}: unknown hazard/severity {hazard}/{severity}")
        if not row["source"].strip():
            reader.problems.append(f"{label}, {where}: no source or estimate")
        table[(hazard, severity, row["kind"].strip())] = (
            reader.number(label, where, row["capacity_loss"], 0.0, 1.0),
            reader.number(label, where, row["recovery_weeks"], 0.0, 520.0),
        )
    return table


def _water(reader: _Reader) -> tuple[dict, dict, dict]:
    label, data = reader.yaml("water.yaml")
    systems = {}
    for name, spec in (data.get("systems") or {}).items():
        levels = {}
        for level, record in (spec.get("levels") or {}).items():
            where = f"systems.{name}.levels.{level}"
            levels[str(level)] = WaterLevel(
                str(level),
                reader.number(label, where, record.get("capacity_cut"), 0.0, 1.0),
                str(record.get("measure", "")),
                reader.provenance(label, where, record),
            )
        systems[str(name)] = WaterSystem(str(name), str(spec.get("description", "")), levels)
    districts = {}
    for name, record in (data.get("districts") or {}).items():
        where = f"districts.{name}"
        reader.provenance(label, where, record)
        system = str(record.get("system", ""))
        if system not in systems:
            reader.problems.append(f"{label}, {where}: unknown system {system!r}")
        districts[str(name)] = District(
            str(name), system, tuple(map(str, record.get("nodes") or ()))
        )
    by_country = {str(k): str(v) for k, v in (data.get("systems_by_country") or {}).items()}
    for country, system in by_country.items():
        if system not in systems:
            reader.problems.append(
                f"{label}, systems_by_country.{country}: unknown system {system!r}"
            )
    return systems, districts, by_country


def _node_lists(reader: _Reader, label: str, data: Mapping[str, Any], key: str) -> dict:
    out = {}
    for name, record in (data.get(key) or {}).items():
        reader.provenance(label, f"{key}.{name}", record)
        out[str(name)] = tuple(map(str, record.get("nodes") or ()))
    return out


def load_parameters(folder: str | Path | None = None) -> HazardParameters:
    """Read the hazard parameters (from ``folder`` where it has a file, else the package).

    Raises
    ------
    InvalidInput
        A data file is unreadable, or a record is out of range or has no source/estimate.
    """
    reader = _Reader(Path(folder) if folder is not None else None)
    label, att = reader.yaml("attenuation.yaml")
    limits = att.get("limits") or {}
    attenuation = Attenuation.from_data(
        att,
        lambda where, value, lo, hi: reader.number(label, where, value, lo, hi),
        lambda where, record: reader.provenance(label, where, record),
        lambda where, message: reader.problems.append(f"{label}, {where}: {message}"),
    )
    reader.provenance(label, "limits", limits)
    magnitude_range = (
        reader.number(label, "limits", limits.get("magnitude_min"), 0.0, 10.0),
        reader.number(label, "limits", limits.get("magnitude_max"), 0.0, 10.0),
    )
    depth_max = reader.number(label, "limits", limits.get("depth_km_max"), 0.0, 1000.0)
    variability = att.get("variability") or {}
    reader.provenance(label, "variability", variability)
    between = reader.number(label, "variability", variability.get("between_event_share"), 0.0, 1.0)
    correlation_range = reader.number(
        label, "variability", variability.get("correlation_range_km"), 1e-3, 1e4
    )
    rupture = att.get("rupture_length") or {}
    reader.provenance(label, "rupture_length", rupture)
    rupture_length = (
        reader.number(label, "rupture_length", rupture.get("a"), -10.0, 10.0),
        reader.number(label, "rupture_length", rupture.get("b"), 0.0, 5.0),
        reader.number(label, "rupture_length", rupture.get("min_magnitude"), 0.0, 10.0),
    )
    fragility = _fragility(reader)
    storms = _storms(reader)
    systems, districts, by_country = _water(reader)
    label, locations = reader.yaml("locations.yaml")
    grids = _node_lists(reader, label, locations, "grids")
    links = _node_lists(reader, label, locations, "closure_links")
    label, incident_data = reader.yaml("incidents.yaml")
    incidents = {}
    for kind in INCIDENTS:
        record = incident_data.get(kind) or {}
        reader.provenance(label, kind, record)
        incidents[kind] = (
            reader.number(label, kind, record.get("capacity_loss"), 0.0, 1.0),
            reader.number(label, kind, record.get("recovery_weeks"), 0.0, 520.0),
        )
    if reader.problems:
        listed = "\n  - ".join(reader.problems[:25])
        raise InvalidInput(f"{len(reader.problems)} problem(s) in hazard data:\n  - {listed}")
    return HazardParameters(
        attenuation=attenuation,
        magnitude_range=magnitude_range,
        depth_km_max=depth_max,
        fragility=fragility,
        storms=storms,
        water_systems=systems,
        districts=districts,
        systems_by_country=by_country,
        grids=grids,
        closure_links=links,
        incidents=incidents,
        between_event_share=between,
        correlation_range_km=correlation_range,
        rupture_length=rupture_length,
    )


@cache
def default_parameters() -> HazardParameters:
    """The packaged parameters (read once)."""
    return load_parameters()
