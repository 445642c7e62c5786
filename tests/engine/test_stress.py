"""impact() and time_to_survive() on hand-computed cases, with the plan checked.

Every expected number is worked out in the comment next to it, from the brief's
programs: over a window of t periods a disrupted node makes at most (1 − α)·capacity·t;
stocks (inventory) are used once; a product loses demand·t − (units it can sell).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import build, product, random_network
from reference_lp import reference_impact, reference_tts

from chipstress import InvalidInput, Network
from chipstress.engine import ImpactResult, impact, select_nodes, time_to_survive, whole_disruption


# --------------------------------------------------------------------------- plan checker
def validate_plan(
    network: Network, disruption: dict[str, float], duration: float, result: ImpactResult
) -> None:
    """Check that a plan meets every constraint of the time-to-recover program.

    BOM, flow, capacity and non-negativity; shipments only on source edges, of the
    supplier's material; lost units = demand·t − sales, where a product with a margin
    sells all it can (min(demand·t, made + stock − shipped)); lost profit = Σ margin·lost.
    """
    assert result.status == "optimal"
    t = duration
    nodes = network.nodes.set_index("id")
    scale = 1.0 + float(np.nanmax(nodes["capacity"].to_numpy() * t + nodes["inventory"].to_numpy()))
    tol = 1e-7 * scale
    ids = nodes.index.tolist()
    production = result.production.reindex(ids)
    assert not production.isna().any()
    ship = result.shipments
    assert list(ship.columns) == ["supplier", "customer", "material", "quantity"]
    # Non-negativity (the plan lists only shipments that carry something).
    assert (production >= -tol).all()
    assert (ship["quantity"] > 0).all()
    assert (result.lost_units >= -tol).all()
    # Shipments run along source edges and carry the supplier's material.
    edges = set(zip(network.sources["supplier"], network.sources["customer"], strict=True))
    assert all(pair in edges for pair in zip(ship["supplier"], ship["customer"], strict=True))
    assert (ship["material"].to_numpy() == nodes.loc[ship["supplier"], "material"].to_numpy()).all()
    # Capacity: u_i <= (1 - α_i) capacity_i t.
    alpha = pd.Series(0.0, index=ids)
    alpha.update(pd.Series(disruption, dtype=float))
    assert (production <= (1 - alpha) * nodes["capacity"] * t + tol).all()
    # BOM: q_kj u_j <= Σ shipments of k into j.
    received = ship.groupby(["customer", "material"])["quantity"].sum()
    for node, material, quantity in zip(
        network.bom["node"], network.bom["material"], network.bom["quantity"], strict=True
    ):
        assert quantity * production[node] <= received.get((node, material), 0.0) + tol, (
            node,
            material,
        )
    # Flow: nobody ships more than it made plus its stock, less what it sells.
    shipped = ship.groupby("supplier")["quantity"].sum().reindex(ids, fill_value=0.0)
    available = production + nodes["inventory"] - shipped
    assert (available >= -tol).all()
    demand = nodes["demand"].fillna(0.0)
    products = demand.index[demand > 0]
    assert sorted(result.lost_units.index) == sorted(products)
    lost_profit = 0.0
    for node in products:
        wanted = demand[node] * t
        lost = result.lost_units[node]
        sales = wanted - lost
        assert -tol <= sales <= available[node] + tol, node
        margin = nodes.loc[node, "margin"]
        if margin > 0:  # sells everything it can
            assert lost == pytest.approx(max(0.0, wanted - available[node]), abs=tol), node
        lost_profit += margin * lost
    assert result.lost_profit == pytest.approx(lost_profit, rel=1e-9, abs=tol)


def check(
    network: Network,
    disruption: dict[str, float],
    duration: float,
    lost_profit: float,
    tts: float,
    *,
    lost_units: dict[str, float] | None = None,
) -> ImpactResult:
    """impact() and time_to_survive() give the hand-computed values, with a valid plan,
    and the reference implementation agrees."""
    result = impact(network, disruption, duration)
    assert result.lost_profit == pytest.approx(lost_profit, rel=1e-9, abs=1e-9)
    assert result.duration == duration
    validate_plan(network, disruption, duration, result)
    if lost_units is not None:
        for node, units in lost_units.items():
            assert result.lost_units[node] == pytest.approx(units, abs=1e-9), node
    survival = time_to_survive(network, disruption)
    assert survival.status == "optimal"
    if math.isinf(tts):
        assert survival.tts == math.inf
    else:
        assert survival.tts == pytest.approx(tts, rel=1e-9, abs=1e-12)
    assert reference_impact(network, disruption, duration).lost_profit == pytest.approx(
        lost_profit, rel=1e-9, abs=1e-9
    )
    assert reference_tts(network, disruption) == pytest.approx(tts, rel=1e-9, abs=1e-12)
    return result


# --------------------------------------------------------------------------- networks
@pytest.fixture
def chain() -> Network:
    """raw -> part -> P. part needs 2 raw, P needs 1 part.

    raw: capacity 100, stock 10; part: capacity 50, stock 20; P: capacity 40, stock 30,
    demand 30/week, margin 5. Undisrupted it needs 30 parts and 60 raw a week: plenty.
    """
    return build(
        [
            {"id": "raw", "material": "r", "capacity": 100, "inventory": 10},
            {"id": "part", "material": "pt", "capacity": 50, "inventory": 20},
            product("P", "p", capacity=40, inventory=30, demand=30, margin=5),
        ],
        [("part", "r", 2), ("P", "pt", 1)],
        [("raw", "part"), ("part", "P")],
    )


@pytest.fixture
def parallel() -> Network:
    """Suppliers A (capacity 60) and B (40) both make chips for P1 and P2.

    P1: demand 30, margin 10, stock 20; P2: demand 50, margin 4, stock 40; each needs one
    chip per unit, capacity 100. Undisrupted A + B = 100 >= 80 chips a week.
    """
    return build(
        [
            {"id": "A", "material": "chip", "capacity": 60},
            {"id": "B", "material": "chip", "capacity": 40},
            product("P1", "p1", capacity=100, inventory=20, demand=30, margin=10),
            product("P2", "p2", capacity=100, inventory=40, demand=50, margin=4),
        ],
        [("P1", "chip", 1), ("P2", "chip", 1)],
        [("A", "P1"), ("A", "P2"), ("B", "P1"), ("B", "P2")],
    )


@pytest.fixture
def water() -> Network:
    """Water district W (1000 m³/week) feeds two fabs.

    F1: 10 m³ per wafer, demand 40, margin 100 (10 per m³), stock 20, capacity 50;
    F2: 5 m³ per wafer, demand 60, margin 60 (12 per m³), stock 36, capacity 80.
    Undisrupted they need 400 + 300 = 700 m³ a week.
    """
    return build(
        [
            {
                "id": "W",
                "material": "water",
                "capacity": 1000,
                "kind": "utility",
                "cluster": "tainan",
            },
            *(
                product(
                    node,
                    material,
                    capacity=capacity,
                    inventory=stock,
                    demand=demand,
                    margin=margin,
                    kind="fab",
                    cluster=cluster,
                )
                for node, material, capacity, stock, demand, margin, cluster in (
                    ("F1", "w1", 50, 20, 40, 100, "tainan"),
                    ("F2", "w2", 80, 36, 60, 60, "kaohsiung"),
                )
            ),
        ],
        [("F1", "water", 10), ("F2", "water", 5)],
        [("W", "F1"), ("W", "F2")],
    )


def one_supplier(product_stock: float, supplier_capacity: float = 100.0, **product) -> Network:
    """S -> P, one unit of s per unit of P."""
    return build(
        [
            {"id": "S", "material": "s", "capacity": supplier_capacity},
            {"id": "P", "material": "p", "capacity": 100, "inventory": product_stock, **product},
        ],
        [("P", "s", 1)],
        [("S", "P")],
    )


# --------------------------------------------------------------------------- single chain
def test_chain_undisrupted_survives_forever(chain: Network) -> None:
    check(chain, {}, 4.0, lost_profit=0.0, tts=math.inf)


def test_chain_raw_down(chain: Network) -> None:
    """raw down 4 weeks: raw's stock 10 makes 5 parts (2 raw each); with part's stock P
    gets 25 parts, makes 25 (capacity 160) and has 30: sells 55 of 120, loses 65 x 5 = 325.
    TTS: P can sell 55 in all, 30 a week: 55/30 = 11/6 weeks."""
    result = check(chain, {"raw": 1.0}, 4.0, lost_profit=325.0, tts=11 / 6, lost_units={"P": 65})
    assert result.production["part"] == pytest.approx(5.0)
    assert result.production["P"] == pytest.approx(25.0)
    assert result.production["raw"] == pytest.approx(0.0, abs=1e-9)
    survival = time_to_survive(chain, {"raw": 1.0})
    assert survival.binding_products == ["P"]
    assert "raw" in survival.binding_nodes


def test_chain_part_down(chain: Network) -> None:
    """part down 4 weeks: its stock of 20 still ships; P has 20 + 30 = 50 of 120 and loses
    70 x 5 = 350. TTS 50/30 = 5/3."""
    check(chain, {"part": 1.0}, 4.0, lost_profit=350.0, tts=5 / 3, lost_units={"P": 70})


def test_chain_product_down(chain: Network) -> None:
    """P itself down 4 weeks: only its stock of 30: loses 90 x 5 = 450; TTS 30/30 = 1."""
    check(chain, {"P": 1.0}, 4.0, lost_profit=450.0, tts=1.0)


def test_chain_short_window_loses_nothing(chain: Network) -> None:
    """raw down 1.5 weeks <= TTS 11/6: demand 45 <= 55 available: nothing lost."""
    check(chain, {"raw": 1.0}, 1.5, lost_profit=0.0, tts=11 / 6)


# --------------------------------------------------------------------------- parallel suppliers
def test_parallel_a_down(parallel: Network) -> None:
    """A down 2 weeks: B makes 80 chips. P1 needs 60 - 20 = 40 (margin 10, served first),
    P2 needs 100 - 40 = 60 and gets the other 40: P2 loses 20 x 4 = 80.
    TTS: (30t - 20) + (50t - 40) <= 40t, so t = 1.5."""
    check(parallel, {"A": 1.0}, 2.0, lost_profit=80.0, tts=1.5, lost_units={"P1": 0, "P2": 20})


def test_parallel_b_down(parallel: Network) -> None:
    """B down 2 weeks: A's 120 chips cover the 40 + 60 needed. TTS: 80t - 60 <= 60t, t = 3."""
    check(parallel, {"B": 1.0}, 2.0, lost_profit=0.0, tts=3.0)


