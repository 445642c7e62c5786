"""Checking hazard events against a network and the hazard data.

Names an event uses must exist: nodes (and, for closures, nodes of kind logistics),
water districts and their levels, grid regions, materials and countries.
"""

from __future__ import annotations

from collections.abc import Sequence

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

__all__ = ["check_events", "district_nodes", "raise_problems"]


def raise_problems(problems: list[Problem]) -> None:
    """Raise one :class:`InvalidInput` listing ``problems`` (if any)."""
    if problems:
        listed = "\n  - ".join(str(p) for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise InvalidInput(f"{len(problems)} problem(s) in hazard events:\n  - {listed}{more}")


def district_nodes(
    event: WaterRestriction, network: Network, params: HazardParameters
) -> tuple[list[str], str | None, str]:
    """Water nodes a restriction cuts, the scheme whose levels apply, and a problem (or '')."""
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

    Raises
    ------
    InvalidInput
        Listing every problem as ``source, event N (name), field 'x': message``.
    """
    raise_problems(
        _check(list(enumerate(events, start=1)), network, params or default_parameters(), source)
    )


def _check(
    events: Sequence[tuple[int, Event]], network: Network, params: HazardParameters, source: str
) -> list[Problem]:
    """Problems with the names events use, numbered by each event's position in its file."""
    ids = set(network.nodes["id"])
    kinds = dict(zip(network.nodes["id"], network.nodes["kind"], strict=True))
    countries = set(network.nodes["country"].dropna().astype(str)) - {""}
    materials = set(network.index.materials)
    problems: list[Problem] = []
    for index, event in events:
        where = f"event {index} ({event.name})"

        def fail(name: str, message: str, where: str = where) -> None:
            problems.append(Problem(source, where, name, message))

        def node(name: str, value: str) -> None:
            if value not in ids:
                fail(name, f"unknown node {value!r}")

        if isinstance(event, WaterRestriction):
            _, system, problem = district_nodes(event, network, params)
            if problem:
                fail("district", problem)
            elif event.level is not None:
                levels = (
                    params.water_systems[system].levels if system in params.water_systems else {}
                )
                if not levels:
                    fail(
                        "level",
                        f"no restriction scheme applies to {event.district!r}; give a cut instead",
                    )
                elif event.level not in levels:
                    fail(
                        "level",
                        f"unknown level {event.level!r} for {event.district} ({system}); levels are {', '.join(levels)}",
                    )
        elif isinstance(event, PowerOutage):
            if event.region in params.grids:
                if not any(n in ids for n in params.grids[event.region]):
                    fail(
                        "region",
                        f"grid {event.region!r} means node(s) {', '.join(params.grids[event.region])}, none in this network",
                    )
            elif event.region not in ids:
                fail(
                    "region",
                    f"unknown grid region or node {event.region!r}; regions: {', '.join(sorted(params.grids))}",
                )
        elif isinstance(event, SiteIncident):
            node("node", event.node)
        elif isinstance(event, Closure):
            for value in event.nodes:
                if value not in ids:
                    fail("nodes", f"unknown node {value!r}")
                elif kinds[value] != "logistics":
                    fail(
                        "nodes",
                        f"node {value!r} is a {kinds[value]}, not a port or airport (kind logistics)",
                    )
        elif isinstance(event, ExportControl):
            if event.supplier is not None:
                node("supplier", event.supplier)
            if event.material is not None and event.material not in materials:
                fail("material", f"unknown material {event.material!r}")
            for name in ("country", "destination"):
                value = getattr(event, name)
                if value is not None and value not in countries:
                    fail(
                        name,
                        f"unknown country {value!r}; countries: {', '.join(sorted(countries))}",
                    )
    return problems
