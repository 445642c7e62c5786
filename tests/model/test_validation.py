"""Every validation error, each from one deliberately broken network.

Each case starts from the tiny network (``tests/fixtures/tiny/``) and breaks one
thing, then asserts the exact list of problems: file, location, field and message.
Rows of the tiny network, for reference:

* ``nodes.csv``: 1 fab, 2 resist_a, 3 resist_b, 4 water, 5 gas
* ``bom.csv``: 1 fab/photoresist, 2 fab/water, 3 resist_a/neon
* ``sources.csv``: 1 resist_a→fab, 2 resist_b→fab, 3 water→fab, 4 gas→resist_a
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from chipstress import InvalidNetwork, Problem, read_network
from chipstress.errors import ChipstressError
from chipstress.model.io.reference_json import from_reference_dict
from chipstress.model.schema import NODE_KINDS

Folder = Callable[..., Path]

NO_DEMAND = (
    "node '{}' ships to nobody and has no demand: an end product needs demand > 0 "
    "(or add a sources row from it)"
)
KINDS = ", ".join(NODE_KINDS)


# --------------------------------------------------------------------------- helpers
def problems_of(source: Path | str) -> list[Problem]:
    """The problems of a network that must not load."""
    with pytest.raises(InvalidNetwork) as caught:
        read_network(source)
    assert caught.value.problems, "an InvalidNetwork must list at least one problem"
    return caught.value.problems


def set_cell(text: str, row: int, column: str, value: str) -> str:
    """CSV text with data row ``row`` (1-based, header excluded) of ``column`` set to ``value``."""
    lines = text.splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


def add_rows(text: str, *rows: str) -> str:
    """CSV text with ``rows`` appended."""
    return text + "".join(f"{row}\n" for row in rows)


def drop_row(text: str, row: int) -> str:
    """CSV text without data row ``row`` (1-based)."""
    lines = text.splitlines()
    del lines[row]
    return "\n".join(lines) + "\n"


def rename_column(text: str, old: str, new: str) -> str:
    """CSV text with header ``old`` renamed to ``new``."""
    lines = text.splitlines()
    lines[0] = ",".join(new if c == old else c for c in lines[0].split(","))
    return "\n".join(lines) + "\n"


def parquet_bytes(frame: pd.DataFrame | pa.Table) -> bytes:
    buffer = io.BytesIO()
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    pq.write_table(table, buffer)
    return buffer.getvalue()


def csv_frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def unknown(node: str) -> str:
    return f"unknown node '{node}' (no such id in the node table)"


# --------------------------------------------------------------------------- the baseline
def test_the_tiny_network_is_valid(tiny_path: Path) -> None:
    assert read_network(tiny_path).n_nodes == 5


# --------------------------------------------------------------------------- links
def test_unknown_node_in_a_bom_row(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(**{"bom.csv": add_rows(tiny_tables["bom.csv"], "ghost,water,1,")})
    assert problems_of(folder) == [Problem("bom.csv", "row 4", "node", unknown("ghost"))]


def test_unknown_node_in_a_source_row(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    sources = add_rows(tiny_tables["sources.csv"], "ghost,fab,", "water,phantom,")
    assert problems_of(network_folder(**{"sources.csv": sources})) == [
        Problem("sources.csv", "row 5", "supplier", unknown("ghost")),
        Problem("sources.csv", "row 6", "customer", unknown("phantom")),
    ]


def test_empty_ids_in_links(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(
        **{
            "bom.csv": add_rows(tiny_tables["bom.csv"], ",water,1,"),
            "sources.csv": add_rows(tiny_tables["sources.csv"], "water,,"),
        }
    )
    assert problems_of(folder) == [
        Problem("bom.csv", "row 4", "node", "node is empty"),
        Problem("sources.csv", "row 5", "customer", "customer is empty"),
    ]


def test_a_material_nobody_can_supply(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    # resist_b now needs neon too, but no sources row lets gas ship to it.
    folder = network_folder(**{"bom.csv": add_rows(tiny_tables["bom.csv"], "resist_b,neon,1,")})
    assert problems_of(folder) == [
        Problem(
            "bom.csv",
            "row 4",
            "material",
            "node 'resist_b' needs 'neon' but no sources row lets a supplier of that material "
            "ship to it",
        )
    ]


def test_a_material_no_node_makes(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(**{"bom.csv": add_rows(tiny_tables["bom.csv"], "fab,argon,1,")})
    assert problems_of(folder) == [
        Problem(
            "bom.csv",
            "row 4",
            "material",
            "node 'fab' needs 'argon' but no sources row lets a supplier of that material "
            "ship to it",
        )
    ]


def test_an_edge_shipping_a_material_the_customer_does_not_need(
    network_folder: Folder, tiny_tables: dict[str, str]
) -> None:
    folder = network_folder(**{"sources.csv": add_rows(tiny_tables["sources.csv"], "gas,fab,")})
    assert problems_of(folder) == [
        Problem(
            "sources.csv",
            "row 5",
            "customer",
            "supplier 'gas' ships 'neon', which customer 'fab' has no BOM line for",
        )
    ]


def test_a_cycle_in_the_supply_graph(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    # gas now needs wafers from fab: fab -> gas -> resist_a -> fab.
    folder = network_folder(
        **{
            "bom.csv": add_rows(tiny_tables["bom.csv"], "gas,wafer-n3,1,"),
            "sources.csv": add_rows(tiny_tables["sources.csv"], "fab,gas,"),
        }
    )
    assert problems_of(folder) == [
        Problem(
            "sources.csv",
            "rows 5, 4 and 1",
            "supplier",
            "cycle in the supply graph: fab -> gas -> resist_a -> fab",
        )
    ]


def test_a_two_node_cycle_in_a_yaml_file(tmp_path: Path, tiny_path: Path) -> None:
    data = yaml.safe_load(_tiny_yaml_text(tiny_path, tmp_path))
    data["bom"] += [
        {"node": "resist_b", "material": "neon", "quantity": 1},
        {"node": "gas", "material": "photoresist", "quantity": 1},
    ]
    data["sources"] += [
        {"supplier": "gas", "customer": "resist_b"},
        {"supplier": "resist_b", "customer": "gas"},
    ]
    path = tmp_path / "cyclic.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert problems_of(path) == [
        Problem(
            "cyclic.yaml",
            "sources[5], sources[4]",
            "supplier",
            "cycle in the supply graph: resist_b -> gas -> resist_b",
        )
    ]


def test_a_self_loop(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(
        **{
            "bom.csv": add_rows(tiny_tables["bom.csv"], "gas,neon,1,"),
            "sources.csv": add_rows(tiny_tables["sources.csv"], "gas,gas,"),
        }
    )
    assert problems_of(folder) == [
        Problem("sources.csv", "row 5", "customer", "node 'gas' cannot supply itself (a cycle)")
    ]


def test_duplicate_bom_lines_and_edges(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(
        **{
            "bom.csv": add_rows(tiny_tables["bom.csv"], "fab,water,3,"),
            "sources.csv": add_rows(tiny_tables["sources.csv"], "water,fab,"),
        }
    )
    assert problems_of(folder) == [
        Problem("bom.csv", "row 4", "material", "duplicate BOM line 'fab' / 'water'"),
        Problem("sources.csv", "row 5", "customer", "duplicate source edge 'water' / 'fab'"),
    ]


# --------------------------------------------------------------------------- numbers
NUMBER_CASES = [
    # (file, row, column, cell, message)
    ("nodes.csv", 2, "capacity", "-200", "capacity is negative (-200)"),
    ("nodes.csv", 2, "capacity", "NaN", "capacity is NaN: give a number of units per period"),
    ("nodes.csv", 2, "capacity", "inf", "capacity is infinite"),
    ("nodes.csv", 2, "capacity", "-Infinity", "capacity is infinite"),
    ("nodes.csv", 2, "capacity", "", "capacity is missing"),
    ("nodes.csv", 3, "inventory", "-30", "inventory is negative (-30)"),
    ("nodes.csv", 3, "inventory", "nan", "inventory is NaN: give a number"),
    ("nodes.csv", 3, "inventory", "Infinity", "inventory is infinite"),
    ("nodes.csv", 1, "demand", "-80", "demand is negative (-80)"),
    ("nodes.csv", 1, "demand", "NaN", "demand is NaN: give a number"),
    ("nodes.csv", 1, "demand", "inf", "demand is infinite"),
    ("nodes.csv", 1, "margin", "-50", "margin is negative (-50)"),
    ("nodes.csv", 1, "margin", "NaN", "margin is NaN: give a number"),
    ("nodes.csv", 1, "margin", "inf", "margin is infinite"),
    ("nodes.csv", 4, "ttr", "-1", "ttr is negative (-1)"),
    ("nodes.csv", 4, "ttr", "inf", "ttr is infinite"),
    ("bom.csv", 2, "quantity", "0", "quantity must be > 0, got 0"),
    ("bom.csv", 2, "quantity", "-1.5", "quantity must be > 0, got -1.5"),
    ("bom.csv", 2, "quantity", "NaN", "quantity is NaN: give a number"),
    ("bom.csv", 2, "quantity", "inf", "quantity is infinite"),
    ("bom.csv", 2, "quantity", "", "quantity is missing"),
]


@pytest.mark.parametrize(
    ("file", "row", "column", "cell", "message"),
    NUMBER_CASES,
    ids=[f"{c[2]}={c[3] or 'empty'}" for c in NUMBER_CASES],
)
def test_bad_numbers(
    network_folder: Folder,
    tiny_tables: dict[str, str],
    file: str,
    row: int,
    column: str,
    cell: str,
    message: str,
) -> None:
    folder = network_folder(**{file: set_cell(tiny_tables[file], row, column, cell)})
    assert problems_of(folder) == [Problem(file, f"row {row}", column, message)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".inf", "capacity is infinite"),
        (".nan", "capacity is NaN: give a number of units per period"),
        ("-3", "capacity is negative (-3)"),
    ],
)
def test_bad_numbers_in_a_yaml_file(
    tmp_path: Path, tiny_path: Path, value: str, message: str
) -> None:
    text = _tiny_yaml_text(tiny_path, tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("  capacity: 200.0\n", f"  capacity: {value}\n"), encoding="utf-8")
    assert problems_of(path) == [Problem("bad.yaml", "nodes[1]", "capacity", message)]


# --------------------------------------------------------------------------- nodes
def test_duplicate_ids(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    nodes = add_rows(
        tiny_tables["nodes.csv"],
        "gas,Gas plant 2,supplier,kumamoto,JP,32.8,130.7,neon,300,0,6,,,,,",
    )
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 6", "id", "duplicate id 'gas' (first at row 5)")
    ]


def test_empty_id_and_material(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    nodes = tiny_tables["nodes.csv"]
    nodes = add_rows(nodes, ",Nameless,supplier,,,,,neon,1,,,,,,,")
    nodes = set_cell(nodes, 3, "material", "")
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 6", "id", "id is empty"),
        Problem(
            "nodes.csv",
            "row 3",
            "material",
            "material is empty: every node supplies exactly one material",
        ),
        Problem(
            "sources.csv",
            "row 2",
            "customer",
            "supplier 'resist_b' ships '', which customer 'fab' has no BOM line for",
        ),
    ]


def test_an_empty_bom_material(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(**{"bom.csv": add_rows(tiny_tables["bom.csv"], "resist_b,,1,")})
    # Reported once: not also as a material "''" that nobody supplies.
    assert problems_of(folder) == [Problem("bom.csv", "row 4", "material", "material is empty")]


def test_unknown_kind(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 4, "kind", "utilty")
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 4", "kind", f"unknown kind 'utilty'; kinds are {KINDS}")
    ]


def test_an_empty_kind_means_supplier(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 4, "kind", "")
    network = read_network(network_folder(**{"nodes.csv": nodes}))
    assert network.nodes["kind"].tolist() == ["fab", "supplier", "supplier", "supplier", "supplier"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("lat", "90.5", "lat 90.5 is out of range [-90, 90]"),
        ("lat", "-91", "lat -91 is out of range [-90, 90]"),
        ("lon", "180.5", "lon 180.5 is out of range [-180, 180]"),
        ("lon", "-200", "lon -200 is out of range [-180, 180]"),
        ("lat", "NaN", "lat is NaN"),
    ],
)
def test_coordinates_out_of_range(
    network_folder: Folder, tiny_tables: dict[str, str], column: str, value: str, message: str
) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 1, column, value)
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 1", column, message)
    ]


def test_coordinates_on_the_bounds_are_valid(
    network_folder: Folder, tiny_tables: dict[str, str]
) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 1, "lat", "-90")
    nodes = set_cell(nodes, 1, "lon", "180")
    nodes = set_cell(nodes, 2, "lat", "90")
    nodes = set_cell(nodes, 2, "lon", "-180")
    network = read_network(network_folder(**{"nodes.csv": nodes}))
    assert network.nodes["lat"].tolist()[:2] == [-90.0, 90.0]


def test_half_a_coordinate(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 1, "lon", "")
    nodes = set_cell(nodes, 2, "lat", "")
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 2", "lat", "lon is given but lat is not"),
        Problem("nodes.csv", "row 1", "lon", "lat is given but lon is not"),
    ]


@pytest.mark.parametrize("demand", ["", "0"])
def test_a_product_without_demand(
    network_folder: Folder, tiny_tables: dict[str, str], demand: str
) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 1, "demand", demand)
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 1", "demand", NO_DEMAND.format("fab"))
    ]


def test_a_supplier_that_ships_to_nobody(
    network_folder: Folder, tiny_tables: dict[str, str]
) -> None:
    nodes = add_rows(tiny_tables["nodes.csv"], "spare,Spare plant,supplier,,,,,neon,10,,,,,,,")
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 6", "demand", NO_DEMAND.format("spare"))
    ]


def test_demand_without_margin(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 1, "margin", "")
    assert problems_of(network_folder(**{"nodes.csv": nodes})) == [
        Problem("nodes.csv", "row 1", "margin", "demand is set but margin is missing")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "tier must be a whole number >= 1, got 0"),
        ("1.5", "tier must be a whole number >= 1, got 1.5"),
        ("two", "'two' is not a whole number"),
    ],
)
def test_bad_tier(
    network_folder: Folder, tiny_tables: dict[str, str], value: str, message: str
) -> None:
    lines = tiny_tables["nodes.csv"].splitlines()
    lines = [lines[0] + ",tier", lines[1] + f",{value}", *(line + "," for line in lines[2:])]
    folder = network_folder(**{"nodes.csv": "\n".join(lines) + "\n"})
    assert problems_of(folder) == [Problem("nodes.csv", "row 1", "tier", message)]


def test_given_tiers_are_kept(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    lines = tiny_tables["nodes.csv"].splitlines()
    tiers = ["1", "2", "", "2", "5"]
    lines = [lines[0] + ",tier", *(f"{line},{t}" for line, t in zip(lines[1:], tiers, strict=True))]
    network = read_network(network_folder(**{"nodes.csv": "\n".join(lines) + "\n"}))
    assert network.nodes["tier"].tolist() == [1, 2, 2, 2, 5]


# --------------------------------------------------------------------------- column types
def test_text_in_a_number_column_csv(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    nodes = set_cell(tiny_tables["nodes.csv"], 2, "capacity", "lots")
    nodes = set_cell(nodes, 1, "margin", "high")
    nodes = set_cell(nodes, 1, "demand", "many")
    nodes = set_cell(nodes, 3, "lat", "north")
    bom = set_cell(tiny_tables["bom.csv"], 3, "quantity", "half")
    folder = network_folder(**{"nodes.csv": nodes, "bom.csv": bom})
    # One problem per bad cell: no "missing" or "no demand" echoes of the same cell.
    assert problems_of(folder) == [
        Problem("nodes.csv", "row 3", "lat", "'north' is not a number"),
        Problem("nodes.csv", "row 2", "capacity", "'lots' is not a number"),
        Problem("nodes.csv", "row 1", "demand", "'many' is not a number"),
        Problem("nodes.csv", "row 1", "margin", "'high' is not a number"),
        Problem("bom.csv", "row 3", "quantity", "'half' is not a number"),
    ]


def test_text_in_a_number_column_parquet(
    network_folder: Folder, tiny_tables: dict[str, str]
) -> None:
    nodes = csv_frame(tiny_tables["nodes.csv"])
    frame = nodes.assign(capacity=["100", "lots", "150", "5000", "400"])
    folder = network_folder(**{"nodes.csv": None, "nodes.parquet": parquet_bytes(frame)})
    assert problems_of(folder) == [
        Problem("nodes.parquet", "row 2", "capacity", "'lots' is not a number")
    ]


def test_booleans_in_a_number_column_parquet(
    network_folder: Folder, tiny_tables: dict[str, str]
) -> None:
    frame = csv_frame(tiny_tables["bom.csv"]).assign(quantity=[True, False, True])
    folder = network_folder(**{"bom.csv": None, "bom.parquet": parquet_bytes(frame)})
    assert problems_of(folder) == [
        Problem("bom.parquet", f"row {row}", "quantity", f"{value} is not a number")
        for row, value in ((1, True), (2, False), (3, True))
    ]


def test_a_list_in_a_text_column_parquet(
    network_folder: Folder, tiny_tables: dict[str, str]
) -> None:
    frame = csv_frame(tiny_tables["sources.csv"])
    table = pa.table(
        {
            "supplier": pa.array([[s] for s in frame["supplier"]]),
            "customer": pa.array(frame["customer"].tolist()),
        }
    )
    folder = network_folder(**{"sources.csv": None, "sources.parquet": parquet_bytes(table)})
    found = problems_of(folder)
    assert found[:4] == [
        Problem("sources.parquet", f"row {row}", "supplier", f"['{s}'] is not text")
        for row, s in enumerate(frame["supplier"], start=1)
    ]
    # No "supplier is empty" echo of the same cells.
    assert not [p for p in found if p.message == "supplier is empty"]


def test_a_parquet_folder_with_typed_numbers_loads(
    network_folder: Folder, tiny_tables: dict[str, str], tiny_path: Path
) -> None:
    frame = csv_frame(tiny_tables["nodes.csv"])
    for column in ("capacity", "inventory", "ttr", "demand", "margin", "lat", "lon"):
        frame[column] = pd.to_numeric(frame[column])
    frame["capacity"] = frame["capacity"].astype("int64")
    folder = network_folder(**{"nodes.csv": None, "nodes.parquet": parquet_bytes(frame)})
    assert read_network(folder).differences(read_network(tiny_path)) == []


def test_wrong_types_in_a_yaml_file(tmp_path: Path, tiny_path: Path) -> None:
    text = _tiny_yaml_text(tiny_path, tmp_path)
    text = text.replace("  capacity: 200.0\n", "  capacity: [200]\n")
    text = text.replace("  capacity: 150.0\n", "  capacity: true\n")
    text = text.replace("- id: water\n", "- id: {water: 1}\n")
    path = tmp_path / "types.yaml"
    path.write_text(text, encoding="utf-8")
    found = problems_of(path)
    assert found[:3] == [
        Problem("types.yaml", "nodes[3]", "id", "{'water': 1} is not text"),
        Problem("types.yaml", "nodes[1]", "capacity", "[200] is not a number"),
        Problem("types.yaml", "nodes[2]", "capacity", "True is not a number"),
    ]
    # What follows is about the node that lost its id, not echoes of the bad cells.
    assert found[3:] == [
        Problem("types.yaml", "sources[2]", "supplier", unknown("water")),
        Problem(
            "types.yaml",
            "bom[1]",
            "material",
            "node 'fab' needs 'water' but no sources row lets a supplier of that material "
            "ship to it",
        ),
    ]


# --------------------------------------------------------------------------- columns and files
def test_missing_columns(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(
        **{
            "nodes.csv": rename_column(tiny_tables["nodes.csv"], "capacity", "cap"),
            "bom.csv": rename_column(tiny_tables["bom.csv"], "quantity", "qty"),
            "sources.csv": rename_column(tiny_tables["sources.csv"], "customer", "buyer"),
        }
    )
    assert problems_of(folder) == [
        Problem(
            "nodes.csv",
            "",
            "capacity",
            "required column 'capacity' is missing (columns: id, name, kind, cluster, country, "
            "lat, lon, material, cap, inventory, ttr, demand, margin, name_zh, name_ja, source)",
        ),
        Problem(
            "bom.csv",
            "",
            "quantity",
            "required column 'quantity' is missing (columns: node, material, qty, source)",
        ),
        Problem(
            "sources.csv",
            "",
            "customer",
            "required column 'customer' is missing (columns: supplier, buyer, source)",
        ),
    ]


def test_a_column_named_twice(network_folder: Folder) -> None:
    folder = network_folder(**{"bom.csv": "node,material,quantity,quantity\nfab,water,1,2\n"})
    assert problems_of(folder) == [
        Problem("bom.csv", "row 0 (header)", "quantity", "column appears twice")
    ]


def test_a_ragged_csv(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(**{"bom.csv": add_rows(tiny_tables["bom.csv"], "fab,x,1,a,b,c")})
    assert problems_of(folder) == [
        Problem(
            "bom.csv",
            "",
            "",
            "is not a valid CSV table: Error tokenizing data. C error: Expected 4 fields in "
            "line 5, saw 6",
        )
    ]


@pytest.mark.parametrize("content", ["", "  \n\n", b""])
def test_an_empty_table_file(network_folder: Folder, content: str | bytes) -> None:
    assert problems_of(network_folder(**{"bom.csv": content})) == [
        Problem("bom.csv", "", "", "file is empty")
    ]


def test_an_empty_parquet_file_and_metadata(network_folder: Folder) -> None:
    folder = network_folder(**{"network.yaml": "", "nodes.csv": None, "nodes.parquet": b""})
    assert problems_of(folder) == [
        Problem("network.yaml", "", "", "file is empty"),
        Problem("nodes.parquet", "", "", "file is empty"),
    ]


def test_a_node_table_without_rows(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    header = tiny_tables["nodes.csv"].splitlines()[0] + "\n"
    assert problems_of(network_folder(**{"nodes.csv": header})) == [
        Problem("nodes.csv", "", "", "has no rows: a network needs at least one node")
    ]


def test_a_missing_table_file(network_folder: Folder) -> None:
    folder = network_folder(**{"sources.csv": None})
    assert problems_of(folder) == [
        Problem(
            "sources.csv",
            "",
            "",
            f"not found in {folder}: a network folder needs sources.csv or sources.parquet",
        )
    ]


def test_a_table_in_both_formats(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    frame = csv_frame(tiny_tables["bom.csv"])
    folder = network_folder(**{"bom.parquet": parquet_bytes(frame)})
    assert problems_of(folder) == [
        Problem("bom.*", "", "", "both bom.csv and bom.parquet exist: keep one")
    ]


def test_problems_in_several_files_are_all_reported(network_folder: Folder) -> None:
    folder = network_folder(
        **{"bom.csv": "", "sources.csv": None, "sources.parquet": b"supplier,customer\n"}
    )
    assert problems_of(folder) == [
        Problem("bom.csv", "", "", "file is empty"),
        Problem(
            "sources.parquet",
            "",
            "",
            "is not a Parquet file as its extension says: it looks like text (CSV?)",
        ),
    ]


# --------------------------------------------------------------------------- not what the extension says
def test_csv_bytes_in_a_parquet_file(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    folder = network_folder(
        **{"nodes.csv": None, "nodes.parquet": tiny_tables["nodes.csv"].encode()}
    )
    assert problems_of(folder) == [
        Problem(
            "nodes.parquet",
            "",
            "",
            "is not a Parquet file as its extension says: it looks like text (CSV?)",
        )
    ]


def test_parquet_bytes_in_a_csv_file(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    data = parquet_bytes(csv_frame(tiny_tables["nodes.csv"]))
    assert problems_of(network_folder(**{"nodes.csv": data})) == [
        Problem("nodes.csv", "", "", "is a Parquet file, not CSV as its extension says")
    ]


def test_other_binary_bytes_in_a_csv_file(network_folder: Folder) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"
    assert problems_of(network_folder(**{"bom.csv": png})) == [
        Problem("bom.csv", "", "", "is a binary file, not CSV as its extension says")
    ]


def test_a_csv_file_that_is_not_utf8(network_folder: Folder, tiny_tables: dict[str, str]) -> None:
    data = tiny_tables["bom.csv"].replace("estimate", "estimé").encode("latin-1")
    assert problems_of(network_folder(**{"bom.csv": data})) == [
        Problem("bom.csv", "", "", "is not UTF-8 text (CSV expected): byte 53 is invalid")
    ]


def test_a_corrupt_parquet_file(network_folder: Folder) -> None:
    folder = network_folder(**{"nodes.csv": None, "nodes.parquet": b"PAR1" + b"\x01" * 40})
    (problem,) = problems_of(folder)
    assert (problem.file, problem.location, problem.field) == ("nodes.parquet", "", "")
    assert problem.message.startswith("is not a readable Parquet file: ")


def test_broken_network_yaml(network_folder: Folder) -> None:
    folder = network_folder(**{"network.yaml": "name: [oops\nperiod: week\n"})
    assert problems_of(folder) == [
        Problem(
            "network.yaml",
            "line 2, column 7",
            "",
            "is not valid YAML: did not find expected ',' or ']'",
        )
    ]


def test_broken_yaml_file(fixtures_dir: Path) -> None:
    assert problems_of(fixtures_dir / "broken" / "broken.yaml") == [
        Problem(
            "broken.yaml",
            "line 6, column 5",
            "",
            "is not valid YAML: did not find expected ',' or '}'",
        )
    ]


def test_broken_json_file(fixtures_dir: Path) -> None:
    assert problems_of(fixtures_dir / "broken" / "broken.json") == [
        Problem(
            "broken.json",
            "line 3, column 3",
            "",
            "is not valid JSON: Expecting property name enclosed in double quotes",
        )
    ]


@pytest.mark.parametrize(("suffix", "kind"), [(".yaml", "YAML"), (".json", "JSON")])
def test_parquet_bytes_in_a_document(
    tmp_path: Path, tiny_tables: dict[str, str], suffix: str, kind: str
) -> None:
    path = tmp_path / f"net{suffix}"
    path.write_bytes(parquet_bytes(csv_frame(tiny_tables["nodes.csv"])))
    assert problems_of(path) == [
        Problem(path.name, "", "", f"is a Parquet file, not {kind} as its extension says")
    ]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_an_empty_document(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"net{suffix}"
    path.write_text("\n", encoding="utf-8")
    assert problems_of(path) == [Problem(path.name, "", "", "file is empty")]


# --------------------------------------------------------------------------- metadata and YAML shape
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", Problem("network.yaml", "", "", "must be a mapping of name, period, ...")),
        ("name: {a: 1}\n", Problem("network.yaml", "", "name", "name must be text, got {'a': 1}")),
        (
            "name: x\nmaterials: [water]\n",
            Problem(
                "network.yaml",
                "",
                "materials",
                "materials must be a mapping of material -> {unit, description}",
            ),
        ),
        (
            "name: x\nmaterials:\n  water: litre\n",
            Problem(
                "network.yaml",
                "materials.water",
                "",
                "must be a mapping with 'unit' and 'description'",
            ),
        ),
    ],
)
def test_bad_metadata(network_folder: Folder, text: str, expected: Problem) -> None:
    assert problems_of(network_folder(**{"network.yaml": text})) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\n",
            Problem(
                "shape.yaml", "", "nodes", "a single-file network needs a top-level 'nodes' list"
            ),
        ),
        (
            "just text\n",
            Problem(
                "shape.yaml", "", "nodes", "a single-file network needs a top-level 'nodes' list"
            ),
        ),
        ("nodes: 5\n", Problem("shape.yaml", "", "nodes", "'nodes' must be a list of mappings")),
        (
            "nodes: [5]\n",
            Problem("shape.yaml", "nodes[0]", "", "must be a mapping of column: value"),
        ),
    ],
)
def test_bad_yaml_shape(tmp_path: Path, text: str, expected: Problem) -> None:
    path = tmp_path / "shape.yaml"
    path.write_text(text, encoding="utf-8")
    assert problems_of(path) == [expected]


def test_yaml_locations_are_list_positions(tmp_path: Path, tiny_path: Path) -> None:
    text = _tiny_yaml_text(tiny_path, tmp_path)
    text = text.replace("  quantity: 10.0\n", "  quantity: 0\n")
    text = text.replace(
        "- supplier: gas\n  customer: resist_a\n", "- supplier: gas\n  customer: ghost\n"
    )
    path = tmp_path / "located.yaml"
    path.write_text(text, encoding="utf-8")
    assert problems_of(path) == [
        Problem("located.yaml", "bom[1]", "quantity", "quantity must be > 0, got 0"),
        Problem("located.yaml", "sources[3]", "customer", unknown("ghost")),
        Problem(
            "located.yaml",
            "bom[2]",
            "material",
            "node 'resist_a' needs 'neon' but no sources row lets a supplier of that material "
            "ship to it",
        ),
        Problem("located.yaml", "nodes[4]", "demand", NO_DEMAND.format("gas")),
    ]


# --------------------------------------------------------------------------- many errors at once
def test_every_planted_error_is_listed(many_errors_path: Path) -> None:
    kinds = KINDS
    assert problems_of(many_errors_path) == [
        Problem("nodes.csv", "row 4", "inventory", "'lots' is not a number"),
        Problem("nodes.csv", "row 6", "id", "duplicate id 'gas' (first at row 5)"),
        Problem("nodes.csv", "row 3", "kind", f"unknown kind 'suplier'; kinds are {kinds}"),
        Problem("nodes.csv", "row 2", "capacity", "capacity is negative (-200)"),
        Problem("nodes.csv", "row 3", "lat", "lat 95 is out of range [-90, 90]"),
        Problem("nodes.csv", "row 1", "margin", "demand is set but margin is missing"),
        Problem("bom.csv", "row 4", "node", unknown("ghost")),
        Problem("bom.csv", "row 2", "quantity", "quantity must be > 0, got 0"),
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


def test_the_error_message_lists_every_problem(many_errors_path: Path) -> None:
    with pytest.raises(InvalidNetwork) as caught:
        read_network(many_errors_path)
    error = caught.value
    assert isinstance(error, ChipstressError)
    assert error.source == str(many_errors_path)
    lines = str(error).splitlines()
    assert lines[0] == f"{many_errors_path}: 10 problems in network"
    assert lines[1] == "  - nodes.csv, row 4, field 'inventory': 'lots' is not a number"
    assert lines[1:] == [f"  - {p}" for p in error.problems]


def test_many_rows_with_one_problem_are_summarised(
    network_folder: Folder, tiny_tables: dict[str, str]
) -> None:
    rows = [f"ghost{i},water,1," for i in range(30)]
    found = problems_of(network_folder(**{"bom.csv": add_rows(tiny_tables["bom.csv"], *rows)}))
    assert found == [
        *(Problem("bom.csv", f"row {i + 4}", "node", unknown(f"ghost{i}")) for i in range(25)),
        Problem("bom.csv", "", "node", f"... and 5 more rows like: {unknown('ghost25')}"),
    ]


def test_problem_strings() -> None:
    assert str(Problem("nodes.csv", "row 2", "capacity", "bad")) == (
        "nodes.csv, row 2, field 'capacity': bad"
    )
    assert str(Problem("bom.csv", "", "", "file is empty")) == "bom.csv: file is empty"
    assert str(Problem("", "", "x", "m")) == "field 'x': m"
    assert str(Problem("", "", "", "m")) == "m"
    assert str(InvalidNetwork([Problem("a", "", "", "b")])) == "1 problem in network\n  - a: b"


# --------------------------------------------------------------------------- reference JSON
def _reference(small_json: Path) -> dict:
    return json.loads(small_json.read_text())


def reference_problems(data: object) -> list[Problem]:
    with pytest.raises(InvalidNetwork) as caught:
        from_reference_dict(data, "small.json")
    return caught.value.problems


@pytest.mark.parametrize("key", ["tier1", "c", "d", "f"])
def test_reference_json_missing_keys(small_json: Path, key: str) -> None:
    data = _reference(small_json)
    del data[key]
    # The structure alone: no avalanche of "unknown node" or "missing capacity".
    assert reference_problems(data) == [
        Problem("small.json", "", key, f"required key '{key}' is missing")
    ]


def test_reference_json_needs_edges_or_p(small_json: Path) -> None:
    data = _reference(small_json)
    del data["edges"], data["P"]
    assert reference_problems(data) == [
        Problem("small.json", "", "edges", "needs 'edges' or 'P' to say who supplies whom")
    ]


def test_reference_json_edges_alone_or_p_alone_suffice(small_json: Path, small) -> None:
    data = _reference(small_json)
    only_edges = {k: v for k, v in data.items() if k != "P"}
    assert from_reference_dict(only_edges, "small.json", name="small") == small
    only_p = {k: v for k, v in data.items() if k != "edges"}
    from_p = from_reference_dict(only_p, "small.json", name="small")
    assert sorted(from_p.sources[["supplier", "customer"]].values.tolist()) == sorted(data["edges"])


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("tier1", "T1_1", "'tier1' must be a list of node ids"),
        ("tier2", [1, 2], "'tier2' must be a list of node ids"),
        ("c", [1, 2], "'c' must be an object"),
        ("P", "T2_1", "'P' must be an object"),
        ("edges", [["T2_1"]], "'edges' must be a list of [supplier, customer] pairs"),
        ("edges", {"T2_1": "T1_1"}, "'edges' must be a list of [supplier, customer] pairs"),
    ],
)
def test_reference_json_malformed_keys(
    small_json: Path, key: str, value: object, message: str
) -> None:
    data = _reference(small_json)
    data[key] = value
    assert reference_problems(data) == [Problem("small.json", "", key, message)]


def test_reference_json_not_an_object() -> None:
    assert reference_problems([1, 2]) == [
        Problem("small.json", "", "", "must be a JSON object with tier1, tier2, ...")
    ]


def test_reference_json_p_lists_a_pair_edges_lacks(small_json: Path) -> None:
    data = _reference(small_json)
    data["P"]["T1_2"]["aaa"].append("T2_2")
    assert reference_problems(data) == [
        Problem(
            "small.json",
            "P['T1_2']['aaa']",
            "P",
            "lists supplier 'T2_2', but edges has no ['T2_2', 'T1_2'] pair",
        )
    ]


def test_reference_json_edges_has_a_pair_p_lacks(small_json: Path) -> None:
    data = _reference(small_json)
    data["P"]["T1_2"]["aaa"].remove("T2_1")
    row = data["edges"].index(["T2_1", "T1_2"])
    assert reference_problems(data) == [
        Problem("small.json", f"edges[{row}]", "edges", "pair ['T2_1', 'T1_2'] is not in P['T1_2']")
    ]


def test_reference_json_p_lists_a_supplier_of_another_material(small_json: Path) -> None:
    data = _reference(small_json)
    data["P"]["T1_2"]["aab"].append("T2_1")  # T2_1 supplies aaa
    assert reference_problems(data) == [
        Problem(
            "small.json", "P['T1_2']['aab']", "P", "lists 'T2_1', which supplies 'aaa', not 'aab'"
        )
    ]


def test_reference_json_p_entry_not_a_list(small_json: Path) -> None:
    data = _reference(small_json)
    data["P"]["T1_2"]["aab"] = "T2_6"
    found = reference_problems(data)
    assert found[0] == Problem(
        "small.json", "P['T1_2']['aab']", "P", "must be a list of supplier ids"
    )


@pytest.mark.parametrize(("key", "column"), [("d", "demand"), ("f", "margin")])
def test_reference_json_demand_or_margin_on_a_supplier(
    small_json: Path, key: str, column: str
) -> None:
    data = _reference(small_json)
    data[key]["T2_1"] = 5
    assert reference_problems(data) == [
        Problem(
            "small.json",
            f"{key}['T2_1']",
            key,
            f"{column} is given for 'T2_1', which is not a tier1 product",
        )
    ]


def test_reference_json_unknown_nodes(small_json: Path) -> None:
    data = _reference(small_json)
    data["c"]["X9"] = 5
    data["r"]["X9"] = {"aaa": 1}
    assert reference_problems(data) == [
        Problem("small.json", "c['X9']", "c", "unknown node 'X9' (not in tier1, tier2 or tier3)"),
        Problem("small.json", "r['X9']", "r", "unknown node 'X9' (not in tier1, tier2 or tier3)"),
        Problem("small.json", "r['X9']['aaa']", "r", unknown("X9")),
    ]


def test_reference_json_material_for_a_product(small_json: Path) -> None:
    data = _reference(small_json)
    data["supplier_material_type"]["T1_1"] = "aaa"
    assert reference_problems(data) == [
        Problem(
            "small.json",
            "supplier_material_type['T1_1']",
            "supplier_material_type",
            "a tier1 product node has no supplier material",
        )
    ]


@pytest.mark.parametrize(
    ("key", "value", "location", "field", "message"),
    [
        ("c", -5, "c['T2_1']", "c", "capacity is negative (-5)"),
        ("c", "five", "c['T2_1']", "c", "'five' is not a number"),
        ("c", None, "c['T2_1']", "c", "capacity is missing"),
        ("s", float("nan"), "s['T2_1']", "s", "inventory is NaN: give a number"),
        ("s", -1, "s['T2_1']", "s", "inventory is negative (-1)"),
    ],
)
def test_reference_json_bad_numbers(
    small_json: Path, key: str, value: object, location: str, field: str, message: str
) -> None:
    data = _reference(small_json)
    data[key]["T2_1"] = value
    assert reference_problems(data) == [Problem("small.json", location, field, message)]


def test_reference_json_bom_problems(small_json: Path) -> None:
    data = _reference(small_json)
    data["r"]["T2_1"]["aae"] = 0
    data["r"]["T2_2"] = [1]
    found = reference_problems(data)
    assert found[0] == Problem("small.json", "r['T2_2']", "r", "must map material -> quantity")
    assert Problem("small.json", "r['T2_1']['aae']", "r", "quantity must be > 0, got 0") in found


def test_reference_json_duplicate_ids(small_json: Path) -> None:
    data = _reference(small_json)
    data["tier3"].append("T2_1")
    assert reference_problems(data) == [
        Problem("small.json", "tier3[20]", "tier3", "duplicate id 'T2_1' (first at tier2[0])")
    ]


def test_reference_json_several_errors_at_once(small_json: Path) -> None:
    data = _reference(small_json)
    data["d"]["T2_1"] = 5
    data["c"]["T3_4"] = -1
    data["P"]["T1_2"]["aaa"].append("T2_2")
    assert reference_problems(data) == [
        Problem(
            "small.json",
            "d['T2_1']",
            "d",
            "demand is given for 'T2_1', which is not a tier1 product",
        ),
        Problem(
            "small.json",
            "P['T1_2']['aaa']",
            "P",
            "lists supplier 'T2_2', but edges has no ['T2_2', 'T1_2'] pair",
        ),
        Problem("small.json", "c['T3_4']", "c", "capacity is negative (-1)"),
    ]


def test_reference_json_file_errors_name_the_file(tmp_path: Path, small_json: Path) -> None:
    data = _reference(small_json)
    data["c"]["T2_1"] = -5
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidNetwork) as caught:
        read_network(path)
    assert caught.value.source == str(path)
    assert caught.value.problems == [
        Problem("mine.json", "c['T2_1']", "c", "capacity is negative (-5)")
    ]


# --------------------------------------------------------------------------- helpers for YAML cases
def _tiny_yaml_text(tiny_path: Path, tmp_path: Path) -> str:
    """The tiny network in the single-file YAML form, as written by chipstress."""
    from chipstress import write_network

    target = tmp_path / "tiny-source.yaml"
    if not target.exists():
        write_network(read_network(tiny_path), target)
    return target.read_text(encoding="utf-8")


def test_yaml_helper_round_trips(tmp_path: Path, tiny_path: Path) -> None:
    path = tmp_path / "copy.yaml"
    path.write_text(_tiny_yaml_text(tiny_path, tmp_path), encoding="utf-8")
    assert "  capacity: 200.0\n" in path.read_text()
    assert read_network(path).with_meta(name="tiny") == read_network(tiny_path)


def test_fixture_folders_are_untouched(tiny_path: Path) -> None:
    # Every broken case works on a copy in tmp_path, never on the fixture itself.
    assert sorted(p.name for p in tiny_path.iterdir()) == [
        "bom.csv",
        "network.yaml",
        "nodes.csv",
        "sources.csv",
    ]