def test_parallel_a_half_down(parallel: Network) -> None:
    """A at half capacity, 8 weeks: 30 + 40 = 70 chips a week, 560 in all; needs 240 - 20
    = 220 (P1) + 400 - 40 = 360 (P2) = 580: P2 loses 20 x 4 = 80.
    TTS: 80t - 60 <= 70t, t = 6."""
    check(parallel, {"A": 0.5}, 8.0, lost_profit=80.0, tts=6.0, lost_units={"P2": 20})


def test_parallel_exactly_enough_survives_forever(parallel: Network) -> None:
    """B at half capacity: 60 + 20 = 80 chips a week, exactly the demand: forever."""
    check(parallel, {"B": 0.5}, 100.0, lost_profit=0.0, tts=math.inf)


# --------------------------------------------------------------------------- inventory only
def test_inventory_only_survival() -> None:
    """S down, P (demand 30, margin 2) lives on its stock of 90: TTS = 90/30 = 3.
    Lost profit is zero up to 3 weeks, then 30 units (60 profit) a week more."""
    network = one_supplier(90, demand=30, margin=2)
    check(network, {"S": 1.0}, 2.0, lost_profit=0.0, tts=3.0)
    check(network, {"S": 1.0}, 3.0, lost_profit=0.0, tts=3.0)
    check(network, {"S": 1.0}, 4.0, lost_profit=60.0, tts=3.0)
    check(network, {"S": 1.0}, 5.0, lost_profit=120.0, tts=3.0, lost_units={"P": 60})


