"""What events cost in chipstress beside what they were reported to cost.

Each record of ``data/outcomes.yaml`` names a catalogue event, the company's sites in the
network, a reported figure (``[low, high]`` USD, with its source and basis) and the
component of chipstress's loss it is compared with (docs/validation.md says why each).
:func:`validation_table` replays every event on a network and sums that component over
those sites:

* a costed event is **within its band** when chipstress lies between a third of the
  reported low and three times the reported high (:data:`BAND`);
* an event reported without production loss (``no_loss``) passes when every production
  component stays below its ``limit_usd``;
* an event whose money figure belongs to a company many times smaller than the one
  modelled (1999 TSMC had a thirtieth of today's revenue) is compared on the share of
  output it lost instead (``compare: output_share``, ``reported_share`` over
  ``window_days``): the units the company's sites made below normal
  (``output_short``) over their normal output in the window (capacity × utilisation).

The components come from the run's ``components`` table when it has one (business
interruption, scrap, damage, mitigation, total); otherwise the business interruption is
the nodes' ``allocated_loss`` and the other components are 0. Scrap of a power dip and
water trucking are booked on the utility node's row (for its customers); the rows of the
utilities that supply the company's sites count with those sites.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.workflows.hazards.components import COMPONENTS as PARTS
from chipstress.workflows.hazards.components import default_component_parameters
from chipstress.workflows.hazards.params import PERIOD_DAYS, read_data_yaml

__all__ = [
    "BAND",
    "COMPONENTS",
    "OUTPUT_SHARE",
    "VALIDATION_COLUMNS",
    "Outcome",
    "load_outcomes",
    "median_ratio",
    "outcome_from_record",
    "validation_table",
]

BAND = 3.0  # a costed event passes within this factor of its reported range
COMPONENTS = (*PARTS, "total")
OUTPUT_SHARE = "output_share"  # compared on the share of output lost, not on money
VALIDATION_COLUMNS = [
    "event",
    "company",
    "compare",
    "reported_low",
    "reported_high",
    "chipstress",
    "ratio",
    "within_band",
    *COMPONENTS,
    "sites_hit",
    "sites_missing",
    "basis",
    "source",
]


@dataclass(frozen=True)
class Outcome:
    """One reported figure of what an event cost a company (``data/outcomes.yaml``).

    Attributes
    ----------
    event
        The catalogue event id.
    company
        Who reported it.
    sites
        The company's node ids in the network whose losses are summed.
    compare
        The component compared (one of :data:`COMPONENTS`), or :data:`OUTPUT_SHARE`.
    low, high
        The reported figure (USD, or a share of output); equal when one number was
        reported.
    no_loss
        The event was reported without production loss; ``limit`` applies.
    limit
        Largest loss (USD) a ``no_loss`` event may show in any production component.
    basis, source
        What the figure is and where it comes from.
    window_days
        With :data:`OUTPUT_SHARE`, the days of normal output the share is of.
    """

    event: str
    company: str
    sites: tuple[str, ...]
    compare: str
    low: float
    high: float
    no_loss: bool
    limit: float
    basis: str
    source: str
    window_days: float = 0.0


def outcome_from_record(raw: dict[str, Any], where: str) -> Outcome:
    """One record of ``outcomes.yaml``, checked.

    Parameters
    ----------
    raw
        The record as read from YAML.
    where
        Where it comes from, for the error message (file and record number).

    Returns
    -------
    Outcome
        The record.

    Raises
    ------
    InvalidInput
        A missing field, an unknown component or a bad reported range.
    """
    for field in ("event", "company", "sites", "basis", "source"):
        if field not in raw:
            raise InvalidInput(f"{where}: missing {field!r}")
    no_loss = bool(raw.get("no_loss", False))
    compare = str(raw.get("compare", "total"))
    if compare not in (*COMPONENTS, OUTPUT_SHARE):
        choices = ", ".join((*COMPONENTS, OUTPUT_SHARE))
        raise InvalidInput(f"{where}: compare must be one of {choices}")
    field = "reported_share" if compare == OUTPUT_SHARE else "reported_usd"
    try:
        low, high = (0.0, 0.0) if no_loss else (float(v) for v in raw[field])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{where}: {field} must be [low, high]") from None
    if not (0 <= low <= high) or not math.isfinite(high):
        raise InvalidInput(f"{where}: {field} must be [low, high] with 0 <= low <= high")
    window = float(raw.get("window_days", 0.0)) if compare == OUTPUT_SHARE else 0.0
    if compare == OUTPUT_SHARE and not (0 < window <= 3660 and high <= 1):
        raise InvalidInput(f"{where}: an output share needs window_days > 0 and shares <= 1")
    return Outcome(
        event=str(raw["event"]),
        company=str(raw["company"]),
        sites=tuple(str(s) for s in raw["sites"]),
        compare=compare,
        low=low,
        high=high,
        no_loss=no_loss,
        limit=float(raw.get("limit_usd", 10e6)),
        basis=" ".join(str(raw["basis"]).split()),
        source=str(raw["source"]),
        window_days=window,
    )


@cache
def load_outcomes() -> tuple[Outcome, ...]:
    """The reported outcomes shipped with chipstress (``data/outcomes.yaml``).

    Returns
    -------
    tuple of Outcome
        One per event and company, in the file's order.

    Raises
    ------
    InvalidInput
        A record without its event, sites, basis or source, or a bad figure.
    """
    _, raw = read_data_yaml("outcomes.yaml")
    return tuple(
        outcome_from_record(record, f"outcomes.yaml, record {i + 1}")
        for i, record in enumerate(raw["outcomes"])
    )


def _components(tables: dict[str, pd.DataFrame], sites: Sequence[str]) -> dict[str, float]:
    """Each component summed over ``sites`` (USD)."""
    if "components" in tables and not tables["components"].empty:
        frame = tables["components"].set_index("node")
        rows = frame.reindex([s for s in sites if s in frame.index])
        out = {c: float(rows[c].sum()) if c in rows else 0.0 for c in COMPONENTS}
        if "total" not in frame:
            out["total"] = sum(out[c] for c in COMPONENTS[:-1])
        return out
    nodes = tables["nodes"].set_index("node")
    interruption = float(
        nodes.reindex([s for s in sites if s in nodes.index])["allocated_loss"].sum()
    )
    return {
        "business_interruption": interruption,
        "scrap": 0.0,
        "damage": 0.0,
        "mitigation": 0.0,
        "total": interruption,
    }


def _output_share(
    network: Network, tables: dict[str, pd.DataFrame], sites: Sequence[str], days: float
) -> float:
    """Units the sites made below normal over their normal output in ``days`` (a share)."""
    frame = tables.get("components")
    if frame is None or frame.empty or "output_short" not in frame:
        return 0.0
    short = frame.set_index(frame["node"].astype(str))["output_short"]
    nodes = network.nodes.set_index(network.nodes["id"].astype(str))
    present = [s for s in sites if s in nodes.index]
    name = str(network.meta.period).strip().lower().rstrip("s")
    periods = days / PERIOD_DAYS.get(name, 1.0)
    utilisation = default_component_parameters().utilisation
    normal = float(nodes.loc[present, "capacity"].astype(float).sum()) * utilisation * periods
    lost = float(short.reindex(present).fillna(0.0).sum())
    return lost / normal if normal > 0 else 0.0


def validation_table(network: Network, outcomes: Sequence[Outcome] | None = None) -> pd.DataFrame:
    """Replay each reported event on ``network`` and compare its cost with the report.

    Parameters
    ----------
    network
        The network (the built-in ``tri-cluster`` for the shipped outcomes).
    outcomes
        The figures to compare with (default: :func:`load_outcomes`).

    Returns
    -------
    pandas.DataFrame
        One row per outcome, columns :data:`VALIDATION_COLUMNS`: the reported range and
        chipstress's value of the compared component (USD), their ratio (chipstress / the
        geometric mean of the range; NaN for a ``no_loss`` event), whether it lies within
        the band, each component over the company's sites, and which of those sites the
        replay hit or the network lacks.
    """
    from chipstress.workflows.hazards.replay import replay

    known = set(network.nodes["id"].astype(str))
    kind = network.nodes.set_index("id")["kind"].astype(str)
    sources = network.sources
    rows = []
    for outcome in outcomes if outcomes is not None else load_outcomes():
        result = replay(outcome.event, network)
        tables = result.tables()
        suppliers = sources.loc[sources["customer"].isin(outcome.sites), "supplier"]
        utilities = sorted({str(s) for s in suppliers if kind.get(s) == "utility"})
        components = _components(tables, [*outcome.sites, *utilities])
        hit = set(tables["nodes"]["node"].astype(str)) if "nodes" in tables else set()
        value = (
            _output_share(network, tables, outcome.sites, outcome.window_days)
            if outcome.compare == OUTPUT_SHARE
            else components[outcome.compare]
        )
        if outcome.no_loss:
            production = max(components[c] for c in ("business_interruption", "scrap", "damage"))
            ratio, within = math.nan, production <= outcome.limit
        else:
            middle = math.sqrt(outcome.low * outcome.high)
            ratio = value / middle if middle > 0 else math.nan
            within = outcome.low / BAND <= value <= outcome.high * BAND
        rows.append(
            {
                "event": outcome.event,
                "company": outcome.company,
                "compare": "no production loss" if outcome.no_loss else outcome.compare,
                "reported_low": outcome.low,
                "reported_high": outcome.high,
                "chipstress": value,
                "ratio": ratio,
                "within_band": bool(within),
                **components,
                "sites_hit": ", ".join(s for s in outcome.sites if s in hit),
                "sites_missing": ", ".join(s for s in outcome.sites if s not in known),
                "basis": outcome.basis,
                "source": outcome.source,
            }
        )
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def median_ratio(table: pd.DataFrame) -> float:
    """Median factor between chipstress and the reports over the costed events.

    Parameters
    ----------
    table
        A :func:`validation_table`.

    Returns
    -------
    float
        The median of ``max(ratio, 1/ratio)`` (1 = exact; NaN without a costed event).
    """
    ratios = table["ratio"].to_numpy(dtype=float)
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    if not len(ratios):
        return math.nan
    return float(np.median(np.maximum(ratios, 1.0 / ratios)))
