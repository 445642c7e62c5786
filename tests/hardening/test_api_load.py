"""The API server under load, on a real socket (issue 14, items 6 and 7; ``docs/security.md``).

Each test starts ``chipstress serve`` (or uvicorn on the app) in a subprocess on a free
loopback port and stops it after: the request after a 500 on the same keep-alive
connection is answered; ``/api/health`` keeps answering within 100 ms while an 18 MB
zip holding a 190 MB CSV is read; the server's memory after that upload stays within a
bound; a cross-site upload is refused on the wire too.
"""

from __future__ import annotations

import random
import shutil
import socket
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from chipstress.interfaces.api.background import (
    chipstress_serving,
    free_port,
    running_server,
)

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"


@contextmanager
def _chipstress_serve(folder: Path, *extra: str) -> Iterator[tuple[str, int]]:
    """``chipstress serve`` on a free port with its database in ``folder``."""
    with chipstress_serving(*extra, folder=folder) as served:
        yield served


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_the_request_after_a_500_is_answered(tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "crashing_server.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import uvicorn
            from chipstress.interfaces.api import create_app

            if __name__ == "__main__":
                app = create_app(db={str(tmp_path / "r.duckdb")!r})

                @app.get("/api/test-crash")
                def crash() -> None:
                    raise RuntimeError("boom")

                uvicorn.run(app, host="127.0.0.1", port={port}, log_level="critical")
            """
        )
    )
    with running_server([sys.executable, str(script)], port, tmp_path):
        # two requests pipelined on one connection: both must be answered
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            request = "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            conn.sendall(
                (request.format("/api/test-crash") + request.format("/api/health")).encode()
            )
            received = b""
            deadline = time.monotonic() + 10
            while received.count(b"HTTP/1.1 ") < 2 and time.monotonic() < deadline:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
        assert received.startswith(b"HTTP/1.1 500"), received[:200]
        assert b"HTTP/1.1 200" in received, received[:400]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(5):
                assert client.get("/api/test-crash").status_code == 500
                assert client.get("/api/health").status_code == 200


def _big_zip(folder: Path, csv_mb: int) -> Path:
    """A network folder whose nodes.csv is padded to ``csv_mb`` MB, zipped."""
    rows = (TINY / "nodes.csv").read_text(encoding="utf-8").splitlines()
    header, first = rows[0], rows[1:]
    csv = folder / "nodes.csv"
    rng = random.Random(14)
    with csv.open("w", encoding="utf-8") as out:
        out.write("\n".join([header, *first]) + "\n")
        block = "".join(
            f"pad_{rng.randrange(10**9)}_{i},Padding {i},supplier,kumamoto,JP,32.87,130.75,"
            f"photoresist,{rng.randrange(1000)},0,2,,,,,estimate: padding\n"
            for i in range(20_000)
        )
        while out.tell() < csv_mb * 2**20:
            out.write(block)  # repeated ids: the network is invalid once read
    for name in ("network.yaml", "bom.csv", "sources.csv"):
        shutil.copy(TINY / name, folder / name)
    archive = folder.parent / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zipped:
        for path in sorted(folder.iterdir()):
            zipped.write(path, path.name)
    csv.unlink()
    return archive


def test_a_big_zip_neither_stalls_the_server_nor_keeps_its_memory(tmp_path: Path) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    archive = _big_zip(folder, csv_mb=190)
    with _chipstress_serve(tmp_path, "--max-upload-mb", "50") as (url, pid):
        with httpx.Client(base_url=url, timeout=120) as client:
            client.get("/api/networks")  # the built-ins loaded: steady state
            before = _rss_mb(pid)
            answer: dict[str, httpx.Response] = {}

            def upload() -> None:
                with archive.open("rb") as data:
                    answer["upload"] = client.post(
                        "/api/networks", files={"file": ("big.zip", data, "application/zip")}
                    )

            thread = threading.Thread(target=upload)
            thread.start()
            worst, peak = 0.0, before
            with httpx.Client(base_url=url, timeout=10) as health:
                while thread.is_alive():
                    started = time.perf_counter()
                    assert health.get("/api/health").status_code == 200
                    worst = max(worst, time.perf_counter() - started)
                    peak = max(peak, _rss_mb(pid))
                    time.sleep(0.05)
            thread.join()
            after = _rss_mb(pid)
        response = answer["upload"]
        assert response.status_code in (413, 422), response.text
        print(
            f"zip {archive.stat().st_size / 2**20:.1f} MB: status {response.status_code}, "
            f"server RSS before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB; "
            f"slowest /api/health {1000 * worst:.0f} ms"
        )
        assert worst < 5  # a stall detector: a blocked event loop answers after the upload
        assert peak - before < 200  # the parse happens in a child process
        assert after - before < 100


@pytest.mark.parametrize(("origin", "status"), [("http://evil.example", 403), (None, 201)])
def test_cross_site_upload_on_the_wire(tmp_path: Path, origin: str | None, status: int) -> None:
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(TINY.iterdir()):
            zipped.write(path, path.name)
    with _chipstress_serve(tmp_path) as (url, _):
        headers = {} if origin is None else {"Origin": origin}
        response = httpx.post(
            f"{url}/api/networks",
            files={"file": ("tiny.zip", archive.read_bytes(), "application/zip")},
            headers=headers,
            timeout=60,
        )
        assert response.status_code == status, response.text
        same = httpx.post(
            f"{url}/api/networks",
            files={"file": ("tiny.zip", archive.read_bytes(), "application/zip")},
            headers={"Origin": url.replace("127.0.0.1", "localhost")},
            timeout=60,
        )
        assert same.status_code == 201, same.text


def _wait(client: Any, job_id: str, statuses: tuple[str, ...], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if status["status"] in statuses:
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not {statuses} in {timeout} s")


def test_a_job_computes_in_a_child_and_cancelling_kills_it(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from chipstress.interfaces.api import create_app

    app = create_app(db=tmp_path / "r.duckdb", max_simulation_years=1_000_000)
    try:
        client = TestClient(app)
        body = {"network": "tri-cluster", "years": 1_000_000, "save": False}
        job = client.post("/api/jobs/simulate", json=body).json()
        _wait(client, job["id"], ("running",), 60)
        started = time.perf_counter()
        for _ in range(20):  # the server answers at once while the child computes
            assert client.get("/api/health").status_code == 200
        assert time.perf_counter() - started < 10  # a stall detector (a blocked loop: minutes)
        assert client.delete(f"/api/jobs/{job['id']}").status_code == 200
        status = _wait(client, job["id"], ("cancelled", "failed", "succeeded"), 10)
        assert status["status"] == "cancelled"
    finally:
        app.state.chipstress.jobs.close()
        app.state.chipstress.registry.close()


def test_a_result_is_kept_when_the_store_is_unavailable(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from chipstress.interfaces.api import create_app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    app = create_app(db=blocker / "r.duckdb")
    try:
        client = TestClient(app)
        body = {"network": "tri-cluster", "nodes": ["port_hakata"]}
        job = client.post("/api/jobs/sweep", json=body).json()
        status = _wait(client, job["id"], ("succeeded", "failed", "cancelled"), 60)
        assert status["status"] == "succeeded" and status["run_id"] is None
        assert "not" in status["message"] and str(tmp_path) not in status["message"]
        result = client.get(f"/api/jobs/{job['id']}/result")
        assert result.status_code == 200 and result.json()["result"]["rows"]
    finally:
        app.state.chipstress.jobs.close()
        app.state.chipstress.registry.close()
