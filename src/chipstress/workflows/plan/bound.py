"""The proven lower bound beside the hazard planner's answers: the LP relaxation of the
exact event program (see :mod:`chipstress.workflows.plan.hazard`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from chipstress.engine._highs import lp_status, new_highs, pass_lp
from chipstress.model.network import Network
from chipstress.workflows.hazards.losses import LOSS_STEP, WINDOW_STEP
from chipstress.workflows.plan.program import Assembler, Superset
from chipstress.workflows.whatif.apply import apply_edits
from chipstress.workflows.whatif.edits import CutTTR
from chipstress.workflows.whatif.hazards import EventMapper

if TYPE_CHECKING:
    from chipstress.workflows.plan.hazard import EventSample, _Kept

__all__ = ["MAX_BOUND_COPIES", "RelaxationBound"]

# Copies above which the LP relaxation is not built (the all-actions bound remains).
MAX_BOUND_COPIES = 600


class RelaxationBound:
    """The LP relaxation of the event MIP, built once and re-solved for each budget."""

    def __init__(self, sample: EventSample, network: Network) -> None:
        self.sample = sample
        self.highs: Any = None
        self.basis = "no improvable event"
        if sample.improvable:
            self._build(sample, network)

    def bound(self, budget: float) -> tuple[float, str]:
        """The relaxation's optimum within ``budget`` (a proven lower bound), or NaN."""
        if self.highs is None:
            value = self.sample.all_actions if not self.sample.improvable else math.nan
            return value, self.basis
        self.highs.changeRowBounds(self.budget_row, -np.inf, float(budget))
        self.highs.run()
        status = lp_status(self.highs)
        if status != "optimal":
            return math.nan, f"LP relaxation {status}"
        value = (float(self.highs.getObjectiveValue()) + self.offset) * self.scale / self.divisor
        return value, self.basis

    def _build(self, sample: EventSample, network: Network) -> None:
        events = sample.improvable
        superset = Superset(network, sample.actions)
        full = superset.network_with_lines
        mapper = EventMapper(network, full, sample.rates)
        cuts: dict[str, float] = {}
        for action in sample.actions:
            for edit in action.increments:
                if isinstance(edit, CutTTR):
                    cuts[edit.node] = min(cuts.get(edit.node, math.inf), float(edit.to or 0.0))
        cut_actions: dict[str, list[int]] = {}
        for k, action in enumerate(sample.actions):
            for edit in action.increments:
                if isinstance(edit, CutTTR):
                    cut_actions.setdefault(edit.node, []).append(k)
        all_cut = (
            apply_edits(full, [CutTTR(node, to=to) for node, to in cuts.items()]) if cuts else full
        )
        cut_mapper = EventMapper(network, all_cut, sample.rates)
        ids = network.nodes["id"].to_numpy(dtype=object)
        groups: dict[Any, list[int]] = {}
        keys = []
        for index, kept in enumerate(events):
            key = mapper.key(kept.event)
            keys.append(key)
            groups.setdefault(key, []).append(index)
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
            relax: list[int] = []
            hit = _hit(events, members)
            for node in {str(ids[p]) for p in hit if str(ids[p]) in cut_actions}:
                relax += [x0 + k for k in cut_actions[node]]
            variants = [(key, relax)]
            if relax:
                variants.append((cut_mapper.key(events[members[0]].event), []))
            for variant, relaxed in variants:
                if variant is None:
                    continue
                alpha, window = _alpha(variant, superset.model.n_nodes)
                block = superset.add_copy(asm, x0, alpha, window, variant[2])
                nonzero = np.flatnonzero(block.cost)
                asm.row(
                    [*(block.col + nonzero).tolist(), w0 + g, *relaxed],
                    [
                        *(block.cost[nonzero] * window / unit[g]).tolist(),
                        -1.0,
                        *[-1.0] * len(relaxed),
                    ],
                    -np.inf,
                    0.0,
                )
        self.budget_row = asm.row([x0 + k for k in range(n_actions)], costs.tolist(), -np.inf, 0.0)
        count = np.zeros(len(groups))
        group_of = {}
        for g, members in enumerate(groups.values()):
            for i in members:
                group_of[i] = g
                count[g] += 1
        constant = sample.year_loss.copy()
        for kept in events:
            constant[kept.year] -= kept.loss
        # Objective coefficients near 1 (HiGHS's dual tolerances are absolute): the sum of
        # the annual losses over all years, or k times the CVaR; divided out below.
        if sample.measure == "eal":
            asm.cost[1] = count * unit / scale  # the w columns
            offset = float(constant.sum()) / scale
            divisor = float(sample.n_years)
        else:
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
            offset, divisor = 0.0, float(k)
        data = asm.program()
        data.integer = None
        self.highs = new_highs()
        pass_lp(self.highs, data, presolve=False)
        self.highs.setOptionValue("dual_feasibility_tolerance", 1e-10)
        self.highs.setOptionValue("primal_feasibility_tolerance", 1e-9)
        self.offset, self.scale, self.divisor = offset, scale, divisor
        self.basis = f"LP relaxation of the event MIP ({copies} copies)"


def _hit(events: list[_Kept], members: list[int]) -> set[int]:
    return {int(p) for i in members for p in events[i].event.positions}


def _alpha(key: Any, n_nodes: int) -> tuple[np.ndarray, float]:
    tenths, entries, _ = key
    alpha = np.zeros(n_nodes)
    for node, percent in entries:
        alpha[node] = percent * LOSS_STEP
    return alpha, tenths * WINDOW_STEP
