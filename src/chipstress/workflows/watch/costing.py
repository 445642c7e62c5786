"""What a watched event costs: each :class:`WatchEvent` run as a scenario on the network.

Every event read by the intake is already a hazard-layer event
(:mod:`chipstress.workflows.hazards.events`), so costing it is the hazard layer's own
scenario run, :func:`chipstress.workflows.hazards.replay.evaluate`: the sites it hits and
why, its period-by-period timeline on the time-expanded engine, its lost profit, its
loss components (business interruption, idle capacity, scrap, damage, mitigation:
:mod:`chipstress.workflows.hazards.components`) and the network's time-to-survive with
every hit site at its worst. :func:`cost_events` ranks events by their total loss
(docs/watch.md, "Watching and alerts").

An event the hazard data cannot place (a district or grid the network does not have) is
kept with its one-line ``error`` and ranked last, so one bad reading never stops the rest.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chipstress.errors import ChipstressError
from chipstress.workflows.watch.classify import hazard_name
from chipstress.workflows.watch.sightings import Evidence, WatchEvent

if TYPE_CHECKING:
    import pandas as pd

    from chipstress.model.network import Network
    from chipstress.workflows.hazards import HazardParameters, HazardResult

__all__ = [
    "RANKING_COLUMNS",
    "CostedEvent",
    "cost_event",
    "cost_events",
    "event_fields",
    "event_record",
    "evidence_dict",
    "hazard_name",
    "ranking_table",
]

_COMPONENT_NAMES = (
    "business_interruption",
    "idle_capacity",
    "scrap",
    "damage",
    "mitigation",
)
RANKING_COLUMNS = [
    "rank",
    "key",
    "hazard",
    "name",
    "places",
    "sites_hit",
    "sites",
    "loss",
    *_COMPONENT_NAMES,
    "lost_profit",
    "tts",
    "baseline_tts",
    "currency",
    "period",
    "started",
    "confidence",
    "evidence",
    "sources",
    "error",
]


def event_fields(event: Any) -> dict[str, Any]:
    """A hazard-layer event as a plain mapping (its type and fields; durations as text).

    Parameters
    ----------
    event
        A hazard-layer event (a dataclass of :mod:`chipstress.workflows.hazards.events`).

    Returns
    -------
    dict
        ``{"type": ..., field: value, ...}`` with JSON-safe values.
    """
    out: dict[str, Any] = {"type": hazard_name(event)}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if value is None or item.name == "hazard":
            continue
        if dataclasses.is_dataclass(value):
            value = str(value)
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        out[item.name] = value
    return out


def evidence_dict(evidence: Evidence) -> dict[str, Any]:
    """One piece of evidence as a JSON-safe mapping (times in ISO 8601).

    Parameters
    ----------
    evidence
        Where a sighting was read.

    Returns
    -------
    dict
        ``source``, ``item_id``, ``language``, ``text``, ``published``, ``url``.
    """
    return {
        "source": evidence.source,
        "item_id": evidence.item_id,
        "language": evidence.language,
        "text": evidence.text,
        "published": _iso(evidence.published),
        "url": evidence.url,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True)
class CostedEvent:
    """A watched event with what it costs the network.

    Attributes
    ----------
    watch
        The event as read (key, hazard-layer event, places, evidence).
    result
        The scenario run (sites, timeline, components), or ``None`` when it failed.
    loss
        Total loss (currency): the sum of the loss components; the run's lost profit
        when it has no component rows.
    components
        Each component's total (currency), ``total_loss`` and
        ``downstream_revenue_at_risk`` (an exposure, not in ``loss``).
    tts, baseline_tts
        Time-to-survive with the hit sites at their worst, and undisrupted (network
        periods; ``inf`` = forever).
    sites
        Node ids of the sites hit, in the hazard layer's order.
    error
        Why the event could not be run (one line), else ``None``.
    """

    watch: WatchEvent
    result: HazardResult | None
    loss: float
    components: dict[str, float] = field(default_factory=dict)
    tts: float = math.inf
    baseline_tts: float = math.inf
    sites: tuple[str, ...] = ()
    error: str | None = None

    @property
    def key(self) -> str:
        """The event's stable key."""
        return self.watch.key

    @property
    def hazard(self) -> str:
        """The hazard as users write it (``earthquake``, ``typhoon``, ``fire``, ...)."""
        return hazard_name(self.watch.event)

    @property
    def hits(self) -> bool:
        """True when the event hits at least one site of the network."""
        return bool(self.sites)

    @property
    def title(self) -> str:
        """A one-line title: hazard, places and how many sites it hits."""
        name = str(getattr(self.watch.event, "name", "") or self.hazard)
        places = ", ".join(list(dict.fromkeys(self.watch.places))[:3])
        head = f"{self.hazard} at {places}" if places else name
        count = len(self.sites)
        return f"{head}: {count} site{'s' if count != 1 else ''} hit"


