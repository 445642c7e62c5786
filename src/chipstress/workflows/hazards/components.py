"""What an event costs, by component: lost margin, scrap, damage, mitigation, and exposure.

A replay, scenario or outage measures the margin of the sales it loses on the
time-expanded program (:mod:`chipstress.workflows.hazards.unfold`). :func:`event_components`
adds what that program does not see, per node hit (docs/hazards.md, "Loss components"):

* ``business_interruption`` — the node's share of the run's loss (``allocated_loss``)
  without the premiums paid on edges, which move to ``mitigation``;
* ``idle_capacity`` — the fixed costs (depreciation, fixed labour) of output a hit node
  did not make: its units short of the undisrupted production in the periods it was
  short (the plan that makes the most it can, so only what the event forced; a later
  catch-up does not offset it) × unit value × the kind's fixed-cost share. Whether or not
  a sale is lost, those costs run on while the tools stand; a lost sale's margin is in
  ``business_interruption``, so nothing is counted twice (the insurers' "standing
  charges" of business-interruption cover);
* ``scrap`` — work in process scrapped: WIP units (steady throughput × cycle time) ×
  value added so far (a share of the unit value) × a scrap fraction by hazard and
  severity (earthquakes by damage state, fires by the capacity lost, power outages by
  outage length, applied to the grid node's customers on the share of their load without
  backup power);
* ``damage`` — asset value (a multiple of a year's output at capacity) × a damage ratio
  (earthquakes by damage state, other hazards per unit of the capacity lost), plus a
  recovery cost per day down where the hazard needs repair or requalification;
* ``mitigation`` — the premiums paid on edges (part of the program's lost profit) and
  water trucked in during restrictions (price per m³ × the customers' water need × the
  cut × the duration);
* ``downstream_revenue_at_risk`` — the customers' product revenue behind the end-product
  units lost (unit value × a revenue multiple), split over the nodes like the loss; an
  exposure, never part of ``total``.

``total`` is the sum of the first five. The figures come from ``data/components.yaml``
(every number with ``source:`` or ``estimate:``), read by
:func:`load_component_parameters`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.engine.timeline import TimelineResult
from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.model.schema import NODE_KINDS
from chipstress.workflows.hazards.params import DAMAGE_STATES, PERIOD_DAYS, read_data_yaml
from chipstress.workflows.hazards.profiles import PROFILE_COLUMNS, Profile

__all__ = [
    "COMPONENTS",
    "COMPONENT_COLUMNS",
    "TOTAL_FIELDS",
    "ComponentParameters",
    "HitCosts",
    "KindFigures",
    "component_totals",
    "default_component_parameters",
    "empty_components",
    "event_components",
    "load_component_parameters",
]

COMPONENTS: tuple[str, ...] = (
    "business_interruption",
    "idle_capacity",
    "scrap",
    "damage",
    "mitigation",
)
# ``output_short``: units of its own output a hit node made below the undisrupted
# horizon's (not money; what ``idle_capacity`` is charged on).
COMPONENT_COLUMNS = [
    "node",
    "kind",
    *COMPONENTS,
    "total",
    "downstream_revenue_at_risk",
    "output_short",
]
# The summary fields of a run with components (:func:`component_totals`).
TOTAL_FIELDS: tuple[str, ...] = (*COMPONENTS, "total_loss", "downstream_revenue_at_risk")
KINDS: tuple[str, ...] = NODE_KINDS
_FLOW_HAZARDS = ("power_outage",)  # scrap lands at the hit node's customers


@dataclass(frozen=True)
class KindFigures:
    """The loss-component figures of one node kind (``components.yaml``, ``kinds``).

    Attributes
    ----------
    cycle_time_days
        Time a unit spends in the line (days).
    value_added_share
        Share of the unit value embodied in an average unit of WIP.
    price_per_margin
        Unit value per unit of margin, where the node sells to demand.
    unit_value
        Value per unit of output where the node sells no end product (currency/unit).
    asset_to_annual_sales
        Replacement value of the plant per unit of a year's output value at capacity.
    recovery_cost_per_day
        Recovery cost per day of full capacity lost (share of the asset value).
    water_m3_per_unit
        Process water per unit of output (m³/unit).
    revenue_multiple
        Customers' product revenue per unit of end-product value.
    fixed_cost_share
        Share of the unit value that is fixed cost (depreciation, fixed labour): what a
        unit not made costs while the plant stands.
    power_backup_share
        Share of the plant's load that rides through a grid cut (UPS, dual feeders,
        priority supply): a power outage scraps WIP only on the rest.
    """

    cycle_time_days: float
    value_added_share: float
    price_per_margin: float
    unit_value: float
    asset_to_annual_sales: float
    recovery_cost_per_day: float
    water_m3_per_unit: float
    revenue_multiple: float
    fixed_cost_share: float
    power_backup_share: float


_LIMITS: dict[str, tuple[float, float]] = {
    "cycle_time_days": (0.0, 730.0),
    "value_added_share": (0.0, 1.0),
    "price_per_margin": (1.0, 100.0),
    "unit_value": (0.0, 1e9),
    "asset_to_annual_sales": (0.0, 20.0),
    "recovery_cost_per_day": (0.0, 0.1),
    "water_m3_per_unit": (0.0, 1e6),
    "revenue_multiple": (0.0, 1000.0),
    "fixed_cost_share": (0.0, 1.0),
    "power_backup_share": (0.0, 1.0),
}


@dataclass(frozen=True)
class ComponentParameters:
    """The loss-component data (``data/components.yaml``).

    Attributes
    ----------
    currency
        Currency of the absolute figures (unit values, water trucking).
    utilisation
        Share of capacity used when the undisrupted throughput is not at hand.
    kinds
        Figures per node kind (``other`` is the fallback).
    materials
        Unit value per material (currency/unit), before a kind's ``unit_value``.
    quake_scrap, quake_damage
        Scrap fraction of WIP and damage ratio of the asset value, per damage state.
    power_scrap
        ``(class, max_hours, scrap fraction)`` of power outages, shortest first.
    hazard_scrap, hazard_damage
        Scrap fraction and damage ratio (per unit of capacity lost; fires' scrap too)
        of the other hazards.
    recovery_hazards
        Hazards whose days down cost recovery.
    trucking_per_m3
        Price of water trucked in (currency per m³).
    provenance
        Where each number comes from, by its path in the file.
    """

    currency: str
    utilisation: float
    kinds: Mapping[str, KindFigures]
    materials: Mapping[str, float]
    quake_scrap: Mapping[str, float]
    quake_damage: Mapping[str, float]
    power_scrap: tuple[tuple[str, float, float], ...]
    hazard_scrap: Mapping[str, float]
    hazard_damage: Mapping[str, float]
    recovery_hazards: frozenset[str]
    trucking_per_m3: float
    provenance: Mapping[str, str]

    def kind(self, kind: str) -> KindFigures:
        """The figures of a node kind (``other`` when the file has none for it)."""
        return self.kinds.get(str(kind), self.kinds["other"])


class _Checker:
    """Reads ``{value, source|estimate}`` records, collecting problems."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []
        self.provenance: dict[str, str] = {}

    def record(self, where: str, raw: Any, lo: float, hi: float) -> float:
        if not isinstance(raw, Mapping):
            self.problems.append(f"{where}: expected {{value: ..., source|estimate: ...}}")
            return math.nan
        text = str(raw.get("source") or raw.get("estimate") or "").strip()
        if not text:
            self.problems.append(f"{where}: no 'source:' or 'estimate:'")
        elif raw.get("estimate") and not raw.get("source"):
            text = f"estimate: {text}"
        self.provenance[where] = text
        try:
            value = float(raw["value"])
        except (KeyError, TypeError, ValueError):
            value = math.nan
        if math.isnan(value) or not lo <= value <= hi:
            self.problems.append(f"{where}: {raw.get('value')!r} is not a number in [{lo}, {hi}]")
        return value


def _kinds(check: _Checker, data: Mapping[str, Any]) -> dict[str, KindFigures]:
    raw_kinds: Mapping[str, Any] = data.get("kinds") or {}
    done: dict[str, dict[str, float]] = {}

    def figures(kind: str, seen: tuple[str, ...] = ()) -> dict[str, float]:
        if kind in done:
            return done[kind]
        spec = raw_kinds.get(kind)
        if not isinstance(spec, Mapping) or kind in seen:
            check.problems.append(f"kinds.{kind}: missing, or an 'as:' loop")
            return dict.fromkeys(_LIMITS, math.nan)
        values: dict[str, float] = {}
        base = spec.get("as")
        if base is not None:
            values = dict(figures(str(base), (*seen, kind)))
            for name in values:
                check.provenance[f"kinds.{kind}.{name}"] = f"estimate: as {base}"
        for name, (lo, hi) in _LIMITS.items():
            if name in spec:
                values[name] = check.record(f"kinds.{kind}.{name}", spec[name], lo, hi)
            elif name not in values:
                check.problems.append(f"kinds.{kind}: no {name}")
                values[name] = math.nan
        done[kind] = values
        return values

    return {kind: KindFigures(**figures(kind)) for kind in (*KINDS, *raw_kinds)}


def _power_classes(check: _Checker, raw: Any) -> tuple[tuple[str, float, float], ...]:
    classes = []
    for name, record in (raw or {}).items():
        where = f"scrap.power_outage.{name}"
        fraction = check.record(where, record, 0.0, 1.0)
        hours = (
            float(record.get("max_hours", math.nan)) if isinstance(record, Mapping) else math.nan
        )
        if math.isnan(hours) or hours <= 0:
            check.problems.append(f"{where}: max_hours must be > 0 (.inf for the last class)")
        classes.append((str(name), hours, fraction))
    classes.sort(key=lambda c: c[1])
    if not classes or classes[-1][1] != math.inf:
        check.problems.append("scrap.power_outage: the last class needs max_hours: .inf")
    return tuple(classes)


def load_component_parameters(path: str | Path | None = None) -> ComponentParameters:
    """Read and check the loss-component data.

    Parameters
    ----------
    path
        A ``components.yaml`` to read instead of the packaged one.

    Returns
    -------
    ComponentParameters
        The figures, with the source or estimate of each.

    Raises
    ------
    InvalidInput
        The file is not valid YAML, a number is missing or out of range, a record has
        no ``source:`` or ``estimate:``, a kind or damage state is missing.
    """
    label, data = read_data_yaml("components.yaml", path)
    check = _Checker(label)
    utilisation = check.record("utilisation", data.get("utilisation"), 0.01, 1.0)
    kinds = _kinds(check, data)
    materials = {
        str(m): check.record(f"materials.{m}", r, 0.0, 1e9)
        for m, r in (data.get("materials") or {}).items()
    }
    scrap: Mapping[str, Any] = data.get("scrap") or {}
    damage: Mapping[str, Any] = data.get("damage") or {}
    quake_scrap, quake_damage = {}, {}
    for state in DAMAGE_STATES:
        quake_scrap[state] = check.record(
            f"scrap.earthquake.{state}", (scrap.get("earthquake") or {}).get(state), 0.0, 1.0
        )
        quake_damage[state] = check.record(
            f"damage.earthquake.{state}", (damage.get("earthquake") or {}).get(state), 0.0, 1.0
        )
    power = _power_classes(check, scrap.get("power_outage"))
    hazard_scrap = {
        str(h): check.record(f"scrap.{h}", r, 0.0, 1.0)
        for h, r in scrap.items()
        if h not in ("earthquake", "power_outage")
    }
    hazard_damage = {
        str(h): check.record(f"damage.{h}", r, 0.0, 1.0)
        for h, r in damage.items()
        if h != "earthquake"
    }
    recovery = data.get("recovery_cost") or {}
    if not (recovery.get("source") or recovery.get("estimate")):
        check.problems.append("recovery_cost: no 'source:' or 'estimate:'")
    trucking = check.record("water_trucking", data.get("water_trucking"), 0.0, 1e4)
    if check.problems:
        listed = "\n  - ".join(check.problems[:25])
        raise InvalidInput(f"{len(check.problems)} problem(s) in {label}:\n  - {listed}")
    return ComponentParameters(
        currency=str(data.get("currency") or ""),
        utilisation=utilisation,
        kinds=kinds,
        materials=materials,
        quake_scrap=quake_scrap,
        quake_damage=quake_damage,
        power_scrap=power,
        hazard_scrap=hazard_scrap,
        hazard_damage=hazard_damage,
        recovery_hazards=frozenset(map(str, recovery.get("hazards") or ())),
        trucking_per_m3=trucking,
        provenance=dict(check.provenance),
    )


@cache
def default_component_parameters() -> ComponentParameters:
    """The packaged loss-component data (read once)."""
    return load_component_parameters()


def empty_components() -> pd.DataFrame:
    """A components table with no rows."""
    return pd.DataFrame(
        {c: pd.Series(dtype=object if c in ("node", "kind") else float) for c in COMPONENT_COLUMNS}
    )


def component_totals(components: pd.DataFrame) -> dict[str, float]:
    """The run's sums of a components table (currency).

    Parameters
    ----------
    components
        From :func:`event_components` (columns :data:`COMPONENT_COLUMNS`).

    Returns
    -------
    dict of str to float
        ``business_interruption``, ``scrap``, ``damage``, ``mitigation``, ``total_loss``
        (their sum) and ``downstream_revenue_at_risk`` (not in ``total_loss``).
    """
    sums = {c: float(components[c].sum()) if c in components else 0.0 for c in COMPONENTS}
    sums["total_loss"] = float(sum(sums.values()))
    column = "downstream_revenue_at_risk"
    sums[column] = float(components[column].sum()) if column in components else 0.0
    return sums


def _period_days(network: Network) -> float:
    name = str(network.meta.period).strip().lower()
    name = name[:-1] if name.endswith("s") else name
    return PERIOD_DAYS.get(name, 1.0)


def _throughput(network: Network, result: TimelineResult | None, utilisation: float) -> pd.Series:
    """Units each node makes per network period in the undisrupted steady state."""
    ids = network.nodes["id"].astype(str)
    fallback = pd.Series(
        network.nodes["capacity"].to_numpy(dtype=float) * utilisation, index=ids.to_numpy()
    )
    if result is None:
        return fallback
    base = result.baseline or result
    production = base.production
    if production is None or production.empty or not base.period > 0:
        return fallback
    made = production.mean(axis=1) / base.period
    made.index = made.index.astype(str)
    made = made.reindex(fallback.index)
    return made.where(np.isfinite(made), fallback)


def _output_short(result: TimelineResult | None) -> pd.Series | None:
    """Units each node made below the undisrupted plan, summed over the periods it was short.

    The plan is the one that makes the most it can (the timeline's second stage), so
    what is short was forced by the event (capacity lost, or inputs missing), whichever
    optimum the solver reached first; output made above the undisrupted rate later (a
    catch-up) does not offset it: the standing charges ran while the node was short.
    """
    if result is None or result.baseline is None:
        return None
    made, base = result.production, result.baseline.production
    if made is None or base is None or made.empty or base.empty:
        return None
    below = (base - made.reindex(index=base.index, columns=base.columns)).clip(lower=0.0)
    short = below.sum(axis=1)
    short.index = short.index.astype(str)
    return short


def _unit_values(network: Network, params: ComponentParameters) -> pd.Series:
    """Value per unit of each node's output (currency/unit)."""
    nodes = network.nodes
    count = len(nodes)

    def column(name: str, default: Any) -> list[Any]:
        return nodes[name].tolist() if name in nodes else [default] * count

    values = {}
    for node, kind, margin, demand, material in zip(
        column("id", ""),
        column("kind", ""),
        column("margin", math.nan),
        column("demand", math.nan),
        column("material", ""),
        strict=True,
    ):
        figures = params.kind(str(kind))
        margin = float(margin or math.nan)
        demand = float(demand or math.nan)
        if demand > 0 and margin > 0:
            values[str(node)] = margin * figures.price_per_margin
        elif str(material) in params.materials:
            values[str(node)] = params.materials[str(material)]
        else:
            values[str(node)] = figures.unit_value
    return pd.Series(values, dtype=float)


def _customers(network: Network) -> dict[str, list[str]]:
    edges = network.sources
    out: dict[str, list[str]] = {}
    for supplier, customer in zip(
        edges["supplier"].tolist(), edges["customer"].tolist(), strict=True
    ):
        out.setdefault(str(supplier), []).append(str(customer))
    return out


def _power_fraction(params: ComponentParameters, hours: float) -> float:
    for _, limit, fraction in params.power_scrap:
        if hours <= limit:
            return fraction
    return params.power_scrap[-1][2]


@dataclass(frozen=True)
class _Context:
    """Per node: kind, figures, throughput (units/period), unit value, WIP and asset value."""

    days: float
    kinds: pd.Series
    figures: dict[str, KindFigures]
    made: pd.Series
    value: pd.Series
    wip: dict[str, float]
    assets: dict[str, float]
    customers: dict[str, list[str]]
    params: ComponentParameters

    @classmethod
    def build(
        cls, network: Network, result: TimelineResult | None, params: ComponentParameters
    ) -> _Context:
        static = _static_context(network, params)
        days, figures = static.days, static.figures
        made = _throughput(network, result, params.utilisation)
        wip = {
            n: float(m * f.cycle_time_days / days * v * f.value_added_share)
            for (n, f), m, v in zip(
                figures.items(),
                made.reindex(static.ids).to_numpy(dtype=float),
                static.values,
                strict=True,
            )
        }
        return cls(
            days,
            static.kinds,
            figures,
            made,
            static.value,
            wip,
            static.assets,
            static.customers,
            params,
        )


@dataclass(frozen=True)
class _StaticContext:
    """What a run's context takes from the network and the data alone (shared: read only)."""

    params: ComponentParameters
    days: float
    kinds: pd.Series
    figures: dict[str, KindFigures]
    ids: list[str]
    value: pd.Series
    values: np.ndarray  # value per node of ``ids`` (currency/unit)
    assets: dict[str, float]
    customers: dict[str, list[str]]


_STATIC_KEPT = 8
_STATIC: OrderedDict[tuple[str, int], _StaticContext] = OrderedDict()
_STATIC_LOCK = threading.Lock()


def _static_context(network: Network, params: ComponentParameters) -> _StaticContext:
    """Kinds, figures, unit and asset values, customers per node (the last 8 kept).

    Kept by the network's fingerprint and the parameters object: an outage what-if on a
    warm server reads them for every call on a network.
    """
    key = (network.fingerprint(), id(params))
    with _STATIC_LOCK:
        static = _STATIC.get(key)
        if static is not None and static.params is params:
            _STATIC.move_to_end(key)
            return static
    days = _period_days(network)
    kinds = network.nodes.set_index(network.nodes["id"].astype(str))["kind"].astype(str)
    capacity = pd.Series(network.nodes["capacity"].to_numpy(dtype=float), index=kinds.index)
    value = _unit_values(network, params)
    figures = {str(node): params.kind(str(kind)) for node, kind in kinds.items()}
    ids = list(figures)
    values = value.reindex(ids).to_numpy(dtype=float)
    assets = {
        n: float(f.asset_to_annual_sales * c * (365.25 / days) * v)
        for (n, f), v, c in zip(
            figures.items(), values, capacity.reindex(ids).to_numpy(dtype=float), strict=True
        )
    }
    static = _StaticContext(
        params, days, kinds, figures, ids, value, values, assets, _customers(network)
    )
    with _STATIC_LOCK:
        _STATIC[key] = static
        while len(_STATIC) > _STATIC_KEPT:
            _STATIC.popitem(last=False)
    return static


@dataclass
class _Hits:
    """What the hits on one node add up to (shares kept combine as independent causes)."""

    kept_wip: float = 1.0
    kept_asset: float = 1.0
    flow_scrap: float = 0.0
    recovery: float = 0.0
    trucking: float = 0.0

    def add(
        self, ctx: _Context, node: str, hazard: str, state: str, fraction: float, periods: float
    ) -> None:
        params = ctx.params
        if hazard == "earthquake":
            scrap_share = params.quake_scrap.get(state, 0.0)
            damage_share = params.quake_damage.get(state, 0.0)
        else:
            scrap_share = params.hazard_scrap.get(hazard, 0.0)
            damage_share = params.hazard_damage.get(hazard, 0.0) * fraction
            if hazard == "fire":
                scrap_share *= fraction
        customers = ctx.customers.get(node, [])
        if hazard in _FLOW_HAZARDS:
            cut = _power_fraction(params, periods * ctx.days * 24.0) * fraction
            self.flow_scrap += sum(
                ctx.wip.get(c, 0.0) * cut * (1.0 - ctx.figures[c].power_backup_share)
                for c in customers
                if c in ctx.figures
            )
        else:
            self.kept_wip *= 1.0 - scrap_share
        self.kept_asset *= 1.0 - damage_share
        if hazard in params.recovery_hazards and node in ctx.figures:
            rate = ctx.figures[node].recovery_cost_per_day
            self.recovery += rate * ctx.assets[node] * fraction * periods * ctx.days
        if hazard == "water_restriction":
            need = sum(float(ctx.made[c]) * ctx.figures[c].water_m3_per_unit for c in customers)
            self.trucking += params.trucking_per_m3 * need * fraction * periods


class HitCosts:
    """What sampled hits cost beyond lost sales, without a solve (for ``simulate``).

    The per-node figures (throughput = capacity × utilisation, unit values, WIP and asset
    values) are built once per network; :meth:`cost` then prices one event's hits as
    :func:`event_components` does with no timeline result: idle capacity on the outage
    at most (throughput × capacity lost × recovery time), scrap, damage and recovery
    cost, and water trucking.

    Parameters
    ----------
    network
        The network the events hit.
    params
        Loss-component data (default: the packaged ``data/components.yaml``).
    """

    IDLE, SCRAP, DAMAGE, TRUCKING = range(4)
    NAMES: tuple[str, ...] = ("idle_capacity", "scrap", "damage", "trucking")

    def __init__(self, network: Network, params: ComponentParameters | None = None) -> None:
        ctx = _Context.build(network, None, params or default_component_parameters())
        self.ctx = ctx
        self.ids = [str(n) for n in network.nodes["id"]]
        figures = [ctx.figures[n] for n in self.ids]
        self._wip = np.array([ctx.wip[n] for n in self.ids])
        self._assets = np.array([ctx.assets[n] for n in self.ids])
        made = ctx.made.reindex(self.ids).to_numpy(dtype=float)
        value = ctx.value.reindex(self.ids).to_numpy(dtype=float)
        self._idle_rate = made * value * np.array([f.fixed_cost_share for f in figures])
        self._recovery_rate = (
            np.array([f.recovery_cost_per_day for f in figures]) * self._assets * ctx.days
        )
        position = {n: i for i, n in enumerate(self.ids)}
        unbacked = self._wip * (1.0 - np.array([f.power_backup_share for f in figures]))
        water = made * np.array([f.water_m3_per_unit for f in figures])
        self._flow_wip = np.zeros(len(self.ids))
        self._water_need = np.zeros(len(self.ids))
        for node, customers in ctx.customers.items():
            rows = [position[c] for c in customers if c in position]
            self._flow_wip[position[node]] = float(unbacked[rows].sum())
            self._water_need[position[node]] = float(water[rows].sum())

    def cost(
        self,
        hazard: str,
        positions: np.ndarray,
        fractions: np.ndarray,
        periods: np.ndarray,
        states: tuple[str, ...] | None = None,
    ) -> np.ndarray:
        """Idle capacity, scrap, damage and water trucking of one event's hits (currency).

        Parameters
        ----------
        hazard
            The event's hazard type.
        positions
            Node positions hit (in the network's node table).
        fractions
            Capacity lost per hit (0..1).
        periods
            Recovery time per hit (network periods).
        states
            Damage-state name per hit (earthquakes), else ``None``.

        Returns
        -------
        numpy.ndarray
            The four amounts, in the order of :attr:`NAMES`.
        """
        rows = np.asarray(positions, dtype=np.int64)
        if len(np.unique(rows)) < len(rows):  # a node hit twice: combine hit by hit
            return self._cost_by_hit(hazard, rows, fractions, periods, states)
        params, ctx = self.ctx.params, self.ctx
        f = np.asarray(fractions, dtype=float)
        t = np.asarray(periods, dtype=float)
        out = np.zeros(4)
        out[self.IDLE] = float(np.sum(self._idle_rate[rows] * f * t))
        if hazard == "earthquake":
            names = states if states is not None else ("",) * len(rows)
            scrap = np.array([params.quake_scrap.get(n, 0.0) for n in names])
            damage = np.array([params.quake_damage.get(n, 0.0) for n in names])
        else:
            scrap = np.full(len(rows), params.hazard_scrap.get(hazard, 0.0))
            damage = params.hazard_damage.get(hazard, 0.0) * f
            if hazard == "fire":
                scrap = scrap * f
        if hazard in _FLOW_HAZARDS:
            hours = t * ctx.days * 24.0
            cut = np.array([_power_fraction(params, h) for h in hours]) * f
            out[self.SCRAP] = float(np.sum(self._flow_wip[rows] * cut))
        else:
            out[self.SCRAP] = float(np.sum(self._wip[rows] * scrap))
        out[self.DAMAGE] = float(np.sum(self._assets[rows] * damage))
        if hazard in params.recovery_hazards:
            out[self.DAMAGE] += float(np.sum(self._recovery_rate[rows] * f * t))
        if hazard == "water_restriction":
            out[self.TRUCKING] = params.trucking_per_m3 * float(
                np.sum(self._water_need[rows] * f * t)
            )
        return out

    def _cost_by_hit(
        self,
        hazard: str,
        rows: np.ndarray,
        fractions: np.ndarray,
        periods: np.ndarray,
        states: tuple[str, ...] | None,
    ) -> np.ndarray:
        """:meth:`cost` when a node is hit more than once (shares kept combine)."""
        ctx = self.ctx
        out = np.zeros(4)
        hits: dict[str, _Hits] = {}
        idle: dict[str, float] = {}
        for k, position in enumerate(rows):
            node = self.ids[int(position)]
            fraction, length = float(fractions[k]), float(periods[k])
            hits.setdefault(node, _Hits()).add(
                ctx, node, hazard, states[k] if states is not None else "", fraction, length
            )
            idle.setdefault(node, float(self._idle_rate[int(position)]) * fraction * length)
        out[self.IDLE] = sum(idle.values())
        for node, hit in hits.items():
            out[self.SCRAP] += (1.0 - hit.kept_wip) * ctx.wip.get(node, 0.0) + hit.flow_scrap
            out[self.DAMAGE] += (1.0 - hit.kept_asset) * ctx.assets.get(node, 0.0) + hit.recovery
            out[self.TRUCKING] += hit.trucking
        return out


def _premium_and_exposure(ctx: _Context, result: TimelineResult | None) -> tuple[float, float]:
    """Premiums paid beyond the baseline's, and the revenue behind the units lost (currency)."""
    if result is None:
        return 0.0, 0.0
    base = result.baseline or result
    premium = float(result.premium_cost - base.premium_cost) if result.baseline else 0.0
    lost = (result.lost_units.sum(axis=1) - base.lost_units.sum(axis=1)).clip(lower=0.0)
    exposure = 0.0
    for product, units in lost.items():
        name = str(product)
        if units > 0 and name in ctx.figures:
            exposure += float(units) * ctx.value[name] * ctx.figures[name].revenue_multiple
    return premium, exposure


def event_components(
    network: Network,
    profile: Profile | pd.DataFrame,
    result: TimelineResult | None,
    shares: Mapping[str, float],
    params: ComponentParameters | None = None,
) -> pd.DataFrame:
    """The loss components of a run, one row per node hit.

    Parameters
    ----------
    network
        The network the run was solved on (kinds, capacities, margins, edges).
    profile
        The run's time profile (its ``sites``: one row per hit with ``site``, ``hazard``,
        ``damage_state``, ``capacity_loss`` (fraction) and ``recovery_periods`` (network
        periods)), or that table itself.
    result
        The run's timeline solve with its baseline (throughput, premiums, lost units);
        ``None``: throughput is capacity × utilisation, and no premium or unit is lost.
    shares
        Node id -> its share of the run's loss (currency; ``allocated_loss``, premiums
        included).
    params
        Loss-component data (default: the packaged ``data/components.yaml``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPONENT_COLUMNS`, money in the network's currency (``output_short``
        in units of each node's output), sorted by
        ``total`` (largest first). ``total`` = business interruption + scrap + damage +
        mitigation; ``downstream_revenue_at_risk`` is not in it.
    """
    params = params or default_component_parameters()
    sites = profile.sites if isinstance(profile, Profile) else profile
    sites = sites.reindex(columns=PROFILE_COLUMNS)
    ctx = _Context.build(network, result, params)
    nodes = list(dict.fromkeys([*map(str, sites["site"].dropna()), *map(str, shares)]))
    hits = {n: _Hits() for n in nodes}
    for site, hazard, state, fraction, periods in zip(
        sites["site"].astype(str),
        sites["hazard"].astype(str),
        sites["damage_state"].astype(str),
        sites["capacity_loss"].to_numpy(dtype=float),
        sites["recovery_periods"].to_numpy(dtype=float),
        strict=True,
    ):
        hits[site].add(ctx, site, hazard, state, float(fraction), float(periods))
    short = _output_short(result)
    idle: dict[str, float] = {}
    units_short: dict[str, float] = {}
    for site, fraction, periods in zip(
        sites["site"].astype(str),
        sites["capacity_loss"].to_numpy(dtype=float),
        sites["recovery_periods"].to_numpy(dtype=float),
        strict=True,
    ):
        if site in idle or site not in ctx.figures:
            continue
        units = (
            float(short.get(site, 0.0))
            if short is not None
            else float(ctx.made[site]) * fraction * periods  # no solve: the outage at most
        )
        units_short[site] = units
        idle[site] = units * float(ctx.value[site]) * ctx.figures[site].fixed_cost_share
    loss = float(sum(shares.values()))
    premium, lost_value = _premium_and_exposure(ctx, result)
    moved = min(max(premium / loss, 0.0), 1.0) if loss > 0 else 0.0
    weights = {n: max(float(shares.get(n, 0.0)), 0.0) for n in nodes}
    weight = sum(weights.values())
    rows = []
    for n in nodes:
        share = float(shares.get(n, 0.0))
        row = {
            "node": n,
            "kind": ctx.kinds.get(n, ""),
            "business_interruption": share * (1.0 - moved),
            "idle_capacity": idle.get(n, 0.0),
            "scrap": (1.0 - hits[n].kept_wip) * ctx.wip.get(n, 0.0) + hits[n].flow_scrap,
            "damage": (1.0 - hits[n].kept_asset) * ctx.assets.get(n, 0.0) + hits[n].recovery,
            "mitigation": share * moved + hits[n].trucking,
        }
        row["total"] = sum(row[c] for c in COMPONENTS)
        row["downstream_revenue_at_risk"] = lost_value * (
            weights[n] / weight if weight > 0 else 1.0 / len(nodes)
        )
        row["output_short"] = units_short.get(n, 0.0)
        rows.append(row)
    if not rows:
        return empty_components()
    table = pd.DataFrame(rows, columns=COMPONENT_COLUMNS)
    return table.sort_values(["total", "node"], ascending=[False, True]).reset_index(drop=True)
