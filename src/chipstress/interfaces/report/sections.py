"""The body of a report for each kind of run: sweep, simulation, replay/scenario, other."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from chipstress.interfaces import figures as figs
from chipstress.interfaces.figures import compact, fmt_money, fmt_periods
from chipstress.interfaces.report._html import Column, Page, cards, escape, number, table
from chipstress.interfaces.report.components import COMPONENT_TABLES, components_section
from chipstress.interfaces.report.recovery import TIMELINE_TABLES, recovery_sections
from chipstress.model.network import Network
from chipstress.store import StoredRun

__all__ = ["generic_sections", "hazard_sections", "simulation_sections", "sweep_sections"]

Tables = Mapping[str, pd.DataFrame]


def _name_cell(names: Mapping[str, Mapping[Hashable, Any]]) -> Callable[[Any], str]:
    """A formatter: a node's name with its Chinese/Japanese names and id underneath."""

    def fmt(node: Any) -> str:
        info = names.get(str(node), {})
        name = escape(info.get("name") or node)
        local = [
            str(v)
            for v in (info.get("name_zh"), info.get("name_ja"))
            if isinstance(v, str) and v.strip()
        ]
        extra = f'<br><span class="local">{escape(" · ".join(local))}</span>' if local else ""
        return f'{name}{extra}<br><span class="local"><code>{escape(node)}</code></span>'

    return fmt


def _names(network: Network) -> dict[str, dict[Hashable, Any]]:
    columns = [c for c in ("id", "name", "name_zh", "name_ja") if c in network.nodes]
    return {str(r["id"]): r for r in network.nodes[columns].to_dict("records")}


