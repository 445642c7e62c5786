"""The site map: every located site on an offline basemap, coloured and sized by a value.

The sites of a multi-region network are far apart (Taiwan, Kyushu, Arizona and their
suppliers in Europe), so the map is an overview centred on the widest empty stretch of
longitude (the Pacific for the tri-cluster network: longitudes are unwrapped, so
Arizona sits east of Japan) plus one detail panel per region where sites crowd
together. Outlines come from :mod:`chipstress.interfaces.figures.basemap`; nothing is
fetched from a tile server or CDN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from chipstress.interfaces.figures import _style as st
from chipstress.interfaces.figures.basemap import Window, coastlines, land, lines
from chipstress.model.network import Network

__all__ = ["Region", "find_regions", "site_map"]


@dataclass(frozen=True)
class Region:
    """A detail panel of the map: a title and a lon/lat window (degrees, lon unwrapped)."""

    title: str
    window: Window


def _unwrap(lon: np.ndarray) -> np.ndarray:
    """Longitudes shifted by ±360° so the widest empty stretch between sites is outside.

    The smaller side of the cut moves, so most sites keep their true longitude (for the
    tri-cluster network Arizona moves from -112° to 248°, east of Japan).
    """
    finite = np.sort(np.unique(lon[np.isfinite(lon)]))
    if len(finite) < 2:
        return lon.astype(float, copy=True)
    gaps = np.diff(np.append(finite, finite[0] + 360.0))
    widest = int(np.argmax(gaps))
    if widest == len(finite) - 1:  # the widest gap already wraps around: nothing to do
        return lon.astype(float, copy=True)
    cut = finite[widest] + gaps[widest] / 2.0
    west_side = np.sum(lon <= cut)
    if west_side <= np.sum(lon > cut):
        return np.where(lon <= cut, lon + 360.0, lon)
    return np.where(lon > cut, lon - 360.0, lon)


def _degree_ticks(low: float, high: float, axis: str, span: float) -> tuple[list[float], list[str]]:
    """Ticks like ``120°E``/``112°W``/``25°N`` from ``low`` to ``high``, about 6 per ``span``."""
    steps = (0.25, 0.5, 1, 2, 5, 10, 15, 30, 45, 60, 90)
    step = next((s for s in steps if span / s <= 5), 90)
    first = math.ceil(low / step) * step
    values = [first + i * step for i in range(int((high - first) / step) + 1)]
    labels = []
    for value in values:
        if axis == "lon":
            real = (value + 180.0) % 360.0 - 180.0
            hemi = "E" if real > 0 else "W" if real < 0 else ""
        else:
            real = value
            hemi = "N" if real > 0 else "S" if real < 0 else ""
        digits = 0 if step >= 1 else 2 if step < 0.5 else 1
        labels.append(f"{abs(real):.{digits}f}°{hemi}")
    return [float(v) for v in values], labels


def _groups(lon: np.ndarray, lat: np.ndarray, link: float) -> list[np.ndarray]:
    """Single-linkage groups of points closer than ``link`` degrees (union-find)."""
    n = len(lon)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    scale = math.cos(math.radians(float(np.nanmean(lat)))) if n else 1.0
    for i in range(n):
        near = np.flatnonzero(
            np.hypot((lon[i + 1 :] - lon[i]) * scale, lat[i + 1 :] - lat[i]) < link
        )
        for j in near + i + 1:
            a, b = find(i), find(int(j))
            if a != b:
                parent[b] = a
    roots = np.array([find(i) for i in range(n)])
    return [np.flatnonzero(roots == r) for r in dict.fromkeys(roots.tolist())]


def find_regions(
    nodes: pd.DataFrame, panels: int = 3, link: float = 1.5, max_span: float = 12.0
) -> list[Region]:
    """Up to ``panels`` detail windows where located sites crowd together.

    Sites closer than ``link`` degrees are grouped; the groups with the most end-product
    sites (``demand`` > 0), then the most sites (at least 3), become panels, each widened to hold every site of its main cluster when that
    keeps it under ``max_span`` degrees (so Arizona's panel takes in the Los Angeles
    ports). Titles name the country and clusters. Longitudes are unwrapped as on the map.

    Parameters
    ----------
    nodes
        The network's nodes (``lat``, ``lon`` in degrees; ``country``, ``cluster``).
    panels
        The most detail windows returned.
    link
        Sites closer than this (degrees) are grouped.
    max_span
        The widest a widened panel may be (degrees).

    Returns
    -------
    list of Region
        The windows, the most crowded first.
    """
    located = nodes[nodes["lat"].notna() & nodes["lon"].notna()].reset_index(drop=True)
    if len(located) < 3 or panels <= 0:
        return []
    lon = _unwrap(located["lon"].to_numpy(dtype=float))
    lat = located["lat"].to_numpy(dtype=float)
    # Clusters of end-product sites first (fabs, packaging), then the most crowded.
    sells = located["demand"].fillna(0).to_numpy(dtype=float) > 0 if "demand" in located else None
    groups = sorted(
        _groups(lon, lat, link),
        key=lambda g: (int(sells[g].sum()) if sells is not None else 0, len(g)),
        reverse=True,
    )
    regions: list[Region] = []
    for members in groups[:panels]:
        if len(members) < 3:
            break
        chosen = set(members.tolist())
        clusters = located["cluster"].iloc[members].fillna("").astype(str)
        main = clusters[clusters != ""].mode()
        if len(main):
            same = np.flatnonzero(located["cluster"].fillna("").astype(str) == main.iloc[0])
            wider = sorted(chosen | set(same.tolist()))
            if np.ptp(lon[wider]) <= max_span and np.ptp(lat[wider]) <= max_span:
                chosen = set(wider)
        pick = sorted(chosen)
        west, east = float(lon[pick].min()), float(lon[pick].max())
        south, north = float(lat[pick].min()), float(lat[pick].max())
        pad_x = max(0.35, 0.12 * (east - west))
        pad_y = max(0.35, 0.12 * (north - south))
        window = Window(west - pad_x, east + pad_x, south - pad_y, north + pad_y)
        countries = located["country"].iloc[pick].dropna().astype(str)
        country = countries.mode().iloc[0] if len(countries.mode()) else ""
        names = [c for c in located["cluster"].iloc[pick].fillna("").astype(str) if c]
        ordered = [str(c) for c, _ in pd.Series(names).value_counts().items()][:4] if names else []
        title = (
            f"{country}: {', '.join(ordered)}"
            if country and ordered
            else (country or ", ".join(ordered))
        )
        regions.append(Region(title or f"region {len(regions) + 1}", window))
    return regions


def _overview_window(lon: np.ndarray, lat: np.ndarray) -> Window:
    west, east = float(np.min(lon)), float(np.max(lon))
    south, north = float(np.min(lat)), float(np.max(lat))
    pad_x = max(6.0, 0.06 * (east - west))
    pad_y = max(5.0, 0.15 * (north - south))
    return Window(west - pad_x, east + pad_x, max(-75.0, south - pad_y), min(85.0, north + pad_y))


def _axis_names(index: int) -> tuple[str, str]:
    suffix = "" if index == 1 else str(index)
    return f"x{suffix}", f"y{suffix}"


def _basemap_traces(window: Window, resolution: str, xaxis: str, yaxis: str) -> list[go.Scatter]:
    """Land, lakes, coastlines and borders of a window as scatter traces (no hover)."""
    # Draw a generous margin beyond the window: equal-scale axes may show more than asked.
    span_x, span_y = window.east - window.west, window.north - window.south
    margin = min(90.0, 0.6 * max(span_x, span_y))
    view = Window(
        window.west - margin,
        window.east + margin,
        max(-89.0, window.south - margin),
        min(89.0, window.north + margin),
    ).rounded(1.0 if resolution == "c" else 0.5)
    min_area = 0.0 if resolution != "c" else 2000.0  # crude: leave out the smallest specks
    (land_x, land_y), (lake_x, lake_y) = land(view, resolution, min_area)
    coast_x, coast_y = coastlines(view, resolution, min_area)
    common = {"xaxis": xaxis, "yaxis": yaxis, "hoverinfo": "skip", "showlegend": False}
    traces = [
        go.Scatter(
            x=land_x, y=land_y, fill="toself", fillcolor=st.LAND, mode="none", name="land", **common
        ),
        go.Scatter(
            x=lake_x, y=lake_y, fill="toself", fillcolor=st.SEA, mode="none", name="lakes", **common
        ),
    ]
    if resolution != "c":
        state_x, state_y = lines(view, "states", "l")
        traces.append(
            go.Scatter(
                x=state_x,
                y=state_y,
                mode="lines",
                line={"color": st.STATE, "width": 0.6},
                name="states",
                **common,
            )
        )
    border_x, border_y = lines(view, "countries", resolution if resolution != "i" else "l")
    traces.append(
        go.Scatter(
            x=border_x,
            y=border_y,
            mode="lines",
            line={"color": st.BORDER, "width": 0.8, "dash": "dot"},
            name="borders",
            **common,
        )
    )
    traces.append(
        go.Scatter(
            x=coast_x,
            y=coast_y,
            mode="lines",
            line={"color": st.COAST, "width": 0.8},
            name="coastline",
            **common,
        )
    )
    return traces


def site_map(
    network: Network,
    values: Mapping[str, float] | pd.Series | None = None,
    *,
    value_label: str = "value",
    log_color: bool | None = None,
    panels: int = 3,
    regions: Sequence[Region] | None = None,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Every located site on an offline basemap, coloured and sized by ``values``.

    Parameters
    ----------
    network
        Sites come from ``network.nodes`` (``lat``/``lon`` in degrees; sites without
        coordinates are left out and counted in the title).
    values
        Node id -> number (risk exposure index, lost profit in currency, ...). Sites
        with no value or a value <= 0 are drawn small and grey.
    value_label
        What the values are, with their unit, for the colour bar and hover.
    log_color
        Colour by ``log10(value)``; ``None`` decides from the data (more than 100× spread).
    panels
        Detail panels to add under the overview (found with :func:`find_regions`).
    regions
        Explicit detail panels instead of the automatic ones (longitudes in degrees,
        -180..180 or unwrapped).
    title, height
        Figure title (default names the network and the value) and height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        Per panel (overview first) the basemap traces ``land``, ``lakes``, (``states``),
        ``borders``, ``coastline``, then ``sites without value`` (grey) and ``sites``
        (coloured through ``layout.coloraxis``). Site traces carry the node id in
        ``customdata[i][0]`` for click handlers. Axes are longitude/latitude in degrees,
        equal scale corrected for latitude; overview longitudes are unwrapped (see
        :func:`find_regions`) and labelled with their true values.
    """
    nodes = network.nodes.reset_index(drop=True)
    raw = st.as_values(values, nodes["id"].astype(str))
    located_mask = nodes["lat"].notna().to_numpy() & nodes["lon"].notna().to_numpy()
    located = nodes[located_mask].reset_index(drop=True)
    vals = raw[located_mask]
    missing = int((~located_mask).sum())

    fig = go.Figure()
    heading = title
    if heading is None:
        heading = f"Sites of {network.meta.name}"
        heading += f" by {value_label}" if values is not None else ""
    if missing:
        heading += (
            f" <span style='font-size:12px;color:#6b7280'>({missing} site(s) without "
            "coordinates not shown)</span>"
        )
    if located.empty:
        fig.add_annotation(
            text="No site of this network has coordinates (lat/lon): nothing to map.",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        fig.update_layout(
            title={"text": heading},
            height=height or 300,
            xaxis={"visible": False},
            yaxis={"visible": False},
        )
        return _finish(fig)

    lon = _unwrap(located["lon"].to_numpy(dtype=float))
    lat = located["lat"].to_numpy(dtype=float)
    overview = _overview_window(lon, lat)
    if regions is None:
        chosen = find_regions(located, panels)
    else:
        chosen = [_into(region, overview) for region in regions]
    scale = st.value_scale(vals, log_color)

    n_panels = len(chosen)
    top = 0.56 if n_panels else 1.0  # share of the height the overview takes
    gap = 0.035
    width = (1.0 - gap * max(0, n_panels - 1)) / max(1, n_panels)
    domains = [((0.0, 1.0), (1.0 - top + (0.08 if n_panels else 0.0), 1.0))]
    for k in range(n_panels):
        x0 = k * (width + gap)
        domains.append(((x0, x0 + width), (0.0, 1.0 - top - 0.03)))

    for k, (region, (xdom, ydom)) in enumerate(
        zip([Region("", overview), *chosen], domains, strict=True), start=1
    ):
        xname, yname = _axis_names(k)
        for trace in _basemap_traces(region.window, "c" if k == 1 else "l", xname, yname):
            fig.add_trace(trace)
        w = region.window
        inside = (lon >= w.west) & (lon <= w.east) & (lat >= w.south) & (lat <= w.north)
        _add_sites(
            fig,
            located[inside],
            lon[inside],
            lat[inside],
            vals[inside],
            scale,
            value_label,
            (xname, yname),
        )
        _style_axes(fig, k, w, xdom, ydom)
        if k > 1:
            _label_panel(fig, k, region, xdom, ydom)
    _legend_symbols(fig, located)
    fig.update_layout(
        title={"text": heading},
        height=height or (780 if n_panels else 460),
        coloraxis={
            "colorscale": st.COLORSCALE,
            "cmin": scale.cmin,
            "cmax": scale.cmax,
            "colorbar": {
                "title": {"text": value_label, "side": "right"},
                "tickvals": scale.tickvals,
                "ticktext": scale.ticktext,
                "len": top * 0.9,
                "y": 1.0,
                "yanchor": "top",
                "thickness": 12,
            },
        },
        plot_bgcolor=st.SEA,
        legend={
            "orientation": "h",
            "y": 1.0 - top + 0.065 if n_panels else -0.06,
            "yanchor": "top",
            "x": 0.0,
            "font": {"size": 11},
        },
        hoverlabel={"align": "left"},
    )
    return _finish(fig)


def _into(region: Region, overview: Window) -> Region:
    """A region moved by ±360° of longitude into the overview's unwrapped range."""
    w = region.window
    centre = (w.west + w.east) / 2
    for shift in (0.0, 360.0, -360.0, 720.0):
        if overview.west <= centre + shift <= overview.east:
            break
    else:
        shift = 0.0
    return Region(region.title, Window(w.west + shift, w.east + shift, w.south, w.north))


def _style_axes(
    fig: go.Figure, k: int, w: Window, xdom: tuple[float, float], ydom: tuple[float, float]
) -> None:
    """Equal-scale lon/lat axes for panel ``k`` with degree labels."""
    xname, yname = _axis_names(k)
    span = max(w.east - w.west, w.north - w.south)
    # Equal-scale axes show more than the window in one direction: space ticks for that.
    lon_span = w.east - w.west if k == 1 else 1.2 * span
    lat_span = w.north - w.south if k == 1 else 1.2 * span
    lon_ticks = _degree_ticks(w.west - span, w.east + span, "lon", lon_span)
    lat_ticks = _degree_ticks(
        max(-90.0, w.south - span), min(90.0, w.north + span), "lat", lat_span
    )
    axis = {
        "showgrid": True,
        "gridcolor": st.GRID,
        "gridwidth": 0.5,
        "zeroline": False,
        "showline": True,
        "linecolor": "#c9cdd2",
        "mirror": True,
        "tickfont": {"size": 9, "color": "#8a939c"},
        "fixedrange": False,
    }
    mid = math.cos(math.radians((w.south + w.north) / 2))
    suffix = "" if k == 1 else str(k)
    fig.layout[f"xaxis{suffix}"] = {
        **axis,
        "domain": list(xdom),
        "range": [w.west, w.east],
        "anchor": yname,
        "tickvals": lon_ticks[0],
        "ticktext": lon_ticks[1],
    }
    fig.layout[f"yaxis{suffix}"] = {
        **axis,
        "domain": list(ydom),
        "range": [w.south, w.north],
        "anchor": xname,
        "scaleanchor": xname,
        "scaleratio": 1.0 / max(mid, 0.2),
        "tickvals": lat_ticks[0],
        "ticktext": lat_ticks[1],
    }


def _label_panel(
    fig: go.Figure, k: int, region: Region, xdom: tuple[float, float], ydom: tuple[float, float]
) -> None:
    """Title a detail panel and outline its window, with the same letter, on the overview."""
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(k - 2) % 26]
    w = region.window
    # Two short lines (country, then clusters): panels sit side by side and may be narrow.
    head, _, rest = region.title.partition(": ")
    detail = f"<br><span style='font-size:10px'>{rest}</span>" if rest else ""
    fig.add_annotation(
        text=f"<b>{letter}</b>  {head}{detail}",
        x=xdom[0],
        y=ydom[1],
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"size": 12, "color": "#374151"},
    )
    fig.add_shape(
        type="rect",
        x0=w.west,
        x1=w.east,
        y0=w.south,
        y1=w.north,
        xref="x",
        yref="y",
        line={"color": "#4b5563", "width": 1, "dash": "dot"},
        fillcolor="rgba(0,0,0,0)",
        layer="above",
    )
    fig.add_annotation(
        text=f"<b>{letter}</b>",
        x=w.west,
        y=w.north,
        xref="x",
        yref="y",
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
        font={"size": 11, "color": "#374151"},
    )


