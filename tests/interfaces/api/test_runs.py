"""Stored runs over HTTP: list, show, tables (JSON and CSV), compare, delete, report."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

RunJob = Callable[..., dict[str, Any]]


@pytest.fixture
def two_sweeps(run_job: RunJob) -> list[str]:
    first = run_job("sweep", {"network": "tri-cluster"})["job"]["run_id"]
    second = run_job("sweep", {"network": "tri-cluster", "duration": 4})["job"]["run_id"]
    return [first, second]


def test_list_show_and_tables(client: TestClient, two_sweeps: list[str]) -> None:
    runs = client.get("/api/runs").json()
    assert {r["run_id"] for r in runs} == set(two_sweeps)
    assert runs[0]["created_at"] >= runs[1]["created_at"]  # newest first
    assert runs[0]["summary"]["nodes"] == 100
    assert client.get("/api/runs", params={"kind": "replay"}).json() == []
    assert client.get("/api/runs", params={"kind": "nonsense"}).status_code == 422
    run = client.get(f"/api/runs/{two_sweeps[0]}").json()
    assert run["kind"] == "sweep" and run["tables"] == ["sweep"] and run["status"] == "complete"
    assert run["parameters"]["network"] == "tri-cluster"
    # Run ids match exactly: a part of one names no run.
    assert client.get(f"/api/runs/{two_sweeps[0][-6:]}").status_code == 404
    table = client.get(f"/api/runs/{two_sweeps[0]}/tables/sweep", params={"limit": 5}).json()
    assert table["total_rows"] == 100 and len(table["rows"]) == 5
    csv = client.get(f"/api/runs/{two_sweeps[0]}/tables/sweep", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert len(frame) == 100 and frame["node"].iloc[0] == table["rows"][0]["node"]


def test_run_errors(client: TestClient, two_sweeps: list[str]) -> None:
    response = client.get("/api/runs/sw-nope")
    assert response.status_code == 404 and response.json()["field"] == "run_id"
    response = client.get(f"/api/runs/{two_sweeps[0]}/tables/years")
    assert response.status_code == 404 and "has no table 'years'" in response.json()["detail"]
    response = client.get("/api/runs/sw-")  # a prefix of both runs: no run
    assert response.status_code == 404
    response = client.get(f"/api/runs/{two_sweeps[0]}/tables/sweep", params={"limit": 0})
    assert response.status_code == 422


def test_compare_and_delete(client: TestClient, two_sweeps: list[str]) -> None:
    first, second = two_sweeps
    compared = client.get("/api/runs/compare", params={"first": first, "second": second}).json()
    keys = {row["key"] for row in compared["rows"]}
    assert "port_hakata.lost_profit" in keys and "summary.nodes" in keys
    # Wildcards and parts of ids name no run; a DELETE of them removes nothing.
    for pattern in ("%25", "_", "0", "sw-", first[:-1]):
        assert client.get(f"/api/runs/{pattern}").status_code == 404
        assert client.delete(f"/api/runs/{pattern}").status_code == 404
    assert len(client.get("/api/runs").json()) == 2
    assert client.delete(f"/api/runs/{first}").json() == {"deleted": first}
    assert client.get(f"/api/runs/{first}").status_code == 404
    assert [r["run_id"] for r in client.get("/api/runs").json()] == [second]


def test_report_of_a_run(client: TestClient, two_sweeps: list[str]) -> None:
    response = client.get(f"/api/runs/{two_sweeps[0]}/report")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower() and "tri-cluster" in response.text
    assert '<script src="http' not in response.text


def test_report_of_an_uploaded_networks_run(
    client: TestClient, run_job: RunJob, small_json: Any
) -> None:
    upload = client.post(
        "/api/networks", files={"file": ("small.json", small_json.read_bytes(), "application/json")}
    ).json()
    run_id = run_job("sweep", {"network": upload["id"], "duration": 5})["job"]["run_id"]
    response = client.get(f"/api/runs/{run_id}/report")
    assert response.status_code == 200, response.text
