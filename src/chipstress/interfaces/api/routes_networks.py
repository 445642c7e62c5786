"""Networks: list, upload and validate, summary, nodes, a node's dependencies and stress, map.

The cheap reads (the list, a summary, the node table, a node's dependencies) depend on
the network alone, which never changes: each is rendered once and then served from
:attr:`~chipstress.interfaces.api.registry.Entry.rendered` on the event loop.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from chipstress.engine import impact, time_to_survive
from chipstress.interfaces.api.convert import number
from chipstress.interfaces.api.errors import ApiError, documented
from chipstress.interfaces.api.models import (
    MAX_PERIODS,
    MIN_PERIODS,
    MapRequest,
    NetworkOut,
    NodeOut,
)
from chipstress.interfaces.api.registry import Entry
from chipstress.interfaces.api.uploads import read_upload
from chipstress.model import BUILTIN_NETWORKS

if TYPE_CHECKING:  # app.py imports this module: no import at run time
    from chipstress.interfaces.api.app import ApiState

__all__ = ["network_out", "node_records", "router"]

router = APIRouter(prefix="/api", tags=["networks"])

NetworkPath = Annotated[
    str,
    Path(description="Network id (a built-in name or an upload's id).", examples=["tri-cluster"]),
]
NodePath = Annotated[str, Path(description="Node id.", examples=["port_hakata"])]

NODE_FIELDS = list(NodeOut.model_fields)
# Rendered answers kept per network (its summary, node table and node details).
MAX_RENDERED = 5000


def _state(request: Request) -> ApiState:
    state: ApiState = request.app.state.chipstress
    return state


async def _entry(request: Request, network_id: str) -> Entry:
    """The network, loaded on a worker thread the first time (a built-in is read then)."""
    registry = _state(request).registry
    entry = registry.loaded(network_id)
    if entry is None:
        entry = await run_in_threadpool(registry.get, network_id)
    return entry


async def _rendered(entry: Entry, key: str, build: Callable[[Entry], Any]) -> bytes:
    """``build(entry)`` as JSON bytes, rendered once per network and kept."""
    body = entry.rendered.get(key)
    if body is None:

        def render() -> bytes:
            return json.dumps(build(entry), allow_nan=False, separators=(",", ":")).encode()

        body = await run_in_threadpool(render)
        if len(entry.rendered) < MAX_RENDERED:  # a huge network keeps its first nodes only
            entry.rendered[key] = body
    return body


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def network_out(entry: Entry) -> dict[str, Any]:
    """A network's headline figures."""
    network = entry.network
    nodes = network.nodes
    located = int((nodes["lat"].notna() & nodes["lon"].notna()).sum())
    return {
        "id": entry.id,
        "name": network.meta.name,
        "source": entry.source,
        "filename": entry.filename,
        "format": entry.format,
        "description": network.meta.description,
        "period": network.meta.period,
        "currency": network.meta.currency,
        "fingerprint": entry.fingerprint,
        "nodes": network.n_nodes,
        "products": len(network.product_ids()),
        "materials": len(network.index.materials),
        "bom_lines": len(network.bom),
        "source_edges": len(network.sources),
        "clusters": {str(k): int(v) for k, v in nodes["cluster"].fillna("").value_counts().items()},
        "kinds": {str(k): int(v) for k, v in nodes["kind"].fillna("").value_counts().items()},
        "located": located,
        "summary": network.summary(),
    }


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def node_records(nodes: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a node table as :class:`NodeOut` mappings."""
    out = []
    for row in nodes.to_dict("records"):
        tier = row.get("tier")
        out.append(
            {
                "id": str(row["id"]),
                **{k: _text(row.get(k)) for k in ("name", "name_zh", "name_ja", "kind")},
                **{k: _text(row.get(k)) for k in ("cluster", "country", "material")},
                "tier": None if tier is None or pd.isna(tier) else int(tier),
                "lat": None if pd.isna(row.get("lat")) else float(row["lat"]),
                "lon": None if pd.isna(row.get("lon")) else float(row["lon"]),
                **{
                    k: number(row.get(k))
                    for k in ("capacity", "inventory", "ttr", "demand", "margin")
                },
            }
        )
    return out


@router.get("/builtins", summary="List the built-in networks")
def list_builtins() -> list[dict[str, str]]:
    """Names of the networks that load with no file."""
    return [{"id": name, "source": "builtin"} for name in BUILTIN_NETWORKS]


@router.get("/networks", response_model=list[NetworkOut], summary="List networks")
async def list_networks(request: Request) -> Response:
    """Built-in and uploaded networks, built-ins first."""
    parts = []
    for network_id in _state(request).registry.ids():
        try:
            entry = await _entry(request, network_id)
        except ApiError:  # deleted meanwhile
            continue
        parts.append(await _rendered(entry, "summary", network_out))
    return _json(b"[" + b",".join(parts) + b"]")


@router.post(
    "/networks",
    status_code=201,
    response_model=NetworkOut,
    summary="Upload and validate a network",
    responses=documented(403, 413, 415, 422),
)
def upload_network(
    request: Request,
    file: Annotated[UploadFile, File()],
    mapping: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """A reference ``.json``, a single-file ``.yaml``, an ``.xlsx`` workbook (or a ``.csv``
    flat sheet) or a ``.zip`` of a network folder.

    A workbook may come with ``mapping``: the JSON of a mapping file, saying which table
    each sheet holds and which column each header names (``{"sheets": {"Suppliers":
    "flat"}, "columns": {"Suppliers": {"Vendor": "supplier"}}}``); without it, both are
    recognised from the names. The network is validated as a whole; on success it gets
    an id (``up-...``) and is kept for the server's life.
    """
    state = _state(request)
    entry = read_upload(
        state.registry,
        file.filename or "",
        file.file,
        state.max_upload_bytes,
        isolate=state.isolate,
        mapping=mapping,
    )
    return network_out(entry)


@router.get(
    "/networks/{network_id}",
    response_model=NetworkOut,
    responses=documented(404, 422),
    summary="A network's summary",
)
async def get_network(request: Request, network_id: NetworkPath) -> Response:
    """Counts of nodes, products, materials, BOM lines and edges; clusters and kinds."""
    entry = await _entry(request, network_id)
    return _json(await _rendered(entry, "summary", network_out))


@router.delete(
    "/networks/{network_id}",
    status_code=204,
    responses=documented(403, 404, 409, 422),
    summary="Forget an uploaded network",
)
def delete_network(request: Request, network_id: NetworkPath) -> Response:
    """Remove an upload (built-ins stay: 409)."""
    _state(request).registry.delete(network_id)
    return Response(status_code=204)


@router.get(
    "/networks/{network_id}/nodes",
    response_model=list[NodeOut],
    responses=documented(404, 422),
    summary="A network's sites",
)
async def list_nodes(request: Request, network_id: NetworkPath) -> Response:
    """Every site with its names (en, zh, ja), kind, cluster, coordinates and figures."""
    entry = await _entry(request, network_id)
    return _json(await _rendered(entry, "nodes", lambda e: node_records(e.network.nodes)))


def _edges(entry: Entry) -> list[list[str]]:
    """Every source edge as ``[supplier, customer]`` (the supplier's material flows along it)."""
    sources = entry.network.sources
    return [[str(s), str(c)] for s, c in zip(sources["supplier"], sources["customer"], strict=True)]


@router.get(
    "/networks/{network_id}/edges",
    responses=documented(404, 422),
    summary="A network's supply edges",
)
async def list_edges(request: Request, network_id: NetworkPath) -> Response:
    """Every qualified source as ``[supplier, customer]``: what the dashboard's network
    explorer draws (with the sites of ``/nodes``: tier, material, kind, cluster)."""
    entry = await _entry(request, network_id)
    return _json(await _rendered(entry, "edges", _edges))


def _walk(start: str, adjacency: dict[str, list[str]]) -> dict[str, int]:
    """Nodes reachable from ``start`` (excluded) with their distance in edges."""
    depth = {start: 0}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for nxt in adjacency.get(node, ()):
            if nxt not in depth:
                depth[nxt] = depth[node] + 1
                todo.append(nxt)
    depth.pop(start)
    return depth


@router.get(
    "/networks/{network_id}/nodes/{node_id}",
    responses=documented(404, 422),
    summary="A site and what depends on it",
)
async def get_node(request: Request, network_id: NetworkPath, node_id: NodePath) -> Response:
    """A site, its direct suppliers and customers, everything upstream and downstream of it
    (with the number of hops), the end products it feeds, and its bill of materials."""
    entry = await _entry(request, network_id)
    key = f"node:{node_id}"
    if key not in entry.rendered:
        entry.node_position(node_id)  # 404 before anything is rendered
    return _json(await _rendered(entry, key, lambda e: _node_detail(e, node_id)))


def _node_detail(entry: Entry, node_id: str) -> dict[str, Any]:
    """What :func:`get_node` sends."""
    position = entry.node_position(node_id)
    network = entry.network
    customers, suppliers = entry.graph()
    info = node_records(network.nodes.iloc[[position]])[0]
    table = network.nodes.set_index("id")
    has_demand = dict(zip(network.nodes["id"], network.index.has_demand, strict=True))

    def listing(depths: dict[str, int]) -> list[dict[str, Any]]:
        rows = [
            {
                "id": node,
                "name": _text(table.at[node, "name"]),
                "kind": _text(table.at[node, "kind"]),
                "cluster": _text(table.at[node, "cluster"]),
                "material": _text(table.at[node, "material"]),
                "depth": depth,
                "product": bool(has_demand[node]),
            }
            for node, depth in depths.items()
        ]
        return sorted(rows, key=lambda r: (r["depth"], r["id"]))

    downstream = listing(_walk(node_id, customers))
    upstream = listing(_walk(node_id, suppliers))
    bom = network.bom[network.bom["node"] == node_id]
    material_of = dict(zip(network.nodes["id"], network.nodes["material"], strict=True))
    direct_suppliers = suppliers.get(node_id, [])
    needs = [
        {
            "material": str(material),
            "quantity": number(quantity),
            "suppliers": [s for s in direct_suppliers if material_of[s] == material],
        }
        for material, quantity in zip(bom["material"], bom["quantity"], strict=True)
    ]
    return {
        "node": info,
        "is_product": bool(has_demand[node_id]),
        "customers": customers.get(node_id, []),
        "suppliers": direct_suppliers,
        "downstream": downstream,
        "upstream": upstream,
        "products_downstream": [r["id"] for r in downstream if r["product"]],
        "needs": needs,
        "period": network.meta.period,
        "currency": network.meta.currency,
    }


@router.get(
    "/networks/{network_id}/nodes/{node_id}/stress",
    responses=documented(404, 422),
    summary="A site's TTS and impact at its TTR",
)
def node_stress(
    request: Request,
    network_id: NetworkPath,
    node_id: NodePath,
    fraction: Annotated[float, Query(gt=0, le=1, allow_inf_nan=False)] = 1.0,
    duration: Annotated[
        float | None,
        Query(ge=MIN_PERIODS, le=MAX_PERIODS, allow_inf_nan=False, description="Default: its TTR."),
    ] = None,
) -> dict[str, Any]:
    """The site's time-to-survive with ``fraction`` of it down, and the lost profit of that
    disruption over ``duration`` periods (default its time to recover)."""
    entry = _state(request).registry.get(network_id)
    position = entry.node_position(node_id)
    network = entry.network
    ttr = float(network.nodes["ttr"].to_numpy(dtype=float)[position])
    window = duration if duration is not None else (ttr if np.isfinite(ttr) and ttr > 0 else None)
    survival = time_to_survive(network, {node_id: fraction})
    out: dict[str, Any] = {
        "node": node_id,
        "fraction": fraction,
        "ttr": number(ttr),
        "tts": number(survival.tts),
        "tts_status": survival.status,
        "binding_products": survival.binding_products,
        "duration": window,
        "duration_source": "given" if duration is not None else ("ttr" if window else None),
        "lost_profit": None,
        "baseline_lost_profit": None,
        "impact_status": None,
        "products": [],
        "exposed": None,
        "period": network.meta.period,
        "currency": network.meta.currency,
        "note": "" if window else "the site has no time to recover (ttr): give a duration",
    }
    if window:
        hit = impact(network, {node_id: fraction}, window)
        base = impact(network, {}, window)
        lost = hit.lost_units[hit.lost_units > 1e-9]
        out.update(
            lost_profit=number(hit.lost_profit),
            baseline_lost_profit=number(base.lost_profit),
            impact_status=hit.status,
            products=[{"product": str(k), "lost_units": number(v)} for k, v in lost.items()],
            exposed=bool(window > survival.tts) if not math.isnan(survival.tts) else None,
        )
    return out


def _map(entry: Entry, values: dict[str, float | None], title: str | None) -> Response:
    unknown = [k for k in values if k not in set(entry.network.nodes["id"])]
    if unknown:
        entry.check_nodes(unknown, "values")
    import plotly.io

    from chipstress.interfaces.figures import site_map

    kwargs: dict[str, Any] = {}
    clean = {k: v for k, v in values.items() if v is not None and math.isfinite(v)}
    if clean:
        kwargs["values"] = pd.Series(clean, dtype=float)
    if title:
        kwargs["value_label"] = title
    figure = site_map(entry.network, **kwargs)
    body = '{"source":"figures","figure":' + plotly.io.to_json(figure, validate=False) + "}"
    return Response(body, media_type="application/json")


@router.get(
    "/networks/{network_id}/map",
    responses=documented(404, 422),
    summary="Map of the sites (plotly figure JSON)",
)
def get_map(request: Request, network_id: NetworkPath) -> Response:
    """The sites on an offline basemap, as a plotly figure (``Plotly.newPlot(div, fig.data,
    fig.layout)``)."""
    return _map(_state(request).registry.get(network_id), {}, None)


@router.post(
    "/networks/{network_id}/map",
    responses=documented(403, 404, 413, 422),
    summary="Map of the sites coloured by values",
)
def post_map(request: Request, network_id: NetworkPath, body: MapRequest) -> Response:
    """The map with each site coloured by ``values[node]`` (e.g. a sweep's risk exposure)."""
    return _map(_state(request).registry.get(network_id), body.values, body.title)


@router.get(
    "/networks/{network_id}/water-districts",
    responses=documented(404, 422),
    summary="Water districts and alert levels",
)
def water_districts(request: Request, network_id: NetworkPath) -> list[dict[str, Any]]:
    """The water districts of the hazard data present in this network, with their alert
    levels (mildest first) and the capacity cut of each."""
    entry = _state(request).registry.get(network_id)
    from chipstress.workflows.hazards import default_parameters

    params = default_parameters()
    ids = set(entry.network.nodes["id"])
    out = []
    for name, district in params.districts.items():
        present = [n for n in district.nodes if n in ids]
        if not present:
            continue
        system = params.water_systems.get(district.system)
        levels = [] if system is None else list(system.levels.values())
        out.append(
            {
                "district": name,
                "nodes": present,
                "system": district.system,
                "system_description": "" if system is None else system.description,
                "levels": [
                    {"level": lv.name, "capacity_cut": lv.capacity_cut, "measure": lv.measure}
                    for lv in levels
                ],
            }
        )
    return out


@router.get("/events", summary="The historical events a replay can use")
def list_events() -> list[dict[str, str]]:
    """The catalogue of historical events (id, name, date, description), for
    ``POST /api/jobs/replay``; see ``docs/hazards.md``."""
    from chipstress.workflows.hazards import catalogue

    return [
        {"id": e.id, "name": e.name, "date": e.date, "description": e.description}
        for e in catalogue().values()
    ]
