"""The API on PostgreSQL: the same code stores and serves runs (skips without a server)."""

from __future__ import annotations

from api_helpers import wait_job
from fastapi.testclient import TestClient

from chipstress.interfaces.api import create_app


def test_jobs_store_runs_in_postgresql(postgres_url: str) -> None:
    app = create_app(db=postgres_url)
    client = TestClient(app)
    try:
        health = client.get("/api/health").json()
        assert health["store"].startswith("postgresql://") and ":chipstress@" not in health["store"]
        job = client.post("/api/jobs/sweep", json={"network": "tri-cluster"}).json()
        status = wait_job(client, job["id"])
        assert status["status"] == "succeeded", status
        run_id = status["run_id"]
        run = client.get(f"/api/runs/{run_id}").json()
        assert run["kind"] == "sweep" and run["tables"] == ["sweep"]
        table = client.get(f"/api/runs/{run_id}/tables/sweep").json()
        result = client.get(f"/api/jobs/{job['id']}/result").json()["result"]
        assert [r["node"] for r in table["rows"]] == [r["node"] for r in result["rows"]]
        assert client.delete(f"/api/runs/{run_id}").status_code == 200
    finally:
        app.state.chipstress.jobs.close()
        app.state.chipstress.store.close()
        app.state.chipstress.registry.close()
