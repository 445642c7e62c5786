"""Exact sweeps on small regional programs, certified by LP duality.

A disruption can only change the plan near the disrupted nodes. For each scenario the
solver builds the program over a *region* — the disrupted nodes and everything
downstream of them, every source of the BOM lines those nodes feed (each may ship more
in their place) and the supply trees of those sources — with every other variable held
at the undisrupted (baseline) optimum and the shipments across the region's border
entering the right-hand sides (the other suppliers of the downstream nodes keep
shipping what the baseline ships: a node that makes less may receive more than it
uses). The regional optimum, put together with the baseline outside, is feasible for
the whole program; it is *optimal* when a dual solution for the whole program exists
that agrees with it. We build that dual from the regional duals inside
and the baseline duals outside (zero outside for time-to-survive, whose border rows go
slack), and check the reduced cost of every border edge. Where one fails, the node on
the other side joins the region with its supply tree (a supplier that should ship more)
or its downstream (a customer that should give up supply), and the region is solved
again; a region that grows past ``max_region_fraction`` of the network is solved as the
whole program. The answer is therefore the whole program's optimum, only computed on a
fraction of it.

A regional program is started from the baseline's simplex basis (restricted to the
region, completed by HiGHS), so it needs a few pivots. The last program of each kind stays
loaded (*hot*): the next scenario on the same region only changes the disrupted columns'
bounds and starts from the last optimum. Scenarios a bound settles are not solved at all:
when the baseline plan still fits under the disruption (every disrupted node keeps the
production the plan needs of it), the baseline's value is the scenario's. See
``docs/scaling.md``. An answer depends only on the scenarios solved since the last
:meth:`RegionalSolver.reset`; a sweep resets at the start of every chunk, so its results
are identical for any split of the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from chipstress.engine.adjacency import WALK_NODES, NeighbourLists, gather, reach, walk
from chipstress.engine.border import BorderTerms, border_terms, border_violations
from chipstress.engine.formulation import (
    Layout,
    ProgramKind,
    StressModel,
    build_delayed_tts,
    build_lp,
    define_border_flows,
    define_flow_rhs,
)
from chipstress.engine.lossless import lossless_plan
from chipstress.engine.solver import (
    BasisStatus,
    HighsSolver,
    LPData,
    Solution,
    Solver,
    SolveStatus,
)

__all__ = ["BaselineTTR", "BaselineTTS", "Baselines", "RegionalSolver", "ScenarioResult"]

# Whole programs with more rows than this are presolved first. Presolving smaller ones is
# quicker (large.json's steady state, 3,422 rows: 7 ms instead of 17) but ends at another
# optimal plan, under which fewer disruptions leave the plan feasible: large.json's sweep
# then solves 2,424 regional programs instead of 1,759 and takes longer.
WHOLE_PROGRAM_PRESOLVE_ROWS = 5000

# Undisrupted time-to-recover programs with more rows than this are first answered by a
# plan that loses nothing (chipstress.engine.lossless), which proves itself optimal;
# the whole program is solved only when none is found. Smaller programs are solved
# whole: it takes a fraction of a second and gives the regions a simplex basis to
# start from.
LOSSLESS_PLAN_ROWS = 1_000_000

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

    @classmethod
    def from_plan(cls, model: StressModel, production: np.ndarray, flow: np.ndarray) -> GlobalBasis:
        """Basis codes read off a plan that is not a simplex vertex (a lossless plan):
        what it produces or ships is basic (a node at capacity at its upper bound), every
        row tight. It has more basic entries than a basis may; HiGHS completes each
        region's part of it into a basis (a start, not a certificate).

        Parameters
        ----------
        model
            The network as arrays.
        production, flow
            Production per node and shipment per edge (units per period).

        Returns
        -------
        GlobalBasis
            Basis codes of every column and row, indexed by node, edge and BOM line.
        """
        basic, lower = int(BasisStatus.BASIC), int(BasisStatus.LOWER)
        upper = int(BasisStatus.UPPER)
        u = np.where(production > 0, basic, lower).astype(np.int8)
        u[production >= model.capacity] = upper
        y = np.where(flow > 0, basic, lower).astype(np.int8)
        lost = np.full(model.n_nodes, lower, np.int8)
        bom = np.full(model.n_bom, upper, np.int8)
        rows = np.full(model.n_nodes, upper, np.int8)
        return cls(u, y, lost, lower, bom, rows)

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


@dataclass
class _Loaded:
    """A regional program held by a hot solver, and the columns the last scenario changed."""

    key: tuple[ProgramKind, bytes]
    duration: float
    data: LPData
    layout: Layout
    changed: np.ndarray
    solver: HighsSolver
    terms: BorderTerms | None = None


# Initial regions remembered per solver (a sweep asks for each node's several times).
_REGION_CACHE = 1024


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
    solver
        The solver of whole programs and grown regions (default: a new
        :class:`HighsSolver`).
    """

    #: Undisrupted programs with more rows than this try a lossless plan first.
    lossless_plan_rows: int = LOSSLESS_PLAN_ROWS

    def __init__(
        self, model: StressModel, max_region_fraction: float = 0.5, solver: Solver | None = None
    ) -> None:
        self.model = model
        self.max_region_fraction = max_region_fraction
        self.solver: Solver = HighsSolver() if solver is None else solver
        self._no_disruption = np.zeros(model.n_nodes)
        self._baseline_tts: BaselineTTS | None = None
        self._baseline_ttr: dict[float, BaselineTTR] = {}
        self._customers = (model.customers.indptr, model.customers.indices)
        self._suppliers = (model.suppliers.indptr, model.suppliers.indices)
        self._has_demand = model.demand > 0
        # Lost sales per period below this are zero (relative to each node's demand).
        self._zero_units = 1e-9 * np.maximum(1.0, model.demand)
        # Hot programs: the last initial region of each kind stays loaded in its own
        # instance, and the next scenario on the same region only changes column bounds.
        self._reuse = solver is None
        self._hot_solvers: dict[tuple[ProgramKind, int], HighsSolver] = {}
        self._hot: dict[tuple[ProgramKind, int], _Loaded] = {}
        self._regions: dict[bytes, np.ndarray] = {}
        self._needed: dict[float, np.ndarray] = {}

    def baselines(self) -> Baselines:
        """The undisrupted optima computed so far, to hand to solvers in other processes."""
        return Baselines(self._baseline_tts, dict(self._baseline_ttr))

    def adopt(self, baselines: Baselines) -> None:
        """Use undisrupted optima computed elsewhere (same network) instead of solving them."""
        if baselines.tts is not None:
            self._baseline_tts = baselines.tts
        self._baseline_ttr.update(baselines.ttr)
        self._needed.clear()
        self._hot.clear()

    def _solve_whole(
        self, data: LPData, basis: tuple[np.ndarray, np.ndarray] | None = None
    ) -> SolveStatus:
        """Solve a whole-network program: from ``basis`` (column and row codes) when
        given, else cold (with presolve above :data:`WHOLE_PROGRAM_PRESOLVE_ROWS` rows)."""
        self.solver.load(data, presolve=basis is None and data.n_rows > WHOLE_PROGRAM_PRESOLVE_ROWS)
        if basis is not None:
            self.solver.set_basis(*basis)
        return self.solver.solve()

    def reset(self) -> None:
        """Forget the programs held hot, so the next answers depend on nothing solved
        before (a sweep calls this at the start of every chunk)."""
        self._hot.clear()

    def _value(
        self, kind: ProgramKind, layout: Layout, solution: Solution, solver: Solver | None = None
    ) -> float:
        """The optimal ``s`` (``tts``) or lost-profit rate (``ttr``) of the last solve."""
        if kind == ProgramKind.TTS:
            return float(solution.col_value[layout.extra_column])
        return (self.solver if solver is None else solver).objective()

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
        if key not in self._baseline_ttr and self.model.n_bom + n > self.lossless_plan_rows:
            plan = lossless_plan(self.model, key)
            if plan is not None:
                # Nothing lost, no premium paid: the plan costs 0, the least any plan
                # can, and zero duals prove it optimal.
                self._baseline_ttr[key] = BaselineTTR(
                    key,
                    SolveStatus.OPTIMAL,
                    0.0,
                    plan.flow,
                    np.zeros(n),
                    np.zeros(n),
                    np.zeros(b),
                    GlobalBasis.from_plan(self.model, plan.production, plan.flow),
                )
        if key not in self._baseline_ttr:
            data, layout = build_lp(self.model, ProgramKind.TTR, self._no_disruption, key)
            # A finite window differs from the steady state only in right-hand sides
            # (stock per period): its optimum is a few hundred dual pivots from the
            # steady state's (large.json: 4-5 ms instead of 15-18 ms cold). Always that
            # basis, never another duration's, so a baseline does not depend on which
            # were solved before it.
            steady = self._baseline_ttr.get(np.inf)
            start = None
            if np.isfinite(key) and steady is not None and steady.basis is not None:
                start = steady.basis.for_region(layout, ProgramKind.TTR)
            status = self._solve_whole(data, start)
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
            # The steady state's optimum is a good start: the same shipments, less the
            # stock (large.json: 362 dual pivots and 7 ms instead of 3,072 and 16 ms cold).
            start = (
                None if steady.basis is None else steady.basis.for_region(layout, ProgramKind.TTS)
            )
            status = self._solve_whole(data, start)
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
    def _initial(self, disrupted: np.ndarray) -> np.ndarray:
        """The initial region of disrupting ``disrupted`` (positions, ascending) as a mask;
        remembered as node positions (a few kilobytes each)."""
        key = np.asarray(disrupted, dtype=np.int64).tobytes()
        nodes = self._regions.get(key)
        if nodes is None:
            lists = self.model.adjacency.lists
            found = None if lists is None else self._initial_nodes_small(lists, disrupted)
            nodes = self._initial_nodes(disrupted) if found is None else found
            if len(self._regions) >= _REGION_CACHE:
                self._regions.clear()
            self._regions[key] = nodes
        region = np.zeros(self.model.n_nodes, bool)
        region[nodes] = True
        return region

    def _initial_nodes(self, disrupted: np.ndarray) -> np.ndarray:
        """:meth:`initial_region`'s nodes (ascending), walking numpy frontiers."""
        model, adjacency = self.model, self.model.adjacency
        start = np.zeros(model.n_nodes, bool)
        start[disrupted] = True
        downstream = reach(start, *self._customers)
        # Every source of the lines the downstream nodes feed (they may ship more in
        # their place), with its whole supply tree; the other lines' suppliers keep
        # shipping as in the baseline, held on the border.
        fed = model.edge_bom_row[
            gather(adjacency.out_ptr, adjacency.out_edges, np.flatnonzero(downstream))
        ]
        alternatives = gather(adjacency.line_ptr, adjacency.line_edges, np.unique(fed))
        sources = np.zeros(model.n_nodes, bool)
        sources[model.edge_supplier[alternatives]] = True
        return np.flatnonzero(reach(sources, *self._suppliers) | downstream)

    @staticmethod
    def _initial_nodes_small(lists: NeighbourLists, disrupted: np.ndarray) -> np.ndarray | None:
        """:meth:`initial_region`'s nodes (ascending), walking Python lists (the same nodes
        as :meth:`_initial_nodes`); ``None`` when a walk passes :data:`WALK_NODES` nodes."""
        downstream = walk(
            np.asarray(disrupted).tolist(), lists.out_ptr, lists.customers, WALK_NODES
        )
        if downstream is None:
            return None
        out_ptr, out_edges = lists.out_ptr, lists.out_edges
        line_ptr, line_edges = lists.line_ptr, lists.line_edges
        fed = {
            lists.edge_bom_row[e]
            for node in downstream
            for e in out_edges[out_ptr[node] : out_ptr[node + 1]]
        }
        sources = {
            lists.edge_supplier[e]
            for line in fed
            for e in line_edges[line_ptr[line] : line_ptr[line + 1]]
        }
        supply = walk(sources, lists.in_ptr, lists.suppliers, WALK_NODES)
        if supply is None:
            return None
        return np.array(sorted(supply | downstream), dtype=np.int64)

    def region_key(self, disrupted: np.ndarray) -> bytes:
        """The nodes of the initial region of disrupting ``disrupted`` (positions,
        ascending), as bytes: scenarios with equal keys start from the same program, so
        a sweep solves them one after the other (see :meth:`reset`)."""
        self._initial(disrupted)
        return self._regions[np.asarray(disrupted, dtype=np.int64).tobytes()].tobytes()

    def initial_region(self, disrupted: np.ndarray) -> np.ndarray:
        """The disrupted nodes and everything downstream of them, every source of the BOM
        lines those nodes feed, and the supply trees of those sources.

        Parameters
        ----------
        disrupted
            Positions of the disrupted nodes.

        Returns
        -------
        numpy.ndarray
            Boolean mask over the nodes (a new array).
        """
        return self._initial(disrupted)

    def _needed_production(self, kind: ProgramKind, base: BaselineTTR | BaselineTTS) -> np.ndarray:
        """Per node, the least production the baseline plan needs (units per period).

        Lowering a node's production relaxes its BOM rows and tightens only its own flow
        row, ``Σ out y − u − l ≤ stock rate − demand``: the baseline plan still holds with
        ``u = max(0, Σ out y + demand − l − stock rate)``.
        """
        key = float(base.duration) if isinstance(base, BaselineTTR) else -1.0
        needed = self._needed.get(key)
        if needed is None:
            model = self.model
            out = np.bincount(model.edge_supplier, weights=base.flow, minlength=model.n_nodes)
            needed = out + model.demand
            if isinstance(base, BaselineTTR):
                needed -= base.lost_rate
                if np.isfinite(base.duration):
                    needed -= model.inventory / base.duration
            else:
                needed -= model.inventory * base.s
            self._needed[key] = needed
        return needed

    def _baseline_holds(
        self, kind: ProgramKind, alpha: np.ndarray, base: BaselineTTR | BaselineTTS
    ) -> bool:
        """True when the undisrupted optimum stays feasible, hence optimal, under ``alpha``:
        every disrupted node keeps the capacity the baseline plan needs of it. A
        disruption only removes capacity, so the baseline's value is then the scenario's."""
        hit = np.flatnonzero(alpha > 0)
        left = (1.0 - alpha[hit]) * self.model.capacity[hit]
        return bool(np.all(self._needed_production(kind, base)[hit] <= left))

    def _solve_hot(
        self,
        kind: ProgramKind,
        alpha: np.ndarray,
        duration: float,
        base: BaselineTTR | BaselineTTS,
        region: np.ndarray,
        slot: int,
    ) -> tuple[SolveStatus, _Loaded]:
        """Solve a region's program, reusing it when the last scenario of this kind had
        the same region in this ``slot`` (0: first regions, 1: grown ones): only the
        disrupted columns' bounds (and, for another duration, the right-hand sides)
        change, and the simplex starts from the last optimum."""
        model = self.model
        key = (kind, np.flatnonzero(region).tobytes())
        solver = self._hot_solvers.get((kind, slot))
        if solver is None:
            solver = self._hot_solvers[(kind, slot)] = HighsSolver()
        loaded = self._hot.get((kind, slot))
        if loaded is None or loaded.key != key:
            s_lower = base.s if isinstance(base, BaselineTTS) else 0.0
            data, layout = build_lp(
                model,
                kind,
                self._no_disruption,
                duration,
                region=region,
                border_flow=base.flow,
                s_lower=s_lower,
            )
            solver.load(data)
            if base.basis is not None:
                solver.set_basis(*base.basis.for_region(layout, kind))
            loaded = _Loaded(key, float(duration), data, layout, np.zeros(0, np.int64), solver)
            self._hot[(kind, slot)] = loaded
        else:
            if len(loaded.changed):
                changed = loaded.changed
                solver.change_col_bounds(
                    changed, np.zeros(len(changed)), loaded.data.col_upper[changed]
                )
            if float(duration) != loaded.duration:  # time-to-recover at another duration
                row_upper = define_flow_rhs(model, kind, loaded.layout, duration)
                define_border_flows(model, loaded.layout, base.flow, row_upper)
                solver.change_all_row_bounds(loaded.data.row_lower, row_upper)
                loaded.duration = float(duration)
                loaded.terms = None  # another baseline outside
        hit = np.flatnonzero(alpha > 0)
        columns = loaded.layout.node_local[hit]
        solver.change_col_bounds(
            columns, np.zeros(len(hit)), (1.0 - alpha[hit]) * model.capacity[hit]
        )
        loaded.changed = columns
        status = solver.solve()
        if status != SolveStatus.OPTIMAL:
            del self._hot[(kind, slot)]  # start the next scenario afresh
        return status, loaded

    def _solve_cold(
        self,
        kind: ProgramKind,
        alpha: np.ndarray,
        duration: float,
        base: BaselineTTR | BaselineTTS,
        region: np.ndarray,
    ) -> tuple[SolveStatus, Layout]:
        """Build and solve a (grown) region's program afresh, from the baseline's basis."""
        data, layout = build_lp(
            self.model,
            kind,
            alpha,
            duration,
            region=region,
            border_flow=base.flow,
            s_lower=base.s if isinstance(base, BaselineTTS) else 0.0,
        )
        self.solver.load(data)
        if base.basis is not None:
            self.solver.set_basis(*base.basis.for_region(layout, kind))
        return self.solver.solve(), layout

    def _terms(
        self, layout: Layout, base: BaselineTTR | BaselineTTS, loaded: _Loaded | None
    ) -> BorderTerms:
        """The border certificate's fixed parts for ``layout`` (kept with a hot program):
        the baseline's duals and premiums for time-to-recover, zero for time-to-survive."""
        if loaded is not None and loaded.terms is not None:
            return loaded.terms
        if isinstance(base, BaselineTTR):
            terms = border_terms(
                self.model,
                layout,
                base.flow,
                base.flow_dual,
                base.bom_dual,
                self.model.edge_premium,
            )
        else:
            terms = border_terms(self.model, layout, base.flow, None, None, None)
        if loaded is not None:
            loaded.terms = terms
        return terms

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
        the starting point). Programs are kept hot for the next scenario
        (:meth:`_solve_hot`) unless a solver was given. Returns ``(status, value,
        region)``: the optimal ``s`` (``tts``) or lost-profit rate (``ttr``), and the final
        region; ``region`` is ``None`` when the whole program was solved instead.
        """
        s_lower = base.s if isinstance(base, BaselineTTS) else 0.0
        region = self.initial_region(np.flatnonzero(alpha > 0))
        loaded: _Loaded | None = None
        slot = 0
        while region.sum() <= self.max_region_fraction * self.model.n_nodes:
            solver: Solver = self.solver
            if self._reuse:
                status, loaded = self._solve_hot(kind, alpha, duration, base, region, slot)
                layout, solver = loaded.layout, loaded.solver
            else:
                status, layout = self._solve_cold(kind, alpha, duration, base, region)
            slot = 1
            if status != SolveStatus.OPTIMAL:
                break
            solution = solver.solution()
            value = self._value(kind, layout, solution, solver)
            if kind == ProgramKind.TTS and value <= s_lower * (1 + 1e-12) + S_ZERO:
                return SolveStatus.OPTIMAL, value, region  # the held plan outside still works
            terms = self._terms(layout, base, loaded)
            grow = self._border_violations(terms, solution.row_dual, region)
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
        if not np.any(alpha > 0) or self._baseline_holds(ProgramKind.TTS, alpha, base):
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
        if (
            not np.any(alpha > 0)
            or duration <= 0
            or self._baseline_holds(ProgramKind.TTR, alpha, base)
        ):
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
        self, terms: BorderTerms, pi: np.ndarray, region: np.ndarray
    ) -> np.ndarray:
        """Nodes to add to ``region``: across border edges whose reduced cost disagrees
        with their held flow (:func:`chipstress.engine.border.border_violations`).

        A customer that should give up supply brings its downstream; a supplier that
        should ship more brings its whole supply tree (one round instead of many).
        """
        customers, suppliers = border_violations(terms, pi)
        if not len(customers) and not len(suppliers):
            return customers
        lists = self.model.adjacency.lists
        if lists is not None:
            down = walk(customers.tolist(), lists.out_ptr, lists.customers, WALK_NODES)
            up = walk(suppliers.tolist(), lists.in_ptr, lists.suppliers, WALK_NODES)
            if down is not None and up is not None:
                grow = np.array(sorted(down | up), dtype=np.int64)
                return grow[~region[grow]]
        n = self.model.n_nodes
        grow_masks = [np.zeros(n, bool), np.zeros(n, bool)]
        grow_masks[0][customers] = True
        grow_masks[1][suppliers] = True
        added = reach(grow_masks[0], *self._customers) | reach(grow_masks[1], *self._suppliers)
        return np.flatnonzero(added & ~region)
