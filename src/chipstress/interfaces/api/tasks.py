"""The work behind each job kind, as functions of (network, request) -> :class:`Outcome`.

Requests are checked against the network before a job is queued (unknown node ids,
conflicting fields → 422), so a job fails only on what cannot be known in advance.
Every solve builds its own HiGHS instance: jobs share nothing but the network, which
is immutable.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import yaml

from chipstress.engine import impact, outage_window, select_nodes, time_to_survive
from chipstress.interfaces.api import optional
from chipstress.interfaces.api.convert import number, plain, records, series_dict
from chipstress.interfaces.api.errors import ApiError
from chipstress.interfaces.api.jobs import Outcome, Report
from chipstress.interfaces.api.models import (
    DisruptionRequest,
    EditsRequest,
    ImpactRequest,
    PlanRequest,
    ReplayRequest,
    ScenarioRequest,
    SimulationRequest,
    SweepRequest,
    WhatIfRequest,
)
from chipstress.interfaces.api.registry import Entry
from chipstress.model import Network
from chipstress.workflows import sweep, sweep_summary

__all__ = [
    "disruption_of",
    "edits_work",
    "impact_work",
    "plan_work",
    "replay_work",
    "scenario_work",
    "simulation_work",
    "survive_work",
    "sweep_work",
    "whatif_work",
]

Work = Callable[[Report], Outcome]
# Rows of a result table sent inline in a job's JSON result; the stored run has them all.
MAX_INLINE_ROWS = 5000
_TABLE_NAME = re.compile(r"[^a-z0-9_]+")


def _inline(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "rows": records(frame.head(MAX_INLINE_ROWS)),
        "total_rows": len(frame),
        "truncated": len(frame) > MAX_INLINE_ROWS,
    }


# ---------------------------------------------------------------------------- sweep
def sweep_work(entry: Entry, request: SweepRequest) -> Work:
    """A sweep job: every node (or those named) down for its TTR or the duration given."""
    if request.duration is not None and request.durations is not None:
        raise ApiError(422, "give duration or durations, not both", field="durations")
    if request.nodes is not None:
        if not request.nodes:
            raise ApiError(422, "nodes: give at least one node, or leave it out", field="nodes")
        entry.check_nodes(request.nodes, "nodes")
    if request.durations is not None:
        entry.check_nodes(list(request.durations), "durations")
    network = entry.network
    durations: Any = request.duration if request.durations is None else request.durations

    def work(report: Report) -> Outcome:
        report(0.0, "solving the undisrupted network")

        def progress(done: int, total: int) -> None:
            report(0.02 + 0.96 * done / max(total, 1), f"{done} of {total} nodes swept")

        table = sweep(
            network,
            request.nodes,
            durations,
            metric=request.metric,
            workers=1,
            include_products=request.include_products,
            progress=progress,
        )
        summary = sweep_summary(table)
        result = {
            "summary": plain(summary),
            "period": network.meta.period,
            "currency": network.meta.currency,
            **_inline(table),
        }
        return Outcome(result, "sweep", {"sweep": table}, summary)

    return work


# ---------------------------------------------------------------------------- impact / survive
def disruption_of(entry: Entry, request: DisruptionRequest) -> dict[str, float]:
    """The node -> fraction mapping a request names (ids checked: 422 on unknown ones)."""
    chosen = dict(request.disruption)
    entry.check_nodes(list(chosen), "disruption")
    if request.depending_on is not None:
        entry.check_nodes([request.depending_on], "depending_on")
    if request.cluster is not None or request.depending_on is not None:
        try:
            selected = select_nodes(
                entry.network, cluster=request.cluster, depending_on=request.depending_on
            )
        except Exception as error:
            field = "cluster" if request.cluster is not None else "depending_on"
            raise ApiError(422, f"{field}: {error}", field=field) from None
        for node in selected:
            chosen.setdefault(node, request.fraction)
    if not chosen:
        raise ApiError(
            422,
            "name at least one node in disruption, or a cluster or depending_on",
            field="disruption",
        )
    return chosen


def _products(network: Network, lost: pd.Series, duration: float) -> pd.DataFrame:
    info = network.nodes.set_index("id")
    table = pd.DataFrame({"product": lost.index.astype(str), "lost_units": lost.to_numpy()})
    demand = info["demand"].reindex(table["product"]).to_numpy(dtype=float) * duration
    margin = info["margin"].reindex(table["product"]).to_numpy(dtype=float)
    table["demand_over_window"] = demand
    table["lost_profit"] = table["lost_units"].to_numpy() * margin
    table["name"] = info["name"].reindex(table["product"]).to_numpy()
    return table


def impact_work(entry: Entry, request: ImpactRequest) -> Work:
    """Lost profit (and lost units per product) of one disruption over its duration."""
    disruption = disruption_of(entry, request)
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.1, "solving the time-to-recover program")
        hit = impact(network, disruption, request.duration)
        report(0.6, "solving the undisrupted program")
        base = impact(network, {}, request.duration)
        products = _products(network, hit.lost_units, request.duration)
        summary = {
            "lost_profit": hit.lost_profit,
            "baseline_lost_profit": base.lost_profit,
            "duration": request.duration,
            "status": hit.status,
            "nodes": len(disruption),
        }
        result = {
            **plain(summary),
            "disruption": disruption,
            "lost_units": series_dict(hit.lost_units),
            "products": records(products),
            "period": network.meta.period,
            "currency": network.meta.currency,
        }
        return Outcome(result, "whatif", {"impact_products": products}, summary)

    return work


def survive_work(entry: Entry, request: DisruptionRequest) -> Work:
    """Time-to-survive of a lasting disruption, and what runs out first."""
    disruption = disruption_of(entry, request)
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.1, "solving the time-to-survive program")
        result = time_to_survive(network, disruption)
        summary = {
            "tts": result.tts,
            "status": result.status,
            "nodes": len(disruption),
            "binding_products": ", ".join(result.binding_products),
        }
        body = {
            "tts": number(result.tts),
            "status": result.status,
            "disruption": disruption,
            "binding_products": result.binding_products,
            "binding_nodes": result.binding_nodes,
            "period": network.meta.period,
        }
        return Outcome(body, "whatif", {}, summary)

    return work


# ---------------------------------------------------------------------------- what-if
def _outage_work(entry: Entry, request: WhatIfRequest) -> Work:
    network = entry.network
    entry.check_nodes([o.node for o in request.outages], "outages")
    outages: dict[str, tuple[float, float]] = {}
    for outage in request.outages:
        if outage.node in outages:
            raise ApiError(422, f"outages: node {outage.node!r} is listed twice", field="outages")
        outages[outage.node] = (outage.fraction, outage.duration)
    disruption, window = outage_window(outages)
    peak = {node: fraction for node, (fraction, _) in outages.items()}
    info = network.nodes.set_index("id")

    def work(report: Report) -> Outcome:
        report(0.1, "solving the time-to-recover program")
        hit = impact(network, disruption, window)
        base = impact(network, {}, window)
        report(0.5, "solving the time-to-survive programs")
        tts = time_to_survive(network, peak)
        base_tts = time_to_survive(network)
        loss = hit.lost_profit - base.lost_profit
        sites = pd.DataFrame(
            {
                "site": list(outages),
                "name": [info.at[n, "name"] for n in outages],
                "kind": [info.at[n, "kind"] for n in outages],
                "cluster": [info.at[n, "cluster"] for n in outages],
                "capacity_loss": [f for f, _ in outages.values()],
                "recovery_periods": [d for _, d in outages.values()],
                "window_capacity_loss": [disruption[n] for n in outages],
            }
        )
        products = _products(network, hit.lost_units - base.lost_units, window)
        summary = {
            "name": request.name,
            "loss": loss,
            "lost_profit": hit.lost_profit,
            "baseline_lost_profit": base.lost_profit,
            "window": window,
            "tts": tts.tts,
            "baseline_tts": base_tts.tts,
            "status": hit.status if hit.status != "optimal" else tts.status,
            "sites_hit": len(sites),
        }
        result = {
            **plain(summary),
            "survives": bool(tts.tts >= window),
            "binding_products": tts.binding_products,
            "sites": records(sites),
            "products": records(products),
            "notes": [],
            "period": network.meta.period,
            "currency": network.meta.currency,
        }
        tables = {"whatif_sites": sites, "whatif_products": products}
        return Outcome(result, "whatif", tables, summary)

    return work


def whatif_work(entry: Entry, request: WhatIfRequest) -> Work:
    """Sites taken down (engine) or hazard events (hazards layer), measured over one window."""
    if request.outages and request.events:
        raise ApiError(
            422,
            "give outages or events, not both: run site outages and hazard events as separate what-ifs",
            field="events",
        )
    if not request.outages and not request.events:
        raise ApiError(422, "give at least one outage or event", field="outages")
    if request.outages:
        return _outage_work(entry, request)
    scenario = ScenarioRequest(
        network=request.network, save=request.save, events=request.events, name=request.name
    )
    return scenario_work(entry, scenario)


# ---------------------------------------------------------------------------- hazards
def _table_name(name: str) -> str:
    cleaned = _TABLE_NAME.sub("_", name.lower()).strip("_") or "table"
    return cleaned if cleaned[0].isalpha() else f"t_{cleaned}"


def _dataclass_outcome(value: Any, kind: str) -> Outcome:
    """A hazard or simulation result: tables become stored tables, scalars the summary."""
    fields = (
        {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        if dataclasses.is_dataclass(value)
        else dict(vars(value))
    )
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {}
    result: dict[str, Any] = {}
    for name, item in fields.items():
        if isinstance(item, pd.DataFrame):
            tables[_table_name(name)] = item.reset_index(drop=True)
            result[name] = _inline(item)
        elif isinstance(item, pd.Series):
            frame = item.rename_axis("key").reset_index()
            frame.columns = ["key", str(item.name or "value")]
            tables[_table_name(name)] = frame
            result[name] = series_dict(item)
        else:
            result[name] = plain(item)
            if isinstance(item, int | float | str | bool) or item is None:
                summary[name] = item
            elif isinstance(item, Mapping) and len(item) <= 10:  # e.g. VaR by level
                for key, sub in item.items():
                    if isinstance(sub, int | float):
                        summary[f"{name}_{key}"] = sub
    if isinstance(getattr(type(value), "survives", None), property):
        result["survives"] = bool(value.survives)
    if hasattr(value, "run_tables") and hasattr(value, "run_summary"):
        # The hazard layer names what a stored run keeps (reports read these names).
        tables = {name: frame.reset_index(drop=True) for name, frame in value.run_tables().items()}
        summary = plain(value.run_summary())
    return Outcome(result, kind, tables, summary)


def _params() -> Any:
    return optional.function("default_parameters")()


def replay_work(entry: Entry, request: ReplayRequest) -> Work:
    """A historical event of the catalogue, replayed on the network as it is today."""
    catalogue = optional.function("catalogue")(_params())
    if request.event not in catalogue:
        raise ApiError(
            404,
            f"no catalogue event {request.event!r}; events: {', '.join(catalogue)}",
            field="event",
        )
    replay = optional.function("replay")
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.1, f"replaying {request.event}")
        return _dataclass_outcome(replay(request.event, network), "replay")

    return work


def scenario_work(entry: Entry, request: ScenarioRequest) -> Work:
    """User hazard events (a list of mappings or a scenario file's YAML text)."""
    if (request.events is None) == (request.yaml is None):
        raise ApiError(
            422, "give events or yaml (a scenario file's text), not both or neither", field="events"
        )
    info: dict[str, Any] = {}
    if request.yaml is not None:
        try:
            data = yaml.safe_load(request.yaml)
        except yaml.YAMLError as error:
            raise ApiError(422, f"yaml: not valid YAML ({error})", field="yaml") from None
        if isinstance(data, Mapping) and "events" in data:
            info = {k: data[k] for k in ("name", "description") if k in data}
        source = "yaml"
    else:
        data = request.events
        source = "events"
    params = _params()
    events = optional.function("parse_events")(data, source, params)
    name = request.name or str(info.get("name") or "scenario")
    description = request.description or str(info.get("description") or "")
    evaluate = optional.function("evaluate")
    network = entry.network
    # Names (nodes, districts, levels) are checked now, so a bad one is a 422, not a failed job.
    _check = _check_events_function()
    if _check is not None:
        _check(events, network, params, source)

    def work(report: Report) -> Outcome:
        report(0.1, f"evaluating {len(events)} event(s)")
        result = evaluate(
            events, network, name=name, description=description, params=params, source=source
        )
        return _dataclass_outcome(result, "scenario")

    return work


def _check_events_function() -> Callable[..., Any] | None:
    try:
        from chipstress.workflows.hazards import check_events
    except Exception:  # older hazards layer: evaluate checks names itself
        return None
    return check_events


def simulation_work(entry: Entry, request: SimulationRequest) -> Work:
    """Monte-Carlo years of hazard events; progress after each chunk of years."""
    simulate = optional.function("simulate")
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.0, f"simulating {request.years:,} years")

        def progress(done: int, total: int) -> None:
            report(done / max(total, 1), f"{done:,} of {total:,} years simulated")

        result = simulate(network, request.years, request.seed, workers=1, progress=progress)
        return _dataclass_outcome(result, "simulation")

    return work


