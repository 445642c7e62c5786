"""The two stress tests on one disruption: :func:`impact` and :func:`time_to_survive`.

Both solve the whole program (see :mod:`chipstress.engine.formulation`) with HiGHS and
return the plan behind the number. For many scenarios at once, use
:func:`chipstress.workflows.sweep`, which solves the same programs on small certified
regions.
"""

from __future__ import annotations

import numbers
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chipstress.engine.formulation import (
    ProgramKind,
    StressModel,
    build_delayed_tts,
    build_lp,
    build_unscaled_lp,
    compile_network,
    delayed_alpha,
    disruption_vector,
)
from chipstress.engine.regional import S_ZERO, tts_from_s
from chipstress.engine.solver import HighsSolver, Solver, SolveStatus
from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = ["ImpactResult", "SurvivalResult", "impact", "time_to_survive", "undisrupted_tts"]

# Upper bound on t in the integer time-to-survive program; reaching it means "forever".
INTEGER_TTS_CAP = 1e9


@dataclass(frozen=True)
class ImpactResult:
    """Outcome of a disruption over its duration.

    Attributes
    ----------
    lost_profit
        Margin of the end-customer demand not served over the window (currency), plus
        the premium paid on edges that charge one (``premium_cost``).
    duration
        Length of the window (periods).
    status
        ``optimal``, or what went wrong (``infeasible``, ``numerical_error``, ...).
    lost_units
        Units of demand not served over the window, per node with demand.
    production
        Units made over the window, per node.
    shipments
        ``supplier, customer, material, quantity`` (units over the window), non-zero rows.
    premium_cost
        Premium paid over the window on edges with a ``premium`` (currency; part of
        ``lost_profit``).
    """

    lost_profit: float
    duration: float
    status: SolveStatus
    lost_units: pd.Series = field(repr=False)
    production: pd.Series = field(repr=False)
    shipments: pd.DataFrame = field(repr=False)
    premium_cost: float = 0.0


@dataclass(frozen=True)
class SurvivalResult:
    """How long the network meets all demand under a disruption.

    ``tts`` is in periods: ``inf`` when demand can be met forever, ``0`` when some demand
    cannot be met at all. ``binding_products`` are the nodes with demand whose demand
    limits the time; ``binding_nodes`` the other nodes whose capacity or stock does.
    """

    tts: float
    status: SolveStatus
    binding_products: list[str]
    binding_nodes: list[str]


def _check_duration(duration: float) -> float:
    if not isinstance(duration, numbers.Real) or isinstance(duration, bool | np.bool_):
        raise InvalidInput(f"duration must be a number of periods, got {duration!r}")
    value = float(duration)
    if not np.isfinite(value) or value <= 0:
        raise InvalidInput(f"duration must be a finite number of periods > 0, got {duration!r}")
    return value


