"""Stored runs: list, show, their tables (JSON or CSV), compare, delete, and the HTML report."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from chipstress.errors import InvalidInput
from chipstress.interfaces.api.convert import plain, records
from chipstress.interfaces.api.errors import ApiError, documented
from chipstress.store import RUN_KINDS, ResultsStore
from chipstress.store.results import LEGACY_KINDS

__all__ = ["router"]

# Run kinds a client may ask for: the operations, and the old names of some.
_KINDS = (*RUN_KINDS, *LEGACY_KINDS)

router = APIRouter(prefix="/api/runs", tags=["runs"])


def _resolve(store: ResultsStore, run_id: str) -> str:
    """The stored run of exactly this id (no prefixes, no wildcards: 404 otherwise)."""
    try:
        return store.resolve(run_id, exact=True)
    except InvalidInput as error:
        status = 404 if str(error).startswith("no run") else 422
        raise ApiError(status, str(error), field="run_id") from None


def _run_dict(store: ResultsStore, run_id: str) -> dict[str, Any]:
    run = store.run(run_id)
    return plain(
        {
            "run_id": run.run_id,
            "kind": run.kind,
            "network": run.network,
            "fingerprint": run.fingerprint,
            "parameters": run.parameters,
            "summary": run.summary,
            "status": run.status,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
            "wall_seconds": run.wall_seconds,
            "version": run.version,
            "tables": run.table_names,
        }
    )


@router.get("", responses=documented(422, 503), summary="List stored runs")
async def list_runs(
    request: Request,
    kind: Annotated[
        # FastAPI quirk: a Literal built from the store's kinds so OpenAPI lists them;
        # mypy cannot check a Literal made at import time.
        Literal[_KINDS] | None,  # type: ignore[valid-type]
        Query(description="Only runs of this kind (``simulation``: deprecated, ``simulate``)."),
    ] = None,
    include_incomplete: bool = False,
) -> Response:
    """Stored runs, newest first: id, kind, network, status, time, summary.

    The list is read at most once a second for all clients (sooner after this server
    stores or deletes a run)."""
    access = request.app.state.chipstress.store

    def build() -> bytes:
        with access.use() as store:
            runs = store.runs(kind, include_incomplete=include_incomplete)
        out = []
        for row in runs.to_dict("records"):
            row["summary"] = json.loads(row["summary"]) if row.get("summary") else {}
            out.append(plain(row))
        return json.dumps(out, allow_nan=False, separators=(",", ":")).encode()

    body = await access.listings.get((kind, include_incomplete), access.version, build)
    return Response(body, media_type="application/json")


@router.get("/compare", responses=documented(404, 422, 503), summary="Compare two runs")
def compare_runs(
    request: Request,
    first: Annotated[str, Query(min_length=1)],
    second: Annotated[str, Query(min_length=1)],
) -> dict[str, Any]:
    """Two runs of the same kind side by side: summary figures and, for sweeps, every node."""
    with request.app.state.chipstress.store.use() as store:
        a, b = _resolve(store, first), _resolve(store, second)
        table = store.compare(a, b)
    return {"first": a, "second": b, "rows": records(table)}


@router.get("/{run_id}", responses=documented(404, 422, 503), summary="A stored run")
def get_run(request: Request, run_id: str) -> dict[str, Any]:
    """A run's record: kind, network and fingerprint, parameters, summary, tables."""
    with request.app.state.chipstress.store.use() as store:
        return _run_dict(store, _resolve(store, run_id))


@router.get(
    "/{run_id}/tables/{name}",
    responses=documented(404, 422, 503),
    summary="A stored run's table",
)
def get_table(
    request: Request,
    run_id: str,
    name: str,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """Rows of a result table (``sweep``, ``sites``, ``years``, ...) as JSON, CSV or Excel.

    ``{name}.csv`` and ``{name}.xlsx`` are the same as ``?format=csv`` / ``?format=xlsx``."""
    with request.app.state.chipstress.store.use() as store:
        full = _resolve(store, run_id)
        names = store.run(full).table_names
        stem, dot, suffix = name.rpartition(".")
        if name not in names and dot and suffix in ("csv", "xlsx") and stem in names:
            name, format = stem, suffix  # type: ignore[assignment]
        if name not in names:
            raise ApiError(
                404,
                f"run {full} has no table {name!r}; it has {', '.join(names) or 'none'}",
                field="name",
            )
        table = store.table(full, name)
    page = table.iloc[offset : offset + limit]
    if format == "xlsx":
        from chipstress.interfaces.api.workbook import MEDIA_TYPE, workbook_bytes

        about = {"run_id": full, "table": name, "rows": len(page), "total_rows": len(table)}
        return Response(
            workbook_bytes({name: page}, about),
            media_type=MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{full}-{name}.xlsx"'},
        )
    if format == "csv":
        return Response(
            page.to_csv(index=False),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{full}-{name}.csv"'},
        )
    return {
        "run_id": full,
        "name": name,
        "total_rows": len(table),
        "offset": offset,
        "rows": records(page),
    }


@router.get(
    "/{run_id}/tables.xlsx",
    responses=documented(404, 422, 503),
    summary="A stored run's tables as one Excel workbook",
)
def get_workbook(request: Request, run_id: str) -> Response:
    """Every table of the run, one sheet each, after a ``run`` sheet with its id, kind,
    network, parameters and summary (the dashboard's "Excel" download)."""
    from chipstress.interfaces.api.workbook import MEDIA_TYPE, workbook_bytes

    with request.app.state.chipstress.store.use() as store:
        full = _resolve(store, run_id)
        about = _run_dict(store, full)
        tables = {name: store.table(full, name) for name in store.run(full).table_names}
    return Response(
        workbook_bytes(tables, about),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{full}.xlsx"'},
    )


@router.delete("/{run_id}", responses=documented(403, 404, 422, 503), summary="Delete a stored run")
def delete_run(request: Request, run_id: str) -> dict[str, str]:
    """Remove a run and all its rows."""
    access = request.app.state.chipstress.store
    with access.use() as store:
        deleted = store.delete(_resolve(store, run_id))
    access.touched()
    return {"deleted": deleted}


@router.get(
    "/{run_id}/report",
    response_class=HTMLResponse,
    responses=documented(400, 401, 404, 422, 500, 503, by_reference=True),
    summary="A run's HTML report",
)
def get_report(request: Request, run_id: str) -> HTMLResponse:
    """One self-contained HTML file (opens offline) for the run."""
    from chipstress.interfaces.report import build_report

    state = request.app.state.chipstress
    with state.store.use() as store:
        full = _resolve(store, run_id)
        fingerprint = store.run(full).fingerprint
    entry = state.registry.by_fingerprint(fingerprint)
    with state.store.use() as store:
        html = build_report(store, full, entry.network if entry is not None else None)
    return HTMLResponse(html)
