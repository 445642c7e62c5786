"""The FastAPI application: :func:`create_app` wires the routers, the guard and the state."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from chipstress import __version__
from chipstress.interfaces.api.errors import (
    COMMON_CODES,
    CatchAllMiddleware,
    documented,
    install_handlers,
)
from chipstress.interfaces.api.jobs import JobManager
from chipstress.interfaces.api.registry import NetworkRegistry
from chipstress.interfaces.api.routes_jobs import router as jobs_router
from chipstress.interfaces.api.routes_networks import router as networks_router
from chipstress.interfaces.api.routes_runs import router as runs_router
from chipstress.interfaces.api.security import GuardMiddleware
from chipstress.interfaces.api.storage import StoreAccess

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "ApiState", "create_app"]

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_BODY_LIMIT = 5 * 1024 * 1024
STATIC = Path(str(resources.files("chipstress.interfaces.api").joinpath("static")))
LABELS = Path(str(resources.files("chipstress.interfaces.api").joinpath("data", "labels.json")))


@dataclass
class ApiState:
    """Everything the routes share: networks, jobs, the results store and the limits."""

    registry: NetworkRegistry
    jobs: JobManager
    store: StoreAccess
    max_upload_bytes: int
    max_simulation_years: int
    token_required: bool
    isolate: bool = True


@cache
def _plotly_js() -> Path:
    # The vendored basic bundle (scatter, bar, pie): every trace the dashboard draws.
    from chipstress.interfaces.figures.plotlyjs import plotly_js_path

    return plotly_js_path()


@cache
def _labels() -> dict[str, Any]:
    return json.loads(LABELS.read_text(encoding="utf-8"))


def create_app(
    db: str | Path | None = None,
    token: str | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    workers: int = 2,
    *,
    allowed_hosts: list[str] | None = None,
    max_simulation_years: int = 100_000,
    isolate: bool = True,
) -> FastAPI:
    """The chipstress HTTP API and dashboard.

    Parameters
    ----------
    db
        Results database: a DuckDB file or a ``postgresql://`` URL (default
        ``$CHIPSTRESS_DB`` or ``results.duckdb`` in the user's data directory).
    token
        When set, every request must carry ``Authorization: Bearer <token>``.
    max_upload_bytes
        Largest network upload accepted (413 above it).
    workers
        Jobs that run at once (each in a child process); more wait in the queue.
    allowed_hosts
        Accepted ``Host`` headers (protects a token-less local server from DNS
        rebinding); ``None`` accepts any.
    max_simulation_years
        Largest simulation one job may ask for.
    isolate
        Compute jobs and read uploads in child processes (with a time and a memory
        budget for uploads), so the server keeps answering; False runs them on the
        server's threads (for debugging).
    """
    registry = NetworkRegistry()
    store = StoreAccess(None if db is None else str(db))
    jobs = JobManager(workers, store.save, processes=isolate)
    state = ApiState(
        registry,
        jobs,
        store,
        int(max_upload_bytes),
        int(max_simulation_years),
        bool(token),
        isolate=isolate,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()
        store.close()
        registry.close()

    app = FastAPI(
        title="chipstress",
        version=__version__,
        description=(
            "Stress-test multi-tier semiconductor supply networks: upload or pick a network, "
            "run sweeps, what-ifs, hazard replays and simulations as background jobs, and "
            "fetch stored runs. Times are in the network's periods, money in its currency; a "
            'time-to-survive of "forever" is the string "Infinity".'
        ),
        docs_url=None,  # Swagger UI loads from a CDN; the schema is at /openapi.json
        redoc_url=None,
        lifespan=lifespan,
        responses=documented(*COMMON_CODES),
    )
    app.state.chipstress = state
    install_handlers(app)
    app.add_middleware(
        GuardMiddleware,
        token=token,
        upload_limit=int(max_upload_bytes),
        body_limit=max(DEFAULT_BODY_LIMIT, 0),
    )
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(CatchAllMiddleware)  # outermost: nothing escapes to the server
    app.include_router(networks_router)
    app.include_router(jobs_router)
    app.include_router(runs_router)
    from chipstress.interfaces.api.routes_explain import router as explain_router

    app.include_router(explain_router)
    from chipstress.interfaces.api.routes_watch import router as watch_router

    app.include_router(watch_router)
    _add_meta_routes(app)
    return app


def _add_meta_routes(app: FastAPI) -> None:
    @app.get("/api/health", tags=["meta"], summary="Server status and optional modules")
    def health(request: Request) -> dict[str, Any]:
        """Version, where runs are stored, and which optional modules are installed."""
        state: ApiState = request.app.state.chipstress
        return {
            "status": "ok",
            "version": __version__,
            "store": state.store.describe(),
            "token_required": state.token_required,
            "max_upload_bytes": state.max_upload_bytes,
            "job_workers": state.jobs.workers,
            "modules": {
                # every module ships with the package (kept for older dashboards)
                "hazards": True,
                "simulation": True,
                "report": True,
                "figures": True,
            },
        }

    @app.get("/api/labels", tags=["meta"], summary="Label tables (en, zh-Hant, ja)")
    def labels() -> dict[str, Any]:
        """Names of the clusters, kinds and dashboard texts in English, Traditional Chinese
        and Japanese."""
        return _labels()

    @app.get("/api/hazards/catalogue", tags=["hazards"], summary="Historical events to replay")
    def hazard_catalogue() -> list[dict[str, Any]]:
        """The catalogue of historical disruptions: id, name, date, description, sources."""
        from chipstress.workflows.hazards import catalogue, default_parameters

        entries = catalogue(default_parameters())
        return [
            {
                "id": e.id,
                "name": e.name,
                "date": e.date,
                "description": e.description,
                "sources": list(e.sources),
                "events": [getattr(ev, "type", "") for ev in e.events],
            }
            for e in entries.values()
        ]

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(
            (STATIC / "index.html").read_text(encoding="utf-8"),
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return FileResponse(_plotly_js(), media_type="text/javascript")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
