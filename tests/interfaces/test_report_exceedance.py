"""The loss-exceedance curve runs in return-period order (issue 16, defect 4).

It was sorted by loss, so losses tied across several return periods (a stored
exceedance table whose 500-, 1,000- and 2,000-year losses are the same worst year)
were drawn 250 -> 2,000 -> 1,000 -> 500 years: a zig-zag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from chipstress.interfaces.figures import exceedance_curve, exceedance_points


def _monotone(points: pd.DataFrame) -> bool:
    return bool(
        np.all(np.diff(points["return_period"].to_numpy()) >= 0)
        and np.all(np.diff(points["loss"].to_numpy()) >= 0)
    )


def test_tied_losses_of_a_stored_table_draw_a_flat_step() -> None:
    table = pd.DataFrame(
        {
            "return_period": [2, 250, 500, 1000, 2000],
            "exceedance_probability": [0.5, 0.004, 0.002, 0.001, 0.0005],
            "loss": [0.0, 6.9e9, 1.1e10, 1.1e10, 1.1e10],
        }
    )
    points = exceedance_points(table)
    assert points["return_period"].tolist() == [2, 250, 500, 1000, 2000]
    figure = exceedance_curve(table)
    curve = next(t for t in figure.data if t.name == "loss exceedance")
    assert list(curve.x) == [2, 250, 500, 1000, 2000]
    assert list(curve.y) == [0.0, 6.9e9, 1.1e10, 1.1e10, 1.1e10]


def test_tied_years_count_together() -> None:
    """Three of six years lose nothing: a zero loss is met in every year (p = 1), 5 or
    more in half of them, 9 in one."""
    points = exceedance_points(pd.DataFrame({"loss": [0.0, 5.0, 0.0, 9.0, 5.0, 0.0]}))
    assert points["loss"].tolist() == [0.0, 5.0, 9.0]
    assert points["probability"].tolist() == [1.0, 0.5, 1 / 6]
    assert points["return_period"].tolist() == [1.0, 2.0, 6.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=60))
def test_the_empirical_curve_never_turns_back(losses: list[int]) -> None:
    years = pd.DataFrame({"loss": [float(v) for v in losses]})
    points = exceedance_points(years)
    assert _monotone(points)
    # each loss is met or beaten in exactly its share of years
    values = np.array(losses, dtype=float)
    for loss, probability in zip(points["loss"], points["probability"], strict=True):
        assert probability == np.mean(values >= loss)
    figure = exceedance_curve(years, years=years)
    for trace in figure.data[:2]:
        assert np.all(np.diff(np.asarray(trace.x, dtype=float)) >= 0), trace.name
