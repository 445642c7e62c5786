"""Malformed input files and arguments (issue 14): a clear error naming file, row and field.

Each case goes through the CLI (exit code, message, no traceback) and, where there is
one, the Python API. Numbers are checked for range before any solve.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from chipstress import read_network, write_network
from chipstress.errors import InvalidInput, InvalidNetwork
from chipstress.model.validation import MAX_MAGNITUDE
from chipstress.workflows import read_durations
from chipstress.workflows.hazards import load_events
from chipstress.workflows.whatif import apply_edits, whatif
from chipstress.workflows.whatif.edits import read_yaml_file

TINY = Path(__file__).parents[1] / "fixtures" / "tiny"


def cli(*args: str | Path) -> tuple[int, str]:
    """Run the CLI in-process; its exit code and everything it printed."""
    started = time.perf_counter()
    result = CliRunner().invoke(app_(), [str(a) for a in args])
    assert time.perf_counter() - started < 60
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def app_():
    from chipstress.interfaces.cli import app

    return app


def tiny_with(tmp_path: Path, table: str, row: int, column: str, value: str) -> Path:
    """A copy of the tiny folder with one cell of one CSV table replaced."""
    folder = tmp_path / f"tiny-{table}-{column}-{abs(hash(value))}"
    folder.mkdir()
    for path in TINY.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    frame.to_csv(folder / f"{table}.csv", index=False)
    return folder


# --------------------------------------------------------------------------- number range
@pytest.mark.parametrize(
    ("table", "row", "column"),
    [
        ("nodes", 0, "capacity"),
        ("nodes", 1, "inventory"),
        ("nodes", 0, "margin"),
        ("nodes", 0, "demand"),
        ("nodes", 2, "ttr"),
        ("bom", 1, "quantity"),
    ],
)
@pytest.mark.parametrize("value", ["1e308", "inf", "nan", "-1e300"])
def test_out_of_range_numbers_are_refused_before_any_solve(
    tmp_path: Path, table: str, row: int, column: str, value: str
) -> None:
    folder = tiny_with(tmp_path, table, row, column, value)
    with pytest.raises(InvalidNetwork) as caught:
        read_network(folder)
    problem = caught.value.problems[0]
    assert (problem.file, problem.location, problem.field) == (
        f"{table}.csv",
        f"row {row + 1}",
        column,
    )
    code, output = cli("sweep", folder, "--no-save")
    assert code == 1 and f"{table}.csv, row {row + 1}, field '{column}'" in output


def test_the_limit_itself_is_accepted(tmp_path: Path) -> None:
    folder = tiny_with(tmp_path, "nodes", 3, "capacity", f"{MAX_MAGNITUDE:g}")
    assert read_network(folder).nodes["capacity"].max() == MAX_MAGNITUDE


def test_huge_integers_in_yaml_and_json_name_file_and_line(tmp_path: Path) -> None:
    network = read_network(TINY)
    yaml_path, json_path = tmp_path / "net.yaml", tmp_path / "net.json"
    write_network(network, yaml_path)
    text = yaml_path.read_text(encoding="utf-8").replace("capacity: 100.0", f"capacity: {10**400}")
    yaml_path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidNetwork, match=r"net\.yaml, line \d+: integer .* has 401 digits"):
        read_network(yaml_path)
    yaml_path.write_text(text.replace(str(10**400), "7" * 1_000_000), encoding="utf-8")
    with pytest.raises(InvalidNetwork, match=r"has 1,000,000 digits"):
        read_network(yaml_path)
    json_path.write_text(json.dumps({"tier1": ["a"], "c": {"a": 10**400}}), encoding="utf-8")
    with pytest.raises(InvalidNetwork, match=r"net\.json, line 1: integer .* has 401 digits"):
        read_network(json_path)
    code, output = cli("validate", json_path)
    assert code == 1 and "has 401 digits" in output


def test_an_integer_beyond_a_float_in_a_table_is_out_of_range() -> None:
    network = read_network(TINY)
    nodes = network.nodes.astype(object)
    nodes.loc[0, "capacity"] = 10**400
    with pytest.raises(InvalidNetwork, match=r"row 1, field 'capacity': capacity is infinite"):
        type(network).from_tables(nodes, network.bom, network.sources)
    with pytest.raises(InvalidInput, match="must be finite"):
        network.with_capacity({"fab": 10**400})


def test_nan_in_the_reference_json_is_reported_as_nan(small_json: Path, tmp_path: Path) -> None:
    data = json.loads(small_json.read_text(encoding="utf-8"))
    product = data["tier1"][0]
    data["d"][product] = float("nan")
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidNetwork) as caught:
        read_network(path)
    [problem] = caught.value.problems
    assert str(problem) == f"nan.json, d['{product}'], field 'd': demand is NaN: give a number"


# --------------------------------------------------------------------------- files
def test_a_parquet_text_column_that_is_not_utf8_names_file_row_and_column(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "parquet"
    write_network(read_network(TINY), folder, "parquet")
    table = pq.read_table(folder / "nodes.parquet")
    ids = table.column("id").combine_chunks()
    binary = pa.large_binary() if pa.types.is_large_string(ids.type) else pa.binary()
    raw = pa.array([v.encode() for v in ids.to_pylist()[:-1]] + [b"\xff\xfe"], binary)
    bad = pa.Array.from_buffers(ids.type, len(raw), raw.buffers())  # bytes as text, unchecked
    table = table.set_column(table.schema.get_field_index("id"), "id", bad)
    pq.write_table(table, folder / "nodes.parquet")
    with pytest.raises(InvalidNetwork) as caught:
        read_network(folder)
    assert [str(p) for p in caught.value.problems] == [
        f"nodes.parquet, row {len(raw)}, field 'id': text is not valid UTF-8"
    ]
    code, output = cli("validate", folder)
    assert code == 1 and "nodes.parquet" in output and "'id'" in output
    # A bytes (binary) column: the same check; valid bytes are read as text.
    table = table.set_column(table.schema.get_field_index("id"), "id", raw)
    pq.write_table(table, folder / "nodes.parquet")
    with pytest.raises(InvalidNetwork, match=r"nodes\.parquet, row 5, field 'id': text is not"):
        read_network(folder)
    good = pa.array([v.encode() for v in ids.to_pylist()], binary)
    table = table.set_column(table.schema.get_field_index("id"), "id", good)
    pq.write_table(table, folder / "nodes.parquet")
    assert sorted(read_network(folder).nodes["id"]) == sorted(ids.to_pylist())


def test_durations_a_folder_or_an_unknown_node(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        read_durations(str(tmp_path))
    code, output = cli("sweep", TINY, "--durations", tmp_path, "--no-save")
    assert code == 1 and f"{tmp_path}: is a folder" in output
    path = tmp_path / "durations.csv"
    path.write_text("node,duration\nfab,2\nnope,3\nwater,1e999\n", encoding="utf-8")
    code, output = cli("sweep", TINY, "--durations", path, "--no-save")
    assert code == 1
    assert "durations.csv: 2 problem(s)" in output
    assert "row 2, field 'node': unknown node id 'nope'" in output
    assert "row 3, field 'duration': '1e999' is not a number of periods >= 0" in output


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e308"])
@pytest.mark.parametrize("command", [("sweep",), ("contingency", "-d", "fab")])
def test_duration_option_that_is_not_a_number_of_periods(
    command: tuple[str, ...], value: str
) -> None:
    code, output = cli(command[0], TINY, *command[1:], "--duration", value, "--no-save")
    assert code == 2 and f"{value:s} is not a number of periods".replace("1e308", "1e+308") in (
        output.replace("\n", " ")
    )
    assert "greater than or equal" not in output


def test_convert_to_a_path_that_cannot_be_written(tmp_path: Path) -> None:
    code, output = cli("convert", TINY, "/proc/version.yaml")
    assert code == 1 and "/proc/version.yaml: cannot write" in output
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, output = cli("convert", TINY, tmp_path / "file" / "net.yaml")
    assert code == 1 and "net.yaml: cannot write" in output


# --------------------------------------------------------------------------- messages
def test_recovery_of_1e999_weeks_names_file_event_and_field(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "events:\n  - {type: fire, node: fab, recovery: 1e999 weeks}\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as caught:
        load_events(path)
    assert f"{path}, event 1, field 'recovery': '1e999 weeks' is not a finite duration" in str(
        caught.value
    )
    code, output = cli("scenario", path, TINY, "--no-save")
    assert code == 1 and "field 'recovery'" in output and "scenario.yaml, event 1" in output


def test_a_cycle_reads_well(tmp_path: Path) -> None:
    folder = tmp_path / "cycle"
    folder.mkdir()
    for path in TINY.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    with (folder / "bom.csv").open("a", encoding="utf-8") as handle:
        handle.write("water,wafer-n3,1,\n")
    with (folder / "sources.csv").open("a", encoding="utf-8") as handle:
        handle.write("fab,water,\n")
    code, output = cli("validate", folder)
    assert code == 1
    assert "sources.csv, rows 5 and 3, field 'supplier': cycle in the supply graph" in output
    assert "row 5, row" not in output


def test_an_edits_file_with_two_problems_reports_both(tmp_path: Path) -> None:
    path = tmp_path / "edits.yaml"
    path.write_text(
        "edits:\n"
        "  - {type: add_inventory, node: nope, add: 2}\n"
        "  - {type: raise_capacity, node: fab, factor: -2}\n",
        encoding="utf-8",
    )
    network = read_network(TINY)
    with pytest.raises(InvalidInput) as caught:
        apply_edits(network, read_yaml_file(path), source=path.name)
    message = str(caught.value)
    assert "2 problem(s)" in message
    assert "edits.yaml, edits[0], field 'node': unknown node 'nope'" in message
    assert "edits.yaml, edits[1], field 'factor': must be > 0, got -2" in message
    with pytest.raises(InvalidInput, match=r"2 problem\(s\)"):
        whatif(network, read_yaml_file(path), source=path.name)
    code, output = cli("whatif", TINY, path, "--no-save")
    assert code == 1 and "edits[0]" in output and "edits[1]" in output


@pytest.mark.parametrize("node_id", ["a/b", "a\\b", "tab\there"])
def test_a_node_id_that_cannot_be_reached_is_refused(tmp_path: Path, node_id: str) -> None:
    folder = tiny_with(tmp_path, "nodes", 4, "id", node_id)
    (folder / "sources.csv").write_text(
        (TINY / "sources.csv").read_text(encoding="utf-8").replace("gas,", f'"{node_id}",'),
        encoding="utf-8",
    )
    with pytest.raises(InvalidNetwork) as caught:
        read_network(folder)
    [problem] = caught.value.problems
    assert (problem.file, problem.location, problem.field) == ("nodes.csv", "row 5", "id")
    assert "contains '/', '\\' or a control character" in problem.message


def test_a_huge_value_in_a_message_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    write_network(read_network(TINY), path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("capacity: 100.0", "capacity: [" + "1, " * 100_000 + "1]"))
    with pytest.raises(InvalidNetwork) as caught:
        read_network(path)
    assert max(len(str(p)) for p in caught.value.problems) < 200
