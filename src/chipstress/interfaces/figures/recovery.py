"""The recovery chart of an event run: capacity and service level over time, loss per period.

Drawn from the ``timeline`` table of a replay, scenario or outage run (one row per run
period: ``period``, ``start``, ``end``, ``capacity``, ``service_level``, ``lost_profit``;
see docs/hazards.md) and optionally its ``timeline_nodes`` table (one row per period and
node hit: ``period``, ``node``, ``capacity``, ``stock``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from chipstress.interfaces.figures import _style as st
from chipstress.interfaces.figures.charts import empty_chart, finish_chart

__all__ = ["CAPACITY", "LOST_PROFIT", "SERVICE_LEVEL", "recovery_chart", "run_period"]

CAPACITY = "capacity of the sites hit"
SERVICE_LEVEL = "service level"
LOST_PROFIT = "lost profit"
_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
_SERVICE_COLOR = "#0e7490"
_NODE_COLORS = ("#7c3aed", "#b45309", "#be185d", "#15803d", "#4338ca", "#a16207")


def run_period(period: str, period_length: float | None) -> tuple[str, float]:
    """The name of a run's period and its length in the network's periods.

    Parameters
    ----------
    period
        The network's period (``network.meta.period``: ``day``, ``week``, ``month`` …).
    period_length
        Network periods per run period (the run summary's ``period_length``, e.g.
        1/7 for days on a weekly network); ``None``: the network's period.

    Returns
    -------
    tuple of (str, float)
        The run period's name in the singular (``day``, ``week``, … when the length is
        one of those, else ``period``) and ``period_length`` (1.0 when ``None``).
    """
    length = 1.0 if period_length is None or not period_length > 0 else float(period_length)
    days = _DAYS.get(period)
    if days is None:
        return (period if math.isclose(length, 1.0) else "period"), length
    for name, size in _DAYS.items():
        if math.isclose(length * days, size, rel_tol=1e-6):
            return name, length
    return "period", length


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def _edges(frame: pd.DataFrame, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each period, in run periods since the start of the first event."""
    period = _column(frame, "period")
    start, end = _column(frame, "start") / length, _column(frame, "end") / length
    start = np.where(np.isfinite(start), start, period - 1)
    end = np.where(np.isfinite(end), end, start + 1)
    return start, end


def _steps(
    start: np.ndarray, end: np.ndarray, values: np.ndarray
) -> tuple[list[float], list[float]]:
    """A step line: each value held from its period's start to its end."""
    if not len(values):
        return [], []
    x = [*start.tolist(), float(end[-1])]
    y = [*values.tolist(), float(values[-1])]
    return x, y


