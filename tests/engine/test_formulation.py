"""The programs' arrays: compile_network, disruption_vector, build_lp, build_unscaled_lp.

Everything is checked on the tiny network (``tests/fixtures/tiny``), whose programs are
small enough to write out in full. Node order: fab 0, resist_a 1, resist_b 2, water 3,
gas 4. BOM rows: (fab, photoresist, 2) 0, (fab, water, 10) 1, (resist_a, neon, 0.5) 2.
Edges: resist_a->fab 0, resist_b->fab 1, water->fab 2, gas->resist_a 3.
fab: capacity 100, inventory 20, demand 80, margin 50; resist_a: 200, 0; resist_b: 150,
30; water: 5000, 0; gas: 400, 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chipstress import InvalidInput, Network
from chipstress.engine import adjacency, compile_network, disruption_vector
from chipstress.engine.adjacency import CompressedRows
from chipstress.engine.formulation import build_lp, build_unscaled_lp

INF = math.inf
ALPHA = np.array([0.0, 0.0, 0.0, 0.0, 0.5])  # gas at half capacity


# --------------------------------------------------------------------------- compile
def test_compile_network_arrays(tiny: Network) -> None:
    model = compile_network(tiny)
    assert model.node_ids.tolist() == ["fab", "resist_a", "resist_b", "water", "gas"]
    assert (model.n_nodes, model.n_edges, model.n_bom) == (5, 4, 3)
    np.testing.assert_array_equal(model.capacity, [100, 200, 150, 5000, 400])
    np.testing.assert_array_equal(model.inventory, [20, 0, 30, 0, 0])
    np.testing.assert_array_equal(model.demand, [80, 0, 0, 0, 0])
    np.testing.assert_array_equal(model.margin, [50, 0, 0, 0, 0])
    np.testing.assert_array_equal(model.has_demand, [True, False, False, False, False])
    np.testing.assert_array_equal(model.bom_node, [0, 0, 1])
    np.testing.assert_array_equal(model.bom_quantity, [2, 10, 0.5])
    np.testing.assert_array_equal(model.edge_supplier, [1, 2, 3, 4])
    np.testing.assert_array_equal(model.edge_customer, [0, 0, 0, 1])
    # Each edge fills its customer's BOM line for the supplier's material.
    np.testing.assert_array_equal(model.edge_bom_row, [0, 0, 1, 2])
    customers = np.zeros((5, 5))
    customers[[1, 2, 3, 4], [0, 0, 0, 1]] = 1
    np.testing.assert_array_equal(model.customers.tocsr().toarray(), customers)
    np.testing.assert_array_equal(model.suppliers.tocsr().toarray(), customers.T)
    # Compressed rows by hand: each node's customers, then each node's suppliers.
    assert model.customers.indptr.tolist() == [0, 0, 1, 2, 3, 4]
    assert model.customers.indices.tolist() == [0, 0, 0, 1]
    assert model.suppliers.indptr.tolist() == [0, 3, 4, 4, 4, 4]
    assert model.suppliers.indices.tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("by", ["numpy", "scipy"])
def test_compressed_rows_count_a_repeated_pair_once_and_sort_each_row(
    by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if by == "scipy":  # as for large networks
        monkeypatch.setattr(adjacency, "SCIPY_PAIRS", 0)
    rows = CompressedRows.from_pairs(
        np.array([2, 0, 2, 0, 2]), np.array([1, 3, 0, 3, 1]), n_rows=4, n_cols=5
    )
    assert rows.shape == (4, 5)
    assert rows.indptr.tolist() == [0, 1, 1, 3, 3]
    assert rows.indices.tolist() == [3, 0, 1]
    expected = np.zeros((4, 5))
    expected[[0, 2, 2], [3, 0, 1]] = 1
    np.testing.assert_array_equal(rows.tocsr().toarray(), expected)
    assert rows.indptr.dtype == rows.indices.dtype == np.int64
    empty = CompressedRows.from_pairs(np.zeros(0), np.zeros(0), n_rows=2, n_cols=2)
    assert empty.indptr.tolist() == [0, 0, 0] and empty.indices.tolist() == []


def test_compressed_rows_by_numpy_and_by_scipy_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    pairs = rng.integers(0, 300, size=(2, 5000))
    by_numpy = CompressedRows.from_pairs(pairs[0], pairs[1], 300, 300)
    monkeypatch.setattr(adjacency, "SCIPY_PAIRS", 0)
    by_scipy = CompressedRows.from_pairs(pairs[0], pairs[1], 300, 300)
    np.testing.assert_array_equal(by_numpy.indptr, by_scipy.indptr)
    np.testing.assert_array_equal(by_numpy.indices, by_scipy.indices)


def test_compile_network_margin_only_where_there_is_demand(tiny: Network) -> None:
    """A margin on a node without demand earns nothing; NaN margins and demands are 0."""
    nodes = tiny.nodes.copy()
    nodes.loc[nodes["id"] == "water", "margin"] = 7.0
    model = compile_network(Network(nodes, tiny.bom, tiny.sources, tiny.meta))
    np.testing.assert_array_equal(model.margin, [50, 0, 0, 0, 0])
    np.testing.assert_array_equal(model.demand, [80, 0, 0, 0, 0])


def test_compile_network_rejects_an_edge_without_a_bom_line(tiny: Network) -> None:
    """Validation forbids it; a hand-assembled Network still gets a clear error."""
    sources = pd.concat(
        [tiny.sources, pd.DataFrame({"supplier": ["gas"], "customer": ["fab"], "source": [""]})],
        ignore_index=True,
    )
    with pytest.raises(InvalidInput, match="no BOM line"):
        compile_network(Network(tiny.nodes, tiny.bom, sources, tiny.meta))


# --------------------------------------------------------------------------- disruptions
def test_disruption_vector(tiny: Network) -> None:
    np.testing.assert_array_equal(disruption_vector(tiny, {}), np.zeros(5))
    np.testing.assert_array_equal(
        disruption_vector(tiny, {"gas": 1.0, "resist_b": 0.25}), [0, 0, 0.25, 0, 1.0]
    )
    # numpy numbers are numbers too.
    np.testing.assert_array_equal(
        disruption_vector(tiny, {"water": np.float32(0.5), "fab": np.int64(1)}), [1, 0, 0, 0.5, 0]
    )


@pytest.mark.parametrize(
    "fraction", [0, 0.0, -0.1, 1.0000001, 2, math.nan, math.inf, True, "0.5", None]
)
def test_disruption_vector_rejects_bad_fractions(tiny: Network, fraction: object) -> None:
    with pytest.raises(InvalidInput, match=r"fraction in \(0, 1\]; got gas="):
        disruption_vector(tiny, {"gas": fraction})  # type: ignore[dict-item]


def test_disruption_vector_rejects_unknown_nodes(tiny: Network) -> None:
    with pytest.raises(InvalidInput, match="unknown node id 'neon_plant'"):
        disruption_vector(tiny, {"gas": 1.0, "neon_plant": 1.0})


# --------------------------------------------------------------------------- build_lp
TTR_MATRIX = [
    # u: fab ra rb water gas | y: e0 e1 e2 e3 | l: fab
    [2, 0, 0, 0, 0, -1, -1, 0, 0, 0],  # BOM fab photoresist: 2 u_fab <= y0 + y1
    [10, 0, 0, 0, 0, 0, 0, -1, 0, 0],  # BOM fab water: 10 u_fab <= y2
    [0, 0.5, 0, 0, 0, 0, 0, 0, -1, 0],  # BOM resist_a neon: 0.5 u_ra <= y3
    [-1, 0, 0, 0, 0, 0, 0, 0, 0, -1],  # flow fab: -u - l <= 20/t - 80
    [0, -1, 0, 0, 0, 1, 0, 0, 0, 0],  # flow resist_a: y0 - u <= 0
    [0, 0, -1, 0, 0, 0, 1, 0, 0, 0],  # flow resist_b: y1 - u <= 30/t
    [0, 0, 0, -1, 0, 0, 0, 1, 0, 0],  # flow water
    [0, 0, 0, 0, -1, 0, 0, 0, 1, 0],  # flow gas
]


def test_build_lp_ttr(tiny: Network) -> None:
    data, layout = build_lp(compile_network(tiny), "ttr", ALPHA, duration=4.0)
    assert (data.n_rows, data.n_cols) == (8, 10)
    np.testing.assert_array_equal(data.matrix.toarray(), TTR_MATRIX)
    np.testing.assert_array_equal(data.row_upper, [0, 0, 0, 20 / 4 - 80, 0, 30 / 4, 0, 0])
    assert np.all(data.row_lower == -INF)
    np.testing.assert_array_equal(data.col_lower, np.zeros(10))
    np.testing.assert_array_equal(
        data.col_upper, [100, 200, 150, 5000, 200, INF, INF, INF, INF, 80]
    )
    np.testing.assert_array_equal(data.cost, [0] * 9 + [50])
    assert data.integer is None
    np.testing.assert_array_equal(layout.nodes, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(layout.edges, [0, 1, 2, 3])
    np.testing.assert_array_equal(layout.bom_lines, [0, 1, 2])
    np.testing.assert_array_equal(layout.products, [0])
    assert layout.n_bom == 3 and layout.extra_column == 9
    assert len(layout.boundary_in) == 0 and len(layout.boundary_out) == 0


def test_build_lp_ttr_steady_state_ignores_inventory(tiny: Network) -> None:
    data, _ = build_lp(compile_network(tiny), "ttr", np.zeros(5), duration=INF)
    np.testing.assert_array_equal(data.row_upper, [0, 0, 0, -80, 0, 0, 0, 0])
    np.testing.assert_array_equal(data.col_upper[:5], [100, 200, 150, 5000, 400])


def test_build_lp_tts(tiny: Network) -> None:
    data, layout = build_lp(compile_network(tiny), "tts", ALPHA, s_lower=0.01)
    expected = np.array(TTR_MATRIX, dtype=float)
    expected[:, 9] = 0.0
    expected[3, 9] = -20.0  # flow fab: -u_fab - 20 s <= -80
    expected[5, 9] = -30.0  # flow resist_b: y1 - u - 30 s <= 0
    np.testing.assert_array_equal(data.matrix.toarray(), expected)
    np.testing.assert_array_equal(data.row_upper, [0, 0, 0, -80, 0, 0, 0, 0])
    np.testing.assert_array_equal(
        data.col_upper, [100, 200, 150, 5000, 200, INF, INF, INF, INF, INF]
    )
    np.testing.assert_array_equal(data.col_lower, [0] * 9 + [0.01])
    np.testing.assert_array_equal(data.cost, [0] * 9 + [1])
    assert len(layout.products) == 0 and layout.extra_column == 9


def test_build_lp_rejects_an_unknown_kind(tiny: Network) -> None:
    with pytest.raises(ValueError, match="kind must be 'ttr' or 'tts'"):
        build_lp(compile_network(tiny), "both", np.zeros(5))


def test_build_lp_region_with_flow_entering(tiny: Network) -> None:
    """Region {fab, resist_b, water}: resist_a -> fab (edge 0) enters it at 70/period and
    adds to fab's photoresist line; gas -> resist_a (edge 3) lies wholly outside."""
    model = compile_network(tiny)
    region = np.array([True, False, True, True, False])
    border = np.array([70.0, 999.0, 999.0, 999.0])  # only border edges are read
    data, layout = build_lp(model, "ttr", np.zeros(5), 2.0, region=region, border_flow=border)
    np.testing.assert_array_equal(layout.nodes, [0, 2, 3])
    np.testing.assert_array_equal(layout.edges, [1, 2])
    np.testing.assert_array_equal(layout.bom_lines, [0, 1])
    np.testing.assert_array_equal(layout.boundary_in, [0])
    assert len(layout.boundary_out) == 0
    np.testing.assert_array_equal(
        data.matrix.toarray(),
        [
            # u: fab rb water | y: e1 e2 | l: fab
            [2, 0, 0, -1, 0, 0],  # 2 u_fab - y1 <= 70 (y0 held at 70)
            [10, 0, 0, 0, -1, 0],
            [-1, 0, 0, 0, 0, -1],  # flow fab: -u - l <= 20/2 - 80
            [0, -1, 0, 1, 0, 0],  # flow resist_b: y1 - u <= 30/2
            [0, 0, -1, 0, 1, 0],
        ],
    )
    np.testing.assert_array_equal(data.row_upper, [70, 0, -70, 15, 0])
    np.testing.assert_array_equal(data.col_upper, [100, 150, 5000, INF, INF, 80])


