"""Files chipstress writes honour the process umask (issue 16, defect 6).

They were written through a temporary file (``mkstemp``: mode 0600) or folder
(``mkdtemp``: 0700) renamed into place, so every report, table and network folder was
owner-only whatever the umask, and colleagues on a shared drive could not open them.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chipstress.model.io.files import atomic_directory, atomic_file, process_umask

CLI = [sys.executable, "-c", "from chipstress.interfaces.cli import main; main()"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_process_umask_reads_without_changing(umask: None, mask: int) -> None:
    os.umask(mask)
    assert process_umask() == mask
    assert process_umask() == mask  # still the same: reading did not change it


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]
)
def test_atomic_writes_get_the_umask_modes(
    umask: None, tmp_path: Path, mask: int, file_mode: int, dir_mode: int
) -> None:
    os.umask(mask)
    target = tmp_path / "report.html"
    with atomic_file(target) as handle:
        handle.write("x")
    assert _mode(target) == file_mode
    folder = tmp_path / "net"
    atomic_directory(folder, lambda tmp: (tmp / "a.csv").write_text("a"), lambda _: True)
    assert _mode(folder) == dir_mode
    assert _mode(folder / "a.csv") == file_mode


def test_a_rewrite_keeps_the_files_own_mode(umask: None, tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    with atomic_file(target) as handle:
        handle.write("a")
    target.chmod(0o640)
    with atomic_file(target, "wb") as handle:
        handle.write(b"b")
    assert target.read_bytes() == b"b" and _mode(target) == 0o640
    folder = tmp_path / "net"
    atomic_directory(folder, lambda tmp: None, lambda _: True)
    folder.chmod(0o750)
    atomic_directory(folder, lambda tmp: (tmp / "b.csv").write_text("b"), lambda _: True)
    assert _mode(folder) == 0o750 and (folder / "b.csv").exists()


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]
)
def test_the_cli_writes_with_the_umask(
    tmp_path: Path, mask: int, file_mode: int, dir_mode: int
) -> None:
    """Network folder, YAML, GraphML written by the command line under a given umask."""
    folder, document, graph = tmp_path / "net", tmp_path / "net.yaml", tmp_path / "g.graphml"
    for args in (
        ["convert", "tri-cluster", str(folder)],
        ["convert", "tri-cluster", str(document)],
        ["export", "tri-cluster", "--graphml", str(graph)],
    ):
        done = subprocess.run(
            [*CLI, *args], capture_output=True, text=True, timeout=120, umask=mask, check=False
        )
        assert done.returncode == 0, done.stderr
    assert _mode(folder) == dir_mode
    assert {_mode(p) for p in folder.iterdir()} == {file_mode}
    assert _mode(document) == file_mode and _mode(graph) == file_mode
