"""Events → each hit node's capacity period by period (a *time profile*).

The window model (:mod:`chipstress.workflows.hazards.translate`) squeezes an event into one
window; a profile lets it unfold. The nodes hit, and how much capacity each loses in
total, are the window model's (the same :func:`~chipstress.workflows.hazards.translate.event_hits`):
a hit losing a fraction ``f`` for ``d`` periods loses ``f · d`` capacity-periods. A
*recovery curve* (``data/recovery.yaml``, per hazard, node kind and damage state) says
when: an immediate drop ``P`` and a shape ``g(x)`` (loss still there, as a fraction of the
drop, at ``x`` of the way to full recovery, piecewise linear). The node loses
``P · g((t − start) / D)`` at time ``t``, with the recovery time ``D = f · d / (P · ∫g)``
chosen so that the area stays ``f · d``. A flat curve (``P = f``, ``g = 1``) is the
window model's outage exactly. Each run period's capacity is the curve's mean over the
period. Several hits on one node act as independent causes (remaining capacities
multiply, period by period). Export controls block source edges in every run period
they overlap.

:func:`capacity_profile` builds a :class:`Profile`; :func:`timeline_inputs` turns it into
what :meth:`chipstress.engine.timeline.TimelineModel.solve` takes. The shapes and their
sources are in docs/hazards.md, "Time profiles".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from chipstress.engine.timeline import TimelineModel
from chipstress.errors import InvalidInput
from chipstress.model.io.safe import load_yaml
from chipstress.model.network import Network
from chipstress.workflows.hazards.checks import check_events
from chipstress.workflows.hazards.events import Duration, Event, ExportControl
from chipstress.workflows.hazards.params import HazardParameters, default_parameters
from chipstress.workflows.hazards.translate import Sites, blocked_edges, event_hits

__all__ = [
    "PROFILE_COLUMNS",
    "Profile",
    "RecoveryCurve",
    "capacity_profile",
    "curve_for",
    "load_curves",
    "mean_loss",
    "timeline_inputs",
]

PROFILE_COLUMNS = [
    "site",
    "kind",
    "event",
    "hazard",
    "damage_state",
    "curve",
    "capacity_loss",
    "recovery_periods",
    "drop",
    "start_periods",
    "end_periods",
    "capacity_periods_lost",
    "reason",
]


@dataclass(frozen=True)
class RecoveryCurve:
    """An immediate drop and a recovery shape.

    Attributes
    ----------
    name
        The curve's name in ``recovery.yaml``.
    drop
        Fraction of capacity lost at the first moment, in (0, 1]; ``None``: the window
        model's fraction (a level held for the whole event).
    x, g
        The shape: at ``x`` of the way to full recovery (0..1, non-decreasing; a repeated
        ``x`` is a step) the loss still there is ``g`` times the drop (``g[0] = 1``).
    source
        Where the shape comes from (a source, or ``estimate: <basis>``).
    """

    name: str
    drop: float | None
    x: np.ndarray
    g: np.ndarray
    source: str

    @functools.cached_property
    def area(self) -> float:
        """``∫₀¹ g(x) dx``: the share of ``drop × recovery time`` the curve loses."""
        return float(np.sum(np.diff(self.x) * (self.g[1:] + self.g[:-1]) / 2.0))

    def scaled(self, fraction: float, periods: float) -> tuple[float, float]:
        """Drop and recovery time of a hit losing ``fraction`` for ``periods`` (same area).

        Parameters
        ----------
        fraction
            The window model's capacity loss of the hit (fraction, 0..1).
        periods
            The window model's outage length (network periods).

        Returns
        -------
        tuple of float
            The immediate drop (fraction, at least ``fraction``) and the recovery time
            ``D`` (network periods) with ``drop · area · D = fraction · periods``.
        """
        drop = fraction if self.drop is None else max(self.drop, fraction)
        return drop, fraction * periods / (drop * self.area)


def _curve(name: str, raw: Mapping[str, Any], label: str) -> RecoveryCurve:
    """One curve from ``recovery.yaml``, checked."""
    points = np.asarray(raw.get("points"), dtype=float)
    drop_raw = raw.get("drop")
    problems = []
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 2:
        raise InvalidInput(f"{label}: curve {name!r}: points must be a list of [x, g] pairs")
    x, g = points[:, 0], points[:, 1]
    if x[0] != 0 or x[-1] != 1 or np.any(np.diff(x) < 0):
        problems.append("x must rise from 0 to 1")
    if g[0] != 1 or np.any((g < 0) | (g > 1)):
        problems.append("g must start at 1 and stay in [0, 1]")
    elif not problems and np.sum(np.diff(x) * (g[1:] + g[:-1])) <= 0:
        problems.append("the curve loses nothing (its area is 0)")
    drop = None if drop_raw == "window" else drop_raw
    if drop is not None and not (isinstance(drop, int | float) and 0 < drop <= 1):
        problems.append(f"drop must be in (0, 1] or 'window', got {drop_raw!r}")
    source = raw.get("source") or raw.get("estimate")
    if not source:
        problems.append("give its source, or 'estimate: <basis>'")
    if problems:
        raise InvalidInput(f"{label}: curve {name!r}: " + "; ".join(problems))
    text = " ; ".join(
        str(raw[k]) if k == "source" else f"estimate: {raw[k]}"
        for k in ("source", "estimate")
        if raw.get(k)
    )
    return RecoveryCurve(name, None if drop is None else float(drop), x, g, text)


@functools.cache
def load_curves() -> tuple[dict[str, RecoveryCurve], dict[str, Any]]:
    """The packaged recovery curves and which hazard, kind and state follows which.

    Returns
    -------
    tuple
        Curves by name, and the ``hazards`` mapping of ``recovery.yaml``.

    Raises
    ------
    InvalidInput
        A curve without a source, a shape out of range, or an assignment naming an
        unknown curve.
    """
    label = "hazards/data/recovery.yaml"
    text = (
        resources.files("chipstress.workflows.hazards")
        .joinpath("data", "recovery.yaml")
        .read_text(encoding="utf-8")
    )
    data = load_yaml(text, label)
    curves = {name: _curve(name, raw, label) for name, raw in data["curves"].items()}
    hazards: dict[str, Any] = data.get("hazards") or {}
    for hazard, kinds in hazards.items():
        for kind, choice in kinds.items():
            names = choice.values() if isinstance(choice, Mapping) else [choice]
            unknown = sorted(str(n) for n in names if n not in curves)
            if unknown:
                raise InvalidInput(f"{label}: {hazard}.{kind} names unknown curve(s) {unknown}")
    return curves, hazards


def curve_for(hazard: str, kind: str, state: str) -> RecoveryCurve:
    """The recovery curve of a hit: by hazard, node kind and damage state.

    Parameters
    ----------
    hazard
        The event's hazard (``earthquake``, ``fire``, ``typhoon``, ...).
    kind
        The node's kind (``fab``, ``utility``, ...).
    state
        The damage state (earthquakes) or the hit's state label (others).

    Returns
    -------
    RecoveryCurve
        The curve ``recovery.yaml`` assigns, falling back to ``default`` entries and
        finally to ``flat``.
    """
    curves, hazards = load_curves()
    kinds = hazards.get(hazard, {})
    choice = kinds.get(kind, kinds.get("default", "flat"))
    if isinstance(choice, Mapping):
        choice = choice.get(state, choice.get("default", "flat"))
    return curves[str(choice)]


def mean_loss(
    starts: np.ndarray,
    drops: np.ndarray,
    spans: np.ndarray,
    curves: Sequence[RecoveryCurve],
    edges: np.ndarray,
) -> np.ndarray:
    """Mean loss of each hit over each run period (hits × periods).

    Parameters
    ----------
    starts, drops, spans
        Per hit: when it strikes and how long it takes to recover (network periods),
        and its immediate drop (fraction of capacity).
    curves
        Per hit, its recovery curve.
    edges
        The H + 1 period boundaries (network periods).

    Returns
    -------
    numpy.ndarray
        Fraction of capacity lost, on average over each period (hits × H): hit ``k``
        loses ``drops[k] · g((t − starts[k]) / spans[k])`` while
        ``0 ≤ t − starts[k] < spans[k]``.
    """
    out = np.zeros((len(starts), len(edges) - 1))
    left, right = edges[:-1], edges[1:]
    for k, curve in enumerate(curves):
        t = starts[k] + curve.x * spans[k]
        for t0, t1, g0, g1 in zip(t[:-1], t[1:], curve.g[:-1], curve.g[1:], strict=True):
            if t1 <= t0:
                continue  # a step
            a, b = np.maximum(left, t0), np.minimum(right, t1)
            inside = b > a
            ga = g0 + (g1 - g0) * (a - t0) / (t1 - t0)
            gb = g0 + (g1 - g0) * (b - t0) / (t1 - t0)
            out[k] += np.where(inside, (ga + gb) / 2.0 * (b - a), 0.0)
    return out * (drops[:, None] / (right - left)[None, :])


@dataclass(frozen=True)
class Profile:
    """What events do to a network, period by period.

    Attributes
    ----------
    node_ids
        The network's node ids (rows of ``capacity``).
    capacity
        Remaining capacity fraction per node and run period (``n_nodes × H``, 0..1).
    blocked
        Source edges export controls block in each run period (``n_edges × H``, rows in
        the order of ``network.sources``).
    period
        Length of a run period (network periods).
    start
        Where period 1 begins, after the scenario begins (network periods).
    sites
        One row per hit (columns ``PROFILE_COLUMNS``): the node, the event, its curve,
        the window model's fraction and outage length, the drop, when the node is hit and
        fully back (network periods from the scenario's beginning), and why.
    notes
        Remarks (an event hitting nothing, a recovery running past the horizon).
    """

    node_ids: np.ndarray
    capacity: np.ndarray
    blocked: np.ndarray
    period: float
    start: float
    sites: pd.DataFrame
    notes: list[str]

    @property
    def horizon(self) -> int:
        """Number of run periods ``H``."""
        return int(self.capacity.shape[1])

    def lost(self) -> pd.Series:
        """Capacity-periods each hit node loses inside the horizon (network periods)."""
        lost = (1.0 - self.capacity).sum(axis=1) * self.period
        hit = lost > 0
        return pd.Series(lost[hit], index=pd.Index(self.node_ids[hit], name="node"), name="lost")

    def frame(self) -> pd.DataFrame:
        """Remaining capacity fraction of the hit nodes, one column per run period."""
        hit = np.any(self.capacity < 1.0, axis=1)
        return pd.DataFrame(
            self.capacity[hit],
            index=pd.Index(self.node_ids[hit], name="node"),
            columns=pd.RangeIndex(1, self.horizon + 1, name="period"),
        )


def _as_periods(value: float | Duration, period_days: float) -> float:
    return value.periods(period_days) if isinstance(value, Duration) else float(value)


def capacity_profile(
    events: Event | Sequence[Event],
    network: Network,
    horizon: int,
    period: float = 1.0,
    *,
    start: float | Duration = 0.0,
    params: HazardParameters | None = None,
    source: str = "<events>",
) -> Profile:
    """Each node's remaining capacity, and the blocked source edges, period by period.

    Parameters
    ----------
    events
        One event or several (their ``start`` counts from the scenario's beginning).
    network
        The network (its period must be a time unit, as for the window model).
    horizon
        Number of run periods ``H`` (>= 1).
    period
        Length of a run period (network periods, > 0; ``1/7`` for days on a weekly
        network).
    start
        Where period 1 begins after the scenario begins (network periods, or a
        :class:`Duration`); what happens before it is left out.
    params
        Hazard parameters (the packaged ones by default).
    source
        Where the events came from, for error messages.

    Returns
    -------
    Profile
        Capacity fractions (``n_nodes × H``), blocked edges (``n_edges × H``) and one
        row per hit.

    Raises
    ------
    InvalidInput
        A horizon or period out of range, or an event naming something the network or
        the hazard data does not have.
    """
    if isinstance(horizon, bool) or int(horizon) != horizon or horizon < 1:
        raise InvalidInput(f"horizon must be a whole number of periods >= 1, got {horizon!r}")
    if not np.isfinite(period) or period <= 0:
        raise InvalidInput(f"period must be a finite length > 0, got {period!r}")
    items: list[Event] = list(events) if isinstance(events, Sequence) else [events]
    params = params or default_parameters()
    check_events(items, network, params, source)
    sites = Sites.build(network, params)
    begin = _as_periods(start, sites.period_days)
    edges = begin + period * np.arange(int(horizon) + 1)
    remaining = np.ones((len(sites.ids), int(horizon)))
    blocked = np.zeros((len(network.sources), int(horizon)), dtype=bool)
    rows: list[dict[str, object]] = []
    notes: list[str] = []
    for event in items:
        at = event.start.periods(sites.period_days)
        if isinstance(event, ExportControl):
            end = at + event.duration.periods(sites.period_days)
            mask = blocked_edges(event, network)
            overlap = (edges[:-1] < end) & (edges[1:] > at)
            blocked |= mask[:, None] & overlap[None, :]
            if not mask.any():
                notes.append(f"{event.name}: blocks no source edge of this network")
            continue
        hits = event_hits(event, sites, explain=True)
        if not len(hits):
            notes.append(f"{event.name}: hits no site of this network")
            continue
        hazard = str(getattr(event, "hazard", event.type))
        kinds = [str(k) for k in sites.kinds[hits.positions]]
        curves = [
            curve_for(hazard, kind, state) for kind, state in zip(kinds, hits.state, strict=True)
        ]
        scaled = [
            c.scaled(float(f), float(d))
            for c, f, d in zip(curves, hits.fraction, hits.periods, strict=True)
        ]
        drops = np.array([s[0] for s in scaled])
        spans = np.array([s[1] for s in scaled])
        loss = mean_loss(np.full(len(hits), at), drops, spans, curves, edges)
        np.multiply.at(remaining, hits.positions, 1.0 - loss)
        for k, p in enumerate(hits.positions):
            rows.append(
                {
                    "site": str(sites.ids[p]),
                    "kind": kinds[k],
                    "event": event.name,
                    "hazard": hazard,
                    "damage_state": hits.state[k],
                    "curve": curves[k].name,
                    "capacity_loss": float(hits.fraction[k]),
                    "recovery_periods": float(hits.periods[k]),
                    "drop": float(drops[k]),
                    "start_periods": at,
                    "end_periods": at + float(spans[k]),
                    "capacity_periods_lost": float(hits.fraction[k] * hits.periods[k]),
                    "reason": hits.reason[k] if hits.reason else "",
                }
            )
    table = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
    if len(table) and float(table["end_periods"].max()) > edges[-1] + 1e-9:
        late = sorted(set(table.loc[table["end_periods"] > edges[-1] + 1e-9, "event"]))
        notes.append(f"still recovering at the end of the horizon: {', '.join(late)}")
    return Profile(
        sites.ids.copy(),
        np.clip(remaining, 0.0, 1.0),
        blocked,
        float(period),
        begin,
        table,
        notes,
    )


def timeline_inputs(profile: Profile, model: TimelineModel) -> tuple[np.ndarray, np.ndarray]:
    """A profile as :meth:`TimelineModel.solve` takes it: capacities and blocked edges.

    Parameters
    ----------
    profile
        From :func:`capacity_profile`, for the network ``model`` was built on, with the
        same horizon and period.
    model
        The compiled timeline.

    Returns
    -------
    tuple of numpy.ndarray
        Capacity per node and period (``n_nodes × H``, units per network period, in the
        model's node order) and blocked source edges (``n_edges × H``).

    Raises
    ------
    InvalidInput
        The profile's horizon, period or nodes differ from the model's.
    """
    if profile.horizon != model.horizon or not np.isclose(profile.period, model.period):
        raise InvalidInput(
            f"the profile has {profile.horizon} periods of {profile.period:g}, the timeline "
            f"{model.horizon} of {model.period:g}"
        )
    ids = pd.Index(profile.node_ids)
    order = ids.get_indexer(pd.Index(model.model.node_ids))
    if len(ids) != model.model.n_nodes or np.any(order < 0):
        raise InvalidInput("the profile was built for another network")
    capacity = profile.capacity[order] * model.model.capacity[:, None]
    if profile.blocked.shape[0] != model.model.n_edges:
        raise InvalidInput("the profile was built for another network")
    return capacity, profile.blocked.copy()
