"""The parts of the chain added to ``tri-cluster``: resist, chemical, wafer, mask, slurry, gas
and substrate makers, TSMC's AP3/AP6/AP7, Renesas Naka and two more ports (issue 13, item 4).

See ``src/chipstress/model/builtin/tri_cluster/README.md``.
"""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from chipstress import Network, load_builtin
from chipstress.engine import impact, time_to_survive
from chipstress.interfaces.cli import app
from chipstress.workflows.hazards import replay

# id -> (kind, cluster, lat, lon): where each added site was put (coords approx, see its row).
ADDED = {
    "sumitomo_chem_osaka": ("supplier", "japan", 34.676, 135.438),
    "resonac_yamazaki": ("supplier", "japan", 36.585, 140.640),
    "mitsubishi_chem_kurosaki": ("supplier", "japan", 33.870, 130.760),
    "stella_chemifa_sakai": ("supplier", "japan", 34.545, 135.430),
    "morita_chem_osaka": ("supplier", "japan", 34.600, 135.440),
    "siltronic_singapore": ("supplier", "global", 1.365, 103.940),
    "sk_siltron_gumi": ("supplier", "korea", 36.105, 128.385),
    "hoya_nagasaka": ("supplier", "japan", 35.835, 138.370),
    "agc_koriyama": ("supplier", "japan", 37.430, 140.350),
    "toppan_asaka": ("supplier", "japan", 35.805, 139.590),
    "photronics_taichung": ("supplier", "taichung", 24.215, 120.620),
    "lasertec_yokohama": ("equipment", "japan", 35.510, 139.620),
    "entegris_cmc_geino": ("supplier", "japan", 34.800, 136.410),
    "tns_kitakyushu": ("supplier", "japan", 33.870, 130.790),
    "kinsus_taoyuan": ("supplier", "taiwan", 24.970, 121.100),
    "nanya_pcb_shulin": ("supplier", "taiwan", 24.990, 121.420),
    "tsmc_ap3_longtan": ("packaging", "hsinchu", 24.870, 121.215),
    "tsmc_ap6_zhunan": ("packaging", "hsinchu", 24.685, 120.875),
    "tsmc_ap7_chiayi": ("packaging", "tainan", 23.455, 120.300),
    "renesas_naka": ("fab", "japan", 36.397, 140.520),
    "port_taipei": ("logistics", "hsinchu", 25.155, 121.380),
    "port_yatsushiro": ("logistics", "kumamoto", 32.520, 130.560),
    "water_taoyuan": ("utility", "hsinchu", 24.810, 121.245),
    "water_chiayi": ("utility", "tainan", 23.470, 120.480),
    "water_ibaraki": ("utility", "japan", 36.400, 140.560),
    "tepco_ibaraki": ("utility", "japan", 36.390, 140.480),
}
# The two relocated sites: (lat, lon) of the plant, and of where the row used to put them.
MERCK_LUZHU = (22.845, 120.265)  # Merck's Kaohsiung plant, Luzhu campus of the STSP
MERCK_OLD = (22.70, 120.33)
TOYO_GOSEI_TONOSHO = (35.826, 140.660)  # Chiba plant, 1-51 Miyanodai, Tonosho
TOYO_GOSEI_ICHIKAWA = (35.72, 139.93)  # the head office


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def tri() -> Network:
    return load_builtin("tri-cluster")


def _position(tri: Network, node: str) -> tuple[float, float]:
    row = tri.nodes.set_index("id").loc[node]
    return float(row["lat"]), float(row["lon"])


def test_the_added_sites_are_there_with_kind_cluster_and_source(tri: Network) -> None:
    nodes = tri.nodes.set_index("id")
    assert [n for n in ADDED if n not in nodes.index] == []
    for node, (kind, cluster, _lat, _lon) in ADDED.items():
        assert (nodes.at[node, "kind"], nodes.at[node, "cluster"]) == (kind, cluster), node
        source = str(nodes.at[node, "source"])
        assert "http" in source or "estimate" in source, node
        assert nodes.at[node, "capacity"] > 0, node


