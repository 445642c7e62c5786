"""The time-expanded (multi-period) time-to-recover program, built from a network's tables.

The single-window program (:mod:`chipstress.engine.formulation`) squeezes an event into
one window; this one lets it unfold over periods ``t = 1..H`` of length ``p`` (in the
network's periods: ``p = 1/7`` runs days on a weekly network). Rates are per network
period, as in the single window, so every capacity change is a change of column bounds.

Variables, per period t: ``u[i,t]`` production at node i, ``y[e,t]`` shipment on source
edge e (supplier i -> customer j), ``l[j,t]`` lost sales at node j (nodes with demand),
all rates (units per network period), and ``s[i,t]`` the stock of node i's own output at
the end of period t (units).

* capacity: ``0 ≤ u[i,t] ≤ c[i,t]``, the *capacity profile* ``c[i,t] = (1 − α[i,t]) ·
  capacity_i``; ``y ≥ 0``; ``0 ≤ l[j,t] ≤ demand_j``; ``s ≥ 0``.
* stock, one row per node and period, divided by ``p`` (rates, as the single window's
  flow row):
  ``(s[i,t] − s[i,t−1]) / p + Σ_{e out of i} y[e,t] − u[i,t] − l[i,t] ≤ −demand_i``
  with ``s[i,0] = inventory_i``. Summed over ``τ ≤ t`` and with ``s ≥ 0`` this is the
  cumulative balance ``Σ_{τ≤t} p · (Σ_out y[e,τ] + demand_i − l[i,τ] − u[i,τ]) ≤
  inventory_i``: stock is never used before it exists, and production nobody needs may
  be carried or discarded (``≤``, as in the single window).
* BOM, one row per BOM line (j, k) and period:
  ``q_kj · u[j,t] − Σ_{e into j of material k, t > L_e} y[e, t − L_e]
  ≤ Σ_{e into j of material k, t ≤ L_e} y*_e``.
  ``L_e`` is the lead time of edge e in whole run periods (the sources' ``lead_time``
  column, in network periods, divided by ``p`` and rounded up; 0 = same period). What
  arrives in the first ``L_e`` periods was shipped before the horizon began: the
  *in-transit* flow ``y*_e`` of the undisrupted steady state (the single-window program
  with no stock and full capacity, solved once per network; where its optimum is not
  unique, the solver's choice is taken). Shipments of the last ``L_e`` periods arrive
  after the horizon and count for nothing.

Objective: ``min p · Σ_t (Σ_j margin_j · l[j,t] + Σ_e premium_e · y[e,t])``; the lost
profit is the optimum (currency). With ``H = 1`` and no lead time the program is the
single-window program over a window of ``p`` periods plus a stock column that can stay 0.

Foresight (option of :class:`chipstress.engine.timeline.TimelineModel`): the program
plans the whole horizon at once, so it knows every future period's capacity. Without
foresight (the default) every stock column is bounded above by the node's inventory,
``s[i,t] ≤ inventory_i``: a base-stock policy (stocks are drawn down and rebuilt to
their normal level, never built up ahead of an event nobody has announced); production
beyond it is discarded (the ``≤`` of the stock row). With ``H = 1`` the bound changes
nothing (the end stock only has to be ≥ 0).

Backlog (option): unmet demand waits instead of being lost. Per product and period a
served-late rate ``w[j,t] ≥ 0`` enters the stock row like demand (``+ w[j,t]``), and a
backlog ``b[j,t] ≥ 0`` (units waiting at the end of period t, ``b[j,0] = 0``) obeys
``(b[j,t−1] − b[j,t]) / p + l[j,t] − w[j,t] ≤ 0``. The objective charges
``penalty · p · b[j,t]`` for ``t < H`` (currency per unit per network period late) and
``margin_j · b[j,H]`` (units still waiting at the end are lost) instead of the margin on
``l``; premiums as above.

:func:`build_timeline` assembles the program for the whole network or a *region* (a node
mask): edges with one end outside are held at a given flow every period (arriving at
that rate from the first period on), which enters the right-hand sides, as
:func:`chipstress.engine.formulation.build_lp` does for the single window. All blocks
are built as vectorised triplets (no Python loop over nodes or periods).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from chipstress.engine.formulation import StressModel
from chipstress.engine.solver import LPData

__all__ = ["TimelineLayout", "build_timeline", "carry_basis", "merge_periods", "most_production"]


@dataclass(frozen=True)
class TimelineLayout:
    """Where things are in a program built by :func:`build_timeline`.

    ``nodes``, ``edges``, ``bom_lines`` and ``products`` are global indices, in local
    order; ``boundary_out``/``boundary_in`` the held edges leaving/entering the region.
    Every block is period-major: column ``start + t * size + k`` is item k in period t
    (0-based). Column blocks: ``u`` (nodes), ``y`` (edges), ``l`` (products), ``s``
    (nodes), then with backlog ``w`` and ``b`` (products). Row blocks: BOM lines, stock
    (nodes), then with backlog one row per product.
    """

    horizon: int
    nodes: np.ndarray
    edges: np.ndarray
    bom_lines: np.ndarray
    products: np.ndarray
    boundary_out: np.ndarray
    boundary_in: np.ndarray
    backlog: bool

    @property
    def n_nodes(self) -> int:
        """Nodes in the program."""
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Edges inside the program."""
        return len(self.edges)

    @property
    def n_products(self) -> int:
        """Nodes with demand in the program."""
        return len(self.products)

    @property
    def n_bom(self) -> int:
        """BOM lines in the program."""
        return len(self.bom_lines)

    def column_block(self, name: str) -> slice:
        """The columns of block ``name`` (``u``, ``y``, ``l``, ``s``, ``w`` or ``b``)."""
        h = self.horizon
        sizes = {
            "u": self.n_nodes,
            "y": self.n_edges,
            "l": self.n_products,
            "s": self.n_nodes,
            "w": self.n_products if self.backlog else 0,
            "b": self.n_products if self.backlog else 0,
        }
        start = 0
        for block, size in sizes.items():
            if block == name:
                return slice(start, start + h * size)
            start += h * size
        raise KeyError(name)

    def row_block(self, name: str) -> slice:
        """The rows of block ``name`` (``bom``, ``stock`` or ``backlog``)."""
        h = self.horizon
        sizes = {
            "bom": self.n_bom,
            "stock": self.n_nodes,
            "backlog": self.n_products if self.backlog else 0,
        }
        start = 0
        for block, size in sizes.items():
            if block == name:
                return slice(start, start + h * size)
            start += h * size
        raise KeyError(name)

    @property
    def n_cols(self) -> int:
        """Columns in the program."""
        return self.column_block("b").stop

    @property
    def n_rows(self) -> int:
        """Rows in the program."""
        return self.row_block("backlog").stop


