"""What events cost in chipstress beside what was reported (docs/validation.md).

The table is recomputed on the built-in network; every costed event must lie within a
factor of 3 of its reported range and every event reported without production loss
below 10 M USD. Events still outside their band are listed in ``OUTSIDE`` with why:
their test is a strict expected failure, so it fails (and must be moved) as soon as the
event enters its band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chipstress import load_builtin
from chipstress.errors import InvalidInput
from chipstress.workflows.hazards.outcomes import (
    BAND,
    OUTPUT_SHARE,
    Outcome,
    load_outcomes,
    median_ratio,
    outcome_from_record,
    validation_table,
)
from chipstress.workflows.hazards.replay import replay

# Events outside their band today, and the component that is missing or too small
# (each a strict expected failure, so that an event coming back into its band is noticed).
OUTSIDE: dict[str, str] = {}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return validation_table(load_builtin("tri-cluster")).set_index("event")


def _cases() -> list[object]:
    out: list[object] = []
    for outcome in load_outcomes():
        marks = []
        if outcome.event in OUTSIDE:
            marks = [pytest.mark.xfail(strict=True, reason=OUTSIDE[outcome.event])]
        out.append(pytest.param(outcome.event, marks=marks, id=outcome.event))
    return out


@pytest.mark.parametrize("event", _cases())
def test_each_event_lies_within_its_band(table: pd.DataFrame, event: str) -> None:
    row = table.loc[event]
    assert row["within_band"], (
        f"{event}: chipstress {row['chipstress']:,.0f} USD ({row['compare']}) against "
        f"{row['reported_low']:,.0f}-{row['reported_high']:,.0f} reported"
    )


def test_the_table_is_what_its_columns_say(table: pd.DataFrame) -> None:
    costed = table[table["compare"] != "no production loss"]
    parts = ["business_interruption", "idle_capacity", "scrap", "damage", "mitigation"]
    assert (table[parts].sum(axis=1) - table["total"]).abs().max() <= 1e-6 * (
        1 + table["total"].abs().max()
    )
    for event, row in costed.iterrows():
        if row["compare"] == OUTPUT_SHARE:
            assert 0 < row["chipstress"] <= 1, event
        else:
            assert row["chipstress"] == pytest.approx(row[row["compare"]]), event
        low, high = row["reported_low"], row["reported_high"]
        assert row["within_band"] == (low / BAND <= row["chipstress"] <= high * BAND), event
    # every named site is in the network (the Naka replays hit the real site)
    assert (table["sites_missing"] == "").all(), table["sites_missing"].to_dict()
    assert median_ratio(table) > 0


def test_the_replays_hit_the_sites_the_real_events_hit(table: pd.DataFrame) -> None:
    assert "renesas_naka" in table.loc["naka_fire_2021", "sites_hit"]
    assert "sony_kumamoto_tec" in table.loc["kumamoto_2016", "sites_hit"]
    assert "tsmc_fab14" in table.loc["photoresist_2019", "sites_hit"]
    assert table.loc["hualien_2024", "sites_hit"] != ""


def test_outcomes_need_a_source_and_a_range() -> None:
    good = {
        "event": "x",
        "company": "c",
        "sites": ["a"],
        "basis": "b",
        "source": "https://example.org",
        "reported_usd": [1.0, 2.0],
    }
    assert isinstance(outcome_from_record(good, "here"), Outcome)
    for field in ("source", "sites", "basis"):
        broken = {k: v for k, v in good.items() if k != field}
        with pytest.raises(InvalidInput, match=f"here: missing '{field}'"):
            outcome_from_record(broken, "here")
    with pytest.raises(InvalidInput, match="low <= high"):
        outcome_from_record({**good, "reported_usd": [3.0, 2.0]}, "here")
    with pytest.raises(InvalidInput, match="compare must be one of"):
        outcome_from_record({**good, "compare": "revenue"}, "here")
    share = {**good, "compare": OUTPUT_SHARE, "reported_share": [0.1, 0.2], "window_days": 30}
    assert outcome_from_record(share, "here").window_days == 30
    with pytest.raises(InvalidInput, match="reported_share must be"):
        outcome_from_record({**share, "reported_share": None}, "here")
    with pytest.raises(InvalidInput, match="window_days > 0"):
        outcome_from_record({**share, "window_days": 0}, "here")
    with pytest.raises(InvalidInput, match="shares <= 1"):
        outcome_from_record({**share, "reported_share": [0.5, 2.0]}, "here")


def test_the_output_share_is_units_short_over_normal_output(table: pd.DataFrame) -> None:
    # Chi-Chi is compared on the share of a month's output TSMC's 1999 fabs lost: all were
    # at Hsinchu Science Park, which the network's Fab 12 and Fab 20 stand for.
    row = table.loc["chichi_1999"]
    assert row["compare"] == OUTPUT_SHARE and row["within_band"]
    (outcome,) = [o for o in load_outcomes() if o.event == "chichi_1999"]
    assert sorted(outcome.sites) == ["tsmc_fab12", "tsmc_fab20"]
    network = load_builtin("tri-cluster")
    short = replay("chichi_1999", network).tables()["components"].set_index("node")
    capacity = network.nodes.set_index("id")["capacity"].astype(float)
    lost = sum(float(short.loc[s, "output_short"]) for s in outcome.sites)
    normal = sum(capacity[s] for s in outcome.sites) * 0.9 * 30 / 7  # utilisation, weeks
    assert row["chipstress"] == pytest.approx(lost / normal, rel=1e-9)


def test_the_median_factor_meets_the_goal(table: pd.DataFrame) -> None:
    costed = table[table["compare"] != "no production loss"]
    factors = np.maximum(costed["ratio"], 1 / costed["ratio"]).to_numpy(dtype=float)
    assert median_ratio(table) == pytest.approx(float(np.median(factors)))
    assert median_ratio(table) <= 2.0, costed["ratio"].to_dict()


def test_events_reported_without_loss_stay_below_the_limit(table: pd.DataFrame) -> None:
    quiet = table[table["compare"] == "no production loss"]
    assert len(quiet) >= 2
    production = quiet[["business_interruption", "scrap", "damage"]].max(axis=1)
    assert (production <= 10e6).all(), production.to_dict()