def _add_sites(
    fig: go.Figure,
    sites: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    vals: np.ndarray,
    scale: st.ValueScale,
    value_label: str,
    axes: tuple[str, str],
) -> None:
    """Two traces: ``sites without value`` (small, grey) and ``sites`` (coloured, sized)."""
    if sites.empty:
        return
    order = np.argsort(np.nan_to_num(vals, nan=-1.0), kind="stable")  # largest on top
    sites, lon, lat, vals = sites.iloc[order], lon[order], lat[order], vals[order]
    hover = [
        f"{st.node_label(record)}<br>{value_label}: <b>{_value_text(value)}</b>"
        for record, value in zip(sites.to_dict("records"), vals, strict=True)
    ]
    positive = np.isfinite(vals) & (vals > 0)
    symbols = np.array([st.KIND_SYMBOLS.get(str(k), "circle") for k in sites["kind"]], dtype=object)
    ids = np.array([[str(i)] for i in sites["id"]], dtype=object).reshape(-1, 1)
    hover_arr = np.array(hover, dtype=object)
    for name, mask in (("sites without value", ~positive), ("sites", positive)):
        if not mask.any():
            continue
        marker: dict[str, object] = {
            "symbol": symbols[mask].tolist(),
            "line": {"color": "#ffffff", "width": 0.7},
        }
        if name == "sites":
            marker.update(
                color=np.round(scale.color(vals[mask]), 6).tolist(),
                coloraxis="coloraxis",
                size=np.round(scale.size(vals[mask], 8.0, 24.0), 1).tolist(),
                opacity=0.95,
            )
        else:
            marker.update(color=st.ZERO_COLOR, size=6, opacity=0.8)
        fig.add_trace(
            go.Scatter(
                x=np.round(lon[mask], 4).tolist(),
                y=np.round(lat[mask], 4).tolist(),
                mode="markers",
                name=name,
                showlegend=False,
                xaxis=axes[0],
                yaxis=axes[1],
                customdata=ids[mask].tolist(),
                hovertext=hover_arr[mask].tolist(),
                hoverinfo="text",
                marker=marker,
            )
        )


def _value_text(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return st.compact(value) if abs(value) >= 1000 else f"{value:.4g}"


def _legend_symbols(fig: go.Figure, nodes: pd.DataFrame) -> None:
    """Legend entries explaining the marker symbol of each kind of site."""
    for kind in sorted(set(nodes["kind"].astype(str))):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=kind,
                hoverinfo="skip",
                marker={
                    "symbol": st.KIND_SYMBOLS.get(kind, "circle"),
                    "color": "#6b7280",
                    "size": 9,
                },
            )
        )


def _finish(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        font={"family": st.FONT, "size": 12, "color": "#1f2937"},
        paper_bgcolor="#ffffff",
        margin={"l": 40, "r": 20, "t": 50, "b": 30},
        dragmode="pan",
    )
    return fig
