"""The "Recovery over time" section of a replay, scenario or outage report.

Drawn from the run's ``timeline``, ``timeline_nodes`` and ``timeline_products`` tables
(docs/hazards.md). Runs stored before those tables existed have none: the section is then
left out, with no note and no empty chart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from chipstress.interfaces import figures as figs
from chipstress.interfaces.figures import compact, fmt_money
from chipstress.interfaces.report._html import Column, Page, cards, escape, number, table
from chipstress.model.network import Network
from chipstress.store import StoredRun

__all__ = ["TIMELINE_TABLES", "recovery_sections"]

TIMELINE_TABLES = frozenset({"timeline", "timeline_nodes", "timeline_products"})
# Periods with a loss beyond which the per-product table gives totals, not one column each.
MAX_PERIOD_COLUMNS = 16
_FULL = 1 - 1e-6


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _back_at(frame: pd.DataFrame) -> float:
    """Start (network periods) of the period from which capacity stays full; NaN if never."""
    capacity = _values(frame, "capacity")
    if not len(capacity) or capacity[-1] < _FULL:
        return math.nan
    low = np.flatnonzero(~(capacity >= _FULL))
    first = int(low[-1]) + 1 if len(low) else 0
    return _values(frame, "start")[first] if "start" in frame else float(first)


def _when(value: float, unit: str, length: float) -> str:
    if math.isnan(value):
        return "not within the run"
    return f"after {value / length:,.3g} {unit}s"


def recovery_sections(
    page: Page, run: StoredRun, network: Network, tables: Mapping[str, pd.DataFrame]
) -> None:
    """Cards, the recovery chart and the losses per product and site over time.

    Adds nothing when the run has no (or an empty) ``timeline`` table.

    Parameters
    ----------
    page
        The page the section is added to.
    run
        The stored run (its summary's ``period_length`` and ``horizon``).
    network
        Its network (names, currency, period).
    tables
        The run's tables by name.
    """
    timeline = tables.get("timeline")
    if timeline is None or timeline.empty:
        return
    timeline = timeline.sort_values("period").reset_index(drop=True)
    meta = network.meta
    currency = meta.currency or "money"
    length_value = run.summary.get("period_length")
    length_given = float(length_value) if isinstance(length_value, int | float) else None
    unit, length = figs.run_period(meta.period, length_given)
    names = dict(
        zip(network.nodes["id"].astype(str), network.nodes["name"].astype(str), strict=True)
    )
    service = _values(timeline, "service_level")
    lost = float(np.nansum(_values(timeline, "lost_profit")))
    worst = int(np.nanargmin(service)) if np.isfinite(service).any() else None
    page.section(
        "Recovery over time",
        f"The event period by period ({len(timeline):,} {escape(unit)}s): the mean remaining "
        "capacity of the sites hit, and the service level — units sold to end customers as a "
        "share of what the undisrupted network sells in the same period. Bars: the lost profit "
        f"of each period beyond the undisrupted network's ({escape(currency)}). Stocks carry "
        "over from one period to the next.",
        "recovery",
    )
    page.add(
        cards(
            [
                (
                    "lowest service level",
                    "-" if worst is None else f"{service[worst]:.1%}",
                    "" if worst is None else f"in {unit} {number(timeline['period'].iloc[worst])}",
                    worst is not None and service[worst] < _FULL,
                ),
                (
                    "sites hit back to full capacity",
                    _when(_back_at(timeline), unit, length),
                    "",
                    False,
                ),
                (
                    "lost profit over the timeline",
                    f"{compact(lost)} {currency}".strip(),
                    "sum of the periods' losses",
                    lost > 0,
                ),
            ]
        )
    )
    page.figure(
        figs.recovery_chart(
            timeline,
            nodes=tables.get("timeline_nodes"),
            names=names,
            period=meta.period,
            period_length=length_given,
            currency=currency,
        )
    )
    products = tables.get("timeline_products")
    if products is not None and not products.empty:
        page.add(f"<h3>Lost per product, by {escape(unit)}</h3>")
        page.add(_products_table(products, names, unit, currency))
    sites = tables.get("timeline_nodes")
    if sites is not None and not sites.empty:
        page.add("<h3>Sites hit, over time</h3>")
        page.add(_sites_table(sites, names, unit))


def _money(value: Any) -> str:
    """Money, ``-`` where a product lost nothing in a period."""
    amount = float(value) if isinstance(value, int | float | np.number) else math.nan
    return "-" if math.isnan(amount) else fmt_money(amount)


def _units(value: Any) -> str:
    """Units on hand; solver noise below a millionth of a unit shows as 0."""
    amount = float(value) if isinstance(value, int | float | np.number) else math.nan
    return number(0.0 if abs(amount) < 1e-6 else amount, 4)


def _products_table(frame: pd.DataFrame, names: Mapping[str, str], unit: str, currency: str) -> str:
    """Lost profit per product and period (few periods), or per product in total (many)."""
    data = frame.assign(
        product=frame["product"].astype(str),
        lost_units=_values(frame, "lost_units"),
        lost_profit=_values(frame, "lost_profit"),
    )
    totals = data.groupby("product", sort=False)[["lost_units", "lost_profit"]].sum()
    totals = totals.sort_values("lost_profit", ascending=False)
    periods = sorted(data.loc[data["lost_profit"] != 0, "period"].unique().tolist())
    rows = totals.reset_index()
    rows["name"] = rows["product"].map(lambda p: names.get(p) or p)
    columns = [
        Column("name", "product"),
        Column("lost_units", "lost units", lambda v: number(v, 4), numeric=True),
    ]
    if 0 < len(periods) <= MAX_PERIOD_COLUMNS:
        by_period = data.pivot_table(
            index="product", columns="period", values="lost_profit", aggfunc="sum"
        )
        for p in periods:
            key = f"p{p}"
            rows[key] = rows["product"].map(by_period[p])
            columns.append(Column(key, f"{unit} {number(p)}", _money, numeric=True))
    else:
        lossy = data[data["lost_profit"] != 0]
        rows["first"] = rows["product"].map(lossy.groupby("product")["period"].min())
        rows["last"] = rows["product"].map(lossy.groupby("product")["period"].max())
        columns += [
            Column("first", f"first {unit} with a loss", number, numeric=True),
            Column("last", f"last {unit} with a loss", number, numeric=True),
        ]
    columns.append(Column("lost_profit", f"lost profit ({currency})", _money, numeric=True))
    return table(rows, columns, limit=30)


def _sites_table(frame: pd.DataFrame, names: Mapping[str, str], unit: str) -> str:
    """Per site hit: its lowest capacity, when it is back to full, its stock."""
    data = frame.assign(
        node=frame["node"].astype(str),
        capacity=_values(frame, "capacity"),
        stock=_values(frame, "stock"),
    )
    rows = []
    for node, group in data.groupby("node", sort=False):
        group = group.sort_values("period")
        capacity = group["capacity"].to_numpy(dtype=float)
        low = np.flatnonzero(~(capacity >= _FULL))
        back = (
            math.nan
            if len(low) and low[-1] == len(capacity) - 1
            else float(group["period"].iloc[int(low[-1]) + 1])
            if len(low)
            else float(group["period"].iloc[0])
        )
        rows.append(
            {
                "name": names.get(str(node)) or str(node),
                "lowest": float(np.nanmin(capacity)) if np.isfinite(capacity).any() else math.nan,
                "back": back,
                "stock_low": float(np.nanmin(group["stock"]))
                if group["stock"].notna().any()
                else math.nan,
                "stock_end": float(group["stock"].iloc[-1]),
            }
        )
    sites = pd.DataFrame(rows).sort_values("lowest", kind="stable")
    return table(
        sites,
        [
            Column("name", "site"),
            Column(
                "lowest",
                "lowest capacity",
                lambda v: "-" if math.isnan(v) else f"{v:.0%}",
                numeric=True,
            ),
            Column(
                "back",
                f"full again from {unit}",
                lambda v: "not in the run" if math.isnan(v) else number(v),
                numeric=True,
            ),
            Column("stock_low", "lowest stock (units)", _units, numeric=True),
            Column("stock_end", "stock at the end (units)", _units, numeric=True),
        ],
        limit=30,
    )