# --------------------------------------------------------------------------- partial loss
def test_partial_capacity_loss() -> None:
    """S (capacity 50) loses 40 %: 30 a week. P (demand 40, margin 3, stock 12), 4 weeks:
    120 + 12 = 132 of 160, loses 28 x 3 = 84. TTS: 30t + 12 >= 40t, t = 1.2."""
    network = one_supplier(12, supplier_capacity=50, demand=40, margin=3)
    check(network, {"S": 0.4}, 4.0, lost_profit=84.0, tts=1.2, lost_units={"P": 28})
    # P itself losing 40 % keeps 60 a week >= 40: nothing lost, forever.
    check(network, {"P": 0.4}, 4.0, lost_profit=0.0, tts=math.inf)


# --------------------------------------------------------------------------- utility
def test_utility_feeding_two_fabs_half_down(water: Network) -> None:
    """W at half capacity, 4 weeks: 2000 m³. F1 needs 160 - 20 = 140 wafers (1400 m³), F2
    240 - 36 = 204 wafers (1020 m³). F2 earns more per m³ (12 vs 10) and gets its 1020;
    F1 gets 980 m³ = 98 wafers and loses 42 x 100 = 4200.
    TTS: 10(40t - 20) + 5(60t - 36) <= 500t, 200t <= 380, t = 1.9."""
    result = check(
        water, {"W": 0.5}, 4.0, lost_profit=4200.0, tts=1.9, lost_units={"F1": 42, "F2": 0}
    )
    shipped = result.shipments.set_index("customer")["quantity"]
    assert shipped["F1"] == pytest.approx(980.0)
    assert shipped["F2"] == pytest.approx(1020.0)