def test_build_lp_region_with_flow_leaving(tiny: Network) -> None:
    """Region {resist_a, gas}: resist_a must still ship its held 70/period to fab."""
    model = compile_network(tiny)
    region = np.array([False, True, False, False, True])
    border = np.array([70.0, 0.0, 0.0, 0.0])
    data, layout = build_lp(model, "tts", ALPHA, region=region, border_flow=border, s_lower=0.5)
    np.testing.assert_array_equal(layout.nodes, [1, 4])
    np.testing.assert_array_equal(layout.edges, [3])
    np.testing.assert_array_equal(layout.bom_lines, [2])
    np.testing.assert_array_equal(layout.boundary_out, [0])
    assert len(layout.boundary_in) == 0
    np.testing.assert_array_equal(
        data.matrix.toarray(),
        [
            # u: ra gas | y: e3 | s
            [0.5, 0, -1, 0],  # BOM resist_a neon
            [-1, 0, 0, 0],  # flow resist_a: -u (no stock: no s term) <= -70
            [0, -1, 1, 0],  # flow gas
        ],
    )
    np.testing.assert_array_equal(data.row_upper, [0, -70, 0])
    np.testing.assert_array_equal(data.col_upper, [200, 200, INF, INF])
    np.testing.assert_array_equal(data.col_lower, [0, 0, 0, 0.5])