@pytest.mark.parametrize("node", list(ADDED))
def test_the_added_sites_are_where_they_were_put(tri: Network, node: str) -> None:
    _kind, _cluster, lat, lon = ADDED[node]
    assert haversine_km(_position(tri, node), (lat, lon)) < 3


def test_merck_is_at_its_luzhu_plant(tri: Network) -> None:
    here = _position(tri, "merck_kaohsiung")
    assert haversine_km(here, MERCK_LUZHU) < 5
    assert haversine_km(MERCK_OLD, MERCK_LUZHU) > 15, "the old point was ~17 km away"
    assert "Luzhu" in str(tri.nodes.set_index("id").at["merck_kaohsiung", "source"])


def test_toyo_gosei_is_at_its_tonosho_plant(tri: Network) -> None:
    here = _position(tri, "toyo_gosei_chiba")
    assert haversine_km(here, TOYO_GOSEI_TONOSHO) < 5
    assert haversine_km(here, TOYO_GOSEI_ICHIKAWA) > 60, "not at the Ichikawa head office"
    assert "Tonosho" in str(tri.nodes.set_index("id").at["toyo_gosei_chiba", "source"])


def test_every_added_site_is_wired_in(tri: Network) -> None:
    suppliers = set(tri.sources["supplier"])
    customers = set(tri.sources["customer"])
    products = set(tri.product_ids())
    for node in ADDED:
        if node in products:
            assert node in customers, f"{node} has no suppliers"
        else:
            assert node in suppliers, f"{node} supplies no one"


def test_renesas_naka_is_a_fab_of_its_own(tri: Network) -> None:
    naka = tri.nodes.set_index("id").loc["renesas_naka"]
    assert naka["material"] == "wafer_mcu"
    assert naka["demand"] > 0 and naka["margin"] > 0
    assert naka["demand"] < naka["capacity"]
    lines = set(tri.bom.loc[tri.bom["node"] == "renesas_naka", "material"])
    assert {"si_wafer", "duv_resist", "water", "electricity"} <= lines


def _suppliers(tri: Network, customer: str, material: str) -> set[str]:
    material_of = tri.nodes.set_index("id")["material"]
    edges = tri.sources[tri.sources["customer"] == customer]
    return {s for s in edges["supplier"] if material_of[s] == material}


@pytest.mark.parametrize(
    ("customer", "material", "added"),
    [
        ("tsmc_fab20", "sea_freight", "port_taipei"),
        ("jasm_fab1", "bulk_gas", "tns_kitakyushu"),
        ("tsmc_fab20", "cmp_slurry", "entegris_cmc_geino"),
        ("tsmc_fab22", "duv_resist", "sumitomo_chem_osaka"),
        ("tsmc_mask_hsinchu", "mask_blank", "hoya_nagasaka"),
        ("tsmc_ap8_tainan", "abf_substrate", "kinsus_taoyuan"),
    ],
)
def test_lines_gain_a_second_source(tri: Network, customer: str, material: str, added: str) -> None:
    found = _suppliers(tri, customer, material)
    assert added in found and len(found) >= 2


def test_the_network_validates_and_meets_all_demand_undisrupted(tri: Network) -> None:
    result = CliRunner().invoke(app, ["validate", "tri-cluster"])
    assert result.exit_code == 0, result.output
    assert impact(tri, {}, duration=4).lost_profit == pytest.approx(0, abs=1e-6)
    assert time_to_survive(tri).tts == math.inf


def test_the_naka_fire_replay_hits_renesas_naka(tri: Network) -> None:
    result = replay("naka_fire_2021", tri)
    assert list(result.sites["site"]) == ["renesas_naka"]
    assert result.loss > 0
