"""The supply graph's shape: tiers and cycles, by hand and against SciPy's graph routines.

Networks of up to ``LEVEL_WALK_EDGES`` edges are walked level by level with numpy, larger
or deeper ones by SciPy (``dijkstra``, strongly connected components); both must give the
same tiers and the same cycles on any graph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipstress.model import canonical
from chipstress.model.canonical import infer_tiers, supply_cycles


@pytest.fixture
def scipy_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canonical, "LEVEL_WALK_EDGES", -1)


def shape(n: int, supplier: list[int], customer: list[int], products: list[int]):
    has_demand = np.zeros(n, bool)
    has_demand[products] = True
    s, c = np.array(supplier, dtype=np.int64), np.array(customer, dtype=np.int64)
    ids = pd.Index([f"n{i}" for i in range(n)])
    return infer_tiers(n, has_demand, s, c), supply_cycles(n, s, c, ids)


def test_tiers_and_cycles_by_hand() -> None:
    # 3 -> 1 -> 0 (product), 2 -> 0, 4 -> 3, 5 alone (reaches no product).
    tiers, cycles = shape(6, [1, 2, 3, 4], [0, 0, 1, 3], [0])
    np.testing.assert_array_equal(tiers, [1, 2, 2, 3, 4, np.nan])
    assert cycles == []
    # The lowest tier wins: 4 ships to the product too.
    tiers, _ = shape(6, [1, 2, 3, 4, 4], [0, 0, 1, 3, 0], [0])
    np.testing.assert_array_equal(tiers, [1, 2, 2, 3, 2, np.nan])


def test_a_cycle_is_found_and_a_self_loop_is_not_one() -> None:
    _, cycles = shape(4, [1, 2, 3, 3], [2, 3, 1, 3], [0])
    assert cycles == [("n1 -> n2 -> n3 -> n1", [0, 1, 2])]
    _, cycles = shape(3, [1, 2], [1, 0], [0])  # 1 ships to itself
    assert cycles == []


def test_a_chain_deeper_than_the_walk_goes_to_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canonical, "LEVEL_WALK_DEPTH", 3)
    n = 8  # 7 -> 6 -> ... -> 0 (product)
    tiers, cycles = shape(n, list(range(1, n)), list(range(n - 1)), [0])
    np.testing.assert_array_equal(tiers, np.arange(1, n + 1))
    assert cycles == []
    # A cycle at the end of a long chain: not decided within 3 levels, found by SciPy.
    _, cycles = shape(n + 2, [*range(1, n), n, n + 1], [*range(n - 1), n + 1, n], [0])
    assert [edges for _, edges in cycles] == [[n - 1, n]]


graphs = st.integers(1, 25).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
        st.lists(st.integers(0, n - 1), max_size=4),
        st.integers(1, 6),
    )
)


@settings(max_examples=200, deadline=None)
@given(graphs)
def test_the_level_walk_gives_what_scipy_gives(graph) -> None:
    n, edges, products, depth = graph
    supplier = [s for s, _ in edges]
    customer = [c for _, c in edges]
    original = canonical.LEVEL_WALK_EDGES, canonical.LEVEL_WALK_DEPTH
    try:
        canonical.LEVEL_WALK_DEPTH = depth  # shallow walks hand over to SciPy too
        walked = shape(n, supplier, customer, products)
        canonical.LEVEL_WALK_EDGES = -1
        by_scipy = shape(n, supplier, customer, products)
    finally:
        canonical.LEVEL_WALK_EDGES, canonical.LEVEL_WALK_DEPTH = original
    np.testing.assert_array_equal(walked[0], by_scipy[0])
    assert walked[1] == by_scipy[1]


def test_reading_a_network_imports_no_scipy() -> None:
    """Start-up: a command that reads a network and sweeps it imports no SciPy."""
    import subprocess
    import sys

    code = (
        "import sys; from chipstress import read_network; from chipstress.workflows import sweep;"
        "from chipstress.model.builtin import load_builtin; sweep(load_builtin());"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_scipy_only_gives_the_same_tiers_by_hand(scipy_only: None) -> None:
    tiers, cycles = shape(6, [1, 2, 3, 4], [0, 0, 1, 3], [0])
    np.testing.assert_array_equal(tiers, [1, 2, 2, 3, 4, np.nan])
    assert cycles == []
