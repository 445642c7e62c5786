"""The pieces of a self-contained HTML page: style, cards, tables and embedded figures.

The page carries plotly.js inline (once: the vendored basic bundle of
:mod:`chipstress.interfaces.figures.plotlyjs`, gzip-compressed and base64-encoded,
0.5 MB, unpacked by the browser's ``DecompressionStream``) and each figure's JSON in a
``<script type="application/json">`` block, so it opens offline and loads nothing from
anywhere. Charts are drawn with :data:`~chipstress.interfaces.figures.plotlyjs.PLOTLY_CONFIG`:
no button sends a chart to Plotly Cloud.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from chipstress.errors import InvalidInput
from chipstress.interfaces.figures.plotlyjs import (
    PLOTLY_CONFIG,
    plotly_js,
    plotly_js_packed,
    unsupported_traces,
)

__all__ = ["Column", "Page", "cards", "escape", "plotly_js", "table"]

CSS = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #1f4e79;
  --bad: #c0392b; --ok: #2e7d32; --panel: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
  "Noto Sans CJK TC", sans-serif; color: var(--ink); background: #fff; line-height: 1.45; }
main { max-width: 1320px; margin: 0 auto; padding: 28px 32px 40px; }
header h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: -0.01em; }
header .sub { color: var(--muted); margin: 0; font-size: 14px; }
h2 { font-size: 20px; margin: 36px 0 6px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 10px; font-size: 14px; max-width: 980px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
  gap: 12px; margin: 22px 0 8px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  padding: 12px 14px; }
.card .label { font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: 0.04em; }
.card .value { font-size: 24px; font-weight: 650; margin-top: 2px; }
.card .note { font-size: 12px; color: var(--muted); margin-top: 2px; }
.card.bad .value { color: var(--bad); }
.card .value.text { font-size: 17px; line-height: 1.25; }
.fig { width: 100%; min-height: 200px; }
.fig.nochart { color: var(--muted); font-size: 13px; min-height: 0; height: auto !important; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 4px; }
table.data th { text-align: left; font-weight: 600; color: #374151; background: var(--panel);
  border-bottom: 1px solid #d1d5db; padding: 6px 8px; white-space: nowrap; }
table.data td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
table.data tr:hover td { background: #fbfcfe; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px;
  font-weight: 600; }
.badge.yes { background: #fde2e0; color: var(--bad); }
.badge.no { background: #e8f5e9; color: var(--ok); }
.bar { display: inline-block; height: 9px; background: #e4774a; border-radius: 2px;
  vertical-align: middle; margin-right: 6px; }
.local { color: var(--muted); font-size: 12px; }
.box { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  padding: 12px 18px; margin: 16px 0; font-size: 14px; }
.box ul { margin: 6px 0; padding-left: 20px; }
.box li { margin: 3px 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; font-size: 13px;
  margin: 8px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; margin: 6px 0; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: 12px; }
@media print { .fig { break-inside: avoid; } h2 { break-after: avoid; } }
"""

# Unpacks plotly.js (gzip + base64 in #plotly-js) unless a plain bundle already defined
# it, then draws every figure; figures are JSON blocks with a data-figure attribute.
_BOOT = (
    """
(function () {
  var config = """
    + json.dumps(PLOTLY_CONFIG, sort_keys=True)
    + """;
  function draw() {
    document.querySelectorAll("script[type='application/json'][data-figure]").forEach(
      function (block) {
        var target = document.getElementById(block.getAttribute("data-figure"));
        var figure = JSON.parse(block.textContent);
        Plotly.newPlot(target, figure.data, figure.layout, config);
      });
  }
  function fail(why) {
    document.querySelectorAll("div.fig").forEach(function (div) {
      div.textContent = "The charts cannot be drawn in this browser (" + why + "); " +
        "the tables hold every number.";
      div.className = "fig nochart";
    });
  }
  if (window.Plotly) { draw(); return; }
  var packed = document.getElementById("plotly-js");
  if (!packed || !window.DecompressionStream) { fail("it lacks DecompressionStream"); return; }
  var text = atob(packed.textContent.trim());
  var bytes = new Uint8Array(text.length);
  for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(stream).text().then(function (code) {
    (0, eval)(code);
    draw();
  }).catch(function (error) { fail(String(error)); });
})();
"""
)


def escape(value: Any) -> str:
    """Text made safe for HTML."""
    return html.escape("" if value is None else str(value))


