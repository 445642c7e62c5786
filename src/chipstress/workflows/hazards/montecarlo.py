"""Monte-Carlo simulation of annual hazard losses.

Years are split into fixed chunks of :data:`CHUNK_YEARS` (independent of the number of
workers); chunk *i* draws its events from ``SeedSequence(seed).spawn(n_chunks)[i]``, so
the same seed gives the same numbers however the chunks are spread over workers. The
chunks run through the executor interface (:mod:`chipstress.executors`): each worker
keeps its sampler and its memoised :class:`~chipstress.workflows.hazards.losses.EventLosses`.

Every simulated event is evaluated on its own (events of one year do not interact) and
a year's loss is the sum of its events' losses. An event unfolds in time as a replay
does: each hit node drops and recovers along its recovery curve, and the event's loss is
the time-expanded program's lost profit (without foresight) beyond the undisrupted
horizon's, solved once per event signature (see
:mod:`chipstress.workflows.hazards.losses`, which also has the exact certificates that
prove most events lossless without a solve). A multi-node event's loss is split over its
nodes in proportion to each node's standalone loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import ChipstressError, InvalidInput
from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.workflows.hazards.components import HitCosts
from chipstress.workflows.hazards.losses import EventKey, EventLosses, event_hits, event_key
from chipstress.workflows.hazards.params import DAMAGE_STATES, HazardParameters, default_parameters
from chipstress.workflows.hazards.rates import Rates, load_rates
from chipstress.workflows.hazards.sampling import SampledEvent, Sampler
from chipstress.workflows.hazards.translate import Sites
from chipstress.workflows.runner import Runner, run_chunks

__all__ = [
    "CHUNK_YEARS",
    "RETURN_PERIODS",
    "SimulationResult",
    "SimulationWorker",
    "simulate",
    "tail_risk",
    "year_chunks",
]

CHUNK_YEARS = 500
RETURN_PERIODS = (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 100_000)
# Costs of an event beyond its lost sales (docs/hazards.md, "Loss components"), priced
# without a solve from its hits (:class:`~chipstress.workflows.hazards.components.HitCosts`).
COST_COLUMNS: tuple[str, ...] = HitCosts.NAMES
EVENT_COLUMNS = [
    "year",
    "hazard",
    "source",
    "description",
    "sites_hit",
    "window",
    "loss",
    *COST_COLUMNS,
    "total_loss",
]
_NUMERIC = frozenset({"year", "sites_hit", "window", "loss", *COST_COLUMNS, "total_loss"})


class SimulationWorker:
    """A worker's state: sampler, the memoised timeline losses and the node kinds."""

    def __init__(self, network: Network, rates: Rates, params: HazardParameters) -> None:
        self.sites = Sites.build(network, params)
        self.sampler = Sampler(self.sites, rates)
        self.losses = EventLosses(network, self.sites.period_days)
        self.kinds = self.sites.kinds
        self.costs = HitCosts(network)
        self._keys: dict[tuple[Any, ...], EventKey | None] = {}
        self._costs: dict[tuple[Any, ...], np.ndarray] = {}

    @staticmethod
    def _raw(event: SampledEvent) -> tuple[Any, ...]:
        """What identifies a drawn disruption (hazard, nodes, fractions, lengths, states)."""
        states = b"" if event.states is None else np.asarray(event.states).tobytes()
        return (
            event.hazard,
            event.positions.tobytes(),
            event.fraction.tobytes(),
            event.periods.tobytes(),
            states,
            event.blocked,
            event.export_periods,
        )

    def hit_costs(self, event: SampledEvent) -> np.ndarray:
        """Idle capacity, scrap, damage and trucking of an event (currency; memoised)."""
        raw = self._raw(event)
        if raw not in self._costs:
            states = (
                tuple(DAMAGE_STATES[int(i)] for i in event.states)
                if event.states is not None
                else None
            )
            self._costs[raw] = self.costs.cost(
                event.hazard, event.positions, event.fraction, event.periods, states
            )
        return self._costs[raw]

    def key(self, event: SampledEvent) -> EventKey | None:
        """The signature of a simulated event on this network (``None``: no damage).

        Remembered per drawn disruption (hazard, nodes, fractions, outage lengths, damage
        states, blocked edges): the hazard tables make most draws repeat.
        """
        raw = self._raw(event)
        if raw not in self._keys:
            self._keys[raw] = event_key(
                event_hits(event, self.kinds),
                self.sites.period_days,
                event.blocked,
                event.export_periods,
            )
        return self._keys[raw]

    def loss(self, key: EventKey | None) -> float:
        """Memoised timeline loss of a signature (currency; 0 for ``None``)."""
        return 0.0 if key is None else self.losses.loss(key)


