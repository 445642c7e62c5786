"""The :class:`Network`: the one object every engine and workflow takes.

A network is three tables and some metadata:

* ``nodes``: one row per site, in the column order of ``schema/nodes.csv``; the
  row position is the node's integer index (``RangeIndex``), ready for sparse
  matrices.
* ``bom``: node ``node`` needs ``quantity`` units of ``material`` per unit it makes.
* ``sources``: ``supplier`` may ship its material to ``customer``.

Every node supplies exactly one material. Nodes with ``demand`` sell to end
customers (end products); they may also ship to customers of their own.

A ``Network`` is immutable by convention: do not edit its tables in place, use the
``with_*``/``without_*`` methods, which return a new network and share whatever did
not change (pandas copy-on-write keeps the copies cheap).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput, Problem
from chipstress.model.meta import NetworkMeta
from chipstress.model.validation import (
    MAX_MAGNITUDE,
    RawTable,
    meta_from_mapping,
    validate_tables,
)

__all__ = ["Network", "NetworkIndex", "NetworkMeta", "build_network"]


@dataclass(frozen=True)
class NetworkIndex:
    """Integer views of a network's tables, for building sparse matrices.

    All arrays are ``int64`` positions: nodes index ``Network.nodes`` rows,
    materials index :attr:`materials`.
    """

    node_ids: pd.Index
    materials: pd.Index
    node_material: np.ndarray
    bom_node: np.ndarray
    bom_material: np.ndarray
    source_supplier: np.ndarray
    source_customer: np.ndarray
    has_demand: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    def positions(self, ids: Iterable[str]) -> np.ndarray:
        """Row positions of node ``ids``; raises :class:`InvalidInput` on an unknown id."""
        ids = list(ids)
        pos = self.node_ids.get_indexer(pd.Index(ids, dtype=object))
        missing = [i for i, p in zip(ids, pos, strict=True) if p < 0]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise InvalidInput(f"unknown node id {shown}{more}")
        return pos.astype(np.int64)


class Network:
    """A multi-tier supply network: node, BOM and source tables plus metadata.

    Build one with :func:`chipstress.read_network`, :func:`chipstress.load_builtin`
    or :meth:`Network.from_tables`; all of them validate. The constructor itself
    takes tables that are already valid and canonical.
    """

    def __init__(
        self,
        nodes: pd.DataFrame,
        bom: pd.DataFrame,
        sources: pd.DataFrame,
        meta: NetworkMeta | None = None,
    ) -> None:
        self.nodes = nodes
        self.bom = bom
        self.sources = sources
        self.meta = meta if meta is not None else NetworkMeta()

    @classmethod
    def from_tables(
        cls,
        nodes: pd.DataFrame,
        bom: pd.DataFrame | None = None,
        sources: pd.DataFrame | None = None,
        meta: NetworkMeta | Mapping[str, Any] | None = None,
    ) -> Network:
        """Validate plain tables and build a network from them.

        Parameters
        ----------
        nodes
            One row per node: id, capacity and demand (units per period), inventory (units),
            margin (currency per unit), ... (the columns are listed in README.md).
        bom
            Bill of materials: node, material, quantity (units of material per unit made);
            ``None``: none.
        sources
            Supplier -> customer edges; ``None``: none.
        meta
            :class:`NetworkMeta` or a ``network.yaml``-style mapping (name, period, currency).

        Returns
        -------
        Network
            The validated network.

        Raises
        ------
        InvalidNetwork
            Listing every problem, with table, row and column.
        """
        if isinstance(meta, Mapping):
            meta = meta_from_mapping(meta)
        empty = {
            "bom": pd.DataFrame(columns=["node", "material", "quantity"]),
            "sources": pd.DataFrame(columns=["supplier", "customer"]),
        }
        tables = {
            "nodes": RawTable.rows("nodes", nodes, "nodes"),
            "bom": RawTable.rows("bom", bom if bom is not None else empty["bom"], "bom"),
            "sources": RawTable.rows(
                "sources", sources if sources is not None else empty["sources"], "sources"
            ),
        }
        return build_network(tables, meta or NetworkMeta())

    # ------------------------------------------------------------------ views
    @cached_property
    def index(self) -> NetworkIndex:
        """Integer positions of nodes, materials, BOM rows and source edges."""
        node_ids = pd.Index(self.nodes["id"].to_numpy(dtype=object), name="id")
        materials = pd.Index(
            sorted(set(self.nodes["material"]).union(self.bom["material"])), name="material"
        )
        demand = self.nodes["demand"].to_numpy(dtype=float)
        return NetworkIndex(
            node_ids=node_ids,
            materials=materials,
            node_material=materials.get_indexer(self.nodes["material"]).astype(np.int64),
            bom_node=node_ids.get_indexer(self.bom["node"]).astype(np.int64),
            bom_material=materials.get_indexer(self.bom["material"]).astype(np.int64),
            source_supplier=node_ids.get_indexer(self.sources["supplier"]).astype(np.int64),
            source_customer=node_ids.get_indexer(self.sources["customer"]).astype(np.int64),
            has_demand=np.nan_to_num(demand, nan=0.0) > 0,
        )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def name(self) -> str:
        """The network's name (from its metadata)."""
        return self.meta.name

    def product_ids(self) -> list[str]:
        """Ids of the nodes with end-customer demand."""
        return self.nodes.loc[self.index.has_demand, "id"].tolist()

    def customers_of(self, node_id: str) -> list[str]:
        """Ids of the nodes ``node_id`` may ship to."""
        return self.sources.loc[self.sources["supplier"] == node_id, "customer"].tolist()

    def suppliers_of(self, node_id: str) -> list[str]:
        """Ids of the nodes that may ship to ``node_id``."""
        return self.sources.loc[self.sources["customer"] == node_id, "supplier"].tolist()

    def single_sourced(self) -> pd.DataFrame:
        """BOM lines (node, material) that exactly one supplier can fill.

        Returns a table ``node, material, supplier``.
        """
        idx = self.index
        edges = pd.DataFrame(
            {
                "node": self.sources["customer"].to_numpy(dtype=object),
                "material": idx.materials[idx.node_material[idx.source_supplier]],
                "supplier": self.sources["supplier"].to_numpy(dtype=object),
            }
        )
        counts = edges.groupby(["node", "material"], sort=False)["supplier"].transform("size")
        single = edges[counts.to_numpy() == 1]
        lines = self.bom[["node", "material"]].merge(single, on=["node", "material"])
        return lines.reset_index(drop=True)

    def summary(self) -> str:
        """One line: name, nodes, products, materials, BOM lines, source edges."""
        return (
            f"{self.meta.name}: {self.n_nodes} nodes, {len(self.product_ids())} products, "
            f"{len(self.index.materials)} materials, {len(self.bom)} BOM lines, "
            f"{len(self.sources)} source edges (period: {self.meta.period})"
        )

    # ------------------------------------------------------------------ edits
    def _with_nodes(self, nodes: pd.DataFrame) -> Network:
        return Network(nodes, self.bom, self.sources, self.meta)

    def with_node_values(self, column: str, values: Mapping[str, float]) -> Network:
        """A copy with ``column`` set to ``values[id]`` for the nodes named.

        Numbers are checked: finite, >= 0 and at most
        :data:`~chipstress.model.validation.MAX_MAGNITUDE` (``margin`` too).
        """
        if column not in ("capacity", "inventory", "ttr", "demand", "margin"):
            raise InvalidInput(f"cannot set node column {column!r}")
        pos = self.index.positions(values.keys())
        new = np.array([_as_float(v) for v in values.values()], dtype=float)
        pairs = list(zip(values.keys(), new, strict=True))
        bad = [k for k, v in pairs if not np.isfinite(v) or v < 0]
        if bad:
            raise InvalidInput(f"{column} must be finite and >= 0; got bad values for {bad[:10]}")
        large = [k for k, v in pairs if v > MAX_MAGNITUDE]
        if large:
            raise InvalidInput(
                f"{column} must be at most {MAX_MAGNITUDE:g}; got larger values for {large[:10]}"
            )
        column_values = self.nodes[column].to_numpy(dtype=float, copy=True)
        column_values[pos] = new
        nodes = self.nodes.copy()
        nodes[column] = column_values
        return self._with_nodes(nodes)

    def with_inventory(self, values: Mapping[str, float]) -> Network:
        """A copy with the inventory (units on hand) of the named nodes replaced."""
        return self.with_node_values("inventory", values)

    def with_capacity(self, values: Mapping[str, float]) -> Network:
        """A copy with the capacity (units per period) of the named nodes replaced."""
        return self.with_node_values("capacity", values)

    def with_ttr(self, values: Mapping[str, float]) -> Network:
        """A copy with the time to recover (periods) of the named nodes replaced."""
        return self.with_node_values("ttr", values)

    def with_demand(self, values: Mapping[str, float]) -> Network:
        """A copy with the demand (units per period) of the named nodes replaced."""
        return self.with_node_values("demand", values)

    def without_nodes(self, ids: Iterable[str]) -> Network:
        """A copy without the named nodes and every BOM line and source edge naming them.

        The result is not re-validated: a customer may be left with a material nobody
        can supply, which the engine treats as zero supply (it cannot produce).
        """
        drop = set(ids)
        self.index.positions(drop)  # raises on unknown ids
        nodes = self.nodes[~self.nodes["id"].isin(drop)].reset_index(drop=True)
        bom = self.bom[~self.bom["node"].isin(drop)].reset_index(drop=True)
        keep_edge = ~(self.sources["supplier"].isin(drop) | self.sources["customer"].isin(drop))
        sources = self.sources[keep_edge].reset_index(drop=True)
        return Network(nodes, bom, sources, self.meta)

    def without_sources(self, drop: np.ndarray | pd.Series | Iterable[tuple[str, str]]) -> Network:
        """A copy without some source edges (supplier → customer rows of ``sources``).

        ``drop`` is a boolean mask over the rows of ``sources`` (True = remove) or an
        iterable of ``(supplier, customer)`` pairs. Nodes and BOM lines stay. The result
        is not re-validated: a BOM line may be left with no supplier, which the engine
        treats as zero supply (what an export control that blocks every source does).

        Raises
        ------
        InvalidInput
            A mask of the wrong length, or a pair naming no source edge.
        """
        if isinstance(drop, np.ndarray | pd.Series):
            mask = np.asarray(drop, dtype=bool)
            if mask.shape != (len(self.sources),):
                raise InvalidInput(
                    f"source mask has {mask.size} entries; the network has "
                    f"{len(self.sources)} source edges"
                )
        else:
            pairs = {(str(s), str(c)) for s, c in drop}
            edges = set(zip(self.sources["supplier"], self.sources["customer"], strict=True))
            missing = sorted(pairs - edges)
            if missing:
                shown = ", ".join(f"{s} -> {c}" for s, c in missing[:10])
                raise InvalidInput(f"no source edge {shown}")
            keys = pd.MultiIndex.from_frame(self.sources[["supplier", "customer"]])
            mask = np.asarray(keys.isin(list(pairs)), dtype=bool)
        sources = self.sources[~mask].reset_index(drop=True)
        return Network(self.nodes, self.bom, sources, self.meta)

    def with_meta(self, **changes: Any) -> Network:
        """A copy with metadata fields replaced (``name``, ``period``, ...)."""
        return Network(self.nodes, self.bom, self.sources, replace(self.meta, **changes))

    def fingerprint(self) -> str:
        """SHA-256 of the metadata and all three tables: equal networks, equal fingerprints.

        A ``sources.premium`` or ``sources.lead_time`` column that is 0 everywhere (its
        default) is left out, so a network without premiums or lead times keeps the
        fingerprint it had before the column existed (and runs stored then still match it).
        Computed once per network (its tables are not changed after it is built).
        """
        known = self.__dict__.get("_fingerprint")
        if known is not None:
            return str(known)
        digest = hashlib.sha256()
        digest.update(json.dumps(self.meta.to_dict(), sort_keys=True, default=str).encode())
        sources = self.sources
        for column in ("premium", "lead_time"):
            if column in sources and not sources[column].fillna(0.0).astype(float).any():
                sources = sources.drop(columns=column)
        for table in (self.nodes, self.bom, sources):
            digest.update("\x1f".join(map(str, table.columns)).encode())
            digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
        self.__dict__["_fingerprint"] = digest.hexdigest()
        return str(self.__dict__["_fingerprint"])

    # ------------------------------------------------------------------ equality
    def differences(self, other: Network) -> list[str]:
        """What differs between two networks, in words; empty when they are equal."""
        found = []
        if self.meta != other.meta:
            found.append(f"metadata differs: {self.meta} != {other.meta}")
        for table in ("nodes", "bom", "sources"):
            mine, theirs = getattr(self, table), getattr(other, table)
            if list(mine.columns) != list(theirs.columns):
                found.append(
                    f"{table} columns differ: {list(mine.columns)} != {list(theirs.columns)}"
                )
            elif mine.shape != theirs.shape:
                found.append(f"{table} shape differs: {mine.shape} != {theirs.shape}")
            else:
                for column in mine.columns:
                    a, b = mine[column], theirs[column]
                    if a.dtype != b.dtype or not a.reset_index(drop=True).equals(
                        b.reset_index(drop=True)
                    ):
                        found.append(f"{table}.{column} differs")
        return found

    def equals(self, other: object) -> bool:
        """True when metadata and all three tables are identical."""
        return isinstance(other, Network) and not self.differences(other)

    def __eq__(self, other: object) -> bool:
        return self.equals(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Network {self.summary()}>"


def _as_float(value: Any) -> float:
    """A number as a float; NaN for anything else (an integer beyond a float is inf)."""
    try:
        return float(value)
    except OverflowError:
        return float("inf")
    except (TypeError, ValueError):
        return float("nan")


def build_network(
    tables: Mapping[str, RawTable],
    meta: NetworkMeta,
    problems: list[Problem] | None = None,
    source: str = "",
) -> Network:
    """Check raw tables against the schema and every rule; return the network.

    Parameters
    ----------
    tables
        ``nodes``, ``bom`` and ``sources`` raw tables.
    meta
        Metadata, already checked.
    problems
        Problems the reader found already (file-level); they are reported with the rest.
    source
        What was loaded (a path), for the error message.

    Returns
    -------
    Network
        The validated network, its tables in canonical form.

    Raises
    ------
    InvalidNetwork
        With every problem found, when there is at least one.
    """
    nodes, bom, sources = validate_tables(tables, problems, source)
    return Network(nodes, bom, sources, meta)
