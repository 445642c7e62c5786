"""Contingency plans for a disruption in progress, also when its end is uncertain.

Given a disruption (node -> fraction of capacity lost) and its time to recover — one
duration, or a distribution ``[(T_1, p_1), ..., (T_K, p_K)]`` — find the production and
allocation plan across the network (which site makes what, which supplier ships to
which customer, which stocks are drawn) that minimises the **expected** lost profit
(margin of demand lost plus premiums paid on qualified sources).

The model is time-staged. The window is cut at every possible recovery time (and at
every reactive source's lead time) into segments ``(b_{j-1}, b_j]``. A segment's plan
is one decision, shared by every scenario still disrupted in it — we do not know yet
whether recovery will come at the next boundary — and a scenario stops counting once
it has recovered. So scenario ``k`` loses the sum over segments ``b_j ≤ T_k``, and

    minimise  Σ_j w_j · (Σ margin · L_j + Σ premium · Y_j),  w_j = P(T ≥ b_j)

subject to, per segment j: the BOM rows, capacity ``U_j ≤ (1−α)·capacity·len_j`` (a
reactively qualified line only after its lead time), ``L_j ≤ demand·len_j``, and per
node the *cumulative* flow ``Σ_{j'≤j} (shipped + sold − made) ≤ inventory`` (stock can
be drawn, or built up early for later). ``U, Y, L`` are units over the segment. This is
a multi-stage stochastic LP on a fan of scenarios, written as one LP because the only
information revealed is "recovered yet or not". With one duration it is exactly the
time-to-recover program of :func:`chipstress.engine.impact`.

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
import scipy.sparse as sp

from chipstress.engine.formulation import ProgramKind, build_lp, compile_network, disruption_vector
from chipstress.engine.solver import HighsSolver, LPData, Solver, SolveStatus
from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.workflows.whatif.apply import site_links

__all__ = ["ContingencyPlan", "check_distribution", "contingency_plan", "parse_ttr_distribution"]


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
        ``segment, start, end, weight`` (probability the disruption lasts into it).
    production
        ``node, segment, start, end, units`` (units made over the segment).
    shipments
        ``supplier, customer, material, segment, start, end, quantity`` (units).
    inventory
        ``node, segment, start, end, drawn, closing`` — units of the node's own stock used
        in the segment (negative: built up) and left at its end.
    lost
        ``product, duration, probability, lost_units, lost_profit`` per scenario.
    status
        ``optimal`` or what went wrong (a :class:`chipstress.engine.SolveStatus`).
    parameters
        The disruption and the recovery time(s) asked for.
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
        }


class _Program:
    """The time-staged LP of one disruption over fixed segment boundaries."""

    def __init__(
        self,
        network: Network,
        alpha: np.ndarray,
        bounds: list[float],
        late: dict[int, float],
        solver: Solver | None = None,
    ) -> None:
        model = compile_network(network)
        self.model = model
        data, layout = build_lp(model, ProgramKind.TTR, alpha, np.inf)
        self.layout = layout
        n_bom, n = layout.n_bom, model.n_nodes
        matrix = data.matrix.tocsr()
        bom_rows, flow_rows = matrix[:n_bom], matrix[n_bom:]
        self.bounds = bounds
        starts = [0.0, *bounds[:-1]]
        lengths = np.diff([0.0, *bounds])
        segments = len(bounds)
        self.width = data.n_cols
        eye = sp.identity(segments, format="csr")
        lower = sp.csr_matrix(np.tril(np.ones((segments, segments))))
        self.matrix = sp.vstack([sp.kron(eye, bom_rows), sp.kron(lower, flow_rows)]).tocsc()
        col_upper = []
        per_period = data.col_upper.copy()  # (1−α)·capacity, inf, demand
        for start, length in zip(starts, lengths, strict=True):
            upper = per_period * length
            for node, lead in late.items():
                if start < lead - 1e-12:  # a reactive line has not started yet
                    upper[node] = 0.0
            col_upper.append(upper)
        self.col_upper = np.concatenate(col_upper)
        self.unit_cost = data.cost  # per unit: premium on y, margin on l
        rhs_flow = [model.inventory - model.demand * end for end in bounds]
        self.row_upper = np.concatenate([np.zeros(n_bom * segments), *rhs_flow])
        self.n_nodes = n
        self.solver: Solver = HighsSolver() if solver is None else solver

    def solve(
        self, weights: Sequence[float], fixed: Mapping[int, np.ndarray] | None = None
    ) -> tuple[SolveStatus, np.ndarray]:
        """Minimise the weighted loss; ``fixed`` pins segments' ``u`` and ``y`` columns."""
        cost = np.concatenate([w * self.unit_cost for w in weights])
        lower = np.zeros_like(self.col_upper)
        upper = self.col_upper.copy()
        extra = self.layout.extra_column
        for segment, values in (fixed or {}).items():
            first = segment * self.width
            lower[first : first + extra] = values[:extra]
            upper[first : first + extra] = values[:extra]
        data = LPData.from_matrix(
            self.matrix,
            cost=cost,
            col_lower=lower,
            col_upper=upper,
            row_lower=np.full(len(self.row_upper), -np.inf),
            row_upper=self.row_upper,
        )
        self.solver.load(data, presolve=True)
        status = self.solver.solve()
        if status != SolveStatus.OPTIMAL:
            return status, np.zeros(0)
        return status, self.solver.solution().col_value

    def segment_losses(self, x: np.ndarray) -> np.ndarray:
        """Lost profit (currency) in each segment."""
        return np.array(
            [
                float(self.unit_cost @ x[j * self.width : (j + 1) * self.width])
                for j in range(len(self.bounds))
            ]
        )


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
        ones start after their lead time).
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
        Unknown nodes, fractions outside (0, 1], bad durations or probabilities.
    """
    if not disruption:
        raise InvalidInput("name at least one disrupted node")
    pairs = check_distribution(ttr)
    asked = {
        "disruption": {str(k): float(v) for k, v in disruption.items()},
        "ttr": [[float(t), float(p)] for t, p in pairs],
    }
    alpha = disruption_vector(network, disruption)
    links = site_links(network)
    index = network.index
    for site, lines in links.linked.items():
        if site in disruption:
            alpha[index.positions(lines)] = np.maximum(
                alpha[index.positions(lines)], float(disruption[site])
            )
    late = {int(index.positions([line])[0]): lead for line, lead in links.delayed.items()}
    horizon = pairs[-1][0]
    bounds = sorted({t for t, _ in pairs} | {lead for lead in late.values() if lead < horizon})
    weights = [sum(p for t, p in pairs if t >= end - 1e-12) for end in bounds]
    program = _Program(network, alpha, bounds, late, solver)
    status, x = program.solve(weights)
    ids = network.nodes["id"].to_numpy(dtype=object)
    if status != SolveStatus.OPTIMAL:
        empty = pd.DataFrame()
        return ContingencyPlan(
            np.nan, empty, empty, empty, empty, empty, empty, status, dict(disruption), asked
        )
    losses = program.segment_losses(x)
    expected = float(np.dot(weights, losses))
    # The plan for each duration alone, and that plan scored on the distribution.
    rows = []
    for duration, probability in pairs:
        alone = [1.0 if end <= duration + 1e-12 else 0.0 for end in bounds]
        _, own = program.solve(alone)
        perfect = float(np.dot(alone, program.segment_losses(own)))
        kept = {
            j: own[j * program.width : (j + 1) * program.width]
            for j, end in enumerate(bounds)
            if end <= duration + 1e-12
        }
        fixed_status, scored = program.solve(weights, kept)
        rows.append(
            {
                "duration": duration,
                "probability": probability,
                "lost_profit": float(np.dot(alone, losses)),
                "perfect_information": perfect,
                "planned_for_this": (
                    float(np.dot(weights, program.segment_losses(scored)))
                    if fixed_status == SolveStatus.OPTIMAL
                    else np.nan
                ),
            }
        )
    scenarios = pd.DataFrame(rows)
    return ContingencyPlan(
        expected_lost_profit=expected,
        scenarios=scenarios,
        segments=pd.DataFrame(
            {
                "segment": np.arange(1, len(bounds) + 1),
                "start": [0.0, *bounds[:-1]],
                "end": bounds,
                "weight": weights,
                "lost_profit": losses,
            }
        ),
        production=_production(program, x, ids),
        shipments=_shipments(network, program, x),
        inventory=_inventory(program, x, ids),
        lost=_lost(network, program, x, pairs),
        status=status,
        disruption=dict(disruption),
        parameters=asked,
    )


def _segment_frame(program: _Program, j: int) -> dict[str, Any]:
    return {"segment": j + 1, "start": ([0.0, *program.bounds])[j], "end": program.bounds[j]}


def _production(program: _Program, x: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    frames = []
    n = len(program.layout.nodes)
    for j in range(len(program.bounds)):
        u = x[j * program.width : j * program.width + n]
        keep = u > 1e-9
        frames.append(
            pd.DataFrame({"node": ids[keep], **_segment_frame(program, j), "units": u[keep]})
        )
    return pd.concat(frames, ignore_index=True)


def _shipments(network: Network, program: _Program, x: np.ndarray) -> pd.DataFrame:
    layout = program.layout
    n = len(layout.nodes)
    edges = network.sources.iloc[layout.edges]
    material = network.nodes["material"].to_numpy(dtype=object)[
        program.model.edge_supplier[layout.edges]
    ]
    frames = []
    for j in range(len(program.bounds)):
        y = x[j * program.width + n : j * program.width + layout.extra_column]
        keep = y > 1e-9
        frames.append(
            pd.DataFrame(
                {
                    "supplier": edges["supplier"].to_numpy(dtype=object)[keep],
                    "customer": edges["customer"].to_numpy(dtype=object)[keep],
                    "material": material[keep],
                    **_segment_frame(program, j),
                    "quantity": y[keep],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _inventory(program: _Program, x: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    model, layout = program.model, program.layout
    n = len(layout.nodes)
    stock = model.inventory.copy()
    frames = []
    lengths = np.diff([0.0, *program.bounds])
    for j in range(len(program.bounds)):
        block = x[j * program.width : (j + 1) * program.width]
        u = block[:n]
        y = block[n : layout.extra_column]
        lost = np.zeros(n)
        lost[layout.products] = block[layout.extra_column :]
        shipped = np.bincount(model.edge_supplier[layout.edges], weights=y, minlength=n)
        sold = model.demand * lengths[j] - lost
        drawn = shipped + sold - u
        stock = stock - drawn
        keep = (model.inventory > 0) | (np.abs(drawn) > 1e-9)
        frames.append(
            pd.DataFrame(
                {
                    "node": ids[keep],
                    **_segment_frame(program, j),
                    "drawn": drawn[keep],
                    "closing": np.maximum(stock[keep], 0.0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _lost(
    network: Network, program: _Program, x: np.ndarray, pairs: list[tuple[float, float]]
) -> pd.DataFrame:
    layout, model = program.layout, program.model
    ids = network.nodes["id"].to_numpy(dtype=object)
    rows = []
    for duration, probability in pairs:
        units = np.zeros(len(layout.products))
        for j, end in enumerate(program.bounds):
            if end <= duration + 1e-12:
                units += x[j * program.width + layout.extra_column : (j + 1) * program.width]
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
