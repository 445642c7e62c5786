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

Dividing the programs in units over the whole window (:func:`build_unscaled_lp`) by
``t`` gives exactly these programs: a node with demand sells ``demand·t − l`` to end
customers and may also ship to customers of its own; for end products with no
customers this is the plain demand constraint ``sold + lost = demand·t``.

``premium_e`` (the ``premium`` column of ``sources``, currency per unit shipped, 0 by
default) is what a unit shipped on edge e costs beyond the normal price, e.g. on an
alternative source qualified as a mitigation. The time-to-recover program charges it,
so its *lost profit* is the margin of the demand lost **plus** the premium paid for the
supply that saved the rest; with no premiums it is the plain lost-margin program. The
time-to-survive program ignores costs.

:func:`build_lp` assembles either program for the whole network or for a *region*
(a subset of nodes) with the shipments across the region's border held at given values,
one constraint family at a time (``define_*``: BOM rows, flow rows, lost sales or the
survival stock term, right-hand sides, border flows, column bounds and costs), each a
vectorised sparse block;
the regional solver (:mod:`chipstress.engine.regional`) uses that to solve sweeps exactly
on small sub-programs.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np

from chipstress.engine.adjacency import Adjacency, CompressedRows, downstream_product_key
from chipstress.engine.solver import LPData
from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = [
    "TTS_DUAL_TOLERANCE",
    "Entries",
    "Layout",
    "ProgramKind",
    "StressModel",
    "build_delayed_tts",
    "build_lp",
    "build_unscaled_lp",
    "compile_network",
    "define_bom_constraints",
    "define_border_flows",
    "define_columns",
    "define_flow_constraints",
    "define_flow_rhs",
    "define_lost_sales",
    "define_survival_stock",
    "delayed_alpha",
    "disruption_vector",
    "program_kind",
    "region_layout",
]


@dataclass(frozen=True)
class StressModel:
    """A network compiled to arrays: what the linear programs are built from.

    Node arrays have one entry per node (row of ``Network.nodes``), edge arrays one per
    source row, BOM arrays one per BOM line. Rates are per period; ``edge_premium`` is
    currency per unit shipped on each edge. ``customers`` and ``suppliers`` hold each
    node's customers and suppliers (rows and columns are node positions).
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
    customers: CompressedRows
    suppliers: CompressedRows

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

    @cached_property
    def has_premium(self) -> bool:
        """True when some edge charges a premium per unit shipped (computed once: a
        sweep asks for every scenario, 80 µs each at 100,000 nodes)."""
        return bool(np.any(self.edge_premium > 0))

    @cached_property
    def group_key(self) -> np.ndarray:
        """Per node, the smallest and largest index of a node with demand downstream of it
        (shape ``(n_nodes, 2)``): nodes with the same key often share their scenario
        region (:func:`chipstress.engine.adjacency.downstream_product_key`)."""
        customers = self.customers
        return downstream_product_key(self.demand > 0, customers.indptr, customers.indices)

    @cached_property
    def adjacency(self) -> Adjacency:
        """Each node's edges and BOM lines as compressed rows (built on first use)."""
        return Adjacency.build(
            self.n_nodes, self.edge_supplier, self.edge_customer, self.bom_node, self.edge_bom_row
        )


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
    customers = CompressedRows.from_pairs(idx.source_supplier, idx.source_customer, n, n)
    suppliers = CompressedRows.from_pairs(idx.source_customer, idx.source_supplier, n, n)
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


class ProgramKind(StrEnum):
    """Which of the two stress-test programs: time-to-recover or time-to-survive."""

    TTR = "ttr"
    TTS = "tts"


def program_kind(kind: ProgramKind | str) -> ProgramKind:
    """``kind`` as a :class:`ProgramKind`.

    Raises
    ------
    ValueError
        ``kind`` is neither ``ttr`` nor ``tts``.
    """
    if isinstance(kind, ProgramKind):
        return kind
    try:
        return ProgramKind(kind)
    except ValueError:
        raise ValueError(f"kind must be 'ttr' or 'tts', not {kind!r}") from None