def recovery_chart(
    timeline: pd.DataFrame,
    *,
    nodes: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    period: str = "week",
    period_length: float | None = None,
    currency: str = "",
    max_nodes: int = 6,
    title: str | None = None,
    height: int = 460,
) -> go.Figure:
    """Capacity of the sites hit and service level over time, and lost profit per period.

    The top panel draws, on one 0–100 % axis, the mean remaining capacity of the sites
    hit and the service level (units sold to end customers / units the undisrupted
    network sells), each as a step held over its period. The bottom panel draws the
    lost profit of each period as bars. x is time since the start of the first event,
    in the run's periods (days or weeks, from ``period_length``).

    Parameters
    ----------
    timeline
        The run's ``timeline`` table: ``period`` (1..H), ``start`` and ``end`` (network
        periods), ``capacity`` and ``service_level`` (0..1), ``lost_profit`` (currency).
    nodes
        Optionally the ``timeline_nodes`` table (``period``, ``node``, ``capacity``):
        the ``max_nodes`` sites that lose most capacity are drawn as thin lines, shown
        when clicked in the legend.
    names
        Node id -> name, for the per-site lines.
    period
        The network's period (``network.meta.period``).
    period_length
        Network periods per run period (the run summary's ``period_length``).
    currency
        The currency, for the lost-profit axis.
    max_nodes
        The most per-site lines drawn.
    title
        The figure's title (``None``: ``Recovery over time``).
    height
        The figure's height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``capacity of the sites hit`` and ``service level`` (y in 0..1, the axis
        labelled in %), one per site drawn (named after the site, ``visible="legendonly"``)
        and ``lost profit`` (bars on ``y2``). ``layout.meta`` holds ``period_unit``
        (``day``, ``week``, …) and ``horizon`` (periods). An empty ``timeline`` gives a
        figure that says so.
    """
    heading = title or "Recovery over time"
    unit, length = run_period(period, period_length)
    if timeline is None or timeline.empty:
        return empty_chart(heading, "No timeline in this run.", height)
    frame = (
        timeline.sort_values("period").reset_index(drop=True) if "period" in timeline else timeline
    )
    start, end = _edges(frame, length)
    label = f"{unit} " if unit != "period" else "period "
    hover_when = [f"{label}{p:g}" for p in _column(frame, "period")]
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.07
    )
    for name, column, color, dash in (
        (CAPACITY, "capacity", st.EXPOSED, "solid"),
        (SERVICE_LEVEL, "service_level", _SERVICE_COLOR, "solid"),
    ):
        x, y = _steps(start, end, _column(frame, column))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line={"color": color, "width": 2.5, "shape": "hv", "dash": dash},
                name=name,
                customdata=[*hover_when, hover_when[-1]],
                hovertemplate=f"%{{customdata}}<br>{name}: %{{y:.1%}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    for index, (node, rows) in enumerate(_worst_nodes(nodes, max_nodes)):
        node_start, node_end = _edges(rows, length)
        x, y = _steps(node_start, node_end, _column(rows, "capacity"))
        shown = (names or {}).get(node) or node
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line={
                    "color": _NODE_COLORS[index % len(_NODE_COLORS)],
                    "width": 1.2,
                    "shape": "hv",
                    "dash": "dot",
                },
                name=shown,
                visible="legendonly",
                hovertemplate=f"{html.escape(shown)}: %{{y:.1%}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    money = _column(frame, "lost_profit")
    fig.add_trace(
        go.Bar(
            x=((start + end) / 2).tolist(),
            y=money.tolist(),
            width=(end - start).tolist(),
            marker={"color": "#9ca3af", "line": {"width": 0}},
            name=LOST_PROFIT,
            customdata=hover_when,
            hovertemplate="%{customdata}<br>lost profit: %{y:,.0f} " + currency + "<extra></extra>",
        ),
        row=2,
        col=1,
    )
    finish_chart(fig, height)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title="share", row=1, col=1)
    fig.update_yaxes(
        title=f"lost profit ({currency})" if currency else "lost profit",
        rangemode="tozero",
        row=2,
        col=1,
    )
    x_end = float(end[-1]) if len(end) else 1.0
    fig.update_xaxes(range=[0, x_end], row=1, col=1)
    fig.update_xaxes(range=[0, x_end], title=f"{unit}s since the event began", row=2, col=1)
    fig.update_layout(
        title={"text": heading},
        legend={"orientation": "h", "y": -0.22, "x": 0.0},
        bargap=0.1,
        meta={"period_unit": unit, "horizon": len(frame)},
        margin={"b": 80},
    )
    return fig


def _worst_nodes(nodes: pd.DataFrame | None, limit: int) -> list[tuple[str, pd.DataFrame]]:
    """The ``limit`` nodes with the lowest capacity at any time, with their rows."""
    if nodes is None or nodes.empty or limit <= 0 or not {"node", "capacity"} <= set(nodes):
        return []
    lowest = nodes.assign(capacity=pd.to_numeric(nodes["capacity"], errors="coerce"))
    order = lowest.groupby("node")["capacity"].min().sort_values(kind="stable").index[:limit]
    by_node = {str(k): v for k, v in lowest.groupby("node")}
    return [
        (
            str(node),
            by_node[str(node)].sort_values("period") if "period" in lowest else by_node[str(node)],
        )
        for node in order
    ]