def test_utility_down(water: Network) -> None:
    """W down: each fab lives on its stock: F1 20/40 = 0.5 weeks, F2 36/60 = 0.6: TTS 0.5,
    and F1's demand is what runs out. 4 weeks: F1 loses 140 x 100, F2 204 x 60 = 26240."""
    check(water, {"W": 1.0}, 4.0, lost_profit=26240.0, tts=0.5)
    survival = time_to_survive(water, {"W": 1.0})
    assert survival.binding_products == ["F1"]
    assert survival.binding_nodes == ["W"]


# --------------------------------------------------------------------------- forever, zero
def test_survives_forever_with_no_stock_at_all() -> None:
    """S (capacity 100) serves P (demand 30) with room to spare: TTS = inf, even with no
    stock, and nothing is lost over any window."""
    network = one_supplier(0, demand=30, margin=2)
    check(network, {}, 1000.0, lost_profit=0.0, tts=math.inf)
    survival = time_to_survive(network)
    assert survival.tts == math.inf and survival.binding_products == []


def test_tts_zero_when_a_product_without_stock_loses_its_only_supplier() -> None:
    """S down, P has no stock: demand cannot be met at all, TTS = 0; over 2 weeks all 20
    units are lost: 20 x 3 = 60."""
    network = one_supplier(0, demand=10, margin=3)
    check(network, {"S": 1.0}, 2.0, lost_profit=60.0, tts=0.0, lost_units={"P": 20})
    survival = time_to_survive(network, {"S": 1.0})
    assert survival.tts == 0.0 and survival.status == "optimal"


def test_tts_zero_when_the_undisrupted_network_falls_short() -> None:
    """S makes 20 a week for P's demand 30 and P has no stock: TTS = 0 undisrupted; over 3
    weeks 30 units are lost: 30 x 2 = 60."""
    network = one_supplier(0, supplier_capacity=20, demand=30, margin=2)
    check(network, {}, 3.0, lost_profit=60.0, tts=0.0)


