"""The run grid and the timeline tables of replays, scenarios and outages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chipstress import Network
from chipstress.store import ResultsStore
from chipstress.workflows.hazards.unfold import (
    MAX_PERIODS,
    RunGrid,
    run_grid,
    solve_profile,
    timeline_model,
    timeline_tables,
)


def test_days_when_a_hit_is_back_within_eight_weeks_else_the_networks_period() -> None:
    assert run_grid([3.0], 3.0, 0.0, 7.0) == RunGrid(1 / 7, 22)  # 21 days and one more
    assert run_grid([8.0], 8.0, 0.0, 7.0) == RunGrid(1 / 7, 57)
    assert run_grid([9.0], 9.0, 0.0, 7.0) == RunGrid(1.0, 10)
    assert run_grid([9.0, 1.0], 9.0, 2.0, 7.0) == RunGrid(1 / 7, 78)  # plus 2 weeks of lead time
    assert run_grid([], 52.0, 0.0, 7.0) == RunGrid(1.0, 53)  # an export control alone
    assert run_grid([3.0], 3.0, 0.0, 1.0) == RunGrid(1.0, 4)  # a daily network stays daily


def test_a_horizon_past_the_cap_is_cut_and_says_so() -> None:
    grid = run_grid([1.0], 100.0, 0.0, 7.0)
    assert grid.horizon == MAX_PERIODS and grid.period == pytest.approx(1 / 7)
    assert "cut at 400 days" in grid.notes[0]


def test_tables_of_an_event_that_costs_nothing(tri: Network) -> None:
    model = timeline_model(tri, RunGrid(1 / 7, 5))
    capacity = model.full_profile() / model.model.capacity[:, None]
    fab = list(model.model.node_ids).index("tsmc_fab12")
    capacity[fab, :2] = 0.5  # two days at half capacity: its stock covers it
    result = solve_profile(model, capacity, None)
    tables = timeline_tables(model, result, capacity)
    timeline = tables["timeline"]
    assert result.loss == 0 and list(timeline["period"]) == [1, 2, 3, 4, 5]
    assert timeline["start"].tolist() == pytest.approx([k / 7 for k in range(5)])
    assert timeline["capacity"].tolist() == pytest.approx([0.5, 0.5, 1, 1, 1])
    assert timeline["service_level"].tolist() == pytest.approx([1.0] * 5)
    assert timeline["lost_profit"].abs().max() == pytest.approx(0.0)
    nodes = tables["timeline_nodes"]
    assert set(nodes["node"]) == {"tsmc_fab12"} and len(nodes) == 5
    stock = nodes["stock"].to_numpy()
    assert stock[1] < stock[0] < float(tri.nodes.set_index("id").at["tsmc_fab12", "inventory"])
    assert tables["timeline_products"].empty


def test_empty_tables_keep_text_columns_as_text_so_a_store_takes_later_runs(
    tri: Network, tmp_path: Path
) -> None:
    # A run that loses no end product has an empty timeline_products; its id column must
    # still be text, or the first such run in a database makes the column a number and
    # every later run that names a product is refused.
    model = timeline_model(tri, RunGrid(1 / 7, 5))
    capacity = model.full_profile() / model.model.capacity[:, None]
    covered = timeline_tables(model, solve_profile(model, capacity, None), capacity)
    assert covered["timeline_products"].empty and covered["timeline_nodes"].empty
    assert covered["timeline_products"]["product"].dtype == object
    assert covered["timeline_nodes"]["node"].dtype == object
    model = timeline_model(tri, RunGrid(1.0, 8))
    capacity = np.zeros_like(model.full_profile())  # everything down for 8 weeks
    losing = timeline_tables(model, solve_profile(model, capacity, None), capacity)
    assert not losing["timeline_products"].empty
    with ResultsStore(tmp_path / "runs.duckdb") as store:
        for tables in (covered, losing):
            run_id = store.save("scenario", tri, {}, tables)
        back = store.table(run_id, "timeline_products")
    assert set(back["product"]) == set(losing["timeline_products"]["product"])
