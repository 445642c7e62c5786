"""Report sections of mitigation runs: what-if comparisons and plans (trade-off curves)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from chipstress.interfaces import figures as figs
from chipstress.interfaces.figures import compact, fmt_money, fmt_periods
from chipstress.interfaces.figures.changes import limit_notes
from chipstress.interfaces.report._html import Column, Page, cards, escape, number, table
from chipstress.model.network import Network
from chipstress.store import StoredRun

__all__ = ["plan_sections", "whatif_sections"]

Tables = Mapping[str, pd.DataFrame]


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _money(currency: str) -> Callable[[Any], str]:
    return lambda v: fmt_money(v, currency)


def _signed_money(currency: str) -> Callable[[Any], str]:
    def fmt(v: Any) -> str:
        x = _float(v)
        if math.isnan(x):
            return "n/a"
        text = fmt_money(abs(x), currency)
        return f"−{text}" if x < 0 else (f"+{text}" if x > 0 else text)

    return fmt


def _periods(v: Any) -> str:
    return fmt_periods(v)


def _yes_no(value: Any) -> str:
    return (
        '<span class="badge yes">yes</span>' if bool(value) else '<span class="badge no">no</span>'
    )


def _figure(value: Any, money: bool, currency: str) -> str:
    x = _float(value)
    if math.isnan(x):
        return "n/a"
    return fmt_money(x, currency) if money else number(x, 6)


def whatif_sections(page: Page, run: StoredRun, network: Network, tables: Tables) -> None:
    """Edits, headline deltas, deltas by cluster, the map of changes, the sites that change.

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
    currency = network.meta.currency or "money"
    totals = tables["whatif_totals"].set_index("metric")
    nodes = tables.get("whatif_nodes", pd.DataFrame())
    edits = tables.get("whatif_edits", pd.DataFrame())

    def pair(metric: str) -> tuple[float, float]:
        if metric not in totals.index:
            return float("nan"), float("nan")
        row = totals.loc[metric]
        return _float(row["before"]), _float(row["after"])

    worst = pair("worst_lost_profit")
    exposed = pair("exposed_sites")
    total = pair("total_lost_profit")
    items = [
        ("edits", f"{len(edits):,}", "applied in order", False),
        (
            "worst single-site lost profit",
            f"{compact(worst[1])} {currency}",
            f"before: {compact(worst[0])}",
            worst[1] > worst[0],
        ),
        (
            "exposed sites (TTR > TTS)",
            f"{number(exposed[1])}",
            f"before: {number(exposed[0])}",
            exposed[1] > exposed[0],
        ),
        (
            "lost profit, all sites",
            f"{compact(total[1])} {currency}",
            f"before: {compact(total[0])} (each site failing alone)",
            total[1] > total[0],
        ),
    ]
    if "expected_annual_loss" in totals.index:
        eal = pair("expected_annual_loss")
        items.append(
            (
                "expected annual loss",
                f"{compact(eal[1])} {currency}",
                f"before: {compact(eal[0])} (same simulated events)",
                eal[1] > eal[0],
            )
        )
    page.add(cards(items))
    page.add(
        '<div class="box"><b>How to read this</b><ul>'
        "<li>The edits below were applied to the network, and every site was taken down alone, "
        "fully, for its own time to recover — before and after (the TTR after a cut is the "
        "cut one). A qualified alternative source is a dedicated line at the supplier's site: "
        "it goes down with its supplier; one qualified reactively is missing for its lead time "
        "at the start of every window.</li>"
        "<li><b>Deltas are after − before</b>: a negative lost-profit delta is a saving. Lost "
        "profit includes the premium paid for supply from qualified sources.</li>"
        "<li>With a hazard simulation, both networks faced the <b>same</b> simulated events "
        "(common random numbers), so the change in expected annual loss and CVaR is the edits' "
        "effect, not sampling noise.</li></ul></div>"
    )
    if not edits.empty:
        page.section("Edits", "What was changed, in order.", "edits")
        page.add(
            table(
                edits,
                [
                    Column("index", "#", lambda v: number(_float(v) + 1), numeric=True),
                    Column("type", "type"),
                    Column("description", "edit"),
                ],
            )
        )
    page.section(
        "Before and after",
        f"Money in {escape(currency)}; times in {escape(network.meta.period)}s.",
        "totals",
    )
    shown = tables["whatif_totals"]
    rows = []
    for r in shown.itertuples(index=False):
        money = "currency" in str(r.unit)
        rows.append(
            {
                "measure": getattr(r, "label", r.metric),
                "before": _figure(r.before, money, currency),
                "after": _figure(r.after, money, currency),
                "delta": (
                    _signed_money(currency)(r.delta) if money else number(_float(r.delta), 6)
                ),
            }
        )
    page.add(
        table(
            pd.DataFrame(rows),
            [
                Column("measure", "measure"),
                Column("before", "before", numeric=True),
                Column("after", "after", numeric=True),
                Column("delta", "delta", numeric=True),
            ],
        )
    )
    clusters = tables.get("whatif_clusters")
    if clusters is not None and not clusters.empty:
        page.section(
            "By cluster",
            "Sites of each cluster failing alone: exposures and lost profit (summed), before and after.",
            "clusters",
        )
        page.add(
            table(
                clusters,
                [
                    Column("cluster", "cluster"),
                    Column("sites", "sites", number, numeric=True),
                    Column("exposed_before", "exposed before", number, numeric=True),
                    Column("exposed_after", "after", number, numeric=True),
                    Column(
                        "lost_profit_before",
                        f"lost profit before ({currency})",
                        _money(""),
                        numeric=True,
                    ),
                    Column("lost_profit_after", "after", _money(""), numeric=True),
                    Column("lost_profit_delta", "delta", _signed_money(""), numeric=True),
                    Column("worst_after", "worst site after", _money(""), numeric=True),
                ],
            )
        )
    if not nodes.empty:
        saving = (nodes["lost_profit_before"] - nodes["lost_profit_after"]).clip(lower=0)
        values = pd.Series(saving.to_numpy(dtype=float), index=nodes["node"].astype(str))
        page.section(
            "Where it changes",
            "Sites coloured and sized by the lost profit the edits save when that site fails "
            f"({escape(currency)}; grey: no change).",
            "map",
        )
        located = network.nodes["lat"].notna() & network.nodes["lon"].notna()
        if located.any():
            page.figure(
                figs.site_map(network, values, value_label=f"lost profit saved ({currency})")
            )
        changed = figs.changed_sites(nodes)
        footnotes = " ".join(limit_notes(changed, network.meta.period))
        page.section(
            "Sites that change",
            f"{len(changed):,} of {len(nodes):,} sites, largest change in lost profit first "
            f"(differences below a millionth are rounding, not change). {escape(footnotes)}",
            "sites",
        )
        page.add(
            table(
                changed,
                [
                    Column("node", "site"),
                    Column("cluster", "cluster"),
                    Column("ttr_before", "TTR", _periods, numeric=True),
                    Column("ttr_after", "after", _periods, numeric=True),
                    Column(
                        "lost_profit_before", f"lost profit ({currency})", _money(""), numeric=True
                    ),
                    Column("lost_profit_after", "after", _money(""), numeric=True),
                    Column("tts_before", "TTS", _periods, numeric=True),
                    Column("tts_after", "after", _periods, numeric=True),
                    Column("exposed_before", "exposed", _yes_no, raw_html=True),
                    Column("exposed_after", "after", _yes_no, raw_html=True),
                    Column("note", "note"),
                ],
                limit=40,
            )
        )


