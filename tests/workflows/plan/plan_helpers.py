"""Random candidate actions for small networks, and brute force over every subset."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from chipstress import Network
from chipstress.workflows.plan import ActionSet, evaluate_sites, parse_actions

__all__ = ["brute_force", "random_actions", "with_ttrs"]


def with_ttrs(network: Network, seed: int) -> Network:
    """Every node gets a TTR of 1-4 periods."""
    rng = np.random.default_rng(seed)
    return network.with_ttr(
        {n: float(rng.choice([1.0, 2.0, 3.0, 4.0])) for n in network.nodes["id"]}
    )


def random_actions(network: Network, seed: int, count: int = 6) -> ActionSet:
    """``count`` random candidates: stock, capacity, TTR cuts and qualified sources (with
    premiums, lead times, advance or reactive), costs 1-9."""
    rng = np.random.default_rng(seed)
    nodes = network.nodes.set_index("id")
    ids = nodes.index.tolist()
    edges = set(zip(network.sources["supplier"], network.sources["customer"], strict=True))
    out: list[dict[str, Any]] = []
    while len(out) < count:
        kind = rng.choice(["inventory", "capacity", "qualify", "cut"])
        node = str(rng.choice(ids))
        capacity = float(nodes.at[node, "capacity"])
        if kind == "inventory":
            edit = {
                "type": "add_inventory",
                "node": node,
                "add": round(float(rng.uniform(1, 3)) * capacity, 2),
            }
        elif kind == "capacity":
            edit = {
                "type": "raise_capacity",
                "node": node,
                "add": round(float(rng.uniform(0.2, 1)) * capacity, 2),
            }
        elif kind == "cut":
            ttr = float(nodes.at[node, "ttr"])
            if ttr <= 0.5:
                continue
            edit = {"type": "cut_ttr", "node": node, "to": float(rng.choice([0.5, ttr / 2]))}
        else:
            line = network.bom.iloc[int(rng.integers(len(network.bom)))]
            candidates = [
                s
                for s in ids
                if nodes.at[s, "material"] == line["material"]
                and (s, line["node"]) not in edges
                and s != line["node"]
            ]
            if not candidates:
                continue
            edit = {
                "type": "qualify_source",
                "supplier": str(rng.choice(candidates)),
                "customer": str(line["node"]),
                "capacity": round(float(rng.uniform(0.3, 1.5)) * capacity + 1, 2),
                "premium": float(rng.choice([0.0, 0.5, 3.0])),
                "lead_time": float(rng.choice([0.0, 1.0])),
                "timing": str(rng.choice(["advance", "reactive"])),
            }
        out.append({"id": f"a{len(out)}", "edit": edit, "cost": float(rng.integers(1, 10))})
    return parse_actions({"actions": out}, network)


def brute_force(
    network: Network, actions: ActionSet, key: str, budget: float
) -> tuple[float, float]:
    """The best measure over every affordable subset, and the least cost reaching it."""
    best, cheapest = np.inf, np.inf
    n = len(actions)
    for r in range(n + 1):
        for combo in itertools.combinations(range(n), r):
            cost = sum(actions.actions[k].cost for k in combo)
            if cost > budget + 1e-9:
                continue
            value = evaluate_sites(network, [actions.actions[k] for k in combo])[key]
            if not np.isfinite(best) or value < best - 1e-9 * max(1.0, abs(best)):
                best, cheapest = value, cost
            elif abs(value - best) <= 1e-9 * max(1.0, abs(best)):
                cheapest = min(cheapest, cost)
    return float(best), float(cheapest)