@dataclass(frozen=True)
class Layout:
    """Where things are in a (regional) program built by :func:`build_lp`.

    ``nodes``/``edges``/``bom_lines`` are the global indices of the region's nodes,
    internal edges and BOM lines, in local column/row order. Columns: ``u'`` for each
    node, ``y'`` for each internal edge, then ``l'`` for each node with demand
    (``products``) or the single ``s``. Rows: the BOM lines, then one flow row per node.
    ``node_local``/``bom_local`` map a global node or BOM line to its local position
    (−1 outside the region).
    """

    nodes: np.ndarray
    edges: np.ndarray
    bom_lines: np.ndarray
    products: np.ndarray
    boundary_out: np.ndarray
    boundary_in: np.ndarray
    node_local: np.ndarray = field(repr=False)
    bom_local: np.ndarray = field(repr=False)

    @property
    def n_bom(self) -> int:
        """Number of BOM rows (the flow rows follow them)."""
        return len(self.bom_lines)

    @property
    def extra_column(self) -> int:
        """First column after the ``u'`` and ``y'`` blocks."""
        return len(self.nodes) + len(self.edges)

    @cached_property
    def y_columns(self) -> np.ndarray:
        """The ``y'`` columns, one per internal edge."""
        return len(self.nodes) + np.arange(len(self.edges))


_NONE = np.zeros(0, dtype=np.int64)  # no indices

# HiGHS's dual feasibility tolerance for the time-to-survive program (HiGHS's default is
# 1e-7). It minimises s = 1/TTS at a cost of 1, so its duals are of the order of
# 1/inventory: at 1e-7 the simplex stopped at vertices that are not optimal, and on
# generated 5-tier networks of 500-10,000 nodes one node in 100-300 had its TTS
# understated, by up to 62 %, against the independent reference
# (tests/engine/test_regional.py). 1e-10 is the smallest HiGHS takes. The other programs
# cost margins, whose duals are large beside HiGHS's default.
TTS_DUAL_TOLERANCE = 1e-10

# (rows, columns, values) of one block of the constraint matrix.
Entries = tuple[np.ndarray, np.ndarray, np.ndarray]


def region_layout(
    model: StressModel, kind: ProgramKind, region: np.ndarray | None = None
) -> Layout:
    """The :class:`Layout` of ``kind``'s program over ``region`` (mask; ``None``: all nodes).

    Parameters
    ----------
    model
        The network as arrays (capacity and demand in units per period).
    kind
        The program: time-to-recover (``ttr``) or time-to-survive (``tts``).
    region
        Boolean mask over the nodes (length ``model.n_nodes``) of the nodes to keep;
        ``None`` keeps every node.

    Returns
    -------
    Layout
        Which nodes, edges and BOM lines the program's columns and rows stand for.
    """
    n = model.n_nodes
    if region is None:
        nodes = np.arange(n)
        edges, boundary_out, boundary_in = np.arange(model.n_edges), _NONE, _NONE
        bom_lines = np.arange(model.n_bom)
    else:  # gathered from the region's nodes: time in proportion to the region
        nodes = np.flatnonzero(region)
        edges, boundary_out, boundary_in, bom_lines = model.adjacency.region_parts(region, nodes)
    node_local = np.full(n, -1, dtype=np.int64)
    node_local[nodes] = np.arange(len(nodes))
    bom_local = np.full(model.n_bom, -1, dtype=np.int64)
    bom_local[bom_lines] = np.arange(len(bom_lines))
    ttr = kind == ProgramKind.TTR
    products = nodes[model.demand[nodes] > 0] if ttr else _NONE
    return Layout(
        nodes=nodes,
        edges=edges,
        bom_lines=bom_lines,
        products=products,
        boundary_out=boundary_out,
        boundary_in=boundary_in,
        node_local=node_local,
        bom_local=bom_local,
    )


def define_bom_constraints(model: StressModel, layout: Layout) -> list[Entries]:
    """BOM rows, one per line (j, k): ``q_kj · u'_j − Σ_{e: i→j, material(i)=k} y'_e ≤ 0``."""
    lines, edges = layout.bom_lines, layout.edges
    return [
        (
            layout.bom_local[lines],
            layout.node_local[model.bom_node[lines]],
            model.bom_quantity[lines],
        ),
        (layout.bom_local[model.edge_bom_row[edges]], layout.y_columns, -np.ones(len(edges))),
    ]


