"""Events that unfold: the run grid, the timeline solve and its tables, for one run.

``replay``, ``scenario`` and ``outage`` measure an event on the time-expanded program
(:class:`chipstress.engine.timeline.TimelineModel`, without foresight) instead of one
aggregate window; docs/hazards.md, "Which program measures what", says why.

* **The run grid** (:func:`run_grid`): days (the network's period divided so that a run
  period is one day) when any hit is fully back within :data:`DAILY_UP_TO_WEEKS` weeks,
  else the network's period. The horizon covers the latest recovery end (or export
  control's end), plus the longest lead time, plus one period, at most
  :data:`MAX_PERIODS` periods (a note says when it is cut).
* **The loss** is ``TimelineResult.loss``: the lost profit beyond the undisrupted
  horizon's (:func:`solve_profile`).
* **The shares** of the nodes hit (:func:`standalone_shares`): in proportion to each
  node's standalone timeline loss (its own capacity profile, and the edges blocked at it
  as a supplier, alone), solved on a grid of at most :data:`SHARE_PERIODS` periods
  (consecutive run periods merged, capacities averaged: the shares are proportions; the
  event's loss itself is solved on the run grid); equal when only the combination hurts.
* **The tables** (:func:`timeline_tables`): ``timeline`` (per period: mean capacity of
  the nodes hit, service level, lost profit), ``timeline_nodes`` (per period and node
  hit: capacity, stock) and ``timeline_products`` (per period and product with a loss:
  lost units and profit), the contract the recovery chart reads.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chipstress.engine.solver import SolveStatus
from chipstress.engine.timeline import TimelineModel, TimelineResult
from chipstress.model.network import Network

__all__ = [
    "DAILY_UP_TO_WEEKS",
    "MAX_PERIODS",
    "NODE_TIMELINE_COLUMNS",
    "PRODUCT_TIMELINE_COLUMNS",
    "SHARE_PERIODS",
    "TIMELINE_COLUMNS",
    "RunGrid",
    "run_grid",
    "shares_of",
    "solve_profile",
    "standalone_losses",
    "standalone_losses_started",
    "standalone_shares",
    "timeline_model",
    "timeline_tables",
]

DAILY_UP_TO_WEEKS = 8.0  # a hit back within this many weeks runs the event in days
MAX_PERIODS = 400  # the longest horizon a run solves (periods)
SHARE_PERIODS = 16  # standalone losses (for the shares) are solved on at most this many
TIMELINE_COLUMNS = ["period", "start", "end", "capacity", "service_level", "lost_profit"]
NODE_TIMELINE_COLUMNS = ["period", "node", "capacity", "stock"]
PRODUCT_TIMELINE_COLUMNS = ["period", "product", "lost_units", "lost_profit"]


@dataclass(frozen=True)
class RunGrid:
    """Length of a run period (network periods), the horizon (periods) and any note."""

    period: float
    horizon: int
    notes: tuple[str, ...] = ()

    @property
    def window(self) -> float:
        """The horizon's length (network periods)."""
        return self.horizon * self.period


def run_grid(recoveries: Sequence[float], end: float, lead: float, period_days: float) -> RunGrid:
    """The run's period and horizon for events whose hits recover in ``recoveries``.

    Parameters
    ----------
    recoveries
        Time from each capacity hit to its full recovery (network periods).
    end
        When the last hit is back or the last export control lifted, from the
        scenario's beginning (network periods).
    lead
        The longest lead time of a source edge (network periods).
    period_days
        Days in one network period.

    Returns
    -------
    RunGrid
        Days (``1 / period_days`` network periods, or the network's period when it is a
        day or shorter) when a hit is back within :data:`DAILY_UP_TO_WEEKS` weeks, else
        the network's period; a horizon of ``end + lead`` plus one period, at most
        :data:`MAX_PERIODS`.
    """
    short = DAILY_UP_TO_WEEKS * 7.0 / period_days
    daily = period_days > 1.0 and any(r <= short for r in recoveries)
    period = 1.0 / period_days if daily else 1.0
    needed = math.ceil(max(0.0, end + lead) / period - 1e-9) + 1
    if needed <= MAX_PERIODS:
        return RunGrid(period, needed)
    unit = "days" if daily else "periods"
    note = (
        f"the horizon is cut at {MAX_PERIODS} {unit} (the events need {needed}): what "
        "happens later is not counted"
    )
    return RunGrid(period, MAX_PERIODS, (note,))