def _yes_no(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return (
        '<span class="badge yes">yes</span>' if bool(value) else '<span class="badge no">no</span>'
    )


def _map(
    page: Page,
    network: Network,
    values: pd.Series | None,
    label: str,
    log_color: bool | None = None,
) -> None:
    """The site map, or a note when no site of the network has coordinates."""
    nodes = network.nodes
    if not (nodes["lat"].notna() & nodes["lon"].notna()).any():
        page.add('<p class="lead"><i>No site of this network has coordinates: no map.</i></p>')
        return
    page.figure(figs.site_map(network, values, value_label=label, log_color=log_color))


def _money(currency: str) -> Callable[[Any], str]:
    return lambda v: fmt_money(v, currency)


def _periods(v: Any) -> str:
    return fmt_periods(v)


def sweep_sections(page: Page, run: StoredRun, network: Network, tables: Tables) -> None:
    """Headlines, map, TTR/TTS scatter, ranked risks, clusters, tiers, how to read.

    Parameters
    ----------
    page
        The page the sections are added to.
    run
        The stored run (parameters, summary).
    network
        Its network (names, currency, period).
    tables
        The run's tables by name.
    """
    sweep = tables["sweep"]
    meta = network.meta
    currency, period = meta.currency or "money", meta.period
    ranked = figs.ranked_risks(sweep)
    valid = ranked[ranked["status"] == "optimal"]
    exposed = int(ranked["exposed"].sum())
    forever = int(np.isinf(ranked["tts"].astype(float)).sum())
    worst = valid.iloc[0] if len(valid) else None
    total = float(ranked["lost_profit"].sum(skipna=True))
    not_solved = int((ranked["status"] != "optimal").sum())
    fixed = run.parameters.get("duration")
    window = (
        f"each alone, for {number(fixed)} {period}s"
        if isinstance(fixed, int | float) and not isinstance(fixed, bool)
        else f"each alone, for its own TTR ({period}s)"
    )
    page.add(
        cards(
            [
                (
                    "sites disrupted",
                    f"{len(ranked):,}",
                    window,
                    False,
                ),
                (
                    "exposures (TTR > TTS)",
                    f"{exposed:,}",
                    f"of {len(ranked):,} sites outlast the stocks",
                    exposed > 0,
                ),
                (
                    "worst site",
                    "-" if worst is None else str(worst["name"]),
                    ""
                    if worst is None
                    else f"lost profit {fmt_money(worst['lost_profit'], currency)}",
                    worst is not None and bool(worst["exposed"]),
                ),
                (
                    "lost profit, all single-site cases",
                    f"{compact(total)} {currency}".strip(),
                    "sum over the sites, each failing alone",
                    False,
                ),
                (
                    "sites with TTS = ∞",
                    f"{forever:,}",
                    "demand met however long they are down",
                    False,
                ),
            ]
            + (
                [("scenarios not solved", f"{not_solved:,}", "see the status column", True)]
                if not_solved
                else []
            )
        )
    )
    page.add(_how_to_read_sweep(run, period, currency))
    index = sweep.set_index("node")["risk_exposure_index"]
    page.section(
        "Where the risks are",
        "Every located site, coloured and sized by its risk exposure index (on a log scale when "
        "the values span more than 100×; grey: no loss beyond the baseline). The overview's "
        "longitudes run across the widest empty stretch (the Pacific, for sites in Asia and "
        "America); the panels below zoom into the regions where sites crowd together. Hover a "
        "site for its names.",
        "map",
    )
    _map(page, network, index, "risk exposure index")
    page.section(
        "Time to recover vs time to survive",
        "Each marker is a site disrupted alone. Below the dashed diagonal (shaded) the site "
        "takes longer to recover than the network can cover from stocks and other suppliers: "
        "those are the exposures. Filled markers are exposures; sites whose loss the network "
        "survives forever sit on the ∞ line.",
        "ttr-tts",
    )
    page.figure(figs.ttr_tts_scatter(sweep, period=period, currency=currency))
    page.section(
        "Ranked risks",
        f"Sites worst first (risk exposure index, then shortest TTS). Lost profit in {escape(currency)} "
        f"over the site's TTR; TTR and TTS in {escape(period)}s.",
        "ranked",
    )
    names = _names(network)
    columns = [
        Column("rank", "#", number, numeric=True),
        Column("node", "site", _name_cell(names), raw_html=True),
        Column("kind", "kind"),
        Column("cluster", "cluster"),
        Column("ttr", "TTR", _periods, numeric=True),
        Column("lost_profit", f"lost profit ({currency})", _money(""), numeric=True),
        Column("tts", "TTS", _periods, numeric=True),
        Column("risk_exposure_index", "exposure index", lambda v: number(v, 3), numeric=True),
        Column("exposed", "TTR > TTS", _yes_no, raw_html=True),
    ]
    if not_solved:
        columns.append(Column("status", "status"))
    page.add(table(ranked, columns, limit=25))
    if len(ranked) > 25:
        page.add(
            f"<details><summary>all {len(ranked):,} sites</summary>{table(ranked.iloc[25:], columns)}</details>"
        )
    page.section(
        "By cluster",
        "Per cluster: its sites, how many are exposures, and the lost profit of its sites "
        "each failing alone (a sum of separate scenarios, not one joint event).",
        "clusters",
    )
    clusters = figs.cluster_summary(network, sweep)
    top_share = float(clusters["share"].max()) if len(clusters) else 0.0

    def share_bar(value: Any) -> str:
        width = 0 if not top_share else round(90 * float(value) / top_share)
        return f'<span class="bar" style="width:{width}px"></span>{float(value):.1%}'

    page.add(
        table(
            clusters,
            [
                Column("cluster", "cluster"),
                Column("sites", "sites", number, numeric=True),
                Column("exposed", "exposures", number, numeric=True),
                Column("lost_profit", f"lost profit ({currency})", _money(""), numeric=True),
                Column("share", "share", share_bar, raw_html=True),
                Column("shortest_tts", "shortest TTS", _periods, numeric=True),
                Column("worst_node", "worst site", _name_cell(names), raw_html=True),
                Column(
                    "worst_lost_profit", f"its lost profit ({currency})", _money(""), numeric=True
                ),
            ],
        )
    )
    page.section(
        "Supply tiers",
        "Suppliers on the left, end products (tier 1) on the right; lines run supplier → "
        "customer, red where the supplier's failure costs profit. Hover a node for its names "
        "and links.",
        "tiers",
    )
    page.figure(figs.tiered_network(network, index, value_label="risk exposure index"))
    _explained_worst(page, network, valid, fixed)
    page.add(_assumptions_sweep(run, network))


# Sites of a sweep explained in its report, and the largest network they are explained on
# (an explanation solves a few programs of the whole network: about 35 ms on tri-cluster).
EXPLAINED_SITES = 3
EXPLAINED_UP_TO_NODES = 5000


def _explained_worst(page: Page, network: Network, valid: pd.DataFrame, fixed: Any) -> None:
    """A section per worst site: why it is exposed and what would change the verdict."""
    from chipstress.errors import ChipstressError
    from chipstress.interfaces.report.explain import explained_sites_sections

    if not len(valid) or len(network.nodes) > EXPLAINED_UP_TO_NODES:
        return
    worst = valid.head(EXPLAINED_SITES)
    if isinstance(fixed, int | float) and not isinstance(fixed, bool):
        worst = worst.assign(duration=float(fixed))
    try:
        explained_sites_sections(page, network, worst, count=EXPLAINED_SITES)
    except ChipstressError as error:
        page.add(f"<p>The worst sites could not be explained: {escape(str(error))}</p>")


def _window(run: StoredRun, period: str) -> str:
    """How long each site of a sweep was down, in words (HTML)."""
    duration = run.parameters.get("duration")
    durations = run.parameters.get("durations")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        return f"for {escape(number(duration))} {escape(period)}s (the run's fixed duration, shown as TTR below)"
    if durations:
        return (
            f"for the duration given in <code>{escape(durations)}</code> (its own TTR where the "
            "file has none)"
        )
    return (
        f"for its own <b>time to recover</b> (TTR, the network's <code>ttr</code> column, in "
        f"{escape(period)}s; sites without one get no lost profit)"
    )


def _how_to_read_sweep(run: StoredRun, period: str, currency: str) -> str:
    return f"""<div class="box"><b>How to read this</b><ul>
<li>Every site was taken down <b>alone and completely</b> {_window(run, period)}. The engine then re-plans the whole
network optimally — stocks, alternative suppliers, spare capacity — and reports the
<b>lost profit</b>: the margin of end-customer demand that still cannot be met over that window ({escape(currency)}).</li>
<li>The <b>time to survive</b> (TTS) is how long all demand can still be met with the site down.
<b>TTS = ∞</b> (forever) means the network meets demand however long the site stays down.</li>
<li>A site is an <b>exposure</b> when TTR &gt; TTS: it stays down longer than the network can cover.</li>
<li>The <b>risk exposure index</b> is a site's lost profit <i>beyond</i> what the undisrupted network
loses anyway over the same window, divided by the worst site's: 1 is the worst site, 0.1 a tenth of it.</li>
</ul></div>"""


def _assumptions_sweep(run: StoredRun, network: Network) -> str:
    integer = bool(run.parameters.get("integer"))
    window = _window(run, network.meta.period)
    return f"""<h2 id="assumptions">Assumptions</h2><div class="box"><ul>
<li>Scenarios: one site at a time, fully down (capacity lost = 100%), {window}.</li>
<li>Lost profit is counted <b>beyond the baseline</b> for the risk exposure index: what the
undisrupted network already loses over the same window (demand above capacity) is subtracted.
The lost-profit column itself is the disrupted network's total.</li>
<li>The plan is optimal and coordinated: every site ships where it helps most, as the network's
sources allow. Real operations do worse, so losses are lower bounds.</li>
<li>Quantities are {"whole units (integer program)" if integer else "continuous (linear program): fractions of units are allowed"};
margins are constant per unit; demand lost is lost, not delayed.</li>
<li>Capacities, inventories, TTRs, demands and margins come from the network's tables; its
<code>source</code> column gives each figure's source or marks it <code>estimate: …</code>.</li>
<li>TTS is the longest time all demand is met with the site down; ∞ means forever.
Sums by cluster add separate single-site scenarios.</li>
</ul></div>"""


def _pick(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in frame), None)


