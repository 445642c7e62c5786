"""Drawing a chunk of simulated years of events from the rates (vectorised per source).

Each source is a Poisson process with an annual rate. Earthquake magnitudes follow a
truncated Gutenberg-Richter law between ``m_min`` and ``m_max`` with the source's
b-value, epicentres are uniform inside the source's zone polygons (chosen by weight)
and depths uniform in the zone's range; characteristic faults rupture their whole trace
at a fixed magnitude; a zone quake of M7 or more ruptures a line through its epicentre,
of the Wells & Coppersmith length for its magnitude and a random strike, and sites are
as far from it as from the nearest point of that line at the quake's depth (the
distance the ground-motion models expect; a point source would let an M7.9 shake no
wider than an M5). Smaller quakes stay points: their half-rupture is shorter than the
quakes' typical depth. Each quake draws the PGA's deviation from the median in standard deviations of the
attenuation relation: a between-event part shared by every site and a within-event part
per site, correlated with distance (``attenuation.yaml``, ``variability``); and one
capacity quantile on the fragility curves for all sites (plants of one kind are built
to one code: their capacities move together). Storm tracks are straight lines from a random
entry point and heading. Durations pick one of the listed values. Sources are drawn in
file order from one generator per chunk, so a chunk's events depend only on its seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtri

from chipstress.workflows.hazards.checks import district_nodes
from chipstress.workflows.hazards.damage import damage_states, storm_damage
from chipstress.workflows.hazards.events import Duration, ExportControl, WaterRestriction
from chipstress.workflows.hazards.footprints import (
    EARTH_RADIUS_KM,
    chord_km,
    distance_to_track_km,
    hypocentral_km,
    inside_polygon,
    local_xy,
    unit_vectors,
)
from chipstress.workflows.hazards.rates import Rates
from chipstress.workflows.hazards.translate import Sites, blocked_edges

__all__ = ["SampledEvent", "Sampler"]


@dataclass
class SampledEvent:
    """One simulated event: the nodes it disrupts (positions, fractions, periods) and why."""

    year: int
    hazard: str
    source: str
    label: str
    positions: np.ndarray
    fraction: np.ndarray
    periods: np.ndarray
    blocked: tuple[int, ...] = ()
    blocked_by: dict[int, tuple[int, ...]] = field(default_factory=dict)
    export_periods: float = 0.0
    states: np.ndarray | None = None  # earthquakes: damage-state index per hit (params)


def _pick(rng: np.random.Generator, values: list[float], size: int) -> np.ndarray:
    return np.asarray(values, dtype=float)[rng.integers(0, len(values), size)]


def _span(values: Sequence[float]) -> tuple[float, float]:
    """A ``[low, high]`` pair of a rates record as two floats."""
    low, high = values
    return float(low), float(high)


def _years(rng: np.random.Generator, rate: float, n_years: int) -> np.ndarray:
    """Year index of every event of a Poisson source over ``n_years`` years."""
    counts = rng.poisson(rate, n_years)
    return np.repeat(np.arange(n_years), counts)


def _in_zone(
    rng: np.random.Generator, polygon: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` points uniform (in degrees) inside a polygon, by rejection."""
    lat_lo, lon_lo = polygon.min(axis=0)
    lat_hi, lon_hi = polygon.max(axis=0)
    lats, lons = np.zeros(0), np.zeros(0)
    while len(lats) < size:
        want = 2 * (size - len(lats)) + 8
        lat = rng.uniform(lat_lo, lat_hi, want)
        lon = rng.uniform(lon_lo, lon_hi, want)
        keep = inside_polygon(lat, lon, polygon)
        lats, lons = np.concatenate([lats, lat[keep]]), np.concatenate([lons, lon[keep]])
    return lats[:size], lons[:size]


