"""One disruption, measured: the ``impact``, ``survive`` and ``outage`` operations.

* :func:`impact` — lost profit and lost units of one disruption over its duration
  (the time-to-recover program, :func:`chipstress.engine.impact`), beside the
  undisrupted network's over the same window;
* :func:`survive` — how long all demand is still met under a lasting disruption
  (:func:`chipstress.engine.time_to_survive`);
* :func:`outage` — sites taken down for different lengths of time (or hazard events: an
  earthquake, a water-alert level), unfolding period by period on the time-expanded
  program without foresight (:mod:`chipstress.workflows.hazards.unfold`): the lost
  profit beyond the undisrupted network's, the time-to-survive (the single-window
  measure) and the sites hit. This is the dashboard's what-if.

Each returns a result satisfying :class:`chipstress.results.RunResult`; see
``docs/architecture.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chipstress.engine import (
    ImpactResult,
    SurvivalResult,
    outage_window,
    time_to_survive,
    undisrupted_tts,
)
from chipstress.engine import impact as solve_impact
from chipstress.engine.timeline import TimelineResult
from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.results import RunKind

if TYPE_CHECKING:
    from chipstress.workflows.hazards.replay import HazardResult
    from chipstress.workflows.hazards.unfold import RunGrid

__all__ = [
    "ImpactRun",
    "OutageResult",
    "SurvivalRun",
    "impact",
    "outage",
    "products_table",
    "survive",
]

Outages = Mapping[str, tuple[float, float]]


def products_table(network: Network, lost: pd.Series, duration: float) -> pd.DataFrame:
    """Lost units and lost profit per product over a window.

    Parameters
    ----------
    network
        The supply network (demand per period and margin per unit of each product).
    lost
        Units of demand lost over the window, by product id.
    duration
        Length of the window (periods).

    Returns
    -------
    pandas.DataFrame
        ``product, lost_units, demand_over_window`` (units), ``lost_profit`` (currency),
        ``name``.
    """
    products = lost.index.astype(str)
    table = pd.DataFrame({"product": products, "lost_units": lost.to_numpy()})
    demand = _node_values(network, "demand", products).astype(float) * duration
    margin = _node_values(network, "margin", products).astype(float)
    table["demand_over_window"] = demand
    table["lost_profit"] = table["lost_units"].to_numpy() * margin
    table["name"] = _node_values(network, "name", products)
    return table


def _node_values(network: Network, column: str, ids: Sequence[str] | pd.Index) -> np.ndarray:
    """``column`` of the nodes ``ids`` (NaN for an id that is not a node), without copying
    the node table."""
    positions = network.index.node_ids.get_indexer(pd.Index(ids, dtype=object))
    values = network.nodes[column].to_numpy(dtype=object)
    found = values[np.maximum(positions, 0)] if len(values) else np.full(len(positions), np.nan)
    return np.where(positions >= 0, found, np.nan)


# ---------------------------------------------------------------------------- impact
@dataclass(frozen=True)
class ImpactRun:
    """An ``impact`` run: one disruption over its duration.

    Attributes
    ----------
    disruption
        Node id -> fraction of capacity lost.
    duration
        Length of the disruption (periods).
    result
        The disrupted network's time-to-recover solution (lost profit in currency).
    baseline
        The undisrupted network's over the same window (``None`` when not asked for).
    products
        :func:`products_table` of the disrupted network's lost units.
    parameters
        ``disruption``, ``duration`` and ``integer``.
    """

    disruption: dict[str, float]
    duration: float
    result: ImpactResult = field(repr=False)
    baseline: ImpactResult | None = field(repr=False)
    products: pd.DataFrame = field(repr=False)
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.IMPACT`."""
        return RunKind.IMPACT

    def tables(self) -> dict[str, pd.DataFrame]:
        """``impact_products``: lost units and lost profit per product."""
        return {"impact_products": self.products}

    def summary(self) -> dict[str, Any]:
        """Lost profit (currency) with and without the disruption, duration, status."""
        return {
            "lost_profit": self.result.lost_profit,
            "baseline_lost_profit": None if self.baseline is None else self.baseline.lost_profit,
            "duration": self.duration,
            "status": self.result.status,
            "nodes": len(self.disruption),
        }


