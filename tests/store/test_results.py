"""The results store on DuckDB and on a real PostgreSQL server: round trips, atomicity, resuming."""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from chipstress import InvalidInput, Network
from chipstress.store import ResultsStore
from chipstress.store import recorder as store_recorder
from chipstress.store.backends import PostgresBackend
from chipstress.store.results import run_kind
from chipstress.workflows import sweep, sweep_summary


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
    result = sweep(small, durations=3.0).table
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
    assert run.kind == run_kind(kind)  # "simulation", an older name, is stored as "simulate"
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


def stored_markers(store: ResultsStore, run_id: str) -> set[int]:
    """The chunk markers in the database (without flushing any recorder)."""
    rows = store.backend.query("SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [run_id])
    return {int(c) for c in rows["chunk"]}


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

    # A chunk whose write fails leaves neither rows nor a marker (it stays buffered).
    real_insert = store.backend.insert_frame

    def failing_insert(table: str, frame: pd.DataFrame) -> None:
        raise RuntimeError("killed")

    store.backend.insert_frame = failing_insert  # type: ignore[method-assign]
    recorder.add_chunk(1, {"years": pd.DataFrame({"year": [2, 3], "loss": [3.0, 4.0]})})
    with pytest.raises(RuntimeError):
        recorder.flush()
    store.backend.insert_frame = real_insert  # type: ignore[method-assign]
    assert recorder.buffered == [1]
    assert stored_markers(store, recorder.run_id) == {0}
    assert len(store.table(recorder.run_id, "years")) == 2
    run_id = recorder.run_id
    del recorder  # the process dies: what it still buffered is lost
    gc.collect()

    with pytest.raises(InvalidInput, match="different network"):
        store.resume(run_id, tiny)
    with pytest.raises(InvalidInput, match="not a sweep run"):
        store.resume(run_id, small, kind="sweep")
    resumed = store.resume(run_id[-6:], small, kind="simulation")
    assert resumed.done_chunks() == {0}
    resumed.add_chunk(1, {"years": pd.DataFrame({"year": [2, 3], "loss": [3.0, 4.0]})})
    resumed.finish(
        {"expected_annual_loss": 2.5},
        {"exceedance": pd.DataFrame({"loss": [4.0], "probability": [0.25]})},
    )
    run = store.run(run_id)
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
    with pytest.raises(InvalidInput, match="no run"):
        store.delete(a[-6:])  # deleting takes the whole id only
    assert store.delete(a) == a
    assert store.runs()["run_id"].tolist() == [b]
    assert store.count_rows(["sweep"]) == {"sweep": 0}


def test_compare_sweeps(store: ResultsStore, small: Network) -> None:
    short = sweep(small, durations=2.0).table
    long = sweep(small, durations=8.0).table
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
    with pytest.raises(InvalidInput, match="cannot compare a sweep run with a simulate run"):
        store.compare(a, c)


def test_bad_locations() -> None:
    with pytest.raises(InvalidInput, match="file path or a postgresql:// URL"):
        ResultsStore("mysql://somewhere/db")
    with pytest.raises(InvalidInput, match="cannot connect"):
        PostgresBackend("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")


def chunk_rows(index: int) -> dict[str, pd.DataFrame]:
    """One chunk's rows: two numbers and two texts (one missing)."""
    return {
        "values": pd.DataFrame({"x": [index, index + 0.5], "label": [f"c{index}", None]}),
    }


def test_recorder_writes_a_batch_every_flush_chunks(store: ResultsStore, small: Network) -> None:
    recorder = store.start("sweep", small, {})
    recorder.flush_seconds = 3600.0  # only the count decides here
    recorder.flush_chunks = 3
    recorder.add_chunk(0, chunk_rows(0))
    recorder.add_chunk(2, chunk_rows(2))
    assert recorder.buffered == [0, 2] and recorder.flushes == 0
    assert stored_markers(store, recorder.run_id) == set()
    recorder.add_chunk(1, chunk_rows(1))  # three buffered: one transaction for all
    assert recorder.buffered == [] and recorder.flushes == 1
    assert stored_markers(store, recorder.run_id) == {0, 1, 2}
    recorder.add_chunk(3, chunk_rows(3))
    recorder.flush()
    assert recorder.flushes == 2 and stored_markers(store, recorder.run_id) == {0, 1, 2, 3}
    table = store.table(recorder.run_id, "values", with_chunk=True)
    assert table["chunk"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert table["x"].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert table["label"].iloc[0] == "c0" and pd.isna(table["label"].iloc[1])
    assert recorder.stored_chunks(["values"])[2]["values"]["x"].tolist() == [2.0, 2.5]


def test_recorder_writes_a_batch_every_flush_seconds(
    store: ResultsStore, small: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    fake_time = SimpleNamespace(monotonic=lambda: clock[0], perf_counter=time.perf_counter)
    monkeypatch.setattr(store_recorder, "time", fake_time)
    recorder = store.start("sweep", small, {})
    assert recorder.flush_seconds == 2.0 and recorder.flush_chunks == 256  # the defaults
    for index, now in ((0, 1000.0), (1, 1000.5), (2, 1001.9)):  # within 2 s of the start
        clock[0] = now
        recorder.add_chunk(index, chunk_rows(index))
    assert recorder.buffered == [0, 1, 2] and stored_markers(store, recorder.run_id) == set()
    clock[0] = 1002.0  # 2 s since the start
    recorder.add_chunk(3, chunk_rows(3))
    assert recorder.buffered == [] and stored_markers(store, recorder.run_id) == {0, 1, 2, 3}
    clock[0] = 1003.0
    recorder.add_chunk(4, chunk_rows(4))
    assert recorder.buffered == [4]
    recorder.finish({"chunks": 5})  # finishing writes what is buffered
    assert stored_markers(store, recorder.run_id) == {0, 1, 2, 3, 4}
    assert store.run(recorder.run_id).status == "complete"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("", 2.0), ("0", 0.0), ("0.5", 0.5), ("-1", 2.0), ("inf", 2.0), ("x", 2.0)],
)
def test_flush_seconds_come_from_the_environment(
    store: ResultsStore, small: Network, monkeypatch: pytest.MonkeyPatch, text: str, seconds: float
) -> None:
    monkeypatch.setenv("CHIPSTRESS_FLUSH_SECONDS", text)
    assert store.start("sweep", small, {}).flush_seconds == seconds
    if seconds == 0.0:  # every chunk is written as it finishes
        recorder = store.start("sweep", small, {})
        recorder.add_chunk(0, chunk_rows(0))
        assert recorder.buffered == [] and stored_markers(store, recorder.run_id) == {0}


@pytest.mark.parametrize(
    ("text", "seconds"), [("", 30.0), ("0.3", 0.3), ("-2", 30.0), ("nan", 30.0)]
)
def test_the_wait_for_a_busy_database_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, seconds: float
) -> None:
    from chipstress.store.backends import wait_seconds_default

    monkeypatch.setenv("CHIPSTRESS_DB_WAIT", text)
    assert wait_seconds_default() == seconds


