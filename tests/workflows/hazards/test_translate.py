"""Events to disruptions: who is hit, by how much, and the window model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chipstress import Network
from chipstress.engine import impact, outage_window
from chipstress.engine.timeline import TimelineModel
from chipstress.errors import InvalidInput
from chipstress.workflows.hazards import evaluate, parse_events, translate
from chipstress.workflows.hazards.profiles import capacity_profile, timeline_inputs
from chipstress.workflows.hazards.translate import Hits, combine


def _one(event: dict, network: Network):
    return evaluate(parse_events([event]), network)


def _losing(result) -> set[str]:
    return set(result.lost_units[result.lost_units > 1e-6].index)


def test_quake_near_kumamoto_hits_the_kumamoto_cluster_and_not_arizona(tri: Network) -> None:
    result = _one(
        {"type": "earthquake", "epicentre": [32.80, 130.80], "magnitude": 7.0, "depth_km": 10}, tri
    )
    hit = result.sites
    assert {"jasm_fab1", "sony_kumamoto_tec", "kumamoto_groundwater", "kyushu_electric"} <= set(
        hit["site"]
    )
    # Kyushu's other plants (the "japan" cluster: SUMCO Imari, 100 km away) may shake
    # past their weakest state too; Arizona never does.
    assert "kumamoto" in set(hit["cluster"]) and "arizona" not in set(hit["cluster"])
    arizona = set(tri.nodes.loc[tri.nodes["cluster"] == "arizona", "id"])
    assert not arizona & set(hit["site"])
    assert not arizona & set(result.disruption)
    assert result.loss > 0 and {"jasm_fab1", "sony_kumamoto_tec"} <= _losing(result)
    # Shaking falls with distance: the nearest fab is shaken hardest, the states follow.
    pga = hit.set_index("site")["measure"]
    assert pga["kyushu_electric"] > pga["tok_aso"]


def test_a_far_quake_hits_nothing_and_costs_nothing(tri: Network) -> None:
    result = _one({"type": "earthquake", "epicentre": [0.0, -30.0], "magnitude": 7.5}, tri)
    assert result.loss == 0.0 and result.window == 0.0 and len(result.sites) == 0
    assert any("no site of the network is hit" in note for note in result.notes)


def test_red_water_hits_the_fabs_of_that_district_only_and_orange_less(tri: Network) -> None:
    def water(level: str):
        return _one(
            {
                "type": "water_restriction",
                "district": "hsinchu",
                "level": level,
                "duration": "9 weeks",
            },
            tri,
        )

    red, orange = water("red"), water("orange")
    assert list(red.sites["site"]) == ["baoshan_reservoirs"]
    assert red.sites["capacity_loss"].iloc[0] == pytest.approx(0.41)
    assert orange.sites["capacity_loss"].iloc[0] == pytest.approx(0.15)
    district_fabs = set(tri.customers_of("baoshan_reservoirs"))
    assert red.loss > 0
    assert _losing(red) and _losing(red) <= district_fabs
    assert orange.loss < red.loss
    assert _losing(orange) <= district_fabs
    # The same cut elsewhere hits that district's fab instead.
    taichung = _one(
        {
            "type": "water_restriction",
            "district": "taichung",
            "level": "red",
            "duration": "9 weeks",
        },
        tri,
    )
    assert _losing(taichung) and _losing(taichung) <= set(tri.customers_of("water_taichung"))


def test_port_closure_hits_what_ships_through_the_port(tri: Network) -> None:
    result = _one({"type": "port_closure", "node": "port_kaohsiung", "duration": "8 weeks"}, tri)
    assert result.loss > 0
    assert _losing(result) and _losing(result) <= set(tri.customers_of("port_kaohsiung"))
    hakata = _one({"type": "port_closure", "node": "port_hakata", "duration": "8 weeks"}, tri)
    assert _losing(hakata) and _losing(hakata) <= set(tri.customers_of("port_hakata"))
    assert not _losing(hakata) & _losing(result)


def test_closing_kumamoto_airport_closes_the_direct_route_too(tri: Network) -> None:
    result = _one({"type": "airport_closure", "node": "airport_kmj", "duration": 2}, tri)
    assert set(result.sites["site"]) == {"airport_kmj", "air_route_khh_kmj"}


def test_typhoon_closes_ports_inside_its_track(tri: Network) -> None:
    event = {
        "type": "typhoon",
        "track": [[22.0, 123.0], [22.6, 120.3], [23.0, 118.0]],
        "radius_km": 30,
        "severity": "moderate",
    }
    sites = _one(event, tri).sites.set_index("site")
    assert sites.loc["port_kaohsiung", "damage_state"] == "closed"
    assert sites.loc["port_kaohsiung", "capacity_loss"] == 1.0
    assert "tsmc_fab12" not in sites.index  # Hsinchu is far from the track
    assert "tsmc_fab22" not in sites.index  # fabs ride out a moderate typhoon


def test_storm_polygon_and_sites_without_coordinates(tri: Network) -> None:
    nodes = tri.nodes.copy()
    nodes.loc[nodes["id"] == "globalwafers_sherman", ["lat", "lon"]] = np.nan
    unlocated = Network(nodes, tri.bom, tri.sources, tri.meta)
    texas = [[36.5, -103.0], [36.5, -94.0], [26.0, -94.0], [26.0, -103.0], [36.5, -103.0]]
    event = parse_events({"type": "storm", "polygon": texas, "severity": "extreme"})
    assert list(translate(event, tri).sites["site"]) == ["globalwafers_sherman"]
    moved = translate(event, unlocated)
    assert len(moved.sites) == 0 and moved.not_located == ["globalwafers_sherman"]
    assert any("not located" in note for note in moved.notes)


def test_export_control_removes_the_blocked_source_edges(tri: Network) -> None:
    event = {"type": "export_control", "supplier": "alfe_hsinchu_tainan", "duration": "2 weeks"}
    translation = translate(parse_events([event]), tri)
    blocked = tri.sources[translation.blocked]
    assert set(blocked["supplier"]) == {"alfe_hsinchu_tainan"}
    assert len(blocked) == len(tri.customers_of("alfe_hsinchu_tainan"))
    result = evaluate(parse_events([event]), tri)
    expected = (
        impact(tri.without_sources(translation.blocked), {}, 2.0).lost_profit
        - impact(tri, {}, 2.0).lost_profit
    )
    assert result.loss == pytest.approx(expected) and result.loss > 0
    assert result.nodes.set_index("node").loc[
        "alfe_hsinchu_tainan", "allocated_loss"
    ] == pytest.approx(result.loss)
    # Towards a destination only: no Taiwanese gas goes to Japan, so nothing is blocked.
    none = translate(parse_events([{**event, "destination": "Japan"}]), tri)
    assert none.blocked is None and "blocks no source edge" in none.notes[0]


def test_without_sources_by_pairs_and_by_mask(tri: Network) -> None:
    pairs = [("water_taichung", "tsmc_fab15")]
    by_pairs = tri.without_sources(pairs)
    mask = (
        (tri.sources["supplier"] == "water_taichung") & (tri.sources["customer"] == "tsmc_fab15")
    ).to_numpy()
    assert by_pairs.sources.equals(tri.without_sources(mask).sources)
    assert len(by_pairs.sources) == len(tri.sources) - 1
    assert by_pairs.nodes is tri.nodes and by_pairs.bom is tri.bom
    # Fab 15's only water source is gone: the engine treats it as zero supply, so over
    # 4 weeks it sells only its stock (2 weeks of demand).
    fab15 = tri.nodes.set_index("id").loc["tsmc_fab15"]
    lost = impact(by_pairs, {}, 4.0).lost_units["tsmc_fab15"]
    assert lost == pytest.approx(4 * fab15["demand"] - fab15["inventory"])
    with pytest.raises(InvalidInput, match="no source edge"):
        tri.without_sources([("water_taichung", "jasm_fab1")])
    with pytest.raises(InvalidInput, match="source mask has 3 entries"):
        tri.without_sources(np.array([True, False, True]))


def test_window_model_sums_capacity_periods_lost(tri: Network) -> None:
    # Two sites, 1.0 for 2 weeks and 0.5 for 8 weeks: window 8, losses 2/8 and 0.5.
    events = parse_events(
        [
            {"type": "fire", "node": "tsmc_fab14", "fraction": 1.0, "recovery": "2 weeks"},
            {"type": "cyber", "node": "tsmc_fab15", "fraction": 0.5, "recovery": "8 weeks"},
        ]
    )
    translation = translate(events, tri)
    assert translation.window == pytest.approx(8.0)
    assert translation.disruption == pytest.approx({"tsmc_fab14": 0.25, "tsmc_fab15": 0.5})
    assert translation.peak == pytest.approx({"tsmc_fab14": 1.0, "tsmc_fab15": 0.5})
    disruption, window = outage_window({"tsmc_fab14": (1.0, 2.0), "tsmc_fab15": (0.5, 8.0)})
    assert translation.disruption == pytest.approx(disruption) and translation.window == window
    # evaluate unfolds the same hits in days (the fire is back within 8 weeks) on their
    # recovery curves: its loss is the timeline's over its own horizon, not the window's.
    result = evaluate(events, tri)
    assert result.period_length == pytest.approx(1 / 7)
    model = TimelineModel(tri, result.horizon, 1 / 7)
    capacity, _ = timeline_inputs(capacity_profile(events, tri, result.horizon, 1 / 7), model)
    assert result.loss == pytest.approx(model.solve(capacity).loss, rel=1e-9)
    assert result.loss > 0


def test_overlapping_outages_of_one_node_combine_as_independent_causes() -> None:
    first = Hits(np.array([3]), np.array([0.5]), np.array([4.0]), np.zeros(1), [""], [""], [""])
    second = Hits(np.array([3]), np.array([0.5]), np.array([4.0]), np.zeros(1), [""], [""], [""])
    # Overlap 2..4 keeps 0.25: lost = 0.5*2 + 0.75*2 + 0.5*2 = 3.5 capacity-periods, end 6.
    lost, end, peak = combine([(0.0, first), (2.0, second)])[3]
    assert (lost, end, peak) == pytest.approx((3.5, 6.0, 0.75))


def test_events_start_later_in_the_window(tri: Network) -> None:
    events = parse_events(
        [
            {"type": "fire", "node": "tsmc_fab14", "fraction": 1.0, "recovery": "2 weeks"},
            {
                "type": "fire",
                "node": "tsmc_fab15",
                "fraction": 1.0,
                "recovery": "2 weeks",
                "start": "4 weeks",
            },
        ]
    )
    translation = translate(events, tri)
    assert translation.window == pytest.approx(6.0)
    assert translation.disruption == pytest.approx({"tsmc_fab14": 2 / 6, "tsmc_fab15": 2 / 6})
    sites = translation.sites.set_index("site")
    assert sites.loc["tsmc_fab15", "start_periods"] == 4.0
    assert isinstance(translation.sites, pd.DataFrame)
