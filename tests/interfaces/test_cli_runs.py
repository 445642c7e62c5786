"""``chipstress runs ...`` and the saving of runs by ``sweep``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chipstress.interfaces.cli import app
from chipstress.store import ResultsStore


def run(*args: str | Path):
    return CliRunner().invoke(app, [str(a) for a in args])


def sweep_small(small_json: Path, *extra: str) -> str:
    result = run("sweep", small_json, "--duration", "4", "--top", "0", *extra)
    assert result.exit_code == 0, result.output
    return result.stderr


def test_sweep_saves_a_run_and_no_save_does_not(
    small_json: Path, _private_results_db: Path
) -> None:
    note = sweep_small(small_json)
    with ResultsStore() as store:
        runs = store.runs()
        assert len(runs) == 1
        run_id = runs["run_id"].iloc[0]
        assert f"saved run {run_id} to {_private_results_db}" in note
        stored = store.run(run_id)
        assert stored.parameters["duration"] == 4.0 and stored.parameters["metric"] == "both"
        assert len(store.table(run_id, "sweep")) == 30
    sweep_small(small_json, "--no-save")
    with ResultsStore() as store:
        assert len(store.runs()) == 1


def test_sweep_to_an_explicit_db(small_json: Path, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.duckdb"
    sweep_small(small_json, "--db", str(db))
    with ResultsStore(db) as store:
        assert len(store.runs()) == 1
    with ResultsStore() as store:
        assert store.runs().empty


def test_list_show_compare_delete(small_json: Path, tmp_path: Path) -> None:
    sweep_small(small_json)
    result = run("sweep", small_json, "--duration", "9", "--top", "0")
    assert result.exit_code == 0
    with ResultsStore() as store:
        newest, oldest = store.runs()["run_id"].tolist()

    listed = run("runs", "list")
    assert listed.exit_code == 0
    assert newest in listed.stdout and oldest in listed.stdout and "complete" in listed.stdout

    shown = run("runs", "show", newest[-6:], "--table", "sweep", "--rows", "3")
    assert shown.exit_code == 0
    assert f"{newest}  sweep of small  (complete)" in shown.stdout
    assert "sweep (30 rows)" in shown.stdout and "... 27 more rows" in shown.stdout

    out = tmp_path / "sweep.parquet"
    exported = run("runs", "show", newest, "--table", "sweep", "--out", out)
    assert exported.exit_code == 0 and out.exists()
    assert len(pd.read_parquet(out)) == 30

    compared = run("runs", "compare", oldest, newest, "--rows", "5", "--out", tmp_path / "cmp.csv")
    assert compared.exit_code == 0
    table = pd.read_csv(tmp_path / "cmp.csv")
    assert list(table.columns) == ["key", oldest, newest, "delta"]
    assert table["delta"].abs().iloc[0] == table["delta"].abs().max()  # largest change first

    deleted = run("runs", "delete", oldest, "--yes")
    assert deleted.exit_code == 0 and f"deleted {oldest}" in deleted.stdout
    with ResultsStore() as store:
        assert store.runs()["run_id"].tolist() == [newest]


def test_errors(small_json: Path) -> None:
    unknown = run("runs", "show", "nope")
    assert unknown.exit_code == 1
    assert "no run 'nope'" in unknown.stderr
    sweep_small(small_json)
    with ResultsStore() as store:
        run_id = store.runs()["run_id"].iloc[0]
    no_table = run("runs", "show", run_id, "--out", "x.csv")
    assert no_table.exit_code == 2
    bad_table = run("runs", "show", run_id, "--table", "years")
    assert bad_table.exit_code == 1 and "has no table 'years'" in bad_table.stderr
    refused = CliRunner().invoke(app, ["runs", "delete", run_id], input="n\n")
    assert refused.exit_code == 1
    with ResultsStore() as store:
        assert len(store.runs()) == 1
    bad_db = run("runs", "list", "--db", "mysql://x/y")
    assert bad_db.exit_code == 1 and "postgresql:// URL" in bad_db.stderr


def test_resume_refuses_a_run_of_another_kind(small_json: Path) -> None:
    sweep_small(small_json)
    with ResultsStore() as store:
        sweep_id = store.runs()["run_id"].iloc[0]
    result = run("simulate", "--resume", sweep_id)
    assert result.exit_code == 1
    assert f"run {sweep_id} is a sweep run, not a simulate run" in result.output
    unknown = run("sweep", "--resume", "sw-nope")
    assert unknown.exit_code == 1
    assert "sw-nope" in unknown.output
    with ResultsStore() as store:
        assert len(store.runs()) == 1  # nothing half-started


def test_runs_import_stores_a_kept_run_and_reports_a_bad_folder(
    small_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chipstress.model.io import read_network
    from chipstress.store.errors import StoreBusy
    from chipstress.store.spill import save_or_keep
    from chipstress.workflows.outage import outage

    network = read_network(small_json)
    result = outage(network, {str(network.nodes["id"].iloc[0]): (1.0, 2.0)})
    db = tmp_path / "runs.duckdb"

    def busy(*args: object, **kwargs: object) -> str:
        raise StoreBusy("busy for the test", "busy")

    with monkeypatch.context() as patch:
        patch.setattr(ResultsStore, "save_result", busy)
        kept = save_or_keep(str(db), result, network, {"duration": 2.0})
    assert not kept.stored and kept.kept is not None
    assert f"chipstress runs import {kept.kept}" in kept.message
    imported = run("runs", "import", kept.kept, "--db", db)
    assert imported.exit_code == 0, imported.output
    assert f"imported run {kept.run_id}" in imported.stdout
    with ResultsStore(db) as store:
        assert store.runs()["run_id"].tolist() == [kept.run_id]
    again = run("runs", "import", tmp_path, "--db", db)
    assert again.exit_code == 1 and "not a kept run" in again.stderr
    assert "Traceback" not in again.output
