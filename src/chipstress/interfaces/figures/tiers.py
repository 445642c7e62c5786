"""The tiered network diagram: suppliers on the left, end products (tier 1) on the right.

Columns are tiers (the node table's ``tier``; where it is missing, one more than the
lowest tier a node supplies). Inside a column, nodes are ordered to keep edges short
(a few sweeps of the barycentre heuristic). Edges run supplier → customer. Networks
larger than ``max_nodes`` keep their most exposed nodes and fold the rest into one
box per tier and cluster, so the picture stays readable at 1,700 nodes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from chipstress.interfaces.figures import _style as st
from chipstress.model.network import Network

__all__ = ["node_tiers", "tiered_network"]


def node_tiers(network: Network) -> pd.Series:
    """Tier of every node (1 = end product), indexed by id.

    Uses the ``tier`` column where set; elsewhere 1 for nodes with demand, else one
    more than the lowest tier among the node's customers (nodes that reach no product
    get the deepest tier + 1).
    """
    nodes = network.nodes
    ids = nodes["id"].astype(str)
    given = pd.to_numeric(nodes["tier"], errors="coerce") if "tier" in nodes else None
    tier = pd.Series(np.nan, index=ids.to_numpy(), dtype=float)
    if given is not None:
        tier[:] = given.to_numpy(dtype=float)
    demand = network.index.has_demand
    tier[np.isnan(tier.to_numpy()) & demand] = 1.0
    customers = network.sources.groupby("supplier")["customer"].agg(list).to_dict()
    for _ in range(len(ids)):
        missing = tier.index[tier.isna()]
        changed = False
        for node in missing:
            known = [tier[c] for c in customers.get(node, []) if not math.isnan(tier[c])]
            if known:
                tier[node] = min(known) + 1
                changed = True
        if not changed:
            break
    deepest = tier.max() if tier.notna().any() else 0.0
    return tier.fillna(deepest + 1).astype(int)


def _display_nodes(
    network: Network, tiers: pd.Series, vals: np.ndarray, max_nodes: int
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The nodes to draw and, for every network node, the id of what it is drawn as."""
    nodes = network.nodes.reset_index(drop=True).copy()
    nodes["id"] = nodes["id"].astype(str)
    nodes["tier"] = tiers.reindex(nodes["id"]).to_numpy()
    nodes["value"] = vals
    nodes["count"] = 1
    nodes["group"] = False
    if len(nodes) <= max_nodes:
        return nodes, dict(zip(nodes["id"], nodes["id"], strict=True))
    degree = (
        network.sources["supplier"]
        .value_counts()
        .add(network.sources["customer"].value_counts(), fill_value=0)
    )
    rank = pd.DataFrame(
        {
            "value": np.nan_to_num(vals, nan=0.0),
            "degree": degree.reindex(nodes["id"]).fillna(0).to_numpy(),
        }
    )
    order = rank.sort_values(["value", "degree"], ascending=False, kind="stable").index
    budget = max(1, int(max_nodes * 0.8))
    keep = np.zeros(len(nodes), dtype=bool)
    keep[order[:budget]] = True
    kept = nodes[keep]
    rest = nodes[~keep].copy()
    rest["cluster"] = rest["cluster"].fillna("").astype(str)
    alias = dict(zip(kept["id"], kept["id"], strict=True))
    groups = []
    for (tier, cluster), members in rest.groupby(["tier", "cluster"], sort=True):
        gid = f"group:{tier}:{cluster}"
        alias.update(dict.fromkeys(members["id"], gid))
        where = f" in {cluster}" if cluster else ""
        groups.append(
            {
                "id": gid,
                "name": f"{len(members)} other tier-{tier} nodes{where}",
                "kind": "group",
                "cluster": cluster,
                "tier": tier,
                "value": float(np.nanmax(members["value"]))
                if members["value"].notna().any()
                else np.nan,
                "count": len(members),
                "group": True,
            }
        )
    shown = pd.concat([kept, pd.DataFrame(groups)], ignore_index=True)
    return shown, alias


def _order(shown: pd.DataFrame, edges: pd.DataFrame, sweeps: int = 4) -> pd.Series:
    """Vertical position (0..1) of each shown node inside its tier column."""
    shown = shown.assign(_cluster=shown["cluster"].fillna("").astype(str))
    position: dict[str, float] = {}
    columns: list[list[str]] = []  # node ids per tier, in tier order
    for _, members in shown.groupby("tier", sort=True):
        ids = members.sort_values(["_cluster", "kind", "id"])["id"].tolist()
        columns.append(ids)
        for k, node in enumerate(ids):
            position[node] = (k + 0.5) / len(ids)
    neighbours: dict[str, list[str]] = {}
    for supplier, customer in zip(edges["supplier"], edges["customer"], strict=True):
        neighbours.setdefault(supplier, []).append(customer)
        neighbours.setdefault(customer, []).append(supplier)
    for sweep in range(sweeps):
        for ids in columns if sweep % 2 == 0 else columns[::-1]:
            key = {
                node: float(np.mean([position[m] for m in neighbours[node]]))
                if neighbours.get(node)
                else position[node]
                for node in ids
            }
            ids.sort(key=lambda n: (key[n], position[n]))
            for k, node in enumerate(ids):
                position[node] = (k + 0.5) / len(ids)
    return pd.Series(position)