def _json_for_script(figure: go.Figure) -> str:
    """A figure's JSON, safe inside a ``<script>`` element (every ``<`` escaped)."""
    text = figure.to_json(validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _text(value: Any) -> str:
    """A cell's plain text (escaped once, by :func:`table`)."""
    return "" if value is None else str(value)


@dataclass
class Column:
    """How to show one table column: header, cell formatter, numeric alignment."""

    key: str
    header: str
    format: Callable[[Any], str] = _text
    numeric: bool = False
    raw_html: bool = False  # the formatter returns HTML (already escaped)


def table(frame: pd.DataFrame, columns: Sequence[Column], limit: int | None = None) -> str:
    """An HTML table of ``frame`` (first ``limit`` rows) with the given columns.

    Parameters
    ----------
    frame
        The rows to show.
    columns
        The columns: key, header, format, alignment.
    limit
        The most rows shown (``None``: all).

    Returns
    -------
    str
        The HTML.
    """
    shown = frame if limit is None else frame.head(limit)
    head = "".join(
        f'<th class="{"num" if c.numeric else ""}">{escape(c.header)}</th>' for c in columns
    )
    rows = []
    for record in shown.to_dict("records"):
        cells = []
        for column in columns:
            value = record.get(column.key)
            text = column.format(value) if column.raw_html else escape(column.format(value))
            cells.append(f'<td class="{"num" if column.numeric else ""}">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def cards(items: Iterable[tuple[str, str, str, bool]]) -> str:
    """Headline figures: ``(label, value, note, bad)`` each."""
    out = []
    for label, value, note, bad in items:
        note_html = f'<div class="note">{escape(note)}</div>' if note else ""
        out.append(
            f'<div class="card{" bad" if bad else ""}"><div class="label">{escape(label)}</div>'
            f'<div class="value{" text" if len(value) > 16 else ""}">{escape(value)}</div>'
            f"{note_html}</div>"
        )
    return f'<section class="cards">{"".join(out)}</section>'


def number(value: Any, digits: int = 3) -> str:
    """A plain number: thousands separators, ``∞``, ``n/a`` for missing."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "n/a" if value is None else str(value)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"


@dataclass
class Page:
    """An HTML report under construction: sections of markup and the figures they hold."""

    title: str
    subtitle: str = ""
    parts: list[str] = field(default_factory=list)
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)

    def add(self, markup: str) -> None:
        """Append raw (already escaped) markup."""
        self.parts.append(markup)

    def section(self, heading: str, lead: str = "", anchor: str = "") -> None:
        """Start a section: a heading and an optional lead paragraph.

        Parameters
        ----------
        heading
            The section's heading (escaped).
        lead
            A lead paragraph (HTML, not escaped).
        anchor
            The heading's ``id``, for links.
        """
        ident = f' id="{escape(anchor)}"' if anchor else ""
        self.parts.append(f"<h2{ident}>{escape(heading)}</h2>")
        if lead:
            self.parts.append(f'<p class="lead">{lead}</p>')

    def figure(self, figure: go.Figure) -> None:
        """Embed a plotly figure (drawn in the browser from inline JSON).

        Parameters
        ----------
        figure
            The figure; its traces must be types the vendored bundle draws.

        Raises
        ------
        InvalidInput
            A trace type the page's plotly.js bundle does not hold (it would not draw).
        """
        missing = unsupported_traces(figure)
        if missing:
            raise InvalidInput(
                f"the report's plotly.js bundle cannot draw {', '.join(missing)} traces"
            )
        ident = f"figure-{len(self.figures) + 1}"
        height = figure.layout.height or 450
        self.parts.append(f'<div class="fig" id="{ident}" style="height:{int(height)}px"></div>')
        self.figures.append((ident, figure))

    def render(self, footer: str) -> str:
        """The whole page as one self-contained HTML document."""
        blocks = "\n".join(
            f'<script type="application/json" data-figure="{ident}">{_json_for_script(fig)}</script>'
            for ident, fig in self.figures
        )
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="chipstress">\n<title>{escape(self.title)}</title>\n'
            f"<style>{CSS}</style>\n"
            f'<script id="plotly-js" type="application/gzip;base64">{plotly_js_packed()}</script>\n'
            "</head>\n<body>\n<main>\n"
            f"<header><h1>{escape(self.title)}</h1>"
            f'<p class="sub">{self.subtitle}</p></header>\n'
            + "\n".join(self.parts)
            + f"\n<footer>{footer}</footer>\n</main>\n{blocks}\n<script>{_BOOT}</script>\n"
            "</body>\n</html>\n"
        )