def define_flow_constraints(model: StressModel, layout: Layout) -> list[Entries]:
    """The shipment and production terms of the flow rows: ``Σ_{e out of i} y'_e − u'_i``."""
    n_nodes, edges = len(layout.nodes), layout.edges
    flow0 = layout.n_bom
    return [
        (
            flow0 + layout.node_local[model.edge_supplier[edges]],
            layout.y_columns,
            np.ones(len(edges)),
        ),
        (flow0 + np.arange(n_nodes), np.arange(n_nodes), -np.ones(n_nodes)),
    ]


def define_lost_sales(model: StressModel, layout: Layout) -> list[Entries]:
    """Time-to-recover: ``− l'_j`` in the flow row of every node with demand."""
    products = layout.products
    return [
        (
            layout.n_bom + layout.node_local[products],
            layout.extra_column + np.arange(len(products)),
            -np.ones(len(products)),
        )
    ]


def define_survival_stock(model: StressModel, layout: Layout) -> list[Entries]:
    """Time-to-survive: ``− inventory_i · s`` in the flow row of every stocked node."""
    stocked = layout.nodes[model.inventory[layout.nodes] > 0]
    return [
        (
            layout.n_bom + layout.node_local[stocked],
            np.full(len(stocked), layout.extra_column),
            -model.inventory[stocked],
        )
    ]


def define_flow_rhs(
    model: StressModel, kind: ProgramKind, layout: Layout, duration: float
) -> np.ndarray:
    """Row upper bounds: 0 on BOM rows; ``inventory/t − demand`` (``ttr``; no stock when
    ``t`` is infinite) or ``−demand`` (``tts``) on flow rows (units per period).

    Parameters
    ----------
    model
        The network as arrays (inventory in units, demand in units per period).
    kind
        ``ttr`` or ``tts``.
    layout
        The program's layout (from :func:`region_layout`).
    duration
        The window ``t`` in periods (``ttr`` only; may be infinite).

    Returns
    -------
    numpy.ndarray
        One upper bound per row, BOM rows then flow rows (units per period).
    """
    nodes, flow0 = layout.nodes, layout.n_bom
    row_upper = np.zeros(flow0 + len(nodes))
    if kind == ProgramKind.TTR:
        stock_rate = model.inventory[nodes] / duration if np.isfinite(duration) else 0.0
        row_upper[flow0:] = stock_rate - model.demand[nodes]
    else:
        row_upper[flow0:] = -model.demand[nodes]
    return row_upper


def define_border_flows(
    model: StressModel, layout: Layout, border_flow: np.ndarray, row_upper: np.ndarray
) -> None:
    """Move the held shipments on border edges into ``row_upper`` (in place): a flow
    leaving the region uses its supplier's flow row, one entering feeds a BOM row.

    Parameters
    ----------
    model
        The network as arrays.
    layout
        The region's layout; its ``boundary_out``/``boundary_in`` edges are moved.
    border_flow
        Shipment per edge held fixed outside the region (units per period, length
        ``model.n_edges``).
    row_upper
        Row upper bounds from :func:`define_flow_rhs`, changed in place.
    """
    out_edges, in_edges = layout.boundary_out, layout.boundary_in
    flow_rows = layout.n_bom + layout.node_local[model.edge_supplier[out_edges]]
    np.add.at(row_upper, flow_rows, -border_flow[out_edges])
    bom_rows = layout.bom_local[model.edge_bom_row[in_edges]]
    np.add.at(row_upper, bom_rows, border_flow[in_edges])