_KEPT = 16
_LOCAL = threading.local()  # one cache per thread: a model's solver is not shared


def timeline_model(network: Network, grid: RunGrid) -> TimelineModel:
    """The network compiled over a run grid, without foresight (memoised per grid).

    Parameters
    ----------
    network
        The network.
    grid
        The run's period and horizon.

    Returns
    -------
    TimelineModel
        One model per network, horizon and period (the last 16 are kept, per thread).
    """
    models: OrderedDict[tuple[str, int, float], TimelineModel] = _LOCAL.__dict__.setdefault(
        "models", OrderedDict()
    )
    key = (network.fingerprint(), grid.horizon, grid.period)
    model = models.pop(key, None)
    if model is None:
        model = TimelineModel(network, grid.horizon, grid.period)
    models[key] = model
    while len(models) > _KEPT:
        models.popitem(last=False)
    return model


def solve_profile(
    model: TimelineModel, capacity: np.ndarray, blocked: np.ndarray | None
) -> TimelineResult:
    """Solve a profile of remaining capacity fractions (``n_nodes × H``) on ``model``.

    Parameters
    ----------
    model
        The compiled timeline.
    capacity
        Remaining capacity fraction per node and run period (0..1, the model's node order).
    blocked
        Source edges blocked per run period, or ``None``.

    Returns
    -------
    TimelineResult
        The solve, with the baseline beside it.
    """
    absolute = np.clip(capacity, 0.0, 1.0) * model.model.capacity[:, None]
    return model.solve(absolute, blocked)


def standalone_shares(
    model: TimelineModel,
    capacity: np.ndarray,
    blocked: np.ndarray | None,
    parts: Mapping[int, Sequence[int]],
    total: float,
) -> dict[int, float]:
    """Split a loss over the nodes hit in proportion to their standalone timeline losses.

    Parameters
    ----------
    model
        The compiled timeline.
    capacity
        The whole event's remaining capacity fractions (``n_nodes × H``).
    blocked
        The whole event's blocked source edges (``n_edges × H``), or ``None``.
    parts
        Node position -> the source rows blocked at it as a supplier (may be empty).
    total
        The loss to split (currency).

    Returns
    -------
    dict of int to float
        Node position -> its share of ``total`` (currency); equal shares when every
        standalone loss is 0 (only the combination hurts).
    """
    if not parts or total == 0 or not np.isfinite(total):
        return dict.fromkeys(parts, 0.0)
    if len(parts) == 1:
        return {next(iter(parts)): total}
    return shares_of(standalone_losses(model, capacity, blocked, parts), total)


def shares_of(losses: Mapping[int, float], total: float) -> dict[int, float]:
    """``total`` split in proportion to standalone ``losses`` (equal when all are 0).

    Parameters
    ----------
    losses
        Node position -> its standalone loss (currency, >= 0).
    total
        The loss to split (currency); 0 or not finite gives every node 0.

    Returns
    -------
    dict of int to float
        Node position -> its share of ``total`` (currency).
    """
    if not losses or total == 0 or not np.isfinite(total):
        return dict.fromkeys(losses, 0.0)
    weight = sum(losses.values())
    if weight <= 0:
        return {node: total / len(losses) for node in losses}
    return {node: total * value / weight for node, value in losses.items()}


def standalone_losses(
    model: TimelineModel,
    capacity: np.ndarray,
    blocked: np.ndarray | None,
    parts: Mapping[int, Sequence[int]],
) -> dict[int, float]:
    """Each node's standalone timeline loss: its own profile alone (currency, >= 0).

    Solved on :func:`_share_grid` (at most :data:`SHARE_PERIODS` periods).

    Parameters
    ----------
    model
        The compiled timeline; solved on when its horizon is within the limit, so it
        must belong to the calling thread.
    capacity
        The whole event's remaining capacity fractions (``n_nodes × H``).
    blocked
        The whole event's blocked source edges (``n_edges × H``), or ``None``.
    parts
        Node position -> the source rows blocked at it as a supplier (may be empty).

    Returns
    -------
    dict of int to float
        Node position -> its standalone loss (currency).
    """
    coarse, capacity, blocked = _share_grid(model, capacity, blocked)
    standalone: dict[int, float] = {}
    for node, rows in parts.items():
        own = np.ones_like(capacity)
        own[node] = capacity[node]
        mask = None
        if blocked is not None and len(rows):
            mask = np.zeros_like(blocked)
            mask[list(rows)] = blocked[list(rows)]
        loss = coarse.loss(np.clip(own, 0.0, 1.0) * coarse.model.capacity[:, None], mask)
        standalone[node] = max(0.0, loss) if np.isfinite(loss) else 0.0
    return standalone


