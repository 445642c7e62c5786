"""Networks from spreadsheets: round trips, the flat shape, mapping files, and every problem
named with its file, sheet, row and column."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook, load_workbook

from chipstress import InvalidInput, InvalidNetwork, read_network
from chipstress.model.io import spreadsheet as ss
from chipstress.model.io.spreadsheet import column_letter, import_spreadsheet, read_spreadsheet
from chipstress.model.io.spreadsheet_write import example_network, write_template, write_workbook
from chipstress.model.schema import table_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHEETS = FIXTURES / "spreadsheets"


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _problems(path: Path, mapping: Path | None = None) -> list[str]:
    with pytest.raises(InvalidNetwork) as caught:
        import_spreadsheet(path, mapping)
    return [str(p) for p in caught.value.problems]


FLAT_HEADER = ["supplier", "customer", "material", "quantity", "capacity", "demand", "margin"]


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(
    "source", ["tiny", "tri-cluster", "reference-json/small.json"], ids=["tiny", "tri", "small"]
)
def test_network_to_workbook_and_back_is_equal(source: str, tmp_path: Path) -> None:
    network = read_network(source if source == "tri-cluster" else FIXTURES / source)
    write_workbook(network, tmp_path / "net.xlsx")
    back = read_network(tmp_path / "net.xlsx")  # every command takes a workbook
    assert back.differences(network) == []
    assert back.fingerprint() == network.fingerprint()


def test_the_committed_fixture_is_the_tiny_network() -> None:
    assert read_spreadsheet(SHEETS / "tiny.xlsx") == read_network(FIXTURES / "tiny")


def test_template_is_annotated_and_reads_as_its_example(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == ["README", "network", "materials", "nodes", "bom", "sources"]
    readme = [row[1] for row in book["README"].iter_rows(values_only=True) if row[0] == "nodes"]
    assert readme == list(table_schema("nodes"))  # every column of the schema is described
    header = {cell.value: cell.comment for cell in book["nodes"][1]}
    assert "Unit: units of material per period." in header["capacity"].text
    assert "Required." in header["id"].text
    assert read_spreadsheet(path) == example_network()


def test_empty_template_names_the_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_template(path, example=False)
    problems = _problems(path)
    assert any("nodes" in p for p in problems), problems


# --------------------------------------------------------------------------- the flat sheet
def test_flat_sheet_hand_checked() -> None:
    result = import_spreadsheet(SHEETS / "flat.xlsx")
    assert result.sheets == {"Suppliers": "flat"}
    assert result.mapping["Suppliers"]["Vendor"] == "supplier"
    assert result.mapping["Suppliers"]["Comment"] is None
    assert result.notes == [
        "flat.xlsx, sheet 'Suppliers', column L 'Comment': not used (closest column: material, "
        "score 0.75; map it in a mapping file to use it)"
    ]
    net = result.network
    nodes = net.nodes.set_index("id")
    assert sorted(nodes.index) == ["fab", "gas", "resist_a", "resist_b", "water"]
    # the fab supplies nobody: an end product making its own line, capacity from its column
    assert nodes.loc["fab", ["material", "kind"]].tolist() == ["fab", "product"]
    assert nodes.loc["fab", ["capacity", "demand", "margin"]].tolist() == [100.0, 80.0, 50.0]
    assert nodes.loc[
        "resist_b", ["material", "capacity", "inventory", "ttr", "cluster"]
    ].tolist() == [
        "photoresist",
        150.0,
        30.0,
        3.0,
        "arizona",
    ]
    assert np.isnan(nodes.loc["resist_a", "demand"])
    bom = {(r.node, r.material): r.quantity for r in net.bom.itertuples()}
    assert bom == {("fab", "photoresist"): 2.0, ("fab", "water"): 10.0, ("resist_a", "neon"): 0.5}
    edges = sorted(zip(net.sources["supplier"], net.sources["customer"], strict=True))
    assert edges == [
        ("gas", "resist_a"),
        ("resist_a", "fab"),
        ("resist_b", "fab"),
        ("water", "fab"),
    ]


def test_flat_csv_reads_as_the_workbook() -> None:
    from_csv = import_spreadsheet(SHEETS / "flat.csv").network
    from_xlsx = import_spreadsheet(SHEETS / "flat.xlsx").network
    assert from_csv.differences(from_xlsx.with_meta(name="flat")) == []


def test_end_product_without_capacity_makes_its_demand(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "f.xlsx",
        {"S": [FLAT_HEADER, ["a", "p", "m", 2, 10, 3, 7], ["b", "p", "n", 1, 5, None, None]]},
    )
    nodes = read_spreadsheet(path).nodes.set_index("id")
    assert nodes.loc["p", ["capacity", "demand", "margin"]].tolist() == [3.0, 3.0, 7.0]


def test_mapping_file_reads_headers_no_suggestion_finds() -> None:
    with pytest.raises(InvalidNetwork) as caught:
        import_spreadsheet(SHEETS / "odd-headers.xlsx")
    (problem,) = caught.value.problems
    assert "'Liste' (looks most like nodes, but no header names id, material, capacity)" in str(
        problem
    )
    result = import_spreadsheet(SHEETS / "odd-headers.xlsx", SHEETS / "odd-headers-mapping.yaml")
    net = result.network
    assert (net.meta.name, net.meta.period, net.meta.currency) == ("odd", "week", "EUR")
    nodes = net.nodes.set_index("id")
    assert nodes.loc["fab", ["capacity", "demand", "margin"]].tolist() == [80.0, 80.0, 50.0]
    assert nodes.loc["gas", "ttr"] == 6.0


# --------------------------------------------------------------------------- problems, located
def test_broken_flat_sheet_names_sheet_row_and_column() -> None:
    assert _problems(SHEETS / "broken.xlsx") == [
        "broken.xlsx, sheet 'Suppliers', row 4, field 'Vendor (column A)': supplier is empty",
        "broken.xlsx, sheet 'Suppliers', row 5, field 'Capacity (per week) (column E)': site "
        "'resist_a' has capacity 200 at row 2 and 250 here: give one value",
        "broken.xlsx, sheet 'Suppliers', row 3, field 'Capacity (per week) (column E)': 'lots' "
        "is not a number",
        "broken.xlsx, sheet 'Suppliers', row 6, field 'Qty per (column D)': quantity must be > "
        "0, got -0.5",
    ]


def test_table_sheets_name_sheet_row_and_column(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "t.xlsx",
        {
            "Sites": [
                ["Site ID", "Part", "Capacity / week", "Demand", "Margin"],
                [None, None, None, None, None],  # an empty row keeps the numbering
                ["fab", "wafer", 10, 5, 3],
                ["sup", "gas", -1, None, None],
            ],
            "bom": [["node", "material", "quantity"], ["fab", "gas", "two"]],
            "sources": [["supplier", "customer"], ["sup", "fab"], ["ghost", "fab"]],
        },
    )
    problems = _problems(path)
    assert (
        "t.xlsx, sheet 'Sites', row 4, field 'Capacity / week (column C)': capacity is negative (-1)"
        in problems
    )
    assert (
        "t.xlsx, sheet 'bom', row 2, field 'quantity (column C)': 'two' is not a number" in problems
    )
    assert any(
        p.startswith("t.xlsx, sheet 'sources', row 3, field 'supplier (column A)'")
        for p in problems
    )


def test_missing_required_column_and_twice_given_header(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "m.xlsx",
        {"nodes": [["id", "material", "Material", "demand"], ["a", "x", "y", 1]]},
    )
    problems = _problems(path)
    assert (
        "m.xlsx, sheet 'nodes', row 1, field 'Material (column C)': the header appears twice "
        "(also in column B)" in problems
    )
    assert any(
        p.startswith("m.xlsx, sheet 'nodes', row 1, field 'capacity': no header names the required")
        for p in problems
    )


def test_two_sheets_for_one_table_and_flat_with_tables(tmp_path: Path) -> None:
    nodes = [["id", "material", "capacity", "demand", "margin"], ["a", "x", 1, 1, 1]]
    path = _book(tmp_path / "two.xlsx", {"nodes": nodes, "Sites": nodes})
    assert _problems(path) == [
        "two.xlsx, sheet 'Sites': read as 'nodes', but another sheet already holds that table: "
        "give one flat sheet or one sheet per table (nodes, bom, sources); name the others in a "
        "mapping file"
    ]
    path = _book(
        tmp_path / "mix.xlsx", {"nodes": nodes, "flat": [FLAT_HEADER, ["a", "b", "x", 1, 1, 1, 1]]}
    )
    assert "already holds the network" in _problems(path)[0]


def test_conflicting_material_of_a_supplier(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "c.xlsx",
        {"S": [FLAT_HEADER, ["a", "p", "m", 1, 10, 3, 7], ["a", "q", "n", 1, 10, 3, 7]]},
    )
    problems = _problems(path)
    assert problems[0] == (
        "c.xlsx, sheet 'S', row 3, field 'material (column C)': site 'a' has material 'm' at "
        "row 2 and 'n' here: give one value"
    )
    # what follows from it (q's line for n has no supplier) is named at the same cell
    assert all(p.startswith("c.xlsx, sheet 'S', row 3, ") for p in problems), problems


def test_meta_sheet_and_materials(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "meta.xlsx",
        {
            "network": [["key", "value"], ["name", "mine"], ["period", "month"], ["name", "again"]],
            "flat": [FLAT_HEADER, ["a", "p", "m", 1, 10, 3, 7]],
        },
    )
    assert _problems(path) == [
        "meta.xlsx, sheet 'network', row 4, field 'key (column A)': key 'name' appears twice"
    ]


# --------------------------------------------------------------------------- mapping files
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sheets: {S: people}", "sheets.S: 'people' is not one of nodes, bom, sources, flat"),
        ("sheets: [S]", "field 'sheets': must map sheet names to tables"),
        ("columns: {S: [a]}", "columns.S: must map headers to columns"),
        ("colums: {}", "unknown key(s) colums"),
        ("- a list", "a mapping file is a mapping"),
        ("sheets: {a: 1, a: 2}", "line 1"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        import_spreadsheet(SHEETS / "flat.xlsx", mapping)
    assert message in str(caught.value)


def test_mapping_entries_checked_against_the_workbook(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "sheets: {Suppliers: flat, Missing: nodes}\n"
        "columns:\n  Suppliers: {Vendor: supplier, Nope: customer, Part: colour}\n",
        encoding="utf-8",
    )
    problems = _problems(SHEETS / "flat.xlsx", mapping)
    assert (
        "map.yaml, sheets.Missing: flat.xlsx has no sheet 'Missing' (its sheets: Suppliers)"
        in problems
    )
    assert any(
        p.startswith(
            "map.yaml, columns.Suppliers, field 'Nope': sheet 'Suppliers' has no header 'Nope'"
        )
        for p in problems
    )
    assert any(
        p.startswith("map.yaml, columns.Suppliers, field 'Part': 'colour' is not a column of flat")
        for p in problems
    )


def test_mapping_can_ignore_a_header(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Suppliers: {Region: null}\n", encoding="utf-8")
    result = import_spreadsheet(SHEETS / "flat.xlsx", mapping)
    assert result.mapping["Suppliers"]["Region"] is None
    assert set(result.network.nodes["cluster"]) == {""}


# --------------------------------------------------------------------------- hostile files
def _bytes_problem(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    problems = _problems(path)
    assert len(problems) == 1, problems
    return problems[0]


def test_not_a_workbook(tmp_path: Path) -> None:
    assert "not a zip archive" in _bytes_problem(tmp_path, "a.xlsx", b"id,material\nx,y\n")
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100
    assert "old binary Excel (.xls)" in _bytes_problem(tmp_path, "b.xlsx", old)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    message = _bytes_problem(tmp_path, "c.xlsx", zipped.getvalue())
    assert message.startswith("c.xlsx: is not a readable .xlsx workbook")
    assert _problems(tmp_path / "none.xlsx") == ["none.xlsx: no such file"]


def test_zip_bomb_refused_before_opening(tmp_path: Path) -> None:
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (4 * 2**20))
    message = _bytes_problem(tmp_path, "bomb.xlsx", zipped.getvalue())
    assert "is compressed" in message and "a zip bomb?" in message


def test_expansion_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ss, "MAX_EXPANDED_BYTES", 1000)
    write_workbook(example_network(), tmp_path / "x.xlsx")
    assert "MiB are read" in _problems(tmp_path / "x.xlsx")[0]


def test_row_column_and_sheet_budgets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ss, "MAX_ROWS", 3)
    rows = [FLAT_HEADER] + [[f"s{i}", "p", "m", 1, 1, 1, 1] for i in range(5)]
    path = _book(tmp_path / "rows.xlsx", {"S": rows})
    assert _problems(path) == ["rows.xlsx, sheet 'S': has more than 3 rows: too large"]
    monkeypatch.setattr(ss, "MAX_COLUMNS", 4)
    path = _book(tmp_path / "wide.xlsx", {"S": [FLAT_HEADER]})
    assert _problems(path) == ["wide.xlsx, sheet 'S', row 1: has more than 4 columns: too wide"]
    monkeypatch.setattr(ss, "MAX_SHEETS", 2)
    path = _book(tmp_path / "many.xlsx", {"a": [["x"]], "b": [["x"]], "c": [["x"]]})
    assert _problems(path) == ["many.xlsx: has more than 2 sheets: too many"]


def test_xml_entity_bomb_is_refused(tmp_path: Path) -> None:
    """A billion-laughs entity in a sheet is refused by defusedxml, not expanded."""
    write_workbook(example_network(), tmp_path / "ok.xlsx")
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    with (
        zipfile.ZipFile(tmp_path / "ok.xlsx") as source,
        zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet4.xml":
                text = data.decode("utf-8")
                assert "fab_a" in text
                text = laughs + text.split("?>", 1)[-1].replace("fab_a", "&lol9;")
                data = text.encode("utf-8")
            target.writestr(item, data)
    problems = _problems(tmp_path / "bomb.xlsx")
    assert len(problems) == 1 and "is not a readable .xlsx workbook" in problems[0], problems
    assert "EntitiesForbidden" in problems[0]


def test_column_letters() -> None:
    assert [column_letter(p) for p in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = _book(
        tmp_path / "titled.xlsx",
        {
            "S": [
                ["Supplier list, Q3"],
                ["as of 2026-09-30"],
                [],
                [*FLAT_HEADER, None, None],
                ["a", "p", "m", 2, 10, 3, 7, None, "beyond the header"],
            ]
        },
    )
    sheets = ss.read_sheets(path, [])
    assert (sheets[0].header_row, sheets[0].headers) == (4, FLAT_HEADER)
    assert sheets[0].rows == [(5, ["a", "p", "m", 2, 10, 3, 7])]
    assert read_spreadsheet(path).n_nodes == 2
    problems = _problems(
        _book(
            tmp_path / "bad.xlsx", {"S": [["title"], FLAT_HEADER, ["a", "p", "m", "x", 10, 3, 7]]}
        )
    )
    assert problems == [
        "bad.xlsx, sheet 'S', row 3, field 'quantity (column D)': 'x' is not a number"
    ]


def test_a_sheet_of_single_cells(tmp_path: Path) -> None:
    path = _book(tmp_path / "one.xlsx", {"S": [["material"], ["x"], ["y"]]})
    (sheet,) = ss.read_sheets(path, [])
    assert (sheet.header_row, sheet.headers, sheet.rows) == (
        1,
        ["material"],
        [(2, ["x"]), (3, ["y"])],
    )


def test_write_network_writes_a_workbook(tmp_path: Path) -> None:
    from chipstress.model.io import detect_write_format, write_network

    tiny = read_network(FIXTURES / "tiny")
    assert detect_write_format(tmp_path / "n.xlsx") == "xlsx"
    assert write_network(tiny, tmp_path / "n.xlsx") == []
    assert read_network(tmp_path / "n.xlsx") == tiny
    with pytest.raises(InvalidInput, match="table format applies to folders only"):
        detect_write_format(tmp_path / "n.xlsx", "csv")
