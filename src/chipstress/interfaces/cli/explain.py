"""The ``explain`` command: why a site matters, computed from the stress-test programs."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chipstress.interfaces.cli._common import console, fail_on_bad_input, load_network

if TYPE_CHECKING:
    from rich.table import Table

    from chipstress.workflows.explain import Explanation

__all__ = ["explain_command"]


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _table(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    from rich.table import Table

    out = Table(title=title, title_justify="left", show_edge=False)
    for position, header in enumerate(headers):
        out.add_column(header, justify="left" if position == 0 else "right", overflow="fold")
    for row in rows:
        out.add_row(*row)
    return out


def _print(explanation: Explanation) -> None:
    from chipstress.interfaces.figures import fmt_money, fmt_periods
    from chipstress.interfaces.report._html import number
    from chipstress.interfaces.report.explain import change_text

    period = explanation.units.get("time", "period")
    currency = explanation.units.get("money", "")
    colour = {"exposed": "red", "covered": "green"}.get(explanation.verdict, "yellow")
    console.print(
        f"{explanation.site} ({explanation.name}, makes {explanation.material}): "
        f"[{colour}]{explanation.verdict}[/{colour}] — TTR {fmt_periods(explanation.ttr, period)}, "
        f"TTS {fmt_periods(explanation.tts, period)}; lost profit over TTR "
        f"{fmt_money(explanation.lost_profit, currency)}"
    )
    feeds = [
        [
            f.customer,
            f.material,
            number(f.quantity),
            ", ".join(f.alternatives) or "none (single-sourced)",
        ]
        for f in explanation.feeds
    ]
    console.print(
        _table("Lines it feeds", ["customer", "material", "per unit", "other sources"], feeds)
    )
    binding = [
        [
            b.node,
            b.what,
            fmt_periods(b.at, period),
            number(b.inventory),
            number(b.capacity),
            f"{b.shadow:.3g}",
        ]
        for b in explanation.runs_out_first
    ]
    console.print(
        _table(
            "What runs out first (binding constraints of the time-to-survive program)",
            ["site", "binds", "after", "stock", f"capacity/{period}", "dual"],
            binding,
        )
    )
    losses = [
        [p.product, number(p.lost_units), fmt_money(p.lost_profit, currency)]
        for p in explanation.per_product
    ]
    console.print(
        _table(
            "Lost per end product over the TTR", ["product", "lost units", "lost profit"], losses
        )
    )
    for change in explanation.to_change_verdict:
        console.print(f"  • {change_text(change, explanation)}", markup=False)


def explain_command(
    network: Annotated[
        str,
        typer.Argument(
            help="Network folder, .yaml, reference .json or .xlsx file, or a built-in name."
        ),
    ],
    site: Annotated[str, typer.Argument(help="The site's node id.")],
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration", "-d", min=0, help="Periods the site stays down (default: its TTR)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the explanation as JSON instead of tables.")
    ] = False,
) -> None:
    """Why a site matters: the lines it feeds (single-sourced ones marked), what runs out first,
    lost units and profit per end product over its TTR, and what would change the verdict."""
    from chipstress.workflows.explain import explain

    with fail_on_bad_input():
        loaded = load_network(network)
        explanation = explain(loaded, site, duration)
        if as_json:
            console.print_json(json.dumps(_json_value(explanation.to_dict())))
            return
        _print(explanation)
