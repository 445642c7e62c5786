"""Watching: read uploaded news and feeds once, poll the configured folders, list alerts.

* ``POST /api/news`` — upload text, HTML, RSS/Atom, GeoJSON, JSON or XML files (the
  request body is bounded by the server's body limit, each file by
  :data:`MAX_NEWS_FILE_BYTES`); they are read, costed on a network and ranked by loss,
  in a child process with a time and a memory budget. Nothing is stored. No server path
  can be named: only what is uploaded is read.
* ``POST /api/watch/poll`` — one watcher pass over the folders the server was
  configured with (``$CHIPSTRESS_WATCH_FOLDERS``, separated by ``os.pathsep``, or
  ``app.state.watch_folders``), never URLs: new events are costed, alerts stored (and
  their scenario runs), for the dashboard's Alerts panel.
* ``GET /api/alerts`` and ``GET /api/alerts/{alert_id}`` — stored alerts with their
  evidence, sites, loss and a link to the scenario run's report.

See docs/watch.md, "Watching and alerts".
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from chipstress.interfaces.api.errors import ApiError, documented, not_found
from chipstress.interfaces.api.isolation import (
    IsolationError,
    NoWorkerProcess,
    OutOfMemory,
    OutOfTime,
    run_isolated,
)

if TYPE_CHECKING:
    from chipstress.interfaces.api.app import ApiState
    from chipstress.interfaces.api.registry import Entry
    from chipstress.model import Network

__all__ = ["MAX_NEWS_FILES", "MAX_NEWS_FILE_BYTES", "NEWS_SUFFIXES", "router"]

router = APIRouter(prefix="/api", tags=["watch"])
log = logging.getLogger("chipstress.api")

MAX_NEWS_FILES = 50
MAX_NEWS_FILE_BYTES = 2 * 1024 * 1024
NEWS_SUFFIXES = (
    ".txt", ".text", ".html", ".htm", ".xml", ".rss", ".atom", ".json", ".geojson",
)  # fmt: skip
WORK_SECONDS = 120.0
WORK_MEMORY = 1 << 30
_CHUNK = 1 << 16


def _state(request: Request) -> ApiState:
    state: ApiState = request.app.state.chipstress
    return state


async def _entry(state: ApiState, network_id: str) -> Entry:
    """The network (a built-in is loaded on a worker thread the first time); 404 if unknown."""
    entry = state.registry.loaded(network_id)
    if entry is None:
        entry = await run_in_threadpool(state.registry.get, network_id)
    return entry


def _safe_name(filename: str, index: int) -> str:
    base = Path(filename.replace("\\", "/")).name
    kept = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).strip("._")
    return f"{index:03d}-{kept[-80:] or 'upload'}"


async def _save(upload: UploadFile, target: Path, label: str) -> None:
    """Stream one upload to ``target``: 413 past the per-file limit, 422 when empty."""
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > MAX_NEWS_FILE_BYTES:
                raise ApiError(
                    413,
                    f"{label}: more than {MAX_NEWS_FILE_BYTES:,} bytes (the limit per file)",
                    field="files",
                )
            out.write(chunk)
    if size == 0:
        raise ApiError(422, f"{label}: the file is empty", field="files")


def _news_work(folder: str, network: Network, names: dict[str, str]) -> dict[str, Any]:
    """Read a folder of uploads, cost and rank its events (runs in a child process)."""
    from chipstress.workflows.watch.costing import cost_events, event_record
    from chipstress.workflows.watch.watcher import read_sources

    read = read_sources([folder], network)
    costed = cost_events(read.events, network)

    def public(text: str) -> str:  # server paths -> the uploaded file names
        for stored, original in names.items():
            text = text.replace(stored, original)
        return text.replace(folder + os.sep, "").replace(folder, "upload")

    events = []
    for rank, item in enumerate(costed, start=1):
        record = event_record(item, rank)
        for evidence in record["evidence"]:
            evidence["source"] = public(str(evidence["source"]))
            evidence["item_id"] = public(str(evidence["item_id"]))
        events.append(record)
    return {
        "network": network.meta.name,
        "currency": network.meta.currency,
        "period": network.meta.period,
        "items_read": read.items_read,
        "items_rejected": read.items_rejected,
        "errors": [{"source": public(e.source), "message": public(e.message)} for e in read.errors],
        "events": events,
    }


def public_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """An alert for API clients: evidence read from files names the file, not its folder
    on the server (feed URLs are kept)."""
    for evidence in alert.get("evidence", []):
        source = str(evidence.get("source") or "")
        if source and "://" not in source:
            name = Path(source).name or source
            evidence["source"] = name
            evidence["item_id"] = str(evidence.get("item_id") or "").replace(source, name)
    return alert


def _isolated(state: ApiState, func: Any, args: tuple[Any, ...], what: str) -> Any:
    """``func(*args)`` in a child process with a time and memory budget (or inline)."""
    if not state.isolate:
        return func(*args)
    try:
        return run_isolated(func, args, timeout=WORK_SECONDS, memory_bytes=WORK_MEMORY)
    except NoWorkerProcess as error:
        log.warning("%s on the server's thread: %s", what, error)
        return func(*args)
    except OutOfTime:
        raise ApiError(422, f"{what} took longer than {WORK_SECONDS:g} s") from None
    except OutOfMemory:
        raise ApiError(413, f"{what} needs more than {WORK_MEMORY >> 20:,} MB of memory") from None
    except IsolationError as error:
        raise ApiError(422, f"{what} failed ({error})") from None


@router.post(
    "/news",
    responses=documented(403, 404, 413, 415, 422),
    summary="Read uploaded news and feeds once: events ranked by loss",
)
async def post_news(
    request: Request,
    files: Annotated[list[UploadFile], File(description="News, pages and feed files.")],
    network: Annotated[str, Form(description="Network id (built-in or upload).")] = "tri-cluster",
) -> dict[str, Any]:
    """Read the uploaded files (text, HTML, RSS/Atom, GeoJSON, JSON, XML), turn what they
    report into events on the network, cost each (loss in the network's currency,
    time-to-survive in its periods) and rank them by loss. Each event comes with its
    evidence sentences, sites hit, loss components and timeline. Nothing is stored."""
    state = _state(request)
    entry = await _entry(state, network)
    if not files:
        raise ApiError(422, "upload at least one file", field="files")
    if len(files) > MAX_NEWS_FILES:
        raise ApiError(422, f"at most {MAX_NEWS_FILES} files per request", field="files")
    folder = Path(tempfile.mkdtemp(prefix="chipstress-news-"))
    try:
        names: dict[str, str] = {}
        for index, upload in enumerate(files):
            original = upload.filename or f"file {index + 1}"
            if Path(original).suffix.lower() not in NEWS_SUFFIXES:
                raise ApiError(
                    415,
                    f"{original}: not a news or feed file (accepted: {', '.join(NEWS_SUFFIXES)})",
                    field="files",
                )
            stored = _safe_name(original, index)
            names[str(folder / stored)] = original
            names[stored] = original
            await _save(upload, folder / stored, original)
        return await run_in_threadpool(
            _isolated, state, _news_work, (str(folder), entry.network, names), "reading the news"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class PollRequest(BaseModel):
    """One watcher pass over the server's configured folders."""

    network: str = Field("tri-cluster", description="Network id (built-in or upload).")
    min_loss: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Alert at a loss of at least this (currency)."
    )
    max_tts: float | None = Field(
        None, ge=0, description="Alert at a time-to-survive of at most this (periods)."
    )


