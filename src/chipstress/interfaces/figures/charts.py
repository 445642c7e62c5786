"""Charts of result tables: TTR against TTS, loss exceedance, contributions."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from chipstress.interfaces.cells import number
from chipstress.interfaces.figures import _style as st

__all__ = [
    "contributions_bar",
    "empty_chart",
    "exceedance_curve",
    "exceedance_points",
    "finish_chart",
    "ttr_tts_scatter",
]

_ZONE_NAME = "exposed: TTR > TTS"


def empty_chart(heading: str, message: str, height: int) -> go.Figure:
    """A finished figure that says, in its middle, why there is nothing to draw.

    Parameters
    ----------
    heading
        The figure's title.
    message
        Why there is nothing to draw.
    height
        The figure's height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        The figure, with the message as its only annotation.
    """
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title={"text": heading})
    return finish_chart(fig, height)


def finish_chart(fig: go.Figure, height: int) -> go.Figure:
    """The house style of every chart: font, white background, grid, ``height`` pixels."""
    fig.update_layout(
        font={"family": st.FONT, "size": 12, "color": "#1f2937"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        height=height,
        margin={"l": 70, "r": 30, "t": 50, "b": 55},
        hoverlabel={"align": "left"},
    )
    fig.update_xaxes(gridcolor=st.GRID, zeroline=False, linecolor="#9ca3af", showline=True)
    fig.update_yaxes(gridcolor=st.GRID, zeroline=False, linecolor="#9ca3af", showline=True)
    return fig


def _nice_up(value: float) -> float:
    """The next 1/2/5 × 10^k at or above ``value``."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for mantissa in (1, 2, 5, 10):
        if mantissa * 10**exponent >= value * (1 - 1e-9):
            return float(mantissa * 10**exponent)
    return float(10 ** (exponent + 1))


def _log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """1-2-5 ticks between ``low`` and ``high`` (data units)."""
    values = []
    exponent = math.floor(math.log10(low))
    while 10**exponent <= high * 1.0001:
        for mantissa in (1, 2, 5):
            value = mantissa * 10**exponent
            if low * 0.9999 <= value <= high * 1.0001:
                values.append(float(value))
        exponent += 1
    return values, [f"{v:g}" for v in values]


