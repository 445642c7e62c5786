"""Exact sweeps on small regional programs, certified by LP duality.

A disruption can only change the plan near the disrupted nodes. For each scenario the
solver builds the program over a *region* — the products downstream of the disrupted
nodes and everything upstream of them — with every other variable held at the
undisrupted (baseline) optimum and the shipments across the region's border entering
the right-hand sides. The regional optimum, put together with the baseline outside, is
feasible for the whole program; it is *optimal* when a dual solution for the whole
program exists that agrees with it. We build that dual from the regional duals inside
and the baseline duals outside (zero outside for time-to-survive, whose border rows go
slack), and check the reduced cost of every border edge. Where one fails, the node on
the other side joins the region and the region is solved again; a region that grows past
``max_region_fraction`` of the network is solved as the whole program. The answer is
therefore the whole program's optimum, only computed on a fraction of it.

Every program is loaded afresh (``passModel``) so a scenario's answer does not depend
on which scenarios a worker solved before it: results are identical for any split of
the work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipstress.engine._highs import lp_status, new_highs, pass_lp
from chipstress.engine.formulation import StressModel, build_lp

__all__ = ["BaselineTTR", "BaselineTTS", "RegionalSolver", "ScenarioResult"]

# s below this is "zero": the network survives forever (TTS above ~1e12 periods).
S_ZERO = 1e-12


@dataclass(frozen=True)
class BaselineTTS:
    """The undisrupted time-to-survive program's optimum."""

    s: float
    status: str
    flow: np.ndarray  # per-period shipment on every edge at the optimum

    @property
    def tts(self) -> float:
        """Time-to-survive in periods (``inf`` when demand can be met forever)."""
        return tts_from_s(self.s, self.status)


@dataclass(frozen=True)
class BaselineTTR:
    """The undisrupted time-to-recover program's optimum at one duration."""

    duration: float
    status: str
    rate: float  # optimal lost profit per period
    flow: np.ndarray  # per-period shipment on every edge
    lost_rate: np.ndarray  # per-period lost sales at every node (0 without demand)
    flow_dual: np.ndarray  # dual of every node's flow row
    bom_dual: np.ndarray  # dual of every BOM row

    @property
    def lost_profit(self) -> float:
        """Lost profit over the whole duration (currency)."""
        return self.rate * self.duration


@dataclass(frozen=True)
class ScenarioResult:
    """One solved scenario: a value, a status, and how big the region ended up."""

    value: float
    status: str
    region_size: int


def tts_from_s(s: float, status: str) -> float:
    """TTS in periods from the optimum of the ``min s`` program."""
    if status == "infeasible":
        return 0.0
    if status != "optimal":
        return float("nan")
    return float("inf") if s <= S_ZERO else 1.0 / s