def _segment_distance(lat: np.ndarray, lon: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance (km) from every site (columns) to every segment a→b (rows), flat about each site."""
    scale = np.radians(1.0) * EARTH_RADIUS_KM
    cos = np.cos(np.radians(lat))[None, :]
    ax = (a[:, 1, None] - lon[None, :]) * cos * scale
    ay = (a[:, 0, None] - lat[None, :]) * scale
    bx = (b[:, 1, None] - lon[None, :]) * cos * scale
    by = (b[:, 0, None] - lat[None, :]) * scale
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = np.clip(-(ax * dx + ay * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    return np.hypot(ax + t * dx, ay + t * dy)


class Sampler:
    """Draws simulated events for a network from a rates file.

    Sources whose nodes or districts the network lacks are skipped; ``notes`` says which.
    """

    def __init__(self, sites: Sites, rates: Rates) -> None:
        self.sites = sites
        self.rates = rates
        self.notes: list[str] = []
        self.located = np.flatnonzero(sites.located)
        self._within = self._within_event_factor()
        self._water = self._water_sources()
        self._power = self._power_sources()
        self._incidents = self._incident_sources()
        self._closures = self._closure_sources()
        self._exports = self._export_sources()
        self._storm_damage: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def _within_event_factor(self) -> np.ndarray:
        """Cholesky factor of the within-event correlation of the located sites."""
        sites, params = self.sites, self.sites.params
        lat, lon = sites.lat[self.located], sites.lon[self.located]
        if not len(lat):
            return np.zeros((0, 0))
        vectors = unit_vectors(lat, lon)
        distance = chord_km(vectors, vectors)
        correlation = np.exp(-3.0 * distance / params.correlation_range_km)
        correlation[np.diag_indices_from(correlation)] = 1.0 + 1e-9
        return np.linalg.cholesky(correlation)

    def _deviations(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Each quake's log-PGA deviation at each located site (standard deviations)."""
        share = self.sites.params.between_event_share
        between = rng.standard_normal((count, 1))
        within = rng.standard_normal((count, len(self.located))) @ self._within.T
        return np.sqrt(share) * between + np.sqrt(1.0 - share) * within

    # ------------------------------------------------------------------ sources
    def _water_sources(self) -> list[tuple[Mapping[str, Any], np.ndarray, float]]:
        """Water sources: the records, their node positions and capacity cut."""
        sites, params, network = self.sites, self.sites.params, self.sites.network
        found: list[tuple[Mapping[str, Any], np.ndarray, float]] = []
        for record in self.rates.sections["water"]:
            event = WaterRestriction(
                str(record["district"]), Duration(1.0), level=record.get("level")
            )
            nodes, system, problem = district_nodes(event, network, params)
            schemes = params.water_systems
            levels = schemes[system].levels if system is not None and system in schemes else {}
            level = event.level
            if problem or level is None or level not in levels:
                self.notes.append(
                    f"water source {record['district']}/{record.get('level')} skipped: {problem or 'unknown level'}"
                )
                continue
            cut = levels[level].capacity_cut
            if cut > 0:
                found.append((record, sites.positions(nodes), cut))
        return found

    def _power_sources(self) -> list[tuple[Mapping[str, Any], np.ndarray]]:
        """Power sources: the records and the positions of their grid's nodes."""
        sites, params = self.sites, self.sites.params
        found: list[tuple[Mapping[str, Any], np.ndarray]] = []
        for record in self.rates.sections["power"]:
            positions = sites.positions(
                params.grids.get(str(record["region"]), (str(record["region"]),))
            )
            if len(positions):
                found.append((record, positions))
            else:
                self.notes.append(
                    f"power source {record['region']} skipped: no such grid node in the network"
                )
        return found

    def _incident_sources(self) -> list[tuple[Mapping[str, Any], np.ndarray, float, float]]:
        """Incident sources: records, candidate nodes, capacity lost and periods."""
        sites, params = self.sites, self.sites.params
        found: list[tuple[Mapping[str, Any], np.ndarray, float, float]] = []
        for record in self.rates.sections["incidents"]:
            if "nodes" in record:
                positions = sites.positions([str(n) for n in record["nodes"]])
            else:
                positions = np.flatnonzero(sites.kinds == record.get("kind"))
            if len(positions):
                loss, weeks = params.incidents[str(record["hazard"])]
                found.append((record, positions, loss, float(sites.weeks_to_periods(weeks))))
        return found

    def _closure_sources(self) -> list[tuple[Mapping[str, Any], np.ndarray]]:
        """Port and airport closures: records and the positions they close."""
        sites = self.sites
        found: list[tuple[Mapping[str, Any], np.ndarray]] = []
        for record in self.rates.sections["closures"]:
            positions = sites.with_links(sites.positions([str(n) for n in record["nodes"]]))
            if len(positions):
                found.append((record, positions))
            else:
                self.notes.append(f"closure source {record['nodes']} skipped: not in the network")
        return found

    def _export_sources(
        self,
    ) -> list[tuple[Mapping[str, Any], tuple[int, ...], dict[int, tuple[int, ...]]]]:
        """Export controls: records, blocked source rows, rows by supplier."""
        sites, network = self.sites, self.sites.network
        found: list[tuple[Mapping[str, Any], tuple[int, ...], dict[int, tuple[int, ...]]]] = []
        for record in self.rates.sections["export_controls"]:
            control = ExportControl(
                Duration(1.0),
                material=record.get("material"),
                supplier=record.get("supplier"),
                country=record.get("country"),
                destination=record.get("destination"),
            )
            mask = blocked_edges(control, network)
            rows = tuple(int(r) for r in np.flatnonzero(mask))
            if not rows:
                self.notes.append(
                    f"export control {record.get('id')} skipped: blocks no source edge"
                )
                continue
            by: dict[int, tuple[int, ...]] = {}
            for row in rows:
                supplier = sites.position[str(network.sources["supplier"].iat[row])]
                by[supplier] = (*by.get(supplier, ()), row)
            found.append((record, rows, by))
        return found

    # ------------------------------------------------------------------ earthquakes
    def _quakes(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        for record in self.rates.sections["earthquakes"]:
            years = _years(rng, float(record["rate"]), n_years)
            count = len(years)
            np.add.at(drawn, years, 1)
            if not count:
                continue
            if "trace" in record:
                magnitude = np.full(count, float(record["magnitude"]))
                depth = np.full(count, float(record.get("depth_km", 10.0)))
                trace = np.asarray(record["trace"], dtype=float)
                lat0, lon0 = np.full(count, trace[0, 0]), np.full(count, trace[0, 1])
            else:
                b, lo, hi = float(record["b_value"]), float(record["m_min"]), float(record["m_max"])
                u = rng.random(count)
                magnitude = lo - np.log10(1.0 - u * (1.0 - 10.0 ** (-b * (hi - lo)))) / b
                zones = record["zones"]
                weights = np.array([float(z["weight"]) for z in zones])
                zone = rng.choice(len(zones), count, p=weights / weights.sum())
                lat0, lon0, depth = np.zeros(count), np.zeros(count), np.zeros(count)
                for k, spec in enumerate(zones):
                    members = np.flatnonzero(zone == k)
                    lat0[members], lon0[members] = _in_zone(
                        rng, np.asarray(spec["polygon"], dtype=float), len(members)
                    )
                    d_lo, d_hi = spec["depth_km"]
                    depth[members] = rng.uniform(float(d_lo), float(d_hi), len(members))
            epsilon = self._deviations(rng, count)
            quantile = np.repeat(rng.random((count, 1)), len(self.located), axis=1)
            strike = rng.uniform(0.0, np.pi, count)
            self._quake_hits(
                record, years, magnitude, (lat0, lon0, depth, strike), epsilon, quantile, out
            )

    def _quake_hits(
        self,
        record: Mapping[str, Any],
        years: np.ndarray,
        magnitude: np.ndarray,
        where: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        epsilon: np.ndarray,
        quantile: np.ndarray,
        out: list[SampledEvent],
    ) -> None:
        """Damage of every quake at every located site, in batches of events.

        ``where`` is each quake's epicentre (lat, lon), depth (km) and rupture strike
        (radians from north); ``epsilon`` and ``quantile`` are per quake and located site.
        """
        lat0, lon0, depth, strike = where
        sites, located = self.sites, self.located
        frag = sites.fragility
        lat, lon = sites.lat[located], sites.lon[located]
        trace = np.asarray(record["trace"], dtype=float) if "trace" in record else None
        country = sites.network.nodes["country"].to_numpy(dtype=object)[located]
        log_median, beta = np.log(frag.median[located]), frag.beta[located]
        batch = max(1, 2_000_000 // max(1, 4 * len(located)))
        for first in range(0, len(years), batch):
            part = slice(first, first + batch)
            if trace is not None:
                surface = distance_to_track_km(lat, lon, trace)[None, :]
            else:
                surface = self._to_rupture_km(
                    lat, lon, lat0[part], lon0[part], magnitude[part], strike[part]
                )
            distance = hypocentral_km(surface, depth[part, None])
            pga = sites.params.attenuation.pga_g(
                magnitude[part, None],
                distance,
                epsilon[part],
                country,
                depth[part, None],
                str(record["id"]),
            )
            # Most quakes shake no site past its weakest state: find the others first
            # (in logs: ln PGA >= ln median + beta * z for some state).
            z = ndtri(np.clip(quantile[part], 1e-12, 1 - 1e-12))
            log_pga = np.log(pga)
            reached = np.zeros(pga.shape, dtype=bool)
            for level in range(log_median.shape[1]):
                reached |= log_pga >= log_median[None, :, level] + beta[None, :, level] * z
            shaken = np.flatnonzero(reached.any(axis=1))
            if not len(shaken):
                continue
            state = damage_states(
                pga[shaken], frag.median[located], frag.beta[located], quantile[part][shaken]
            )  # per quake and site
            for e, hits in zip(shaken, state, strict=True):
                hit = np.flatnonzero(hits >= 0)
                if not len(hit):
                    continue
                rows, s = located[hit], hits[hit]
                fraction = frag.loss[rows, s]
                keep = fraction > 0
                if not keep.any():
                    continue
                k = first + e
                out.append(
                    SampledEvent(
                        int(years[k]),
                        "earthquake",
                        str(record["id"]),
                        f"M{magnitude[k]:.1f} at {lat0[k]:.2f},{lon0[k]:.2f} depth {depth[k]:.0f} km",
                        rows[keep],
                        fraction[keep],
                        sites.weeks_to_periods(frag.recovery_weeks[rows[keep], s[keep]]),
                        states=s[keep],
                    )
                )

    def _to_rupture_km(
        self,
        lat: np.ndarray,
        lon: np.ndarray,
        lat0: np.ndarray,
        lon0: np.ndarray,
        magnitude: np.ndarray,
        strike: np.ndarray,
    ) -> np.ndarray:
        """Surface distance (km) of each site to each quake's rupture line, (quakes, sites).

        The line runs through the epicentre along ``strike`` (radians from north) for
        ``10 ** (a + b · Mw)`` km (Wells & Coppersmith), half each side; quakes below the
        data's ``min_magnitude`` stay points (their rupture is shorter than their depth).
        """
        a, b, smallest = self.sites.params.rupture_length
        half = 0.5 * 10.0 ** (a + b * magnitude)[:, None]
        half = np.where(magnitude[:, None] >= smallest, half, 0.0)  # smaller: a point
        x, y = local_xy(lat[None, :], lon[None, :], lat0[:, None], lon0[:, None])
        east, north = np.sin(strike)[:, None], np.cos(strike)[:, None]
        along = np.clip(x * east + y * north, -half, half)
        return np.hypot(x - along * east, y - along * north)

    # ------------------------------------------------------------------ storms
    def _damage(self, hazard: str, severity: str) -> tuple[np.ndarray, np.ndarray]:
        key = (hazard, severity)
        if key not in self._storm_damage:
            loss, weeks = storm_damage(self.sites.params, hazard, severity, self.sites.kinds)
            self._storm_damage[key] = (loss, self.sites.weeks_to_periods(weeks))
        return self._storm_damage[key]

    def _storms(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        sites, located = self.sites, self.located
        for record in self.rates.sections["storms"]:
            years = _years(rng, float(record["rate"]), n_years)
            count = len(years)
            np.add.at(drawn, years, 1)
            if not count:
                continue
            entry = record["entry"]
            start = np.column_stack(
                [
                    rng.uniform(*_span(entry["lat"]), count),
                    rng.uniform(*_span(entry["lon"]), count),
                ]
            )
            heading = np.radians(rng.uniform(*_span(record["heading_deg"]), count))
            length = float(record["length_km"])
            d_lat = np.degrees(length * np.cos(heading) / EARTH_RADIUS_KM)
            d_lon = np.degrees(
                length * np.sin(heading) / (EARTH_RADIUS_KM * np.cos(np.radians(start[:, 0])))
            )
            end = start + np.column_stack([d_lat, d_lon])
            radius = _pick(rng, record["radius_km"], count)
            names = list(record["severity"])
            shares = np.array([float(record["severity"][n]) for n in names])
            severity = rng.choice(len(names), count, p=shares / shares.sum())
            if not len(located):
                continue
            distance = _segment_distance(sites.lat[located], sites.lon[located], start, end)
            for e in np.flatnonzero((distance <= radius[:, None]).any(axis=1)):
                rows = located[distance[e] <= radius[e]]
                loss, periods = self._damage(str(record["hazard"]), names[severity[e]])
                closed = rows[(sites.kinds[rows] == "logistics") & (loss[rows] > 0)]
                rows = np.union1d(rows, sites.with_links(closed))
                rows = rows[(loss[rows] > 0) & (periods[rows] > 0)]
                if len(rows):
                    out.append(
                        SampledEvent(
                            int(years[e]),
                            str(record["hazard"]),
                            str(record["id"]),
                            f"{names[severity[e]]} {record['hazard']}, radius {radius[e]:g} km",
                            rows,
                            loss[rows],
                            periods[rows],
                        )
                    )

    # ------------------------------------------------------------------ the rest
    def _fixed(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        """Events of the sources with fixed footprints, section by section."""
        self._water_events(rng, n_years, out, drawn)
        self._power_events(rng, n_years, out, drawn)
        self._incident_events(rng, n_years, out, drawn)
        self._closure_events(rng, n_years, out, drawn)
        self._export_events(rng, n_years, out, drawn)

    def _water_events(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        """Water restrictions."""
        weeks = self.sites.weeks_to_periods
        for record, positions, cut in self._water:
            years = _years(rng, float(record["rate"]), n_years)
            np.add.at(drawn, years, 1)
            spans = weeks(_pick(rng, record["weeks"], len(years)))
            for year, span in zip(years, spans, strict=True):
                label = f"{record['district']} {record['level']} for {span:g} periods"
                out.append(
                    self._uniform(
                        year,
                        "water_restriction",
                        f"{record['district']} {record['level']}",
                        label,
                        positions,
                        cut,
                        span,
                    )
                )

    def _power_events(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        """Power outages."""
        period_hours = self.sites.period_days * 24.0
        for record, positions in self._power:
            years = _years(rng, float(record["rate"]), n_years)
            np.add.at(drawn, years, 1)
            fraction = _pick(rng, record["fraction"], len(years))
            hours = _pick(rng, record["hours"], len(years))
            for year, f, h in zip(years, fraction, hours, strict=True):
                label = f"{record['region']} {f:.0%} for {h:g} h"
                out.append(
                    self._uniform(
                        year,
                        "power_outage",
                        str(record["region"]),
                        label,
                        positions,
                        f,
                        h / period_hours,
                    )
                )

    def _incident_events(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        """Site incidents (a random candidate node each)."""
        for record, candidates, loss, span in self._incidents:
            years = _years(rng, float(record["rate"]) * len(candidates), n_years)
            np.add.at(drawn, years, 1)
            chosen = candidates[rng.integers(0, len(candidates), len(years))]
            source = f"{record['hazard']} at {record.get('kind') or 'listed nodes'}"
            for year, node in zip(years, chosen, strict=True):
                label = f"{record['hazard']} at {self.sites.ids[node]}"
                out.append(
                    self._uniform(
                        year, str(record["hazard"]), source, label, np.array([node]), loss, span
                    )
                )

    def _closure_events(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        """Port and airport closures."""
        weeks = self.sites.weeks_to_periods
        for record, positions in self._closures:
            years = _years(rng, float(record["rate"]), n_years)
            np.add.at(drawn, years, 1)
            spans = weeks(_pick(rng, record["weeks"], len(years)))
            source = "+".join(map(str, record["nodes"]))
            for year, span in zip(years, spans, strict=True):
                out.append(
                    self._uniform(
                        year,
                        str(record["hazard"]),
                        source,
                        f"{source} closed {span:g} periods",
                        positions,
                        1.0,
                        span,
                    )
                )

    def _export_events(
        self, rng: np.random.Generator, n_years: int, out: list[SampledEvent], drawn: np.ndarray
    ) -> None:
        """Export controls."""
        weeks = self.sites.weeks_to_periods
        for record, rows, by in self._exports:
            years = _years(rng, float(record["rate"]), n_years)
            np.add.at(drawn, years, 1)
            spans = weeks(_pick(rng, record["weeks"], len(years)))
            for year, span in zip(years, spans, strict=True):
                none = np.zeros(0)
                out.append(
                    SampledEvent(
                        int(year),
                        "export_control",
                        str(record.get("id", "export control")),
                        f"{record.get('id')} for {span:g} periods",
                        np.zeros(0, np.int64),
                        none,
                        none,
                        rows,
                        by,
                        float(span),
                    )
                )

    @staticmethod
    def _uniform(
        year: int,
        hazard: str,
        source: str,
        label: str,
        positions: np.ndarray,
        fraction: float,
        periods: float,
    ) -> SampledEvent:
        n = len(positions)
        return SampledEvent(
            int(year),
            hazard,
            source,
            label,
            positions,
            np.full(n, float(fraction)),
            np.full(n, float(periods)),
        )

    def sample(
        self, rng: np.random.Generator, n_years: int
    ) -> tuple[list[SampledEvent], np.ndarray]:
        """Events of ``n_years`` simulated years that disrupt something, and events drawn per year.

        The list is ordered by year, then by source (file order), then by draw.
        """
        out: list[SampledEvent] = []
        drawn = np.zeros(n_years, dtype=np.int64)
        self._quakes(rng, n_years, out, drawn)
        self._storms(rng, n_years, out, drawn)
        self._fixed(rng, n_years, out, drawn)
        order = sorted(range(len(out)), key=lambda i: out[i].year)
        return [out[i] for i in order], drawn
