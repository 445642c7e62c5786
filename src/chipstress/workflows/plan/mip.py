"""The exact planner for site measures: one mixed-integer program, solved with HiGHS.

Measures (over every site taken down alone for its own time to recover, as in a sweep):

* ``worst`` — the largest lost profit of any single site (currency);
* ``exposed`` — the number of sites whose TTR exceeds their TTS, i.e. that lose demand
  (units) over their TTR.

The program holds one copy of the time-to-recover program (per period, whole network,
:func:`chipstress.engine.formulation.build_lp`) per *scenario*: a site that loses at
baseline, at its TTR — and, where some action cuts that TTR, one more copy per shorter
TTR. The network of every copy is the *superset*: the network plus every candidate
qualified line. Binary ``x_a`` switches action ``a`` on:

* inventory ``+Δ`` at node i: the flow row of i gets ``−(Δ/T)·x_a`` (stock is spread over
  the copy's window of ``T`` periods, as in the program's right-hand side);
* capacity ``+Δ`` at node i: ``u'_i − (1−α_i)·Δ·x_a ≤ (1−α_i)·capacity_i``;
* a qualified line ℓ: ``u'_ℓ − (1−α_ℓ)·capacity_ℓ·x_a ≤ 0`` (no line, no flow through it;
  ``α_ℓ`` is 1 when its supplier is the site down, ``min(1, lead/T)`` for a reactive one);
* a TTR cut of site s to ``T'``: the choice between the copy at the old and the new TTR —
  ``z ≥ lost_T − M_s·Σ{x_c : cut c reaches below T}`` for each of the site's copies, with
  ``M_s`` the site's baseline loss (no copy can lose more: see below);
* the budget: ``Σ cost_a·x_a ≤ B``.

``worst``: minimise ``z`` with ``z ≥ T·(Σ margin·l' + Σ premium·y')`` per copy (scaled by
the baseline's worst loss), and ``z ≥`` the largest loss of a site without a copy.
``exposed``: binary ``e_s`` with ``Σ l'_s ≤ D·e_s`` (``D`` = total demand per period, so a
site can only be counted out when it loses no unit), minimise ``Σ e_s``.

**Why sites that lose nothing at baseline need no copy.** Every action enlarges the
feasible set of every copy: more stock raises a right-hand side, more capacity raises a
bound, a qualified line adds columns that may stay at zero (its premium is paid only on
what it ships), a reactive line is available for part of the window instead of none.
So the optimum of each site's program can only fall when actions are added, and a site
that loses nothing (or no unit) at baseline loses nothing with any set of actions. A
shorter TTR cannot raise the loss either: a plan for ``T`` periods scaled to ``T' < T``
is feasible and loses ``T'/T`` as much. The same monotonicity makes ``M_s`` a valid
big-M. Both facts are tested on random networks against brute force.

Ties are broken by cost: a second solve finds the cheapest plan whose measure is the
optimum. Budgets are solved in increasing order, each started from the plan of the
last (still feasible with more money), so more budget never gives a worse measure.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chipstress.engine.solver import HighsSolver, Solver, SolveStatus
from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.workflows.plan.actions import Action
from chipstress.workflows.plan.program import Assembler, Superset
from chipstress.workflows.plan.result import Measure

__all__ = ["MipPoint", "SiteProgram", "WorstProgram", "tie_detail"]

# Lost units per period up to this share of the total demand count as none (0: HiGHS
# handles a zero right-hand side more reliably than a tiny one; its own feasibility
# tolerance still applies).
UNIT_TOLERANCE = 0.0


@dataclass(frozen=True)
class MipPoint:
    """One solve: the actions chosen, the program's measure and its proven bound.

    ``status`` is how the search for the measure ended; ``status_detail`` says what else
    happened, e.g. ``cheapest tie: time_limit`` when the second solve (the cheapest plan
    reaching the optimum) stopped early ("" when nothing did).
    """

    chosen: tuple[int, ...]
    value: float
    bound: float
    status: SolveStatus
    seconds: float
    solution: np.ndarray
    status_detail: str = ""


def tie_detail(status: SolveStatus, tie_status: SolveStatus) -> str:
    """The ``status_detail`` of a solve whose tie-break (cheapest plan) ended in ``tie_status``.

    Parameters
    ----------
    status
        How the search for the measure ended.
    tie_status
        How the search for the cheapest plan reaching it ended.

    Returns
    -------
    str
        ``cheapest tie: <tie_status>`` when the measure is optimal but the tie-break is
        not; ``""`` otherwise.
    """
    if tie_status != SolveStatus.OPTIMAL and status == SolveStatus.OPTIMAL:
        return f"cheapest tie: {tie_status}"
    return ""


@dataclass
class _Copy:
    site: str
    duration: float
    relaxed_by: list[int]  # actions whose cut reaches below this copy's duration


class SiteProgram:
    """The planner's MIP for the ``worst`` or ``exposed`` measure of one network.

    Parameters
    ----------
    network
        The network as it is (no candidate action applied).
    actions
        The candidates (increments over ``network``).
    measure
        ``worst`` or ``exposed``.
    baseline
        The network's site sweep (:func:`chipstress.workflows.whatif.site_sweep`).
    time_limit
        Seconds per MIP solve (the status says ``time_limit`` when reached).
    sites
        Give copies only to these of the sites that lose at baseline (``worst``: the
        others cannot exceed the optimum — see :class:`WorstProgram`); ``None`` for all.
    superset
        The :class:`Superset` of ``network`` and ``actions``, if already built.
    solver
        The solver to hold the program (a fresh :class:`chipstress.engine.HighsSolver`
        by default).

    Raises
    ------
    InvalidInput
        ``measure`` is neither ``worst`` nor ``exposed``.
    """

    def __init__(
        self,
        network: Network,
        actions: Sequence[Action],
        measure: Measure | str,
        baseline: pd.DataFrame,
        time_limit: float = 120.0,
        sites: Iterable[str] | None = None,
        superset: Superset | None = None,
        solver: Solver | None = None,
    ) -> None:
        if measure not in (Measure.WORST, Measure.EXPOSED):
            raise InvalidInput(f"the MIP handles the measures worst and exposed, not {measure!r}")
        self.network = network
        self.actions = list(actions)
        self.measure = Measure(measure)
        self.time_limit = time_limit
        self.costs = np.array([a.cost for a in self.actions], dtype=float)
        self.superset = superset or Superset(network, self.actions)
        self.only = None if sites is None else set(sites)
        self._scenarios(baseline)
        self._build()
        self.solver: Solver = HighsSolver() if solver is None else solver
        # No presolve: HiGHS 1.16's MIP presolve has returned wrong "optimal" answers on
        # these programs (brute-force tests), with and without a starting solution.
        self.solver.load(self.data, presolve=False)
        for option, value in (
            ("mip_rel_gap", 1e-7),
            ("mip_abs_gap", 1e-9),
            ("time_limit", float(time_limit)),
        ):
            self.solver.set_option(option, value)

    def _scenarios(self, baseline: pd.DataFrame) -> None:
        """Sites that lose at baseline, each at its TTR and at every shorter cut TTR."""
        table = baseline[baseline["status"] == "optimal"]
        lost = table["lost_profit"].fillna(0.0)
        self.scale = max(1.0, float(lost.to_numpy(dtype=float).max(initial=0.0)))
        if self.measure == "worst":
            losing = lost > 1e-9 * self.scale
        else:
            losing = table["exposed"].astype(bool)
        self.floor = 0.0  # the worst loss among sites without a copy (scaled)
        if self.measure == "worst" and (~losing).any():
            self.floor = float(lost[~losing].max()) / self.scale
        self.baseline_loss = dict(zip(table["node"], lost, strict=True))
        self.copies: list[_Copy] = []
        self.sites: list[str] = []
        cuts = self.superset.cuts
        pairs = zip(table.loc[losing, "node"], table.loc[losing, "duration"], strict=True)
        self.losing: dict[str, float] = {}
        for node, duration in pairs:
            node, duration = str(node), float(duration)
            if not np.isfinite(duration) or duration <= 0:
                continue
            self.losing[node] = self.baseline_loss[node]
            if self.only is not None and node not in self.only:
                continue
            self.sites.append(node)
            levels = sorted({t for _, t in cuts.get(node, []) if t < duration}, reverse=True)
            for level in [duration, *levels]:
                relaxed = [k for k, t in cuts.get(node, []) if t < level]
                self.copies.append(_Copy(node, level, relaxed))

    def _build(self) -> None:
        asm = Assembler()
        n_actions = len(self.actions)
        self.x0 = asm.columns(np.zeros(n_actions), np.ones(n_actions), integer=True)
        self.blocks = blocks = [
            self.superset.add_copy(
                asm, self.x0, self.superset.site_alpha({c.site: 1.0}, c.duration), c.duration
            )
            for c in self.copies
        ]
        if self.measure == "worst":
            self.n_measure = 1
            self.m0 = asm.columns(np.array([self.floor]), np.array([np.inf]), np.ones(1))
        else:
            self.n_measure = len(self.sites)
            self.m0 = asm.columns(
                np.zeros(self.n_measure), np.ones(self.n_measure), np.ones(self.n_measure), True
            )
        site_column = {site: self.m0 + k for k, site in enumerate(self.sites)}
        total_demand = float(self.superset.model.demand.sum())
        for copy, block in zip(self.copies, blocks, strict=True):
            relax = [self.x0 + k for k in copy.relaxed_by]
            if self.measure == "worst":  # z ≥ T·(margin·l' + premium·y')/scale − M·Σ x_cut
                big = self.baseline_loss[copy.site] / self.scale
                nonzero = np.flatnonzero(block.cost)
                asm.row(
                    [*(block.col + nonzero).tolist(), self.m0, *relax],
                    [
                        *(block.cost[nonzero] * block.duration / self.scale).tolist(),
                        -1.0,
                        *[-big] * len(relax),
                    ],
                    -np.inf,
                    0.0,
                )
            else:  # Σ l' ≤ D·e_s + D·Σ x_cut (+ a tolerance)
                lost = list(range(block.lost, block.col + block.width))
                asm.row(
                    [*lost, site_column[copy.site], *relax],
                    [*[1.0] * len(lost), -total_demand, *[-total_demand] * len(relax)],
                    -np.inf,
                    UNIT_TOLERANCE * total_demand,
                )
        self.budget_row = asm.row(
            [self.x0 + k for k in range(n_actions)], self.costs.tolist(), -np.inf, 0.0
        )
        self.cap_row = asm.row(
            list(range(self.m0, self.m0 + self.n_measure)),
            [1.0] * self.n_measure,
            -np.inf,
            np.inf,
        )
        self.data = asm.program()
        self.measure_cost = self.data.cost.copy()
        total = float(self.costs.sum())
        self.tie_cost = np.zeros(self.data.n_cols)
        if total > 0:
            self.tie_cost[self.x0 : self.x0 + n_actions] = self.costs / total

    # ------------------------------------------------------------------ solving
    @property
    def size(self) -> tuple[int, int, int]:
        """(rows, columns, integer columns) of the program."""
        assert self.data.integer is not None
        return self.data.n_rows, self.data.n_cols, int(self.data.integer.sum())

    def measure_value(self, solution: np.ndarray) -> float:
        """The program's measure at a solution: currency (worst) or a count (exposed)."""
        part = solution[self.m0 : self.m0 + self.n_measure]
        if self.measure == "worst":
            return float(part[0]) * self.scale
        return float(np.round(part).sum())

    def _run(self, start: np.ndarray | None) -> tuple[SolveStatus, np.ndarray | None, float]:
        # A fresh search each time: HiGHS must not reuse a previous search's state
        # (after bound and cost changes it has been seen to stop at a wrong "optimum").
        self.solver.start_from(start)
        status = self.solver.solve()
        values = self.solver.solution().col_value if self.solver.has_solution() else None
        return status, values, self.solver.mip_bound()

    def chosen(self, solution: np.ndarray) -> tuple[int, ...]:
        """Indices of the actions a solution switches on."""
        part = solution[self.x0 : self.x0 + len(self.actions)]
        return tuple(int(k) for k in np.flatnonzero(part > 0.5))

    def minimise(
        self, budget: float, start: np.ndarray | None = None
    ) -> tuple[SolveStatus, np.ndarray | None, float]:
        """Minimise the measure within ``budget``: ``(status, solution, proven bound)``;
        the bound is in the measure's units (currency or a count)."""
        self.solver.change_row_bounds(self.budget_row, -np.inf, float(budget))
        self.solver.change_row_bounds(self.cap_row, -np.inf, np.inf)
        self.solver.change_costs(self.measure_cost)
        status, values, bound = self._run(start)
        return status, values, bound * self.scale if self.measure == "worst" else bound

    def cheapest(
        self, budget: float, cap: float, start: np.ndarray | None = None
    ) -> tuple[SolveStatus, np.ndarray | None]:
        """The cheapest plan within ``budget`` whose measure is at most ``cap`` (its units).

        Parameters
        ----------
        budget
            The most the plan may cost (currency).
        cap
            The largest measure allowed (currency, or sites for ``exposed``).
        start
            A feasible plan to start the search from (column values), or ``None``.

        Returns
        -------
        tuple of (SolveStatus, numpy.ndarray or None)
            The solve status and the column values (``None`` without a solution).
        """
        self.solver.change_row_bounds(self.budget_row, -np.inf, float(budget))
        worst = self.measure == "worst"
        limit = cap / self.scale * (1 + 1e-7) + 1e-10 if worst else cap + 0.5
        self.solver.change_row_bounds(self.cap_row, -np.inf, float(limit))
        self.solver.change_costs(self.tie_cost)
        status, values, _ = self._run(start)
        return status, values

    def start_from(self, other: SiteProgram, solution: np.ndarray) -> np.ndarray:
        """A solution of this program from one of ``other`` (same actions, a superset of
        this program's copies): the actions, the measure and the matching copies."""
        values = np.zeros(self.data.n_cols)
        values[self.x0 : self.x0 + len(self.actions)] = solution[
            other.x0 : other.x0 + len(other.actions)
        ]
        if self.measure == "worst":
            values[self.m0] = solution[other.m0]
        where = {(c.site, c.duration): b for c, b in zip(other.copies, other.blocks, strict=True)}
        for copy, block in zip(self.copies, self.blocks, strict=True):
            source = where[(copy.site, copy.duration)]
            values[block.col : block.col + block.width] = solution[
                source.col : source.col + source.width
            ]
        return values

    def solve(self, budget: float, start: np.ndarray | None = None) -> MipPoint:
        """The cheapest plan minimising the measure within ``budget`` (currency).

        ``start`` is a full solution of this program to start from (e.g. a smaller
        budget's): the answer is never worse than it.
        """
        started = time.perf_counter()
        status, values, bound = self.minimise(budget, start)
        if values is None:
            return MipPoint((), np.nan, np.nan, status, time.perf_counter() - started, np.zeros(0))
        best = self.measure_value(values)
        tie_status, tie_values = self.cheapest(budget, best, values)
        detail = ""
        if tie_values is not None:
            values = tie_values
            detail = tie_detail(status, tie_status)
        return MipPoint(
            self.chosen(values),
            self.measure_value(values),
            min(bound, best),
            status,
            time.perf_counter() - started,
            values,
            detail,
        )