def _setup(network: Network, rates: Rates, params: HazardParameters) -> SimulationWorker:
    return SimulationWorker(network, rates, params)


@dataclass
class _ChunkResult:
    first_year: int
    drawn: np.ndarray
    damaging: np.ndarray
    year_loss: np.ndarray
    year_total: np.ndarray
    events: dict[str, Any]
    node_loss: np.ndarray
    node_events: np.ndarray
    solves: int
    skipped: int
    memo: int


def _run_chunk(
    worker: SimulationWorker, job: tuple[int, int, np.random.SeedSequence]
) -> _ChunkResult:
    first_year, n_years, seed = job
    rng = np.random.default_rng(seed)
    events, drawn = worker.sampler.sample(rng, n_years)
    n_nodes = worker.losses.n_nodes
    year_loss = np.zeros(n_years)
    year_total = np.zeros(n_years)
    damaging = np.zeros(n_years, dtype=np.int64)
    node_loss = np.zeros(n_nodes)
    node_events = np.zeros(n_nodes, dtype=np.int64)
    table: dict[str, list[Any]] = {c: [] for c in EVENT_COLUMNS}
    solves, skipped = worker.losses.solves, worker.losses.skipped
    keys = [worker.key(event) for event in events]
    worker.losses.prefetch(keys)
    for event, key in zip(events, keys, strict=True):
        loss = worker.loss(key)
        if not math.isfinite(loss):
            raise ChipstressError(
                f"an event ({event.label}) could not be solved; the network may be infeasible"
            )
        year = event.year
        damaging[year] += 1
        year_loss[year] += loss
        costs = worker.hit_costs(event)
        total = loss + float(costs.sum())
        year_total[year] += total
        parts = ({h[0] for h in key[0]} if key else set()) | set(event.blocked_by)
        for node in parts:
            node_events[node] += 1
        if loss > 0:
            if len(parts) > 1 and key is not None:
                shares = worker.losses.allocate(key, loss, event.blocked_by, worker.loss)
            else:
                shares = {next(iter(parts)): loss}
            for node, share in shares.items():
                node_loss[node] += share
        table["year"].append(first_year + year + 1)
        table["hazard"].append(event.hazard)
        table["source"].append(event.source)
        table["description"].append(event.label)
        table["sites_hit"].append(len(parts))
        table["window"].append(worker.losses.end(key) if key else 0.0)
        table["loss"].append(loss)
        for name, value in zip(COST_COLUMNS, costs, strict=True):
            table[name].append(float(value))
        table["total_loss"].append(total)
    # Compact columns for the trip back to the main process.
    columns: dict[str, Any] = {
        "year": np.asarray(table["year"], dtype=np.int64),
        "sites_hit": np.asarray(table["sites_hit"], dtype=np.int64),
        "description": table["description"],
    }
    for name in _NUMERIC - {"year", "sites_hit"}:
        columns[name] = np.asarray(table[name], dtype=float)
    for name in ("hazard", "source"):
        columns[name] = pd.Categorical(table[name])
    return _ChunkResult(
        first_year,
        drawn,
        damaging,
        year_loss,
        year_total,
        columns,
        node_loss,
        node_events,
        worker.losses.solves - solves,
        worker.losses.skipped - skipped,
        len(worker.losses.memo),
    )


