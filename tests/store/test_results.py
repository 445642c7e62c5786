"""The results store on DuckDB and on a real PostgreSQL server: round trips, atomicity, resuming."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chipstress import InvalidInput, Network
from chipstress.store import ResultsStore
from chipstress.store.backends import PostgresBackend
from chipstress.workflows import sweep, sweep_summary


@pytest.fixture(scope="module")
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards (tests never see old rows)."""
    import psycopg

    schema = f"t_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["duckdb", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResultsStore]:
    if request.param == "duckdb":
        location = str(tmp_path / "runs.duckdb")
    else:
        location = request.getfixturevalue("postgres_schema_url")
    opened = ResultsStore(location)
    yield opened
    for run_id in opened.runs(include_incomplete=True)["run_id"]:
        opened.delete(run_id)
    opened.close()


def assert_same_table(stored: pd.DataFrame, original: pd.DataFrame) -> None:
    """Equal columns and values (NaN equal to NaN, inf kept), whatever the dtypes."""
    assert list(stored.columns) == list(original.columns)
    assert len(stored) == len(original)
    for column in original.columns:
        mine, theirs = original[column].tolist(), stored[column].tolist()
        for a, b in zip(mine, theirs, strict=True):
            if isinstance(a, float) and math.isnan(a):
                assert b is None or (isinstance(b, float) and math.isnan(b)), (column, a, b)
            elif isinstance(a, bool | np.bool_):
                assert bool(b) == bool(a), (column, a, b)
            else:
                assert b == a, (column, a, b)


def simulation_tables() -> dict[str, pd.DataFrame]:
    years = pd.DataFrame(
        {"year": np.arange(5, dtype=np.int64), "loss": [0.0, 1.5, 0.0, 1e9, np.inf]}
    )
    events = pd.DataFrame(
        {
            "year": [1, 3],
            "hazard": ["earthquake", "water"],
            "region": ["熊本 Kumamoto", "新竹 Hsinchu"],
            "loss": [1.5, 1e9],
            "tts": [np.inf, 2.5],
            "hit": [True, False],
        }
    )
    return {
        "years": years,
        "events": events,
        "exceedance": pd.DataFrame({"loss": [1.0], "probability": [0.2]}),
    }


def test_sweep_round_trip(store: ResultsStore, small: Network) -> None:
    result = sweep(small, durations=3.0)
    run_id = store.save(
        "sweep", small, {"duration": 3.0}, {"sweep": result}, sweep_summary(result), 0.25
    )
    run = store.run(run_id)
    assert (run.kind, run.network, run.status) == ("sweep", "small", "complete")
    assert run.fingerprint == small.fingerprint()
    assert run.parameters == {"duration": 3.0}
    assert run.summary == sweep_summary(result)
    assert run.wall_seconds == pytest.approx(0.25)
    assert run.table_names == ["sweep"]
    assert_same_table(store.table(run_id, "sweep"), result)


@pytest.mark.parametrize("kind", ["replay", "scenario", "simulation"])
def test_other_run_kinds_round_trip(store: ResultsStore, small: Network, kind: str) -> None:
    tables = simulation_tables()
    summary = {"expected_annual_loss": 2.5e8, "var_99": float("inf"), "event": "ev_2016_kumamoto"}
    run_id = store.save(kind, small, {"years": 5, "seed": 7}, tables, summary, 1.0)
    run = store.run(run_id)
    assert run.kind == kind
    assert run.summary["expected_annual_loss"] == 2.5e8
    assert run.summary["var_99"] == float("inf")
    assert run.table_names == sorted(tables)
    for name, table in tables.items():
        assert_same_table(store.table(run_id, name), table)


def test_empty_table_and_new_columns(store: ResultsStore, small: Network) -> None:
    first = store.save(
        "simulation", small, {}, {"years": pd.DataFrame({"year": [1], "loss": [2.0]})}
    )
    second = store.save(
        "simulation",
        small,
        {},
        {"years": pd.DataFrame({"year": [1], "loss": [2.0], "events": [3]})},
    )
    empty = store.save("simulation", small, {}, {"years": pd.DataFrame({"year": [], "loss": []})})
    assert store.table(second, "years")["events"].tolist() == [3]
    assert store.table(first, "years")["year"].tolist() == [1]
    assert store.table(empty, "years").empty


