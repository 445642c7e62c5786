"""Canonical tables and the supply graph's shape: cycles and inferred tiers.

Used by validation (:mod:`chipstress.model.validation`) and by the synthetic network
generator, which builds canonical tables without a file to read.

The graph's shape is found level by level with numpy on networks of up to
:data:`LEVEL_WALK_EDGES` edges, and by SciPy's graph routines on larger ones (where they
are faster) and on graphs deeper than :data:`LEVEL_WALK_DEPTH` (a chain would take a step
per node). Reading a network then needs no SciPy, whose sparse and graph packages take
about 150 ms to import: a third of a command's start-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chipstress.model.schema import table_schema

# Graphs with at most this many edges are walked level by level with numpy.
LEVEL_WALK_EDGES = 200_000

# A level-by-level walk that has not ended after this many levels hands over to SciPy.
LEVEL_WALK_DEPTH = 256

__all__ = ["canonical_nodes", "canonical_table", "infer_tiers", "supply_cycles"]


def supply_cycles(
    n: int, supplier: np.ndarray, customer: np.ndarray, ids: pd.Index
) -> list[tuple[str, list[int]]]:
    """One cycle per strongly connected set of the supply graph.

    Parameters
    ----------
    n
        Number of nodes.
    supplier, customer
        Node positions at both ends of each edge.
    ids
        Node ids by position, to describe the cycles.

    Returns
    -------
    list of (str, list of int)
        ``(description, edges)`` per cycle: the nodes in order, and the positions (in
        ``supplier``/``customer``) of the edges that close it, in the same order.
    """
    if n == 0 or len(supplier) == 0:
        return []
    if len(supplier) <= LEVEL_WALK_EDGES and _peels_away(n, supplier, customer):
        return []
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(supplier)), (supplier, customer)), shape=(n, n)).tocsr()
    count, labels = connected_components(graph, directed=True, connection="strong")
    if count == n:
        return []
    sizes = np.bincount(labels)
    found = []
    for label in np.flatnonzero(sizes > 1):
        members = np.flatnonzero(labels == label)
        found.append(_one_cycle(members, supplier, customer, ids))
    return found


def _rows_by(keys: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``values`` grouped by ``keys`` (node positions) as compressed rows."""
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return ptr, values[order]


