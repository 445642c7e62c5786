"""``chipstress import`` and ``chipstress template``: spreadsheets in, problems located."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from chipstress import read_network
from chipstress.interfaces.cli import app

SHEETS = Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheets"
runner = CliRunner()


def test_import_flat_sheet_to_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "net"
    result = runner.invoke(app, ["import", str(SHEETS / "flat.xlsx"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "sheet 'Suppliers': flat (Vendor -> supplier, Buyer -> customer" in result.stdout
    assert "column L 'Comment': not used" in result.stderr
    assert read_network(out).n_nodes == 5


def test_import_with_mapping_to_yaml_and_xlsx(tmp_path: Path) -> None:
    args = [
        "import",
        str(SHEETS / "odd-headers.xlsx"),
        "-m",
        str(SHEETS / "odd-headers-mapping.yaml"),
    ]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "odd.yaml")])
    assert result.exit_code == 0, result.output
    back = read_network(tmp_path / "odd.yaml")
    assert back.meta.currency == "EUR"
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "odd.xlsx")])
    assert result.exit_code == 0, result.output
    assert read_network(tmp_path / "odd.xlsx") == back


def test_import_broken_lists_every_problem() -> None:
    result = runner.invoke(app, ["import", str(SHEETS / "broken.xlsx")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(lines) == 4
    assert (
        "  - broken.xlsx, sheet 'Suppliers', row 4, field 'Vendor (column A)': supplier is empty"
        in lines
    )


def test_import_bad_mapping_and_missing_file(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("sheets: {Suppliers: people}\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(SHEETS / "flat.xlsx"), "-m", str(mapping)])
    assert result.exit_code == 1 and "'people' is not one of" in result.output
    result = runner.invoke(app, ["import", str(tmp_path / "none.xlsx")])
    assert result.exit_code == 1 and "none.xlsx: no such file" in result.output


def test_template_then_any_command_takes_it(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    result = runner.invoke(app, ["template", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "my-network: 3 nodes" in result.stdout
    result = runner.invoke(app, ["template", str(tmp_path / "mine.csv")])
    assert result.exit_code == 1 and "name it *.xlsx" in result.output
