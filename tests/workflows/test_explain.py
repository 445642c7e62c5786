"""Why a site matters: hand-computed explanations on the tiny network, and properties that
tie every figure back to the engine on tri-cluster and the small reference network.

The tiny network (week, USD): ``fab`` makes wafers (capacity 100, stock 20, demand 80,
margin 50) from 2 photoresist and 10 water per wafer; ``resist_a`` (200/week, no stock,
TTR 2, needs 0.5 neon from ``gas``) and ``resist_b`` (150/week, 30 in stock, TTR 3) make
photoresist; ``water`` (5000/week, TTR 1) is the fab's only water; ``gas`` (400/week,
TTR 6) is resist_a's only neon.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chipstress import InvalidInput, Network, read_network
from chipstress.engine import impact, time_to_survive
from chipstress.workflows import sweep
from chipstress.workflows.explain import Explanation, explain


def _change(result: Explanation, action: str) -> float | None:
    (change,) = [c for c in result.to_change_verdict if c.action == action]
    return change.amount


def test_water_down_hand_computed(tiny: Network) -> None:
    result = explain(tiny, "water")
    # No water: the fab makes nothing; its 20 wafers cover 80/week for 20/80 = 0.25 weeks.
    assert result.tts == pytest.approx(0.25)
    assert (result.verdict, result.ttr) == ("exposed", 1.0)
    (line,) = result.feeds
    assert (line.customer, line.material, line.quantity, line.single_sourced) == (
        "fab",
        "water",
        10.0,
        True,
    )
    assert result.products == ("fab",)
    # Over 1 week 80 wafers are asked for, 20 come from stock: 60 lost at 50 USD each.
    (loss,) = result.per_product
    assert (loss.product, loss.lost_units, loss.lost_profit) == (
        "fab",
        pytest.approx(60),
        pytest.approx(3000),
    )
    assert result.lost_profit == pytest.approx(3000) and result.baseline_lost_profit == 0
    # What runs out first: the fab's wafer stock, at 0.25 weeks.
    first = result.runs_out_first[0]
    assert (first.node, first.what, first.at, first.inventory) == (
        "fab",
        "stock",
        pytest.approx(0.25),
        20,
    )
    # 60 wafers more need 600 water: as stock, or as a second source of 600/week for 1 week.
    assert _change(result, "extra_stock") == pytest.approx(600)
    assert _change(result, "second_source") == pytest.approx(600)
    assert _change(result, "recover_faster") == pytest.approx(0.25)
    assert result.units == {"time": "week", "money": "USD", "quantity": "units of each material"}


def test_fab_down_hand_computed(tiny: Network) -> None:
    result = explain(tiny, "fab")
    assert result.tts == pytest.approx(0.25) and result.ttr == 4
    assert result.feeds == () and result.single_sourced == ()
    # 4 weeks x 80 = 320 wafers asked for, 20 in stock: 300 lost, 15,000 USD.
    assert result.per_product[0].lost_units == pytest.approx(300)
    assert result.lost_profit == pytest.approx(15000)
    assert [(b.node, b.what) for b in result.runs_out_first] == [("fab", "stock")]
    assert _change(result, "extra_stock") == pytest.approx(300)
    # It ships to nobody: no second source to qualify.
    assert [c.action for c in result.to_change_verdict] == ["extra_stock", "recover_faster"]


def test_resist_a_down_is_covered_hand_computed(tiny: Network) -> None:
    result = explain(tiny, "resist_a")
    # Over t weeks the fab must make 80t - 20 wafers, i.e. 160t - 40 photoresist, and resist_b
    # gives 150t + 30: 10t <= 70, t = 7 weeks > TTR 2.
    assert result.tts == pytest.approx(7)
    assert result.verdict == "covered"
    assert result.feeds[0].alternatives == ("resist_b",) and result.single_sourced == ()
    assert result.per_product[0].lost_units == 0 and result.lost_profit == 0
    binding = {(b.node, b.what) for b in result.runs_out_first}
    assert binding == {("fab", "stock"), ("resist_b", "stock"), ("resist_b", "capacity")}
    assert all(b.at == pytest.approx(7) for b in result.runs_out_first)
    assert [(c.action, c.amount) for c in result.to_change_verdict] == [("slack", pytest.approx(5))]


def test_gas_is_a_single_source_one_tier_up(tiny: Network) -> None:
    result = explain(tiny, "gas")
    assert result.single_sourced[0].customer == "resist_a"
    assert result.products == ("fab",)  # reached through resist_a
    assert result.tts == pytest.approx(7) and result.verdict == "covered"
    assert _change(result, "slack") == pytest.approx(1)


def test_forever_and_duration(tiny: Network) -> None:
    result = explain(tiny, "resist_b")
    assert math.isinf(result.tts) and result.runs_out_first == ()
    longer = explain(tiny, "water", duration=2.0)
    assert longer.ttr == 2 and longer.per_product[0].lost_units == pytest.approx(140)
    assert _change(longer, "extra_stock") == pytest.approx(1400)
    assert _change(longer, "second_source") == pytest.approx(700)  # 140 wafers in 2 weeks


def test_no_ttr(tiny: Network) -> None:
    nodes = tiny.nodes.copy()
    nodes.loc[nodes["id"] == "water", "ttr"] = np.nan
    result = explain(Network(nodes, tiny.bom, tiny.sources, tiny.meta), "water")
    assert (
        result.verdict == "no_ttr" and result.per_product == () and result.to_change_verdict == ()
    )
    assert math.isnan(result.lost_profit)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_input(tiny: Network, bad: float) -> None:
    with pytest.raises(InvalidInput, match="duration"):
        explain(tiny, "water", duration=bad)
    with pytest.raises(InvalidInput, match="unknown node id 'nope'"):
        explain(tiny, "nope")


def test_to_dict_keeps_the_contract(tiny: Network) -> None:
    data = explain(tiny, "water").to_dict()
    for key in (
        "site",
        "verdict",
        "ttr",
        "tts",
        "single_sourced",
        "runs_out_first",
        "per_product",
        "to_change_verdict",
        "units",
    ):
        assert key in data
    assert set(data["per_product"][0]) >= {"product", "lost_units", "lost_profit"}
    assert data["single_sourced"][0]["customer"] == "fab"


# --------------------------------------------------------------------------- properties
@pytest.fixture(scope="module")
def tri() -> Network:
    return read_network("tri-cluster")


@pytest.fixture(scope="module")
def tri_sweep(tri: Network) -> pd.DataFrame:
    return sweep(tri, include_products=True).table.set_index("node")


def _with_second_source(network: Network, site: str, capacity: float) -> Network:
    """``network`` with a new source of ``site``'s material shipping to its customers."""
    row = network.nodes[network.nodes["id"] == site].iloc[0]
    extra = pd.DataFrame({"id": ["second"], "material": [row["material"]], "capacity": [capacity]})
    nodes = pd.concat([network.nodes, extra], ignore_index=True)
    nodes.loc[nodes["id"] == "second", ["kind", "cluster", "inventory"]] = ["supplier", "x", 0.0]
    customers = network.customers_of(site)
    sources = pd.concat(
        [
            network.sources,
            pd.DataFrame({"supplier": ["second"] * len(customers), "customer": customers}),
        ],
        ignore_index=True,
    )
    return Network.from_tables(nodes.drop(columns=["tier"]), network.bom, sources, network.meta)


