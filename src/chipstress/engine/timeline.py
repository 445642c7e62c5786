"""Events that unfold period by period: the time-expanded time-to-recover program, solved.

:class:`TimelineModel` compiles a network once for a horizon of ``H`` periods of length
``period`` (network periods) and solves it for any capacity profile (capacity per node
and period, units per network period); the program and its maths are in
:mod:`chipstress.engine.timeline_program`. :class:`TimelineResult` holds the lost profit
and, per period, the lost units and lost profit per product, the production and the stock
of every node, with the *baseline* run (full capacity throughout) beside it so that a
caller can report ``loss = disrupted − baseline``.

Two ways to solve, with the same answer:

Without ``foresight`` (the default) no stock is built above a node's inventory (see
:mod:`chipstress.engine.timeline_program`, "Foresight"): a plan cannot prepare for an
event it has not been told about.

* **Drawn from stock.** Where the regional baseline applies and every hit node's own
  stock covers its shortfall below the steady state, period by period, nothing is lost
  and nothing is solved (:meth:`TimelineModel.solve` builds that plan directly).
* **Whole program.** One HiGHS instance holds the program; each profile changes only the
  production bounds and starts from the previous optimal basis (the baseline's first).
* **Regional** (the default where it applies). When the undisrupted steady state loses
  no demand and pays no premium, the baseline is that steady state held in every period
  (its lost profit, 0, is optimal, and zero duals prove it). A profile can then only
  change the plan near the nodes it hits: the program is built over the products
  downstream of them and their supply trees, with every other shipment held at its
  steady-state rate in every period. The regional optimum with the steady state outside
  is feasible for the whole program, and optimal when every held border edge's reduced
  cost in every period (``premium_e − π_stock(supplier, t) + π_bom(line, t + L_e)``, a
  dual taken as 0 outside the region) is 0 where the edge carries flow and ≥ 0 where it
  carries none. The first region is the hit nodes and their downstream; where the
  certificate fails, the node across joins the region (a customer with its downstream, a
  supplier on its own: its suppliers follow in later rounds if they must) and the region
  is solved again; past
  ``max_region_fraction`` of the nodes the whole program is solved instead. This is the
  certificate :mod:`chipstress.engine.regional` uses for the single window, per period.

Lead times come from an optional ``lead_time`` column of the sources (network periods;
absent = 0) or the ``lead_time`` argument, and are rounded up to whole run periods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp

from chipstress.engine.adjacency import CompressedRows, reach
from chipstress.engine.formulation import StressModel, compile_network
from chipstress.engine.solver import BasisStatus, HighsSolver, LPData, Solver, SolveStatus
from chipstress.engine.timeline_program import (
    TimelineLayout,
    build_timeline,
    carry_basis,
    merge_periods,
    most_production,
)
from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = ["TimelineModel", "TimelineResult", "lead_periods"]

# Programs with more rows than this are presolved when solved without a starting basis.
PRESOLVE_ROWS = 5000


@dataclass(frozen=True)
class TimelineResult:
    """One solved timeline.

    Attributes
    ----------
    status
        How the solve ended (``OPTIMAL``, or what went wrong; the figures are NaN then).
    lost_profit
        Margin of the demand lost plus premiums paid (and, with backlog, penalties for
        late sales) over the horizon (currency).
    horizon, period
        Number of periods and their length (network periods).
    lost_units
        Units of demand lost in each period, per node with demand (rows: node ids,
        columns: periods 1..H); with backlog, what is still waiting at the end, in the
        last period.
    lost_profit_by_period
        Lost profit per product and period (currency), same labels; premiums are not in
        it (they belong to edges: ``premium_cost``).
    stock
        Units of its own output each node holds at the end of each period: inventory
        plus production minus shipments and sales so far (production the plan made but
        did not need counts as held; without foresight, at most the inventory).
    production
        Units made in each period, per node.
    backlog
        With backlog, units waiting at the end of each period per product; else ``None``.
    premium_cost
        Premium paid on edges over the horizon (currency; part of ``lost_profit``).
    region_size
        Nodes in the program solved (all of them for the whole program; 0 when nothing
        was solved).
    baseline
        The same horizon at full capacity (``None`` on the baseline itself).
    """

    status: SolveStatus
    lost_profit: float
    horizon: int
    period: float
    lost_units: pd.DataFrame
    lost_profit_by_period: pd.DataFrame
    stock: pd.DataFrame
    production: pd.DataFrame
    backlog: pd.DataFrame | None
    premium_cost: float
    region_size: int
    baseline: TimelineResult | None = None

    @property
    def loss(self) -> float:
        """Lost profit beyond the baseline's (currency): what the event costs."""
        if self.baseline is None:
            return self.lost_profit
        return self.lost_profit - self.baseline.lost_profit


