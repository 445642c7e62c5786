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
the other side joins the region with its supply tree (a supplier that should ship more)
or its downstream (a customer that should give up supply), and the region is solved
again; a region that grows past ``max_region_fraction`` of the network is solved as the
whole program. The answer is therefore the whole program's optimum, only computed on a
fraction of it.

Each regional program is loaded afresh and started from the baseline's simplex basis
(restricted to the region, completed by HiGHS), so it needs a few pivots, and a
scenario's answer does not depend on which scenarios a worker solved before it: results
are identical for any split of the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from chipstress.engine.formulation import (
    Layout,
    ProgramKind,
    StressModel,
    build_delayed_tts,
    build_lp,
)
from chipstress.engine.solver import (
    BasisStatus,
    HighsSolver,
    LPData,
    Solution,
    Solver,
    SolveStatus,
)

__all__ = ["BaselineTTR", "BaselineTTS", "Baselines", "RegionalSolver", "ScenarioResult"]

# Whole programs with more rows than this are presolved first.
WHOLE_PROGRAM_PRESOLVE_ROWS = 5000

# s below this is "zero": the network survives forever (TTS above ~1e12 periods).
S_ZERO = 1e-12


@dataclass(frozen=True)
class GlobalBasis:
    """Simplex basis statuses of a whole-network optimum, by global index.

    Regional programs start from these (as an *alien* basis HiGHS completes), which
    spares most of the pivots of a cold start. Codes are :class:`BasisStatus` values.
    """

    u: np.ndarray  # per node
    y: np.ndarray  # per edge
    lost: np.ndarray  # per node (used for nodes with demand)
    s: int
    bom: np.ndarray  # per BOM row
    flow: np.ndarray  # per node's flow row

    @classmethod
    def from_solver(
        cls, solver: Solver, model: StressModel, layout: Layout, kind: ProgramKind
    ) -> GlobalBasis:
        """The basis of the whole program ``solver`` has just solved, by global index.

        Parameters
        ----------
        solver
            The solver holding the solved program.
        model
            The network as arrays.
        layout
            The layout of the program solved (a region or the whole network).
        kind
            ``ttr`` or ``tts``.

        Returns
        -------
        GlobalBasis
            Basis codes of every column and row, indexed by node, edge and BOM line.
        """
        cols, rows = solver.basis()
        n_nodes = len(layout.nodes)
        lower = int(BasisStatus.LOWER)
        u = np.full(model.n_nodes, lower, np.int8)
        y = np.full(model.n_edges, lower, np.int8)
        lost = np.full(model.n_nodes, lower, np.int8)
        bom = np.full(model.n_bom, int(BasisStatus.BASIC), np.int8)
        flow = np.full(model.n_nodes, int(BasisStatus.BASIC), np.int8)
        u[layout.nodes] = cols[:n_nodes]
        y[layout.edges] = cols[n_nodes : layout.extra_column]
        s = lower
        if kind == ProgramKind.TTR:
            lost[layout.products] = cols[layout.extra_column :]
        else:
            s = int(cols[layout.extra_column])
        bom[layout.bom_lines] = rows[: layout.n_bom]
        flow[layout.nodes] = rows[layout.n_bom :]
        return cls(u, y, lost, s, bom, flow)

    def for_region(self, layout: Layout, kind: ProgramKind) -> tuple[np.ndarray, np.ndarray]:
        """The basis codes of a regional program's columns and rows."""
        cols = [self.u[layout.nodes], self.y[layout.edges]]
        ttr = kind == ProgramKind.TTR
        cols.append(self.lost[layout.products] if ttr else np.array([self.s], np.int8))
        rows = [self.bom[layout.bom_lines], self.flow[layout.nodes]]
        return np.concatenate(cols), np.concatenate(rows)


@dataclass(frozen=True)
class BaselineTTS:
    """The undisrupted time-to-survive program's optimum."""

    s: float
    status: SolveStatus
    flow: np.ndarray  # per-period shipment on every edge at the optimum
    basis: GlobalBasis | None = None

    @property
    def tts(self) -> float:
        """Time-to-survive in periods (``inf`` when demand can be met forever)."""
        return tts_from_s(self.s, self.status)


