"""The reference JSON format of the published stress-test notebook.

One JSON object with keys ``tier1`` (product nodes), ``tier2``, ``tier3`` (supplier
nodes), ``edges`` ([supplier, customer] pairs), ``material_types``,
``supplier_material_type`` (node -> material), ``f`` (product -> margin), ``s`` (node ->
inventory), ``d`` (product -> demand per period), ``c`` (node -> capacity per period),
``r`` (node -> {material: quantity}), ``N_minus`` (node -> materials it needs),
``N_plus`` (supplier -> customers) and ``P`` (node -> {material: [suppliers]}).

Files of that notebook load unchanged. Product nodes have no material in the format;
chipstress gives each the product node's own id as its material. What the format has
no key for (names, coordinates, clusters, TTRs, sources) is not written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput, InvalidNetwork, Problem
from chipstress.model.coerce import nan_as_text
from chipstress.model.io.files import atomic_file, read_json_document
from chipstress.model.network import Network, NetworkMeta, build_network
from chipstress.model.schema import table_schema
from chipstress.model.validation import RawTable, Where

__all__ = [
    "DROPPED_COLUMNS",
    "dropped_columns",
    "from_reference_dict",
    "read_reference_json",
    "write_reference_json",
]

# Node columns the reference format cannot carry.
DROPPED_COLUMNS = (
    "name",
    "cluster",
    "country",
    "lat",
    "lon",
    "ttr",
    "name_zh",
    "name_ja",
    "source",
)

_NODE_KEYS = {
    "capacity": "c",
    "inventory": "s",
    "demand": "d",
    "margin": "f",
    "material": "supplier_material_type",
}


def read_reference_json(path: Path) -> Network:
    """Read a reference-format JSON file; raises :class:`InvalidNetwork` listing every problem."""
    path = Path(path)
    problems: list[Problem] = []
    data = read_json_document(path, path.name, problems)
    if data is None:
        raise InvalidNetwork(problems, str(path))
    return from_reference_dict(data, path.name, name=path.stem, source=str(path))


def _mapping(data: Mapping[str, Any], key: str, label: str, problems: list[Problem]) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(Problem(label, "", key, f"'{key}' must be an object"))
        return {}
    return value


def _id_list(data: Mapping[str, Any], key: str, label: str, problems: list[Problem]) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(label, "", key, f"'{key}' must be a list of node ids"))
        return []
    return value


def from_reference_dict(
    data: Any, label: str = "reference.json", name: str = "reference", source: str = ""
) -> Network:
    """Build a network from the parsed reference JSON object.

    Parameters
    ----------
    data
        The parsed JSON document.
    label
        The file name, used in problem messages.
    name
        The network's name.
    source
        What was loaded (a path), for the error message; ``label`` if empty.

    Returns
    -------
    Network
        The validated network.

    Raises
    ------
    InvalidNetwork
        Listing every problem, located by key (``c['fab']``, ``edges[3]``).
    """
    ref = _Reference.check(data, label, source)
    tables = {
        "nodes": _node_table(ref),
        "bom": _bom_table(ref),
        "sources": _source_table(ref),
    }
    meta = NetworkMeta(
        name=name,
        period="period",
        currency="",
        description="Imported from the reference JSON format.",
    )
    return build_network(tables, meta, ref.problems, source=source or label)


@dataclass
class _Reference:
    """The structure of a reference document, checked: node lists, maps and edges."""

    label: str
    tiers: dict[str, list[str]]
    maps: dict[str, dict[str, Any]]
    edges: list[list[str]] | None
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def check(cls, data: Any, label: str, source: str) -> _Reference:
        """The node lists, maps and edges of ``data``; raises when its shape is wrong."""
        problems: list[Problem] = []
        if not isinstance(data, dict):
            raise InvalidNetwork(
                [Problem(label, "", "", "must be a JSON object with tier1, tier2, ...")], source
            )
        for key in ("tier1", "c", "d", "f"):
            if key not in data:
                problems.append(Problem(label, "", key, f"required key '{key}' is missing"))
        if "edges" not in data and "P" not in data:
            problems.append(
                Problem(label, "", "edges", "needs 'edges' or 'P' to say who supplies whom")
            )
        tiers = {key: _id_list(data, key, label, problems) for key in ("tier1", "tier2", "tier3")}
        maps = {key: _mapping(data, key, label, problems) for key in _MAP_KEYS}
        edges = data.get("edges")
        if edges is not None and not _is_pair_list(edges):
            problems.append(
                Problem(label, "", "edges", "'edges' must be a list of [supplier, customer] pairs")
            )
        if problems:
            # Without its node lists and main tables the rest cannot be checked: every node
            # would be reported unknown or missing its capacity. Report the structure alone.
            raise InvalidNetwork(problems, source or label)
        return cls(label, tiers, maps, edges)

    @property
    def products(self) -> set[str]:
        """The tier1 node ids."""
        return set(self.tiers["tier1"])

    def problem(self, location: str, key: str, message: str) -> None:
        """Record a problem at ``location`` (``c['fab']``) of ``key``."""
        self.problems.append(Problem(self.label, location, key, message))


_MAP_KEYS = ("c", "s", "d", "f", "supplier_material_type", "r", "N_minus", "P")


def _is_pair_list(edges: Any) -> bool:
    return isinstance(edges, list) and all(
        isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e) for e in edges
    )


# --------------------------------------------------------------------------- nodes
def _node_table(ref: _Reference) -> RawTable:
    """The node table from the tier lists and the per-node maps."""
    ids: list[str] = []
    tier_of: dict[str, int] = {}
    listed_at: list[str] = []
    for number, key in enumerate(("tier1", "tier2", "tier3"), start=1):
        for position, node in enumerate(ref.tiers[key]):
            ids.append(node)
            listed_at.append(f"{key}[{position}]")
            tier_of.setdefault(node, number)
    _check_node_keys(ref, set(ids))
    maps, products = ref.maps, ref.products
    nodes = pd.DataFrame(
        {
            "id": pd.Series(ids, dtype=object),
            "kind": ["product" if n in products else "supplier" for n in ids],
            "material": [
                n if n in products else maps["supplier_material_type"].get(n) for n in ids
            ],
            "capacity": [nan_as_text(maps["c"].get(n)) for n in ids],
            "inventory": [nan_as_text(maps["s"].get(n, 0)) for n in ids],
            "demand": [nan_as_text(maps["d"].get(n)) if n in products else None for n in ids],
            "margin": [nan_as_text(maps["f"].get(n)) if n in products else None for n in ids],
            "tier": [tier_of[n] for n in ids],
        },
        dtype=object,
    )

    def node_where(row: int, column: str) -> tuple[str, str]:
        key = _NODE_KEYS.get(column)
        if key is None:
            return listed_at[row], listed_at[row].split("[")[0]
        return f"{key}['{ids[row]}']", key

    return RawTable("nodes", nodes, ref.label, node_where)


def _check_node_keys(ref: _Reference, known: set[str]) -> None:
    """Maps keyed by unknown nodes; a material for a product; demand or margin for a supplier."""
    maps, products = ref.maps, ref.products
    for key in _MAP_KEYS:
        for node in maps[key]:
            if node not in known:
                ref.problem(
                    f"{key}['{node}']", key, f"unknown node '{node}' (not in tier1, tier2 or tier3)"
                )
    for node in maps["supplier_material_type"]:
        if node in products:
            ref.problem(
                f"supplier_material_type['{node}']",
                "supplier_material_type",
                "a tier1 product node has no supplier material",
            )
    for key, column in (("d", "demand"), ("f", "margin")):
        for node in maps[key]:
            if node in known and node not in products:
                ref.problem(
                    f"{key}['{node}']",
                    key,
                    f"{column} is given for '{node}', which is not a tier1 product",
                )


# --------------------------------------------------------------------------- BOM
def _bom_table(ref: _Reference) -> RawTable:
    """BOM lines from ``r`` (with quantities) and ``N_minus`` (quantity 1 where ``r`` has none)."""
    maps = ref.maps
    bom_rows: list[tuple[str, Any, Any]] = []
    for node, needs in maps["r"].items():
        if not isinstance(needs, dict):
            ref.problem(f"r['{node}']", "r", "must map material -> quantity")
            continue
        bom_rows += [(node, m, nan_as_text(quantity)) for m, quantity in needs.items()]
    for node, needs in maps["N_minus"].items():
        given = maps["r"].get(node)
        listed = given if isinstance(given, dict) else {}
        if not isinstance(needs, list):
            ref.problem(f"N_minus['{node}']", "N_minus", "must be a list of materials")
            continue
        bom_rows += [(node, material, 1) for material in needs if material not in listed]
    bom = pd.DataFrame(bom_rows, columns=["node", "material", "quantity"], dtype=object)
    return RawTable(
        "bom",
        bom,
        ref.label,
        lambda row, column: (
            f"r['{bom_rows[row][0]}']['{bom_rows[row][1]}']" if row < len(bom_rows) else "",
            "r",
        ),
    )


# --------------------------------------------------------------------------- sources
def _source_table(ref: _Reference) -> RawTable:
    """Source edges from ``edges`` (checked against ``P`` when both are given) or ``P``."""
    from_p, p_material = _pairs_from_p(ref)
    if ref.edges is None:
        pairs = from_p
        where: Where = lambda row, column: (f"P (edge {row + 1})", "P")  # noqa: E731
    else:
        pairs = [(e[0], e[1]) for e in ref.edges]
        where = lambda row, column: (f"edges[{row}]", "edges")  # noqa: E731
        if ref.maps["P"]:
            _compare_edges_with_p(ref, pairs, from_p, p_material)
    sources = pd.DataFrame(pairs, columns=["supplier", "customer"], dtype=object)
    return RawTable("sources", sources, ref.label, where)


def _pairs_from_p(
    ref: _Reference,
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], str]]:
    """``(supplier, customer)`` pairs listed in ``P`` and the material of each."""
    from_p: list[tuple[str, str]] = []
    p_material: dict[tuple[str, str], str] = {}
    material_of = ref.maps["supplier_material_type"]
    known = {node for key in ("tier1", "tier2", "tier3") for node in ref.tiers[key]}
    for customer, by_material in ref.maps["P"].items():
        if not isinstance(by_material, dict):
            ref.problem(f"P['{customer}']", "P", "must map material -> [suppliers]")
            continue
        for material, suppliers in by_material.items():
            if not isinstance(suppliers, list) or not all(isinstance(x, str) for x in suppliers):
                ref.problem(f"P['{customer}']['{material}']", "P", "must be a list of supplier ids")
                continue
            for supplier in suppliers:
                from_p.append((supplier, customer))
                p_material.setdefault((supplier, customer), material)
                kind = material_of.get(supplier)
                if supplier in known and kind is not None and kind != material:
                    ref.problem(
                        f"P['{customer}']['{material}']",
                        "P",
                        f"lists '{supplier}', which supplies '{kind}', not '{material}'",
                    )
    return from_p, p_material


def _compare_edges_with_p(
    ref: _Reference,
    pairs: list[tuple[str, str]],
    from_p: list[tuple[str, str]],
    p_material: dict[tuple[str, str], str],
) -> None:
    """Suppliers ``P`` lists that ``edges`` lacks, and edges ``P`` does not list."""
    in_edges, in_p = set(pairs), set(from_p)
    only_p = [pair for pair in dict.fromkeys(from_p) if pair not in in_edges]
    for supplier, customer in only_p[:25]:
        material = p_material[(supplier, customer)]
        ref.problem(
            f"P['{customer}']['{material}']",
            "P",
            f"lists supplier '{supplier}', but edges has no ['{supplier}', '{customer}'] pair",
        )
    if len(only_p) > 25:
        ref.problem("", "P", f"... and {len(only_p) - 25} more suppliers not in edges")
    only_edges = [
        (row, pair) for row, pair in enumerate(pairs) if pair not in in_p and pair in in_edges
    ]
    for row, (supplier, customer) in only_edges[:25]:
        ref.problem(
            f"edges[{row}]", "edges", f"pair ['{supplier}', '{customer}'] is not in P['{customer}']"
        )
    if len(only_edges) > 25:
        ref.problem("", "edges", f"... and {len(only_edges) - 25} more pairs not in P")


def _number(value: Any) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def to_reference_dict(network: Network) -> dict[str, Any]:
    """The reference JSON object for ``network``.

    Raises
    ------
    InvalidInput
        When the network cannot be expressed in the format (a node with demand that
        also ships to customers).
    """
    nodes = network.nodes
    idx = network.index
    products = nodes.loc[idx.has_demand, "id"].tolist()
    shipping = set(network.sources["supplier"])
    mixed = [p for p in products if p in shipping]
    if mixed:
        raise InvalidInput(
            "the reference JSON format cannot hold nodes that both sell to end customers and ship "
            f"to other nodes: {', '.join(mixed[:5])}"
        )
    others = nodes.loc[~idx.has_demand]
    tier2 = others.loc[others["tier"] <= 2, "id"].tolist()
    tier3 = others.loc[others["tier"] > 2, "id"].tolist()
    supplier_material = dict(zip(others["id"], others["material"], strict=True))
    material_types = list(dict.fromkeys(supplier_material.values()))
    capacity = dict(zip(nodes["id"], nodes["capacity"], strict=True))
    inventory = dict(zip(nodes["id"], nodes["inventory"], strict=True))
    by_node = nodes.set_index("id")
    r: dict[str, dict[str, Any]] = {}
    for node, material, quantity in network.bom[["node", "material", "quantity"]].itertuples(
        index=False
    ):
        r.setdefault(node, {})[material] = _number(quantity)
    edges = network.sources[["supplier", "customer"]].values.tolist()
    n_plus: dict[str, list[str]] = {}
    p: dict[str, dict[str, list[str]]] = {node: {m: [] for m in needs} for node, needs in r.items()}
    for supplier, customer in edges:
        n_plus.setdefault(supplier, []).append(customer)
        p[customer][supplier_material[supplier]].append(supplier)
    return {
        "tier1": products,
        "tier2": tier2,
        "tier3": tier3,
        "edges": edges,
        "material_types": material_types,
        "supplier_material_type": supplier_material,
        "f": {n: _number(by_node.at[n, "margin"]) for n in products},
        "s": {n: _number(v) for n, v in inventory.items()},
        "d": {n: _number(by_node.at[n, "demand"]) for n in products},
        "c": {n: _number(v) for n, v in capacity.items()},
        "r": r,
        "N_minus": {node: list(needs) for node, needs in r.items()},
        "N_plus": n_plus,
        "P": p,
    }


def _carries_data(frame: pd.DataFrame, column: str, default: float | None = None) -> bool:
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values.dtype):
        if default is not None:  # a column whose default the format implies (premium 0)
            return bool((values.notna() & (values != default)).any())
        return bool(values.notna().any())
    return bool((values.fillna("").astype(str) != "").any())


def dropped_columns(network: Network) -> list[str]:
    """Columns holding data that the reference JSON format cannot carry.

    Node columns by name (in table order), BOM and source columns as ``bom.<column>``
    and ``sources.<column>``. Partly carried columns count as dropped when a value
    would change: ``kind`` (the format knows only product and supplier), ``material``
    of end products (they become their own id), ``tier`` (only 1, 2 and 3), and
    ``demand``/``margin`` given on nodes that are not end products.
    """
    nodes = network.nodes
    products = network.index.has_demand
    lost: set[str] = {c for c in DROPPED_COLUMNS if c in nodes and _carries_data(nodes, c)}
    if "name" in lost and (nodes["name"] == nodes["id"]).all():
        lost.discard("name")
    kinds = nodes["kind"].to_numpy(dtype=object)
    if (kinds != np.where(products, "product", "supplier")).any():
        lost.add("kind")
    if (nodes.loc[products, "material"] != nodes.loc[products, "id"]).any():
        lost.add("material")
    tiers = nodes["tier"].to_numpy()
    if (tiers != np.where(products, 1, np.where(tiers <= 2, 2, 3))).any():
        lost.add("tier")
    for column in ("demand", "margin"):
        if nodes.loc[~products, column].notna().any():
            lost.add(column)
    schema = table_schema("nodes")
    lost.update(c for c in nodes.columns if c not in schema and _carries_data(nodes, c))
    dropped = [c for c in nodes.columns if c in lost]
    for table, keep in (
        ("bom", ("node", "material", "quantity")),
        ("sources", ("supplier", "customer")),
    ):
        frame = getattr(network, table)
        schema = table_schema(table)
        defaults = {
            c: float(a.default) for c, a in schema.items() if a.dtype == "float" and a.default
        }
        dropped += [
            f"{table}.{c}"
            for c in frame.columns
            if c not in keep and _carries_data(frame, c, defaults.get(c))
        ]
    return dropped


def write_reference_json(network: Network, path: Path) -> list[str]:
    """Write ``network`` as reference JSON, atomically; returns the columns dropped.

    See :func:`dropped_columns`; the metadata (name, period, currency, description,
    materials) has no place in the format either.
    """
    data = to_reference_dict(network)
    dropped = dropped_columns(network)
    with atomic_file(Path(path)) as handle:
        json.dump(data, handle)
    return dropped