def lead_periods(lead_time: np.ndarray, period: float) -> np.ndarray:
    """Lead times in network periods -> whole run periods of length ``period``, rounded up.

    Parameters
    ----------
    lead_time
        Transit time per edge (network periods, finite, >= 0).
    period
        Run period length (network periods, > 0).

    Returns
    -------
    numpy.ndarray
        Integer periods per edge (a lead time within 1e-9 of a whole number of periods
        is that number).

    Raises
    ------
    InvalidInput
        A lead time that is negative, NaN or infinite.
    """
    values = np.asarray(lead_time, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InvalidInput("lead times must be finite numbers of periods >= 0")
    return np.ceil(values / period - 1e-9).clip(min=0).astype(np.int64)


@dataclass(frozen=True)
class _Plan:
    """A solution on global indices: rates per period (rows) and node/edge (columns)."""

    status: SolveStatus
    objective: float  # per-period cost: times ``period`` is the lost profit
    u: np.ndarray  # H × nodes
    y: np.ndarray  # H × edges
    lost: np.ndarray  # H × nodes (rates; 0 without demand)
    late: np.ndarray  # H × nodes, backlog served (rates)
    backlog: np.ndarray  # H × nodes, units waiting at the end of the period
    region_size: int


def _spread(plan: _Plan, lengths: np.ndarray) -> _Plan:
    """A plan over merged periods, each period's rates repeated over its run."""
    if np.all(lengths == 1):
        return plan
    spread = partial(np.repeat, repeats=lengths, axis=0)
    return replace(
        plan,
        u=spread(plan.u),
        y=spread(plan.y),
        lost=spread(plan.lost),
        late=spread(plan.late),
        backlog=spread(plan.backlog),
    )


def _sell_from_stock_first(
    lost: np.ndarray, draw: np.ndarray, demand: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """Lost sales per period with each run's losses moved to the run's last periods.

    Parameters
    ----------
    lost
        Lost sales per merged period and product (``runs × products``, units per network
        period), constant over each run.
    draw
        What each product's stock gives per period when nothing is lost: shipments plus
        demand minus production (units per network period), constant over each run.
    demand
        Demand per product (units per network period).
    lengths
        Each run's length in periods.

    Returns
    -------
    numpy.ndarray
        Lost sales per period (``H × products``). In a run, the ``k · l`` units lost are
        placed from the last period backwards at up to ``min(demand, draw)`` per period,
        so the stock never rises and ends where it did; where that does not fit (or
        nothing is lost) the run keeps its even spread.
    """
    spread = np.repeat(lost, lengths, axis=0)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for run, product in zip(*np.nonzero((lengths[:, None] > 1) & (lost > 0)), strict=True):
        k = int(lengths[run])
        per_period = min(float(demand[product]), float(draw[run, product]))
        total = k * float(lost[run, product])
        if per_period <= 0 or total > k * per_period * (1 + 1e-12):
            continue
        full = min(k, int(total // per_period))
        placed = np.zeros(k)
        placed[k - full :] = per_period
        if full < k:
            placed[k - full - 1] = total - full * per_period
        spread[first[run] : first[run] + k, product] = placed
    return spread


class TimelineModel:
    """A network compiled once for a horizon; solves any capacity profile over it.

    Parameters
    ----------
    network
        The network, or its compiled :class:`StressModel` (then lead times come only from
        ``lead_time``).
    horizon
        Number of periods ``H`` (>= 1).
    period
        Length of each period in network periods (> 0; e.g. ``1/7`` for days on a weekly
        network).
    backlog
        Carry unmet demand to later periods instead of losing it.
    backlog_penalty
        Penalty per unit per network period a sale is late (currency, >= 0).
    lead_time
        Transit time per source edge (network periods); default: the sources'
        ``lead_time`` column where present, else 0.
    regional
        Solve on certified regions where the steady state allows it (see the module).
    foresight
        Plan knowing every future period's capacity, and so build stock ahead of an
        event. Without it (the default), no node's stock is ever above its inventory:
        stocks are drawn down and rebuilt to their normal level (a base-stock policy),
        never built up for an event nobody has announced.
    max_region_fraction
        Above this share of the nodes a region is solved as the whole program.
    solver
        The solver (one instance, reused); a silent :class:`HighsSolver` by default.
    making_most
        Return, of the optimal plans, the one that makes the most it can (a second solve:
        :func:`~chipstress.engine.timeline_program.most_production`), so a plan's
        production does not depend on the solver's path; ``False``: the first optimum
        found (the loss is the same either way).

    Raises
    ------
    InvalidInput
        A horizon, period, penalty or lead time out of range.
    """

    def __init__(
        self,
        network: Network | StressModel,
        horizon: int,
        period: float = 1.0,
        *,
        backlog: bool = False,
        backlog_penalty: float = 0.0,
        lead_time: np.ndarray | Sequence[float] | None = None,
        regional: bool = True,
        foresight: bool = False,
        max_region_fraction: float = 0.5,
        solver: Solver | None = None,
        making_most: bool = True,
    ) -> None:
        if isinstance(horizon, bool) or int(horizon) != horizon or horizon < 1:
            raise InvalidInput(f"horizon must be a whole number of periods >= 1, got {horizon!r}")
        if not np.isfinite(period) or period <= 0:
            raise InvalidInput(f"period must be a finite length > 0, got {period!r}")
        if not np.isfinite(backlog_penalty) or backlog_penalty < 0:
            raise InvalidInput(f"backlog_penalty must be finite and >= 0, got {backlog_penalty!r}")
        self.model = network if isinstance(network, StressModel) else compile_network(network)
        self.horizon = int(horizon)
        self.period = float(period)
        self.penalty: float | None = float(backlog_penalty) if backlog else None
        if lead_time is None and isinstance(network, Network) and "lead_time" in network.sources:
            lead_time = np.nan_to_num(network.sources["lead_time"].to_numpy(dtype=float), nan=0.0)
        raw = np.zeros(self.model.n_edges) if lead_time is None else np.asarray(lead_time, float)
        if raw.shape != (self.model.n_edges,):
            raise InvalidInput(f"give one lead time per source edge ({self.model.n_edges})")
        self.lead = lead_periods(raw, self.period)
        self.max_region_fraction = max_region_fraction
        self.foresight = bool(foresight)
        self.making_most = bool(making_most)
        self.solver: Solver = solver if solver is not None else HighsSolver()
        model = self.model
        self._out = sp.csr_matrix(
            (np.ones(model.n_edges), (np.arange(model.n_edges), model.edge_supplier)),
            shape=(model.n_edges, model.n_nodes),
        )
        self._customers = model.customers
        self._suppliers = model.suppliers
        self._ids = pd.Index(model.node_ids, name="node")
        self._products = np.flatnonzero(model.demand > 0)
        self._steady_basis: (
            tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray] | None
        ) = None
        self._steady = self._solve_steady_state()
        zero = 1e-9 * np.maximum(1.0, model.demand)
        paid = model.edge_premium * self._steady.y[0]
        self.regional = (
            regional
            and self._steady.status == SolveStatus.OPTIMAL
            and bool(np.all(self._steady.lost[0] <= zero))
            and bool(np.all(paid <= 1e-12))
        )
        self._whole: tuple[LPData, TimelineLayout] | None = None
        self._whole_loaded = False  # the solver holds the whole program (else: another)
        self._edges_blocked = False  # the whole program held has edges blocked
        self.solves = 0  # profiles :meth:`loss` solved (not proven lossless beforehand)
        self._basis: tuple[np.ndarray, np.ndarray] | None = None
        self._baseline: TimelineResult | None = None

    # ------------------------------------------------------------------ profiles
    @property
    def in_transit(self) -> np.ndarray:
        """Steady-state shipment per edge (units per network period): what is in transit."""
        return self._steady.y[0].copy()

    def full_profile(self) -> np.ndarray:
        """Full capacity in every period (``n_nodes × H``, units per network period)."""
        return np.repeat(self.model.capacity[:, None], self.horizon, axis=1)

    def profile(self, phases: Sequence[tuple[Mapping[str, float], int]]) -> np.ndarray:
        """A capacity profile from phases ``(node id -> fraction lost, periods)``.

        Parameters
        ----------
        phases
            Consecutive phases from period 1; periods after the last are at full capacity.

        Returns
        -------
        numpy.ndarray
            Capacity per node and period (``n_nodes × H``, units per network period).

        Raises
        ------
        InvalidInput
            An unknown node, a fraction outside [0, 1], or phases longer than the horizon.
        """
        position = {str(node): i for i, node in enumerate(self.model.node_ids)}
        alpha = np.zeros((self.model.n_nodes, self.horizon))
        start = 0
        for losses, length in phases:
            if start + int(length) > self.horizon:
                raise InvalidInput("the phases are longer than the horizon")
            for node, fraction in losses.items():
                if node not in position:
                    raise InvalidInput(f"unknown node {node!r}")
                if not 0 <= float(fraction) <= 1:
                    raise InvalidInput(f"a capacity loss must be in [0, 1], got {fraction!r}")
                alpha[position[node], start : start + int(length)] = float(fraction)
            start += int(length)
        return (1.0 - alpha) * self.model.capacity[:, None]

    def _check_profile(self, capacity_profile: np.ndarray) -> np.ndarray:
        profile = np.asarray(capacity_profile, dtype=float)
        expected = (self.model.n_nodes, self.horizon)
        if profile.shape != expected:
            raise InvalidInput(f"a capacity profile has shape {expected}, got {profile.shape}")
        capacity = self.model.capacity[:, None]
        if not np.all(np.isfinite(profile)) or np.any(profile < 0):
            raise InvalidInput("capacities in a profile must be finite and >= 0")
        if np.any(profile > capacity * (1 + 1e-9) + 1e-12):
            raise InvalidInput("a profile cannot exceed a node's capacity")
        return np.minimum(profile, capacity)

    def program(self, capacity_profile: np.ndarray) -> tuple[LPData, TimelineLayout]:
        """The whole time-expanded program under a capacity profile, to extend or solve.

        Parameters
        ----------
        capacity_profile
            Capacity per node and period (``n_nodes × H``, units per network period).

        Returns
        -------
        tuple of LPData and TimelineLayout
            A fresh program (its optimum times ``period`` is the lost profit, currency)
            and where its blocks are (:func:`chipstress.engine.timeline_program.build_timeline`).

        Raises
        ------
        InvalidInput
            A profile of the wrong shape, negative, or above a node's capacity.
        """
        return self._build(self._check_profile(capacity_profile))

    # ------------------------------------------------------------------ solving
    def baseline(self) -> TimelineResult:
        """The horizon at full capacity (computed once)."""
        if self._baseline is None:
            if self.regional:
                plan = self._held_steady_state()
            else:
                plan = self._solve_whole(self.full_profile())
            self._baseline = self._result(plan, None)
        return self._baseline

    def solve(
        self, capacity_profile: np.ndarray, blocked: np.ndarray | None = None
    ) -> TimelineResult:
        """Solve the horizon under a capacity profile.

        Parameters
        ----------
        capacity_profile
            Capacity per node and period (``n_nodes × H``, units per network period),
            between 0 and each node's capacity.
        blocked
            Source edges that ship nothing in a period (``n_edges × H``, booleans; e.g.
            an export control); shipments made before a block still arrive. With any
            edge blocked the whole program is solved (no regions).

        Returns
        -------
        TimelineResult
            The optimum, with the baseline beside it.

        Raises
        ------
        InvalidInput
            A profile or mask of the wrong shape, or a capacity outside [0, capacity].
        """
        profile, block, baseline, hit = self._inputs(capacity_profile, blocked)
        if not hit.any() and block is None:
            return replace(baseline, baseline=baseline)
        plan = None
        if self.regional and block is None:
            plan = self._drawn_from_stock(profile, hit)
            if plan is None:
                plan = self._solve_regions_until_recovered(profile, hit)
        if plan is None:
            plan = self._solve_merged_whole(profile, block)
        if plan is None:
            plan = self._solve_whole(profile, block)
        return self._result(plan, baseline)

    def loss(self, capacity_profile: np.ndarray, blocked: np.ndarray | None = None) -> float:
        """What an event costs (currency): :meth:`solve`'s ``loss`` alone, faster.

        No tables and no regions: the whole program stays loaded in the solver and a call
        changes only its production (and shipment) bounds, starting from the previous
        call's optimal basis (a hot start; the first from the steady state's). The
        optimum is the same whatever the start; only its last digits (about 1e-14
        relative) may differ. A profile every hit node covers from its own stock costs 0
        without a solve (as in :meth:`solve`). Made for many events on one network (the
        Monte-Carlo); :attr:`solves` counts the programs solved.

        Parameters
        ----------
        capacity_profile
            Capacity per node and period (``n_nodes × H``, units per network period).
        blocked
            Source edges that ship nothing in a period (``n_edges × H``), or ``None``.

        Returns
        -------
        float
            Lost profit beyond the undisrupted horizon's (currency); NaN when the program
            does not solve to optimality.

        Raises
        ------
        InvalidInput
            A profile or mask of the wrong shape, or a capacity outside [0, capacity].
        """
        profile, block, baseline, hit = self._inputs(capacity_profile, blocked)
        if not hit.any() and block is None:
            return 0.0
        if self.regional and block is None and self._drawn_from_stock(profile, hit) is not None:
            return 0.0
        if self._whole is None:
            self._whole = self._build(profile)
        data, layout = self._whole
        if not self._whole_loaded:
            self.solver.load(data, presolve=data.n_rows > PRESOLVE_ROWS)
            self._whole_loaded, self._edges_blocked = True, True
            start = self._basis if self._basis is not None else self._start_basis(layout)
            if start is not None:
                self.solver.set_basis(*start)
        produced = np.arange(data.n_cols)[layout.column_block("u")]
        self.solver.change_col_bounds(produced, np.zeros(len(produced)), profile.T.ravel())
        if block is not None or self._edges_blocked:
            shipped = np.arange(data.n_cols)[layout.column_block("y")]
            upper = np.inf if block is None else np.where(block.T, 0.0, np.inf).ravel()
            self.solver.change_col_bounds(
                shipped, np.zeros(len(shipped)), np.broadcast_to(upper, len(shipped))
            )
            self._edges_blocked = block is not None
        self.solves += 1
        if self.solver.solve() != SolveStatus.OPTIMAL:
            return float("nan")
        return self.period * self.solver.objective() - baseline.lost_profit

    def _inputs(
        self, capacity_profile: np.ndarray, blocked: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, TimelineResult, np.ndarray]:
        """The checked profile and mask, the baseline and which nodes are hit (mask)."""
        profile = self._check_profile(capacity_profile)
        block = self._check_blocked(blocked)
        hit = np.any(profile < self.model.capacity[:, None] * (1 - 1e-12), axis=1)
        return profile, block, self.baseline(), hit

    def _check_blocked(self, blocked: np.ndarray | None) -> np.ndarray | None:
        """The blocked-edge mask, checked (``None`` when nothing is blocked)."""
        if blocked is None:
            return None
        mask = np.asarray(blocked, dtype=bool)
        expected = (self.model.n_edges, self.horizon)
        if mask.shape != expected:
            raise InvalidInput(f"a blocked-edge mask has shape {expected}, got {mask.shape}")
        return mask if mask.any() else None

    def _solve_steady_state(self) -> _Plan:
        """The undisrupted single-period program with no stock (what is in transit)."""
        model = self.model
        data, layout = build_timeline(
            model,
            1,
            1.0,
            model.capacity[:, None],
            np.zeros(model.n_edges, np.int64),
            np.zeros(model.n_edges),
            inventory=False,
        )
        self.solver.load(data, presolve=data.n_rows > PRESOLVE_ROWS)
        status = self.solver.solve()
        best = self.solver.objective() if status == SolveStatus.OPTIMAL else np.nan
        if status == SolveStatus.OPTIMAL:
            status = self._least_shipments(data, layout)
        cols, rows = self.solver.basis()
        lower = np.int8(BasisStatus.LOWER)
        per_node = {"u": np.full(model.n_nodes, lower), "s": np.full(model.n_nodes, lower)}
        per_node["l"] = np.full(model.n_nodes, lower)
        if status == SolveStatus.OPTIMAL:
            per_node["u"][layout.nodes] = cols[layout.column_block("u")]
            per_node["s"][layout.nodes] = cols[layout.column_block("s")]
            per_node["l"][layout.products] = cols[layout.column_block("l")]
            self._steady_basis = (
                per_node,
                cols[layout.column_block("y")],
                rows[layout.row_block("bom")],
                rows[layout.row_block("stock")],
            )
        plan = self._plan(status, layout, 1, None)
        return replace(plan, objective=best) if status == SolveStatus.OPTIMAL else plan

    def _least_shipments(self, data: LPData, layout: TimelineLayout) -> SolveStatus:
        """Among the undisrupted optimal plans just solved, the one that ships least.

        What is in transit when a horizon starts is what the undisrupted network needs,
        not any surplus an optimal plan may ship (a plan that over-ships would let an
        early customer stock up for free on arrivals its supplier never had to make).
        Lost sales and the shipments on edges that charge a premium stay as solved, so
        the profit is unchanged; the sum of the other shipments is minimised.

        Parameters
        ----------
        data
            The single-period steady-state program, just solved to optimality.
        layout
            Its layout.

        Returns
        -------
        SolveStatus
            How the second solve ended.
        """
        x = self.solver.solution().col_value
        cols, rows = self.solver.basis()
        lower, upper = data.col_lower.copy(), data.col_upper.copy()
        kept = np.arange(data.n_cols)[layout.column_block("l")]
        y_block = np.arange(data.n_cols)[layout.column_block("y")]
        paid = y_block[self.model.edge_premium[layout.edges] > 0]
        kept = np.concatenate([kept, paid])
        lower[kept] = upper[kept] = np.asarray(x)[kept]
        cost = np.zeros(data.n_cols)
        cost[np.setdiff1d(y_block, paid)] = 1.0
        self.solver.load(replace(data, cost=cost, col_lower=lower, col_upper=upper))
        self.solver.set_basis(cols, rows)
        return self.solver.solve()

    def _start_basis(self, layout: TimelineLayout) -> tuple[np.ndarray, np.ndarray] | None:
        """The steady state's basis in every period, for a program's layout (``None``: none).

        Every period repeats the steady state's statuses (stock columns at 0, backlog
        columns at 0 with their rows basic): a basis of the right size that the solver
        completes where the region's border makes it singular.
        """
        if self._steady_basis is None:
            return None
        per_node, y, bom, stock = self._steady_basis
        h = layout.horizon
        lower, basic = np.int8(BasisStatus.LOWER), np.int8(BasisStatus.BASIC)
        cols = [
            np.tile(per_node["u"][layout.nodes], h),
            np.tile(y[layout.edges], h),
            np.tile(per_node["l"][layout.products], h),
            np.tile(per_node["s"][layout.nodes], h),
        ]
        rows = [np.tile(bom[layout.bom_lines], h), np.tile(stock[layout.nodes], h)]
        if layout.backlog:
            cols.append(np.full(2 * h * layout.n_products, lower))
            rows.append(np.full(h * layout.n_products, basic))
        return np.concatenate(cols).astype(np.int8), np.concatenate(rows).astype(np.int8)

    def _plan(
        self, status: SolveStatus, layout: TimelineLayout, horizon: int, held: _Plan | None
    ) -> _Plan:
        """Read the solver's solution into global arrays (``held`` outside the program)."""
        model = self.model
        h, n, m = horizon, model.n_nodes, model.n_edges
        if held is None:
            u, y, lost = np.zeros((h, n)), np.zeros((h, m)), np.zeros((h, n))
        else:
            u, y, lost = held.u.copy(), held.y.copy(), held.lost.copy()
        late, backlog = np.zeros((h, n)), np.zeros((h, n))
        if status != SolveStatus.OPTIMAL:
            nan = np.full((h, n), np.nan)
            return _Plan(status, np.nan, nan, np.full((h, m), np.nan), nan, nan, nan, n)
        x = self.solver.solution().col_value
        u[:, layout.nodes] = x[layout.column_block("u")].reshape(h, -1)
        y[:, layout.edges] = x[layout.column_block("y")].reshape(h, -1)
        lost[:, layout.products] = x[layout.column_block("l")].reshape(h, -1)
        if layout.backlog:
            late[:, layout.products] = x[layout.column_block("w")].reshape(h, -1)
            backlog[:, layout.products] = x[layout.column_block("b")].reshape(h, -1)
        return _Plan(status, self.solver.objective(), u, y, lost, late, backlog, layout.n_nodes)

    def _plan_making_most(
        self,
        status: SolveStatus,
        data: LPData,
        layout: TimelineLayout,
        horizon: int,
        held: _Plan | None,
        lengths: np.ndarray | None,
    ) -> _Plan:
        """:meth:`_plan` of the optimal plan that makes the most it can (the second stage).

        The plan's value is the first stage's (the loss does not move); its production,
        shipments and lost units are the second stage's (:func:`most_production`): of
        the equally good plans, the one whose nodes fall least below their undisrupted
        rate, so what a node did not make is what the event forced, whichever path the
        solver took to the optimum. Should the second stage not solve, the first stage's
        plan is kept.
        """
        first = self._plan(status, layout, horizon, held)
        if status != SolveStatus.OPTIMAL or not self.making_most:
            return first
        second = most_production(data, layout, self._steady.u[0], first.objective, lengths)
        self.solver.load(second, presolve=True)  # cold: faster than the first stage's basis
        self._whole_loaded = False  # the solver now holds the second stage
        again = self.solver.solve()
        if again != SolveStatus.OPTIMAL:
            return first
        return replace(self._plan(again, layout, horizon, held), objective=first.objective)

    def _held_steady_state(self, horizon: int | None = None) -> _Plan:
        """The steady state in every period (lost nothing: the regional baseline)."""
        steady, h = self._steady, self.horizon if horizon is None else horizon
        tile = np.ones((h, 1))
        zeros = np.zeros((h, self.model.n_nodes))
        return _Plan(
            SolveStatus.OPTIMAL,
            h * steady.objective,
            steady.u * tile,
            steady.y * tile,
            steady.lost * tile,
            zeros,
            zeros.copy(),
            0,
        )

    def _build(
        self,
        profile: np.ndarray,
        region: np.ndarray | None = None,
        lengths: np.ndarray | None = None,
    ) -> tuple[LPData, TimelineLayout]:
        """The program over the profile's periods (of ``lengths`` run periods, default 1),
        for the whole network or a region."""
        steady = np.nan_to_num(self._steady.y[0])  # NaN only if the steady state failed
        return build_timeline(
            self.model,
            profile.shape[1],
            self.period,
            profile,
            self.lead,
            steady,
            backlog_penalty=self.penalty,
            region=region,
            border_flow=steady if region is not None else None,
            stock_cap=None if self.foresight else self.model.inventory,
            lengths=lengths,
        )

    def _merged(
        self, profile: np.ndarray, blocked: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Runs of periods to merge (:func:`merge_periods`): none with lead times or backlog."""
        horizon = profile.shape[1]
        if self.penalty is not None or np.any(self.lead > 0):
            return np.arange(horizon), np.ones(horizon, np.int64)
        if blocked is None:
            return merge_periods(profile)
        return merge_periods(np.vstack([profile, blocked.astype(float)]))

    def _solve_merged_whole(
        self, profile: np.ndarray, blocked: np.ndarray | None = None
    ) -> _Plan | None:
        """The whole program with runs of equal periods merged, if that halves it (else ``None``).

        A one-off program (the cached whole program keeps every period, for hot starts).
        """
        starts, lengths = self._merged(profile, blocked)
        if 2 * len(starts) > profile.shape[1]:
            return None

        def solve(starts: np.ndarray, lengths: np.ndarray) -> _Plan:
            data, layout = self._build(profile[:, starts], None, lengths)
            if blocked is not None:
                data.col_upper[layout.column_block("y")] = np.where(
                    blocked[:, starts].T, 0.0, np.inf
                ).ravel()
            self.solver.load(data, presolve=data.n_rows > PRESOLVE_ROWS)
            self._whole_loaded = False
            start = self._start_basis(layout)
            if start is not None:
                self.solver.set_basis(*start)
            return self._plan_making_most(
                self.solver.solve(), data, layout, len(starts), None, lengths
            )

        return self._solve_merged(solve, starts, lengths)

    def _solve_merged(
        self,
        solve: Callable[[np.ndarray, np.ndarray], _Plan | None],
        starts: np.ndarray,
        lengths: np.ndarray,
    ) -> _Plan | None:
        """Solve over merged runs and spread the plan back, selling from stock first.

        A merged plan holds every rate constant over a run, so where a product's stock
        moves while demand is lost, the loss is spread over the run. Among the plans with
        the same rates of production and shipment, the one that sells from stock first
        and loses only at the end of the run is as good (the same lost units in the run,
        the stock falling from the same start to the same end): each such run's lost
        sales are moved to its last periods (:func:`_sell_from_stock_first`).
        """
        plan = solve(starts, lengths)
        if plan is None or plan.status != SolveStatus.OPTIMAL or np.all(lengths == 1):
            return None if plan is None else _spread(plan, lengths)
        spread = _spread(plan, lengths)
        products = self._products
        outflow = np.asarray(self._out.T @ plan.y.T).T[:, products] + self.model.demand[products]
        lost = _sell_from_stock_first(
            plan.lost[:, products],
            outflow - plan.u[:, products],
            self.model.demand[products],
            lengths,
        )
        spread.lost[:, products] = lost
        return spread

    def _solve_whole(self, profile: np.ndarray, blocked: np.ndarray | None = None) -> _Plan:
        """The whole program, warm-started from the last optimal basis."""
        if self._whole is None:
            self._whole = self._build(profile)
        data, layout = self._whole
        data.col_upper[layout.column_block("u")] = profile.T.ravel()
        shipped = layout.column_block("y")
        data.col_upper[shipped] = (
            np.inf if blocked is None else np.where(blocked.T, 0.0, np.inf).ravel()
        )
        start = self._basis if self._basis is not None else self._start_basis(layout)
        self.solver.load(data, presolve=start is None and data.n_rows > PRESOLVE_ROWS)
        self._whole_loaded, self._edges_blocked = True, blocked is not None
        if start is not None:
            self.solver.set_basis(*start)
        status = self.solver.solve()
        if status == SolveStatus.OPTIMAL:
            self._basis = self.solver.basis()
        return self._plan_making_most(status, data, layout, self.horizon, None, None)

    # ------------------------------------------------------------------ regions
    def _reach(self, start: np.ndarray, rows: CompressedRows) -> np.ndarray:
        """Mask of every node reachable from ``start`` (mask) along ``rows``."""
        return reach(start, rows.indptr, rows.indices)

    def initial_region(self, hit: np.ndarray) -> np.ndarray:
        """The ``hit`` nodes (mask) and everything downstream of them.

        Smaller than the single window's first region (which adds every source of the
        lines the downstream nodes feed, with its supply tree): a time-expanded program
        is ``H`` times larger per node, and the certificate brings in the suppliers that
        should ship more, one tier per round.
        """
        return self._reach(hit, self._customers)

    def _drawn_from_stock(self, profile: np.ndarray, hit: np.ndarray) -> _Plan | None:
        """The steady state with each hit node's shortfall drawn from its own stock, if it can.

        When every hit node's cumulative shortfall below its steady-state production,
        ``Σ_{τ≤t} p · max(0, u*_i − c[i,τ])``, stays within its inventory, the plan that
        makes ``min(u*_i, c[i,t])``, draws the rest from stock (which stays between 0 and
        the inventory) and keeps every other flow at the steady state is feasible and
        loses nothing: optimal, as the regional baseline is (``None`` otherwise: solve).
        """
        steady = self._steady.u[0]
        nodes = np.flatnonzero(hit)
        short = np.maximum(0.0, steady[nodes, None] - profile[nodes])
        drawn = self.period * np.cumsum(short, axis=1)
        room = self.model.inventory[nodes, None] * (1 - 1e-9)
        if np.any(drawn > room):
            return None
        held = self._held_steady_state()
        u = held.u.copy()
        u[:, nodes] = np.minimum(steady[nodes, None], profile[nodes]).T
        return replace(held, u=u)

    def _solve_regions_until_recovered(self, profile: np.ndarray, hit: np.ndarray) -> _Plan | None:
        """:meth:`_solve_regions` over the periods up to recovery, the steady state after.

        Let ``E`` be the last period in which a node is short of capacity. Without
        backlog and lead times, the periods after ``E`` cost nothing in an optimal plan:
        dropping them is a relaxation (costs are >= 0 and the first ``E`` periods of any
        plan are a plan of the shorter program), and the shorter program's optimum
        followed by the steady state (lossless, needing no stock, feasible from any
        stock level at full capacity) is a plan of the whole horizon with the same cost.
        So the shorter program is solved and the steady state held after it — exact, and
        ``H / E`` times smaller. With a lead time, arrivals after ``E`` depend on what was
        shipped before: the whole horizon is solved (``None`` if too big).
        """
        short = np.flatnonzero(np.any(profile < self.model.capacity[:, None] * (1 - 1e-12), axis=0))
        end = int(short.max(initial=-1)) + 1
        if self.penalty is not None or np.any(self.lead > 0) or end > 0.75 * self.horizon:
            return self._solve_regions(profile, hit)  # (a cut of a few periods saves little)
        plan = self._solve_regions(profile[:, :end], hit)
        if plan is None or plan.status != SolveStatus.OPTIMAL:
            return plan
        after = self._held_steady_state(self.horizon - end)
        return _Plan(
            plan.status,
            plan.objective + after.objective,
            np.vstack([plan.u, after.u]),
            np.vstack([plan.y, after.y]),
            np.vstack([plan.lost, after.lost]),
            np.vstack([plan.late, after.late]),
            np.vstack([plan.backlog, after.backlog]),
            plan.region_size,
        )

    def _solve_regions(self, profile: np.ndarray, hit: np.ndarray) -> _Plan | None:
        """Solve on growing regions until the border certificate holds (``None``: too big).

        The program runs over the profile's periods (the horizon, or fewer). Without lead
        times and backlog, runs of periods with the same capacities are merged into one
        period each (exact: :func:`merge_periods`) and the plan is spread back over them.
        """
        starts, lengths = self._merged(profile)
        return self._solve_merged(
            lambda at, k: self._solve_merged_regions(profile[:, at], k, hit), starts, lengths
        )

    def _solve_merged_regions(
        self, profile: np.ndarray, lengths: np.ndarray, hit: np.ndarray
    ) -> _Plan | None:
        """:meth:`_solve_regions` over periods of the given lengths (in run periods)."""
        horizon = profile.shape[1]
        region = self.initial_region(hit)
        held = self._held_steady_state(horizon)
        last: tuple[TimelineLayout, np.ndarray, np.ndarray] | None = None
        while region.sum() <= self.max_region_fraction * self.model.n_nodes:
            data, layout = self._build(profile, region, lengths)
            # A large region is solved cold after presolve: its steady-state start is far
            # from dual feasible (the capacity lost moves many flows), and presolve
            # shrinks the program more than the start saves (tohoku_2011: 0.31 -> 0.17 s).
            cold = data.n_rows > PRESOLVE_ROWS
            self.solver.load(data, presolve=cold)
            self._whole_loaded = False
            start = None if cold else self._start_basis(layout)
            if start is not None and last is not None:
                start = carry_basis(last, layout, start)
            if start is not None:
                self.solver.set_basis(*start)
            status = self.solver.solve()
            if status != SolveStatus.OPTIMAL:
                return None
            grow = self._border_violations(layout, self.solver.solution().row_dual, region, lengths)
            if not len(grow):
                return self._plan_making_most(status, data, layout, horizon, held, lengths)
            last = (layout, *self.solver.basis())
            region = region.copy()
            region[grow] = True
        return None

    def _border_violations(
        self, layout: TimelineLayout, pi: np.ndarray, region: np.ndarray, lengths: np.ndarray
    ) -> np.ndarray:
        """Nodes to add: across held border edges whose reduced cost, in some period, disagrees.

        Edge e shipped in period t has reduced cost ``k_t · premium_e − π_stock(supplier, t)
        + π_bom(line, t + L_e)`` (the BOM term only while ``t + L_e < H``; ``k_t`` the
        period's length in run periods), each dual from the region's program when its row
        is inside and 0 outside.
        """
        model, h = self.model, layout.horizon
        node_local = np.full(model.n_nodes, -1, dtype=np.int64)
        node_local[layout.nodes] = np.arange(layout.n_nodes)
        bom_local = np.full(model.n_bom, -1, dtype=np.int64)
        bom_local[layout.bom_lines] = np.arange(layout.n_bom)
        pi_stock = pi[layout.row_block("stock")].reshape(h, -1)
        pi_bom = pi[layout.row_block("bom")].reshape(h, -1)
        scale = float(np.max(np.abs(pi), initial=0.0)) + float(
            np.max(model.edge_premium, initial=0.0)
        )
        tolerance = 1e-9 * (1.0 + scale)
        flow = self._steady.y[0]
        out_edges, in_edges = layout.boundary_out, layout.boundary_in
        weight = np.asarray(lengths, dtype=float)[:, None]
        reduced_out = (
            weight * model.edge_premium[out_edges][None, :]
            - pi_stock[:, node_local[model.edge_supplier[out_edges]]]
        )
        reduced_in = weight * model.edge_premium[in_edges][None, :]
        arrival = np.arange(h)[:, None] + self.lead[in_edges][None, :]
        inside = arrival < h
        lines = np.broadcast_to(bom_local[model.edge_bom_row[in_edges]][None, :], arrival.shape)
        reduced_in[inside] += pi_bom[arrival[inside], lines[inside]]
        grow = []
        for edges, reduced, far_end in (
            (out_edges, reduced_out, model.edge_customer),
            (in_edges, reduced_in, model.edge_supplier),
        ):
            carrying = flow[edges] > 1e-9 * (1.0 + np.abs(flow[edges]))
            bad = np.where(
                carrying[None, :], np.abs(reduced) > tolerance, reduced < -tolerance
            ).any(axis=0)
            far = np.zeros(model.n_nodes, bool)
            far[far_end[edges[bad]]] = True
            grow.append(far)
        added = self._reach(grow[0], self._customers) | grow[1]
        return np.flatnonzero(added & ~region)

    # ------------------------------------------------------------------ results
    def _result(self, plan: _Plan, baseline: TimelineResult | None) -> TimelineResult:
        """Tables of a plan (units and currency over each period)."""
        model, h, p = self.model, self.horizon, self.period
        periods = pd.RangeIndex(1, h + 1, name="period")
        products = self._products
        ids = self._ids
        product_ids = ids[products]
        demand = model.demand[None, :]
        net = np.asarray(self._out.T @ plan.y.T).T + demand - plan.lost + plan.late - plan.u
        stock = model.inventory[None, :] - p * np.cumsum(net, axis=0)
        if not self.foresight:  # what is made beyond the normal level is not kept
            stock = np.minimum(stock, model.inventory[None, :])
        premium_cost = p * float(np.sum(plan.y @ model.edge_premium))
        if self.penalty is None:
            lost_units = p * plan.lost[:, products]
            lost_money = lost_units * model.margin[products][None, :]
            backlog = None
        else:
            waiting = plan.backlog[:, products]
            lost_units = np.zeros_like(waiting)
            lost_units[-1] = waiting[-1]
            lost_money = p * self.penalty * waiting
            lost_money[-1] = model.margin[products] * waiting[-1]
            backlog = pd.DataFrame(waiting.T, index=product_ids, columns=periods)
        return TimelineResult(
            status=plan.status,
            lost_profit=p * plan.objective,
            horizon=h,
            period=p,
            lost_units=pd.DataFrame(lost_units.T, index=product_ids, columns=periods),
            lost_profit_by_period=pd.DataFrame(lost_money.T, index=product_ids, columns=periods),
            stock=pd.DataFrame(stock.T, index=ids, columns=periods),
            production=pd.DataFrame(p * plan.u.T, index=ids, columns=periods),
            backlog=backlog,
            premium_cost=premium_cost,
            region_size=plan.region_size,
            baseline=baseline,
        )