@dataclass(frozen=True)
class BaselineTTR:
    """The undisrupted time-to-recover program's optimum at one duration."""

    duration: float
    status: SolveStatus
    rate: float  # optimal lost profit per period
    flow: np.ndarray  # per-period shipment on every edge
    lost_rate: np.ndarray  # per-period lost sales at every node (0 without demand)
    flow_dual: np.ndarray  # dual of every node's flow row
    bom_dual: np.ndarray  # dual of every BOM row
    basis: GlobalBasis | None = None

    @property
    def lost_profit(self) -> float:
        """Lost profit over the whole duration (currency)."""
        return self.rate * self.duration


@dataclass(frozen=True)
class Baselines:
    """Undisrupted optima of one network: the TTS program and TTR programs by duration."""

    tts: BaselineTTS | None
    ttr: dict[float, BaselineTTR]


@dataclass(frozen=True)
class ScenarioResult:
    """One solved scenario: a value, a status, and how big the region ended up."""

    value: float
    status: SolveStatus
    region_size: int


def tts_from_s(s: float, status: SolveStatus) -> float:
    """TTS in periods from the optimum ``s`` of the ``min s`` program and its status.

    Parameters
    ----------
    s
        The optimum of ``s = 1/t`` (per period).
    status
        How the solve ended.

    Returns
    -------
    float
        Periods: ``0`` when infeasible, ``inf`` when ``s`` is zero, NaN when not optimal.
    """
    if status == SolveStatus.INFEASIBLE:
        return 0.0
    if status != SolveStatus.OPTIMAL:
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

    def __init__(
        self, model: StressModel, max_region_fraction: float = 0.5, solver: Solver | None = None
    ) -> None:
        self.model = model
        self.max_region_fraction = max_region_fraction
        self.solver: Solver = HighsSolver() if solver is None else solver
        self._no_disruption = np.zeros(model.n_nodes)
        self._baseline_tts: BaselineTTS | None = None
        self._baseline_ttr: dict[float, BaselineTTR] = {}
        customers = model.customers.tocsr()
        suppliers = model.suppliers.tocsr()
        self._customers = (customers.indptr, customers.indices)
        self._suppliers = (suppliers.indptr, suppliers.indices)
        self._has_demand = model.demand > 0
        # Lost sales per period below this are zero (relative to each node's demand).
        self._zero_units = 1e-9 * np.maximum(1.0, model.demand)

    def baselines(self) -> Baselines:
        """The undisrupted optima computed so far, to hand to solvers in other processes."""
        return Baselines(self._baseline_tts, dict(self._baseline_ttr))

    def adopt(self, baselines: Baselines) -> None:
        """Use undisrupted optima computed elsewhere (same network) instead of solving them."""
        if baselines.tts is not None:
            self._baseline_tts = baselines.tts
        self._baseline_ttr.update(baselines.ttr)

    def _solve_whole(self, data: LPData) -> SolveStatus:
        self.solver.load(data, presolve=data.n_rows > WHOLE_PROGRAM_PRESOLVE_ROWS)
        return self.solver.solve()

    def _value(self, kind: ProgramKind, layout: Layout, solution: Solution) -> float:
        """The optimal ``s`` (``tts``) or lost-profit rate (``ttr``) of the last solve."""
        if kind == ProgramKind.TTS:
            return float(solution.col_value[layout.extra_column])
        return self.solver.objective()

    # ------------------------------------------------------------------ baselines
    def baseline_ttr(self, duration: float) -> BaselineTTR:
        """The undisrupted time-to-recover optimum at ``duration`` (cached per duration).

        ``duration=inf`` is the steady state: no help from inventories. Over a window of
        ``duration=0`` nothing is lost (no program is solved).
        """
        key = float(duration)
        n, m, b = self.model.n_nodes, self.model.n_edges, self.model.n_bom
        if key <= 0 and key not in self._baseline_ttr:
            self._baseline_ttr[key] = BaselineTTR(
                key, SolveStatus.OPTIMAL, 0.0, np.zeros(m), np.zeros(n), np.zeros(n), np.zeros(b)
            )
        if key not in self._baseline_ttr and np.isfinite(key):
            survival = self.baseline_tts()
            premium_paid = self.model.has_premium and bool(
                np.any(survival.flow[self.model.edge_premium > 0] > 0)
            )
            if survival.status == SolveStatus.OPTIMAL and key <= survival.tts and not premium_paid:
                # Demand is met throughout: nothing is lost, the survival plan serves
                # (inventory lasts at least this long; it ships nothing at a premium)
                # and zero duals are optimal.
                self._baseline_ttr[key] = BaselineTTR(
                    key,
                    SolveStatus.OPTIMAL,
                    0.0,
                    survival.flow,
                    np.zeros(n),
                    np.zeros(n),
                    np.zeros(b),
                    survival.basis,
                )
        if key not in self._baseline_ttr:
            data, layout = build_lp(self.model, ProgramKind.TTR, self._no_disruption, key)
            status = self._solve_whole(data)
            flow, lost = np.zeros(m), np.zeros(n)
            flow_dual, bom_dual = np.zeros(n), np.zeros(b)
            rate = np.nan
            basis = None
            if status == SolveStatus.OPTIMAL:
                solution = self.solver.solution()
                x = solution.col_value
                pi = solution.row_dual
                flow[layout.edges] = x[n : layout.extra_column]
                lost[layout.products] = x[layout.extra_column :]
                bom_dual[layout.bom_lines] = pi[: layout.n_bom]
                flow_dual[layout.nodes] = pi[layout.n_bom :]
                rate = self.solver.objective()
                basis = GlobalBasis.from_solver(self.solver, self.model, layout, ProgramKind.TTR)
            self._baseline_ttr[key] = BaselineTTR(
                key, status, rate, flow, lost, flow_dual, bom_dual, basis
            )
        return self._baseline_ttr[key]

    def baseline_tts(self) -> BaselineTTS:
        """The undisrupted time-to-survive optimum (computed once).

        The steady state is checked first: when the network loses nothing without any
        inventory, TTS is infinite and the steady-state plan is the baseline.
        """
        if self._baseline_tts is None:
            steady = self.baseline_ttr(np.inf)
            # Judged on lost *units*, not lost profit: a product with margin 0 loses
            # nothing in profit but still has demand that must be met to survive.
            if steady.status == SolveStatus.OPTIMAL and np.all(
                steady.lost_rate <= self._zero_units
            ):
                self._baseline_tts = BaselineTTS(
                    0.0, SolveStatus.OPTIMAL, steady.flow, steady.basis
                )
                return self._baseline_tts
            data, layout = build_lp(self.model, ProgramKind.TTS, self._no_disruption)
            status = self._solve_whole(data)
            flow = np.zeros(self.model.n_edges)
            s = np.nan
            basis = None
            if status == SolveStatus.OPTIMAL:
                x = self.solver.solution().col_value
                flow[layout.edges] = x[len(layout.nodes) : layout.extra_column]
                s = float(x[layout.extra_column])
                basis = GlobalBasis.from_solver(self.solver, self.model, layout, ProgramKind.TTS)
            self._baseline_tts = BaselineTTS(s, status, flow, basis)
        return self._baseline_tts

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
            neighbours = np.unique(neighbours[~seen[neighbours]])
            seen[neighbours] = True
            frontier = neighbours
        return seen

    def initial_region(self, disrupted: np.ndarray) -> np.ndarray:
        """Products downstream of the disrupted nodes, and everything upstream of those."""
        start = np.zeros(self.model.n_nodes, bool)
        start[disrupted] = True
        downstream = self._reach(start, self._customers)
        region = self._reach(downstream & self._has_demand, self._suppliers)
        region |= start
        return region

    def _solve_regions(
        self,
        kind: ProgramKind,
        alpha: np.ndarray,
        duration: float,
        base: BaselineTTR | BaselineTTS,
    ) -> tuple[SolveStatus, float, np.ndarray | None]:
        """Solve the program on growing regions until the border certificate holds.

        Everything outside the region is held at ``base``, the undisrupted optimum of the
        same program (its flows on the border, its duals in the certificate, its basis as
        the starting point). Returns ``(status, value, region)``: the optimal ``s``
        (``tts``) or lost-profit rate (``ttr``), and the final region; ``region`` is
        ``None`` when the whole program was solved instead.
        """
        if isinstance(base, BaselineTTR):
            outside_flow_dual, outside_bom_dual, s_lower = base.flow_dual, base.bom_dual, 0.0
        else:
            outside_flow_dual, outside_bom_dual, s_lower = None, None, base.s
        border_flow = base.flow
        region = self.initial_region(np.flatnonzero(alpha > 0))
        while True:
            if region.sum() > self.max_region_fraction * self.model.n_nodes:
                break
            data, layout = build_lp(
                self.model,
                kind,
                alpha,
                duration,
                region=region,
                border_flow=border_flow,
                s_lower=s_lower,
            )
            self.solver.load(data)
            if base.basis is not None:
                self.solver.set_basis(*base.basis.for_region(layout, kind))
            if self.solver.solve() != SolveStatus.OPTIMAL:
                break
            solution = self.solver.solution()
            value = self._value(kind, layout, solution)
            if kind == ProgramKind.TTS and value <= s_lower * (1 + 1e-12) + S_ZERO:
                return SolveStatus.OPTIMAL, value, region  # the held plan outside still works
            grow = self._border_violations(
                layout,
                solution.row_dual,
                border_flow,
                outside_flow_dual,
                outside_bom_dual,
                region,
                self.model.edge_premium if kind == ProgramKind.TTR else None,
            )
            if not len(grow):
                return SolveStatus.OPTIMAL, value, region
            region = region.copy()
            region[grow] = True
        data, layout = build_lp(self.model, kind, alpha, duration)
        status = self._solve_whole(data)
        if status != SolveStatus.OPTIMAL:
            return status, np.nan, None
        return status, self._value(kind, layout, self.solver.solution()), None

    def _region_size(self, region: np.ndarray | None) -> int:
        return self.model.n_nodes if region is None else int(region.sum())

    # ------------------------------------------------------------------ scenarios
    def time_to_survive(
        self, alpha: np.ndarray, delays: Mapping[int, float] | None = None
    ) -> ScenarioResult:
        """TTS (periods) under capacity losses ``alpha`` (fraction per node).

        ``delays`` (node position -> periods) names nodes that produce only once that
        many periods of the disruption have passed (sources qualified reactively); see
        :meth:`time_to_survive_delayed`.
        """
        late = {int(p): float(d) for p, d in (delays or {}).items() if d > 0 and alpha[p] < 1}
        if late:
            return self.time_to_survive_delayed(alpha, late)
        base = self.baseline_tts()
        if base.status == SolveStatus.INFEASIBLE:  # cannot meet demand even undisrupted: TTS is 0
            return ScenarioResult(0.0, SolveStatus.OPTIMAL, 0)
        if base.status != SolveStatus.OPTIMAL:
            return ScenarioResult(np.nan, base.status, self.model.n_nodes)
        if not np.any(alpha > 0):
            return ScenarioResult(base.tts, SolveStatus.OPTIMAL, 0)
        status, s, region = self._solve_regions(ProgramKind.TTS, alpha, np.inf, base)
        reported = SolveStatus.OPTIMAL if status == SolveStatus.INFEASIBLE else status
        return ScenarioResult(tts_from_s(s, status), reported, self._region_size(region))

    def time_to_survive_delayed(
        self, alpha: np.ndarray, delays: Mapping[int, float]
    ) -> ScenarioResult:
        """TTS with nodes that start producing ``delays[p]`` periods into the disruption.

        In the window model a late node makes ``(1−α)·capacity·max(0, t − d)`` over ``t``
        periods, which is not linear in ``t``. The TTS — the first time demand cannot be
        met — is found in rounds: first with every late node down (the regional solver);
        then, while the survival time ``T`` reached is at least some late node's delay,
        those nodes join with their exact rows (:func:`build_delayed_tts`, valid for
        ``t ≥ d``) and the whole program is solved again. Every ``t`` up to the final
        ``T`` is feasible (the rounds' feasible sets are intervals that overlap), and just
        beyond it the nodes still missing have not started: ``T`` is exact.
        """
        down = alpha.copy()
        down[list(delays)] = 1.0
        first = self.time_to_survive(down)
        tts, status, size = first.value, first.status, first.region_size
        started: dict[int, float] = {}
        while status == SolveStatus.OPTIMAL and np.isfinite(tts):
            joining = {p: d for p, d in delays.items() if p not in started and d <= tts}
            if not joining:
                break
            started.update(joining)
            current = alpha.copy()
            waiting = [p for p in delays if p not in started]
            current[waiting] = 1.0
            data, layout = build_delayed_tts(self.model, current, started)
            solved = self._solve_whole(data)
            size = self.model.n_nodes
            if solved != SolveStatus.OPTIMAL:
                return ScenarioResult(np.nan, solved, size)
            s = float(self.solver.solution().col_value[layout.extra_column])
            tts = tts_from_s(s, solved)
        return ScenarioResult(tts, status, size)

    def lost_profit(self, alpha: np.ndarray, duration: float) -> ScenarioResult:
        """Lost profit (currency) over ``duration`` periods under capacity losses ``alpha``."""
        base = self.baseline_ttr(duration)
        if base.status != SolveStatus.OPTIMAL:
            return ScenarioResult(np.nan, base.status, self.model.n_nodes)
        if not np.any(alpha > 0) or duration <= 0:
            return ScenarioResult(base.lost_profit, SolveStatus.OPTIMAL, 0)
        status, rate, region = self._solve_regions(ProgramKind.TTR, alpha, duration, base)
        if status != SolveStatus.OPTIMAL:
            return ScenarioResult(np.nan, status, self._region_size(region))
        if region is not None:  # add what the held plan loses outside the region
            outside = ~region & self._has_demand
            rate += float(self.model.margin[outside] @ base.lost_rate[outside])
            if self.model.has_premium:  # and the premium it pays on edges held fixed
                model = self.model
                held = ~(region[model.edge_supplier] & region[model.edge_customer])
                rate += float(model.edge_premium[held] @ base.flow[held])
        return ScenarioResult(rate * duration, SolveStatus.OPTIMAL, self._region_size(region))

    def _border_violations(
        self,
        layout: Layout,
        pi: np.ndarray,
        flow: np.ndarray,
        outside_flow_dual: np.ndarray | None,
        outside_bom_dual: np.ndarray | None,
        region: np.ndarray,
        premium: np.ndarray | None = None,
    ) -> np.ndarray:
        """Nodes across border edges whose reduced cost disagrees with their held flow.

        A border edge e (supplier i, customer j) has reduced cost ``c_e − Aᵀπ`` =
        ``premium_e − π_flow(i) + π_bom(row of e)`` (``premium`` is ``None`` — costs 0 —
        for time-to-survive), taking each dual from the region's program when that row is
        inside and from the outside dual (baseline, or zero) otherwise. An edge at zero
        flow needs a reduced cost >= 0; an edge carrying flow needs 0.
        """
        model = self.model
        node_local = np.full(model.n_nodes, -1, dtype=np.int64)
        node_local[layout.nodes] = np.arange(len(layout.nodes))
        bom_local = np.full(model.n_bom, -1, dtype=np.int64)
        bom_local[layout.bom_lines] = np.arange(layout.n_bom)
        flow_pi = pi[layout.n_bom :]
        bom_pi = pi[: layout.n_bom]
        scale = float(np.max(np.abs(pi), initial=0.0))
        if premium is not None:
            scale += float(np.max(premium, initial=0.0))
        tolerance = 1e-9 * (1.0 + scale)
        out_edges, in_edges = layout.boundary_out, layout.boundary_in
        # Edges leaving the region: supplier inside, customer (and its BOM row) outside.
        reduced_out = -flow_pi[node_local[model.edge_supplier[out_edges]]]
        if outside_bom_dual is not None:
            reduced_out = reduced_out + outside_bom_dual[model.edge_bom_row[out_edges]]
        # Edges entering the region: supplier outside, customer's BOM row inside.
        reduced_in = bom_pi[bom_local[model.edge_bom_row[in_edges]]]
        if outside_flow_dual is not None:
            reduced_in = reduced_in - outside_flow_dual[model.edge_supplier[in_edges]]
        if premium is not None:
            reduced_out = reduced_out + premium[out_edges]
            reduced_in = reduced_in + premium[in_edges]
        grow = []
        for edges, reduced, far_end in (
            (out_edges, reduced_out, model.edge_customer),
            (in_edges, reduced_in, model.edge_supplier),
        ):
            carrying = flow[edges] > 1e-9 * (1.0 + np.abs(flow[edges]))
            bad = np.where(carrying, np.abs(reduced) > tolerance, reduced < -tolerance)
            far = np.zeros(model.n_nodes, bool)
            far[far_end[edges[bad]]] = True
            grow.append(far)
        # A customer that should give up supply brings its downstream; a supplier that
        # should ship more brings its whole supply tree (one round instead of many).
        added = self._reach(grow[0], self._customers) | self._reach(grow[1], self._suppliers)
        return np.flatnonzero(added & ~region)
