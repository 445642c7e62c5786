"""The "Loss components" section of a replay, scenario or outage report.

Drawn from the run's ``components`` table (docs/hazards.md, "Loss components"): one row
per node hit with business interruption, idle capacity, scrap, damage, mitigation, their total, and the
downstream revenue at risk (an exposure, not in the total). Runs stored before the table
existed have none: the section is then left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from chipstress.interfaces.figures import fmt_money
from chipstress.interfaces.report._html import Column, Page, escape, table
from chipstress.model.network import Network

__all__ = ["COMPONENT_TABLES", "components_section"]

COMPONENT_TABLES = frozenset({"components"})
_SHOWN = (
    ("business_interruption", "business interruption"),
    ("idle_capacity", "idle capacity"),
    ("scrap", "scrap"),
    ("damage", "damage"),
    ("mitigation", "mitigation"),
    ("total", "total"),
    ("downstream_revenue_at_risk", "downstream revenue at risk"),
)


def components_section(page: Page, network: Network, tables: Mapping[str, pd.DataFrame]) -> None:
    """A table of the loss components: the run's total, then one row per node hit.

    Adds nothing when the run has no (or an empty) ``components`` table.

    Parameters
    ----------
    page
        The page the section is added to.
    network
        The run's network (names, currency).
    tables
        The run's tables by name.
    """
    frame = tables.get("components")
    if frame is None or frame.empty:
        return
    currency = network.meta.currency or ""
    names = network.nodes.set_index(network.nodes["id"].astype(str))["name"].astype(str)
    money = [key for key, _ in _SHOWN if key in frame]
    values = frame[money].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    rows = pd.concat(
        [
            pd.DataFrame([{"node": "all nodes hit", **values.sum().to_dict()}]),
            frame.assign(node=[names.get(str(n), str(n)) for n in frame["node"]])
            .loc[:, ["node", "kind"]]
            .join(values),
        ],
        ignore_index=True,
    )

    def fmt(value: Any) -> str:
        return fmt_money(value, currency)

    columns = [Column("node", "node"), Column("kind", "kind")]
    columns += [Column(key, header, fmt, numeric=True) for key, header in _SHOWN if key in frame]
    page.section(
        "Loss components",
        f"What the event costs, by component (money in {escape(currency or 'the network currency')}): "
        "business interruption is the margin of lost sales without the premiums paid on "
        "edges, which count under mitigation with water trucked in; scrap is the work in "
        "process lost; damage the repair and recovery. The total is their sum; the "
        "downstream revenue at risk (the customers' product revenue behind the lost units) "
        "is an exposure, not part of it.",
        "components",
    )
    page.add(table(rows.fillna({"kind": ""}), columns, limit=41))
