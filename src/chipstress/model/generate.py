"""Synthetic multi-tier supply networks of any size, for benchmarks and scale tests.

Shape (seeded, reproducible):

* ``tiers`` tiers; tier 1 holds the end products (about 1 % of the nodes, at least 3),
  and each lower tier is wider than the one above it (ratio ``widening``);
* every non-product node supplies one material; the nodes of a tier are grouped into
  materials with 1-3 alternative suppliers each (*material groups*);
* each node of tier k needs 1-5 materials of tier k+1 (quantity 1-3), and may buy each
  from any of that material's suppliers;
* nodes belong to *sectors* (product families of about two products) and to one of
  six clusters; most materials are bought within the sector, some from a neighbouring
  sector (``cross_sector``), picked with preferential attachment so a few materials
  have many customers (heavy-tailed degrees); alternative suppliers of a material often
  sit in different clusters;
* capacities carry 10-60 % headroom over what the undisrupted network needs (a few
  are tight), inventories cover 0-3 periods of use, TTRs are 1-12 periods.

The undisrupted network meets demand forever; single-node disruptions produce a spread
of lost profits and times-to-survive. All figures are synthetic (``source`` says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from chipstress.errors import InvalidInput
from chipstress.model.canonical import canonical_nodes, canonical_table
from chipstress.model.network import Network, NetworkMeta, build_network
from chipstress.model.validation import RawTable

__all__ = ["generate_network"]

CLUSTERS = ("kaohsiung", "kumamoto", "arizona", "hsinchu", "tainan", "europe")


def _tier_sizes(nodes: int, tiers: int, widening: float) -> np.ndarray:
    products = max(3, round(nodes * 0.01))
    weights = widening ** np.arange(tiers - 1)
    rest = nodes - products
    sizes = np.floor(rest * weights / weights.sum()).astype(np.int64)
    sizes[-1] += rest - sizes.sum()
    return np.concatenate([[products], sizes])


def generate_network(
    nodes: int,
    tiers: int = 5,
    seed: int = 0,
    *,
    widening: float = 1.7,
    cross_sector: float = 0.05,
    validate: bool = True,
) -> Network:
    """A synthetic network of ``nodes`` nodes over ``tiers`` tiers.

    Parameters
    ----------
    nodes
        Total number of nodes (>= 10 * tiers).
    tiers
        Number of tiers, 2-20; tier 1 holds the end products.
    seed
        Random seed: the same arguments give the same network.
    widening
        Size ratio between consecutive supplier tiers.
    cross_sector
        Share of BOM lines bought from a neighbouring sector.
    validate
        Run the full validation on the result (slower for millions of nodes).

    Raises
    ------
    InvalidInput
        Sizes out of range.
    """
    if not 2 <= tiers <= 20:
        raise InvalidInput(f"tiers must be between 2 and 20, got {tiers}")
    if nodes < 10 * tiers:
        raise InvalidInput(f"nodes must be at least 10 x tiers = {10 * tiers}, got {nodes}")
    rng = np.random.default_rng(seed)
    sizes = _tier_sizes(nodes, tiers, widening)
    tier_of = np.repeat(np.arange(1, tiers + 1), sizes)
    first = np.concatenate([[0], np.cumsum(sizes)])
    n_products = sizes[0]
    n_sectors = max(1, n_products // 2)
    sector = rng.integers(0, n_sectors, nodes)
    cluster = rng.integers(0, len(CLUSTERS), nodes)

    # Materials: nodes of each supplier tier grouped into runs of 1-3 alternative suppliers.
    material = np.full(nodes, -1, dtype=np.int64)
    material[:n_products] = np.arange(n_products)
    next_material = n_products
    material_tier, material_sector = [np.ones(n_products, np.int64)], [sector[:n_products]]
    for k in range(1, tiers):
        lo, hi = first[k], first[k + 1]
        # Sort the tier by sector so a material's suppliers share a sector.
        order = lo + np.argsort(sector[lo:hi], kind="stable")
        group_size = rng.choice([1, 2, 3], size=hi - lo, p=[0.45, 0.35, 0.2])
        starts = np.cumsum(group_size)
        starts = starts[starts < hi - lo]
        group = np.zeros(hi - lo, np.int64)
        group[starts] = 1
        group = np.cumsum(group)
        material[order] = next_material + group
        count = group[-1] + 1
        material_tier.append(np.full(count, k + 1))
        sectors = np.zeros(count, np.int64)
        sectors[group] = sector[order]
        material_sector.append(sectors)
        # Alternatives in other clusters: shuffle the clusters of multi-supplier groups.
        next_material += count
    material_tier_arr = np.concatenate(material_tier)
    material_sector_arr = np.concatenate(material_sector)

    # BOM: each node of tier k needs 1-5 materials of tier k+1, mostly from its own
    # sector and otherwise from a neighbouring one, by preferential attachment.
    bom_node_arr, bom_material_arr = _bom_lines(
        rng,
        first,
        sector,
        _Materials(material_tier_arr, material_sector_arr, next_material),
        n_sectors,
        cross_sector,
    )
    quantity = rng.choice([1.0, 1.0, 1.0, 2.0, 3.0], size=len(bom_node_arr))

    # Sources: a BOM line may be filled by every supplier of its material.
    supplier_order = np.argsort(material, kind="stable")
    sorted_material = material[supplier_order]
    lo = np.searchsorted(sorted_material, bom_material_arr, side="left")
    hi = np.searchsorted(sorted_material, bom_material_arr, side="right")
    counts = hi - lo
    line_of_edge = np.repeat(np.arange(len(bom_node_arr)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    edge_supplier = supplier_order[np.repeat(lo, counts) + offset]
    edge_customer = bom_node_arr[line_of_edge]

    # Requirements of the undisrupted network, tier by tier (equal split over suppliers).
    demand = np.zeros(nodes)
    demand[:n_products] = rng.uniform(500, 1500, n_products).round()
    need = demand.copy()
    share = quantity[line_of_edge] / counts[line_of_edge]
    flow_matrix = sp.csr_matrix((share, (edge_supplier, edge_customer)), shape=(nodes, nodes))
    for k in range(1, tiers):
        lo_k, hi_k = first[k], first[k + 1]
        upper = np.zeros(nodes)
        upper[first[k - 1] : first[k]] = need[first[k - 1] : first[k]]
        need[lo_k:hi_k] = (flow_matrix @ upper)[lo_k:hi_k]
    headroom = rng.uniform(1.1, 1.6, nodes)
    tight = rng.random(nodes) < 0.1
    headroom[tight] = rng.uniform(1.0, 1.05, int(tight.sum()))
    capacity = np.ceil(np.maximum(need, 1.0) * headroom)
    inventory = np.floor(need * rng.uniform(0.0, 3.0, nodes))
    ttr = rng.integers(1, 13, nodes).astype(float)
    margin = np.where(demand > 0, rng.uniform(0.1, 0.5, nodes).round(3), np.nan)

    width = len(str(nodes))
    ids = np.char.add("N", np.char.zfill(np.arange(nodes).astype(str), width)).astype(object)
    materials = np.char.add("m", np.arange(next_material).astype(str)).astype(object)
    table = pd.DataFrame(
        {
            "id": ids,
            "kind": np.where(tier_of == 1, "product", "supplier"),
            "cluster": np.array(CLUSTERS, dtype=object)[cluster],
            "material": materials[material],
            "capacity": capacity,
            "inventory": inventory,
            "ttr": ttr,
            "demand": np.where(demand > 0, demand, np.nan),
            "margin": margin,
            "tier": tier_of,
            "source": "synthetic: chipstress.generate_network",
        }
    )
    bom = pd.DataFrame(
        {"node": ids[bom_node_arr], "material": materials[bom_material_arr], "quantity": quantity}
    )
    sources = pd.DataFrame({"supplier": ids[edge_supplier], "customer": ids[edge_customer]})
    meta = NetworkMeta(
        name=f"generated-{nodes}-{tiers}-{seed}",
        period="period",
        currency="USD",
        description=f"Synthetic network: {nodes} nodes, {tiers} tiers, seed {seed} (chipstress.generate_network).",
    )
    if not validate:
        nodes_table = canonical_nodes(table, tier_of.astype(float))
        return Network(
            nodes_table, canonical_table(bom, "bom"), canonical_table(sources, "sources"), meta
        )
    tables = {
        "nodes": RawTable.rows("nodes", table, "nodes"),
        "bom": RawTable.rows("bom", bom, "bom"),
        "sources": RawTable.rows("sources", sources, "sources"),
    }
    return build_network(tables, meta)


@dataclass(frozen=True)
class _Materials:
    """Tier and sector of every material, and how many there are."""

    tier: np.ndarray
    sector: np.ndarray
    count: int


def _bom_lines(
    rng: np.random.Generator,
    first: np.ndarray,
    sector: np.ndarray,
    materials: _Materials,
    n_sectors: int,
    cross_sector: float,
) -> tuple[np.ndarray, np.ndarray]:
    """BOM lines ``(node, material)``: each node of tier k needs 1-5 materials of tier k+1.

    Mostly from its own sector and otherwise from a neighbouring one, by preferential
    attachment; every material gets at least one customer.
    """
    bom_node, bom_material = [], []
    tiers = len(first) - 1
    material_tier_arr, material_sector_arr = materials.tier, materials.sector
    next_material = materials.count
    for k in range(1, tiers):
        customers = np.arange(first[k - 1], first[k])
        candidates = np.flatnonzero(material_tier_arr == k + 1)
        if len(candidates) == 0:
            continue
        popularity = rng.pareto(1.5, len(candidates)) + 1.0
        candidate_sector = material_sector_arr[candidates]
        lines = rng.integers(1, 6, len(customers))
        cust = np.repeat(customers, lines)
        wanted_sector = sector[cust].copy()
        across = rng.random(len(cust)) < cross_sector
        wanted_sector[across] = (
            wanted_sector[across] + rng.choice([-1, 1], int(across.sum()))
        ) % n_sectors
        pick = np.empty(len(cust), np.int64)
        pools = pd.Series(np.arange(len(candidates))).groupby(candidate_sector).apply(np.asarray)
        for s, positions in pd.Series(np.arange(len(cust))).groupby(wanted_sector):
            pool = pools.get(s)
            if pool is None or len(pool) == 0:  # an empty sector: fall back to any material
                pool = np.arange(len(candidates))
            weights = popularity[pool] / popularity[pool].sum()
            pick[positions.to_numpy()] = pool[rng.choice(len(pool), size=len(positions), p=weights)]
        # Every material gets a customer (in its own sector where there is one).
        unused = np.setdiff1d(np.arange(len(candidates)), pick)
        by_sector = pd.Series(customers).groupby(sector[customers]).apply(np.asarray)
        extra_cust = np.empty(len(unused), np.int64)
        for j, material_index in enumerate(unused):
            found = by_sector.get(candidate_sector[material_index])
            pool = customers if found is None else cast(np.ndarray, found)
            extra_cust[j] = pool[rng.integers(0, len(pool))]
        cust = np.concatenate([cust, extra_cust])
        pick = np.concatenate([pick, unused])
        pairs = np.unique(cust * (next_material + 1) + candidates[pick])
        bom_node.append(pairs // (next_material + 1))
        bom_material.append(pairs % (next_material + 1))
    return np.concatenate(bom_node), np.concatenate(bom_material)