def simulation_sections(page: Page, run: StoredRun, network: Network, tables: Tables) -> None:
    """Headlines, exceedance curve, contributions by hazard and node, map of contributions.

    Parameters
    ----------
    page
        The page the sections are added to.
    run
        The stored run (parameters, summary).
    network
        Its network (names, currency, period).
    tables
        The run's tables by name.
    """
    s = run.summary
    currency = network.meta.currency or "money"
    page.add(
        cards(
            [
                ("years simulated", number(s.get("years")), f"seed {s.get('seed', 'n/a')}", False),
                (
                    "expected annual loss",
                    f"{compact(_float(s.get('expected_annual_loss')))} {currency}".strip(),
                    "mean loss per year",
                    False,
                ),
                (
                    "VaR 95%",
                    f"{compact(_float(s.get('var_95')))} {currency}".strip(),
                    f"CVaR 95%: {compact(_float(s.get('cvar_95')))}",
                    False,
                ),
                (
                    "VaR 99%",
                    f"{compact(_float(s.get('var_99')))} {currency}".strip(),
                    f"CVaR 99%: {compact(_float(s.get('cvar_99')))}",
                    True,
                ),
            ]
        )
    )
    page.add(
        '<div class="box"><b>How to read this</b><ul>'
        "<li>Each simulated year draws hazard events (earthquakes, droughts, storms, outages, …) "
        "from their annual rates; each event's damage becomes a disruption and the engine "
        "computes its lost profit. A year's loss is the sum over its events.</li>"
        "<li>The <b>loss-exceedance curve</b> gives, for each loss, how rarely a year is at least "
        "that bad: a return period of 100 years is a 1% chance a year.</li>"
        "<li><b>VaR 99%</b> is the annual loss exceeded in 1% of years; <b>CVaR 99%</b> the mean "
        "loss of those worst 1% of years. The <b>expected annual loss</b> is the mean over all years.</li>"
        "<li>Losses are lost profit beyond the undisrupted network's baseline, in "
        f"{escape(currency)}.</li></ul></div>"
    )
    years = tables.get("years")
    curve = tables.get("exceedance")
    if curve is None or curve.empty:
        curve, years = years, None
    if curve is not None and "loss" in curve and len(curve):
        page.section(
            "Loss exceedance", "Annual loss against its return period (log scale).", "exceedance"
        )
        page.figure(figs.exceedance_curve(curve, years=years, summary=s, currency=currency))
    hazards = tables.get("hazard_contributions")
    if hazards is not None and not hazards.empty:
        if "hazard" in hazards and "source" in hazards:
            hazards = hazards.assign(
                hazard=hazards["hazard"].astype(str) + ": " + hazards["source"].astype(str)
            )
        page.section(
            "Contributions by hazard",
            "Which hazards the expected annual loss comes from.",
            "hazards",
        )
        page.figure(
            figs.contributions_bar(
                hazards,
                label="hazard" if "hazard" in hazards else None,
                currency=currency,
                title="Contribution to the expected annual loss, by hazard",
            )
        )
    nodes = tables.get("node_contributions")
    if nodes is not None and not nodes.empty:
        node_col = _pick(nodes, ("node", "site"))
        value_col = _pick(
            nodes,
            ("eal", "expected_annual_loss", "contribution", "allocated_loss", "loss", "share"),
        )
        labelled = nodes
        if node_col is not None:
            names = network.nodes.set_index("id")["name"]
            labelled = nodes.assign(name=nodes[node_col].map(names).fillna(nodes[node_col]))
        page.section("Contributions by site", "Sites whose damage drives the losses.", "sites")
        page.figure(
            figs.contributions_bar(
                labelled,
                label="name" if node_col else None,
                value=value_col,
                currency=currency,
                title="Contribution to the expected annual loss, by site",
            )
        )
        if node_col is not None and value_col is not None:
            values = nodes.groupby(node_col)[value_col].sum()
            label = {"eal": "expected annual loss", "share": "share of the loss"}.get(
                value_col, value_col.replace("_", " ")
            )
            unit = "" if value_col == "share" else f" ({currency})"
            page.section(
                "Where the losses come from",
                "Located sites coloured and sized by their contribution to the expected annual loss (grey: none).",
                "map",
            )
            _map(page, network, values, f"{label}{unit}")
    events = tables.get("events")
    if events is not None and not events.empty:
        page.section("Worst events", "The simulated events with the largest losses.", "events")
        ordered = events.sort_values("loss", ascending=False) if "loss" in events else events
        page.add(generic_table(ordered, currency, limit=20))
    page.add(
        '<h2 id="assumptions">Assumptions</h2><div class="box"><ul>'
        "<li>Event rates, footprints and damage come from the hazard data shipped with chipstress "
        "(each with its source) and the run's parameters below.</li>"
        "<li>Each event is evaluated on the network as it is today; recovery follows the damage "
        "state's recovery time; the plan after an event is optimal (a lower bound on real losses).</li>"
        "<li>Years are independent; the empirical curve is only as good as the number of years simulated.</li>"
        "</ul></div>"
    )