def test_interrupted_save_leaves_nothing(
    store: ResultsStore, small: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = simulation_tables()
    real_insert = store.backend.insert_frame
    calls = {"n": 0}

    def failing_insert(table: str, frame: pd.DataFrame) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second table of the run
            raise RuntimeError("disk full")
        real_insert(table, frame)

    monkeypatch.setattr(store.backend, "insert_frame", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        store.save("simulation", small, {}, tables)
    monkeypatch.setattr(store.backend, "insert_frame", real_insert)
    assert store.runs(include_incomplete=True).empty
    assert store.count_rows(["years", "events", "exceedance"]) == {
        name: 0 for name in store.count_rows(["years", "events", "exceedance"])
    }


def test_recorded_run_chunks_resume_and_finish(
    store: ResultsStore, small: Network, tiny: Network
) -> None:
    recorder = store.start("simulation", small, {"years": 4}, chunks_total=2)
    assert store.run(recorder.run_id).status == "running"
    assert store.runs().empty and len(store.runs(include_incomplete=True)) == 1
    chunk0 = pd.DataFrame({"year": [0, 1], "loss": [1.0, 2.0]})
    recorder.add_chunk(0, {"years": chunk0})
    recorder.add_chunk(0, {"years": chunk0})  # storing a chunk again replaces it
    assert recorder.done_chunks() == {0}
    assert recorder.table("years")["loss"].tolist() == [1.0, 2.0]

    # A chunk whose write fails leaves neither rows nor a marker.
    real_insert = store.backend.insert_frame

    def failing_insert(table: str, frame: pd.DataFrame) -> None:
        raise RuntimeError("killed")

    store.backend.insert_frame = failing_insert  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        recorder.add_chunk(1, {"years": pd.DataFrame({"year": [2, 3], "loss": [3.0, 4.0]})})
    store.backend.insert_frame = real_insert  # type: ignore[method-assign]
    assert recorder.done_chunks() == {0}
    assert len(recorder.table("years")) == 2

    with pytest.raises(InvalidInput, match="different network"):
        store.resume(recorder.run_id, tiny)
    with pytest.raises(InvalidInput, match="not a sweep run"):
        store.resume(recorder.run_id, small, kind="sweep")
    resumed = store.resume(recorder.run_id[-6:], small, kind="simulation")
    assert resumed.done_chunks() == {0}
    resumed.add_chunk(1, {"years": pd.DataFrame({"year": [2, 3], "loss": [3.0, 4.0]})})
    resumed.finish(
        {"expected_annual_loss": 2.5},
        {"exceedance": pd.DataFrame({"loss": [4.0], "probability": [0.25]})},
    )
    run = store.run(recorder.run_id)
    assert run.status == "complete" and run.summary == {"expected_annual_loss": 2.5}
    assert store.table(run.run_id, "years")["loss"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert store.table(run.run_id, "exceedance")["probability"].tolist() == [0.25]
    with pytest.raises(InvalidInput, match="already complete"):
        store.resume(run.run_id, small)


def test_failed_run_is_listed_only_with_incomplete(store: ResultsStore, small: Network) -> None:
    recorder = store.start("sweep", small, {})
    recorder.fail("worker crashed")
    run = store.run(recorder.run_id)
    assert run.status == "failed" and run.summary == {"error": "worker crashed"}
    assert store.runs().empty
    assert store.runs(include_incomplete=True)["status"].tolist() == ["failed"]


def test_resolve_list_delete_and_errors(store: ResultsStore, small: Network) -> None:
    a = store.save(
        "sweep",
        small,
        {},
        {"sweep": pd.DataFrame({"node": ["x"], "lost_profit": [1.0], "tts": [2.0]})},
    )
    b = store.save("simulation", small, {}, {"years": pd.DataFrame({"year": [0], "loss": [0.0]})})
    assert store.resolve(a) == a
    assert store.resolve(a[-6:]) == a  # a unique part of the id
    with pytest.raises(InvalidInput, match="matches 2 runs"):
        store.resolve("-2")  # both ids contain '-2' (the year)
    with pytest.raises(InvalidInput, match="no run 'nope'"):
        store.resolve("nope")
    assert set(store.runs()["run_id"]) == {a, b}
    assert store.runs(kind="sweep")["run_id"].tolist() == [a]
    with pytest.raises(InvalidInput, match="has no table 'years'"):
        store.table(a, "years")
    with pytest.raises(InvalidInput, match="unknown run kind"):
        store.save("guess", small, {}, {})
    with pytest.raises(InvalidInput, match="result table name"):
        store.save("sweep", small, {}, {"Bad Name": pd.DataFrame({"x": [1]})})
    assert store.delete(a[-6:]) == a
    assert store.runs()["run_id"].tolist() == [b]
    assert store.count_rows(["sweep"]) == {"sweep": 0}


def test_compare_sweeps(store: ResultsStore, small: Network) -> None:
    short = sweep(small, durations=2.0)
    long = sweep(small, durations=8.0)
    a = store.save("sweep", small, {"duration": 2}, {"sweep": short}, sweep_summary(short))
    b = store.save("sweep", small, {"duration": 8}, {"sweep": long}, sweep_summary(long))
    table = store.compare(a, b).set_index("key")
    assert table.attrs["runs"] == (a, b)
    node = "T2_10"
    first = float(short.set_index("node").at[node, "lost_profit"])
    second = float(long.set_index("node").at[node, "lost_profit"])
    assert table.at[f"{node}.lost_profit", "first"] == pytest.approx(first)
    assert table.at[f"{node}.lost_profit", "delta"] == pytest.approx(second - first)
    assert (
        table.at["summary.exposed", "delta"]
        == sweep_summary(long)["exposed"] - sweep_summary(short)["exposed"]
    )
    c = store.save("simulation", small, {}, {"years": pd.DataFrame({"year": [0], "loss": [0.0]})})
    with pytest.raises(InvalidInput, match="cannot compare a sweep run with a simulation run"):
        store.compare(a, c)


def test_bad_locations() -> None:
    with pytest.raises(InvalidInput, match="file path or a postgresql:// URL"):
        ResultsStore("mysql://somewhere/db")
    with pytest.raises(InvalidInput, match="cannot connect"):
        PostgresBackend("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