@dataclass(frozen=True)
class SimulationResult:
    """Annual loss distribution of a network under the hazard rates.

    Attributes
    ----------
    years
        One row per simulated year: ``year, events`` (drawn), ``damaging_events`` (that hit
        a node or blocked an edge) and ``loss`` (currency).
    events
        One row per damaging event: year, hazard, source, description, sites_hit, window
        (network periods until the last hit is back or the export control lifted) and
        loss (currency).
    expected_annual_loss
        Mean annual loss (currency per year).
    var, cvar
        Value at risk and conditional value at risk (expected shortfall) of the annual
        loss at each confidence level: VaR is the smallest of the worst ⌈(1−q)·N⌉ years,
        CVaR their mean.
    exceedance
        The loss-exceedance curve: ``return_period`` (years), ``exceedance_probability``
        (annual) and ``loss`` exceeded (or equalled) that often.
    by_node, by_hazard
        Each node's and each hazard source's contribution to the expected annual loss
        (``by_hazard`` also to the expected annual total loss: ``eal_total``).
    expected_annual_total_loss, var_total, cvar_total
        The same statistics of the annual *total* loss: lost sales plus idle capacity,
        scrap, damage and water trucking (``years.total_loss``).
    by_component
        ``component, eal, share`` — each component's expected annual cost and its share
        of the expected annual total loss.
    """

    years: pd.DataFrame = field(repr=False)
    events: pd.DataFrame = field(repr=False)
    expected_annual_loss: float
    var: dict[float, float]
    cvar: dict[float, float]
    exceedance: pd.DataFrame = field(repr=False)
    by_node: pd.DataFrame = field(repr=False)
    by_hazard: pd.DataFrame = field(repr=False)
    seed: int
    n_years: int
    solves: int = 0
    shortcuts: int = 0
    notes: tuple[str, ...] = ()
    currency: str = ""
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)
    expected_annual_total_loss: float = 0.0
    var_total: dict[float, float] = field(default_factory=dict)
    cvar_total: dict[float, float] = field(default_factory=dict)
    by_component: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.SIMULATE`."""
        return RunKind.SIMULATE

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a stored simulation run keeps (what reports and the API read)."""
        return {
            "years": self.years,
            "events": self.events,
            "exceedance": self.exceedance,
            "node_contributions": self.by_node,
            "hazard_contributions": self.by_hazard,
            "component_contributions": self.by_component,
        }

    def summary(self) -> dict[str, Any]:
        """The headline figures of a stored simulation run (currency per year)."""
        return {
            "years": self.n_years,
            "seed": self.seed,
            "expected_annual_loss": self.expected_annual_loss,
            "var_95": self.var[0.95],
            "cvar_95": self.cvar[0.95],
            "var_99": self.var[0.99],
            "cvar_99": self.cvar[0.99],
            "expected_annual_total_loss": self.expected_annual_total_loss,
            "var_99_total": self.var_total.get(0.99),
            "cvar_99_total": self.cvar_total.get(0.99),
            "solves": self.solves,
            "shortcuts": self.shortcuts,
            "currency": self.currency,
        }

    def describe(self, top: int = 5) -> str:
        """EAL, VaR/CVaR at 95 and 99 %, and the top hazards and nodes, as text."""
        c = self.currency
        lines = [
            f"{self.n_years:,} simulated years (seed {self.seed}): expected annual loss {self.expected_annual_loss:,.0f} {c}",
            f"VaR 95% {self.var[0.95]:,.0f}  CVaR 95% {self.cvar[0.95]:,.0f}  VaR 99% {self.var[0.99]:,.0f}  CVaR 99% {self.cvar[0.99]:,.0f} {c}",
        ]
        if self.var_total:
            parts = "; ".join(
                f"{str(name).replace('_', ' ')} {float(eal):,.0f}"
                for name, eal in zip(
                    self.by_component["component"], self.by_component["eal"], strict=True
                )
            )
            lines.append(
                f"with idle capacity, scrap, damage and trucking: expected annual total loss "
                f"{self.expected_annual_total_loss:,.0f} {c} ({parts}); VaR 99% "
                f"{self.var_total[0.99]:,.0f}  CVaR 99% {self.cvar_total[0.99]:,.0f} {c}"
            )
        hazards = self.by_hazard[self.by_hazard["eal"] > 0].head(top)
        if len(hazards):
            lines.append(
                "top hazards: "
                + "; ".join(f"{r.hazard}/{r.source} {r.share:.0%}" for r in hazards.itertuples())
            )
        nodes = self.by_node[self.by_node["eal"] > 0].head(top)
        if len(nodes):
            lines.append(
                "top nodes: " + "; ".join(f"{r.node} {r.share:.0%}" for r in nodes.itertuples())
            )
        return "\n".join(lines)


def tail_risk(losses: np.ndarray, probability: float) -> tuple[float, float]:
    """(VaR, CVaR) of the worst ``probability`` share of years.

    Parameters
    ----------
    losses
        Annual losses (currency per year), one per simulated year.
    probability
        Share of years in the tail, e.g. 0.05 for the 95 % level.

    Returns
    -------
    tuple of float
        The value at risk and the conditional value at risk (currency per year).
    """
    worst = np.sort(losses)[::-1]
    k = max(1, math.ceil(len(worst) * probability - 1e-9))
    return float(worst[k - 1]), float(worst[:k].mean())


def _chunk_tables(chunk: _ChunkResult) -> dict[str, pd.DataFrame]:
    """A finished chunk as stored tables (exact: floats and integers round-trip)."""
    n_years = len(chunk.year_loss)
    nodes = np.flatnonzero((chunk.node_loss != 0) | (chunk.node_events != 0))
    return {
        "sim_chunk_years": pd.DataFrame(
            {
                "year": chunk.first_year + np.arange(1, n_years + 1, dtype=np.int64),
                "drawn": np.asarray(chunk.drawn, dtype=np.int64),
                "damaging": np.asarray(chunk.damaging, dtype=np.int64),
                "loss": np.asarray(chunk.year_loss, dtype=float),
                "total_loss": np.asarray(chunk.year_total, dtype=float),
            }
        ),
        "sim_chunk_events": pd.DataFrame(
            {
                column: (
                    np.asarray(chunk.events[column])
                    if column in _NUMERIC
                    else [str(v) for v in chunk.events[column]]
                )
                for column in EVENT_COLUMNS
            }
        ),
        "sim_chunk_nodes": pd.DataFrame(
            {
                "position": nodes.astype(np.int64),
                "loss": chunk.node_loss[nodes],
                "events": chunk.node_events[nodes].astype(np.int64),
            }
        ),
        "sim_chunk_stats": pd.DataFrame(
            {"solves": [chunk.solves], "skipped": [chunk.skipped], "memo": [chunk.memo]}
        ),
    }


_CHUNK_TABLES = ("sim_chunk_years", "sim_chunk_events", "sim_chunk_nodes", "sim_chunk_stats")


def _stored_chunk(first_year: int, n_nodes: int, rows: Mapping[str, pd.DataFrame]) -> _ChunkResult:
    """A chunk of a (resumed) run rebuilt from its stored rows (:func:`_chunk_tables`)."""
    years = rows["sim_chunk_years"]
    events = rows["sim_chunk_events"]
    nodes = rows["sim_chunk_nodes"]
    stats = rows["sim_chunk_stats"].iloc[0]
    node_loss = np.zeros(n_nodes)
    node_events = np.zeros(n_nodes, dtype=np.int64)
    node_loss[nodes["position"].to_numpy(dtype=np.int64)] = nodes["loss"].to_numpy(dtype=float)
    node_events[nodes["position"].to_numpy(dtype=np.int64)] = nodes["events"].to_numpy(
        dtype=np.int64
    )
    columns: dict[str, Any] = {
        "year": events["year"].to_numpy(dtype=np.int64),
        "sites_hit": events["sites_hit"].to_numpy(dtype=np.int64),
        "description": events["description"].astype(str).tolist(),
        "hazard": pd.Categorical(events["hazard"].astype(str).tolist()),
        "source": pd.Categorical(events["source"].astype(str).tolist()),
    }
    for name in _NUMERIC - {"year", "sites_hit"}:
        if name in events:
            columns[name] = events[name].to_numpy(dtype=float)
        else:  # a chunk stored before the costs were simulated has only the loss
            lost = events["loss"].to_numpy(dtype=float)
            columns[name] = lost.copy() if name == "total_loss" else np.zeros(len(events))
    year_loss = years["loss"].to_numpy(dtype=float)
    return _ChunkResult(
        first_year,
        years["drawn"].to_numpy(dtype=np.int64),
        years["damaging"].to_numpy(dtype=np.int64),
        year_loss,
        years["total_loss"].to_numpy(dtype=float) if "total_loss" in years else year_loss.copy(),
        columns,
        node_loss,
        node_events,
        int(stats["solves"]),
        int(stats["skipped"]),
        int(stats["memo"]),
    )


def year_chunks(
    years: int, seed: int, chunk_years: int = CHUNK_YEARS
) -> list[tuple[int, int, np.random.SeedSequence]]:
    """The simulated years split into chunks: ``(first year, years, seed of the chunk)``.

    Chunk *i* draws from ``SeedSequence(seed).spawn(n_chunks)[i]``; every workflow that
    simulates (``simulate``, paired what-if simulations, the planner) uses this split, so
    the same seed draws the same events in all of them.

    Parameters
    ----------
    years
        Years to simulate (>= 1).
    seed
        The seed of the whole simulation (>= 0).
    chunk_years
        Years per chunk.

    Returns
    -------
    list of tuple
        ``(first year, years, seed sequence)`` per chunk.

    Raises
    ------
    InvalidInput
        ``years`` is not a whole number >= 1 or ``seed`` not a whole number >= 0.
    """
    if isinstance(years, bool) or not isinstance(years, int | np.integer) or years < 1:
        raise InvalidInput(f"years must be a whole number >= 1, got {years!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInput(f"seed must be a whole number >= 0, got {seed!r}")
    n_chunks = math.ceil(years / chunk_years)
    seeds = np.random.SeedSequence(int(seed)).spawn(n_chunks)
    return [
        (i * chunk_years, min(chunk_years, int(years) - i * chunk_years), seeds[i])
        for i in range(n_chunks)
    ]


def simulate(
    network: Network,
    years: int,
    seed: int,
    *,
    rates: str | Path | Mapping[str, Any] | Rates | None = None,
    params: HazardParameters | None = None,
    chunk_years: int = CHUNK_YEARS,
    runner: Runner | None = None,
) -> SimulationResult:
    """Simulate ``years`` years of hazard events on ``network`` and summarise the losses.

    Parameters
    ----------
    network
        The supply network; its period must be a unit of time (``week``, ``month``, ...).
    years
        Number of simulated years (>= 1).
    seed
        Seed of the random numbers; the same seed gives the same result for any number
        of workers.
    rates
        A rates file, mapping or :class:`Rates` (default: the packaged ``rates.yaml``).
    params
        Hazard data: damage curves, districts, storm table (default: the packaged data,
        :func:`chipstress.workflows.hazards.default_parameters`).
    chunk_years
        Years per chunk (fixed: changing it changes the random draws).
    runner
        Where the chunks run (default: in this process), the ``progress(years_done,
        years)`` callback, and the recorder that stores each finished chunk; chunks the
        recorder already holds (a resumed run) are read back instead of simulated again,
        so a resumed run gives exactly the numbers of an uninterrupted one
        (:func:`chipstress.workflows.runner.run_chunks`).

    Raises
    ------
    InvalidInput
        Bad ``years``/``seed``, a bad rates file, or a network whose period is not a
        unit of time.
    ChipstressError
        A chunk failed (e.g. an event's program could not be solved); no partial result
        is returned (with a recorder, every other chunk is still run and stored, so
        the run can be resumed).
    """
    jobs = year_chunks(years, seed, chunk_years)
    n_chunks = len(jobs)
    params = params or default_parameters()
    rates = rates if isinstance(rates, Rates) else load_rates(rates)
    sites = Sites.build(network, params)  # checks the period before any worker starts
    notes = tuple(Sampler(sites, rates).notes)
    n_nodes = network.n_nodes
    run = run_chunks(
        runner,
        _setup,
        (network, rates, params),
        _run_chunk,
        jobs,
        encode=_chunk_tables,
        decode=lambda index, rows: _stored_chunk(jobs[index][0], n_nodes, rows),
        tables=_CHUNK_TABLES,
        size=lambda job: job[1],
        parallel=n_chunks > 1,
    )
    if run.failures:
        first = run.failures[0]
        start = jobs[first.index][0]
        recorded = runner is not None and runner.recorder is not None
        stored_note = " (the other chunks are stored; resume the run to retry)" if recorded else ""
        raise ChipstressError(
            f"{len(run.failures)} of {len(jobs)} chunks of the simulation failed{stored_note}; the first "
            f"(years {start + 1}-{start + jobs[first.index][1]}): {first.error}"
        )
    return _summarise(network, run.completed(), years, int(seed), notes)


def _summarise(
    network: Network, chunks: list[_ChunkResult], n_years: int, seed: int, notes: tuple[str, ...]
) -> SimulationResult:
    loss = np.concatenate([c.year_loss for c in chunks])
    total = np.concatenate([c.year_total for c in chunks])
    table = pd.DataFrame(
        {
            "year": np.arange(1, n_years + 1),
            "events": np.concatenate([c.drawn for c in chunks]),
            "damaging_events": np.concatenate([c.damaging for c in chunks]),
            "loss": loss,
            "total_loss": total,
        }
    )
    events = pd.DataFrame(
        {
            column: (
                np.concatenate([chunk.events[column] for chunk in chunks])
                if column in _NUMERIC
                else [v for chunk in chunks for v in chunk.events[column]]
            )
            for column in EVENT_COLUMNS
        }
    )
    eal = float(loss.mean())
    eal_total = float(total.mean())
    var, cvar, var_total, cvar_total = {}, {}, {}, {}
    for level in (0.95, 0.99):
        var[level], cvar[level] = tail_risk(loss, 1.0 - level)
        var_total[level], cvar_total[level] = tail_risk(total, 1.0 - level)
    sums = {"lost_sales": float(events["loss"].sum())} | {
        name: float(events[name].sum()) for name in COST_COLUMNS
    }
    by_component = pd.DataFrame(
        {
            "component": list(sums),
            "eal": [v / n_years for v in sums.values()],
            "share": [v / n_years / eal_total if eal_total > 0 else 0.0 for v in sums.values()],
        }
    )
    periods = [p for p in RETURN_PERIODS if p <= n_years]
    exceedance = pd.DataFrame(
        {
            "return_period": periods,
            "exceedance_probability": [1.0 / p for p in periods],
            "loss": [tail_risk(loss, 1.0 / p)[0] for p in periods],
        }
    )
    node_loss = np.sum([c.node_loss for c in chunks], axis=0)
    node_events = np.sum([c.node_events for c in chunks], axis=0)
    info = network.nodes[["id", "name", "kind", "cluster"]].rename(columns={"id": "node"})
    by_node = info.assign(
        eal=node_loss / n_years,
        share=node_loss / n_years / eal if eal > 0 else 0.0,
        events=node_events,
    )
    by_node = by_node.sort_values(
        ["eal", "events", "node"], ascending=[False, False, True]
    ).reset_index(drop=True)
    grouped = events.groupby(["hazard", "source"], sort=True)["loss"]
    by_hazard = pd.DataFrame(
        {
            "eal": grouped.sum() / n_years,
            "eal_total": events.groupby(["hazard", "source"], sort=True)["total_loss"].sum()
            / n_years,
            "events": grouped.size(),
            "loss_events": grouped.apply(lambda s: int((s > 0).sum())),
            "max_event_loss": grouped.max(),
        }
    ).reset_index()
    by_hazard["share"] = by_hazard["eal"] / eal if eal > 0 else 0.0
    by_hazard = by_hazard[
        ["hazard", "source", "eal", "share", "eal_total", "events", "loss_events", "max_event_loss"]
    ]
    by_hazard = by_hazard.sort_values(["eal", "events"], ascending=False).reset_index(drop=True)
    return SimulationResult(
        years=table,
        events=events,
        expected_annual_loss=eal,
        var=var,
        cvar=cvar,
        exceedance=exceedance,
        by_node=by_node,
        by_hazard=by_hazard,
        seed=seed,
        n_years=n_years,
        solves=sum(c.solves for c in chunks),
        shortcuts=sum(c.skipped for c in chunks),
        notes=notes,
        currency=network.meta.currency,
        parameters={"years": n_years, "seed": seed},
        expected_annual_total_loss=eal_total,
        var_total=var_total,
        cvar_total=cvar_total,
        by_component=by_component,
    )