def _scenario_name(event: WatchEvent) -> str:
    where = ", ".join(list(dict.fromkeys(event.places))[:3])
    return f"watch: {hazard_name(event.event)}" + (f" at {where}" if where else "")


def cost_event(
    event: WatchEvent, network: Network, params: HazardParameters | None = None
) -> CostedEvent:
    """Run one watched event as a scenario on the network and total its loss.

    Parameters
    ----------
    event
        The deduplicated event (its ``event`` is a hazard-layer event).
    network
        The supply network.
    params
        Hazard data (default: the package's).

    Returns
    -------
    CostedEvent
        Its loss (currency), components, time-to-survive (periods) and sites hit; with
        ``error`` set (and no loss) when the hazard layer rejects the event.
    """
    from chipstress.workflows.hazards import evaluate
    from chipstress.workflows.hazards.components import component_totals

    description = event.evidence[0].text if event.evidence else ""
    try:
        result = evaluate(
            [event.event],
            network,
            name=_scenario_name(event),
            description=" ".join(description.split())[:500],
            sources=tuple(dict.fromkeys(e.url or e.source for e in event.evidence)),
            params=params,
            source=f"watch event {event.key}",
        )
    except ChipstressError as error:
        return CostedEvent(event, None, 0.0, error=" ".join(str(error).split()))
    result = dataclasses.replace(
        result,
        parameters={
            "name": result.name,
            "source": "watch",
            "event_key": event.key,
            "events": [event_fields(event.event)],
        },
    )
    totals = component_totals(result.components) if len(result.components) else {}
    loss = float(totals["total_loss"]) if totals else max(float(result.loss), 0.0)
    sites = tuple(dict.fromkeys(str(s) for s in result.sites.get("site", [])))
    return CostedEvent(
        event,
        result,
        loss,
        {k: float(v) for k, v in totals.items()},
        float(result.tts),
        float(result.baseline_tts),
        sites,
    )


def _rank_key(costed: CostedEvent) -> tuple[bool, float, float, str]:
    return (costed.error is not None, -costed.loss, costed.tts, costed.key)


def cost_events(
    events: Iterable[WatchEvent],
    network: Network,
    params: HazardParameters | None = None,
) -> list[CostedEvent]:
    """Cost every event and rank them: largest loss first, then shortest time-to-survive.

    Parameters
    ----------
    events
        Deduplicated events.
    network
        The supply network.
    params
        Hazard data (default: the package's, read once for all events).

    Returns
    -------
    list of CostedEvent
        Ranked by loss (currency, descending), then time-to-survive (periods,
        ascending), then key; events that could not be run come last.
    """
    from chipstress.workflows.hazards import default_parameters

    params = params or default_parameters()
    costed = [cost_event(event, network, params) for event in events]
    return sorted(costed, key=_rank_key)


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else "inf"


