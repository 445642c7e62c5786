"""Request and response bodies of the HTTP API (pydantic models, shown in ``/openapi.json``).

Durations and times are in the network's periods (``week`` for ``tri-cluster``); money
in its currency. A time-to-survive of "forever" is the string ``"Infinity"``; a number
that could not be computed is ``null``.

Types are strict: a boolean field takes only ``true``/``false``, an integer field only
an integer and a number field an integer or a float (never a boolean or a string), so
``"save": 0`` or ``"seed": false`` is a 422, not a silent conversion. Every error body
is an :class:`ErrorOut`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

__all__ = [
    "ContingencyRequest",
    "DisruptionRequest",
    "ErrorOut",
    "ImpactRequest",
    "JobOut",
    "MapRequest",
    "NetworkOut",
    "NodeOut",
    "Outage",
    "OutageRequest",
    "PlanRequest",
    "ProblemOut",
    "ReplayRequest",
    "ScenarioRequest",
    "SimulateRequest",
    "SweepRequest",
    "ValidationIssue",
    "WhatIfRequest",
]

MAX_PERIODS = 1e6
MIN_PERIODS = 1e-6  # shorter windows only overflow the programs' per-period rates

NetworkId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="Network id: a built-in name or the id an upload returned.",
        examples=["tri-cluster"],
    ),
]
NodeId = Annotated[str, Field(min_length=1, max_length=500)]
Fraction = Annotated[
    StrictFloat,
    Field(gt=0, le=1, allow_inf_nan=False, description="Fraction of capacity lost (1 = down)."),
]
Periods = Annotated[
    StrictFloat,
    Field(
        ge=MIN_PERIODS,
        le=MAX_PERIODS,
        allow_inf_nan=False,
        description=f"Periods, from {MIN_PERIODS:g} to {MAX_PERIODS:g}.",
    ),
]
Number = float | str | None


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    network: NetworkId
    save: StrictBool = Field(True, description="Store the finished run in the results database.")


class SweepRequest(_Request):
    """Disrupt each node in turn (fully, for its duration) and rank them by risk exposure."""

    duration: Periods | None = Field(
        None, description="One duration for every node (default: each node's own TTR)."
    )
    durations: dict[NodeId, Periods] | None = Field(
        None, description="Duration per node (the others use their own TTR)."
    )
    nodes: list[NodeId] | None = Field(
        None, max_length=100_000, description="Nodes to disrupt (default: every non-product node)."
    )
    metric: Literal["both", "ttr", "tts"] = "both"
    include_products: StrictBool = Field(
        False, description="With no nodes given, disrupt the nodes with demand (fabs) too."
    )


class DisruptionRequest(_Request):
    """A disruption: nodes by id with their fraction, and/or every node of a selector."""

    disruption: dict[NodeId, Fraction] = Field(
        default_factory=dict, description="Node id -> fraction of capacity lost."
    )
    cluster: str | None = Field(
        None, max_length=200, description="Disrupt every node of this cluster."
    )
    depending_on: NodeId | None = Field(
        None, description="Disrupt every direct customer of this node (e.g. a water district)."
    )
    fraction: Fraction = Field(1.0, description="Fraction lost by nodes chosen by a selector.")


class ImpactRequest(DisruptionRequest):
    """Lost profit of a disruption lasting ``duration`` periods."""

    duration: Periods


Probability = Annotated[StrictFloat, Field(gt=0, le=1, allow_inf_nan=False)]


class ContingencyRequest(DisruptionRequest):
    """The plan minimising (expected) lost profit while a disruption lasts.

    Give ``duration`` (recovery time known) or ``ttr`` (``[[periods, probability], ...]``
    adding up to 1), not both.
    """

    duration: Periods | None = Field(None, description="Periods until recovery (known).")
    ttr: list[tuple[Periods, Probability]] | None = Field(
        None, max_length=50, description="Uncertain recovery: [[periods, probability], ...]."
    )


class Outage(BaseModel):
    """One site losing ``fraction`` of its capacity for ``duration`` periods."""

    model_config = ConfigDict(extra="forbid")

    node: NodeId
    fraction: Fraction = 1.0
    duration: Periods


class OutageRequest(_Request):
    """Sites taken down and/or hazard events (earthquake, water alert, ...), measured together.

    Give ``outages`` (measured with the engine directly) or ``events`` (hazard events,
    as in a scenario file), not both.
    """

    name: str = Field("outage", max_length=200)
    outages: list[Outage] = Field(default_factory=list, max_length=1000)
    events: list[dict[str, Any]] = Field(default_factory=list, max_length=200)


class ReplayRequest(_Request):
    """Replay a historical event of the catalogue on the network as it is today."""

    event: str = Field(min_length=1, max_length=200, examples=["kumamoto_2016"])


class ScenarioRequest(_Request):
    """User hazard events: a list of event mappings, or the text of a scenario YAML file."""

    events: list[dict[str, Any]] | None = Field(None, max_length=200)
    yaml: str | None = Field(None, max_length=1_000_000, description="A scenario YAML file's text.")
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)


class SimulateRequest(_Request):
    """Monte-Carlo years of hazard events drawn from annual rates."""

    years: StrictInt = Field(1000, ge=1, le=1_000_000)
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1)


class WhatIfRequest(_Request):
    """What-if edits (inventory, qualified sources, capacity, TTR cuts, removals) and every
    site's risk before and after; with ``years``, hazard simulations on the same events.

    Give the edits as ``edits`` (a list of edit mappings, as in an edits file), ``yaml``
    (an edits file's text) or ``example`` (a shipped example file).
    """

    edits: list[dict[str, Any]] | None = Field(None, max_length=500)
    yaml: str | None = Field(None, max_length=1_000_000, description="An edits YAML file's text.")
    example: Literal["tri-cluster"] | None = Field(None, description="A shipped edits file.")
    years: StrictInt | None = Field(None, ge=1, le=1_000_000, description="Simulated hazard years.")
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1)


Budget = Annotated[StrictFloat, Field(ge=0, le=1e15, allow_inf_nan=False)]


class PlanRequest(_Request):
    """Candidate actions with costs and a list of budgets: the best actions per budget.

    Give the candidates as ``actions`` (a list of action mappings), ``yaml`` (an actions
    file's text) or ``example`` (the shipped candidates for the built-in network).
    """

    actions: list[dict[str, Any]] | None = Field(None, max_length=500)
    yaml: str | None = Field(None, max_length=1_000_000, description="An actions YAML file's text.")
    example: Literal["tri-cluster"] | None = Field(None, description="Shipped candidates.")
    measure: Literal["worst", "exposed", "eal", "cvar"] = "worst"
    budgets: list[Budget] = Field(min_length=1, max_length=20, description="Currency.")
    years: StrictInt | None = Field(
        None, ge=1, le=1_000_000, description="Simulated years (eal, cvar; default 1,000)."
    )
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1)
    cvar_level: StrictFloat = Field(0.95, gt=0.5, lt=1.0)


class MapRequest(BaseModel):
    """Values to colour the map's sites by (node id -> number)."""

    model_config = ConfigDict(extra="forbid")

    values: dict[NodeId, StrictFloat | None] = Field(default_factory=dict)
    title: str | None = Field(None, max_length=200)


class JobOut(BaseModel):
    """A background job: where it stands (the result is at ``/api/jobs/{id}/result``)."""

    id: str
    kind: str
    network: str
    parameters: dict[str, Any]
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float = Field(description="0 to 1.")
    message: str
    error: str | None
    run_id: str | None = Field(description="Stored run, once the job succeeded (if saved).")
    created_at: str
    started_at: str | None
    finished_at: str | None
    wall_seconds: float | None


class NetworkOut(BaseModel):
    """A network the server holds, with its headline figures."""

    id: str
    name: str
    source: Literal["builtin", "upload"]
    filename: str
    format: str
    description: str
    period: str
    currency: str
    fingerprint: str
    nodes: int
    products: int
    materials: int
    bom_lines: int
    source_edges: int
    clusters: dict[str, int]
    kinds: dict[str, int]
    located: int = Field(description="Nodes with coordinates.")
    summary: str


class NodeOut(BaseModel):
    """A site, as drawn on the map and listed in tables."""

    id: str
    name: str
    name_zh: str
    name_ja: str
    kind: str
    cluster: str
    country: str
    material: str
    tier: int | None
    lat: float | None
    lon: float | None
    capacity: Number
    inventory: Number
    ttr: Number
    demand: Number
    margin: Number


class ValidationIssue(BaseModel):
    """One field of a request that failed validation."""

    loc: list[str | int] = Field(description='Where: e.g. ["body", "disruption", "fab_a"].')
    msg: str
    type: str


class ProblemOut(BaseModel):
    """One problem of an invalid network."""

    file: str
    location: str
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error response (4xx, 5xx).

    ``detail`` is the message; for a request that failed validation (422) it is the list
    of fields at fault, and ``message`` sums it up in one line. ``field`` names the request
    field at fault when there is one; ``problems`` lists every problem of an invalid
    network. Bodies never hold the server's file paths.
    """

    detail: str | list[ValidationIssue]
    message: str | None = None
    field: str | None = None
    problems: list[ProblemOut] | None = None
