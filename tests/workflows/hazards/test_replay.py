"""Historical replays and scenario files on the network as it is today."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from chipstress import Network
from chipstress.engine import time_to_survive
from chipstress.engine.timeline import TimelineModel
from chipstress.errors import InvalidInput
from chipstress.workflows.hazards import (
    SITE_COLUMNS,
    catalogue,
    evaluate,
    parse_events,
    replay,
    run_scenario,
    translate,
)
from chipstress.workflows.hazards.events import Event
from chipstress.workflows.hazards.profiles import capacity_profile, timeline_inputs
from chipstress.workflows.hazards.replay import HazardResult

REQUIRED = (
    "chichi_1999",
    "tohoku_2011",
    "kumamoto_2016",
    "taiwan_drought_2021",
    "texas_storm_2021",
    "naka_fire_2021",
    "neon_2022",
    "hualien_2024",
)


def test_the_catalogue_has_the_required_events() -> None:
    entries = catalogue()
    assert set(REQUIRED) <= set(entries)
    for entry in entries.values():
        assert entry.name and entry.description and entry.events


@pytest.mark.parametrize("event_id", list(catalogue()))
def test_every_catalogue_event_replays_on_tri_cluster(tri: Network, event_id: str) -> None:
    result = replay(event_id, tri)
    assert result.status == "optimal"
    assert math.isfinite(result.loss) and result.loss >= 0
    assert list(result.sites.columns) == SITE_COLUMNS
    assert result.nodes["allocated_loss"].sum() == pytest.approx(result.loss, abs=1e-6)
    assert result.name.endswith(f"({event_id})") and result.sources
    assert result.describe().startswith(result.name)
    if event_id in REQUIRED and event_id != "neon_2022":
        assert len(result.sites) > 0
    if len(result.sites) == 0:
        assert result.loss == 0 and any(
            "no site" in note or "no source edge" in note for note in result.notes
        )


def timeline_loss(
    events: list[Event] | tuple[Event, ...], network: Network, run: HazardResult
) -> float:
    """The events' loss solved directly on the timeline, at the run's grid, without foresight."""
    model = TimelineModel(network, run.horizon, run.period_length)
    profile = capacity_profile(events, network, run.horizon, run.period_length)
    capacity, blocked = timeline_inputs(profile, model)
    return model.solve(capacity, blocked if blocked.any() else None).loss


def test_replay_loss_is_the_timeline_difference_over_the_horizon(tri: Network) -> None:
    result = replay("kumamoto_2016", tri)
    events = catalogue()["kumamoto_2016"].events
    translation = translate(events, tri)
    assert result.loss == pytest.approx(timeline_loss(events, tri, result)) and result.loss > 0
    # Back within 8 weeks: days; the horizon holds the last recovery plus one day.
    assert result.period_length == pytest.approx(1 / 7)
    ends = capacity_profile(events, tri, 1, 1 / 7).sites["end_periods"].max()
    assert result.horizon == math.ceil(ends * 7 - 1e-9) + 1
    assert result.window == pytest.approx(result.horizon / 7)
    timeline = result.tables()["timeline"]
    assert list(timeline["period"]) == list(range(1, result.horizon + 1))
    assert timeline["lost_profit"].sum() == pytest.approx(result.loss, rel=1e-9)
    assert timeline["service_level"].between(0, 1).all() and timeline["service_level"].min() < 1
    products = result.tables()["timeline_products"]
    assert products["lost_profit"].sum() == pytest.approx(result.loss, rel=1e-9)
    assert result.summary()["horizon"] == result.horizon
    assert result.tts == pytest.approx(time_to_survive(tri, translation.peak).tts)
    assert math.isinf(result.baseline_tts)
    # The mainshock came 28 hours after the foreshock: the window starts with the foreshock.
    starts = result.sites.groupby("event")["start_periods"].first()
    assert starts["Kumamoto mainshock"] == pytest.approx(28 / 24 / 7)
    # Sony Kumamoto restarted wafer processing 5.3 weeks after the 2016 quake.
    sony = result.sites[(result.sites["site"] == "sony_kumamoto_tec")].set_index("event")
    assert sony.loc["Kumamoto mainshock", "damage_state"] == "extensive"
    assert sony.loc["Kumamoto mainshock", "recovery_weeks"] == pytest.approx(5.3)


def test_naka_fire_replay_runs_in_weeks_on_its_recovery_curve(tri: Network) -> None:
    result = replay("naka_fire_2021", tri)
    assert list(result.sites["site"]) == ["renesas_naka"] and result.loss > 0
    # 13 weeks to recover: longer than 8, so the network's weeks.
    assert result.period_length == 1.0
    events = catalogue()["naka_fire_2021"].events
    assert result.loss == pytest.approx(timeline_loss(events, tri, result), rel=1e-9)
    assert result.nodes.set_index("node").at["renesas_naka", "allocated_loss"] == result.loss
    nodes = result.tables()["timeline_nodes"]
    fab = nodes[nodes["node"] == "renesas_naka"].set_index("period")
    # Down at first (the fire's curve drops all), fully back in the last period.
    assert fab.at[1, "capacity"] == pytest.approx(0.0) and fab.at[result.horizon, "capacity"] == 1


def test_an_event_that_reaches_no_site_costs_nothing_and_says_so(tri: Network) -> None:
    result = replay("japan_korea_2019", tri)
    assert result.loss == 0 and result.window == 0 and len(result.sites) == 0
    assert "blocks no source edge" in result.notes[0]
    absorbed = replay("neon_2022", tri)
    assert absorbed.loss == 0 and list(absorbed.sites["site"]) == ["neon_cryoin_odesa"]
    assert any("absorbs" in note for note in absorbed.notes)


def test_unknown_catalogue_event(tri: Network) -> None:
    with pytest.raises(
        InvalidInput, match="no catalogue event 'atlantis_2099'; events: chichi_1999"
    ):
        replay("atlantis_2099", tri)


def test_scenario_file(tmp_path: Path, tri: Network) -> None:
    path = tmp_path / "red-hsinchu.yaml"
    path.write_text(
        "name: Hsinchu red\ndescription: rotation for nine weeks\nevents:\n"
        "  - {type: water_restriction, district: hsinchu, level: red, duration: 9 weeks}\n"
    )
    result = run_scenario(path, tri)
    assert result.name == "Hsinchu red" and result.description == "rotation for nine weeks"
    # Nine weeks of a flat level (longer than 8 weeks): weekly periods, one more after it.
    assert result.loss > 0 and result.period_length == 1.0 and result.horizon == 10
    assert result.window == 10.0
    one = tmp_path / "one.yaml"
    one.write_text("{type: fire, node: jasm_fab1}\n")
    assert run_scenario(one, tri).name == "one"


def test_durations_follow_the_network_period(tri: Network) -> None:
    daily = tri.with_meta(period="day")
    event = parse_events(
        {"type": "fire", "node": "jasm_fab1", "fraction": 1.0, "recovery": "2 weeks"}
    )
    assert translate(event, daily).window == pytest.approx(14.0)
    assert translate(event, tri).window == pytest.approx(2.0)
    quake = parse_events({"type": "earthquake", "epicentre": [32.8, 130.8], "magnitude": 7.0})
    weeks = translate(quake, tri).sites.set_index("site")["recovery_periods"]
    days = translate(quake, daily).sites.set_index("site")["recovery_periods"]
    assert (days / weeks).to_numpy() == pytest.approx(7.0)


def test_evaluate_with_nothing_but_a_zero_cut(tri: Network) -> None:
    result = evaluate(
        parse_events(
            {"type": "water_restriction", "district": "arizona", "level": "tier1", "duration": 52}
        ),
        tri,
    )
    assert result.loss == 0 and len(result.sites) == 0


def water_alert(phases: list[dict[str, str]]) -> list[Event]:
    """Hsinchu and Taichung (Fabs 12, 15 and 20) through the same phases."""
    return parse_events(
        [
            {"type": "water_restriction", "name": f"{d} alert", "district": d, "phases": phases}
            for d in ("hsinchu", "taichung")
        ]
    )


def test_the_issues_table_has_no_artefact_of_averaging(tri: Network) -> None:
    """A green tail or a yellow lead-in costs at least the red phase alone (issue 12)."""
    red = [{"level": "red", "duration": "8 weeks"}]
    alone = evaluate(water_alert(red), tri)
    green = evaluate(water_alert([*red, {"level": "green", "duration": "8 weeks"}]), tri)
    yellow = evaluate(water_alert([{"level": "yellow", "duration": "4 weeks"}, *red]), tri)
    assert alone.loss > 0
    assert green.loss >= alone.loss * (1 - 1e-9)
    assert yellow.loss >= alone.loss * (1 - 1e-9)
    # Without foresight the four yellow weeks build no stock for the red ones.
    assert green.horizon > alone.horizon and yellow.horizon > alone.horizon


def test_quake_replays_say_the_intensity_people_read_at_each_site(tri: Network) -> None:
    # Taiwan sites read the CWA (2020) level, Japanese sites the JMA class, each with the
    # PGA it comes from; 2024 Hualien: TSMC reported intensity 4 at its Taichung site
    # (https://focustaiwan.tw/business/202404040002), which the model reproduces.
    sites = replay("hualien_2024", tri).tables()["sites"].set_index("site")
    assert sites.at["tsmc_fab15", "intensity"].startswith("CWA 4 (PGA 0.0")
    kumamoto = replay("kumamoto_2016", tri).tables()["sites"]
    sony = kumamoto[kumamoto["site"] == "sony_kumamoto_tec"]["intensity"].tolist()
    assert len(sony) == 2 and all(text.startswith("JMA 5") for text in sony)
    assert all(text.endswith(" g)") for text in kumamoto["intensity"])
