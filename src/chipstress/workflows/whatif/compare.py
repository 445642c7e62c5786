"""The what-if comparison: sweeps (and hazard simulations) before and after some edits.

Both sweeps take every *site* (every node but the qualified lines, end products
included) down alone, fully, for its own time to recover — after the edits, the edited
TTR — or for the durations given. A qualified line goes down with its supplier's site
(the line *is* at that site), and a reactively qualified line also loses the first
``lead_time`` periods of every window (see :func:`chipstress.workflows.sweep`). With
``simulate_years``, both networks face the **same** simulated hazard events (common
random numbers, :func:`chipstress.workflows.whatif.hazards.simulate_pair`), so the
change in expected annual loss and CVaR is the edits' effect, not sampling noise.

Deltas are *after − before*: a negative lost-profit delta is a saving.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.workflows.runner import Runner
from chipstress.workflows.sweep import Durations, sweep
from chipstress.workflows.whatif.apply import apply_edits, site_links, sites_of
from chipstress.workflows.whatif.edits import Edit, describe_edit, edit_to_dict, parse_edits
from chipstress.workflows.whatif.hazards import PairedSimulation, simulate_pair

__all__ = ["METRIC_LABELS", "NODE_COLUMNS", "WhatIfResult", "site_sweep", "whatif", "whatif_totals"]

METRIC_LABELS = {
    "total_lost_profit": "lost profit, all sites each failing alone at its TTR",
    "worst_lost_profit": "worst single-site lost profit",
    "sites_losing": "sites that lose profit",
    "exposed_sites": "exposed sites (TTR > TTS)",
    "shortest_tts": "shortest time to survive",
    "expected_annual_loss": "expected annual loss (hazards)",
    "var_95": "VaR 95% of the annual loss",
    "cvar_95": "CVaR 95% of the annual loss",
    "var_99": "VaR 99% of the annual loss",
    "cvar_99": "CVaR 99% of the annual loss",
}

NODE_COLUMNS = [
    "node",
    "name",
    "kind",
    "cluster",
    "change",
    "ttr_before",
    "ttr_after",
    "lost_profit_before",
    "lost_profit_after",
    "lost_profit_delta",
    "tts_before",
    "tts_after",
    "tts_delta",
    "exposed_before",
    "exposed_after",
    "status_before",
    "status_after",
]


def site_sweep(
    network: Network,
    durations: Durations = None,
    *,
    sites: Sequence[str] | None = None,
    runner: Runner | None = None,
) -> pd.DataFrame:
    """The sweep of every site (lines go down with their supplier, reactive lines start late).

    Parameters
    ----------
    network
        The network.
    durations
        Periods each site stays down, as :func:`chipstress.workflows.sweep` takes them.
    sites
        The sites to sweep (default every site).
    runner
        Where the sweep's chunks run (default: in this process).

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`chipstress.workflows.sweep`; one row per site, worst first.
    """
    links = site_links(network)
    chosen = list(sites) if sites is not None else sites_of(network)
    return sweep(
        network,
        chosen,
        durations,
        linked=links.linked or None,
        delayed=links.delayed or None,
        runner=runner,
    ).table


def _tts_delta(before: float, after: float) -> float:
    if math.isinf(before) and math.isinf(after):
        return 0.0
    return after - before


def _node_table(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("node")
    a = after.set_index("node")
    rows = []
    for node in b.index:
        rb = b.loc[node]
        ra = a.loc[node] if node in a.index else None
        row = {
            "node": node,
            "name": rb["name"],
            "kind": rb["kind"],
            "cluster": rb["cluster"],
            "change": "removed" if ra is None else "",
            "ttr_before": float(rb["duration"]),
            "ttr_after": np.nan if ra is None else float(ra["duration"]),
            "lost_profit_before": float(rb["lost_profit"]),
            "lost_profit_after": np.nan if ra is None else float(ra["lost_profit"]),
            "tts_before": float(rb["tts"]),
            "tts_after": np.nan if ra is None else float(ra["tts"]),
            "exposed_before": bool(rb["exposed"]),
            "exposed_after": False if ra is None else bool(ra["exposed"]),
            "status_before": str(rb["status"]),
            "status_after": "removed" if ra is None else str(ra["status"]),
        }
        row["lost_profit_delta"] = row["lost_profit_after"] - row["lost_profit_before"]
        row["tts_delta"] = _tts_delta(row["tts_before"], row["tts_after"])
        rows.append(row)
    table = pd.DataFrame(rows, columns=NODE_COLUMNS)
    size = table["lost_profit_delta"].abs().fillna(np.inf)
    order = np.lexsort((table["node"].to_numpy(), -size.to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _cluster_table(nodes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for cluster, group in nodes.groupby(nodes["cluster"].fillna(""), sort=True):
        before = group["lost_profit_before"]
        after = group["lost_profit_after"]
        rows.append(
            {
                "cluster": cluster,
                "sites": len(group),
                "exposed_before": int(group["exposed_before"].sum()),
                "exposed_after": int(group["exposed_after"].sum()),
                "exposed_delta": int(group["exposed_after"].sum() - group["exposed_before"].sum()),
                "lost_profit_before": float(before.sum(skipna=True)),
                "lost_profit_after": float(after.sum(skipna=True)),
                "lost_profit_delta": float(after.sum(skipna=True) - before.sum(skipna=True)),
                "worst_before": float(before.max(skipna=True)) if before.notna().any() else 0.0,
                "worst_after": float(after.max(skipna=True)) if after.notna().any() else 0.0,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["lost_profit_delta", "cluster"]).reset_index(drop=True)


def whatif_totals(
    before: pd.DataFrame, after: pd.DataFrame, simulation: PairedSimulation | None = None
) -> pd.DataFrame:
    """Headline figures before and after: ``metric, label, unit, before, after, delta``.

    Parameters
    ----------
    before, after
        Sweep tables of the network before and after the edits.
    simulation
        The paired simulation, which adds expected annual loss rows (currency per year).

    Returns
    -------
    pandas.DataFrame
        One row per figure; ``unit`` names its unit (currency, sites, periods, ...).
    """

    def figures(table: pd.DataFrame) -> dict[str, float]:
        lost = table["lost_profit"]
        return {
            "total_lost_profit": float(lost.sum(skipna=True)),
            "worst_lost_profit": float(lost.max(skipna=True)) if lost.notna().any() else 0.0,
            "sites_losing": float((lost > 0).sum()),
            "exposed_sites": float(table["exposed"].sum()),
            "shortest_tts": float(table["tts"].min(skipna=True)) if len(table) else np.nan,
        }

    units = {
        "total_lost_profit": "currency",
        "worst_lost_profit": "currency",
        "sites_losing": "sites",
        "exposed_sites": "sites",
        "shortest_tts": "periods",
    }
    b, a = figures(before), figures(after)
    rows = [
        {
            "metric": k,
            "label": METRIC_LABELS[k],
            "unit": units[k],
            "before": b[k],
            "after": a[k],
            "delta": _tts_delta(b[k], a[k]),
        }
        for k in b
    ]
    if simulation is not None:
        for key, unit in (
            ("expected_annual_loss", "currency/year"),
            ("var_95", "currency/year"),
            ("cvar_95", "currency/year"),
            ("var_99", "currency/year"),
            ("cvar_99", "currency/year"),
        ):
            x, y = simulation.before[key], simulation.after[key]
            rows.append(
                {
                    "metric": key,
                    "label": METRIC_LABELS[key],
                    "unit": unit,
                    "before": x,
                    "after": y,
                    "delta": y - x,
                }
            )
    return pd.DataFrame(rows, columns=["metric", "label", "unit", "before", "after", "delta"])


@dataclass(frozen=True)
class WhatIfResult:
    """Sweeps (and simulations) of a network before and after some edits.

    Attributes
    ----------
    network, edited
        The network before and after the edits.
    edits
        The edits applied, in order.
    before, after
        The two site sweeps (:func:`site_sweep`).
    nodes
        One row per site (:data:`NODE_COLUMNS`), largest change in lost profit first;
        money in the network's currency, times in periods, deltas after − before.
    clusters
        Per cluster: sites, exposures, summed and worst lost profit, before and after.
    totals
        ``metric, unit, before, after, delta`` (:func:`whatif_totals`).
    simulation
        The paired hazard simulation, when asked for.
    parameters
        The edits (their YAML mappings), ``simulate_years`` and ``seed``.
    """

    network: Network = field(repr=False)
    edited: Network = field(repr=False)
    edits: list[Edit]
    before: pd.DataFrame = field(repr=False)
    after: pd.DataFrame = field(repr=False)
    nodes: pd.DataFrame = field(repr=False)
    clusters: pd.DataFrame = field(repr=False)
    totals: pd.DataFrame = field(repr=False)
    simulation: PairedSimulation | None = field(default=None, repr=False)
    wall_seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.WHATIF`."""
        return RunKind.WHATIF

    def total(self, metric: str) -> tuple[float, float, float]:
        """``(before, after, delta)`` of one headline metric."""
        table = self.totals.set_index("metric")
        before, after, delta = table.loc[[metric], ["before", "after", "delta"]].to_numpy(float)[0]
        return float(before), float(after), float(delta)

    def edits_table(self) -> pd.DataFrame:
        """The edits as a table: ``index, type, description, edit`` (its YAML mapping)."""
        return pd.DataFrame(
            {
                "index": list(range(len(self.edits))),
                "type": [e.type for e in self.edits],
                "description": [describe_edit(e) for e in self.edits],
                "edit": [str(edit_to_dict(e)) for e in self.edits],
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables a stored ``whatif`` run keeps."""
        tables = {
            "whatif_nodes": self.nodes,
            "whatif_clusters": self.clusters,
            "whatif_totals": self.totals,
            "whatif_edits": self.edits_table(),
        }
        if self.simulation is not None:
            tables["whatif_years"] = self.simulation.years
        return tables

    def summary(self) -> dict[str, Any]:
        """Headline figures of a stored ``whatif`` run (currency, periods)."""
        summary: dict[str, Any] = {"edits": len(self.edits), "sites": len(self.nodes)}
        for row in self.totals.itertuples(index=False):
            summary[f"{row.metric}_before"] = row.before
            summary[f"{row.metric}_after"] = row.after
        summary["currency"] = self.network.meta.currency
        if self.simulation is not None:
            summary["years"] = self.simulation.n_years
            summary["seed"] = self.simulation.seed
        return summary


def whatif(
    network: Network,
    edits: Sequence[Edit] | Mapping[str, Any] | Any,
    *,
    durations: Durations = None,
    simulate_years: int | None = None,
    seed: int = 0,
    source: str = "edits",
    runner: Runner | None = None,
) -> WhatIfResult:
    """Sweep (and optionally simulate) ``network`` before and after ``edits``.

    Parameters
    ----------
    network
        The network as it is.
    edits
        Edit objects or their YAML form (:mod:`chipstress.workflows.whatif.edits`).
    durations
        ``None``: each site down for its own TTR (the edited one after ``cut_ttr``); a
        number or a mapping node -> periods: the same for both sweeps (TTR cuts then act
        only on the hazard simulation).
    simulate_years, seed
        Also simulate this many years of hazard events on both networks, with the same
        random numbers (``seed``).
    source
        Where the edits came from (a file name), for error messages.
    runner
        Where the chunks of the sweeps and the simulation run (default: in this
        process); its progress callback and recorder are not used.

    Raises
    ------
    InvalidInput
        A bad edit (file, edit index, field), or bad durations / years / seed.
    """
    started = time.perf_counter()
    runner = replace(runner, progress=None, recorder=None) if runner is not None else None
    edited = apply_edits(network, edits, source=source)  # every problem of the file at once
    parsed = parse_edits(edits, source)
    sites = sites_of(network)
    before = site_sweep(network, durations, sites=sites, runner=runner)
    removed = set(sites) - set(edited.nodes["id"])
    kept_durations: Durations = durations
    if isinstance(durations, Mapping | pd.Series):  # removed sites have no duration after
        kept_durations = {k: v for k, v in dict(durations).items() if k not in removed}
    after = site_sweep(
        edited, kept_durations, sites=[s for s in sites if s not in removed], runner=runner
    )
    simulation = None
    if simulate_years is not None:
        simulation = simulate_pair(network, edited, simulate_years, seed, runner=runner)
    nodes = _node_table(before, after)
    return WhatIfResult(
        network=network,
        edited=edited,
        edits=parsed,
        before=before,
        after=after,
        nodes=nodes,
        clusters=_cluster_table(nodes),
        totals=whatif_totals(before, after, simulation),
        simulation=simulation,
        wall_seconds=time.perf_counter() - started,
        parameters={
            "edits": [edit_to_dict(e) for e in parsed],
            "duration": durations if isinstance(durations, int | float) else None,
            "simulate_years": simulate_years,
            "seed": seed,
        },
    )
