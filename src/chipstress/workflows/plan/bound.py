"""The proven lower bound beside the hazard planner's answers: the LP relaxation of the
exact event program (see :mod:`chipstress.workflows.plan.hazard`).

An event's loss is measured on the time-expanded program over its run grid
(:mod:`chipstress.workflows.hazards.losses`). Its copy here is the single-window
time-to-recover program over the whole horizon ``T = H · period`` with each node's mean
capacity loss over it: a relaxation of the time-expanded program when no edge has a lead
time (any plan period by period, summed over the horizon, is a plan of the window: the
same capacity in total, the same stocks, the same demand; the window drops the per-period
limits and the cap on stocks), so its loss is never above the event's. Edges an export
control closes for part of the horizon stay open in the copy (a window cannot close an
edge for part of it), which only relaxes it further. With lead times the window is not a
relaxation and no LP bound is built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from chipstress.engine.solver import HighsSolver, Solver, SolveStatus
from chipstress.model.network import Network
from chipstress.workflows.hazards.losses import EventKey, EventLosses
from chipstress.workflows.plan.actions import Action
from chipstress.workflows.plan.program import Assembler, Superset
from chipstress.workflows.plan.sample import EventSample, KeptEvent
from chipstress.workflows.whatif.apply import apply_edits
from chipstress.workflows.whatif.edits import CutTTR
from chipstress.workflows.whatif.hazards import EventMapper

__all__ = ["MAX_BOUND_COPIES", "RelaxationBound"]

# Copies above which the LP relaxation is not built (the all-actions bound remains).
MAX_BOUND_COPIES = 600


class RelaxationBound:
    """The LP relaxation of the event MIP, built once and re-solved for each budget.

    Parameters
    ----------
    sample
        The simulated events and the measure (``eal`` or ``cvar``).
    network
        The network as it is.
    solver
        The solver to hold the relaxation (a fresh :class:`chipstress.engine.HighsSolver`
        by default).
    """

    def __init__(self, sample: EventSample, network: Network, solver: Solver | None = None) -> None:
        self.sample = sample
        self.solver: Solver | None = None
        self.basis = "no improvable event"
        if sample.improvable:
            self._build(sample, network, solver)

    def bound(self, budget: float) -> tuple[float, str]:
        """The relaxation's optimum within ``budget`` (currency): a proven lower bound of
        the measure (currency), or NaN; and where it comes from."""
        if self.solver is None:
            value = self.sample.all_actions if not self.sample.improvable else math.nan
            return value, self.basis
        self.solver.change_row_bounds(self.budget_row, -np.inf, float(budget))
        status = self.solver.solve()
        if status != SolveStatus.OPTIMAL:
            return math.nan, f"LP relaxation {status}"
        value = (self.solver.objective() + self.offset) * self.scale / self.divisor
        return value, self.basis

    def _build(self, sample: EventSample, network: Network, solver: Solver | None) -> None:
        """Group the events by disruption, add a copy per group (and per cut variant), the
        budget row and the measure's objective; load the program."""
        events = sample.improvable
        superset = Superset(network, sample.actions)
        full = superset.network_with_lines
        mapper = EventMapper(network, full, sample.rates)
        cuts, cut_actions = _cut_actions(sample.actions)
        all_cut = (
            apply_edits(full, [CutTTR(node, to=to) for node, to in cuts.items()]) if cuts else full
        )
        cut_mapper = EventMapper(network, all_cut, sample.rates)
        losses = EventLosses(full, mapper.period_days)
        if losses.lead > 0:
            self.basis = "lead times on source edges: no LP relaxation (a window has none)"
            return
        ids = network.nodes["id"].to_numpy(dtype=object)
        groups: dict[EventKey | None, list[int]] = {}
        for index, kept in enumerate(events):
            groups.setdefault(mapper.key(kept.event), []).append(index)
        copies = len(groups) + sum(
            1 for key in groups if any(str(ids[p]) in cuts for p in _hit(events, groups[key]))
        )
        if copies > MAX_BOUND_COPIES:
            self.basis = f"{copies} event copies: above {MAX_BOUND_COPIES}, LP relaxation skipped"
            return
        asm = Assembler()
        n_actions = len(sample.actions)
        costs = np.array([a.cost for a in sample.actions])
        x0 = asm.columns(np.zeros(n_actions), np.ones(n_actions))
        # Each w_g is its group's loss in units of its own baseline loss (rows stay near 1).
        unit = np.array([max(events[i].loss for i in members) for members in groups.values()])
        unit = np.maximum(unit, 1.0)
        scale = float(unit.max())
        w0 = asm.columns(np.zeros(len(groups)), np.full(len(groups), np.inf))
        for g, (key, members) in enumerate(groups.items()):
            relax = _relaxing(events, members, ids, cut_actions, x0)
            variants = [(key, relax)]
            if relax:
                variants.append((cut_mapper.key(events[members[0]].event), []))
            for variant, relaxed in variants:
                if variant is not None:
                    alpha, window = _window(losses, variant)
                    _add_group_copy(
                        asm, superset, x0, (w0 + g, float(unit[g])), alpha, window, relaxed
                    )
        self.budget_row = asm.row([x0 + k for k in range(n_actions)], costs.tolist(), -np.inf, 0.0)
        group_of = {i: g for g, members in enumerate(groups.values()) for i in members}
        constant = sample.year_loss.copy()
        for kept in events:
            constant[kept.year] -= kept.loss
        # Objective coefficients near 1 (HiGHS's dual tolerances are absolute): the sum of
        # the annual losses over all years, or k times the CVaR; divided out below.
        if sample.measure == "eal":
            count = np.array([len(members) for members in groups.values()], dtype=float)
            asm.cost[1] = count * unit / scale  # the w columns
            offset, divisor = float(constant.sum()) / scale, float(sample.n_years)
        else:
            offset, divisor = 0.0, _add_cvar(asm, sample, group_of, w0, unit, scale, constant)
        data = asm.program()
        data.integer = None
        self.solver = HighsSolver() if solver is None else solver
        self.solver.load(data, presolve=False)
        self.solver.set_option("dual_feasibility_tolerance", 1e-10)
        self.solver.set_option("primal_feasibility_tolerance", 1e-9)
        self.offset, self.scale, self.divisor = offset, scale, divisor
        self.basis = f"LP relaxation of the event MIP ({copies} copies)"


