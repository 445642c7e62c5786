"""Colours, number formats and value scales shared by the figure builders."""

from __future__ import annotations

import html
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COLORSCALE",
    "FONT",
    "KIND_SYMBOLS",
    "ValueScale",
    "as_values",
    "compact",
    "fmt_money",
    "fmt_periods",
    "node_label",
    "value_scale",
]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK TC', sans-serif"
# Low to high risk: pale yellow to deep red (colour-blind safe sequential).
COLORSCALE = [
    [0.0, "#fee8a8"],
    [0.25, "#fdb462"],
    [0.5, "#f4743b"],
    [0.75, "#d7301f"],
    [1.0, "#7f0000"],
]
ZERO_COLOR = "#9aa3ad"  # sites with no value or a value of zero
LAND = "#ecebe6"
SEA = "#f4f8fb"
COAST = "#9fb0bf"
BORDER = "#c3c8ce"
STATE = "#dcdfe3"
GRID = "#e5e7eb"
EXPOSED = "#c0392b"
SAFE = "#2e86c1"
ACCENT = "#1f4e79"

KIND_SYMBOLS = {
    "fab": "star",
    "packaging": "diamond",
    "supplier": "circle",
    "equipment": "square",
    "utility": "triangle-up",
    "logistics": "hexagon",
    "talent": "cross",
    "product": "star",
    "other": "circle",
}


def compact(value: float) -> str:
    """A number in a few characters: 950, 12.3k, 4.5M, 1.2B (``-`` for NaN, ∞ for inf)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    if magnitude == 0 or magnitude >= 1:
        return f"{value:.3g}"
    return f"{value:.2g}"


def fmt_money(value: Any, currency: str = "") -> str:
    """Money with thousands separators and the currency: ``1,234,567 USD``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if math.isnan(number):
        return "n/a"
    if math.isinf(number):
        return "∞"
    if number == 0:
        return f"0 {currency}".strip()
    text = f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}"
    return f"{text} {currency}".strip()


def fmt_periods(value: Any, period: str = "") -> str:
    """A duration in periods: ``2.50 weeks``, ``forever`` for inf, ``n/a`` for NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if math.isnan(number):
        return "n/a"
    if math.isinf(number):
        return "forever"
    unit = f" {period}s" if period else ""
    return f"{number:,.2f}{unit}"


def as_values(values: Mapping[str, float] | pd.Series | None, ids: pd.Series) -> np.ndarray:
    """Values aligned to node ``ids`` (NaN where a node has none), as floats."""
    if values is None:
        return np.full(len(ids), np.nan)
    series = pd.Series(values, dtype=float)
    series = series[~series.index.duplicated(keep="first")]
    return series.reindex(ids.astype(str).to_numpy()).to_numpy(dtype=float)


def node_label(row: Mapping[Hashable, Any]) -> str:
    """Hover text for a node: bold name, Chinese and Japanese names, id, kind, cluster."""

    def text(key: str) -> str:
        value = row.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return str(value).strip()

    name = text("name") or text("id")
    lines = [f"<b>{html.escape(name)}</b>"]
    local = [v for v in (text("name_zh"), text("name_ja")) if v and v != name]
    if local:
        lines.append(html.escape(" · ".join(dict.fromkeys(local))))
    facts = [v for v in (text("kind"), text("cluster")) if v]
    lines.append(html.escape(" · ".join([text("id"), *facts])))
    return "<br>".join(lines)


@dataclass(frozen=True)
class ValueScale:
    """How values map to colour and marker size.

    ``log`` is True when positive values span more than two decades: colours are then
    ``log10(value)``. ``cmin``/``cmax`` bound the colour axis; ``tickvals``/``ticktext``
    label it in the values' own units.
    """

    log: bool
    cmin: float
    cmax: float
    tickvals: list[float]
    ticktext: list[str]

    def color(self, values: np.ndarray) -> np.ndarray:
        """Colour coordinate of each positive value (NaN elsewhere)."""
        positive = np.where(values > 0, values, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(positive) if self.log else positive

    def size(self, values: np.ndarray, small: float = 7.0, large: float = 24.0) -> np.ndarray:
        """Marker diameter (px): ``small`` at the bottom of the scale, ``large`` at the top.

        Parameters
        ----------
        values
            The values to size (in the scale's units).
        small, large
            Diameters (px) at the bottom and top of the scale.

        Returns
        -------
        numpy.ndarray
            One diameter (px) per value.
        """
        coords = self.color(values)
        span = self.cmax - self.cmin
        share = (coords - self.cmin) / span if span > 0 else np.ones_like(coords)
        share = np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0)
        if not self.log:
            share = np.sqrt(share)
        return small + (large - small) * share


def value_scale(values: np.ndarray, log: bool | None = None) -> ValueScale:
    """The colour scale of some values (only finite positive ones count).

    ``log=None`` picks a log scale when the positive values span more than 100×.
    """
    positive = values[np.isfinite(values) & (values > 0)]
    if len(positive) == 0:
        return ValueScale(False, 0.0, 1.0, [0.0, 1.0], ["0", "1"])
    low, high = float(positive.min()), float(positive.max())
    if log is None:
        log = high / low > 100
    if log:
        cmax = math.log10(high)
        cmin = max(math.log10(low), cmax - 6)  # at most six decades of colour
        if cmax - cmin < 1e-9:
            cmin = cmax - 1
        decades = range(math.ceil(cmin), math.floor(cmax) + 1)
        ticks = [float(t) for t in decades] if len(decades) >= 2 else [cmin, cmax]
        return ValueScale(True, cmin, cmax, ticks, [compact(10**t) for t in ticks])
    cmin = 0.0
    cmax = high if high > 0 else 1.0
    steps = np.linspace(cmin, cmax, 5)
    return ValueScale(False, cmin, cmax, steps.tolist(), [compact(t) for t in steps])
