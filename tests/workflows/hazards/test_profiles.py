"""Time profiles: recovery curves, their agreement with the window model, and the timeline path."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chipstress import Network
from chipstress.engine.timeline import TimelineModel
from chipstress.errors import InvalidInput
from chipstress.workflows.hazards.events import Duration, Event, ExportControl, WaterRestriction
from chipstress.workflows.hazards.profiles import (
    PROFILE_COLUMNS,
    capacity_profile,
    curve_for,
    load_curves,
    timeline_inputs,
)
from chipstress.workflows.hazards.replay import catalogue
from chipstress.workflows.hazards.translate import blocked_edges, translate

DAY = 1 / 7  # a day on the weekly tri-cluster network


def _water(level: str, weeks: float, start: float = 0.0, district: str = "hsinchu") -> Event:
    return WaterRestriction(district, Duration.weeks(weeks), level, start=Duration.weeks(start))


def _alert(level: str, weeks: float, start: float = 0.0) -> list[Event]:
    """A Taiwan alert over Hsinchu and Taichung (the issue's table)."""
    return [_water(level, weeks, start, d) for d in ("hsinchu", "taichung")]


def _timeline_loss(network: Network, events: list[Event], horizon: int, period: float) -> float:
    model = TimelineModel(network, horizon, period)
    profile = capacity_profile(events, network, horizon, period)
    return model.solve(*timeline_inputs(profile, model)).loss


# ------------------------------------------------------------------ the curves
def test_every_curve_is_sourced_and_in_range() -> None:
    curves, _ = load_curves()
    assert "flat" in curves
    for curve in curves.values():
        assert curve.source
        assert 0 < curve.area <= 1
        assert curve.g[0] == 1 and curve.x[0] == 0 and curve.x[-1] == 1
    assert curve_for("earthquake", "fab", "slight").name == "hualien_2024"
    assert curve_for("earthquake", "fab", "extensive").name == "kumamoto_2016"
    assert curve_for("fire", "fab", "fire").name == "naka_fire_2021"
    assert curve_for("water_restriction", "utility", "restricted").name == "flat"
    assert curve_for("earthquake", "logistics", "slight").name == "flat"


def test_hualien_curve_keeps_its_anchor_points() -> None:
    curve = curve_for("earthquake", "fab", "slight")
    # Over 70 % of tools back within 10 hours, all within 3 days (the shape's time axis).
    assert np.interp(10 / 72, curve.x, curve.g) == pytest.approx(0.3, abs=1e-3)
    assert np.interp(1.0, curve.x, curve.g) == 0


def test_scaling_keeps_the_window_models_capacity_periods() -> None:
    curve = curve_for("earthquake", "fab", "moderate")
    drop, span = curve.scaled(0.8, 1.5)
    assert drop == 1.0
    assert drop * curve.area * span == pytest.approx(0.8 * 1.5)
    flat = load_curves()[0]["flat"]
    assert flat.scaled(0.41, 8.0) == (0.41, 8.0)


# ------------------------------------------------------------------ profiles
def test_a_water_level_is_held_for_its_duration(tri: Network) -> None:
    profile = capacity_profile(_water("red", 8), tri, 12)
    frame = profile.frame()
    assert list(frame.index) == ["baoshan_reservoirs"]
    assert frame.loc["baoshan_reservoirs"].tolist() == pytest.approx([0.59] * 8 + [1.0] * 4)
    assert list(profile.sites.columns) == PROFILE_COLUMNS
    assert profile.sites["curve"].tolist() == ["flat"]
    assert not profile.blocked.any()


def test_phases_follow_one_another(tri: Network) -> None:
    events = [_water("yellow", 4), _water("red", 8, start=4)]
    row = capacity_profile(events, tri, 14).frame().loc["baoshan_reservoirs"]
    assert row.tolist() == pytest.approx([0.95] * 4 + [0.59] * 8 + [1.0] * 2)


def test_start_shifts_the_horizon(tri: Network) -> None:
    profile = capacity_profile(_water("red", 8), tri, 4, start=Duration.weeks(6))
    assert profile.frame().loc["baoshan_reservoirs"].tolist() == pytest.approx(
        [0.59] * 2 + [1.0] * 2
    )


def test_a_quake_drops_then_ramps_at_daily_resolution(tri: Network) -> None:
    events = list(catalogue()["hualien_2024"].events)
    profile = capacity_profile(events, tri, 7, DAY)
    frame = profile.frame()
    assert set(profile.sites["curve"]) == {"hualien_2024"}
    fabs = set(profile.sites.loc[profile.sites["kind"] == "fab", "site"])
    assert fabs
    for node, row in frame.iterrows():
        values = row.to_numpy()
        if node in fabs:
            assert values[0] < 0.5  # tools down, then most back within the first day
        assert np.all(np.diff(values) >= -1e-12)  # recovering, never worse
        assert values[-1] == 1.0


@pytest.mark.parametrize(
    "key",
    [
        "chichi_1999",
        "naka_fire_2021",
        "hualien_2024",
        "tsmc_malware_2018",
        "taiwan_drought_2021",
        "south_taiwan_drought_2023",
        "texas_storm_2021",
        "taiwan_blackout_2021",
    ],
)
def test_profile_integrates_to_the_window_fraction(tri: Network, key: str) -> None:
    """Summed over a horizon that holds the whole event, each hit node loses what the window model says."""
    events = list(catalogue()[key].events)
    translation = translate(events, tri)
    first = capacity_profile(events, tri, 1)
    end = max([translation.window, *first.sites["end_periods"]])
    profile = capacity_profile(events, tri, math.ceil(end / DAY) + 1, DAY)
    lost = profile.lost()
    hit = {node for node, alpha in translation.disruption.items() if alpha > 0}
    assert set(lost.index) == hit
    for node in hit:
        assert lost[node] / translation.window == pytest.approx(
            translation.disruption[node], abs=1e-12
        )


def test_overlapping_hits_multiply(tri: Network) -> None:
    events = [_water("red", 4), _water("orange", 2, start=1)]
    row = capacity_profile(events, tri, 5).frame().loc["baoshan_reservoirs"]
    assert row.tolist() == pytest.approx([0.59, 0.59 * 0.85, 0.59 * 0.85, 0.59, 1.0])


def test_export_controls_block_edges_in_the_periods_they_overlap(tri: Network) -> None:
    supplier = str(tri.sources["supplier"].iat[0])
    event = ExportControl(Duration.weeks(2.5), supplier=supplier, start=Duration.weeks(1))
    profile = capacity_profile(event, tri, 5)
    mask = blocked_edges(event, tri)
    assert np.array_equal(profile.blocked[~mask], np.zeros((int((~mask).sum()), 5), bool))
    assert profile.blocked[mask].all(axis=0).tolist() == [False, True, True, True, False]
    assert profile.frame().empty


def test_bad_horizons_and_mismatched_timelines(tri: Network) -> None:
    with pytest.raises(InvalidInput, match="horizon"):
        capacity_profile(_water("red", 8), tri, 0)
    with pytest.raises(InvalidInput, match="period"):
        capacity_profile(_water("red", 8), tri, 4, 0.0)
    model = TimelineModel(tri, 4, 1.0)
    with pytest.raises(InvalidInput, match="periods"):
        timeline_inputs(capacity_profile(_water("red", 8), tri, 5), model)


# ------------------------------------------------------------------ on the timeline engine
def test_phases_after_or_before_red_do_not_dilute_it(tri: Network) -> None:
    """The issue's table, on the timeline engine: a benign phase no longer averages red away."""
    red = _timeline_loss(tri, _alert("red", 8), 16, 1.0)
    assert red > 1e6
    red_then_green = _timeline_loss(tri, _alert("red", 8) + _alert("green", 8, start=8), 16, 1.0)
    assert red_then_green >= red - 1e-6 * red
    red_later = _timeline_loss(tri, _alert("red", 8, start=4), 16, 1.0)
    yellow_then_red = _timeline_loss(tri, _alert("yellow", 4) + _alert("red", 8, start=4), 16, 1.0)
    assert yellow_then_red >= red_later - 1e-6 * max(red_later, 1.0)


@pytest.mark.parametrize("lead_time", [0.0, 1.0])
def test_export_control_on_the_timeline_by_hand(lead_time: float) -> None:
    """Blocking the only source for weeks 2-3 of 4: p can make 2 units, so 2 are lost."""
    network = Network.from_tables(
        pd.DataFrame(
            [
                {"id": "a", "material": "m", "capacity": 2, "country": "JP"},
                {"id": "p", "material": "q", "capacity": 1, "demand": 1, "margin": 10},
            ]
        ),
        pd.DataFrame([{"node": "p", "material": "m", "quantity": 1.0}]),
        pd.DataFrame([{"supplier": "a", "customer": "p", "lead_time": lead_time}]),
        {"name": "two nodes", "period": "week"},
    )
    event = ExportControl(Duration.weeks(2), country="JP", start=Duration.weeks(1))
    model = TimelineModel(network, 4, 1.0)
    profile = capacity_profile(event, network, 4)
    assert profile.blocked.tolist() == [[False, True, True, False]]
    result = model.solve(*timeline_inputs(profile, model))
    assert result.loss == pytest.approx(20.0)
    assert float(result.lost_units.to_numpy().sum()) == pytest.approx(2.0)
    assert model.solve(*timeline_inputs(capacity_profile([], network, 4), model)).loss == 0.0


def test_hualien_shows_the_loss_its_recovery_curve_implies(tri: Network) -> None:
    """Without stock, a fab down for hours loses margin × (demand − capacity) in every day of the ramp."""
    nodes = tri.nodes.copy()
    nodes["inventory"] = 0.0
    bare = Network(nodes, tri.bom, tri.sources, tri.meta)
    events = list(catalogue()["hualien_2024"].events)
    horizon = 14
    profile = capacity_profile(events, bare, horizon, DAY)
    assert "fab" in set(profile.sites["kind"])
    fabs = set(profile.sites.loc[profile.sites["kind"] == "fab", "site"])
    table = bare.nodes.set_index("id")
    implied = 0.0
    for node, row in profile.frame().iterrows():
        if node not in fabs:
            continue
        capacity, demand, margin = table.loc[node, ["capacity", "demand", "margin"]]
        implied += margin * DAY * float(np.maximum(0.0, demand - row.to_numpy() * capacity).sum())
    assert implied > 1e6
    loss = _timeline_loss(bare, events, horizon, DAY)
    if fabs == set(profile.sites["site"]):  # only fabs hit: their own lost sales, exactly
        assert loss == pytest.approx(implied, rel=1e-9)
    else:  # the packaging sites hit lose more on top (other products)
        assert loss >= implied * (1 - 1e-9)
