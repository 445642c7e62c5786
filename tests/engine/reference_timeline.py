"""A deliberately plain second implementation of the time-expanded time-to-recover program.

Nothing here comes from :mod:`chipstress.engine`: the program is written from the maths
stated in the docstring of ``chipstress.engine.timeline_program`` (not from its code), in a
different form, as *dense* numpy matrices solved with
``scipy.optimize.linprog(method="highs")``. Only the in-transit flow (the steady state's
shipments, which need not be unique) is taken from the engine, as an input.

Variables are units over each period ``t = 0..H-1`` (length ``p`` network periods):
``P[i,t]`` made, ``Y[e,t]`` shipped, ``V[j,t]`` sold to end customers (nodes with
demand). There is no stock variable and no lost-sales variable:

* ``P[i,t] ≤ p · capacity_profile[i,t]``;
* stock, cumulative: ``Σ_{τ≤t} (Σ_{e out of i} Y[e,τ] + V[i,τ] − P[i,τ]) ≤ inventory_i``;
* BOM: ``q · P[j,t] ≤ Σ_{e in the line} A[e,t]`` with ``A[e,t] = Y[e, t − L_e]`` for
  ``t ≥ L_e`` and ``p · in_transit_e`` before;
* without foresight (``stock_cap``), stock is at most the inventory: a discard
  ``D[i,t] ≥ 0`` joins the cumulative stock and ``Σ_{τ≤t} (P[i,τ] − Σ_out Y − V −
  D[i,τ]) ≤ 0`` (what is held never exceeds what there was at the start);
* lost sales: ``V[j,t] ≤ p · demand_j``; lost profit
  ``Σ margin_j (p · demand_j · H − Σ_t V[j,t]) + Σ premium_e Y[e,t]``;
* backlog: ``Σ_{τ≤t} V[j,τ] ≤ (t+1) · p · demand_j`` (no sale before its demand
  arrives); waiting ``B[j,t] = (t+1) · p · demand_j − Σ_{τ≤t} V[j,τ]``; lost profit
  ``Σ margin_j B[j,H-1] + Σ_{t<H-1} p · penalty · B[j,t] + Σ premium_e Y[e,t]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from chipstress import Network

__all__ = ["ReferenceTimeline", "reference_timeline"]


def _number(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    return 0.0 if math.isnan(number) else number


@dataclass
class ReferenceTimeline:
    """The optimum: lost profit (currency) and units sold per product and period."""

    lost_profit: float
    sold: dict[str, list[float]]
    made: np.ndarray  # nodes × periods, units


def reference_timeline(
    network: Network,
    capacity_profile: np.ndarray,
    period: float,
    lead: np.ndarray,
    in_transit: np.ndarray,
    backlog_penalty: float | None = None,
    stock_cap: bool = False,
) -> ReferenceTimeline:
    """Minimal lost profit over ``capacity_profile.shape[1]`` periods of length ``period``."""
    nodes = network.nodes
    ids = [str(v) for v in nodes["id"]]
    position = {node: i for i, node in enumerate(ids)}
    material = [str(v) for v in nodes["material"]]
    inventory = [_number(v) for v in nodes["inventory"]]
    demand = [_number(v) for v in nodes["demand"]]
    margin = [_number(m) if d > 0 else 0.0 for m, d in zip(nodes["margin"], demand, strict=True)]
    edges = [
        (position[str(s)], position[str(c)])
        for s, c in zip(network.sources["supplier"], network.sources["customer"], strict=True)
    ]
    premium = (
        [_number(v) for v in network.sources["premium"]]
        if "premium" in network.sources
        else [0.0] * len(edges)
    )
    lines = [
        (position[str(j)], str(k), float(q))
        for j, k, q in zip(
            network.bom["node"], network.bom["material"], network.bom["quantity"], strict=True
        )
    ]
    n, m, h, p = len(ids), len(edges), capacity_profile.shape[1], float(period)
    products = [j for j in range(n) if demand[j] > 0]

    def col_p(i: int, t: int) -> int:
        return t * n + i

    def col_y(e: int, t: int) -> int:
        return n * h + t * m + e

    def col_v(k: int, t: int) -> int:
        return (n + m) * h + t * len(products) + k

    def col_d(i: int, t: int) -> int:
        return (n + m + len(products)) * h + t * n + i

    n_cols = (n + m + len(products) + (n if stock_cap else 0)) * h
    a_rows: list[np.ndarray] = []
    b_rows: list[float] = []
    for i in range(n):  # cumulative stock
        for t in range(h):
            row = np.zeros(n_cols)
            for tau in range(t + 1):
                row[col_p(i, tau)] = -1.0
                for e, (s, _) in enumerate(edges):
                    if s == i:
                        row[col_y(e, tau)] = 1.0
                if i in products:
                    row[col_v(products.index(i), tau)] = 1.0
                if stock_cap:
                    row[col_d(i, tau)] = 1.0
            a_rows.append(row)
            b_rows.append(inventory[i])
            if stock_cap:  # held = inventory − Σ (out + V − P + D) ≤ inventory
                a_rows.append(-row)
                b_rows.append(0.0)
    for j, needed, q in lines:  # BOM
        for t in range(h):
            row = np.zeros(n_cols)
            row[col_p(j, t)] = q
            rhs = 0.0
            for e, (s, c) in enumerate(edges):
                if c == j and material[s] == needed:
                    if t >= lead[e]:
                        row[col_y(e, t - int(lead[e]))] = -1.0
                    else:
                        rhs += p * in_transit[e]
            a_rows.append(row)
            b_rows.append(rhs)
    cost = np.zeros(n_cols)
    constant = 0.0
    for e in range(m):
        for t in range(h):
            cost[col_y(e, t)] = premium[e]
    bounds: list[tuple[float, float | None]] = [(0.0, None)] * n_cols
    for i in range(n):
        for t in range(h):
            bounds[col_p(i, t)] = (0.0, p * float(capacity_profile[i, t]))
    for k, j in enumerate(products):
        for t in range(h):
            if backlog_penalty is None:
                bounds[col_v(k, t)] = (0.0, p * demand[j])
                cost[col_v(k, t)] = -margin[j]
                constant += margin[j] * p * demand[j]
            else:
                row = np.zeros(n_cols)
                for tau in range(t + 1):
                    row[col_v(k, tau)] = 1.0
                a_rows.append(row)
                b_rows.append((t + 1) * p * demand[j])
                # B[j,t] = (t+1) p d − Σ_{τ≤t} V: weight p·penalty for t < H−1, margin at H−1.
                weight = margin[j] if t == h - 1 else p * backlog_penalty
                constant += weight * (t + 1) * p * demand[j]
                for tau in range(t + 1):
                    cost[col_v(k, tau)] -= weight
    result = linprog(
        cost,
        A_ub=np.vstack(a_rows),
        b_ub=np.asarray(b_rows),
        bounds=bounds,
        method="highs",
    )
    if result.status != 0:
        raise AssertionError(f"reference timeline did not solve: {result.message}")
    x = np.asarray(result.x)
    return ReferenceTimeline(
        lost_profit=float(cost @ x) + constant,
        sold={ids[j]: [float(x[col_v(k, t)]) for t in range(h)] for k, j in enumerate(products)},
        made=np.array([[x[col_p(i, t)] for t in range(h)] for i in range(n)]),
    )