def test_tri_cluster_agrees_with_the_sweep_and_the_engine(
    tri: Network, tri_sweep: pd.DataFrame
) -> None:
    sites = [s for s in tri_sweep.index if tri_sweep.at[s, "status"] == "optimal"][::6]
    assert len(sites) >= 10
    for site in sites:
        result = explain(tri, site)
        row = tri_sweep.loc[site]
        assert result.tts == pytest.approx(float(row["tts"]), rel=1e-6), site
        assert (result.verdict == "exposed") == bool(row["exposed"]), site
        if result.verdict == "exposed":
            assert result.lost_profit == pytest.approx(
                float(row["lost_profit"]), rel=1e-6, abs=1e-3
            )
            total = sum(p.lost_profit for p in result.per_product)
            assert total == pytest.approx(result.lost_profit, rel=1e-6, abs=1e-3)
        # every binding node's stock runs out at TTS; a single-sourced line has no alternative
        assert all(b.at == result.tts for b in result.runs_out_first)
        assert all(not line.alternatives for line in result.single_sourced)


def test_changes_flip_the_verdict_exactly(tri: Network) -> None:
    """The stock and second-source amounts are the least that keep every demand met for TTR:
    with them TTS >= TTR, with 0.1 % less TTS < TTR."""
    checked = 0
    for site in ["asml_veldhoven", "skhynix_icheon", "water_kaohsiung", "shinetsu_naoetsu_resist"]:
        if site not in set(tri.nodes["id"]):
            continue
        result = explain(tri, site)
        if result.verdict != "exposed":
            continue
        inventory = float(tri.nodes.set_index("id").at[site, "inventory"])
        stock = _change(result, "extra_stock")
        if stock is not None:
            enough = tri.with_inventory({site: inventory + stock * (1 + 1e-7) + 1e-6})
            short = tri.with_inventory({site: inventory + stock * (1 - 1e-3)})
            assert time_to_survive(enough, {site: 1.0}).tts >= result.ttr * (1 - 1e-7)
            assert time_to_survive(short, {site: 1.0}).tts < result.ttr
        source = [c for c in result.to_change_verdict if c.action == "second_source"]
        if source and source[0].amount is not None:
            capacity = source[0].amount
            enough_net = _with_second_source(tri, site, capacity * (1 + 1e-7) + 1e-6)
            short_net = _with_second_source(tri, site, capacity * (1 - 1e-3))
            assert impact(enough_net, {site: 1.0}, result.ttr).lost_profit == pytest.approx(
                0, abs=1e-3
            )
            assert impact(short_net, {site: 1.0}, result.ttr).lost_profit > 0
        checked += 1
    assert checked >= 2


