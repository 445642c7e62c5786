"""Small networks for the engine tests: a terse builder and seeded random networks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from chipstress import Network

__all__ = ["build", "product", "random_network"]


def build(
    nodes: Sequence[dict],
    bom: Iterable[tuple[str, str, float]] = (),
    sources: Iterable[tuple[str, str]] = (),
    **meta: str,
) -> Network:
    """A validated network from node dicts, ``(node, material, quantity)`` BOM lines and
    ``(supplier, customer)`` source edges. Node dicts need ``id``, ``material`` and
    ``capacity``; every other column is optional."""
    return Network.from_tables(
        pd.DataFrame(list(nodes)),
        pd.DataFrame(list(bom), columns=["node", "material", "quantity"]),
        pd.DataFrame(list(sources), columns=["supplier", "customer"]),
        meta={"name": "test", "period": "week", "currency": "USD", **meta},
    )


def product(
    node: str,
    material: str,
    *,
    capacity: float,
    inventory: float,
    demand: float,
    margin: float,
    **columns: object,
) -> dict:
    """A node with demand (an end product) for :func:`build`: capacity and inventory in
    units, demand in units per period, margin per unit; ``columns`` adds others (``kind``,
    ``cluster``)."""
    return {
        "id": node,
        "material": material,
        "capacity": capacity,
        "inventory": inventory,
        "demand": demand,
        "margin": margin,
        **columns,
    }


def random_network(seed: int, style: str = "mixed") -> Network:
    """A seeded random multi-tier network of 5-20 nodes.

    Tier 0 holds the end products; each supplier tier is grouped into materials with 1-3
    alternative suppliers, and each node needs 1-2 materials of the tier below it from
    every supplier of that material (so suppliers are shared between customers). Some
    tier-1 suppliers sell to end customers too, and about one product in ten has margin
    0. ``style``: ``ample`` (capacities above
    what the network needs: it survives forever undisrupted), ``tight`` (some capacities
    below it: the network loses demand even undisrupted) or ``mixed``.
    """
    rng = np.random.default_rng(seed)
    tiers = int(rng.integers(2, 5))
    sizes = [int(rng.integers(1, 4))] + [int(rng.integers(2, 6)) for _ in range(tiers - 1)]
    tier_nodes = [[f"t{k}_{i}" for i in range(size)] for k, size in enumerate(sizes)]
    material: dict[str, str] = {}
    tier_materials: list[list[str]] = []
    for k, ids in enumerate(tier_nodes):
        names: list[str] = []
        start = 0
        while start < len(ids):
            group = 1 if k == 0 else int(rng.integers(1, 4))
            name = f"m{k}_{len(names)}"
            for node in ids[start : start + group]:
                material[node] = name
            names.append(name)
            start += group
        tier_materials.append(names)
    suppliers_of = {m: [n for n in material if material[n] == m] for m in set(material.values())}

    bom: list[tuple[str, str, float]] = []
    for k in range(tiers - 1):
        customers, offered = tier_nodes[k], tier_materials[k + 1]
        needs = {
            c: set(
                rng.choice(offered, size=min(len(offered), int(rng.integers(1, 3))), replace=False)
            )
            for c in customers
        }
        for name in offered:  # every material has a customer
            if not any(name in wanted for wanted in needs.values()):
                needs[customers[int(rng.integers(len(customers)))]].add(name)
        for c in customers:
            bom += [
                (c, str(m), float(rng.choice([0.5, 1.0, 1.0, 2.0, 3.0]))) for m in sorted(needs[c])
            ]
    sources = [(s, c) for c, m, _ in bom for s in suppliers_of[m]]

    demand = {n: float(rng.integers(5, 21)) for n in tier_nodes[0]}
    if tiers > 2:
        for n in tier_nodes[1]:
            if rng.random() < 0.3:  # a supplier that also sells to end customers
                demand[n] = float(rng.integers(2, 10))
    # What each node makes undisrupted, splitting every BOM line over its suppliers.
    need = dict.fromkeys(material, 0.0)
    for n, d in demand.items():
        need[n] += d
    for k in range(tiers - 1):
        for c, m, q in bom:
            if c in tier_nodes[k]:
                for s in suppliers_of[m]:
                    need[s] += q * need[c] / len(suppliers_of[m])
    # A few products earn nothing per unit (margin 0) but must still be served to survive.
    margin = {n: 0.0 if rng.random() < 0.1 else round(float(rng.uniform(1, 10)), 2) for n in demand}
    low, high = {"ample": (1.2, 2.0), "tight": (0.5, 1.1), "mixed": (0.7, 1.6)}[style]
    rows = []
    for n in material:
        rows.append(
            {
                "id": n,
                "material": material[n],
                "capacity": round(need[n] * float(rng.uniform(low, high)) + 0.5, 2),
                "inventory": 0.0 if rng.random() < 0.3 else round(need[n] * rng.uniform(0, 3), 2),
                "demand": demand.get(n, np.nan),
                "margin": margin.get(n, np.nan),
                "cluster": ("north", "south")[int(rng.integers(2))],
            }
        )
    return build(rows, bom, sources, name=f"random-{style}-{seed}")
