"""Background jobs over HTTP: every kind's happy path checked against the library, bad
parameters (4xx naming the field), failures and cancellation, and two concurrent sweeps."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from api_helpers import wait_job
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chipstress import load_builtin, read_network
from chipstress.engine import impact, time_to_survive
from chipstress.engine.timeline import TimelineModel
from chipstress.interfaces.api import tasks
from chipstress.store import ResultsStore
from chipstress.workflows import sweep
from chipstress.workflows.hazards import replay, simulate
from chipstress.workflows.runner import Runner

RunJob = Callable[..., dict[str, Any]]


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("tts", "ttr_minus_tts"):
        frame[column] = pd.to_numeric(frame[column].replace("Infinity", math.inf))
    return frame


def test_sweep_job_matches_the_workflow_and_is_stored(
    client: TestClient, run_job: RunJob, db_path: Path
) -> None:
    out = run_job("sweep", {"network": "tri-cluster", "include_products": True})
    job, result = out["job"], out["result"]
    assert job["progress"] == 1.0 and job["message"] == "done" and job["run_id"].startswith("sw-")
    expected = sweep(load_builtin(), include_products=True).table
    got = _frame(result["rows"])
    assert got["node"].tolist() == expected["node"].tolist()
    pd.testing.assert_series_equal(got["lost_profit"], expected["lost_profit"], rtol=1e-9)
    pd.testing.assert_series_equal(got["tts"], expected["tts"], rtol=1e-9)
    assert result["summary"]["worst_node"] == expected["node"].iloc[0]
    assert result["total_rows"] == 116 and result["truncated"] is False
    client.app.state.chipstress.store.close()  # let another connection read the file
    with ResultsStore(db_path) as store:
        stored = store.table(job["run_id"], "sweep")
    assert stored["node"].tolist() == expected["node"].tolist()


def test_sweep_job_with_durations_and_nodes(run_job: RunJob) -> None:
    body = {"network": "tri-cluster", "nodes": ["port_hakata", "asml_veldhoven"], "duration": 3}
    rows = run_job("sweep", body)["result"]["rows"]
    assert {r["node"] for r in rows} == {"port_hakata", "asml_veldhoven"}
    assert {r["duration"] for r in rows} == {3.0}
    rows = run_job(
        "sweep", {"network": "tri-cluster", "durations": {"port_hakata": 5}, "save": False}
    )
    assert rows["job"]["run_id"] is None
    assert [(r["node"], r["duration"]) for r in rows["result"]["rows"]] == [("port_hakata", 5.0)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nodes": ["port_hakata", "ghost"]}, "nodes"),
        ({"durations": {"ghost": 2}}, "durations"),
        ({"duration": 2, "durations": {"port_hakata": 2}}, "durations"),
        ({"nodes": []}, "nodes"),
    ],
)
def test_sweep_bad_parameters_name_the_field(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/api/jobs/sweep", json={"network": "tri-cluster", **body})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    if "ghost" in str(body):
        assert "'ghost'" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"duration": -1},
        {"duration": "forever"},
        {"metric": "speed"},
        {"colour": "red"},
        {"durations": {"port_hakata": -3}},
    ],
)
def test_sweep_invalid_request_bodies_are_422(client: TestClient, body: dict) -> None:
    response = client.post("/api/jobs/sweep", json={"network": "tri-cluster", **body})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_unknown_network_is_404(client: TestClient) -> None:
    response = client.post("/api/jobs/sweep", json={"network": "atlantis"})
    assert response.status_code == 404 and response.json()["field"] == "network"


def test_impact_and_survive_jobs_match_the_engine(run_job: RunJob) -> None:
    network = load_builtin()
    body = {"network": "tri-cluster", "disruption": {"port_hakata": 1.0, "water_tainan": 0.3}}
    result = run_job("impact", {**body, "duration": 4})["result"]
    expected = impact(network, {"port_hakata": 1.0, "water_tainan": 0.3}, 4)
    assert result["lost_profit"] == pytest.approx(expected.lost_profit, rel=1e-9)
    assert result["lost_units"]["jasm_fab1"] == pytest.approx(expected.lost_units["jasm_fab1"])
    survive = run_job("survive", body)["result"]
    assert survive["tts"] == pytest.approx(
        time_to_survive(network, {"port_hakata": 1.0, "water_tainan": 0.3}).tts
    )
    cluster = run_job("survive", {"network": "tri-cluster", "cluster": "kumamoto", "save": False})
    assert cluster["result"]["tts"] == pytest.approx(1.0)
    assert "sony_kumamoto_tec" in cluster["result"]["binding_products"]


@pytest.mark.parametrize(
    ("kind", "body", "status", "field"),
    [
        ("impact", {"disruption": {"ghost": 1.0}, "duration": 2}, 422, "disruption"),
        ("impact", {"disruption": {}, "duration": 2}, 422, "disruption"),
        ("survive", {"cluster": "atlantis"}, 422, "cluster"),
        ("survive", {"depending_on": "ghost"}, 422, "depending_on"),
    ],
)
def test_disruption_errors(
    client: TestClient, kind: str, body: dict, status: int, field: str
) -> None:
    response = client.post(f"/api/jobs/{kind}", json={"network": "tri-cluster", **body})
    assert response.status_code == status, response.text
    assert response.json()["field"] == field


def test_impact_fraction_out_of_range_is_422(client: TestClient) -> None:
    body = {"network": "tri-cluster", "disruption": {"port_hakata": 1.5}, "duration": 2}
    response = client.post("/api/jobs/impact", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "disruption", "port_hakata"]


def test_outage_matches_the_engine(run_job: RunJob) -> None:
    network = load_builtin()
    outages = [
        {"node": "port_hakata", "fraction": 1.0, "duration": 3},
        {"node": "water_tainan", "fraction": 0.5, "duration": 6},
    ]
    out = run_job("outage", {"network": "tri-cluster", "outages": outages})
    result = out["result"]
    assert out["job"]["kind"] == "outage" and out["job"]["run_id"].startswith("ou-")
    # Both end within 8 weeks: days, over 6 weeks and one day.
    assert result["window"] == pytest.approx(43 / 7) and result["horizon"] == 43
    model = TimelineModel(network, 43, 1 / 7)
    both = {"port_hakata": 1.0, "water_tainan": 0.5}
    expected = model.solve(model.profile([(both, 21), ({"water_tainan": 0.5}, 21)]))
    assert result["lost_profit"] == pytest.approx(expected.lost_profit)
    assert result["loss"] == pytest.approx(expected.loss) and result["loss"] > 0
    tts = time_to_survive(network, both).tts
    assert result["tts"] == pytest.approx(tts)
    assert result["survives"] is (tts >= 6.0)
    assert [s["site"] for s in result["sites"]] == ["port_hakata", "water_tainan"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outages": [{"node": "ghost", "duration": 2}]}, "outages"),
        ({"outages": [{"node": "port_hakata", "duration": 2}] * 2}, "outages"),
        ({}, "outages"),
        (
            {
                "outages": [{"node": "port_hakata", "duration": 2}],
                "events": [{"type": "earthquake", "epicentre": [32.8, 130.7], "magnitude": 7}],
            },
            "events",
        ),
    ],
)
def test_outage_errors(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/api/jobs/outage", json={"network": "tri-cluster", **body})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_outage_of_hazard_events(run_job: RunJob, client: TestClient) -> None:
    quake = {"type": "earthquake", "epicentre": [32.79, 130.74], "magnitude": 7.0, "depth_km": 10}
    result = run_job("outage", {"network": "tri-cluster", "events": [quake]})["result"]
    assert result["loss"] > 0 and result["sites"]["total_rows"] > 0
    assert {"kumamoto"} <= {row["cluster"] for row in result["sites"]["rows"]}
    water = {"type": "water_restriction", "district": "hsinchu", "level": "red", "duration": 6}
    result = run_job("outage", {"network": "tri-cluster", "events": [water]})["result"]
    assert [row["site"] for row in result["sites"]["rows"]] == ["baoshan_reservoirs"]
    assert result["sites"]["rows"][0]["capacity_loss"] == pytest.approx(0.41)
    bad = dict(water, level="purple")
    response = client.post("/api/jobs/outage", json={"network": "tri-cluster", "events": [bad]})
    assert response.status_code == 422 and "purple" in response.json()["detail"]
    response = client.post(
        "/api/jobs/outage", json={"network": "tri-cluster", "events": [{"type": "meteor"}]}
    )
    assert response.status_code == 422 and "meteor" in response.json()["detail"]


def test_replay_job(run_job: RunJob, client: TestClient) -> None:
    out = run_job("replay", {"network": "tri-cluster", "event": "kumamoto_2016"})
    expected = replay("kumamoto_2016", load_builtin())
    assert out["result"]["loss"] == pytest.approx(expected.loss)
    components = out["result"]["components"]
    assert components["total_rows"] == len(expected.components)
    by_node = {row["node"]: row for row in components["rows"]}
    sony = expected.components.set_index("node").loc["sony_kumamoto_tec"]
    assert by_node["sony_kumamoto_tec"]["total"] == pytest.approx(sony["total"])
    assert out["result"]["total_loss"] == pytest.approx(expected.components["total"].sum())
    assert out["job"]["run_id"].startswith("re-")
    response = client.post("/api/jobs/replay", json={"network": "tri-cluster", "event": "atlantis"})
    assert response.status_code == 404 and response.json()["field"] == "event"
    catalogue = client.get("/api/hazards/catalogue").json()
    assert "kumamoto_2016" in {e["id"] for e in catalogue}


def test_scenario_job_from_events_and_yaml(run_job: RunJob, client: TestClient) -> None:
    text = """