def standalone_losses_started(
    network: Network,
    grid: RunGrid,
    model: TimelineModel,
    capacity: np.ndarray,
    blocked: np.ndarray | None,
    parts: Mapping[int, Sequence[int]],
) -> Future[dict[int, float]] | None:
    """Start :func:`standalone_losses` on a helper thread, beside the event's own solve.

    HiGHS releases the interpreter while it solves, so on two cores the standalone
    losses cost no wall time of their own. The helper solves on its own models (its
    thread's :func:`timeline_model`, or the coarse grid's), never on ``model``'s solver.

    Parameters
    ----------
    network
        The network the event runs on.
    grid
        The event's run grid.
    model
        The event's compiled timeline (read, not solved on, by the helper).
    capacity
        The whole event's remaining capacity fractions (``n_nodes × H``; copied).
    blocked
        The whole event's blocked source edges (``n_edges × H``; copied), or ``None``.
    parts
        Node position -> the source rows blocked at it as a supplier.

    Returns
    -------
    concurrent.futures.Future or None
        The losses to come (node position -> currency); ``None`` for at most one part,
        which needs no standalone loss.
    """
    if len(parts) <= 1:
        return None
    return _helper().submit(
        _standalone_losses_on,
        network,
        grid,
        model,
        capacity.copy(),
        None if blocked is None else blocked.copy(),
        {node: tuple(rows) for node, rows in parts.items()},
    )


def _standalone_losses_on(
    network: Network,
    grid: RunGrid,
    model: TimelineModel,
    capacity: np.ndarray,
    blocked: np.ndarray | None,
    parts: Mapping[int, Sequence[int]],
) -> dict[int, float]:
    """On the helper thread: a horizon within the share grid is solved on this thread's
    own model of the grid (the caller's is busy); a longer one on a coarse model."""
    own = model if model.horizon > SHARE_PERIODS else timeline_model(network, grid)
    return standalone_losses(own, capacity, blocked, parts)


_HELPER: ThreadPoolExecutor | None = None
_HELPER_LOCK = threading.Lock()


def _helper() -> ThreadPoolExecutor:
    """The one helper thread (made on first use; a forked child makes its own)."""
    global _HELPER
    with _HELPER_LOCK:
        if _HELPER is None:
            _HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chipstress-shares")
        return _HELPER


def _forget_helper() -> None:
    """In a forked child: the parent's helper thread did not come along."""
    global _HELPER, _HELPER_LOCK
    _HELPER, _HELPER_LOCK = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_helper)


def _share_grid(
    model: TimelineModel, capacity: np.ndarray, blocked: np.ndarray | None
) -> tuple[TimelineModel, np.ndarray, np.ndarray | None]:
    """The run grid for standalone losses: at most :data:`SHARE_PERIODS` periods.

    Consecutive run periods are merged ``k`` at a time (capacities averaged, an edge
    blocked in a merged period when it is in any of its parts); a horizon already within
    the limit is kept as it is. The coarse model is kept per thread (the last 16).
    """
    h = model.horizon
    if h <= SHARE_PERIODS:
        return model, capacity, blocked
    k = math.ceil(h / SHARE_PERIODS)
    merged = math.ceil(h / k)
    pad = merged * k - h
    fractions = np.pad(capacity, ((0, 0), (0, pad)), constant_values=1.0)
    fractions = fractions.reshape(len(capacity), merged, k).mean(axis=2)
    mask: np.ndarray | None = None
    if blocked is not None:
        padded = np.pad(blocked, ((0, 0), (0, pad))).reshape(len(blocked), merged, k)
        mask = np.asarray(padded.any(axis=2))
    return _coarse_model(model, merged, k), fractions, mask


def _coarse_model(model: TimelineModel, merged: int, k: int) -> TimelineModel:
    """``model``'s network over ``merged`` periods of ``k`` run periods (kept per thread)."""
    coarse: OrderedDict[tuple[int, int, float], tuple[object, TimelineModel]] = (
        _LOCAL.__dict__.setdefault("coarse", OrderedDict())
    )
    key = (id(model.model), merged, model.period * k)
    known = coarse.pop(key, None)
    if known is None or known[0] is not model.model:
        known = (
            model.model,
            TimelineModel(
                model.model, merged, model.period * k, lead_time=model.lead * model.period
            ),
        )
    coarse[key] = known
    while len(coarse) > _KEPT:
        coarse.popitem(last=False)
    return known[1]


