"""Worker processes die with their parent, even after ``kill -9`` (issue 14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")

CLI = [sys.executable, "-c", "from chipstress.interfaces.cli import main; main()"]


def children(pid: int) -> list[int]:
    """Live child processes of ``pid`` running the same program (forked workers)."""
    found = []
    try:
        parent_cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and (entry / "cmdline").read_bytes() == parent_cmd:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as errors:  # (the workers inherit it: not a pipe we must drain)
        return subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True
        )


def kill_parent_and_watch(process: subprocess.Popen[bytes], count: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    workers: list[int] = []
    while len(workers) < count:
        assert process.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.1)
        workers = children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    gone_by = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < gone_by:
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} outlived their parent"


SLOW_POOL = """
    import time
    from chipstress.executors import ProcessExecutor

    def setup():
        return None

    def task(state, chunk):
        time.sleep(120)

    ProcessExecutor(2).run(setup, (), task, [1, 2, 3, 4])
"""


def test_pool_workers_die_after_kill_9_of_the_parent(tmp_path: Path) -> None:
    log = tmp_path / "stderr.txt"
    process = start([sys.executable, "-c", textwrap.dedent(SLOW_POOL)], log)
    kill_parent_and_watch(process, 2, log)


def test_sweep_workers_die_after_kill_9_of_the_cli(large_json: Path, tmp_path: Path) -> None:
    durations = large_json.parent / "large-durations.csv"
    db = tmp_path / "runs.duckdb"
    command = [*CLI, "sweep", str(large_json), "--durations", str(durations), "--top", "0"]
    log = tmp_path / "stderr.txt"
    process = start([*command, "--workers", "2", "--db", str(db)], log)
    kill_parent_and_watch(process, 2, log)
