"""The undisrupted optimum of a network that loses nothing, without its whole program.

Every cost of the time-to-recover program is non-negative (margins on lost sales,
premiums on shipments), so a plan that meets all demand and ships nothing at a premium
costs 0, the least any plan can: it is optimal, and zero duals prove it. On a large
network whose capacities fit its demand, solving the whole program only to find such a
plan was most of a sweep's set-up (about 13 s at 100,000 nodes, 13 minutes at
1,000,000). :func:`lossless_plan` builds one directly instead:

1. **Walk.** From the end products up (a node once every customer of it has placed its
   orders), a node produces what its customers ordered plus its own demand, less what
   its stock covers over the window, and orders each BOM line's requirement from the
   line's sources that charge no premium, split in proportion to a weight per supplier:
   equal weights first, then the suppliers' capacities.
2. **Re-weighting.** Where a node would exceed its capacity, it and every node that
   orders from it, directly or through others, get a smaller weight, by the overload,
   and the walk is repeated (up to :data:`REWEIGHT_PASSES` walks per start).
3. **Repair.** When every walk leaves a violation, the fewest found are solved as a
   regional program (:func:`~chipstress.engine.formulation.build_lp` with the rest of
   the plan held on its border): everything downstream of them and the supply trees of
   those nodes, as a sweep's scenario region. When it loses nothing (and pays no
   premium), the plan with the region's solution in it is feasible everywhere.

The plan is checked against every constraint of the whole program
(:func:`plan_violations`) before it is returned. ``None`` means none was found — the
network loses demand or would pay premiums even undisrupted, its supply runs in a
cycle, or the repair region is above :data:`REPAIR_MAX_FRACTION` of the network or
loses sales — and the caller solves the whole program as before.

Generated networks (:func:`chipstress.model.generate.generate_network`) get their plan
from the first walk: their capacities are the equal split's requirements times a
headroom of at least 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipstress.engine.adjacency import gather, reach
from chipstress.engine.formulation import ProgramKind, StressModel, build_lp
from chipstress.engine.solver import HighsSolver, SolveStatus

__all__ = [
    "REPAIR_MAX_FRACTION",
    "REWEIGHT_PASSES",
    "LosslessPlan",
    "lossless_plan",
    "plan_violations",
    "supply_levels",
]

# Walks of the network with re-weighted suppliers before overloads are repaired.
REWEIGHT_PASSES = 4
# Repair regions above this share of the nodes: the whole program is solved instead.
REPAIR_MAX_FRACTION = 0.25
# Relative tolerance of the constraint check (HiGHS's primal feasibility is 1e-7).
_TOLERANCE = 1e-7


@dataclass(frozen=True)
class LosslessPlan:
    """A feasible plan of the undisrupted network that loses nothing and pays no premium.

    ``production`` is per node, ``flow`` per source edge, both in units per period over
    the window the plan was built for. ``passes`` counts the walks of the network,
    ``repaired`` the nodes of the last repair region (0 when none was needed).
    """

    production: np.ndarray
    flow: np.ndarray
    passes: int
    repaired: int


def supply_levels(model: StressModel) -> list[np.ndarray] | None:
    """The nodes in order from the end products up: each level holds the nodes whose
    customers are all in earlier levels. ``None`` when supply runs in a cycle.

    Parameters
    ----------
    model
        The network as arrays.

    Returns
    -------
    list of numpy.ndarray or None
        Node positions per level, end products (nodes no one orders from) first.
    """
    adjacency = model.adjacency
    waiting = np.diff(adjacency.out_ptr).astype(np.int64)
    frontier = np.flatnonzero(waiting == 0)
    levels, placed = [], 0
    while len(frontier):
        levels.append(frontier)
        placed += len(frontier)
        suppliers = model.edge_supplier[gather(adjacency.in_ptr, adjacency.in_edges, frontier)]
        np.subtract.at(waiting, suppliers, 1)
        frontier = np.unique(suppliers[waiting[suppliers] == 0])
    return levels if placed == model.n_nodes else None


def _own_need(model: StressModel, duration: float) -> np.ndarray:
    """What each node must produce for its own demand, per period (stock covers part of
    it over a finite window; may be negative)."""
    if np.isfinite(duration):
        return model.demand - model.inventory / duration
    return model.demand.copy()


def _walk(
    model: StressModel, levels: list[np.ndarray], own: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Production per node and flow per edge when every BOM line orders from its
    zero-premium sources in proportion to ``weight`` of their suppliers."""
    adjacency = model.adjacency
    edge_weight = np.where(model.edge_premium > 0, 0.0, weight[model.edge_supplier])
    line_weight = np.bincount(model.edge_bom_row, weights=edge_weight, minlength=model.n_bom)
    ordered = np.zeros(model.n_nodes)
    production = np.zeros(model.n_nodes)
    flow = np.zeros(model.n_edges)
    for level in levels:
        production[level] = np.maximum(ordered[level] + own[level], 0.0)
        edges = gather(adjacency.in_ptr, adjacency.in_edges, level)
        if not len(edges):
            continue
        line = model.edge_bom_row[edges]
        need = model.bom_quantity[line] * production[model.edge_customer[edges]]
        share = np.divide(
            edge_weight[edges],
            line_weight[line],
            out=np.zeros(len(edges)),
            where=line_weight[line] > 0,
        )
        flow[edges] = need * share
        np.add.at(ordered, model.edge_supplier[edges], flow[edges])
    return production, flow