def impact(
    network: Network,
    disruption: Mapping[str, float] | None = None,
    duration: float = 1.0,
    *,
    integer: bool = False,
    delays: Mapping[str, float] | None = None,
    solver: Solver | None = None,
) -> ImpactResult:
    """Lost profit, lost units and the production/shipment plan of a disruption.

    Parameters
    ----------
    network
        The supply network.
    disruption
        Node id -> fraction of capacity lost (1.0 = down) for the whole window.
    duration
        Window length in periods (e.g. the disrupted node's time to recover).
    integer
        Count whole units made and shipped (solved as a MIP; lost units stay continuous).
    delays
        Node id -> periods it cannot produce at the start of the window (a source
        qualified only once the disruption starts); it loses ``min(1, delay/duration)``
        of its capacity on top of its disruption (see
        :func:`chipstress.engine.formulation.delayed_alpha`).
    solver
        The solver to use (a fresh :class:`chipstress.engine.HighsSolver` by default).

    Returns
    -------
    ImpactResult
        Lost profit (currency), lost units, production and shipments over the window.

    Raises
    ------
    InvalidInput
        Unknown node, fraction outside (0, 1], or a duration that is not > 0.
    """
    duration = _check_duration(duration)
    model = compile_network(network)
    alpha = disruption_vector(network, disruption or {})
    if delays:
        alpha = delayed_alpha(alpha, _delay_positions(network, delays), duration)
    if integer:
        data, layout = build_unscaled_lp(model, ProgramKind.TTR, alpha, duration, integer=True)
        scale = 1.0
    else:
        data, layout = build_lp(model, ProgramKind.TTR, alpha, duration)
        scale = duration
    solver = HighsSolver() if solver is None else solver
    solver.load(data)
    status = solver.solve()
    ids = network.nodes["id"].to_numpy(dtype=object)
    products = ids[layout.products]
    if status != SolveStatus.OPTIMAL:
        empty = pd.Series(np.full(len(ids), np.nan), index=ids)
        return ImpactResult(
            np.nan,
            duration,
            status,
            empty[products],
            empty,
            pd.DataFrame(columns=["supplier", "customer", "material", "quantity"]),
            np.nan,
        )
    x = solver.solution().col_value * scale
    n, extra = len(layout.nodes), layout.extra_column
    production = pd.Series(x[:n], index=ids, name="production")
    lost = pd.Series(x[extra:], index=products, name="lost_units")
    flow = x[n:extra]
    edges = network.sources.iloc[layout.edges]
    material = network.nodes["material"].to_numpy(dtype=object)[model.edge_supplier[layout.edges]]
    shipments = pd.DataFrame(
        {
            "supplier": edges["supplier"].to_numpy(dtype=object),
            "customer": edges["customer"].to_numpy(dtype=object),
            "material": material,
            "quantity": flow,
        }
    )
    shipments = shipments[shipments["quantity"] > 0].reset_index(drop=True)
    premium_cost = float(model.edge_premium[layout.edges] @ flow)
    lost_profit = float(model.margin[layout.products] @ lost.to_numpy()) + premium_cost
    return ImpactResult(lost_profit, duration, status, lost, production, shipments, premium_cost)


def _delay_positions(network: Network, delays: Mapping[str, float]) -> dict[int, float]:
    positions = network.index.positions(delays.keys())
    bad = [k for k, v in delays.items() if not _is_periods(v)]
    if bad:
        raise InvalidInput(f"delays must be finite numbers of periods >= 0; bad for {bad[:5]}")
    return {int(p): float(v) for p, v in zip(positions, delays.values(), strict=True)}


def _is_periods(value: object) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool | np.bool_)
        and bool(np.isfinite(float(value)))
        and float(value) >= 0
    )


def time_to_survive(
    network: Network,
    disruption: Mapping[str, float] | None = None,
    *,
    integer: bool = False,
    delays: Mapping[str, float] | None = None,
    solver: Solver | None = None,
) -> SurvivalResult:
    """Time-to-survive (periods) of ``network`` under ``disruption``, and what binds it.

    Parameters
    ----------
    network
        The supply network.
    disruption
        Node id -> fraction of capacity lost (1.0 = down), lasting indefinitely.
    integer
        Count whole units (all-integer production and shipments; ``t`` stays continuous).
    delays
        Node id -> periods into the disruption before it can produce (sources qualified
        reactively); solved in rounds as in
        :meth:`chipstress.engine.RegionalSolver.time_to_survive_delayed` (no binding
        nodes are reported then).
    solver
        The solver to use (a fresh :class:`chipstress.engine.HighsSolver` by default).

    Returns
    -------
    SurvivalResult
        TTS in periods and the nodes that bind it.

    Raises
    ------
    InvalidInput
        Unknown node, a fraction outside (0, 1], or delays with ``integer=True``.
    """
    model = compile_network(network)
    alpha = disruption_vector(network, disruption or {})
    ids = network.nodes["id"].to_numpy(dtype=object)
    if delays:
        if integer:
            raise InvalidInput("delays are not supported by the integer time-to-survive")
        late = {
            p: d for p, d in _delay_positions(network, delays).items() if d > 0 and alpha[p] < 1
        }
        if late:
            return _delayed_survival(model, alpha, late, solver or HighsSolver())
    solver = HighsSolver() if solver is None else solver
    if integer:
        return _integer_survival(model, alpha, solver)
    data, layout = build_lp(model, ProgramKind.TTS, alpha)
    solver.load(data)
    status = solver.solve()
    if status != SolveStatus.OPTIMAL:
        reported = SolveStatus.OPTIMAL if status == SolveStatus.INFEASIBLE else status
        return SurvivalResult(tts_from_s(np.nan, status), reported, [], [])
    solution = solver.solution()
    s = float(solution.col_value[layout.extra_column])
    if s <= S_ZERO:
        return SurvivalResult(float("inf"), status, [], [])
    flow_dual = np.abs(solution.row_dual[layout.n_bom :])
    capacity_dual = np.abs(solution.col_dual[: len(layout.nodes)])
    tolerance = 1e-9 * (
        1.0 + max(float(flow_dual.max(initial=0.0)), float(capacity_dual.max(initial=0.0)))
    )
    binding = (flow_dual > tolerance) | (capacity_dual > tolerance)
    has_demand = model.demand > 0
    return SurvivalResult(
        1.0 / s,
        status,
        [str(i) for i in ids[binding & has_demand]],
        [str(i) for i in ids[binding & ~has_demand]],
    )


