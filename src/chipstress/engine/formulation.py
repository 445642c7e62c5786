"""The two stress-test linear programs, built straight from a network's integer tables.

Both programs are written per period (rates), which keeps every disruption a change of
column bounds and every duration a change of right-hand sides:

Variables (per period of the disruption window of length ``t``):
``u'_i`` production at node i, ``y'_e`` shipment on source edge e, ``l'_j`` lost
sales at node j (nodes with demand), and for time-to-survive ``s = 1/t``.

Time-to-recover impact at duration ``t`` (min ``Σ margin_j · l'_j + Σ premium_e · y'_e``;
lost profit is ``t`` times the optimum):

* BOM, one row per BOM line (j, k): ``q_kj · u'_j − Σ_{e: i→j, material(i)=k} y'_e ≤ 0``
* flow, one row per node i: ``Σ_{e out of i} y'_e − u'_i − l'_i ≤ inventory_i / t − demand_i``
* ``0 ≤ u'_i ≤ (1 − α_i) · capacity_i``, ``y' ≥ 0``, ``0 ≤ l'_j ≤ demand_j``

Time-to-survive (min ``s``; TTS = ``1/s``, infinite when ``s = 0``, zero when
infeasible): the same BOM rows, and flow rows
``Σ_{e out of i} y'_e − u'_i − inventory_i · s ≤ −demand_i``.

Dividing the brief's formulation by ``t`` gives exactly these programs: a node with
demand sells ``demand·t − l`` to end customers and may also ship to customers of its
own; for end products with no customers this is the brief's demand constraint.

``premium_e`` (the ``premium`` column of ``sources``, currency per unit shipped, 0 by
default) is what a unit shipped on edge e costs beyond the normal price, e.g. on an
alternative source qualified as a mitigation. The time-to-recover program charges it,
so its *lost profit* is the margin of the demand lost **plus** the premium paid for the
supply that saved the rest; with no premiums it is the brief's program exactly. The
time-to-survive program ignores costs.

:func:`build_lp` assembles either program for the whole network or for a *region*
(a subset of nodes) with the shipments across the region's border held at given values;
the regional solver (:mod:`chipstress.engine.regional`) uses that to solve sweeps exactly
on small sub-programs.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from chipstress.engine._highs import LPData
from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = [
    "Layout",
    "StressModel",
    "build_delayed_tts",
    "build_lp",
    "build_unscaled_lp",
    "compile_network",
    "delayed_alpha",
    "disruption_vector",
]


@dataclass(frozen=True)
class StressModel:
    """A network compiled to arrays: what the linear programs are built from.

    Node arrays have one entry per node (row of ``Network.nodes``), edge arrays one per
    source row, BOM arrays one per BOM line. Rates are per period; ``edge_premium`` is
    currency per unit shipped on each edge.
    """

    node_ids: np.ndarray
    capacity: np.ndarray
    inventory: np.ndarray
    demand: np.ndarray
    margin: np.ndarray
    bom_node: np.ndarray
    bom_quantity: np.ndarray
    edge_supplier: np.ndarray
    edge_customer: np.ndarray
    edge_bom_row: np.ndarray
    edge_premium: np.ndarray
    customers: sp.csr_matrix
    suppliers: sp.csr_matrix
    bom_rows_of_node: sp.csr_matrix

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.edge_supplier)

    @property
    def n_bom(self) -> int:
        return len(self.bom_node)

    @property
    def has_demand(self) -> np.ndarray:
        return self.demand > 0

    @property
    def has_premium(self) -> bool:
        """True when some edge charges a premium per unit shipped."""
        return bool(np.any(self.edge_premium > 0))


def compile_network(network: Network) -> StressModel:
    """Compile a network's tables into a :class:`StressModel` (vectorised, O(size))."""
    idx = network.index
    nodes = network.nodes
    n = len(nodes)
    demand = np.nan_to_num(nodes["demand"].to_numpy(dtype=float), nan=0.0)
    margin = np.where(
        demand > 0, np.nan_to_num(nodes["margin"].to_numpy(dtype=float), nan=0.0), 0.0
    )
    n_materials = len(idx.materials)
    # BOM row of each edge: the customer's line for the supplier's material.
    line_key = idx.bom_node * n_materials + idx.bom_material
    edge_key = idx.source_customer * n_materials + idx.node_material[idx.source_supplier]
    order = np.argsort(line_key, kind="stable")
    found = np.searchsorted(line_key[order], edge_key)
    found = np.minimum(found, max(len(order) - 1, 0))
    matched = len(order) > 0
    matched = matched and bool(np.all(line_key[order][found] == edge_key))
    if not matched and len(edge_key):
        raise InvalidInput("a source edge ships a material its customer has no BOM line for")
    edge_bom_row = order[found] if len(edge_key) else np.zeros(0, dtype=np.int64)
    ones = np.ones(len(idx.source_supplier))
    customers = sp.csr_matrix((ones, (idx.source_supplier, idx.source_customer)), shape=(n, n))
    suppliers = sp.csr_matrix((ones, (idx.source_customer, idx.source_supplier)), shape=(n, n))
    bom_rows_of_node = sp.csr_matrix(
        (np.ones(len(idx.bom_node)), (idx.bom_node, np.arange(len(idx.bom_node)))),
        shape=(n, len(idx.bom_node)),
    )
    return StressModel(
        node_ids=idx.node_ids.to_numpy(dtype=object),
        capacity=nodes["capacity"].to_numpy(dtype=float),
        inventory=nodes["inventory"].to_numpy(dtype=float),
        demand=demand,
        margin=margin,
        bom_node=idx.bom_node,
        bom_quantity=network.bom["quantity"].to_numpy(dtype=float),
        edge_supplier=idx.source_supplier,
        edge_customer=idx.source_customer,
        edge_bom_row=edge_bom_row.astype(np.int64),
        edge_premium=(
            np.nan_to_num(network.sources["premium"].to_numpy(dtype=float), nan=0.0)
            if "premium" in network.sources
            else np.zeros(len(idx.source_supplier))
        ),
        customers=customers,
        suppliers=suppliers,
        bom_rows_of_node=bom_rows_of_node,
    )


