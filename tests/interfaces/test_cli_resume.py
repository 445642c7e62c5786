"""Long runs survive a crash: SIGKILL a real sweep half-way, resume it, get identical results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from chipstress.store import ResultsStore

CLI = [sys.executable, "-c", "from chipstress.interfaces.cli import main; main()"]
CHUNKS = 125  # large.json's 1,500 nodes in chunks of 12 (see chipstress.workflows.sweep_chunks)


def start_sweep(large_json: Path, durations: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CHIPSTRESS_PROGRESS_LINES": "1",
        "CHIPSTRESS_DB": str(db),
        # every chunk written as it finishes: this 0.4 s sweep would otherwise write
        # once, at its end, and a kill half-way would leave nothing to resume
        "CHIPSTRESS_FLUSH_SECONDS": "0",
    }
    return subprocess.Popen(
        [*CLI, "sweep", str(large_json), "--durations", str(durations), "--top", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: we kill it and its workers together
        # Like a program run in a terminal: Ctrl-C (SIGINT) is not ignored, even when the
        # tests themselves run in the background (where the shell ignores it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_progress(process: subprocess.Popen[str], fraction: float, timeout: float = 60) -> int:
    """Read progress lines until ``fraction`` of the nodes are done; returns nodes done."""
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("progress "):
            done, total = map(int, line.split()[1].split("/"))
            if done >= fraction * total:
                return done
        if time.monotonic() > deadline:
            break
    pytest.fail("the sweep did not report progress in time")


@pytest.fixture
def durations(fixtures_dir: Path) -> Path:
    return fixtures_dir / "reference-json" / "large-durations.csv"


def test_sigkill_then_resume_gives_identical_results(
    large_json: Path, durations: Path, tmp_path: Path
) -> None:
    db = tmp_path / "runs.duckdb"
    process = start_sweep(large_json, durations, db, "--workers", "2")
    wait_for_progress(process, 0.3)
    os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up
    process.wait(timeout=30)
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL

    with ResultsStore(db) as store:
        (run_id,) = store.runs(include_incomplete=True)["run_id"]
        assert store.run(run_id).status == "running"
        stored = store.backend.query(
            "SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [run_id]
        )
        done_before = set(stored["chunk"])
        assert 0 < len(done_before) < CHUNKS  # killed half-way, some chunks stored

    resumed = subprocess.run(
        [
            *CLI,
            "sweep",
            "--resume",
            run_id[-6:],
            "--workers",
            "1",
            "--top",
            "0",
            "--out",
            str(tmp_path / "resumed.csv"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CHIPSTRESS_DB": str(db)},
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {run_id}" in resumed.stderr
    uninterrupted = subprocess.run(
        [
            *CLI,
            "sweep",
            str(large_json),
            "--durations",
            str(durations),
            "--top",
            "0",
            "--no-save",
            "--out",
            str(tmp_path / "full.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    # Identical, byte for byte.
    assert (tmp_path / "resumed.csv").read_text() == (tmp_path / "full.csv").read_text()

    with ResultsStore(db) as store:
        run = store.run(run_id)
        assert run.status == "complete"
        final = store.table(run_id, "sweep")
        chunks = store.table(run_id, "sweep_chunks")
        markers = store.backend.query(
            "SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [run_id]
        )
    # No chunk lost or counted twice.
    assert len(final) == 1500 and final["node"].is_unique
    assert len(chunks) == 1500 and chunks["node"].is_unique
    assert sorted(markers["chunk"]) == list(range(CHUNKS))
    full = pd.read_csv(tmp_path / "full.csv")
    assert final["lost_profit"].tolist() == full["lost_profit"].tolist()


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(
    large_json: Path, durations: Path, tmp_path: Path
) -> None:
    db = tmp_path / "runs.duckdb"
    process = start_sweep(large_json, durations, db, "--workers", "1")
    wait_for_progress(process, 0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    with ResultsStore(db) as store:
        (run_id,) = store.runs(include_incomplete=True)["run_id"]
    assert f"finish it with: chipstress sweep --resume {run_id}" in stderr
    assert "Traceback" not in stderr


def test_simulation_sigkill_then_resume_gives_identical_numbers(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    env = {
        **os.environ,
        "CHIPSTRESS_PROGRESS_LINES": "1",
        "CHIPSTRESS_DB": str(db),
        # every chunk written as it finishes: this 0.4 s sweep would otherwise write
        # once, at its end, and a kill half-way would leave nothing to resume
        "CHIPSTRESS_FLUSH_SECONDS": "0",
    }
    args = ["simulate", "tri-cluster", "--years", "6000", "--seed", "5"]
    process = subprocess.Popen(
        [*CLI, *args, "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    wait_for_progress(process, 0.25)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    with ResultsStore(db) as store:
        (run_id,) = store.runs(include_incomplete=True)["run_id"]
        stored = store.backend.query(
            "SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [run_id]
        )
        assert 0 < len(stored) < 12

    resumed = subprocess.run(
        [
            *CLI,
            "simulate",
            "--resume",
            run_id,
            "--workers",
            "1",
            "--out",
            str(tmp_path / "resumed.csv"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CHIPSTRESS_DB": str(db)},
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    full = subprocess.run(
        [*CLI, *args, "--no-save", "--out", str(tmp_path / "full.csv")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert full.returncode == 0, full.stderr
    assert (tmp_path / "resumed.csv").read_text() == (tmp_path / "full.csv").read_text()
    assert (tmp_path / "resumed-events.csv").read_text() == (
        tmp_path / "full-events.csv"
    ).read_text()
    with ResultsStore(db) as store:
        run = store.run(run_id)
        assert run.status == "complete"
        markers = store.backend.query(
            "SELECT chunk FROM chipstress_chunks WHERE run_id = ?", [run_id]
        )
        assert sorted(markers["chunk"]) == list(range(12))
        assert len(store.table(run_id, "years")) == 6000
