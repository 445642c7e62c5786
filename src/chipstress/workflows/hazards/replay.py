"""Replays of historical events and user scenarios on a network as it is today.

:func:`evaluate` runs a list of events: it finds the sites they hit (as the window model
does, :mod:`chipstress.workflows.hazards.translate`), lets them unfold period by period
(each hit's recovery curve, :func:`chipstress.workflows.hazards.profiles.capacity_profile`)
on the time-expanded program without foresight
(:mod:`chipstress.workflows.hazards.unfold`, in days when a hit is back within 8 weeks),
and reports the lost profit beyond the undisrupted horizon's as the event's loss, with
the time-to-survive of the network with every hit node at its peak loss (the paper's
single-window measure). :func:`replay` does it for an event of the catalogue
(``data/catalogue.yaml``), :func:`run_scenario` for a YAML file.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.engine import SolveStatus, time_to_survive, undisrupted_tts
from chipstress.engine.timeline import TimelineModel, TimelineResult
from chipstress.errors import InvalidInput
from chipstress.model.io.safe import load_yaml
from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.workflows.hazards.components import (
    component_totals,
    empty_components,
    event_components,
)
from chipstress.workflows.hazards.events import Event
from chipstress.workflows.hazards.params import HazardParameters, default_parameters, period_days
from chipstress.workflows.hazards.parse import load_events, parse_events
from chipstress.workflows.hazards.profiles import Profile, capacity_profile
from chipstress.workflows.hazards.translate import Translation, translate
from chipstress.workflows.hazards.unfold import (
    NODE_TIMELINE_COLUMNS,
    PRODUCT_TIMELINE_COLUMNS,
    TIMELINE_COLUMNS,
    RunGrid,
    run_grid,
    shares_of,
    solve_profile,
    standalone_losses_started,
    standalone_shares,
    timeline_model,
    timeline_tables,
)

__all__ = ["CatalogueEntry", "HazardResult", "catalogue", "evaluate", "replay", "run_scenario"]

NODE_COLUMNS = [
    "node",
    "name",
    "kind",
    "cluster",
    "window_capacity_loss",
    "peak_capacity_loss",
    "exports_blocked",
    "allocated_loss",
]


@dataclass(frozen=True)
class CatalogueEntry:
    """A historical disruption and the events that express it."""

    id: str
    name: str
    date: str
    description: str
    sources: tuple[str, ...]
    events: tuple[Event, ...]


@dataclass(frozen=True)
class HazardResult:
    """What a set of hazard events costs a network.

    Attributes
    ----------
    loss
        Lost profit caused by the events (currency): the disrupted network's lost profit
        minus the undisrupted network's over the same horizon, on the time-expanded
        program without foresight.
    lost_profit, baseline_lost_profit
        The two lost profits behind ``loss`` (currency).
    window
        Length of the horizon the events were run over (network periods:
        ``horizon × period_length``).
    tts, baseline_tts
        Time-to-survive (periods, ``inf`` = forever) with every hit node at its peak
        capacity loss and the export controls in force, and undisrupted.
    sites
        The sites hit and why: one row per site and event (see ``SITE_COLUMNS``).
    nodes
        Per node: the window model's capacity lost over its window, peak loss, blocked
        exports, and its share of ``loss`` (in proportion to its standalone timeline loss).
    lost_units
        Extra units of end-customer demand lost over the horizon, per product.
    period_length, horizon
        Length of a run period (network periods; ``1/7`` is a day on a weekly network)
        and the number of run periods.
    timeline
        ``timeline``, ``timeline_nodes`` and ``timeline_products``: the run period by
        period (:func:`chipstress.workflows.hazards.unfold.timeline_tables`).
    components
        The loss components per node hit (currency): business interruption (``loss``
        without the premiums), scrap, damage, mitigation (premiums and water trucking),
        their ``total`` and the downstream revenue at risk, not in it
        (:func:`chipstress.workflows.hazards.components.event_components`).
    kind
        ``replay`` (a catalogue event) or ``scenario`` (user events).
    parameters
        What the run was asked (the event id, or the scenario's name and source).
    """

    name: str
    description: str
    loss: float
    lost_profit: float
    baseline_lost_profit: float
    window: float
    tts: float
    baseline_tts: float
    status: SolveStatus
    sites: pd.DataFrame = field(repr=False)
    nodes: pd.DataFrame = field(repr=False)
    lost_units: pd.Series = field(repr=False)
    disruption: dict[str, float] = field(repr=False)
    not_located: list[str] = field(default_factory=list, repr=False)
    notes: list[str] = field(default_factory=list, repr=False)
    sources: tuple[str, ...] = ()
    period: str = "period"

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a stored replay or scenario run keeps (what reports and the API read)."""
        impact = pd.DataFrame(
            {
                "loss": [self.loss],
                "lost_profit": [self.lost_profit],
                "baseline_lost_profit": [self.baseline_lost_profit],
                "window": [self.window],
                "tts": [self.tts],
                "baseline_tts": [self.baseline_tts],
                "status": [self.status],
            }
        )
        lost_units = self.lost_units.rename("lost_units").rename_axis("node").reset_index()
        return {
            "sites": self.sites,
            "nodes": self.nodes,
            "impact": impact,
            "lost_units": lost_units,
            "components": self.components,
            **empty_timeline(),
            **self.timeline,
        }

    def summary(self) -> dict[str, Any]:
        """The headline figures of a stored replay or scenario run (currency, periods)."""
        return {
            "event": self.name,
            "description": self.description,
            "loss": self.loss,
            "lost_profit": self.lost_profit,
            "window": self.window,
            "tts": self.tts,
            "status": self.status,
            "period_length": self.period_length,
            "horizon": self.horizon,
            "sites_hit": int(self.sites["node"].nunique())
            if "node" in self.sites
            else len(self.sites),
            **component_totals(self.components),
        }

    currency: str = ""
    kind: RunKind = RunKind.SCENARIO
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)
    period_length: float = 1.0
    horizon: int = 0
    timeline: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    components: pd.DataFrame = field(default_factory=empty_components, repr=False)

    def describe(self) -> str:
        """A few lines: loss, window, TTS, how many sites were hit, and the notes."""
        period = self.period
        tts = "forever" if math.isinf(self.tts) else f"{self.tts:,.2f} {period}s"
        hit = self.sites["site"].nunique()
        lines = [
            f"{self.name}: loss {self.loss:,.0f} {self.currency} over "
            f"{self.window:,.2f} {period}s ({self.horizon} run periods of "
            f"{self.period_length:.4g} {period}); {hit} site{'s' if hit != 1 else ''} hit",
            f"time to survive if the hit sites stayed at their worst: {tts}",
        ]
        if len(self.components):
            sums = component_totals(self.components)
            cur = self.currency
            lines.append(
                f"components: business interruption {sums['business_interruption']:,.0f}, "
                f"idle capacity {sums['idle_capacity']:,.0f}, scrap {sums['scrap']:,.0f}, damage {sums['damage']:,.0f}, mitigation "
                f"{sums['mitigation']:,.0f}; total {sums['total_loss']:,.0f} {cur}; downstream "
                f"revenue at risk {sums['downstream_revenue_at_risk']:,.0f} {cur} (not in the total)"
            )
        if self.status != SolveStatus.OPTIMAL:
            lines.append(f"the programs did not solve cleanly: {self.status}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def empty_timeline() -> dict[str, pd.DataFrame]:
    """The three timeline tables with no rows (a run that hit nothing)."""
    return {
        "timeline": pd.DataFrame(columns=TIMELINE_COLUMNS),
        "timeline_nodes": pd.DataFrame(columns=NODE_TIMELINE_COLUMNS),
        "timeline_products": pd.DataFrame(columns=PRODUCT_TIMELINE_COLUMNS),
    }


def _parts(
    network: Network, translation: Translation, capacity: np.ndarray, blocked: np.ndarray | None
) -> dict[int, tuple[int, ...]]:
    """The nodes an event hits (positions), each with the source rows blocked at it."""
    ids = network.nodes["id"].to_numpy(dtype=object)
    position = {str(i): k for k, i in enumerate(ids)}
    hit = set(np.flatnonzero(np.any(capacity < 1.0 - 1e-12, axis=1)).tolist())
    hit |= {position[n] for n in translation.disruption}
    blocked_by: dict[int, tuple[int, ...]] = {}
    if blocked is not None:
        suppliers = network.sources["supplier"]
        for row in np.flatnonzero(blocked.any(axis=1)):
            supplier = position[str(suppliers.iat[int(row)])]
            blocked_by[supplier] = (*blocked_by.get(supplier, ()), int(row))
    return {p: blocked_by.get(p, ()) for p in sorted(hit | set(blocked_by))}


def _allocation(
    network: Network,
    translation: Translation,
    run: _Unfolded,
    result_loss: float,
) -> pd.DataFrame:
    """Per-node table, with the loss split by standalone timeline losses."""
    ids = network.nodes["id"].to_numpy(dtype=object)
    parts = run.parts
    nodes = list(parts)
    if not nodes:
        return pd.DataFrame(columns=NODE_COLUMNS)
    if run.losses is not None and result_loss != 0 and np.isfinite(result_loss):
        shares = shares_of(run.losses.result(), result_loss)
    else:
        shares = standalone_shares(run.model, run.capacity, run.blocked, parts, result_loss)
    info = network.nodes.set_index("id")
    table = pd.DataFrame(
        {
            "node": [str(ids[p]) for p in nodes],
            "window_capacity_loss": [translation.disruption.get(str(ids[p]), 0.0) for p in nodes],
            "peak_capacity_loss": [translation.peak.get(str(ids[p]), 0.0) for p in nodes],
            "exports_blocked": [len(parts[p]) for p in nodes],
            "allocated_loss": [shares.get(p, 0.0) for p in nodes],
        }
    )
    table = table.join(info[["name", "kind", "cluster"]], on="node")[NODE_COLUMNS]
    return table.sort_values(
        ["allocated_loss", "window_capacity_loss"], ascending=False
    ).reset_index(drop=True)


@dataclass(frozen=True)
class _Unfolded:
    """An event run on the timeline: grid, model, capacity fractions, blocked edges, solve."""

    grid: RunGrid
    model: TimelineModel
    profile: Profile
    capacity: np.ndarray
    blocked: np.ndarray | None
    result: TimelineResult
    parts: dict[int, tuple[int, ...]]
    losses: Future[dict[int, float]] | None  # standalone losses, solved beside the event


def _unfold(
    events: Sequence[Event],
    network: Network,
    params: HazardParameters,
    source: str,
    translation: Translation,
) -> _Unfolded:
    """Choose the run grid, build the events' profile and solve it on the timeline."""
    probe = capacity_profile(events, network, 1, 1.0, params=params, source=source)
    ends = list(probe.sites["end_periods"].astype(float))
    exports = translation.sites[translation.sites["damage_state"] == "exports blocked"]
    ends += list((exports["start_periods"] + exports["recovery_periods"]).astype(float))
    recoveries = (probe.sites["end_periods"] - probe.sites["start_periods"]).astype(float)
    lead = 0.0
    if "lead_time" in network.sources:
        lead = float(np.nan_to_num(network.sources["lead_time"].to_numpy(float)).max(initial=0.0))
    days = period_days(network)
    grid = run_grid(list(recoveries), max(ends, default=0.0), lead, days)
    profile = capacity_profile(
        events, network, grid.horizon, grid.period, params=params, source=source
    )
    model = timeline_model(network, grid)
    order = pd.Index(profile.node_ids).get_indexer(pd.Index(model.model.node_ids))
    capacity = profile.capacity[order]
    blocked = profile.blocked if profile.blocked.any() else None
    parts = _parts(network, translation, capacity, blocked)
    losses = standalone_losses_started(network, grid, model, capacity, blocked, parts)
    result = solve_profile(model, capacity, blocked)
    return _Unfolded(grid, model, profile, capacity, blocked, result, parts, losses)


def evaluate(
    events: Sequence[Event],
    network: Network,
    *,
    name: str = "scenario",
    description: str = "",
    sources: Sequence[str] = (),
    params: HazardParameters | None = None,
    source: str = "<events>",
) -> HazardResult:
    """Apply events to a network and measure the damage with the engine.

    Parameters
    ----------
    events
        The hazard events, applied together.
    network
        The supply network.
    name
        A name for the result.
    description
        A description for the result.
    sources
        References for the events (URLs, reports).
    params
        Hazard data (default: :func:`chipstress.workflows.hazards.default_parameters`).
    source
        Where the events came from, for messages (a file name or catalogue entry).

    Returns
    -------
    HazardResult
        The sites hit and why, the disruption, and its lost profit (currency) and
        time-to-survive (periods), with its loss components per node hit (currency;
        docs/hazards.md, "Loss components").

    Raises
    ------
    InvalidInput
        An event names a node, district, grid, material or country the network or the
        hazard data does not have.
    """
    params = params or default_parameters()
    translation = translate(events, network, params, source)
    notes = list(translation.notes)
    products = network.nodes.loc[network.index.has_demand, "id"].astype(str)
    nothing = pd.Series(0.0, index=products.to_numpy(), name="lost_units")
    base_tts = undisrupted_tts(network).tts
    common: dict[str, Any] = {
        "parameters": {"name": name, "source": source},
        "name": name,
        "description": description,
        "sites": translation.sites,
        "disruption": translation.disruption,
        "not_located": translation.not_located,
        "sources": tuple(sources),
        "period": network.meta.period,
        "currency": network.meta.currency,
        "baseline_tts": base_tts,
    }
    if translation.window <= 0:
        return HazardResult(
            loss=0.0,
            lost_profit=0.0,
            baseline_lost_profit=0.0,
            window=0.0,
            tts=base_tts,
            status=SolveStatus.OPTIMAL,
            nodes=pd.DataFrame(columns=NODE_COLUMNS),
            lost_units=nothing,
            notes=notes,
            **common,
        )
    disrupted_network = (
        network.without_sources(translation.blocked) if translation.blocked is not None else network
    )
    run = _unfold(events, network, params, source, translation)
    hit = run.result
    base = hit.baseline or hit
    status = hit.status if hit.status != SolveStatus.OPTIMAL else base.status
    loss = hit.loss
    if abs(loss) <= 1e-9 * (1.0 + abs(hit.lost_profit)):
        loss = 0.0
    tts = time_to_survive(disrupted_network, translation.peak).tts
    lost_units = (hit.lost_units.sum(axis=1) - base.lost_units.sum(axis=1)).rename("lost_units")
    notes += list(run.grid.notes) + [n for n in run.profile.notes if n not in notes]
    if len(translation.sites) and loss == 0 and status == SolveStatus.OPTIMAL:
        notes.append("the network absorbs it: no demand is lost beyond the undisrupted plan")
    nodes = (
        _allocation(network, translation, run, float(loss))
        if status == SolveStatus.OPTIMAL
        else pd.DataFrame(columns=NODE_COLUMNS)
    )
    shares = dict(
        zip(nodes["node"].astype(str), nodes["allocated_loss"].astype(float), strict=True)
    )
    return HazardResult(
        loss=float(loss),
        lost_profit=float(hit.lost_profit),
        baseline_lost_profit=float(base.lost_profit),
        window=float(run.grid.window),
        tts=float(tts),
        status=status,
        nodes=nodes,
        lost_units=lost_units,
        notes=notes,
        period_length=run.grid.period,
        horizon=run.grid.horizon,
        timeline=timeline_tables(run.model, hit, run.capacity),
        components=event_components(network, run.profile, hit, shares),
        **common,
    )


@cache
def _catalogue_data() -> dict[str, Any]:
    text = (
        resources.files("chipstress.workflows.hazards")
        .joinpath("data", "catalogue.yaml")
        .read_text("utf-8")
    )
    return load_yaml(text, "hazards/data/catalogue.yaml")


def catalogue(params: HazardParameters | None = None) -> dict[str, CatalogueEntry]:
    """The historical catalogue, by event id (``data/catalogue.yaml``)."""
    params = params or default_parameters()
    entries = {}
    for event_id, spec in _catalogue_data().items():
        events = parse_events(spec["events"], f"catalogue.yaml: {event_id}", params)
        entries[event_id] = CatalogueEntry(
            event_id,
            str(spec["name"]),
            str(spec.get("date", "")),
            " ".join(str(spec.get("description", "")).split()),
            tuple(spec.get("sources") or ()),
            tuple(events),
        )
    return entries


def replay(event_id: str, network: Network, params: HazardParameters | None = None) -> HazardResult:
    """Apply a historical event of the catalogue to ``network`` as it is today.

    Parameters
    ----------
    event_id
        The catalogue id of the event.
    network
        The supply network.
    params
        Hazard data (default: the package's).

    Returns
    -------
    HazardResult
        As :func:`evaluate`.

    Raises
    ------
    InvalidInput
        No catalogue event has that id.
    """
    entries = catalogue(params)
    if event_id not in entries:
        raise InvalidInput(f"no catalogue event {event_id!r}; events: {', '.join(entries)}")
    entry = entries[event_id]
    result = evaluate(
        entry.events,
        network,
        name=f"{entry.name} ({entry.id})",
        description=entry.description,
        sources=entry.sources,
        params=params,
        source=f"catalogue.yaml: {event_id}",
    )
    return dataclasses.replace(result, kind=RunKind.REPLAY, parameters={"event": event_id})


def run_scenario(
    path: str | Path, network: Network, params: HazardParameters | None = None
) -> HazardResult:
    """Apply the events of a scenario YAML file to ``network``.

    Parameters
    ----------
    path
        The scenario YAML file.
    network
        The supply network.
    params
        Hazard data (default: the package's).

    Returns
    -------
    HazardResult
        As :func:`evaluate`.

    Raises
    ------
    InvalidInput
        The file is unreadable, or an event is bad (with file, event and field).
    """
    events, info = load_events(path, params, network)
    return evaluate(
        events,
        network,
        name=str(info.get("name") or Path(path).stem),
        description=str(info.get("description") or ""),
        params=params,
        source=str(path),
    )