def ttr_tts_scatter(
    sweep_table: pd.DataFrame,
    *,
    period: str = "period",
    currency: str = "",
    title: str | None = None,
    height: int = 520,
) -> go.Figure:
    """Time to recover (x) against time to survive (y), one marker per node.

    Nodes below the diagonal TTR = TTS recover only after the network's stocks run out
    (TTR > TTS): that triangle, the exposure zone, is shaded. Axes are logarithmic when
    the durations span more than 10×. An infinite TTS (demand met however long the node
    is down) is drawn at a cap above every finite value, on a dashed line labelled ∞; a
    TTS of 0 on a log axis at a floor labelled 0. Nodes at exactly the same point share
    one marker (its size grows with the log of their number; the hover lists them).

    Parameters
    ----------
    sweep_table
        A sweep result (:func:`chipstress.workflows.sweep`): ``node, duration (periods),
        lost_profit (currency), tts (periods), risk_exposure_index, exposed`` and
        optionally ``name``. Rows with no duration or no TTS are left out.
    period, currency
        Units for labels (``network.meta.period``, ``network.meta.currency``).
    title
        The figure's title (``None``: a default one).
    height
        The figure's height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``exposed: TTR > TTS`` (the shaded zone, ``fill="toself"``), ``TTR = TTS``
        (the diagonal), ``TTS = ∞`` (the cap line, when some TTS is infinite) and
        ``nodes`` (``customdata[i][0]`` = first node id of the marker). The cap is in
        ``layout.meta["tts_cap"]`` and the y axis ticks label it ``∞``.
    """
    table = sweep_table.copy()
    if "name" not in table:
        table["name"] = table["node"]
    for column in ("risk_exposure_index", "lost_profit"):
        if column not in table:
            table[column] = np.nan
    usable = table["duration"].notna() & table["tts"].notna()
    left_out = int((~usable).sum())
    table = table[usable].reset_index(drop=True)
    fig = go.Figure()
    heading = title or "Time to recover vs time to survive"
    if left_out:
        heading += f" <span style='font-size:12px;color:#6b7280'>({left_out} node(s) without both figures left out)</span>"
    x = table["duration"].to_numpy(dtype=float)
    y = table["tts"].to_numpy(dtype=float)
    if table.empty:
        return empty_chart(heading, "No node has both a TTR and a TTS.", height)

    finite = np.concatenate([x[np.isfinite(x)], y[np.isfinite(y)]])
    positive = finite[finite > 0]
    low = float(positive.min()) if len(positive) else 1.0
    high = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
    log = bool(high / low > 10) and len(positive) > 0
    cap = _nice_up(high * (3.0 if log else 1.3))
    floor = low / 3.0 if log else 0.0
    y_plot = np.where(np.isinf(y), cap, y)
    x_plot = x.copy()
    if log:
        y_plot = np.where(y_plot <= 0, floor, y_plot)
        x_plot = np.where(x_plot <= 0, floor, x_plot)
    lo_edge = floor / 1.6 if log else 0.0
    hi_edge = cap * 1.6 if log else cap * 1.08

    # The exposure zone (below the diagonal) and the diagonal itself.
    fig.add_trace(
        go.Scatter(
            x=[lo_edge, hi_edge, hi_edge, lo_edge],
            y=[lo_edge, hi_edge, lo_edge, lo_edge],
            fill="toself",
            fillcolor="rgba(192, 57, 43, 0.08)",
            line={"width": 0},
            mode="lines",
            name=_ZONE_NAME,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[lo_edge, hi_edge],
            y=[lo_edge, hi_edge],
            mode="lines",
            line={"color": "#6b7280", "dash": "dash", "width": 1},
            name="TTR = TTS",
            hoverinfo="skip",
        )
    )
    if np.isinf(y).any():
        fig.add_trace(
            go.Scatter(
                x=[lo_edge, hi_edge],
                y=[cap, cap],
                mode="lines+text",
                text=["", "TTS = ∞: demand met however long it lasts "],
                textposition="bottom left",
                textfont={"size": 11, "color": "#4b5563"},
                line={"color": "#9ca3af", "dash": "dot", "width": 1},
                name="TTS = ∞",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[hi_edge / (1.25 if log else 1.0) - (0 if log else 0.03 * hi_edge)],
            y=[lo_edge * (1.5 if log else 1.0) + (0 if log else 0.03 * hi_edge)],
            mode="text",
            text=["exposed: recovery takes longer than the stocks last"],
            textposition="top left",
            textfont={"size": 11, "color": st.EXPOSED},
            hoverinfo="skip",
            showlegend=False,
            name="zone label",
        )
    )
    _scatter_nodes(fig, table, x_plot, y_plot, period, currency)

    axis_title_x = f"time to recover, TTR ({period}s)"
    axis_title_y = f"time to survive, TTS ({period}s)"
    if log:
        xt = _log_ticks(lo_edge, hi_edge / 1.6)
        yt = _log_ticks(floor * 1.0001, cap / 1.0001)
        keep = [i for i, v in enumerate(yt[0]) if floor * 1.3 < v < cap / 1.3]
        yvals, ytext = [yt[0][i] for i in keep], [yt[1][i] for i in keep]
        if (y <= 0).any():
            yvals, ytext = [floor, *yvals], ["0", *ytext]
        yvals, ytext = [*yvals, cap], [*ytext, "∞"]
        fig.update_xaxes(
            type="log",
            range=[math.log10(lo_edge), math.log10(hi_edge)],
            tickvals=xt[0],
            ticktext=xt[1],
            title=axis_title_x,
        )
        fig.update_yaxes(
            type="log",
            range=[math.log10(lo_edge), math.log10(hi_edge)],
            tickvals=yvals,
            ticktext=ytext,
            title=axis_title_y,
        )
    else:
        ticks = np.linspace(0, cap, 6)
        fig.update_xaxes(range=[0, hi_edge], title=axis_title_x)
        fig.update_yaxes(
            range=[0, hi_edge],
            tickvals=[*ticks[:-1].tolist(), cap],
            ticktext=[*[f"{t:g}" for t in ticks[:-1]], "∞"],
            title=axis_title_y,
        )
    fig.update_layout(
        title={"text": heading},
        meta={"tts_cap": cap, "tts_floor": floor, "log": log},
        legend={"orientation": "h", "y": -0.16, "x": 0.0},
        coloraxis={
            "colorscale": st.COLORSCALE,
            "colorbar": {
                "title": {"text": "risk exposure index", "side": "right"},
                "thickness": 12,
                "len": 0.8,
            },
        },
    )
    return finish_chart(fig, height)


