"""Checking hazard events against a network and the hazard data.

Names an event uses must exist: nodes (and, for closures, nodes of kind logistics),
water districts and their levels, grid regions, materials and countries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chipstress.errors import InvalidInput, Problem
from chipstress.model.network import Network
from chipstress.workflows.hazards.events import (
    Closure,
    Event,
    ExportControl,
    PowerOutage,
    SiteIncident,
    WaterRestriction,
)
from chipstress.workflows.hazards.params import HazardParameters, default_parameters

__all__ = ["check_events", "district_nodes", "event_problems", "raise_problems"]


def raise_problems(problems: list[Problem]) -> None:
    """Raise one :class:`InvalidInput` listing ``problems`` (if any)."""
    if problems:
        listed = "\n  - ".join(str(p) for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise InvalidInput(f"{len(problems)} problem(s) in hazard events:\n  - {listed}{more}")


def district_nodes(
    event: WaterRestriction, network: Network, params: HazardParameters
) -> tuple[list[str], str | None, str]:
    """Water nodes a restriction cuts, the scheme whose levels apply, and a problem (or '').

    Parameters
    ----------
    event
        The water restriction (its ``district`` is a district name or a water node id).
    network
        The supply network.
    params
        Hazard data (the water districts and their restriction schemes).

    Returns
    -------
    tuple of (list of str, str or None, str)
        The water node ids cut, the scheme whose levels apply (``None``: none), and a
        problem message (``''`` when none).
    """
    ids = set(network.nodes["id"])
    if event.district in params.districts:
        district = params.districts[event.district]
        present = [n for n in district.nodes if n in ids]
        if not present:
            return (
                [],
                district.system,
                (
                    f"district {event.district!r} means node(s) {', '.join(district.nodes)}, "
                    "none of which is in this network; name a water node id instead"
                ),
            )
        return present, district.system, ""
    if event.district in ids:
        system = next(
            (d.system for d in params.districts.values() if event.district in d.nodes), None
        )
        if system is None:
            country = network.nodes.loc[network.nodes["id"] == event.district, "country"].iloc[0]
            system = params.systems_by_country.get(str(country))
        return [event.district], system, ""
    known = ", ".join(sorted(params.districts))
    return [], None, f"unknown district or node {event.district!r}; districts: {known}"


def check_events(
    events: Sequence[Event],
    network: Network,
    params: HazardParameters | None = None,
    source: str = "<events>",
) -> None:
    """Check every name an event uses (nodes, districts, levels, grids, materials, countries).

    Parameters
    ----------
    events
        The events, in file order.
    network
        The network they apply to.
    params
        Hazard data (districts, grids, water schemes); the shipped defaults if ``None``.
    source
        What the events were read from, for the messages.

    Raises
    ------
    InvalidInput
        Listing every problem as ``source, event N (name), field 'x': message``.
    """
    raise_problems(
        event_problems(
            list(enumerate(events, start=1)), network, params or default_parameters(), source
        )
    )


def event_problems(
    events: Sequence[tuple[int, Event]], network: Network, params: HazardParameters, source: str
) -> list[Problem]:
    """Problems with the names events use, numbered by each event's position in its file.

    Parameters
    ----------
    events
        ``(position, event)`` pairs; the position (from 1) names the event in messages.
    network
        The network the events apply to.
    params
        Hazard data: districts, grids, water schemes.
    source
        What the events were read from.

    Returns
    -------
    list of Problem
        One per bad name, in event order (empty when all is well).
    """
    names = _Names.of(network, params)
    problems: list[Problem] = []
    for index, event in events:
        where = f"event {index} ({event.name})"
        for kind, checker in _CHECKERS.items():
            if isinstance(event, kind):
                problems.extend(
                    Problem(source, where, name, message) for name, message in checker(event, names)
                )
                break
    return problems


@dataclass(frozen=True)
class _Names:
    """The names events may use: node ids and kinds, countries, materials, hazard data."""

    network: Network
    params: HazardParameters
    ids: set[str]
    kinds: dict[str, str]
    countries: set[str]
    materials: set[str]

    @classmethod
    def of(cls, network: Network, params: HazardParameters) -> _Names:
        return cls(
            network,
            params,
            set(network.nodes["id"]),
            dict(zip(network.nodes["id"], network.nodes["kind"], strict=True)),
            set(network.nodes["country"].dropna().astype(str)) - {""},
            set(network.index.materials),
        )


# Each checker returns ``(field, message)`` for every bad name of one event type.
Found = list[tuple[str, str]]


def _water(event: WaterRestriction, names: _Names) -> Found:
    _, system, problem = district_nodes(event, names.network, names.params)
    if problem:
        return [("district", problem)]
    if event.level is None:
        return []
    schemes = names.params.water_systems
    levels = schemes[system].levels if system is not None and system in schemes else {}
    if not levels:
        return [
            ("level", f"no restriction scheme applies to {event.district!r}; give a cut instead")
        ]
    if event.level not in levels:
        return [
            (
                "level",
                f"unknown level {event.level!r} for {event.district} ({system}); "
                f"levels are {', '.join(levels)}",
            )
        ]
    return []


def _power(event: PowerOutage, names: _Names) -> Found:
    grids = names.params.grids
    if event.region in grids:
        if not any(n in names.ids for n in grids[event.region]):
            return [
                (
                    "region",
                    f"grid {event.region!r} means node(s) {', '.join(grids[event.region])}, "
                    "none in this network",
                )
            ]
        return []
    if event.region not in names.ids:
        return [
            (
                "region",
                f"unknown grid region or node {event.region!r}; "
                f"regions: {', '.join(sorted(grids))}",
            )
        ]
    return []


def _incident(event: SiteIncident, names: _Names) -> Found:
    return [] if event.node in names.ids else [("node", f"unknown node {event.node!r}")]


def _closure(event: Closure, names: _Names) -> Found:
    found: Found = []
    for value in event.nodes:
        if value not in names.ids:
            found.append(("nodes", f"unknown node {value!r}"))
        elif names.kinds[value] != "logistics":
            found.append(
                (
                    "nodes",
                    f"node {value!r} is a {names.kinds[value]}, "
                    "not a port or airport (kind logistics)",
                )
            )
    return found


def _export(event: ExportControl, names: _Names) -> Found:
    found: Found = []
    if event.supplier is not None and event.supplier not in names.ids:
        found.append(("supplier", f"unknown node {event.supplier!r}"))
    if event.material is not None and event.material not in names.materials:
        found.append(("material", f"unknown material {event.material!r}"))
    known = ", ".join(sorted(names.countries))
    for name in ("country", "destination"):
        value = getattr(event, name)
        if value is not None and value not in names.countries:
            found.append((name, f"unknown country {value!r}; countries: {known}"))
    return found


# Storms and earthquakes name no nodes: nothing to check.
_CHECKERS: dict[type, Callable[[Any, _Names], Found]] = {
    WaterRestriction: _water,
    PowerOutage: _power,
    SiteIncident: _incident,
    Closure: _closure,
    ExportControl: _export,
}