def _edge_paths(edges: pd.DataFrame, x: pd.Series, y: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Edge polylines separated by NaN: straight between tiers, a curve inside one tier.

    Curves bulge to the right, except in the tier-1 column (the rightmost, where the
    labels are), where they bulge left.
    """
    x0 = x.reindex(edges["supplier"]).to_numpy(dtype=float)
    y0 = y.reindex(edges["supplier"]).to_numpy(dtype=float)
    x1 = x.reindex(edges["customer"]).to_numpy(dtype=float)
    y1 = y.reindex(edges["customer"]).to_numpy(dtype=float)
    right = max(float(x.max()), -1.0) if len(x) else -1.0
    gap = np.full(len(edges), np.nan)
    straight = x0 != x1
    parts_x = [np.column_stack([x0, x1, gap])[straight].ravel()]
    parts_y = [np.column_stack([y0, y1, gap])[straight].ravel()]
    if (~straight).any():
        t = np.linspace(0.0, 1.0, 9)
        a, b, c, d = x0[~straight], y0[~straight], x1[~straight], y1[~straight]
        bulge = 0.18 + 0.25 * np.abs(d - b)
        cx = np.where(a >= right, a - bulge, a + bulge)
        px = (1 - t) ** 2 * a[:, None] + 2 * (1 - t) * t * cx[:, None] + t**2 * c[:, None]
        py = (1 - t) * b[:, None] + t * d[:, None]
        parts_x.append(np.column_stack([px, gap[: len(a)]]).ravel())
        parts_y.append(np.column_stack([py, gap[: len(a)]]).ravel())
    return np.round(np.concatenate(parts_x), 4), np.round(np.concatenate(parts_y), 4)


def tiered_network(
    network: Network,
    values: Mapping[str, float] | pd.Series | None = None,
    *,
    value_label: str = "value",
    max_nodes: int = 250,
    labels: int = 12,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """A layered drawing of the supply network, coloured by ``values``.

    Parameters
    ----------
    network
        The network; tiers from :func:`node_tiers`, edges from ``network.sources``.
    values
        Node id -> number (risk exposure index, contribution, ...): colour and size of
        the nodes; edges leaving a node with a positive value are drawn in red.
    max_nodes
        Above this many nodes, keep the ``0.8 × max_nodes`` with the largest values
        (else the most connected) and fold the rest into one box per tier and cluster.
    labels
        Besides every tier-1 node and the deepest tier, label this many of the
        highest-valued other nodes.
    value_label
        What ``values`` are, for the colour bar and hover.
    title
        The figure's title (``None``: a default one).
    height
        The figure's height in pixels (``None``: from the number of tiers).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``supply edges``, ``edges from affected nodes``, ``nodes`` (coloured
        through ``layout.coloraxis``; ``customdata[i][0]`` = node id, or
        ``group:<tier>:<cluster>`` for a folded box) and ``labels``. x is ``-tier``.
    """
    tiers = node_tiers(network)
    vals = st.as_values(values, network.nodes["id"].astype(str))
    shown, alias = _display_nodes(network, tiers, vals, max_nodes)
    raw_edges = pd.DataFrame(
        {
            "supplier": network.sources["supplier"].astype(str).map(alias),
            "customer": network.sources["customer"].astype(str).map(alias),
        }
    )
    edges = raw_edges[raw_edges["supplier"] != raw_edges["customer"]]
    counts = edges.value_counts().rename("count").reset_index()
    y = _order(shown, counts)
    shown = shown.assign(x=-shown["tier"].astype(float), y=1.0 - shown["id"].map(y))
    x_of = shown.set_index("id")["x"]
    y_of = shown.set_index("id")["y"]
    value_of = shown.set_index("id")["value"]

    fig = go.Figure()
    hot = value_of.reindex(counts["supplier"]).fillna(0).to_numpy() > 0
    for name, subset, color, width in (
        ("supply edges", counts[~hot], "rgba(120, 130, 145, 0.28)", 0.7),
        ("edges from affected nodes", counts[hot], "rgba(192, 57, 43, 0.45)", 1.0),
    ):
        ex, ey = _edge_paths(subset, x_of, y_of)
        fig.add_trace(
            go.Scatter(
                x=ex,
                y=ey,
                mode="lines",
                name=name,
                hoverinfo="skip",
                line={"color": color, "width": width},
            )
        )

    scale = st.value_scale(shown["value"].to_numpy(dtype=float))
    v = shown["value"].to_numpy(dtype=float)
    positive = np.isfinite(v) & (v > 0)
    n_suppliers = counts.groupby("customer")["count"].sum()
    n_customers = counts.groupby("supplier")["count"].sum()
    hover = []
    for row, value in zip(shown.to_dict("records"), v, strict=True):
        text = st.node_label(row) if not row["group"] else f"<b>{html.escape(str(row['name']))}</b>"
        shown_value = (
            "n/a"
            if math.isnan(value)
            else (st.compact(value) if abs(value) >= 1000 else f"{value:.4g}")
        )
        text += (
            f"<br>tier {row['tier']} · {int(n_suppliers.get(row['id'], 0))} supplier edge(s), "
            f"{int(n_customers.get(row['id'], 0))} customer edge(s)<br>{value_label}: <b>{shown_value}</b>"
        )
        hover.append(text)
    sizes = np.where(positive, scale.size(v, 8.0, 22.0), 7.0)
    sizes = np.where(
        shown["group"].to_numpy(dtype=bool),
        10.0 + 3.0 * np.sqrt(shown["count"].to_numpy(dtype=float)),
        sizes,
    )
    symbols = [
        "square" if g else st.KIND_SYMBOLS.get(str(k), "circle")
        for g, k in zip(shown["group"], shown["kind"], strict=True)
    ]
    colors = scale.color(v)
    fig.add_trace(
        go.Scatter(
            x=shown["x"].tolist(),
            y=np.round(shown["y"], 5).tolist(),
            mode="markers",
            name="nodes",
            customdata=[[i] for i in shown["id"]],
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            marker={
                "color": [
                    float(c) if ok else st.ZERO_COLOR
                    for c, ok in zip(colors, positive, strict=True)
                ],
                "coloraxis": "coloraxis" if positive.any() else None,
                "size": np.round(sizes, 1).tolist(),
                "symbol": symbols,
                "line": {"color": "#ffffff", "width": 0.8},
            },
        )
    )
    _labels(fig, shown, labels)
    deepest = int(shown["tier"].max())
    for tier in sorted(shown["tier"].unique()):
        count = int(shown.loc[shown["tier"] == tier, "count"].sum())
        caption = (
            f"<b>tier {tier}</b>" + (" (end products)" if tier == 1 else "") + f"<br>{count} nodes"
        )
        fig.add_annotation(
            x=-float(tier),
            y=1.0,
            xref="x",
            yref="paper",
            yanchor="bottom",
            text=caption,
            showarrow=False,
            font={"size": 11, "color": "#374151"},
        )
    biggest = int(shown.groupby("tier")["id"].size().max())
    heading = title or f"Supply tiers of {network.meta.name}" + (
        f" by {value_label}" if values is not None else ""
    )
    if len(shown) < network.n_nodes:
        heading += f" <span style='font-size:12px;color:#6b7280'>({network.n_nodes} nodes: the {int((~shown['group']).sum())} with the largest values shown, the rest folded per tier and cluster)</span>"
    fig.update_layout(
        title={"text": heading},
        height=height or int(max(420, min(1500, 13 * biggest + 160))),
        xaxis={"visible": False, "range": [-deepest - 0.75, -0.35]},
        yaxis={"visible": False, "range": [-0.02, 1.02]},
        font={"family": st.FONT, "size": 12, "color": "#1f2937"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        margin={"l": 20, "r": 20, "t": 80, "b": 20},
        legend={"orientation": "h", "y": -0.01, "x": 0.0, "yanchor": "top"},
        hoverlabel={"align": "left"},
        coloraxis={
            "colorscale": st.COLORSCALE,
            "cmin": scale.cmin,
            "cmax": scale.cmax,
            "colorbar": {
                "title": {"text": value_label, "side": "right"},
                "tickvals": scale.tickvals,
                "ticktext": scale.ticktext,
                "thickness": 12,
                "len": 0.6,
            },
        },
    )
    return fig


def _labels(fig: go.Figure, shown: pd.DataFrame, count: int) -> None:
    """Names beside tier-1 nodes (right), the deepest tier (left) and the top others."""
    deepest = shown["tier"].max()
    middle = shown[(shown["tier"] != 1) & (shown["tier"] != deepest)]
    top = middle[middle["value"].fillna(0) > 0].nlargest(count, "value")["id"]
    chosen = shown[
        (shown["tier"] == 1) | (shown["tier"] == deepest) | shown["id"].isin(top) | shown["group"]
    ]
    position = np.where(chosen["tier"] == deepest, "middle left", "middle right")
    names = [_short(str(n)) for n in chosen["name"].fillna(chosen["id"])]
    fig.add_trace(
        go.Scatter(
            x=chosen["x"].tolist(),
            y=np.round(chosen["y"], 5).tolist(),
            mode="text",
            text=names,
            textposition=position.tolist(),
            textfont={"size": 9, "color": "#374151"},
            name="labels",
            hoverinfo="skip",
            showlegend=False,
        )
    )


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"
