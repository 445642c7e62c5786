"""The two stress tests on one disruption: :func:`impact` and :func:`time_to_survive`.

Both solve the whole program (see :mod:`chipstress.engine.formulation`) with HiGHS and
return the plan behind the number. For many scenarios at once, use
:func:`chipstress.workflows.sweep`, which solves the same programs on small certified
regions.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chipstress.engine._highs import lp_status, new_highs, pass_lp
from chipstress.engine.formulation import (
    build_lp,
    build_unscaled_lp,
    compile_network,
    disruption_vector,
)
from chipstress.engine.regional import S_ZERO, tts_from_s
from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = ["ImpactResult", "SurvivalResult", "impact", "time_to_survive"]

# Upper bound on t in the integer time-to-survive program; reaching it means "forever".
INTEGER_TTS_CAP = 1e9


@dataclass(frozen=True)
class ImpactResult:
    """Outcome of a disruption over its duration.

    Attributes
    ----------
    lost_profit
        Margin of the end-customer demand not served over the window (currency).
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
    """

    lost_profit: float
    duration: float
    status: str
    lost_units: pd.Series = field(repr=False)
    production: pd.Series = field(repr=False)
    shipments: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class SurvivalResult:
    """How long the network meets all demand under a disruption.

    ``tts`` is in periods: ``inf`` when demand can be met forever, ``0`` when some demand
    cannot be met at all. ``binding_products`` are the nodes with demand whose demand
    limits the time; ``binding_nodes`` the other nodes whose capacity or stock does.
    """

    tts: float
    status: str
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

    Raises
    ------
    InvalidInput
        Unknown node, fraction outside (0, 1], or a duration that is not > 0.
    """
    duration = _check_duration(duration)
    model = compile_network(network)
    alpha = disruption_vector(network, disruption or {})
    if integer:
        data, layout = build_unscaled_lp(model, "ttr", alpha, duration, integer=True)
        scale = 1.0
    else:
        data, layout = build_lp(model, "ttr", alpha, duration)
        scale = duration
    highs = new_highs()
    pass_lp(highs, data)
    highs.run()
    status = lp_status(highs)
    ids = network.nodes["id"].to_numpy(dtype=object)
    products = ids[layout.products]
    if status != "optimal":
        empty = pd.Series(np.full(len(ids), np.nan), index=ids)
        return ImpactResult(
            np.nan,
            duration,
            status,
            empty[products],
            empty,
            pd.DataFrame(columns=["supplier", "customer", "material", "quantity"]),
        )
    x = np.asarray(highs.getSolution().col_value) * scale
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
    lost_profit = float(model.margin[layout.products] @ lost.to_numpy())
    return ImpactResult(lost_profit, duration, status, lost, production, shipments)


def time_to_survive(
    network: Network, disruption: Mapping[str, float] | None = None, *, integer: bool = False
) -> SurvivalResult:
    """Time-to-survive (periods) of ``network`` under ``disruption``, and what binds it.

    Parameters
    ----------
    disruption
        Node id -> fraction of capacity lost (1.0 = down), lasting indefinitely.
    integer
        Count whole units (all-integer production and shipments; ``t`` stays continuous).

    Raises
    ------
    InvalidInput
        Unknown node or a fraction outside (0, 1].
    """
    model = compile_network(network)
    alpha = disruption_vector(network, disruption or {})
    ids = network.nodes["id"].to_numpy(dtype=object)
    highs = new_highs()
    if integer:
        data, _ = build_unscaled_lp(model, "tts", alpha, integer=True)
        data.col_upper[-1] = INTEGER_TTS_CAP
        pass_lp(highs, data)
        highs.run()
        status = lp_status(highs)
        if status != "optimal":
            return SurvivalResult(np.nan if status != "infeasible" else 0.0, status, [], [])
        t = float(highs.getSolution().col_value[-1])
        tts = float("inf") if t >= INTEGER_TTS_CAP * (1 - 1e-9) else t
        return SurvivalResult(tts, status, [], [])
    data, layout = build_lp(model, "tts", alpha)
    pass_lp(highs, data)
    highs.run()
    status = lp_status(highs)
    if status != "optimal":
        reported = "optimal" if status == "infeasible" else status
        return SurvivalResult(tts_from_s(np.nan, status), reported, [], [])
    solution = highs.getSolution()
    s = float(solution.col_value[layout.extra_column])
    if s <= S_ZERO:
        return SurvivalResult(float("inf"), status, [], [])
    flow_dual = np.abs(np.asarray(solution.row_dual)[layout.n_bom :])
    capacity_dual = np.abs(np.asarray(solution.col_dual)[: len(layout.nodes)])
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
