"""Run kinds: one per operation, results saved through the RunResult protocol, and runs
stored by older versions as ``simulation`` read as ``simulate``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chipstress.errors import InvalidInput
from chipstress.model import Network, load_builtin
from chipstress.results import RunKind, RunResult
from chipstress.store import RUN_KINDS, ResultsStore
from chipstress.workflows.outage import impact, outage, survive


@pytest.fixture
def store(tmp_path: Path) -> ResultsStore:
    return ResultsStore(tmp_path / "runs.duckdb")


@pytest.fixture(scope="module")
def tri() -> Network:
    return load_builtin()


def test_run_kinds_are_the_operations() -> None:
    assert tuple(kind.value for kind in RunKind) == RUN_KINDS
    assert "simulation" not in RUN_KINDS


def test_save_result_stores_kind_tables_and_summary(store: ResultsStore, tri: Network) -> None:
    for result in (
        impact(tri, {"port_hakata": 1.0}, 3.0),
        survive(tri, {"port_hakata": 1.0}),
        outage(tri, {"port_hakata": (1.0, 3.0)}),
    ):
        assert isinstance(result, RunResult)
        run_id = store.save_result(result, tri, wall_seconds=0.5)
        stored = store.run(run_id)
        assert stored.kind == result.kind.value
        assert stored.parameters == result.parameters
        assert sorted(stored.table_names) == sorted(result.tables())
        assert stored.summary.keys() == result.summary().keys()
        assert stored.wall_seconds == 0.5
    given = store.save_result(impact(tri, {"port_hakata": 1.0}, 3.0), tri, {"network": "tri"})
    assert store.run(given).parameters == {"network": "tri"}


def test_older_simulation_runs_read_as_simulate(store: ResultsStore, tri: Network) -> None:
    run_id = store.save("simulate", tri, {}, {"years": pd.DataFrame({"year": [1], "loss": [2.0]})})
    # a run written by an older version
    store.backend.execute(
        "UPDATE chipstress_runs SET kind = 'simulation' WHERE run_id = ?", [run_id]
    )
    assert store.run(run_id).kind == "simulate"
    assert store.runs("simulate")["run_id"].tolist() == [run_id]
    assert store.runs("simulation")["kind"].tolist() == ["simulate"]
    assert store.runs()["kind"].tolist() == ["simulate"]
    # the old name is still accepted when writing
    again = store.save("simulation", tri, {}, {})
    assert store.run(again).kind == "simulate"
    with pytest.raises(InvalidInput, match="unknown run kind 'whatif-edits'"):
        store.save("whatif-edits", tri, {}, {})
