"""Simulated event losses on the time-expanded program, memoised by event signature.

A simulated event (:class:`~chipstress.workflows.hazards.sampling.SampledEvent`) hits
nodes; each hit follows its recovery curve (``data/recovery.yaml``, by hazard, node kind
and damage state, as :func:`~chipstress.workflows.hazards.profiles.curve_for` assigns):
an immediate drop ``P`` and a recovery time ``D`` that keep the hit's capacity-periods
lost (:meth:`~chipstress.workflows.hazards.profiles.RecoveryCurve.scaled`), as in a
replay. Every hit starts at time 0; several hits on one node act as independent causes.

**The signature** (:data:`EventKey`, the memo key) quantises each hit: the drop to
0.1 % of capacity (at least 0.1 %) and the recovery time to the minute, an export
control's length to the minute too. The hazard tables make the sampled drops and
times discrete, so the rounding merges no different events; it keeps keys exact to
compare. Equal signatures give equal numbers on any worker and in any chunk.

**The run grid** (:meth:`EventLosses.grid`): an event is resolved in at most
:data:`SIMULATED_PERIODS` run periods, the shortest of :data:`PERIOD_LADDER_DAYS` that
covers the latest recovery end (plus the longest lead time, plus one period): a quake
back within days runs in days, a drought of months in weeks or months. The horizon is
rounded up to a multiple of 4 periods so that a worker builds few
:class:`~chipstress.engine.timeline.TimelineModel`; the added periods are at full
capacity.

**The loss** of a signature is :meth:`TimelineModel.loss
<chipstress.engine.timeline.TimelineModel.loss>`: the lost profit beyond the undisrupted
horizon's, each solve hot-started from the previous one (a chunk's signatures are solved
sorted, then nearest profile first per run grid, :meth:`EventLosses.prefetch`), kept to
:data:`SIGNIFICANT_DIGITS` digits so that it does not depend on which signatures a worker
met before. Losses below
:data:`ZERO_SHARE` of the profit at stake over the horizon count as zero. Before any
solve, two exact certificates prove a signature lossless: every hit node covers its
shortfall from its own stock (:meth:`TimelineModel.loss
<chipstress.engine.timeline.TimelineModel.loss>`), or the plan of
:class:`ZeroCertificate` (shortfalls passed down the chain) loses no sale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from chipstress.engine.timeline import TimelineModel
from chipstress.model.network import Network
from chipstress.workflows.hazards.params import DAMAGE_STATES
from chipstress.workflows.hazards.profiles import RecoveryCurve, curve_for, load_curves, mean_loss
from chipstress.workflows.hazards.sampling import SampledEvent
from chipstress.workflows.hazards.unfold import shares_of

__all__ = [
    "DROP_STEP",
    "NEAREST_BLOCK",
    "PERIOD_LADDER_DAYS",
    "SIGNIFICANT_DIGITS",
    "SIMULATED_PERIODS",
    "ZERO_PROFILES",
    "ZERO_SHARE",
    "EventKey",
    "EventLosses",
    "Hit",
    "RawHit",
    "ZeroCertificate",
    "event_hits",
    "event_key",
    "nearest_first",
]

DROP_STEP = 0.001  # fraction of capacity
MINUTES_PER_DAY = 1440.0
SIMULATED_PERIODS = 16  # run periods an event is resolved in, at most
PERIOD_LADDER_DAYS = (1.0, 2.0, 4.0, 7.0, 14.0, 28.0, 56.0, 91.0, 182.0, 364.0, 728.0)
ZERO_SHARE = 1e-6  # losses below this share of the profit at stake over the horizon are 0
ZERO_PROFILES = 256  # lossless profiles kept per run grid, for dominance
NEAREST_BLOCK = 2000  # signatures ordered nearest-first together (memory: its square)
SIGNIFICANT_DIGITS = 8  # a loss is kept to this many digits (the solver's noise is ~1e-14)

# (node position, curve name, drop in 0.1 % of capacity, recovery time D in minutes)
Hit = tuple[int, str, int, int]
# (hits sorted, blocked source rows, the export control's length in minutes or None)
EventKey = tuple[tuple[Hit, ...], tuple[int, ...], int | None]
# (node position, recovery curve, window-model fraction lost, window-model periods)
RawHit = tuple[int, RecoveryCurve, float, float]


def event_hits(event: SampledEvent, kinds: np.ndarray) -> list[RawHit]:
    """Each hit of a simulated event: node position, recovery curve, fraction and periods.

    Parameters
    ----------
    event
        The simulated event (fractions lost and outage lengths per node).
    kinds
        Node kind per position.

    Returns
    -------
    list of RawHit
        ``(position, curve, fraction lost, outage periods)`` per hit that loses something.
    """
    out: list[RawHit] = []
    states = event.states
    for k, position in enumerate(event.positions):
        fraction, periods = float(event.fraction[k]), float(event.periods[k])
        if fraction <= 0 or periods <= 0:
            continue
        state = DAMAGE_STATES[int(states[k])] if states is not None else ""
        curve = curve_for(event.hazard, str(kinds[position]), state)
        out.append((int(position), curve, fraction, periods))
    return out


def _minutes(periods: float, period_days: float) -> int:
    return max(1, round(periods * period_days * MINUTES_PER_DAY))


def event_key(
    hits: Sequence[RawHit],
    period_days: float,
    blocked: Sequence[int] = (),
    export_periods: float = 0.0,
) -> EventKey | None:
    """The quantised signature of an event (``None``: it disrupts nothing).

    Parameters
    ----------
    hits
        ``(position, curve, fraction, periods)`` per hit (:func:`event_hits`).
    period_days
        Days in one network period.
    blocked
        Source rows an export control closes.
    export_periods
        How long the export control lasts (network periods).

    Returns
    -------
    EventKey or None
        Sorted quantised hits (drop and recovery time from the curve, same area), the
        blocked rows and the control's length in minutes.
    """
    entries = []
    for position, curve, fraction, periods in hits:
        if fraction <= 0 or periods <= 0:
            continue
        drop, span = curve.scaled(min(1.0, fraction), periods)
        step = max(1, round(min(1.0, drop) / DROP_STEP))
        entries.append((int(position), curve.name, step, _minutes(span, period_days)))
    export = _minutes(export_periods, period_days) if blocked and export_periods > 0 else None
    if not entries and export is None:
        return None
    rows = tuple(sorted(int(r) for r in blocked)) if export is not None else ()
    return tuple(sorted(entries)), rows, export


class ZeroCertificate:
    """An exact proof that a profile loses nothing, without solving (when it applies).

    It applies when the undisrupted steady state loses no demand and pays no premium (the
    timeline's baseline is then that state held, at zero lost profit) and no edge has a
    lead time. It then builds a plan: every node keeps its steady-state production and
    shipments, except a node short of them (by its own capacity, or because a supplier
    ships less). Such a node either covers its whole shortfall over the horizon from its
    own stock and keeps shipping, or, when it sells to no customer demand, ships less to
    every customer in proportion. Nodes are taken suppliers first; a customer whose
    inputs shrink makes what its scarcest input allows. When no node with demand runs
    short beyond its stock, that plan sells everything the baseline sells at no higher
    premium, so the loss is 0.

    Parameters
    ----------
    model
        A compiled timeline of the network (any horizon; its steady state is used).
    """

    def __init__(self, model: TimelineModel) -> None:
        stress = model.model
        self.applies = bool(model.regional) and not np.any(model.lead > 0)
        flow = model.in_transit
        self.model = stress
        self.flow = flow
        self.need = np.bincount(stress.edge_supplier, weights=flow, minlength=stress.n_nodes)
        self.need = self.need + stress.demand
        inflow = np.bincount(stress.edge_bom_row, weights=flow, minlength=stress.n_bom)
        self.inflow = inflow
        self.order = self._order() if self.applies else None
        self.applies = self.applies and self.order is not None
        n_nodes = stress.n_nodes
        self.out_edges = [
            np.flatnonzero(stress.edge_supplier == n).tolist() for n in range(n_nodes)
        ]
        self.rows = [np.flatnonzero(stress.bom_node == n).tolist() for n in range(n_nodes)]
        self.row_edges = [
            np.flatnonzero(stress.edge_bom_row == r).tolist() for r in range(stress.n_bom)
        ]
        self.customer = stress.edge_customer.tolist()
        # What a node can make from its inputs at their steady flow (no supplier short).
        self.input_cap = [
            min((inflow[r] / stress.bom_quantity[r] for r in self.rows[n]), default=np.inf)
            for n in range(n_nodes)
        ]

    def _order(self) -> list[int] | None:
        """Nodes with every supplier before its customers (``None`` if there is a cycle)."""
        stress = self.model
        indegree = np.bincount(stress.edge_customer, minlength=stress.n_nodes)
        ready: list[int] = [int(n) for n in np.flatnonzero(indegree == 0)]
        order: list[int] = []
        out = [stress.edge_customer[stress.edge_supplier == n] for n in range(stress.n_nodes)]
        while ready:
            node = int(ready.pop())
            order.append(node)
            for customer in out[node]:
                indegree[customer] -= 1
                if indegree[customer] == 0:
                    ready.append(int(customer))
        return order if len(order) == stress.n_nodes else None

    def zero(self, lost: np.ndarray, period: float) -> bool:
        """Whether a profile certainly loses nothing.

        Parameters
        ----------
        lost
            Fraction of capacity lost per node and run period (``n_nodes × H``).
        period
            Length of a run period (network periods).

        Returns
        -------
        bool
            ``True``: the loss is 0 (proven); ``False``: not known.
        """
        if not self.applies or self.order is None:
            return False
        stress = self.model
        touched = np.any(lost > 0, axis=1).tolist()  # hit, or a supplier ships less
        cut: dict[int, np.ndarray] = {}  # edge -> share of its steady flow not shipped
        fed_short: set[int] = set()  # nodes with a supplier shipping less
        for node in self.order:
            if not touched[node]:
                continue
            make = (1.0 - lost[node]) * stress.capacity[node]
            if node not in fed_short:
                make = np.minimum(make, self.input_cap[node])
            for row in self.rows[node] if node in fed_short else ():
                short_in = [cut[e] * self.flow[e] for e in self.row_edges[row] if e in cut]
                arriving = self.inflow[row] - sum(short_in) if short_in else self.inflow[row]
                make = np.minimum(make, arriving / stress.bom_quantity[row])
            need = self.need[node]
            short = np.maximum(0.0, need - make)
            if short.sum() * period <= stress.inventory[node] + 1e-9 * (1.0 + need):
                continue
            if stress.demand[node] > 0 or need <= 0:
                return False
            share = np.minimum(1.0, short / need)
            for edge in self.out_edges[node]:
                cut[edge] = share
                touched[self.customer[edge]] = True
                fed_short.add(self.customer[edge])
        return True


def nearest_first(points: np.ndarray | sp.csr_matrix) -> list[int]:
    """A greedy nearest-neighbour walk through points, from the first.

    Parameters
    ----------
    points
        One point per row (any units; Euclidean distance), dense or a sparse matrix.

    Returns
    -------
    list of int
        Row indices: 0 first, then each time the nearest row not yet visited (the lowest
        index among equally near ones).
    """
    n = points.shape[0]
    if n == 0:
        return []
    if sp.issparse(points):
        rows = sp.csr_matrix(points)
        squares = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
        gram = (rows @ rows.T).toarray()
    else:
        squares = np.einsum("ij,ij->i", points, points)
        gram = points @ points.T
    distance = squares[:, None] + squares[None, :] - 2.0 * gram
    visited = np.zeros(n, dtype=bool)
    order = [0]
    visited[0] = True
    for _ in range(n - 1):
        current = int(np.argmin(np.where(visited, np.inf, distance[order[-1]])))
        order.append(current)
        visited[current] = True
    return order


class EventLosses:
    """Solves (and remembers) the timeline losses of event signatures on one network.

    Parameters
    ----------
    network
        The supply network.
    period_days
        Length of the network's period in days.
    """

    def __init__(self, network: Network, period_days: float) -> None:
        self.network = network
        self.period_days = float(period_days)
        self.curves = load_curves()[0]
        self._models: dict[tuple[int, float], TimelineModel] = {}
        self.memo: dict[EventKey, float] = {}
        self.solves = 0  # programs solved
        self.skipped = 0  # signatures proven lossless without a solve
        first = self.model(1, 1.0)
        self.capacity = first.model.capacity
        self.n_nodes = first.model.n_nodes
        self.n_edges = first.model.n_edges
        # The undisrupted network loses nothing and pays no premium: no event gains.
        self.monotone = first.regional
        self.stake = float(first.model.margin @ first.model.demand)  # per network period
        sources = network.sources
        lead = sources["lead_time"].to_numpy(dtype=float) if "lead_time" in sources else np.zeros(0)
        self.lead = float(np.nan_to_num(lead).max(initial=0.0))  # network periods
        self.certificate = ZeroCertificate(first)
        self._zero_profiles: dict[tuple[int, float], np.ndarray] = {}
        self._zero_count: dict[tuple[int, float], int] = {}
        self._hit_rows: dict[tuple[tuple[str, int, int], int, float], np.ndarray] = {}

    def model(self, horizon: int, period: float) -> TimelineModel:
        """The compiled timeline of ``horizon`` periods of ``period`` (cached)."""
        key = (horizon, period)
        if key not in self._models:
            self._models[key] = TimelineModel(self.network, horizon, period)
        return self._models[key]

    def periods(self, minutes: int) -> float:
        """Minutes as network periods."""
        return minutes / (self.period_days * MINUTES_PER_DAY)

    def end(self, key: EventKey) -> float:
        """When the last hit is back or the export control lifted (network periods)."""
        hits, _, export = key
        spans = [self.periods(h[3]) for h in hits]
        return max(spans + ([self.periods(export)] if export is not None else []))

    def grid(self, key: EventKey) -> tuple[int, float]:
        """The run grid of a signature: number of run periods and their length.

        Parameters
        ----------
        key
            The signature (:func:`event_key`).

        Returns
        -------
        tuple
            Horizon (run periods, a multiple of 4) and the run period (network periods):
            the shortest period of :data:`PERIOD_LADDER_DAYS` that covers the event's
            end plus the longest lead time plus one period in at most
            :data:`SIMULATED_PERIODS` periods (the longest of the ladder otherwise).
        """
        span = self.end(key) + self.lead
        horizon, period = 1, 1.0
        for days in PERIOD_LADDER_DAYS:
            period = days / self.period_days
            horizon = math.ceil(span / period - 1e-9) + 1
            if horizon <= SIMULATED_PERIODS:
                break
        return 4 * math.ceil(horizon / 4), period

    def loss_fraction(self, key: EventKey, horizon: int, period: float) -> np.ndarray:
        """Fraction of capacity lost per node and run period (``n_nodes × H``).

        Parameters
        ----------
        key
            The signature.
        horizon, period
            The run grid (:meth:`grid`).

        Returns
        -------
        numpy.ndarray
            Mean loss over each period, in [0, 1]; hits on one node combine as
            independent causes (remaining capacities multiply).
        """
        remaining = np.ones((self.n_nodes, horizon))
        for hit in key[0]:
            remaining[hit[0]] *= 1.0 - self._hit_loss(hit[1:], horizon, period)
        return 1.0 - remaining

    def _hit_loss(self, shape: tuple[str, int, int], horizon: int, period: float) -> np.ndarray:
        """Mean loss of one hit (curve, drop step, minutes) over each run period (cached)."""
        cached = self._hit_rows.get((shape, horizon, period))
        if cached is None:
            name, step, minutes = shape
            cached = mean_loss(
                np.zeros(1),
                np.array([min(1.0, step * DROP_STEP)]),
                np.array([self.periods(minutes)]),
                [self.curves[name]],
                period * np.arange(horizon + 1),
            )[0].clip(0.0, 1.0)
            self._hit_rows[(shape, horizon, period)] = cached
        return cached

    def blocked(self, key: EventKey, horizon: int, period: float) -> np.ndarray | None:
        """Blocked source edges per run period (``n_edges × H``), or ``None``.

        Parameters
        ----------
        key
            The signature.
        horizon, period
            The run grid (:meth:`grid`).

        Returns
        -------
        numpy.ndarray or None
            ``True`` where the export control closes an edge in a period it overlaps.
        """
        _, rows, export = key
        if export is None or not rows:
            return None
        mask = np.zeros((self.n_edges, horizon), dtype=bool)
        overlap = period * np.arange(horizon) < self.periods(export)
        mask[np.ix_(np.asarray(rows, dtype=np.int64), np.flatnonzero(overlap))] = True
        return mask

    def solve(self, key: EventKey) -> float:
        """Timeline loss of a signature (currency; NaN if its program does not solve).

        Parameters
        ----------
        key
            The signature.

        Returns
        -------
        float
            Lost profit beyond the undisrupted horizon's (currency), 0 below
            :data:`ZERO_SHARE` of the profit at stake over the horizon, else to
            :data:`SIGNIFICANT_DIGITS` significant digits: a solve starts from the
            previous one's basis, and the rounding keeps the answer independent of which
            signatures were solved before.
        """
        horizon, period = self.grid(key)
        lost = self.loss_fraction(key, horizon, period)
        blocked = self.blocked(key, horizon, period)
        if blocked is None and (
            self._dominated((horizon, period), lost) or self.certificate.zero(lost, period)
        ):
            self.skipped += 1
            return 0.0
        model = self.model(horizon, period)
        before = model.solves
        value = model.loss((1.0 - lost) * self.capacity[:, None], blocked)
        if model.solves > before:
            self.solves += 1
        else:
            self.skipped += 1
        if not math.isfinite(value):
            return float("nan")
        if abs(value) <= ZERO_SHARE * self.stake * horizon * period:
            if blocked is None:
                self._remember_zero((horizon, period), lost)
            return 0.0
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")

    def _dominated(self, grid: tuple[int, float], lost: np.ndarray) -> bool:
        """Whether a profile loses no more, in every node and period, than one that cost 0.

        Exact on one run grid: less capacity lost never costs more (the program's
        feasible set only grows), and 0 here means below :data:`ZERO_SHARE`.
        """
        count = self._zero_count.get(grid, 0)
        if not count:
            return False
        nodes = np.flatnonzero(lost.any(axis=1))
        stack = self._zero_profiles[grid][:count, nodes, :]
        return bool(np.all(stack >= lost[nodes][None, :, :], axis=(1, 2)).any())

    def _remember_zero(self, grid: tuple[int, float], lost: np.ndarray) -> None:
        """Keep a lossless profile (the first :data:`ZERO_PROFILES` per grid) for dominance."""
        count = self._zero_count.get(grid, 0)
        if count >= ZERO_PROFILES:
            return
        if grid not in self._zero_profiles:
            self._zero_profiles[grid] = np.zeros((ZERO_PROFILES, *lost.shape))
        self._zero_profiles[grid][count] = lost
        self._zero_count[grid] = count + 1

    def prefetch(self, keys: Sequence[EventKey | None]) -> None:
        """Solve the signatures not yet remembered, each next to the most similar one.

        The signatures are sorted (larger drops and longer recoveries of a node first,
        so that a lossless one proves the smaller ones lossless), then, per run grid,
        walked nearest-first (:func:`nearest_first`): each solve starts from the previous
        one's basis, so a similar previous profile means few simplex iterations (13 %
        fewer than in sorted order on tri-cluster's simulated years). The losses do not
        depend on the order (:meth:`solve`).
        """
        missing = sorted(
            {key for key in keys if key is not None and key not in self.memo}, reverse=True
        )
        by_grid: dict[tuple[int, float], list[EventKey]] = {}
        for key in missing:
            by_grid.setdefault(self.grid(key), []).append(key)
        for grid, group in by_grid.items():
            for first in range(0, len(group), NEAREST_BLOCK):
                block = group[first : first + NEAREST_BLOCK]
                for index in nearest_first(self._profiles(block, grid)):
                    self.memo[block[index]] = self.solve(block[index])

    def _profiles(self, keys: Sequence[EventKey], grid: tuple[int, float]) -> sp.csr_matrix:
        """The signatures' capacity-loss profiles on one run grid, one sparse row each.

        Sparse: a profile is non-zero only on the nodes its event hits, so a block of
        signatures on a large network takes little memory.
        """
        width = self.n_nodes * grid[0]
        indptr, indices, values = [0], [], []
        for key in keys:
            flat = self.loss_fraction(key, *grid).ravel()
            where = np.flatnonzero(flat)
            indices.append(where)
            values.append(flat[where])
            indptr.append(indptr[-1] + len(where))
        return sp.csr_matrix(
            (np.concatenate(values), np.concatenate(indices), np.asarray(indptr)),
            shape=(len(keys), width),
        )

    def loss(self, key: EventKey) -> float:
        """Loss of a signature (memoised; currency)."""
        value = self.memo.get(key)
        if value is None:
            value = self.memo[key] = self.solve(key)
        return value

    @staticmethod
    def parts(
        key: EventKey, blocked_by: Mapping[int, tuple[int, ...]] | None = None
    ) -> dict[int, EventKey]:
        """Each node's own part of an event: its hits alone, and the edges blocked at it.

        Parameters
        ----------
        key
            The event's signature.
        blocked_by
            Supplier position -> the source rows blocked at it.

        Returns
        -------
        dict of int to EventKey
            Node position -> the signature of its part (its standalone event).
        """
        hits, _, export = key
        parts: dict[int, EventKey] = {}
        for position in sorted({h[0] for h in hits}):
            parts[position] = (tuple(h for h in hits if h[0] == position), (), None)
        for supplier, edges in (blocked_by or {}).items():
            own = tuple(h for h in hits if h[0] == supplier)
            parts[supplier] = (own, tuple(sorted(edges)), export)
        return parts

    def allocate(
        self,
        key: EventKey,
        total: float,
        blocked_by: Mapping[int, tuple[int, ...]] | None = None,
        loss_of: Callable[[EventKey], float] | None = None,
    ) -> dict[int, float]:
        """Split an event's loss over its nodes in proportion to their standalone losses.

        A node's standalone loss is the loss of its own hits alone (and of the source
        edges blocked at it as a supplier); when every standalone loss is zero (only the
        combination hurts) the loss is split equally.

        Parameters
        ----------
        key
            The event's signature.
        total
            The event's loss to split (currency).
        blocked_by
            Supplier position -> the source rows blocked at it.
        loss_of
            The loss of a signature (default: this object's memoised loss).

        Returns
        -------
        dict of int to float
            Node position -> its share of ``total`` (currency).
        """
        parts = self.parts(key, blocked_by)
        if not parts or total == 0 or not np.isfinite(total):
            return dict.fromkeys(parts, 0.0)
        if len(parts) == 1:
            return {next(iter(parts)): total}
        loss_of = loss_of or self.loss
        return shares_of({node: max(0.0, loss_of(part)) for node, part in parts.items()}, total)
