"""Background jobs: one per operation (sweep, impact, survive, outage, replay, scenario,
simulate, whatif, plan, contingency; :mod:`chipstress.workflows.operations`); follow its
progress; fetch its result; cancel it.

Deprecated routes, kept for one release (``deprecated`` in the OpenAPI document, and a
``Deprecation: true`` response header naming the successor in ``Link``): ``POST
/api/jobs/whatif-edits`` (now ``whatif``), ``POST /api/jobs/simulation`` (now
``simulate``), and ``POST /api/jobs/whatif`` with an outage body (``outages`` or
``events``: now ``outage``). See ``README.md`` (the HTTP API) and ``CHANGELOG.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from chipstress.interfaces.api import tasks
from chipstress.interfaces.api.errors import ApiError, documented, not_found
from chipstress.interfaces.api.isolation import (
    IsolationError,
    NoWorkerProcess,
    OutOfMemory,
    OutOfTime,
    run_isolated,
)
from chipstress.interfaces.api.jobs import Isolated, Job, Outcome, Report
from chipstress.interfaces.api.models import (
    ContingencyRequest,
    DisruptionRequest,
    ImpactRequest,
    JobOut,
    OutageRequest,
    PlanRequest,
    ReplayRequest,
    ScenarioRequest,
    SimulateRequest,
    SweepRequest,
    WhatIfRequest,
)
from chipstress.results import RunKind

__all__ = ["router"]

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

_STARTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Queued; poll GET /api/jobs/{id} for progress."},
    **documented(403, 404, 413, 422),
}


# Seconds and bytes of memory the check of a request's YAML text may take.
CHECK_SECONDS = 30.0
CHECK_MEMORY_BYTES = 1 << 30


def _check_request(make: Callable[..., tasks.Work], entry: Any, body: Any) -> None:
    """In a child process: parse and check a request (raises its 4xx)."""
    make(entry, body)


def _checked_work(
    make: Callable[..., tasks.Work], entry: Any, body: Any, isolate: bool
) -> tasks.Work:
    """The job's work, once the request is checked (a bad one is a 4xx, not a failed job).

    A YAML text is parsed and checked in a child process with a time and memory budget
    (:mod:`chipstress.interfaces.api.isolation`), never on the server's threads.
    """
    if not (isolate and getattr(body, "yaml", None) is not None):
        return make(entry, body)
    try:
        run_isolated(
            _check_request,
            (make, entry, body),
            timeout=CHECK_SECONDS,
            memory_bytes=CHECK_MEMORY_BYTES,
        )
    except NoWorkerProcess:
        return make(entry, body)
    except OutOfTime:
        raise ApiError(
            422, f"yaml: reading it took longer than {CHECK_SECONDS:g} s", field="yaml"
        ) from None
    except OutOfMemory:
        raise ApiError(
            413, f"yaml: reading it needs more than {CHECK_MEMORY_BYTES >> 20} MB", field="yaml"
        ) from None
    except IsolationError as error:
        raise ApiError(422, f"yaml: cannot read it ({error})", field="yaml") from None

    def work(report: Report) -> Outcome:  # only when jobs run on the server's threads
        return make(entry, body)(report)

    return work


def _start(
    request: Request, kind: RunKind, body: Any, make: Callable[..., tasks.Work]
) -> dict[str, Any]:
    state = request.app.state.chipstress
    entry = state.registry.get(body.network)
    work = _checked_work(make, entry, body, state.isolate)
    parameters = body.model_dump(mode="json", exclude={"save"})
    job = state.jobs.submit(
        kind.value,
        entry.id,
        entry.network,
        parameters,
        work,
        save=body.save,
        isolated=Isolated(make, (entry, body)),
    )
    return job.status_dict()


def _deprecated(response: Response, successor: RunKind) -> None:
    """Mark a response of a deprecated route (RFC 9745 header, successor in ``Link``)."""
    response.headers["Deprecation"] = "true"
    response.headers["Link"] = f'</api/jobs/{successor.value}>; rel="successor-version"'


def _job(request: Request, job_id: str) -> Job:
    job = request.app.state.chipstress.jobs.get(job_id)
    if job is None:
        raise not_found("job", job_id, field="job_id")
    return job


def _check_years(request: Request, years: int | None) -> None:
    limit = request.app.state.chipstress.max_simulation_years
    if years is not None and years > limit:
        raise ApiError(422, f"years: at most {limit:,} per job on this server", field="years")


@router.post(
    "/sweep", status_code=202, response_model=JobOut, responses=_STARTED, summary="Start a sweep"
)
def start_sweep(request: Request, body: SweepRequest) -> dict[str, Any]:
    """Disrupt every node (or those named) for its TTR or the duration given; rank by risk
    exposure. The result has the sweep's rows, worst risk first, and its summary."""
    return _start(request, RunKind.SWEEP, body, tasks.sweep_work)


