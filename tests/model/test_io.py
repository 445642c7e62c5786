"""Loaders and writers: every format, round trips, GraphML/networkx, atomic writes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
import yaml

from chipstress import (
    InvalidInput,
    InvalidNetwork,
    Network,
    NetworkMeta,
    read_network,
    to_networkx,
    write_network,
)
from chipstress.model.io import detect_write_format
from chipstress.model.io.reference_json import to_reference_dict
from chipstress.model.schema import table_schema

FORMATS = {
    # format -> (file or folder name, table_format)
    "csv": ("net", None),
    "parquet": ("net", "parquet"),
    "yaml": ("net.yaml", None),
    "yml": ("net.yml", None),
    "json": ("net.json", None),
}


def write_and_read(network: Network, folder: Path, fmt: str, stem: str) -> Network:
    """Write ``network`` in ``fmt`` under ``folder`` (named after ``stem``) and read it back."""
    name, table_format = FORMATS[fmt]
    target = folder / name.replace("net", stem)
    assert write_network(network, target, table_format) == []
    return read_network(target)


# --------------------------------------------------------------------------- reading
def test_read_reference_json(small: Network) -> None:
    assert small.name == "small"
    assert small.meta == NetworkMeta(
        name="small",
        period="period",
        currency="",
        description="Imported from the reference JSON format.",
    )
    nodes = small.nodes.set_index("id")
    assert nodes.at["T1_1", "kind"] == "product"
    assert nodes.at["T1_1", "material"] == "T1_1"  # products are their own material
    assert nodes.at["T1_1", "demand"] == 801.0 and nodes.at["T1_1", "margin"] == 0.22
    assert nodes.at["T1_1", "capacity"] == 2230.0 and nodes.at["T1_1", "inventory"] == 1630.0
    assert nodes.at["T2_1", "kind"] == "supplier" and nodes.at["T2_1", "material"] == "aaa"
    assert math.isnan(nodes.at["T2_1", "demand"])
    assert nodes["tier"].value_counts().sort_index().tolist() == [5, 10, 20]
    assert small.bom[["node", "material", "quantity"]].values.tolist()[:2] == [
        ["T1_1", "aaa", 1.0],
        ["T1_1", "aab", 1.0],
    ]
    assert small.sources[["supplier", "customer"]].values.tolist()[0] == ["T2_2", "T1_1"]


def test_read_reference_json_matches_the_file(large: Network, large_json: Path) -> None:
    data = json.loads(large_json.read_text())
    assert large.nodes["id"].tolist() == data["tier1"] + data["tier2"] + data["tier3"]
    nodes = large.nodes.set_index("id")
    assert nodes["capacity"].to_dict() == {k: float(v) for k, v in data["c"].items()}
    assert nodes.loc[data["tier1"], "demand"].to_dict() == {
        k: float(v) for k, v in data["d"].items()
    }
    assert large.sources[["supplier", "customer"]].values.tolist() == data["edges"]
    assert len(large.bom) == sum(len(v) for v in data["r"].values())


def test_read_folder_yaml_file_and_network_yaml(tiny: Network, tiny_path: Path) -> None:
    assert read_network(str(tiny_path)) == tiny
    assert read_network(tiny_path / "network.yaml") == tiny
    assert tiny.meta.materials["wafer-n3"] == {
        "unit": "wafer",
        "description": "3 nm-class 300 mm wafer",
    }


def test_a_folder_without_network_yaml_is_named_after_itself(
    tiny_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "plain-tables"
    folder.mkdir()
    for table in ("nodes", "bom", "sources"):
        (folder / f"{table}.csv").write_bytes((tiny_path / f"{table}.csv").read_bytes())
    network = read_network(folder)
    assert network.meta == NetworkMeta(name="plain-tables")


def test_a_hand_written_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "hand.yaml"
    path.write_text(
        """\
period: month
nodes:
  - {id: chip, kind: fab, material: chip, capacity: 10, demand: 8, margin: 2}
  - {id: grid, kind: utility, material: power, capacity: 1e3}
bom:
  - {node: chip, material: power, quantity: 12}
sources:
  - {supplier: grid, customer: chip}
