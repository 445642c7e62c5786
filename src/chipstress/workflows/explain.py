"""Why a site matters: an explanation computed from the stress-test programs, not prose.

For a site S taken fully down for its time to recover ``T`` (its ``ttr``, or a duration
given), :func:`explain` reports

* the **BOM lines it feeds** — each customer's line for S's material — and which of them
  have **no alternative source** (S is their only supplier);
* the **end products** downstream of it;
* **what runs out first**: the binding constraints of the time-to-survive program with S
  down (:mod:`chipstress.engine.formulation`), read from its duals — a flow row that
  binds at a node with stock is that stock running out at TTS, a capacity bound that
  binds is a node producing flat out, a binding demand row the product whose demand
  sets the time; ordered by the size of their dual (how much one more unit of stock or
  capacity there would lengthen survival);
* **lost units and lost profit per end product** over ``T`` (the time-to-recover
  program's plan; lost profit = margin × lost units);
* **what would change the verdict** (TTR > TTS, an exposure): the least extra stock of
  S's output that keeps every demand met for ``T`` periods, and the least capacity of a
  second source of S's material shipping to S's customers that does — each one linear
  program: the time-to-recover program at ``T`` with lost sales fixed at zero, plus one
  column (the stock) or one node (the second source), minimising it — and the recovery
  time that would do (TTS). For a site that is covered, the periods its recovery could
  slip before demand is lost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from chipstress.engine import HighsSolver, SolveStatus, compile_network, impact
from chipstress.engine.formulation import ProgramKind, StressModel, build_lp, disruption_vector
from chipstress.engine.regional import S_ZERO
from chipstress.engine.solver import LPData, Solver
from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = [
    "BindingConstraint",
    "Explanation",
    "FedLine",
    "ProductLoss",
    "VerdictChange",
    "explain",
]

# Relative tolerance: a TTR above the TTS by less than this is not an exposure (as the sweep).
EXPOSED_TOLERANCE = 1e-9
# Lost units below this are solver noise, not a loss.
LOSS_TOLERANCE = 1e-9


@dataclass(frozen=True)
class FedLine:
    """A BOM line the site feeds: ``customer`` needs ``quantity`` units of ``material``.

    ``alternatives`` are the customer's other suppliers of the material; a line without
    any is single-sourced on the site.
    """

    customer: str
    material: str
    quantity: float
    alternatives: tuple[str, ...]

    @property
    def single_sourced(self) -> bool:
        """True when the site is the line's only supplier."""
        return not self.alternatives


@dataclass(frozen=True)
class BindingConstraint:
    """A constraint that binds the time-to-survive with the site down.

    Attributes
    ----------
    node
        The node whose constraint binds.
    what
        ``stock`` (its stock runs out at TTS), ``capacity`` (it produces flat out) or
        ``demand`` (its end-customer demand is what cannot be met longer).
    at
        When it runs out: the TTS (periods).
    shadow
        The size of the dual value (how strongly it binds; larger first).
    inventory
        The node's stock (units of its material).
    capacity
        The node's capacity left with the site down (units per period).
    """

    node: str
    what: str
    at: float
    shadow: float
    inventory: float
    capacity: float


@dataclass(frozen=True)
class ProductLoss:
    """Lost units (units of the product) and lost profit (currency) of one end product over TTR."""

    product: str
    lost_units: float
    lost_profit: float
    demand: float


@dataclass(frozen=True)
class VerdictChange:
    """One change that would flip the verdict, computed.

    Attributes
    ----------
    action
        ``extra_stock`` (units of the site's material held at the site), ``second_source``
        (capacity, units per period, of a new supplier of the material shipping to the
        site's customers), ``recover_faster`` (a TTR of at most ``amount`` periods) or
        ``slack`` (a covered site: periods the recovery may slip before demand is lost).
    amount
        The amount, in ``unit``; ``None`` when no amount suffices (``feasible`` False).
    unit
        ``units``, ``units per period`` or ``periods`` (the network's period).
    feasible
        False when no amount of this change keeps every demand met.
    """

    action: str
    amount: float | None
    unit: str
    feasible: bool = True