def test_a_failed_batch_leaves_nothing_half_written(store: ResultsStore, small: Network) -> None:
    recorder = store.start("sweep", small, {})
    recorder.flush_seconds = 3600.0
    recorder.add_chunk(0, chunk_rows(0))
    recorder.flush()
    for index in (1, 2, 3):
        recorder.add_chunk(index, chunk_rows(index))
    real_insert = store.backend.insert_frame

    def interrupted_at_the_markers(table: str, frame: pd.DataFrame) -> None:
        if table == "chipstress_chunks":  # the rows are in, the markers not yet: Ctrl-C
            raise KeyboardInterrupt
        real_insert(table, frame)

    store.backend.insert_frame = interrupted_at_the_markers  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        recorder.flush()
    store.backend.insert_frame = real_insert  # type: ignore[method-assign]
    assert stored_markers(store, recorder.run_id) == {0}
    assert len(store.table(recorder.run_id, "values")) == 2  # no rows without a marker
    assert recorder.buffered == [1, 2, 3]  # kept for the next write
    recorder.flush()
    assert stored_markers(store, recorder.run_id) == {0, 1, 2, 3}
    assert len(store.table(recorder.run_id, "values")) == 8


def test_closing_the_store_writes_what_is_buffered(tmp_path: Path, small: Network) -> None:
    path = tmp_path / "closing.duckdb"
    opened = ResultsStore(path)
    recorder = opened.start("sweep", small, {})
    recorder.add_chunk(0, chunk_rows(0))
    recorder.add_chunk(1, chunk_rows(1))
    assert recorder.buffered == [0, 1]  # within FLUSH_SECONDS of the start
    opened.close()
    with ResultsStore(path) as again:
        assert stored_markers(again, recorder.run_id) == {0, 1}
        resumed = again.resume(recorder.run_id, small)
        assert sorted(resumed.stored_chunks(["values"])) == [0, 1]