class WorstProgram:
    """The ``worst`` measure: the full program, and small programs to break ties.

    The optimum ``z*`` comes from the program with a copy for every site that loses at
    baseline. To find the cheapest plan reaching ``z*``, only sites whose baseline loss
    exceeds ``z*`` need copies: a site's loss under any plan is at most its baseline
    loss, so the others cannot exceed ``z*``. At large budgets (small ``z*``) that is
    most sites; at small budgets a handful, which makes the second solve much faster.
    """

    def __init__(
        self,
        network: Network,
        actions: Sequence[Action],
        baseline: pd.DataFrame,
        time_limit: float = 120.0,
    ) -> None:
        self.network = network
        self.actions = list(actions)
        self.baseline = baseline
        self.time_limit = time_limit
        self.superset = Superset(network, self.actions)
        self.full = SiteProgram(
            network, self.actions, "worst", baseline, time_limit, superset=self.superset
        )
        self.ties: dict[frozenset[str], SiteProgram] = {}
        self.start: np.ndarray | None = None

    def _tie_program(self, sites: frozenset[str]) -> SiteProgram:
        if sites not in self.ties:
            self.ties[sites] = SiteProgram(
                self.network,
                self.actions,
                "worst",
                self.baseline,
                self.time_limit,
                sites=sites,
                superset=self.superset,
            )
        return self.ties[sites]

    def solve(self, budget: float) -> MipPoint:
        """The cheapest plan minimising the worst site loss within ``budget`` (currency)."""
        started = time.perf_counter()
        full = self.full
        status, values, bound = full.minimise(budget, self.start)
        if values is None:
            return MipPoint((), np.nan, np.nan, status, time.perf_counter() - started, np.zeros(0))
        self.start = values
        best = full.measure_value(values)
        tolerance = best * 1e-7 + 1e-9 * full.scale
        sites = frozenset(s for s, loss in full.losing.items() if loss > best + tolerance)
        tie = self._tie_program(sites)
        tie_status, tie_values = tie.cheapest(budget, best, tie.start_from(full, values))
        chosen = full.chosen(values)
        detail = ""
        if tie_values is not None:
            chosen = tie.chosen(tie_values)
            detail = tie_detail(status, tie_status)
        elapsed = time.perf_counter() - started
        return MipPoint(chosen, best, min(bound, best), status, elapsed, values, detail)

    @property
    def size(self) -> tuple[int, int, int]:
        """(rows, columns, integer columns) of the full program."""
        return self.full.size

    @property
    def copies(self) -> int:
        """Scenario copies in the full program."""
        return len(self.full.copies)
