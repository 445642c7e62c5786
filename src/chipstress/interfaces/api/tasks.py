"""The work behind each job, as functions of (network entry, request) -> work.

One job per operation (:mod:`chipstress.workflows.operations`), each calling its workflow
and translating: a request into the workflow's arguments, the workflow's
:class:`~chipstress.results.RunResult` into the job's JSON result. Requests are checked
against the network before a job is queued (unknown node ids, conflicting fields → 422),
so a job fails only on what cannot be known in advance. Every solve builds its own HiGHS
instance: jobs share nothing but the network, which is immutable.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from chipstress.errors import ChipstressError, InvalidDocument
from chipstress.interfaces.api.convert import number, plain, records, series_dict
from chipstress.interfaces.api.errors import ApiError
from chipstress.interfaces.api.jobs import Outcome, Report
from chipstress.interfaces.api.models import (
    ContingencyRequest,
    DisruptionRequest,
    ImpactRequest,
    OutageRequest,
    PlanRequest,
    ReplayRequest,
    ScenarioRequest,
    SimulateRequest,
    SweepRequest,
    WhatIfRequest,
)
from chipstress.interfaces.api.registry import Entry
from chipstress.model.io.safe import load_yaml
from chipstress.workflows import sweep
from chipstress.workflows.runner import Runner

__all__ = [
    "Work",
    "contingency_work",
    "disruption_of",
    "impact_work",
    "outage_work",
    "plan_work",
    "replay_work",
    "scenario_work",
    "simulate_work",
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


def _fields_body(value: Any) -> dict[str, Any]:
    """A hazard or simulation result's fields as JSON: tables inline, the rest plain."""
    body: dict[str, Any] = {}
    for item in dataclasses.fields(value):
        if item.name in ("kind", "parameters"):
            continue
        data = getattr(value, item.name)
        if isinstance(data, pd.DataFrame):
            body[item.name] = _inline(data)
        elif isinstance(data, pd.Series):
            body[item.name] = series_dict(data)
        else:
            body[item.name] = plain(data)
    return body


def _with_timeline(body: dict[str, Any], run: Any) -> dict[str, Any]:
    """``body`` with the run's timeline tables inline, its ``period_length`` and ``horizon``.

    Parameters
    ----------
    body
        A job's JSON result, updated in place.
    run
        The event run (replay, scenario, outage) behind it.

    Returns
    -------
    dict
        ``body`` with ``timeline``, ``timeline_nodes``, ``timeline_products`` and the loss
        ``components`` per node hit as inline tables (``rows``, ``total_rows``,
        ``truncated``), and the summary's component totals; unchanged when the run has
        no ``timeline`` table.
    """
    tables = run.tables()
    if "timeline" not in tables:
        return body
    for name in ("timeline", "timeline_nodes", "timeline_products", "components"):
        if name in tables:
            body[name] = _inline(tables[name])
    summary = run.summary()
    from chipstress.workflows.hazards.components import TOTAL_FIELDS

    for key in ("period_length", "horizon", *TOTAL_FIELDS):
        if key in summary:
            body.setdefault(key, plain(summary[key]))
    return body


def _as_api_error(error: Exception, field: str) -> ApiError:
    return ApiError(422, f"{field}: {error}", field=field)


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

        run = sweep(
            network,
            request.nodes,
            durations,
            metric=request.metric,
            include_products=request.include_products,
            runner=Runner(workers=1, progress=progress),
        )
        result = {
            "summary": plain(run.summary()),
            "period": network.meta.period,
            "currency": network.meta.currency,
            **_inline(run.table),
        }
        return Outcome(result, run)

    return work


# ---------------------------------------------------------------------------- impact / survive
def disruption_of(entry: Entry, request: DisruptionRequest) -> dict[str, float]:
    """The node -> fraction mapping a request names (:func:`chipstress.engine.parse_disruption`).

    Raises
    ------
    ApiError
        422 naming the field: unknown node ids, a cluster or supplier that selects no
        node, or no node at all.
    """
    from chipstress.engine import parse_disruption

    entry.check_nodes(list(request.disruption), "disruption")
    if request.depending_on is not None:
        entry.check_nodes([request.depending_on], "depending_on")
    if not (request.disruption or request.cluster is not None or request.depending_on):
        raise ApiError(
            422,
            "name at least one node in disruption, or a cluster or depending_on",
            field="disruption",
        )
    try:
        return parse_disruption(
            entry.network,
            dict(request.disruption),
            cluster=request.cluster,
            depending_on=request.depending_on,
            fraction=request.fraction,
        )
    except ChipstressError as error:
        field = "cluster" if request.cluster is not None else "depending_on"
        raise _as_api_error(error, field) from None


