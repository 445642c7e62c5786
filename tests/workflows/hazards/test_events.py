"""Reading events: good definitions, durations, and every bad-event error path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chipstress.errors import InvalidInput
from chipstress.workflows.hazards import (
    Closure,
    Duration,
    Earthquake,
    ExportControl,
    Storm,
    WaterRestriction,
    check_events,
    load_events,
    parse_events,
)

QUAKE = {"type": "earthquake", "epicentre": [32.8, 130.8], "magnitude": 7.0, "depth_km": 10}
SQUARE = [[32.0, 130.0], [32.0, 131.0], [33.0, 131.0], [33.0, 130.0], [32.0, 130.0]]


def test_good_events_of_every_type() -> None:
    events = parse_events(
        [
            {**QUAKE, "name": "big one", "start": "2 days"},
            {"type": "earthquake", "lat": 23.8, "lon": 120.8, "magnitude": 7.3},
            {"type": "earthquake", "rupture": [[36, 141], [38, 142]], "magnitude": 9.0},
            {
                "type": "water_restriction",
                "district": "hsinchu",
                "level": "red",
                "duration": "9 weeks",
            },
            {
                "type": "water_restriction",
                "district": "baoshan_reservoirs",
                "cut": 0.2,
                "duration": 4,
            },
            {"type": "power_outage", "region": "taiwan", "duration": "12 h", "fraction": 0.5},
            {
                "type": "typhoon",
                "track": [[22, 123], [23, 120]],
                "radius_km": 80,
                "severity": "severe",
            },
            {"type": "flood", "polygon": SQUARE},
            {"type": "fire", "node": "jasm_fab1"},
            {"type": "cyber", "node": "tsmc_fab12", "fraction": 0.5, "recovery": "3 days"},
            {
                "type": "port_closure",
                "nodes": ["port_kaohsiung", "port_taichung"],
                "duration": "10 days",
            },
            {"type": "airport_closure", "node": "airport_kmj", "duration": 1},
            {
                "type": "export_control",
                "country": "Japan",
                "material": "euv_resist",
                "destination": "Taiwan",
                "duration": "6 months",
            },
        ],
        "scenario.yaml",
    )
    quake = events[0]
    assert isinstance(quake, Earthquake)
    assert (quake.lat, quake.lon, quake.magnitude, quake.depth_km, quake.name) == (
        32.8,
        130.8,
        7.0,
        10.0,
        "big one",
    )
    assert quake.start.periods(7.0) == pytest.approx(2 / 7)
    assert events[1].depth_km == 10.0 and events[1].name == "earthquake 2"
    assert events[2].rupture == ((36.0, 141.0), (38.0, 142.0)) and events[2].lat == 36.0
    assert isinstance(events[3], WaterRestriction) and events[3].duration.periods(7.0) == 9.0
    assert events[4].cut == 0.2 and events[4].duration == Duration(4.0)
    assert events[5].duration.periods(7.0) == pytest.approx(0.5 / 7)
    assert (
        isinstance(events[6], Storm) and events[6].hazard == "typhoon" and events[6].radius_km == 80
    )
    assert events[7].severity == "moderate" and events[7].polygon[0] == events[7].polygon[-1]
    assert events[8].fraction is None and events[8].recovery is None
    assert events[9].recovery.periods(7.0) == pytest.approx(3 / 7)
    assert isinstance(events[10], Closure) and events[10].nodes == (
        "port_kaohsiung",
        "port_taichung",
    )
    assert isinstance(events[12], ExportControl) and events[12].duration.periods(
        7.0
    ) == pytest.approx(365.25 / 12 * 6 / 7)


def test_a_single_event_and_the_events_key() -> None:
    assert len(parse_events(QUAKE)) == 1
    assert len(parse_events({"name": "two", "events": [QUAKE, QUAKE]})) == 2


def _problem(event: Any, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        parse_events([event], "my.yaml")


@pytest.mark.parametrize(
    ("event", "match"),
    [
        ({"type": "earthquak"}, r"my.yaml, event 1, field 'type': unknown hazard type 'earthquak'"),
        ({"magnitude": 7}, r"field 'type': missing; types are earthquake, water_restriction"),
        ({**QUAKE, "magnitud": 7}, r"field 'magnitud': unknown field for a earthquake event"),
        ({**QUAKE, "magnitude": 12}, r"field 'magnitude': 12 is not a number in \[3.0, 9.5\]"),
        ({**QUAKE, "magnitude": "big"}, r"field 'magnitude': 'big' is not a number"),
        ({**QUAKE, "depth_km": -5}, r"field 'depth_km': -5 is not a number in \[0.0, 700"),
        ({**QUAKE, "epicentre": [99, 0]}, r"field 'epicentre': \[99, 0\]: latitude must be in"),
        ({**QUAKE, "epicentre": "Kumamoto"}, r"field 'epicentre': 'Kumamoto' is not a point"),
        ({"type": "earthquake", "magnitude": 6}, r"field 'epicentre': missing"),
        ({"type": "typhoon", "polygon": SQUARE[:-1]}, r"field 'polygon': polygon not closed"),
        (
            {"type": "flood", "polygon": SQUARE[:2] + SQUARE[:1]},
            r"field 'polygon': needs a list of at least 4",
        ),
        (
            {"type": "storm", "polygon": [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0]]},
            r"at least 3 distinct points",
        ),
        ({"type": "typhoon", "track": [[22, 123]]}, r"field 'radius_km': missing"),
        (
            {"type": "typhoon", "track": [[22, 123]], "radius_km": 0},
            r"field 'radius_km': 0 is not a number in \(0.0",
        ),
        (
            {"type": "typhoon", "track": [[22, 123]], "radius_km": 9, "polygon": SQUARE},
            r"give a track .* not both or neither",
        ),
        (
            {"type": "typhoon", "polygon": SQUARE, "severity": "apocalyptic"},
            r"field 'severity': unknown severity 'apocalyptic'",
        ),
        (
            {"type": "water_restriction", "district": "hsinchu", "duration": 3},
            r"field 'level': missing: give a level",
        ),
        (
            {
                "type": "water_restriction",
                "district": "hsinchu",
                "level": "red",
                "cut": 0.1,
                "duration": 3,
            },
            r"field 'cut': give a level or a cut, not both",
        ),
        (
            {"type": "water_restriction", "district": "hsinchu", "cut": 1.5, "duration": 3},
            r"field 'cut': 1.5 is not a number in \[0.0, 1.0\]",
        ),
        (
            {"type": "water_restriction", "district": "hsinchu", "level": "red"},
            r"field 'duration': missing",
        ),
        (
            {
                "type": "water_restriction",
                "district": "hsinchu",
                "level": "red",
                "duration": "3 fortnights",
            },
            r"'3 fortnights' is not a duration",
        ),
        (
            {"type": "water_restriction", "district": "hsinchu", "level": "red", "duration": -2},
            r"field 'duration': -2: a duration must be > 0",
        ),
        (
            {"type": "water_restriction", "district": "hsinchu", "level": "red", "duration": 0},
            r"a duration must be > 0",
        ),
        ({**QUAKE, "start": "-1 days"}, r"field 'start': '-1 days' is not a duration"),
        (
            {"type": "power_outage", "region": "taiwan", "duration": 1, "fraction": 0},
            r"field 'fraction': 0 is not a number in \(0.0, 1.0\]",
        ),
        ({"type": "power_outage", "duration": 1}, r"field 'region': missing"),
        (
            {"type": "fire", "node": "jasm_fab1", "fraction": 2},
            r"field 'fraction': 2 is not a number",
        ),
        (
            {"type": "fire", "node": "jasm_fab1", "recovery": "soon"},
            r"field 'recovery': 'soon' is not a duration",
        ),
        ({"type": "fire"}, r"field 'node': missing"),
        ({"type": "port_closure", "duration": 1}, r"field 'node': give node \(one id\) or nodes"),
        (
            {"type": "port_closure", "nodes": "port_kaohsiung", "duration": 1},
            r"field 'nodes': 'port_kaohsiung' is not a list",
        ),
        (
            {"type": "export_control", "destination": "Taiwan", "duration": 1},
            r"field 'material': an export control needs",
        ),
        (
            {"type": "export_control", "country": ["Japan"], "duration": 1},
            r"field 'country': \['Japan'\] is not a name",
        ),
        ({**QUAKE, "name": 7}, r"field 'name': 7 is not text"),
        ("earthquake", r"event 1: expected a mapping of fields"),
    ],
)
def test_bad_event_definitions(event: Any, match: str) -> None:
    _problem(event, match)


def test_the_error_names_file_event_index_and_name_and_lists_every_problem() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_events(
            [QUAKE, {**QUAKE, "name": "Hinagu", "magnitude": 11, "depth_km": -1}], "s.yaml"
        )
    message = str(error.value)
    assert "2 problem(s) in hazard events" in message
    assert "s.yaml, event 2 (Hinagu), field 'magnitude'" in message
    assert "s.yaml, event 2 (Hinagu), field 'depth_km'" in message


@pytest.mark.parametrize("data", [[], "hello", {"events": []}, 5])
def test_not_a_list_of_events(data: Any) -> None:
    with pytest.raises(InvalidInput, match="expected an event, a list of events"):
        parse_events(data, "s.yaml")


def test_unknown_top_level_key() -> None:
    with pytest.raises(InvalidInput, match="unknown top-level key"):
        parse_events({"events": [QUAKE], "evnts": []}, "s.yaml")


@pytest.mark.parametrize(
    ("event", "match"),
    [
        (
            {"type": "water_restriction", "district": "atlantis", "level": "red", "duration": 1},
            r"field 'district': unknown district or node 'atlantis'",
        ),
        (
            {"type": "water_restriction", "district": "hsinchu", "level": "purple", "duration": 1},
            r"field 'level': unknown level 'purple' for hsinchu \(taiwan_wra\); levels are blue, green",
        ),
        (
            {"type": "water_restriction", "district": "arizona", "level": "red", "duration": 1},
            r"unknown level 'red' for arizona \(colorado_river\); levels are tier0",
        ),
        (
            {
                "type": "water_restriction",
                "district": "water_phoenix",
                "level": "tier3",
                "duration": 1,
            },
            None,
        ),
        (
            {
                "type": "water_restriction",
                "district": "asml_veldhoven",
                "level": "red",
                "duration": 1,
            },
            r"no restriction scheme applies to 'asml_veldhoven'; give a cut",
        ),
        (
            {"type": "power_outage", "region": "mars", "duration": 1},
            r"field 'region': unknown grid region or node 'mars'",
        ),
        ({"type": "fire", "node": "fab_99"}, r"field 'node': unknown node 'fab_99'"),
        (
            {"type": "port_closure", "node": "tsmc_fab22", "duration": 1},
            r"node 'tsmc_fab22' is a fab, not a port or airport",
        ),
        (
            {"type": "airport_closure", "node": "airport_xyz", "duration": 1},
            r"field 'nodes': unknown node 'airport_xyz'",
        ),
        (
            {"type": "export_control", "material": "unobtainium", "duration": 1},
            r"field 'material': unknown material 'unobtainium'",
        ),
        (
            {"type": "export_control", "country": "Atlantis", "duration": 1},
            r"field 'country': unknown country 'Atlantis'",
        ),
        (
            {"type": "export_control", "country": "Japan", "destination": "Mars", "duration": 1},
            r"field 'destination': unknown country 'Mars'",
        ),
        (
            {"type": "export_control", "supplier": "nobody", "duration": 1},
            r"field 'supplier': unknown node 'nobody'",
        ),
    ],
)
def test_names_checked_against_the_network(tri, event: dict, match: str | None) -> None:
    events = parse_events([event], "s.yaml")
    if match is None:
        check_events(events, tri, source="s.yaml")
        return
    with pytest.raises(InvalidInput, match=match):
        check_events(events, tri, source="s.yaml")


def test_district_whose_nodes_are_missing(tiny) -> None:
    events = parse_events(
        {"type": "water_restriction", "district": "hsinchu", "level": "red", "duration": 1}
    )
    with pytest.raises(
        InvalidInput, match="means node\\(s\\) baoshan_reservoirs, none of which is in this network"
    ):
        check_events(events, tiny)


def test_scenario_file_reports_shape_and_name_problems_together(tmp_path: Path, tri) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nevents:\n"
        "  - {type: fire, node: nowhere, name: blaze}\n"
        "  - {type: earthquake, epicentre: [32.8, 130.8], magnitude: 11}\n"
    )
    with pytest.raises(InvalidInput) as error:
        load_events(path, network=tri)
    message = str(error.value)
    assert f"{path}, event 1 (blaze), field 'node': unknown node 'nowhere'" in message
    assert f"{path}, event 2, field 'magnitude'" in message


def test_scenario_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_events(tmp_path / "missing.yaml")
    (tmp_path / "broken.yaml").write_text("events: [ {type: fire\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_events(tmp_path / "broken.yaml")
    (tmp_path / "good.yaml").write_text(
        "name: fire drill\ndescription: a test\nevents:\n  - {type: fire, node: jasm_fab1}\n"
    )
    events, info = load_events(tmp_path / "good.yaml")
    assert len(events) == 1 and info == {"name": "fire drill", "description": "a test"}


# ------------------------------------------------------------------ phases and short events
def test_short_events_in_hours_and_days(tri) -> None:
    events = parse_events(
        [
            {"type": "power_outage", "region": "taipower_north", "duration": "10 hours"},
            {"type": "port_closure", "node": "port_kaohsiung", "duration": "3 days"},
        ]
    )
    assert [e.duration for e in events] == [Duration(10.0, "hour"), Duration(3.0, "day")]
    assert events[0].duration.periods(7.0) == pytest.approx(10 / 24 / 7)


def test_water_phases_with_dates_become_one_event_per_level(tmp_path: Path, tri) -> None:
    path = tmp_path / "drought.yaml"
    path.write_text(
        "name: drought\nevents:\n"
        "  - type: water_restriction\n    name: Hsinchu drought\n    district: hsinchu\n"
        "    phases:\n"
        "      - {level: yellow, from: 2026-03-12}\n"
        "      - {level: orange, from: 2026-04-09, to: 2026-05-07}\n"
        "  - {type: fire, node: jasm_fab1}\n"
    )
    events, _ = load_events(path, network=tri)
    yellow, orange, fire = events
    assert isinstance(yellow, WaterRestriction) and isinstance(orange, WaterRestriction)
    assert (yellow.level, yellow.start, yellow.duration) == (
        "yellow",
        Duration(0.0, "day"),
        Duration(28.0, "day"),
    )
    assert (orange.level, orange.start, orange.duration) == (
        "orange",
        Duration(28.0, "day"),
        Duration(28.0, "day"),
    )
    assert orange.name == "Hsinchu drought (phase 2: orange)"
    assert fire.start == Duration(0.0)  # an undated event begins with the scenario's first date


def test_outage_phases_with_durations_follow_the_events_start() -> None:
    (first, second) = parse_events(
        {
            "type": "port_closure",
            "node": "port_kaohsiung",
            "start": "2 days",
            "phases": [{"fraction": 1, "to": "3 days"}, {"fraction": 0.5, "duration": "2 days"}],
        }
    )
    assert isinstance(first, Closure) and isinstance(second, Closure)
    assert (first.fraction, first.start, first.duration) == (
        1.0,
        Duration(2.0, "day"),
        Duration(3.0, "day"),
    )
    assert (second.fraction, second.start, second.duration) == (
        0.5,
        Duration(5.0, "day"),
        Duration(2.0, "day"),
    )


def test_phased_and_plain_events_mean_the_same_in_the_window_model(tri) -> None:
    from chipstress.workflows.hazards import translate

    phased = parse_events(
        {
            "type": "water_restriction",
            "district": "hsinchu",
            "phases": [{"level": "yellow", "duration": 4}, {"level": "red", "duration": 8}],
        }
    )
    plain = parse_events(
        [
            {"type": "water_restriction", "district": "hsinchu", "level": "yellow", "duration": 4},
            {
                "type": "water_restriction",
                "district": "hsinchu",
                "level": "red",
                "duration": 8,
                "start": 4,
            },
        ]
    )
    a, b = translate(phased, tri), translate(plain, tri)
    assert (a.disruption, a.window) == (b.disruption, b.window)


@pytest.mark.parametrize(
    ("phases", "extra", "field", "match"),
    [
        (
            [{"level": "yellow"}, {"level": "red", "from": 2, "to": 1}],
            {},
            "phases[2].to",
            "ends before it begins",
        ),
        (
            [{"level": "red", "from": "2026-01-01", "to": "2026-01-08"}],
            {"start": 1},
            "start",
            "give no start",
        ),
        (
            [{"level": "red", "to": 2, "colour": "red"}],
            {},
            "phases[1].colour",
            "unknown field for a phase",
        ),
        ([{"level": "red"}], {}, "phases[1].to", "a phase ends at its to"),
        ([{"level": "red", "duration": 2}], {"duration": 3}, "duration", "give each phase its end"),
        ([{"level": "red", "to": 2, "duration": 2}], {}, "phases[1].to", "not both"),
        ([{"level": "red", "to": "soon"}], {}, "phases[1].to", "not a duration"),
        (
            [{"level": "red", "duration": 4}, {"level": "green", "from": 1, "to": 6}],
            {},
            "phases[2].from",
            "before the previous phase ends",
        ),
        (
            [{"level": "red", "duration": "2 weeks"}, {"level": "green", "duration": 3}],
            {},
            "phases[2].duration",
            "mixes network periods",
        ),
        ([], {}, "phases", "a list of phases"),
    ],
)
def test_bad_phases_name_file_event_and_field(
    phases: Any, extra: dict, field: str, match: str
) -> None:
    raw = {"type": "water_restriction", "district": "hsinchu", "phases": phases, **extra}
    with pytest.raises(InvalidInput) as error:
        parse_events([QUAKE, raw], "alert.yaml")
    message = str(error.value)
    assert f"alert.yaml, event 2, field '{field}'" in message
    assert match in message


def test_phases_only_where_they_mean_something() -> None:
    with pytest.raises(InvalidInput, match="unknown field for a fire event"):
        parse_events({"type": "fire", "node": "jasm_fab1", "phases": [{"fraction": 1, "to": 2}]})


def test_a_phase_with_an_unknown_level_is_named_in_the_error(tmp_path: Path, tri) -> None:
    path = tmp_path / "alert.yaml"
    path.write_text(
        "- type: water_restriction\n  name: drought\n  district: hsinchu\n"
        "  phases: [{level: yellow, duration: 2}, {level: purple, duration: 2}]\n"
    )
    with pytest.raises(InvalidInput) as error:
        load_events(path, network=tri)
    assert f"{path}, event 1 (drought (phase 2: purple)), field 'level'" in str(error.value)
