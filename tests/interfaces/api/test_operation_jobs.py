"""Jobs named as the operations: every kind is stored with its own kind, and the old
routes (``/whatif`` with outages, ``/whatif-edits``, ``/simulation``) still answer, marked
deprecated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import wait_job
from fastapi.testclient import TestClient

from chipstress.model import load_builtin
from chipstress.workflows.contingency import contingency_plan
from chipstress.workflows.outage import outage

RunJob = Callable[..., dict[str, Any]]
OUTAGES = [
    {"node": "port_hakata", "fraction": 1.0, "duration": 3},
    {"node": "water_tainan", "fraction": 0.5, "duration": 6},
]


def _stored(client: TestClient, run_id: str) -> dict[str, Any]:
    response = client.get(f"/api/runs/{run_id}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("kind", "body", "tables"),
    [
        ("impact", {"disruption": {"port_hakata": 1.0}, "duration": 3}, ["impact_products"]),
        ("survive", {"cluster": "kumamoto"}, ["binding"]),
        (
            "outage",
            {"outages": OUTAGES},
            [
                "components",
                "outage_products",
                "outage_sites",
                "timeline",
                "timeline_nodes",
                "timeline_products",
            ],
        ),
        (
            "contingency",
            {"disruption": {"port_hakata": 1.0}, "ttr": [[2, 0.5], [4, 0.5]]},
            [
                "inventory",
                "lost",
                "lost_by_period",
                "production",
                "scenarios",
                "segments",
                "shipments",
            ],
        ),
    ],
)
def test_each_kind_is_stored_as_itself(
    client: TestClient, run_job: RunJob, kind: str, body: dict, tables: list[str]
) -> None:
    out = run_job(kind, {"network": "tri-cluster", **body})
    assert out["job"]["kind"] == kind
    run = _stored(client, out["job"]["run_id"])
    assert run["kind"] == kind and sorted(run["tables"]) == tables
    assert run["parameters"]["network"] == "tri-cluster"
    report = client.get(f"/api/runs/{out['job']['run_id']}/report")
    assert report.status_code == 200


def test_outage_job_matches_the_workflow(run_job: RunJob) -> None:
    result = run_job("outage", {"network": "tri-cluster", "outages": OUTAGES, "save": False})
    expected = outage(
        load_builtin(), {o["node"]: (o["fraction"], o["duration"]) for o in OUTAGES}
    ).summary()
    assert result["result"]["loss"] == expected["loss"]
    assert result["result"]["tts"] == expected["tts"]
    assert result["job"]["run_id"] is None


def test_contingency_job_matches_the_workflow(run_job: RunJob, client: TestClient) -> None:
    body = {"network": "tri-cluster", "disruption": {"port_hakata": 1.0}, "duration": 3}
    result = run_job("contingency", body)["result"]
    expected = contingency_plan(load_builtin(), {"port_hakata": 1.0}, 3.0)
    assert result["expected_lost_profit"] == pytest.approx(expected.expected_lost_profit)
    assert result["scenarios"]["total_rows"] == len(expected.scenarios)
    for bad, field in (
        ({"duration": 3, "ttr": [[3, 1.0]]}, "ttr"),
        ({}, "ttr"),
        ({"ttr": [[3, 0.5]]}, "ttr"),
    ):
        response = client.post(
            "/api/jobs/contingency",
            json={"network": "tri-cluster", "disruption": {"port_hakata": 1.0}, **bad},
        )
        assert response.status_code == 422 and response.json()["field"] == field, response.text


def _deprecated_start(client: TestClient, path: str, body: dict, successor: str) -> dict:
    response = client.post(f"/api/jobs/{path}", json={"network": "tri-cluster", **body})
    assert response.status_code == 202, response.text
    assert response.headers["Deprecation"] == "true"
    assert response.headers["Link"] == f'</api/jobs/{successor}>; rel="successor-version"'
    status = wait_job(client, response.json()["id"])
    assert status["status"] == "succeeded" and status["kind"] == successor, status
    return status


def test_deprecated_routes_still_answer(client: TestClient) -> None:
    outage_run = _deprecated_start(client, "whatif", {"outages": OUTAGES}, "outage")
    assert _stored(client, outage_run["run_id"])["kind"] == "outage"
    edits = _deprecated_start(client, "whatif-edits", {"example": "tri-cluster"}, "whatif")
    assert _stored(client, edits["run_id"])["kind"] == "whatif"
    simulation = _deprecated_start(client, "simulation", {"years": 5, "seed": 1}, "simulate")
    assert _stored(client, simulation["run_id"])["kind"] == "simulate"
    # the new names carry no deprecation
    response = client.post("/api/jobs/outage", json={"network": "tri-cluster", "outages": OUTAGES})
    assert "Deprecation" not in response.headers
    wait_job(client, response.json()["id"])


def test_deprecated_routes_are_marked_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/api/jobs/whatif-edits"]["post"]["deprecated"] is True
    assert paths["/api/jobs/simulation"]["post"]["deprecated"] is True
    for name in ("outage", "whatif", "simulate", "contingency"):
        assert not paths[f"/api/jobs/{name}"]["post"].get("deprecated", False)


def test_outage_of_hazard_events_is_stored_as_an_outage(
    client: TestClient, run_job: RunJob
) -> None:
    water = {"type": "water_restriction", "district": "hsinchu", "level": "red", "duration": 6}
    out = run_job("outage", {"network": "tri-cluster", "events": [water], "name": "red alert"})
    run = _stored(client, out["job"]["run_id"])
    assert run["kind"] == "outage" and {"sites", "impact"} <= set(run["tables"])
    assert run["summary"]["event"] == "red alert"
    report = client.get(f"/api/runs/{out['job']['run_id']}/report")
    assert report.status_code == 200 and "Outage on tri-cluster" in report.text


def test_runs_of_the_old_simulation_kind(client: TestClient, run_job: RunJob) -> None:
    run_id = run_job("simulate", {"network": "tri-cluster", "years": 5, "seed": 2})["job"]["run_id"]
    with client.app.state.chipstress.store.use() as store:  # type: ignore[attr-defined]
        store.backend.execute(
            "UPDATE chipstress_runs SET kind = 'simulation' WHERE run_id = ?", [run_id]
        )
    for kind in ("simulate", "simulation"):
        listed = client.get("/api/runs", params={"kind": kind}).json()
        assert [(r["run_id"], r["kind"]) for r in listed] == [(run_id, "simulate")]
    assert _stored(client, run_id)["kind"] == "simulate"
    assert client.get("/api/runs", params={"kind": "whatif-edits"}).status_code == 422
