"""Asking for a job's result with ``wait``, and jobs computed in warm worker processes."""

from __future__ import annotations

import os
import signal
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chipstress import load_builtin
from chipstress.workflows.outage import impact

NODE = "tsmc_fab18"
BODY = {"network": "tri-cluster", "disruption": {NODE: 1.0}, "duration": 8.0, "save": False}


def _impact(client: TestClient) -> dict:
    job = client.post("/api/jobs/impact", json=BODY).json()
    answer = client.get(f"/api/jobs/{job['id']}/result", params={"wait": 20})
    assert answer.status_code == 200, answer.text  # waited: no polling needed
    return answer.json()


def test_wait_answers_once_the_job_is_done_with_the_workflows_result(client: TestClient) -> None:
    expected = impact(load_builtin("tri-cluster"), {NODE: 1.0}, 8.0)
    body = _impact(client)
    assert body["job"]["status"] == "succeeded"
    assert body["result"]["lost_profit"] == pytest.approx(expected.result.lost_profit, rel=1e-9)
    assert expected.result.lost_profit > 0


def test_wait_on_a_job_still_running_is_a_409_after_the_wait(client: TestClient) -> None:
    body = {"network": "tri-cluster", "years": 100_000, "save": False}
    job = client.post("/api/jobs/simulate", json=body).json()
    started = time.monotonic()
    answer = client.get(f"/api/jobs/{job['id']}/result", params={"wait": 0.5})
    waited = time.monotonic() - started
    assert answer.status_code == 409
    assert "no result yet" in answer.json()["detail"]
    assert waited >= 0.45
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 200
    answer = client.get(f"/api/jobs/{job['id']}/result", params={"wait": 20})
    assert answer.status_code == 409 and "cancelled" in answer.json()["detail"]


@pytest.mark.parametrize("wait", ["-1", "31", "soon"])
def test_a_bad_wait_names_the_field(client: TestClient, wait: str) -> None:
    answer = client.get("/api/jobs/job-000000000000/result", params={"wait": wait})
    assert answer.status_code == 422
    assert "wait" in answer.text


def test_a_job_after_its_worker_was_killed_runs_in_a_new_one(
    app: FastAPI, client: TestClient
) -> None:
    first = _impact(client)["result"]
    second = _impact(client)["result"]  # both threads' workers now hold the network
    manager = app.state.chipstress.jobs
    pids = [w.pid for w in manager.worker_processes if w.pid is not None]
    assert pids and os.getpid() not in pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    third = _impact(client)["result"]  # the network is sent in full again
    assert first["lost_profit"] == second["lost_profit"] == third["lost_profit"]
    now = [w.pid for w in manager.worker_processes if w.pid is not None]
    assert set(now) - set(pids)  # the job ran in a new process