def _cut_actions(actions: Sequence[Action]) -> tuple[dict[str, float], dict[str, list[int]]]:
    """The shortest TTR any action cuts each node to, and the actions cutting each node."""
    cuts: dict[str, float] = {}
    cut_actions: dict[str, list[int]] = {}
    for k, action in enumerate(actions):
        for edit in action.increments:
            if isinstance(edit, CutTTR):
                cuts[edit.node] = min(cuts.get(edit.node, math.inf), float(edit.to or 0.0))
                cut_actions.setdefault(edit.node, []).append(k)
    return cuts, cut_actions


def _relaxing(
    events: list[KeptEvent],
    members: list[int],
    ids: np.ndarray,
    cut_actions: dict[str, list[int]],
    x0: int,
) -> list[int]:
    """Columns of the actions that cut the TTR of a node the group's events hit."""
    relax: list[int] = []
    hit = _hit(events, members)
    for node in {str(ids[p]) for p in hit if str(ids[p]) in cut_actions}:
        relax += [x0 + k for k in cut_actions[node]]
    return relax


def _add_group_copy(
    asm: Assembler,
    superset: Superset,
    x0: int,
    w: tuple[int, float],
    alpha: np.ndarray,
    window: float,
    relaxed: list[int],
) -> None:
    """One copy of the time-to-recover program (``alpha`` over ``window`` periods) for a
    group, and the row ``w_g ≥ T·cost·x/unit − Σ relaxed`` (``w = (w_g's column, unit)``;
    the cut variant's row has no relaxed terms)."""
    w_col, unit = w
    block = superset.add_copy(asm, x0, alpha, window)
    nonzero = np.flatnonzero(block.cost)
    asm.row(
        [*(block.col + nonzero).tolist(), w_col, *relaxed],
        [
            *(block.cost[nonzero] * window / unit).tolist(),
            -1.0,
            *[-1.0] * len(relaxed),
        ],
        -np.inf,
        0.0,
    )


def _add_cvar(
    asm: Assembler,
    sample: EventSample,
    group_of: dict[int, int],
    w0: int,
    unit: np.ndarray,
    scale: float,
    constant: np.ndarray,
) -> float:
    """The CVaR objective ``k·η + Σ u_y`` with ``u_y ≥ annual loss_y − η`` (scaled); returns
    ``k``, the number of worst years the CVaR averages."""
    events = sample.improvable
    k = max(1, math.ceil(sample.n_years * (1.0 - sample.level) - 1e-9))
    eta = asm.columns(np.array([-np.inf]), np.array([np.inf]), np.array([float(k)]))
    by_year: dict[int, list[int]] = {}
    for i, kept in enumerate(events):
        by_year.setdefault(kept.year, []).append(group_of[i])
    years = sorted(set(np.flatnonzero(constant > 0).tolist()) | set(by_year))
    u0 = asm.columns(np.zeros(len(years)), np.full(len(years), np.inf), np.ones(len(years)))
    for j, year in enumerate(years):
        members = by_year.get(year, [])
        cols = [u0 + j, eta, *[w0 + g for g in members]]
        vals = [-1.0, -1.0, *[float(unit[g]) / scale for g in members]]
        asm.row(cols, vals, -np.inf, -float(constant[year]) / scale)
    return float(k)


def _hit(events: list[KeptEvent], members: list[int]) -> set[int]:
    return {int(p) for i in members for p in events[i].event.positions}


def _window(losses: EventLosses, key: EventKey) -> tuple[np.ndarray, float]:
    """Each node's mean capacity loss over the event's horizon, and the horizon (periods)."""
    horizon, period = losses.grid(key)
    return losses.loss_fraction(key, horizon, period).mean(axis=1), horizon * period