def impact(
    network: Network,
    disruption: Mapping[str, float],
    duration: float,
    *,
    integer: bool = False,
    baseline: bool = True,
) -> ImpactRun:
    """Lost profit and lost units of one disruption over its duration.

    Parameters
    ----------
    network
        The supply network.
    disruption
        Node id -> fraction of capacity lost (1.0 = down); see
        :func:`chipstress.engine.parse_disruption`.
    duration
        Periods the disruption lasts.
    integer
        Count whole units (integer program; slower).
    baseline
        Also solve the undisrupted network over the same window.

    Returns
    -------
    ImpactRun
        The solutions and the lost units per product.

    Raises
    ------
    InvalidInput
        Unknown node ids, fractions outside [0, 1] or a bad duration.
    """
    hit = solve_impact(network, disruption, duration, integer=integer)
    base = solve_impact(network, {}, duration, integer=integer) if baseline else None
    return ImpactRun(
        disruption=dict(disruption),
        duration=float(duration),
        result=hit,
        baseline=base,
        products=products_table(network, hit.lost_units, duration),
        parameters={
            "disruption": {str(k): float(v) for k, v in disruption.items()},
            "duration": float(duration),
            "integer": integer,
        },
    )


# ---------------------------------------------------------------------------- survive
@dataclass(frozen=True)
class SurvivalRun:
    """A ``survive`` run: the time-to-survive of a lasting disruption.

    Attributes
    ----------
    disruption
        Node id -> fraction of capacity lost.
    result
        The time-to-survive (periods, ``inf`` = forever) and what binds it.
    parameters
        ``disruption`` and ``integer``.
    """

    disruption: dict[str, float]
    result: SurvivalResult
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.SURVIVE`."""
        return RunKind.SURVIVE

    def tables(self) -> dict[str, pd.DataFrame]:
        """``binding``: the products and nodes that limit the time-to-survive."""
        rows = [("product", n) for n in self.result.binding_products]
        rows += [("node", n) for n in self.result.binding_nodes]
        return {"binding": pd.DataFrame(rows, columns=["role", "node"])}

    def summary(self) -> dict[str, Any]:
        """Time-to-survive (periods), status and the products whose demand binds."""
        return {
            "tts": self.result.tts,
            "status": self.result.status,
            "nodes": len(self.disruption),
            "binding_products": ", ".join(self.result.binding_products),
        }


def survive(
    network: Network, disruption: Mapping[str, float], *, integer: bool = False
) -> SurvivalRun:
    """How long all demand is still met under a lasting disruption, and what binds it.

    Parameters
    ----------
    network
        The supply network.
    disruption
        Node id -> fraction of capacity lost (1.0 = down).
    integer
        Count whole units (integer program; slower).

    Returns
    -------
    SurvivalRun
        The time-to-survive (periods) and the binding products and nodes.

    Raises
    ------
    InvalidInput
        Unknown node ids or fractions outside [0, 1].
    """
    result = time_to_survive(network, disruption, integer=integer)
    return SurvivalRun(
        disruption=dict(disruption),
        result=result,
        parameters={
            "disruption": {str(k): float(v) for k, v in disruption.items()},
            "integer": integer,
        },
    )


# ---------------------------------------------------------------------------- outage
@dataclass(frozen=True)
class OutageResult:
    """An ``outage`` run: sites down for different lengths of time, period by period.

    Attributes
    ----------
    name
        The outage's name (shown in reports).
    outages
        Node id -> (fraction of capacity lost, periods until recovered).
    disruption
        Node id -> fraction of capacity lost over the window model's window
        (:func:`chipstress.engine.outage_window`; shown, not solved).
    window
        Length of the horizon (network periods: ``horizon × period_length``): the
        longest outage, plus the longest lead time, plus one run period.
    result
        The time-expanded program's solve (without foresight), with the undisrupted
        horizon as its baseline.
    tts, base_tts
        Time-to-survive (periods, ``inf`` = forever) with every site at its peak loss,
        and undisrupted.
    sites
        One row per site down: ``site, name, kind, cluster, capacity_loss,
        recovery_periods, window_capacity_loss``.
    products
        :func:`products_table` of the units lost beyond the undisrupted plan.
    parameters
        ``name`` and ``outages``.
    period_length, horizon
        Length of a run period (network periods; days when an outage ends within 8
        weeks) and the number of run periods.
    timeline
        ``timeline``, ``timeline_nodes`` and ``timeline_products``
        (:func:`chipstress.workflows.hazards.unfold.timeline_tables`).
    components
        The loss components per site (currency,
        :func:`chipstress.workflows.hazards.components.event_components`): a site outage
        names no hazard, so its scrap and damage are 0; business interruption is ``loss``
        without the premiums, which are under mitigation.
    """

    name: str
    outages: dict[str, tuple[float, float]]
    disruption: dict[str, float]
    window: float
    result: TimelineResult = field(repr=False)
    tts: SurvivalResult = field(repr=False)
    base_tts: SurvivalResult = field(repr=False)
    sites: pd.DataFrame = field(repr=False)
    products: pd.DataFrame = field(repr=False)
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)
    period_length: float = 1.0
    horizon: int = 1
    timeline: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    components: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.OUTAGE`."""
        return RunKind.OUTAGE

    @property
    def loss(self) -> float:
        """Lost profit caused by the outage (currency): disrupted minus undisrupted."""
        loss = self.result.loss
        return 0.0 if abs(loss) <= 1e-9 * (1.0 + abs(self.result.lost_profit)) else loss

    @property
    def lost_profit(self) -> float:
        """The disrupted horizon's lost profit (currency)."""
        return self.result.lost_profit

    @property
    def baseline_lost_profit(self) -> float:
        """The undisrupted horizon's lost profit (currency)."""
        base = self.result.baseline
        return base.lost_profit if base is not None else self.result.lost_profit

    @property
    def survives(self) -> bool:
        """True when the network meets all demand until the longest outage ends."""
        longest = max((d for _, d in self.outages.values()), default=0.0)
        return bool(self.tts.tts >= longest)

    @property
    def status(self) -> str:
        """``optimal``, or the first program's status that is not."""
        return self.result.status if self.result.status != "optimal" else self.tts.status

    def tables(self) -> dict[str, pd.DataFrame]:
        """``outage_sites``, ``outage_products``, ``components`` and the timeline tables."""
        tables = {"outage_sites": self.sites, "outage_products": self.products}
        if self.components is not None:
            tables["components"] = self.components
        return {**tables, **self.timeline}

    def summary(self) -> dict[str, Any]:
        """Loss and lost profits (currency), window and time-to-survive (periods)."""
        return {
            "name": self.name,
            "loss": self.loss,
            "lost_profit": self.lost_profit,
            "baseline_lost_profit": self.baseline_lost_profit,
            "window": self.window,
            "tts": self.tts.tts,
            "baseline_tts": self.base_tts.tts,
            "status": self.status,
            "period_length": self.period_length,
            "horizon": self.horizon,
            "sites_hit": len(self.sites),
            **self._component_totals(),
        }

    def _component_totals(self) -> dict[str, float]:
        from chipstress.workflows.hazards.components import component_totals

        return component_totals(self.components) if self.components is not None else {}