def plan_sections(page: Page, run: StoredRun, network: Network, tables: Tables) -> None:
    """Headlines, the trade-off curve, each point's actions, the candidates.

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
    currency = network.meta.currency or "money"
    s = run.summary
    curve = tables["curve"]
    measure = str(s.get("measure") or run.parameters.get("measure") or "")
    label = str(s.get("measure_label") or measure)
    money = measure != "exposed"
    baseline = _float(s.get("baseline"))
    best = curve.sort_values("budget").iloc[-1] if len(curve) else None
    page.add(
        cards(
            [
                ("measure", label, "minimised for each budget", False),
                ("candidates", number(s.get("candidates")), "actions with costs", False),
                ("with no action", _figure(baseline, money, currency), "", False),
                (
                    "at the largest budget",
                    "-" if best is None else _figure(best["value"], money, currency),
                    "" if best is None else f"spending {fmt_money(best['cost'], currency)}",
                    False,
                ),
                (
                    "largest gap to a proven bound",
                    "n/a"
                    if math.isnan(_float(s.get("largest_gap")))
                    else f"{_float(s.get('largest_gap')):.2%}",
                    "0% = proven optimal",
                    False,
                ),
            ]
        )
    )
    exact = measure in ("worst", "exposed")
    page.add(
        '<div class="box"><b>How to read this</b><ul>'
        "<li>Each point is the best set of candidate actions whose total cost fits the budget, "
        "and the risk it leaves. More budget never leaves more risk.</li>"
        + (
            "<li>The measure is over every site taken down alone for its own TTR (as in a "
            "sweep). The plans are <b>exact</b>: one mixed-integer program (HiGHS) with a copy "
            "of the time-to-recover program per site that loses at baseline, binary switches "
            "for the actions, and the budget; among plans with the optimal measure the cheapest "
            "is shown. Each plan was then re-checked by a fresh sweep.</li>"
            if exact
            else "<li>The measure comes from simulated hazard years; every plan faces the same "
            "events. Plans are found by greedy search (benefit per cost) and local search; the "
            "<b>proven bound</b> is a lower bound no plan within the budget can beat (the LP "
            "relaxation of the exact program, or all candidates applied), and the gap says how "
            "far the plan can at most be from the best.</li>"
        )
        + "<li>Costs are the candidates' estimates (each with its basis in the actions table); "
        "lost profit includes premiums paid for supply from qualified sources.</li></ul></div>"
    )
    page.section("Trade-off curve", "Hover a point for the actions bought.", "curve")
    page.figure(
        figs.tradeoff_curve(
            curve,
            measure_label=label,
            currency=currency,
            money=money,
            baseline=None if math.isnan(baseline) else baseline,
        )
    )
    value_fmt = _money("") if money else (lambda v: number(_float(v), 6))
    page.add(
        table(
            curve,
            [
                Column("budget", f"budget ({currency})", _money(""), numeric=True),
                Column("cost", "spent", _money(""), numeric=True),
                Column("value", label, value_fmt, numeric=True),
                Column("bound", "proven bound", value_fmt, numeric=True),
                Column(
                    "gap",
                    "gap",
                    lambda v: "n/a" if math.isnan(_float(v)) else f"{_float(v):.2%}",
                    numeric=True,
                ),
                Column("n_actions", "actions", number, numeric=True),
                Column("status", "status"),
                Column("status_detail", "detail"),
            ],
        )
    )
    choices = tables.get("choices")
    if choices is not None and not choices.empty:
        page.section("Actions chosen at each budget", "", "choices")
        for budget, group in choices.groupby("budget", sort=True):
            page.add(f"<h3>Budget {escape(fmt_money(budget, currency))}</h3>")
            page.add(
                table(
                    group,
                    [
                        Column("action", "action"),
                        Column("description", "what"),
                        Column("cost", f"cost ({currency})", _money(""), numeric=True),
                        Column("cost_basis", "cost basis"),
                    ],
                )
            )
    candidates = tables.get("plan_actions")
    if candidates is not None and not candidates.empty:
        page.section(
            "Candidate actions",
            f"{len(candidates):,} candidates and their estimated costs.",
            "candidates",
        )
        page.add(
            "<details><summary>show all candidates</summary>"
            + table(
                candidates,
                [
                    Column("action", "action"),
                    Column("description", "what"),
                    Column("cost", f"cost ({currency})", _money(""), numeric=True),
                    Column("cost_basis", "cost basis"),
                    Column("source", "source"),
                ],
            )
            + "</details>"
        )
