"""The hazard data files: complete, in range, and every figure sourced or marked an estimate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chipstress.errors import InvalidInput
from chipstress.workflows.hazards import (
    catalogue,
    default_parameters,
    load_parameters,
    load_rates,
)
from chipstress.workflows.hazards.params import DAMAGE_STATES, period_days

DATA = Path(__file__).parents[3] / "src" / "chipstress" / "workflows" / "hazards" / "data"
URL = re.compile(r"https?://\S+")


def test_packaged_parameters_load() -> None:
    params = default_parameters()
    assert {"fab", "packaging", "supplier", "equipment", "utility", "logistics", "talent"} <= set(
        params.fragility
    )
    for curve in params.fragility.values():
        assert [s.name for s in curve] == list(DAMAGE_STATES)
        assert all(s.source for s in curve)
    levels = params.water_systems["taiwan_wra"].levels
    assert list(levels) == ["blue", "green", "yellow", "orange", "red"]
    cuts = [level.capacity_cut for level in levels.values()]
    assert cuts == sorted(cuts) and cuts[-1] > cuts[-2] > 0
    assert set(params.water_systems["colorado_river"].levels) == {
        "tier0",
        "tier1",
        "tier2a",
        "tier2b",
        "tier3",
    }
    assert params.districts["hsinchu"].nodes == ("baoshan_reservoirs",)


def test_every_record_has_a_source_or_an_estimate() -> None:
    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            numbers = [k for k, v in node.items() if isinstance(v, int | float)]
            if numbers or "nodes" in node:
                assert node.get("source") or node.get("estimate"), where
            for key, value in node.items():
                walk(value, f"{where}.{key}")

    for name in ("attenuation.yaml", "water.yaml", "locations.yaml", "incidents.yaml"):
        walk(yaml.safe_load((DATA / name).read_text(encoding="utf-8")), name)
    rates = load_rates()
    for section, records in rates.sections.items():
        for record in records:
            assert record.get("source") or record.get("estimate"), f"{section}: {record}"
    for entry in catalogue().values():
        assert entry.sources and all(URL.fullmatch(s) for s in entry.sources), entry.id


def test_a_bad_override_file_is_reported(tmp_path: Path) -> None:
    text = (DATA / "fragility.csv").read_text(encoding="utf-8")
    (tmp_path / "fragility.csv").write_text(text.replace("fab,slight,0.025", "fab,slight,-1"))
    with pytest.raises(InvalidInput, match=r"fragility.csv, row 1: '-1' is not a number"):
        load_parameters(tmp_path)
    (tmp_path / "fragility.csv").write_text(text)
    (tmp_path / "incidents.yaml").write_text("fire: {capacity_loss: 0.5, recovery_weeks: 2}\n")
    with pytest.raises(InvalidInput, match=r"incidents.yaml, fire: no 'source:' or 'estimate:'"):
        load_parameters(tmp_path)


def test_period_must_be_a_time_unit(tri) -> None:
    assert period_days(tri) == 7.0
    assert period_days(tri.with_meta(period="days")) == 1.0
    with pytest.raises(InvalidInput, match="hazard durations need a period of time"):
        period_days(tri.with_meta(period="batch"))


def test_bad_rates_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"water\[1\], field 'rate'"):
        load_rates({"water": [{"district": "hsinchu", "level": "red", "estimate": "x"}]})
    with pytest.raises(InvalidInput, match=r"power\[1\]: no 'source:' or 'estimate:'"):
        load_rates({"power": [{"region": "taiwan", "rate": 1, "hours": [1], "fraction": [1]}]})
    with pytest.raises(InvalidInput, match="unknown section"):
        load_rates({"volcanoes": []})
    with pytest.raises(InvalidInput, match="field 'weeks'"):
        load_rates({"closures": [{"nodes": ["x"], "rate": 1, "weeks": [0], "estimate": "x"}]})
    with pytest.raises(
        InvalidInput, match=r"incidents\[1\], field 'hazard': 'arson' is not one of"
    ):
        load_rates(
            {"incidents": [{"hazard": "arson", "kind": "fab", "rate": 0.1, "estimate": "x"}]}
        )
    with pytest.raises(InvalidInput, match=r"earthquakes\[1\], field 'b_value': missing"):
        load_rates(
            {"earthquakes": [{"m_min": 5, "m_max": 7, "rate": 1, "zones": [], "estimate": "x"}]}
        )
    with pytest.raises(InvalidInput, match=r"storms\[1\], field 'entry': missing"):
        load_rates({"storms": [{"hazard": "typhoon", "rate": 1, "estimate": "x"}]})
    with pytest.raises(InvalidInput, match="cannot read"):
        load_rates(tmp_path / "missing.yaml")


def test_public_names_are_exported() -> None:
    import chipstress.workflows.hazards as hazards

    assert sorted(hazards.__all__) == sorted(set(hazards.__all__))
    for name in hazards.__all__:
        assert getattr(hazards, name) is not None, name