def _outages(network: Network, outages: Outages | Sequence[Any]) -> dict[str, tuple[float, float]]:
    """Outages as node -> (fraction, periods), from a mapping or ``(node, fraction, periods)``."""
    if isinstance(outages, Mapping):
        pairs = [(str(node), *value) for node, value in outages.items()]
    else:
        pairs = [tuple(item) for item in outages]
    chosen: dict[str, tuple[float, float]] = {}
    for node, fraction, periods in pairs:
        if node in chosen:
            raise InvalidInput(f"outages: node {node!r} is listed twice")
        chosen[str(node)] = (float(fraction), float(periods))
    if not chosen:
        raise InvalidInput("outages: name at least one site")
    network.index.positions(list(chosen))
    return chosen


def outage(
    network: Network,
    outages: Outages | Sequence[tuple[str, float, float]] = (),
    *,
    events: Sequence[Any] | None = None,
    name: str = "outage",
) -> OutageResult | HazardResult:
    """Sites taken down (or hazard events), unfolding period by period.

    A site down ``α`` for ``p`` periods keeps ``1 − α`` of its capacity from the start
    until ``p``, then all of it, on the time-expanded program without foresight
    (docs/hazards.md, "Which program measures what"): run periods are days when an
    outage ends within 8 weeks, else the network's period, over a horizon of the longest
    outage plus the longest lead time plus one period. The loss is the lost profit
    beyond the undisrupted network's over the same horizon; the time-to-survive has
    every site at its peak loss.

    Parameters
    ----------
    network
        The supply network.
    outages
        Node id -> (fraction of capacity lost, periods until recovered), or
        ``(node, fraction, periods)`` triples.
    events
        Hazard events instead of outages (:class:`chipstress.workflows.hazards.Event`
        objects, or their mappings as in a scenario file): an earthquake, a water-alert
        level, ... They are evaluated by :func:`chipstress.workflows.hazards.evaluate`.
    name
        A name for the outage (shown in reports).

    Returns
    -------
    OutageResult or chipstress.workflows.hazards.HazardResult
        An :class:`OutageResult` for outages; for events, the hazard result (its kind
        ``outage``). Both satisfy :class:`chipstress.results.RunResult`.

    Raises
    ------
    InvalidInput
        Both or neither of outages and events, an unknown node, a site listed twice, a
        fraction outside [0, 1] or a negative number of periods, or a bad event.
    """
    if bool(outages) == (events is not None and len(events) > 0):
        raise InvalidInput(
            "give outages or events, not both: run site outages and hazard events as "
            "separate outages"
            if outages
            else "give at least one outage or event"
        )
    if events is not None and len(events) > 0:
        return _event_outage(network, events, name)
    chosen = _outages(network, outages)
    disruption, _ = outage_window(chosen)  # also checks the fractions and durations
    peak = {node: fraction for node, (fraction, _) in chosen.items()}
    run, grid, tables, shares = _site_timeline(network, chosen)
    base = run.baseline or run
    lost = run.lost_units.sum(axis=1) - base.lost_units.sum(axis=1)
    tts = time_to_survive(network, peak)
    base_tts = undisrupted_tts(network)
    sites = pd.DataFrame(
        {
            "site": list(chosen),
            "name": _node_values(network, "name", list(chosen)),
            "kind": _node_values(network, "kind", list(chosen)),
            "cluster": _node_values(network, "cluster", list(chosen)),
            "capacity_loss": [f for f, _ in chosen.values()],
            "recovery_periods": [d for _, d in chosen.values()],
            "window_capacity_loss": [disruption[n] for n in chosen],
        }
    )
    return OutageResult(
        name=name,
        outages=chosen,
        disruption=disruption,
        window=grid.window,
        result=run,
        tts=tts,
        base_tts=base_tts,
        sites=sites,
        products=products_table(network, lost, grid.window),
        parameters={
            "name": name,
            "outages": [{"node": n, "fraction": f, "duration": d} for n, (f, d) in chosen.items()],
        },
        period_length=grid.period,
        horizon=grid.horizon,
        timeline=tables,
        components=_site_components(network, chosen, run, shares),
    )