def _scatter_nodes(
    fig: go.Figure, table: pd.DataFrame, x: np.ndarray, y: np.ndarray, period: str, currency: str
) -> None:
    """The ``nodes`` trace: one marker per distinct (TTR, TTS) point."""
    frame = table.assign(_x=np.round(x, 9), _y=np.round(y, 9))
    index = frame["risk_exposure_index"].to_numpy(dtype=float)
    scale = st.value_scale(index)
    xs, ys, colors, sizes, hover, ids, symbols = [], [], [], [], [], [], []
    for (px, py), group in frame.groupby(["_x", "_y"], sort=False):
        group = group.sort_values("risk_exposure_index", ascending=False, na_position="last")
        first = group.iloc[0]
        xs.append(number(px))
        ys.append(number(py))
        best = float(first["risk_exposure_index"])
        colors.append(float(scale.color(np.array([best]))[0]) if best > 0 else np.nan)
        sizes.append(9.0 + 5.0 * math.log10(len(group)))
        ids.append([str(first["node"])])
        symbols.append("circle" if bool(first.get("exposed", False)) else "circle-open")
        head = (
            f"<b>{html.escape(str(first['name']))}</b> ({html.escape(str(first['node']))})"
            if len(group) == 1
            else f"<b>{len(group)} nodes</b>"
        )
        lines = [
            head,
            f"TTR: {st.fmt_periods(first['duration'], period)}",
            f"TTS: {st.fmt_periods(first['tts'], period)}",
        ]
        if len(group) == 1:
            lines.append(f"lost profit: {st.fmt_money(first['lost_profit'], currency)}")
            lines.append(f"risk exposure index: {_index_text(best)}")
        else:
            for _, row in group.head(8).iterrows():
                lines.append(
                    f"· {html.escape(str(row['name']))}: {st.fmt_money(row['lost_profit'], currency)}"
                )
            if len(group) > 8:
                lines.append(f"… and {len(group) - 8} more")
        hover.append("<br>".join(lines))
    color_values = np.array(colors, dtype=float)
    has_color = np.isfinite(color_values)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            name="nodes",
            customdata=ids,
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            marker={
                "color": [
                    c if ok else st.ZERO_COLOR
                    for c, ok in zip(color_values.tolist(), has_color, strict=True)
                ],
                "coloraxis": "coloraxis" if has_color.any() else None,
                "size": sizes,
                "symbol": symbols,
                "line": {"width": 1.2, "color": "#4b5563"},
            },
        )
    )
    if has_color.any():
        fig.update_layout(
            coloraxis={
                "cmin": scale.cmin,
                "cmax": scale.cmax,
                "colorbar": {"tickvals": scale.tickvals, "ticktext": scale.ticktext},
            }
        )


def _index_text(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3g}"


