"""A deliberately plain second implementation of the brief's two stress-test programs.

Nothing here comes from :mod:`chipstress.engine`: the programs are written straight
from ``../shared/design/brief.md`` (Simchi-Levi et al., 2015), in units over the whole
window, as *dense* numpy matrices solved with ``scipy.optimize.linprog(method="highs")``.
It reads only the network's three tables, so it is an independent check of the engine.

Variables, over a disruption window of ``t`` periods: ``u_i`` units made at node i,
``y_e`` units shipped on source edge e (supplier i -> customer j), ``l_j`` units of
demand lost at node j (nodes with demand).

Time-to-recover impact (minimise ``Σ margin_j · l_j``):

1. BOM, per BOM line (j needs ``q`` of material k): ``q · u_j ≤ Σ_{e: i -> j, i makes k} y_e``
2. flow, per node i: ``Σ_{e out of i} y_e − u_i − l_i ≤ inventory_i − demand_i · t``
   (``l_i`` only where demand_i > 0). For an end product with no customers this is the
   brief's demand constraint ``u_j + inventory_j + l_j ≥ demand_j · t``; for a supplier
   without demand it is the brief's ``Σ_j y_ij ≤ u_i + inventory_i``. chipstress lets a
   node with demand ship to customers too, which this single row covers.
3. capacity: ``0 ≤ u_i ≤ (1 − α_i) · capacity_i · t``
4. ``0 ≤ l_j ≤ demand_j · t``, ``y ≥ 0``.

Time-to-survive (maximise ``t``, a variable): rows 1, flow without lost sales
``Σ_{e out of i} y_e − u_i + demand_i · t ≤ inventory_i``, and capacity rows
``u_i − (1 − α_i) · capacity_i · t ≤ 0``. Unbounded means TTS = inf; ``t = 0`` is always
feasible, so the optimum is 0 when some demand cannot be met at all.

``integer=True`` makes production and shipments whole units (``l`` and ``t`` stay
continuous), the variant chipstress solves as a MIP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

__all__ = ["ReferenceImpact", "reference_impact", "reference_tts"]


@dataclass
class _Tables:
    ids: list[str]
    material: list[str]
    capacity: np.ndarray
    inventory: np.ndarray
    demand: np.ndarray
    margin: np.ndarray
    bom: list[tuple[int, str, float]]  # (node position, material, quantity)
    edges: list[tuple[int, int]]  # (supplier position, customer position)


def _plain(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    return 0.0 if math.isnan(number) else number


def _tables(network) -> _Tables:
    nodes = network.nodes
    ids = [str(v) for v in nodes["id"]]
    position = {node: i for i, node in enumerate(ids)}
    demand = np.array([_plain(v) for v in nodes["demand"]])
    margin = np.array(
        [_plain(m) if d > 0 else 0.0 for m, d in zip(nodes["margin"], demand, strict=True)]
    )
    bom = [
        (position[str(n)], str(m), float(q))
        for n, m, q in zip(
            network.bom["node"], network.bom["material"], network.bom["quantity"], strict=True
        )
    ]
    edges = [
        (position[str(s)], position[str(c)])
        for s, c in zip(network.sources["supplier"], network.sources["customer"], strict=True)
    ]
    return _Tables(
        ids=ids,
        material=[str(v) for v in nodes["material"]],
        capacity=np.array([float(v) for v in nodes["capacity"]]),
        inventory=np.array([_plain(v) for v in nodes["inventory"]]),
        demand=demand,
        margin=margin,
        bom=bom,
        edges=edges,
    )


def _alpha(tables: _Tables, disruption: Mapping[str, float] | None) -> np.ndarray:
    alpha = np.zeros(len(tables.ids))
    for node, fraction in (disruption or {}).items():
        alpha[tables.ids.index(node)] = float(fraction)
    return alpha


def _bom_rows(tables: _Tables, n_cols: int) -> np.ndarray:
    """Rows ``q · u_j − Σ y_e ≤ 0``, one per BOM line (u at 0..n-1, y at n..n+m-1)."""
    n = len(tables.ids)
    rows = np.zeros((len(tables.bom), n_cols))
    line_of: dict[tuple[int, str], int] = {}
    for r, (j, material, quantity) in enumerate(tables.bom):
        rows[r, j] = quantity
        line_of[(j, material)] = r
    for e, (i, j) in enumerate(tables.edges):
        # The edge fills the customer's BOM line for the supplier's material.
        rows[line_of[(j, tables.material[i])], n + e] = -1.0
    return rows


def _flow_rows(tables: _Tables, n_cols: int) -> np.ndarray:
    """``Σ_{e out of i} y_e − u_i``, one row per node i (other terms added by the caller)."""
    n = len(tables.ids)
    rows = np.zeros((n, n_cols))
    for i in range(n):
        rows[i, i] = -1.0
    for e, (i, _) in enumerate(tables.edges):
        rows[i, n + e] = 1.0
    return rows


@dataclass
class ReferenceImpact:
    """The optimum of the time-to-recover program (units over the window)."""

    lost_profit: float
    lost: dict[str, float]
    production: dict[str, float]
    shipments: dict[tuple[str, str], float]


def reference_impact(
    network,
    disruption: Mapping[str, float] | None,
    duration: float,
    *,
    integer: bool = False,
) -> ReferenceImpact:
    """Minimal lost profit over ``duration`` periods under ``disruption`` (node -> α)."""
    tables = _tables(network)
    alpha = _alpha(tables, disruption)
    t = float(duration)
    n, m = len(tables.ids), len(tables.edges)
    products = [j for j in range(n) if tables.demand[j] > 0]
    lost_col = {j: n + m + k for k, j in enumerate(products)}
    n_cols = n + m + len(products)

    cost = np.zeros(n_cols)
    for j, col in lost_col.items():
        cost[col] = tables.margin[j]

    flow = _flow_rows(tables, n_cols)
    rhs_flow = np.zeros(n)
    for i in range(n):
        if i in lost_col:
            flow[i, lost_col[i]] = -1.0
        rhs_flow[i] = tables.inventory[i] - tables.demand[i] * t

    a_ub = np.vstack([_bom_rows(tables, n_cols), flow])
    b_ub = np.concatenate([np.zeros(len(tables.bom)), rhs_flow])
    bounds = (
        [(0.0, (1.0 - alpha[i]) * tables.capacity[i] * t) for i in range(n)]
        + [(0.0, None)] * m
        + [(0.0, tables.demand[j] * t) for j in products]
    )
    integrality = None
    if integer:
        integrality = np.concatenate([np.ones(n + m), np.zeros(len(products))])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        bounds=bounds,
        method="highs",
        integrality=integrality,
    )
    if result.status != 0:
        raise AssertionError(f"reference TTR program did not solve: {result.message}")
    x = result.x
    return ReferenceImpact(
        lost_profit=float(cost @ x),
        lost={tables.ids[j]: float(x[col]) for j, col in lost_col.items()},
        production={tables.ids[i]: float(x[i]) for i in range(n)},
        shipments={
            (tables.ids[s], tables.ids[c]): float(x[n + e]) for e, (s, c) in enumerate(tables.edges)
        },
    )


def reference_tts(
    network, disruption: Mapping[str, float] | None, *, integer: bool = False
) -> float:
    """Largest ``t`` at which all demand is met under ``disruption``; ``inf`` if unbounded."""
    tables = _tables(network)
    alpha = _alpha(tables, disruption)
    n, m = len(tables.ids), len(tables.edges)
    t_col = n + m
    n_cols = n + m + 1

    cost = np.zeros(n_cols)
    cost[t_col] = -1.0  # maximise t

    flow = _flow_rows(tables, n_cols)
    for i in range(n):
        flow[i, t_col] = tables.demand[i]
    capacity = np.zeros((n, n_cols))
    for i in range(n):
        capacity[i, i] = 1.0
        capacity[i, t_col] = -(1.0 - alpha[i]) * tables.capacity[i]

    a_ub = np.vstack([_bom_rows(tables, n_cols), flow, capacity])
    b_ub = np.concatenate([np.zeros(len(tables.bom)), tables.inventory, np.zeros(n)])
    integrality = None
    if integer:
        integrality = np.concatenate([np.ones(n + m), [0.0]])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        bounds=[(0.0, None)] * n_cols,
        method="highs",
        integrality=integrality,
    )
    if result.status == 3:  # unbounded: demand is met forever
        return math.inf
    if result.status != 0:
        raise AssertionError(f"reference TTS program did not solve: {result.message}")
    return float(result.x[t_col])