def ranking_table(costed: Sequence[CostedEvent], network: Network | None = None) -> pd.DataFrame:
    """The ranked events as one table (what ``chipstress news --out`` writes).

    Parameters
    ----------
    costed
        Costed events, in rank order (:func:`cost_events`).
    network
        The network (for its currency and period names); optional.

    Returns
    -------
    pandas.DataFrame
        One row per event with the columns of :data:`RANKING_COLUMNS`: money in the
        network's currency, times in its periods (``inf`` = forever), places, sites and
        sources ``;``-separated, evidence sentences `` | ``-separated.
    """
    import pandas as pd

    currency = network.meta.currency if network is not None else ""
    period = network.meta.period if network is not None else "period"
    rows = []
    for rank, item in enumerate(costed, start=1):
        result = item.result
        rows.append(
            {
                "rank": rank,
                "key": item.key,
                "hazard": item.hazard,
                "name": getattr(item.watch.event, "name", item.hazard),
                "places": ";".join(item.watch.places),
                "sites_hit": len(item.sites),
                "sites": ";".join(item.sites),
                "loss": item.loss,
                **{name: item.components.get(name, 0.0) for name in _COMPONENT_NAMES},
                "lost_profit": float(result.loss) if result is not None else 0.0,
                "tts": _number(item.tts),
                "baseline_tts": _number(item.baseline_tts),
                "currency": currency,
                "period": period,
                "started": _iso(item.watch.started),
                "confidence": float(item.watch.confidence),
                "evidence": " | ".join(" ".join(e.text.split()) for e in item.watch.evidence),
                "sources": ";".join(dict.fromkeys(e.url or e.source for e in item.watch.evidence)),
                "error": item.error or "",
            }
        )
    return pd.DataFrame(rows, columns=RANKING_COLUMNS)


def event_record(item: CostedEvent, rank: int | None = None) -> dict[str, Any]:
    """One costed event as JSON-safe data: the table row plus evidence, sites and timeline.

    Parameters
    ----------
    item
        A costed event.
    rank
        Its rank (1 = largest loss), if known.

    Returns
    -------
    dict
        ``key``, ``rank``, ``hazard``, ``event`` (its fields), ``places``, ``started``,
        ``confidence``, ``loss`` and ``components`` (currency), ``tts`` and
        ``baseline_tts`` (periods; ``"inf"`` = forever), ``sites`` (node, name, kind,
        cluster, capacity loss, recovery weeks, reason), ``timeline`` (per run period)
        and ``evidence``, ``error``.
    """
    sites: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    result = item.result
    if result is not None:
        for row in result.sites.to_dict("records"):
            sites.append(
                {
                    "node": str(row.get("site", "")),
                    "name": str(row.get("name", "")),
                    "kind": str(row.get("kind", "")),
                    "cluster": str(row.get("cluster", "")),
                    "damage_state": str(row.get("damage_state", "")),
                    "capacity_loss": _clean(row.get("capacity_loss")),
                    "recovery_weeks": _clean(row.get("recovery_weeks")),
                    "reason": str(row.get("reason", "")),
                }
            )
        frame = result.timeline.get("timeline")
        if frame is not None:
            timeline = [{str(k): _clean(v) for k, v in r.items()} for r in frame.to_dict("records")]
    return {
        "key": item.key,
        "rank": rank,
        "hazard": item.hazard,
        "title": item.title,
        "event": event_fields(item.watch.event),
        "places": list(item.watch.places),
        "started": _iso(item.watch.started),
        "confidence": float(item.watch.confidence),
        "loss": item.loss,
        "components": dict(item.components),
        "tts": _number(item.tts),
        "baseline_tts": _number(item.baseline_tts),
        "currency": result.currency if result is not None else "",
        "period": result.period if result is not None else "period",
        "sites": sites,
        "timeline": timeline,
        "evidence": [evidence_dict(e) for e in item.watch.evidence],
        "error": item.error,
    }


def _clean(value: Any) -> Any:
    """A table cell as JSON: numpy numbers as numbers, NaN as None, infinities as ``"inf"``."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return _number(value)
    return value
