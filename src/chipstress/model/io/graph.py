"""Export to a networkx graph and to GraphML.

Nodes carry every node column (missing numbers left out); each edge supplier ->
customer carries the material shipped and the customer's BOM quantity for it (and its
premium per unit shipped, where one is set).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipstress.model.io.files import atomic_file
from chipstress.model.network import Network

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["to_networkx", "write_graphml"]


def to_networkx(network: Network) -> nx.DiGraph:
    """A directed graph of the network: one node per site, one edge per source row."""
    import networkx as nx  # imported here: 0.1 s that no other command needs

    graph = nx.DiGraph(
        name=network.meta.name, period=network.meta.period, currency=network.meta.currency
    )
    for record in network.nodes.to_dict(orient="records"):
        attributes: dict[str, Any] = {
            str(key): (value.item() if hasattr(value, "item") else value)
            for key, value in record.items()
            if key != "id" and not (isinstance(value, float) and math.isnan(value))
        }
        graph.add_node(record["id"], **attributes)
    quantity = {
        (node, material): q
        for node, material, q in network.bom[["node", "material", "quantity"]].itertuples(
            index=False
        )
    }
    material_of = dict(zip(network.nodes["id"], network.nodes["material"], strict=True))
    premium = (
        network.sources["premium"].to_numpy(dtype=float)
        if "premium" in network.sources
        else [0.0] * len(network.sources)
    )
    pairs = network.sources[["supplier", "customer"]].itertuples(index=False)
    for (supplier, customer), extra in zip(pairs, premium, strict=True):
        material = material_of[supplier]
        attributes = {
            "material": material,
            "quantity": float(quantity[(customer, material)]),
        }
        if extra:  # a premium per unit shipped (qualified alternative sources)
            attributes["premium"] = float(extra)
        graph.add_edge(supplier, customer, **attributes)
    return graph


def write_graphml(network: Network, path: Path) -> None:
    """Write the network as GraphML (for Gephi, yEd, Cytoscape), atomically."""
    graph = to_networkx(network)
    with atomic_file(Path(path), "wb") as handle:
        import networkx as nx

        nx.write_graphml(graph, handle)