def _integer_survival(model: StressModel, alpha: np.ndarray, solver: Solver) -> SurvivalResult:
    """TTS of the all-integer program (whole units; ``t`` capped at ``INTEGER_TTS_CAP``)."""
    data, _ = build_unscaled_lp(model, ProgramKind.TTS, alpha, integer=True)
    data.col_upper[-1] = INTEGER_TTS_CAP
    solver.load(data)
    status = solver.solve()
    if status != SolveStatus.OPTIMAL:
        return SurvivalResult(np.nan if status != SolveStatus.INFEASIBLE else 0.0, status, [], [])
    t = float(solver.solution().col_value[-1])
    tts = float("inf") if t >= INTEGER_TTS_CAP * (1 - 1e-9) else t
    return SurvivalResult(tts, status, [], [])


def _delayed_survival(
    model: StressModel, alpha: np.ndarray, late: dict[int, float], solver: Solver
) -> SurvivalResult:
    """TTS with late-starting nodes, in rounds on the whole program (see the regional solver)."""
    started: dict[int, float] = {}
    while True:
        current = alpha.copy()
        current[[p for p in late if p not in started]] = 1.0
        data, layout = build_delayed_tts(model, current, started)
        solver.load(data)
        status = solver.solve()
        if status != SolveStatus.OPTIMAL:
            reported = SolveStatus.OPTIMAL if status == SolveStatus.INFEASIBLE else status
            return SurvivalResult(tts_from_s(np.nan, status), reported, [], [])
        tts = tts_from_s(float(solver.solution().col_value[layout.extra_column]), status)
        joining = {p: d for p, d in late.items() if p not in started and d <= tts}
        if not joining or not np.isfinite(tts):
            return SurvivalResult(tts, status, [], [])
        started.update(joining)


_KEPT = 8
_UNDISRUPTED: OrderedDict[str, SurvivalResult] = OrderedDict()
_UNDISRUPTED_LOCK = threading.Lock()


def undisrupted_tts(network: Network) -> SurvivalResult:
    """The undisrupted network's time-to-survive, solved once per network (the last 8 kept).

    Every outage what-if and event shows it beside its own; on a warm server it is the
    same answer for every call on a network, so it is kept by the network's fingerprint.

    Parameters
    ----------
    network
        The supply network.

    Returns
    -------
    SurvivalResult
        :func:`time_to_survive` of ``network`` with nothing disrupted (shared: do not
        change it).
    """
    key = network.fingerprint()
    with _UNDISRUPTED_LOCK:
        known = _UNDISRUPTED.get(key)
        if known is not None:
            _UNDISRUPTED.move_to_end(key)
            return known
    solved = time_to_survive(network)
    with _UNDISRUPTED_LOCK:
        _UNDISRUPTED[key] = solved
        while len(_UNDISRUPTED) > _KEPT:
            _UNDISRUPTED.popitem(last=False)
    return solved
