"""Who ships to whom, by node, so regions are built in time proportional to their size.

A sweep solves one small program per scenario; on a network of 100,000 nodes, building
each region by scanning every edge (a boolean mask over 300,000 edges, several times per
scenario) costs more than solving it. :class:`Adjacency` holds, for every node, its
outgoing and incoming edges and its BOM lines (compressed rows, built once per compiled
network), so a region's edges, border edges and BOM lines are gathered from its nodes
alone (:meth:`Adjacency.region_parts`), and reachability walks only what it reaches
(:func:`reach`).

It also gives each node a cheap *group key* (:func:`downstream_product_key`): the
smallest index of a node with demand downstream of it. Nodes with the same key often
share their scenario region, so a sweep that solves them one after the other reuses the
region's program (see :mod:`chipstress.engine.regional`).

Where a region is a handful of nodes, each step of a numpy walk (a dozen array
operations) costs more than the walk: small networks (:data:`SMALL_NETWORK`) also keep
their rows as Python lists (:class:`NeighbourLists`), which :func:`walk` and
:meth:`NeighbourLists.region_parts` follow for small regions (``large.json``, 1,700
nodes: an initial region in 3 µs instead of 53 µs). Larger regions are walked with numpy
(:data:`WALK_NODES`, :data:`LIST_REGION_NODES`): on generated networks of 3,000-10,000
nodes, where regions are hundreds of nodes, lists throughout made sweeps 7-15 % slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "LIST_REGION_NODES",
    "SCIPY_PAIRS",
    "SMALL_NETWORK",
    "WALK_NODES",
    "Adjacency",
    "CompressedRows",
    "NeighbourLists",
    "downstream_product_key",
    "gather",
    "reach",
    "walk",
]


# Networks with at most this many nodes plus edges also hold their rows as Python lists
# (:class:`NeighbourLists`, about 100 bytes per edge and per node; larger networks keep
# numpy rows only). Where a region is small, Python walks it in a few microseconds where
# each numpy step costs about ten; where it is not, numpy is quicker:
SMALL_NETWORK = 50_000
# a walk through the lists gives up past this many nodes (the caller walks numpy rows),
WALK_NODES = 256
# and a region's parts are read off the lists up to this many nodes.
LIST_REGION_NODES = 32

# Above this many pairs, CompressedRows are sorted by SciPy (imported then): numpy's sort
# took 0.8-1.0 s for the 2.8 million edges of a million-node network, SciPy 0.07 s. Below
# it, numpy spares the import (85 ms, more than the sort).
SCIPY_PAIRS = 200_000


@dataclass(frozen=True)
class CompressedRows:
    """A 0/1 matrix as compressed rows (a CSR matrix's ``indptr`` and ``indices``), e.g.
    each node's customers.

    Built with numpy up to :data:`SCIPY_PAIRS` non-zeros: reading a small network and
    sweeping it need no SciPy (whose sparse package takes 85 ms to import, beside 280 ms
    for numpy and pandas). :meth:`tocsr` gives the SciPy matrix where one is wanted.

    Attributes
    ----------
    indptr
        Row pointers (length: rows + 1).
    indices
        The columns of each row, ascending, without repeats.
    n_cols
        Number of columns.
    """

    indptr: np.ndarray
    indices: np.ndarray
    n_cols: int

    @classmethod
    def from_pairs(
        cls, rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int
    ) -> CompressedRows:
        """The matrix with a 1 at every ``(rows[k], cols[k])`` (repeated pairs once).

        Parameters
        ----------
        rows, cols
            Row and column of every non-zero.
        n_rows, n_cols
            The matrix's shape.

        Returns
        -------
        CompressedRows
            Each row's columns, ascending, without repeats.
        """
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if len(rows) > SCIPY_PAIRS:  # SciPy's counting sort (in C): 0.07 s for 2.8M pairs
            import scipy.sparse as sp

            matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_rows, n_cols))
            matrix.sum_duplicates()  # ascending columns, each once
            return cls(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64), n_cols)
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        if len(rows):
            first = np.ones(len(rows), bool)
            first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
            rows, cols = rows[first], cols[first]
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return cls(indptr, cols, int(n_cols))

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``."""
        return len(self.indptr) - 1, self.n_cols

    def tocsr(self) -> sp.csr_matrix:
        """The same matrix as a SciPy CSR matrix (of ones)."""
        import scipy.sparse as sp

        ones = np.ones(len(self.indices))
        return sp.csr_matrix((ones, self.indices, self.indptr), shape=self.shape)


def gather(ptr: np.ndarray, items: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The items of compressed rows ``nodes``, concatenated (vectorised, no Python loop).

    Parameters
    ----------
    ptr
        Row pointers (length: rows + 1).
    items
        Row items, row after row.
    nodes
        The rows to read (indices).

    Returns
    -------
    numpy.ndarray
        ``items[ptr[r]:ptr[r+1]]`` for every ``r`` in ``nodes``, in that order.
    """
    starts = ptr[nodes]
    lengths = ptr[nodes + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return items[:0]
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return items[offsets + np.arange(total)]


def reach(start: np.ndarray, ptr: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Mask of every node reachable from ``start`` (a mask) along compressed rows.

    Parameters
    ----------
    start
        Boolean mask over the nodes where the walk starts (kept in the result).
    ptr, neighbours
        Each node's neighbours as compressed rows (e.g. a CSR matrix's ``indptr`` and
        ``indices``).

    Returns
    -------
    numpy.ndarray
        A new boolean mask: ``start`` and every node reached from it.
    """
    seen = start.copy()
    frontier = np.flatnonzero(start)
    while len(frontier):
        found = gather(ptr, neighbours, frontier)
        found = np.unique(found[~seen[found]])
        seen[found] = True
        frontier = found
    return seen


def walk(
    start: Iterable[int], ptr: Sequence[int], neighbours: Sequence[int], limit: int | None = None
) -> set[int] | None:
    """Every node reachable from ``start`` along compressed rows held as Python lists
    (the same as :func:`reach`, through a set: faster when a walk reaches a few hundred
    nodes at most).

    Parameters
    ----------
    start
        Node positions where the walk starts (kept in the result).
    ptr, neighbours
        Each node's neighbours as compressed rows (see :class:`NeighbourLists`).
    limit
        Give up (return ``None``) once more than this many nodes are reached: a numpy
        :func:`reach` is then quicker. ``None``: no limit.

    Returns
    -------
    set of int or None
        ``start`` and every node reached from it; ``None`` past ``limit``.
    """
    seen = set(start)
    stack = list(seen)
    bound = len(ptr) if limit is None else limit
    while stack:
        node = stack.pop()
        for other in neighbours[ptr[node] : ptr[node + 1]]:
            if other not in seen:
                seen.add(other)
                stack.append(other)
        if len(seen) > bound:
            return None
    return seen


def _rows(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Compressed rows grouping ``arange(len(keys))`` by ``keys`` (each row ascending)."""
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return ptr, order.astype(np.int64)


@dataclass(frozen=True)
class Adjacency:
    """Each node's outgoing edges, incoming edges and BOM lines, and each BOM line's
    source edges, as compressed rows.

    Built by :meth:`build` from the arrays of a compiled network; edge and BOM indices
    are the network's (rows of ``sources`` and ``bom``).
    """

    edge_supplier: np.ndarray
    edge_customer: np.ndarray
    out_ptr: np.ndarray
    out_edges: np.ndarray
    in_ptr: np.ndarray
    in_edges: np.ndarray
    bom_ptr: np.ndarray
    bom_lines: np.ndarray
    line_ptr: np.ndarray
    line_edges: np.ndarray
    edge_bom_row: np.ndarray

    @cached_property
    def lists(self) -> NeighbourLists | None:
        """The same rows as Python lists (built on first use) when the network has at most
        :data:`SMALL_NETWORK` nodes plus edges, else ``None``."""
        if len(self.out_ptr) - 1 + len(self.edge_supplier) > SMALL_NETWORK:
            return None
        return NeighbourLists.build(self)

    @classmethod
    def build(
        cls,
        n_nodes: int,
        edge_supplier: np.ndarray,
        edge_customer: np.ndarray,
        bom_node: np.ndarray,
        edge_bom_row: np.ndarray,
    ) -> Adjacency:
        """Index a network's edges and BOM lines by node, and its edges by BOM line.

        Parameters
        ----------
        n_nodes
            Number of nodes.
        edge_supplier, edge_customer
            Supplier and customer node of every edge.
        bom_node
            Node of every BOM line.
        edge_bom_row
            The BOM line every edge supplies.

        Returns
        -------
        Adjacency
            The compressed rows.
        """
        out_ptr, out_edges = _rows(edge_supplier, n_nodes)
        in_ptr, in_edges = _rows(edge_customer, n_nodes)
        bom_ptr, bom_lines = _rows(bom_node, n_nodes)
        line_ptr, line_edges = _rows(edge_bom_row, len(bom_node))
        return cls(
            edge_supplier,
            edge_customer,
            out_ptr,
            out_edges,
            in_ptr,
            in_edges,
            bom_ptr,
            bom_lines,
            line_ptr,
            line_edges,
            edge_bom_row,
        )

    def region_parts(
        self, region: np.ndarray, nodes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A region's internal edges, leaving edges, entering edges and BOM lines.

        Parameters
        ----------
        region
            Boolean mask over the nodes.
        nodes
            ``numpy.flatnonzero(region)``.

        Returns
        -------
        tuple of numpy.ndarray
            ``(edges, boundary_out, boundary_in, bom_lines)``, each sorted ascending —
            exactly what masks over every edge and BOM line would give, in time
            proportional to the region's edges.
        """
        if self.lists is not None and len(nodes) <= LIST_REGION_NODES:
            return self.lists.region_parts(nodes)
        leaving = gather(self.out_ptr, self.out_edges, nodes)
        inside = region[self.edge_customer[leaving]]
        entering = gather(self.in_ptr, self.in_edges, nodes)
        entering = entering[~region[self.edge_supplier[entering]]]
        return (
            np.sort(leaving[inside]),
            np.sort(leaving[~inside]),
            np.sort(entering),
            np.sort(gather(self.bom_ptr, self.bom_lines, nodes)),
        )


@dataclass(frozen=True)
class NeighbourLists:
    """An :class:`Adjacency`'s rows as flat Python lists, for small networks (:func:`walk`,
    :meth:`region_parts`).

    Flat lists, not a list per node: a few objects in all, so building them does not set
    off Python's garbage collector (a list per node did, and cost a worker 36 ms).

    Attributes
    ----------
    out_ptr, out_edges, customers
        Each node's outgoing edges and, edge by edge, their customers (compressed rows).
    in_ptr, in_edges, suppliers
        Each node's incoming edges and their suppliers.
    bom_ptr, bom_lines
        Each node's BOM lines.
    line_ptr, line_edges
        Each BOM line's source edges.
    edge_supplier, edge_customer, edge_bom_row
        The supplier, the customer and the BOM line of every edge.
    """

    out_ptr: list[int]
    out_edges: list[int]
    customers: list[int]
    in_ptr: list[int]
    in_edges: list[int]
    suppliers: list[int]
    bom_ptr: list[int]
    bom_lines: list[int]
    line_ptr: list[int]
    line_edges: list[int]
    edge_supplier: list[int]
    edge_customer: list[int]
    edge_bom_row: list[int]

    @classmethod
    def build(cls, adjacency: Adjacency) -> NeighbourLists:
        """The lists of ``adjacency`` (about 100 bytes per edge and per node).

        Parameters
        ----------
        adjacency
            The compressed rows.

        Returns
        -------
        NeighbourLists
            The same rows as Python lists.
        """
        a = adjacency
        out_edges = a.out_edges[: a.out_ptr[-1]]
        in_edges = a.in_edges[: a.in_ptr[-1]]
        return cls(
            out_ptr=a.out_ptr.tolist(),
            out_edges=out_edges.tolist(),
            customers=a.edge_customer[out_edges].tolist(),
            in_ptr=a.in_ptr.tolist(),
            in_edges=in_edges.tolist(),
            suppliers=a.edge_supplier[in_edges].tolist(),
            bom_ptr=a.bom_ptr.tolist(),
            bom_lines=a.bom_lines.tolist(),
            line_ptr=a.line_ptr.tolist(),
            line_edges=a.line_edges.tolist(),
            edge_supplier=a.edge_supplier.tolist(),
            edge_customer=a.edge_customer.tolist(),
            edge_bom_row=a.edge_bom_row.tolist(),
        )

    def region_parts(
        self, nodes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`Adjacency.region_parts` of the region of ``nodes``, through the lists.

        Parameters
        ----------
        nodes
            The region's nodes (positions).

        Returns
        -------
        tuple of numpy.ndarray
            ``(edges, boundary_out, boundary_in, bom_lines)``, each sorted ascending.
        """
        members = nodes.tolist()
        member = set(members)
        customer, supplier = self.edge_customer, self.edge_supplier
        inside: list[int] = []
        leaving: list[int] = []
        entering: list[int] = []
        lines: list[int] = []
        for node in members:
            for edge in self.out_edges[self.out_ptr[node] : self.out_ptr[node + 1]]:
                (inside if customer[edge] in member else leaving).append(edge)
            entering += [
                edge
                for edge in self.in_edges[self.in_ptr[node] : self.in_ptr[node + 1]]
                if supplier[edge] not in member
            ]
            lines += self.bom_lines[self.bom_ptr[node] : self.bom_ptr[node + 1]]
        return (
            _sorted_array(inside),
            _sorted_array(leaving),
            _sorted_array(entering),
            _sorted_array(lines),
        )


def _sorted_array(items: list[int]) -> np.ndarray:
    return np.array(sorted(items), dtype=np.int64)


def downstream_product_key(
    has_demand: np.ndarray, ptr: np.ndarray, customers: np.ndarray
) -> np.ndarray:
    """Per node, which nodes with demand are downstream of it (or itself), as a sort key.

    Parameters
    ----------
    has_demand
        Boolean mask of the nodes with demand.
    ptr, customers
        Each node's customers as compressed rows.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 2)``: the smallest and the largest index of a node with demand
        downstream (``n`` and ``-1`` where there is none). Nodes whose downstream
        products are the same have the same key.
    """
    n = len(has_demand)
    index = np.arange(n)
    low = _relax(np.where(has_demand, index, n), ptr, customers, np.minimum, n)
    high = _relax(np.where(has_demand, index, -1), ptr, customers, np.maximum, -1)
    return np.stack([low, high], axis=1)


def _relax(
    key: np.ndarray, ptr: np.ndarray, customers: np.ndarray, better: np.ufunc, none: int
) -> np.ndarray:
    """``key`` combined (``better``) with every customer's, until nothing changes."""
    key = key.astype(np.int64)
    rows = np.flatnonzero(np.diff(ptr))
    if not len(rows):
        return key
    starts = ptr[rows]
    for _ in range(len(key)):  # at most the longest path's length rounds
        best = np.full(len(key), none, dtype=np.int64)
        best[rows] = better.reduceat(key[customers[: ptr[-1]]], starts)
        updated = better(key, best)
        if np.array_equal(updated, key):
            break
        key = updated
    return key
