"""Integrity of the built-in ``tri-cluster`` network (issue 2, item 5).

The Kaohsiung, Kumamoto and Arizona fab clusters plus Taiwan's Hsinchu, Taichung and
Tainan hubs, their suppliers, utilities, logistics and talent pools.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chipstress import (
    BUILTIN_NETWORKS,
    InvalidInput,
    Network,
    load_builtin,
    read_network,
    write_network,
)
from chipstress.interfaces.cli import app
from chipstress.model.builtin import builtin_path

CLUSTERS = ("kaohsiung", "kumamoto", "arizona", "hsinchu", "taichung", "tainan")
# Rough centre of each cluster (lat, lon): every fab of the cluster lies within 1.5 degrees.
CENTRES = {
    "kaohsiung": (22.7, 120.3),
    "kumamoto": (32.85, 130.75),
    "arizona": (33.5, -112.0),
    "hsinchu": (24.8, 121.0),
    "taichung": (24.2, 120.6),
    "tainan": (23.1, 120.3),
}
KINDS = ("fab", "supplier", "packaging", "utility", "logistics", "talent")


@pytest.fixture(scope="module")
def tri() -> Network:
    return load_builtin("tri-cluster")


def test_it_is_registered_and_loads_by_name(tri: Network) -> None:
    assert "tri-cluster" in BUILTIN_NETWORKS
    assert builtin_path("tri-cluster").is_dir()
    assert tri.name == "tri-cluster"
    assert read_network("tri-cluster") == tri
    assert load_builtin() == tri


def test_an_unknown_builtin_is_bad_input() -> None:
    with pytest.raises(InvalidInput, match="no built-in network named 'tri-clusters'"):
        load_builtin("tri-clusters")


def test_size_and_depth(tri: Network) -> None:
    assert tri.n_nodes >= 60
    assert tri.nodes["tier"].max() >= 3, "a multi-tier network has suppliers of suppliers"
    assert len(tri.bom) >= tri.n_nodes - len(tri.product_ids())


def test_metadata_and_readme(tri: Network) -> None:
    assert tri.meta.period not in ("", "period"), "name the period (e.g. week)"
    assert tri.meta.currency
    assert tri.meta.description
    readme = builtin_path("tri-cluster") / "README.md"
    assert readme.is_file() and len(readme.read_text(encoding="utf-8")) > 200


def test_the_clusters_are_present(tri: Network) -> None:
    clusters = set(tri.nodes["cluster"])
    missing = [c for c in CLUSTERS if c not in clusters]
    assert missing == []


def test_every_cluster_has_a_fab_where_it_should_be(tri: Network) -> None:
    fabs = tri.nodes[tri.nodes["kind"] == "fab"]
    for cluster, (lat, lon) in CENTRES.items():
        here = fabs[fabs["cluster"] == cluster]
        assert len(here) >= 1, f"no fab in {cluster}"
        distance = np.hypot(here["lat"] - lat, here["lon"] - lon)
        far = here.loc[distance > 1.5, "id"].tolist()
        assert far == [], f"fabs of {cluster} far from it: {far}"


def test_node_kinds_cover_the_whole_chain(tri: Network) -> None:
    kinds = set(tri.nodes["kind"])
    assert [k for k in KINDS if k not in kinds] == []


def test_coordinates_are_present(tri: Network) -> None:
    missing = tri.nodes.loc[tri.nodes["lat"].isna() | tri.nodes["lon"].isna(), "id"].tolist()
    assert missing == []


def test_every_row_names_its_source(tri: Network) -> None:
    for table in ("nodes", "bom", "sources"):
        frame: pd.DataFrame = getattr(tri, table)
        source = frame["source"].fillna("").str.strip()
        assert (source == "").sum() == 0, f"{table}: rows without a source"
        estimates = source[source.str.lower().str.startswith("estimate")]
        basis = estimates.str.split(":", n=1).str[1].fillna("").str.strip()
        assert (basis == "").sum() == 0, f"{table}: estimates must say 'estimate: <basis>'"


def test_products_sold_from_more_than_one_cluster(tri: Network) -> None:
    products = tri.nodes[tri.index.has_demand]
    assert (products["margin"] > 0).all()
    clusters_per_product = products.groupby("material")["cluster"].nunique()
    multi = clusters_per_product[clusters_per_product > 1]
    assert len(multi) >= 3, f"products sold from more than one cluster: {multi.to_dict()}"


def _suppliers_by_line(tri: Network) -> pd.DataFrame:
    """One row per (node, material) BOM line: its suppliers and their clusters."""
    material_of = tri.nodes.set_index("id")["material"]
    cluster_of = tri.nodes.set_index("id")["cluster"]
    edges = tri.sources.assign(
        material=material_of.reindex(tri.sources["supplier"]).to_numpy(),
        cluster=cluster_of.reindex(tri.sources["supplier"]).to_numpy(),
    )
    return edges.groupby(["customer", "material"]).agg(
        suppliers=("supplier", "nunique"), clusters=("cluster", "nunique")
    )


def test_single_dual_and_cross_cluster_sourcing(tri: Network) -> None:
    lines = _suppliers_by_line(tri)
    assert len(tri.single_sourced()) >= 1
    assert (lines["suppliers"] == 1).any(), "single sourcing"
    assert (lines["suppliers"] == 2).any(), "dual sourcing"
    assert (lines["clusters"] >= 2).any(), "a line filled from more than one cluster"


def test_fabs_depend_on_utilities(tri: Network) -> None:
    kind_of = tri.nodes.set_index("id")["kind"]
    supplier_kinds = tri.sources.assign(kind=kind_of.reindex(tri.sources["supplier"]).to_numpy())
    fabs = tri.nodes.loc[tri.nodes["kind"] == "fab", "id"]
    fed = set(supplier_kinds.loc[supplier_kinds["kind"] == "utility", "customer"])
    assert [f for f in fabs if f not in fed] == []
    for kind in ("logistics", "talent"):
        assert (supplier_kinds["kind"] == kind).any(), f"no {kind} node supplies anyone"


@pytest.mark.parametrize(
    ("name", "table_format"), [("tri", None), ("tri", "parquet"), ("tri.yaml", None)]
)
def test_round_trips(tri: Network, tmp_path: Path, name: str, table_format: str | None) -> None:
    write_network(tri, tmp_path / name, table_format)
    assert read_network(tmp_path / name).with_meta(name="tri-cluster") == tri


def test_cli_validate_info_and_demo(tri: Network, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["validate", "tri-cluster"])
    assert result.exit_code == 0
    assert result.stdout == f"✓ valid: {tri.summary()}\n"
    result = runner.invoke(app, ["info", "tri-cluster"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == tri.summary()
    for cluster in CLUSTERS:
        assert cluster in result.stdout
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"✓ valid: {tri.summary()}\n")
    assert f"Top 15 risks of tri-cluster (of {tri.n_nodes} nodes)" in result.stdout
    written = pd.read_csv(tmp_path / "tri-cluster-sweep.csv")
    assert list(written.columns[:5]) == ["node", "duration", "lost_profit", "tts", "status"]
    assert sorted(written["node"]) == sorted(tri.nodes["id"])


def test_cli_convert_to_reference_json_is_refused_clearly(tmp_path: Path) -> None:
    # tri-cluster's fabs sell wafers and ship some to packaging sites, which the
    # reference format cannot express: a clear error, exit 1, and no file.
    result = CliRunner().invoke(app, ["convert", "tri-cluster", str(tmp_path / "tri.json")])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: the reference JSON format cannot hold nodes that both sell to end customers "
        "and ship to other nodes: "
    )
    assert list(tmp_path.iterdir()) == []