def test_zero_margin_product_still_counts_for_survival() -> None:
    """P2 earns nothing per unit (margin 0), yet TTS needs its demand met too.
    S (capacity 10) serves P1 (1 s each, demand 4, stock 5) and P2 (3 s each, demand 3,
    stock 6): undisrupted 4 + 9 = 13 > 10 s a week, so stocks run down:
    (4t - 5) + 3(3t - 6) <= 10t, 3t <= 23, TTS = 23/3. Lost profit over 10 weeks: S's 100 s
    go to P1 first (35 needed): nothing with a margin is lost."""
    network = build(
        [
            {"id": "S", "material": "s", "capacity": 10},
            product("P1", "p1", capacity=10, inventory=5, demand=4, margin=2),
            product("P2", "p2", capacity=10, inventory=6, demand=3, margin=0),
        ],
        [("P1", "s", 1), ("P2", "s", 3)],
        [("S", "P1"), ("S", "P2")],
    )
    check(network, {}, 10.0, lost_profit=0.0, tts=23 / 3)


def test_a_removed_supplier_means_no_supply(tiny: Network) -> None:
    """Without its water district the fab cannot make a wafer (10 m³ each): it lives on
    its 20 in stock, 20/80 = 0.25 weeks; over 2 weeks 140 of 160 are lost: 7000."""
    check(tiny.without_nodes(["water"]), {}, 2.0, lost_profit=7000.0, tts=0.25)


# --------------------------------------------------------------------------- many nodes
def test_whole_cluster_down(tiny: Network) -> None:
    """tiny's kumamoto cluster is gas and resist_a: photoresist only from resist_b, 150 a
    week plus 30 in stock, 2 per wafer: 75t + 15 wafers, plus the fab's 20.
    TTS: 80t - 20 <= 75t + 15, t = 7. Over 10 weeks: 765 + 20 = 785 of 800 wafers, 15 lost
    x 50 = 750."""
    chosen = select_nodes(tiny, cluster="kumamoto")
    assert chosen == ["resist_a", "gas"]
    disruption = whole_disruption(chosen)
    assert disruption == {"resist_a": 1.0, "gas": 1.0}
    check(tiny, disruption, 10.0, lost_profit=750.0, tts=7.0, lost_units={"fab": 15})


def test_everything_depending_on_a_utility(water: Network) -> None:
    """Both fabs depend on W: both down for 4 weeks is the same as W down (26240); TTS 0.5."""
    chosen = select_nodes(water, depending_on="W")
    assert chosen == ["F1", "F2"]
    check(water, whole_disruption(chosen), 4.0, lost_profit=26240.0, tts=0.5)
    # Half capacity at both fabs: F1 25 a week + 20 stock, F2 40 a week + 36 stock.
    # 4 weeks: F1 sells 120 of 160 (40 x 100), F2 196 of 240 (44 x 60): 6640.
    # TTS: F1 25t + 20 >= 40t, t = 4/3; F2 40t + 36 >= 60t, t = 1.8: 4/3.
    check(water, whole_disruption(chosen, 0.5), 4.0, lost_profit=6640.0, tts=4 / 3)


def test_select_nodes_combines_selectors(water: Network, tiny: Network) -> None:
    assert select_nodes(water, kind="utility") == ["W"]
    assert select_nodes(water, kind="fab", cluster="tainan") == ["F1"]
    assert select_nodes(water, nodes=["F2"], cluster="tainan") == ["F2", "W", "F1"]
    assert select_nodes(tiny, nodes=["water"]) == ["water"]
    assert select_nodes(tiny, depending_on="gas") == ["resist_a"]
    assert select_nodes(tiny, country="JP", kind="supplier") == ["resist_a", "gas"]