# --------------------------------------------------------------------------- unscaled
def test_build_unscaled_lp_ttr(tiny: Network) -> None:
    """Units over the window: capacity x t, demand x t, inventory whole."""
    data, layout = build_unscaled_lp(compile_network(tiny), "ttr", ALPHA, duration=4.0)
    np.testing.assert_array_equal(data.matrix.toarray(), TTR_MATRIX)
    np.testing.assert_array_equal(data.row_upper, [0, 0, 0, 20 - 320, 0, 30, 0, 0])
    np.testing.assert_array_equal(
        data.col_upper, [400, 800, 600, 20000, 800, INF, INF, INF, INF, 320]
    )
    np.testing.assert_array_equal(data.cost, [0] * 9 + [50])
    assert data.integer is None
    integer, _ = build_unscaled_lp(compile_network(tiny), "ttr", ALPHA, 4.0, integer=True)
    # Whole units made and shipped; lost units stay continuous.
    np.testing.assert_array_equal(integer.integer, [True] * 9 + [False])
    assert layout.extra_column == 9


def test_build_unscaled_lp_tts(tiny: Network) -> None:
    data, _ = build_unscaled_lp(compile_network(tiny), "tts", ALPHA, integer=True)
    assert (data.n_rows, data.n_cols) == (13, 10)
    expected = np.zeros((13, 10))
    expected[:8, :9] = np.array(TTR_MATRIX)[:, :9]
    expected[3, 9] = 80.0  # flow fab: -u_fab + 80 t <= 20
    for i, capacity in enumerate([100, 200, 150, 5000, 200]):  # u_i - (1-a) cap t <= 0
        expected[8 + i, i] = 1.0
        expected[8 + i, 9] = -capacity
    np.testing.assert_array_equal(data.matrix.toarray(), expected)
    np.testing.assert_array_equal(data.row_upper, [0, 0, 0, 20, 0, 30, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(data.cost, [0] * 9 + [-1])
    np.testing.assert_array_equal(data.col_upper, [INF] * 10)
    np.testing.assert_array_equal(data.integer, [True] * 9 + [False])
    with pytest.raises(ValueError, match="kind must be"):
        build_unscaled_lp(compile_network(tiny), "ttx", ALPHA)