class RegionalSolver:
    """Solves many single- or multi-node disruptions of one network, exactly and fast.

    Parameters
    ----------
    model
        The compiled network.
    max_region_fraction
        Above this share of the nodes, a scenario is solved as the whole program.
    """

    def __init__(self, model: StressModel, max_region_fraction: float = 0.5) -> None:
        self.model = model
        self.max_region_fraction = max_region_fraction
        self.highs = new_highs()
        self._no_disruption = np.zeros(model.n_nodes)
        self._baseline_tts: BaselineTTS | None = None
        self._baseline_ttr: dict[float, BaselineTTR] = {}
        customers = model.customers.tocsr()
        suppliers = model.suppliers.tocsr()
        self._customers = (customers.indptr, customers.indices)
        self._suppliers = (suppliers.indptr, suppliers.indices)
        self._has_demand = model.demand > 0

    # ------------------------------------------------------------------ baselines
    def baseline_tts(self) -> BaselineTTS:
        """The undisrupted time-to-survive optimum (computed once)."""
        if self._baseline_tts is None:
            data, layout = build_lp(self.model, "tts", self._no_disruption)
            pass_lp(self.highs, data)
            self.highs.run()
            status = lp_status(self.highs)
            flow = np.zeros(self.model.n_edges)
            s = np.nan
            if status == "optimal":
                x = np.asarray(self.highs.getSolution().col_value)
                flow[layout.edges] = x[len(layout.nodes) : layout.extra_column]
                s = float(x[layout.extra_column])
            self._baseline_tts = BaselineTTS(s, status, flow)
        return self._baseline_tts

    def baseline_ttr(self, duration: float) -> BaselineTTR:
        """The undisrupted time-to-recover optimum at ``duration`` (cached per duration)."""
        key = float(duration)
        if key not in self._baseline_ttr:
            data, layout = build_lp(self.model, "ttr", self._no_disruption, key)
            pass_lp(self.highs, data)
            self.highs.run()
            status = lp_status(self.highs)
            n, m, b = self.model.n_nodes, self.model.n_edges, self.model.n_bom
            flow, lost = np.zeros(m), np.zeros(n)
            flow_dual, bom_dual = np.zeros(n), np.zeros(b)
            rate = np.nan
            if status == "optimal":
                solution = self.highs.getSolution()
                x = np.asarray(solution.col_value)
                pi = np.asarray(solution.row_dual)
                flow[layout.edges] = x[n : layout.extra_column]
                lost[layout.products] = x[layout.extra_column :]
                bom_dual[layout.bom_lines] = pi[: layout.n_bom]
                flow_dual[layout.nodes] = pi[layout.n_bom :]
                rate = float(self.highs.getObjectiveValue())
            self._baseline_ttr[key] = BaselineTTR(
                key, status, rate, flow, lost, flow_dual, bom_dual
            )
        return self._baseline_ttr[key]

    # ------------------------------------------------------------------ regions
    def _reach(self, start: np.ndarray, adjacency: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Mask of every node reachable from ``start`` (mask) along ``adjacency``."""
        indptr, indices = adjacency
        seen = start.copy()
        frontier = np.flatnonzero(start)
        while len(frontier):
            starts, ends = indptr[frontier], indptr[frontier + 1]
            if len(frontier) == 1:
                neighbours = indices[starts[0] : ends[0]]
            else:
                neighbours = np.concatenate(
                    [indices[a:b] for a, b in zip(starts, ends, strict=True)]
                )
            neighbours = neighbours[~seen[neighbours]]
            neighbours = np.unique(neighbours)
            seen[neighbours] = True
            frontier = neighbours
        return seen

    def initial_region(self, disrupted: np.ndarray) -> np.ndarray:
        """Products downstream of the disrupted nodes, and everything upstream of those."""
        start = np.zeros(self.model.n_nodes, bool)
        start[disrupted] = True
        downstream = self._reach(start, self._customers)
        products = downstream & self._has_demand
        region = self._reach(products, self._suppliers)
        region |= start
        return region

    def _too_big(self, region: np.ndarray) -> bool:
        return region.sum() > self.max_region_fraction * self.model.n_nodes

    # ------------------------------------------------------------------ scenarios
    def time_to_survive(self, alpha: np.ndarray) -> ScenarioResult:
        """TTS (periods) under capacity losses ``alpha`` (fraction per node)."""
        base = self.baseline_tts()
        if base.status == "infeasible":  # cannot meet demand even undisrupted: TTS is 0
            return ScenarioResult(0.0, "optimal", 0)
        if base.status != "optimal":
            return ScenarioResult(np.nan, base.status, self.model.n_nodes)
        disrupted = np.flatnonzero(alpha > 0)
        if len(disrupted) == 0:
            return ScenarioResult(base.tts, "optimal", 0)
        region = self.initial_region(disrupted)
        while True:
            if self._too_big(region):
                return self._whole_tts(alpha)
            data, layout = build_lp(
                self.model, "tts", alpha, region=region, border_flow=base.flow, s_lower=base.s
            )
            pass_lp(self.highs, data)
            self.highs.run()
            status = lp_status(self.highs)
            if status != "optimal":
                return self._whole_tts(alpha)
            solution = self.highs.getSolution()
            s = float(solution.col_value[layout.extra_column])
            if s <= base.s * (1 + 1e-12) + S_ZERO:
                # The baseline plan outside still works: TTS is the baseline's.
                return ScenarioResult(tts_from_s(s, "optimal"), "optimal", int(region.sum()))
            pi = np.asarray(solution.row_dual)
            grow = self._border_violations(layout, pi, base.flow, None, None, region)
            if not len(grow):
                return ScenarioResult(tts_from_s(s, "optimal"), "optimal", int(region.sum()))
            region = region.copy()
            region[grow] = True

    def lost_profit(self, alpha: np.ndarray, duration: float) -> ScenarioResult:
        """Lost profit (currency) over ``duration`` periods under capacity losses ``alpha``."""
        base = self.baseline_ttr(duration)
        if base.status != "optimal":
            return ScenarioResult(np.nan, base.status, self.model.n_nodes)
        disrupted = np.flatnonzero(alpha > 0)
        if len(disrupted) == 0:
            return ScenarioResult(base.lost_profit, "optimal", 0)
        region = self.initial_region(disrupted)
        while True:
            if self._too_big(region):
                return self._whole_ttr(alpha, duration)
            data, layout = build_lp(
                self.model, "ttr", alpha, duration, region=region, border_flow=base.flow
            )
            pass_lp(self.highs, data)
            self.highs.run()
            status = lp_status(self.highs)
            if status != "optimal":
                return self._whole_ttr(alpha, duration)
            solution = self.highs.getSolution()
            pi = np.asarray(solution.row_dual)
            grow = self._border_violations(
                layout, pi, base.flow, base.flow_dual, base.bom_dual, region
            )
            if not len(grow):
                outside = ~region & self._has_demand
                rate = float(self.highs.getObjectiveValue()) + float(
                    self.model.margin[outside] @ base.lost_rate[outside]
                )
                return ScenarioResult(rate * duration, "optimal", int(region.sum()))
            region = region.copy()
            region[grow] = True

    def _border_violations(
        self,
        layout,
        pi: np.ndarray,
        flow: np.ndarray,
        outside_flow_dual: np.ndarray | None,
        outside_bom_dual: np.ndarray | None,
        region: np.ndarray,
    ) -> np.ndarray:
        """Nodes across border edges whose reduced cost disagrees with their held flow.

        A border edge e (supplier i, customer j) has reduced cost
        ``0 − π_flow(i) + π_bom(row of e)``, taking each dual from the region's program
        when that row is inside and from the outside dual (baseline, or zero) otherwise.
        An edge at zero flow needs a reduced cost >= 0; an edge carrying flow needs 0.
        """
        model = self.model
        n_local = len(layout.nodes)
        node_local = np.full(model.n_nodes, -1, dtype=np.int64)
        node_local[layout.nodes] = np.arange(n_local)
        bom_local = np.full(model.n_bom, -1, dtype=np.int64)
        bom_local[layout.bom_lines] = np.arange(layout.n_bom)
        flow_pi = pi[layout.n_bom :]
        bom_pi = pi[: layout.n_bom]
        scale = 1.0 + float(np.max(np.abs(pi))) if len(pi) else 1.0
        tolerance = 1e-9 * scale
        out_edges, in_edges = layout.boundary_out, layout.boundary_in
        # Edges leaving the region: supplier inside, customer (and its BOM row) outside.
        reduced_out = -flow_pi[node_local[model.edge_supplier[out_edges]]]
        if outside_bom_dual is not None:
            reduced_out = reduced_out + outside_bom_dual[model.edge_bom_row[out_edges]]
        # Edges entering the region: supplier outside, customer's BOM row inside.
        reduced_in = bom_pi[bom_local[model.edge_bom_row[in_edges]]]
        if outside_flow_dual is not None:
            reduced_in = reduced_in - outside_flow_dual[model.edge_supplier[in_edges]]
        grow = []
        for edges, reduced, far_end in (
            (out_edges, reduced_out, model.edge_customer),
            (in_edges, reduced_in, model.edge_supplier),
        ):
            carrying = flow[edges] > 1e-9 * (1.0 + np.abs(flow[edges]))
            bad = np.where(carrying, np.abs(reduced) > tolerance, reduced < -tolerance)
            grow.append(far_end[edges[bad]])
        found = np.unique(np.concatenate(grow)) if grow else np.zeros(0, np.int64)
        return found[~region[found]]

    # ------------------------------------------------------------------ whole programs
    def _whole_tts(self, alpha: np.ndarray) -> ScenarioResult:
        data, layout = build_lp(self.model, "tts", alpha)
        pass_lp(self.highs, data)
        self.highs.run()
        status = lp_status(self.highs)
        s = (
            float(self.highs.getSolution().col_value[layout.extra_column])
            if status == "optimal"
            else np.nan
        )
        reported = "optimal" if status == "infeasible" else status
        return ScenarioResult(tts_from_s(s, status), reported, self.model.n_nodes)

    def _whole_ttr(self, alpha: np.ndarray, duration: float) -> ScenarioResult:
        data, _ = build_lp(self.model, "ttr", alpha, duration)
        pass_lp(self.highs, data)
        self.highs.run()
        status = lp_status(self.highs)
        value = float(self.highs.getObjectiveValue()) * duration if status == "optimal" else np.nan
        return ScenarioResult(value, status, self.model.n_nodes)