def define_columns(
    model: StressModel, kind: ProgramKind, layout: Layout, alpha: np.ndarray, s_lower: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cost, col_lower, col_upper)``: ``0 ≤ u' ≤ (1−α)·capacity``, ``y' ≥ 0`` and
    ``0 ≤ l' ≤ demand`` at margin (premium on ``y'``) for ``ttr``; ``s ≥ s_lower`` at
    cost 1 for ``tts``.

    Parameters
    ----------
    model
        The network as arrays (capacity in units per period, margin in currency per unit).
    kind
        ``ttr`` or ``tts``.
    layout
        The program's layout.
    alpha
        Fraction (0..1) of each node's capacity lost, length ``model.n_nodes``.
    s_lower
        Lower bound on ``s = 1/t`` (per period) for ``tts``; ignored for ``ttr``.

    Returns
    -------
    tuple of numpy.ndarray
        Column costs (currency per unit for ``ttr``), lower and upper bounds (units per
        period).
    """
    nodes, extra = layout.nodes, layout.extra_column
    ttr = kind == ProgramKind.TTR
    n_extra = len(layout.products) if ttr else 1
    col_lower = np.zeros(extra + n_extra)
    col_upper = np.concatenate(
        [
            (1.0 - alpha[nodes]) * model.capacity[nodes],
            np.full(len(layout.edges), np.inf),
            np.zeros(n_extra),
        ]
    )
    cost = np.zeros(extra + n_extra)
    if ttr:
        col_upper[extra:] = model.demand[layout.products]
        cost[extra:] = model.margin[layout.products]
        cost[len(nodes) : extra] = model.edge_premium[layout.edges]
    else:
        col_upper[extra] = np.inf
        col_lower[extra] = s_lower
        cost[extra] = 1.0
    return cost, col_lower, col_upper


def build_lp(
    model: StressModel,
    kind: ProgramKind | str,
    alpha: np.ndarray,
    duration: float = np.inf,
    region: np.ndarray | None = None,
    border_flow: np.ndarray | None = None,
    s_lower: float = 0.0,
) -> tuple[LPData, Layout]:
    """Assemble the time-to-recover (``kind="ttr"``) or time-to-survive (``"tts"``) program.

    Parameters
    ----------
    model
        The compiled network.
    kind
        :class:`ProgramKind` (or its value).
    alpha
        Fraction of capacity lost per node.
    duration
        Disruption window in periods (``ttr`` only); ``inf`` means steady state.
    region
        Boolean mask of the nodes to model; ``None`` for the whole network. Edges with one
        end outside are held at ``border_flow[e]`` (per-period shipment) and enter the
        right-hand sides.
    border_flow
        Per-period shipment on every edge (only border edges are read).
    s_lower
        Lower bound on ``s`` (``tts`` only).

    Returns
    -------
    tuple of LPData and Layout
        The program and where its columns and rows are.

    Raises
    ------
    ValueError
        ``kind`` is neither ``ttr`` nor ``tts``.
    """
    kind = program_kind(kind)
    layout = region_layout(model, kind, region)
    entries = define_bom_constraints(model, layout) + define_flow_constraints(model, layout)
    if kind == ProgramKind.TTR:
        entries += define_lost_sales(model, layout)
    else:
        entries += define_survival_stock(model, layout)
    row_upper = define_flow_rhs(model, kind, layout, duration)
    if border_flow is not None:
        define_border_flows(model, layout, border_flow, row_upper)
    cost, col_lower, col_upper = define_columns(model, kind, layout, alpha, s_lower)
    data = LPData.from_triplets(
        np.concatenate([rows for rows, _, _ in entries]),
        np.concatenate([cols for _, cols, _ in entries]),
        np.concatenate([vals for _, _, vals in entries]),
        len(cost),
        cost=cost,
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=np.full(len(row_upper), -np.inf),
        row_upper=row_upper,
    )
    if kind == ProgramKind.TTS:
        data.dual_tolerance = TTS_DUAL_TOLERANCE
    return data, layout


def build_unscaled_lp(
    model: StressModel,
    kind: ProgramKind | str,
    alpha: np.ndarray,
    duration: float = 1.0,
    integer: bool = False,
) -> tuple[LPData, Layout]:
    """The programs in units over the whole window, for the all-integer variant.

    ``ttr``: columns ``u, y, l`` in units over ``duration`` periods (cost: margin on
    ``l``, premium on ``y``). ``tts``: columns
    ``u, y, t`` with capacity rows ``u_i − (1−α_i)·capacity_i·t ≤ 0`` and flow rows
    ``Σ y − u + demand·t ≤ inventory``; the program maximises ``t`` (cost −1).
    ``integer=True`` makes ``u`` and ``y`` integers: whole units made and shipped. Lost
    sales ``l`` (demand·t minus whole units sold) and ``t`` stay continuous: with ``l``
    integer too, a window whose demand ``demand·t`` is fractional would overstate the
    loss, or make the program infeasible when nothing can be sold.

    Parameters
    ----------
    model
        The compiled network.
    kind
        :class:`ProgramKind` (or its value).
    alpha
        Fraction of capacity lost per node.
    duration
        Window in periods (``ttr`` only).
    integer
        Make production and shipments integer columns.

    Returns
    -------
    tuple of LPData and Layout
        The program, and the layout of the per-period time-to-recover program it is
        built from.

    Raises
    ------
    ValueError
        ``kind`` is neither ``ttr`` nor ``tts``.
    """
    kind = program_kind(kind)
    data, layout = build_lp(model, ProgramKind.TTR, alpha, np.inf)
    if kind == ProgramKind.TTR:
        return _unscaled_ttr(model, data, layout, alpha, duration, integer), layout
    return _unscaled_tts(model, data, layout, alpha, integer), layout


def _unscaled_ttr(
    model: StressModel,
    data: LPData,
    layout: Layout,
    alpha: np.ndarray,
    duration: float,
    integer: bool,
) -> LPData:
    """The per-period time-to-recover program ``data`` scaled to units over ``duration``."""
    flow0 = layout.n_bom
    data.col_upper[: len(layout.nodes)] = (1.0 - alpha) * model.capacity * duration
    data.col_upper[layout.extra_column :] = model.demand[layout.products] * duration
    data.row_upper[flow0:] = model.inventory - model.demand * duration
    if integer:
        data.integer = np.arange(data.n_cols) < layout.extra_column
    return data


def _unscaled_tts(
    model: StressModel, data: LPData, layout: Layout, alpha: np.ndarray, integer: bool
) -> LPData:
    """The time-to-survive program in units, with a ``t`` column, from the ``u, y`` block
    of the per-period time-to-recover program ``data``."""
    import scipy.sparse as sp

    n = model.n_nodes
    n_nodes, n_edges = len(layout.nodes), len(layout.edges)
    flow0 = layout.n_bom
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
    unscaled = LPData.from_matrix(
        matrix,
        cost=cost,
        col_lower=np.zeros(n_cols),
        col_upper=np.full(n_cols, np.inf),
        row_lower=np.full(len(row_upper), -np.inf),
        row_upper=row_upper,
    )
    if integer:
        unscaled.integer = np.concatenate([np.ones(n_cols - 1, bool), [False]])
    return unscaled


def delayed_alpha(alpha: np.ndarray, delays: Mapping[int, float], duration: float) -> np.ndarray:
    """Capacity lost over a window of ``duration`` periods by nodes that start late.

    ``delays`` maps node position -> periods the node cannot produce at the start of
    every window (e.g. a source qualified only once a disruption starts). As for any
    outage in the window model (:func:`chipstress.engine.outage_window`), a node out for
    ``d`` of ``T`` periods loses ``min(1, d/T)`` of its capacity over the window, on top
    of its own loss: ``1 − (1 − α)(1 − min(1, d/T))``.

    Parameters
    ----------
    alpha
        Fraction (0..1) of capacity each node loses, by node position.
    delays
        Node position -> delay in periods.
    duration
        The window length in periods (infinite: a steady state, delays then cost nothing).

    Returns
    -------
    numpy.ndarray
        A copy of ``alpha`` with the delayed nodes' losses added (fractions 0..1).
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

    Parameters
    ----------
    model
        The network as arrays (capacity in units per period).
    alpha
        Fraction (0..1) of capacity each node loses, by node position.
    started
        Node position -> delay ``d_p`` in periods before it produces.

    Returns
    -------
    tuple of (LPData, Layout)
        The program with one extra row per delayed node, and its layout.
    """
    data, layout = build_lp(model, ProgramKind.TTS, alpha)
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
    import scipy.sparse as sp

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
    delayed.dual_tolerance = data.dual_tolerance
    return delayed, layout