def timeline_tables(
    model: TimelineModel, result: TimelineResult, capacity: np.ndarray
) -> dict[str, pd.DataFrame]:
    """The ``timeline``, ``timeline_nodes`` and ``timeline_products`` tables of a run.

    Parameters
    ----------
    model
        The compiled timeline ``result`` was solved on.
    result
        The solved timeline (with its baseline).
    capacity
        Remaining capacity fraction per node and run period (``n_nodes × H``, the
        model's node order).

    Returns
    -------
    dict of str to pandas.DataFrame
        The three tables (columns :data:`TIMELINE_COLUMNS`,
        :data:`NODE_TIMELINE_COLUMNS`, :data:`PRODUCT_TIMELINE_COLUMNS`); see
        docs/hazards.md, "Results over time". Start and end are network periods from the
        scenario's beginning; money is currency, units are units over the period.
    """
    h, p = result.horizon, result.period
    periods = np.arange(1, h + 1)
    base = result.baseline or result
    hit = np.flatnonzero(np.any(capacity < 1.0 - 1e-12, axis=1))
    if result.status != SolveStatus.OPTIMAL:
        empty, text, index = np.zeros(0), np.zeros(0, dtype=object), np.zeros(0, np.int64)
        return {
            "timeline": pd.DataFrame(
                {c: index if c == "period" else empty for c in TIMELINE_COLUMNS}
            ),
            "timeline_nodes": pd.DataFrame(
                {"period": index, "node": text, "capacity": empty, "stock": empty}
            ),
            "timeline_products": pd.DataFrame(
                {"period": index, "product": text, "lost_units": empty, "lost_profit": empty}
            ),
        }
    lost_units = result.lost_units.to_numpy() - base.lost_units.to_numpy()
    lost_money = result.lost_profit_by_period.to_numpy() - base.lost_profit_by_period.to_numpy()
    products = result.lost_units.index.to_numpy()
    node_ids = np.asarray(model.model.node_ids, dtype=object)
    names = pd.Index([str(n) for n in node_ids])
    position = names.get_indexer(pd.Index([str(n) for n in products]))
    demand = p * model.model.demand[position]
    sold_hit = demand[:, None] - result.lost_units.to_numpy()
    sold_base = demand[:, None] - base.lost_units.to_numpy()
    base_total, hit_total = sold_base.sum(axis=0), sold_hit.sum(axis=0)
    service = np.where(base_total > 0, hit_total / np.where(base_total > 0, base_total, 1.0), 1.0)
    timeline = pd.DataFrame(
        {
            "period": periods,
            "start": (periods - 1) * p,
            "end": periods * p,
            "capacity": capacity[hit].mean(axis=0) if len(hit) else np.ones(h),
            "service_level": np.clip(service, 0.0, 1.0),
            "lost_profit": lost_money.sum(axis=0),
        }
    )
    ids = [str(node_ids[k]) for k in hit]
    stock = result.stock.reindex(ids).to_numpy()
    nodes = pd.DataFrame(
        {
            "period": np.tile(periods, len(hit)),
            "node": np.repeat(np.asarray(ids, dtype=object), h),  # text even when empty
            "capacity": capacity[hit].ravel() if len(hit) else np.zeros(0),
            "stock": stock.ravel(),
        },
        columns=NODE_TIMELINE_COLUMNS,
    )
    tiny = 1e-9 * (1.0 + np.abs(lost_money).max(initial=0.0))
    row, col = np.nonzero((np.abs(lost_money) > tiny) | (np.abs(lost_units) > 1e-9))
    product_rows = pd.DataFrame(
        {
            "period": periods[col],
            "product": np.asarray([str(products[r]) for r in row], dtype=object),
            "lost_units": lost_units[row, col],
            "lost_profit": lost_money[row, col],
        },
        columns=PRODUCT_TIMELINE_COLUMNS,
    )
    product_rows = product_rows.sort_values(["period", "product"]).reset_index(drop=True)
    return {"timeline": timeline, "timeline_nodes": nodes, "timeline_products": product_rows}
