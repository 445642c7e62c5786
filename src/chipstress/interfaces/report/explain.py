"""The "why" section of a report: a site's explanation (:func:`chipstress.workflows.explain.explain`).

:func:`explain_section` renders one :class:`~chipstress.workflows.explain.Explanation`:
a verdict card row, the lines the site feeds (single-sourced marked), what runs out first,
lost units and profit per end product, and the changes that would flip the verdict.
:func:`explained_sites_sections` adds one such section for each of the worst sites of a
sweep table.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from chipstress.interfaces.figures import fmt_money, fmt_periods
from chipstress.interfaces.report._html import Column, Page, cards, escape, number, table
from chipstress.model.network import Network
from chipstress.workflows.explain import Explanation, VerdictChange, explain

__all__ = ["change_text", "explain_section", "explained_sites_sections"]

_VERDICTS = {
    "exposed": "exposed: demand is lost before it recovers (TTR > TTS)",
    "covered": "covered: stocks and other sources last until it recovers (TTR ≤ TTS)",
    "no_ttr": "no time to recover known",
    "not_solved": "the programs did not solve",
}


def change_text(change: VerdictChange, explanation: Explanation) -> str:
    """One change that would flip the verdict, in words with its unit.

    Parameters
    ----------
    change
        The change.
    explanation
        The explanation it belongs to (site, material, units).

    Returns
    -------
    str
        E.g. ``"hold 600 more units of water at water"``.
    """
    period = explanation.units.get("time", "period")
    if not change.feasible or change.amount is None:
        return f"{change.action.replace('_', ' ')}: no amount is enough on its own"
    amount = number(change.amount)
    if change.action == "extra_stock":
        return (
            f"hold {amount} more units of {explanation.material} at {explanation.site} "
            f"(or downstream of it)"
        )
    if change.action == "second_source":
        return (
            f"qualify a second source of {explanation.material} for its customers with "
            f"{amount} units per {period} of capacity"
        )
    if change.action == "recover_faster":
        return f"recover within {fmt_periods(change.amount, period)} (its TTS)"
    if change.action == "slack" and math.isinf(change.amount):
        return "demand is met for ever with it down: its recovery may take any time"
    if change.action == "slack":
        return (
            f"its recovery may slip by {fmt_periods(change.amount, period)} before demand is lost"
        )
    return f"{change.action}: {amount} {change.unit}"


def _cards(explanation: Explanation) -> str:
    period = explanation.units.get("time", "period")
    currency = explanation.units.get("money", "")
    return cards(
        [
            (
                "verdict",
                explanation.verdict,
                _VERDICTS.get(explanation.verdict, ""),
                explanation.verdict == "exposed",
            ),
            ("time to recover", fmt_periods(explanation.ttr, period), "TTR", False),
            (
                "time to survive",
                fmt_periods(explanation.tts, period),
                "TTS, with the site down",
                False,
            ),
            (
                "lost profit over TTR",
                fmt_money(explanation.lost_profit, currency),
                f"the undisrupted network loses {fmt_money(explanation.baseline_lost_profit, currency)}",
                explanation.lost_profit > 0,
            ),
        ]
    )


def _feeds(explanation: Explanation) -> str:
    if not explanation.feeds:
        return "<p>It ships to no other site (an end product).</p>"
    frame = pd.DataFrame(
        [
            {
                "customer": f.customer,
                "material": f.material,
                "quantity": f.quantity,
                "alternatives": ", ".join(f.alternatives) or "none: single-sourced",
            }
            for f in explanation.feeds
        ]
    )
    return table(
        frame,
        [
            Column("customer", "customer"),
            Column("material", "material"),
            Column("quantity", "units per unit made", number, numeric=True),
            Column("alternatives", "other sources"),
        ],
    )


def _runs_out(explanation: Explanation) -> str:
    if not explanation.runs_out_first:
        if math.isinf(explanation.tts):
            return "<p>Nothing runs out: every demand is met for ever with the site down.</p>"
        return "<p>Demand cannot be met from the start.</p>"
    words = {
        "stock": "its stock runs out",
        "capacity": "it produces flat out",
        "demand": "its demand is what cannot be met longer",
    }
    period = explanation.units.get("time", "period")
    frame = pd.DataFrame(
        [
            {
                "node": b.node,
                "what": words.get(b.what, b.what),
                "at": fmt_periods(b.at, period),
                "inventory": b.inventory,
                "capacity": b.capacity,
                "shadow": b.shadow,
            }
            for b in explanation.runs_out_first
        ]
    )
    return table(
        frame,
        [
            Column("node", "site"),
            Column("what", "binds"),
            Column("at", "after"),
            Column("inventory", "stock (units)", number, numeric=True),
            Column("capacity", f"capacity (units/{period})", number, numeric=True),
            Column("shadow", "dual value", lambda v: number(v, 3), numeric=True),
        ],
        limit=15,
    )


def _losses(explanation: Explanation) -> str:
    if not explanation.per_product:
        return "<p>No end product downstream.</p>"
    currency = explanation.units.get("money", "")
    frame = pd.DataFrame([vars(p) for p in explanation.per_product])
    return table(
        frame,
        [
            Column("product", "end product"),
            Column("lost_units", "lost units", number, numeric=True),
            Column(
                "lost_profit",
                f"lost profit ({currency})",
                lambda v: fmt_money(v, currency),
                numeric=True,
            ),
            Column("demand", "demand per period", number, numeric=True),
        ],
    )


def explain_section(page: Page, explanation: Explanation, heading: str | None = None) -> None:
    """Add the explanation of one site to a report page.

    Parameters
    ----------
    page
        The page the section is added to.
    explanation
        The site's explanation.
    heading
        The section's heading (default ``Why <site> matters``).
    """
    site = explanation.site
    name = explanation.name if explanation.name and explanation.name != site else ""
    page.section(
        heading or f"Why {name or site} matters",
        f"Computed from the stress-test programs with <code>{escape(site)}</code> down for "
        "its time to recover: the lines it feeds, what runs out first (the binding "
        "constraints of the time-to-survive program, from its duals), what each end product "
        "loses, and what would change the verdict.",
        anchor=f"explain-{site}",
    )
    page.add(_cards(explanation))
    page.add("<h3>Lines it feeds</h3>" + _feeds(explanation))
    page.add("<h3>What runs out first</h3>" + _runs_out(explanation))
    page.add("<h3>Lost units and profit per end product over its TTR</h3>" + _losses(explanation))
    changes = "".join(
        f"<li>{escape(change_text(c, explanation))}</li>" for c in explanation.to_change_verdict
    )
    if changes:
        page.add(f"<h3>What would change the verdict</h3><ul>{changes}</ul>")


def explained_sites_sections(
    page: Page, network: Network, sweep: pd.DataFrame, count: int = 3, **options: Any
) -> list[Explanation]:
    """Explain the ``count`` worst sites of a sweep table (its first rows), one section each.

    Parameters
    ----------
    page
        The page the sections are added to.
    network
        The network the sweep was made on.
    sweep
        The sweep's table, worst first (column ``node``; ``duration`` periods when given).
    count
        How many sites to explain.
    **options
        Passed to :func:`chipstress.workflows.explain.explain`.

    Returns
    -------
    list of Explanation
        The explanations shown.
    """
    shown = []
    for _, row in sweep.head(count).iterrows():
        duration = row.get("duration")
        given = (
            float(duration)
            if isinstance(duration, int | float) and math.isfinite(duration) and duration > 0
            else None
        )
        explanation = explain(network, str(row["node"]), given, **options)
        explain_section(page, explanation)
        shown.append(explanation)
    return shown
