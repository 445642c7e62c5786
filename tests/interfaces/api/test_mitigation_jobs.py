"""Mitigation jobs over HTTP: what-if edits and plans match the library, are stored as
``whatif`` and ``plan`` runs (with a report), and bad requests get a 422 naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chipstress import load_builtin
from chipstress.workflows.examples import example_path
from chipstress.workflows.plan import plan
from chipstress.workflows.whatif import load_edits, whatif

RunJob = Callable[..., dict[str, Any]]

ACTIONS = [
    {
        "id": "ttr-hakata",
        "edit": {"type": "cut_ttr", "node": "port_hakata", "to": 1.5},
        "cost": 5e5,
    },
    {
        "id": "abf-stock",
        "edit": {"type": "add_inventory", "node": "ajinomoto_kawasaki", "add": 41300},
        "cost": {"fixed": 5e5},
    },
    {
        "id": "kaohsiung-rotation",
        "edit": {"type": "cut_ttr", "node": "stsp_kaohsiung_park", "to": 1},
        "cost": 8e5,
    },
]


def test_whatif_edits_job_matches_the_library(client: TestClient, run_job: RunJob) -> None:
    out = run_job("whatif", {"network": "tri-cluster", "example": "tri-cluster"})
    job, result = out["job"], out["result"]
    assert job["run_id"].startswith("wh-") and job["kind"] == "whatif"
    path = example_path("edits", "tri-cluster")
    assert path is not None
    expected = whatif(load_builtin(), load_edits(path))
    got = {r["metric"]: (r["before"], r["after"]) for r in result["totals"]}
    for row in expected.totals.itertuples(index=False):
        assert got[row.metric][0] == pytest.approx(row.before, rel=1e-9)
        assert got[row.metric][1] == pytest.approx(row.after, rel=1e-9)
    assert result["total_rows"] == 116 and len(result["edits"]) == 6
    run = client.get(f"/api/runs/{job['run_id']}").json()
    assert run["kind"] == "whatif" and "whatif_totals" in run["tables"]
    report = client.get(f"/api/runs/{job['run_id']}/report")
    assert report.status_code == 200 and "What-if on tri-cluster" in report.text


def test_plan_job_matches_the_library(client: TestClient, run_job: RunJob) -> None:
    body = {
        "network": "tri-cluster",
        "actions": ACTIONS,
        "measure": "exposed",
        "budgets": [0, 1e6, 2e6],
    }
    out = run_job("plan", body)
    job, result = out["job"], out["result"]
    assert job["run_id"].startswith("pl-")
    network = load_builtin()
    from chipstress.workflows.plan import parse_actions

    expected = plan(network, parse_actions({"actions": ACTIONS}, network), "exposed", [0, 1e6, 2e6])
    assert [p["value"] for p in result["curve"]] == expected.curve["value"].tolist()
    assert [p["actions"] for p in result["curve"]] == expected.curve["actions"].tolist()
    assert len(result["point_edits"]) == 3 and result["point_edits"][0] == []
    assert {e["type"] for e in result["point_edits"][-1]} <= {"cut_ttr", "add_inventory"}
    assert result["measure_label"] == "sites with TTR > TTS" and result["candidates"] == 3
    # (the shipped candidates, "example": "tri-cluster", are run by the dashboard test)
    run = client.get(f"/api/runs/{job['run_id']}").json()
    assert run["kind"] == "plan" and set(run["tables"]) == {"curve", "choices", "plan_actions"}
    report = client.get(f"/api/runs/{job['run_id']}/report")
    assert report.status_code == 200 and "Trade-off" in report.text


@pytest.mark.parametrize(
    ("kind", "body", "field", "text"),
    [
        ("whatif", {}, "edits", "exactly one of edits, yaml or example"),
        ("whatif", {"edits": [], "example": "tri-cluster"}, "edits", "exactly one"),
        ("whatif", {"yaml": "edits: ["}, "yaml", "not valid YAML"),
        ("whatif", {"yaml": ""}, "yaml", "empty"),
        (
            "whatif",
            {"edits": [{"type": "add_inventory", "node": "ghost", "add": 1}]},
            "edits",
            "unknown node 'ghost'",
        ),
        ("whatif", {"edits": [{"type": "nope"}]}, "edits", "unknown edit type"),
        (
            "whatif",
            {"example": "tri-cluster", "years": 10_000_000},
            "years",
            "less than or equal",
        ),
        ("plan", {"budgets": [1]}, "actions", "exactly one of actions, yaml or example"),
        (
            "plan",
            {
                "actions": [
                    {"id": "x", "edit": {"type": "remove_site", "node": "port_hakata"}, "cost": 1}
                ],
                "budgets": [1],
            },
            "actions",
            "cannot be an action",
        ),
        ("plan", {"example": "tri-cluster", "budgets": []}, "budgets", "at least 1"),
        ("plan", {"example": "tri-cluster", "budgets": [-1]}, "budgets", "greater than or equal"),
        ("plan", {"example": "tri-cluster", "budgets": [1], "measure": "median"}, "measure", ""),
    ],
)
def test_bad_mitigation_requests(
    client: TestClient, kind: str, body: dict, field: str, text: str
) -> None:
    response = client.post(f"/api/jobs/{kind}", json={"network": "tri-cluster", **body})
    assert response.status_code == 422, response.text
    payload = response.json()
    assert field in str(payload.get("field", "")) + str(payload.get("detail", ""))
    assert text in str(payload)


def test_years_limit_of_the_server(client: TestClient) -> None:
    limit = client.app.state.chipstress.max_simulation_years
    response = client.post(
        "/api/jobs/plan",
        json={
            "network": "tri-cluster",
            "example": "tri-cluster",
            "budgets": [1],
            "measure": "eal",
            "years": limit + 1,
        },
    )
    assert response.status_code == 422 and response.json()["field"] == "years"