# ---------------------------------------------------------------------------- mitigation
def _document(request: EditsRequest | PlanRequest, items: Any, kind: str) -> tuple[Any, str]:
    """The edits or actions a request gives: a list, a YAML text or a shipped example."""
    given = [name for name in (kind, "yaml", "example") if getattr(request, name) is not None]
    if len(given) != 1:
        raise ApiError(
            422,
            f"give exactly one of {kind}, yaml or example (got {', '.join(given) or 'none'})",
            field=kind,
        )
    if request.example is not None:
        from chipstress.workflows.examples import example_path

        path = example_path(kind, request.example)
        assert path is not None  # the request model allows shipped names only
        return yaml.safe_load(path.read_text(encoding="utf-8")), f"example {request.example}"
    if request.yaml is not None:
        try:
            data = yaml.safe_load(request.yaml)
        except yaml.YAMLError as error:
            raise ApiError(422, f"yaml: not valid YAML ({error})", field="yaml") from None
        if data is None:
            raise ApiError(422, "yaml: the text is empty", field="yaml")
        return data, "yaml"
    return items, kind


def _as_api_error(error: Exception, field: str) -> ApiError:
    return ApiError(422, f"{field}: {error}", field=field)


def edits_work(entry: Entry, request: EditsRequest) -> Work:
    """A what-if of edits: site sweeps (and simulations) before and after, with deltas."""
    from chipstress.errors import ChipstressError
    from chipstress.workflows.whatif import apply_edits, parse_edits, whatif

    data, source = _document(request, request.edits, "edits")
    network = entry.network
    try:
        edits = parse_edits(data, source)
        apply_edits(network, edits, source=source)  # names checked now: a 422, not a failed job
    except ChipstressError as error:
        raise _as_api_error(error, "edits" if source == "edits" else source.split()[0]) from None

    def work(report: Report) -> Outcome:
        report(0.05, "sweeping before and after the edits")
        result = whatif(network, edits, simulate_years=request.years, seed=request.seed)
        body = {
            "summary": plain(result.run_summary()),
            "totals": records(result.totals),
            "clusters": records(result.clusters),
            "edits": records(result.edits_table()),
            "period": network.meta.period,
            "currency": network.meta.currency,
            **_inline(result.nodes),
        }
        return Outcome(body, "whatif", result.run_tables(), result.run_summary())

    return work