def _site_components(
    network: Network,
    chosen: Mapping[str, tuple[float, float]],
    run: TimelineResult,
    shares: Mapping[str, float],
) -> pd.DataFrame:
    """Loss components of site outages (no hazard: scrap and damage 0)."""
    from chipstress.workflows.hazards.components import event_components

    hits = pd.DataFrame(
        {
            "site": list(chosen),
            "hazard": "outage",
            "damage_state": "outage",
            "capacity_loss": [f for f, _ in chosen.values()],
            "recovery_periods": [d for _, d in chosen.values()],
        }
    )
    return event_components(network, hits, run, shares)


def _site_timeline(
    network: Network, chosen: Mapping[str, tuple[float, float]]
) -> tuple[TimelineResult, RunGrid, dict[str, pd.DataFrame], dict[str, float]]:
    """Flat outages from time 0 on the timeline: the solve, its grid, its tables and shares.

    The shares split the loss over the sites in proportion to their standalone timeline
    losses (:func:`chipstress.workflows.hazards.unfold.standalone_shares`).
    """
    from chipstress.engine.solver import SolveStatus
    from chipstress.workflows.hazards.params import period_days
    from chipstress.workflows.hazards.unfold import (
        run_grid,
        solve_profile,
        standalone_shares,
        timeline_model,
        timeline_tables,
    )

    try:
        days = period_days(network)
    except InvalidInput:  # a period that is not a unit of time: run in network periods
        days = 1.0
    lead = 0.0
    if "lead_time" in network.sources:
        lead = float(np.nan_to_num(network.sources["lead_time"].to_numpy(float)).max(initial=0.0))
    durations = [d for _, d in chosen.values()]
    grid = run_grid(durations, max(durations), lead, days)
    model = timeline_model(network, grid)
    position = {str(n): k for k, n in enumerate(model.model.node_ids)}
    starts = grid.period * np.arange(grid.horizon)
    capacity = np.ones((model.model.n_nodes, grid.horizon))
    for node, (fraction, periods) in chosen.items():
        overlap = np.clip(np.minimum(starts + grid.period, periods) - starts, 0.0, grid.period)
        capacity[position[node]] = 1.0 - fraction * overlap / grid.period
    run = solve_profile(model, capacity, None)
    loss = run.loss if run.status == SolveStatus.OPTIMAL else 0.0
    loss = 0.0 if abs(loss) <= 1e-9 * (1.0 + abs(run.lost_profit)) else loss
    parts = {position[node]: () for node in chosen}
    by_position = standalone_shares(model, capacity, None, parts, float(loss))
    shares = {node: by_position[position[node]] for node in chosen}
    return run, grid, timeline_tables(model, run, capacity), shares


def _event_outage(network: Network, events: Sequence[Any], name: str) -> HazardResult:
    from chipstress.workflows.hazards import check_events, default_parameters, evaluate
    from chipstress.workflows.hazards.events import Event
    from chipstress.workflows.hazards.parse import parse_events

    params = default_parameters()
    parsed = (
        list(events)
        if all(isinstance(e, Event) for e in events)
        else parse_events(list(events), "events", params)
    )
    check_events(parsed, network, params, "events")
    result = evaluate(parsed, network, name=name, params=params, source="events")
    return dataclasses.replace(
        result, kind=RunKind.OUTAGE, parameters={"name": name, "events": len(parsed)}
    )