name: Kaohsiung port closed
events:
  - type: port_closure
    nodes: [port_kaohsiung]
    duration: 2 weeks
"""
    by_yaml = run_job("scenario", {"network": "tri-cluster", "yaml": text})["result"]
    events = [{"type": "port_closure", "nodes": ["port_kaohsiung"], "duration": "2 weeks"}]
    by_list = run_job("scenario", {"network": "tri-cluster", "events": events})["result"]
    assert by_yaml["name"] == "Kaohsiung port closed"
    assert by_yaml["loss"] == pytest.approx(by_list["loss"])
    for body, field in (
        ({"yaml": "events: [unclosed"}, "yaml"),
        ({}, "events"),
        ({"yaml": text, "events": events}, "events"),
    ):
        response = client.post("/api/jobs/scenario", json={"network": "tri-cluster", **body})
        assert response.status_code == 422 and response.json()["field"] == field


def test_simulate_job_reports_progress_and_matches(run_job: RunJob, client: TestClient) -> None:
    out = run_job("simulate", {"network": "tri-cluster", "years": 25, "seed": 3})
    expected = simulate(load_builtin(), 25, 3)
    assert out["result"]["expected_annual_loss"] == pytest.approx(expected.expected_annual_loss)
    assert out["result"]["years"]["total_rows"] == 25
    assert out["job"]["run_id"].startswith("si-")
    response = client.post(
        "/api/jobs/simulate", json={"network": "tri-cluster", "years": 0, "seed": 1}
    )
    assert response.status_code == 422


def test_simulation_year_cap(app: FastAPI, client: TestClient) -> None:
    app.state.chipstress.max_simulation_years = 10
    response = client.post("/api/jobs/simulate", json={"network": "tri-cluster", "years": 11})
    assert response.status_code == 422 and response.json()["field"] == "years"


def test_job_lookup_errors(client: TestClient) -> None:
    assert client.get("/api/jobs/job-nope").status_code == 404
    assert client.get("/api/jobs/job-nope/result").status_code == 404
    assert client.delete("/api/jobs/job-nope").status_code == 404


def test_unexpected_error_becomes_a_failed_job(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(tasks, "sweep", broken)
    monkeypatch.setattr(client.app.state.chipstress.jobs, "processes", False)  # patches live here
    job = client.post("/api/jobs/sweep", json={"network": "tri-cluster"}).json()
    status = wait_job(client, job["id"])
    assert status["status"] == "failed"
    assert status["error"] == "RuntimeError: solver exploded"
    response = client.get(f"/api/jobs/{job['id']}/result")
    assert response.status_code == 409 and "solver exploded" in response.json()["detail"]
    assert client.get("/api/health").json()["status"] == "ok"


def test_running_job_progress_result_409_and_cancel(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    seen: list[float] = []
    real_sweep = tasks.sweep

    def slow_sweep(*args: Any, runner: Runner, **kwargs: Any) -> Any:
        assert runner.progress is not None
        runner.progress(1, 4)
        release.wait(10)
        runner.progress(2, 4)  # raises once the job is cancelled
        return real_sweep(*args, runner=runner, **kwargs)

    monkeypatch.setattr(tasks, "sweep", slow_sweep)
    monkeypatch.setattr(client.app.state.chipstress.jobs, "processes", False)  # patches live here
    job = client.post("/api/jobs/sweep", json={"network": "tri-cluster"}).json()
    assert job["status"] == "queued"
    for _ in range(500):
        status = client.get(f"/api/jobs/{job['id']}").json()
        if status["status"] == "running" and status["progress"] > 0.2:
            seen.append(status["progress"])
            break
        threading.Event().wait(0.01)
    assert seen and 0 < seen[0] < 1
    assert "1 of 4 nodes swept" in status["message"]
    early = client.get(f"/api/jobs/{job['id']}/result")
    assert early.status_code == 409 and "no result yet" in early.json()["detail"]
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 200
    release.set()
    assert wait_job(client, job["id"])["status"] == "cancelled"
    assert client.get(f"/api/jobs/{job['id']}/result").status_code == 409
    assert job["id"] in [j["id"] for j in client.get("/api/jobs").json()]


def test_two_concurrent_sweeps_do_not_interfere(
    client: TestClient, small_json: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both sweeps must be running at once to pass the barrier: they overlap for sure.
    barrier = threading.Barrier(2, timeout=20)
    real_sweep = tasks.sweep

    def together(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return real_sweep(*args, **kwargs)

    monkeypatch.setattr(tasks, "sweep", together)
    monkeypatch.setattr(client.app.state.chipstress.jobs, "processes", False)  # patches live here
    upload = client.post(
        "/api/networks", files={"file": ("small.json", small_json.read_bytes(), "application/json")}
    ).json()
    bodies = [
        {"network": "tri-cluster", "include_products": True},
        {"network": upload["id"], "duration": 6},
    ]
    jobs = [client.post("/api/jobs/sweep", json=body).json() for body in bodies]
    statuses = [wait_job(client, job["id"]) for job in jobs]
    assert [s["status"] for s in statuses] == ["succeeded", "succeeded"]
    expected = [
        sweep(load_builtin(), include_products=True).table,
        sweep(read_network(small_json), durations=6).table,
    ]
    for status, want in zip(statuses, expected, strict=True):
        rows = client.get(f"/api/jobs/{status['id']}/result").json()["result"]["rows"]
        got = _frame(rows)
        assert got["node"].tolist() == want["node"].tolist()
        pd.testing.assert_series_equal(got["lost_profit"], want["lost_profit"], rtol=1e-9)
        pd.testing.assert_series_equal(got["tts"], want["tts"], rtol=1e-9)
    runs = client.get("/api/runs", params={"kind": "sweep"}).json()
    assert {r["run_id"] for r in runs} == {s["run_id"] for s in statuses}
