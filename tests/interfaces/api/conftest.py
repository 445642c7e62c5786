"""Fixtures of the API tests: an app on a temporary results DB, a client, job helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import wait_job
from dashboard_browser import chromium, live_server
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chipstress.interfaces.api import create_app


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh DuckDB results file for one test."""
    return tmp_path / "api-results.duckdb"


@pytest.fixture
def app(db_path: Path) -> Iterator[FastAPI]:
    """The API with its own results DB and a small upload limit (1 MB)."""
    application = create_app(db=db_path, max_upload_bytes=1_000_000, workers=2)
    yield application
    application.state.chipstress.jobs.close()
    application.state.chipstress.store.close()
    application.state.chipstress.registry.close()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """An in-process client of ``app``."""
    return TestClient(app)


@pytest.fixture
def run_job(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Start a job, wait for it, and return ``{"job": status, "result": result}``."""

    def run(kind: str, body: dict[str, Any], expect: str = "succeeded") -> dict[str, Any]:
        response = client.post(f"/api/jobs/{kind}", json=body)
        assert response.status_code == 202, response.text
        status = wait_job(client, response.json()["id"])
        assert status["status"] == expect, status
        if expect != "succeeded":
            return {"job": status, "result": None}
        result = client.get(f"/api/jobs/{status['id']}/result")
        assert result.status_code == 200, result.text
        return result.json()

    return run


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``chipstress serve`` on loopback for a module's browser tests, with its own results DB."""
    with live_server(tmp_path_factory.mktemp("served") / "results.duckdb") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (each context gets a fresh profile)."""
    with chromium() as launched:
        yield launched