def exceedance_points(table: pd.DataFrame) -> pd.DataFrame:
    """Loss against annual exceedance probability, from an exceedance or a years table.

    Accepts ``loss`` with ``probability`` (or ``exceedance_probability``/``aep``), or
    with ``return_period`` (years), or a per-year table (``loss`` only: the empirical
    curve, where the probability of a loss is the share of years with at least that
    loss; tied years give one point). Returns ``loss, probability, return_period``,
    finite losses only, in return-period order (rows of one return period by loss), so
    that a line through them never turns back: tied losses at several return periods
    draw a flat step, not a zig-zag.
    """
    if "loss" not in table:
        raise ValueError("an exceedance table needs a 'loss' column")
    loss = pd.to_numeric(table["loss"], errors="coerce").to_numpy(dtype=float)
    prob_column = next(
        (
            c
            for c in (
                "probability",
                "exceedance_probability",
                "aep",
                "annual_exceedance_probability",
            )
            if c in table
        ),
        None,
    )
    if prob_column is not None:
        prob = pd.to_numeric(table[prob_column], errors="coerce").to_numpy(dtype=float)
    elif "return_period" in table:
        with np.errstate(divide="ignore"):
            prob = 1.0 / pd.to_numeric(table["return_period"], errors="coerce").to_numpy(
                dtype=float
            )
    else:
        finite = np.sort(loss[np.isfinite(loss)])
        # years with at least each loss (ties counted together), over all years
        at_least = len(finite) - np.searchsorted(finite, finite, side="left")
        prob = at_least / max(1, len(loss))
        loss = finite
    frame = pd.DataFrame({"loss": loss, "probability": prob})
    frame = frame[np.isfinite(frame["loss"]) & (frame["probability"] > 0)]
    frame = frame.drop_duplicates().assign(return_period=1.0 / frame["probability"])
    return frame.sort_values(["return_period", "loss"], kind="stable").reset_index(drop=True)


def exceedance_curve(
    table: pd.DataFrame,
    *,
    years: pd.DataFrame | None = None,
    summary: Mapping[str, Any] | None = None,
    currency: str = "",
    title: str | None = None,
    height: int = 460,
) -> go.Figure:
    """The loss-exceedance curve of a simulation: loss (currency) against return period.

    Parameters
    ----------
    table
        An ``exceedance`` table (``loss`` and ``probability`` or ``return_period``) or
        a ``years`` table (one ``loss`` per simulated year); see :func:`exceedance_points`.
    years
        Optionally the ``years`` table too: its empirical curve is drawn as a line
        (``every simulated year``) and ``table``'s points as markers on it.
    summary
        Run summary; ``var_95``, ``var_99`` (value at risk: the loss exceeded in 5 % and
        1 % of years), ``cvar_95``/``cvar_99`` and ``expected_annual_loss`` are drawn as
        horizontal reference lines when present.
    currency
        The currency, for labels.
    title
        The figure's title (``None``: a default one).
    height
        The figure's height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        A ``loss exceedance`` trace (x = return period in years, log axis; hover gives
        the annual exceedance probability), ``every simulated year`` when ``years`` is
        given, and one trace per reference line, named ``expected annual loss: …``,
        ``VaR 95%: …``, ``VaR 99%: …``, ``CVaR 99%: …``.
    """
    points = exceedance_points(table)
    fig = go.Figure()
    hover = (
        "loss ≥ %{y:,.0f} " + currency + "<br>once in %{x:,.1f} years"
        "<br>annual probability %{customdata:.2%}<extra></extra>"
    )
    if years is not None and "loss" in years and len(years):
        every = exceedance_points(years[["loss"]])
        fig.add_trace(
            go.Scatter(
                x=every["return_period"].to_numpy(),
                y=every["loss"].to_numpy(),
                mode="lines",
                line={"color": "#93a8c4", "width": 1.5, "shape": "hv"},
                name="every simulated year",
                customdata=every["probability"].to_numpy(),
                hovertemplate=hover,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=points["return_period"].tolist(),
            y=points["loss"].tolist(),
            mode="lines+markers",
            line={"color": st.ACCENT, "width": 2},
            marker={"size": 7},
            name="loss exceedance",
            customdata=points["probability"].tolist(),
            hovertemplate=hover,
        )
    )
    low = float(points["return_period"].min()) if len(points) else 1.0
    high = float(points["return_period"].max()) if len(points) else 100.0
    x0, x1 = min(1.0, low), max(high, 100.0) * 1.2
    summary = summary or {}
    dashes = {
        "expected_annual_loss": "dot",
        "var_95": "dash",
        "var_99": "dash",
        "cvar_99": "longdash",
    }
    colors = {
        "expected_annual_loss": "#16a34a",
        "var_95": "#f59e0b",
        "var_99": st.EXPOSED,
        "cvar_99": "#7f1d1d",
    }
    labels = {
        "expected_annual_loss": "expected annual loss",
        "var_95": "VaR 95%",
        "var_99": "VaR 99%",
        "cvar_99": "CVaR 99%",
    }
    for key, label in labels.items():
        value = _number(summary.get(key))
        if value is None or not math.isfinite(value):
            continue
        fig.add_trace(
            go.Scatter(
                x=[x0, x1],
                y=[value, value],
                mode="lines",
                line={"color": colors[key], "dash": dashes[key], "width": 1.3},
                name=f"{label}: {st.compact(value)} {currency}".strip(),
                hovertemplate=f"{label}: {st.fmt_money(value, currency)}<extra></extra>",
            )
        )
    heading = title or "Loss exceedance"
    if not len(points):
        heading += " <span style='font-size:12px;color:#6b7280'>(no finite losses)</span>"
    ticks = _log_ticks(x0, x1)
    fig.update_xaxes(
        type="log",
        range=[math.log10(x0), math.log10(x1)],
        tickvals=ticks[0],
        ticktext=[f"{v:,.0f}" for v in ticks[0]],
        title="return period (years)",
    )
    fig.update_yaxes(
        title=f"annual loss ({currency})" if currency else "annual loss", rangemode="tozero"
    )
    fig.update_layout(title={"text": heading}, legend={"orientation": "h", "y": -0.2, "x": 0.0})
    return finish_chart(fig, height)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_VALUE_NAMES = {"eal": "expected annual loss", "share": "share of the expected annual loss"}
