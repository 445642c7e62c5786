"""Loss components: hand-computed on the tiny network, the data file, a tri-cluster replay."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd
import pytest

from chipstress import Network
from chipstress.errors import InvalidInput
from chipstress.interfaces.report import build_report
from chipstress.model.io import read_network
from chipstress.store import ResultsStore
from chipstress.workflows.hazards import components as comp
from chipstress.workflows.hazards import evaluate, replay
from chipstress.workflows.hazards.components import (
    COMPONENT_COLUMNS,
    COMPONENTS,
    KINDS,
    ComponentParameters,
    KindFigures,
    component_totals,
    default_component_parameters,
    event_components,
    load_component_parameters,
)
from chipstress.workflows.hazards.parse import parse_events
from chipstress.workflows.outage import outage

TINY = Path(__file__).parents[2] / "fixtures" / "tiny"
DAYS = 7.0  # the tiny network's period is a week

# Figures fixed here so that the hand computations do not move with the data file.
FAB = KindFigures(
    cycle_time_days=70.0,
    value_added_share=0.25,
    price_per_margin=2.0,
    unit_value=6000.0,
    asset_to_annual_sales=1.5,
    recovery_cost_per_day=0.0003,
    water_m3_per_unit=6.0,
    revenue_multiple=5.0,
    fixed_cost_share=0.3,
    power_backup_share=0.0,
)
# Fab 18 of tiny: capacity 100/week, demand 80/week, margin 50 -> unit value 100.
UNIT_VALUE = 50.0 * 2.0
ASSET = 1.5 * 100.0 * (365.25 / DAYS) * UNIT_VALUE
WIP_VALUE_SOLD = 80.0 * (70.0 / DAYS) * UNIT_VALUE * 0.25  # steady throughput 80/week


@pytest.fixture
def fixed(monkeypatch: pytest.MonkeyPatch) -> ComponentParameters:
    """The packaged parameters with the fab figures and the fractions used below fixed."""
    base = default_component_parameters()
    params = dataclasses.replace(
        base,
        utilisation=0.9,
        kinds={**base.kinds, "fab": FAB},
        quake_scrap={"slight": 0.02, "moderate": 0.05, "extensive": 0.2, "complete": 0.5},
        quake_damage={"slight": 0.001, "moderate": 0.01, "extensive": 0.05, "complete": 0.25},
        power_scrap=(("dip", 1.0, 0.005), ("short", 12.0, 0.01), ("long", math.inf, 0.35)),
        hazard_scrap={**base.hazard_scrap, "fire": 1.0, "water_restriction": 0.0},
        hazard_damage={**base.hazard_damage, "fire": 0.1, "water_restriction": 0.0},
        recovery_hazards=frozenset({"earthquake", "fire"}),
        trucking_per_m3=12.0,
    )
    monkeypatch.setattr(comp, "default_component_parameters", lambda: params)
    return params


@pytest.fixture
def tiny() -> Network:
    return read_network(TINY)


def _hits(*rows: tuple[str, str, str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["site", "hazard", "damage_state", "capacity_loss", "recovery_periods"]
    )


def _row(table: pd.DataFrame, node: str) -> pd.Series:
    return table.set_index("node").loc[node]


def _check_sums(table: pd.DataFrame) -> None:
    assert list(table.columns) == COMPONENT_COLUMNS
    assert table["total"].to_numpy() == pytest.approx(table[list(COMPONENTS)].sum(axis=1))


def test_the_data_file_loads_and_every_number_has_a_source_or_estimate() -> None:
    params = load_component_parameters()
    assert set(KINDS) <= set(params.kinds)
    assert params.provenance
    assert all(text.strip() for text in params.provenance.values())
    assert {f"kinds.fab.{f.name}" for f in dataclasses.fields(KindFigures)} <= set(
        params.provenance
    )
    for kind in ("utility", "logistics", "talent"):
        assert params.kind(kind).asset_to_annual_sales == 0
    for hazard in ("water_restriction", "closure", "export_control"):
        assert params.hazard_scrap[hazard] == 0
        assert params.hazard_damage[hazard] == 0
    assert params.power_scrap[-1][1] == math.inf


def test_a_record_without_source_or_estimate_is_refused(tmp_path: Path) -> None:
    text = Path(comp.__file__).parent.joinpath("data", "components.yaml").read_text("utf-8")
    broken = text.replace(
        "  value: 0.9\n  estimate: tri-cluster fabs", "  value: 0.9\n  note: tri-cluster fabs"
    )
    assert broken != text
    path = tmp_path / "components.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InvalidInput, match="utilisation: no 'source:' or 'estimate:'"):
        load_component_parameters(path)


def test_an_extensive_quake_by_hand(tiny: Network, fixed: ComponentParameters) -> None:
    table = event_components(
        tiny, _hits(("fab", "earthquake", "extensive", 1.0, 5.3)), None, {"fab": 1000.0}
    )
    row = _row(table, "fab")
    wip = 100.0 * 0.9 * (70.0 / DAYS) * UNIT_VALUE * 0.25  # capacity x utilisation: 22,500
    assert row["business_interruption"] == pytest.approx(1000.0)
    assert row["scrap"] == pytest.approx(0.2 * wip)
    assert row["damage"] == pytest.approx(0.05 * ASSET + 0.0003 * ASSET * 1.0 * 5.3 * DAYS)
    assert row["mitigation"] == 0
    assert row["downstream_revenue_at_risk"] == 0
    # No solve: output short is the outage at most, 90 wafers/week x 1.0 x 5.3 weeks,
    # each carrying 0.3 x 100 of fixed cost.
    assert row["output_short"] == pytest.approx(90.0 * 5.3)
    assert row["idle_capacity"] == pytest.approx(0.3 * UNIT_VALUE * 90.0 * 5.3)
    _check_sums(table)


def test_the_kept_figures_follow_the_network_and_the_data(
    tiny: Network, fixed: ComponentParameters
) -> None:
    hits = _hits(("fab", "earthquake", "extensive", 1.0, 5.3))
    first = _row(event_components(tiny, hits, None, {}), "fab")
    # A second network, the fab twice as large: its own figures, not the first's kept ones.
    bigger = read_network(TINY)
    bigger.nodes.loc[bigger.nodes["id"] == "fab", "capacity"] *= 2.0
    assert bigger.fingerprint() != tiny.fingerprint()
    second = _row(event_components(bigger, hits, None, {}), "fab")
    assert second["scrap"] == pytest.approx(2.0 * first["scrap"])
    assert second["damage"] == pytest.approx(2.0 * first["damage"])
    # The same network with other data: the other data's figures.
    cheaper = dataclasses.replace(
        fixed, kinds={**fixed.kinds, "fab": dataclasses.replace(FAB, value_added_share=0.125)}
    )
    third = _row(event_components(tiny, hits, None, {}, cheaper), "fab")
    assert third["scrap"] == pytest.approx(0.5 * first["scrap"])
    # and the first again, unchanged
    assert _row(event_components(tiny, hits, None, {}), "fab")["scrap"] == first["scrap"]


def test_two_quake_hits_combine_as_independent_causes(
    tiny: Network, fixed: ComponentParameters
) -> None:
    hits = _hits(
        ("fab", "earthquake", "moderate", 0.8, 1.5), ("fab", "earthquake", "extensive", 1.0, 5.3)
    )
    row = _row(event_components(tiny, hits, None, {}), "fab")
    wip = 100.0 * 0.9 * (70.0 / DAYS) * UNIT_VALUE * 0.25
    assert row["scrap"] == pytest.approx((1 - 0.95 * 0.8) * wip)
    recovery = 0.0003 * ASSET * (0.8 * 1.5 + 1.0 * 5.3) * DAYS
    assert row["damage"] == pytest.approx((1 - 0.99 * 0.95) * ASSET + recovery)


def test_a_fire_by_hand(tiny: Network, fixed: ComponentParameters) -> None:
    events = parse_events([{"type": "fire", "name": "fire", "node": "fab"}], "test", None)
    result = evaluate(events, tiny)
    row = _row(result.components, "fab")
    assert result.loss > 0
    # The default fire: 0.6 of capacity for 13 weeks; no premium edges on tiny.
    assert row["business_interruption"] == pytest.approx(result.loss)
    assert row["scrap"] == pytest.approx(0.6 * WIP_VALUE_SOLD)  # 12,000
    assert row["damage"] == pytest.approx(0.1 * 0.6 * ASSET + 0.0003 * ASSET * 0.6 * 13 * DAYS)
    assert row["mitigation"] == 0
    # Lost wafers: loss / margin 50; each worth 100 to the fab and 5 x 100 downstream.
    assert row["downstream_revenue_at_risk"] == pytest.approx(result.loss / 50 * 100 * 5)
    # Output short: the fab's production below the undisrupted horizon's, within what
    # the fire took (0.6 x 100/week x 13 weeks); idle capacity is its fixed cost.
    assert 0 < row["output_short"] <= 0.6 * 100 * 13 + 1e-6
    assert row["idle_capacity"] == pytest.approx(0.3 * UNIT_VALUE * row["output_short"])
    _check_sums(result.components)
    sums = result.summary()
    assert sums["total_loss"] == pytest.approx(row["total"])
    assert sums["total_loss"] < row["total"] + row["downstream_revenue_at_risk"]
    assert sums["loss"] == pytest.approx(sums["business_interruption"] + sums["mitigation"])


def test_a_water_restriction_costs_trucking_by_hand(
    tiny: Network, fixed: ComponentParameters
) -> None:
    spec = {"type": "water_restriction", "name": "w", "district": "water", "cut": 0.4}
    events = parse_events([{**spec, "duration": "4 weeks"}], "test", None)
    result = evaluate(events, tiny)
    row = _row(result.components, "water")
    # 12 per m3 x 6 m3/wafer x 80 wafers/week x 0.4 cut x 4 weeks
    assert row["mitigation"] == pytest.approx(12.0 * 6.0 * 80.0 * 0.4 * 4.0)
    assert row["scrap"] == 0
    assert row["damage"] == 0
    _check_sums(result.components)


def test_a_power_outage_scraps_the_customers_wip(tiny: Network, fixed: ComponentParameters) -> None:
    four_hours = 4.0 / 24.0 / DAYS
    table = event_components(
        tiny, _hits(("water", "power_outage", "outage", 0.5, four_hours)), None, {}
    )
    wip = 100.0 * 0.9 * (70.0 / DAYS) * UNIT_VALUE * 0.25
    assert _row(table, "water")["scrap"] == pytest.approx(wip * 0.01 * 0.5)  # short class
    assert _row(table, "water")["damage"] == 0
    # Half the fab's load on backup power: half the scrap.
    backed = dataclasses.replace(FAB, power_backup_share=0.5)
    params = dataclasses.replace(fixed, kinds={**fixed.kinds, "fab": backed})
    table = event_components(
        tiny, _hits(("water", "power_outage", "outage", 0.5, four_hours)), None, {}, params
    )
    assert _row(table, "water")["scrap"] == pytest.approx(wip * 0.01 * 0.5 * 0.5)


def test_site_outages_carry_components(tiny: Network) -> None:
    result = outage(tiny, {"fab": (1.0, 2.0)})
    table = result.tables()["components"]
    _check_sums(table)
    sums = result.summary()
    assert sums["business_interruption"] + sums["mitigation"] == pytest.approx(result.loss)
    assert sums["scrap"] == 0 and sums["damage"] == 0
    fixed_share = default_component_parameters().kind("fab").fixed_cost_share
    short = _row(table, "fab")["output_short"]
    assert 0 < short <= 100 * 2 + 1e-6  # at most the 2 weeks of capacity lost
    assert sums["idle_capacity"] == pytest.approx(fixed_share * UNIT_VALUE * short)
    assert sums["total_loss"] == pytest.approx(result.loss + sums["idle_capacity"])


def test_kumamoto_2016_scraps_and_damages_the_fabs_hit(tri: Network, tmp_path: Path) -> None:
    result = replay("kumamoto_2016", tri)
    table = result.components
    _check_sums(table)
    for fab in ("jasm_fab1", "sony_kumamoto_tec"):
        assert _row(table, fab)["scrap"] > 0
        assert _row(table, fab)["damage"] > 0
    sums = component_totals(table)
    assert sums["total_loss"] == pytest.approx(sum(sums[c] for c in COMPONENTS))
    assert sums["business_interruption"] + sums["mitigation"] >= result.loss - 1e-6
    assert "components:" in result.describe()
    store = ResultsStore(tmp_path / "runs.duckdb")
    stored = store.run(store.save_result(result, tri))
    assert "components" in stored.table_names
    assert stored.summary["total_loss"] == pytest.approx(sums["total_loss"])
    page = build_report(store, stored.run_id, tri)
    assert "Loss components" in page and "downstream revenue at risk" in page
    assert "Table components" not in page
    store.close()