@dataclass(frozen=True)
class Explanation:
    """Why a site ranks where it does (:func:`explain`).

    Attributes
    ----------
    site, name, material
        The site, its name and the material it makes.
    verdict
        ``exposed`` (TTR > TTS: demand is lost before it recovers), ``covered`` (TTR ≤
        TTS), ``no_ttr`` (no time to recover known nor given) or ``not_solved``.
    ttr
        The window: the site's time to recover or the duration given (periods; NaN none).
    tts
        Time to survive with the site down (periods; ``inf`` forever).
    feeds
        The BOM lines it feeds.
    products
        End products downstream of it.
    runs_out_first
        Binding constraints of the time-to-survive program, strongest first.
    per_product
        Lost units and profit per end product over ``ttr`` (the products downstream,
        and any other that loses units).
    lost_profit
        Total lost profit over ``ttr`` (currency), premiums included.
    baseline_lost_profit
        What the undisrupted network loses over the same window (currency).
    to_change_verdict
        Changes that would flip the verdict, computed.
    units
        ``time`` (the period), ``money`` (the currency) and ``quantity``.
    """

    site: str
    name: str
    material: str
    verdict: str
    ttr: float
    tts: float
    feeds: tuple[FedLine, ...]
    products: tuple[str, ...]
    runs_out_first: tuple[BindingConstraint, ...]
    per_product: tuple[ProductLoss, ...]
    lost_profit: float
    baseline_lost_profit: float
    to_change_verdict: tuple[VerdictChange, ...]
    units: Mapping[str, str] = field(default_factory=dict)

    @property
    def single_sourced(self) -> tuple[FedLine, ...]:
        """The lines fed by the site alone."""
        return tuple(line for line in self.feeds if line.single_sourced)

    def summary(self) -> dict[str, Any]:
        """Headline figures: site, verdict, TTR and TTS (periods), lost profit (currency),
        lines fed and single-sourced, end products downstream."""
        return {
            "site": self.site,
            "verdict": self.verdict,
            "ttr": self.ttr,
            "tts": self.tts,
            "lost_profit": self.lost_profit,
            "lines_fed": len(self.feeds),
            "single_sourced": len(self.single_sourced),
            "products": len(self.products),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``feeds``, ``runs_out_first``, ``per_product`` and ``to_change_verdict`` as tables
        (for downloads), one row per item of :meth:`to_dict`'s lists."""
        data = self.to_dict()
        columns = {
            "feeds": ["customer", "material", "quantity", "alternatives", "single_sourced"],
            "runs_out_first": ["node", "what", "at", "shadow", "inventory", "capacity"],
            "per_product": ["product", "lost_units", "lost_profit", "demand"],
            "to_change_verdict": ["action", "amount", "unit", "feasible"],
        }
        out = {}
        for name, names in columns.items():
            rows = [
                {**row, "alternatives": ", ".join(row["alternatives"])} if name == "feeds" else row
                for row in data[name]
            ]
            out[name] = pd.DataFrame(rows, columns=names)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The explanation as plain data (floats may be NaN or ``inf``; the API converts them).

        Returns
        -------
        dict
            ``site, name, material, verdict, ttr, tts, feeds, single_sourced, products,
            runs_out_first, per_product, lost_profit, baseline_lost_profit,
            to_change_verdict, units``.
        """

        def line(fed: FedLine) -> dict[str, Any]:
            return {
                "customer": fed.customer,
                "material": fed.material,
                "quantity": fed.quantity,
                "alternatives": list(fed.alternatives),
                "single_sourced": fed.single_sourced,
            }

        return {
            "site": self.site,
            "name": self.name,
            "material": self.material,
            "verdict": self.verdict,
            "ttr": self.ttr,
            "tts": self.tts,
            "feeds": [line(f) for f in self.feeds],
            "single_sourced": [line(f) for f in self.single_sourced],
            "products": list(self.products),
            "runs_out_first": [vars(b).copy() for b in self.runs_out_first],
            "per_product": [vars(p).copy() for p in self.per_product],
            "lost_profit": self.lost_profit,
            "baseline_lost_profit": self.baseline_lost_profit,
            "to_change_verdict": [vars(c).copy() for c in self.to_change_verdict],
            "units": dict(self.units),
        }


# --------------------------------------------------------------------------- structure
def _feeds(network: Network, site: str) -> tuple[FedLine, ...]:
    """The BOM lines ``site`` may ship to, with the customers' other suppliers."""
    material_of = dict(zip(network.nodes["id"], network.nodes["material"], strict=True))
    material = material_of[site]
    sources = network.sources
    bom = network.bom.set_index(["node", "material"])["quantity"]
    lines = []
    for customer in sorted(set(sources.loc[sources["supplier"] == site, "customer"])):
        others = sources.loc[
            (sources["customer"] == customer) & (sources["supplier"] != site), "supplier"
        ]
        alternatives = tuple(sorted(s for s in others if material_of[s] == material))
        quantity = float(bom.get((customer, material), math.nan))
        lines.append(FedLine(str(customer), str(material), quantity, alternatives))
    return tuple(lines)


def _downstream_products(network: Network, site: str) -> tuple[str, ...]:
    """End products reachable from ``site`` along source edges (itself if it has demand)."""
    customers: dict[str, list[str]] = {}
    for supplier, customer in zip(
        network.sources["supplier"], network.sources["customer"], strict=True
    ):
        customers.setdefault(str(supplier), []).append(str(customer))
    seen = {site}
    stack = [site]
    while stack:
        for nxt in customers.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    products = set(network.product_ids())
    return tuple(sorted(n for n in seen if n in products))


# --------------------------------------------------------------------------- time to survive
def _survival(
    model: StressModel, network: Network, alpha: np.ndarray, solver: Solver
) -> tuple[float, SolveStatus, tuple[BindingConstraint, ...]]:
    """TTS with the site down and the constraints that bind it, from the duals."""
    data, layout = build_lp(model, ProgramKind.TTS, alpha)
    solver.load(data)
    status = solver.solve()
    if status == SolveStatus.INFEASIBLE:
        return 0.0, SolveStatus.OPTIMAL, ()
    if status != SolveStatus.OPTIMAL:
        return math.nan, status, ()
    solution = solver.solution()
    s = float(solution.col_value[layout.extra_column])
    if s <= S_ZERO:
        return math.inf, status, ()
    tts = 1.0 / s
    flow_dual = np.abs(solution.row_dual[layout.n_bom :])
    capacity_dual = np.abs(solution.col_dual[: len(layout.nodes)])
    scale = 1.0 + max(float(flow_dual.max(initial=0.0)), float(capacity_dual.max(initial=0.0)))
    ids = network.nodes["id"].to_numpy(dtype=object)
    capacity_left = (1.0 - alpha) * model.capacity
    found = []
    strong = (flow_dual > 1e-9 * scale) | (capacity_dual > 1e-9 * scale)
    for position in np.flatnonzero(strong):
        p = int(position)
        kinds = []
        if capacity_dual[p] > 1e-9 * scale and alpha[p] < 1.0:  # not the disruption itself
            kinds.append(("capacity", float(capacity_dual[p])))
        if flow_dual[p] > 1e-9 * scale and (model.inventory[p] > 0 or model.demand[p] > 0):
            kinds.append(("stock" if model.inventory[p] > 0 else "demand", float(flow_dual[p])))
        found += [
            BindingConstraint(
                str(ids[p]),
                what,
                tts,
                shadow,
                float(model.inventory[p]),
                float(capacity_left[p]),
            )
            for what, shadow in kinds
        ]
    found.sort(key=lambda b: (-b.shadow, b.node))
    return tts, status, tuple(found)


# --------------------------------------------------------------------------- the verdict
def _no_loss_program(model: StressModel, alpha: np.ndarray, duration: float) -> tuple[LPData, Any]:
    """The time-to-recover program at ``duration`` with lost sales fixed at 0 and no costs."""
    data, layout = build_lp(model, ProgramKind.TTR, alpha, duration)
    data.cost = np.zeros_like(data.cost)
    data.col_upper = data.col_upper.copy()
    data.col_upper[layout.extra_column :] = 0.0
    return data, layout


def _least(data: LPData, solver: Solver) -> float | None:
    """The optimum of a program whose last column is the amount minimised; None if infeasible."""
    solver.load(data)
    status = solver.solve()
    if status != SolveStatus.OPTIMAL:
        return None
    return float(solver.solution().col_value[-1])


def _with_columns(data: LPData, extra: sp.spmatrix, cost: np.ndarray) -> LPData:
    """``data`` with columns appended (bounds ``[0, inf)``)."""
    matrix = sp.hstack([data.matrix, extra]).tocsc()
    return LPData.from_matrix(
        matrix,
        cost=np.concatenate([data.cost, cost]),
        col_lower=np.concatenate([data.col_lower, np.zeros(extra.shape[1])]),
        col_upper=np.concatenate([data.col_upper, np.full(extra.shape[1], np.inf)]),
        row_lower=data.row_lower,
        row_upper=data.row_upper,
    )


def extra_stock(
    model: StressModel, alpha: np.ndarray, site: int, duration: float, solver: Solver
) -> float | None:
    """Least extra stock of the site's output (units) that meets every demand for ``duration``.

    Parameters
    ----------
    model
        The compiled network.
    alpha
        Capacity lost per node (the site's disruption).
    site
        Position of the site.
    duration
        The window (periods).
    solver
        The solver.

    Returns
    -------
    float or None
        Units of stock; ``None`` when no amount suffices.
    """
    data, layout = _no_loss_program(model, alpha, duration)
    row = layout.n_bom + int(layout.node_local[site])
    column = sp.csc_matrix(([-1.0], ([row], [0])), shape=(data.n_rows, 1))
    least = _least(_with_columns(data, column, np.ones(1)), solver)
    return None if least is None else least * duration


def second_source(
    model: StressModel, alpha: np.ndarray, site: int, duration: float, solver: Solver
) -> float | None:
    """Least capacity (units per period) of a new source of the site's material, shipping to
    each of its customers, that meets every demand for ``duration`` periods.

    Parameters
    ----------
    model
        The compiled network.
    alpha
        Capacity lost per node (the site's disruption).
    site
        Position of the site.
    duration
        The window (periods).
    solver
        The solver.

    Returns
    -------
    float or None
        Units per period; ``None`` when no capacity suffices.
    """
    data, layout = _no_loss_program(model, alpha, duration)
    edges = np.flatnonzero(model.edge_supplier == site)
    lines = layout.bom_local[model.edge_bom_row[edges]]
    lines = np.unique(lines[lines >= 0])
    k = len(lines)
    # Columns: one shipment per line fed (−1 in the line's BOM row, +1 in the new flow row),
    # then the new source's production (−1 in its flow row), minimised.
    n_rows = data.n_rows + 1
    rows = np.concatenate([lines, np.full(k, data.n_rows), [data.n_rows]])
    cols = np.concatenate([np.arange(k), np.arange(k), [k]])
    values = np.concatenate([-np.ones(k), np.ones(k), [-1.0]])
    block = sp.csc_matrix((values, (rows, cols)), shape=(n_rows, k + 1))
    grown = LPData.from_matrix(
        sp.vstack([data.matrix, sp.csc_matrix((1, data.n_cols))]),
        cost=data.cost,
        col_lower=data.col_lower,
        col_upper=data.col_upper,
        row_lower=np.append(data.row_lower, -np.inf),
        row_upper=np.append(data.row_upper, 0.0),
    )
    cost = np.append(np.zeros(k), 1.0)
    return _least(_with_columns(grown, block, cost), solver)


def _verdict(ttr: float, tts: float, status: SolveStatus) -> str:
    if status != SolveStatus.OPTIMAL or math.isnan(tts):
        return "not_solved"
    if math.isnan(ttr):
        return "no_ttr"
    return "exposed" if ttr > tts * (1 + EXPOSED_TOLERANCE) else "covered"


def _changes(
    verdict: str, model: StressModel, alpha: np.ndarray, site: int, ttr: float, tts: float
) -> tuple[VerdictChange, ...]:
    if verdict == "covered":
        return (VerdictChange("slack", tts - ttr, "periods"),)
    if verdict != "exposed":
        return ()
    solver = HighsSolver()
    stock = extra_stock(model, alpha, site, ttr, solver)
    changes = [VerdictChange("extra_stock", stock, "units", stock is not None)]
    if np.any(model.edge_supplier == site):  # a second source needs customers to ship to
        source = second_source(model, alpha, site, ttr, solver)
        changes.append(
            VerdictChange("second_source", source, "units per period", source is not None)
        )
    changes.append(VerdictChange("recover_faster", tts, "periods", tts > 0))
    return tuple(changes)


def _losses(
    network: Network, site: str, ttr: float, products: tuple[str, ...]
) -> tuple[tuple[ProductLoss, ...], float, float]:
    """Lost units and profit per product over ``ttr``, the total, and the baseline's total."""
    if math.isnan(ttr) or ttr <= 0:
        return (), math.nan if math.isnan(ttr) else 0.0, 0.0
    hit = impact(network, {site: 1.0}, ttr)
    base = impact(network, {}, ttr)
    margin = dict(
        zip(network.nodes["id"], network.nodes["margin"].to_numpy(dtype=float), strict=True)
    )
    demand = dict(
        zip(network.nodes["id"], network.nodes["demand"].to_numpy(dtype=float), strict=True)
    )
    shown = [p for p in hit.lost_units.index if p in products or hit.lost_units[p] > LOSS_TOLERANCE]
    losses = []
    for product in shown:
        units = float(hit.lost_units[product])
        units = 0.0 if abs(units) <= LOSS_TOLERANCE else units
        value = units * float(np.nan_to_num(margin[product]))
        losses.append(ProductLoss(str(product), units, value, float(demand[product])))
    losses.sort(key=lambda p: (-p.lost_profit, p.product))
    return tuple(losses), float(hit.lost_profit), float(base.lost_profit)


def explain(network: Network, site: str, duration: float | None = None) -> Explanation:
    """Explain a site's risk: what it feeds, what runs out first, what is lost, what would help.

    Parameters
    ----------
    network
        The supply network.
    site
        The site's node id.
    duration
        Periods the site stays down (default: its ``ttr``).

    Returns
    -------
    Explanation
        Lines fed (single-sourced marked), end products downstream, the binding
        constraints of the time-to-survive program (periods), lost units and profit
        (currency) per end product over the window, and the changes that would flip the
        verdict (units, units per period, periods).

    Raises
    ------
    InvalidInput
        An unknown site, or a duration that is not a finite number of periods > 0.
    """
    position = int(network.index.positions([site])[0])
    ttr = float(network.nodes["ttr"].to_numpy(dtype=float)[position])
    if duration is not None:
        if not isinstance(duration, int | float) or not math.isfinite(duration) or duration <= 0:
            raise InvalidInput(f"duration must be a finite number of periods > 0, got {duration!r}")
        ttr = float(duration)
    model = compile_network(network)
    alpha = disruption_vector(network, {site: 1.0})
    tts, status, binding = _survival(model, network, alpha, HighsSolver())
    verdict = _verdict(ttr, tts, status)
    products = _downstream_products(network, site)
    per_product, lost, baseline = _losses(network, site, ttr, products)
    row = network.nodes.iloc[position]
    return Explanation(
        site=site,
        name=str(row["name"]),
        material=str(row["material"]),
        verdict=verdict,
        ttr=ttr,
        tts=tts,
        feeds=_feeds(network, site),
        products=products,
        runs_out_first=binding,
        per_product=per_product,
        lost_profit=lost,
        baseline_lost_profit=baseline,
        to_change_verdict=_changes(verdict, model, alpha, position, ttr, tts),
        units={
            "time": network.meta.period,
            "money": network.meta.currency,
            "quantity": "units of each material",
        },
    )