_SITE_COLUMNS = (
    "name",
    "event",
    "hazard",
    "intensity",
    "measure",
    "damage_state",
    "capacity_loss",
    "recovery_periods",
    "reason",
)


def hazard_sections(page: Page, run: StoredRun, network: Network, tables: Tables) -> None:
    """A replay or scenario: headlines, sites hit and why, the impact, recovery over time.

    Parameters
    ----------
    page
        The page the sections are added to.
    run
        The stored run (parameters, summary).
    network
        Its network (names, currency, period).
    tables
        The run's tables by name.
    """
    s = run.summary
    currency, period = network.meta.currency or "money", network.meta.period
    sites = tables.get("sites", pd.DataFrame())
    node_col = _pick(sites, ("node", "site")) if not sites.empty else None
    hit = sites[node_col].nunique() if node_col else 0
    beyond = "loss" in s
    lost = _float(s.get("loss", s.get("lost_profit")))
    page.add(
        cards(
            [
                (
                    "event",
                    str(s.get("event") or run.parameters.get("event") or run.kind),
                    str(s.get("name") or ""),
                    False,
                ),
                (
                    "lost profit",
                    f"{compact(lost)} {currency}".strip(),
                    "beyond the undisrupted baseline" if beyond else "over the disruption window",
                    lost > 0,
                ),
                (
                    "time to survive",
                    fmt_periods(_float(s.get("tts")), period),
                    "with every hit site at its worst",
                    False,
                ),
                ("sites hit", f"{hit:,}", "", False),
            ]
        )
    )
    page.add(
        '<div class="box"><b>How to read this</b><ul>'
        "<li>The event's footprint (shaking, water restriction, outage, storm track, …) is laid over "
        "the sites; each site's damage state sets the share of capacity it loses and how long it "
        "takes to recover.</li>"
        "<li>The engine then re-plans the network optimally over the disruption window; the "
        "<b>lost profit</b> is the margin of demand that still cannot be met. The <b>time to survive</b> "
        "is how long all demand is met with every hit site at its worst (∞: forever).</li></ul></div>"
    )
    if node_col is not None:
        loss_col = _pick(sites, ("capacity_loss", "peak_capacity_loss"))
        values = sites.groupby(node_col)[loss_col].max() if loss_col else None
        page.section(
            "Sites hit",
            "Located sites coloured by the share of capacity they lose (1 = down).",
            "map",
        )
        _map(page, network, values, "capacity lost (share)", log_color=False)
        shown = [node_col, *[c for c in _SITE_COLUMNS if c in sites and c != node_col]]
        page.section(
            "Why each site is hit",
            f"One row per site and event: the hazard, its intensity, the damage state, the capacity lost and the recovery ({escape(period)}s).",
            "why",
        )
        page.add(generic_table(sites[shown], currency, limit=60))
    impact = tables.get("impact")
    if impact is not None and not impact.empty:
        page.section(
            "Impact", f"What the disruption costs (money in {escape(currency)}).", "impact"
        )
        page.add(generic_table(impact, currency, limit=60))
    components_section(page, network, tables)
    recovery_sections(page, run, network, tables)
    for name in sorted(set(tables) - {"sites", "impact"} - TIMELINE_TABLES - COMPONENT_TABLES):
        page.section(f"Table {name}", "", f"table-{name}")
        page.add(generic_table(tables[name], currency, limit=40))