@router.post(
    "/impact", status_code=202, response_model=JobOut, responses=_STARTED, summary="Start an impact"
)
def start_impact(request: Request, body: ImpactRequest) -> dict[str, Any]:
    """Lost profit and lost units of one disruption over ``duration`` periods."""
    return _start(request, RunKind.IMPACT, body, tasks.impact_work)


@router.post(
    "/survive",
    status_code=202,
    response_model=JobOut,
    responses=_STARTED,
    summary="Start a time-to-survive",
)
def start_survive(request: Request, body: DisruptionRequest) -> dict[str, Any]:
    """How long all demand is still met under a lasting disruption, and what binds it."""
    return _start(request, RunKind.SURVIVE, body, tasks.survive_work)


@router.post(
    "/outage", status_code=202, response_model=JobOut, responses=_STARTED, summary="Start an outage"
)
def start_outage(request: Request, body: OutageRequest) -> dict[str, Any]:
    """Sites taken down (fraction, duration) or hazard events (an earthquake, a water-alert
    level, ...): the lost profit over the window, the time-to-survive and the sites hit."""
    return _start(request, RunKind.OUTAGE, body, tasks.outage_work)


@router.post(
    "/whatif",
    status_code=202,
    response_model=JobOut,
    responses=_STARTED,
    summary="Start a what-if of edits",
)
def start_whatif(
    request: Request, response: Response, body: WhatIfRequest | OutageRequest
) -> dict[str, Any]:
    """Edits (strategic stock, qualified alternative sources, capacity, TTR cuts, removed
    sites) applied to the network: every site's lost profit, TTS and exposure before and
    after, by site, cluster and in total (and, with ``years``, expected annual loss and
    CVaR on the same simulated events). Stored as a ``whatif`` run.

    Deprecated, for one release: an outage body (``outages`` or ``events``) starts an
    ``outage`` job, as ``POST /api/jobs/outage`` does."""
    if isinstance(body, OutageRequest):
        _deprecated(response, RunKind.OUTAGE)
        return _start(request, RunKind.OUTAGE, body, tasks.outage_work)
    _check_years(request, body.years)
    return _start(request, RunKind.WHATIF, body, tasks.whatif_work)


@router.post(
    "/whatif-edits",
    status_code=202,
    response_model=JobOut,
    responses=_STARTED,
    summary="Start a what-if of edits (deprecated: use whatif)",
    deprecated=True,
)
def start_whatif_edits(request: Request, response: Response, body: WhatIfRequest) -> dict[str, Any]:
    """Deprecated name of ``POST /api/jobs/whatif``, kept for one release."""
    _deprecated(response, RunKind.WHATIF)
    _check_years(request, body.years)
    return _start(request, RunKind.WHATIF, body, tasks.whatif_work)


@router.post(
    "/plan", status_code=202, response_model=JobOut, responses=_STARTED, summary="Start a plan"
)
def start_plan(request: Request, body: PlanRequest) -> dict[str, Any]:
    """Candidate actions with costs and budgets: for each budget the actions that minimise
    the measure (``worst`` single-site lost profit or ``exposed`` sites: exact MIP;
    ``eal``/``cvar``: heuristic with a proven bound), i.e. the trade-off curve. Stored as
    a ``plan`` run."""
    _check_years(request, body.years)
    return _start(request, RunKind.PLAN, body, tasks.plan_work)


