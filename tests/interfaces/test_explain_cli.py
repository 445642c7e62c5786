"""``chipstress explain``: tables and JSON computed from the engine, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chipstress.interfaces.cli import app

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"
runner = CliRunner()


def test_explain_prints_the_why(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", str(TINY), "water"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "water (Water district, makes water): exposed" in out
    assert "TTR 1.00 weeks, TTS 0.25 weeks" in out and "3,000 USD" in out
    assert "none (single-sourced)" in out
    assert "hold 600 more units of water at water" in out
    assert "600 units per week of capacity" in out
    assert "recover within 0.25 weeks" in out


def test_explain_json_and_a_workbook(tmp_path: Path) -> None:
    from chipstress import read_network
    from chipstress.model.io.spreadsheet_write import write_workbook

    write_workbook(read_network(TINY), tmp_path / "tiny.xlsx")
    result = runner.invoke(app, ["explain", str(tmp_path / "tiny.xlsx"), "resist_b", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "covered" and data["tts"] == "Infinity"
    assert data["to_change_verdict"] == [
        {"action": "slack", "amount": "Infinity", "unit": "periods", "feasible": True}
    ]
    result = runner.invoke(app, ["explain", str(TINY), "water", "--duration", "2", "--json"])
    assert json.loads(result.stdout)["per_product"][0]["lost_units"] == 140


def test_explain_errors_are_messages() -> None:
    result = runner.invoke(app, ["explain", str(TINY), "nope"])
    assert result.exit_code == 1 and "unknown node id 'nope'" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["explain", str(TINY), "water", "--duration", "0"])
    assert result.exit_code == 1 and "duration must be" in result.output
    result = runner.invoke(app, ["explain", "no-such-network", "water"])
    assert result.exit_code == 1 and "not a built-in network" in result.output
