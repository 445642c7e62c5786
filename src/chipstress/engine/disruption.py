"""Disruptions of many nodes at once: a cluster, a country, a kind, a utility's dependents."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = ["outage_window", "parse_disruption", "select_nodes", "whole_disruption"]


def select_nodes(
    network: Network,
    *,
    nodes: Iterable[str] = (),
    cluster: str | None = None,
    country: str | None = None,
    kind: str | None = None,
    material: str | None = None,
    depending_on: str | None = None,
) -> list[str]:
    """Ids of the nodes matching every selector given (and any listed in ``nodes``).

    ``depending_on`` selects the direct customers of a node, e.g. every fab a water
    district or grid region supplies. Selectors combine with AND; ``nodes`` are added.

    Parameters
    ----------
    network
        The supply network.
    nodes
        Node ids to include whatever the selectors say.
    cluster, country, kind, material
        Keep the nodes whose column of that name equals the value given.
    depending_on
        Keep the direct customers of this node id.

    Returns
    -------
    list of str
        The ids in ``nodes``, then the matching ids in the network's node order, without
        repeats.

    Raises
    ------
    InvalidInput
        An unknown node id, or selectors that match no node.
    """
    table = network.nodes
    listed = list(nodes)
    network.index.positions(listed)
    mask = None
    for column, value in (
        ("cluster", cluster),
        ("country", country),
        ("kind", kind),
        ("material", material),
    ):
        if value is None:
            continue
        if value not in set(table[column]):
            known = ", ".join(sorted(v for v in set(table[column]) if v))
            raise InvalidInput(
                f"no node has {column} {value!r}; {column}s in this network: {known}"
            )
        match = table[column] == value
        mask = match if mask is None else mask & match
    if depending_on is not None:
        network.index.positions([depending_on])
        customers = set(network.customers_of(depending_on))
        if not customers:
            raise InvalidInput(f"no node depends on {depending_on!r} (it has no customers)")
        match = table["id"].isin(customers)
        mask = match if mask is None else mask & match
    chosen = [] if mask is None else table.loc[mask, "id"].tolist()
    if mask is not None and not chosen:
        raise InvalidInput("the selectors given match no node together")
    return list(dict.fromkeys([*listed, *chosen]))


def parse_disruption(
    network: Network,
    nodes: Mapping[str, float] | Iterable[str] = (),
    *,
    cluster: str | None = None,
    depending_on: str | None = None,
    fraction: float = 1.0,
) -> dict[str, float]:
    """The disruption (node id -> fraction of capacity lost) that a user names.

    Parameters
    ----------
    network
        The supply network (node ids are checked against it).
    nodes
        Node id -> fraction lost, or items ``NODE`` (fraction 1.0, i.e. down) or
        ``NODE=FRACTION`` as typed on the command line.
    cluster
        Also disrupt every node of this cluster, by ``fraction``.
    depending_on
        Also disrupt every node this node supplies (e.g. a water district), by
        ``fraction``.
    fraction
        Fraction of capacity (0-1) lost by the nodes chosen with ``cluster`` or
        ``depending_on``; nodes named in ``nodes`` keep their own fraction.

    Returns
    -------
    dict[str, float]
        Node id -> fraction of capacity lost, the named nodes first.

    Raises
    ------
    InvalidInput
        A fraction that is not a number, an unknown node id, a cluster or supplier that
        selects no node, or no node named at all.
    """
    chosen: dict[str, float] = {}
    if isinstance(nodes, Mapping):
        chosen = {str(node): float(share) for node, share in nodes.items()}
    else:
        for item in nodes:
            node, _, value = item.partition("=")
            try:
                chosen[node.strip()] = float(value) if value else 1.0
            except ValueError:
                raise InvalidInput(
                    f"disruption {item!r}: the fraction after '=' must be a number in (0, 1]"
                ) from None
    network.index.positions(list(chosen))
    if cluster is not None or depending_on is not None:
        for node in select_nodes(network, cluster=cluster, depending_on=depending_on):
            chosen.setdefault(node, fraction)
    if not chosen:
        raise InvalidInput("name at least one node in the disruption, or a cluster or depending_on")
    return chosen


def whole_disruption(ids: Iterable[str], fraction: float = 1.0) -> dict[str, float]:
    """A disruption taking ``fraction`` of capacity from every node in ``ids``."""
    return {node: fraction for node in ids}


def outage_window(outages: Mapping[str, tuple[float, float]]) -> tuple[dict[str, float], float]:
    """One disruption window for outages of different lengths.

    ``outages`` maps node id -> (fraction of capacity lost, periods until recovered).
    The stress-test programs model a window as one aggregate period, so only the
    capacity lost over the window matters: the window lasts as long as the longest
    outage, ``T = max(periods)``, and a node down ``α`` for ``p`` periods loses
    ``α · p / T`` of its capacity over the window. Returns ``(disruption, T)``;
    outages of zero periods or zero fraction are dropped.

    Raises
    ------
    InvalidInput
        A fraction outside [0, 1] or a negative or non-finite number of periods.
    """
    clean = {}
    for node, (fraction, periods) in outages.items():
        if not (0.0 <= float(fraction) <= 1.0):
            raise InvalidInput(
                f"outage of {node!r}: capacity loss {fraction!r} is not a fraction in [0, 1]"
            )
        if not (math.isfinite(float(periods)) and float(periods) >= 0):
            raise InvalidInput(f"outage of {node!r}: {periods!r} is not a number of periods >= 0")
        if fraction > 0 and periods > 0:
            clean[node] = (float(fraction), float(periods))
    if not clean:
        return {}, 0.0
    window = max(periods for _, periods in clean.values())
    return {
        node: fraction * periods / window for node, (fraction, periods) in clean.items()
    }, window
