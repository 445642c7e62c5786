"""Contingency plans for a disruption in progress, also when its end is uncertain.

Given a disruption (node -> fraction of capacity lost) and its time to recover — one
duration, or a distribution ``[(T_1, p_1), ..., (T_K, p_K)]`` — find the production and
allocation plan across the network (which site makes what, which supplier ships to
which customer, which stocks are drawn or built) that minimises the **expected** lost
profit (margin of demand lost plus premiums paid on qualified sources).

It runs on the time-expanded program (:mod:`chipstress.engine.timeline_program`), with
foresight (the disruption is known: stock may be built up from undisrupted suppliers for
the periods ahead) and no forecast of its end. Each recovery time is a branch: the
program under "disrupted for the first ``D_k`` periods, then recovered", over a horizon
that runs past the longest one by the longest transit lead time and one period (stocks
and pipelines refill: a scenario keeps counting after its recovery). A period's
production, shipments and stock are one decision shared by every branch still disrupted
in it — we do not know yet whether recovery will come at its end
(:mod:`chipstress.engine.scenario_tree`). Minimise ``Σ_k p_k · lost profit_k``: a
multi-stage stochastic program on a fan of scenarios, written as one LP.

The run period is the network's period, or the largest ``1/k`` of it (k ≤ 168: days or
hours on a weekly network) on which every duration is a whole number of periods; where
none is, durations are rounded up to days (``1/7``) and the plan says so. A reactively
qualified line produces only after its lead time (a partial period pro rata). With one
duration and no transit lead times the expected loss is exactly :func:`chipstress.engine.impact`
(a constant disruption gains nothing from the periods).

The result also evaluates, for each scenario ``k``, the plan one would make believing
``T = T_k`` for sure, run until ``T_k`` (re-planned optimally after that if the
disruption lasts longer) and scored on the distribution: none beats the stochastic plan,
and the gap is the value of planning for the uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chipstress.engine.formulation import disruption_vector
from chipstress.engine.scenario_tree import build_scenario_tree, column_periods
from chipstress.engine.solver import HighsSolver, LPData, Solver, SolveStatus
from chipstress.engine.timeline import TimelineModel, lead_periods
from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.workflows.whatif.apply import site_links

__all__ = [
    "MAX_PERIODS",
    "ContingencyPlan",
    "check_distribution",
    "contingency_plan",
    "parse_ttr_distribution",
]


def parse_ttr_distribution(text: str) -> list[tuple[float, float]]:
    """``"T1:P1,T2:P2,..."`` as ``[(T1, P1), ...]`` (periods, probabilities).

    Raises
    ------
    InvalidInput
        A part that is not ``duration:probability`` with numbers.
    """
    out = []
    for part in text.split(","):
        duration, sep, probability = part.strip().partition(":")
        try:
            if not sep:
                raise ValueError
            out.append((float(duration), float(probability)))
        except ValueError:
            raise InvalidInput(
                f"--ttr {text!r}: each part must be DURATION:PROBABILITY, e.g. 4:0.5 (got {part!r})"
            ) from None
    return out


def check_distribution(ttr: float | Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """A recovery time, or a distribution of them, as sorted ``(periods, probability)`` pairs.

    Parameters
    ----------
    ttr
        Periods until recovery, or ``[(periods, probability), ...]`` adding up to 1.

    Returns
    -------
    list[tuple[float, float]]
        Distinct durations (periods) with their summed probabilities, shortest first.

    Raises
    ------
    InvalidInput
        No duration, a duration that is not a finite number > 0, a probability <= 0, or
        probabilities that do not add up to 1.
    """
    if isinstance(ttr, bool):
        raise InvalidInput(f"give a duration or (duration, probability) pairs, not {ttr!r}")
    if isinstance(ttr, int | float):
        ttr = [(float(ttr), 1.0)]
    pairs = [(float(t), float(p)) for t, p in ttr]
    if not pairs:
        raise InvalidInput("give a duration or at least one (duration, probability)")
    bad = [(t, p) for t, p in pairs if not (math.isfinite(t) and t > 0)]
    if bad:
        raise InvalidInput(f"durations must be finite numbers of periods > 0; got {bad}")
    bad = [(t, p) for t, p in pairs if not (math.isfinite(p) and p > 0)]
    if bad:
        raise InvalidInput(f"probabilities must be > 0; got {bad}")
    total = sum(p for _, p in pairs)
    if abs(total - 1.0) > 1e-6:
        raise InvalidInput(f"the probabilities must add up to 1, not {total:g}")
    merged: dict[float, float] = {}
    for t, p in pairs:
        merged[t] = merged.get(t, 0.0) + p
    return sorted(merged.items())


@dataclass(frozen=True)
class ContingencyPlan:
    """A contingency plan and what it loses.

    Attributes
    ----------
    expected_lost_profit
        Expected lost profit over the disruption (currency): margin of lost demand plus
        premiums paid.
    scenarios
        One row per recovery time: ``duration`` (periods), ``probability``,
        ``lost_profit`` under this plan, ``perfect_information`` (the optimum had the
        duration been known), ``planned_for_this`` (expected lost profit of the plan made
        for this duration alone, scored on the distribution).
    segments
        ``segment, start, end, weight, lost_profit`` — one row per run period while the
        disruption may last (start/end in network periods; ``weight``: probability that it
        lasts into the period; ``lost_profit`` of the plan in it, currency).
    production
        ``node, segment, start, end, units`` (units made over the period, while disrupted).
    shipments
        ``supplier, customer, material, segment, start, end, quantity`` (units).
    inventory
        ``node, segment, start, end, drawn, closing`` — units of the node's own stock used
        in the period (negative: built up) and left at its end.
    lost
        ``product, duration, probability, lost_units, lost_profit`` per scenario, over the
        whole horizon (recovery tail included).
    status
        ``optimal`` or what went wrong (a :class:`chipstress.engine.SolveStatus`).
    parameters
        The disruption and the recovery time(s) asked for, the run ``period`` (network
        periods) and ``horizon`` (run periods); ``rounded_to_days`` where durations were
        rounded up.
    lost_by_period
        ``duration, period, start, end, lost_profit``: each scenario's lost profit per run
        period over the whole horizon (currency).
    """

    expected_lost_profit: float
    scenarios: pd.DataFrame = field(repr=False)
    segments: pd.DataFrame = field(repr=False)
    production: pd.DataFrame = field(repr=False)
    shipments: pd.DataFrame = field(repr=False)
    inventory: pd.DataFrame = field(repr=False)
    lost: pd.DataFrame = field(repr=False)
    status: SolveStatus = SolveStatus.OPTIMAL
    disruption: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)
    lost_by_period: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.CONTINGENCY`."""
        return RunKind.CONTINGENCY

    def summary(self) -> dict[str, Any]:
        """Headline figures of a stored ``contingency`` run (currency, periods)."""
        durations = self.scenarios.get("duration", pd.Series(dtype=float))
        return {
            "expected_lost_profit": self.expected_lost_profit,
            "status": self.status,
            "nodes": len(self.disruption),
            "scenarios": len(self.scenarios),
            "longest_duration": float(max(durations)) if len(durations) else None,
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, by name (for writing to files and the results store)."""
        return {
            "scenarios": self.scenarios,
            "segments": self.segments,
            "production": self.production,
            "shipments": self.shipments,
            "inventory": self.inventory,
            "lost": self.lost,
            "lost_by_period": self.lost_by_period,
        }


MAX_PERIODS = 730
"""Most periods a contingency horizon may have (two years of days on a weekly network)."""

_MAX_STEPS = 168  # finest run period: 1/168 of a network period (an hour of a week)
_ROUNDING_STEPS = 7  # durations off every grid are rounded up to 1/7 (days of a week)


def _run_grid(durations: Sequence[float]) -> tuple[int, list[int], bool]:
    """Run periods per network period, each duration in run periods, and whether rounded."""
    for steps in range(1, _MAX_STEPS + 1):
        scaled = [t * steps for t in durations]
        if all(abs(x - round(x)) <= 1e-9 * max(1.0, x) for x in scaled):
            return steps, [max(1, round(x)) for x in scaled], False
    steps = _ROUNDING_STEPS
    return steps, [math.ceil(t * steps - 1e-9) for t in durations], True


class _Fan:
    """The contingency fan of one disruption: its branches, program and solves."""

    def __init__(
        self,
        network: Network,
        alpha: np.ndarray,
        late: dict[int, float],
        pairs: list[tuple[float, float]],
        solver: Solver | None,
    ) -> None:
        steps, periods, self.rounded = _run_grid([t for t, _ in pairs])
        self.period = 1.0 / steps
        self.pairs = pairs
        self.branch_of = periods  # per pair: its disrupted periods
        self.splits = sorted(set(periods))
        lead = np.zeros(0)
        if "lead_time" in network.sources:
            lead = np.nan_to_num(network.sources["lead_time"].to_numpy(dtype=float), nan=0.0)
        tail = int(lead_periods(lead, self.period).max(initial=0)) + 1
        horizon = self.splits[-1] + tail
        if horizon > MAX_PERIODS:
            raise InvalidInput(
                f"the longest duration ({pairs[-1][0]:g} periods) with lead times needs "
                f"{horizon} run periods of {self.period:g}; at most {MAX_PERIODS}: give "
                "durations in whole network periods or days"
            )
        self.timeline = TimelineModel(
            network, horizon, self.period, foresight=True, regional=False, solver=solver
        )
        self.model = self.timeline.model
        self.horizon = horizon
        self.alpha, self.late = alpha, late
        self.probabilities = [
            sum(p for (_, p), d in zip(pairs, periods, strict=True) if d == split)
            for split in self.splits
        ]
        data, layout = self.timeline.program(self.profile(self.splits[-1]))
        self.data, self.layout = data, layout
        self.uppers = []
        for split in self.splits:
            upper = data.col_upper.copy()
            upper[layout.column_block("u")] = self.profile(split).T.ravel()
            self.uppers.append(upper)
        self.tree = build_scenario_tree(data, layout, self.uppers, self.splits, self.probabilities)
        self.solver: Solver = HighsSolver() if solver is None else solver

    def profile(self, disrupted: int) -> np.ndarray:
        """Capacity per node and run period when recovery comes after ``disrupted`` periods."""
        capacity = self.model.capacity
        down = (np.arange(self.horizon) < disrupted).astype(float)
        profile = capacity[:, None] * (1.0 - self.alpha[:, None] * down[None, :])
        ends = (np.arange(self.horizon) + 1) * self.period
        for node, lead in self.late.items():
            started = np.clip((ends - lead) / self.period, 0.0, 1.0)
            profile[node] *= started
        return profile

    def solve(self, data: LPData) -> tuple[SolveStatus, np.ndarray]:
        """Solve ``data``: status and column values (empty unless optimal)."""
        self.solver.load(data, presolve=True)
        status = self.solver.solve()
        if status != SolveStatus.OPTIMAL:
            return status, np.zeros(0)
        return status, self.solver.solution().col_value

    def branch(self, split: int) -> LPData:
        """The program of the branch recovering after ``split`` periods alone."""
        data = self.data
        index = self.splits.index(split)
        return LPData(
            data.start,
            data.index,
            data.value,
            data.cost,
            data.col_lower,
            self.uppers[index],
            data.row_lower,
            data.row_upper,
        )

    def fixed(self, values: np.ndarray, periods: int) -> LPData:
        """The fan with its shared decisions of the first ``periods`` periods pinned."""
        tree = self.tree.data
        pinned = np.flatnonzero(column_periods(self.layout) < periods)
        lower, upper = tree.col_lower.copy(), tree.col_upper.copy()
        lower[pinned] = upper[pinned] = values[pinned]
        return LPData(
            tree.start,
            tree.index,
            tree.value,
            tree.cost,
            lower,
            upper,
            tree.row_lower,
            tree.row_upper,
        )

    def branch_loss(self, x: np.ndarray, split: int) -> float:
        """Lost profit (currency) of one branch's columns of the fan's solution."""
        columns = self.tree.columns[self.splits.index(split)]
        return float(self.data.cost @ x[columns]) * self.period

    def local(self, x: np.ndarray, split: int) -> np.ndarray:
        """One branch's columns of the fan's solution, in the branch program's order."""
        return x[self.tree.columns[self.splits.index(split)]]


def contingency_plan(
    network: Network,
    disruption: Mapping[str, float],
    ttr: float | Sequence[tuple[float, float]],
    *,
    solver: Solver | None = None,
) -> ContingencyPlan:
    """The plan minimising expected lost profit of a disruption in progress.

    Parameters
    ----------
    network
        The supply network (its qualified lines go down with their sites; reactive
        ones start after their lead time; source edges' ``lead_time`` is transit time).
    disruption
        Node id -> fraction of capacity lost (1.0 = down) until recovery.
    ttr
        Periods until recovery, or ``[(periods, probability), ...]`` adding up to 1.
    solver
        The solver to use (a fresh :class:`chipstress.engine.HighsSolver` by default).

    Returns
    -------
    ContingencyPlan
        The plan, its expected lost profit (currency) and its tables.

    Raises
    ------
    InvalidInput
        Unknown nodes, fractions outside (0, 1], bad durations or probabilities, or a
        horizon of more than :data:`MAX_PERIODS` run periods.
    """
    if not disruption:
        raise InvalidInput("name at least one disrupted node")
    pairs = check_distribution(ttr)
    alpha = disruption_vector(network, disruption)
    links = site_links(network)
    index = network.index
    for site, lines in links.linked.items():
        if site in disruption:
            alpha[index.positions(lines)] = np.maximum(
                alpha[index.positions(lines)], float(disruption[site])
            )
    late = {int(index.positions([line])[0]): lead for line, lead in links.delayed.items()}
    fan = _Fan(network, alpha, late, pairs, solver)
    asked: dict[str, Any] = {
        "disruption": {str(k): float(v) for k, v in disruption.items()},
        "ttr": [[float(t), float(p)] for t, p in pairs],
        "period": fan.period,
        "horizon": fan.horizon,
    }
    if fan.rounded:
        asked["rounded_to_days"] = [d * fan.period for d in fan.branch_of]
    status, x = fan.solve(fan.tree.data)
    if status != SolveStatus.OPTIMAL:
        empty = pd.DataFrame()
        return ContingencyPlan(
            np.nan,
            empty,
            empty,
            empty,
            empty,
            empty,
            empty,
            status,
            dict(disruption),
            asked,
            lost_by_period=empty,
        )
    loss_of = {split: fan.branch_loss(x, split) for split in fan.splits}
    expected = float(np.dot(fan.probabilities, [loss_of[s] for s in fan.splits]))
    # The plan for each duration alone, and that plan scored on the distribution.
    perfect: dict[int, float] = {}
    scored: dict[int, float] = {}
    for split in fan.splits:
        branch_status, own = fan.solve(fan.branch(split))
        if branch_status != SolveStatus.OPTIMAL:
            perfect[split] = scored[split] = np.nan
            continue
        perfect[split] = float(fan.data.cost @ own) * fan.period
        fixed_status, rescored = fan.solve(fan.fixed(own, split))
        scored[split] = (
            float(fan.tree.data.cost @ rescored) * fan.period
            if fixed_status == SolveStatus.OPTIMAL
            else np.nan
        )
    scenarios = pd.DataFrame(
        {
            "duration": [t for t, _ in pairs],
            "probability": [p for _, p in pairs],
            "lost_profit": [loss_of[d] for d in fan.branch_of],
            "perfect_information": [perfect[d] for d in fan.branch_of],
            "planned_for_this": [scored[d] for d in fan.branch_of],
        }
    )
    ids = network.nodes["id"].to_numpy(dtype=object)
    plan = fan.local(x, fan.splits[-1])
    return ContingencyPlan(
        expected_lost_profit=expected,
        scenarios=scenarios,
        segments=_segments(fan, plan),
        production=_production(fan, plan, ids),
        shipments=_shipments(network, fan, plan),
        inventory=_inventory(fan, plan, ids),
        lost=_lost(fan, x, ids),
        status=status,
        disruption=dict(disruption),
        parameters=asked,
        lost_by_period=_lost_by_period(fan, x),
    )


def _blocks(fan: _Fan, values: np.ndarray, name: str) -> np.ndarray:
    """Block ``name`` of one branch's columns as ``H × items``."""
    return values[fan.layout.column_block(name)].reshape(fan.horizon, -1)


def _span(fan: _Fan, t: int) -> dict[str, Any]:
    return {"segment": t + 1, "start": t * fan.period, "end": (t + 1) * fan.period}


def _segments(fan: _Fan, plan: np.ndarray) -> pd.DataFrame:
    """Each period while the disruption may last: its weight and lost profit."""
    periods = column_periods(fan.layout)
    rows = []
    for t in range(fan.splits[-1]):
        weight = sum(p for s, p in zip(fan.splits, fan.probabilities, strict=True) if s > t)
        mask = periods == t
        rows.append(
            {
                **_span(fan, t),
                "weight": weight,
                "lost_profit": float(fan.data.cost[mask] @ plan[mask]) * fan.period,
            }
        )
    return pd.DataFrame(rows)


def _lost_by_period(fan: _Fan, x: np.ndarray) -> pd.DataFrame:
    """Every scenario's lost profit per run period, over the whole horizon."""
    periods = column_periods(fan.layout)
    per_period = {
        split: np.bincount(
            periods, weights=fan.data.cost * fan.local(x, split), minlength=fan.horizon
        )
        * fan.period
        for split in fan.splits
    }
    rows = [
        {"duration": duration, **_span(fan, t), "lost_profit": float(per_period[split][t])}
        for (duration, _), split in zip(fan.pairs, fan.branch_of, strict=True)
        for t in range(fan.horizon)
    ]
    frame = pd.DataFrame(rows).rename(columns={"segment": "period"})
    return frame


def _production(fan: _Fan, plan: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    made = _blocks(fan, plan, "u") * fan.period
    frames = []
    for t in range(fan.splits[-1]):
        keep = made[t] > 1e-9
        frames.append(
            pd.DataFrame(
                {"node": ids[fan.layout.nodes[keep]], **_span(fan, t), "units": made[t][keep]}
            )
        )
    return pd.concat(frames, ignore_index=True)


def _shipments(network: Network, fan: _Fan, plan: np.ndarray) -> pd.DataFrame:
    layout = fan.layout
    shipped = _blocks(fan, plan, "y") * fan.period
    edges = network.sources.iloc[layout.edges]
    material = network.nodes["material"].to_numpy(dtype=object)[
        fan.model.edge_supplier[layout.edges]
    ]
    frames = []
    for t in range(fan.splits[-1]):
        keep = shipped[t] > 1e-9
        frames.append(
            pd.DataFrame(
                {
                    "supplier": edges["supplier"].to_numpy(dtype=object)[keep],
                    "customer": edges["customer"].to_numpy(dtype=object)[keep],
                    "material": material[keep],
                    **_span(fan, t),
                    "quantity": shipped[t][keep],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _inventory(fan: _Fan, plan: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """Stock of each node's own output drawn (negative: built up) and left per period."""
    stock = _blocks(fan, plan, "s")
    held = fan.model.inventory[fan.layout.nodes] > 0
    opening = fan.model.inventory[fan.layout.nodes]
    frames = []
    for t in range(fan.splits[-1]):
        drawn = opening - stock[t]
        keep = held | (np.abs(drawn) > 1e-9) | (stock[t] > 1e-9)
        frames.append(
            pd.DataFrame(
                {
                    "node": ids[fan.layout.nodes[keep]],
                    **_span(fan, t),
                    "drawn": drawn[keep],
                    "closing": np.maximum(stock[t][keep], 0.0),
                }
            )
        )
        opening = stock[t]
    return pd.concat(frames, ignore_index=True)


def _lost(fan: _Fan, x: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """Lost units and margin per product and scenario, over the whole horizon."""
    layout, model = fan.layout, fan.model
    rows = []
    for (duration, probability), split in zip(fan.pairs, fan.branch_of, strict=True):
        units = _blocks(fan, fan.local(x, split), "l").sum(axis=0) * fan.period
        for product, lost in zip(layout.products, units, strict=True):
            rows.append(
                {
                    "product": ids[product],
                    "duration": duration,
                    "probability": probability,
                    "lost_units": float(lost),
                    "lost_profit": float(lost * model.margin[product]),
                }
            )
    return pd.DataFrame(rows)
