"""The golden cases: every call the golden check makes into chipstress, in one place.

Each case is a function of no arguments returning ``{table name: DataFrame}``; the
frames hold only result columns that are numbers, ids or statuses (no prose, no
timings, no run ids), in a canonical row order (sorted by their ids where rows have
ids), so a refactor that keeps the numbers keeps the tables. ``generate.py`` writes
them to ``data/`` and ``test_golden.py`` recomputes and compares them.

This module is the *only* place that knows the library's Python API: when a public
signature or a result type moves, update the calls here (never the stored data).

Cases in :data:`DETAIL_CASES` hold LP solutions (production and shipment plans),
which are not unique when the program has several optima: a refactor that reorders
the program's rows or columns may make the solver return another vertex with the same
objective. They are compared in their own test so such a change is told apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from chipstress import Network, load_builtin, read_network

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SCENARIOS = HERE / "scenarios"
REFERENCE = HERE.parent / "fixtures" / "reference-json"

Tables = dict[str, pd.DataFrame]

SIMULATION_YEARS = 2000
SIMULATION_SEED = 7
EVENT_YEARS = 200  # simulated events stored one by one for the first years only (size)
PLAN_BUDGETS = {"worst": [5e6, 20e6], "exposed": [5e6]}  # currency
DISRUPTIONS = {  # name -> (node -> fraction of capacity lost, duration in periods)
    "fab18_down": ({"tsmc_fab18": 1.0}, 6.0),
    "euv_and_port": ({"asml_veldhoven": 1.0, "port_kaohsiung": 0.5}, 4.0),
}
CONTINGENCY = ({"tsmc_fab18": 1.0}, [(4.0, 0.5), (8.0, 0.3), (12.0, 0.2)])


# --------------------------------------------------------------------------- helpers


@cache
def tri_cluster() -> Network:
    """The built-in ``tri-cluster`` network."""
    return load_builtin("tri-cluster")


@cache
def reference(name: str) -> Network:
    """A reference-format fixture (``small`` or ``large``)."""
    return read_network(str(REFERENCE / f"{name}.json"))


def _frame(result: Any) -> pd.DataFrame:
    """A sweep's table, whether the sweep returns a DataFrame or a result with ``.table``."""
    return result.table if hasattr(result, "table") else result


def _value(value: Any) -> Any:
    """Enum members as their values (plain strings), everything else as it is."""
    return getattr(value, "value", value)


def _clean(
    table: pd.DataFrame,
    keys: Iterable[str] = (),
    drop: Iterable[str] = (),
) -> pd.DataFrame:
    """Drop prose columns, sort the rows by ``keys`` and renumber them."""
    table = table.drop(columns=[c for c in drop if c in table.columns])
    for column in table.columns:  # enum values (statuses) as plain strings
        if table[column].dtype == object:
            table[column] = table[column].map(_value)
    keys = list(keys)
    if keys:
        table = table.sort_values(keys, kind="stable")
    return table.reset_index(drop=True)


def _sweep(network: Network, **options: Any) -> pd.DataFrame:
    from chipstress.workflows import sweep

    return _clean(_frame(sweep(network, **options)), keys=["node"], drop=["name"])


def _durations(name: str) -> pd.Series:
    from chipstress.workflows import read_durations

    return read_durations(str(REFERENCE / f"{name}-durations.csv"))


# --------------------------------------------------------------------------- sweeps


def sweep_tri_cluster() -> Tables:
    """Sweeps of tri-cluster: default (both metrics), each metric alone, all nodes."""
    tri = tri_cluster()
    return {
        "both": _sweep(tri),
        "ttr": _sweep(tri, metric="ttr"),
        "tts": _sweep(tri, metric="tts"),
        "include_products": _sweep(tri, include_products=True),
        "duration_4": _sweep(tri, durations=4.0),
    }


def sweep_small() -> Tables:
    """Sweeps of the 35-node reference fixture, with its durations file."""
    small = reference("small")
    return {
        "durations": _sweep(small, durations=_durations("small")),
        "include_products": _sweep(small, durations=3.0, include_products=True),
    }


def sweep_large() -> Tables:
    """The sweep of the 1,700-node reference fixture with its durations file."""
    return {"durations": _sweep(reference("large"), durations=_durations("large"))}


# --------------------------------------------------------------------------- hazards