def impact_work(entry: Entry, request: ImpactRequest) -> Work:
    """Lost profit (and lost units per product) of one disruption over its duration."""
    from chipstress.workflows.outage import impact

    disruption = disruption_of(entry, request)
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.1, "solving the time-to-recover programs")
        run = impact(network, disruption, request.duration)
        result = {
            **plain(run.summary()),
            "disruption": disruption,
            "lost_units": series_dict(run.result.lost_units),
            "products": records(run.products),
            "period": network.meta.period,
            "currency": network.meta.currency,
        }
        return Outcome(result, run)

    return work


def survive_work(entry: Entry, request: DisruptionRequest) -> Work:
    """Time-to-survive of a lasting disruption, and what runs out first."""
    from chipstress.workflows.outage import survive

    disruption = disruption_of(entry, request)
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.1, "solving the time-to-survive program")
        run = survive(network, disruption)
        body = {
            "tts": number(run.result.tts),
            "status": run.result.status,
            "disruption": disruption,
            "binding_products": run.result.binding_products,
            "binding_nodes": run.result.binding_nodes,
            "period": network.meta.period,
        }
        return Outcome(body, run)

    return work


# ---------------------------------------------------------------------------- outage
def _checked_events(entry: Entry, data: Any, source: str) -> list[Any]:
    """Hazard events parsed and their names checked against the network (422 otherwise)."""
    from chipstress.workflows.hazards import check_events, default_parameters, parse_events

    params = default_parameters()
    try:
        events = parse_events(data, source, params)
        check_events(events, entry.network, params, source)
    except ChipstressError as error:
        raise ApiError(422, str(error), field="events" if source == "events" else "yaml") from None
    return events


def outage_work(entry: Entry, request: OutageRequest) -> Work:
    """Sites taken down (fraction, duration) or hazard events, measured over one window."""
    from chipstress.workflows.outage import OutageResult, outage

    if request.outages and request.events:
        raise ApiError(
            422,
            "give outages or events, not both: run site outages and hazard events as separate outages",
            field="events",
        )
    if not request.outages and not request.events:
        raise ApiError(422, "give at least one outage or event", field="outages")
    network = entry.network
    entry.check_nodes([o.node for o in request.outages], "outages")
    outages: dict[str, tuple[float, float]] = {}
    for item in request.outages:
        if item.node in outages:
            raise ApiError(422, f"outages: node {item.node!r} is listed twice", field="outages")
        outages[item.node] = (item.fraction, item.duration)
    events = _checked_events(entry, request.events, "events") if request.events else None

    def work(report: Report) -> Outcome:
        report(0.1, "solving the time-to-recover and time-to-survive programs")
        run = outage(network, outages, events=events, name=request.name)
        if not isinstance(run, OutageResult):  # hazard events
            return Outcome(_with_timeline(_fields_body(run), run), run)
        result = {
            **plain(run.summary()),
            "survives": run.survives,
            "binding_products": run.tts.binding_products,
            "sites": records(run.sites),
            "products": records(run.products),
            "notes": [],
            "period": network.meta.period,
            "currency": network.meta.currency,
        }
        return Outcome(_with_timeline(result, run), run)

    return work


# ---------------------------------------------------------------------------- hazards
def replay_work(entry: Entry, request: ReplayRequest) -> Work:
    """A historical event of the catalogue, replayed on the network as it is today."""
    from chipstress.workflows.hazards import catalogue, replay

    known = catalogue()
    if request.event not in known:
        raise ApiError(
            404,
            f"no catalogue event {request.event!r}; events: {', '.join(known)}",
            field="event",
        )
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.1, f"replaying {request.event}")
        run = replay(request.event, network)
        return Outcome(_with_timeline(_fields_body(run), run), run)

    return work


def scenario_work(entry: Entry, request: ScenarioRequest) -> Work:
    """User hazard events (a list of mappings or a scenario file's YAML text)."""
    from chipstress.workflows.hazards import default_parameters, evaluate

    if (request.events is None) == (request.yaml is None):
        raise ApiError(
            422, "give events or yaml (a scenario file's text), not both or neither", field="events"
        )
    info: dict[str, Any] = {}
    if request.yaml is not None:
        try:
            data = load_yaml(request.yaml, "yaml")
        except InvalidDocument as error:
            raise ApiError(422, str(error), field="yaml") from None
        if isinstance(data, Mapping) and "events" in data:
            info = {k: data[k] for k in ("name", "description") if k in data}
        source = "yaml"
    else:
        data = request.events
        source = "events"
    # Names (nodes, districts, levels) are checked now, so a bad one is a 422, not a failed job.
    events = _checked_events(entry, data, source)
    name = request.name or str(info.get("name") or "scenario")
    description = request.description or str(info.get("description") or "")
    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.1, f"evaluating {len(events)} event(s)")
        run = evaluate(
            events,
            network,
            name=name,
            description=description,
            params=default_parameters(),
            source=source,
        )
        return Outcome(_with_timeline(_fields_body(run), run), run)

    return work