def plan_work(entry: Entry, request: PlanRequest) -> Work:
    """A plan: the best candidate actions for each budget (the trade-off curve)."""
    from chipstress.errors import ChipstressError
    from chipstress.workflows.plan import combined_edits, parse_actions, plan
    from chipstress.workflows.plan.planner import MEASURE_LABELS
    from chipstress.workflows.whatif import edit_to_dict

    data, source = _document(request, request.actions, "actions")
    network = entry.network
    try:
        candidates = parse_actions(data, network, source)
    except ChipstressError as error:
        raise _as_api_error(
            error, "actions" if source == "actions" else source.split()[0]
        ) from None

    def work(report: Report) -> Outcome:
        report(0.02, f"planning for {len(request.budgets)} budget(s)")

        def progress(done: int, total: int) -> None:
            report(0.02 + 0.96 * done / max(total, 1), f"{done} of {total} budgets planned")

        result = plan(
            network,
            candidates,
            request.measure,
            request.budgets,
            years=request.years,
            seed=request.seed,
            cvar_level=request.cvar_level,
            time_limit=60.0,
            progress=progress,
        )
        by_id = {a.id: a for a in candidates.actions}
        point_edits = [  # the edits of each point's actions, in curve order
            [
                edit_to_dict(e)
                for e in combined_edits([by_id[a] for a in str(row.actions).split(";") if a])
            ]
            for row in result.curve.itertuples(index=False)
        ]
        body = {
            "measure": request.measure,
            "measure_label": MEASURE_LABELS[request.measure],
            "baseline": plain(result.baseline),
            "curve": records(result.curve),
            "choices": records(result.choices),
            "point_edits": point_edits,
            "notes": result.notes,
            "candidates": len(candidates),
            "period": network.meta.period,
            "currency": network.meta.currency,
        }
        return Outcome(body, "plan", result.run_tables(), plain(result.run_summary()))

    return work