def _hazard_tables(results: Mapping[str, Any]) -> Tables:
    """Replay / scenario results by scenario: one impact row each, plus nodes and sites.

    The per-period timeline is left out: where several plans lose the same total, which
    period loses is the solver's choice (degenerate optima), not an output to pin.
    """
    impact, nodes, sites, components = [], [], [], []
    for event, result in results.items():
        impact.append(
            {
                "scenario": event,
                "loss": result.loss,
                "lost_profit": result.lost_profit,
                "baseline_lost_profit": result.baseline_lost_profit,
                "window": result.window,
                "tts": result.tts,
                "baseline_tts": result.baseline_tts,
                "status": _value(result.status),
                "period_length": result.period_length,
                "horizon": result.horizon,
            }
        )
        nodes.append(result.nodes.assign(scenario=event))
        sites.append(result.sites.assign(scenario=event))
        components.append(result.components.assign(scenario=event))
    return {
        "components": _clean(pd.concat(components), keys=["scenario", "node"]),
        "impact": _clean(pd.DataFrame(impact), keys=["scenario"]),
        "nodes": _clean(pd.concat(nodes), keys=["scenario", "node"], drop=["name"]),
        "sites": _clean(
            pd.concat(sites),
            keys=["scenario", "site", "event"],
            drop=["name", "intensity", "reason"],
        ),
    }


def replay_catalogue() -> Tables:
    """Every event of the historical catalogue replayed on tri-cluster."""
    from chipstress.workflows.hazards import catalogue, replay

    tri = tri_cluster()
    return _hazard_tables({event: replay(event, tri) for event in catalogue()})


def scenario_files() -> Tables:
    """The scenario files of ``scenarios/`` run on tri-cluster."""
    from chipstress.workflows.hazards import run_scenario

    tri = tri_cluster()
    paths = sorted(SCENARIOS.glob("*.yaml"))
    return _hazard_tables({path.stem: run_scenario(path, tri) for path in paths})


def simulate_tri_cluster() -> Tables:
    """2,000 simulated years (seed 7) on tri-cluster."""
    from chipstress.workflows.hazards import simulate

    result = simulate(tri_cluster(), SIMULATION_YEARS, SIMULATION_SEED)
    summary = {"expected_annual_loss": result.expected_annual_loss}
    for level in sorted(result.var):
        summary[f"var_{level:g}"] = result.var[level]
        summary[f"cvar_{level:g}"] = result.cvar[level]
    summary["n_years"] = result.n_years
    summary["seed"] = result.seed
    events = result.events
    by_year = (
        events.groupby("year")
        .agg(
            events=("loss", "size"),
            loss=("loss", "sum"),
            max_loss=("loss", "max"),
            window=("window", "sum"),
            sites_hit=("sites_hit", "sum"),
        )
        .reset_index()
    )
    return {
        "summary": pd.DataFrame({"metric": list(summary), "value": list(summary.values())}),
        "years": _clean(result.years),
        "events": _clean(events[events["year"] < EVENT_YEARS], drop=["description"]),
        "events_by_year": _clean(by_year),
        "exceedance": _clean(result.exceedance),
        "by_node": _clean(result.by_node, keys=["node"], drop=["name"]),
        "by_hazard": _clean(result.by_hazard, keys=["hazard", "source"]),
    }


# --------------------------------------------------------------------------- what-if, plan


def _example(kind: str) -> Path:
    from chipstress.workflows.examples import example_path

    path = example_path(kind, "tri-cluster")
    assert path is not None, f"no shipped {kind} example for tri-cluster"
    return path


def whatif_tri_cluster() -> Tables:
    """The shipped what-if edits on tri-cluster: both sweeps and the comparisons."""
    from chipstress.workflows.whatif import whatif

    path = _example("edits")
    edits = yaml.safe_load(path.read_text("utf-8"))
    result = whatif(tri_cluster(), edits, source=str(path))
    return {
        "before": _clean(_frame(result.before), keys=["node"], drop=["name"]),
        "after": _clean(_frame(result.after), keys=["node"], drop=["name"]),
        "nodes": _clean(result.nodes, keys=["node"], drop=["name"]),
        "clusters": _clean(result.clusters, keys=["cluster"]),
        "totals": _clean(result.totals, keys=["metric"], drop=["label"]),
    }


def _sorted_ids(text: Any) -> str:
    """A ``;``-separated list of action ids, sorted (the set matters, not its order)."""
    return ";".join(sorted(str(text).split(";"))) if isinstance(text, str) else ""


