"""The sweep's log-scale measure: ``lost_profit_log10 = log10(1 + excess lost profit)``, which
keeps apart the many small risks the exposure index squeezes towards 0."""

from __future__ import annotations

import numpy as np

from chipstress import Network
from chipstress.workflows import sweep


def test_log_scale_column_hand_computed(tiny: Network) -> None:
    table = sweep(tiny).table.set_index("node")
    # water down for 1 week loses 60 wafers x 50 USD = 3,000 USD; gas and the resists lose 0
    assert table.at["water", "lost_profit"] == 3000
    assert table.at["water", "lost_profit_log10"] == np.log10(3001.0)
    assert table.loc[["gas", "resist_a", "resist_b"], "lost_profit_log10"].tolist() == [0, 0, 0]


def test_log_scale_ranks_as_the_index_and_separates_small_risks() -> None:
    from chipstress import read_network

    table = sweep(read_network("tri-cluster"), include_products=True).table
    valid = table.dropna(subset=["risk_exposure_index"])
    excess = (valid["lost_profit"] - valid["baseline_lost_profit"].fillna(0)).clip(lower=0)
    np.testing.assert_allclose(valid["lost_profit_log10"], np.log10(1 + excess))
    assert valid["lost_profit_log10"].is_monotonic_decreasing  # the same order as the index
    small = valid[(valid["risk_exposure_index"] > 0) & (valid["risk_exposure_index"] <= 0.03)]
    # the index squeezes these into [0, 0.03]; on the log scale they spread over decades
    assert len(small) >= 3
    spread = small["lost_profit_log10"].max() - small["lost_profit_log10"].min()
    assert spread > 10 * (small["risk_exposure_index"].max() - small["risk_exposure_index"].min())