""",
        encoding="utf-8",
    )
    network = read_network(path)
    assert network.meta == NetworkMeta(name="hand", period="month")
    assert network.nodes["capacity"].tolist() == [10.0, 1000.0]
    assert network.nodes["kind"].tolist() == ["fab", "utility"]
    assert network.nodes["tier"].tolist() == [1, 2]
    assert network.summary() == (
        "hand: 2 nodes, 1 products, 2 materials, 1 BOM lines, 1 source edges (period: month)"
    )


@pytest.mark.parametrize("name", ["nodes.csv", "notes.txt", "graph.graphml"])
def test_read_rejects_files_of_unknown_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("id\n", encoding="utf-8")
    suffix = Path(name).suffix
    with pytest.raises(InvalidInput) as caught:
        read_network(path)
    assert str(caught.value) == (
        f"{path}: cannot tell the format from the extension '{suffix}'; give a network folder, "
        "a .yaml/.yml file, a reference .json file, an .xlsx workbook or a built-in name"
    )


def test_read_rejects_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(InvalidInput) as caught:
        read_network(missing)
    assert str(caught.value) == (
        f"{missing}: no such file or folder, and not a built-in network (tri-cluster)"
    )
    with pytest.raises(InvalidInput, match="not a built-in network"):
        read_network("tri-clusters")


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("fmt", ["csv", "parquet", "yaml", "yml", "json"])
@pytest.mark.parametrize("which", ["small", "large"])
def test_reference_fixtures_round_trip(
    request: pytest.FixtureRequest, tmp_path: Path, which: str, fmt: str
) -> None:
    original: Network = request.getfixturevalue(which)
    again = write_and_read(original, tmp_path, fmt, which)
    assert again.differences(original) == []
    assert again == original


@pytest.mark.parametrize("fmt", ["csv", "parquet", "yaml"])
def test_tiny_round_trips_losslessly(tiny: Network, tmp_path: Path, fmt: str) -> None:
    again = write_and_read(tiny, tmp_path, fmt, "tiny")
    assert again.differences(tiny) == []
    assert again.nodes.set_index("id").at["fab", "name_zh"] == "晶圓十八廠"


@pytest.mark.parametrize("fmt", ["csv", "parquet", "yaml"])
def test_extra_columns_and_metadata_survive(tiny: Network, tmp_path: Path, fmt: str) -> None:
    nodes = tiny.nodes.assign(operator=["TSMC", "", "Acme, Inc.", "Taiwan Water", "001"])
    bom = tiny.bom.assign(
        note=[
            "per wafer",
            "",
            "",
        ]
    )
    meta = tiny.with_meta(extra={"license": "CC-BY-4.0", "version": 3}).meta
    network = Network(nodes, bom, tiny.sources, meta)
    again = write_and_read(network, tmp_path, fmt, "extra")
    assert again.differences(network) == []
    assert again.nodes["operator"].tolist() == ["TSMC", "", "Acme, Inc.", "Taiwan Water", "001"]
    assert again.meta.extra == {"license": "CC-BY-4.0", "version": 3}


def test_reference_json_written_back_equals_the_original(
    tmp_path: Path, small: Network, large: Network, small_json: Path, large_json: Path
) -> None:
    for network, original in ((small, small_json), (large, large_json)):
        target = tmp_path / original.name
        assert write_network(network, target) == []
        written, expected = json.loads(target.read_text()), json.loads(original.read_text())
        assert list(written) == list(expected)
        for key in expected:
            assert written[key] == expected[key], key


def test_convert_chain_large_json_native_parquet_json(
    tmp_path: Path, large: Network, large_json: Path
) -> None:
    native = tmp_path / "large-native"
    write_network(large, native)
    from_native = read_network(native)
    parquet = tmp_path / "large-parquet"
    write_network(from_native, parquet, "parquet")
    from_parquet = read_network(parquet)
    back = tmp_path / "large.json"
    write_network(from_parquet, back)
    assert sorted(p.name for p in native.iterdir()) == [
        "bom.csv",
        "network.yaml",
        "nodes.csv",
        "sources.csv",
    ]
    assert sorted(p.name for p in parquet.iterdir()) == [
        "bom.parquet",
        "network.yaml",
        "nodes.parquet",
        "sources.parquet",
    ]
    assert read_network(back) == large
    assert json.loads(back.read_text()) == json.loads(large_json.read_text())


def test_reference_json_reports_what_it_drops(tiny: Network, tmp_path: Path) -> None:
    target = tmp_path / "tiny.json"
    dropped = write_network(tiny, target)
    assert dropped == [
        "name",
        "kind",
        "cluster",
        "country",
        "lat",
        "lon",
        "material",
        "ttr",
        "name_zh",
        "name_ja",
        "source",
        "bom.source",
        "sources.source",
    ]
    again = read_network(target)
    # What the format carries comes back unchanged.
    for column in ("id", "capacity", "inventory", "demand", "margin", "tier"):
        assert again.nodes[column].equals(tiny.nodes[column]), column
    assert again.bom[["node", "material", "quantity"]].equals(
        tiny.bom[["node", "material", "quantity"]]
    )
    assert again.sources[["supplier", "customer"]].equals(tiny.sources[["supplier", "customer"]])
    # What it does not is reported above: fab's material becomes its id, kinds collapse.
    assert again.nodes["material"].tolist() == [
        "fab",
        "photoresist",
        "photoresist",
        "water",
        "neon",
    ]
    assert again.nodes["kind"].tolist() == ["product", *["supplier"] * 4]


def test_reference_json_cannot_hold_a_product_that_ships(tiny: Network) -> None:
    # fab sells to end customers and ships wafers to a packaging site.
    nodes = pd.concat(
        [
            tiny.nodes.drop(columns="tier"),
            pd.DataFrame(
                [
                    {
                        "id": "osat",
                        "material": "package",
                        "capacity": 10.0,
                        "demand": 5.0,
                        "margin": 1.0,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    bom = pd.concat(
        [tiny.bom, pd.DataFrame([{"node": "osat", "material": "wafer-n3", "quantity": 1.0}])],
        ignore_index=True,
    )
    sources = pd.concat(
        [tiny.sources, pd.DataFrame([{"supplier": "fab", "customer": "osat"}])], ignore_index=True
    )
    network = Network.from_tables(nodes, bom, sources, tiny.meta)
    with pytest.raises(InvalidInput) as caught:
        to_reference_dict(network)
    assert str(caught.value) == (
        "the reference JSON format cannot hold nodes that both sell to end customers and ship "
        "to other nodes: fab"
    )


# --------------------------------------------------------------------------- what the files hold
def test_csv_folder_contents(tiny: Network, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_network(tiny, folder)
    meta = yaml.safe_load((folder / "network.yaml").read_text(encoding="utf-8"))
    assert list(meta) == ["name", "description", "period", "currency", "materials"]
    assert meta["name"] == "tiny" and meta["period"] == "week"
    header = (folder / "nodes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(table_schema("nodes"))
    assert (folder / "bom.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "fab,photoresist,2.0,estimate: test figure"
    )


def test_parquet_folder_column_types(tiny: Network, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    folder = tmp_path / "out"
    write_network(tiny, folder, "parquet")
    schema = pq.read_schema(folder / "nodes.parquet")
    assert str(schema.field("capacity").type) == "double"
    assert str(schema.field("tier").type) == "int64"
    assert str(schema.field("id").type) in ("string", "large_string")


def test_yaml_file_leaves_defaults_out(tiny: Network, tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    write_network(tiny, path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(data) == [
        "name",
        "description",
        "period",
        "currency",
        "materials",
        "nodes",
        "bom",
        "sources",
    ]
    gas = data["nodes"][4]
    assert gas == {
        "id": "gas",
        "name": "Gas plant",
        "cluster": "kumamoto",
        "country": "JP",
        "lat": 32.8,
        "lon": 130.7,
        "material": "neon",
        "capacity": 400.0,
        "ttr": 6.0,
        "tier": 3,
        "source": "estimate: test figure",
    }
    assert data["sources"][0] == {
        "supplier": "resist_a",
        "customer": "fab",
        "source": "estimate: test figure",
    }


# --------------------------------------------------------------------------- graphs
def test_to_networkx(tiny: Network) -> None:
    graph = to_networkx(tiny)
    assert isinstance(graph, nx.DiGraph)
    assert graph.graph == {"name": "tiny", "period": "week", "currency": "USD"}
    assert list(graph.nodes) == ["fab", "resist_a", "resist_b", "water", "gas"]
    assert sorted(graph.edges) == sorted(
        [("resist_a", "fab"), ("resist_b", "fab"), ("water", "fab"), ("gas", "resist_a")]
    )
    assert graph.edges["water", "fab"] == {"material": "water", "quantity": 10.0}
    assert graph.edges["gas", "resist_a"] == {"material": "neon", "quantity": 0.5}
    fab = graph.nodes["fab"]
    assert fab["kind"] == "fab" and fab["demand"] == 80.0 and fab["margin"] == 50.0
    assert fab["tier"] == 1 and type(fab["tier"]) is int
    assert type(fab["capacity"]) is float
    # Missing numbers are left out, not NaN.
    assert "demand" not in graph.nodes["gas"] and "margin" not in graph.nodes["gas"]
    assert nx.is_directed_acyclic_graph(graph)


def test_graphml_export_is_readable(tiny: Network, tmp_path: Path) -> None:
    path = tmp_path / "tiny.graphml"
    assert write_network(tiny, path) == []
    graph = nx.read_graphml(path)
    assert graph.is_directed()
    assert graph.number_of_nodes() == 5
    assert graph.number_of_edges() == 4
    assert graph.graph["name"] == "tiny" and graph.graph["period"] == "week"
    assert graph.nodes["fab"]["capacity"] == 100.0
    assert graph.nodes["fab"]["kind"] == "fab"
    assert graph.nodes["fab"]["name_zh"] == "晶圓十八廠"
    assert graph.nodes["resist_b"]["lon"] == -112.1
    assert graph.nodes["gas"]["tier"] == 3
    assert "demand" not in graph.nodes["gas"]
    assert graph.edges["resist_a", "fab"] == {"material": "photoresist", "quantity": 2.0}


def test_graphml_export_of_the_large_fixture(large: Network, tmp_path: Path) -> None:
    path = tmp_path / "large.graphml"
    write_network(large, path)
    graph = nx.read_graphml(path)
    assert graph.number_of_nodes() == 1700
    assert graph.number_of_edges() == 2001
    assert graph.nodes["T1_1"]["demand"] == large.nodes.set_index("id").at["T1_1", "demand"]


# --------------------------------------------------------------------------- format detection
@pytest.mark.parametrize(
    ("path", "table_format", "expected"),
    [
        ("out", None, "csv"),
        ("out", "csv", "csv"),
        ("out", "parquet", "parquet"),
        ("out.d", "parquet", "parquet"),
        ("n.yaml", None, "yaml"),
        ("n.YML", None, "yaml"),
        ("n.json", None, "json"),
        ("n.graphml", None, "graphml"),
    ],
)
def test_detect_write_format(path: str, table_format: str | None, expected: str) -> None:
    assert detect_write_format(path, table_format) == expected


@pytest.mark.parametrize(
    ("path", "table_format", "message"),
    [
        ("n.json", "csv", "n.json: a table format applies to folders only, not '.json' files"),
        ("n.yaml", "parquet", "n.yaml: a table format applies to folders only, not '.yaml' files"),
        (
            "nodes.csv",
            None,
            "nodes.csv: a network is a folder of tables; give a folder name (and --table-format csv)",
        ),
        (
            "t.parquet",
            None,
            "t.parquet: a network is a folder of tables; give a folder name "
            "(and --table-format parquet)",
        ),
        ("out", "xlsx", "unknown table format 'xlsx'; use csv or parquet"),
    ],
)
def test_detect_write_format_errors(path: str, table_format: str | None, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        detect_write_format(path, table_format)
    assert str(caught.value) == message


def test_write_network_rejects_bad_formats_before_writing(tiny: Network, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        write_network(tiny, tmp_path / "out", "xlsx")
    with pytest.raises(InvalidInput):
        write_network(tiny, tmp_path / "n.json", "csv")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- atomic writes
class Boom(RuntimeError):
    """The failure injected into a write."""


def _fail_on(method: str, file_name: str):
    original = getattr(pd.DataFrame, method)

    def failing(self: pd.DataFrame, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == file_name:
            Path(path).write_text("half-written", encoding="utf-8")
            raise Boom(f"disk full while writing {file_name}")
        return original(self, path, *args, **kwargs)

    return failing


@pytest.mark.parametrize(
    ("method", "table_format", "file_name"),
    [("to_csv", "csv", "sources.csv"), ("to_parquet", "parquet", "bom.parquet")],
)
def test_a_failed_folder_write_leaves_nothing(
    tiny: Network,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    table_format: str,
    file_name: str,
) -> None:
    monkeypatch.setattr(pd.DataFrame, method, _fail_on(method, file_name))
    with pytest.raises(Boom):
        write_network(tiny, tmp_path / "out", table_format)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_folder_write_keeps_the_previous_network(
    tiny: Network, small: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    write_network(tiny, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    monkeypatch.setattr(pd.DataFrame, "to_csv", _fail_on("to_csv", "sources.csv"))
    with pytest.raises(Boom):
        write_network(small, target)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    monkeypatch.undo()
    assert read_network(target) == tiny


def test_an_interrupted_folder_write_leaves_nothing(
    tiny: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: pd.DataFrame, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_network(tiny, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_overwriting_a_network_folder_replaces_it_whole(tiny: Network, tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_network(tiny, target, "parquet")
    write_network(tiny, target)  # csv now: no parquet table may linger beside the csv ones
    assert sorted(p.name for p in target.iterdir()) == [
        "bom.csv",
        "network.yaml",
        "nodes.csv",
        "sources.csv",
    ]
    assert read_network(target) == tiny
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_that_is_not_a_network_is_not_overwritten(tiny: Network, tmp_path: Path) -> None:
    target = tmp_path / "thesis"
    target.mkdir()
    (target / "chapter1.md").write_text("precious", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        write_network(tiny, target)
    assert str(caught.value) == (
        f"{target} exists, is not empty and is not a network folder: refusing to overwrite it"
    )
    assert [p.name for p in target.iterdir()] == ["chapter1.md"]
    assert (target / "chapter1.md").read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["thesis"]


def test_an_empty_folder_is_written_into(tiny: Network, tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    write_network(tiny, target)
    assert read_network(target) == tiny


def test_a_file_in_the_way_of_a_folder(tiny: Network, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        write_network(tiny, target)
    assert str(caught.value) == f"{target} exists and is not a folder"
    assert target.read_text(encoding="utf-8") == "not a folder"


def test_a_failed_yaml_write_keeps_the_previous_file(
    tiny: Network, small: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "net.yaml"
    write_network(tiny, target)
    before = target.read_bytes()

    def failing(data: object) -> str:
        raise Boom("cannot serialise")

    monkeypatch.setattr("chipstress.model.io.native.dump_yaml", failing)
    with pytest.raises(Boom):
        write_network(small, target)
    assert [p.name for p in tmp_path.iterdir()] == ["net.yaml"]
    assert target.read_bytes() == before


def test_a_failed_json_write_leaves_no_file(
    small: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half(data: object, handle) -> None:  # type: ignore[no-untyped-def]
        handle.write('{"tier1": [')
        raise Boom("disk full")

    monkeypatch.setattr("chipstress.model.io.reference_json.json.dump", half)
    with pytest.raises(Boom):
        write_network(small, tmp_path / "small.json")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_json_write_keeps_the_previous_file(
    small: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "small.json"
    write_network(small, target)
    before = target.read_bytes()

    def half(data: object, handle) -> None:  # type: ignore[no-untyped-def]
        handle.write('{"tier1": [')
        raise Boom("disk full")

    monkeypatch.setattr("chipstress.model.io.reference_json.json.dump", half)
    with pytest.raises(Boom):
        write_network(small, target)
    assert [p.name for p in tmp_path.iterdir()] == ["small.json"]
    assert target.read_bytes() == before


def test_a_failed_graphml_write_leaves_no_file(
    tiny: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(graph: nx.DiGraph, handle) -> None:  # type: ignore[no-untyped-def]
        handle.write(b"<graphml>")
        raise Boom("disk full")

    monkeypatch.setattr(nx, "write_graphml", failing)
    with pytest.raises(Boom):
        write_network(tiny, tmp_path / "tiny.graphml")
    assert list(tmp_path.iterdir()) == []


def test_writing_creates_missing_parent_folders(tiny: Network, tmp_path: Path) -> None:
    for name in ("a/b/net.yaml", "c/d/net", "e/f/net.json", "g/h/net.graphml"):
        write_network(tiny, tmp_path / name)
        assert (tmp_path / name).exists()


def test_an_invalid_file_never_half_loads(tmp_path: Path, small_json: Path) -> None:
    data = json.loads(small_json.read_text())
    data["c"]["T3_1"] = -1
    path = tmp_path / "one-bad-number.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = None
    with pytest.raises(InvalidNetwork):
        result = read_network(path)
    assert result is None
