"""Table data for reports and dashboards: ranked risks and per-cluster summaries.

These return plain :class:`pandas.DataFrame` objects (no styling): the HTML report
renders them as tables, a dashboard can send ``frame.to_dict("records")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chipstress.model.network import Network

__all__ = ["RANKED_COLUMNS", "cluster_summary", "ranked_risks"]

RANKED_COLUMNS = [
    "rank",
    "node",
    "name",
    "kind",
    "cluster",
    "ttr",
    "lost_profit",
    "tts",
    "risk_exposure_index",
    "exposed",
    "ttr_minus_tts",
    "status",
]


def ranked_risks(sweep_table: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Nodes worst first: by risk exposure index, then shortest TTS, then id.

    Returns the columns of :data:`RANKED_COLUMNS`: ``rank`` (1 = worst), ``ttr`` (the
    disruption's duration, periods), ``lost_profit`` (currency), ``tts`` (periods,
    ``inf`` = forever), ``risk_exposure_index`` (0..1), ``exposed`` (TTR > TTS),
    ``ttr_minus_tts`` (periods). ``top`` keeps the first rows only.
    """
    table = sweep_table.copy()
    for column in ("name", "kind", "cluster", "status"):
        if column not in table:
            table[column] = table["node"] if column == "name" else ""
    for column in ("lost_profit", "tts", "risk_exposure_index", "duration"):
        if column not in table:
            table[column] = np.nan
    if "exposed" not in table:
        table["exposed"] = table["duration"] > table["tts"]
    if "ttr_minus_tts" not in table:
        table["ttr_minus_tts"] = table["duration"] - table["tts"]
    table = table.sort_values(
        ["risk_exposure_index", "lost_profit", "tts", "node"],
        ascending=[False, False, True, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    table = table.rename(columns={"duration": "ttr"})
    table.insert(0, "rank", np.arange(1, len(table) + 1, dtype=np.int64))
    table["exposed"] = table["exposed"].fillna(False).astype(bool)
    table = table[RANKED_COLUMNS]
    return table.head(top).reset_index(drop=True) if top is not None else table


def cluster_summary(network: Network, sweep_table: pd.DataFrame) -> pd.DataFrame:
    """Per cluster: its sites, how many are exposures, their lost profit and the worst one.

    Columns: ``cluster`` (``(none)`` for nodes without one), ``sites`` (nodes of the
    network), ``swept`` (of them in the sweep), ``exposed`` (TTR > TTS),
    ``lost_profit`` (sum over the cluster's nodes, each failing alone; currency),
    ``share`` (of the sum over all clusters), ``shortest_tts`` (periods),
    ``worst_node``, ``worst_name``, ``worst_lost_profit`` (the node losing most; on a
    tie, the one with the shortest TTS). Sorted by lost profit, most first.
    """
    nodes = network.nodes[["id", "name", "cluster"]].copy()
    nodes["cluster"] = nodes["cluster"].fillna("").astype(str).replace("", "(none)")
    table = sweep_table.copy()
    if "exposed" not in table:
        table["exposed"] = table["duration"] > table["tts"]
    merged = nodes.merge(
        table[["node", "lost_profit", "tts", "exposed"]], left_on="id", right_on="node", how="left"
    )
    rows = []
    total = float(merged["lost_profit"].sum(skipna=True))
    for cluster, group in merged.groupby("cluster", sort=False):
        swept = group[group["node"].notna()]
        lost = float(swept["lost_profit"].astype(float).sum(skipna=True))
        ordered = swept.sort_values(
            ["lost_profit", "tts", "id"], ascending=[False, True, True], na_position="last"
        )
        worst = ordered.iloc[0] if len(ordered) else None
        rows.append(
            {
                "cluster": cluster,
                "sites": len(group),
                "swept": len(swept),
                "exposed": int(swept["exposed"].fillna(False).astype(bool).sum()),
                "lost_profit": lost,
                "share": lost / total if total > 0 else 0.0,
                "shortest_tts": float(swept["tts"].min()) if len(swept) else np.nan,
                "worst_node": None if worst is None else str(worst["id"]),
                "worst_name": None if worst is None else str(worst["name"]),
                "worst_lost_profit": np.nan if worst is None else float(worst["lost_profit"]),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "cluster",
            "sites",
            "swept",
            "exposed",
            "lost_profit",
            "share",
            "shortest_tts",
            "worst_node",
            "worst_name",
            "worst_lost_profit",
        ],
    )
    return out.sort_values(
        ["lost_profit", "exposed", "sites", "cluster"],
        ascending=[False, False, False, True],
        kind="stable",
    ).reset_index(drop=True)