def test_small_reference_network_with_a_duration(small: Network) -> None:
    for site in ["T2_1", "T3_4"]:
        result = explain(small, site, duration=6.0)
        hit = impact(small, {site: 1.0}, 6.0)
        units = {p.product: p.lost_units for p in result.per_product}
        for product, lost in hit.lost_units.items():
            assert units.get(product, 0.0) == pytest.approx(float(lost), abs=1e-6)
        assert result.tts == pytest.approx(time_to_survive(small, {site: 1.0}).tts)


def test_tables_and_summary(tiny: Network) -> None:
    result = explain(tiny, "water")
    tables = result.tables()
    assert list(tables) == ["feeds", "runs_out_first", "per_product", "to_change_verdict"]
    assert tables["feeds"].to_dict("records") == [
        {
            "customer": "fab",
            "material": "water",
            "quantity": 10.0,
            "alternatives": "",
            "single_sourced": True,
        }
    ]
    assert tables["to_change_verdict"]["action"].tolist() == [
        "extra_stock",
        "second_source",
        "recover_faster",
    ]
    assert result.summary() == {
        "site": "water",
        "verdict": "exposed",
        "ttr": 1.0,
        "tts": pytest.approx(0.25),
        "lost_profit": pytest.approx(3000),
        "lines_fed": 1,
        "single_sourced": 1,
        "products": 1,
    }
    empty = explain(tiny, "resist_b").tables()["runs_out_first"]
    assert empty.empty and list(empty.columns)[:2] == ["node", "what"]
