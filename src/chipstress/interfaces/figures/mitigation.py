"""Charts of mitigation runs: the cost-versus-risk trade-off curve of a plan."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from chipstress.interfaces.cells import number
from chipstress.interfaces.figures import _style as st
from chipstress.interfaces.figures.charts import empty_chart, finish_chart

__all__ = ["tradeoff_curve"]


def _actions_text(actions: Any, limit: int = 8) -> str:
    ids = [a for a in str(actions or "").split(";") if a]
    if not ids:
        return "no action"
    shown = "<br>".join(html.escape(a) for a in ids[:limit])
    return shown + (f"<br>… and {len(ids) - limit} more" if len(ids) > limit else "")


def tradeoff_curve(
    curve: pd.DataFrame,
    *,
    measure_label: str = "risk",
    currency: str = "",
    money: bool = True,
    baseline: float | None = None,
    title: str | None = None,
    height: int = 480,
) -> go.Figure:
    """The best risk reachable for each budget, with the actions bought at each point.

    Parameters
    ----------
    curve
        A plan's curve (:func:`chipstress.workflows.plan.plan`): ``budget`` and ``cost``
        (currency), ``value`` (the measure: currency, or a count when ``money`` is
        False), ``bound`` (a proven lower bound), ``gap``, ``actions`` (ids joined with
        ``;``) and ``n_actions``.
    measure_label
        What the measure is, for the y axis.
    baseline
        The measure with no action, drawn at budget 0.
    currency
        The currency, for labels of money measures.
    money
        Whether the measure is money (currency) rather than a count of sites.
    title
        The figure's title (``None``: a default one).
    height
        The figure's height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``best plan`` (a step line over the budgets, markers at each point with
        the actions in the hover and ``customdata[i][0]`` = the budget), ``proven bound``
        (where it differs from the plan's value) and ``no action`` (the baseline).
    """
    fig = go.Figure()
    heading = title or f"Trade-off: {measure_label} against budget"
    table = curve.sort_values("budget").reset_index(drop=True) if len(curve) else curve
    if table.empty:
        return empty_chart(heading, "No budget in this plan.", height)
    budget = table["budget"].to_numpy(dtype=float)
    value = table["value"].to_numpy(dtype=float)
    unit = f" ({currency})" if money and currency else ""

    def fmt(v: float) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "n/a"
        return st.fmt_money(v, currency) if money else f"{v:,.6g}"

    hover = [
        (
            f"<b>budget {st.fmt_money(r.budget, currency)}</b><br>"
            f"{html.escape(measure_label)}: {fmt(number(r.value))}<br>"
            f"spent {st.fmt_money(r.cost, currency)} on {int(number(r.n_actions))} action(s)<br>"
            + (
                f"proven bound {fmt(number(r.bound))} (gap {r.gap:.1%})<br>"
                if not math.isnan(number(r.gap))
                else ""
            )
            + _actions_text(r.actions)
        )
        for r in table.itertuples(index=False)
    ]
    xs = budget.tolist()
    ys = value.tolist()
    if baseline is not None and (len(xs) == 0 or xs[0] > 0):
        fig.add_trace(
            go.Scatter(
                x=[0.0],
                y=[baseline],
                mode="markers",
                name="no action",
                marker={"color": st.ZERO_COLOR, "size": 11, "symbol": "diamond"},
                hovertemplate=f"no action: {fmt(baseline)}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers+text",
            line={"shape": "hv", "color": st.ACCENT, "width": 2.5},
            marker={"size": 10, "color": st.EXPOSED},
            text=[str(int(n)) for n in table["n_actions"]],
            textposition="top right",
            textfont={"size": 11, "color": "#374151"},
            name="best plan (label: actions bought)",
            customdata=np.array([[b] for b in xs], dtype=object),
            hovertext=hover,
            hoverinfo="text",
        )
    )
    bound = table["bound"].to_numpy(dtype=float) if "bound" in table else np.full(len(xs), np.nan)
    differs = np.isfinite(bound) & (np.abs(bound - value) > 1e-9 * np.maximum(1.0, np.abs(value)))
    if differs.any():
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=bound.tolist(),
                mode="lines+markers",
                line={"shape": "hv", "color": st.SAFE, "dash": "dash", "width": 1.5},
                marker={"size": 6, "color": st.SAFE},
                name="proven lower bound",
                hovertemplate="bound %{y:,.4g}<extra></extra>",
            )
        )
    fig.update_xaxes(title=f"budget ({currency})" if currency else "budget", rangemode="tozero")
    fig.update_yaxes(title=f"{measure_label}{unit}", rangemode="tozero")
    fig.update_layout(
        title={"text": heading},
        legend={"orientation": "h", "y": -0.18, "x": 0.0},
        hovermode="closest",
    )
    return finish_chart(fig, height)