def _is_number(value: object) -> bool:
    """A real number (numpy scalars included), not a bool or a string."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def disruption_vector(network: Network, disruption: Mapping[str, float]) -> np.ndarray:
    """Fraction of capacity lost at every node (0 where not disrupted).

    Raises
    ------
    InvalidInput
        An unknown node id, or a fraction outside (0, 1].
    """
    alpha = np.zeros(network.n_nodes)
    if not disruption:
        return alpha
    positions = network.index.positions(disruption.keys())
    bad = {k: v for k, v in disruption.items() if not (_is_number(v) and 0 < v <= 1)}
    if bad:
        shown = ", ".join(f"{k}={v!r}" for k, v in list(bad.items())[:5])
        raise InvalidInput(
            f"a disruption's capacity loss must be a fraction in (0, 1]; got {shown}"
        )
    alpha[positions] = np.fromiter((float(v) for v in disruption.values()), dtype=float)
    return alpha


@dataclass(frozen=True)
class Layout:
    """Where things are in a (regional) program built by :func:`build_lp`.

    ``nodes``/``edges``/``bom_lines`` are the global indices of the region's nodes,
    internal edges and BOM lines, in local column/row order. Columns: ``u'`` for each
    node, ``y'`` for each internal edge, then ``l'`` for each node with demand
    (``products``) or the single ``s``. Rows: the BOM lines, then one flow row per node.
    """

    nodes: np.ndarray
    edges: np.ndarray
    bom_lines: np.ndarray
    products: np.ndarray
    boundary_out: np.ndarray
    boundary_in: np.ndarray

    @property
    def n_bom(self) -> int:
        return len(self.bom_lines)

    @property
    def extra_column(self) -> int:
        """First column after the ``u'`` and ``y'`` blocks."""
        return len(self.nodes) + len(self.edges)


def build_lp(
    model: StressModel,
    kind: str,
    alpha: np.ndarray,
    duration: float = np.inf,
    region: np.ndarray | None = None,
    border_flow: np.ndarray | None = None,
    s_lower: float = 0.0,
) -> tuple[LPData, Layout]:
    """Assemble the time-to-recover (``kind="ttr"``) or time-to-survive (``"tts"``) program.

    Parameters
    ----------
    alpha
        Fraction of capacity lost per node.
    duration
        Disruption window in periods (``ttr`` only); ``inf`` means steady state.
    region
        Boolean mask of the nodes to model; ``None`` for the whole network. Edges with one
        end outside are held at ``border_flow[e]`` (per-period shipment) and enter the
        right-hand sides.
    s_lower
        Lower bound on ``s`` (``tts`` only).
    """
    n = model.n_nodes
    in_region = np.ones(n, bool) if region is None else region
    nodes = np.flatnonzero(in_region)
    node_local = np.full(n, -1, dtype=np.int64)
    node_local[nodes] = np.arange(len(nodes))
    sup, cus = model.edge_supplier, model.edge_customer
    inside_sup, inside_cus = in_region[sup], in_region[cus]
    edges = np.flatnonzero(inside_sup & inside_cus)
    boundary_out = np.flatnonzero(inside_sup & ~inside_cus)
    boundary_in = np.flatnonzero(~inside_sup & inside_cus)
    bom_lines = np.flatnonzero(in_region[model.bom_node])
    bom_local = np.full(model.n_bom, -1, dtype=np.int64)
    bom_local[bom_lines] = np.arange(len(bom_lines))
    n_nodes, n_edges, n_bom = len(nodes), len(edges), len(bom_lines)
    products = nodes[model.demand[nodes] > 0] if kind == "ttr" else np.zeros(0, np.int64)
    n_extra = len(products) if kind == "ttr" else 1
    flow0 = n_bom
    rows = [
        bom_local[bom_lines],
        bom_local[model.edge_bom_row[edges]],
        flow0 + node_local[sup[edges]],
        flow0 + np.arange(n_nodes),
    ]
    cols = [
        node_local[model.bom_node[bom_lines]],
        n_nodes + np.arange(n_edges),
        n_nodes + np.arange(n_edges),
        np.arange(n_nodes),
    ]
    vals = [model.bom_quantity[bom_lines], -np.ones(n_edges), np.ones(n_edges), -np.ones(n_nodes)]
    extra = n_nodes + n_edges
    if kind == "ttr":
        rows.append(flow0 + node_local[products])
        cols.append(extra + np.arange(len(products)))
        vals.append(-np.ones(len(products)))
    elif kind == "tts":
        stocked = nodes[model.inventory[nodes] > 0]
        rows.append(flow0 + node_local[stocked])
        cols.append(np.full(len(stocked), extra))
        vals.append(-model.inventory[stocked])
    else:
        raise ValueError(f"kind must be 'ttr' or 'tts', not {kind!r}")
    shape = (n_bom + n_nodes, n_nodes + n_edges + n_extra)

    row_upper = np.zeros(shape[0])
    if kind == "ttr":
        stock_rate = model.inventory[nodes] / duration if np.isfinite(duration) else 0.0
        row_upper[flow0:] = stock_rate - model.demand[nodes]
    else:
        row_upper[flow0:] = -model.demand[nodes]
    if border_flow is not None:
        np.add.at(row_upper, flow0 + node_local[sup[boundary_out]], -border_flow[boundary_out])
        np.add.at(row_upper, bom_local[model.edge_bom_row[boundary_in]], border_flow[boundary_in])

    col_lower = np.zeros(shape[1])
    col_upper = np.concatenate(
        [(1.0 - alpha[nodes]) * model.capacity[nodes], np.full(n_edges, np.inf), np.zeros(n_extra)]
    )
    cost = np.zeros(shape[1])
    if kind == "ttr":
        col_upper[extra:] = model.demand[products]
        cost[extra:] = model.margin[products]
        cost[n_nodes:extra] = model.edge_premium[edges]
    else:
        col_upper[extra] = np.inf
        col_lower[extra] = s_lower
        cost[extra] = 1.0
    data = LPData.from_triplets(
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        shape[1],
        cost=cost,
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=np.full(shape[0], -np.inf),
        row_upper=row_upper,
    )
    layout = Layout(nodes, edges, bom_lines, products, boundary_out, boundary_in)
    return data, layout


def build_unscaled_lp(
    model: StressModel, kind: str, alpha: np.ndarray, duration: float = 1.0, integer: bool = False
) -> tuple[LPData, Layout]:
    """The brief's programs in units over the whole window, for the all-integer variant.

    ``ttr``: columns ``u, y, l`` in units over ``duration`` periods (cost: margin on
    ``l``, premium on ``y``). ``tts``: columns
    ``u, y, t`` with capacity rows ``u_i − (1−α_i)·capacity_i·t ≤ 0`` and flow rows
    ``Σ y − u + demand·t ≤ inventory``; the program maximises ``t`` (cost −1).
    ``integer=True`` makes ``u`` and ``y`` integers: whole units made and shipped. Lost
    sales ``l`` (demand·t minus whole units sold) and ``t`` stay continuous: with ``l``
    integer too, a window whose demand ``demand·t`` is fractional would overstate the
    loss, or make the program infeasible when nothing can be sold.
    """
    n = model.n_nodes
    data, layout = build_lp(model, "ttr", alpha, np.inf)
    n_nodes, n_edges = len(layout.nodes), len(layout.edges)
    flow0 = layout.n_bom
    if kind == "ttr":
        data.col_upper[:n_nodes] = (1.0 - alpha) * model.capacity * duration
        data.col_upper[layout.extra_column :] = model.demand[layout.products] * duration
        data.row_upper[flow0:] = model.inventory - model.demand * duration
        if integer:
            data.integer = np.arange(data.n_cols) < layout.extra_column
        return data, layout
    if kind != "tts":
        raise ValueError(f"kind must be 'ttr' or 'tts', not {kind!r}")
    t_col = sp.csc_matrix(
        (
            np.concatenate([model.demand, -(1.0 - alpha) * model.capacity]),
            (
                np.concatenate([flow0 + np.arange(n), flow0 + n + np.arange(n)]),
                np.zeros(2 * n, dtype=np.int64),
            ),
        ),
        shape=(flow0 + 2 * n, 1),
    )
    capacity_rows = sp.hstack([sp.identity(n, format="csc"), sp.csc_matrix((n, n_edges))])
    core = data.matrix[:, : n_nodes + n_edges]
    matrix = sp.hstack([sp.vstack([core, capacity_rows]), t_col]).tocsc()
    n_cols = n_nodes + n_edges + 1
    cost = np.zeros(n_cols)
    cost[-1] = -1.0
    row_upper = np.concatenate([np.zeros(flow0), model.inventory, np.zeros(n)])
    data = LPData.from_matrix(
        matrix,
        cost=cost,
        col_lower=np.zeros(n_cols),
        col_upper=np.full(n_cols, np.inf),
        row_lower=np.full(len(row_upper), -np.inf),
        row_upper=row_upper,
    )
    if integer:
        data.integer = np.concatenate([np.ones(n_cols - 1, bool), [False]])
    return data, layout


def delayed_alpha(alpha: np.ndarray, delays: Mapping[int, float], duration: float) -> np.ndarray:
    """Capacity lost over a window of ``duration`` periods by nodes that start late.

    ``delays`` maps node position -> periods the node cannot produce at the start of
    every window (e.g. a source qualified only once a disruption starts). As for any
    outage in the window model (:func:`chipstress.engine.outage_window`), a node out for
    ``d`` of ``T`` periods loses ``min(1, d/T)`` of its capacity over the window, on top
    of its own loss: ``1 − (1 − α)(1 − min(1, d/T))``.
    """
    out = np.array(alpha, dtype=float, copy=True)
    for position, delay in delays.items():
        if delay <= 0:
            continue
        late = 1.0 if not np.isfinite(duration) or duration <= 0 else min(1.0, delay / duration)
        if not np.isfinite(duration):
            late = 0.0  # a steady state: the node has long started
        out[position] = 1.0 - (1.0 - out[position]) * (1.0 - late)
    return out


def build_delayed_tts(
    model: StressModel, alpha: np.ndarray, started: Mapping[int, float]
) -> tuple[LPData, Layout]:
    """The time-to-survive program with nodes that produce only after a delay.

    For each node p in ``started`` (position -> delay ``d_p`` periods, a node that has
    started within the window) the window model allows ``(1−α_p)·capacity_p·(t − d_p)``
    units over ``t`` periods; per period (``s = 1/t``) that is the row
    ``u'_p + (1−α_p)·capacity_p·d_p·s ≤ (1−α_p)·capacity_p``, exact for ``t ≥ d_p``.
    The rows follow the program's BOM and flow rows, in the order of ``started``.
    """
    data, layout = build_lp(model, "tts", alpha)
    if not started:
        return data, layout
    local = {int(p): k for k, p in enumerate(layout.nodes)}
    rows, cols, vals, upper = [], [], [], []
    for k, (position, delay) in enumerate(started.items()):
        size = (1.0 - alpha[position]) * model.capacity[position]
        rows += [k, k]
        cols += [local[int(position)], layout.extra_column]
        vals += [1.0, size * float(delay)]
        upper.append(size)
    extra = sp.csc_matrix((vals, (rows, cols)), shape=(len(started), data.n_cols))
    matrix = sp.vstack([data.matrix, extra]).tocsc()
    delayed = LPData.from_matrix(
        matrix,
        cost=data.cost,
        col_lower=data.col_lower,
        col_upper=data.col_upper,
        row_lower=np.concatenate([data.row_lower, np.full(len(started), -np.inf)]),
        row_upper=np.concatenate([data.row_upper, np.asarray(upper, dtype=float)]),
    )
    return delayed, layout