_LABELS = ("name", "node", "hazard", "cluster", "region", "kind", "event")
_VALUES = (
    "expected_annual_loss",
    "contribution",
    "eal",
    "allocated_loss",
    "loss",
    "lost_profit",
    "share",
    "value",
)


def contributions_bar(
    table: pd.DataFrame,
    *,
    label: str | None = None,
    value: str | None = None,
    top: int = 15,
    currency: str = "",
    value_label: str | None = None,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Horizontal bars of the largest contributions (by node, hazard, cluster, ...).

    ``label`` and ``value`` name the columns to use; by default the first present of
    ``name, node, hazard, cluster, region, kind, event`` and of ``expected_annual_loss,
    contribution, eal, allocated_loss, loss, lost_profit, share, value``. The ``top``
    rows by value are drawn, largest on top; the rest are summed into one bar.
    ``value_label`` names the value on the axis (default: the column's name); money
    gets ``currency`` appended, ``share`` is shown in percent.

    Parameters
    ----------
    table
        Contributions, one row per label.
    label, value
        The label and value columns (default: the first present, as above).
    top
        Bars drawn before the rest are summed.
    currency
        The currency, appended to money values.
    value_label
        The value's name on the axis.
    title
        The figure's title (``None``: ``Contributions``).
    height
        The figure's height in pixels (``None``: from the number of bars).

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal bar trace.
    """
    label = label or next((c for c in _LABELS if c in table), None)
    value = value or next((c for c in _VALUES if c in table), None)
    fig = go.Figure()
    if label is None or value is None or table.empty:
        fig.add_annotation(
            text="Nothing to show.", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
        fig.update_layout(title={"text": title or "Contributions"})
        return finish_chart(fig, height or 240)
    data = table[[label, value]].copy()
    data[value] = pd.to_numeric(data[value], errors="coerce")
    totals = data.groupby(label, sort=False, dropna=False)[value].sum()
    ranked = totals.sort_values(ascending=False)
    shown = ranked.head(top)
    rest = ranked.iloc[top:]
    labels = [str(i) for i in shown.index]
    values = shown.to_numpy(dtype=float).tolist()
    if len(rest):
        labels.append(f"{len(rest)} others")
        values.append(float(rest.sum()))
    is_share = value == "share"
    fig.add_trace(
        go.Bar(
            x=values[::-1],
            y=labels[::-1],
            orientation="h",
            marker={"color": st.ACCENT},
            name=value,
            text=[(f"{v:.1%}" if is_share else st.compact(v)) for v in values[::-1]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,.4g}<extra></extra>",
        )
    )
    unit = "" if is_share else currency
    what = value_label or _VALUE_NAMES.get(value, value.replace("_", " "))
    fig.update_xaxes(title=f"{what} ({unit})" if unit else what)
    fig.update_yaxes(automargin=True)
    fig.update_layout(title={"text": title or f"{what} by {label}"}, showlegend=False)
    return finish_chart(fig, height or max(240, 70 + 24 * len(labels)))