@pytest.mark.parametrize(
    ("selectors", "message"),
    [
        ({"cluster": "osaka"}, "no node has cluster 'osaka'; clusters in this network: arizona"),
        ({"depending_on": "fab"}, "no node depends on 'fab'"),
        ({"depending_on": "nowhere"}, "unknown node id 'nowhere'"),
        ({"nodes": ["nowhere"]}, "unknown node id 'nowhere'"),
        ({"cluster": "tainan", "kind": "talent"}, "no node has kind 'talent'"),
        ({"cluster": "tainan", "kind": "supplier"}, "match no node together"),
    ],
)
def test_select_nodes_errors(tiny: Network, selectors: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        select_nodes(tiny, **selectors)


# --------------------------------------------------------------------------- plan invariants
@pytest.mark.parametrize("seed", range(8))
def test_plans_of_random_networks_meet_every_constraint(seed: int) -> None:
    network = random_network(100 + seed, ("ample", "tight", "mixed")[seed % 3])
    rng = np.random.default_rng(seed)
    ids = network.nodes["id"].tolist()
    for disruption, duration in [
        ({}, 3.0),
        ({ids[-1]: 1.0}, 2.5),
        ({str(n): 0.5 for n in rng.choice(ids, 2, replace=False)}, 6.0),
    ]:
        validate_plan(network, disruption, duration, impact(network, disruption, duration))
        result = impact(network, disruption, duration, integer=True)
        validate_plan(network, disruption, duration, result)
        for values in (result.production, result.shipments["quantity"]):
            np.testing.assert_allclose(values, values.round(), atol=1e-6)


def test_validate_plan_catches_a_broken_plan(chain: Network) -> None:
    """The checker is not a rubber stamp: a plan that over-produces fails it."""
    result = impact(chain, {"raw": 1.0}, 4.0)
    production = result.production.copy()
    production["raw"] = 1.0  # raw is down: capacity 0
    broken = ImpactResult(
        result.lost_profit, 4.0, "optimal", result.lost_units, production, result.shipments
    )
    with pytest.raises(AssertionError):
        validate_plan(chain, {"raw": 1.0}, 4.0, broken)
    lost = result.lost_units.copy()
    lost["P"] -= 1  # claims one more sale than it can make
    broken = ImpactResult(
        result.lost_profit - 5, 4.0, "optimal", lost, result.production, result.shipments
    )
    with pytest.raises(AssertionError):
        validate_plan(chain, {"raw": 1.0}, 4.0, broken)


def test_impact_result_tables(chain: Network) -> None:
    result = impact(chain, {"raw": 1.0}, 4.0)
    assert result.status == "optimal"
    assert result.production.index.tolist() == ["raw", "part", "P"]
    assert result.lost_units.index.tolist() == ["P"]
    assert result.shipments.to_dict("records") == [
        {"supplier": "raw", "customer": "part", "material": "r", "quantity": pytest.approx(10.0)},
        {"supplier": "part", "customer": "P", "material": "pt", "quantity": pytest.approx(25.0)},
    ]


# --------------------------------------------------------------------------- integer
def fractional() -> Network:
    """raw (capacity 10, stock 5) -> P, 2 raw per unit; P: demand 1, margin 10, no stock."""
    return build(
        [
            {"id": "raw", "material": "r", "capacity": 10, "inventory": 5},
            {"id": "P", "material": "p", "capacity": 10, "demand": 1, "margin": 10},
        ],
        [("P", "r", 2)],
        [("raw", "P")],
    )


def test_integer_differs_where_the_lp_makes_half_units() -> None:
    """raw down, 3 weeks: raw's 5 in stock make 2.5 units in the LP (0.5 of 3 lost, 5
    profit), but only 2 whole units (1 lost, 10). TTS: LP 2.5 weeks, whole units 2."""
    network = fractional()
    lp = impact(network, {"raw": 1.0}, 3.0)
    whole = impact(network, {"raw": 1.0}, 3.0, integer=True)
    assert lp.lost_profit == pytest.approx(5.0)
    assert whole.lost_profit == pytest.approx(10.0)
    assert whole.production["P"] == 2.0
    validate_plan(network, {"raw": 1.0}, 3.0, whole)
    assert time_to_survive(network, {"raw": 1.0}).tts == pytest.approx(2.5)
    assert time_to_survive(network, {"raw": 1.0}, integer=True).tts == pytest.approx(2.0)
    assert reference_impact(network, {"raw": 1.0}, 3.0, integer=True).lost_profit == pytest.approx(
        10.0
    )
    assert reference_tts(network, {"raw": 1.0}, integer=True) == pytest.approx(2.0)


def test_integer_with_fractional_demand_over_the_window() -> None:
    """2.5 weeks of demand 1 is 2.5 units. raw down: 2 whole units are made, 0.5 lost (5).
    With only 1 raw in stock nothing can be made: all 2.5 units are lost (25), not an
    infeasible program."""
    network = fractional()
    whole = impact(network, {"raw": 1.0}, 2.5, integer=True)
    assert whole.status == "optimal"
    assert whole.lost_profit == pytest.approx(5.0)
    assert impact(network, {"raw": 1.0}, 2.5).lost_profit == pytest.approx(0.0, abs=1e-9)
    starved = network.with_inventory({"raw": 1.0})
    whole = impact(starved, {"raw": 1.0}, 2.5, integer=True)
    assert whole.status == "optimal"
    assert whole.lost_profit == pytest.approx(25.0)
    assert whole.lost_units["P"] == pytest.approx(2.5)
    assert impact(starved, {"raw": 1.0}, 2.5).lost_profit == pytest.approx(20.0)


def test_integer_agrees_where_the_lp_is_whole(chain: Network, water: Network) -> None:
    """The chain and the water case have whole-unit optima: both variants agree."""
    assert impact(chain, {"raw": 1.0}, 4.0, integer=True).lost_profit == pytest.approx(325.0)
    assert time_to_survive(chain, {"raw": 1.0}, integer=True).tts == pytest.approx(11 / 6)
    assert impact(water, {"W": 0.5}, 4.0, integer=True).lost_profit == pytest.approx(4200.0)
    assert time_to_survive(water, {"W": 0.5}, integer=True).tts == pytest.approx(1.9)
    assert time_to_survive(chain, {}, integer=True).tts == math.inf


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("duration", [0, 0.0, -1, math.nan, math.inf, -math.inf, "3", None, True])
def test_impact_rejects_bad_durations(chain: Network, duration: object) -> None:
    with pytest.raises(InvalidInput, match="duration must be a"):
        impact(chain, {"raw": 1.0}, duration)  # type: ignore[arg-type]


def test_impact_accepts_numpy_durations(chain: Network) -> None:
    assert impact(chain, {"raw": 1.0}, np.float64(4)).lost_profit == pytest.approx(325.0)
    assert impact(chain, {"raw": 1.0}, np.int64(4)).lost_profit == pytest.approx(325.0)


def test_unknown_nodes_and_bad_fractions(chain: Network) -> None:
    with pytest.raises(InvalidInput, match="unknown node id 'nope'"):
        impact(chain, {"nope": 1.0}, 2.0)
    with pytest.raises(InvalidInput, match="unknown node id 'nope'"):
        time_to_survive(chain, {"nope": 1.0})
    with pytest.raises(InvalidInput, match="fraction"):
        impact(chain, {"raw": 1.5}, 2.0)
    with pytest.raises(InvalidInput, match="fraction"):
        time_to_survive(chain, {"raw": 0.0})


def test_undisrupted_tts_is_solved_once_per_network(small: Network) -> None:
    from chipstress.engine import undisrupted_tts

    first = undisrupted_tts(small)
    assert first.tts == time_to_survive(small).tts
    assert undisrupted_tts(small) is first  # kept by fingerprint
    copy = Network(small.nodes.copy(), small.bom.copy(), small.sources.copy(), small.meta)
    assert undisrupted_tts(copy) is first  # an equal network, the same answer
    fewer = small.with_meta(name="other")  # another fingerprint: solved again
    assert undisrupted_tts(fewer) is not first and undisrupted_tts(fewer).tts == first.tts