@router.post(
    "/contingency",
    status_code=202,
    response_model=JobOut,
    responses=_STARTED,
    summary="Start a contingency plan",
)
def start_contingency(request: Request, body: ContingencyRequest) -> dict[str, Any]:
    """The production and allocation plan that minimises (expected) lost profit while a
    disruption lasts: which site makes what, who ships to whom, which stocks are drawn.
    Stored as a ``contingency`` run."""
    return _start(request, RunKind.CONTINGENCY, body, tasks.contingency_work)


@router.post(
    "/replay", status_code=202, response_model=JobOut, responses=_STARTED, summary="Start a replay"
)
def start_replay(request: Request, body: ReplayRequest) -> dict[str, Any]:
    """A historical event of the catalogue on the network as it is today."""
    return _start(request, RunKind.REPLAY, body, tasks.replay_work)


@router.post(
    "/scenario",
    status_code=202,
    response_model=JobOut,
    responses=_STARTED,
    summary="Start a scenario",
)
def start_scenario(request: Request, body: ScenarioRequest) -> dict[str, Any]:
    """User hazard events, as a list of event mappings or a scenario file's YAML text."""
    return _start(request, RunKind.SCENARIO, body, tasks.scenario_work)


@router.post(
    "/simulate",
    status_code=202,
    response_model=JobOut,
    responses=_STARTED,
    summary="Start a simulation",
)
def start_simulate(request: Request, body: SimulateRequest) -> dict[str, Any]:
    """Monte-Carlo years of hazard events: expected annual loss, VaR/CVaR, exceedance curve."""
    _check_years(request, body.years)
    return _start(request, RunKind.SIMULATE, body, tasks.simulate_work)


@router.post(
    "/simulation",
    status_code=202,
    response_model=JobOut,
    responses=_STARTED,
    summary="Start a simulation (deprecated: use simulate)",
    deprecated=True,
)
def start_simulation(request: Request, response: Response, body: SimulateRequest) -> dict[str, Any]:
    """Deprecated name of ``POST /api/jobs/simulate``, kept for one release."""
    _deprecated(response, RunKind.SIMULATE)
    _check_years(request, body.years)
    return _start(request, RunKind.SIMULATE, body, tasks.simulate_work)


@router.get("", response_model=list[JobOut], summary="List jobs")
def list_jobs(request: Request) -> list[dict[str, Any]]:
    """Jobs of this server's life (the last 500 finished ones), newest first."""
    return [job.status_dict() for job in request.app.state.chipstress.jobs.list()]


@router.get(
    "/{job_id}",
    response_model=JobOut,
    responses=documented(404, 422),
    summary="A job's status and progress",
)
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    """Status (queued, running, succeeded, failed, cancelled), progress 0–1 and message."""
    return _job(request, job_id).status_dict()


# Longest ``wait`` a result request may ask for (seconds).
MAX_WAIT_SECONDS = 30.0


@router.get(
    "/{job_id}/result", responses=documented(404, 409, 422), summary="A finished job's result"
)
async def get_job_result(
    request: Request,
    job_id: str,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_SECONDS,
            description=(
                "Seconds to wait for the job to finish before answering (0: answer at "
                "once). An interactive client posts a job and asks for its result with "
                "wait=10 instead of polling."
            ),
        ),
    ] = 0.0,
) -> dict[str, Any]:
    """The result of a succeeded job (409 while it runs or when it failed, with the reason).

    With ``wait`` the answer comes as soon as the job finishes, or after ``wait`` seconds
    with the 409 of a job still running; the server holds no thread while it waits.
    """
    job = _job(request, job_id)
    if wait > 0:
        await request.app.state.chipstress.jobs.finished(job, wait)
    if job.status == "succeeded" and job.result is not None:
        return {"job": job.status_dict(), "result": job.result}
    if job.status == "failed":
        raise ApiError(409, f"job {job_id} failed: {job.error}")
    if job.status == "cancelled":
        raise ApiError(409, f"job {job_id} was cancelled")
    raise ApiError(409, f"job {job_id} is {job.status} ({job.progress:.0%}): no result yet")


@router.delete(
    "/{job_id}", response_model=JobOut, responses=documented(403, 404, 422), summary="Cancel a job"
)
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Cancel a queued job now, or a running one at its next progress report."""
    _job(request, job_id)
    job = request.app.state.chipstress.jobs.cancel(job_id)
    assert job is not None
    return job.status_dict()