def plan_tri_cluster() -> Tables:
    """The planner on tri-cluster with the shipped actions: worst and exposed."""
    from chipstress.workflows.plan import load_actions, plan

    tri = tri_cluster()
    actions = load_actions(_example("actions"), tri)
    tables: Tables = {}
    for measure, budgets in PLAN_BUDGETS.items():
        result = plan(tri, actions, measure, budgets)
        curve = result.curve.copy()
        curve["actions"] = curve["actions"].map(_sorted_ids)
        tables[f"{measure}_curve"] = _clean(
            curve, keys=["budget"], drop=["seconds", "method", "status_detail"]
        )
        tables[f"{measure}_choices"] = _clean(
            result.choices[["budget", "action", "cost"]], keys=["budget", "action"]
        )
        baseline = result.baseline
        tables[f"{measure}_baseline"] = pd.DataFrame(
            {"measure": list(baseline), "value": [float(v) for v in baseline.values()]}
        )
    return tables


# --------------------------------------------------------------------------- engine calls


def stress_tests() -> Tables:
    """Impact (lost profit over a window) and time-to-survive of a few disruptions."""
    from chipstress.engine import impact, time_to_survive

    tri = tri_cluster()
    rows = []
    for name, (disruption, duration) in DISRUPTIONS.items():
        hit = impact(tri, disruption, duration)
        survival = time_to_survive(tri, disruption)
        rows.append(
            {
                "disruption": name,
                "duration": hit.duration,
                "lost_profit": hit.lost_profit,
                "premium_cost": hit.premium_cost,
                "impact_status": _value(hit.status),
                "tts": survival.tts,
                "tts_status": _value(survival.status),
                "binding_products": ";".join(sorted(survival.binding_products)),
                "binding_nodes": ";".join(sorted(survival.binding_nodes)),
            }
        )
    return {"results": _clean(pd.DataFrame(rows), keys=["disruption"])}


def contingency_tri_cluster() -> Tables:
    """A contingency plan for Fab 18 down 4, 8 or 12 periods: what each scenario loses."""
    from chipstress.workflows.contingency import contingency_plan

    disruption, ttr = CONTINGENCY
    result = contingency_plan(tri_cluster(), disruption, ttr)
    headline = pd.DataFrame(
        {
            "expected_lost_profit": [result.expected_lost_profit],
            "status": [_value(result.status)],
        }
    )
    return {
        "headline": headline,
        "scenarios": _clean(result.scenarios, keys=["duration"]),
        "segments": _clean(result.segments, keys=["segment"]),
    }


def stress_plans() -> Tables:
    """Lost units, production and shipments of :data:`DISRUPTIONS` (LP solutions)."""
    from chipstress.engine import impact

    tri = tri_cluster()
    lost, production, shipments = [], [], []
    for name, (disruption, duration) in DISRUPTIONS.items():
        hit = impact(tri, disruption, duration)
        lost.append(hit.lost_units.rename("lost_units").rename_axis("node").reset_index())
        production.append(hit.production.rename("units").rename_axis("node").reset_index())
        shipments.append(hit.shipments)
        for table in (lost[-1], production[-1], shipments[-1]):
            table.insert(0, "disruption", name)
    return {
        "lost_units": _clean(pd.concat(lost), keys=["disruption", "node"]),
        "production": _clean(pd.concat(production), keys=["disruption", "node"]),
        "shipments": _clean(
            pd.concat(shipments), keys=["disruption", "supplier", "customer", "material"]
        ),
    }


def contingency_plans() -> Tables:
    """The contingency plan's production, shipments, inventory and lost units (LP solution)."""
    from chipstress.workflows.contingency import contingency_plan

    disruption, ttr = CONTINGENCY
    result = contingency_plan(tri_cluster(), disruption, ttr)
    return {
        "production": _clean(result.production, keys=["node", "segment"]),
        "shipments": _clean(result.shipments, keys=["supplier", "customer", "material", "segment"]),
        "inventory": _clean(result.inventory, keys=["node", "segment"]),
        "lost": _clean(result.lost, keys=["product", "duration"]),
    }


CASES: dict[str, Callable[[], Tables]] = {
    "sweep_tri_cluster": sweep_tri_cluster,
    "sweep_small": sweep_small,
    "sweep_large": sweep_large,
    "replay_catalogue": replay_catalogue,
    "scenario_files": scenario_files,
    "simulate_tri_cluster": simulate_tri_cluster,
    "whatif_tri_cluster": whatif_tri_cluster,
    "plan_tri_cluster": plan_tri_cluster,
    "stress_tests": stress_tests,
    "contingency_tri_cluster": contingency_tri_cluster,
}

DETAIL_CASES: dict[str, Callable[[], Tables]] = {
    "stress_plans": stress_plans,
    "contingency_plans": contingency_plans,
}

ALL_CASES: dict[str, Callable[[], Tables]] = {**CASES, **DETAIL_CASES}