def _gather(ptr: np.ndarray, items: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The items of rows ``nodes``, concatenated."""
    starts = ptr[nodes]
    lengths = ptr[nodes + 1] - starts
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return items[offsets + np.arange(len(offsets))]


def _peels_away(n: int, supplier: np.ndarray, customer: np.ndarray) -> bool:
    """True when the graph has no cycle (self-loops aside, as for strongly connected
    sets): taking away, level after level, the nodes no remaining edge enters leaves
    nothing. False when nodes are left (a cycle) or the walk took more than
    :data:`LEVEL_WALK_DEPTH` levels (not decided)."""
    other = supplier != customer
    supplier, customer = supplier[other], customer[other]
    entering = np.bincount(customer, minlength=n)
    ptr, customers = _rows_by(supplier, customer, n)
    frontier = np.flatnonzero(entering == 0)
    removed = 0
    for _ in range(LEVEL_WALK_DEPTH):
        if not len(frontier):
            return removed == n
        removed += len(frontier)
        hit, times = np.unique(_gather(ptr, customers, frontier), return_counts=True)
        entering[hit] -= times
        frontier = hit[entering[hit] == 0]
    return False


def _one_cycle(
    members: np.ndarray, supplier: np.ndarray, customer: np.ndarray, ids: pd.Index
) -> tuple[str, list[int]]:
    """Walk inside one strongly connected set until a node repeats: that is a cycle."""
    inside = set(members.tolist())
    next_of: dict[int, tuple[int, int]] = {}
    for edge, (s, c) in enumerate(zip(supplier.tolist(), customer.tolist(), strict=True)):
        if s in inside and c in inside and s not in next_of:
            next_of[s] = (c, edge)
    path, edges, seen = [int(members[0])], [], {int(members[0]): 0}
    while True:
        nxt, edge = next_of[path[-1]]
        edges.append(edge)
        if nxt in seen:
            cycle = [*path[seen[nxt] :], nxt]
            edges = edges[seen[nxt] :]
            break
        seen[nxt] = len(path)
        path.append(nxt)
    names = [str(ids[i]) for i in cycle]
    if len(names) > 12:
        names = [*names[:6], "...", *names[-5:]]
    return " -> ".join(names), edges


def infer_tiers(
    n: int, has_demand: np.ndarray, supplier: np.ndarray, customer: np.ndarray
) -> np.ndarray:
    """Tier of every node: 1 for nodes with demand, else 1 + the lowest tier of its customers.

    Parameters
    ----------
    n
        Number of nodes.
    has_demand
        Boolean per node: sells to end customers.
    supplier, customer
        Node positions at both ends of each source edge.

    Returns
    -------
    numpy.ndarray
        Tier per node (float; NaN for a node that reaches no end product).
    """
    starts = np.flatnonzero(has_demand)
    tiers = np.full(n, np.nan)
    if len(starts) == 0:
        return tiers
    if len(supplier) <= LEVEL_WALK_EDGES:
        ptr, suppliers = _rows_by(customer, supplier, n)
        tiers[starts] = 1.0
        frontier = starts
        for level in range(2, LEVEL_WALK_DEPTH + 2):
            found = _gather(ptr, suppliers, frontier)
            frontier = np.unique(found[np.isnan(tiers[found])])
            if not len(frontier):
                return tiers
            tiers[frontier] = level
        tiers[:] = np.nan  # deeper than the walk goes: SciPy below
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    # Reverse edges (customer -> supplier) from a virtual root linked to every product.
    root = n
    rows = np.concatenate([customer, np.full(len(starts), root)])
    cols = np.concatenate([supplier, starts])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    dist = dijkstra(graph, directed=True, indices=[root], unweighted=True)[0, :n]
    tiers[np.isfinite(dist)] = dist[np.isfinite(dist)]
    return tiers


def canonical_nodes(nodes: pd.DataFrame, tiers: np.ndarray) -> pd.DataFrame:
    """The node table in schema column order, defaults filled, extra columns last.

    Parameters
    ----------
    nodes
        Typed, valid node table.
    tiers
        Inferred tier per row, used where the table gives none.

    Returns
    -------
    pandas.DataFrame
        The canonical node table, on a fresh ``RangeIndex``.
    """
    schema = table_schema("nodes")
    out: dict[str, pd.Series | np.ndarray] = {}
    for name, attribute in schema.items():
        if name in nodes:
            out[name] = nodes[name]
        elif attribute.dtype == "string":
            out[name] = pd.Series([attribute.default] * len(nodes), dtype="str")
        else:
            out[name] = np.full(
                len(nodes), float(attribute.default) if attribute.default else np.nan
            )
    frame = pd.DataFrame(out)
    frame["name"] = frame["name"].where(frame["name"] != "", frame["id"])
    frame["inventory"] = frame["inventory"].fillna(0.0)
    given = frame["tier"].to_numpy(dtype=float)
    frame["tier"] = np.where(np.isnan(given), tiers, given).astype(np.int64)
    extras = [c for c in nodes.columns if c not in schema]
    for column in extras:
        frame[column] = nodes[column]
    return frame.reset_index(drop=True)


def canonical_table(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """A BOM or source table in schema column order, defaults filled, extra columns last.

    Parameters
    ----------
    table
        Typed, valid table.
    name
        Its schema name: ``"bom"`` or ``"sources"``.

    Returns
    -------
    pandas.DataFrame
        The canonical table, on a fresh ``RangeIndex``.
    """
    schema = table_schema(name)
    out: dict[str, pd.Series | float] = {}
    for column, attribute in schema.items():
        if column in table:
            out[column] = table[column]
        else:
            out[column] = (
                pd.Series([""] * len(table), dtype="str")
                if attribute.dtype == "string"
                else float(attribute.default)
                if attribute.default
                else np.nan
            )
    frame = pd.DataFrame(out, index=table.index)
    for column, attribute in schema.items():
        # A float column with a default (sources.premium): missing cells take it.
        if attribute.dtype == "float" and attribute.default and column in table:
            frame[column] = frame[column].astype(float).fillna(float(attribute.default))
    for column in table.columns:
        if column not in schema:
            frame[column] = table[column]
    return frame.reset_index(drop=True)