def _grid(horizon: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Period and item index of every cell of a period-major ``horizon × size`` block."""
    return np.repeat(np.arange(horizon), size), np.tile(np.arange(size), horizon)


def _local(size: int, members: np.ndarray) -> np.ndarray:
    """Local position of each of ``size`` global indices (-1 where not a member)."""
    local = np.full(size, -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    return local


@dataclass
class _Triplets:
    """Non-zeros collected block by block: (row, column, value) arrays."""

    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)

    def add(self, rows: np.ndarray, cols: np.ndarray, value: np.ndarray | float) -> None:
        self.rows.append(rows)
        self.cols.append(cols)
        self.vals.append(np.broadcast_to(np.asarray(value, dtype=float), rows.shape))


def _timeline_layout(
    model: StressModel, horizon: int, region: np.ndarray | None, backlog: bool
) -> TimelineLayout:
    """Which nodes, edges, BOM lines and products a (regional) program holds."""
    in_region = np.ones(model.n_nodes, bool) if region is None else region
    nodes = np.flatnonzero(in_region)
    inside_sup, inside_cus = in_region[model.edge_supplier], in_region[model.edge_customer]
    return TimelineLayout(
        horizon,
        nodes,
        np.flatnonzero(inside_sup & inside_cus),
        np.flatnonzero(in_region[model.bom_node]),
        nodes[model.demand[nodes] > 0],
        np.flatnonzero(inside_sup & ~inside_cus),
        np.flatnonzero(~inside_sup & inside_cus),
        backlog,
    )


def _define_bom_constraints(
    model: StressModel,
    layout: TimelineLayout,
    lead: np.ndarray,
    in_transit: np.ndarray,
    border_flow: np.ndarray | None,
    triplets: _Triplets,
) -> np.ndarray:
    """``q · u[j,t] − Σ y[e, t − L_e] ≤ in transit + held``; returns the right-hand sides."""
    h, nn, ne, nb = layout.horizon, layout.n_nodes, layout.n_edges, layout.n_bom
    node_local = _local(model.n_nodes, layout.nodes)
    bom_local = _local(model.n_bom, layout.bom_lines)
    bom0 = layout.row_block("bom").start
    u0, y0 = layout.column_block("u").start, layout.column_block("y").start
    t, k = _grid(h, nb)
    line = layout.bom_lines[k]
    triplets.add(
        bom0 + t * nb + k, u0 + t * nn + node_local[model.bom_node[line]], model.bom_quantity[line]
    )
    # Shipped in period t, arriving in t + L_e (when still within the horizon).
    edge_lead = lead[layout.edges].astype(np.int64)
    edge_line = bom_local[model.edge_bom_row[layout.edges]]
    t, k = _grid(h, ne)
    arrives = t + edge_lead[k]
    ok = arrives < h
    triplets.add(bom0 + arrives[ok] * nb + edge_line[k[ok]], y0 + t[ok] * ne + k[ok], -1.0)
    rhs = np.zeros((h, nb))
    if ne:  # in transit: period t (0-based) receives y*_e while t < L_e
        pending = np.arange(h)[:, None] < edge_lead[None, :]
        per_edge = np.where(pending, in_transit[layout.edges][None, :], 0.0)
        line_of_edge = sp.csr_matrix((np.ones(ne), (edge_line, np.arange(ne))), shape=(nb, ne))
        rhs += np.asarray((line_of_edge @ per_edge.T).T)
    if border_flow is not None:  # held edges entering the region arrive every period
        held = np.zeros(nb)
        entering = layout.boundary_in
        np.add.at(held, bom_local[model.edge_bom_row[entering]], border_flow[entering])
        rhs += held[None, :]
    return rhs


def _define_stock_constraints(
    model: StressModel,
    layout: TimelineLayout,
    period: float,
    inventory: bool,
    border_flow: np.ndarray | None,
    triplets: _Triplets,
    lengths: np.ndarray,
) -> np.ndarray:
    """``(s[t] − s[t−1]) / (p·k_t) + Σ_out y − u − l (+ w) ≤ −demand``; returns the right-hand sides.

    ``k_t`` is period t's length in run periods (1 unless periods are merged).
    """
    h, nn, ne, npr = layout.horizon, layout.n_nodes, layout.n_edges, layout.n_products
    node_local = _local(model.n_nodes, layout.nodes)
    stock0 = layout.row_block("stock").start
    u0, y0, l0, s0, w0 = (layout.column_block(b).start for b in ("u", "y", "l", "s", "w"))
    inv_p = 1.0 / period
    t, k = _grid(h, ne)
    triplets.add(
        stock0 + t * nn + node_local[model.edge_supplier[layout.edges[k]]], y0 + t * ne + k, 1.0
    )
    t, k = _grid(h, nn)
    per_length = inv_p / lengths[t]
    triplets.add(stock0 + t * nn + k, u0 + t * nn + k, -1.0)
    triplets.add(stock0 + t * nn + k, s0 + t * nn + k, per_length)
    later = t > 0
    triplets.add(
        stock0 + t[later] * nn + k[later],
        s0 + (t[later] - 1) * nn + k[later],
        -per_length[later],
    )
    t, k = _grid(h, npr)
    product_row = stock0 + t * nn + node_local[layout.products[k]]
    triplets.add(product_row, l0 + t * npr + k, -1.0)
    if layout.backlog:
        triplets.add(product_row, w0 + t * npr + k, 1.0)
    rhs = np.broadcast_to(-model.demand[layout.nodes], (h, nn)).copy()
    if inventory:
        rhs[0] += model.inventory[layout.nodes] * inv_p / lengths[0]
    if border_flow is not None:  # held edges leaving the region ship every period
        held = np.zeros(nn)
        leaving = layout.boundary_out
        np.add.at(held, node_local[model.edge_supplier[leaving]], border_flow[leaving])
        rhs -= held[None, :]
    return rhs


def _define_backlog_constraints(layout: TimelineLayout, period: float, triplets: _Triplets) -> None:
    """``(b[t−1] − b[t]) / p + l[t] − w[t] ≤ 0`` per product and period."""
    h, npr = layout.horizon, layout.n_products
    back0 = layout.row_block("backlog").start
    l0, w0, b0 = (layout.column_block(b).start for b in ("l", "w", "b"))
    inv_p = 1.0 / period
    t, k = _grid(h, npr)
    row = back0 + t * npr + k
    triplets.add(row, b0 + t * npr + k, -inv_p)
    later = t > 0
    triplets.add(row[later], b0 + (t[later] - 1) * npr + k[later], inv_p)
    triplets.add(row, l0 + t * npr + k, 1.0)
    triplets.add(row, w0 + t * npr + k, -1.0)


def _define_bounds_and_costs(
    model: StressModel,
    layout: TimelineLayout,
    capacity_profile: np.ndarray,
    period: float,
    backlog_penalty: float | None,
    stock_cap: np.ndarray | None,
    lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Upper bounds (capacity profile, demand, stock) and costs of every column.

    Costs are per run period, times each period's length ``k_t`` in run periods.
    """
    h, products = layout.horizon, layout.products
    col_upper = np.full(layout.n_cols, np.inf)
    profile = np.asarray(capacity_profile, dtype=float)
    col_upper[layout.column_block("u")] = profile[layout.nodes, :h].T.ravel()
    col_upper[layout.column_block("l")] = np.tile(model.demand[products], h)
    if stock_cap is not None:
        col_upper[layout.column_block("s")] = np.tile(stock_cap[layout.nodes], h)
    cost = np.zeros(layout.n_cols)
    cost[layout.column_block("y")] = np.outer(lengths, model.edge_premium[layout.edges]).ravel()
    if backlog_penalty is None:
        cost[layout.column_block("l")] = np.outer(lengths, model.margin[products]).ravel()
    else:
        waiting = np.full((h, len(products)), float(backlog_penalty))
        waiting[-1] = model.margin[products] / period  # still waiting at the end: lost
        cost[layout.column_block("b")] = waiting.ravel()
    return col_upper, cost


def build_timeline(
    model: StressModel,
    horizon: int,
    period: float,
    capacity_profile: np.ndarray,
    lead: np.ndarray,
    in_transit: np.ndarray,
    *,
    inventory: bool = True,
    backlog_penalty: float | None = None,
    region: np.ndarray | None = None,
    border_flow: np.ndarray | None = None,
    stock_cap: np.ndarray | None = None,
    lengths: np.ndarray | None = None,
) -> tuple[LPData, TimelineLayout]:
    """Assemble the time-expanded time-to-recover program.

    Parameters
    ----------
    model
        The compiled network.
    horizon
        Number of periods ``H`` (>= 1).
    period
        Length of one period, in network periods (> 0).
    capacity_profile
        Capacity per node and period (``n_nodes × H``, units per network period).
    lead
        Lead time per edge, in whole run periods (integers >= 0).
    in_transit
        Shipment rate per edge arriving during its first ``lead`` periods (units per
        network period): the undisrupted steady state's flow.
    inventory
        Start from the nodes' inventories (``False``: no stock, the steady state).
    backlog_penalty
        ``None`` loses unmet demand; a number backlogs it at this penalty (currency per
        unit per network period late).
    region
        Boolean node mask of the program; ``None`` for the whole network. Edges with one
        end outside are held at ``border_flow`` (units per network period) every period.
    border_flow
        Held flow per edge, required with ``region``.
    stock_cap
        Upper bound on every node's stock in every period (units, one per node; e.g. the
        inventories, for a plan without foresight); ``None``: unbounded.
    lengths
        Length of each of the ``H`` periods in run periods (>= 1; default all 1): a
        period of length ``k`` stands for ``k`` consecutive run periods with the same
        capacities, holding every rate constant over them. Without lead times and
        backlog this is exact (:func:`merge_periods`). Costs are weighted by the
        lengths, so the optimum times ``period`` is still the lost profit.

    Returns
    -------
    tuple of LPData and TimelineLayout
        The program (per-period costs: its optimum times ``period`` is the lost profit)
        and where its blocks are.

    Raises
    ------
    ValueError
        A region without ``border_flow``; merged periods with lead times or backlog.
    """
    if region is not None and border_flow is None:
        raise ValueError("a region needs the flow held on its border edges")
    if lengths is None:
        lengths = np.ones(int(horizon))
    else:
        lengths = np.asarray(lengths, dtype=float)
        if lengths.shape != (int(horizon),) or np.any(lengths < 1):
            raise ValueError("lengths: one length >= 1 per period")
        if np.any(lengths != 1) and (np.any(lead > 0) or backlog_penalty is not None):
            raise ValueError("merged periods need no lead times and no backlog")
    held = border_flow if region is not None else None
    layout = _timeline_layout(model, int(horizon), region, backlog_penalty is not None)
    triplets = _Triplets()
    row_upper = np.zeros(layout.n_rows)
    row_upper[layout.row_block("bom")] = _define_bom_constraints(
        model, layout, lead, in_transit, held, triplets
    ).ravel()
    row_upper[layout.row_block("stock")] = _define_stock_constraints(
        model, layout, period, inventory, held, triplets, lengths
    ).ravel()
    if layout.backlog:
        _define_backlog_constraints(layout, period, triplets)
    col_upper, cost = _define_bounds_and_costs(
        model, layout, capacity_profile, period, backlog_penalty, stock_cap, lengths
    )
    data = LPData.from_triplets(
        np.concatenate(triplets.rows).astype(np.int64),
        np.concatenate(triplets.cols).astype(np.int64),
        np.concatenate(triplets.vals),
        layout.n_cols,
        cost=cost,
        col_lower=np.zeros(layout.n_cols),
        col_upper=col_upper,
        row_lower=np.full(layout.n_rows, -np.inf),
        row_upper=row_upper,
    )
    return data, layout


def merge_periods(capacity_profile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of consecutive periods with the same capacity at every node.

    Without lead times and backlog, merging each run into one period of its length is
    exact: for any plan, replacing its rates over a run by their averages over the run
    is again a plan (capacities, demand, costs and held border flows are the same in
    every period of the run, and every row is linear), costs the same, and moves each
    stock linearly between its values at the run's ends, so within its bounds. The
    merged program is the original one restricted to plans constant over each run; it
    has the same optimum and ``H / runs`` times fewer columns.

    Parameters
    ----------
    capacity_profile
        Capacity per node and period (``n_nodes × H``).

    Returns
    -------
    tuple of numpy.ndarray
        The first period of each run (0-based, increasing) and each run's length in
        periods (integers summing to ``H``).
    """
    profile = np.asarray(capacity_profile)
    horizon = profile.shape[1]
    changes = np.flatnonzero(np.any(profile[:, 1:] != profile[:, :-1], axis=0)) + 1
    starts = np.concatenate([[0], changes]).astype(np.int64)
    return starts, np.diff(np.append(starts, horizon))


def carry_basis(
    last: tuple[TimelineLayout, np.ndarray, np.ndarray],
    layout: TimelineLayout,
    start: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """A grown region's start: the last region's optimal basis where the items are the same.

    Parameters
    ----------
    last
        The last region's layout and its optimal basis (column and row status codes).
    layout
        The grown region's layout (its items a superset of the last's).
    start
        The grown region's default start (the steady state's statuses, as codes).

    Returns
    -------
    tuple of numpy.ndarray
        Column and row status codes: the last basis where an item (node, edge, product,
        BOM line) was in the last region, ``start`` for items new to the region; the
        solver completes it as an alien basis.
    """
    old, old_cols, old_rows = last
    cols, rows = start[0].copy(), start[1].copy()
    h = layout.horizon
    items = {
        "u": (old.nodes, layout.nodes),
        "y": (old.edges, layout.edges),
        "l": (old.products, layout.products),
        "s": (old.nodes, layout.nodes),
        "w": (old.products, layout.products),
        "b": (old.products, layout.products),
    }
    row_items = {
        "bom": (old.bom_lines, layout.bom_lines),
        "stock": (old.nodes, layout.nodes),
        "backlog": (old.products, layout.products),
    }
    for target, source, blocks, block_of in (
        (cols, old_cols, items, "column_block"),
        (rows, old_rows, row_items, "row_block"),
    ):
        for name, (before, after) in blocks.items():
            if name in ("w", "b", "backlog") and not layout.backlog:
                continue
            new_slice = getattr(layout, block_of)(name)
            old_slice = getattr(old, block_of)(name)
            kept = np.flatnonzero(np.isin(after, before))
            if not len(kept) or new_slice.stop == new_slice.start:
                continue
            where = np.searchsorted(before, after[kept])
            grid = np.arange(h)[:, None]
            new_index = new_slice.start + grid * len(after) + kept[None, :]
            old_index = old_slice.start + grid * len(before) + where[None, :]
            target[new_index.ravel()] = source[old_index.ravel()]
    return cols, rows


def most_production(
    data: LPData,
    layout: TimelineLayout,
    rate: np.ndarray,
    objective: float,
    lengths: np.ndarray | None = None,
) -> LPData:
    """The second stage: of the optimal plans, the one that makes the most it can.

    An optimum of the timeline program often leaves nodes free to make less than they
    could (output nobody buys in time may or may not be made), so the production of
    "the" optimal plan depends on the solver's path. This program keeps the first
    stage's value (``cost @ x <= objective + 1e-12 (1 + |objective|)``) and maximises
    ``Σ_t k_t Σ_i min(u[i,t], rate_i) / rate_i``: each node makes up to its undisrupted
    rate whenever its capacity and inputs allow, every node's share of its rate counting
    alike (so the units a node is counted in do not matter). The production that is still short is what
    the event forced: capacity lost, or inputs (power, water, materials) missing.

    Parameters
    ----------
    data
        The first stage's program (a minimisation).
    layout
        Its layout.
    rate
        Each node's undisrupted production (units per network period, one per node of the
        network; the steady state).
    objective
        The first stage's optimal value.
    lengths
        Each period's length in run periods (merged periods; default 1).

    Returns
    -------
    LPData
        The first stage's columns and rows (in the same order, so its solution reads the
        same way), then one column ``v[i,t] <= rate_i`` and one row ``v[i,t] - u[i,t] <= 0``
        per node and period (period-major, as ``u``), then the objective row.
    """
    m, n = len(data.row_lower), len(data.cost)
    h, size = layout.horizon, layout.n_nodes
    k = h * size
    matrix = sp.csc_matrix((data.value, data.index, data.start), shape=(m, n))
    produced = np.arange(layout.column_block("u").start, layout.column_block("u").stop)
    link = sp.csc_matrix(
        (
            np.concatenate([-np.ones(k), np.ones(k)]),
            (
                np.concatenate([np.arange(k), np.arange(k)]),
                np.concatenate([produced, n + np.arange(k)]),
            ),
        ),
        shape=(k, n + k),
    )
    value_row = sp.csc_matrix(np.concatenate([data.cost, np.zeros(k)])[None, :])
    stacked = sp.vstack([sp.hstack([matrix, sp.csc_matrix((m, k))]), link, value_row], format="csc")
    weight = np.ones(h) if lengths is None else np.asarray(lengths, dtype=float)
    cap = np.nan_to_num(np.asarray(rate, dtype=float)[layout.nodes], nan=0.0).clip(min=0.0)
    share = np.divide(1.0, cap, out=np.zeros_like(cap), where=cap > 0)  # per unit of rate
    return LPData.from_matrix(
        stacked,
        cost=np.concatenate([np.zeros(n), -np.outer(weight, share).ravel()]),
        col_lower=np.concatenate([data.col_lower, np.zeros(k)]),
        col_upper=np.concatenate([data.col_upper, np.tile(cap, h)]),
        row_lower=np.concatenate([data.row_lower, np.full(k + 1, -np.inf)]),
        row_upper=np.concatenate(
            [data.row_upper, np.zeros(k), [objective + 1e-12 * (1.0 + abs(objective))]]
        ),
    )
