"""Why a site matters (``GET /api/networks/{id}/explain/{site}``) and header suggestions for
spreadsheet imports (``POST /api/import/suggest``).

The explanation is :func:`chipstress.workflows.explain.explain` as JSON (a time-to-survive
of "forever" is the string ``"Infinity"``, a missing number ``null``); it depends on the
network, the site and the duration alone, so each is computed once per network and kept.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from chipstress.interfaces.api.convert import plain
from chipstress.interfaces.api.errors import ApiError, documented
from chipstress.interfaces.api.models import MAX_PERIODS, MIN_PERIODS

if TYPE_CHECKING:  # app.py imports this module: no import at run time
    from chipstress.interfaces.api.app import ApiState
    from chipstress.interfaces.api.registry import Entry

__all__ = ["SuggestRequest", "explanation_json", "router"]

router = APIRouter(prefix="/api", tags=["explain"])

# Explanations kept per network (one per site and duration asked for).
MAX_KEPT = 2000


class SuggestRequest(BaseModel):
    """A sheet's headers, to be matched to the network schema."""

    model_config = ConfigDict(extra="forbid")

    headers: list[Annotated[str, Field(max_length=200)]] = Field(max_length=256)
    sheet: str = Field("", max_length=200, description="The sheet's name, if any.")
    table: str | None = Field(
        None, description="nodes, bom, sources or flat when known; else suggested."
    )


def _state(request: Request) -> ApiState:
    state: ApiState = request.app.state.chipstress
    return state


def explanation_json(entry: Entry, site: str, duration: float | None) -> dict[str, Any]:
    """The explanation of ``site`` in ``entry``'s network, as plain JSON values.

    Parameters
    ----------
    entry
        The registered network.
    site
        The site's node id (404 when unknown).
    duration
        Periods the site stays down (``None``: its TTR).

    Returns
    -------
    dict
        ``site, name, material, verdict, ttr, tts, feeds, single_sourced, products,
        runs_out_first, per_product, lost_profit, baseline_lost_profit, to_change_verdict,
        units`` (times in periods, money in the network's currency).
    """
    from chipstress.workflows.explain import explain

    entry.node_position(site)  # 404 for an unknown site
    result = explain(entry.network, site, duration)
    out: dict[str, Any] = plain(result.to_dict())
    return out


@router.get(
    "/networks/{network_id}/explain/{site}",
    responses=documented(404, 422),
    summary="Why a site matters",
)
async def get_explanation(
    request: Request,
    network_id: Annotated[str, Path(description="Network id.", examples=["tri-cluster"])],
    site: Annotated[str, Path(description="Node id.", examples=["asml_veldhoven"])],
    duration: Annotated[
        float | None,
        Query(ge=MIN_PERIODS, le=MAX_PERIODS, allow_inf_nan=False, description="Default: its TTR."),
    ] = None,
) -> Response:
    """The BOM lines the site feeds (single-sourced ones marked), what runs out first (the
    binding constraints of the time-to-survive program), lost units and profit per end
    product over its TTR, and what would change the verdict (extra stock, a second
    source's capacity, a faster recovery)."""
    registry = _state(request).registry
    entry = registry.loaded(network_id)
    if entry is None:
        entry = await run_in_threadpool(registry.get, network_id)
    key = f"explain:{site}:{duration!r}"
    body = entry.rendered.get(key)
    if body is None:

        def render() -> bytes:
            data = explanation_json(entry, site, duration)
            return json.dumps(data, allow_nan=False, separators=(",", ":")).encode()

        body = await run_in_threadpool(render)
        if len(entry.rendered) < MAX_KEPT:
            entry.rendered[key] = body
    return Response(body, media_type="application/json")


@router.post(
    "/import/suggest",
    responses=documented(403, 413, 422),
    summary="Match a sheet's headers to the network schema",
)
def suggest(body: SuggestRequest) -> dict[str, Any]:
    """The table a sheet most likely holds (nodes, bom, sources, or flat: supplier →
    customer → part) and, for each header, the schema column it names (``null``: none
    scores high enough), each with a score from 0 to 1, the three best columns per header
    and the required columns no header names."""
    from chipstress.model.io.spreadsheet_headers import SHEET_TABLES, suggest_mapping

    if body.table is not None and body.table not in SHEET_TABLES:
        raise ApiError(422, f"table must be one of {', '.join(SHEET_TABLES)}", field="table")
    return suggest_mapping(body.headers, body.sheet, body.table).to_dict()
