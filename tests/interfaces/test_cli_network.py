"""The network commands of the CLI: validate, info, convert, export; exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner, Result

from chipstress import Network, __version__, read_network
from chipstress.errors import Problem
from chipstress.interfaces.cli import app

COMMANDS = ["validate", "info", "convert", "export", "demo"]


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --------------------------------------------------------------------------- basics
def test_version(run) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"chipstress {__version__}\n"


def test_no_arguments_shows_help(run) -> None:
    result = run()
    assert result.exit_code == 2
    assert "Usage: chipstress" in result.output
    for command in COMMANDS:
        assert command in result.output


def test_help(run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Stress-test multi-tier semiconductor supply networks" in result.stdout
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(run, command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: chipstress {command} [OPTIONS]")
    assert "--help" in result.stdout


# --------------------------------------------------------------------------- validate
@pytest.mark.parametrize(
    ("fixture", "summary"),
    [
        (
            "small_json",
            "small: 35 nodes, 5 products, 19 materials, 33 BOM lines, 44 source edges "
            "(period: period)",
        ),
        (
            "large_json",
            "large: 1700 nodes, 200 products, 867 materials, 1722 BOM lines, 2001 source edges "
            "(period: period)",
        ),
        (
            "tiny_path",
            "tiny: 5 nodes, 1 products, 4 materials, 3 BOM lines, 4 source edges (period: week)",
        ),
    ],
)
def test_validate_a_valid_network(
    run, request: pytest.FixtureRequest, fixture: str, summary: str
) -> None:
    result = run("validate", request.getfixturevalue(fixture))
    assert result.exit_code == 0
    assert result.stdout == f"✓ valid: {summary}\n"
    assert result.stderr == ""


def test_validate_lists_every_planted_error(run, many_errors_path: Path) -> None:
    result = run("validate", many_errors_path)
    assert result.exit_code == 1
    assert_no_traceback(result)
    lines = result.stdout.splitlines()
    assert lines[0] == f"✗ {many_errors_path}: 10 problems"
    planted = [
        Problem("nodes.csv", "row 1", "margin", "demand is set but margin is missing"),
        Problem("nodes.csv", "row 2", "capacity", "capacity is negative (-200)"),
        Problem(
            "nodes.csv",
            "row 3",
            "kind",
            "unknown kind 'suplier'; kinds are fab, packaging, supplier, equipment, utility, logistics, talent, product, other",
        ),
        Problem("nodes.csv", "row 3", "lat", "lat 95 is out of range [-90, 90]"),
        Problem("nodes.csv", "row 4", "inventory", "'lots' is not a number"),
        Problem("nodes.csv", "row 6", "id", "duplicate id 'gas' (first at row 5)"),
        Problem("bom.csv", "row 2", "quantity", "quantity must be > 0, got 0"),
        Problem("bom.csv", "row 4", "node", "unknown node 'ghost' (no such id in the node table)"),
        Problem(
            "bom.csv",
            "row 5",
            "material",
            "node 'resist_b' needs 'neon' but no sources row lets a supplier of that material "
            "ship to it",
        ),
        Problem(
            "sources.csv",
            "row 5",
            "customer",
            "supplier 'gas' ships 'neon', which customer 'fab' has no BOM line for",
        ),
    ]
    assert sorted(lines[1:]) == sorted(f"  - {p}" for p in planted)
    assert "  - nodes.csv, row 2, field 'capacity': capacity is negative (-200)" in lines


def test_validate_a_broken_json_file(run, fixtures_dir: Path) -> None:
    path = fixtures_dir / "broken" / "broken.json"
    result = run("validate", path)
    assert result.exit_code == 1
    assert result.stdout == (
        f"✗ {path}: 1 problem\n"
        "  - broken.json, line 3, column 3: is not valid JSON: Expecting property name "
        "enclosed in double quotes\n"
    )


def test_validate_prints_problem_text_verbatim(run, tmp_path: Path) -> None:
    # Square brackets in a message must not be eaten as console markup.
    path = tmp_path / "brackets.yaml"
    path.write_text(
        "nodes:\n  - {id: a, material: m, capacity: 1, demand: 1, margin: 1, lat: 99, lon: 0}\n",
        encoding="utf-8",
    )
    result = run("validate", path)
    assert result.exit_code == 1
    assert "  - brackets.yaml, nodes[0], field 'lat': lat 99 is out of range [-90, 90]" in (
        result.stdout.splitlines()
    )


@pytest.mark.parametrize("command", ["validate", "info"])
def test_a_missing_file_is_bad_input(run, tmp_path: Path, command: str) -> None:
    missing = tmp_path / "missing-folder"
    result = run(command, missing)
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert result.stderr == (
        f"error: {missing}: no such file or folder, and not a built-in network (tri-cluster)\n"
    )


@pytest.mark.parametrize("command", ["validate", "info"])
def test_an_unknown_builtin_is_bad_input(run, command: str) -> None:
    result = run(command, "quad-cluster")
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert "quad-cluster: no such file or folder, and not a built-in network (tri-cluster)" in (
        result.stderr
    )


def test_an_unknown_format_is_bad_input(run, tmp_path: Path) -> None:
    path = tmp_path / "nodes.csv"
    path.write_text("id\n", encoding="utf-8")
    result = run("validate", path)
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert "cannot tell the format from the extension '.csv'" in result.stderr


# --------------------------------------------------------------------------- info
def test_info_on_the_tiny_network(run, tiny_path: Path) -> None:
    result = run("info", tiny_path)
    assert result.exit_code == 0
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == (
        "tiny: 5 nodes, 1 products, 4 materials, 3 BOM lines, 4 source edges (period: week)"
    )
    assert lines[1] == "A five-node hand-written network for the tests."
    for title in (
        "Nodes by cluster and kind",
        "End products (nodes with demand)",
        "Materials (4), fewest suppliers first",
        "Single-sourced BOM lines (2: one supplier can fill them)",
    ):
        assert title in lines

    def row(*cells: str) -> list[str]:
        return [
            line for line in lines if [c.strip() for c in line.strip("│").split("│")] == list(cells)
        ]

    # Counts by cluster and kind (fab, supplier, utility, total).
    assert "┃ cluster  ┃ fab ┃ supplier ┃ utility ┃ total ┃" in lines
    assert row("arizona", "", "1", "", "1")
    assert row("kumamoto", "", "2", "", "2")
    assert row("tainan", "1", "", "1", "2")
    assert row("total", "1", "3", "1", "5")
    # The end product, the materials and the single-sourced lines.
    assert row("fab", "tainan", "wafer-n3", "80", "50")
    assert row("photoresist", "litre", "2", "1")
    assert row("neon", "", "1", "1")
    assert row("fab", "water", "water")
    assert row("resist_a", "neon", "gas")
    assert not row("fab", "photoresist", "resist_a")


def test_info_on_a_reference_fixture(run, small_json: Path, small: Network) -> None:
    result = run("info", small_json)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == small.summary()
    assert "Single-sourced BOM lines (23: one supplier can fill them)" in lines
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in lines]
    assert ["(none)", "5", "30", "35"] in cells
    for node, material, supplier in small.single_sourced().itertuples(index=False):
        assert [node, material, supplier] in cells


def test_info_on_an_invalid_network(run, many_errors_path: Path) -> None:
    result = run("info", many_errors_path)
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {many_errors_path} is not a valid network:"
    assert len(lines) == 11
    assert (
        "  - bom.csv, row 4, field 'node': unknown node 'ghost' (no such id in the node table)"
        in lines
    )


# --------------------------------------------------------------------------- convert
DESTINATIONS = [
    # (destination name, extra arguments, format word in the message)
    ("small", [], "csv"),
    ("small", ["--table-format", "parquet"], "parquet"),
    ("small", ["-t", "csv"], "csv"),
    ("small.yaml", [], "yaml"),
    ("small.json", [], "json"),
]


@pytest.mark.parametrize(("name", "extra", "fmt"), DESTINATIONS)
def test_convert_from_reference_json(
    run, tmp_path: Path, small_json: Path, small: Network, name: str, extra: list[str], fmt: str
) -> None:
    destination = tmp_path / name
    result = run("convert", small_json, destination, *extra)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"✓ wrote {destination} ({fmt}): {small.summary()}\n"
    assert result.stderr == ""
    assert destination.exists()
    assert read_network(destination) == small


@pytest.mark.parametrize("source_format", ["csv", "parquet", "yaml", "json"])
@pytest.mark.parametrize("target_format", ["csv", "parquet", "yaml", "json"])
def test_convert_between_all_formats(
    run, tmp_path: Path, small: Network, small_json: Path, source_format: str, target_format: str
) -> None:
    def place(fmt: str, side: str) -> tuple[Path, list[str]]:
        folder = tmp_path / side
        if fmt in ("csv", "parquet"):
            return folder / "small", ["-t", fmt]
        return folder / f"small.{fmt}", []

    source, source_args = place(source_format, "in")
    assert run("convert", small_json, source, *source_args).exit_code == 0
    target, target_args = place(target_format, "out")
    result = run("convert", source, target, *target_args)
    assert result.exit_code == 0, result.output
    assert read_network(target) == small


def test_convert_chain_large_json_to_native_to_parquet_to_json(
    run, tmp_path: Path, large_json: Path, large: Network
) -> None:
    native, parquet, back = (
        tmp_path / "native",
        tmp_path / "parquet",
        tmp_path / "json" / "large.json",
    )
    assert run("convert", large_json, native).exit_code == 0
    assert run("convert", native, parquet, "--table-format", "parquet").exit_code == 0
    assert run("convert", parquet, back).exit_code == 0
    assert (native / "nodes.csv").exists() and (parquet / "nodes.parquet").exists()
    assert read_network(back) == large
    assert json.loads(back.read_text()) == json.loads(large_json.read_text())


def test_convert_to_reference_json_notes_what_is_dropped(
    run, tmp_path: Path, tiny_path: Path
) -> None:
    destination = tmp_path / "tiny.json"
    result = run("convert", tiny_path, destination)
    assert result.exit_code == 0
    assert result.stderr == (
        "note: the reference JSON format has no place for: name, kind, cluster, country, lat, "
        "lon, material, ttr, name_zh, name_ja, source, bom.source, sources.source (not written)\n"
    )
    assert read_network(destination).n_nodes == 5


def test_convert_an_invalid_network_writes_nothing(
    run, tmp_path: Path, many_errors_path: Path
) -> None:
    destination = tmp_path / "out.yaml"
    result = run("convert", many_errors_path, destination)
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert result.stderr.startswith(f"error: {many_errors_path} is not a valid network:\n")
    assert not destination.exists()
    assert list(tmp_path.iterdir()) == []


def test_convert_refuses_to_overwrite_a_folder_that_is_not_a_network(
    run, tmp_path: Path, tiny_path: Path
) -> None:
    target = tmp_path / "documents"
    target.mkdir()
    (target / "keep.txt").write_text("keep me", encoding="utf-8")
    result = run("convert", tiny_path, target)
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert result.stderr == (
        f"error: {target} exists, is not empty and is not a network folder: refusing to "
        "overwrite it\n"
    )
    assert (target / "keep.txt").read_text(encoding="utf-8") == "keep me"


def test_convert_to_graphml(run, tmp_path: Path, tiny_path: Path) -> None:
    destination = tmp_path / "tiny.graphml"
    result = run("convert", tiny_path, destination)
    assert result.exit_code == 0
    assert nx.read_graphml(destination).number_of_edges() == 4


# --------------------------------------------------------------------------- export
def test_export_graphml(run, tmp_path: Path, small_json: Path) -> None:
    destination = tmp_path / "graphs" / "small.graphml"
    result = run("export", small_json, "--graphml", destination)
    assert result.exit_code == 0
    assert result.stdout == f"✓ wrote {destination}: 35 nodes, 44 edges\n"
    graph = nx.read_graphml(destination)
    assert graph.number_of_nodes() == 35
    assert graph.number_of_edges() == 44
    assert graph.nodes["T1_1"]["demand"] == 801.0
    assert graph.edges["T2_2", "T1_1"]["material"] == "aaa"


def test_export_a_missing_network(run, tmp_path: Path) -> None:
    result = run("export", tmp_path / "nope", "--graphml", tmp_path / "g.graphml")
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert "no such file or folder" in result.stderr
    assert not (tmp_path / "g.graphml").exists()


# --------------------------------------------------------------------------- usage errors
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate"], "Missing argument"),
        (["info"], "Missing argument"),
        (["convert", "tri-cluster"], "Missing argument"),
        (["export", "tri-cluster"], "Missing option '--graphml'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["validate", "a", "b"], "unexpected extra argument"),
        (["info", "--colour"], "No such option: --colour"),
        (
            ["convert", "x", "out", "--table-format", "xlsx"],
            "'xlsx' is not one of 'csv', 'parquet'",
        ),
        (["convert", "x", "out.json", "-t", "csv"], "a table format applies to folders only"),
        (["convert", "x", "nodes.csv"], "a network is a folder of tables"),
    ],
)
def test_usage_errors_exit_2(run, tmp_path: Path, args: list[str], message: str) -> None:
    result = run(*[tmp_path / a if a.startswith("out") or a.endswith(".csv") else a for a in args])
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    assert message in result.stderr
    assert "Usage: chipstress" in result.stderr
    assert list(tmp_path.iterdir()) == []
