"""The trade-off curve figure of a plan."""

from __future__ import annotations

import math

import pandas as pd

from chipstress.interfaces.figures import tradeoff_curve


def curve(bound_gap: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "budget": [5e6, 1e6, 2e7],
            "cost": [4e6, 0.0, 1.9e7],
            "value": [300.0, 400.0, 250.0],
            "bound": [280.0 if bound_gap else 300.0, 400.0, 250.0],
            "gap": [0.0667 if bound_gap else 0.0, 0.0, 0.0],
            "actions": ["a;b", "", "a;b;c"],
            "n_actions": [2, 0, 3],
        }
    )


def test_tradeoff_curve_traces() -> None:
    fig = tradeoff_curve(
        curve(True), measure_label="expected annual loss", currency="USD", baseline=450.0
    )
    names = [t.name for t in fig.data]
    assert names[0] == "no action" and "best plan" in names[1] and names[2] == "proven lower bound"
    best = fig.data[1]
    assert list(best.x) == [1e6, 5e6, 2e7]  # sorted by budget
    assert list(best.y) == [400.0, 300.0, 250.0]
    assert best.line.shape == "hv"
    assert [c[0] for c in best.customdata] == [1e6, 5e6, 2e7]
    assert "no action" in best.hovertext[0] and "a<br>b" in best.hovertext[1]
    assert "gap 6.7%" in best.hovertext[1]
    assert fig.layout.xaxis.title.text == "budget (USD)"
    assert fig.layout.yaxis.title.text == "expected annual loss (USD)"


def test_tradeoff_curve_without_a_gap_or_points() -> None:
    fig = tradeoff_curve(curve(False), measure_label="sites", money=False)
    assert [t.name for t in fig.data] == ["best plan (label: actions bought)"]
    assert fig.layout.yaxis.title.text == "sites"
    empty = tradeoff_curve(curve(False).iloc[0:0])
    assert not empty.data and "No budget" in empty.layout.annotations[0].text
    assert math.isclose(curve(True)["gap"].iloc[0], 0.0667)
