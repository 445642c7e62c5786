"""The hazard commands of the CLI: hazards, replay, scenario, simulate; files and exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from chipstress.interfaces.cli import app
from chipstress.workflows.hazards import SITE_COLUMNS

BANNER = "HiGHS"


@pytest.fixture
def run(capfd: pytest.CaptureFixture[str]):
    """Invoke the CLI; no HiGHS banner and no traceback may reach the output."""
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        result = runner.invoke(app, [str(a) for a in args])
        leaked = capfd.readouterr()
        assert BANNER not in leaked.out and BANNER not in leaked.err
        assert BANNER not in result.stdout
        assert "Traceback" not in result.output
        return result

    return invoke


def test_hazards_lists_the_catalogue(run) -> None:
    result = run("hazards")
    assert result.exit_code == 0
    for event_id in ("chichi_1999", "kumamoto_2016", "neon_2022", "hualien_2024"):
        assert event_id in result.stdout


def test_replay_prints_the_impact_and_writes_the_sites(run, tmp_path: Path) -> None:
    out = tmp_path / "kumamoto.csv"
    result = run("replay", "kumamoto_2016", "tri-cluster", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Sites hit and why" in result.stdout
    assert "2016 Kumamoto earthquakes (kumamoto_2016): loss" in result.stdout
    assert "time to survive" in result.stdout and "wrote" in result.stdout
    table = pd.read_csv(out)
    assert list(table.columns) == SITE_COLUMNS
    assert "sony_kumamoto_tec" in set(table["site"])
    parquet = tmp_path / "kumamoto.parquet"
    assert run("replay", "kumamoto_2016", "tri-cluster", "-o", parquet).exit_code == 0
    assert list(pd.read_parquet(parquet)["site"]) == list(table["site"])


def test_replay_of_an_event_that_hits_nothing(run) -> None:
    result = run("replay", "japan_korea_2019", "tri-cluster")
    assert result.exit_code == 0
    assert "loss 0 USD" in result.stdout and "no site of the network is hit" in result.stdout


def test_replay_errors(run, tmp_path: Path) -> None:
    result = run("replay", "atlantis_2099", "tri-cluster")
    assert result.exit_code == 1 and "no catalogue event 'atlantis_2099'" in result.output
    result = run("replay", "kumamoto_2016", "tri-cluster", "--out", tmp_path / "x.txt")
    assert result.exit_code != 0 and ".csv or .parquet" in result.output
    result = run("replay", "kumamoto_2016", tmp_path / "missing-network")
    assert result.exit_code == 1


def test_scenario_runs_a_file(run, tmp_path: Path) -> None:
    path = tmp_path / "port.yaml"
    path.write_text(
        "name: Kaohsiung port shut\nevents:\n"
        "  - {type: port_closure, node: port_kaohsiung, duration: 8 weeks}\n"
        "  - {type: typhoon, track: [[22.0, 123.0], [22.6, 120.3]], radius_km: 40}\n"
    )
    out = tmp_path / "sites.csv"
    result = run("scenario", path, "tri-cluster", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Kaohsiung port shut: loss" in result.stdout
    assert "port_kaohsiung" in set(pd.read_csv(out)["site"])


def test_scenario_errors_name_file_event_and_field(run, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "events:\n"
        "  - {type: volcano, name: Aso}\n"
        "  - {type: water_restriction, name: dry, district: atlantis, level: red, duration: 2}\n"
        "  - {type: flood, polygon: [[0, 0], [0, 1], [1, 1], [1, 0]]}\n"
    )
    result = run("scenario", path, "tri-cluster")
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "3 problem(s) in hazard events" in output
    assert "event 1 (Aso), field 'type': unknown hazard type 'volcano'" in output
    assert "event 2 (dry), field 'district': unknown district or node 'atlantis'" in output
    assert "event 3, field 'polygon': polygon not closed" in output
    assert run("scenario", tmp_path / "nope.yaml", "tri-cluster").exit_code == 1


def test_simulate_writes_years_and_events(run, tmp_path: Path) -> None:
    out = tmp_path / "sim.csv"
    result = run("simulate", "tri-cluster", "--years", "300", "--seed", "4", "--out", out)
    assert result.exit_code == 0, result.output
    assert "300 simulated years (seed 4): expected annual loss" in result.stdout
    assert "VaR 95%" in result.stdout and "CVaR 99%" in result.stdout
    assert "Loss-exceedance curve" in result.stdout and "top hazards" in result.stdout
    years = pd.read_csv(out)
    events = pd.read_csv(tmp_path / "sim-events.csv")
    columns = ["year", "events", "damaging_events", "loss", "total_loss"]
    assert list(years.columns) == columns and len(years) == 300
    assert {"hazard", "source", "loss", "idle_capacity", "scrap", "damage", "trucking"} <= set(
        events.columns
    )
    assert "expected annual total loss" in result.stdout
    again = tmp_path / "again.parquet"
    assert run("simulate", "tri-cluster", "-n", "300", "-s", "4", "-o", again).exit_code == 0
    assert pd.read_parquet(again)["loss"].equals(years["loss"])
    assert (tmp_path / "again-events.parquet").exists()


def test_simulate_usage_errors(run) -> None:
    assert run("simulate", "tri-cluster", "--years", "0", "--seed", "1").exit_code == 2
    assert run("simulate", "tri-cluster", "--seed", "1").exit_code == 2