def simulate_work(entry: Entry, request: SimulateRequest) -> Work:
    """Monte-Carlo years of hazard events; progress after each chunk of years."""
    from chipstress.workflows.hazards import simulate

    network = entry.network

    def work(report: Report) -> Outcome:
        report(0.0, f"simulating {request.years:,} years")

        def progress(done: int, total: int) -> None:
            report(done / max(total, 1), f"{done:,} of {total:,} years simulated")

        run = simulate(
            network, request.years, request.seed, runner=Runner(workers=1, progress=progress)
        )
        return Outcome(_fields_body(run), run)

    return work


# ---------------------------------------------------------------------------- mitigation
def _document(request: WhatIfRequest | PlanRequest, items: Any, kind: str) -> tuple[Any, str]:
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
        return load_yaml(path.read_text(encoding="utf-8"), path.name), f"example {request.example}"
    if request.yaml is not None:
        try:
            data = load_yaml(request.yaml, "yaml")
        except InvalidDocument as error:
            raise ApiError(422, str(error), field="yaml") from None
        if data is None:
            raise ApiError(422, "yaml: the text is empty", field="yaml")
        return data, "yaml"
    return items, kind


def whatif_work(entry: Entry, request: WhatIfRequest) -> Work:
    """A what-if of edits: site sweeps (and simulations) before and after, with deltas."""
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
        run = whatif(network, edits, simulate_years=request.years, seed=request.seed)
        body = {
            "summary": plain(run.summary()),
            "totals": records(run.totals),
            "clusters": records(run.clusters),
            "edits": records(run.edits_table()),
            "period": network.meta.period,
            "currency": network.meta.currency,
            **_inline(run.nodes),
        }
        return Outcome(body, run)

    return work


def plan_work(entry: Entry, request: PlanRequest) -> Work:
    """A plan: the best candidate actions for each budget (the trade-off curve)."""
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

        run = plan(
            network,
            candidates,
            request.measure,
            request.budgets,
            years=request.years,
            seed=request.seed,
            cvar_level=request.cvar_level,
            time_limit=60.0,
            runner=Runner(progress=progress),
        )
        by_id = {a.id: a for a in candidates.actions}
        point_edits = [  # the edits of each point's actions, in curve order
            [
                edit_to_dict(e)
                for e in combined_edits([by_id[a] for a in str(row.actions).split(";") if a])
            ]
            for row in run.curve.itertuples(index=False)
        ]
        body = {
            "measure": request.measure,
            "measure_label": MEASURE_LABELS[request.measure],
            "baseline": plain(run.baseline),
            "curve": records(run.curve),
            "choices": records(run.choices),
            "point_edits": point_edits,
            "notes": run.notes,
            "candidates": len(candidates),
            "period": network.meta.period,
            "currency": network.meta.currency,
        }
        return Outcome(body, run)

    return work


def contingency_work(entry: Entry, request: ContingencyRequest) -> Work:
    """The production and allocation plan minimising (expected) lost profit of a disruption."""
    from chipstress.workflows.contingency import check_distribution, contingency_plan

    ttr: float | list[tuple[float, float]]
    if request.ttr is not None and request.duration is None:
        ttr = [(t, p) for t, p in request.ttr]
    elif request.duration is not None and request.ttr is None:
        ttr = request.duration
    else:
        raise ApiError(422, "give duration or ttr, not both or neither", field="ttr")
    disruption = disruption_of(entry, request)
    network = entry.network
    try:
        check_distribution(ttr)
    except ChipstressError as error:
        raise _as_api_error(error, "ttr" if request.ttr is not None else "duration") from None

    def work(report: Report) -> Outcome:
        report(0.05, "solving the contingency program")
        run = contingency_plan(network, disruption, ttr)
        body = {
            **plain(run.summary()),
            "disruption": disruption,
            **{name: _inline(frame) for name, frame in run.tables().items()},
            "period": network.meta.period,
            "currency": network.meta.currency,
        }
        return Outcome(body, run)

    return work