def _reweight(
    model: StressModel, levels: list[np.ndarray], production: np.ndarray, weight: np.ndarray
) -> bool:
    """Lower ``weight`` (in place) of every overloaded node and of everything that
    orders from one, directly or through others, by the worst overload upstream of it;
    ``False`` when no node is over its capacity."""
    adjacency = model.adjacency
    pressure = production / np.maximum(model.capacity, 1e-300)
    # Carry each node's worst load downstream, suppliers before customers.
    for level in reversed(levels):
        edges = gather(adjacency.in_ptr, adjacency.in_edges, level)
        np.maximum.at(pressure, model.edge_customer[edges], pressure[model.edge_supplier[edges]])
    hot = pressure > 1.0
    weight[hot] /= pressure[hot]
    return bool(hot.any())


def plan_violations(
    model: StressModel, production: np.ndarray, flow: np.ndarray, duration: float
) -> np.ndarray:
    """Mask of the nodes where the plan breaks a constraint of the undisrupted
    time-to-recover program without losing sales: over capacity, producing less than it
    ships plus its own demand, or short of a BOM line's input (the line's node).

    Parameters
    ----------
    model
        The network as arrays.
    production, flow
        Production per node and shipment per edge (units per period).
    duration
        The window in periods (``inf``: steady state, no stock).

    Returns
    -------
    numpy.ndarray
        Boolean mask over the nodes.
    """
    n = model.n_nodes
    scale = np.maximum(1.0, model.capacity)
    shipped = np.bincount(model.edge_supplier, weights=flow, minlength=n)
    required = shipped + _own_need(model, duration)
    bad = production > model.capacity + _TOLERANCE * scale
    bad |= production < -_TOLERANCE * scale
    bad |= required > production + _TOLERANCE * np.maximum(1.0, required)
    bad_flow = (flow < -_TOLERANCE * np.maximum(1.0, np.abs(flow))) | (
        (model.edge_premium > 0) & (flow > _TOLERANCE)
    )
    np.logical_or.at(bad, model.edge_supplier[bad_flow], True)
    supplied = np.bincount(model.edge_bom_row, weights=flow, minlength=model.n_bom)
    need = model.bom_quantity * production[model.bom_node]
    short = need > supplied + _TOLERANCE * np.maximum(1.0, need)
    np.logical_or.at(bad, model.bom_node[short], True)
    return bad


def _repair(
    model: StressModel,
    trouble: np.ndarray,
    production: np.ndarray,
    flow: np.ndarray,
    duration: float,
) -> int | None:
    """Solve the violations ``trouble`` (mask) as a regional program with the rest of
    the plan held on its border: everything downstream of them (whose orders may move)
    and the supply trees of those nodes. Write the region's solution into
    ``production`` and ``flow`` and return its size, or ``None`` when the region is
    too large or loses sales (a solution that pays premiums is caught by the check of
    the whole plan that follows)."""
    customers, suppliers = model.customers, model.suppliers
    downstream = reach(trouble, customers.indptr, customers.indices)
    region = reach(downstream, suppliers.indptr, suppliers.indices)
    if region.sum() > REPAIR_MAX_FRACTION * model.n_nodes:
        return None
    data, layout = build_lp(
        model, ProgramKind.TTR, np.zeros(model.n_nodes), duration, region=region, border_flow=flow
    )
    solver = HighsSolver()
    solver.load(data, presolve=True)
    if solver.solve() != SolveStatus.OPTIMAL:
        return None
    x = solver.solution().col_value
    n_local = len(layout.nodes)
    if np.any(x[layout.extra_column :] > 1e-9 * np.maximum(1.0, model.demand[layout.products])):
        return None
    flow[layout.edges] = x[n_local : layout.extra_column]
    # The program may produce more than is shipped (nothing charges for it): keep what
    # the region's nodes ship plus their own demand, within what the program made.
    shipped = np.bincount(model.edge_supplier, weights=flow, minlength=model.n_nodes)
    need = np.maximum(shipped + _own_need(model, duration), 0.0)
    production[layout.nodes] = np.minimum(need[layout.nodes], x[:n_local])
    return int(region.sum())


def lossless_plan(model: StressModel, duration: float = np.inf) -> LosslessPlan | None:
    """A plan of the undisrupted network over ``duration`` that loses nothing and pays
    no premium (hence the time-to-recover optimum, with zero duals), or ``None``.

    Parameters
    ----------
    model
        The network as arrays.
    duration
        The window in periods; ``inf`` is the steady state (no help from stock).

    Returns
    -------
    LosslessPlan or None
        The plan, checked against every constraint; ``None`` when none was found, and
        the whole program must be solved.
    """
    levels = supply_levels(model)
    if levels is None:
        return None
    own = _own_need(model, duration)
    best: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
    passes = 0
    # Each BOM line's orders split equally among its sources, then in proportion to
    # their capacities; each start re-weighted where it overloads a node.
    for start in (np.ones(model.n_nodes), model.capacity.astype(float)):
        weight = start.copy()
        for _ in range(REWEIGHT_PASSES):
            passes += 1
            production, flow = _walk(model, levels, own, weight)
            trouble = plan_violations(model, production, flow, duration)
            count = int(trouble.sum())
            if best is None or count < best[0]:
                best = (count, trouble, production, flow)
            if count == 0:
                return LosslessPlan(production, flow, passes, 0)
            if not _reweight(model, levels, production, weight):
                break  # short of supply, not of capacity: weights cannot help
    assert best is not None
    _, trouble, production, flow = best
    repaired = 0
    if trouble.any():
        result = _repair(model, trouble, production, flow, duration)
        if result is None:
            return None
        repaired = result
        if plan_violations(model, production, flow, duration).any():
            return None
    return LosslessPlan(production, flow, passes, repaired)