def watch_folders(request: Request) -> list[str]:
    """The folders ``POST /api/watch/poll`` reads: ``app.state.watch_folders`` or
    ``$CHIPSTRESS_WATCH_FOLDERS`` (``os.pathsep``-separated); URLs are dropped."""
    configured = getattr(request.app.state, "watch_folders", None)
    if configured is None:
        configured = [p for p in os.environ.get("CHIPSTRESS_WATCH_FOLDERS", "").split(os.pathsep)]
    return [str(p) for p in configured if str(p).strip() and "://" not in str(p)]


def _poll_work(
    location: str,
    network: Network,
    folders: list[str],
    min_loss: float | None,
    max_tts: float | None,
) -> dict[str, Any]:
    """One watcher pass (runs in a child process); the pass report as JSON data."""
    from chipstress.store import ResultsStore
    from chipstress.workflows.watch.alerts import Threshold
    from chipstress.workflows.watch.watcher import Watcher

    with ResultsStore(location) as store:
        watcher = Watcher(folders, network, store, threshold=Threshold(min_loss, max_tts))
        report = watcher.poll()
    out = report.to_dict()
    out["alerts"] = [public_alert(alert) for alert in out["alerts"]]
    known = [(folder, "watch folder") for folder in folders]
    for error in out["source_errors"]:
        for path, label in known:
            error["source"] = str(error["source"]).replace(path, label)
            error["message"] = str(error["message"]).replace(path, label)
    return out


@router.post(
    "/watch/poll",
    responses=documented(403, 404, 409, 422, 503),
    summary="Run one watcher pass over the configured folders",
)
async def post_poll(request: Request, body: PollRequest | None = None) -> dict[str, Any]:
    """Read the server's watch folders once, cost the events not seen before on the
    network, and store an alert for each that hits a site above the threshold (with its
    scenario run). Returns the pass: items, events, alerts, errors. 409 when the server
    has no watch folders (``$CHIPSTRESS_WATCH_FOLDERS``)."""
    body = body or PollRequest.model_validate({})
    state = _state(request)
    folders = watch_folders(request)
    if not folders:
        raise ApiError(
            409,
            "the server watches no folders: start it with CHIPSTRESS_WATCH_FOLDERS set",
        )
    entry = await _entry(state, body.network)
    with state.store.use():  # 503 now, not in the child, when the database is unavailable
        pass
    args = (state.store.location, entry.network, folders, body.min_loss, body.max_tts)
    report = await run_in_threadpool(_isolated, state, _poll_work, args, "the watch pass")
    state.store.touched()
    return dict(report)


@router.get("/alerts", responses=documented(422, 503), summary="Stored alerts, newest first")
def list_alerts(
    request: Request,
    network: Annotated[str | None, Query(description="Only this network's alerts.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Alerts raised by ``chipstress watch`` or ``POST /api/watch/poll``: hazard, title,
    loss (currency), time-to-survive (periods, ``"Infinity"`` = forever), sites,
    evidence sentences, deliveries, and ``report``: the scenario run's report."""
    from chipstress.store.watch import WatchStore

    with _state(request).store.use() as store:
        total, alerts = WatchStore(store).alerts(network, limit, offset)
    return {"total": total, "offset": offset, "alerts": [public_alert(a) for a in alerts]}


@router.get("/alerts/{alert_id}", responses=documented(404, 422, 503), summary="One stored alert")
def get_alert(request: Request, alert_id: str) -> dict[str, Any]:
    """One alert in full: evidence, sites, loss components, timeline, deliveries."""
    from chipstress.store.watch import WatchStore

    with _state(request).store.use() as store:
        alert = WatchStore(store).alert(alert_id)
    if alert is None:
        raise not_found("alert", alert_id, field="alert_id")
    return public_alert(alert)