def generic_sections(page: Page, run: StoredRun, network: Network, tables: Tables) -> None:
    """Any other run: its summary as cards, its recovery over time (if any), every table.

    Parameters
    ----------
    page
        The page the sections are added to.
    run
        The stored run (parameters, summary).
    network
        Its network (names, currency, period).
    tables
        The run's tables by name.
    """
    scalars = [(k, v) for k, v in run.summary.items() if isinstance(v, int | float | str | bool)]
    if scalars:
        page.add(
            cards(
                [
                    (k.replace("_", " "), number(v) if not isinstance(v, str) else v, "", False)
                    for k, v in scalars[:8]
                ]
            )
        )
    components_section(page, network, tables)
    recovery_sections(page, run, network, tables)
    for name in sorted(set(tables) - TIMELINE_TABLES - COMPONENT_TABLES):
        page.section(f"Table {name}", f"{len(tables[name]):,} rows.", f"table-{name}")
        page.add(generic_table(tables[name], network.meta.currency, limit=50))


def generic_table(frame: pd.DataFrame, currency: str = "", limit: int = 50) -> str:
    """Any table, numbers right-aligned, first ``limit`` rows (the rest counted).

    Parameters
    ----------
    frame
        The table.
    currency
        The network's currency (the cells are formatted as plain numbers).
    limit
        The most rows shown.

    Returns
    -------
    str
        The HTML.
    """

    def fmt(v: Any) -> str:
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        if isinstance(v, int | float | np.integer | np.floating):
            return number(v, 4)
        return "" if v is None else str(v)

    columns = [
        Column(
            str(c),
            str(c).replace("_", " "),
            fmt,
            numeric=pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]),
        )
        for c in frame.columns
    ]
    out = table(frame, columns, limit=limit)
    if len(frame) > limit:
        out += f'<p class="lead">… and {len(frame) - limit:,} more rows (see <code>chipstress runs show RUN --table NAME</code>).</p>'
    return out


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
