"""Events → per-node outages → one disruption window for the engine.

Each event becomes *hits*: nodes losing a fraction of capacity for some periods, with
the intensity, damage state and reason behind each. Outages of one node from several
events combine as independent causes (remaining capacity multiplies while they
overlap). The stress-test programs model a window as one aggregate period, so a node
whose outages add up to ``L`` capacity-periods inside a window of ``T`` periods loses
``L / T`` of its capacity over the window; :func:`chipstress.engine.outage_window` does
that sum. Export controls remove source edges instead (see
:meth:`chipstress.Network.without_sources`) and last the whole window.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chipstress.engine import outage_window
from chipstress.model.network import Network
from chipstress.workflows.hazards.checks import check_events, district_nodes
from chipstress.workflows.hazards.damage import FragilityArrays, damage_states, storm_damage
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
from chipstress.workflows.hazards.footprints import (
    distance_to_track_km,
    great_circle_km,
    hypocentral_km,
    inside_polygon,
)
from chipstress.workflows.hazards.params import (
    DAMAGE_STATES,
    HazardParameters,
    default_parameters,
    period_days,
)

__all__ = ["SITE_COLUMNS", "Hits", "Sites", "Translation", "combine", "event_hits", "translate"]

SITE_COLUMNS = [
    "site",
    "name",
    "kind",
    "cluster",
    "event",
    "hazard",
    "intensity",
    "measure",
    "damage_state",
    "capacity_loss",
    "start_periods",
    "recovery_periods",
    "recovery_weeks",
    "reason",
]


@dataclass(frozen=True)
class Sites:
    """A network's nodes as arrays for footprints: positions, kinds, coordinates, curves."""

    network: Network
    params: HazardParameters
    ids: np.ndarray
    kinds: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    located: np.ndarray
    fragility: FragilityArrays
    period_days: float
    position: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls, network: Network, params: HazardParameters | None = None) -> Sites:
        """Arrays of ``network``'s nodes (raises if its period is not a time unit)."""
        params = params or default_parameters()
        nodes = network.nodes
        lat = nodes["lat"].to_numpy(dtype=float)
        lon = nodes["lon"].to_numpy(dtype=float)
        kinds = nodes["kind"].to_numpy(dtype=object)
        ids = nodes["id"].to_numpy(dtype=object)
        return cls(
            network,
            params,
            ids,
            kinds,
            lat,
            lon,
            np.isfinite(lat) & np.isfinite(lon),
            FragilityArrays.for_kinds(kinds, params),
            period_days(network),
            {str(i): k for k, i in enumerate(ids)},
        )

    def weeks_to_periods(self, weeks: np.ndarray | float) -> np.ndarray:
        """Weeks as network periods."""
        return np.asarray(weeks, dtype=float) * 7.0 / self.period_days

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Positions of node ids present in the network (others skipped)."""
        return np.array([self.position[i] for i in ids if i in self.position], dtype=np.int64)

    def with_links(self, positions: np.ndarray) -> np.ndarray:
        """``positions`` plus the nodes closed together with them (``closure_links``)."""
        links = self.params.closure_links
        if not any(str(self.ids[p]) in links for p in positions):
            return positions
        linked = [
            self.position[other]
            for p in positions
            for other in self.params.closure_links.get(str(self.ids[p]), ())
            if other in self.position
        ]
        return np.unique(np.concatenate([positions, np.array(linked, dtype=np.int64)]))


@dataclass(frozen=True)
class Hits:
    """Nodes one event disrupts: capacity lost, for how long, and why."""

    positions: np.ndarray
    fraction: np.ndarray
    periods: np.ndarray
    measure: np.ndarray
    intensity: list[str]
    state: list[str]
    reason: list[str]

    @classmethod
    def empty(cls) -> Hits:
        """No node hit."""
        none = np.zeros(0)
        return cls(np.zeros(0, np.int64), none, none, none, [], [], [])

    def __len__(self) -> int:
        return len(self.positions)


def _uniform(
    positions: np.ndarray,
    fraction: float,
    periods: float,
    measure: float,
    intensity: str,
    state: str,
    reason: str,
) -> Hits:
    n = len(positions)
    return Hits(
        positions.astype(np.int64),
        np.full(n, fraction),
        np.full(n, periods),
        np.full(n, measure),
        [intensity] * n,
        [state] * n,
        [reason] * n,
    )


def _earthquake(event: Earthquake, sites: Sites, explain: bool) -> Hits:
    located = np.flatnonzero(sites.located)
    lat, lon = sites.lat[located], sites.lon[located]
    if event.rupture is not None:
        surface = distance_to_track_km(lat, lon, np.array(event.rupture))
    else:
        surface = great_circle_km(lat, lon, event.lat, event.lon)
    distance = hypocentral_km(surface, event.depth_km)
    country = sites.network.nodes["country"].to_numpy(dtype=object)[located]
    pga = sites.params.attenuation.pga_g(
        event.magnitude, distance, event.epsilon, country, event.depth_km, event.name
    )
    frag = sites.fragility
    state = damage_states(pga, frag.median[located], frag.beta[located], event.capacity_quantile)
    hit = state >= 0
    rows, states = located[hit], state[hit]
    fraction = frag.loss[rows, states]
    periods = sites.weeks_to_periods(frag.recovery_weeks[rows, states])
    names = [DAMAGE_STATES[s] for s in states]
    if explain:  # the intensity people read there (CWA, JMA or MMI), and the PGA
        read = sites.params.attenuation.intensity(
            event.magnitude,
            distance[hit],
            event.epsilon,
            country[hit],
            event.depth_km,
            event.name,
        )
        intensity = [f"{label} (PGA {g:.3f} g)" for label, g in zip(read, pga[hit], strict=True)]
    else:
        intensity = names
    reasons = []
    if explain:
        source = "rupture" if event.rupture is not None else "epicentre"
        for g, km, row, s in zip(pga[hit], surface[hit], rows, states, strict=True):
            reasons.append(
                f"M{event.magnitude:g} {km:.0f} km from the {source} (depth {event.depth_km:g} km): "
                f"PGA {g:.3f} g >= the {DAMAGE_STATES[s]} median {frag.median[row, s]:g} g "
                f"of kind {sites.kinds[row]}"
            )
    keep = fraction > 0
    return Hits(
        rows[keep],
        fraction[keep],
        periods[keep],
        pga[hit][keep],
        [t for t, k in zip(intensity, keep, strict=True) if k],
        [t for t, k in zip(names, keep, strict=True) if k],
        [t for t, k in zip(reasons, keep, strict=True) if k] if explain else [],
    )


def _water(event: WaterRestriction, sites: Sites) -> Hits:
    params = sites.params
    nodes, system, _ = district_nodes(event, sites.network, params)
    if event.level is not None and system is not None:  # checked: a level has a scheme
        level = params.water_systems[system].levels[event.level]
        cut, label = level.capacity_cut, f"{system} {event.level}"
        why = f"{label} in {event.district}: {level.measure}"
    else:
        cut = float(event.cut or 0.0)  # a restriction gives a level or a cut
        label = f"cut {cut:.0%}"
        why = f"water supply of {event.district} cut by {cut:.0%}"
    if cut <= 0:
        return Hits.empty()
    periods = event.duration.periods(sites.period_days)
    return _uniform(sites.positions(nodes), cut, periods, cut, label, "restricted", why)


def _power(event: PowerOutage, sites: Sites) -> Hits:
    grid = sites.params.grids.get(event.region, (event.region,))
    periods = event.duration.periods(sites.period_days)
    why = (
        f"power outage of {event.region} for {event.duration}: {event.fraction:.0%} of supply lost"
    )
    return _uniform(
        sites.positions(grid), event.fraction, periods, event.fraction, "outage", "outage", why
    )


def _storm(event: Storm, sites: Sites, explain: bool) -> Hits:
    located = np.flatnonzero(sites.located)
    lat, lon = sites.lat[located], sites.lon[located]
    if event.polygon is not None:
        inside = inside_polygon(lat, lon, np.array(event.polygon))
        distance = np.zeros(len(located))
        where = "inside the polygon"
    else:
        distance = distance_to_track_km(lat, lon, np.array(event.track))
        radius = float(event.radius_km or 0.0)  # a track comes with a radius
        inside = distance <= radius
        where = f"within {radius:g} km of the track"
    rows = located[inside]
    loss, weeks = storm_damage(sites.params, event.hazard, event.severity, sites.kinds[rows])
    closed = sites.kinds[rows] == "logistics"
    linked = np.setdiff1d(sites.with_links(rows[closed & (loss > 0)]), rows)
    if len(linked):
        extra_loss, extra_weeks = storm_damage(
            sites.params, event.hazard, event.severity, sites.kinds[linked]
        )
        rows = np.concatenate([rows, linked])
        loss, weeks = np.concatenate([loss, extra_loss]), np.concatenate([weeks, extra_weeks])
        distance = np.concatenate([distance[inside], np.full(len(linked), np.nan)])
    else:
        distance = distance[inside]
    keep = (loss > 0) & (weeks > 0)
    rows, loss, weeks, distance = rows[keep], loss[keep], weeks[keep], distance[keep]
    n = len(rows)
    state = ["closed" if k == "logistics" else event.severity for k in sites.kinds[rows]]
    reasons = (
        [
            f"{event.severity} {event.hazard}: site {where}"
            if np.isfinite(d)
            else f"{event.severity} {event.hazard}: closed with a linked facility"
            for d in distance
        ]
        if explain
        else []
    )
    return Hits(
        rows,
        loss,
        sites.weeks_to_periods(weeks),
        distance,
        [f"{event.severity} {event.hazard}"] * n,
        state,
        reasons,
    )


def _incident(event: SiteIncident, sites: Sites) -> Hits:
    default_loss, default_weeks = sites.params.incidents[event.hazard]
    fraction = event.fraction if event.fraction is not None else default_loss
    periods = (
        event.recovery.periods(sites.period_days)
        if event.recovery is not None
        else float(sites.weeks_to_periods(default_weeks))
    )
    why = f"{event.hazard} at the site: {fraction:.0%} of capacity lost for {periods:.3g} periods"
    return _uniform(
        sites.positions([event.node]), fraction, periods, fraction, event.hazard, event.hazard, why
    )


def _closure(event: Closure, sites: Sites) -> Hits:
    positions = sites.with_links(sites.positions(event.nodes))
    periods = event.duration.periods(sites.period_days)
    what = event.hazard.replace("_", " ")
    why = f"{what} for {event.duration}: {event.fraction:.0%} of throughput lost"
    return _uniform(positions, event.fraction, periods, event.fraction, "closed", "closed", why)


def event_hits(event: Event, sites: Sites, explain: bool = True) -> Hits:
    """The nodes ``event`` disrupts (export controls disrupt none: they block edges).

    Parameters
    ----------
    event
        A checked event.
    sites
        The network's nodes as arrays (:meth:`Sites.build`).
    explain
        Write a reason per hit (and the PGA as intensity for earthquakes).

    Returns
    -------
    Hits
        Positions, capacity lost (fraction), outage length (network periods) and why;
        the same hits drive the window model and the time profiles
        (:mod:`chipstress.workflows.hazards.profiles`).
    """
    if isinstance(event, Earthquake):
        return _earthquake(event, sites, explain)
    if isinstance(event, WaterRestriction):
        return _water(event, sites)
    if isinstance(event, PowerOutage):
        return _power(event, sites)
    if isinstance(event, Storm):
        return _storm(event, sites, explain)
    if isinstance(event, SiteIncident):
        return _incident(event, sites)
    if isinstance(event, Closure):
        return _closure(event, sites)
    return Hits.empty()


def blocked_edges(event: ExportControl, network: Network) -> np.ndarray:
    """Mask of the source rows an export control blocks."""
    nodes = network.nodes.set_index("id")
    supplier, customer = network.sources["supplier"], network.sources["customer"]
    mask = np.ones(len(network.sources), dtype=bool)
    if event.supplier is not None:
        mask &= (supplier == event.supplier).to_numpy()
    if event.material is not None:
        mask &= (supplier.map(nodes["material"]) == event.material).to_numpy()
    if event.country is not None:
        mask &= (supplier.map(nodes["country"]) == event.country).to_numpy()
    if event.destination is not None:
        mask &= (customer.map(nodes["country"]) == event.destination).to_numpy()
    return mask


def combine(
    pieces: Sequence[tuple[float, Hits]],
) -> dict[int, tuple[float, float, float]]:
    """Per node: capacity-periods lost, end of its last outage, and peak fraction lost.

    ``pieces`` are ``(start, hits)`` in periods. Overlapping outages of one node act as
    independent causes: while they overlap the node keeps ``Π (1 − fraction)``.
    """
    spans: dict[int, list[tuple[float, float, float]]] = {}
    for start, hits in pieces:
        for p, f, d in zip(hits.positions, hits.fraction, hits.periods, strict=True):
            if f > 0 and d > 0:
                spans.setdefault(int(p), []).append((start, start + float(d), float(f)))
    out = {}
    for node, intervals in spans.items():
        if len(intervals) == 1:
            a, b, f = intervals[0]
            out[node] = (f * (b - a), b, f)
            continue
        edges = sorted({t for a, b, _ in intervals for t in (a, b)})
        lost, peak = 0.0, 0.0
        for left, right in itertools.pairwise(edges):
            keep = 1.0
            for a, b, f in intervals:
                if a <= left and right <= b:
                    keep *= 1.0 - f
            lost += (1.0 - keep) * (right - left)
            peak = max(peak, 1.0 - keep)
        out[node] = (lost, max(b for _, b, _ in intervals), peak)
    return out


def window_disruption(
    per_node: dict[str, tuple[float, float]], minimum_window: float = 0.0
) -> tuple[dict[str, float], float]:
    """One window from per-node (capacity-periods lost, end): ``(disruption, T)``.

    The window lasts until the last outage ends, or ``minimum_window`` (e.g. an export
    control) if longer; a node losing ``L`` capacity-periods loses ``L / T`` over it.
    """
    outages = {
        node: (min(1.0, lost / end), end) for node, (lost, end) in per_node.items() if end > 0
    }
    disruption, window = outage_window(outages)
    disruption = {node: min(1.0, alpha) for node, alpha in disruption.items()}
    if minimum_window > window:
        scale = window / minimum_window
        disruption = {node: alpha * scale for node, alpha in disruption.items()}
        window = minimum_window
    return disruption, window


@dataclass(frozen=True)
class Translation:
    """What a set of events does to a network, before any program is solved.

    ``disruption`` (node → fraction of capacity lost over the window) and ``window``
    (periods) are what :func:`chipstress.engine.impact` takes; ``peak`` is each node's
    largest simultaneous loss (for time-to-survive); ``blocked`` masks the source edges
    export controls remove (``None`` when none do).
    """

    sites: pd.DataFrame
    disruption: dict[str, float]
    peak: dict[str, float]
    window: float
    blocked: np.ndarray | None
    not_located: list[str]
    notes: list[str]


def translate(
    events: Sequence[Event],
    network: Network,
    params: HazardParameters | None = None,
    source: str = "<events>",
) -> Translation:
    """Turn checked events into the per-site table and one disruption window.

    Parameters
    ----------
    events
        The events (their ``start`` counts from the scenario's beginning).
    network
        The network (its period must be a time unit).
    params
        Hazard parameters; the packaged ones by default.
    source
        What the events were read from, for error messages.

    Returns
    -------
    Translation
        The per-site table, the disruption (node -> fraction lost over the window), the
        peak losses, the window (network periods) and the blocked source edges.

    Raises
    ------
    InvalidInput
        An event names something the network or the hazard data does not have.
    """
    params = params or default_parameters()
    check_events(events, network, params, source)
    sites = Sites.build(network, params)
    rows: list[dict[str, object]] = []
    pieces: list[tuple[float, Hits]] = []
    notes: list[str] = []
    blocked = np.zeros(len(network.sources), dtype=bool)
    export_end = 0.0
    info = network.nodes.set_index("id")[["name", "kind", "cluster"]]
    geographic = False
    for event in events:
        start = event.start.periods(sites.period_days)
        if isinstance(event, ExportControl):
            mask = blocked_edges(event, network)
            blocked |= mask
            end = start + event.duration.periods(sites.period_days)
            if not mask.any():
                notes.append(f"{event.name}: blocks no source edge of this network")
                continue
            export_end = max(export_end, end)
            edges = network.sources[mask]
            for supplier, group in edges.groupby("supplier", sort=True):
                rows.append(
                    {
                        "site": supplier,
                        "event": event.name,
                        "hazard": event.type,
                        "intensity": f"{len(group)} of {len(network.customers_of(str(supplier)))} customer edges blocked",
                        "measure": float(len(group)),
                        "damage_state": "exports blocked",
                        "capacity_loss": np.nan,
                        "start_periods": start,
                        "recovery_periods": end - start,
                        "reason": f"export control: shipments to {', '.join(sorted(group['customer']))} blocked",
                    }
                )
            continue
        geographic |= isinstance(event, Earthquake | Storm)
        hits = event_hits(event, sites)
        if not len(hits):
            notes.append(f"{event.name}: hits no site of this network")
        pieces.append((start, hits))
        for k, p in enumerate(hits.positions):
            rows.append(
                {
                    "site": sites.ids[p],
                    "event": event.name,
                    "hazard": getattr(event, "hazard", event.type),
                    "intensity": hits.intensity[k],
                    "measure": float(hits.measure[k]),
                    "damage_state": hits.state[k],
                    "capacity_loss": float(hits.fraction[k]),
                    "start_periods": start,
                    "recovery_periods": float(hits.periods[k]),
                    "reason": hits.reason[k],
                }
            )
    per_node = combine(pieces)
    disruption, window = window_disruption(
        {str(sites.ids[p]): (lost, end) for p, (lost, end, _) in per_node.items()}, export_end
    )
    peak = {str(sites.ids[p]): peak for p, (_, _, peak) in per_node.items()}
    table = pd.DataFrame(
        rows,
        columns=[c for c in SITE_COLUMNS if c not in ("name", "kind", "cluster", "recovery_weeks")],
    )
    table = table.join(info, on="site")
    table["recovery_weeks"] = table["recovery_periods"] * sites.period_days / 7.0
    table = table[SITE_COLUMNS]
    not_located = [str(i) for i in sites.ids[~sites.located]] if geographic else []
    if not_located:
        notes.append(
            f"{len(not_located)} site(s) have no coordinates and cannot be reached by "
            f"earthquakes or storms (not located): {', '.join(not_located[:10])}"
            + (" ..." if len(not_located) > 10 else "")
        )
    if not len(table):
        notes.append("no site of the network is hit: the loss is 0")
    return Translation(
        table, disruption, peak, window, blocked if blocked.any() else None, not_located, notes
    )
